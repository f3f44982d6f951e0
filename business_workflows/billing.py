"""Billing: invoice a customer for a period and wait, for minutes or hours, for the payment provider.

::

    Validate the billing request -> Calculate the invoice -> Store the invoice as pending
      -> Check where the invoice stands
           PAID       -> Claim the receipt email ...
           AUTHORISED -> Capture the payment ...
           otherwise  -> Request payment authorisation  (waits for the provider's webhook)
                           authorised      -> Mark the invoice authorised -> Capture the payment
                                              -> Mark the invoice paid -> Claim the receipt email
                                              -> Send the receipt email -> Invoice paid
                                                 (not sent: release the claim, tell operations,
                                                  Invoice paid with the receipt PENDING)
                           PaymentDeclined -> mark PAYMENT_FAILED, email the customer, fail
                           States.Timeout  -> void, mark AUTHORISATION_TIMED_OUT, tell operations, fail

The provider answers through a signed webhook (API Gateway -> Lambda) that verifies an HMAC-SHA256
signature with a replay window and hands the decision to the waiting execution exactly once.
Nobody is charged twice: one invoice per customer and period (conditional write), one capture per
invoice (Powertools idempotency and the provider's idempotency key), one receipt per invoice
(conditional mark, released when the email could not be sent, so that a new run for the same
customer and period sends it). Handler code: ``lambdas/billing/``.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Any

from aws_cdk import Acknowledgment, ArnFormat, Duration, Stack, Token, Validations
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as sfn_tasks
from workflow_constructs import tasks
from workflow_constructs.answer_guard import TaskAnswerGuard
from workflow_constructs.cfn_lint import RESOURCE_TYPE_NOT_IN_EVERY_REGION, ignore_cfn_lint
from workflow_constructs.checkov_skips import skip_checkov
from workflow_constructs.errors import InvalidPropsError
from workflow_constructs.fragments.callback import WaitForCallback
from workflow_constructs.function import DEFAULT_LOG_RETENTION, PythonFunction
from workflow_constructs.log_encryption import log_encryption_key
from workflow_constructs.nag import acknowledge_wildcard_resource
from workflow_constructs.retention import RETAINED
from workflow_constructs.stage import staged_name
from workflow_constructs.workflow import Workflow

from business_workflows.defaults import METRIC_PERIOD, METRIC_STATISTIC
from business_workflows.handler_code import app_handler_code
from business_workflows.metrics import count_metric
from business_workflows.options import WorkflowOptions
from business_workflows.senders import check_sender
from business_workflows.storage import data_table
from constructs import Construct
from lambdas.billing import contract
from lambdas.billing.contract import InvoiceStatus

DEFAULT_WORKFLOW_NAME = contract.DEFAULT_WORKFLOW_NAME
DEFAULT_AUTHORISATION_TIMEOUT = Duration.hours(24)
MIN_AUTHORISATION_TIMEOUT = Duration.minutes(1)
MAX_AUTHORISATION_TIMEOUT = Duration.days(364)  # a state machine runs at most a year, with margin
AFTER_AUTHORISATION_MARGIN = Duration.hours(1)
"""Time an execution has, after the wait, to capture, email and compensate."""
WEBHOOK_RATE_LIMIT = 50  # requests per second, steady
WEBHOOK_BURST_LIMIT = 100
WEBHOOK_STAGE = "v1"
WEBHOOK_PATH = "payments/webhook"
HANDLERS_MODULE = "billing.handler"
RECEIPT_SENT = contract.RECEIPT_SENT
RECEIPT_PENDING = contract.RECEIPT_PENDING
_RECEIPT_EMAIL = "$.receiptEmail"

PAYMENT_DECLINED_ERROR = contract.PAYMENT_DECLINED
TIMED_OUT_ERROR = contract.AUTHORISATION_TIMED_OUT
REQUEST_INVALID_ERROR = contract.REQUEST_INVALID
"""Raised by the validation handler (``lambdas/billing/errors.py``) for input that is no billing request."""
BUSINESS_OUTCOMES = contract.BUSINESS_OUTCOMES
"""How a billing run may end without anything being wrong: a bad request, a declined card, a customer
who never authorised. Counted on the dashboard; they page nobody."""
CONDITIONAL_CHECK_FAILED = "DynamoDB.ConditionalCheckFailedException"

# Powertools Metrics names, as the handlers emit them (lambdas/billing/contract.py).
METRIC_INVOICES_CREATED = contract.METRIC_INVOICES_CREATED
METRIC_PAYMENTS_AUTHORISED = contract.METRIC_PAYMENTS_AUTHORISED
METRIC_PAYMENTS_DECLINED = contract.METRIC_PAYMENTS_DECLINED
METRIC_AUTHORISATIONS_TIMED_OUT = contract.METRIC_AUTHORISATIONS_TIMED_OUT
METRIC_AMOUNT_CAPTURED = contract.METRIC_AMOUNT_CAPTURED

_EMAIL = re.compile(r"^[^@\s]+@([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)$")


class PaymentProviderKind(Enum):
    """Which payment provider the workflow talks to."""

    SANDBOX = "sandbox"
    """No network; approves or declines by test card (``pm_card_visa``, ``pm_card_chargeDeclined``)."""
    HTTP = "http"
    """A provider over HTTPS; ``endpoint`` and ``apiKey`` are read from the provider secret."""


class BillingWorkflow(Construct):
    """The billing workflow, its webhook, tables, email templates and provider secret.

    Attributes: ``workflow`` and ``state_machine``; ``invoices_table``, ``authorisations_table``,
    ``idempotency_table``; ``provider_secret``; ``sender_identity``; ``functions`` (by role) and
    ``webhook_function``;
    ``api`` and ``webhook_url``; ``receipt_template_name``, ``decline_template_name``;
    ``metrics`` (the business metrics, by name); ``answer_guard`` (a :class:`TaskAnswerGuard`: the
    managed policy that leaves answering a payment to the webhook and the request function).

    The provider secret is a JSON object: ``signingSecret`` (the webhook's HMAC key, at least 32
    characters; generated when the construct creates the secret) and, for
    ``PaymentProviderKind.HTTP``, ``endpoint`` (https) and ``apiKey``. Put the provider's values in
    with ``aws secretsmanager put-secret-value`` after the first deploy.

    Emails are sent from ``sender_address``, which SES must have verified: by default the construct
    creates its email identity (AWS sends a verification link to it); pass ``sender_identity`` to
    use one you verified already (a domain, say).

    Example::

        BillingWorkflow(self, "Billing", options=WorkflowOptions(alarm_topic=operations_topic),
                        sender_address="billing@acme.com",
                        payment_provider=PaymentProviderKind.SANDBOX)
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        options: WorkflowOptions,
        sender_address: str,
        payment_provider: PaymentProviderKind,
        provider_secret: secretsmanager.ISecret | None = None,
        authorisation_timeout: Duration = DEFAULT_AUTHORISATION_TIMEOUT,
        workflow_name: str = DEFAULT_WORKFLOW_NAME,
        sender_identity: ses.IEmailIdentity | None = None,
        log_retention: logs.RetentionDays = DEFAULT_LOG_RETENTION,
        manage_api_gateway_account: bool = False,
    ) -> None:
        """Create the workflow.

        :param options: the app-wide settings (:class:`~business_workflows.options.WorkflowOptions`);
            ``options.alarm_topic`` is required: alarms, and the notice when an authorisation times out.
        :param sender_address: the From address of receipts and decline notices (verified in SES), on
            a domain you own: an address on a reserved domain (``example.com``, ``.test``...) raises
            :class:`~business_workflows.senders.UnverifiableSenderError`.
        :param payment_provider: ``SANDBOX`` for demos and tests, ``HTTP`` for a real provider.
        :param provider_secret: the provider secret; default: one is created with a generated
            ``signingSecret``.
        :param authorisation_timeout: how long to wait for the provider's answer; default 24 hours.
        :param workflow_name: the state machine's name; default ``billing``.
        :param sender_identity: a verified SES identity (address or domain) that sends the emails.
            Default: an identity for ``sender_address`` is created (AWS emails it a verification link).
        :param log_retention: how long function and access logs are kept; default three months.
        :param manage_api_gateway_account: create the region's ``AWS::ApiGateway::Account`` (the one
            CloudWatch role every API Gateway API of the account and region logs through) with a role
            of this stack's. Default ``False``: that setting belongs to the account, not to one app; the
            webhook's access and execution logs need it set once per account and region (docs/billing.md).
        """
        super().__init__(scope, id)
        # The physical name: every fixed name below derives from it, so it carries the app's stage.
        workflow_name = staged_name(self, workflow_name)
        alarm_topic = options.required_alarm_topic("BillingWorkflow")
        _validate_props(
            sender_address=sender_address,
            payment_provider=payment_provider,
            authorisation_timeout=authorisation_timeout,
            sender_identity=sender_identity,
        )
        check_sender("sender_address", sender_address, allow_reserved=options.allow_placeholder_senders)
        self.workflow_name = workflow_name
        self.payment_provider = payment_provider
        self.authorisation_timeout = authorisation_timeout
        stack = Stack.of(self)

        self.invoices_table = data_table(self, "InvoicesTable", partition_key="invoiceId")
        self.authorisations_table = data_table(
            self, "AuthorisationsTable", partition_key="authorisationId", time_to_live_attribute="purgeAt"
        )
        self.authorisations_table.add_global_secondary_index(
            index_name="byExecution",
            partition_key=dynamodb.Attribute(name="executionId", type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.KEYS_ONLY,
        )
        self.idempotency_table = data_table(
            self, "IdempotencyTable", partition_key="id", time_to_live_attribute="expiration"
        )
        self.provider_secret = provider_secret or self._create_provider_secret()

        self.functions = self._functions(log_retention, options.sentry_dsn_secret)
        self.webhook_function = self.functions["webhook"]
        if sender_identity is None:
            created = ses.EmailIdentity(self, "Sender", identity=ses.Identity.email(sender_address))
            ignore_cfn_lint(created.node.default_child, RESOURCE_TYPE_NOT_IN_EVERY_REGION)  # type: ignore[arg-type]
            sender_identity = created
        self.sender_identity = sender_identity
        self.receipt_template_name = f"{workflow_name}-receipt"
        self.decline_template_name = f"{workflow_name}-payment-declined"
        self._email_templates()

        definition = self._definition(alarm_topic, sender_address, sender_identity.email_identity_arn)
        self.metrics = self._business_metrics()
        self.workflow = Workflow(
            self,
            "Workflow",
            workflow_name=workflow_name,
            definition=definition,
            description="Invoices a customer for a period, waits for the payment provider to authorise, "
            "captures and sends the receipt",
            timeout=Duration.minutes(
                authorisation_timeout.to_minutes() + AFTER_AUTHORISATION_MARGIN.to_minutes()
            ),
            alarm_topic=alarm_topic,
            log_retention=log_retention,
            # Most executions wait for the provider: only one that ran as long as the wait itself is slow.
            p99_duration_threshold=authorisation_timeout,
            business_metrics=list(self.metrics.values()),
            business_outcomes=BUSINESS_OUTCOMES,
        )
        self.state_machine = self.workflow.state_machine
        alarm_topic.grant_publish(self.state_machine)  # includes the topic key, when it has one
        Validations.of(self.state_machine.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
                reason="Publishing to the KMS-encrypted operations topic: the actions AWS documents for SNS "
                "server-side encryption, on that topic's key only.",
            )
        )
        self._grant(stack)
        # Tokens are readable in the execution history: only the answer path may use them.
        self.answer_guard = TaskAnswerGuard(
            self,
            "AnswerGuard",
            state_machine_arn=self.state_machine.state_machine_arn,
            answerers=[_role(self.functions["webhook"]), _role(self.functions["request"])],
            purpose="payment answers",
        )

        self.api = self._webhook_api(log_retention, manage_api_gateway_account)
        self.webhook_url = self.api.url_for_path(f"/{WEBHOOK_PATH}")

    # Resources ---------------------------------------------------------------------------------

    def _create_provider_secret(self) -> secretsmanager.Secret:
        secret = secretsmanager.Secret(
            self,
            "ProviderSecret",
            description=f"{self.workflow_name}: payment provider signing secret (and endpoint, apiKey)",
            # A key of its own, so that reading the secret needs this key's grant too (the functions
            # get it with grant_read), not only the account's AWS-managed Secrets Manager key.
            encryption_key=kms.Key(
                self,
                "ProviderSecretKey",
                description=f"{self.workflow_name}: encrypts the payment provider secret",
                enable_key_rotation=True,
                removal_policy=RETAINED,
            ),
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template="{}",  # noqa: S106  (an empty JSON object, not a password)
                generate_string_key="signingSecret",
                password_length=64,
                exclude_punctuation=True,
            ),
            removal_policy=RETAINED,
        )
        Validations.of(secret).acknowledge(
            Acknowledgment(
                id="AwsSolutions-SMG4",
                reason="The signing secret is shared with the payment provider and rotated in its "
                "dashboard; a Lambda rotation here would break every webhook until the provider is told.",
            )
        )
        return secret

    def _functions(
        self, log_retention: logs.RetentionDays, sentry_dsn_secret: secretsmanager.ISecret | None
    ) -> dict[str, PythonFunction]:
        environment = {
            "INVOICES_TABLE_NAME": self.invoices_table.table_name,
            "AUTHORISATIONS_TABLE_NAME": self.authorisations_table.table_name,
            "IDEMPOTENCY_TABLE_NAME": self.idempotency_table.table_name,
            "AUTHORISATION_TIMEOUT_SECONDS": str(int(self.authorisation_timeout.to_seconds())),
            "PAYMENT_PROVIDER": self.payment_provider.value,
            "PAYMENT_PROVIDER_SECRET_ARN": self.provider_secret.secret_arn,
        }
        specs = {
            "validate": ("ValidateRequest", "validate_request", "Validates a billing request"),
            "calculate": ("CalculateInvoice", "calculate_invoice", "Calculates an invoice in minor units"),
            "store": ("StoreInvoice", "store_invoice", "Stores an invoice once per customer and period"),
            "request": (
                "RequestAuthorisation",
                "request_authorisation",
                "Stores the task token and asks the payment provider to authorise",
            ),
            "capture": ("CapturePayment", "capture_payment", "Captures an authorised payment once"),
            "void": ("VoidAuthorisation", "void_authorisation", "Voids an authorisation nobody waits for"),
            "webhook": (
                "PaymentWebhook",
                "payment_webhook",
                "Verifies the payment provider's signed webhook and resumes the waiting execution",
            ),
        }
        return {
            role: PythonFunction(
                self,
                f"{name}Function",
                entry=app_handler_code(),
                packages=["billing"],
                handler=f"{HANDLERS_MODULE}.{entry}",
                service=self.workflow_name,
                description=f"{self.workflow_name}: {what}",
                environment=environment,
                log_retention=log_retention,
                sentry_dsn_secret=sentry_dsn_secret,
            )
            for role, (name, entry, what) in specs.items()
        }

    def _email_templates(self) -> None:
        receipt = ses.CfnTemplate(
            self,
            "ReceiptTemplate",
            template=ses.CfnTemplate.TemplateProperty(
                template_name=self.receipt_template_name,
                subject_part="Your receipt for {{billingPeriod}}: {{total}}",
                text_part=(
                    "Thank you. We received your payment of {{total}} for invoice {{invoiceId}} "
                    "({{billingPeriod}}).\n\n"
                    "{{#each lines}}- {{description}}: {{quantity}} x {{unitPrice}} = {{amount}}\n{{/each}}"
                ),
                html_part=(
                    "<p>Thank you. We received your payment of <strong>{{total}}</strong> for invoice "
                    "{{invoiceId}} ({{billingPeriod}}).</p><table>"
                    "{{#each lines}}<tr><td>{{description}}</td><td>{{quantity}} x {{unitPrice}}</td>"
                    "<td>{{amount}}</td></tr>{{/each}}</table>"
                ),
            ),
        )
        decline = ses.CfnTemplate(
            self,
            "DeclineTemplate",
            template=ses.CfnTemplate.TemplateProperty(
                template_name=self.decline_template_name,
                subject_part="Your payment for {{billingPeriod}} was declined",
                text_part=(
                    "We could not take your payment of {{total}} for invoice {{invoiceId}} "
                    "({{billingPeriod}}): {{reason}}\n\nPlease check your payment method or use another one."
                ),
                html_part=(
                    "<p>We could not take your payment of <strong>{{total}}</strong> for invoice "
                    "{{invoiceId}} ({{billingPeriod}}): {{reason}}</p>"
                    "<p>Please check your payment method or use another one.</p>"
                ),
            ),
        )
        for template in (receipt, decline):
            ignore_cfn_lint(template, RESOURCE_TYPE_NOT_IN_EVERY_REGION)

    # The state machine -------------------------------------------------------------------------

    def _invoice_key(self) -> dict[str, sfn_tasks.DynamoAttributeValue]:
        return {"invoiceId": tasks.ddb_string(sfn.JsonPath.string_at("$.invoice.invoiceId"))}

    def _mark(
        self, name: str, *, update: str, condition: str, values: dict[str, str]
    ) -> sfn_tasks.DynamoUpdateItem:
        """A conditional update of the invoice; ``values`` are literals or JSONPaths (``$...``)."""
        uses_status = "#status" in update or "#status" in condition
        return tasks.dynamodb_update_item(
            self,
            name,
            table=self.invoices_table,
            key=self._invoice_key(),
            update_expression=update,
            condition_expression=condition,
            expression_attribute_names={"#status": "status"} if uses_status else None,
            expression_attribute_values={
                placeholder: tasks.ddb_string(
                    sfn.JsonPath.string_at(value) if value.startswith("$") else value
                )
                for placeholder, value in values.items()
            },
            result_path=sfn.JsonPath.DISCARD,
        )

    def _email(
        self,
        name: str,
        *,
        template_name: str,
        data_path: str,
        sender: str,
        identity_arn: str,
        result_path: str = sfn.JsonPath.DISCARD,
        result_selector: dict[str, Any] | None = None,
    ) -> Any:
        return tasks.send_email(
            self,
            name,
            from_address=sender,
            to_address_path="$.request.customerEmail",
            template_name=template_name,
            template_data=sfn.JsonPath.json_to_string(sfn.JsonPath.object_at(data_path)),
            identity_arn=identity_arn,
            template_arn=Stack.of(self).format_arn(
                service="ses", resource="template", resource_name=template_name
            ),
            result_selector=result_selector,
            result_path=result_path,
        )

    def _definition(self, alarm_topic: sns.ITopic, sender: str, identity_arn: str) -> sfn.IChainable:
        correlation = {"correlationId": sfn.JsonPath.string_at(tasks.CORRELATION_ID_PATH)}
        now = "$$.State.EnteredTime"
        f = self.functions

        validate = tasks.invoke_lambda(
            self, "Validate the billing request", function=f["validate"], result_path="$.request"
        )
        with_request = sfn.TaskInput.from_object(
            {**correlation, "request": sfn.JsonPath.object_at("$.request")}
        )
        calculate = tasks.invoke_lambda(
            self,
            "Calculate the invoice",
            function=f["calculate"],
            payload=with_request,
            result_path="$.invoice",
        )
        store = tasks.invoke_lambda(
            self,
            "Store the invoice as pending",
            function=f["store"],
            payload=with_request,
            result_path="$.stored",
        )
        request = WaitForCallback(
            self,
            "Payment authorisation",
            state_name=contract.REQUEST_AUTHORISATION_STATE,
            function=f["request"],
            payload={
                **correlation,
                "invoiceId": sfn.JsonPath.string_at("$.invoice.invoiceId"),
                "executionId": sfn.JsonPath.execution_id,
                "paymentMethodId": sfn.JsonPath.string_at("$.request.paymentMethodId"),
            },
            timeout=self.authorisation_timeout,
            rejection_errors=[PAYMENT_DECLINED_ERROR],
            on_rejected=self._declined(sender, identity_arn, now),
            on_timed_out=self._timed_out(alarm_topic, now),
            error_path="$.paymentError",
            result_path="$.authorisation",
        )
        mark_authorised = self._mark(
            "Mark the invoice authorised",
            update="SET #status = :authorised, providerAuthorisationId = :providerId, authorisedAt = :now",
            condition="#status IN (:awaiting, :authorised) AND authorisationId = :authorisationId",
            values={
                ":authorised": InvoiceStatus.AUTHORISED.value,
                ":awaiting": InvoiceStatus.AWAITING_AUTHORISATION.value,
                ":authorisationId": "$.authorisation.authorisationId",
                ":providerId": "$.authorisation.providerAuthorisationId",
                ":now": now,
            },
        )
        capture = tasks.invoke_lambda(
            self,
            contract.CAPTURE_STATE,
            function=f["capture"],
            payload=sfn.TaskInput.from_object(
                {**correlation, "invoiceId": sfn.JsonPath.string_at("$.invoice.invoiceId")}
            ),
            result_path="$.capture",
        )
        mark_paid = self._mark(
            "Mark the invoice paid",
            update="SET #status = :paid, captureId = :captureId, paidAt = if_not_exists(paidAt, :now)",
            condition="#status IN (:authorised, :paid)",
            values={
                ":paid": InvoiceStatus.PAID.value,
                ":authorised": InvoiceStatus.AUTHORISED.value,
                ":captureId": "$.capture.captureId",
                ":now": now,
            },
        )
        # At most one receipt per invoice: whoever writes the mark first sends it. The same execution
        # may write it again (a redrive after the email failed); another execution may not.
        claim_receipt = self._mark(
            "Claim the receipt email",
            update="SET receiptSentBy = :execution, receiptSentAt = if_not_exists(receiptSentAt, :now)",
            condition="attribute_not_exists(receiptSentBy) OR receiptSentBy = :execution",
            values={":execution": "$$.Execution.Id", ":now": now},
        )
        send_receipt = self._email(
            "Send the receipt email",
            template_name=self.receipt_template_name,
            data_path="$.invoice.receipt",
            sender=sender,
            identity_arn=identity_arn,
            result_selector={"status": RECEIPT_SENT},
            result_path=_RECEIPT_EMAIL,
        )
        summary = sfn.Pass(
            self,
            "Summarise the paid invoice",
            parameters={
                "correlationId.$": tasks.CORRELATION_ID_PATH,
                "invoiceId.$": "$.invoice.invoiceId",
                "customerId.$": "$.invoice.customerId",
                "billingPeriod.$": "$.invoice.billingPeriod",
                "totalCents.$": "$.invoice.totalCents",
                "currency.$": "$.invoice.currency",
                "status": InvoiceStatus.PAID.value,
                "receiptEmail.$": f"{_RECEIPT_EMAIL}.status",
            },
        )
        already_sent = sfn.Pass(
            self,
            "Note the receipt email was already sent",
            result=sfn.Result.from_object({"status": RECEIPT_SENT}),
            result_path=_RECEIPT_EMAIL,
        )
        claim_receipt.add_catch(
            already_sent, errors=[CONDITIONAL_CHECK_FAILED], result_path=sfn.JsonPath.DISCARD
        )
        already_sent.next(summary)
        send_receipt.add_catch(
            self._receipt_not_sent(alarm_topic, then=summary),
            errors=["States.ALL"],
            result_path="$.receiptFailure",
        )
        paid = claim_receipt.next(send_receipt).next(summary).next(sfn.Succeed(self, "Invoice paid"))
        capture.next(mark_paid).next(claim_receipt)

        request.next(mark_authorised).next(capture)

        where = (
            sfn.Choice(self, "Check where the invoice stands")
            .when(sfn.Condition.string_equals("$.stored.status", InvoiceStatus.PAID.value), paid)
            .when(sfn.Condition.string_equals("$.stored.status", InvoiceStatus.AUTHORISED.value), capture)
            .otherwise(request)
        )
        return validate.next(calculate).next(store).next(where)

    def _receipt_not_sent(self, alarm_topic: sns.ITopic, *, then: sfn.IChainable) -> sfn.IChainable:
        """The card was charged but the receipt could not be sent: never fail the paid run.

        Release this run's receipt claim, so that starting the billing run again for the same
        customer and period sends the receipt (exactly once), tell operations, and go on to ``then``
        with the receipt email ``PENDING``.
        """
        release = self._mark(
            "Release the receipt email claim",
            update="REMOVE receiptSentBy, receiptSentAt",
            condition="receiptSentBy = :execution",
            values={":execution": "$$.Execution.Id"},
        )
        tell_operations = tasks.publish_to_topic(
            self,
            "Tell operations the receipt was not sent",
            topic=alarm_topic,
            subject=f"{self.workflow_name}: receipt email not sent",
            message=sfn.TaskInput.from_object(
                {
                    "workflow": self.workflow_name,
                    "what": "The payment was captured and the invoice is PAID, but the receipt email "
                    "could not be sent.",
                    "next": "Fix the cause (is the sender verified in SES, is the account out of the "
                    "SES sandbox?), then start the billing run again for the same customer and period: "
                    "it charges nothing and sends the receipt once.",
                    "execution": sfn.JsonPath.execution_id,
                    "correlationId": sfn.JsonPath.string_at(tasks.CORRELATION_ID_PATH),
                    "invoiceId": sfn.JsonPath.string_at("$.invoice.invoiceId"),
                    "customerId": sfn.JsonPath.string_at("$.invoice.customerId"),
                    "billingPeriod": sfn.JsonPath.string_at("$.invoice.billingPeriod"),
                    "error": sfn.JsonPath.string_at("$.receiptFailure.Error"),
                    "cause": sfn.JsonPath.string_at("$.receiptFailure.Cause"),
                }
            ),
            result_path=sfn.JsonPath.DISCARD,
        )
        pending = sfn.Pass(
            self,
            "Note the receipt email is pending",
            result=sfn.Result.from_object({"status": RECEIPT_PENDING}),
            result_path=_RECEIPT_EMAIL,
        )
        # Operations are told even when the claim could not be released (the notice says why).
        release.add_catch(tell_operations, errors=["States.ALL"], result_path="$.receiptClaimRelease")
        release.next(tell_operations).next(pending).next(then)
        return release

    def _declined(self, sender: str, identity_arn: str, now: str) -> sfn.IChainable:
        read_reason = sfn.Pass(
            self,
            "Read the decline reason",
            parameters={"reason.$": "States.StringToJson($.paymentError.Cause)"},
            result_path="$.decline",
        )
        mark_failed = self._mark(
            "Mark the invoice payment failed",
            update="SET #status = :failed, declineCode = :code, declineMessage = :message, failedAt = :now",
            condition="#status IN (:awaiting, :failed) AND authorisationId = :authorisationId",
            values={
                ":failed": InvoiceStatus.PAYMENT_FAILED.value,
                ":awaiting": InvoiceStatus.AWAITING_AUTHORISATION.value,
                ":authorisationId": "$.decline.reason.authorisationId",
                ":code": "$.decline.reason.code",
                ":message": "$.decline.reason.message",
                ":now": now,
            },
        )
        notice = sfn.Pass(
            self,
            "Prepare the decline notice",
            parameters={
                "invoiceId.$": "$.invoice.invoiceId",
                "billingPeriod.$": "$.invoice.billingPeriod",
                "total.$": "$.invoice.receipt.total",
                "reason.$": "$.decline.reason.message",
            },
            result_path="$.declineNotice",
        )
        tell_customer = self._email(
            "Email the customer about the declined payment",
            template_name=self.decline_template_name,
            data_path="$.declineNotice",
            sender=sender,
            identity_arn=identity_arn,
        )
        fail = sfn.Fail(
            self, "Payment declined", error=PAYMENT_DECLINED_ERROR, cause_path="$.paymentError.Cause"
        )
        return read_reason.next(mark_failed).next(notice).next(tell_customer).next(fail)

    def _timed_out(self, alarm_topic: sns.ITopic, now: str) -> sfn.IChainable:
        void = tasks.invoke_lambda(
            self,
            "Void the authorisation",
            function=self.functions["void"],
            payload=sfn.TaskInput.from_object(
                {
                    "correlationId": sfn.JsonPath.string_at(tasks.CORRELATION_ID_PATH),
                    "invoiceId": sfn.JsonPath.string_at("$.invoice.invoiceId"),
                    "executionId": sfn.JsonPath.execution_id,
                }
            ),
            result_path="$.void",
        )
        mark_timed_out = self._mark(
            "Mark the invoice authorisation timed out",
            update="SET #status = :timedOut, timedOutAt = :now",
            condition="#status IN (:awaiting, :timedOut) AND executionId = :execution",
            values={
                ":timedOut": InvoiceStatus.AUTHORISATION_TIMED_OUT.value,
                ":awaiting": InvoiceStatus.AWAITING_AUTHORISATION.value,
                ":execution": "$$.Execution.Id",
                ":now": now,
            },
        )
        waited = self.authorisation_timeout.to_human_string()
        tell_operations = tasks.publish_to_topic(
            self,
            "Tell operations the authorisation timed out",
            topic=alarm_topic,
            subject=f"{self.workflow_name}: payment authorisation timed out",
            message=sfn.TaskInput.from_object(
                {
                    "workflow": self.workflow_name,
                    "what": f"The payment provider did not answer within {waited}. The authorisation was "
                    "voided and the invoice marked AUTHORISATION_TIMED_OUT; nobody was charged.",
                    "next": "Check the provider's status, then start the billing run again for the same "
                    "customer and period: it continues the same invoice.",
                    "execution": sfn.JsonPath.execution_id,
                    "correlationId": sfn.JsonPath.string_at(tasks.CORRELATION_ID_PATH),
                    "invoiceId": sfn.JsonPath.string_at("$.invoice.invoiceId"),
                    "customerId": sfn.JsonPath.string_at("$.invoice.customerId"),
                    "billingPeriod": sfn.JsonPath.string_at("$.invoice.billingPeriod"),
                }
            ),
            result_path=sfn.JsonPath.DISCARD,
        )
        fail = sfn.Fail(
            self,
            "Authorisation timed out",
            error=TIMED_OUT_ERROR,
            cause=f"No answer from the payment provider within {waited}; the authorisation was voided and "
            "operations were told.",
        )
        # Another execution took the invoice over meanwhile: leave its status alone, still escalate.
        mark_timed_out.add_catch(
            tell_operations, errors=[CONDITIONAL_CHECK_FAILED], result_path=sfn.JsonPath.DISCARD
        )
        return void.next(mark_timed_out).next(tell_operations).next(fail)

    # Permissions, metrics, the webhook ---------------------------------------------------------

    def _grant(self, stack: Stack) -> None:
        f = self.functions
        read, update, put = "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:PutItem"
        grants: list[tuple[str, dynamodb.TableV2, tuple[str, ...]]] = [
            ("store", self.invoices_table, (read, put)),
            ("request", self.invoices_table, (read, update)),
            ("capture", self.invoices_table, (read,)),
            ("void", self.invoices_table, (read,)),
            ("request", self.authorisations_table, (read, update)),
            ("void", self.authorisations_table, (read, update)),
            ("webhook", self.authorisations_table, (read, update)),
            ("capture", self.idempotency_table, (read, put, update, "dynamodb:DeleteItem")),
        ]
        for role, table, actions in grants:
            # The table itself, not its indexes (Table.grant would add "<table>/index/*").
            f[role].add_to_role_policy(
                iam.PolicyStatement(actions=list(actions), resources=[table.table_arn])
            )
        self.provider_secret.grant_read(f["webhook"])
        if self.payment_provider is PaymentProviderKind.HTTP:
            for role in ("request", "capture", "void"):
                self.provider_secret.grant_read(f[role])
        self.workflow.grant_task_response(f["webhook"])
        # The request step answers an immediate decline itself, and checks whether the execution that
        # holds an invoice still runs. Its state machine is named, not referenced: a reference would
        # make the state machine and its own function depend on each other.
        state_machine_arn = stack.format_arn(
            service="states",
            resource="stateMachine",
            resource_name=self.workflow_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        executions_arn = stack.format_arn(
            service="states",
            resource="execution",
            resource_name=f"{self.workflow_name}:*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        f["request"].add_to_role_policy(
            iam.PolicyStatement(
                actions=["states:SendTaskSuccess", "states:SendTaskFailure"], resources=[state_machine_arn]
            )
        )
        f["request"].add_to_role_policy(
            iam.PolicyStatement(actions=["states:DescribeExecution"], resources=[executions_arn])
        )
        request_role = f["request"].role
        assert request_role is not None
        acknowledge_wildcard_resource(
            request_role,
            executions_arn,
            reason="DescribeExecution on the executions of this one state machine: which execution "
            "holds an invoice is only known at run time.",
        )

    def _business_metrics(self) -> dict[str, cloudwatch.IMetric]:
        namespace = self.workflow_name
        counts = {
            METRIC_INVOICES_CREATED: "Invoices created",
            METRIC_PAYMENTS_AUTHORISED: "Payments authorised",
            METRIC_PAYMENTS_DECLINED: "Payments declined",
            METRIC_AUTHORISATIONS_TIMED_OUT: "Authorisations timed out",
        }
        found: dict[str, cloudwatch.IMetric] = {
            name: count_metric(namespace, name, label=label) for name, label in counts.items()
        }
        # One line per currency: amounts in different currencies must never be added up.
        found[METRIC_AMOUNT_CAPTURED] = cloudwatch.MathExpression(
            expression=f"SEARCH('{{{namespace},currency,service}} MetricName=\"{METRIC_AMOUNT_CAPTURED}\"', "
            f"'{METRIC_STATISTIC}', {int(METRIC_PERIOD.to_seconds())})",
            label="Amount captured (minor units)",
            using_metrics={},
            period=METRIC_PERIOD,
        )
        return found

    def _webhook_api(
        self, log_retention: logs.RetentionDays, manage_api_gateway_account: bool
    ) -> apigateway.RestApi:
        access_logs = logs.LogGroup(
            self,
            "WebhookAccessLogs",
            retention=log_retention,
            encryption_key=log_encryption_key(self),
            removal_policy=RETAINED,
        )
        api = apigateway.RestApi(
            self,
            "WebhookApi",
            rest_api_name=f"{self.workflow_name}-payment-webhook",
            description=f"{self.workflow_name}: the payment provider's webhook (HMAC-signed requests only)",
            endpoint_types=[apigateway.EndpointType.REGIONAL],
            # Access and execution logging need the account's API Gateway logging role; the region has
            # one such setting for every API, so taking it over is opt-in.
            cloud_watch_role=manage_api_gateway_account,
            cloud_watch_role_removal_policy=RETAINED if manage_api_gateway_account else None,
            deploy_options=apigateway.StageOptions(
                stage_name=WEBHOOK_STAGE,
                tracing_enabled=True,
                metrics_enabled=True,
                logging_level=apigateway.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,  # bodies are payment events: never in execution logs
                throttling_rate_limit=WEBHOOK_RATE_LIMIT,
                throttling_burst_limit=WEBHOOK_BURST_LIMIT,
                access_log_destination=apigateway.LogGroupLogDestination(access_logs),
                access_log_format=apigateway.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=False,
                ),
            ),
        )
        # RestApi outputs its stage's root URL; the stack outputs the webhook's own URL instead.
        api.node.try_remove_child("Endpoint")
        resource = api.root.resource_for_path(WEBHOOK_PATH)
        method = resource.add_method(
            "POST",
            apigateway.LambdaIntegration(self.webhook_function, allow_test_invoke=False),
            authorization_type=apigateway.AuthorizationType.NONE,
        )
        why_open = (
            "Payment providers call webhooks without AWS credentials or Cognito tokens; every request is "
            "authenticated inside the function by its HMAC-SHA256 signature and replay window, and "
            "anything unsigned is answered 401 without effect."
        )
        skip_checkov(method, "CKV_AWS_59", reason=why_open)
        skip_checkov(
            api.deployment_stage,
            "CKV_AWS_120",
            reason="The stage serves only signed webhook POSTs, each a distinct payment event: a cache would "
            "answer one event with the response to another.",
        )
        findings = {
            "AwsSolutions-APIG4": why_open,
            "AwsSolutions-COG4": why_open,
            "AwsSolutions-APIG2": "The body is validated after its signature is verified, in the function; "
            "validating first would answer unauthenticated callers with details of the event schema.",
            "AwsSolutions-APIG3": "Throttled at the stage (rate and burst) and authenticated by signature; a "
            "WAF web ACL can be associated by the operator where the account has one.",
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs]": "The AWS-managed policy API Gateway documents for its "
            "account-level logging role; it only writes API Gateway's own logs.",
        }
        for finding, reason in findings.items():
            Validations.of(api).acknowledge(Acknowledgment(id=finding, reason=reason))
        return api


