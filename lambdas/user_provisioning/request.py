"""Validate a provisioning request and turn it into the plan the workflow follows.

The supported resource types and the shape of each one's ``config`` come from the construct (the
registry in ``business_workflows.provisioners``), serialized into the function's
``RESOURCE_TYPES`` environment variable, so adding a type never touches this module.

Every problem is reported at once, in one :class:`ProvisioningRequestInvalid`, before anything exists.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from user_provisioning.errors import ProvisioningRequestInvalid

MAX_RESOURCES = 50
"""Resources per request: keeps the execution's payload far below the 256 KB limit."""
MAX_CORRELATION_ID_LENGTH = 256
# Checked with fullmatch: ``$`` alone lets a trailing newline through ("acme\n", a second tenant).
IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$")
"""Tenant and user ids: safe in S3 keys, DynamoDB keys, IAM tags and resource names (no '/', ':', '#')."""
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
MAX_EMAIL_LENGTH = 254
ROLE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
_KINDS: dict[str, type | tuple[type, ...]] = {"string": str, "integer": int, "boolean": bool}


@dataclass(frozen=True)
class FieldSpec:
    """One key of a resource type's ``config`` (mirrors the construct's ``ConfigField``)."""

    kind: str = "string"
    required: bool = False
    default: Any = None
    pattern: str | None = None
    choices: tuple[Any, ...] = ()
    max_length: int | None = None

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is not acceptable, or None."""
        expected = _KINDS[self.kind]
        # bool is an int in Python; an integer field must not accept true/false.
        if not isinstance(value, expected) or (self.kind == "integer" and isinstance(value, bool)):
            article = "an" if self.kind[0] in "aeiou" else "a"
            return f"must be {article} {self.kind}"
        if self.choices and value not in self.choices:
            return f"must be one of {', '.join(map(str, self.choices))}"
        if self.max_length is not None and isinstance(value, str) and len(value) > self.max_length:
            return f"must be at most {self.max_length} characters"
        if self.pattern and isinstance(value, str) and not re.fullmatch(self.pattern, value):
            return f"must match {self.pattern}"
        return None


@dataclass(frozen=True)
class TypeSpec:
    """What the validator knows of one resource type."""

    fields: Mapping[str, FieldSpec] = field(default_factory=dict)
    instance_field: str | None = None
    """The config key naming one instance (a user may have several); None: one per user."""


def load_type_specs(text: str) -> dict[str, TypeSpec]:
    """Parse the ``RESOURCE_TYPES`` document the construct writes."""
    document = json.loads(text)
    specs = {}
    for type_name, spec in document.items():
        fields = {
            key: FieldSpec(
                kind=value.get("kind", "string"),
                required=bool(value.get("required", False)),
                default=value.get("default"),
                pattern=value.get("pattern"),
                choices=tuple(value.get("choices") or ()),
                max_length=value.get("maxLength"),
            )
            for key, value in spec.get("fields", {}).items()
        }
        specs[type_name] = TypeSpec(fields=fields, instance_field=spec.get("instanceField"))
    return specs


def state_machine_time(moment: datetime) -> str:
    """A UTC time formatted like ``$$.State.EnteredTime``, so the two compare as strings."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def user_key(tenant_id: str, user_id: str) -> str:
    """Partition key of everything the workflow records about one user."""
    return f"TENANT#{tenant_id}#USER#{user_id}"


