"""``api-key``: a generated API key for the user, stored as a SHA-256 hash only (Lambda provisioner).

A Lambda, because the key must be generated where nobody sees it. The key's record in the API keys
table (tenant, ``<user>#<name>``) holds its hash, never the key; an authorizer verifies a presented key
by hashing it and reading the ``byHash`` index. The key is delivered once, at creation, encrypted
under the delivery KMS key with the tenant, user and key name as encryption context; only whoever is
granted ``kms:Decrypt`` on that key (``keys["api-key-delivery"]``) can read it from the output.

Why not a Secrets Manager secret per key: $0.40 a month each ($4,000 a month at 10,000 users,
$40,000 at 100,000), and a secret is made to be read back, which a verifier never needs. A record is
a few hundred bytes of DynamoDB (cents a month at 100,000 users); the delivery key is $1 a month.
"""

from __future__ import annotations

from typing import ClassVar

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_stepfunctions as sfn
from workflow_constructs.retention import RETAINED

from business_workflows.provisioners.base import (
    ConfigField,
    ProvisioningContext,
    ResourceSteps,
    ResourceType,
    record_table,
)
from constructs import Construct

HASH_INDEX = "byHash"
"""The API keys table's index on ``keyHash``, by which a presented key is verified."""


class ApiKey(ResourceType):
    """A generated API key, kept as its hash. Config: ``name`` (default ``default``).

    ``delivery_key``: the KMS key new keys are delivered under (grant ``kms:Decrypt`` on it to whoever
    hands keys to users). Default: a new key with rotation on, exposed as ``keys["api-key-delivery"]``.
    """

    type_name: ClassVar[str] = "api-key"
    summary: ClassVar[str] = "A generated API key for the user, stored as a hash, delivered once encrypted"
    config_fields: ClassVar = {
        "name": ConfigField(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", default="default", description="Key name"),
    }
    instance_field: ClassVar = "name"

    def __init__(self, *, delivery_key: kms.IKey | None = None) -> None:
        self.delivery_key = delivery_key

    def build(self, scope: Construct, context: ProvisioningContext) -> ResourceSteps:
        table = record_table(
            scope,
            "ApiKeysTable",
            partition_key="tenantId",
            sort_key="keyName",
            global_secondary_indexes=[
                dynamodb.GlobalSecondaryIndexPropsV2(
                    index_name=HASH_INDEX,
                    partition_key=dynamodb.Attribute(name="keyHash", type=dynamodb.AttributeType.STRING),
                )
            ],
        )
        delivery_key = self.delivery_key or kms.Key(
            scope,
            "DeliveryKey",
            description=f"Delivers new API keys of {context.workflow_name} users, once, encrypted",
            enable_key_rotation=True,
            removal_policy=RETAINED,
        )
        function = context.function(
            scope,
            "ApiKeyFunction",
            handler="user_provisioning.handler.api_key_resource",
            description="Creates and revokes users' API keys (stored as hashes)",
            environment={"API_KEY_TABLE": table.table_name, "API_KEY_DELIVERY_KEY_ID": delivery_key.key_arn},
        )
        # The table itself: Table.grant would add its indexes, which the provisioner never reads.
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="ManageUserApiKeyRecords",
                actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"],
                resources=[table.table_arn],
            )
        )
        delivery_key.grant(function, "kms:Encrypt")

        def remover(in_scope: Construct) -> sfn.IChainable:
            return context.lambda_step(
                in_scope, "Remove the API key", function=function, action="deprovision"
            )

        return ResourceSteps(
            provision=context.lambda_step(scope, "Create the API key", function=function, action="provision"),
            deprovision=remover(scope),
            functions=(function,),
            remover=remover,
            tables={"api-keys": table},
            keys={"api-key-delivery": delivery_key},
        )
