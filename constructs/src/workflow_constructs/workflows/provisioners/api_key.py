"""``api-key``: a generated API key for the user, kept in AWS Secrets Manager (Lambda provisioner).

A Lambda, because the key must be generated where nobody sees it: the workflow only ever handles the
secret's ARN, never the key. Secrets are named ``<workflow>/api-keys/<tenant>/<user>/<name>`` and the
function's IAM policy is confined to that name prefix.
"""

from __future__ import annotations

from typing import ClassVar

from aws_cdk import Aws
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_stepfunctions as sfn

from constructs import Construct
from workflow_constructs.nag import acknowledge_wildcard_resource
from workflow_constructs.workflows.provisioners.base import (
    ConfigField,
    ProvisioningContext,
    ResourceSteps,
    ResourceType,
)


class ApiKey(ResourceType):
    """A generated API key in Secrets Manager. Config: ``name`` (default ``default``).

    ``encryption_key``: the KMS key for the secrets. Default: the account's ``aws/secretsmanager`` key.
    """

    type_name: ClassVar[str] = "api-key"
    summary: ClassVar[str] = "A generated API key for the user, kept in Secrets Manager"
    config_fields: ClassVar = {
        "name": ConfigField(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", default="default", description="Key name"),
    }
    instance_field: ClassVar = "name"

    def __init__(self, *, encryption_key: kms.IKey | None = None) -> None:
        self.encryption_key = encryption_key

    def build(self, scope: Construct, context: ProvisioningContext) -> ResourceSteps:
        prefix = f"{context.workflow_name}/api-keys/"
        environment = {"API_KEY_SECRET_PREFIX": prefix}
        if self.encryption_key is not None:
            environment["API_KEY_KMS_KEY_ID"] = self.encryption_key.key_arn
        function = context.function(
            scope,
            "ApiKeyFunction",
            handler="user_provisioning.handler.api_key_resource",
            description="Creates and removes users' API keys in Secrets Manager",
            environment=environment,
        )
        # Secret ARNs end in a random 6-character suffix, hence the trailing wildcard.
        secrets = f"arn:{Aws.PARTITION}:secretsmanager:{Aws.REGION}:{Aws.ACCOUNT_ID}:secret:{prefix}*"
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="ManageUserApiKeys",
                actions=[
                    "secretsmanager:CreateSecret",
                    "secretsmanager:TagResource",
                    "secretsmanager:DescribeSecret",
                    "secretsmanager:DeleteSecret",
                ],
                resources=[secrets],
            )
        )
        if self.encryption_key is not None:
            self.encryption_key.grant(function, "kms:GenerateDataKey", "kms:Decrypt")
        acknowledge_wildcard_resource(
            function.role or function,
            secrets,
            reason="One secret per user key is created at run time; the grant is confined to this "
            "workflow's name prefix (the wildcard also covers the random suffix of secret ARNs).",
        )

        def remover(in_scope: Construct) -> sfn.IChainable:
            return context.lambda_step(
                in_scope, "Remove the API key", function=function, action="deprovision"
            )

        return ResourceSteps(
            provision=context.lambda_step(scope, "Create the API key", function=function, action="provision"),
            deprovision=remover(scope),
            functions=(function,),
            remover=remover,
        )
