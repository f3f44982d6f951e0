"""The house observability, observed from outside: run a decorated handler in a fresh Python, the way
Lambda does (environment set before import), and read the JSON lines it writes to stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

RUNTIME_SOURCE = Path(__file__).resolve().parents[3] / "runtime" / "src"

# A handler module as a workflow writes it: decorators, then one call into logic.
HANDLER_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from dataclasses import dataclass
    from aws_lambda_powertools.metrics import MetricUnit
    from workflow_runtime import TransientError, handler, logger, metrics

    @handler
    def charge_card(event, context):
        logger.append_keys(amount=event["amount"])  # on every later line of this invocation
        logger.info("Charging")
        if event["amount"] < 0:
            raise TransientError("payment provider timed out")
        metrics.add_metric(name="CardsCharged", unit=MetricUnit.Count, value=1)
        return {"charged": event["amount"]}

    @dataclass
    class Context:
        function_name: str = "billing-ChargeCard"
        memory_limit_in_mb: int = 256
        invoked_function_arn: str = "arn:aws:lambda:eu-west-1:111111111111:function:billing-ChargeCard"
        aws_request_id: str = "req-1"

    for event in json.loads(sys.argv[1]):
        try:
            charge_card(event, Context())
        except TransientError:
            pass
    """
)


def run_handler(*events: dict) -> list[dict]:
    """Invoke the handler once per event in a fresh interpreter; every stdout line, parsed as JSON."""
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(RUNTIME_SOURCE),
        "POWERTOOLS_SERVICE_NAME": "billing",
        "POWERTOOLS_METRICS_NAMESPACE": "billing",
        "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon here
        "AWS_DEFAULT_REGION": "eu-west-1",
    }
    completed = subprocess.run(
        [sys.executable, "-c", HANDLER_SCRIPT, json.dumps(events)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return [json.loads(line) for line in completed.stdout.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def lines() -> list[dict]:
    # GIVEN a request that succeeds, one whose step fails, and one without a correlation id
    return run_handler(
        {"correlationId": "order-42", "amount": 10},
        {"correlationId": "order-43", "amount": -1},
        {"amount": 5},
    )


def _log_lines(lines: list[dict], correlation_id: str) -> list[dict]:
    return [line for line in lines if "message" in line and line.get("correlation_id") == correlation_id]


def test_every_log_line_carries_the_correlation_id_of_its_request(lines):
    log_lines = [line for line in lines if "message" in line]
    # THEN every log line names the request that caused it (none for the request without one)
    assert [line.get("correlation_id") for line in log_lines] == [
        *["order-42"] * 3,
        *["order-43"] * 3,
        *[None] * 3,
    ]
    assert [line["message"] for line in _log_lines(lines, "order-42")] == [
        "Step started",
        "Charging",
        "Step finished",
    ]


def test_start_and_end_lines_say_which_step_how_long_and_where(lines):
    started, charging, finished = _log_lines(lines, "order-42")
    assert started["step"] == "charge_card"
    assert started["event_keys"] == ["amount", "correlationId"]  # the keys, never the personal data
    assert started["level"] == "INFO"
    assert started["service"] == "billing"
    assert started["function_name"] == "billing-ChargeCard"
    assert started["function_request_id"] == "req-1"
    assert charging["amount"] == 10
    assert finished["step"] == "charge_card"
    assert isinstance(finished["duration_ms"], float)
    assert finished["duration_ms"] >= 0


def test_a_failed_step_logs_its_error_and_duration(lines):
    started, _, failed = _log_lines(lines, "order-43")
    assert started["message"] == "Step started"
    assert failed["message"] == "Step failed"
    assert failed["level"] == "WARNING"
    assert failed["error"] == "TransientError"
    assert failed["duration_ms"] >= 0


def test_keys_do_not_leak_between_invocations(lines):
    # GIVEN a warm runtime that served order-42 (which appended amount=10 to its lines)
    # THEN order-43's first line does not carry order-42's keys
    started = _log_lines(lines, "order-43")[0]
    assert "amount" not in started
    assert _log_lines(lines, "order-42")[2]["amount"] == 10


def test_metrics_are_flushed_in_the_workflow_namespace(lines):
    emf = [line for line in lines if "_aws" in line]
    # THEN one metrics document per successful request, in the workflow's namespace
    document, without_id = emf
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "billing"
    assert directive["Dimensions"] == [["service"]]
    assert directive["Metrics"] == [{"Name": "CardsCharged", "Unit": "Count"}]
    assert document["service"] == "billing"
    assert document["CardsCharged"] == [1.0]
    # AND the data point traces back to its request (metadata: searchable, not a costly dimension)
    assert document["correlation_id"] == "order-42"
    # AND no request's id passes to the next (order-43 failed before any metric, so was not flushed)
    assert "correlation_id" not in without_id


def test_traces_and_sentry_events_carry_the_correlation_id(monkeypatch):
    # GIVEN the decorator in this process, with X-Ray annotations and Sentry reports recorded
    from workflow_runtime import observability

    annotations, reports = [], []
    monkeypatch.setattr(
        observability.tracer, "put_annotation", lambda key, value: annotations.append((key, value))
    )
    monkeypatch.setattr(observability.sentry, "capture", lambda error, **tags: reports.append((error, tags)))
    monkeypatch.setattr(observability.metrics, "log_metrics", lambda function: function)

    def refuse(event, context):
        raise ValueError("no")

    lambda_handler = observability.handler(refuse)
    context = type(
        "Context",
        (),
        {
            "function_name": "f",
            "memory_limit_in_mb": 128,
            "invoked_function_arn": "arn:f",
            "aws_request_id": "r",
        },
    )()
    # WHEN a request fails
    with pytest.raises(ValueError, match="no"):
        lambda_handler({"correlationId": "order-44"}, context)
    # THEN its trace is annotated and its Sentry report tagged with its correlation id
    assert annotations == [("correlation_id", "order-44")]
    assert [(type(error).__name__, tags) for error, tags in reports] == [
        ("ValueError", {"correlation_id": "order-44"})
    ]
