"""User provisioning: give a user every resource their role needs, or leave nothing behind.

Input: ``{correlationId, tenantId, user: {id, email, role}, resources: [{type, config}]}``.

1. **Validate the provisioning request** (Lambda): unknown types and bad config fail the execution with
   ``ProvisioningRequestInvalid`` before anything exists. **Record the provisioning request** marks the
   user ``PROVISIONING`` and holds a lock: a second run for the same user fails ``ProvisioningInProgress``.
2. **Provision each resource** (Map, ``max_concurrency`` at a time): claim the resource in the ledger
   (the users table), route by type to that type's provisioner, mark it provisioned. A failing resource
   is recorded, never thrown, so the others finish.
3. All provisioned: the user becomes ``ACTIVE``, a "User provisioned" event goes to EventBridge and the
   execution returns the resources.
4. Otherwise **Remove what this run created**, in reverse request order, only where the ledger says this
   run created it; the user becomes ``PROVISIONING_FAILED`` with a per-resource report, operations are
   notified, and the execution fails ``ProvisioningFailed``.

The resource types are a registry (:mod:`business_workflows.provisioners`); pass your own
list as ``resource_types`` to add one. See ``docs/user-provisioning.md``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import Duration, Token
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as sfn_tasks
from workflow_constructs import tasks
from workflow_constructs.errors import InvalidPropsError
from workflow_constructs.function import PythonFunction
from workflow_constructs.nag import acknowledge_wildcard_resource
from workflow_constructs.stage import staged_name
from workflow_constructs.workflow import Workflow

from business_workflows.handler_code import app_handler_code
from business_workflows.metrics import count_metrics
from business_workflows.options import WorkflowOptions
from business_workflows.provisioners import (
    ProvisioningContext,
    ResourceSteps,
    ResourceType,
    default_resource_types,
)
from business_workflows.provisioners.access_scope import check_trusted_principal
from business_workflows.storage import data_table, secure_bucket
from constructs import Construct
from lambdas.user_provisioning import contract

DEFAULT_WORKFLOW_NAME = contract.DEFAULT_WORKFLOW_NAME
DEFAULT_MAX_CONCURRENCY = 5
MAX_CONCURRENCY_LIMIT = 40  # an inline Map runs at most 40 iterations at once
DEFAULT_TIMEOUT = Duration.hours(1)
DEFAULT_EVENT_SOURCE = "business-workflows.user-provisioning"
EVENT_DETAIL_TYPE = contract.EVENT_DETAIL_TYPE

REQUEST_INVALID_ERROR = contract.REQUEST_INVALID
PROVISIONING_FAILED_ERROR = contract.PROVISIONING_FAILED
IN_PROGRESS_ERROR = contract.IN_PROGRESS
BUSINESS_OUTCOMES = contract.BUSINESS_OUTCOMES
"""A rejected request, or one for a user another run is provisioning: no fault, paging nobody."""
EVENT_NOT_PUBLISHED_ERROR = contract.EVENT_NOT_PUBLISHED

STATUS_PROVISIONING = contract.STATUS_PROVISIONING
STATUS_ACTIVE = contract.STATUS_ACTIVE
STATUS_FAILED = contract.STATUS_FAILED
STATUS_DEPROVISIONING = contract.STATUS_DEPROVISIONING
USER_ITEM = "USER"
"""Sort key of a user's own item in the users table; the user's ledger entries sort after ``RESOURCE#``."""
LEDGER_PREFIX = "RESOURCE#"
ANNOUNCEMENT_PREFIX = "ANNOUNCED#"
"""Sort key prefix of the item, one per user and ``correlationId``, that lets one run announce the user."""

BUSINESS_METRICS = contract.METRIC_NAMES
"""Recorded by the "Summarize ..." steps (``lambdas/user_provisioning/report.py``); on the dashboard."""

MAX_RESOURCE_TYPES_DOCUMENT = 3 * 1024  # characters: Lambda allows 4 KB of environment in all
_EVENT_SOURCE = re.compile(r"^(?!aws\.)[A-Za-z0-9._-]{1,256}$")

# The item state every provisioner and deprovisioner sees (see provisioners/base.py).
_ITEM_STATE = {
    "resource": sfn.JsonPath.object_at("$$.Map.Item.Value"),
    "correlationId": sfn.JsonPath.string_at("$.correlationId"),
    "tenantId": sfn.JsonPath.string_at("$.tenantId"),
    "user": sfn.JsonPath.object_at("$.user"),
    "userKey": sfn.JsonPath.string_at("$.userKey"),
    "runId": sfn.JsonPath.string_at("$$.Execution.Id"),
}
_FAILURE = "$.failure"


