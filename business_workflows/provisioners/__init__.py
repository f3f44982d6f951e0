"""The registry of resource types the user-provisioning workflow can provision.

Adding a type: write one module here with a :class:`ResourceType` subclass (see ``base`` and
``docs/user-provisioning.md``), then add it to :func:`default_resource_types`. Teams using the library
can instead pass their own list to ``UserProvisioningWorkflow(resource_types=...)``.
"""

from __future__ import annotations

from business_workflows.provisioners.access_scope import AccessScope
from business_workflows.provisioners.api_key import ApiKey
from business_workflows.provisioners.base import (
    ConfigField,
    ProvisioningContext,
    ResourceSteps,
    ResourceType,
)
from business_workflows.provisioners.profile_record import ProfileRecord
from business_workflows.provisioners.storage_prefix import StoragePrefix


def default_resource_types(*, access_scope_trusted_principal_arn: str | None = None) -> list[ResourceType]:
    """The built-in types, each with its default options.

    ``access_scope_trusted_principal_arn`` (required): the one principal allowed to open users'
    access-scope sessions (see :class:`AccessScope`); there is no default.
    """
    return [
        StoragePrefix(),
        ProfileRecord(),
        AccessScope(trusted_principal_arn=access_scope_trusted_principal_arn),
        ApiKey(),
    ]


__all__ = [
    "AccessScope",
    "ApiKey",
    "ConfigField",
    "ProfileRecord",
    "ProvisioningContext",
    "ResourceSteps",
    "ResourceType",
    "StoragePrefix",
    "default_resource_types",
]
