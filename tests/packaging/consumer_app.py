"""A consumer's CDK app, run from outside this repository against the installed wheel.

It uses every construct of the library, with a Lambda step of its own: ``handlers/greeting.py``
(copied beside this file by the test), written with the installed ``workflow_runtime``. Each workflow
construct added to the library is added here too, so its Lambda code is proven to travel inside the wheel.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import aws_cdk as cdk
import workflow_constructs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from workflow_constructs import PythonFunction, Workflow, add_checks, tasks
from workflow_constructs.workflows.billing import BillingWorkflow, PaymentProviderKind
from workflow_constructs.workflows.onboarding import OnboardingWorkflow
from workflow_constructs.workflows.stack_deployment import StackDeployment
from workflow_constructs.workflows.user_provisioning import UserProvisioningWorkflow

HANDLERS = Path(__file__).resolve().parent / "handlers"


class ConsumerStack(cdk.Stack):
    def __init__(self, scope: cdk.App, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        topic = sns.Topic(self, "Alarms", enforce_ssl=True)
        function = PythonFunction(
            self, "Handler", entry=HANDLERS, handler="greeting.greet", service="consumer"
        )
        first = tasks.invoke_lambda(self, "Greet the customer", function=function)
        second = tasks.publish_to_topic(
            self, "Announce the result", topic=topic, message=sfn.TaskInput.from_json_path_at("$")
        )
        Workflow(
            self, "Flow", workflow_name="consumer-flow", definition=first.next(second), alarm_topic=topic
        )
        BillingWorkflow(
            self,
            "Billing",
            alarm_topic=topic,
            sender_address="billing@consumer-app.com",
            payment_provider=PaymentProviderKind.SANDBOX,
        )
        OnboardingWorkflow(self, "Onboarding", sender_address="welcome@consumer-app.com", alarm_topic=topic)
        StackDeployment(self, "Deployments", stack_name_prefix="consumer-", alarm_topic=topic)
        UserProvisioningWorkflow(
            self,
            "UserProvisioning",
            workflow_name="consumer-users",
            access_scope_trusted_principal_arn=f"arn:aws:iam::{self.account}:role/sign-in",
            alarm_topic=topic,
        )


def _runtime_origin() -> str | None:
    spec = importlib.util.find_spec("workflow_runtime")  # where PythonFunction copied it from
    return spec.origin if spec else None


if __name__ == "__main__":
    app = cdk.App(outdir=sys.argv[1], context={"aws:cdk:version-reporting": False})
    ConsumerStack(app, "Consumer")
    add_checks(app)
    app.synth()
    print(json.dumps({"library": workflow_constructs.__file__, "runtime": _runtime_origin()}))
