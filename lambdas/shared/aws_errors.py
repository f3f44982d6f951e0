"""Sort AWS API failures into the ones worth retrying and the ones that are final.

Usage in a logic module::

    with transient_aws_errors():
        iam.create_role(...)

Throttling, service-side (5xx) failures and connection problems become :class:`TransientError`, which
every library Lambda step retries with backoff; everything else propagates unchanged and fails the step.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import ClientError, ConnectionError, ReadTimeoutError

from shared.errors import TransientError

TRANSIENT_ERROR_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "ProvisionedThroughputExceededException",
        "SlowDown",
        "RequestTimeout",
        "RequestTimeoutException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "ServiceFailure",
        "InternalFailure",
        "InternalError",
        "InternalServerError",
        "InternalServiceError",
        "InternalServiceErrorException",
    }
)
"""Error codes AWS services use for "try again later"."""


def error_code(error: ClientError) -> str:
    """The AWS error code of a botocore ``ClientError`` (``""`` when absent)."""
    return str(error.response.get("Error", {}).get("Code", ""))


def is_transient(error: ClientError) -> bool:
    """Whether retrying the same call later can succeed."""
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    return error_code(error) in TRANSIENT_ERROR_CODES or status >= 500


@contextmanager
def transient_aws_errors() -> Iterator[None]:
    """Re-raise retryable AWS failures inside the block as :class:`TransientError`."""
    try:
        yield
    except ClientError as error:
        if is_transient(error):
            raise TransientError(f"{error_code(error)}: {error}") from error
        raise
    except (ConnectionError, ReadTimeoutError) as error:
        raise TransientError(f"{type(error).__name__}: {error}") from error
