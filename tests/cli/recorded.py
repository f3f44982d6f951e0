"""Execution histories in the shape GetExecutionHistory returns, for the pure parts of the CLI.

Each file in ``histories/`` says in its ``description`` what happened in that run; the events
follow the ``previousEventId`` chains, detail keys and JSON-string fields Step Functions records.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HISTORIES = Path(__file__).parent / "histories"


def load_history(name: str) -> dict[str, Any]:
    """A history fixture as boto3 returns it (timestamps as datetimes)."""
    document = json.loads((HISTORIES / f"{name}.json").read_text())
    for event in document["events"]:
        event["timestamp"] = datetime.fromisoformat(event["timestamp"])
    return document


def started_recently(recorded: dict[str, Any], minutes_ago: int = 10) -> dict[str, Any]:
    """The history moved in time to have started ``minutes_ago`` (log services refuse old lines)."""
    shift = datetime.now(UTC) - timedelta(minutes=minutes_ago) - recorded["events"][0]["timestamp"]
    for event in recorded["events"]:
        event["timestamp"] += shift
    return recorded
