"""The deployment entry: who asks for a stack deployment, and who approves it, by verified identity.

Step Functions tells a task neither who called ``StartExecution`` nor who called ``SendTaskSuccess``,
and a task token is readable in the execution history: an ``approvedBy`` field is whatever its sender
wrote. So requests and approvals go through an API Gateway REST API with ``AuthorizationType.IAM``
(API Gateway checks the SigV4 signature and hands the function the caller's ARN in
``requestContext.identity.userArn``) and one function (``lambdas/deployment_approvals``) that

- ``POST /deployments``: starts the execution with ``requestedBy`` = the caller;
- ``POST /approvals``: approves (``approvedBy`` = the caller, refused with ``SelfApprovalDenied`` when
  the caller requested it) or rejects the approval the execution waits for.

A :class:`~workflow_constructs.answer_guard.TaskAnswerGuard` leaves answering the approval step to
the function's role, and two more Deny statements in the same policy keep the recorded identities
true for every principal it is attached to: ``states:StartExecution`` on the state machine (so every
``requestedBy`` was written by the function) and ``lambda:InvokeFunction`` on the function (so no one
hands it a made-up request context; API Gateway invokes it under the function's resource policy, as a
service, which an identity policy does not restrict).
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, ArnFormat, Stack, Validations
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_stepfunctions as sfn
from workflow_constructs.answer_guard import TaskAnswerGuard
from workflow_constructs.checkov_skips import skip_checkov
from workflow_constructs.function import DEFAULT_LOG_RETENTION, PythonFunction
from workflow_constructs.log_encryption import log_encryption_key
from workflow_constructs.nag import acknowledge_wildcard_resource
from workflow_constructs.retention import RETAINED

from business_workflows.handler_code import app_handler_code
from constructs import Construct
from lambdas.deployment_approvals import contract

ENTRY_HANDLER = "deployment_approvals.handler.deployment_entry"
ENTRY_STAGE = "v1"
DEPLOYMENTS_PATH = contract.DEPLOYMENTS_PATH
APPROVALS_PATH = contract.APPROVALS_PATH
ENTRY_RATE_LIMIT = 5  # requests per second, steady: people request and approve deployments
ENTRY_BURST_LIMIT = 10


class DeploymentEntry(Construct):
    """The IAM-authorised entry, its function and the guard (see the module docstring).

    Attributes: ``function``, ``api``, ``deployments_method`` and ``approvals_method`` (grant callers
    ``execute-api:Invoke`` with :meth:`grant_request` and :meth:`grant_decide`), ``answer_guard``
    (its ``policy`` is what to attach to every operator, developer and CI role).

    Example::

        entry = DeploymentEntry(self, "Entry", state_machine=machine, workflow_name="stack-deployment")
        entry.grant_decide(release_managers)
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        state_machine: sfn.IStateMachine,
        workflow_name: str,
        sentry_dsn_secret: secretsmanager.ISecret | None = None,
    ) -> None:
        """:param state_machine: the stack-deployment state machine.
        :param workflow_name: its name (the function's service name, and its executions' ARNs).
        :param sentry_dsn_secret: opt-in Sentry reporting for the function. Default: none.
        """
        super().__init__(scope, id)
        self.function = PythonFunction(
            self,
            "Function",
            entry=app_handler_code(),
            packages=["deployment_approvals"],
            handler=ENTRY_HANDLER,
            service=workflow_name,
            description=f"{workflow_name}: starts deployments and answers approvals as the signed caller",
            environment={contract.STATE_MACHINE_ARN_ENV: state_machine.state_machine_arn},
            sentry_dsn_secret=sentry_dsn_secret,
        )
        self._grant(state_machine, workflow_name)
        role = self.function.role
        assert role is not None
        self.answer_guard = TaskAnswerGuard(
            self,
            "AnswerGuard",
            state_machine_arn=state_machine.state_machine_arn,
            answerers=[role],
            purpose="deployment approvals",
        )
        self.answer_guard.policy.add_statements(
            iam.PolicyStatement(
                sid="OnlyTheEntryStartsDeployments",
                effect=iam.Effect.DENY,
                actions=["states:StartExecution"],
                resources=[state_machine.state_machine_arn],
                conditions={"ArnNotEquals": {"aws:PrincipalArn": [role.role_arn]}},
            ),
            iam.PolicyStatement(
                sid="OnlyApiGatewayInvokesTheEntry",
                effect=iam.Effect.DENY,
                actions=["lambda:InvokeFunction"],
                resources=[self.function.function_arn, f"{self.function.function_arn}:*"],
            ),
        )
        self.api = self._api(workflow_name)
        integration = apigateway.LambdaIntegration(self.function, allow_test_invoke=False)
        self.deployments_method = self.api.root.add_resource(DEPLOYMENTS_PATH).add_method(
            "POST", integration, authorization_type=apigateway.AuthorizationType.IAM
        )
        self.approvals_method = self.api.root.add_resource(APPROVALS_PATH).add_method(
            "POST", integration, authorization_type=apigateway.AuthorizationType.IAM
        )
        self.url = self.api.url

    def grant_request(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` request deployments (``execute-api:Invoke`` on ``POST /deployments``)."""
        return self.deployments_method.grant_execute(grantee)

    def grant_decide(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` approve or reject deployments (``execute-api:Invoke`` on ``POST /approvals``)."""
        return self.approvals_method.grant_execute(grantee)

    def _grant(self, state_machine: sfn.IStateMachine, workflow_name: str) -> None:
        state_machine.grant_start_execution(self.function)
        state_machine.grant_task_response(self.function)
        executions = Stack.of(self).format_arn(
            service="states",
            resource="execution",
            resource_name=f"{workflow_name}:*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["states:DescribeExecution", "states:GetExecutionHistory"], resources=[executions]
            )
        )
        role = self.function.role
        assert role is not None
        acknowledge_wildcard_resource(
            role,
            executions,
            reason="Reads the executions of this one state machine: which execution is approved is "
            "only known at run time.",
        )

    def _api(self, workflow_name: str) -> apigateway.RestApi:
        access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=DEFAULT_LOG_RETENTION,
            encryption_key=log_encryption_key(self),
            removal_policy=RETAINED,
        )
        api = apigateway.RestApi(
            self,
            "Api",
            rest_api_name=f"{workflow_name}-entry",
            description=f"{workflow_name}: request and approve deployments (IAM-signed requests only)",
            endpoint_types=[apigateway.EndpointType.REGIONAL],
            # The region's API Gateway logging role belongs to the account (docs/billing.md).
            cloud_watch_role=False,
            deploy_options=apigateway.StageOptions(
                stage_name=ENTRY_STAGE,
                tracing_enabled=True,
                metrics_enabled=True,
                logging_level=apigateway.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                throttling_rate_limit=ENTRY_RATE_LIMIT,
                throttling_burst_limit=ENTRY_BURST_LIMIT,
                access_log_destination=apigateway.LogGroupLogDestination(access_logs),
                # Who called is what an audit of approvals asks first: the caller's ARN is logged.
                access_log_format=apigateway.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
            ),
        )
        api.node.try_remove_child("Endpoint")  # the stack outputs the URL under its own name
        skip_checkov(
            api.deployment_stage,
            "CKV_AWS_120",
            reason="Every request starts or answers one deployment: a cached response would answer one "
            "caller with another's decision.",
        )
        findings = {
            "AwsSolutions-COG4": "IAM-authorised (SigV4): the caller's IAM identity is what approvals are "
            "recorded and compared by; a Cognito user pool would be a second, unrelated identity.",
            "AwsSolutions-APIG2": "The function validates every body and answers a named error without "
            "side effects; a request model would duplicate that and drift from it.",
            "AwsSolutions-APIG3": "Only signed requests from principals granted execute-api:Invoke reach "
            "it, throttled at the stage; a WAF web ACL can be associated where the account has one.",
        }
        for finding, reason in findings.items():
            Validations.of(api).acknowledge(Acknowledgment(id=finding, reason=reason))
        return api


__all__ = ["DeploymentEntry"]
