"""What the operator types: execution input files, correlation ids, durations."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from workflow_cli.errors import UsageError

CORRELATION_ID_KEY = "correlationId"
"""Where every execution input carries its correlation id (the workflows validate it first)."""
CORRELATION_ID_MAX_LENGTH = 128

_SINCE = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def read_input(source: str, stdin: IO[str]) -> dict[str, Any]:
    """The JSON object in file ``source`` (``-`` for stdin); a ``UsageError`` names what is wrong.

    >>> import io
    >>> read_input("-", io.StringIO('{"customer": {"id": "c-1"}}'))
    {'customer': {'id': 'c-1'}}
    """
    label = "stdin" if source == "-" else source
    try:
        text = stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"--input {label}: no such file") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as error:
        raise UsageError(f"--input {label} cannot be read: {error}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(
            f"--input {label} is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
        ) from None
    if not isinstance(document, dict):
        raise UsageError(f"--input {label} must be a JSON object, not {type(document).__name__}")
    return document


def with_correlation_id(
    payload: dict[str, Any],
    given: str | None,
    *,
    generate: Callable[[], str] = lambda: str(uuid.uuid4()),
) -> tuple[dict[str, Any], str]:
    """``payload`` with its ``correlationId`` settled, and that id.

    The input's own id is kept; ``--correlation-id`` supplies one (and must agree with the
    input's when both are given); otherwise a new UUID is generated. The id must be a non-empty
    string of at most 128 characters without surrounding whitespace.
    """
    existing = payload.get(CORRELATION_ID_KEY)
    if existing is not None and given is not None and existing != given:
        raise UsageError(
            f"--correlation-id [{given}] differs from the input's {CORRELATION_ID_KEY} [{existing}]; give one"
        )
    chosen = existing if existing is not None else given if given is not None else generate()
    source = "--correlation-id" if given is not None and existing is None else f"input {CORRELATION_ID_KEY}"
    if not isinstance(chosen, str) or not chosen or chosen != chosen.strip():
        raise UsageError(
            f"{source} must be a non-empty string without surrounding spaces. Received: [{chosen}]"
        )
    if len(chosen) > CORRELATION_ID_MAX_LENGTH:
        raise UsageError(
            f"{source} must be at most {CORRELATION_ID_MAX_LENGTH} characters (has {len(chosen)})"
        )
    return {**payload, CORRELATION_ID_KEY: chosen}, chosen


def parse_since(text: str) -> timedelta:
    """``30s``, ``15m``, ``1h``, ``2d`` or ``1w`` as a duration.

    >>> parse_since("90m")
    datetime.timedelta(seconds=5400)
    """
    match = _SINCE.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise UsageError(
            f"--since must be a positive number and a unit (s, m, h, d, w), like 1h. Received: [{text}]"
        )
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
