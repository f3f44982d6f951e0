"""``storage-prefix``: a folder of the user's own in the tenant bucket (S3 integration; Lambda remover).

The folder is ``tenants/<tenantId>/users/<userId>/<name>/``, made visible by a zero-byte marker object
whose metadata records the tenant, the user and the run that created it. Removing it deletes every
object version and delete marker under the folder (a Lambda: ``lambdas/user_provisioning/storage_prefix.py``),
so nothing of the user stays recoverable in the versioned bucket.
"""

from __future__ import annotations

from typing import ClassVar

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from workflow_constructs import tasks
from workflow_constructs.nag import acknowledge_wildcard_resource

from business_workflows.provisioners.base import (
    PROVISIONED,
    RESOURCE_NAME,
    RUN_ID,
    TENANT_ID,
    TENANT_OBJECTS,
    USER_ID,
    USER_STORAGE_ROOT,
    ConfigField,
    ProvisioningContext,
    ResourceSteps,
    ResourceType,
)
from constructs import Construct
from lambdas.user_provisioning import contract

FOLDER_NAME = r"^[a-z0-9][a-z0-9-]{0,62}$"
REMOVAL_TIMEOUT = Duration.minutes(5)
"""Of the remover; it stops after 4 minutes and the step's retry continues (a folder of many versions)."""


class StoragePrefix(ResourceType):
    """A named folder for the user in the tenant bucket. Config: ``name`` (default ``home``)."""

    type_name: ClassVar[str] = "storage-prefix"
    summary: ClassVar[str] = "A folder of the user's own in the tenant bucket"
    config_fields: ClassVar = {
        "name": ConfigField(pattern=FOLDER_NAME, default="home", description="Folder name"),
    }
    instance_field: ClassVar = "name"

    def build(self, scope: Construct, context: ProvisioningContext) -> ResourceSteps:
        bucket = context.tenant_bucket
        objects = bucket.arn_for_objects(TENANT_OBJECTS)
        create = tasks.aws_sdk_call(
            scope,
            "Create the storage prefix",
            service="s3",
            action="putObject",
            parameters={
                "Bucket": bucket.bucket_name,
                "Key": sfn.JsonPath.string_at(f"{PROVISIONED}.key"),
                "Body": "",
                "Metadata": {
                    contract.TENANT_TAG: sfn.JsonPath.string_at(TENANT_ID),
                    contract.USER_TAG: sfn.JsonPath.string_at(USER_ID),
                    contract.OWNER_TAG: sfn.JsonPath.string_at(RUN_ID),
                },
            },
            iam_resources=[objects],
            iam_action="s3:PutObject",
            # The same key, empty body and metadata on every attempt: a repeat leaves the same object.
            idempotent=True,
            result_path=sfn.JsonPath.DISCARD,
        )
        # A versioned bucket keeps a deleted object's versions: removal deletes each version and
        # delete marker under the folder, which takes paging and decisions, hence a Lambda.
        function = context.function(
            scope,
            "StoragePrefixFunction",
            handler="user_provisioning.handler.storage_prefix_resource",
            description="Removes users' folders: every object version and delete marker under them",
            environment={"TENANT_BUCKET_NAME": bucket.bucket_name, "USER_STORAGE_ROOT": USER_STORAGE_ROOT},
            timeout=REMOVAL_TIMEOUT,
        )
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="ListTenantObjectVersions",
                actions=["s3:ListBucketVersions"],
                resources=[bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [TENANT_OBJECTS]}},
            )
        )
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="DeleteTenantObjectVersions",
                # HeadObject (the marker's creator) needs s3:GetObject.
                actions=["s3:GetObject", "s3:DeleteObject", "s3:DeleteObjectVersion"],
                resources=[objects],
            )
        )
        acknowledge_wildcard_resource(
            function.role or function,
            objects,
            reason="Folders are removed per tenant and user at run time; the grant is confined to the "
            "tenants/ part of the tenant bucket.",
        )

        def remover(in_scope: Construct) -> sfn.IChainable:
            return context.lambda_step(
                in_scope, "Remove the storage prefix", function=function, action="deprovision"
            )

        return ResourceSteps(
            provision=_name(scope, "Name the storage prefix", bucket.bucket_name, PROVISIONED).next(create),
            deprovision=remover(scope),
            functions=(function,),
            remover=remover,
            state_machine_wildcards={
                objects: "Storage-prefix markers are created per tenant and user at run time; "
                "the grant is confined to the tenants/ part of the tenant bucket."
            },
        )


def _name(scope: Construct, state_name: str, bucket_name: str, result_path: str) -> sfn.Pass:
    """A Pass that works out the marker's key (and the folder's URI) into ``result_path``."""
    folder = USER_STORAGE_ROOT.format(tenant_id="{}", user_id="{}") + "{}/"
    arguments = (
        sfn.JsonPath.string_at(TENANT_ID),
        sfn.JsonPath.string_at(USER_ID),
        sfn.JsonPath.string_at(RESOURCE_NAME),
    )
    return sfn.Pass(
        scope,
        state_name,
        parameters={
            "key": sfn.JsonPath.format(folder, *arguments),
            "resourceId": sfn.JsonPath.format(f"s3://{bucket_name}/{folder}", *arguments),
        },
        result_path=result_path,
    )
