"""Billing on a schedule: EventBridge Scheduler starts the period's billing runs, monthly by default.

::

    Schedule (cron, in its time zone, flexible window, retries)
      -> "start period runs" function (lambdas/billing/schedule.py)
           -> StartExecution of the billing state machine, once per customer and period
      failed delivery -> dead-letter queue (SQS, encrypted) -> alarm to operations

Billing runs per customer (one invoice per customer and period), and a schedule can only call one
target with one input. So the schedule calls one small function with the period's customers; it
derives the period from the schedule's time (``<aws.scheduler.scheduled-time>``), takes the
correlation id from ``<aws.scheduler.execution-id>`` and starts each customer's run under a name
fixed by customer and period: a duplicate trigger starts no second run (see the handler module).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aws_cdk import Acknowledgment, Duration, Token, Validations
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_destinations as lambda_destinations
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from workflow_constructs.checkov_skips import skip_checkov
from workflow_constructs.errors import InvalidPropsError
from workflow_constructs.function import DEFAULT_LOG_RETENTION, PythonFunction
from workflow_constructs.nag import acknowledge_wildcard_resource

from business_workflows.handler_code import app_handler_code
from constructs import Construct
from lambdas.billing import contract

__all__ = ["BillingSchedule"]

DEFAULT_SCHEDULE_EXPRESSION = "cron(0 6 1 * ? *)"
"""The 1st of every month at 06:00 in the schedule's time zone: the month just ended is billed. Not
between 01:00 and 03:00, the hours daylight saving time skips or repeats in Europe and America."""
DEFAULT_TIME_ZONE = "UTC"
DEFAULT_FLEXIBLE_WINDOW = Duration.hours(1)
"""A monthly run has no deadline to the minute, and a window lets Scheduler spread its load; the
period comes from the nominal scheduled time, so the window never moves a run into another month."""
MAX_FLEXIBLE_WINDOW = Duration.hours(24)  # what Scheduler accepts (1440 minutes)
RETRY_ATTEMPTS = 10
MAX_EVENT_AGE = Duration.hours(6)
"""A trigger is still good hours late (its period does not change): keep trying for six hours (the
most Lambda keeps an asynchronous event), then dead-letter it, where the alarm pages operations."""
FUNCTION_RETRY_ATTEMPTS = 2  # Lambda's own retries of the asynchronous invocation (its default, said)
HANDLER = "billing.handler.start_period_runs"
_NAG_SCHEDULER_DLQ = (
    "This queue is the dead-letter queue of the billing schedule and of its function; a queue for what "
    "could not be delivered has no dead-letter queue of its own."
)


class BillingSchedule(Construct):
    """Start the billing run of every customer for each period, from EventBridge Scheduler.

    Attributes: ``schedule`` (the ``AWS::Scheduler::Schedule``), ``function`` (starts the runs),
    ``dead_letter_queue``, ``dead_letter_alarm`` and ``role`` (the schedule's).

    Example::

        BillingSchedule(self, "Schedule", state_machine=billing.state_machine,
                        workflow_name=billing.workflow_name, alarm_topic=operations_topic,
                        customers=[{"customerId": "cus_1", "currency": "EUR", "paymentMethodId": "pm_1",
                                    "customerEmail": "ada@acme.com", "lineItems": [...]}],
                        time_zone="Europe/Berlin")
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        state_machine: sfn.IStateMachine,
        workflow_name: str,
        alarm_topic: sns.ITopic,
        customers: Sequence[Mapping[str, Any]],
        schedule_expression: str = DEFAULT_SCHEDULE_EXPRESSION,
        time_zone: str = DEFAULT_TIME_ZONE,
        flexible_window: Duration | None = DEFAULT_FLEXIBLE_WINDOW,
        log_retention: logs.RetentionDays = DEFAULT_LOG_RETENTION,
        sentry_dsn_secret: secretsmanager.ISecret | None = None,
    ) -> None:
        """Create the schedule, its function, role and dead-letter queue.

        :param state_machine: the billing state machine the runs are started on.
        :param workflow_name: its physical name: the runs' names start with it.
        :param alarm_topic: where the dead-letter alarm goes.
        :param customers: who is billed each period: billing requests without ``billingPeriod`` and
            ``correlationId``, which each trigger sets (``lambdas/billing/request.py`` says the rest).
        :param schedule_expression: when; default ``cron(0 6 1 * ? *)``, the 1st of the month at 06:00.
        :param time_zone: the IANA zone the expression and the period are read in; default ``UTC``.
        :param flexible_window: how much later than scheduled Scheduler may start; default 1 hour;
            ``None`` for exactly on time.
        :param log_retention: how long the function's logs are kept; default three months.
        :param sentry_dsn_secret: a secret holding a Sentry DSN; when given, the function reports its
            exceptions to Sentry like every other function of the app. Default: none (Sentry off).
        """
        super().__init__(scope, id)
        _validate(customers, schedule_expression, time_zone, flexible_window)
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),  # the most SQS keeps: time to look into a missed period
        )
        Validations.of(self.dead_letter_queue).acknowledge(
            Acknowledgment(id="AwsSolutions-SQS3", reason=_NAG_SCHEDULER_DLQ)
        )
        Validations.of(self.dead_letter_queue).acknowledge(
            Acknowledgment(id="Serverless-SQSRedrivePolicy", reason=_NAG_SCHEDULER_DLQ)
        )
        skip_checkov(
            self.dead_letter_queue,
            "CKV_AWS_27",
            reason="Encrypted at rest with SQS-managed keys (SSE-SQS); the check accepts a KMS key only. A "
            "customer managed key would need grants for Scheduler and Lambda and would keep out no reader "
            "that the queue's IAM does not already keep out.",
        )
        self.dead_letter_alarm = cloudwatch.Alarm(
            self,
            "DeadLetterAlarm",
            alarm_description="A billing period's trigger could not be delivered: its runs did not start. "
            "See docs/operations.md, 'A scheduled billing run did not start'.",
            metric=self.dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(5), statistic="Maximum"
            ),
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.dead_letter_alarm.add_alarm_action(cloudwatch_actions.SnsAction(alarm_topic))

        self.function = PythonFunction(
            self,
            "StartPeriodRunsFunction",
            entry=app_handler_code(),
            packages=["billing"],
            handler=HANDLER,
            service=workflow_name,
            description=f"{workflow_name}: starts the period's billing run of every customer, once",
            environment={
                contract.STATE_MACHINE_ARN_ENV: state_machine.state_machine_arn,
                contract.WORKFLOW_NAME_ENV: workflow_name,
            },
            log_retention=log_retention,
            sentry_dsn_secret=sentry_dsn_secret,
        )
        state_machine.grant_start_execution(self.function)
        # Scheduler invokes it asynchronously: what fails inside it lands in the same queue.
        self.function.configure_async_invoke(
            retry_attempts=FUNCTION_RETRY_ATTEMPTS,
            max_event_age=MAX_EVENT_AGE,
            on_failure=lambda_destinations.SqsDestination(self.dead_letter_queue),
        )

        self.role = iam.Role(
            self,
            "SchedulerRole",
            description=f"EventBridge Scheduler: invokes {workflow_name}'s period-run function, nothing else",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": self.function.env.account}},
            ),
        )
        self.function.grant_invoke(self.role)
        # SendMessage only: what Scheduler needs to dead-letter (grant_send_messages adds two reads).
        self.role.add_to_policy(
            iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[self.dead_letter_queue.queue_arn])
        )
        acknowledge_wildcard_resource(
            self.role,
            f"{self.function.function_arn}:*",
            reason="lambda:InvokeFunction on this one function and its versions (CDK's grant_invoke).",
        )

        self.schedule = scheduler.CfnSchedule(
            self,
            "Schedule",
            description=f"Starts {workflow_name}'s runs for the period that just ended",
            schedule_expression=schedule_expression,
            schedule_expression_timezone=time_zone,
            flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(
                mode="OFF" if flexible_window is None else "FLEXIBLE",
                maximum_window_in_minutes=None
                if flexible_window is None
                else int(flexible_window.to_minutes()),
            ),
            target=scheduler.CfnSchedule.TargetProperty(
                arn=self.function.function_arn,
                role_arn=self.role.role_arn,
                input=json.dumps(
                    {
                        "scheduledTime": "<aws.scheduler.scheduled-time>",
                        "correlationId": "<aws.scheduler.execution-id>",
                        "timeZone": time_zone,
                        "customers": [dict(c) for c in customers],
                    },
                    sort_keys=True,
                ),
                retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                    maximum_retry_attempts=RETRY_ATTEMPTS,
                    maximum_event_age_in_seconds=int(MAX_EVENT_AGE.to_seconds()),
                ),
                dead_letter_config=scheduler.CfnSchedule.DeadLetterConfigProperty(
                    arn=self.dead_letter_queue.queue_arn
                ),
            ),
        )


