"""The business workflows, each a reusable construct: import them from their modules.

- ``workflow_constructs.workflows.onboarding``: customer onboarding
- ``workflow_constructs.workflows.billing``: billing with payment authorisation by callback
- ``workflow_constructs.workflows.user_provisioning``: user provisioning with rollback
- ``workflow_constructs.workflows.stack_deployment``: CloudFormation change-set deployments
"""
