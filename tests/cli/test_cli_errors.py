"""AWS SDK exceptions become one line and the documented exit code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    ProfileNotFound,
    ReadTimeoutError,
    SSOTokenLoadError,
)
from workflow_cli.errors import EXIT_CODE_MEANINGS, ExitCode, from_aws_error
from workflow_cli.main import EPILOG

OPERATIONS_DOC = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def client_error(code: str, message: str = "details", operation: str = "DescribeExecution") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


@pytest.mark.parametrize(
    ("error", "code", "message"),
    [
        (NoCredentialsError(), ExitCode.AWS, r"^no AWS credentials found: set AWS_PROFILE"),
        (NoRegionError(), ExitCode.AWS, r"^no AWS region: pass --region or set AWS_REGION$"),
        (ProfileNotFound(profile="oncall"), ExitCode.AWS, r"^AWS profile not found: oncall$"),
        (SSOTokenLoadError(error_msg="expired"), ExitCode.AWS, r"^AWS SSO session is missing or expired"),
        (
            EndpointConnectionError(endpoint_url="http://localhost:4566"),
            ExitCode.AWS,
            r"^cannot reach http://localhost:4566: check --endpoint-url and your network$",
        ),
        (ReadTimeoutError(endpoint_url="https://states"), ExitCode.AWS, r"^Read timeout on endpoint URL"),
        (
            ParamValidationError(report="Invalid length for parameter name, value: 0,\n valid min length: 1"),
            ExitCode.USAGE,
            r"^Parameter validation failed: Invalid length for parameter name, value: 0, valid min length: 1",
        ),
        (
            client_error("ExecutionDoesNotExist", "Execution Does Not Exist: 'arn'"),
            ExitCode.NOT_FOUND,
            r"^Execution",
        ),
        (
            client_error("TaskTimedOut"),
            ExitCode.NOT_FOUND,
            r"^the task is no longer waiting .*: TaskTimedOut$",
        ),
        (client_error("InvalidArn", "Invalid Arn: 'x'"), ExitCode.USAGE, r"^Invalid Arn: 'x'$"),
        (
            client_error("ExpiredTokenException", "The security token included in the request is expired"),
            ExitCode.AWS,
            r"^AWS rejected the credentials \(ExpiredTokenException\): The security token",
        ),
        (
            client_error("AccessDeniedException", "not authorized to perform: states:StartExecution"),
            ExitCode.AWS,
            r"^access denied to DescribeExecution: not authorized to perform: states:StartExecution$",
        ),
        (
            client_error("ThrottlingException", "Rate exceeded"),
            ExitCode.AWS,
            r"^DescribeExecution failed: ThrottlingException: Rate exceeded$",
        ),
    ],
)
def test_aws_errors_become_one_line_with_their_exit_code(error, code, message):
    translated = from_aws_error(error)
    assert translated.exit_code == code
    assert re.search(message, translated.message)
    assert "\n" not in translated.message


def test_only_aws_errors_are_translated():
    with pytest.raises(TypeError, match=r"^not an AWS SDK error"):
        from_aws_error(ValueError("x"))


def test_every_exit_code_has_a_meaning_in_the_help():
    assert set(EXIT_CODE_MEANINGS) == set(ExitCode)
    for code, meaning in EXIT_CODE_MEANINGS.items():
        assert f"{int(code)} {meaning}" in EPILOG


def test_every_exit_code_is_documented_in_the_operations_guide():
    # GIVEN the exit-code table of docs/operations.md
    rows = dict(re.findall(r"^\| `(\d+)` \| (.+?) \|$", OPERATIONS_DOC.read_text(), flags=re.MULTILINE))
    # THEN it lists exactly the CLI's exit codes, each with the meaning the help prints
    assert rows == {str(int(code)): meaning for code, meaning in EXIT_CODE_MEANINGS.items()}