def plan(
    event: Mapping[str, Any],
    *,
    types: Mapping[str, TypeSpec],
    now: datetime,
    lock_seconds: int,
) -> dict[str, Any]:
    """Validate ``event`` and return the plan: the request normalized, each resource with its defaults
    applied, a stable ``key``, its position, and the order in which a rollback removes them.

    Raises :class:`ProvisioningRequestInvalid` listing every problem.
    """
    problems: list[str] = []
    if not isinstance(event, Mapping):
        raise ProvisioningRequestInvalid([f"request must be a JSON object. Received: [{event!r}]"])

    correlation_id, tenant_id = event.get("correlationId"), event.get("tenantId")
    problems.extend(correlation_and_tenant_problems(event))

    user = event.get("user")
    if not isinstance(user, Mapping):
        problems.append(f"user must be an object with id, email and role. Received: [{user!r}]")
        user = {}
    user_id, email, role = user.get("id"), user.get("email"), user.get("role")
    if not isinstance(user_id, str) or not IDENTIFIER.fullmatch(user_id):
        problems.append(f"user.id must match {IDENTIFIER.pattern}. Received: [{user_id!r}]")
    if not isinstance(email, str) or len(email) > MAX_EMAIL_LENGTH or not EMAIL.fullmatch(email):
        problems.append(f"user.email must be an email address. Received: [{email!r}]")
    if not isinstance(role, str) or not ROLE.fullmatch(role):
        problems.append(f"user.role must match {ROLE.pattern}. Received: [{role!r}]")

    resources = _resources(event.get("resources"), types, problems)
    if problems:
        raise ProvisioningRequestInvalid(problems)

    return {
        "correlationId": correlation_id,
        "tenantId": tenant_id,
        "user": {"id": user_id, "email": email, "role": role},
        "userKey": user_key(str(tenant_id), str(user_id)),
        "resources": resources,
        "rollbackOrder": list(reversed(resources)),
        "lockExpiresAt": state_machine_time(now + timedelta(seconds=lock_seconds)),
    }


def _resources(raw: Any, types: Mapping[str, TypeSpec], problems: list[str]) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        problems.append(f"resources must be a list of {{type, config}} objects. Received: [{raw!r}]")
        return []
    if len(raw) > MAX_RESOURCES:
        problems.append(f"resources must hold at most {MAX_RESOURCES} entries. Received: [{len(raw)}]")
        return []
    planned: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(raw):
        where = f"resources[{index}]"
        if not isinstance(entry, Mapping):
            problems.append(f"{where} must be an object with type and config. Received: [{entry!r}]")
            continue
        unknown_keys = sorted(set(entry) - {"type", "config"})
        if unknown_keys:
            problems.append(f"{where} has unknown keys [{', '.join(unknown_keys)}]")
        type_name = entry.get("type")
        spec = types.get(type_name) if isinstance(type_name, str) else None
        if spec is None:
            problems.append(
                f"{where}.type is not a supported resource type (supported: {', '.join(sorted(types))}). "
                f"Received: [{type_name!r}]"
            )
            continue
        config = _config(entry.get("config", {}), spec, f"{where}.config", problems)
        if config is None:
            continue
        name = str(config[spec.instance_field]) if spec.instance_field else str(type_name)
        key = f"{type_name}#{name}" if spec.instance_field else str(type_name)
        if key in seen:
            problems.append(f"{where} repeats resources[{seen[key]}] (both are [{key}])")
            continue
        seen[key] = index
        planned.append({"index": index, "type": type_name, "name": name, "key": key, "config": config})
    return planned


def _config(raw: Any, spec: TypeSpec, where: str, problems: list[str]) -> dict[str, Any] | None:
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        problems.append(f"{where} must be an object. Received: [{raw!r}]")
        return None
    before = len(problems)
    unknown = sorted(set(raw) - set(spec.fields))
    if unknown:
        problems.append(
            f"{where} has unknown keys [{', '.join(unknown)}] (allowed: {', '.join(spec.fields)})"
        )
    config: dict[str, Any] = {}
    for key, field_spec in spec.fields.items():
        if key not in raw:
            if field_spec.required:
                problems.append(f"{where}.{key} is required")
            elif field_spec.default is not None:
                config[key] = field_spec.default
            continue
        problem = field_spec.problem(raw[key])
        if problem:
            problems.append(f"{where}.{key} {problem}. Received: [{raw[key]!r}]")
        else:
            config[key] = raw[key]
    return config if len(problems) == before else None


def correlation_and_tenant_problems(event: Mapping[str, Any]) -> list[str]:
    """What is wrong with a request's ``correlationId`` and ``tenantId``: the checks every user
    workflow (provisioning, deprovisioning) makes first."""
    problems = []
    correlation_id = event.get("correlationId")
    if not isinstance(correlation_id, str) or not correlation_id.strip():
        problems.append(f"correlationId must be a non-empty string. Received: [{correlation_id!r}]")
    elif len(correlation_id) > MAX_CORRELATION_ID_LENGTH:
        problems.append(f"correlationId must be at most {MAX_CORRELATION_ID_LENGTH} characters")
    tenant_id = event.get("tenantId")
    if not isinstance(tenant_id, str) or not IDENTIFIER.fullmatch(tenant_id):
        problems.append(f"tenantId must match {IDENTIFIER.pattern}. Received: [{tenant_id!r}]")
    return problems
