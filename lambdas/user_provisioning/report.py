"""Turn the per-resource results of a run into the report stored on the user and sent to operations.

Input (built by the workflow): the plan's ``correlationId``, ``tenantId`` and ``user``; ``resources``, the
results of "Provision each resource" in request order; and, after a rollback, ``rollback``, the results of
"Remove what this run created" in rollback order. Each result carries its ``resource`` (index, type,
name, key, config).

The workflow asks twice when something failed: right after provisioning (the answer's ``status`` decides
whether to roll back; no metrics yet) and after the rollback (the final report, and the metrics).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from aws_lambda_powertools.metrics import MetricUnit

from user_provisioning import contract
from user_provisioning.contract import METRIC_NAMES as METRIC_NAMES
from user_provisioning.contract import STATUS_ACTIVE as ACTIVE
from user_provisioning.contract import STATUS_FAILED as PROVISIONING_FAILED

PROVISIONED = contract.RESOURCE_PROVISIONED
FAILED = contract.RESOURCE_FAILED
REMOVED = contract.RESOURCE_REMOVED
ALREADY_GONE = contract.RESOURCE_ALREADY_GONE
KEPT = contract.RESOURCE_KEPT
NOT_CREATED_BY_THIS_RUN = "NOT_CREATED_BY_THIS_RUN"
REMOVAL_FAILED = "REMOVAL_FAILED"
MAX_CAUSE_LENGTH = 1000
"""Characters of an error's cause kept in the report (the user item must stay well under 400 KB)."""


class MetricsSink(Protocol):
    """What the report needs of Powertools ``Metrics``."""

    def add_metric(self, name: str, unit: Any, value: float) -> None: ...


def summarize(event: Mapping[str, Any], *, metrics: MetricsSink | None = None) -> dict[str, Any]:
    """The per-resource report, the counts, the user's resulting status and a one-line summary.

    Records business metrics on ``metrics`` when given.
    """
    results = sorted(event.get("resources") or [], key=lambda r: r["resource"]["index"])
    rollback = event.get("rollback")
    removals = {r["resource"]["key"]: r for r in rollback or []}
    report = [_entry(result, removals.get(result["resource"]["key"])) for result in results]

    failed = [e for e in report if e["status"] == FAILED]
    counts = {
        "requested": len(report),
        "provisioned": len(report) - len(failed),
        "failed": len(failed),
        "removed": sum(1 for e in report if e.get("rollback") == REMOVED),
        "leftBehind": sum(1 for e in report if e.get("rollback") == REMOVAL_FAILED),
    }
    status = PROVISIONING_FAILED if failed or rollback is not None else ACTIVE
    user = event.get("user") or {}
    who = f"user [{user.get('id')}] of tenant [{event.get('tenantId')}]"
    reasons = "; ".join(f"{e['type']} [{e['name']}]: {e.get('error', 'unknown error')}" for e in failed)
    if status == ACTIVE:
        summary = f"Provisioned {counts['provisioned']} resource(s) for {who}."
    elif rollback is None:
        summary = (
            f"{counts['failed']} of {counts['requested']} resource(s) failed for {who} ({reasons}); "
            "rolling back."
        )
    else:
        summary = (
            f"{counts['failed']} of {counts['requested']} resource(s) failed for {who} ({reasons}). "
            f"Rolled back: {counts['removed']} removed, {counts['leftBehind']} left behind."
        )
        if counts["leftBehind"]:
            left = ", ".join(
                f"{e['type']} [{e['name']}]" for e in report if e.get("rollback") == REMOVAL_FAILED
            )
            summary += f" Remove by hand or re-run: {left}."
    # A failure is counted once, after its rollback, when the whole outcome is known.
    if metrics is not None and (status == ACTIVE or rollback is not None):
        _record_metrics(metrics, status, counts)
    return {"status": status, "summary": summary, "counts": counts, "resources": report}


def _entry(result: Mapping[str, Any], removal: Mapping[str, Any] | None) -> dict[str, Any]:
    resource = result["resource"]
    entry: dict[str, Any] = {
        "type": resource["type"],
        "name": resource["name"],
        "key": resource["key"],
        "status": result.get("status", FAILED),
        "createdByThisRun": bool(result.get("createdByThisRun", False)),
    }
    details = result.get("details") or {}
    if details.get("resourceId"):
        entry["resourceId"] = details["resourceId"]
    if details.get("delivery"):
        # What a provisioner hands its user once (an API key, encrypted for the delivery key).
        entry["delivery"] = details["delivery"]
    if entry["status"] == FAILED:
        entry["error"] = result.get("error") or "unknown error"
        entry["cause"] = _short(result.get("cause"))
    if removal is not None:
        entry.update(_rollback(removal))
    return entry


def _rollback(removal: Mapping[str, Any]) -> dict[str, Any]:
    outcome = removal.get("rollback", REMOVAL_FAILED)
    # A remover may find the resource gone, or not its own (it then leaves it); the ledger entry is
    # released either way, so the report says what happened to the resource itself.
    detail = (removal.get("details") or {}).get("outcome")
    if outcome == REMOVED and detail in (ALREADY_GONE, KEPT):
        outcome = detail
    entry: dict[str, Any] = {"rollback": outcome}
    if outcome == REMOVAL_FAILED:
        entry["rollbackError"] = removal.get("error") or "unknown error"
        entry["rollbackCause"] = _short(removal.get("cause"))
    return entry


def _short(cause: Any) -> str:
    text = "" if cause is None else str(cause)
    return text if len(text) <= MAX_CAUSE_LENGTH else text[: MAX_CAUSE_LENGTH - 1] + "…"


def _record_metrics(metrics: MetricsSink, status: str, counts: Mapping[str, int]) -> None:
    user = contract.METRIC_USERS_PROVISIONED if status == ACTIVE else contract.METRIC_USER_PROVISIONING_FAILED
    metrics.add_metric(user, MetricUnit.Count, 1)
    metrics.add_metric(contract.METRIC_RESOURCES_PROVISIONED, MetricUnit.Count, counts["provisioned"])
    metrics.add_metric(contract.METRIC_RESOURCES_FAILED, MetricUnit.Count, counts["failed"])
    if status != ACTIVE:
        metrics.add_metric(contract.METRIC_RESOURCES_ROLLED_BACK, MetricUnit.Count, counts["removed"])
        metrics.add_metric(contract.METRIC_RESOURCES_LEFT_BEHIND, MetricUnit.Count, counts["leftBehind"])
