"""Every workflow the reliability suites cover, by state machine name.

A workflow the app deploys without a profile here fails ``test_coverage.py``: add one (see
``profiles/base.py``) next to the workflow.
"""

from __future__ import annotations

from tests.reliability.profiles.base import WorkflowProfile
from tests.reliability.profiles.billing import Billing
from tests.reliability.profiles.customer_onboarding import CustomerOnboarding
from tests.reliability.profiles.stack_deployment import StackDeployment

PROFILES: dict[str, type[WorkflowProfile]] = {
    profile.workflow: profile for profile in (Billing, CustomerOnboarding, StackDeployment)
}
