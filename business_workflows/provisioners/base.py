"""What a resource type is, and what the user-provisioning workflow gives each one to build with.

A resource type is a :class:`ResourceType` subclass: its name, the keys its ``config`` accepts
(:class:`ConfigField`), and :meth:`ResourceType.build`, which creates any supporting AWS resources and
returns the states that provision and deprovision one resource (:class:`ResourceSteps`).

Both state chains run inside a Map iteration whose state is the *item state*:

- ``$.resource``: ``index``, ``type``, ``name`` (the instance name), ``key`` (``type#name``, unique per
  user) and ``config`` (validated, defaults applied);
- ``$.tenantId``, ``$.user`` (``id``, ``email``, ``role``), ``$.correlationId``;
- ``$.runId``: the execution ARN. Tag what you create with it; remove only what carries it.

A provisioner writes what it created to ``$.provisioned`` (by convention ``resourceId``); a deprovisioner may
write ``$.removal`` (``outcome``: ``REMOVED``, ``ALREADY_GONE`` or ``KEPT``). Both must be idempotent: a
step is retried, and a run may be repeated. The workflow catches every error of every Task in both
chains, so a failure is recorded for that resource and never stops the others.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_stepfunctions as sfn
from workflow_constructs import tasks
from workflow_constructs.errors import InvalidPropsError
from workflow_constructs.function import PythonFunction

from business_workflows.handler_code import app_handler_code
from business_workflows.storage import data_table
from constructs import Construct

# Paths into the item state, for provisioner authors.
RESOURCE_NAME = "$.resource.name"
RESOURCE_CONFIG = "$.resource.config"
TENANT_ID = "$.tenantId"
USER_ID = "$.user.id"
RUN_ID = "$.runId"
PROVISIONED = "$.provisioned"
REMOVAL = "$.removal"

DEFAULT_FUNCTION_TIMEOUT = Duration.seconds(30)

USER_STORAGE_ROOT = "tenants/{tenant_id}/users/{user_id}/"
"""Where a user's objects live in the tenant bucket; every storage grant is confined to it."""
TENANT_OBJECTS = "tenants/*"
"""The part of the tenant bucket the workflow and every role it creates may touch."""

_TYPE_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_FIELD_KINDS = ("string", "integer", "boolean")


@dataclass(frozen=True)
class ConfigField:
    """One key of a resource type's ``config``; the validator enforces it before anything is created.

    Give every optional field a ``default`` when the type's states read it: a JSONPath to a missing
    key fails the state.

    Example::

        ConfigField(pattern=r"^[a-z0-9-]{1,32}$", default="home", description="Folder name")
    """

    kind: str = "string"
    required: bool = False
    default: str | int | bool | None = None
    pattern: str | None = None
    choices: tuple[str | int, ...] = ()
    max_length: int | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if self.kind not in _FIELD_KINDS:
            raise InvalidPropsError("kind", f"must be one of {', '.join(_FIELD_KINDS)}", self.kind)
        if self.required and self.default is not None:
            raise InvalidPropsError("default", "cannot be set on a required field", self.default)
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as error:
                raise InvalidPropsError(
                    "pattern", f"must be a regular expression ({error})", self.pattern
                ) from None

    def spec(self) -> dict[str, Any]:
        """This field as the request validator reads it (keys left out when unset)."""
        document: dict[str, Any] = {"kind": self.kind}
        if self.required:
            document["required"] = True
        if self.default is not None:
            document["default"] = self.default
        if self.pattern is not None:
            document["pattern"] = self.pattern
        if self.choices:
            document["choices"] = list(self.choices)
        if self.max_length is not None:
            document["maxLength"] = self.max_length
        return document


def record_table(
    scope: Construct,
    id: str,
    *,
    partition_key: str,
    sort_key: str,
    global_secondary_indexes: Sequence[dynamodb.GlobalSecondaryIndexPropsV2] | None = None,
) -> dynamodb.TableV2:
    """A table of users' records (string keys): the workflows' one table recipe
    (:func:`business_workflows.storage.data_table`), with a sort key."""
    return data_table(
        scope,
        id,
        partition_key=partition_key,
        sort_key=sort_key,
        global_secondary_indexes=global_secondary_indexes,
    )


@dataclass(frozen=True)
class ResourceSteps:
    """What :meth:`ResourceType.build` returns: the two state chains and what it created for them.

    Every exit of ``provision`` continues to the workflow's next step; a chain that branches (say, a
    Catch that adopts an existing resource) lists each exit with ``sfn.Chain.custom``.

    ``tables``, ``roles``, ``keys``: what the type created that callers may wire further (the
    workflow exposes them as attributes), by name.

    ``state_machine_wildcards``: resource ARNs with a wildcard that the chains' Tasks are granted (the
    names of what users get are only known at run time), each with the reason; the workflow
    acknowledges exactly these cdk-nag findings on its state machine role.

    ``remover``: builds the ``deprovision`` chain again in another scope, for the user-deprovisioning
    workflow (a state belongs to one state machine). Without it, that workflow reports the type's
    resources ``REMOVAL_FAILED`` and leaves them in the ledger. Its states read the same item state,
    with ``$.runId`` the run that created the resource (the ledger's ``provisionedBy``).
    """

    provision: sfn.IChainable
    deprovision: sfn.IChainable
    functions: Sequence[lambda_.IFunction] = ()
    tables: Mapping[str, dynamodb.ITableV2] = field(default_factory=dict)
    roles: Mapping[str, iam.IRole] = field(default_factory=dict)
    keys: Mapping[str, kms.IKey] = field(default_factory=dict)
    state_machine_wildcards: Mapping[str, str] = field(default_factory=dict)
    remover: Callable[[Construct], sfn.IChainable] | None = None