class UserProvisioningWorkflow(Construct):
    """The ``user-provisioning`` workflow with its tables, functions and resource types.

    Attributes: ``workflow`` (:class:`Workflow`), ``state_machine``, ``users_table`` (each user's status
    and report, and the ledger of what each run created), ``idempotency_table``, ``tenant_bucket``,
    ``profiles_table`` (when ``profile-record`` is registered), ``access_grants_table`` and
    ``access_scope_role`` (``access-scope``: grant the broker read on the table), ``api_keys_table``
    and ``api_key_delivery_key`` (``api-key``: an authorizer reads the table's ``byHash`` index; whoever
    delivers keys is granted ``kms:Decrypt``), ``functions`` (every Lambda function, by
    role), ``resource_steps`` (each type's states and resources, by type name).

    Props (all keyword-only):

    - ``workflow_name``: state machine name, metrics namespace, IAM path of the access-scope role.
      Default ``user-provisioning``.
    - ``resource_types``: the registry. Default: ``default_resource_types(...)`` (storage-prefix,
      profile-record, access-scope, api-key).
    - ``access_scope_trusted_principal_arn``: with the default registry, required: the one principal
      allowed to open users' access-scope sessions (your sign-in service's role), never an account
      root. Ignored when ``resource_types`` is given (name it on your ``AccessScope``).
    - ``max_concurrency``: resources provisioned at once, 1-40. Default 5.
    - ``tenant_bucket``: where ``storage-prefix`` folders live and ``access-scope`` roles reach. Default:
      a new versioned, encrypted, SSL-only bucket with access logging, retained on stack deletion.
    - ``event_bus``: where "User provisioned" events go. Default: the account's default bus.
    - ``event_source``: their ``source``. Default ``business-workflows.user-provisioning``.
    - ``options``: the app-wide settings (:class:`~business_workflows.options.WorkflowOptions`): the alarm
      topic (alarms and failure notices; default none) and the Sentry secret (every function; default off).
    - ``timeout``: of one execution; also how long a user's lock lasts. Default 1 hour.

    Example::

        UserProvisioningWorkflow(
            self,
            "UserProvisioning",
            access_scope_trusted_principal_arn=sign_in_role.role_arn,
            options=WorkflowOptions(alarm_topic=operations_topic),
        )
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        options: WorkflowOptions,
        workflow_name: str = DEFAULT_WORKFLOW_NAME,
        resource_types: Sequence[ResourceType] | None = None,
        access_scope_trusted_principal_arn: str | None = None,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        tenant_bucket: s3.IBucket | None = None,
        event_bus: events.IEventBus | None = None,
        event_source: str = DEFAULT_EVENT_SOURCE,
        timeout: Duration = DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__(scope, id)
        alarm_topic, sentry_dsn_secret = options.alarm_topic, options.sentry_dsn_secret
        # The physical name: every fixed name below derives from it, so it carries the app's stage.
        workflow_name = staged_name(self, workflow_name)
        if resource_types is None:
            check_trusted_principal("access_scope_trusted_principal_arn", access_scope_trusted_principal_arn)
            resource_types = default_resource_types(
                access_scope_trusted_principal_arn=access_scope_trusted_principal_arn
            )
        types = list(resource_types)
        _check_props(types, max_concurrency, event_source, timeout)
        resource_types_document = json.dumps(
            {resource_type.type_name: resource_type.spec() for resource_type in types},
            separators=(",", ":"),
            sort_keys=True,
        )
        if len(resource_types_document) > MAX_RESOURCE_TYPES_DOCUMENT:
            raise InvalidPropsError(
                "resource_types",
                f"must describe their config in at most {MAX_RESOURCE_TYPES_DOCUMENT} characters",
                f"{len(resource_types_document)} characters",
            )
        self.workflow_name = workflow_name
        self.max_concurrency = max_concurrency
        # Shared with the user-deprovisioning workflow built over this one.
        self.timeout = timeout
        self.event_bus = event_bus
        self.event_source = event_source
        self.sentry_dsn_secret = sentry_dsn_secret

        self.users_table = data_table(self, "UsersTable", partition_key="pk", sort_key="sk")
        self.idempotency_table = data_table(
            self, "IdempotencyTable", partition_key="id", time_to_live_attribute="expiration"
        )
        self.tenant_bucket = tenant_bucket or secure_bucket(self, "TenantBucket")
        context = ProvisioningContext(
            workflow_name=workflow_name,
            tenant_bucket=self.tenant_bucket,
            idempotency_table=self.idempotency_table,
            sentry_dsn_secret=sentry_dsn_secret,
        )
        self.resource_steps: dict[str, ResourceSteps] = {
            resource_type.type_name: resource_type.build(
                Construct(self, _pascal_case(resource_type.type_name)), context
            )
            for resource_type in types
        }
        self.profiles_table: dynamodb.ITableV2 | None = self._created("tables", "profiles")
        self.access_grants_table: dynamodb.ITableV2 | None = self._created("tables", "access-grants")
        self.api_keys_table: dynamodb.ITableV2 | None = self._created("tables", "api-keys")
        self.access_scope_role: iam.IRole | None = self._created("roles", "access-scope")
        self.api_key_delivery_key: kms.IKey | None = self._created("keys", "api-key-delivery")

        self.validate_function = PythonFunction(
            self,
            "ValidateRequestFunction",
            entry=app_handler_code(),
            packages=["user_provisioning"],
            handler="user_provisioning.handler.validate_request",
            service=workflow_name,
            description="Validates a user-provisioning request and plans it",
            environment={
                "RESOURCE_TYPES": resource_types_document,
                "LOCK_SECONDS": str(int(timeout.to_seconds())),
            },
            sentry_dsn_secret=sentry_dsn_secret,
        )
        self.report_function = PythonFunction(
            self,
            "ReportFunction",
            entry=app_handler_code(),
            packages=["user_provisioning"],
            handler="user_provisioning.handler.summarize_outcome",
            service=workflow_name,
            description="Summarizes a user-provisioning run per resource and records its metrics",
            sentry_dsn_secret=sentry_dsn_secret,
        )
        self.functions: dict[str, Any] = {
            "validate": self.validate_function,
            "report": self.report_function,
            **{
                f"{type_name}:{index}": function
                for type_name, steps in self.resource_steps.items()
                for index, function in enumerate(steps.functions)
            },
        }

        definition = self._definition(event_bus=event_bus, event_source=event_source, alarm_topic=alarm_topic)
        self.workflow = Workflow(
            self,
            "Workflow",
            workflow_name=workflow_name,
            description="Provisions every resource a user needs, or rolls back what it created",
            definition=definition,
            timeout=timeout,
            alarm_topic=alarm_topic,
            business_outcomes=BUSINESS_OUTCOMES,
            business_metrics=count_metrics(workflow_name, BUSINESS_METRICS),
        )
        self.state_machine = self.workflow.state_machine
        options.grant_alarm_topic_key(self.state_machine)
        acknowledge_resource_wildcards(self.state_machine, self.resource_steps)

    def _created(self, kind: str, name: str) -> Any:
        """What a resource type exposed under ``kind`` (``tables``, ``roles``, ``keys``) and ``name``."""
        return next(
            (
                getattr(steps, kind)[name]
                for steps in self.resource_steps.values()
                if name in getattr(steps, kind)
            ),
            None,
        )

    # The state machine ---------------------------------------------------------------------------

    def _definition(
        self, *, event_bus: events.IEventBus | None, event_source: str, alarm_topic: sns.ITopic | None
    ) -> sfn.IChainable:
        validate = tasks.invoke_lambda(self, contract.VALIDATE_STATE, function=self.validate_function)
        record_request = self._record_request()
        provision_each = sfn.Map(
            self,
            "Provision each resource",
            items_path="$.resources",
            item_selector={**_ITEM_STATE, "ownership": {"created": False}, "provisioned": {}},
            max_concurrency=self.max_concurrency,
            result_path="$.results",
        ).item_processor(self._provision_one())
        # The report function, not a JSONPath filter, decides: its rules are unit-tested Python.
        summarize = tasks.invoke_lambda(
            self,
            "Summarize the provisioning",
            function=self.report_function,
            payload=sfn.TaskInput.from_object(
                {**_run_summary_input(), "resources": sfn.JsonPath.object_at("$.results")}
            ),
            result_path="$.report",
        )
        every_resource_provisioned = sfn.Choice(self, "Check every resource was provisioned")
        every_resource_provisioned.when(
            sfn.Condition.string_equals("$.report.status", STATUS_ACTIVE),
            self._activate(event_bus, event_source),
        ).otherwise(self._roll_back(alarm_topic))
        return (
            validate.next(record_request)
            .next(provision_each)
            .next(summarize)
            .next(every_resource_provisioned)
        )

    def _user_key(self) -> dict[str, sfn_tasks.DynamoAttributeValue]:
        return {
            "pk": tasks.ddb_string(sfn.JsonPath.string_at("$.userKey")),
            "sk": tasks.ddb_string(USER_ITEM),
        }

    def _ledger_key(self) -> dict[str, sfn_tasks.DynamoAttributeValue]:
        return {
            "pk": tasks.ddb_string(sfn.JsonPath.string_at("$.userKey")),
            "sk": tasks.ddb_string(
                sfn.JsonPath.format(f"{LEDGER_PREFIX}{{}}", sfn.JsonPath.string_at("$.resource.key"))
            ),
        }

    def _record_request(self) -> sfn.IChainable:
        record = tasks.dynamodb_update_item(
            self,
            "Record the provisioning request",
            table=self.users_table,
            key=self._user_key(),
            update_expression=(
                "SET tenantId = :tenantId, userId = :userId, email = :email, #role = :role, "
                "#status = :provisioning, correlationId = :correlationId, executionId = :runId, "
                "lockExpiresAt = :lockExpiresAt, requestedResources = :requested, requestedAt = :now, "
                "updatedAt = :now, createdAt = if_not_exists(createdAt, :now) "
                "REMOVE resourceReport, summary"
            ),
            # A user is provisioned by one run at a time; a lock outlives no execution (it expires
            # after the workflow's timeout), so an aborted run never blocks the user for good.
            condition_expression=(
                "attribute_not_exists(pk) OR NOT (#status IN (:provisioning, :deprovisioning)) "
                "OR executionId = :runId OR lockExpiresAt < :now"
            ),
            expression_attribute_names={"#role": "role", "#status": "status"},
            expression_attribute_values={
                ":tenantId": tasks.ddb_string(sfn.JsonPath.string_at("$.tenantId")),
                ":userId": tasks.ddb_string(sfn.JsonPath.string_at("$.user.id")),
                ":email": tasks.ddb_string(sfn.JsonPath.string_at("$.user.email")),
                ":role": tasks.ddb_string(sfn.JsonPath.string_at("$.user.role")),
                ":provisioning": tasks.ddb_string(STATUS_PROVISIONING),
                # The user-deprovisioning workflow holds the same lock while it removes the user.
                ":deprovisioning": tasks.ddb_string(STATUS_DEPROVISIONING),
                ":correlationId": tasks.ddb_string(sfn.JsonPath.string_at("$.correlationId")),
                ":runId": tasks.ddb_string(sfn.JsonPath.string_at("$$.Execution.Id")),
                ":lockExpiresAt": tasks.ddb_string(sfn.JsonPath.string_at("$.lockExpiresAt")),
                ":requested": tasks.ddb_string(
                    sfn.JsonPath.json_to_string(sfn.JsonPath.object_at("$.resources"))
                ),
                ":now": tasks.ddb_string(sfn.JsonPath.string_at("$$.State.EnteredTime")),
            },
            result_path=sfn.JsonPath.DISCARD,
        )
        record.add_catch(
            sfn.Fail(
                self,
                "Another run is provisioning this user",
                error=IN_PROGRESS_ERROR,
                cause="Another execution holds this user's provisioning lock; retry after it finishes.",
            ),
            errors=["DynamoDB.ConditionalCheckFailedException"],
        )
        return record

    def _provision_one(self) -> sfn.IChainable:
        """One Map iteration: claim in the ledger, provision by type, record the result."""
        record_failure = sfn.Pass(
            self,
            "Record the provisioning failure",
            parameters={
                "resource": sfn.JsonPath.object_at("$.resource"),
                "status": contract.RESOURCE_FAILED,
                "createdByThisRun": sfn.JsonPath.string_at("$.ownership.created"),
                "error": sfn.JsonPath.string_at(f"{_FAILURE}.Error"),
                "cause": sfn.JsonPath.string_at(f"{_FAILURE}.Cause"),
            },
        )
        claim = tasks.dynamodb_put_item(
            self,
            "Claim the resource in the ledger",
            table=self.users_table,
            item={
                **self._ledger_key(),
                "type": tasks.ddb_string(sfn.JsonPath.string_at("$.resource.type")),
                "name": tasks.ddb_string(sfn.JsonPath.string_at("$.resource.name")),
                "status": tasks.ddb_string(STATUS_PROVISIONING),
                contract.CREATOR_ATTRIBUTE: tasks.ddb_string(sfn.JsonPath.string_at("$.runId")),
                # Its place in the request: deprovisioning removes the last requested first.
                "position": sfn_tasks.DynamoAttributeValue.number_from_string(
                    sfn.JsonPath.format("{}", sfn.JsonPath.string_at("$.resource.index"))
                ),
                "correlationId": tasks.ddb_string(sfn.JsonPath.string_at("$.correlationId")),
                "claimedAt": tasks.ddb_string(sfn.JsonPath.string_at("$$.State.EnteredTime")),
            },
            # Held by another run: that run created the resource, this one adopts it and will never
            # remove it. Held by this run: a retry of this very step.
            condition_expression=f"attribute_not_exists(pk) OR {contract.CREATOR_ATTRIBUTE} = :runId",
            expression_attribute_values={":runId": tasks.ddb_string(sfn.JsonPath.string_at("$.runId"))},
            result_selector={"created": True},
            result_path="$.ownership",
        )
        adopt = sfn.Pass(
            self,
            "Adopt the resource an earlier run created",
            result=sfn.Result.from_object({"created": False}),
            result_path="$.ownership",
        )
        claim.add_catch(
            adopt, errors=["DynamoDB.ConditionalCheckFailedException"], result_path=sfn.JsonPath.DISCARD
        )
        claim.add_catch(record_failure, result_path=_FAILURE)

        mark_provisioned = tasks.dynamodb_update_item(
            self,
            "Mark the resource provisioned in the ledger",
            table=self.users_table,
            key=self._ledger_key(),
            update_expression="SET #status = :provisioned, details = :details, updatedAt = :now",
            expression_attribute_names={"#status": "status"},
            expression_attribute_values={
                ":provisioned": tasks.ddb_string(contract.RESOURCE_PROVISIONED),
                ":details": tasks.ddb_string(
                    sfn.JsonPath.json_to_string(sfn.JsonPath.object_at("$.provisioned"))
                ),
                ":now": tasks.ddb_string(sfn.JsonPath.string_at("$$.State.EnteredTime")),
            },
            result_path=sfn.JsonPath.DISCARD,
        )
        mark_provisioned.add_catch(record_failure, result_path=_FAILURE)
        mark_provisioned.next(
            sfn.Pass(
                self,
                "Record the provisioned resource",
                parameters={
                    "resource": sfn.JsonPath.object_at("$.resource"),
                    "status": contract.RESOURCE_PROVISIONED,
                    "createdByThisRun": sfn.JsonPath.string_at("$.ownership.created"),
                    "details": sfn.JsonPath.object_at("$.provisioned"),
                },
            )
        )

        route = route_by_type(
            self,
            "Route the resource to its provisioner",
            {name: steps.provision for name, steps in self.resource_steps.items()},
            then=mark_provisioned,
            on_failure=record_failure,
            unsupported="Note the type has no provisioner",
        )
        claim.next(route)
        adopt.next(route)
        return claim

    def _roll_back(self, alarm_topic: sns.ITopic | None) -> sfn.IChainable:
        rollback = sfn.Map(
            self,
            "Remove what this run created",
            items_path="$.rollbackOrder",
            item_selector={**_ITEM_STATE, "removal": {}},
            # One at a time, last requested first: later resources may depend on earlier ones.
            max_concurrency=1,
            result_path="$.rollback",
        ).item_processor(self._remove_one())
        summarize = tasks.invoke_lambda(
            self,
            "Summarize the rollback",
            function=self.report_function,
            payload=sfn.TaskInput.from_object(
                {
                    **_run_summary_input(),
                    "resources": sfn.JsonPath.object_at("$.results"),
                    "rollback": sfn.JsonPath.object_at("$.rollback"),
                }
            ),
            result_path="$.report",
        )
        mark_failed = self._mark_user(
            "Mark the user provisioning failed", STATUS_FAILED, "SET failedAt = :now"
        )
        fail = sfn.Fail(
            self,
            "Provisioning failed",
            error=PROVISIONING_FAILED_ERROR,
            cause_path="$.report.summary",
        )
        chain = rollback.next(summarize).next(mark_failed)
        if alarm_topic is not None:
            chain = chain.next(
                tasks.publish_to_topic(
                    self,
                    "Notify operations of the failed provisioning",
                    topic=alarm_topic,
                    subject="User provisioning failed",
                    message=sfn.TaskInput.from_object(
                        {
                            "workflow": self.workflow_name,
                            "execution": sfn.JsonPath.string_at("$$.Execution.Id"),
                            "correlationId": sfn.JsonPath.string_at("$.correlationId"),
                            "tenantId": sfn.JsonPath.string_at("$.tenantId"),
                            "userId": sfn.JsonPath.string_at("$.user.id"),
                            "summary": sfn.JsonPath.string_at("$.report.summary"),
                            "resources": sfn.JsonPath.object_at("$.report.resources"),
                        }
                    ),
                    result_path=sfn.JsonPath.DISCARD,
                )
            )
        return chain.next(fail)

    def _remove_one(self) -> sfn.IChainable:
        """One rollback iteration: remove the resource if this run's ledger entry says it created it."""
        record_failure = sfn.Pass(
            self,
            "Record the removal failure",
            parameters={
                "resource": sfn.JsonPath.object_at("$.resource"),
                "rollback": "REMOVAL_FAILED",
                "error": sfn.JsonPath.string_at(f"{_FAILURE}.Error"),
                "cause": sfn.JsonPath.string_at(f"{_FAILURE}.Cause"),
            },
        )
        look_up = tasks.dynamodb_get_item(
            self,
            "Look up the resource in the ledger",
            table=self.users_table,
            key=self._ledger_key(),
            result_path="$.ledger",
        )
        look_up.add_catch(record_failure, result_path=_FAILURE)
        release = tasks.aws_sdk_call(
            self,
            "Release the resource from the ledger",
            service="dynamodb",
            action="deleteItem",
            parameters={
                "TableName": self.users_table.table_name,
                "Key": {
                    "pk": {"S": sfn.JsonPath.string_at("$.userKey")},
                    "sk": {
                        "S": sfn.JsonPath.format(
                            f"{LEDGER_PREFIX}{{}}", sfn.JsonPath.string_at("$.resource.key")
                        )
                    },
                },
            },
            iam_resources=[self.users_table.table_arn],
            iam_action="dynamodb:DeleteItem",
            result_path=sfn.JsonPath.DISCARD,
        )
        release.add_catch(record_failure, result_path=_FAILURE)
        release.next(
            sfn.Pass(
                self,
                "Record the removed resource",
                parameters={
                    "resource": sfn.JsonPath.object_at("$.resource"),
                    "rollback": contract.RESOURCE_REMOVED,
                    "details": sfn.JsonPath.object_at("$.removal"),
                },
            )
        )
        route = route_by_type(
            self,
            "Route the resource to its remover",
            {name: steps.deprovision for name, steps in self.resource_steps.items()},
            then=release,
            on_failure=record_failure,
            unsupported="Note the type has no remover",
        )

        created_by_this_run = sfn.Choice(self, "Check this run created the resource")
        created_by_this_run.when(
            sfn.Condition.and_(
                sfn.Condition.is_present(f"$.ledger.Item.{contract.CREATOR_ATTRIBUTE}.S"),
                sfn.Condition.string_equals_json_path(
                    f"$.ledger.Item.{contract.CREATOR_ATTRIBUTE}.S", "$.runId"
                ),
            ),
            route,
        ).otherwise(
            sfn.Pass(
                self,
                "Record the resource left in place",
                parameters={
                    "resource": sfn.JsonPath.object_at("$.resource"),
                    "rollback": "NOT_CREATED_BY_THIS_RUN",
                },
            )
        )
        return look_up.next(created_by_this_run)

    def _activate(self, event_bus: events.IEventBus | None, event_source: str) -> sfn.IChainable:
        """Mark the user active and announce it: once per user and request.

        A re-run of the same request (same ``correlationId``) finds the announcement claimed by the run
        that made it and publishes nothing; a retry within the run that claimed it publishes again
        (EventBridge delivers at least once anyway). If publishing fails for good, the claim is
        released, so that running the request again announces the user.
        """
        mark_active = self._mark_user("Mark the user active", STATUS_ACTIVE, "SET provisionedAt = :now")
        announcement_key = {
            "pk": {"S": sfn.JsonPath.string_at("$.userKey")},
            "sk": {
                "S": sfn.JsonPath.format(
                    f"{ANNOUNCEMENT_PREFIX}{{}}", sfn.JsonPath.string_at("$.correlationId")
                )
            },
        }
        claim = tasks.dynamodb_put_item(
            self,
            "Claim the user provisioned announcement",
            table=self.users_table,
            item={
                "pk": tasks.ddb_string(sfn.JsonPath.string_at("$.userKey")),
                "sk": tasks.ddb_string(
                    sfn.JsonPath.format(
                        f"{ANNOUNCEMENT_PREFIX}{{}}", sfn.JsonPath.string_at("$.correlationId")
                    )
                ),
                "announcedBy": tasks.ddb_string(sfn.JsonPath.string_at("$$.Execution.Id")),
                "claimedAt": tasks.ddb_string(sfn.JsonPath.string_at("$$.State.EnteredTime")),
            },
            condition_expression="attribute_not_exists(pk) OR announcedBy = :runId",
            expression_attribute_values={
                ":runId": tasks.ddb_string(sfn.JsonPath.string_at("$$.Execution.Id"))
            },
            result_path=sfn.JsonPath.DISCARD,
        )
        publish = publish_user_event(
            self,
            "Publish the user provisioned event",
            event_bus=event_bus,
            event_source=event_source,
            detail_type=EVENT_DETAIL_TYPE,
        )
        release = tasks.aws_sdk_call(
            self,
            "Release the user provisioned announcement",
            service="dynamodb",
            action="deleteItem",
            parameters={
                "TableName": self.users_table.table_name,
                "Key": announcement_key,
                "ConditionExpression": "announcedBy = :runId",
                "ExpressionAttributeValues": {":runId": {"S": sfn.JsonPath.string_at("$$.Execution.Id")}},
            },
            iam_resources=[self.users_table.table_arn],
            iam_action="dynamodb:DeleteItem",
            result_path=sfn.JsonPath.DISCARD,
        )
        # The user stays ACTIVE; the failed execution alarms operations, and a re-run announces.
        not_published = sfn.Fail(
            self,
            "The user provisioned event was not published",
            error=EVENT_NOT_PUBLISHED_ERROR,
            cause_path=f"{_FAILURE}.Cause",
        )
        output = sfn.Pass(
            self,
            "Return the provisioned resources",
            parameters={
                "correlationId": sfn.JsonPath.string_at("$.correlationId"),
                "tenantId": sfn.JsonPath.string_at("$.tenantId"),
                "user": sfn.JsonPath.object_at("$.user"),
                "status": STATUS_ACTIVE,
                "resources": sfn.JsonPath.object_at("$.report.resources"),
            },
        )
        # Announced by an earlier run of this request: nothing to publish.
        claim.add_catch(
            output, errors=["DynamoDB.ConditionalCheckFailedException"], result_path=sfn.JsonPath.DISCARD
        )
        publish.add_catch(release, errors=["States.ALL"], result_path=_FAILURE)
        release.add_catch(not_published, errors=["States.ALL"], result_path="$.announcementRelease")
        release.next(not_published)
        return mark_active.next(claim).next(publish).next(output)

    def _mark_user(self, name: str, status: str, extra_set: str) -> sfn.TaskStateBase:
        """Set the user's final status and report, and release the lock, if this run still holds it."""
        return mark_user(
            self, name, table=self.users_table, key=self._user_key(), status=status, extra_set=extra_set
        )


