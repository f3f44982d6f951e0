"""User deprovisioning: remove what the provisioning ledger says was created for a user, and only that.

Input: ``{correlationId, tenantId, user: {id}}``.

1. **Validate the deprovisioning request** (Lambda): ``DeprovisioningRequestInvalid`` before anything.
2. **Record the deprovisioning request** marks the user ``DEPROVISIONING`` under the same lock user
   provisioning takes (a user is changed by one run at a time: ``DeprovisioningInProgress``). A user
   never provisioned answers ``NOT_PROVISIONED``; a request already done answers its earlier result.
3. **Read what the ledger says was created** (Lambda): the user's ledger entries, last requested first.
4. **Remove each resource in the ledger** (Map, one at a time): route by type to the same removal steps
   a provisioning rollback uses, acting for the run that created the resource (the ledger's
   ``provisionedBy``, the value the resource is tagged with), then release the ledger entry. A failure
   is recorded for that resource, never thrown, so the others are still removed.
5. All removed: the user becomes ``DEPROVISIONED`` and a "User deprovisioned" event goes to EventBridge
   (once: the transition is conditional on this run's lock). Otherwise ``DEPROVISIONING_FAILED`` with
   the per-resource report, operations are notified and the execution fails ``DeprovisioningFailed``;
   running it again removes what is left.

Running it again is always safe: every removal is idempotent and the ledger shrinks as it goes. See
``docs/user-provisioning.md``.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_events as events
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as sfn_tasks
from workflow_constructs import tasks
from workflow_constructs.function import PythonFunction
from workflow_constructs.stage import staged_name
from workflow_constructs.workflow import Workflow

from business_workflows.handler_code import app_handler_code
from business_workflows.metrics import count_metrics
from business_workflows.options import WorkflowOptions
from business_workflows.user_provisioning import (
    LEDGER_PREFIX,
    STATUS_DEPROVISIONING,
    STATUS_PROVISIONING,
    USER_ITEM,
    UserProvisioningWorkflow,
    _pascal_case,
    acknowledge_resource_wildcards,
    mark_user,
    publish_user_event,
    route_by_type,
)
from constructs import Construct
from lambdas.user_provisioning import contract

__all__ = [
    "DEFAULT_WORKFLOW_NAME",
    "DEPROVISIONING_FAILED_ERROR",
    "EVENT_DETAIL_TYPE",
    "EVENT_NOT_PUBLISHED_ERROR",
    "IN_PROGRESS_ERROR",
    "REQUEST_INVALID_ERROR",
    "UserDeprovisioningWorkflow",
]

DEFAULT_WORKFLOW_NAME = contract.DEPROVISIONING_WORKFLOW_NAME
EVENT_DETAIL_TYPE = contract.DEPROVISIONING_EVENT_DETAIL_TYPE
REQUEST_INVALID_ERROR = contract.DEPROVISIONING_REQUEST_INVALID
DEPROVISIONING_FAILED_ERROR = contract.DEPROVISIONING_FAILED
IN_PROGRESS_ERROR = contract.DEPROVISIONING_IN_PROGRESS
EVENT_NOT_PUBLISHED_ERROR = contract.DEPROVISIONING_EVENT_NOT_PUBLISHED
BUSINESS_OUTCOMES = contract.DEPROVISIONING_BUSINESS_OUTCOMES
"""A rejected request, or one for a user another run is changing: no fault, paging nobody."""
STATUS_DEPROVISIONED = contract.STATUS_DEPROVISIONED
STATUS_FAILED = contract.STATUS_DEPROVISIONING_FAILED
STATUS_NOT_PROVISIONED = contract.STATUS_NOT_PROVISIONED
BUSINESS_METRICS = contract.DEPROVISIONING_METRIC_NAMES
"""Recorded by "Summarize the deprovisioning" (``lambdas/user_provisioning/deprovisioning.py``)."""
_HANDLERS = "user_provisioning.handler"
_FAILURE = "$.failure"
_RUN_ID = "$$.Execution.Id"
_NOW = "$$.State.EnteredTime"


class UserDeprovisioningWorkflow(Construct):
    """The ``user-deprovisioning`` workflow over a :class:`UserProvisioningWorkflow`'s ledger and types.

    It uses the provisioning workflow's users table, resource types (each type's ``remover``), event
    bus and source, and timeout (also the lock's length). Attributes: ``workflow``, ``state_machine``,
    ``functions`` (``validate``, ``plan``, ``report``).

    Props (keyword-only): ``user_provisioning`` (required); ``workflow_name`` (default
    ``user-deprovisioning``); ``event_bus`` (default: the account's default bus); ``event_source``
    (default: the provisioning workflow's); ``options`` (the app-wide
    :class:`~business_workflows.options.WorkflowOptions`: alarm topic for alarms and failure notices,
    Sentry secret).

    Example::

        options = WorkflowOptions(alarm_topic=topic)
        users = UserProvisioningWorkflow(self, "UserProvisioning", options=options)
        UserDeprovisioningWorkflow(self, "UserDeprovisioning", user_provisioning=users, options=options)
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        user_provisioning: UserProvisioningWorkflow,
        options: WorkflowOptions,
        workflow_name: str = DEFAULT_WORKFLOW_NAME,
        event_bus: events.IEventBus | None = None,
        event_source: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        alarm_topic = options.alarm_topic
        # The physical name: every fixed name below derives from it, so it carries the app's stage.
        workflow_name = staged_name(self, workflow_name)
        self.workflow_name = workflow_name
        self.users_table = user_provisioning.users_table
        provisioning = user_provisioning
        function_props: dict[str, Any] = {
            "service": workflow_name,
            "sentry_dsn_secret": options.sentry_dsn_secret,
        }
        self.functions = {
            "validate": PythonFunction(
                self,
                "ValidateRequestFunction",
                entry=app_handler_code(),
                packages=["user_provisioning"],
                handler=f"{_HANDLERS}.validate_deprovisioning_request",
                description="Validates a user-deprovisioning request",
                environment={"LOCK_SECONDS": str(int(provisioning.timeout.to_seconds()))},
                **function_props,
            ),
            "plan": PythonFunction(
                self,
                "PlanRemovalFunction",
                entry=app_handler_code(),
                packages=["user_provisioning"],
                handler=f"{_HANDLERS}.plan_removal",
                description="Reads what a user's provisioning ledger says was created",
                environment={"USERS_TABLE": self.users_table.table_name},
                **function_props,
            ),
            "report": PythonFunction(
                self,
                "ReportFunction",
                entry=app_handler_code(),
                packages=["user_provisioning"],
                handler=f"{_HANDLERS}.summarize_deprovisioning",
                description="Summarizes a user-deprovisioning run per resource and records its metrics",
                **function_props,
            ),
        }
        self.users_table.grant(self.functions["plan"], "dynamodb:Query")

        definition = self._definition(
            provisioning,
            event_bus=event_bus if event_bus is not None else provisioning.event_bus,
            event_source=event_source or provisioning.event_source,
            alarm_topic=alarm_topic,
        )
        self.workflow = Workflow(
            self,
            "Workflow",
            workflow_name=workflow_name,
            description="Removes what the provisioning ledger says was created for a user",
            definition=definition,
            timeout=provisioning.timeout,
            alarm_topic=alarm_topic,
            business_outcomes=BUSINESS_OUTCOMES,
            business_metrics=count_metrics(workflow_name, BUSINESS_METRICS),
        )
        self.state_machine = self.workflow.state_machine
        options.grant_alarm_topic_key(self.state_machine)
        acknowledge_resource_wildcards(self.state_machine, provisioning.resource_steps)

    # The state machine ---------------------------------------------------------------------------

    def _definition(
        self,
        provisioning: UserProvisioningWorkflow,
        *,
        event_bus: events.IEventBus | None,
        event_source: str,
        alarm_topic: sns.ITopic | None,
    ) -> sfn.IChainable:
        validate = tasks.invoke_lambda(
            self, contract.DEPROVISIONING_VALIDATE_STATE, function=self.functions["validate"]
        )
        plan = tasks.invoke_lambda(
            self,
            "Read what the ledger says was created",
            function=self.functions["plan"],
            payload=sfn.TaskInput.from_object({"userKey": sfn.JsonPath.string_at("$.userKey")}),
            result_path="$.ledger",
        )
        remove_each = sfn.Map(
            self,
            "Remove each resource in the ledger",
            items_path="$.ledger.resources",
            item_selector={
                "resource": sfn.JsonPath.object_at("$$.Map.Item.Value.resource"),
                "runId": sfn.JsonPath.string_at("$$.Map.Item.Value.createdBy"),
                "correlationId": sfn.JsonPath.string_at("$.correlationId"),
                "tenantId": sfn.JsonPath.string_at("$.tenantId"),
                "user": sfn.JsonPath.object_at("$.user"),
                "userKey": sfn.JsonPath.string_at("$.userKey"),
                "removal": {},
            },
            # One at a time, last requested first: later resources may depend on earlier ones.
            max_concurrency=1,
            result_path="$.removals",
        ).item_processor(self._remove_one(provisioning))
        summarize = tasks.invoke_lambda(
            self,
            "Summarize the deprovisioning",
            function=self.functions["report"],
            payload=sfn.TaskInput.from_object(
                {
                    "correlationId": sfn.JsonPath.string_at("$.correlationId"),
                    "tenantId": sfn.JsonPath.string_at("$.tenantId"),
                    "user": sfn.JsonPath.object_at("$.user"),
                    "removals": sfn.JsonPath.object_at("$.removals"),
                }
            ),
            result_path="$.report",
        )
        every_resource_removed = (
            sfn.Choice(self, "Check every resource was removed")
            .when(
                sfn.Condition.string_equals("$.report.status", STATUS_DEPROVISIONED),
                self._deprovisioned(event_bus, event_source),
            )
            .otherwise(self._failed(alarm_topic))
        )
        return (
            validate.next(self._record_request())
            .next(plan)
            .next(remove_each)
            .next(summarize)
            .next(every_resource_removed)
        )

    def _user_key(self) -> dict[str, sfn_tasks.DynamoAttributeValue]:
        return {
            "pk": tasks.ddb_string(sfn.JsonPath.string_at("$.userKey")),
            "sk": tasks.ddb_string(USER_ITEM),
        }

    def _record_request(self) -> sfn.IChainable:
        """Take the user's lock; answer at once for a user never provisioned or a request already done."""
        record = tasks.dynamodb_update_item(
            self,
            "Record the deprovisioning request",
            table=self.users_table,
            key=self._user_key(),
            update_expression=(
                "SET #status = :deprovisioning, executionId = :runId, lockExpiresAt = :lockExpiresAt, "
                "deprovisionCorrelationId = :correlationId, deprovisionRequestedAt = :now, updatedAt = :now"
            ),
            # Provisioned once at least, not being changed by another run (or its lock expired), and
            # not already deprovisioned for this very request.
            condition_expression=(
                "attribute_exists(pk) "
                "AND (NOT (#status IN (:provisioning, :deprovisioning)) OR executionId = :runId "
                "OR lockExpiresAt < :now) "
                "AND NOT (#status = :deprovisioned AND deprovisionCorrelationId = :correlationId)"
            ),
            expression_attribute_names={"#status": "status"},
            expression_attribute_values={
                ":deprovisioning": tasks.ddb_string(STATUS_DEPROVISIONING),
                ":provisioning": tasks.ddb_string(STATUS_PROVISIONING),
                ":deprovisioned": tasks.ddb_string(STATUS_DEPROVISIONED),
                ":runId": tasks.ddb_string(sfn.JsonPath.string_at(_RUN_ID)),
                ":lockExpiresAt": tasks.ddb_string(sfn.JsonPath.string_at("$.lockExpiresAt")),
                ":correlationId": tasks.ddb_string(sfn.JsonPath.string_at("$.correlationId")),
                ":now": tasks.ddb_string(sfn.JsonPath.string_at(_NOW)),
            },
            result_path=sfn.JsonPath.DISCARD,
        )
        look_up = tasks.dynamodb_get_item(
            self,
            "Look up the user",
            table=self.users_table,
            key=self._user_key(),
            consistent_read=True,
            result_path="$.existing",
        )
        answer = {
            "correlationId": sfn.JsonPath.string_at("$.correlationId"),
            "tenantId": sfn.JsonPath.string_at("$.tenantId"),
            "user": sfn.JsonPath.object_at("$.user"),
        }
        never_provisioned = sfn.Pass(
            self,
            "Answer the user was never provisioned",
            parameters={**answer, "status": STATUS_NOT_PROVISIONED, "resources": []},
        )
        earlier = sfn.Pass(
            self,
            "Answer with the earlier deprovisioning",
            parameters={
                **answer,
                "status": STATUS_DEPROVISIONED,
                "resources": sfn.JsonPath.string_to_json(
                    sfn.JsonPath.string_at("$.existing.Item.resourceReport.S")
                ),
            },
        )
        busy = sfn.Fail(
            self,
            "Another run is changing this user",
            error=IN_PROGRESS_ERROR,
            cause="Another execution holds this user's lock (provisioning or deprovisioning); retry after it "
            "finishes.",
        )
        record.add_catch(
            look_up, errors=["DynamoDB.ConditionalCheckFailedException"], result_path=sfn.JsonPath.DISCARD
        )
        look_up.next(
            sfn.Choice(self, "Why was the request not recorded")
            .when(sfn.Condition.is_not_present("$.existing.Item"), never_provisioned)
            .when(
                sfn.Condition.and_(
                    sfn.Condition.string_equals("$.existing.Item.status.S", STATUS_DEPROVISIONED),
                    sfn.Condition.string_equals_json_path(
                        "$.existing.Item.deprovisionCorrelationId.S", "$.correlationId"
                    ),
                ),
                earlier,
            )
            .otherwise(busy)
        )
        return record

    def _remove_one(self, provisioning: UserProvisioningWorkflow) -> sfn.IChainable:
        """One iteration: remove the resource as its creating run would, then release its ledger entry."""
        record_failure = sfn.Pass(
            self,
            "Record the removal failure",
            parameters={
                "resource": sfn.JsonPath.object_at("$.resource"),
                "outcome": "REMOVAL_FAILED",
                "error": sfn.JsonPath.string_at(f"{_FAILURE}.Error"),
                "cause": sfn.JsonPath.string_at(f"{_FAILURE}.Cause"),
            },
        )
        removed = sfn.Pass(
            self,
            "Record the removed resource",
            parameters={
                "resource": sfn.JsonPath.object_at("$.resource"),
                "outcome": contract.RESOURCE_REMOVED,
                "details": sfn.JsonPath.object_at("$.removal"),
            },
        )
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
                # Only the entry of the run whose resource was removed (not one a new run claimed since).
                "ConditionExpression": (
                    f"attribute_not_exists(pk) OR {contract.CREATOR_ATTRIBUTE} = :createdBy"
                ),
                "ExpressionAttributeValues": {":createdBy": {"S": sfn.JsonPath.string_at("$.runId")}},
            },
            iam_resources=[self.users_table.table_arn],
            iam_action="dynamodb:DeleteItem",
            result_path=sfn.JsonPath.DISCARD,
        )
        release.add_catch(record_failure, result_path=_FAILURE)
        release.next(removed)

        # A type without a remover (or no longer registered) stays in the ledger, reported.
        return route_by_type(
            self,
            "Route the resource to its remover",
            {
                type_name: steps.remover(Construct(self, _pascal_case(type_name)))
                for type_name, steps in provisioning.resource_steps.items()
                if steps.remover is not None
            },
            then=release,
            on_failure=record_failure,
            unsupported="Note the type has no remover",
        )

    def _mark_user(self, name: str, status: str, extra_set: str) -> sfn.TaskStateBase:
        """Set the user's final status and report, and release the lock, if this run still holds it
        and the user is still deprovisioning."""
        return mark_user(
            self,
            name,
            table=self.users_table,
            key=self._user_key(),
            status=status,
            extra_set=extra_set,
            while_status=STATUS_DEPROVISIONING,
        )

    def _deprovisioned(self, event_bus: events.IEventBus | None, event_source: str) -> sfn.IChainable:
        mark = self._mark_user(
            "Mark the user deprovisioned", STATUS_DEPROVISIONED, "SET deprovisionedAt = :now"
        )
        publish = publish_user_event(
            self,
            "Publish the user deprovisioned event",
            event_bus=event_bus,
            event_source=event_source,
            detail_type=EVENT_DETAIL_TYPE,
        )
        output = sfn.Pass(
            self,
            "Return the removed resources",
            parameters={
                "correlationId": sfn.JsonPath.string_at("$.correlationId"),
                "tenantId": sfn.JsonPath.string_at("$.tenantId"),
                "user": sfn.JsonPath.object_at("$.user"),
                "status": STATUS_DEPROVISIONED,
                "resources": sfn.JsonPath.object_at("$.report.resources"),
            },
        )
        # Not published for good: reopen the user (DEPROVISIONING_FAILED, lock released), so that running
        # the same request again goes through and announces it; the failed execution alarms operations.
        reopen = tasks.dynamodb_update_item(
            self,
            "Reopen the user for the unpublished event",
            table=self.users_table,
            key=self._user_key(),
            update_expression="SET #status = :failed, summary = :summary, updatedAt = :now",
            condition_expression="executionId = :runId",
            expression_attribute_names={"#status": "status"},
            expression_attribute_values={
                ":failed": tasks.ddb_string(STATUS_FAILED),
                ":summary": tasks.ddb_string(
                    "Every resource was removed; the User deprovisioned event was not published"
                ),
                ":runId": tasks.ddb_string(sfn.JsonPath.string_at(_RUN_ID)),
                ":now": tasks.ddb_string(sfn.JsonPath.string_at(_NOW)),
            },
            result_path=sfn.JsonPath.DISCARD,
        )
        not_published = sfn.Fail(
            self,
            "The user deprovisioned event was not published",
            error=EVENT_NOT_PUBLISHED_ERROR,
            cause_path=f"{_FAILURE}.Cause",
        )
        publish.add_catch(reopen, errors=["States.ALL"], result_path=_FAILURE)
        reopen.add_catch(not_published, errors=["States.ALL"], result_path="$.reopen")
        reopen.next(not_published)
        return mark.next(publish).next(output)

    def _failed(self, alarm_topic: sns.ITopic | None) -> sfn.IChainable:
        mark = self._mark_user("Mark the user deprovisioning failed", STATUS_FAILED, "SET failedAt = :now")
        fail = sfn.Fail(
            self, "Deprovisioning failed", error=DEPROVISIONING_FAILED_ERROR, cause_path="$.report.summary"
        )
        if alarm_topic is None:
            return mark.next(fail)
        notify = tasks.publish_to_topic(
            self,
            "Notify operations of the failed deprovisioning",
            topic=alarm_topic,
            subject="User deprovisioning failed",
            message=sfn.TaskInput.from_object(
                {
                    "workflow": self.workflow_name,
                    "execution": sfn.JsonPath.string_at(_RUN_ID),
                    "correlationId": sfn.JsonPath.string_at("$.correlationId"),
                    "tenantId": sfn.JsonPath.string_at("$.tenantId"),
                    "userId": sfn.JsonPath.string_at("$.user.id"),
                    "summary": sfn.JsonPath.string_at("$.report.summary"),
                    "resources": sfn.JsonPath.object_at("$.report.resources"),
                    "next": "Fix the cause, then start user-deprovisioning again with the same input: it "
                    "removes what the ledger still lists.",
                }
            ),
            result_path=sfn.JsonPath.DISCARD,
        )
        return mark.next(notify).next(fail)
