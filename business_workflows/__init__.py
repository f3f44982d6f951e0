"""The business workflows, each a reusable construct: import them from their modules.

- ``business_workflows.onboarding``: customer onboarding
- ``business_workflows.billing``: billing with payment authorisation by callback
- ``business_workflows.user_provisioning``: user provisioning with rollback
  (``.user_deprovisioning`` and ``.bulk_user_provisioning`` build on it)
- ``business_workflows.stack_deployment``: CloudFormation change-set deployments

They share one skeleton, so that they cannot drift apart (``tests/constructs/test_skeleton.py``):

- ``business_workflows.options``: :class:`WorkflowOptions`, the one way the app's settings (alarm
  topic, Sentry secret, placeholder senders) reach every construct, as ``options=``;
- ``business_workflows.defaults``: the defaults they share, each documented where it is set;
- ``business_workflows.storage``: the one table recipe (``data_table``) and bucket recipe
  (``data_bucket``, ``secure_bucket``, ``access_log_bucket``);
- ``business_workflows.metrics``: the one business-metric recipe (``count_metric``).

cdk-nag findings are acknowledged through ``workflow_constructs.nag`` and checkov skips through
``workflow_constructs.checkov_skips``, never by writing a finding id by hand.

This is the app's own package (distribution ``business-workflows``), not part of the common
``workflow-constructs`` library. The names a workflow shares with its handlers and tests (states,
statuses, error and metric names) are in its contract module, ``lambdas/<workflow>/contract.py``:
pure Python inside the Lambda asset, imported here as ``lambdas.<workflow>.contract`` from the
repository root (where this package is found too) and by the handlers as ``<workflow>.contract``.
Stack deployment's is ``lambdas/deployment_approvals/contract.py``, beside its entry's handlers. Each
workflow's functions ship an asset of their own handler package only (``handler_code``).
"""