# Helpers -----------------------------------------------------------------------------------------


def _check_props(
    types: Sequence[ResourceType], max_concurrency: int, event_source: str, timeout: Duration
) -> None:
    if not types:
        raise InvalidPropsError("resource_types", "must register at least one resource type", [])
    names = []
    for resource_type in types:
        if not isinstance(resource_type, ResourceType):
            raise InvalidPropsError(
                "resource_types", "must hold ResourceType instances (not classes)", resource_type
            )
        type(resource_type).check()
        names.append(resource_type.type_name)
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise InvalidPropsError("resource_types", "must name each type once", ", ".join(duplicates))
    if not Token.is_unresolved(max_concurrency) and not 1 <= max_concurrency <= MAX_CONCURRENCY_LIMIT:
        raise InvalidPropsError(
            "max_concurrency", f"must be between 1 and {MAX_CONCURRENCY_LIMIT}", max_concurrency
        )
    if not Token.is_unresolved(event_source) and not _EVENT_SOURCE.match(event_source):
        raise InvalidPropsError(
            "event_source",
            "must be 1-256 of letters, digits, '.', '_', '-' and not start with 'aws.'",
            event_source,
        )
    if not timeout.is_unresolved() and timeout.to_seconds() < 60:
        raise InvalidPropsError("timeout", "must be at least 1 minute", timeout.to_human_string())


