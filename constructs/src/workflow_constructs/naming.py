"""Naming rules shared by the constructs, the synth guards and the operator tooling.

Pure Python: importing this module does not load aws-cdk-lib, so Lambda handlers and the
CLI can use it too.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

STATE_NAME_MAX_LENGTH = 80
EXECUTION_NAME_MAX_LENGTH = 80

_STATE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _-]*$")
# Names that say what kind of state it is instead of what it does: "Task1", "Lambda Invoke", "step_3".
_PLACEHOLDER_STATE_NAME = re.compile(
    r"^(task|state|step|pass|choice|lambda|lambda ?invoke|invoke|map|parallel|wait|succeed|fail|"
    r"start|end|todo|test|new state)[\s_-]*\d*$",
    re.IGNORECASE,
)
_SLUG_DROP = re.compile(r"[^0-9A-Za-z_-]+")
_STAMP_FORMAT = "%Y%m%dT%H%M%SZ"


def state_name_problem(name: str) -> str | None:
    """Say why `name` is not a readable state name, or return None when it is.

    A readable name is a phrase a person on call understands ("Send welcome email"):
    1-80 characters of letters, digits, spaces, '-' and '_', and not a placeholder like "Task1".

    >>> state_name_problem("Send welcome email") is None
    True
    >>> state_name_problem("Task3")
    'is a placeholder, not a description of what the step does'
    """
    if not 1 <= len(name) <= STATE_NAME_MAX_LENGTH:
        return f"must be 1-{STATE_NAME_MAX_LENGTH} characters long (has {len(name)})"
    if not _STATE_NAME.match(name):
        return "may only contain letters, digits, spaces, '-' and '_', starting with a letter or digit"
    if _PLACEHOLDER_STATE_NAME.match(name.strip()):
        return "is a placeholder, not a description of what the step does"
    return None


def slugify(text: str) -> str:
    """Reduce `text` to the characters Step Functions allows in names: `0-9A-Za-z-_`.

    >>> slugify("Customer signed up: ACME Ltd.")
    'customer-signed-up-acme-ltd'
    """
    slug = _SLUG_DROP.sub("-", text.strip().lower())
    return re.sub(r"-{2,}", "-", slug).strip("-_")


def execution_name(
    workflow: str,
    reason: str,
    *,
    now: datetime | None = None,
    unique_id: str | None = None,
) -> str:
    """Build an execution name that says why the run happened, when, and which run it is.

    Format: ``<workflow>-<reason>-<UTC yyyymmddTHHMMSSZ>-<8 hex>``, at most 80 characters of
    ``0-9A-Za-z-_``. When too long, the reason is shortened (then the workflow), never the
    timestamp or the unique id. The correlation id is deliberately not part of the name: it
    travels in the payload, so one business request can have several runs.

    >>> execution_name("onboarding", "Customer signed up", now=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    ...                unique_id="0badc0de")
    'onboarding-customer-signed-up-20260102T030405Z-0badc0de'
    """
    unique_id = secrets.token_hex(4) if unique_id is None else unique_id
    if not re.fullmatch(r"[0-9a-f]{8}", unique_id):
        raise ValueError(f"unique_id must be 8 lowercase hex characters. Received: [{unique_id}]")
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    suffix = f"{moment.strftime(_STAMP_FORMAT)}-{unique_id}"
    workflow_slug = slugify(workflow) or "workflow"
    reason_slug = slugify(reason) or "unspecified"
    room = EXECUTION_NAME_MAX_LENGTH - len(suffix) - 2  # two separating dashes
    workflow_slug = workflow_slug[: max(room - 1, 1)].rstrip("-_")
    reason_slug = reason_slug[: max(room - len(workflow_slug), 1)].rstrip("-_") or "r"
    return f"{workflow_slug}-{reason_slug}-{suffix}"
