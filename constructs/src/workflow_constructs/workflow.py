"""The Workflow construct: a state machine with logging, tracing, alarms and a dashboard built in."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from aws_cdk import (
    Acknowledgment,
    Annotations,
    ArnFormat,
    Duration,
    Stack,
    Tags,
    Token,
    Validations,
)
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn

from constructs import Construct
from workflow_constructs.cfn_lint import REDUNDANT_ROLE_DEPENDENCY, ignore_cfn_lint
from workflow_constructs.errors import InvalidPropsError
from workflow_constructs.log_encryption import log_encryption_key as stack_log_key
from workflow_constructs.retention import RETAINED
from workflow_constructs.stage import stage_of

DEFAULT_TIMEOUT = Duration.hours(1)
DEFAULT_LOG_RETENTION = logs.RetentionDays.THREE_MONTHS
DEFAULT_P99_DURATION_THRESHOLD = Duration.minutes(5)
ALARM_PERIOD = Duration.minutes(5)
"""Each alarm looks at one 5-minute period: one failed execution is enough to page."""
LOG_GROUP_PREFIX = "/aws/vendedlogs/states/"
OUTCOMES_NAMESPACE_PREFIX = "Workflows/"
"""Business outcomes are counted in ``Workflows/<workflow_name>``, one metric per outcome (its error)."""
WORKFLOW_TAG = "workflow"
"""Tag on every state machine: the workflow's name, which the operator CLI looks up."""

_WORKFLOW_NAME = re.compile(r"^[a-z][a-z0-9-]{0,62}[a-z0-9]$")
# A Fail state's Error, as the workflows name them: a CloudWatch metric name too (no dots, no spaces).
_OUTCOME_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,127}$")


