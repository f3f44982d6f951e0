"""The Lambda entry points as Lambda runs them: configuration from the environment, logs, metrics."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

import pytest
from onboarding import handler
from onboarding.request import OnboardingRequestInvalid
from workflow_runtime import observability, sentry

# Steps that count nothing flush no metrics; Powertools warns about that, which is expected here.
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")

NOW = "2026-01-02T03:04:05.000Z"
CUSTOMER = {"id": "acme", "name": "Acme", "email": "ops@acme.example", "plan": "team"}


@dataclass
class LambdaContext:
    function_name: str = "onboarding-step"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:onboarding-step"
    aws_request_id: str = "request-1"


@pytest.fixture
def lambda_env(aws, monkeypatch):
    for name, value in {
        "CUSTOMERS_TABLE": "customers",
        "TENANTS_TABLE": "tenants",
        "TENANT_BUCKET": "tenant-bucket",
        "ALLOWED_PLANS": "starter, team,enterprise",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(observability.metrics, "namespace", "customer-onboarding")
    monkeypatch.setattr(observability.metrics, "service", "customer-onboarding")
    handler._client.cache_clear()  # clients made inside this test's moto
    yield aws
    handler._client.cache_clear()


@pytest.fixture
def log_stream():
    """Where the Powertools logger writes during the test (it bound sys.stdout when it was made)."""
    stream = io.StringIO()
    previous = observability.logger.registered_handler.setStream(stream)
    yield stream
    observability.logger.registered_handler.setStream(previous)


@pytest.fixture
def output(log_stream, capsys):
    """Every JSON document the invocations wrote so far: log lines, then metric (EMF) documents."""

    def read() -> list[dict]:
        text = log_stream.getvalue() + capsys.readouterr().out
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]

    return read


def _logs(lines):
    return [line for line in lines if "message" in line]


def _metric_counts(lines) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in lines:
        for directive in line.get("_aws", {}).get("CloudWatchMetrics", []):
            for metric in directive["Metrics"]:
                values = line[metric["Name"]]
                counts[metric["Name"]] = counts.get(metric["Name"], 0) + int(sum(values))
    return counts


def test_validation_normalises_the_request_with_the_plans_from_the_environment(lambda_env, output):
    # GIVEN a request for a plan named in ALLOWED_PLANS (with spaces around it there)
    event = {"correlationId": "req-1", "customer": {**CUSTOMER, "plan": "team"}, "requestedBy": "portal"}

    # WHEN the validation step runs
    result = handler.validate_request(event, LambdaContext())

    # THEN it answers the normalised request, and logs a start and an end line with the key fields
    assert result["customer"]["id"] == "acme"
    logs = _logs(output())
    assert [line["message"] for line in logs] == ["Step started", "Step finished"]
    for line in logs:
        assert (line["correlation_id"], line["customer_id"], line["plan"], line["step"]) == (
            "req-1",
            "acme",
            "team",
            "validate_request",
        )
    assert "duration_ms" in logs[-1]


def test_invalid_input_fails_with_the_workflow_error_and_logs_why(lambda_env, output):
    with pytest.raises(OnboardingRequestInvalid, match=r"^customer: is required; requestedBy: is required$"):
        handler.validate_request({"correlationId": "req-9"}, LambdaContext())
    logs = _logs(output())
    assert [(line["message"], line["correlation_id"]) for line in logs] == [
        ("Step started", "req-9"),
        ("Step failed", "req-9"),
    ]
    assert logs[-1]["error"] == "OnboardingRequestInvalid"


def test_provisioning_and_rollback_use_the_configured_stores(lambda_env, output):
    payload = {"correlationId": "req-1", "customer": CUSTOMER, "now": NOW}

    provisioned = handler.provision_tenant(payload, LambdaContext())
    assert lambda_env.tenant_keys("acme") == ["tenants/acme/tenant.json"]
    rolled_back = handler.roll_back_tenant(payload, LambdaContext())

    assert provisioned == {
        "tenant": {
            "tenantId": "acme",
            "configTable": "tenants",
            "storageBucket": "tenant-bucket",
            "storagePrefix": "tenants/acme/",
        }
    }
    assert (rolled_back["deletedObjectVersions"], rolled_back["deletedConfig"]) == (1, True)
    assert lambda_env.tenant_keys("acme") == []
    # Every line of both invocations carries the correlation id and the customer id.
    assert {(line["correlation_id"], line["customer_id"]) for line in _logs(output())} == {("req-1", "acme")}


def test_customers_onboarded_is_counted_once_however_often_the_step_runs(lambda_env, output):
    # GIVEN a customer being onboarded
    lambda_env.put_customer("acme", status="ONBOARDING", correlationId="req-1", attempt=1)
    payload = {
        "correlationId": "req-1",
        "customer": CUSTOMER,
        "provisioned": {"tenant": {}},
        "welcomeEmail": {"status": "SENT"},
        "now": NOW,
    }

    # WHEN the step runs twice (a retry after a lost response)
    outputs = [handler.complete_onboarding(payload, LambdaContext()) for _ in range(2)]

    # THEN both answer the same, and one CustomersOnboarded was emitted
    assert outputs[0] == outputs[1]
    assert outputs[0]["status"] == "ACTIVE"
    assert _metric_counts(output()) == {"CustomersOnboarded": 1}


def test_onboarding_failed_is_counted_once_per_failed_attempt(lambda_env, output):
    lambda_env.put_customer("acme", status="ONBOARDING", correlationId="req-1", attempt=1)
    payload = {
        "correlationId": "req-1",
        "customer": CUSTOMER,
        "attempt": "1",  # as Step Functions reads it from DynamoDB: a number's text
        "failure": {"Error": "States.TaskFailed", "Cause": "the child failed"},
        "now": NOW,
    }

    outputs = [handler.record_failure(payload, LambdaContext()) for _ in range(2)]

    assert outputs[0] == {"customerId": "acme", "status": "ONBOARDING_FAILED", "error": "States.TaskFailed"}
    assert _metric_counts(output()) == {"OnboardingFailed": 1}
    assert lambda_env.customer("acme")["failureCause"] == "the child failed"


def test_exceptions_are_reported_to_sentry_when_it_is_configured(lambda_env, monkeypatch):
    # GIVEN Sentry is on (a DSN was configured) and records what it is sent
    reported: list[BaseException] = []
    monkeypatch.setitem(sentry._state, "enabled", True)
    monkeypatch.setattr("sentry_sdk.capture_exception", lambda error, **scope: reported.append(error))

    # WHEN a step fails
    with pytest.raises(OnboardingRequestInvalid):
        handler.validate_request({"correlationId": "req-1"}, LambdaContext())

    # THEN the exception went to Sentry before failing the step
    assert [type(error).__name__ for error in reported] == ["OnboardingRequestInvalid"]