def _validate(
    customers: Sequence[Mapping[str, Any]],
    schedule_expression: str,
    time_zone: str,
    flexible_window: Duration | None,
) -> None:
    if not customers:
        raise InvalidPropsError("customers", "must name at least one customer to bill", customers)
    ids = []
    for index, customer in enumerate(customers):
        customer_id = customer.get("customerId") if isinstance(customer, Mapping) else None
        if not isinstance(customer_id, str) or not customer_id:
            raise InvalidPropsError(f"customers[{index}]", "must be an object with a customerId", customer)
        for field in ("billingPeriod", "correlationId"):
            if field in customer:
                raise InvalidPropsError(
                    f"customers[{index}].{field}", "is set by each trigger; remove it", customer
                )
        ids.append(customer_id)
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise InvalidPropsError("customers", "must list each customer once", twice)
    if not Token.is_unresolved(schedule_expression) and not schedule_expression.startswith(
        ("cron(", "rate(")
    ):
        raise InvalidPropsError(
            "schedule_expression", "must be a cron(...) or rate(...) expression", schedule_expression
        )
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidPropsError(
            "time_zone", "must be an IANA time zone (e.g. Europe/Berlin)", time_zone
        ) from None
    if flexible_window is not None and not Token.is_unresolved(flexible_window.to_seconds()):
        seconds = flexible_window.to_seconds()
        if seconds % 60 or not 60 <= seconds <= MAX_FLEXIBLE_WINDOW.to_seconds():
            raise InvalidPropsError(
                "flexible_window",
                "must be whole minutes from 1 minute to 24 hours, or None",
                flexible_window.to_human_string(),
            )
