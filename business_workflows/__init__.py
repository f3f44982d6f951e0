"""The business workflows, each a reusable construct: import them from their modules.

- ``business_workflows.onboarding``: customer onboarding
- ``business_workflows.billing``: billing with payment authorisation by callback
- ``business_workflows.user_provisioning``: user provisioning with rollback
- ``business_workflows.stack_deployment``: CloudFormation change-set deployments
"""
