"""Stack deployment requests and approvals, made by a verified identity.

The entry (API Gateway, IAM-authorised) is the only way to start a ``stack-deployment`` execution
and the only answerer of its approval step (``TaskAnswerGuard`` denies everyone else). The caller's
ARN comes from the request context API Gateway filled in after checking the SigV4 signature, never
from the body:

- :mod:`deployment_approvals.contract`: the workflow's state, field, error and metric names, shared
  with its construct (``business_workflows.stack_deployment``) and tests;
- :mod:`deployment_approvals.identity`: the caller from the request context, and who counts as the
  same person;
- :mod:`deployment_approvals.errors`: the named refusals;
- :mod:`deployment_approvals.approvals`: request a deployment, approve or reject one (plain logic,
  clients as arguments);
- :mod:`deployment_approvals.entry`: the API Gateway event and response;
- :mod:`deployment_approvals.handler`: the Lambda entry point.
"""
