"""Stack deployment: CloudFormation change sets, optional approval, and the failed events on failure.

The states are the library's :class:`~workflow_constructs.fragments.ChangeSetDeployment`; this
construct owns what they deploy with (bucket, topic, service role), the entry, the metrics and the
acknowledgements. Direct AWS SDK integrations and JSONata states only; one Lambda function, outside the
state machine, is the deployment entry (:mod:`business_workflows.deployment_entry`). Input::

    {"correlationId": "c-1", "stackName": "svc-orders", "reason": "Release 42",
     "templateUrl": "https://<template bucket>.s3.eu-west-1.amazonaws.com/orders/42.yaml",
     "parameters": {"Retention": "345600"}, "tags": {"team": "orders"}, "requireApproval": true}

``parameters`` and ``tags`` are objects (``{"Key": "value"}``). Parameters not given take their
template default (a deployment states the whole configuration). Tags not given keep the stack's
current tags. ``requireApproval`` defaults to false.

Steps: validate (``StackDeploymentRequestInvalid``, no side effects) -> describe the stack (CREATE or
UPDATE) -> create a change set named after the execution -> poll it (``ChangeSetTimedOut``) -> "no
changes" succeeds with ``changes: []``; another failure fails ``ChangeSetFailed`` -> publish the change
list -> when asked, wait for approval (``DeploymentRejected``, ``ApprovalTimedOut``) -> execute -> poll
the stack (``StackDeploymentTimedOut``) -> succeed with status and outputs, or fail
``StackDeploymentFailed`` with the last failed stack events as the cause.

Approval contract: deployments are requested and approved through the IAM-authorised entry
(``POST /deployments``, ``POST /approvals``; the operator CLI's ``workflows approve/reject EXECUTION``
call it), which records ``requestedBy`` in the input and answers the step "Ask for approval" (it
publishes to the notification topic with ``.waitForTaskToken``; its parameters hold
``Message.taskToken``) with ``{"approved": true, "approvedBy": "<the approver's ARN>"}``, or fails it
with ``DeploymentRejected``. Its ``TaskAnswerGuard`` leaves answering to the entry's function. The
step "Was the deployment approved" checks again that the approver is not the requester, and the
output records both (``requestedBy``, ``approvedBy``).
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Aws, Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from workflow_constructs.errors import InvalidPropsError
from workflow_constructs.fragments.change_set_deployment import (
    APPROVAL_STATE,
    DEFAULT_APPROVAL_TIMEOUT,
    DEFAULT_CAPABILITIES,
    DEFAULT_CHANGE_SET_MAX_POLLS,
    DEFAULT_CHANGE_SET_POLL_INTERVAL,
    DEFAULT_FAILURE_EVENT_COUNT,
    DEFAULT_FAILURE_EVENT_PAGES,
    DEFAULT_STACK_MAX_POLLS,
    DEFAULT_STACK_POLL_INTERVAL,
    REQUEST_INVALID_ERROR,
    STACK_NOT_DEPLOYABLE_ERROR,
    ChangeSetDeployment,
    validate_props,
)
from workflow_constructs.fragments.change_set_expressions import jsonata
from workflow_constructs.nag import acknowledge_flattened_wildcard
from workflow_constructs.retention import RETAINED
from workflow_constructs.stage import staged_name
from workflow_constructs.workflow import Workflow

from business_workflows.deployment_entry import DeploymentEntry
from business_workflows.metrics import count_metric
from business_workflows.options import WorkflowOptions
from business_workflows.storage import ACCESS_LOGS_BY_POLICY, access_log_bucket, data_bucket
from constructs import Construct
from lambdas.deployment_approvals import contract

# Error, state and metric names: one definition, shared with the entry's handlers
# (lambdas/deployment_approvals/contract.py).
WORKFLOW_NAME = contract.DEFAULT_WORKFLOW_NAME

BUSINESS_OUTCOMES = (REQUEST_INVALID_ERROR, STACK_NOT_DEPLOYABLE_ERROR)
"""A bad request, or a stack not in a state to deploy: stopped before anything was created. A rejected
or unapproved deployment still pages: it ends with that error even when deleting its change set
failed (tests/reliability found it), so counting it would hide a change set left behind."""

_TIMEOUT_MARGIN = Duration.minutes(30)  # retries, API latency and the steps between the loops

# How an approver answers: through the deployment entry, never with the token alone.
_APPROVAL_ANSWER = {
    "approve": jsonata("'workflows approve ' & $states.context.Execution.Name"),
    "reject": jsonata("'workflows reject ' & $states.context.Execution.Name"),
    "answer": "Approve or reject through the deployment entry (POST /approvals, IAM-signed): "
    "the approver is the signed caller and may not be the requester.",
}


# What the default service role lets CloudFormation do: the resources of a small message-driven
# service (SQS queues, SNS topics), each action taken from the resource types' CloudFormation
# handler permissions, on names CloudFormation generates from the stack name (<stack>-<Id>-<suffix>).
DEFAULT_SERVICE_ROLE_ACTIONS: dict[str, tuple[str, ...]] = {
    "sqs": (
        "sqs:CreateQueue",
        "sqs:DeleteQueue",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
        "sqs:ListQueueTags",
        "sqs:SetQueueAttributes",
        "sqs:TagQueue",
        "sqs:UntagQueue",
    ),
    "sns": (
        "sns:CreateTopic",
        "sns:DeleteTopic",
        "sns:GetTopicAttributes",
        "sns:ListSubscriptionsByTopic",
        "sns:ListTagsForResource",
        "sns:SetTopicAttributes",
        "sns:TagResource",
        "sns:UntagResource",
    ),
}


class StackDeployment(Construct):
    """Deploys CloudFormation stacks through change sets, the same way for every service.

    Creates the ``stack-deployment`` workflow (a :class:`~workflow_constructs.Workflow`) and, unless
    given, the template bucket, the notification topic (with its KMS key) and the CloudFormation
    service role. The state machine may only touch stacks named ``stack_name_prefix*``, only pass
    the service role to CloudFormation, and only read templates from the template bucket.

    The default service role may create, change and delete SQS queues and SNS topics whose names
    start with the prefix (CloudFormation names them ``<stack>-<LogicalId>-<suffix>``), nothing
    else. Give ``service_role_statements`` for what your services need, or your own ``service_role``.

    Attributes: ``workflow``, ``state_machine``, ``template_bucket``, ``notification_topic``,
    ``service_role``; ``entry`` (a :class:`DeploymentEntry`: the IAM-authorised API that requests and
    approves deployments) and ``answer_guard`` (its :class:`TaskAnswerGuard`; attach its ``policy`` to
    every operator, developer and CI role).

    Example::

        StackDeployment(self, "Deployments", stack_name_prefix="svc-",
                        options=WorkflowOptions(alarm_topic=operations_topic))
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        stack_name_prefix: str,
        options: WorkflowOptions,
        workflow_name: str = WORKFLOW_NAME,
        template_bucket: s3.IBucket | None = None,
        notification_topic: sns.ITopic | None = None,
        service_role: iam.IRole | None = None,
        service_role_statements: Sequence[iam.PolicyStatement] | None = None,
        capabilities: Sequence[str] = DEFAULT_CAPABILITIES,
        approval_timeout: Duration = DEFAULT_APPROVAL_TIMEOUT,
        change_set_poll_interval: Duration = DEFAULT_CHANGE_SET_POLL_INTERVAL,
        change_set_max_polls: int = DEFAULT_CHANGE_SET_MAX_POLLS,
        stack_poll_interval: Duration = DEFAULT_STACK_POLL_INTERVAL,
        stack_max_polls: int = DEFAULT_STACK_MAX_POLLS,
        failure_event_count: int = DEFAULT_FAILURE_EVENT_COUNT,
        failure_event_pages: int = DEFAULT_FAILURE_EVENT_PAGES,
    ) -> None:
        """Build the workflow.

        :param stack_name_prefix: the only stacks it may deploy; 1-64 letters, digits, '-'.
        :param workflow_name: the state machine's name, also the business metrics' namespace.
            Default: ``stack-deployment``; give another to have two (one per prefix) in an account.
        :param options: the app-wide settings (:class:`~business_workflows.options.WorkflowOptions`):
            ``alarm_topic`` gets the workflow's alarms (default: none); ``sentry_dsn_secret`` turns on
            Sentry reporting for the entry's function (default: off).
        :param template_bucket: where templates are uploaded. Default: a new versioned, encrypted,
            access-logged bucket.
        :param notification_topic: receives change lists and approval requests. Default: a new
            KMS-encrypted topic; subscribe the deploying team to it.
        :param service_role: the role CloudFormation deploys with. Default: a new role, see above.
        :param service_role_statements: the default role's permissions instead of SQS and SNS.
        :param capabilities: acknowledged for every change set. Default: ``CAPABILITY_IAM``.
        :param approval_timeout: how long a change set waits for a decision. Default: 24 hours.
        :param change_set_poll_interval: between change set checks. Default: 5 seconds.
        :param change_set_max_polls: checks before ``ChangeSetTimedOut``. Default: 60.
        :param stack_poll_interval: between stack checks while it deploys. Default: 15 seconds.
        :param stack_max_polls: checks before ``StackDeploymentTimedOut``. Default: 240.
        :param failure_event_count: failed events kept in the failure cause (the first ones of
            the deployment). Default: 10.
        :param failure_event_pages: DescribeStackEvents pages read at most for them. Default: 10.
        """
        super().__init__(scope, id)
        # The physical name: every fixed name below derives from it, so it carries the app's stage.
        workflow_name = staged_name(self, workflow_name)
        sentry_dsn_secret = options.sentry_dsn_secret
        # Access logs are delivered under a bucket policy, not the legacy log-delivery ACL, whatever
        # the consuming app's feature flags say (set before any child reads it).
        self.node.set_context(ACCESS_LOGS_BY_POLICY, True)
        _validate(
            stack_name_prefix=stack_name_prefix,
            service_role=service_role,
            service_role_statements=service_role_statements,
            capabilities=capabilities,
        )
        self.stack_name_prefix = stack_name_prefix
        self.sentry_dsn_secret = sentry_dsn_secret

        self.template_bucket = template_bucket or self._template_bucket()
        self.notification_topic = notification_topic or self._notification_topic()
        self.service_role = service_role or self._service_role(service_role_statements)

        self.deployment = ChangeSetDeployment(
            self,
            "Deployment",
            stack_name_prefix=stack_name_prefix,
            template_bucket=self.template_bucket,
            service_role=self.service_role,
            notification_topic=self.notification_topic,
            capabilities=capabilities,
            approval_timeout=approval_timeout,
            approval_message=_APPROVAL_ANSWER,
            change_set_poll_interval=change_set_poll_interval,
            change_set_max_polls=change_set_max_polls,
            stack_poll_interval=stack_poll_interval,
            stack_max_polls=stack_max_polls,
            failure_event_count=failure_event_count,
            failure_event_pages=failure_event_pages,
        )
        self.business_metrics = _business_metrics(namespace=workflow_name)
        self.workflow = Workflow(
            self,
            "Workflow",
            workflow_name=workflow_name,
            description="Deploys a CloudFormation stack through a change set, with optional approval",
            definition=self.deployment,
            timeout=self._workflow_timeout(),
            p99_duration_threshold=approval_timeout.plus(Duration.hours(1)),
            alarm_topic=options.alarm_topic,
            business_metrics=list(self.business_metrics.values()),
            business_outcomes=BUSINESS_OUTCOMES,
        )
        self.state_machine = self.workflow.state_machine
        self._grant_notification_key()
        self._metric_filters(self.workflow.log_group, namespace=workflow_name)
        self._acknowledge_scoped_wildcards()
        # Who asked and who approved must be people IAM authenticated, not what a caller wrote.
        self.entry = DeploymentEntry(
            self,
            "Entry",
            state_machine=self.state_machine,
            workflow_name=workflow_name,
            sentry_dsn_secret=sentry_dsn_secret,
        )
        self.answer_guard = self.entry.answer_guard

    # Resources ----------------------------------------------------------------------------------

    def _template_bucket(self) -> s3.Bucket:
        # Who read or replaced a template before CloudFormation deployed it is in the access logs
        # (CloudTrail records no object-level reads unless data events are paid for).
        return data_bucket(
            self,
            "TemplateBucket",
            access_logs=access_log_bucket(self, "TemplateBucketAccessLogs"),
            access_logs_prefix="templates/",
        )

    def _notification_topic(self) -> sns.Topic:
        key = kms.Key(
            self,
            "NotificationKey",
            description="Encrypts the stack-deployment notification topic",
            enable_key_rotation=True,
            removal_policy=RETAINED,
        )
        return sns.Topic(
            self,
            "NotificationTopic",
            display_name="Stack deployments: change lists and approval requests",
            master_key=key,
            enforce_ssl=True,
        )

    def _service_role(self, statements: Sequence[iam.PolicyStatement] | None) -> iam.Role:
        role = iam.Role(
            self,
            "ServiceRole",
            assumed_by=iam.ServicePrincipal("cloudformation.amazonaws.com"),
            description=f"CloudFormation deploys stacks named {self.stack_name_prefix}* with this role",
        )
        if statements is not None:
            for statement in statements:
                role.add_to_policy(statement)
            return role
        for statement in self._default_service_statements():
            role.add_to_policy(statement)
        for service in DEFAULT_SERVICE_ROLE_ACTIONS:
            acknowledge_flattened_wildcard(
                role,
                f"arn:<AWS::Partition>:{service}:<AWS::Region>:<AWS::AccountId>:{self.stack_name_prefix}*",
                reason="CloudFormation names the resources it creates <stack name>-<logical id>-"
                "<suffix>: the stack name prefix is the narrowest scope known before deployment.",
            )
        return role

    def _default_service_statements(self) -> list[iam.PolicyStatement]:
        prefix = self.stack_name_prefix
        return [
            iam.PolicyStatement(
                sid="ServiceQueues",
                actions=list(DEFAULT_SERVICE_ROLE_ACTIONS["sqs"]),
                resources=[f"arn:{Aws.PARTITION}:sqs:{Aws.REGION}:{Aws.ACCOUNT_ID}:{prefix}*"],
            ),
            iam.PolicyStatement(
                sid="ServiceTopics",
                actions=list(DEFAULT_SERVICE_ROLE_ACTIONS["sns"]),
                resources=[f"arn:{Aws.PARTITION}:sns:{Aws.REGION}:{Aws.ACCOUNT_ID}:{prefix}*"],
            ),
        ]

    def _workflow_timeout(self) -> Duration:
        return self.deployment.max_duration.plus(_TIMEOUT_MARGIN)

    def _grant_notification_key(self) -> None:
        self.deployment.grant_notification_key(self.state_machine)

    # Metrics and acknowledgements ---------------------------------------------------------------

    def _metric_filters(self, log_group: logs.ILogGroup, *, namespace: str) -> None:
        for metric_name, (event_type, state_name) in _BUSINESS_EVENTS.items():
            logs.MetricFilter(
                self,
                f"{metric_name}Filter",
                log_group=log_group,
                metric_namespace=namespace,
                metric_name=metric_name,
                filter_pattern=logs.FilterPattern.all(
                    logs.FilterPattern.string_value("$.type", "=", event_type),
                    logs.FilterPattern.string_value("$.details.name", "=", state_name),
                ),
                metric_value="1",
            )

    def _acknowledge_scoped_wildcards(self) -> None:
        self.deployment.acknowledge_scoped_wildcards(self.state_machine.role)