def _catch_every_task(chain: sfn.IChainable, handler: sfn.IChainable) -> None:
    """Send any error of any Task in ``chain`` to ``handler``, after the chain's own catches."""
    for state in sfn.State.find_reachable_states(chain.start_state, include_error_handlers=True):
        if isinstance(state, sfn.TaskStateBase):
            state.add_catch(handler, result_path=_FAILURE)


def _unsupported(scope: Construct, name: str, record_failure: sfn.IChainable) -> sfn.IChainable:
    """Where a Choice goes for a type it does not know (the validator lets none through)."""
    return sfn.Pass(
        scope,
        name,
        result=sfn.Result.from_object(
            {"Error": "UnsupportedResourceType", "Cause": "No state for this resource type is registered."}
        ),
        result_path=_FAILURE,
    ).next(record_failure)


def _run_summary_input() -> dict[str, Any]:
    return {
        "correlationId": sfn.JsonPath.string_at("$.correlationId"),
        "tenantId": sfn.JsonPath.string_at("$.tenantId"),
        "user": sfn.JsonPath.object_at("$.user"),
    }


def route_by_type(
    scope: Construct,
    name: str,
    chains: Mapping[str, sfn.IChainable],
    *,
    then: sfn.IChainable,
    on_failure: sfn.IChainable,
    unsupported: str,
) -> sfn.Choice:
    """A Choice on ``$.resource.type`` into each type's chain; every exit leads to ``then``, every
    Task error to ``on_failure``, any other type to a ``unsupported`` step that reports it (shared by
    provisioning, its rollback and deprovisioning)."""
    route = sfn.Choice(scope, name)
    for type_name, chain in chains.items():
        _catch_every_task(chain, on_failure)
        route.when(sfn.Condition.string_equals("$.resource.type", type_name), chain)
        for end in chain.end_states:
            end.next(then)
    route.otherwise(_unsupported(scope, unsupported, on_failure))
    return route


