"""Every workflow the app deploys is covered by the reliability suites, or left out with a reason."""

from __future__ import annotations

from tests.reliability.conftest import deployed_workflows
from tests.reliability.profiles import NOT_COVERED, PROFILES


def test_every_deployed_workflow_has_a_profile_or_a_reason(pytestconfig):
    # GIVEN the state machines of the session's app
    deployed = set(deployed_workflows(pytestconfig))

    # THEN each has a profile (see profiles/base.py) or is listed, with why, in NOT_COVERED
    assert sorted(deployed - set(PROFILES) - set(NOT_COVERED)) == []
    # AND neither list names a workflow the app no longer deploys
    assert sorted((set(PROFILES) | set(NOT_COVERED)) - deployed) == []
    assert set(PROFILES).isdisjoint(NOT_COVERED)


def test_every_profile_names_the_four_kinds_of_corruption_it_can(pytestconfig):
    # GIVEN each profile's valid request
    for workflow, profile in PROFILES.items():
        # THEN its required fields include the correlation id every workflow validates
        assert "correlationId" in profile.required, workflow
        assert profile.scenarios, workflow
        assert profile.scenarios[0].expect.status == "SUCCEEDED", (
            f"{workflow}: the first scenario is the happy path"
        )