# Log events that count as business events: (event type, state name) by metric name.
_BUSINESS_EVENTS = {
    contract.METRIC_STACKS_DEPLOYED: ("SucceedStateEntered", contract.DEPLOYED_STATE),
    contract.METRIC_DEPLOYMENTS_WITHOUT_CHANGES: ("SucceedStateEntered", contract.NO_CHANGES_STATE),
    contract.METRIC_DEPLOYMENTS_FAILED: ("FailStateEntered", contract.FAILED_STATE),
    contract.METRIC_APPROVALS_REQUESTED: ("TaskStateEntered", APPROVAL_STATE),
}


def _business_metrics(*, namespace: str) -> dict[str, cloudwatch.Metric]:
    # Counted by the log metric filters of _metric_filters, which emit no dimension.
    return {name: count_metric(namespace, name, per_service=False) for name in _BUSINESS_EVENTS}


def _validate(
    *,
    stack_name_prefix: str,
    service_role: iam.IRole | None,
    service_role_statements: Sequence[iam.PolicyStatement] | None,
    capabilities: Sequence[str],
) -> None:
    # What names the resources is checked before any is made; the timings, by the fragment that uses them.
    validate_props(stack_name_prefix=stack_name_prefix, capabilities=capabilities, durations={}, counts={})
    if service_role is not None and service_role_statements is not None:
        raise InvalidPropsError(
            "service_role_statements",
            "apply to the service role this construct creates; give them to your own service_role instead",
            len(service_role_statements),
        )
    if service_role_statements is not None and not service_role_statements:
        raise InvalidPropsError(
            "service_role_statements", "must hold at least one statement, or be left out", []
        )
