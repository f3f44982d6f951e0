"""Fixtures of the CLI tests: recorded histories, a moto cloud that really runs state machines,
and a runner that invokes ``workflows`` as a user would."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws
from typer.testing import CliRunner
from workflow_cli import app

from tests.cli.support import isolate_aws_environment

REGION = "eu-west-1"


@pytest.fixture
def aws_environment(monkeypatch) -> None:
    """A region, fake credentials, and nothing from the developer's own AWS set-up."""
    isolate_aws_environment(monkeypatch, region=REGION)


@dataclass
class Cloud:
    """moto with Step Functions executing state machines for real (in a background thread)."""

    sfn: Any
    role_arn: str

    def state_machine(self, name: str, states: dict[str, Any], start_at: str) -> str:
        definition = {"StartAt": start_at, "States": states}
        return self.sfn.create_state_machine(
            name=name, definition=json.dumps(definition), roleArn=self.role_arn
        )["stateMachineArn"]

    def start(self, machine_arn: str, name: str, payload: dict[str, Any]) -> str:
        return self.sfn.start_execution(stateMachineArn=machine_arn, name=name, input=json.dumps(payload))[
            "executionArn"
        ]

    def wait_until(self, execution_arn: str, *, ended: bool = False, event_type: str | None = None) -> None:
        """Poll until the execution ended, or has an event of ``event_type`` (moto runs it in a thread)."""
        for _ in range(1000):
            if ended and self.sfn.describe_execution(executionArn=execution_arn)["status"] != "RUNNING":
                return
            if event_type and any(
                event["type"] == event_type
                for event in self.sfn.get_execution_history(executionArn=execution_arn)["events"]
            ):
                return
            time.sleep(0.01)
        raise AssertionError(f"{execution_arn} never got there (ended={ended}, event_type={event_type})")


@pytest.fixture
def cloud(aws_environment) -> Iterator[Cloud]:
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        # Step Functions in moto does not check the role, and creating one loads all of IAM.
        yield Cloud(sfn=boto3.client("stepfunctions"), role_arn="arn:aws:iam::123456789012:role/workflow")


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def run() -> Callable[..., Outcome]:
    """``run("status", "x", input="...", obj=clients)``: invoke ``workflows`` and capture what it printed."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, obj: Any = None) -> Outcome:
        result = runner.invoke(app, list(args), input=input, obj=obj)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Outcome(result.exit_code, result.stdout, result.stderr)

    return invoke
