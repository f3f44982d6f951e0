"""The billing stack: the billing workflow, its payment webhook and what operators need to reach them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from workflow_constructs.errors import InvalidPropsError

from business_workflows.billing import (
    DEFAULT_AUTHORISATION_TIMEOUT,
    BillingWorkflow,
    PaymentProviderKind,
)
from business_workflows.billing_schedule import DEFAULT_TIME_ZONE, BillingSchedule
from business_workflows.options import WorkflowOptions
from constructs import Construct
from stacks.senders import sender_address

CONTEXT_PAYMENT_PROVIDER = "billing:paymentProvider"
CONTEXT_SENDER_ADDRESS = "billing:senderAddress"
CONTEXT_AUTHORISATION_TIMEOUT_MINUTES = "billing:authorisationTimeoutMinutes"
CONTEXT_MANAGE_API_GATEWAY_ACCOUNT = "billing:manageApiGatewayAccount"
CONTEXT_SCHEDULED_CUSTOMERS = "billing:scheduledCustomers"
CONTEXT_SCHEDULE_TIME_ZONE = "billing:scheduleTimeZone"
APP_ROOT = Path(__file__).resolve().parents[1]  # relative context paths are read from the app's folder
DEFAULT_PAYMENT_PROVIDER = PaymentProviderKind.SANDBOX  # nothing is charged until someone opts in
DEFAULT_SENDER_ADDRESS = "billing@example.com"


class BillingStack(Stack):
    """Deploys ``BillingWorkflow`` (state machine ``billing``) with its outputs.

    Configuration (cdk.json context or ``-c key=value``):

    - ``billing:paymentProvider``: ``sandbox`` (default) or ``http``;
    - ``billing:senderAddress``: the From address of receipts (its SES identity is created), required
      for a deploy: the placeholder ``billing@example.com`` fails synth (``PlaceholderSenderError``)
      unless ``allowPlaceholderSenders`` is set (the local cloud and tests only);
    - ``billing:authorisationTimeoutMinutes``: how long to wait for the provider; default 1440 (24 h);
    - ``billing:manageApiGatewayAccount``: ``true`` to have this stack set the region's API Gateway
      CloudWatch role (``AWS::ApiGateway::Account``); default ``false`` (the account's setting is used);
    - ``billing:scheduledCustomers``: a JSON file (a list of billing requests without ``billingPeriod``
      and ``correlationId``) of the customers billed every month by EventBridge Scheduler
      (:class:`~business_workflows.billing_schedule.BillingSchedule`); default: no schedule;
    - ``billing:scheduleTimeZone``: the IANA zone the monthly schedule runs in; default ``UTC``.

    ``options`` (the app's one :class:`~business_workflows.options.WorkflowOptions`: the operations
    topic, the Sentry secret, whether placeholder senders are allowed) goes to the workflow as is.

    Outputs, read by the operator tooling (``workflow_tools.payments_sandbox``): ``WebhookUrl``,
    ``WebhookFunctionName``, ``StateMachineArn``, ``InvoicesTableName``, ``AuthorisationsTableName``,
    ``ProviderSecretArn``; ``AnswerGuardPolicyArn`` (see ``docs/billing.md``, "Who can answer a payment");
    with a schedule, ``ScheduleName`` and ``ScheduleDeadLetterQueueUrl``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        options: WorkflowOptions,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        provider = str(self.node.try_get_context(CONTEXT_PAYMENT_PROVIDER) or DEFAULT_PAYMENT_PROVIDER.value)
        try:
            payment_provider = PaymentProviderKind(provider)
        except ValueError:
            raise InvalidPropsError(
                CONTEXT_PAYMENT_PROVIDER, f"must be one of {[k.value for k in PaymentProviderKind]}", provider
            ) from None
        timeout_minutes = self.node.try_get_context(CONTEXT_AUTHORISATION_TIMEOUT_MINUTES)
        manage_account = self.node.try_get_context(CONTEXT_MANAGE_API_GATEWAY_ACCOUNT)
        if manage_account not in (None, True, False, "true", "false"):
            raise InvalidPropsError(
                CONTEXT_MANAGE_API_GATEWAY_ACCOUNT, "must be true or false", manage_account
            )
        self.billing = BillingWorkflow(
            self,
            "Billing",
            options=options,
            sender_address=sender_address(self, CONTEXT_SENDER_ADDRESS, DEFAULT_SENDER_ADDRESS),
            payment_provider=payment_provider,
            authorisation_timeout=Duration.minutes(int(timeout_minutes))
            if timeout_minutes is not None
            else DEFAULT_AUTHORISATION_TIMEOUT,
            manage_api_gateway_account=manage_account in (True, "true"),
        )
        outputs = {
            "WebhookUrl": (
                self.billing.webhook_url,
                "The payment provider's webhook: give it to the provider",
            ),
            "WebhookFunctionName": (
                self.billing.webhook_function.function_name,
                "The webhook's function (the sandbox delivers to it directly on the local cloud)",
            ),
            "StateMachineArn": (self.billing.state_machine.state_machine_arn, "The billing state machine"),
            "InvoicesTableName": (
                self.billing.invoices_table.table_name,
                "One invoice per customer and period",
            ),
            "AuthorisationsTableName": (
                self.billing.authorisations_table.table_name,
                "Payment authorisation requests (index byExecution)",
            ),
            "AnswerGuardPolicyArn": (
                self.billing.answer_guard.policy.managed_policy_arn,
                "Attach to every operator and CI role: only the webhook may answer a waiting payment",
            ),
            "ProviderSecretArn": (
                self.billing.provider_secret.secret_arn,
                "signingSecret (and endpoint, apiKey for the http provider)",
            ),
        }
        self.schedule = self._schedule(options)
        if self.schedule is not None:
            outputs["ScheduleName"] = (self.schedule.schedule.ref, "Starts each month's billing runs")
            outputs["ScheduleDeadLetterQueueUrl"] = (
                self.schedule.dead_letter_queue.queue_url,
                "Triggers of the billing schedule that could not be delivered",
            )
        for name, (value, description) in outputs.items():
            CfnOutput(self, name, value=value, description=description)

    def _schedule(self, options: WorkflowOptions) -> BillingSchedule | None:
        path = self.node.try_get_context(CONTEXT_SCHEDULED_CUSTOMERS)
        if path is None:
            return None
        file = APP_ROOT / str(path)
        try:
            customers = json.loads(file.read_text())
        except (OSError, ValueError) as error:
            raise InvalidPropsError(
                CONTEXT_SCHEDULED_CUSTOMERS, f"must name a readable JSON file ({error})", path
            ) from None
        if not isinstance(customers, list):
            raise InvalidPropsError(CONTEXT_SCHEDULED_CUSTOMERS, "must hold a JSON list of customers", path)
        return BillingSchedule(
            self,
            "BillingSchedule",
            state_machine=self.billing.state_machine,
            workflow_name=self.billing.workflow_name,
            alarm_topic=options.required_alarm_topic("BillingSchedule"),
            sentry_dsn_secret=options.sentry_dsn_secret,
            customers=customers,
            time_zone=str(self.node.try_get_context(CONTEXT_SCHEDULE_TIME_ZONE) or DEFAULT_TIME_ZONE),
        )
