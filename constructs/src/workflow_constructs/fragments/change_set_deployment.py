"""Change set deployment: any stack, through a CloudFormation change set, with optional approval.

A :class:`ChangeSetDeployment` is the whole sequence as a ``StateMachineFragment``, built from direct
AWS SDK integrations and JSONata states only (no Lambda). It reads the deployment request from the
state machine's input (``$states.input``), so it is the first state of its workflow::

    {"correlationId": "c-1", "stackName": "svc-orders", "reason": "Release 42",
     "templateUrl": "https://<template bucket>.s3.eu-west-1.amazonaws.com/orders/42.yaml",
     "parameters": {"Retention": "345600"}, "tags": {"team": "orders"}, "requireApproval": true,
     "requestedBy": "<who asked, as an IAM-authorised entry recorded it>"}

Steps: check the request (``StackDeploymentRequestInvalid``, no side effects) -> look up the stack
(CREATE or UPDATE) -> create a change set named after the execution -> poll it
(``ChangeSetTimedOut``) -> "no changes" succeeds with ``changes: []``; another failure fails
``ChangeSetFailed`` -> announce the change list, or, when ``requireApproval``, ask for approval on
the notification topic with ``.waitForTaskToken`` (``DeploymentRejected``, ``ApprovalTimedOut``) ->
execute -> poll the stack (``StackDeploymentTimedOut``) -> succeed with its status and outputs, or
fail ``StackDeploymentFailed`` with the tail of the deployment's failed stack events as the cause.
Whatever stops the run after the change set exists deletes it first.

The approval is answered with SendTaskSuccess ``{"approved": true, "approvedBy": "<approver>"}``
(the approver may not be ``requestedBy``) or SendTaskFailure ``DeploymentRejected``; the message
carries the token as ``taskToken``. CloudFormation throttling arrives as its generic error class,
so each call's Catch tells throttling apart by the Cause and calls again after a jittered wait.

Example::

    deployment = ChangeSetDeployment(
        self, "Deploy", stack_name_prefix="svc-", template_bucket=bucket,
        service_role=cloudformation_role, notification_topic=topic,
    )
    Workflow(self, "Deployments", workflow_name="deployments", definition=deployment, ...)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from aws_cdk import Aws, Duration, Stack, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as sfn_tasks

from constructs import Construct
from workflow_constructs import tasks
from workflow_constructs.errors import InvalidPropsError
from workflow_constructs.fragments import change_set_expressions as expr
from workflow_constructs.nag import acknowledge_flattened_wildcard, acknowledge_wildcard_resource
from workflow_constructs.retry import NoRetry

REQUEST_INVALID_ERROR = "StackDeploymentRequestInvalid"
STACK_NOT_DEPLOYABLE_ERROR = "StackNotDeployable"
CHANGE_SET_FAILED_ERROR = "ChangeSetFailed"
CHANGE_SET_TIMED_OUT_ERROR = "ChangeSetTimedOut"
DEPLOYMENT_REJECTED_ERROR = "DeploymentRejected"
APPROVAL_TIMED_OUT_ERROR = "ApprovalTimedOut"
STACK_DEPLOYMENT_FAILED_ERROR = "StackDeploymentFailed"
STACK_DEPLOYMENT_TIMED_OUT_ERROR = "StackDeploymentTimedOut"

APPROVAL_STATE = "Ask for approval"
"""The callback step; its TaskScheduled parameters carry ``Message.taskToken``."""
APPROVAL_TASK_TOKEN_FIELD = "taskToken"  # noqa: S105 - the name of a message field, not a secret

DEFAULT_APPROVAL_TIMEOUT = Duration.hours(24)
DEFAULT_CHANGE_SET_POLL_INTERVAL = Duration.seconds(5)
DEFAULT_CHANGE_SET_MAX_POLLS = 60  # 5 minutes at 5 s
DEFAULT_STACK_POLL_INTERVAL = Duration.seconds(15)
DEFAULT_STACK_MAX_POLLS = 240  # 1 hour at 15 s
DEFAULT_FAILURE_EVENT_COUNT = 10
DEFAULT_FAILURE_EVENT_PAGES = 10  # DescribeStackEvents pages (100 events each) read at most
THROTTLED_CALL_MAX_RETRIES = 8  # then the throttled call fails like any other
THROTTLED_CALL_MAX_WAIT_SECONDS = 60  # the longest wait before calling again: 1 minute
DEFAULT_CAPABILITIES = ("CAPABILITY_IAM",)
CAPABILITIES = ("CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND")

_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,63}$")
_JSONATA = sfn.QueryLanguage.JSONATA
_J = expr.jsonata


class ChangeSetDeployment(sfn.StateMachineFragment):
    """Deploys one stack, named in the request, through a change set; see the module docstring.

    The states may only touch stacks named ``stack_name_prefix*``, only pass ``service_role`` to
    CloudFormation and only read templates from ``template_bucket``. The fragment ends in its own
    Succeed and Fail states (``end_states`` is empty): it is a whole workflow's definition.

    Attributes: ``stack_name_prefix``, ``template_bucket``, ``service_role``, ``notification_topic``,
    ``stack_arn_pattern`` (what the state machine's role may act on, for an acknowledgement), and
    ``max_duration`` (the longest a run can take by the polls and the approval, without API latency).

    Example::

        ChangeSetDeployment(self, "Deploy", stack_name_prefix="svc-", template_bucket=bucket,
                            service_role=role, notification_topic=topic)
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        stack_name_prefix: str,
        template_bucket: s3.IBucket,
        service_role: iam.IRole,
        notification_topic: sns.ITopic,
        capabilities: Sequence[str] = DEFAULT_CAPABILITIES,
        approval_timeout: Duration = DEFAULT_APPROVAL_TIMEOUT,
        approval_message: Mapping[str, object] | None = None,
        change_set_poll_interval: Duration = DEFAULT_CHANGE_SET_POLL_INTERVAL,
        change_set_max_polls: int = DEFAULT_CHANGE_SET_MAX_POLLS,
        stack_poll_interval: Duration = DEFAULT_STACK_POLL_INTERVAL,
        stack_max_polls: int = DEFAULT_STACK_MAX_POLLS,
        failure_event_count: int = DEFAULT_FAILURE_EVENT_COUNT,
        failure_event_pages: int = DEFAULT_FAILURE_EVENT_PAGES,
    ) -> None:
        """Build the states.

        :param stack_name_prefix: the only stacks it may deploy; 1-64 letters, digits, '-'.
        :param template_bucket: the only bucket templates are read from (``templateUrl``).
        :param service_role: the role CloudFormation deploys with (passed to it, to nothing else).
        :param notification_topic: receives change lists and approval requests. A topic encrypted
            with a customer key needs its key granted: :meth:`grant_notification_key`.
        :param capabilities: acknowledged for every change set. Default: ``CAPABILITY_IAM``.
        :param approval_timeout: how long a change set waits for a decision. Default: 24 hours.
        :param approval_message: more fields of the approval request (how to answer, say), after
            the change list and ``taskToken``. Default: none.
        :param change_set_poll_interval: between change set checks. Default: 5 seconds.
        :param change_set_max_polls: checks before ``ChangeSetTimedOut``. Default: 60.
        :param stack_poll_interval: between stack checks while it deploys. Default: 15 seconds.
        :param stack_max_polls: checks before ``StackDeploymentTimedOut``. Default: 240.
        :param failure_event_count: failed events kept in the failure cause (the first ones of
            the deployment). Default: 10.
        :param failure_event_pages: DescribeStackEvents pages read at most for them. Default: 10.
        """
        validate_props(
            stack_name_prefix=stack_name_prefix,
            capabilities=capabilities,
            durations={
                "approval_timeout": approval_timeout,
                "change_set_poll_interval": change_set_poll_interval,
                "stack_poll_interval": stack_poll_interval,
            },
            counts={
                "change_set_max_polls": (change_set_max_polls, 1, 1000),
                "stack_max_polls": (stack_max_polls, 1, 10_000),
                "failure_event_count": (failure_event_count, 1, 100),
                "failure_event_pages": (failure_event_pages, 1, 100),
            },
        )
        if approval_message is not None and APPROVAL_TASK_TOKEN_FIELD in approval_message:
            raise InvalidPropsError(
                "approval_message",
                f"must not set '{APPROVAL_TASK_TOKEN_FIELD}'; the step adds it",
                dict(approval_message),
            )
        super().__init__(scope, id)
        self.stack_name_prefix = stack_name_prefix
        self.template_bucket = template_bucket
        self.service_role = service_role
        self.notification_topic = notification_topic
        self._capabilities = tuple(capabilities)
        self._approval_timeout = approval_timeout
        self._approval_message = dict(approval_message or {})
        self._change_set_poll_interval = change_set_poll_interval
        self._change_set_max_polls = change_set_max_polls
        self._stack_poll_interval = stack_poll_interval
        self._stack_max_polls = stack_max_polls
        self._failure_event_count = failure_event_count
        self._failure_event_pages = failure_event_pages
        self.stack_arn_pattern = self._stack_arn_pattern()
        self._start = self._definition()

    @property
    def start_state(self) -> sfn.State:
        """The first state: "Check the deployment request"."""
        return self._start

    @property
    def end_states(self) -> list[sfn.INextable]:
        """None: every path ends in a Succeed or Fail state of the fragment."""
        return []

    def grant_notification_key(self, state_machine: sfn.StateMachine) -> None:
        """Let ``state_machine`` publish to a notification topic encrypted with a customer key.

        Only ``kms:GenerateDataKey`` and ``kms:Decrypt`` on that key; nothing for a topic without one.
        """
        key = self.notification_topic.master_key
        if key is not None:
            state_machine.add_to_role_policy(
                iam.PolicyStatement(actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[key.key_arn])
            )

    def acknowledge_scoped_wildcards(self, role: iam.IRole) -> None:
        """Acknowledge, on the state machine's ``role``, the two wildcards its policy needs.

        The stack ARN ends in ``<prefix>*/*`` (a new stack's id is unknown until it exists), and a
        template bucket of the same stack allows ``<bucket>/*`` (any template in it may be deployed).
        A bucket of another stack is referenced by name there; acknowledge that one yourself.
        """
        acknowledge_flattened_wildcard(
            role,
            f"arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/{self.stack_name_prefix}*/*",
            reason="Only stacks named with the deployment prefix; the stack id part of the ARN is "
            "unknown until the stack exists.",
        )
        bucket = self.template_bucket
        if isinstance(bucket, s3.Bucket) and Stack.of(bucket) is Stack.of(role):
            acknowledge_wildcard_resource(
                role,
                bucket.arn_for_objects("*"),
                reason="Any template in the template bucket may be deployed; CloudFormation reads it "
                "with the caller's permissions.",
            )

    @property
    def max_duration(self) -> Duration:
        """The polls' and the approval's longest wait in all (add a margin for retries and latency)."""
        change_set = self._change_set_poll_interval.to_seconds() * self._change_set_max_polls
        stack = self._stack_poll_interval.to_seconds() * self._stack_max_polls
        return Duration.seconds(change_set + self._approval_timeout.to_seconds() + stack)

    def _stack_arn_pattern(self) -> str:
        # Change set actions are authorized on the stack; a new stack's id is not known yet.
        region = f"arn:{Aws.PARTITION}:cloudformation:{Aws.REGION}:{Aws.ACCOUNT_ID}"
        return f"{region}:stack/{self.stack_name_prefix}*/*"

    def _cloudformation(
        self,
        name: str,
        action: str,
        arguments: dict[str, object],
        *,
        extra_statements: Sequence[iam.PolicyStatement] = (),
        assign: dict[str, object] | None = None,
        outputs: object = None,
    ) -> sfn_tasks.CallAwsService:
        return tasks.aws_sdk_call(
            self,
            name,
            service="cloudformation",
            action=action,
            parameters=arguments,
            iam_resources=[self._stack_arn_pattern()],
            additional_iam_statements=list(extra_statements),
            query_language=_JSONATA,
            assign={**(assign or {}), "throttles": 0},
            outputs=outputs,
            retry=_THROTTLING_BY_CAUSE,
        )

    def _on_failure(
        self,
        task: sfn_tasks.CallAwsService,
        target: sfn.IChainable,
        *,
        assign: dict[str, object] | None = None,
        errors: Sequence[str] = ("States.ALL",),
    ) -> None:
        """A throttled ``task`` is called again after a jittered wait; any other failure goes to ``target``.

        ``assign`` reads the failure from ``$callError`` (what the Catch caught).
        """
        name = task.node.id
        lowered = name[:1].lower() + name[1:]
        wait = sfn.Wait.jsonata(
            self,
            f"Wait then {lowered} again",
            # A JSONata Wait takes its expression in Seconds; CDK renders SecondsPath for a path, so
            # the expression goes in as a number token.
            time=sfn.WaitTime.duration(
                Duration.seconds(
                    Token.as_number(
                        _J(expr.throttled_wait_seconds(max_seconds=THROTTLED_CALL_MAX_WAIT_SECONDS))
                    )
                )
            ),
        )
        wait.next(task)
        throttled = sfn.Choice.jsonata(self, f"Was the call to {lowered} throttled")
        throttled.when(
            sfn.Condition.jsonata(_J(expr.was_throttled(max_retries=THROTTLED_CALL_MAX_RETRIES))), wait
        )
        throttled.when(sfn.Condition.jsonata(_J("true")), target, assign=assign)
        task.add_catch(
            throttled,
            errors=list(errors),
            assign={"callError": _J("$states.errorOutput"), "throttles": _J("$throttles + 1")},
        )

    def _definition(self) -> sfn.State:
        stop = sfn.Fail.jsonata(
            self, "Stop the deployment", error=_J("$failure.error"), cause=_J("$failure.cause")
        )
        delete = self._cloudformation(
            "Delete the change set", "deleteChangeSet", {"ChangeSetName": _J("$changeSetId")}
        )
        # Cleaning up is best effort: the reason for stopping stays the failure already recorded.
        self._on_failure(delete, stop)
        delete.next(stop)

        check = sfn.Pass.jsonata(
            self,
            "Check the deployment request",
            assign={
                "problems": _J(
                    expr.request_problems(
                        stack_name_prefix=self.stack_name_prefix,
                        template_bucket_name=self.template_bucket.bucket_name,
                    )
                ),
                "request": _J(expr.deployment_request()),
                "changeSetName": _J(expr.change_set_name()),
                # Every variable a later state reads is set on every path.
                "changeSetType": "UPDATE",
                "changes": [],
                "approvedBy": _J("null"),
                "throttles": 0,
                "failedEvents": [],
            },
        )
        valid = sfn.Choice.jsonata(self, "Is the request valid")
        invalid = sfn.Fail.jsonata(
            self,
            "Reject the invalid request",
            error=REQUEST_INVALID_ERROR,
            cause=_J("$join($problems, '; ')"),
        )
        lookup = self._cloudformation(
            "Look up the stack",
            "describeStacks",
            {"StackName": _J("$request.stackName")},
            assign={
                "stack": _J("$states.result.Stacks[0]"),
                "stackStatus": _J("$states.result.Stacks[0].StackStatus"),
            },
            outputs=_J("{'stackStatus': $states.result.Stacks[0].StackStatus}"),
        )
        choose = sfn.Choice.jsonata(self, "Choose create or update")
        # A throttled look-up is made again, never taken for a missing stack.
        self._on_failure(
            lookup,
            choose,
            errors=["States.TaskFailed"],
            assign={
                "stack": {},
                "stackStatus": _J(expr.stack_status_after_lookup_error()),
                "failure": _call_failure(),
            },
        )
        check.next(valid)
        valid.when(sfn.Condition.jsonata(_J("$count($problems) > 0")), invalid)
        valid.otherwise(lookup)
        lookup.next(choose)

        create = self._create_change_set()
        # The same ClientToken on the repeated call returns the change set the first one made.
        self._on_failure(create, stop, assign={"failure": _call_failure()})
        choose.when(
            sfn.Condition.jsonata(_J(expr.is_creatable())), create, assign={"changeSetType": "CREATE"}
        )
        choose.when(
            sfn.Condition.jsonata(_J(expr.is_updatable())), create, assign={"changeSetType": "UPDATE"}
        )
        choose.when(sfn.Condition.jsonata(_J(expr.lookup_failed())), stop)
        # Failed creation, an operation in progress, a deletion: no change set now. A Default cannot
        # assign, so the last rule always matches.
        choose.when(
            sfn.Condition.jsonata(_J("true")),
            stop,
            assign={
                "failure": {"error": STACK_NOT_DEPLOYABLE_ERROR, "cause": _J(expr.not_deployable_cause())}
            },
        )

        wait = sfn.Wait.jsonata(
            self, "Wait for the change set", time=sfn.WaitTime.duration(self._change_set_poll_interval)
        )
        describe = self._describe_change_set("Check the change set", first_page=True)
        more = self._describe_change_set("Read more of the change set", first_page=False)
        ready = sfn.Choice.jsonata(self, "Is the change set ready")
        create.next(wait).next(describe).next(ready)
        more.next(ready)

        nothing = sfn.Succeed.jsonata(
            self, "Report that nothing changed", outputs=_J(expr.deployment_result(changes="[]"))
        )
        delete_empty = self._cloudformation(
            "Delete the empty change set", "deleteChangeSet", {"ChangeSetName": _J("$changeSetId")}
        )
        # A FAILED change set left behind cannot be executed and does no harm: "no changes" stays a success.
        self._on_failure(delete_empty, nothing)
        delete_empty.next(nothing)

        approval_needed = sfn.Choice.jsonata(self, "Is approval required")
        complete = "$changeSetStatus = 'CREATE_COMPLETE'"
        ready.when(sfn.Condition.jsonata(_J(f"{complete} and $type($nextToken) = 'string'")), more)
        ready.when(sfn.Condition.jsonata(_J(complete)), approval_needed)
        ready.when(sfn.Condition.jsonata(_J(expr.is_no_changes_failure())), delete_empty)
        ready.when(
            sfn.Condition.jsonata(_J("$changeSetStatus = 'FAILED'")),
            delete,
            assign={"failure": {"error": CHANGE_SET_FAILED_ERROR, "cause": _J("$changeSetReason")}},
        )
        ready.when(
            sfn.Condition.jsonata(
                _J(expr.polls_left(counter="changeSetPolls", max_polls=self._change_set_max_polls))
            ),
            wait,
        )
        ready.when(
            sfn.Condition.jsonata(_J("true")),
            delete,
            assign={
                "failure": {
                    "error": CHANGE_SET_TIMED_OUT_ERROR,
                    "cause": _J(
                        expr.change_set_timed_out_cause(
                            max_polls=self._change_set_max_polls,
                            interval=self._change_set_poll_interval.to_human_string(),
                        )
                    ),
                }
            },
        )

        execute = self._execute()
        # Throttled: executed again (the ClientRequestToken makes a repeat harmless), the approval kept.
        # Refused (the change set went stale while it waited, say): it will never run, so it goes.
        self._on_failure(execute, delete, assign={"failure": _call_failure()})
        # Any other failure between creating and executing it would leave an executable change set
        # that nobody approved: it goes too, and the run stops with that failure.
        for step in (describe, more):
            self._on_failure(step, delete, assign={"failure": _call_failure()})
        ask = self._ask_for_approval(on_failure=delete)
        approved = sfn.Choice.jsonata(self, "Was the deployment approved")
        ask.next(approved)
        approved.when(sfn.Condition.jsonata(_J(expr.approved_by_another())), execute)
        approved.when(
            sfn.Condition.jsonata(_J("$approved")),
            delete,
            assign={
                "failure": {
                    "error": DEPLOYMENT_REJECTED_ERROR,
                    "cause": "The approval did not name an approver other than the requester.",
                }
            },
        )
        approved.when(
            sfn.Condition.jsonata(_J("true")),
            delete,
            assign={
                "failure": {
                    "error": DEPLOYMENT_REJECTED_ERROR,
                    "cause": "The approval answer did not say approved: true.",
                }
            },
        )
        announce = tasks.publish_to_topic(
            self,
            "Announce the changes",
            topic=self.notification_topic,
            message=sfn.TaskInput.from_object(self._notification("StackDeploymentChanges")),
            subject=_J("$substring('Deploying changes to ' & $request.stackName, 0, 100)"),
            query_language=_JSONATA,
            outputs=_J("{'changes': $changes}"),
        )
        announce.add_catch(delete, errors=["States.ALL"], assign={"failure": _caught_failure()})
        approval_needed.when(sfn.Condition.jsonata(_J("$request.requireApproval")), ask)
        approval_needed.otherwise(announce)
        announce.next(execute)

        self._follow_the_stack(execute, stop)
        return check

    def _create_change_set(self) -> sfn_tasks.CallAwsService:
        arguments: dict[str, object] = {
            "StackName": _J("$request.stackName"),
            "ChangeSetName": _J("$changeSetName"),
            # The same token on a retried call returns the same change set instead of a second one.
            "ClientToken": _J("$changeSetName"),
            "ChangeSetType": _J("$changeSetType"),
            "TemplateURL": _J("$request.templateUrl"),
            "Parameters": _J("$request.parameters"),
            "Tags": _J(expr.tags_argument()),
            "RoleARN": self.service_role.role_arn,
            "Description": _J("$request.reason"),
        }
        if self._capabilities:
            arguments["Capabilities"] = list(self._capabilities)
        read_templates = iam.PolicyStatement(
            # CloudFormation fetches TemplateURL with the caller's permissions.
            actions=["s3:GetObject", "s3:GetObjectVersion"],
            resources=[self.template_bucket.arn_for_objects("*")],
        )
        return self._cloudformation(
            "Create the change set",
            "createChangeSet",
            arguments,
            extra_statements=[read_templates, self._pass_service_role()],
            assign={
                "changeSetId": _J("$states.result.Id"),
                "stackId": _J("$states.result.StackId"),
                "changeSetPolls": 0,
            },
            outputs=_J("{'changeSetId': $states.result.Id, 'changeSetType': $changeSetType}"),
        )

    def _pass_service_role(self) -> iam.PolicyStatement:
        return iam.PolicyStatement(
            actions=["iam:PassRole"],
            resources=[self.service_role.role_arn],
            conditions={"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}},
        )

    def _describe_change_set(self, name: str, *, first_page: bool) -> sfn_tasks.CallAwsService:
        arguments: dict[str, object] = {"ChangeSetName": _J("$changeSetId")}
        assign: dict[str, object] = {
            "changeSetStatus": _J("$states.result.Status"),
            "changeSetReason": _J(expr.present_or("$states.result.StatusReason", "''")),
            "changes": _J(expr.change_list(append_to_previous=not first_page)),
            "nextToken": _J(expr.present_or("$states.result.NextToken", "null")),
        }
        if first_page:
            assign["changeSetPolls"] = _J("$changeSetPolls + 1")
        else:
            arguments["NextToken"] = _J("$nextToken")
        return self._cloudformation(
            name,
            "describeChangeSet",
            arguments,
            assign=assign,
            outputs=_J("{'status': $states.result.Status, 'statusReason': $states.result.StatusReason}"),
        )

    def _notification(self, kind: str) -> dict[str, object]:
        return {
            "type": kind,
            "correlationId": _J("$request.correlationId"),
            "execution": _J("$states.context.Execution.Id"),
            "stackName": _J("$request.stackName"),
            "changeSetName": _J("$changeSetName"),
            "changeSetType": _J("$changeSetType"),
            "reason": _J("$request.reason"),
            "summary": _J(expr.change_summary()),
            "changes": _J("$changes"),
        }

    def _ask_for_approval(self, *, on_failure: sfn.IChainable) -> sfn_tasks.SnsPublish:
        message = {
            **self._notification("StackDeploymentApprovalRequest"),
            APPROVAL_TASK_TOKEN_FIELD: _J("$states.context.Task.Token"),
            **self._approval_message,
        }
        ask = tasks.publish_to_topic(
            self,
            APPROVAL_STATE,
            topic=self.notification_topic,
            message=sfn.TaskInput.from_object(message),
            subject=_J("$substring('Approve deployment of ' & $request.stackName, 0, 100)"),
            integration_pattern=sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
            task_timeout=sfn.Timeout.duration(self._approval_timeout),
            query_language=_JSONATA,
            assign={
                "approved": _J("$states.result.approved = true"),
                "approvedBy": _J(expr.present_or("$states.result.approvedBy", "null")),
            },
            outputs=_J("$states.result"),
        )
        timed_out = {
            "error": APPROVAL_TIMED_OUT_ERROR,
            "cause": f"No decision within {self._approval_timeout.to_human_string()}; "
            "the change set was deleted.",
        }
        # A rejection, no decision in time, or a failed request for approval: the change set goes.
        ask.add_catch(on_failure, errors=["States.Timeout"], assign={"failure": timed_out})
        ask.add_catch(on_failure, errors=["States.ALL"], assign={"failure": _caught_failure()})
        return ask

    def _execute(self) -> sfn_tasks.CallAwsService:
        return self._cloudformation(
            "Execute the change set",
            "executeChangeSet",
            {
                "ChangeSetName": _J("$changeSetId"),
                # Tags every stack event of this deployment, which is how the failed ones are found.
                "ClientRequestToken": _J("$changeSetName"),
            },
            extra_statements=[self._pass_service_role()],
            assign={"stackPolls": 0},
            outputs=_J("{'changeSetId': $changeSetId}"),
        )

    def _follow_the_stack(self, execute: sfn_tasks.CallAwsService, stop: sfn.IChainable) -> None:
        wait = sfn.Wait.jsonata(
            self, "Wait for the stack to settle", time=sfn.WaitTime.duration(self._stack_poll_interval)
        )
        describe = self._cloudformation(
            "Check the stack",
            "describeStacks",
            {"StackName": _J("$stackId")},
            assign={"stack": _J("$states.result.Stacks[0]"), "stackPolls": _J("$stackPolls + 1")},
            outputs=_J("{'stackStatus': $states.result.Stacks[0].StackStatus}"),
        )
        settled = sfn.Choice.jsonata(self, "Has the stack settled")
        execute.next(wait).next(describe).next(settled)
        # A throttled poll is made again: CloudFormation carries on deploying meanwhile.
        self._on_failure(describe, stop, assign={"failure": _call_failure()})

        deployed = sfn.Succeed.jsonata(
            self, "Report the deployed stack", outputs=_J(expr.deployment_result(changes="$changes"))
        )
        failed = sfn.Fail.jsonata(
            self,
            "Report the failed deployment",
            error=STACK_DEPLOYMENT_FAILED_ERROR,
            cause=_J(expr.deployment_failure_cause(count=self._failure_event_count)),
        )
        events = self._read_failed_events(failed)

        in_progress = expr.is_in_progress()
        settled.when(sfn.Condition.jsonata(_J(expr.is_settled_successfully())), deployed)
        settled.when(
            sfn.Condition.jsonata(
                _J(
                    f"{in_progress} and "
                    + expr.polls_left(counter="stackPolls", max_polls=self._stack_max_polls)
                )
            ),
            wait,
        )
        settled.when(
            sfn.Condition.jsonata(_J(in_progress)),
            stop,
            assign={
                "failure": {
                    "error": STACK_DEPLOYMENT_TIMED_OUT_ERROR,
                    "cause": _J(
                        expr.stack_timed_out_cause(
                            max_polls=self._stack_max_polls,
                            interval=self._stack_poll_interval.to_human_string(),
                        )
                    ),
                }
            },
        )
        settled.otherwise(events)

    def _read_failed_events(self, failed: sfn.IChainable) -> sfn.IChainable:
        """Page through DescribeStackEvents (newest first) until this deployment's events run out.

        At most ``failure_event_pages`` pages: on a large rollback the first failure, the real
        cause, is pages behind the rollback's own events.
        """

        def page(name: str, *, first: bool) -> sfn_tasks.CallAwsService:
            arguments: dict[str, object] = {"StackName": _J("$stackId")}
            if not first:
                arguments["NextToken"] = _J("$eventsToken")
            return self._cloudformation(
                name,
                "describeStackEvents",
                arguments,
                assign={
                    "failedEvents": _J(expr.failed_events_so_far(first_page=first)),
                    "eventsToken": _J(expr.present_or("$states.result.NextToken", "null")),
                    "eventsRunOut": _J(expr.events_of_deployment_run_out()),
                    "eventPages": _J("1" if first else "$eventPages + 1"),
                },
                outputs=_J("{'events': $count($states.result.StackEvents)}"),
            )

        first = page("Read the failed stack events", first=True)
        more = page("Read more stack events", first=False)
        enough = sfn.Choice.jsonata(self, "Are there more events of this deployment")
        first.next(enough)
        more.next(enough)
        enough.when(
            sfn.Condition.jsonata(_J(f"$not($eventsRunOut) and $eventPages < {self._failure_event_pages}")),
            more,
        )
        enough.otherwise(failed)
        # Without the events the cause still names the final status and its reason; what the pages
        # already read is kept.
        self._on_failure(first, failed)
        self._on_failure(more, failed)
        return first


def _caught_failure() -> dict[str, str]:
    """The error a Catch caught (``$states.errorOutput``), as the failure to stop with."""
    return {
        "error": _J("$states.errorOutput.Error"),
        "cause": _J(expr.present_or("$states.errorOutput.Cause", "''")),
    }


def _call_failure() -> dict[str, str]:
    """The error of a CloudFormation call that was not throttled (``$callError``), to stop with."""
    return {
        "error": _J("$callError.Error"),
        "cause": _J(expr.present_or("$callError.Cause", "''")),
    }


# CloudFormation models no transient error: throttling comes as the generic class, shared with
# permanent failures, so a Retry cannot tell them apart. Each call's Catch does (StackDeployment._on_failure).
_THROTTLING_BY_CAUSE = NoRetry(
    reason="CloudFormation throttling arrives as the generic CloudFormationException, like permanent "
    "errors: the Catch tells them apart by the Cause and calls again after a jittered wait"
)


def validate_props(
    *,
    stack_name_prefix: str,
    capabilities: Sequence[str],
    durations: Mapping[str, Duration],
    counts: Mapping[str, tuple[int, int, int]],
) -> None:
    """Raise :class:`InvalidPropsError` for the first prop a deployment cannot use.

    ``durations`` must be whole seconds, at least 1; ``counts`` are ``(value, low, high)``. Values
    unknown until deploy (tokens) are skipped.
    """
    if not Token.is_unresolved(stack_name_prefix) and not _PREFIX.match(stack_name_prefix):
        raise InvalidPropsError(
            "stack_name_prefix",
            "must be 1-64 letters, digits and '-', starting with a letter",
            stack_name_prefix,
        )
    unknown = sorted(set(capabilities) - set(CAPABILITIES))
    if unknown:
        raise InvalidPropsError("capabilities", f"must each be one of {list(CAPABILITIES)}", unknown)
    for name, duration in durations.items():
        if duration.is_unresolved():
            continue
        milliseconds = duration.to_milliseconds()
        if milliseconds < 1000 or milliseconds % 1000:
            # Wait states and task timeouts count in whole seconds.
            raise InvalidPropsError(
                name, "must be a whole number of seconds, at least 1", duration.to_human_string()
            )
    for name, (value, low, high) in counts.items():
        if not low <= value <= high:
            raise InvalidPropsError(name, f"must be between {low} and {high}", value)
