"""The Lambda-side task library: what every Step Functions task handler needs, said once.

- ``handler``: the entry-point decorator (correlation id on every log line, on the metrics
  document, on the X-Ray trace and on Sentry events; one start and one end line with the duration).
- ``idempotent_handler``: Powertools idempotency on the DynamoDB table named in ``IDEMPOTENCY_TABLE``.
- ``TransientError`` / ``RequestInvalidError``: the errors a workflow retries, or fails on at once.
- ``transient_aws_errors`` / ``is_transient`` / ``error_code``: which AWS failures are worth retrying.
- ``delete_versions``: deleting object versions from a versioned bucket for good.

Example::

    from workflow_runtime import handler, logger

    @handler
    def greet(event, context):
        logger.info("Greeting")
        return {"greeting": f"Hello {event['name']}"}
"""

from __future__ import annotations

from workflow_runtime.aws_errors import TRANSIENT_ERROR_CODES, error_code, is_transient, transient_aws_errors
from workflow_runtime.errors import RequestInvalidError, TransientError
from workflow_runtime.idempotency import (
    DEFAULT_EXPIRES_AFTER_SECONDS,
    IDEMPOTENCY_TABLE_ENV,
    idempotent_handler,
)
from workflow_runtime.observability import CORRELATION_ID_PATH, handler, logger, metrics, tracer
from workflow_runtime.s3_versions import DELETE_BATCH, delete_versions

__all__ = [
    "CORRELATION_ID_PATH",
    "DEFAULT_EXPIRES_AFTER_SECONDS",
    "DELETE_BATCH",
    "IDEMPOTENCY_TABLE_ENV",
    "TRANSIENT_ERROR_CODES",
    "RequestInvalidError",
    "TransientError",
    "delete_versions",
    "error_code",
    "handler",
    "idempotent_handler",
    "is_transient",
    "logger",
    "metrics",
    "tracer",
    "transient_aws_errors",
]