class Workflow(Construct):
    """A Step Functions workflow with the operational defaults a team should not have to remember.

    Creates the state machine (named ``workflow_name``, the physical name: when the app has a
    stage, ``-c stage=dev``, it must carry it: ``workflow_name=staged_name(self, "onboarding")``,
    see ``workflow_constructs.stage``) and, by default:

    - a log group ``/aws/vendedlogs/states/<workflow_name>`` at level ALL, kept
      ``log_retention``, retained when the stack is deleted, and encrypted with
      ``log_encryption_key`` (default: the stack's log key, ``log_encryption.log_encryption_key``);
    - X-Ray tracing;
    - alarms named ``<workflow_name>-<signal>`` on failed, timed-out, throttled and aborted
      executions (one in 5 minutes is enough) and on p99 duration over ``p99_duration_threshold``,
      each notifying ``alarm_topic`` when it fires and when it clears (a synth warning says so
      when there is no topic);
    - ``business_outcomes``: the errors of Fail states that end a run as the business intends
      (``PaymentDeclined``, a rejected request). Each is counted as the metric ``<error>`` in
      ``Workflows/<workflow_name>`` (a metric filter on the log group, see ``outcome_metric``), shown
      on the dashboard and subtracted from the failed-executions alarm, which so pages only for
      unexpected failures. Default: none (every failed execution pages);
    - a CloudWatch dashboard ``<workflow_name>-<region>``: on-call hints, alarm status,
      executions, failures, duration (p50, p99 against the alarm threshold) and
      ``business_metrics`` (``PythonFunction.business_metric`` builds them).

    Attributes: ``state_machine``, ``log_group``, ``alarms`` (by name), ``dashboard``.

    Example::

        Workflow(self, "Onboarding", workflow_name="customer-onboarding",
                 definition=validate.next(record).next(provision), alarm_topic=operations)
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        workflow_name: str,
        definition: sfn.IChainable,
        description: str | None = None,
        workflow_type: sfn.StateMachineType = sfn.StateMachineType.STANDARD,
        timeout: Duration = DEFAULT_TIMEOUT,
        alarm_topic: sns.ITopic | None = None,
        log_retention: logs.RetentionDays = DEFAULT_LOG_RETENTION,
        log_encryption_key: kms.IKey | None = None,
        include_execution_data: bool = False,
        p99_duration_threshold: Duration = DEFAULT_P99_DURATION_THRESHOLD,
        business_metrics: Sequence[cloudwatch.IMetric] = (),
        business_outcomes: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, id)
        for outcome in business_outcomes:
            if not _OUTCOME_NAME.match(outcome) or outcome.startswith("States"):
                raise InvalidPropsError(
                    "business_outcomes",
                    "must hold the Error names of the workflow's own Fail states (letters, digits, '_', '-'; "
                    "no States.* error is a business outcome)",
                    outcome,
                )
        if len(set(business_outcomes)) != len(business_outcomes):
            raise InvalidPropsError(
                "business_outcomes", "must not name an outcome twice", ",".join(business_outcomes)
            )
        if not Token.is_unresolved(workflow_name) and not _WORKFLOW_NAME.match(workflow_name):
            raise InvalidPropsError(
                "workflow_name",
                "must be 2-64 characters of lowercase letters, digits and '-', starting with a letter",
                workflow_name,
            )
        stage = stage_of(self)
        unstaged = stage is not None and not workflow_name.startswith(f"{stage}-")
        if unstaged and not Token.is_unresolved(workflow_name):
            # Two stages in one account would otherwise fight over this name (and its log group,
            # alarms and dashboard).
            raise InvalidPropsError(
                "workflow_name",
                f"must carry the app's stage [{stage}] as its prefix "
                f"(workflow_name=staged_name(self, {workflow_name!r}), from workflow_constructs.stage)",
                workflow_name,
            )
        if not timeout.is_unresolved() and timeout.to_milliseconds() < 1000:
            raise InvalidPropsError("timeout", "must be at least 1 second", timeout.to_human_string())
        p99 = p99_duration_threshold
        if not p99.is_unresolved() and p99.to_milliseconds() < 1000:
            raise InvalidPropsError(
                "p99_duration_threshold", "must be at least 1 second", p99.to_human_string()
            )
        self.workflow_name = workflow_name

        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"{LOG_GROUP_PREFIX}{workflow_name}",
            retention=log_retention,
            encryption_key=log_encryption_key or stack_log_key(self),
            removal_policy=RETAINED,
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=workflow_name,
            comment=description,
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            state_machine_type=workflow_type,
            timeout=timeout,
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=self.log_group,
                level=sfn.LogLevel.ALL,
                # Payloads carry personal data and task tokens: keep them out of logs unless asked.
                include_execution_data=include_execution_data,
            ),
        )
        Tags.of(self.state_machine).add(WORKFLOW_TAG, workflow_name)
        ignore_cfn_lint(self.state_machine.node.default_child, REDUNDANT_ROLE_DEPENDENCY)  # type: ignore[arg-type]
        self._acknowledge_required_wildcards()

        self.business_outcomes = tuple(business_outcomes)
        self._count_business_outcomes()
        self.alarms = self._alarms(alarm_topic, p99_duration_threshold)
        self.dashboard = self._dashboard(business_metrics, p99_duration_threshold)

    def _acknowledge_required_wildcards(self) -> None:
        """Acknowledge, one by one, the wildcards Step Functions needs; anything else still fails cdk-nag."""
        role = self.state_machine.role
        policy = role.node.try_find_child("DefaultPolicy")
        if policy is None:
            return
        document = Stack.of(self).resolve(policy.node.default_child.policy_document)  # type: ignore[union-attr]
        findings = {
            "AwsSolutions-IAM5[Resource::*]": (
                "X-Ray (PutTraceSegments) and CloudWatch Logs delivery (CreateLogDelivery, ...) "
                "support no resource-level permissions."
            )
        }
        for statement in document.get("Statement", []):
            resources = statement.get("Resource", [])
            for resource in resources if isinstance(resources, list) else [resources]:
                qualified = _qualified_function_arn(resource)
                if qualified:
                    findings[f"AwsSolutions-IAM5[Resource::<{qualified}.Arn>:*]"] = (
                        "Step Functions invokes this workflow's own function by qualified ARN "
                        "(any version or alias of that one function)."
                    )
        for finding, reason in findings.items():
            Validations.of(role).acknowledge(Acknowledgment(id=finding, reason=reason))

    # Business outcomes ------------------------------------------------------------------------

    def _count_business_outcomes(self) -> None:
        """One metric filter per outcome on the ``ExecutionFailed`` events of the state machine's log.

        Step Functions logs every execution event (level ALL) as JSON with ``type`` and ``details``;
        an ``ExecutionFailed`` event's ``details`` are the ``ExecutionFailedEventDetails`` of the
        history (``error``, ``cause``):
        https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html and
        https://docs.aws.amazon.com/step-functions/latest/apireference/API_ExecutionFailedEventDetails.html.
        ``include_execution_data=False`` leaves out inputs and outputs (the personal data), and AWS
        does not document whether it also drops ``error``. The alarm is built so that this cannot
        hide a failure: it pages on failed executions *minus* counted outcomes, so an outcome the
        filter does not see still pages (too often, never too rarely).
        """
        for outcome in self.business_outcomes:
            logs.MetricFilter(
                self,
                f"{outcome}Outcome",
                log_group=self.log_group,
                metric_namespace=f"{OUTCOMES_NAMESPACE_PREFIX}{self.workflow_name}",
                metric_name=outcome,
                metric_value="1",
                filter_pattern=logs.FilterPattern.all(
                    logs.FilterPattern.string_value("$.type", "=", "ExecutionFailed"),
                    logs.FilterPattern.string_value("$.details.error", "=", outcome),
                ),
            )

    def outcome_metric(self, outcome: str, *, period: Duration = ALARM_PERIOD) -> cloudwatch.Metric:
        """How many executions ended in ``outcome`` (one of ``business_outcomes``), per ``period``."""
        if outcome not in self.business_outcomes:
            raise InvalidPropsError("outcome", f"must be one of {list(self.business_outcomes)}", outcome)
        return cloudwatch.Metric(
            namespace=f"{OUTCOMES_NAMESPACE_PREFIX}{self.workflow_name}",
            metric_name=outcome,
            statistic="Sum",
            period=period,
            label=outcome,
        )

    def _unexpected_failures(self) -> cloudwatch.IMetric:
        """Failed executions less those that ended in a business outcome (all of them without outcomes)."""
        failed = self.state_machine.metric_failed(period=ALARM_PERIOD)
        if not self.business_outcomes:
            return failed
        outcomes = {
            f"outcome{index}": self.outcome_metric(o) for index, o in enumerate(self.business_outcomes)
        }
        # FILL: a period with no outcome (or no failure) has no data point, which counts as 0.
        expression = " - ".join(["FILL(failed, 0)", *(f"FILL({name}, 0)" for name in outcomes)])
        return cloudwatch.MathExpression(
            expression=expression,
            using_metrics={"failed": failed, **outcomes},
            period=ALARM_PERIOD,
            label="Unexpected failures",
        )

    # Alarms and dashboard ---------------------------------------------------------------------

    def _alarms(self, topic: sns.ITopic | None, p99_threshold: Duration) -> dict[str, cloudwatch.Alarm]:
        machine = self.state_machine
        failed_means = (
            f"an execution failed unexpectedly (not counted: {', '.join(self.business_outcomes)})"
            if self.business_outcomes
            else "an execution failed"
        )
        signals: dict[str, tuple[cloudwatch.IMetric, float, str]] = {
            "ExecutionsFailed": (self._unexpected_failures(), 1, failed_means),
            "ExecutionsTimedOut": (
                machine.metric_timed_out(period=ALARM_PERIOD),
                1,
                "an execution timed out",
            ),
            "ExecutionsThrottled": (
                machine.metric_throttled(period=ALARM_PERIOD),
                1,
                "executions were throttled",
            ),
            "ExecutionsAborted": (machine.metric_aborted(period=ALARM_PERIOD), 1, "an execution was aborted"),
            "DurationP99": (
                machine.metric_time(period=ALARM_PERIOD, statistic="p99"),
                p99_threshold.to_milliseconds(),
                f"p99 execution time exceeded {p99_threshold.to_human_string()}",
            ),
        }
        if topic is None:
            Annotations.of(self).add_warning_v2(
                "workflow_constructs:no-alarm-topic",
                f"Workflow [{self.workflow_name}] has no alarm_topic: its alarms notify nobody.",
            )
        alarms = {}
        for name, (metric, threshold, what) in signals.items():
            alarm = cloudwatch.Alarm(
                self,
                f"{name}Alarm",
                # "<workflow>-<signal>": the name on-call reads in the notification subject.
                alarm_name=self.alarm_name(name),
                metric=metric,
                threshold=threshold,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description=f"{self.workflow_name}: {what}. Run `workflows list --workflow "
                f"{self.workflow_name} --status FAILED --since 1h` then `workflows why <execution>`.",
            )
            if topic is not None:
                action = cloudwatch_actions.SnsAction(topic)
                alarm.add_alarm_action(action)
                # The all-clear goes to the same people, so nobody keeps chasing a recovered workflow.
                alarm.add_ok_action(action)
            alarms[name] = alarm
        return alarms

    def _dashboard(
        self, business_metrics: Sequence[cloudwatch.IMetric], p99_threshold: Duration
    ) -> cloudwatch.Dashboard:
        machine = self.state_machine
        name = self.workflow_name
        dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            # Dashboard names are global to the account, so the region keeps two deployments apart.
            dashboard_name=f"{name}-{Stack.of(self).region}",
        )
        dashboard.add_widgets(
            cloudwatch.TextWidget(
                markdown=f"# {name}\nOn call: `workflows list --workflow {name} --status FAILED --since 1h`, "
                f"then `workflows why <execution>`. Trace a request: `workflows status <execution>` "
                "shows its correlation id; search the function logs for `correlation_id`.",
                width=24,
                height=2,
            )
        )
        stack = Stack.of(self)
        # The widget names each alarm by an ARN built from its name, not by Fn::GetAtt, so the
        # dashboard deploys where alarms are not modelled (the local cloud); DependsOn keeps the order.
        alarm_refs = [
            cloudwatch.Alarm.from_alarm_arn(
                self,
                f"{key}AlarmRef",
                stack.format_arn(
                    service="cloudwatch",
                    resource="alarm",
                    resource_name=self.alarm_name(key),
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                ),
            )
            for key in self.alarms
        ]
        dashboard.node.add_dependency(*self.alarms.values())
        dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=alarm_refs, width=24, height=3)
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Executions",
                left=[machine.metric_started(), machine.metric_succeeded()],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Failures",
                left=[
                    machine.metric_failed(),
                    machine.metric_timed_out(),
                    machine.metric_aborted(),
                    machine.metric_throttled(),
                ],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Duration",
                left=[
                    machine.metric_time(statistic="p50", label="p50"),
                    machine.metric_time(statistic="p99", label="p99"),
                ],
                left_annotations=[
                    cloudwatch.HorizontalAnnotation(
                        value=p99_threshold.to_milliseconds(), label="p99 alarm threshold (ms)"
                    )
                ],
                width=8,
            ),
        )
        if self.business_outcomes:
            dashboard.add_widgets(
                cloudwatch.GraphWidget(
                    title="Business outcomes (not alarmed)",
                    left=[self.outcome_metric(o, period=Duration.minutes(5)) for o in self.business_outcomes],
                    right=[self._unexpected_failures()],
                    width=24,
                )
            )
        if business_metrics:
            dashboard.add_widgets(
                cloudwatch.GraphWidget(title="Business", left=list(business_metrics), width=24)
            )
        return dashboard

    def alarm_name(self, signal: str) -> str:
        """The name of this workflow's alarm on ``signal`` (``ExecutionsFailed``, ``DurationP99``, ...)."""
        return f"{self.workflow_name}-{signal}"

    # Grants -------------------------------------------------------------------------------------

    def grant_start_execution(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` start executions."""
        return self.state_machine.grant_start_execution(grantee)

    def grant_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` list and describe executions and read their history."""
        return self.state_machine.grant_read(grantee)

    def grant_task_response(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` answer callback steps (SendTaskSuccess/Failure/Heartbeat)."""
        return self.state_machine.grant_task_response(grantee)


def _qualified_function_arn(resource: Any) -> str | None:
    """The logical id X when ``resource`` is ``{"Fn::Join": ["", [{"Fn::GetAtt": [X, "Arn"]}, ":*"]]}``."""
    if not isinstance(resource, dict) or list(resource) != ["Fn::Join"]:
        return None
    separator, parts = resource["Fn::Join"]
    if separator != "" or len(parts) != 2 or parts[1] != ":*" or not isinstance(parts[0], dict):
        return None
    target = parts[0].get("Fn::GetAtt")
    return str(target[0]) if isinstance(target, list) and target[1:] == ["Arn"] else None