def mark_user(
    scope: Construct,
    name: str,
    *,
    table: dynamodb.ITableV2,
    key: Mapping[str, sfn_tasks.DynamoAttributeValue],
    status: str,
    extra_set: str,
    while_status: str | None = None,
) -> sfn.TaskStateBase:
    """The step setting a user's final ``status`` and report (with ``extra_set``, a ``SET ...``
    clause) and releasing the lock, if this run still holds it (and, given ``while_status``, the user
    is still in that status). Shared by provisioning and deprovisioning."""
    values: dict[str, sfn_tasks.DynamoAttributeValue] = {":status": tasks.ddb_string(status)}
    condition = "executionId = :runId"
    if while_status is not None:
        placeholder = f":{while_status.lower()}"  # ":deprovisioning"
        condition += f" AND #status = {placeholder}"
        values[placeholder] = tasks.ddb_string(while_status)
    return tasks.dynamodb_update_item(
        scope,
        name,
        table=table,
        key=dict(key),
        update_expression=(
            f"{extra_set}, #status = :status, resourceReport = :report, summary = :summary, "
            "updatedAt = :now REMOVE lockExpiresAt"
        ),
        condition_expression=condition,
        expression_attribute_names={"#status": "status"},
        expression_attribute_values={
            **values,
            ":report": tasks.ddb_string(
                sfn.JsonPath.json_to_string(sfn.JsonPath.object_at("$.report.resources"))
            ),
            ":summary": tasks.ddb_string(sfn.JsonPath.string_at("$.report.summary")),
            ":runId": tasks.ddb_string(sfn.JsonPath.string_at("$$.Execution.Id")),
            ":now": tasks.ddb_string(sfn.JsonPath.string_at("$$.State.EnteredTime")),
        },
        result_path=sfn.JsonPath.DISCARD,
    )


