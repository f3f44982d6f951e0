"""The names the CLI reads and writes: stages and the executions it starts.

These follow the naming rules of the ``workflow-constructs`` library (``workflow_constructs.naming``),
which deploys the state machines, without depending on it: that distribution brings aws-cdk-lib,
which an operator's machine has no use for. ``tests/cli/test_cli_naming.py`` checks, for any input,
that both give the same answers, so the two cannot drift apart.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from datetime import UTC, datetime

STAGE_ENV_VAR = "WORKFLOWS_STAGE"
"""Environment variable the CLI reads the stage from (as ``--stage`` does)."""
STAGE_MAX_LENGTH = 16
EXECUTION_NAME_MAX_LENGTH = 80
_STAGE = re.compile(rf"^[a-z](?:[a-z0-9-]{{0,{STAGE_MAX_LENGTH - 2}}}[a-z0-9])?$")
_SLUG_DROP = re.compile(r"[^0-9A-Za-z_-]+")
_UNIQUE_ID = re.compile(r"[0-9a-f]{8}")


class InvalidStageError(ValueError):
    """A stage that is not a name the deployment could have prefixed its names with."""


def parse_stage(value: str | None) -> str | None:
    """The stage ``value`` names (``None`` or ``""``: the unstaged deployment), or :class:`InvalidStageError`.

    >>> parse_stage("dev"), parse_stage(None)
    ('dev', None)
    """
    if value is None or value == "":
        return None
    if not _STAGE.match(value):
        raise InvalidStageError(
            f"stage must be 1-{STAGE_MAX_LENGTH} characters of lowercase letters, digits and '-', "
            f"starting with a letter and not ending with '-'. Received: [{value}]"
        )
    return value


def physical_name(name: str, stage: str | None) -> str:
    """``name`` as ``stage`` deploys it: ``<stage>-<name>``, or ``name`` without a stage.

    >>> physical_name("billing", "dev"), physical_name("billing", None)
    ('dev-billing', 'billing')
    """
    stage = parse_stage(stage)
    return name if stage is None else f"{stage}-{name}"


def logical_name(name: str, stage: str | None) -> str | None:
    """The inverse of :func:`physical_name`; None when ``name`` belongs to another stage.

    >>> logical_name("dev-billing", "dev"), logical_name("prod-billing", "dev")
    ('billing', None)
    """
    stage = parse_stage(stage)
    if stage is None:
        return name
    prefix = f"{stage}-"
    return name[len(prefix) :] if name.startswith(prefix) and len(name) > len(prefix) else None


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"-{2,}", "-", _SLUG_DROP.sub("-", ascii_text.strip().lower())).strip("-_")


def execution_name(
    workflow: str, reason: str, *, now: datetime | None = None, unique_id: str | None = None
) -> str:
    """``<workflow>-<reason>-<UTC yyyymmddTHHMMSSZ>-<8 hex>``, at most 80 characters of ``0-9A-Za-z-_``.

    Too long a name loses the end of its reason, never its time or id. ``now`` (timezone-aware) and
    ``unique_id`` (8 lowercase hex characters) default to the current time and a random id.

    >>> execution_name("billing", "Monthly run", now=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    ...                unique_id="0badc0de")
    'billing-monthly-run-20260102T030405Z-0badc0de'
    """
    if now is not None and now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware (e.g. datetime.now(UTC)). Received: [{now!r}]")
    unique_id = secrets.token_hex(4) if unique_id is None else unique_id
    if not _UNIQUE_ID.fullmatch(unique_id):
        raise ValueError(f"unique_id must be 8 lowercase hex characters. Received: [{unique_id}]")
    moment = (datetime.now(UTC) if now is None else now).astimezone(UTC)
    # The year by hand: strftime("%Y") does not zero-pad years before 1000 on glibc.
    suffix = f"{moment.year:04d}{moment:%m%dT%H%M%SZ}-{unique_id}"
    room = EXECUTION_NAME_MAX_LENGTH - len(suffix) - 2
    workflow_slug = (_slug(workflow) or "workflow")[: room - 1].rstrip("-_")
    reason_slug = (_slug(reason) or "unspecified")[: room - len(workflow_slug)].rstrip("-_")
    return f"{workflow_slug}-{reason_slug}-{suffix}"
