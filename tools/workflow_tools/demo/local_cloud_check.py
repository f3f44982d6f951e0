"""The local cloud's own check: a tiny state machine, created through the Step Functions API.

It runs in every demo, also while the app deploys no workflow of its own, so that the whole
path (server, CloudFormation, execution, JSONata, simulated time, trace) is shown working. It is
not part of the app: ``before`` creates it in the local cloud only.
"""

from __future__ import annotations

import json

from workflow_local_cloud import LocalCloudHarness

from workflow_tools.demo import Scenario

WORKFLOW = "local-cloud-check"
DEFINITION = {
    "Comment": "Greets a visitor, waits a day (simulated), checks the greeting",
    "QueryLanguage": "JSONata",
    "StartAt": "Greet the visitor",
    "States": {
        "Greet the visitor": {
            "Type": "Pass",
            "Assign": {"visitor": "{% $states.input.visitor %}"},
            "Output": {"greeting": "{% 'Hello, ' & $states.input.visitor & '!' %}"},
            "Next": "Wait a day",
        },
        "Wait a day": {"Type": "Wait", "Seconds": 86_400, "Next": "Check the greeting"},
        "Check the greeting": {
            "Type": "Choice",
            "Choices": [
                {"Condition": "{% $contains($states.input.greeting, $visitor) %}", "Next": "Greeted"}
            ],
            "Default": "Greeting lost",
        },
        "Greeting lost": {"Type": "Fail", "Error": "GreetingLost"},
        "Greeted": {"Type": "Succeed"},
    },
}


def create_check_workflow(cloud: LocalCloudHarness) -> None:
    """Create the check's state machine unless it exists."""
    if WORKFLOW in cloud.workflows():
        return
    cloud.client("stepfunctions").create_state_machine(
        name=WORKFLOW,
        definition=json.dumps(DEFINITION),
        roleArn="arn:aws:iam::123456789012:role/local-cloud-check",
        tags=[{"key": "workflow", "value": WORKFLOW}],
    )


SCENARIOS = [
    Scenario(
        workflow=WORKFLOW,
        title="Local cloud self-check: JSONata, a day-long Wait, a Choice",
        sample="visitor.json",
        reason="demo self-check",
        before=create_check_workflow,
    ),
]
