"""Test support for the ``workflows`` CLI: an isolated AWS environment, and running the CLI."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner, Result
from workflow_cli import app


def isolate_aws_environment(monkeypatch: pytest.MonkeyPatch, *, region: str) -> None:
    """``region``, fake credentials, and no profile, config file, endpoint or instance metadata."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", region)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def invoke_workflows(endpoint_url: str, *args: str, input: str | None = None) -> Result:
    """Run ``workflows --endpoint-url <endpoint_url> <args>`` as an operator would, and capture it.

    Unexpected exceptions propagate (a bug shows its traceback); exits are in ``exit_code``.
    """
    result = CliRunner().invoke(app, ["--endpoint-url", endpoint_url, *args], input=input)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result
