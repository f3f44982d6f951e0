"""Snapshots of what the app deploys: one JSON file per stack, and one readable file per stack's
state machine definitions (reassembled from Fn::Join, deploy-time values as ``${...}``).

Review every `--snapshot-update` diff: a changed retry, a lost Catch or a new IAM action shows here.
"""

from __future__ import annotations

import pytest
from syrupy.extensions.json import JSONSnapshotExtension
from workflow_constructs.definition import state_machines

# Every stack of the app; test_every_stack_is_snapshotted keeps this list complete.
STACKS = ("Billing", "CustomerOnboarding", "Operations", "StackDeployment", "UserProvisioning")


@pytest.fixture
def json_snapshot(snapshot):
    return snapshot.use_extension(JSONSnapshotExtension)


def test_every_stack_is_snapshotted(synthesized_app):
    assert sorted(synthesized_app.templates) == sorted(STACKS)


@pytest.mark.parametrize("stack_name", STACKS)
def test_template(synthesized_app, json_snapshot, stack_name):
    assert synthesized_app.template(stack_name) == json_snapshot


@pytest.mark.parametrize("stack_name", STACKS)
def test_state_machine_definitions(synthesized_app, json_snapshot, stack_name):
    definitions = state_machines(synthesized_app.template(stack_name))
    assert definitions == json_snapshot
