"""Resources added, removed and modified in a stack, and the changes that would lose data.

Compared per resource: ``Type``, ``Properties`` and the attributes that change what CloudFormation
does (``DeletionPolicy``, ``UpdateReplacePolicy``, ``DependsOn``, ``Condition``, ``CreationPolicy``,
``UpdatePolicy``). ``Metadata`` is not compared: CDK keeps construct paths and cdk-nag
acknowledgements there, which change nothing that is deployed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflow_constructs.definition import STATE_MACHINE_TYPE

from workflow_review.diff.model import Hazard, ResourceChange, SectionChange
from workflow_review.diff.stateful import RETAINING_POLICIES, STATEFUL_RESOURCES, StatefulType
from workflow_review.diff.values import FieldChange, as_document, diff_values

COMPARED_ATTRIBUTES = (
    "DeletionPolicy",
    "UpdateReplacePolicy",
    "DependsOn",
    "Condition",
    "CreationPolicy",
    "UpdatePolicy",
)
TEMPLATE_SECTIONS = ("Parameters", "Conditions", "Mappings", "Rules", "Outputs")
DEFINITION_PROPERTIES = ("DefinitionString", "Definition")
"""State machine properties compared state by state (see ``state_machines``), not as text."""

Resources = Mapping[str, Mapping[str, Any]]


def resource_changes(old: Resources, new: Resources) -> list[ResourceChange]:
    """Added and modified resources in the new template's order, then removed ones in the old order."""
    changes: list[ResourceChange] = []
    for logical_id, resource in new.items():
        resource_type = str(resource.get("Type", ""))
        if logical_id not in old:
            changes.append(ResourceChange(logical_id, resource_type, "added"))
            continue
        fields = tuple(diff_values(_comparable(old[logical_id]), _comparable(resource)))
        definition_changed = resource_type == STATE_MACHINE_TYPE and _definition(
            old[logical_id]
        ) != _definition(resource)
        if fields or definition_changed:
            changes.append(
                ResourceChange(
                    logical_id,
                    resource_type,
                    "modified",
                    fields=fields,
                    replaced_by=_replaced_by(str(old[logical_id].get("Type", "")), resource_type, fields),
                    definition_changed=definition_changed,
                )
            )
    changes.extend(
        ResourceChange(logical_id, str(resource.get("Type", "")), "removed")
        for logical_id, resource in old.items()
        if logical_id not in new
    )
    return changes


def _comparable(resource: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of a resource that change what is deployed, documents inside strings parsed."""
    view: dict[str, Any] = {"Type": resource.get("Type")}
    properties = resource.get("Properties", {})
    skipped = DEFINITION_PROPERTIES if resource.get("Type") == STATE_MACHINE_TYPE else ()
    view.update({key: as_document(value) for key, value in properties.items() if key not in skipped})
    view.update({key: resource[key] for key in COMPARED_ATTRIBUTES if key in resource})
    return view


def _definition(resource: Mapping[str, Any]) -> Any:
    properties = resource.get("Properties", {})
    return [as_document(properties.get(key)) for key in DEFINITION_PROPERTIES]


def _replaced_by(old_type: str, new_type: str, fields: tuple[FieldChange, ...]) -> tuple[str, ...]:
    if old_type != new_type:
        return ("Type",)
    stateful = STATEFUL_RESOURCES.get(new_type)
    if stateful is None:
        return ()
    return tuple(dict.fromkeys(f.top for f in fields if f.top in stateful.replaced_when_changed))


def hazards(old: Resources, new: Resources, changes: list[ResourceChange]) -> list[Hazard]:
    """Warnings for stateful resources that would be replaced, deleted, orphaned or left unprotected."""
    added_types = {change.type for change in changes if change.kind == "added"}
    found: list[Hazard] = []
    for change in changes:
        if change.kind == "removed":
            stateful = STATEFUL_RESOURCES.get(change.type)
            if stateful is not None:
                found.append(_removal(change, old[change.logical_id], stateful, change.type in added_types))
        elif change.kind == "modified":
            found.extend(_modification(change, old[change.logical_id], new[change.logical_id]))
    return found


def _removal(
    change: ResourceChange, resource: Mapping[str, Any], stateful: StatefulType, same_type_added: bool
) -> Hazard:
    policy = resource.get("DeletionPolicy", "Delete")
    rename = (
        f" If it was renamed (a new logical id), CloudFormation creates a new, empty {stateful.what} "
        "instead of keeping this one."
        if same_type_added
        else ""
    )
    if policy in RETAINING_POLICIES:
        named = stateful.name_property is not None and stateful.name_property in resource.get(
            "Properties", {}
        )
        again = "; adding it back under the same name fails until it is imported" if named else ""
        return Hazard(
            change.logical_id,
            change.type,
            "warning",
            f"{stateful.what} leaves the stack: kept in the account (DeletionPolicy {policy}) but no longer "
            f"managed{again}.{rename}",
        )
    return Hazard(
        change.logical_id,
        change.type,
        "danger",
        f"{stateful.what} will be DELETED with its data (DeletionPolicy {policy}).{rename}",
    )


def _modification(change: ResourceChange, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Hazard]:
    found: list[Hazard] = []
    stateful = STATEFUL_RESOURCES.get(str(old.get("Type"))) or STATEFUL_RESOURCES.get(change.type)
    if stateful is None:
        return found
    if change.replaced_by:
        kept = new.get("UpdateReplacePolicy", "Delete") in RETAINING_POLICIES
        what_happens = (
            f"the old one is kept (UpdateReplacePolicy {new['UpdateReplacePolicy']}) but no longer used"
            if kept
            else "the old one is DELETED with its data"
        )
        message = (
            f"{stateful.what} will be REPLACED ({', '.join(change.replaced_by)} changed): CloudFormation "
            f"creates a new, empty {stateful.what} and {what_happens}."
        )
        name = stateful.name_property
        if name and name in new.get("Properties", {}) and name not in change.replaced_by:
            message += (
                f" The deployment will fail: a resource with a custom name ({name}) cannot be replaced "
                "unless its name changes too."
            )
        found.append(Hazard(change.logical_id, change.type, "danger", message))
    old_policy = old.get("DeletionPolicy", "Delete")
    new_policy = new.get("DeletionPolicy", "Delete")
    if old_policy in RETAINING_POLICIES and new_policy not in RETAINING_POLICIES:
        found.append(
            Hazard(
                change.logical_id,
                change.type,
                "warning",
                f"{stateful.what} is no longer retained (DeletionPolicy {old_policy} -> {new_policy}): "
                "removing it from the stack, or deleting the stack, will delete its data.",
            )
        )
    return found


def section_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[SectionChange]:
    """Parameters, Conditions, Mappings, Rules and Outputs that differ."""
    changes = []
    for section in TEMPLATE_SECTIONS:
        fields = diff_values(old.get(section, {}), new.get(section, {}))
        if fields:
            changes.append(SectionChange(section, tuple(fields)))
    return changes
