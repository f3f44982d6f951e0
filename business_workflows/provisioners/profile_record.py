"""``profile-record``: the user's profile item in DynamoDB (direct DynamoDB integration, no Lambda).

One profile per user, keyed ``tenantId``/``userId``. Creating it never overwrites what the user has
since changed (``if_not_exists``), and a rollback deletes it only when this run created it.
"""

from __future__ import annotations

from typing import ClassVar

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_stepfunctions as sfn
from workflow_constructs import tasks

from business_workflows.provisioners.base import (
    PROVISIONED,
    REMOVAL,
    RESOURCE_CONFIG,
    RUN_ID,
    TENANT_ID,
    USER_ID,
    ConfigField,
    ProvisioningContext,
    ResourceSteps,
    ResourceType,
    record_table,
)
from constructs import Construct
from lambdas.user_provisioning import contract


class ProfileRecord(ResourceType):
    """The user's profile. Config: ``displayName`` (default empty), ``locale`` (default ``en-US``),
    ``timeZone`` (default ``UTC``)."""

    type_name: ClassVar[str] = "profile-record"
    summary: ClassVar[str] = "The user's profile item in the profiles table"
    config_fields: ClassVar = {
        "displayName": ConfigField(default="", max_length=256, description="Name shown to other users"),
        "locale": ConfigField(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$", default="en-US", description="BCP 47 tag"),
        "timeZone": ConfigField(pattern=r"^[A-Za-z0-9_+/-]{1,64}$", default="UTC", description="IANA zone"),
    }

    def build(self, scope: Construct, context: ProvisioningContext) -> ResourceSteps:
        table = record_table(
            scope,
            "ProfilesTable",
            partition_key="tenantId",
            sort_key="userId",
        )
        key = {
            "tenantId": tasks.ddb_string(sfn.JsonPath.string_at(TENANT_ID)),
            "userId": tasks.ddb_string(sfn.JsonPath.string_at(USER_ID)),
        }
        name = sfn.Pass(
            scope,
            "Name the profile record",
            parameters={
                "resourceId": sfn.JsonPath.format(
                    f"{table.table_name}/{{}}/{{}}",
                    sfn.JsonPath.string_at(TENANT_ID),
                    sfn.JsonPath.string_at(USER_ID),
                )
            },
            result_path=PROVISIONED,
        )
        create = tasks.dynamodb_update_item(
            scope,
            "Create the profile record",
            table=table,
            key=key,
            # Email and role follow the request; what the user may have edited is only filled in when
            # missing, and the creator is recorded once.
            update_expression=(
                "SET email = :email, #role = :role, updatedAt = :now, "
                "displayName = if_not_exists(displayName, :displayName), "
                "locale = if_not_exists(locale, :locale), #timeZone = if_not_exists(#timeZone, :timeZone), "
                "createdAt = if_not_exists(createdAt, :now), "
                f"{contract.CREATOR_ATTRIBUTE} = if_not_exists({contract.CREATOR_ATTRIBUTE}, :runId)"
            ),
            # ROLE and TIMEZONE are DynamoDB reserved words.
            expression_attribute_names={"#role": "role", "#timeZone": "timeZone"},
            expression_attribute_values={
                ":email": tasks.ddb_string(sfn.JsonPath.string_at("$.user.email")),
                ":role": tasks.ddb_string(sfn.JsonPath.string_at("$.user.role")),
                ":now": tasks.ddb_string(sfn.JsonPath.string_at("$$.State.EnteredTime")),
                ":displayName": tasks.ddb_string(sfn.JsonPath.string_at(f"{RESOURCE_CONFIG}.displayName")),
                ":locale": tasks.ddb_string(sfn.JsonPath.string_at(f"{RESOURCE_CONFIG}.locale")),
                ":timeZone": tasks.ddb_string(sfn.JsonPath.string_at(f"{RESOURCE_CONFIG}.timeZone")),
                ":runId": tasks.ddb_string(sfn.JsonPath.string_at(RUN_ID)),
            },
            result_path=sfn.JsonPath.DISCARD,
        )

        def remover(in_scope: Construct) -> sfn.IChainable:
            return _remove_profile(in_scope, table)

        return ResourceSteps(
            provision=name.next(create),
            deprovision=remover(scope),
            tables={"profiles": table},
            remover=remover,
        )


def _remove_profile(scope: Construct, table: dynamodb.ITableV2) -> sfn.IChainable:
    """Delete the profile if the run in ``$.runId`` created it; otherwise keep it."""
    remove = tasks.aws_sdk_call(
        scope,
        "Remove the profile record",
        service="dynamodb",
        action="deleteItem",
        parameters={
            "TableName": table.table_name,
            "Key": {
                "tenantId": {"S": sfn.JsonPath.string_at(TENANT_ID)},
                "userId": {"S": sfn.JsonPath.string_at(USER_ID)},
            },
            "ConditionExpression": f"{contract.CREATOR_ATTRIBUTE} = :runId",
            "ExpressionAttributeValues": {":runId": {"S": sfn.JsonPath.string_at(RUN_ID)}},
        },
        iam_resources=[table.table_arn],
        iam_action="dynamodb:DeleteItem",
        result_selector={"outcome": contract.RESOURCE_REMOVED},
        result_path=REMOVAL,
    )
    keep = sfn.Pass(
        scope,
        "Keep the profile record another run created",
        result=sfn.Result.from_object({"outcome": "KEPT"}),
        result_path=REMOVAL,
    )
    # Missing, or created by another run: either way not this run's to delete.
    remove.add_catch(
        keep, errors=["DynamoDb.ConditionalCheckFailedException"], result_path=sfn.JsonPath.DISCARD
    )
    return sfn.Chain.custom(remove, [remove, keep], keep)
