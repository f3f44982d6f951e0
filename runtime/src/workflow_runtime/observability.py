"""Powertools Logger, Tracer and Metrics, configured the same way for every handler.

Usage in a handler module::

    from workflow_runtime import handler, logger, metrics, tracer

    @handler
    def lambda_handler(event, context): ...

``handler`` puts the payload's ``correlationId`` as ``correlation_id`` on every log line, on the
metrics document (EMF metadata, not a dimension), on the X-Ray trace (an annotation) and on
Sentry events (a tag); writes one start and one end line per invocation (with the duration),
flushes metrics, traces, and, when a Sentry DSN is configured, reports exceptions to Sentry
before re-raising them.

``@handler(log_keys=...)`` adds the step's key fields (a customer id, an invoice number) to every
line of the invocation, the start line included::

    @handler(log_keys=lambda event: {"customer_id": event["customer"]["id"]})
    def provision(event, context): ...
"""

from __future__ import annotations

import functools
import os
import time
import warnings
from collections.abc import Callable, Mapping
from typing import Any, overload

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths  # noqa: F401  (re-exported for handlers)

from workflow_runtime import sentry

CORRELATION_ID_PATH = "correlationId"
"""JMESPath of the correlation id in every execution payload."""

logger = Logger()
tracer = Tracer()
metrics = Metrics()

# Most steps record no business metric; Powertools would warn about that on every invocation.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)

Handler = Callable[[dict[str, Any], Any], Any]
LogKeys = Callable[[dict[str, Any]], Mapping[str, Any]]


@overload
def handler(function: Handler) -> Handler: ...


@overload
def handler(*, log_keys: LogKeys) -> Callable[[Handler], Handler]: ...


def handler(
    function: Handler | None = None, *, log_keys: LogKeys | None = None
) -> Handler | Callable[[Handler], Handler]:
    """Wrap a Lambda entry point with the house observability (see the module docstring).

    ``log_keys`` picks the step's key fields out of the event; keys whose value is None are left
    out, and a payload it cannot read adds none (the step itself reports what is wrong with it).
    """
    if function is None:
        return lambda decorated: _observed(decorated, log_keys)
    return _observed(function, log_keys)


def _key_fields(log_keys: LogKeys | None, event: Any) -> dict[str, Any]:
    if log_keys is None or not isinstance(event, dict):
        return {}
    try:
        return {key: value for key, value in log_keys(event).items() if value is not None}
    except (KeyError, TypeError, AttributeError):
        return {}


def _observed(function: Handler, log_keys: LogKeys | None) -> Handler:
    sentry.init_from_environment()

    @functools.wraps(function)
    def wrapped(event: dict[str, Any], context: Any) -> Any:
        started = time.perf_counter()
        step = function.__name__
        # An invocation without metrics is not flushed, so its metadata would pass to the next one.
        metrics.clear_metrics()
        found = event.get("correlationId") if isinstance(event, dict) else None
        correlation_id = found if isinstance(found, str) else None
        if correlation_id:
            # Metric data points are log lines too (EMF): this key traces each one to its request.
            metrics.add_metadata(key="correlation_id", value=correlation_id)
            # Annotations are indexed: X-Ray finds the traces of one request by this key.
            tracer.put_annotation(key="correlation_id", value=correlation_id)
        logger.append_keys(**_key_fields(log_keys, event))
        # Only an object's keys: a malformed payload (a number, a list of addresses) is neither
        # iterable as keys nor safe to log.
        keys = sorted(event) if isinstance(event, dict) else []
        logger.info("Step started", extra={"step": step, "event_keys": keys})
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
    """The service this function serves (``POWERTOOLS_SERVICE_NAME``, set by ``PythonFunction``)."""
    return os.environ.get("POWERTOOLS_SERVICE_NAME", "workflow")
