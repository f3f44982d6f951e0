"""Bulk user provisioning: provision every user listed in a CSV file in S3.

Input: ``{correlationId, key}``; ``key`` names a CSV object under ``imports/`` in the bulk bucket, with
a header row ``tenantId,userId,email,role``. Each row becomes one ``user-provisioning`` execution (a
child, linked in the console) with the resources of the row's role, from ``role_resources``. The
rows run in a Distributed Map, ``max_concurrency`` at a time, and the run fails
``BulkProvisioningFailed`` only when more than ``tolerated_failure_percentage`` of them fail. Either
way, the per-row results are written back to the bulk bucket under ``results/`` and the output says
where.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import Aws, Duration, Stack, Token
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from workflow_constructs import tasks
from workflow_constructs.errors import InvalidPropsError
from workflow_constructs.nag import acknowledge_flattened_wildcard, flatten_reference, wildcard_resources
from workflow_constructs.stage import staged_name
from workflow_constructs.workflow import Workflow

from business_workflows.options import WorkflowOptions
from business_workflows.storage import secure_bucket
from business_workflows.user_provisioning import UserProvisioningWorkflow
from constructs import Construct

DEFAULT_WORKFLOW_NAME = "bulk-user-provisioning"
DEFAULT_MAX_CONCURRENCY = 10
MAX_CONCURRENCY_LIMIT = 1000
DEFAULT_TOLERATED_FAILURE_PERCENTAGE = 10
DEFAULT_TIMEOUT = Duration.hours(24)
IMPORTS_PREFIX = "imports/"
RESULTS_PREFIX = "results/"
CSV_COLUMNS = ("tenantId", "userId", "email", "role")

REQUEST_INVALID_ERROR = "BulkProvisioningRequestInvalid"
BULK_FAILED_ERROR = "BulkProvisioningFailed"
UNKNOWN_ROLE_ERROR = "UnknownRole"
BUSINESS_OUTCOMES = (REQUEST_INVALID_ERROR,)
"""A request that names no readable CSV file; a run with too many failed rows still pages."""

_ROLE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
_DISTRIBUTED_MAP_RESULT_WRITER_V2 = "@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2"


class BulkUserProvisioningWorkflow(Construct):
    """The ``bulk-user-provisioning`` workflow: a CSV of users in, one child execution per user.

    Attributes: ``workflow``, ``state_machine``, ``bucket`` (CSV files go under ``imports/``, results
    appear under ``results/``).

    Props (all keyword-only):

    - ``user_provisioning``: the workflow each row runs (its registry checks ``role_resources``).
    - ``role_resources``: for each role a CSV may name, the resources (``[{type, config}]``) its users
      get. A row with another role fails ``UnknownRole``.
    - ``bucket``: where CSV files and results live. Default: a new versioned, encrypted, SSL-only,
      access-logged bucket, retained on stack deletion.
    - ``max_concurrency``: users provisioned at once, 1-1000. Default 10.
    - ``tolerated_failure_percentage``: failed rows, 0-100, before the run fails. Default 10.
    - ``workflow_name``: default ``bulk-user-provisioning``. ``timeout``: default 24 hours.
    - ``options``: the app-wide settings (:class:`~business_workflows.options.WorkflowOptions`); its
      ``alarm_topic`` gets the alarms (the operations topic). Default: none.

    Example::

        BulkUserProvisioningWorkflow(self, "Bulk", user_provisioning=users, options=options,
                                     role_resources={"viewer": [{"type": "profile-record"}]})
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        user_provisioning: UserProvisioningWorkflow,
        role_resources: Mapping[str, Sequence[Mapping[str, Any]]],
        options: WorkflowOptions,
        bucket: s3.IBucket | None = None,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        tolerated_failure_percentage: float = DEFAULT_TOLERATED_FAILURE_PERCENTAGE,
        workflow_name: str = DEFAULT_WORKFLOW_NAME,
        timeout: Duration = DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__(scope, id)
        # The physical name: every fixed name below derives from it, so it carries the app's stage.
        workflow_name = staged_name(self, workflow_name)
        # Write results with ResultWriterV2 whatever the app's feature flags say (the V1 writer is
        # deprecated); set before any child exists, as construct context must be.
        self.node.set_context(_DISTRIBUTED_MAP_RESULT_WRITER_V2, True)
        _check_props(user_provisioning, role_resources, max_concurrency, tolerated_failure_percentage)
        self.bucket = bucket or secure_bucket(self, "BulkBucket")

        provision_each_user = sfn.DistributedMap(
            self,
            "Provision each user in the file",
            item_reader=sfn.S3CsvItemReader(
                bucket=self.bucket,
                key=sfn.JsonPath.string_at("$.key"),
                csv_headers=sfn.CsvHeaders.use_first_row(),
            ),
            item_selector={
                "correlationId": sfn.JsonPath.string_at("$.correlationId"),
                "row": sfn.JsonPath.object_at("$$.Map.Item.Value"),
            },
            max_concurrency=max_concurrency,
            tolerated_failure_percentage=tolerated_failure_percentage,
            result_writer_v2=sfn.ResultWriterV2(bucket=self.bucket, prefix=RESULTS_PREFIX),
            map_execution_type=sfn.StateMachineType.STANDARD,
            result_path="$.results",
        )
        provision_each_user.item_processor(
            self._one_row(user_provisioning, role_resources),
            mode=sfn.ProcessorMode.DISTRIBUTED,
            execution_type=sfn.ProcessorType.STANDARD,
        )
        provision_each_user.add_catch(
            sfn.Fail(
                self,
                "Too many users failed to provision",
                error=BULK_FAILED_ERROR,
                cause=f"More than {tolerated_failure_percentage}% of the rows failed; the per-row results "
                f"are under s3://{self.bucket.bucket_name}/{RESULTS_PREFIX}",
            ),
            errors=["States.ExceedToleratedFailureThreshold"],
        )
        report = sfn.Pass(
            self,
            "Return where the results are",
            parameters={
                "correlationId": sfn.JsonPath.string_at("$.correlationId"),
                "source": sfn.JsonPath.format(
                    f"s3://{self.bucket.bucket_name}/{{}}", sfn.JsonPath.string_at("$.key")
                ),
                "results": {
                    "bucket": sfn.JsonPath.string_at("$.results.ResultWriterDetails.Bucket"),
                    "manifest": sfn.JsonPath.string_at("$.results.ResultWriterDetails.Key"),
                },
            },
        )
        check_request = sfn.Choice(self, "Check the bulk request")
        check_request.when(
            sfn.Condition.and_(
                sfn.Condition.is_present("$.correlationId"),
                sfn.Condition.is_string("$.correlationId"),
                sfn.Condition.is_present("$.key"),
                sfn.Condition.is_string("$.key"),
                sfn.Condition.string_matches("$.key", f"{IMPORTS_PREFIX}*.csv"),
            ),
            provision_each_user.next(report),
        ).otherwise(
            sfn.Fail(
                self,
                "Reject the bulk request",
                error=REQUEST_INVALID_ERROR,
                cause=f"The input needs correlationId (a string) and key (a .csv object under "
                f"{IMPORTS_PREFIX} in the bulk bucket).",
            )
        )

        self.workflow = Workflow(
            self,
            "Workflow",
            workflow_name=workflow_name,
            description="Provisions every user of a CSV file, one user-provisioning execution each",
            definition=check_request,
            timeout=timeout,
            alarm_topic=options.alarm_topic,
            business_outcomes=BUSINESS_OUTCOMES,
        )
        self.state_machine = self.workflow.state_machine
        self._acknowledge_run_time_names()

    def _acknowledge_run_time_names(self) -> None:
        """Acknowledge, one by one, the wildcards a Distributed Map of child workflows needs.

        Any other wildcard stays a cdk-nag finding, for a person to look at.
        """
        stack = Stack.of(self)
        bucket_objects = {
            flatten_reference(stack.resolve(self.bucket.arn_for_objects("*"))),
            flatten_reference(stack.resolve(f"arn:{Aws.PARTITION}:s3:::{self.bucket.bucket_name}/*")),
        }
        for resource in wildcard_resources(self.state_machine):
            if ":execution:" in resource:
                reason = (
                    "Executions are named at run time: this workflow's own Map Run children (to describe, "
                    "stop and redrive them) and the user-provisioning executions it starts and waits for."
                )
            elif resource in bucket_objects:
                reason = (
                    "The CSV's key is given per execution (the first step requires imports/*.csv) and "
                    "results go to results/; both in this workflow's bucket only."
                )
            else:
                continue
            acknowledge_flattened_wildcard(self.state_machine, resource, reason=reason)

    def _one_row(
        self,
        user_provisioning: UserProvisioningWorkflow,
        role_resources: Mapping[str, Sequence[Mapping[str, Any]]],
    ) -> sfn.IChainable:
        provision = tasks.start_workflow(
            self,
            "Provision the user",
            state_machine=user_provisioning.state_machine,
            input={
                "tenantId": sfn.JsonPath.string_at("$.row.tenantId"),
                "user": {
                    "id": sfn.JsonPath.string_at("$.row.userId"),
                    "email": sfn.JsonPath.string_at("$.row.email"),
                    "role": sfn.JsonPath.string_at("$.row.role"),
                },
                "resources": sfn.JsonPath.object_at("$.resources"),
            },
            # Keep each row's result small: the results file holds one per row.
            result_selector={
                "execution": sfn.JsonPath.string_at("$.ExecutionArn"),
                "status": sfn.JsonPath.string_at("$.Output.status"),
                "resources": sfn.JsonPath.object_at("$.Output.resources"),
            },
        )
        choose = sfn.Choice(self, "Choose the resources for the role")
        for role, resources in role_resources.items():
            choose.when(
                sfn.Condition.string_equals("$.row.role", role),
                sfn.Pass(
                    self,
                    f"Use the {role} resources",
                    result=sfn.Result.from_array([dict(resource) for resource in resources]),
                    result_path="$.resources",
                ).next(provision),
            )
        choose.otherwise(
            sfn.Fail(
                self,
                "Reject the row with an unknown role",
                error=UNKNOWN_ROLE_ERROR,
                cause=f"The row's role is not one of: {', '.join(sorted(role_resources))}.",
            )
        )
        return choose


