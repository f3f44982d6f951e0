"""Naming rules shared by the constructs, the synth guards and the operator tooling.

Pure Python: importing this module does not load aws-cdk-lib, so Lambda handlers and the
local cloud can use it too. The operator CLI (workflow-cli), which installs without this library,
keeps the stage and execution-name rules in ``workflow_cli.naming``; ``tests/cli/test_cli_naming.py``
checks that both give the same answers, so change them together.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from datetime import UTC, datetime

from workflow_constructs.errors import InvalidPropsError

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
_UNIQUE_ID = re.compile(r"[0-9a-f]{8}")

STAGE_CONTEXT_KEY = "stage"
"""CDK context key (``-c stage=dev``): the stage whose name prefixes every fixed physical name."""
STAGE_ENV_VAR = "WORKFLOWS_STAGE"
"""Environment variable the operator tooling reads the stage from (as ``--stage`` does)."""
STAGE_TAG = "stage"
"""Tag on every stack (and so every taggable resource) of a staged deployment: the stage."""
STAGE_MAX_LENGTH = 16
"""Room for a stage: the tightest derived name is an SES template (at most 64 characters), of which
``customer-onboarding-welcome`` takes 27, leaving 36 for ``<stage>-``; 16 keeps every other limit
comfortable too (a physical workflow name has at most 64 characters, the ``Workflow`` rule, well
within a state machine's 80, so 47 stay for the workflow's own name; stack names 128; alarms and
dashboards 255; log groups 512). ``tests/constructs/test_stages.py`` checks every name of the app,
lengthened to this stage length, against its service's limit."""
_STAGE = re.compile(rf"^[a-z](?:[a-z0-9-]{{0,{STAGE_MAX_LENGTH - 2}}}[a-z0-9])?$")


class InvalidStageError(InvalidPropsError):
    """The ``stage`` context is not a name every service accepts as a prefix."""


def parse_stage(value: object) -> str | None:
    """The stage ``value`` names (``None`` or ``""``: no stage), or :class:`InvalidStageError`.

    A stage is 1-16 characters of lowercase letters, digits and '-', starting with a letter and not
    ending with '-': stack names must start with a letter, dashboards and SES templates take only
    letters, digits, '-' and '_', and workflow names are lowercase.

    >>> parse_stage("dev"), parse_stage(None)
    ('dev', None)
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _STAGE.match(value):
        raise InvalidStageError(
            STAGE_CONTEXT_KEY,
            f"must be 1-{STAGE_MAX_LENGTH} characters of lowercase letters, digits and '-', starting "
            "with a letter and not ending with '-' (it prefixes stack, state machine, log group, alarm, "
            "dashboard and SES template names, and each must still fit its service's limit)",
            value,
        )
    return value


def physical_name(name: str, stage: str | None) -> str:
    """``name`` as the stage deploys it: ``<stage>-<name>``, or ``name`` unchanged without a stage.

    The one rule for every fixed physical name (state machines and so their log groups, alarms,
    dashboards and SES templates; stacks and so their export names), so that two stages share an
    account and region without a collision.

    >>> physical_name("billing", "dev"), physical_name("billing", None)
    ('dev-billing', 'billing')
    """
    stage = parse_stage(stage)
    return name if stage is None else f"{stage}-{name}"


def logical_name(name: str, stage: str | None) -> str | None:
    """The inverse of :func:`physical_name`: ``name`` without the stage prefix, or None when ``name``
    belongs to another stage (or, with no stage, to none: every name is its own).

    >>> logical_name("dev-billing", "dev"), logical_name("prod-billing", "dev")
    ('billing', None)
    """
    stage = parse_stage(stage)
    if stage is None:
        return name
    prefix = f"{stage}-"
    return name[len(prefix) :] if name.startswith(prefix) and len(name) > len(prefix) else None


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

    Accented letters keep their base letter ("Café" -> "cafe"), so a reason written in any Latin
    script stays readable; anything else becomes a single '-'.

    >>> slugify("Customer signed up: ACME Ltd.")
    'customer-signed-up-acme-ltd'
    >>> slugify("Réactivation demandée")
    'reactivation-demandee'
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _SLUG_DROP.sub("-", ascii_text.strip().lower())
    return re.sub(r"-{2,}", "-", slug).strip("-_")


def execution_stamp(moment: datetime) -> str:
    """``moment`` in UTC as ``yyyymmddTHHMMSSZ`` (always 16 characters, the year zero-padded).

    >>> execution_stamp(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    '20260102T030405Z'
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        # A naive datetime is ambiguous: .astimezone() would silently read it as the machine's local time.
        raise ValueError(f"now must be timezone-aware (e.g. datetime.now(UTC)). Received: [{moment!r}]")
    utc = moment.astimezone(UTC)
    # Not strftime("%Y"): on glibc it does not zero-pad years before 1000, breaking the fixed width.
    return f"{utc.year:04d}{utc.month:02d}{utc.day:02d}T{utc.hour:02d}{utc.minute:02d}{utc.second:02d}Z"


def execution_name(
    workflow: str,
    reason: str,
    *,
    now: datetime | None = None,
    unique_id: str | None = None,
) -> str:
    """Build an execution name that says why the run happened, when, and which run it is.

    Format: ``<workflow>-<reason>-<UTC yyyymmddTHHMMSSZ>-<8 hex>``, 1-80 characters of
    ``0-9A-Za-z-_`` (what Step Functions accepts, and safe in CloudWatch Logs and metrics).
    Both ``workflow`` and ``reason`` are slugified (see ``slugify``); an empty reason becomes
    ``unspecified``. When the name would be too long, the reason is shortened; the timestamp and
    the unique id never are, nor is a workflow name of up to 52 characters. The correlation id
    is deliberately not part of the name: it travels in the payload, so one business request can
    have several runs.

    ``now`` must be timezone-aware (default: the current time); ``unique_id`` is 8 lowercase hex
    characters (default: random, from ``secrets``).

    >>> execution_name("onboarding", "Customer signed up", now=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    ...                unique_id="0badc0de")
    'onboarding-customer-signed-up-20260102T030405Z-0badc0de'
    """
    unique_id = secrets.token_hex(4) if unique_id is None else unique_id
    if not _UNIQUE_ID.fullmatch(unique_id):
        raise ValueError(f"unique_id must be 8 lowercase hex characters. Received: [{unique_id}]")
    suffix = f"{execution_stamp(datetime.now(UTC) if now is None else now)}-{unique_id}"
    room = EXECUTION_NAME_MAX_LENGTH - len(suffix) - 2  # for workflow and reason, less two dashes
    # Only a workflow name too long to leave one character of reason is shortened.
    workflow_slug = (slugify(workflow) or "workflow")[: room - 1].rstrip("-_")
    reason_slug = (slugify(reason) or "unspecified")[: room - len(workflow_slug)].rstrip("-_")
    return f"{workflow_slug}-{reason_slug}-{suffix}"
