"""The Powertools log lines of one request, from the log groups of a workflow's functions.

Handlers log JSON with ``correlation_id`` on every line (Powertools' Logger with a correlation id),
so one CloudWatch Logs filter per log group finds every line a business request caused.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

# Lines logged this long before the execution started, or after it stopped, still belong to it
# (clock skew between services; a Lambda still flushing after Step Functions moved on).
WINDOW_BEFORE = timedelta(minutes=1)
WINDOW_AFTER = timedelta(minutes=5)
DEFAULT_LINE_LIMIT = 100
SCAN_LIMIT = 5000
"""Lines read per log group at most: the newest ``limit`` of them are shown, as a failure is
explained by what was logged last."""

_LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
_EMF_KEY = "_aws"  # a Powertools metrics document (CloudWatch embedded metric format)
EMF_MESSAGE = "metrics"
# Keys every Powertools line has: not worth repeating after the message.
_STANDARD_KEYS = frozenset(
    {
        "level",
        "location",
        "message",
        "timestamp",
        "service",
        "cold_start",
        "function_name",
        "function_memory_size",
        "function_arn",
        "function_request_id",
        "correlation_id",
        "xray_trace_id",
        "sampling_rate",
    }
)


@dataclass(frozen=True)
class LogLine:
    """One log line of the request: when, where from, and the parsed JSON (when it is JSON)."""

    timestamp: datetime
    log_group: str
    message: str
    fields: Mapping[str, Any] = field(default_factory=dict)

    @property
    def extras(self) -> dict[str, Any]:
        """The line's own keys (step, error, duration_ms, ...), without the ones every line has;
        for a metrics document, its metric values."""
        return {key: value for key, value in self.fields.items() if key not in _STANDARD_KEYS | {_EMF_KEY}}


@dataclass(frozen=True)
class LogSearch:
    """What a search found, and what it could not read (one reason per unreadable log group)."""

    log_groups: tuple[str, ...]
    lines: tuple[LogLine, ...]
    problems: tuple[str, ...] = ()


def function_names(definition: Mapping[str, Any]) -> list[str]:
    """The Lambda functions a state machine definition invokes (``FunctionName`` or ``Resource``),
    in the order of their states, each once; names chosen at run time (``FunctionName.$``) are skipped."""
    found: list[str] = []
    for state in _states(definition):
        if state.get("Type") != "Task":
            continue
        resource = str(state.get("Resource", ""))
        name = None
        if resource.startswith(_LAMBDA_INVOKE):
            name = (state.get("Parameters") or state.get("Arguments") or {}).get("FunctionName")
        elif ":lambda:" in resource and ":function:" in resource:
            name = resource
        if isinstance(name, str) and name and name not in found:
            found.append(name)
    return found


def _states(definition: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every state, including those in Parallel branches and Map item processors."""
    for state in definition.get("States", {}).values():
        yield state
        for branch in [*state.get("Branches", []), state.get("ItemProcessor"), state.get("Iterator")]:
            if branch:
                yield from _states(branch)


def default_log_group(function_name: str) -> str:
    """Lambda's default log group of a function (given by name or ARN, qualified or not).

    >>> default_log_group("arn:aws:lambda:eu-west-1:111111111111:function:billing-Charge:$LATEST")
    '/aws/lambda/billing-Charge'
    """
    return f"/aws/lambda/{function_name.split(':function:')[-1].split(':')[0]}"


def log_group_of(lambda_client: Any, function_name: str) -> str:
    """The log group a function writes to: its ``LoggingConfig`` (PythonFunction names its own),
    else Lambda's default ``/aws/lambda/<name>``."""
    try:
        configuration = lambda_client.get_function_configuration(FunctionName=function_name)
    except (ClientError, BotoCoreError):
        return default_log_group(function_name)
    return str((configuration.get("LoggingConfig") or {}).get("LogGroup") or default_log_group(function_name))


def filter_pattern(correlation_id: str) -> str:
    """The CloudWatch Logs JSON filter matching lines of one correlation id."""
    escaped = correlation_id.replace("\\", "\\\\").replace('"', '\\"')
    return f'{{ $.correlation_id = "{escaped}" }}'


def search(
    logs_client: Any,
    log_groups: Iterable[str],
    correlation_id: str,
    *,
    started: datetime,
    stopped: datetime | None,
    limit: int = DEFAULT_LINE_LIMIT,
) -> LogSearch:
    """The newest ``limit`` lines of ``correlation_id`` in ``log_groups`` around the execution, oldest first.

    A log group that does not exist has no lines (a function that never ran has none). One that
    cannot be read (access denied, endpoint down) is reported in ``problems``, and the others are
    still searched.
    """
    groups = tuple(dict.fromkeys(log_groups))
    start = started - WINDOW_BEFORE
    end = (stopped or datetime.now(UTC)) + WINDOW_AFTER
    lines: list[LogLine] = []
    problems: list[str] = []
    for group in groups:
        try:
            lines.extend(_group_lines(logs_client, group, correlation_id, start, end))
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "Unknown")
            if code == "ResourceNotFoundException":
                continue
            problems.append(
                f"{group}: {code}: {error.response.get('Error', {}).get('Message', '')}".rstrip(": ")
            )
        except BotoCoreError as error:
            problems.append(f"{group}: {error}")
    lines.sort(key=lambda line: line.timestamp)
    return LogSearch(log_groups=groups, lines=tuple(lines[-limit:]), problems=tuple(problems))


def _group_lines(
    logs_client: Any, group: str, correlation_id: str, start: datetime, end: datetime
) -> Iterable[LogLine]:
    request: dict[str, Any] = {
        "logGroupName": group,
        "filterPattern": filter_pattern(correlation_id),
        "startTime": int(start.timestamp() * 1000),
        "endTime": int(end.timestamp() * 1000),
    }
    read = 0
    while read < SCAN_LIMIT:
        page = logs_client.filter_log_events(**request)
        for event in page.get("events", []):
            read += 1
            line = parse_line(group, event)
            # Checked again here: emulators (moto, so the local cloud) ignore JSON filter patterns.
            if line.fields.get("correlation_id") == correlation_id:
                yield line
        if not page.get("nextToken"):
            return
        request["nextToken"] = page["nextToken"]


def parse_line(group: str, event: Mapping[str, Any]) -> LogLine:
    """A FilterLogEvents event as a ``LogLine`` (JSON lines parsed, anything else kept as text)."""
    text = str(event.get("message", "")).rstrip("\n")
    timestamp = datetime.fromtimestamp(int(event.get("timestamp", 0)) / 1000, tz=UTC)
    try:
        fields = json.loads(text)
    except json.JSONDecodeError:
        return LogLine(timestamp=timestamp, log_group=group, message=text)
    if not isinstance(fields, dict):
        return LogLine(timestamp=timestamp, log_group=group, message=text)
    message = EMF_MESSAGE if _EMF_KEY in fields else str(fields.get("message", text))
    return LogLine(timestamp=timestamp, log_group=group, message=message, fields=fields)