@dataclass(frozen=True)
class ProvisioningContext:
    """What the workflow shares with every resource type while it is built."""

    workflow_name: str
    tenant_bucket: s3.IBucket
    idempotency_table: dynamodb.ITableV2
    sentry_dsn_secret: secretsmanager.ISecret | None = None

    def function(
        self,
        scope: Construct,
        id: str,
        *,
        handler: str,
        description: str,
        environment: Mapping[str, str] | None = None,
        timeout: Duration = DEFAULT_FUNCTION_TIMEOUT,
    ) -> PythonFunction:
        """A function running ``handler`` from ``lambdas/``, with the workflow's service name, Sentry
        opt-in and the idempotency table (``IDEMPOTENCY_TABLE``, read and write)."""
        function = PythonFunction(
            scope,
            id,
            entry=app_handler_code(),
            packages=["user_provisioning"],
            handler=handler,
            service=self.workflow_name,
            description=description,
            environment={
                "WORKFLOW_NAME": self.workflow_name,
                "IDEMPOTENCY_TABLE": self.idempotency_table.table_name,
                **(environment or {}),
            },
            timeout=timeout,
            sentry_dsn_secret=self.sentry_dsn_secret,
        )
        # Exactly what Powertools idempotency does with its table.
        self.idempotency_table.grant(
            function, "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"
        )
        return function

    def lambda_step(
        self, scope: Construct, name: str, *, function: lambda_.IFunction, action: str
    ) -> sfn.TaskStateBase:
        """Invoke a Lambda provisioner (``action``: ``provision`` or ``deprovision``) with the item state.

        Its answer goes to ``$.provisioned`` or ``$.removal``.
        """
        if action not in ("provision", "deprovision"):
            raise InvalidPropsError("action", "must be 'provision' or 'deprovision'", action)
        return tasks.invoke_lambda(
            scope,
            name,
            function=function,
            payload=sfn.TaskInput.from_object(
                {
                    "action": action,
                    "correlationId": sfn.JsonPath.string_at("$.correlationId"),
                    "runId": sfn.JsonPath.string_at(RUN_ID),
                    "tenantId": sfn.JsonPath.string_at(TENANT_ID),
                    "user": sfn.JsonPath.object_at("$.user"),
                    "resource": sfn.JsonPath.object_at("$.resource"),
                }
            ),
            result_path=PROVISIONED if action == "provision" else REMOVAL,
        )


class ResourceType(ABC):
    """One kind of resource a user can be given. Subclass it, then list it in the workflow's registry.

    Class attributes: ``type_name`` (what requests say in ``type``), ``summary`` (one line for docs),
    ``config_fields`` and ``instance_field`` (the config key that names one of several instances per
    user; ``None`` when a user has at most one). Instances hold options of the type (constructor
    arguments), so one class serves differently configured workflows.
    """

    type_name: ClassVar[str]
    summary: ClassVar[str]
    config_fields: ClassVar[Mapping[str, ConfigField]] = {}
    instance_field: ClassVar[str | None] = None

    @abstractmethod
    def build(self, scope: Construct, context: ProvisioningContext) -> ResourceSteps:
        """Create what the type needs in ``scope`` and return its provision and deprovision chains.

        State names are global to the state machine: include what the type is ("Create the profile
        record"), never a generic verb.
        """

    @classmethod
    def spec(cls) -> dict[str, Any]:
        """The type as the request validator reads it."""
        document: dict[str, Any] = {"fields": {k: f.spec() for k, f in cls.config_fields.items()}}
        if cls.instance_field is not None:
            document["instanceField"] = cls.instance_field
        return document

    @classmethod
    def check(cls) -> None:
        """Raise :class:`InvalidPropsError` when the class is not a usable resource type."""
        name = getattr(cls, "type_name", None)
        if not isinstance(name, str) or not _TYPE_NAME.match(name) or len(name) > 40:
            raise InvalidPropsError(
                "type_name", "must be 1-40 lowercase letters, digits and single '-' (like 'api-key')", name
            )
        if cls.instance_field is not None:
            instance = cls.config_fields.get(cls.instance_field)
            usable = (
                instance is not None
                and instance.kind == "string"
                and instance.pattern is not None
                and (instance.required or instance.default is not None)
            )
            if not usable:
                raise InvalidPropsError(
                    "instance_field",
                    f"of [{name}] must name a string config field with a pattern, required or with a default",
                    cls.instance_field,
                )