def acknowledge_resource_wildcards(
    state_machine: sfn.StateMachine, resource_steps: Mapping[str, ResourceSteps]
) -> None:
    """Acknowledge, on ``state_machine``'s role, the wildcards its resource types' steps need (each
    type names them, with its reason, in ``ResourceSteps.state_machine_wildcards``); shared by the
    provisioning and deprovisioning workflows, which run the same types' steps."""
    for steps in resource_steps.values():
        for resource, reason in steps.state_machine_wildcards.items():
            acknowledge_wildcard_resource(state_machine.role, resource, reason=reason)


def publish_user_event(
    scope: Construct,
    state_name: str,
    *,
    event_bus: events.IEventBus | None,
    event_source: str,
    detail_type: str,
) -> sfn_tasks.EventBridgePutEvents:
    """The step announcing a user's provisioning or deprovisioning on ``event_bus``: the request's
    ``correlationId``, ``tenantId``, ``user`` and the report's ``resources``."""
    return tasks.put_events(
        scope,
        state_name,
        entries=[
            sfn_tasks.EventBridgePutEventsEntry(
                event_bus=event_bus,
                source=event_source,
                detail_type=detail_type,
                detail=sfn.TaskInput.from_object(
                    {
                        "correlationId": sfn.JsonPath.string_at("$.correlationId"),
                        "tenantId": sfn.JsonPath.string_at("$.tenantId"),
                        "user": sfn.JsonPath.object_at("$.user"),
                        "resources": sfn.JsonPath.object_at("$.report.resources"),
                    }
                ),
            )
        ],
        result_path=sfn.JsonPath.DISCARD,
    )


def _pascal_case(type_name: str) -> str:
    return "".join(part.capitalize() for part in type_name.split("-"))
