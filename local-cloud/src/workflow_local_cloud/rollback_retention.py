"""A failed stack create rolls back, keeping what AWS keeps (patch "cfn-rollback-retention").

What AWS does (the DeletionPolicy attribute page,
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html):

- ``Retain``: the resource is kept whenever CloudFormation would delete it: on stack delete, on an
  update that removes it, and on the rollback of a failed create. A fixed-name resource kept by a
  rolled-back create makes the next create with that name fail "already exists".
- ``RetainExceptOnCreate``: kept like ``Retain``, except on the rollback of a failed create (the
  stack, or a change set of type CREATE): there it is deleted, so the next create succeeds.

What moto 5.2.5 does: a resource that fails to create raises out of CreateStack / ExecuteChangeSet,
the resources already created stay, and the stack is left ``CREATE_IN_PROGRESS``; a stack delete
skips ``Retain`` only (it deletes ``RetainExceptOnCreate`` resources), and an update that removes a
resource deletes it whatever its policy.

Here, as on AWS: the create call succeeds, the failing resource gets a ``CREATE_FAILED`` event with
the handler's reason, the stack rolls back (deleting everything but ``Retain`` resources, which get
``DELETE_SKIPPED``) and ends ``ROLLBACK_COMPLETE`` (``ROLLBACK_FAILED`` when a deletion fails); stack
deletes and updates keep both retaining policies. Not modelled: ``DisableRollback`` / ``OnFailure``
(moto reads neither; every failed create rolls back), rollback of a failed update, ``Snapshot``
(deleted without a snapshot, as moto always did).
"""

from __future__ import annotations

import threading
from typing import Any

from workflow_local_cloud.patches import (
    Patch,
    _mark,
    _replace,
    _require,
    _require_parameters,
    _require_replaced,
    _require_version,
)

PATCH_NAME = "cfn-rollback-retention"
ROLLBACK_MARK = "_local_cloud_rollback"
RETAIN = "Retain"
RETAIN_EXCEPT_ON_CREATE = "RetainExceptOnCreate"

_rolling_back = threading.local()  # set while a failed create is rolled back on this thread


class CreateRolledBackError(Exception):
    """A change set of type CREATE failed and its stack was rolled back (ExecuteChangeSet still succeeds)."""

    def __init__(self, change_set: Any) -> None:
        super().__init__(f"change set [{change_set.change_set_name}] failed to create its stack")
        self.change_set = change_set


def is_retained(resource_json: dict[str, Any], *, rolling_back_create: bool) -> bool:
    """Whether CloudFormation keeps a resource it would otherwise delete now.

    Example: ``is_retained({"DeletionPolicy": "RetainExceptOnCreate"}, rolling_back_create=True)``
    is False; with ``rolling_back_create=False`` (a stack delete, an update removing it) it is True.
    """
    policy = resource_json.get("DeletionPolicy")
    return policy == RETAIN or (policy == RETAIN_EXCEPT_ON_CREATE and not rolling_back_create)


def failure_reason(resource_type: str, resource_json: dict[str, Any], error: Exception) -> str:
    """The ``ResourceStatusReason`` of a resource that failed to create, worded as AWS's handlers word it.

    An "already exists" failure names the resource as AWS does: ``Resource handler returned message:
    "Resource of type 'AWS::Logs::LogGroup' with identifier 'orders' already exists."
    (HandlerErrorCode: AlreadyExists)``.
    """
    from moto.cloudformation.parsing import resource_name_property_from_type

    code = str(getattr(error, "error_type", None) or getattr(error, "code", None) or type(error).__name__)
    message = str(getattr(error, "message", None) or error)
    if "AlreadyExists" in code or "already exist" in message.lower():
        name_property = resource_name_property_from_type(resource_type)
        identifier = resource_json.get("Properties", {}).get(name_property) if name_property else None
        if isinstance(identifier, str):
            message = f"Resource of type '{resource_type}' with identifier '{identifier}' already exists."
        return f'Resource handler returned message: "{message}" (HandlerErrorCode: AlreadyExists)'
    return f'Resource handler returned message: "{message}" (HandlerErrorCode: GeneralServiceException)'


