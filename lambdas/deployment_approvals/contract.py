"""The stack deployment workflow's contract: names its construct, its entry's handlers and tests share.

Pure Python, no third-party import: the entry function's asset (``lambdas/deployment_approvals``)
ships it as ``deployment_approvals.contract`` for the handlers, and the constructs
(``business_workflows.stack_deployment`` and ``.deployment_entry``) import the same file as
``lambdas.deployment_approvals.contract`` from the repository root.

The workflow itself runs no Lambda function (direct SDK integrations); its one handler folder is the
deployment entry's, which starts executions and answers the approval step, so the contract lives there.
"""

from __future__ import annotations

DEFAULT_WORKFLOW_NAME = "stack-deployment"

# States whose names other code reads: the entry finds the approval step by name in the history, and
# the business metrics count entries into the final states from the execution log.
APPROVAL_STATE = "Ask for approval"
"""The callback step: it publishes the approval request with ``.waitForTaskToken``."""
DEPLOYED_STATE = "Report the deployed stack"
NO_CHANGES_STATE = "Report that nothing changed"
FAILED_STATE = "Report the failed deployment"
STATE_NAMES = (APPROVAL_STATE, DEPLOYED_STATE, NO_CHANGES_STATE, FAILED_STATE)

# Fields of the execution input, the approval request and the approval step's answer.
REQUESTED_BY = "requestedBy"
"""The execution input field the entry sets to the requester's ARN (and the output repeats)."""
APPROVAL_TASK_TOKEN_FIELD = "taskToken"  # noqa: S105 - the name of a message field, not a secret
"""The approval request message's field holding the step's task token."""
APPROVED = "approved"
"""The answer's field: ``true`` approves."""
APPROVED_BY = "approvedBy"
"""The answer's field naming the approver (the signed caller); the output repeats it."""

# Step Functions errors the workflow fails with (a Fail state's Error, or the approval step's answer).
REQUEST_INVALID = "StackDeploymentRequestInvalid"
"""The input is not a deployment request; nothing was created."""
STACK_NOT_DEPLOYABLE = "StackNotDeployable"
CHANGE_SET_FAILED = "ChangeSetFailed"
CHANGE_SET_TIMED_OUT = "ChangeSetTimedOut"
DEPLOYMENT_REJECTED = "DeploymentRejected"
"""The approval step failed by the entry on a rejection (``SendTaskFailure``), and the workflow's error."""
APPROVAL_TIMED_OUT = "ApprovalTimedOut"
STACK_DEPLOYMENT_FAILED = "StackDeploymentFailed"
STACK_DEPLOYMENT_TIMED_OUT = "StackDeploymentTimedOut"
BUSINESS_OUTCOMES = (REQUEST_INVALID, STACK_NOT_DEPLOYABLE)
"""A bad request, or a stack not in a state to deploy: stopped before anything was created."""

# Business metrics, counted from the execution log by metric filters (name -> the state entered).
METRIC_STACKS_DEPLOYED = "StacksDeployed"
METRIC_DEPLOYMENTS_WITHOUT_CHANGES = "DeploymentsWithoutChanges"
METRIC_DEPLOYMENTS_FAILED = "DeploymentsFailed"
METRIC_APPROVALS_REQUESTED = "ApprovalsRequested"
METRIC_NAMES = (
    METRIC_STACKS_DEPLOYED,
    METRIC_DEPLOYMENTS_WITHOUT_CHANGES,
    METRIC_DEPLOYMENTS_FAILED,
    METRIC_APPROVALS_REQUESTED,
)

# The deployment entry: its routes (API Gateway resource paths) and its function's configuration.
DEPLOYMENTS_PATH = "deployments"
APPROVALS_PATH = "approvals"
STATE_MACHINE_ARN_ENV = "STATE_MACHINE_ARN"
"""The entry function's environment variable naming the state machine it starts and answers."""
