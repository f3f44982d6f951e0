"""Errors of the user-provisioning workflow. Each class name is the Step Functions error name."""

from __future__ import annotations

from workflow_runtime import RequestInvalidError


class ProvisioningRequestInvalid(RequestInvalidError):  # noqa: N818  (the workflow's error name)
    """The request cannot be provisioned as given; nothing was created. The message lists every problem."""


class ResourceConflictError(Exception):
    """A resource with this user's deterministic name exists but belongs to another tenant or user."""


class DeprovisioningRequestInvalid(RequestInvalidError):  # noqa: N818  (the workflow's error name)
    """The deprovisioning request names no user that could exist; nothing was removed."""