def _event(
    stack: Any, logical_id: str, physical_id: str, resource_type: str, status: str, reason: str | None
) -> None:
    from moto.cloudformation.models import Event

    stack.events.append(
        Event(
            stack_id=stack.stack_id,
            stack_name=stack.name,
            logical_resource_id=logical_id,
            physical_resource_id=physical_id,
            resource_type=resource_type,
            resource_status=status,
            resource_status_reason=reason,
            resource_properties=None,
        )
    )


def _created(resource_map: Any) -> dict[str, Any]:
    """Logical id -> moto model of every template resource created so far."""
    parsed = resource_map._parsed_resources
    return {
        logical_id: parsed[logical_id]
        for logical_id in resource_map._resource_json_map
        if logical_id in parsed and parsed[logical_id] is not None and not isinstance(parsed[logical_id], str)
    }


def roll_back_create(stack: Any, error: Exception, backend: Any = None) -> None:
    """Record the failure of ``stack``'s create and roll it back as CloudFormation does."""
    resource_map = stack.resource_map
    templates = resource_map._resource_json_map
    created = _created(resource_map)
    order = resource_map._ResourceMap__get_resources_in_dependency_order()
    failed = next((logical_id for logical_id in order if logical_id not in created), None)
    if failed is not None:
        failed_type = templates[failed].get("Type", "")
        _event(
            stack,
            failed,
            "",
            failed_type,
            "CREATE_FAILED",
            failure_reason(failed_type, templates[failed], error),
        )
    stack.status = "ROLLBACK_IN_PROGRESS"
    stack._add_stack_event(
        "ROLLBACK_IN_PROGRESS",
        resource_status_reason=f"The following resource(s) failed to create: [{failed or ''}]. "
        "Rollback requested by user.",
    )
    _rolling_back.active = True
    try:
        resource_map.delete()
    except Exception as rollback_error:
        stack.status = "ROLLBACK_FAILED"
        stack._add_stack_event("ROLLBACK_FAILED", resource_status_reason=str(rollback_error))
        return
    finally:
        _rolling_back.active = False
    for logical_id, model in created.items():
        kept = is_retained(templates[logical_id], rolling_back_create=True)
        _event(
            stack,
            logical_id,
            str(getattr(model, "physical_resource_id", "")),
            templates[logical_id].get("Type", ""),
            "DELETE_SKIPPED" if kept else "DELETE_COMPLETE",
            None,
        )
    if backend is not None:
        # A rolled-back stack exports nothing (its outputs may name what the rollback deleted).
        for name in [
            name for name, export in backend.exports.items() if export.exporting_stack_id == stack.stack_id
        ]:
            del backend.exports[name]
    stack.status = "ROLLBACK_COMPLETE"
    stack._add_stack_event("ROLLBACK_COMPLETE")


def _check() -> None:
    from moto.cloudformation.models import ChangeSet, CloudFormationBackend, Stack
    from moto.cloudformation.parsing import ResourceMap, resource_name_property_from_type

    _require_version(PATCH_NAME)
    _require_parameters(PATCH_NAME, Stack.create_resources, ("self",))
    _require_parameters(PATCH_NAME, ChangeSet.apply, ("self",))
    _require_parameters(PATCH_NAME, ResourceMap.delete, ("self",))
    _require_parameters(
        PATCH_NAME, ResourceMap._delete_resource, ("self", "parsed_resource", "resource_json")
    )
    _require_parameters(
        PATCH_NAME, CloudFormationBackend.execute_change_set, ("self", "change_set_name", "stack_name")
    )
    _require(
        hasattr(ResourceMap, "_ResourceMap__get_resources_in_dependency_order"),
        PATCH_NAME,
        "ResourceMap no longer orders its resources by dependency",
    )
    from moto.cloudformation.parsing import Export

    _require(hasattr(Export, "exporting_stack_id"), PATCH_NAME, "an Export no longer names its stack")
    _require(
        resource_name_property_from_type("AWS::Logs::LogGroup") == "LogGroupName",
        PATCH_NAME,
        "resource_name_property_from_type no longer names a log group's name property",
    )
    import inspect

    _require(
        'value.get("DeletionPolicy") == "Retain"' in inspect.getsource(ResourceMap.delete),
        PATCH_NAME,
        "ResourceMap.delete no longer skips Retain resources itself; re-check which policies it keeps",
    )
    _require(
        "try:" not in inspect.getsource(Stack.create_resources),
        PATCH_NAME,
        "Stack.create_resources handles failures itself now: drop that part of this patch",
    )