def _check_props(
    user_provisioning: UserProvisioningWorkflow,
    role_resources: Mapping[str, Sequence[Mapping[str, Any]]],
    max_concurrency: int,
    tolerated_failure_percentage: float,
) -> None:
    if not role_resources:
        raise InvalidPropsError("role_resources", "must give the resources of at least one role", {})
    known_types = set(user_provisioning.resource_steps)
    for role, resources in role_resources.items():
        if not _ROLE.match(role):
            raise InvalidPropsError("role_resources", f"keys must be roles matching {_ROLE.pattern}", role)
        for resource in resources:
            if resource.get("type") not in known_types:
                raise InvalidPropsError(
                    "role_resources",
                    f"[{role}] must only use types of the user-provisioning registry "
                    f"({', '.join(sorted(known_types))})",
                    resource.get("type"),
                )
    if not Token.is_unresolved(max_concurrency) and not 1 <= max_concurrency <= MAX_CONCURRENCY_LIMIT:
        raise InvalidPropsError(
            "max_concurrency", f"must be between 1 and {MAX_CONCURRENCY_LIMIT}", max_concurrency
        )
    if not 0 <= tolerated_failure_percentage <= 100:
        raise InvalidPropsError(
            "tolerated_failure_percentage", "must be between 0 and 100", tolerated_failure_percentage
        )
