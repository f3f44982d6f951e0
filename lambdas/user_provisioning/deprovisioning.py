"""User deprovisioning: what the provisioning ledger says was created for a user, and how removing it went.

The ledger is the users table's ``RESOURCE#<key>`` items of the user's partition, one per resource a
provisioning run created (``provisionedBy``: that run's execution ARN, the value its resources are
tagged with). Deprovisioning removes exactly those, each as its creator would have in a rollback, so a
resource the ledger does not list (made by hand, or by someone else) is never touched.

Three steps of the ``user-deprovisioning`` workflow call in here: validation (:func:`plan_request`),
reading the ledger (:func:`removal_order`) and the report (:func:`summarize`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from workflow_runtime import transient_aws_errors

from user_provisioning import contract
from user_provisioning.errors import DeprovisioningRequestInvalid
from user_provisioning.report import MAX_CAUSE_LENGTH, REMOVAL_FAILED, MetricsSink
from user_provisioning.request import (
    IDENTIFIER,
    correlation_and_tenant_problems,
    state_machine_time,
    user_key,
)

LEDGER_PREFIX = "RESOURCE#"
DEPROVISIONED = contract.STATUS_DEPROVISIONED
DEPROVISIONING_FAILED = contract.STATUS_DEPROVISIONING_FAILED
METRIC_NAMES = contract.DEPROVISIONING_METRIC_NAMES
"""Every business metric :func:`summarize` records; the construct charts the same names."""


def plan_request(event: Mapping[str, Any], *, now: datetime, lock_seconds: int) -> dict[str, Any]:
    """Validate ``event`` (``correlationId``, ``tenantId``, ``user.id``) and return the run's state.

    Raises :class:`DeprovisioningRequestInvalid` listing every problem.
    """
    if not isinstance(event, Mapping):
        raise DeprovisioningRequestInvalid([f"request must be a JSON object. Received: [{event!r}]"])
    problems: list[str] = []
    correlation_id, tenant_id = event.get("correlationId"), event.get("tenantId")
    problems.extend(correlation_and_tenant_problems(event))
    user = event.get("user")
    user_id = user.get("id") if isinstance(user, Mapping) else None
    if not isinstance(user, Mapping):
        problems.append(f"user must be an object with an id. Received: [{user!r}]")
    elif not isinstance(user_id, str) or not IDENTIFIER.fullmatch(user_id):
        problems.append(f"user.id must match {IDENTIFIER.pattern}. Received: [{user_id!r}]")
    if problems:
        raise DeprovisioningRequestInvalid(problems)
    return {
        "correlationId": correlation_id,
        "tenantId": tenant_id,
        "user": {"id": user_id},
        "userKey": user_key(str(tenant_id), str(user_id)),
        "lockExpiresAt": state_machine_time(now + timedelta(seconds=lock_seconds)),
    }


def removal_order(*, dynamodb: Any, table_name: str, key: str) -> list[dict[str, Any]]:
    """Every ledger entry of the user, last requested first (later resources may depend on earlier).

    Each is ``{"resource": {type, name, key, config}, "createdBy": <run ARN>}``: what the removal
    steps of the resource's type read, with the run whose tag the resource carries.
    """
    entries: list[dict[str, Any]] = []
    paginator = dynamodb.get_paginator("query")
    with transient_aws_errors("read the user's provisioning ledger"):
        pages = list(
            paginator.paginate(
                TableName=table_name,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :ledger)",
                ExpressionAttributeValues={":pk": {"S": key}, ":ledger": {"S": LEDGER_PREFIX}},
                ConsistentRead=True,
            )
        )
    for page in pages:
        for item in page.get("Items", []):
            resource_key = item["sk"]["S"].removeprefix(LEDGER_PREFIX)
            position = int(item["position"]["N"]) if "position" in item else -1
            entries.append(
                {
                    "position": position,
                    "resource": {
                        "type": item["type"]["S"],
                        "name": item["name"]["S"],
                        "key": resource_key,
                        "config": {},
                    },
                    "createdBy": item[contract.CREATOR_ATTRIBUTE]["S"],
                }
            )
    entries.sort(key=lambda entry: (entry["position"], entry["resource"]["key"]), reverse=True)
    for entry in entries:
        del entry["position"]
    return entries


def summarize(event: Mapping[str, Any], *, metrics: MetricsSink | None = None) -> dict[str, Any]:
    """The per-resource report of a deprovisioning run, the user's resulting status and a summary line.

    ``event["removals"]`` holds each Map iteration's record: ``resource``, ``outcome`` (``REMOVED`` or
    ``REMOVAL_FAILED``) and the remover's ``details`` or the ``error`` and ``cause``.
    """
    report = []
    for removal in event.get("removals") or []:
        entry: dict[str, Any] = {
            "type": removal["resource"]["type"],
            "name": removal["resource"]["name"],
            "outcome": removal["outcome"],
        }
        details = removal.get("details") or {}
        if details.get("outcome"):
            entry["detail"] = details["outcome"]
        if details.get("resourceId"):
            entry["resourceId"] = details["resourceId"]
        if removal["outcome"] == REMOVAL_FAILED:
            entry["error"] = str(removal.get("error") or "Unknown")
            entry["cause"] = str(removal.get("cause") or "")[:MAX_CAUSE_LENGTH]
        report.append(entry)
    failed = [entry for entry in report if entry["outcome"] == REMOVAL_FAILED]
    status = DEPROVISIONING_FAILED if failed else DEPROVISIONED
    user = event.get("user") or {}
    summary = (
        f"User {user.get('id')} of tenant {event.get('tenantId')}: {len(report) - len(failed)} of "
        f"{len(report)} resources removed"
    )
    if failed:
        summary += "; not removed: " + ", ".join(
            "{} {} ({})".format(entry["type"], entry["name"], entry["error"]) for entry in failed
        )
    if metrics is not None:
        user_metric = (
            contract.METRIC_USER_DEPROVISIONING_FAILED if failed else contract.METRIC_USERS_DEPROVISIONED
        )
        metrics.add_metric(name=user_metric, unit=MetricUnit.Count, value=1)
        metrics.add_metric(
            name=contract.METRIC_RESOURCES_REMOVED, unit=MetricUnit.Count, value=len(report) - len(failed)
        )
        metrics.add_metric(
            name=contract.METRIC_RESOURCES_NOT_REMOVED, unit=MetricUnit.Count, value=len(failed)
        )
    return {"status": status, "summary": summary, "resources": report}
