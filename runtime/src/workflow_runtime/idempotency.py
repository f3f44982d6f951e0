"""Powertools idempotency backed by the DynamoDB table a construct passes in ``IDEMPOTENCY_TABLE``.

The persistence layer (and its boto3 client) is built on the first call, not at import, so one handler
module can hold both idempotent handlers and handlers of functions that have no idempotency table::

    @handler
    @idempotent_handler(event_key_jmespath="[runId, action, resource.key]")
    def lambda_handler(event, context): ...

A repeated event (same key) within ``expires_after_seconds`` returns the first result without running
the handler again; a concurrent repeat fails ``IdempotencyAlreadyInProgressError`` and is retried by
the workflow. A handler that raises leaves no record, so its retry runs for real.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent,
)

IDEMPOTENCY_TABLE_ENV = "IDEMPOTENCY_TABLE"
DEFAULT_EXPIRES_AFTER_SECONDS = 60 * 60  # 1 hour: longer than any workflow run retries one step

Handler = Callable[[dict[str, Any], Any], Any]


@functools.cache
def persistence_layer(table_name: str) -> DynamoDBPersistenceLayer:
    """One persistence layer (and boto3 client) per table for the life of the runtime."""
    return DynamoDBPersistenceLayer(table_name=table_name)


def idempotent_handler(
    *, event_key_jmespath: str, expires_after_seconds: int = DEFAULT_EXPIRES_AFTER_SECONDS
) -> Callable[[Handler], Handler]:
    """Make a Lambda entry point idempotent on the part of the event ``event_key_jmespath`` selects."""
    config = IdempotencyConfig(
        event_key_jmespath=event_key_jmespath,
        raise_on_no_idempotency_key=True,
        expires_after_seconds=expires_after_seconds,
    )

    def decorate(function: Handler) -> Handler:
        @functools.wraps(function)
        def wrapped(event: dict[str, Any], context: Any) -> Any:
            store = persistence_layer(os.environ[IDEMPOTENCY_TABLE_ENV])
            guarded = idempotent(persistence_store=store, config=config)(function)
            return guarded(event, context)

        return wrapped

    return decorate
