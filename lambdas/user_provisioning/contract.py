"""The user provisioning and deprovisioning workflows' contract: names construct, handlers and tests share.

Pure Python, no third-party import: the Lambda asset (built from ``lambdas/``) ships it as
``user_provisioning.contract`` for the handlers, and the constructs
(``business_workflows.user_provisioning`` and ``.user_deprovisioning``) import the same file as
``lambdas.user_provisioning.contract`` from the repository root.
"""

from __future__ import annotations

# User provisioning ------------------------------------------------------------------------------

DEFAULT_WORKFLOW_NAME = "user-provisioning"
EVENT_DETAIL_TYPE = "User provisioned"
"""The EventBridge detail type announced once a user is ACTIVE."""
VALIDATE_STATE = "Validate the provisioning request"

# The user item's ``status`` (and the report's): PROVISIONING -> ACTIVE or PROVISIONING_FAILED.
STATUS_PROVISIONING = "PROVISIONING"
STATUS_ACTIVE = "ACTIVE"
STATUS_FAILED = "PROVISIONING_FAILED"
STATUS_DEPROVISIONING = "DEPROVISIONING"

# A resource's outcome: its result in a run's report (``status``, ``rollback``) and a remover's answer
# (``outcome``), written by the state machine and the handlers alike.
RESOURCE_PROVISIONED = "PROVISIONED"
RESOURCE_FAILED = "FAILED"
RESOURCE_REMOVED = "REMOVED"
RESOURCE_ALREADY_GONE = "ALREADY_GONE"
RESOURCE_KEPT = "KEPT"
"""Outcomes of a removal: gone now, was not there, or there but not created by this run (left alone)."""

# Who created a resource: the run (execution ARN) that did, on the ledger entry and every record
# (``provisionedBy``, written once) and as a tag on every object and AWS resource (``provisioned-by``).
# A removal takes away only what its own run created; the state machine and the handlers both check.
CREATOR_ATTRIBUTE = "provisionedBy"
OWNER_TAG = "provisioned-by"
TENANT_TAG = "tenant-id"
USER_TAG = "user-id"

# Step Functions errors the workflow fails with (a Fail state's Error; the handler's class name).
REQUEST_INVALID = "ProvisioningRequestInvalid"
"""The input is invalid (``user_provisioning.errors.ProvisioningRequestInvalid``); nothing was created."""
PROVISIONING_FAILED = "ProvisioningFailed"
"""A resource could not be provisioned; what was created was rolled back (the report says what)."""
IN_PROGRESS = "ProvisioningInProgress"
"""Another run is provisioning or deprovisioning the same user."""
EVENT_NOT_PUBLISHED = "UserProvisionedEventNotPublished"
BUSINESS_OUTCOMES = (REQUEST_INVALID, IN_PROGRESS)

# Business metrics a run's report records (Powertools Metrics names), charted by the construct.
METRIC_USERS_PROVISIONED = "UsersProvisioned"
METRIC_USER_PROVISIONING_FAILED = "UserProvisioningFailed"
METRIC_RESOURCES_PROVISIONED = "ResourcesProvisioned"
METRIC_RESOURCES_FAILED = "ResourcesFailed"
METRIC_RESOURCES_ROLLED_BACK = "ResourcesRolledBack"
METRIC_RESOURCES_LEFT_BEHIND = "ResourcesLeftBehind"
METRIC_NAMES = (
    METRIC_USERS_PROVISIONED,
    METRIC_USER_PROVISIONING_FAILED,
    METRIC_RESOURCES_PROVISIONED,
    METRIC_RESOURCES_FAILED,
    METRIC_RESOURCES_ROLLED_BACK,
    METRIC_RESOURCES_LEFT_BEHIND,
)

# User deprovisioning ----------------------------------------------------------------------------

DEPROVISIONING_WORKFLOW_NAME = "user-deprovisioning"
DEPROVISIONING_EVENT_DETAIL_TYPE = "User deprovisioned"
DEPROVISIONING_VALIDATE_STATE = "Validate the deprovisioning request"
STATUS_DEPROVISIONED = "DEPROVISIONED"
STATUS_DEPROVISIONING_FAILED = "DEPROVISIONING_FAILED"
STATUS_NOT_PROVISIONED = "NOT_PROVISIONED"
DEPROVISIONING_REQUEST_INVALID = "DeprovisioningRequestInvalid"
DEPROVISIONING_FAILED = "DeprovisioningFailed"
DEPROVISIONING_IN_PROGRESS = "DeprovisioningInProgress"
DEPROVISIONING_EVENT_NOT_PUBLISHED = "UserDeprovisionedEventNotPublished"
DEPROVISIONING_BUSINESS_OUTCOMES = (DEPROVISIONING_REQUEST_INVALID, DEPROVISIONING_IN_PROGRESS)
METRIC_USERS_DEPROVISIONED = "UsersDeprovisioned"
METRIC_USER_DEPROVISIONING_FAILED = "UserDeprovisioningFailed"
METRIC_RESOURCES_REMOVED = "ResourcesRemoved"
METRIC_RESOURCES_NOT_REMOVED = "ResourcesNotRemoved"
DEPROVISIONING_METRIC_NAMES = (
    METRIC_USERS_DEPROVISIONED,
    METRIC_USER_DEPROVISIONING_FAILED,
    METRIC_RESOURCES_REMOVED,
    METRIC_RESOURCES_NOT_REMOVED,
)
