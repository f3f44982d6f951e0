"""The business workflows, each a reusable construct: import them from their modules.

- ``business_workflows.onboarding``: customer onboarding
- ``business_workflows.billing``: billing with payment authorisation by callback
- ``business_workflows.user_provisioning``: user provisioning with rollback
- ``business_workflows.stack_deployment``: CloudFormation change-set deployments

This is the app's own package (distribution ``business-workflows``), not part of the common
``workflow-constructs`` library. The names a workflow shares with its handlers and tests (states,
statuses, error and metric names) are in its contract module, ``lambdas/<workflow>/contract.py``:
pure Python inside the Lambda asset, imported here as ``lambdas.<workflow>.contract`` from the
repository root (where this package is found too) and by the handlers as ``<workflow>.contract``.
Stack deployment's is ``lambdas/deployment_approvals/contract.py``, beside its entry's handlers. Each
workflow's functions ship an asset of their own handler package only (``handler_code``).
"""
