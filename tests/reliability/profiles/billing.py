"""Billing (``billing``): one invoice per customer and month, captured once, one receipt; the
provider answers through a signed webhook, which forged and replayed deliveries must not get past."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from typing import Any, ClassVar

from billing import contract
from workflow_local_cloud import Execution
from workflow_tools.payments_sandbox import (
    SIGNATURE_HEADER,
    SandboxClients,
    WebhookDelivery,
    api_gateway_event,
    build_event,
    deliver_sandbox_webhook,
    find_authorisation,
    sign,
)

from tests.reliability.profiles.base import (
    Answer,
    Forgery,
    Outcome,
    Request,
    Run,
    Scenario,
    WorkflowProfile,
    callback_token,
)
from tests.reliability.tally import Verdict

AUTHORISE = contract.REQUEST_AUTHORISATION_STATE
FINAL_INVOICE_STATUSES = ("PAID", "PAYMENT_FAILED", "AUTHORISATION_TIMED_OUT")
CAPTURED = "Sandbox captured payment"  # the sandbox provider's line for each capture call it receives
STALE_SECONDS = 10 * 60  # beyond the webhook's five-minute replay window
WEBHOOK_MAX_BODY_BYTES = 64 * 1024


def _invoice_id(customer_id: str, billing_period: str) -> str:
    # The derivation billing documents (lambdas/billing/invoice.py), written out to check it.
    digest = hashlib.sha256(f"{customer_id}\x1f{billing_period}".encode()).hexdigest()
    return f"inv-{billing_period}-{digest[:20]}"


def _declined_card(profile: WorkflowProfile, unique: str) -> Request:
    return {**profile.request(unique), "paymentMethodId": "pm_card_chargeDeclinedInsufficientFunds"}


def _no_answer_in_time(profile: WorkflowProfile, execution: Execution, request: Request) -> list[Answer]:
    billing = profile if isinstance(profile, Billing) else None
    assert billing is not None
    if billing.waiting_authorisation(execution) is not None:
        profile.harness.time_out_callback(execution, AUTHORISE)
    return []


class Billing(WorkflowProfile):
    """Clean end: the invoice PAID with one capture and one receipt; or PAYMENT_FAILED with no
    capture and one notice; or AUTHORISATION_TIMED_OUT with nothing charged or sent. Never two
    invoices for a month, never a capture without a PAID invoice."""

    workflow: ClassVar[str] = "billing"
    stack: ClassVar[str] = "Billing"
    invalid_error: ClassVar[str] = "BillingRequestInvalid"
    validation_state: ClassVar[str] = "Validate the billing request"
    sample: ClassVar[str] = "authorised-payment.json"
    scenarios: ClassVar[tuple[Scenario, ...]] = (
        Scenario("an authorised payment"),
        Scenario(
            "a declined card", expect=Outcome("FAILED", contract.PAYMENT_DECLINED), request=_declined_card
        ),
        Scenario(
            "no answer from the provider in time",
            expect=Outcome("FAILED", "AuthorisationTimedOut"),
            drive=_no_answer_in_time,
        ),
        Scenario(
            "SES refuses the receipt",
            faults=(("Send the receipt email", "SesV2.MessageRejected"),),
        ),
    )
    bookkeeping: ClassVar[tuple[str, ...]] = ()
    residual_faults: ClassVar[dict[str, str]] = {
        "Release the receipt email claim": "when releasing the claim of an unsent receipt fails for good, "
        "the claim stays (the operations notice carries the error): removing receiptSentBy from the "
        "invoice by hand lets the next billing run for the period send the receipt"
    }
    required: ClassVar[tuple[str, ...]] = (
        "correlationId",
        "customerId",
        "billingPeriod",
        "currency",
        "paymentMethodId",
        "customerEmail",
        "lineItems",
        "lineItems[0].description",
        "lineItems[0].quantity",
        "lineItems[0].unitPriceCents",
    )
    bounded_strings: ClassVar[tuple[str, ...]] = (
        "correlationId",
        "customerId",
        "paymentMethodId",
        "customerEmail",
        "lineItems[0].description",
        "lineItems[1].description",
    )
    identifiers: ClassVar[tuple[str, ...]] = ("customerId", "billingPeriod", "currency", "paymentMethodId")
    amounts: ClassVar[tuple[str, ...]] = (
        "lineItems[0].quantity",
        "lineItems[0].unitPriceCents",
        "lineItems[1].quantity",
    )
    personal_fields: ClassVar[tuple[str, ...]] = ("customerEmail",)

    def request(self, unique: str) -> Request:
        request = super().request(unique)
        customer = f"cus_rel_{unique}"
        return {**request, "customerId": customer, "customerEmail": f"{customer}@example.com"}

    # Where billing keeps its state ------------------------------------------------------------

    @property
    def outputs(self) -> dict[str, str]:
        return self.deployment.outputs(self.stack)

    @property
    def sandbox(self) -> SandboxClients:
        return SandboxClients.from_session(self.harness.session, endpoint_url=self.harness.endpoint_url)

    def waiting_authorisation(self, execution: Execution) -> dict[str, Any] | None:
        """The authorisation ``execution`` waits for, once the provider has it (None if it ended first)."""
        if callback_token(self.harness, execution, AUTHORISE) is None:
            return None
        deadline = time.monotonic() + 10
        while True:
            found = find_authorisation(
                self.harness.client("dynamodb"),
                self.outputs["AuthorisationsTableName"],
                execution_arn=execution.arn,
            )
            if found is not None or time.monotonic() > deadline:
                return found
            time.sleep(0.02)

    def captures(self, invoice_id: str) -> int:
        """Capture calls that reached the (sandbox) provider for one invoice."""
        function = self.deployment.physical_id(
            self.stack, "BillingCapturePaymentFunction", "AWS::Lambda::Function"
        )
        return sum(
            1
            for line in self.harness.lambda_log_lines(function)
            if CAPTURED in line.message and invoice_id in line.message
        )

    # Running ----------------------------------------------------------------------------------

    def drive(self, execution: Execution, request: Request) -> list[Answer]:
        """Deliver the sandbox provider's signed answer (as the test card decides) once it is asked."""
        authorisation = self.waiting_authorisation(execution)
        if authorisation is None:
            return []
        delivery = deliver_sandbox_webhook(
            execution_arn=execution.arn, transport="invoke", clients=self.sandbox
        )
        outcome = "declined" if delivery.event["type"] == "authorisation.declined" else "authorised"

        def again() -> WebhookDelivery:
            return deliver_sandbox_webhook(
                authorisation_id=delivery.authorisation_id,
                outcome=outcome,
                transport="invoke",
                clients=self.sandbox,
            )

        def refused(repeat: WebhookDelivery) -> bool:
            return repeat.status_code != 200 or repeat.response.get("status") in ("duplicate", "closed")

        return [Answer(AUTHORISE, f"the provider's {delivery.event['type']} webhook", again, refused)]

    def observe(self, request: Request) -> dict[str, Any] | None:
        if not isinstance(request, dict) or not isinstance(request.get("customerId"), str):
            return None
        invoice_id = _invoice_id(request["customerId"], str(request.get("billingPeriod")))
        invoices = [
            item
            for item in self.harness.client("dynamodb").scan(TableName=self.outputs["InvoicesTableName"])[
                "Items"
            ]
            if item.get("customerId", {}).get("S") == request["customerId"]
        ]
        invoice = self.deployment.item(self.outputs["InvoicesTableName"], {"invoiceId": invoice_id})
        emails = [email.template for email in self.harness.emails(to=str(request.get("customerEmail")))]
        return {
            "invoices": len(invoices),
            "status": invoice.get("status"),
            "captures": self.captures(invoice_id),
            "receipts": emails.count("billing-receipt"),
            "receiptClaimed": "receiptSentBy" in invoice,
            "notices": emails.count("billing-payment-declined"),
            "emails": len(emails),
        }

    def judge(self, run: Run) -> Verdict:
        verdict = Verdict()
        seen = run.observed_after
        if seen is None:
            return verdict
        status, error = run.result.status, run.result.error
        if seen["invoices"] > 1:
            verdict.doubled.append(f"{seen['invoices']} invoices for one customer and month")
        if seen["captures"] > 1:
            verdict.doubled.append(f"the provider was asked to capture {seen['captures']} times")
        if seen["receipts"] > 1 or seen["notices"] > 1:
            verdict.doubled.append(f"{seen['receipts']} receipts and {seen['notices']} decline notices")
        if seen["captures"] and seen["status"] != "PAID":
            verdict.lost.append(f"captured, but the invoice is {seen['status']}")
        if status == "SUCCEEDED":
            # A receipt SES refused is PENDING: its claim released, so a new run for the period sends it.
            pending = (run.result.output or {}).get("receiptEmail") == "PENDING"
            if pending and seen["receiptClaimed"]:
                verdict.side_effects.append("the receipt is PENDING but its claim was not released")
            elif seen["receipts"] == 0 and seen["receiptClaimed"]:
                verdict.side_effects.append("the receipt claim is held but no receipt was sent")
            elif (seen["status"], seen["captures"], seen["receipts"]) != ("PAID", 1, 0 if pending else 1):
                verdict.lost.append(f"succeeded with {seen}")
        elif error == contract.PAYMENT_DECLINED:
            if (seen["status"], seen["captures"], seen["notices"]) != ("PAYMENT_FAILED", 0, 1):
                verdict.lost.append(f"declined with {seen}")
        elif error == "AuthorisationTimedOut":
            if (seen["status"], seen["captures"], seen["emails"]) != ("AUTHORISATION_TIMED_OUT", 0, 0):
                verdict.lost.append(f"timed out with {seen}")
        elif seen["status"] is not None and seen["status"] not in FINAL_INVOICE_STATUSES:
            verdict.lost.append(f"failed {error} with the invoice left {seen['status']}")
        return verdict

    # Forged and malformed webhooks ------------------------------------------------------------

    def answers_to_forge(self, execution: Execution, request: Request) -> list[Forgery]:
        """Deliveries to the webhook that must each be refused while ``execution`` waits."""
        authorisation = self.waiting_authorisation(execution)
        assert authorisation is not None, self.harness.trace(execution).render()
        secret = json.loads(
            self.harness.client("secretsmanager").get_secret_value(
                SecretId=self.outputs["ProviderSecretArn"]
            )["SecretString"]
        )["signingSecret"]
        now = int(time.time())
        genuine = build_event(authorisation, outcome="authorised", created=now)

        def body(event: Any) -> bytes:
            return json.dumps(event, separators=(",", ":")).encode()

        def post(payload: bytes, signature: str | None) -> Any:
            headers = {"Content-Type": "application/json"}
            if signature is not None:
                headers[SIGNATURE_HEADER] = signature
            answer = self.harness.client("lambda").invoke(
                FunctionName=self.outputs["WebhookFunctionName"],
                Payload=json.dumps(api_gateway_event(headers, payload)).encode(),
            )
            return json.loads(answer["Payload"].read() or b"{}").get("statusCode")

        def refused_with(*codes: int) -> Any:
            return lambda status: status in codes

        tampered = {
            **genuine,
            "data": {**genuine["data"], "amountCents": genuine["data"]["amountCents"] // 2},
        }
        unknown = {
            **genuine,
            "id": f"evt_{uuid.uuid4().hex}",
            "data": {**genuine["data"], "authorisationId": str(uuid.uuid4())},
        }
        wrong_amount = {
            **genuine,
            "id": f"evt_{uuid.uuid4().hex}",
            "data": {**genuine["data"], "amountCents": 1},
        }
        oversized = {**genuine, "padding": "x" * WEBHOOK_MAX_BODY_BYTES}
        return [
            Forgery(
                "signed with a guessed secret",
                lambda: post(body(genuine), sign("whsec_" + "g" * 40, now, body(genuine))),
                refused_with(401),
            ),
            Forgery("not signed", lambda: post(body(genuine), None), refused_with(401)),
            Forgery(
                "a malformed signature header", lambda: post(body(genuine), "v1=deadbeef"), refused_with(401)
            ),
            Forgery(
                "a genuine signature of a stale timestamp (a replay)",
                lambda: post(body(genuine), sign(secret, now - STALE_SECONDS, body(genuine))),
                refused_with(401),
            ),
            Forgery(
                "a genuine signature from the future",
                lambda: post(body(genuine), sign(secret, now + STALE_SECONDS, body(genuine))),
                refused_with(401),
            ),
            Forgery(
                "a genuine signature over another body (tampered amount)",
                lambda: post(body(tampered), sign(secret, now, body(genuine))),
                refused_with(401),
            ),
            Forgery(
                "signed, for an authorisation nobody requested",
                lambda: post(body(unknown), sign(secret, now, body(unknown))),
                refused_with(404),
            ),
            Forgery(
                "signed, with an amount that differs from the request",
                lambda: post(body(wrong_amount), sign(secret, now, body(wrong_amount))),
                refused_with(422),
            ),
            Forgery(
                "signed, a body over 64 KiB",
                lambda: post(body(oversized), sign(secret, now, body(oversized))),
                refused_with(413),
            ),
            Forgery(
                "signed, not JSON",
                lambda: post(b"{not json", sign(secret, now, b"{not json")),
                refused_with(400),
            ),
        ]
