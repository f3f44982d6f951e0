"""The stack-deployment stack: the workflow a platform team deploys its services' stacks with."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack

from business_workflows.options import WorkflowOptions
from business_workflows.stack_deployment import StackDeployment
from constructs import Construct

STACK_NAME_PREFIX_CONTEXT = "stackDeploymentPrefix"
DEFAULT_STACK_NAME_PREFIX = "svc-"
"""The stacks this deployment may touch, unless ``-c stackDeploymentPrefix=...`` says otherwise."""


class StackDeploymentStack(Stack):
    """Owns the ``stack-deployment`` workflow, its template bucket, notification topic and service role.

    After deploying, upload templates to the bucket in the ``TemplateBucketName`` output and
    subscribe the deploying team to ``NotificationTopicArn`` (change lists, approval requests).
    Request and approve deployments through ``EntryUrl`` (IAM-signed; the operator CLI does), and
    attach ``AnswerGuardPolicyArn`` to every operator, developer and CI role (docs/stack-deployment.md,
    "Who may approve"). ``options`` is the app's one :class:`~business_workflows.options.WorkflowOptions`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        options: WorkflowOptions,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        prefix = self.node.try_get_context(STACK_NAME_PREFIX_CONTEXT) or DEFAULT_STACK_NAME_PREFIX
        self.deployment = StackDeployment(
            self,
            "StackDeployment",
            stack_name_prefix=prefix,
            options=options,
        )
        CfnOutput(
            self,
            "TemplateBucketName",
            value=self.deployment.template_bucket.bucket_name,
            description="Upload the templates to deploy here",
        )
        CfnOutput(
            self,
            "NotificationTopicArn",
            value=self.deployment.notification_topic.topic_arn,
            description="Change lists and approval requests",
        )
        CfnOutput(self, "StateMachineArn", value=self.deployment.state_machine.state_machine_arn)
        CfnOutput(
            self,
            "EntryUrl",
            value=self.deployment.entry.url,
            description="POST deployments and approvals here, signed with SigV4 (execute-api)",
        )
        CfnOutput(
            self,
            "EntryFunctionName",
            value=self.deployment.entry.function.function_name,
            description="The entry's function (the operator CLI invokes it directly on the local cloud)",
        )
        CfnOutput(
            self,
            "AnswerGuardPolicyArn",
            value=self.deployment.answer_guard.policy.managed_policy_arn,
            description="Attach to every operator and CI role: only the entry starts and approves "
            "deployments",
        )
