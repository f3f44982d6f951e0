"""Exit codes and the one-line errors of the ``workflows`` CLI.

Every expected failure is a ``CliError``: the CLI prints ``error: <message>`` on stderr (one line)
and exits with its code. AWS SDK exceptions are translated by ``from_aws_error``.
"""

from __future__ import annotations

from enum import IntEnum

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
    ProfileNotFound,
    SSOTokenLoadError,
    TokenRetrievalError,
    UnauthorizedSSOTokenError,
)


class ExitCode(IntEnum):
    """What the CLI's exit status means (documented in ``workflows --help`` and docs/operations.md)."""

    OK = 0
    EXECUTION_UNSUCCESSFUL = 1
    USAGE = 2
    NOT_FOUND = 3
    AWS = 4
    REFUSED = 5
    INTERRUPTED = 130


EXIT_CODE_MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "success",
    ExitCode.EXECUTION_UNSUCCESSFUL: "start --wait: the execution ended FAILED, TIMED_OUT or ABORTED",
    ExitCode.USAGE: "bad usage: unknown option or workflow, unreadable or invalid JSON input",
    ExitCode.NOT_FOUND: "no such execution, or nothing waiting in it for what the command sends",
    ExitCode.AWS: "AWS unreachable or refused: credentials, region, endpoint, permissions, throttling; "
    "or a service a command calls refused",
    ExitCode.REFUSED: "redrive refused: the execution succeeded, is running, is too old or was redriven "
    "too often",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C); a started execution keeps running",
}


class CliError(Exception):
    """An expected failure: its message is the one line the operator reads."""

    exit_code = ExitCode.USAGE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(CliError):
    """The command line or its input is wrong."""

    exit_code = ExitCode.USAGE


class NotFoundError(CliError):
    """The execution, or the task waiting in it that the command answers, does not exist."""

    exit_code = ExitCode.NOT_FOUND


class AwsError(CliError):
    """AWS could not be reached or refused the request."""

    exit_code = ExitCode.AWS


_NOT_FOUND_CODES = {"ExecutionDoesNotExist", "StateMachineDoesNotExist", "ResourceNotFoundException"}
_STALE_TOKEN_CODES = {"TaskDoesNotExist", "TaskTimedOut", "InvalidToken"}
_BAD_ARN_CODES = {"InvalidArn", "InvalidName"}
_REJECTED_CREDENTIAL_CODES = {
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
}


def from_aws_error(error: Exception) -> CliError:
    """The one-line ``CliError`` for an exception raised by boto3/botocore."""
    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return AwsError(
            "no AWS credentials found: set AWS_PROFILE (or --profile), "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run `aws sso login`"
        )
    if isinstance(error, SSOTokenLoadError | TokenRetrievalError | UnauthorizedSSOTokenError):
        return AwsError(f"AWS SSO session is missing or expired: run `aws sso login` ({error})")
    if isinstance(error, NoRegionError):
        return AwsError("no AWS region: pass --region or set AWS_REGION")
    if isinstance(error, ProfileNotFound):
        return AwsError(f"AWS profile not found: {error.kwargs.get('profile')}")
    if isinstance(error, ParamValidationError):
        return UsageError(" ".join(str(error).split()))
    if isinstance(error, EndpointConnectionError):
        return AwsError(
            f"cannot reach {error.kwargs.get('endpoint_url')}: check --endpoint-url and your network"
        )
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "Unknown")
        message = error.response.get("Error", {}).get("Message", "") or code
        operation = error.operation_name
        if code in _NOT_FOUND_CODES:
            return NotFoundError(message)
        if code in _STALE_TOKEN_CODES:
            return NotFoundError(f"the task is no longer waiting (answered, timed out or stopped): {code}")
        if code in _BAD_ARN_CODES:
            return UsageError(message)
        if code in _REJECTED_CREDENTIAL_CODES:
            return AwsError(f"AWS rejected the credentials ({code}): {message}")
        if code.startswith("AccessDenied"):
            return AwsError(f"access denied to {operation}: {message}")
        return AwsError(f"{operation} failed: {code}: {message}")
    if isinstance(error, BotoCoreError):
        return AwsError(str(error))
    raise TypeError(f"not an AWS SDK error: [{error!r}]")
