"""Sentry is opt-in: on only when a DSN is configured and sentry_sdk is importable; never fatal."""

from __future__ import annotations

import logging
import sys

import pytest
import sentry_sdk
from workflow_runtime import sentry

DSN = "https://public@o0.ingest.sentry.io/1"


class FakeSecretsManager:
    """Answers GetSecretValue like Secrets Manager, and records what was asked."""

    def __init__(self, secret_string: str | None = None, error: Exception | None = None) -> None:
        self.secret_string = secret_string
        self.error = error
        self.requested: list[str] = []

    def get_secret_value(self, *, SecretId: str) -> dict[str, str]:  # noqa: N803 (boto3's name)
        self.requested.append(SecretId)
        if self.error:
            raise self.error
        return {"ARN": SecretId, "SecretString": self.secret_string or ""}


@pytest.fixture(autouse=True)
def fresh_sentry(monkeypatch):
    """Each test starts unconfigured, and sentry_sdk.init/capture_exception only record their calls."""
    for name in ("SENTRY_DSN", "SENTRY_DSN_SECRET_ARN", "SENTRY_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    sentry.reset_for_tests()
    calls: dict[str, list] = {"init": [], "capture": []}
    monkeypatch.setattr(sentry_sdk, "init", lambda **kwargs: calls["init"].append(kwargs))
    monkeypatch.setattr(
        sentry_sdk, "capture_exception", lambda error, **scope: calls["capture"].append((error, scope))
    )
    yield calls
    sentry.reset_for_tests()


def test_off_without_a_dsn(fresh_sentry):
    # GIVEN neither SENTRY_DSN nor SENTRY_DSN_SECRET_ARN
    client = FakeSecretsManager(DSN)
    # WHEN initialised
    enabled = sentry.init_from_environment(client)
    # THEN Sentry stays off, no secret is read, and capture is a no-op
    assert enabled is False
    assert client.requested == []
    sentry.capture(RuntimeError("boom"))
    assert fresh_sentry == {"init": [], "capture": []}


def test_dsn_from_the_environment(monkeypatch, fresh_sentry):
    # GIVEN a DSN in the environment and a deployment environment name
    monkeypatch.setenv("SENTRY_DSN", DSN)
    monkeypatch.setenv("SENTRY_ENVIRONMENT", "staging")
    # WHEN initialised
    assert sentry.init_from_environment() is True
    # THEN Sentry is initialised with that DSN, the Lambda integration and no personal data
    (kwargs,) = fresh_sentry["init"]
    assert kwargs["dsn"] == DSN
    assert kwargs["environment"] == "staging"
    assert kwargs["send_default_pii"] is False
    assert [type(i).__name__ for i in kwargs["integrations"]] == ["AwsLambdaIntegration"]


def test_dsn_from_the_secret_through_an_injected_client(monkeypatch, fresh_sentry):
    # GIVEN the ARN of a secret whose value is the DSN with stray whitespace (as pasted in the console)
    arn = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:sentry-dsn-AbCdEf"
    monkeypatch.setenv("SENTRY_DSN_SECRET_ARN", arn)
    client = FakeSecretsManager(f"  {DSN}\n")
    # WHEN initialised
    assert sentry.init_from_environment(client) is True
    # THEN the secret was read once by its ARN, and its trimmed value is the DSN
    assert client.requested == [arn]
    assert fresh_sentry["init"][0]["dsn"] == DSN
    assert fresh_sentry["init"][0]["environment"] == "production"


def test_initialises_once_per_runtime(monkeypatch, fresh_sentry):
    monkeypatch.setenv("SENTRY_DSN_SECRET_ARN", "arn:secret")
    client = FakeSecretsManager(DSN)
    # WHEN a warm Lambda runtime initialises again
    assert sentry.init_from_environment(client) is True
    assert sentry.init_from_environment(client) is True
    # THEN the secret is not read again
    assert client.requested == ["arn:secret"]
    assert len(fresh_sentry["init"]) == 1


def test_an_empty_secret_leaves_sentry_off(monkeypatch, fresh_sentry):
    monkeypatch.setenv("SENTRY_DSN_SECRET_ARN", "arn:secret")
    assert sentry.init_from_environment(FakeSecretsManager("   ")) is False
    assert fresh_sentry["init"] == []


def test_an_unreadable_secret_warns_and_leaves_the_handler_working(monkeypatch, fresh_sentry, caplog):
    # GIVEN a secret the function may not read
    monkeypatch.setenv("SENTRY_DSN_SECRET_ARN", "arn:secret")
    client = FakeSecretsManager(error=PermissionError("AccessDeniedException"))
    # WHEN initialised
    with caplog.at_level(logging.WARNING, logger="workflow_runtime.sentry"):
        enabled = sentry.init_from_environment(client)
    # THEN Sentry is off and a warning says why; nothing is raised
    assert enabled is False
    assert "Sentry DSN secret could not be read (AccessDeniedException)" in caplog.text


def test_missing_sentry_sdk_warns_and_leaves_the_handler_working(monkeypatch, fresh_sentry, caplog):
    # GIVEN a DSN but no sentry_sdk on the Lambda runtime (no layer, not bundled)
    monkeypatch.setenv("SENTRY_DSN", DSN)
    monkeypatch.setitem(sys.modules, "sentry_sdk", None)  # makes `import sentry_sdk` raise ImportError
    # WHEN initialised
    with caplog.at_level(logging.WARNING, logger="workflow_runtime.sentry"):
        enabled = sentry.init_from_environment()
    # THEN Sentry is off, a warning says why, and capture is a no-op
    assert enabled is False
    assert "sentry_sdk is not installed" in caplog.text
    sentry.capture(RuntimeError("boom"))
    assert fresh_sentry["capture"] == []


def test_capture_reports_when_on_tagged_with_the_correlation_id(monkeypatch, fresh_sentry):
    monkeypatch.setenv("SENTRY_DSN", DSN)
    sentry.init_from_environment()
    error = RuntimeError("card declined")
    sentry.capture(error, correlation_id="order-42")
    sentry.capture(error)
    assert fresh_sentry["capture"] == [
        (error, {"tags": {"correlation_id": "order-42"}}),
        (error, {"tags": {}}),
    ]
