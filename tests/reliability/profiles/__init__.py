"""Every workflow the reliability suites cover, by state machine name.

A workflow the app deploys without a profile here fails ``test_coverage.py``: add one (see
``profiles/base.py``) next to the workflow.
"""

from __future__ import annotations

from tests.reliability.profiles.base import WorkflowProfile
from tests.reliability.profiles.billing import Billing
from tests.reliability.profiles.customer_onboarding import CustomerOnboarding
from tests.reliability.profiles.stack_deployment import StackDeployment
from tests.reliability.profiles.user_deprovisioning import UserDeprovisioning
from tests.reliability.profiles.user_provisioning import UserProvisioning

PROFILES: dict[str, type[WorkflowProfile]] = {
    profile.workflow: profile
    for profile in (Billing, CustomerOnboarding, StackDeployment, UserDeprovisioning, UserProvisioning)
}

NOT_COVERED: dict[str, str] = {
    "bulk-user-provisioning": "a Distributed Map over user-provisioning: its one Task state starts that "
    "workflow, which these suites cover state by state; moto ignores ToleratedFailurePercentage and "
    "leaves the result files empty, so its failure budget is checked on the definition "
    "(tests/constructs/test_bulk_user_provisioning.py)",
}
"""Deployed state machines the suites leave out, each with the reason (reported by ``test_coverage.py``)."""
