"""Every workflow the reliability suites cover, by state machine name.

A workflow the app deploys without a profile here fails ``test_coverage.py``: add one (see
``profiles/base.py``) next to the workflow.
"""

from __future__ import annotations

from tests.reliability.profiles.base import WorkflowProfile
from tests.reliability.profiles.customer_onboarding import CustomerOnboarding

PROFILES: dict[str, type[WorkflowProfile]] = {profile.workflow: profile for profile in (CustomerOnboarding,)}

NOT_COVERED: dict[str, str] = {}
"""Deployed state machines the suites leave out, each with the reason."""
