"""Which AWS failures are worth retrying, said once for every handler.

botocore already retries throttling a few times within one invocation; what is still failing after
that is handed to Step Functions as :class:`~workflow_runtime.errors.TransientError`, which every Lambda step
retries with capped, jittered backoff. Anything else (access denied, validation, a failed
condition the caller did not handle) stays what it is and fails the step at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

from workflow_runtime.errors import TransientError

TRANSIENT_ERROR_CODES = frozenset(
    {
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "LimitExceededException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "RequestTimeout",
        "ServiceUnavailable",
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "TransactionConflictException",
    }
)
"""Error codes of throttling, contention and unavailability across the services handlers call."""


def error_code(error: ClientError) -> str:
    """The AWS error code of a failed call (``ConditionalCheckFailedException``, ``NoSuchKey``...)."""
    return str(error.response.get("Error", {}).get("Code", ""))


def is_transient(error: ClientError) -> bool:
    """Whether trying the same call again later may succeed."""
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    return error_code(error) in TRANSIENT_ERROR_CODES or status >= 500


@contextmanager
def transient_aws_errors(action: str) -> Iterator[None]:
    """Re-raise a transient failure of the AWS calls inside as ``TransientError``.

    ``action`` says what was being done, for the error message (``"write the tenant record"``).

    Example::

        with transient_aws_errors("write the tenant record"):
            dynamodb.put_item(...)
    """
    try:
        yield
    except ClientError as error:
        if is_transient(error):
            raise TransientError(f"could not {action}: {error_code(error)} ({error})") from error
        raise
    except (ConnectionError, HTTPClientError) as error:
        raise TransientError(f"could not {action}: {type(error).__name__} ({error})") from error
