"""The customer onboarding workflow's contract: names its construct, handlers and tests share.

Pure Python, no third-party import: the Lambda asset (built from ``lambdas/``) ships it as
``onboarding.contract`` for the handlers, and the construct (``business_workflows.onboarding``)
imports the same file as ``lambdas.onboarding.contract`` from the repository root.
"""

from __future__ import annotations

DEFAULT_WORKFLOW_NAME = "customer-onboarding"

# States other code finds by name (the local cloud's faults, the reliability profiles).
VALIDATE_STATE = "Validate the onboarding request"
PROVISION_TENANT_STATE = "Provision the tenant configuration and storage"
SEND_WELCOME_STATE = "Send the welcome email"
ACTIVATE_STATE = "Mark the customer active"
STATE_NAMES = (VALIDATE_STATE, PROVISION_TENANT_STATE, SEND_WELCOME_STATE, ACTIVATE_STATE)

# The customer record's ``status``: ONBOARDING -> ACTIVE, or -> ONBOARDING_FAILED after a rollback.
CUSTOMER_ONBOARDING = "ONBOARDING"
CUSTOMER_ACTIVE = "ACTIVE"
CUSTOMER_ONBOARDING_FAILED = "ONBOARDING_FAILED"
CUSTOMER_STATUSES = (CUSTOMER_ONBOARDING, CUSTOMER_ACTIVE, CUSTOMER_ONBOARDING_FAILED)

# The customer record's ``welcomeEmailStatus`` (and the output's ``welcomeEmail.status``).
WELCOME_EMAIL_SENT = "SENT"
WELCOME_EMAIL_PENDING = "PENDING"
"""The customer is ACTIVE but the welcome email was not sent; a re-run of the request sends it."""

# Step Functions errors the workflow fails with (a Fail state's Error; the handler's class name).
REQUEST_INVALID = "OnboardingRequestInvalid"
"""The input is invalid; the cause lists every problem (``onboarding.request.OnboardingRequestInvalid``)."""
CUSTOMER_ALREADY_EXISTS = "CustomerAlreadyExists"
"""Another request already recorded the customer."""
ADMIN_USER_NOT_PROVISIONED = "AdminUserNotProvisioned"
"""An earlier run's admin-user execution (found by its name) did not succeed."""
STEP_FAILED = "OnboardingStepFailed"
"""A step's Step Functions error (``States.Timeout``...), after the rollback; the cause starts with it."""
BUSINESS_OUTCOMES = (REQUEST_INVALID, CUSTOMER_ALREADY_EXISTS)
"""How an onboarding may end as intended although it failed: counted on the dashboard, paging nobody."""

# Business metrics (Powertools Metrics names), emitted by the handlers, charted by the construct.
METRIC_CUSTOMERS_ONBOARDED = "CustomersOnboarded"
METRIC_ONBOARDING_FAILED = "OnboardingFailed"
METRIC_NAMES = (METRIC_CUSTOMERS_ONBOARDED, METRIC_ONBOARDING_FAILED)
