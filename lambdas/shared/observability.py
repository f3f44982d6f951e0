"""Powertools Logger, Tracer and Metrics, configured the same way for every handler.

Usage in a handler module::

    from shared.observability import logger, metrics, tracer, handler

    @handler
    def lambda_handler(event, context): ...

``handler`` puts the payload's ``correlationId`` as ``correlation_id`` on every log line, on the
metrics document (EMF metadata, not a dimension), on the X-Ray trace (an annotation) and on
Sentry events (a tag); writes one start and one end line per invocation (with the duration),
flushes metrics, traces, and, when a Sentry DSN is configured, reports exceptions to Sentry
before re-raising them.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths  # noqa: F401  (re-exported for handlers)

from shared import sentry

CORRELATION_ID_PATH = "correlationId"
"""JMESPath of the correlation id in every execution payload."""

logger = Logger()
tracer = Tracer()
metrics = Metrics()

Handler = Callable[[dict[str, Any], Any], Any]


def handler(function: Handler) -> Handler:
    """Wrap a Lambda entry point with the house observability (see the module docstring)."""
    sentry.init_from_environment()

    @functools.wraps(function)
    def wrapped(event: dict[str, Any], context: Any) -> Any:
        started = time.perf_counter()
        step = function.__name__
        # An invocation without metrics is not flushed, so its metadata would pass to the next one.
        metrics.clear_metrics()
        found = (event or {}).get("correlationId")
        correlation_id = found if isinstance(found, str) else None
        if correlation_id:
            # Metric data points are log lines too (EMF): this key traces each one to its request.
            metrics.add_metadata(key="correlation_id", value=correlation_id)
            # Annotations are indexed: X-Ray finds the traces of one request by this key.
            tracer.put_annotation(key="correlation_id", value=correlation_id)
        logger.info("Step started", extra={"step": step, "event_keys": sorted(event or {})})
        try:
            result = function(event, context)
        except Exception as error:
            logger.warning(
                "Step failed",
                extra={
                    "step": step,
                    "error": type(error).__name__,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            sentry.capture(error, correlation_id=correlation_id)
            raise
        logger.info(
            "Step finished",
            extra={"step": step, "duration_ms": round((time.perf_counter() - started) * 1000, 1)},
        )
        return result

    traced = tracer.capture_lambda_handler(wrapped, capture_response=False)
    with_metrics = metrics.log_metrics(traced)
    return logger.inject_lambda_context(
        with_metrics, correlation_id_path=CORRELATION_ID_PATH, log_event=False, clear_state=True
    )


def service_name() -> str:
    return os.environ.get("POWERTOOLS_SERVICE_NAME", "workflow")