def _role(function: Any) -> iam.IRole:
    role = function.role
    assert role is not None, f"function {function.node.path} has no role"
    return role  # type: ignore[no-any-return]


def _validate_props(
    *,
    sender_address: str,
    payment_provider: object,
    authorisation_timeout: Duration,
    sender_identity: ses.IEmailIdentity | None,
) -> None:
    match = _EMAIL.match(sender_address) if not Token.is_unresolved(sender_address) else None
    if match is None and not Token.is_unresolved(sender_address):
        raise InvalidPropsError(
            "sender_address", "must be an email address like billing@example.com", sender_address
        )
    if not isinstance(payment_provider, PaymentProviderKind):
        raise InvalidPropsError(
            "payment_provider",
            "must be PaymentProviderKind.SANDBOX or PaymentProviderKind.HTTP",
            payment_provider,
        )
    if not authorisation_timeout.is_unresolved():
        seconds = authorisation_timeout.to_seconds()
        if not MIN_AUTHORISATION_TIMEOUT.to_seconds() <= seconds <= MAX_AUTHORISATION_TIMEOUT.to_seconds():
            raise InvalidPropsError(
                "authorisation_timeout",
                "must be between 1 minute and 364 days",
                authorisation_timeout.to_human_string(),
            )
        if seconds % 60:
            raise InvalidPropsError(
                "authorisation_timeout",
                "must be a whole number of minutes",
                authorisation_timeout.to_human_string(),
            )
    if sender_identity is None or match is None or Token.is_unresolved(sender_identity.email_identity_name):
        return
    identity, domain = sender_identity.email_identity_name.lower(), match.group(1).lower()
    if identity != sender_address.lower() and not (domain == identity or domain.endswith(f".{identity}")):
        raise InvalidPropsError(
            "sender_identity",
            f"must verify the sender address or a domain it belongs to ({domain})",
            sender_identity.email_identity_name,
        )


__all__ = ["BillingWorkflow", "PaymentProviderKind"]
