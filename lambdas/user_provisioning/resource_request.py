"""The event a Lambda-backed provisioner receives from the workflow, and the answers it gives."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from user_provisioning import contract

PROVISION = "provision"
DEPROVISION = "deprovision"

REMOVED = contract.RESOURCE_REMOVED
ALREADY_GONE = contract.RESOURCE_ALREADY_GONE
KEPT = contract.RESOURCE_KEPT
"""Outcomes of a removal (one definition: ``user_provisioning.contract``)."""

OWNER_TAG = contract.OWNER_TAG
TENANT_TAG = contract.TENANT_TAG
USER_TAG = contract.USER_TAG
WORKFLOW_TAG = "workflow"


@dataclass(frozen=True)
class ResourceRequest:
    """One resource of one user, as the workflow's Map hands it to a provisioner.

    ``run_id`` is the execution ARN: what the provisioner tags a resource with, so a removal takes away
    only what this run created.
    """

    action: str
    run_id: str
    tenant_id: str
    user_id: str
    name: str
    config: Mapping[str, Any]

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> ResourceRequest:
        action = event["action"]
        if action not in (PROVISION, DEPROVISION):
            raise ValueError(f"action must be {PROVISION} or {DEPROVISION}. Received: [{action}]")
        resource = event["resource"]
        return cls(
            action=action,
            run_id=event["runId"],
            tenant_id=event["tenantId"],
            user_id=event["user"]["id"],
            name=resource["name"],
            config=resource.get("config") or {},
        )

    def ownership_tags(self, workflow_name: str) -> dict[str, str]:
        """Tags that say whose resource this is and which run created it."""
        return {
            TENANT_TAG: self.tenant_id,
            USER_TAG: self.user_id,
            OWNER_TAG: self.run_id,
            WORKFLOW_TAG: workflow_name,
        }


def dispatch(
    event: Mapping[str, Any],
    *,
    ensure: Callable[[ResourceRequest], dict[str, Any]],
    remove: Callable[[ResourceRequest], dict[str, Any]],
) -> dict[str, Any]:
    """Run ``ensure`` or ``remove`` for the resource ``event`` names, as its ``action`` says."""
    request = ResourceRequest.from_event(event)
    return remove(request) if request.action == DEPROVISION else ensure(request)