def _apply() -> None:
    from moto.cloudformation.models import ChangeSet, CloudFormationBackend, Stack, cloudformation_backends
    from moto.cloudformation.parsing import ResourceMap

    original_delete_resource = ResourceMap._delete_resource
    if getattr(original_delete_resource, "_local_cloud", False):
        return

    def _delete_resource(self: Any, parsed_resource: Any, resource_json: dict[str, Any]) -> None:
        if is_retained(resource_json, rolling_back_create=getattr(_rolling_back, "active", False)):
            return  # kept: the stack forgets it, the service keeps it
        original_delete_resource(self, parsed_resource, resource_json)

    original_create = Stack.create_resources

    def create_resources(self: Any) -> None:
        try:
            original_create(self)
        except Exception as error:  # any resource failing to create fails the stack, as on AWS
            roll_back_create(self, error, cloudformation_backends[self.account_id][self.region_name])

    original_apply = ChangeSet.apply

    def apply(self: Any) -> None:
        if self.change_set_type != "CREATE":
            original_apply(self)
            return
        try:
            original_apply(self)
        except Exception as error:
            stack = self.stack
            roll_back_create(stack, error, cloudformation_backends[stack.account_id][stack.region_name])
            raise CreateRolledBackError(self) from error

    original_execute = CloudFormationBackend.execute_change_set

    def execute_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
        try:
            original_execute(self, change_set_name, stack_name)
        except CreateRolledBackError as rolled_back:
            rolled_back.change_set.execution_status = "EXECUTE_FAILED"

    for owner, name, wrapper, original in (
        (ResourceMap, "_delete_resource", _delete_resource, original_delete_resource),
        (Stack, "create_resources", create_resources, original_create),
        (ChangeSet, "apply", apply, original_apply),
        (CloudFormationBackend, "execute_change_set", execute_change_set, original_execute),
    ):
        _mark(wrapper, original)
        setattr(wrapper, ROLLBACK_MARK, True)
        _replace(owner, name, wrapper)


def _verify() -> None:
    from moto.cloudformation.models import ChangeSet, CloudFormationBackend, Stack
    from moto.cloudformation.parsing import ResourceMap

    targets = (
        ResourceMap._delete_resource,
        Stack.create_resources,
        ChangeSet.apply,
        CloudFormationBackend.execute_change_set,
    )
    _require_replaced(PATCH_NAME, *targets)
    for target in targets:
        _require(
            getattr(target, ROLLBACK_MARK, False),
            PATCH_NAME,
            f"{target.__qualname__} is not the rollback replacement",
        )
    _require(
        not is_retained({"DeletionPolicy": RETAIN_EXCEPT_ON_CREATE}, rolling_back_create=True)
        and is_retained({"DeletionPolicy": RETAIN_EXCEPT_ON_CREATE}, rolling_back_create=False)
        and is_retained({"DeletionPolicy": RETAIN}, rolling_back_create=True),
        PATCH_NAME,
        "the retention rule is not AWS's",
    )


PATCHES: tuple[Patch, ...] = (
    Patch(
        PATCH_NAME,
        "moto leaves a failed create half-made and CREATE_IN_PROGRESS, and deletes RetainExceptOnCreate "
        "resources on stack delete; AWS rolls back, keeping Retain resources only.",
        _check,
        _apply,
        _verify,
    ),
)
