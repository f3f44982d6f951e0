"""A test-only CDK app for the ``workflows`` CLI's behaviour tests, built with the library.

Two workflows stand in for the real ones the commands serve (the app on main deploys none yet, and
these stay independent of how each team builds its own):

- ``ops-check-billing``: validate the charge request, then charge the card, which declines amounts
  over 1000 with ``PaymentDeclined`` (not retried) and retries ``TransientError``.
- ``stack-deployment``: ask for approval through a callback step (task token handed to a Lambda),
  then deploy. ``approve``/``reject`` answer only ``stack-deployment`` executions, hence the name.

The functions' code is ``operations_handlers/`` plus the installed ``workflow_runtime`` (the house
``@handler`` decorator), copied into one asset folder.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from workflow_constructs import Workflow, tasks
from workflow_constructs.lambda_code import ASSET_EXCLUDES, RUNTIME_PACKAGE, runtime_package_dir

from constructs import Construct

HANDLERS = Path(__file__).with_name("operations_handlers")
BILLING = "ops-check-billing"
DEPLOYMENT = "stack-deployment"
SERVICE = "ops-check"


class OperationsCliCheckStack(cdk.Stack):
    """The two stand-in workflows and their functions."""

    def __init__(self, scope: Construct, construct_id: str, *, code: Path) -> None:
        super().__init__(scope, construct_id)
        self.code = code
        topic = sns.Topic(self, "Alarms", enforce_ssl=True)
        validate = tasks.invoke_lambda(
            self,
            "Validate the charge request",
            function=self._function("ValidateCharge", "ops_check.validate_charge"),
            result_path="$.validation",
        )
        charge = tasks.invoke_lambda(
            self,
            "Charge the card",
            function=self._function("ChargeCard", "ops_check.charge_card"),
            result_path="$.charge",
        )
        Workflow(self, "Billing", workflow_name=BILLING, definition=validate.next(charge), alarm_topic=topic)

        ask = tasks.wait_for_callback(
            self,
            "Ask for approval",
            function=self._function("RequestApproval", "ops_check.request_approval"),
            payload={
                "correlationId": sfn.JsonPath.string_at("$.correlationId"),
                "stack": sfn.JsonPath.string_at("$.stack"),
            },
            timeout=cdk.Duration.hours(24),
            result_path="$.approval",
        )
        deploy = sfn.Pass(self, "Deploy the stack")
        Workflow(self, "Deployment", workflow_name=DEPLOYMENT, definition=ask.next(deploy), alarm_topic=topic)

    def _function(self, construct_id: str, handler: str) -> lambda_.Function:
        return lambda_.Function(
            self,
            construct_id,
            runtime=lambda_.Runtime.PYTHON_3_13,
            handler=handler,
            code=lambda_.Code.from_asset(str(self.code), exclude=list(ASSET_EXCLUDES)),
            timeout=cdk.Duration.seconds(10),
            environment={"POWERTOOLS_SERVICE_NAME": SERVICE, "POWERTOOLS_METRICS_NAMESPACE": SERVICE},
        )


def build_app(outdir: Path, code: Path) -> Path:
    """Assemble the functions' code in ``code`` and synthesize the app into ``outdir``."""
    shutil.copytree(
        runtime_package_dir(), code / RUNTIME_PACKAGE, ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(HANDLERS / "ops_check.py", code / "ops_check.py")
    app = cdk.App(outdir=str(outdir), context={"aws:cdk:version-reporting": False})
    OperationsCliCheckStack(app, "OperationsCliCheck", code=code)
    app.synth()
    return outdir
