"""Sorting AWS failures into retryable and final (lambdas/shared/aws_errors.py)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from shared.aws_errors import transient_aws_errors
from shared.errors import TransientError


def client_error(code: str, status: int = 400) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op"
    )


@pytest.mark.parametrize(
    "error",
    [
        client_error("Throttling"),
        client_error("TooManyRequestsException"),
        client_error("ServiceUnavailable", 503),
        client_error("SomethingNew", 500),
        EndpointConnectionError(endpoint_url="https://iam.amazonaws.com"),
    ],
)
def test_retryable_failures_become_transient_errors(error):
    with pytest.raises(TransientError), transient_aws_errors():
        raise error


@pytest.mark.parametrize("code", ["AccessDenied", "LimitExceeded", "ValidationError"])
def test_final_failures_pass_through_unchanged(code):
    with pytest.raises(ClientError, match=code), transient_aws_errors():
        raise client_error(code)
