"""A Python Lambda function with the defaults every workflow handler should have."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from aws_cdk import Acknowledgment, Duration, Stack, Validations
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ssm as ssm

from constructs import Construct
from workflow_constructs.bundling import function_code
from workflow_constructs.cfn_lint import REDUNDANT_ROLE_DEPENDENCY, ignore_cfn_lint
from workflow_constructs.checkov_skips import skip_checkov
from workflow_constructs.errors import InvalidPropsError
from workflow_constructs.lambda_code import entry_problem, handler_module_problem, packages_problem
from workflow_constructs.log_encryption import log_encryption_key as stack_log_key
from workflow_constructs.powertools import layer_arn, layer_parameter_name
from workflow_constructs.retention import RETAINED

LAMBDA_RUNTIME = lambda_.Runtime.PYTHON_3_14
"""The newest Python runtime this aws-cdk-lib offers; every function uses it."""
LAMBDA_ARCHITECTURE = lambda_.Architecture.ARM_64


DEFAULT_MEMORY_MB = 256
DEFAULT_TIMEOUT = Duration.seconds(30)
DEFAULT_LOG_RETENTION = logs.RetentionDays.THREE_MONTHS
DEFAULT_BUSINESS_METRIC_PERIOD = Duration.minutes(5)

NO_DLQ_REASON = (
    "Invoked synchronously (by Step Functions, which retries and catches failures, or "
    "by API Gateway, whose caller sees the error); an async dead-letter queue would never "
    "receive anything. Functions invoked asynchronously must add their own DLQ."
)
CHECKOV_SKIPS = {
    "CKV_AWS_116": NO_DLQ_REASON,
    "CKV_AWS_117": "The handlers call AWS APIs and, where configured, the payment provider and Sentry over "
    "the internet; no private network resource is reached, so a VPC would add NAT cost and nothing else.",
    "CKV_AWS_115": "Reserved concurrency would carve a fixed share out of the account's pool per function; "
    "Step Functions retries throttled invocations with backoff and the webhook stage is throttled, so "
    "the account limit is the bound that matters.",
    "CKV_AWS_173": "The environment holds names, ARNs and settings only (secrets are read from Secrets "
    "Manager at run time); Lambda encrypts it at rest with its AWS-managed key.",
}
"""checkov findings that do not apply to a function built by this construct, with why."""


class PythonFunction(lambda_.Function):
    """The caller's handler, with the task library, Powertools, tracing and JSON logs.

    ``entry`` is the caller's folder of handler code and ``handler`` is "module.function" inside it
    (``greeting.greet`` for ``entry/greeting.py``). The asset is that folder with the
    ``workflow_runtime`` package (distribution ``workflow-runtime``) copied in at its root, so handlers
    ``from workflow_runtime import handler`` in Lambda and on the local cloud as in their unit tests.
    Bundled in the asset rather than shipped as a layer: the library is ~20 kB of pure Python, the asset
    hash then names exactly the code the function runs (a layer would be a second versioned resource
    to keep in step), and the copy is made at synth by CDK local bundling, no Docker
    (``lambda_code``). ``include_runtime=False`` deploys the folder alone. ``packages`` ships only
    those top-level packages of the folder (``packages=["billing"]`` for ``billing.handler.charge``),
    so an app whose folder holds one package per workflow gives each workflow its own asset, whose hash
    the other workflows' code does not move. Caches and dotfiles
    never enter the asset (``lambda_code.ASSET_EXCLUDES``), so its hash is the same on every machine.

    Defaults: Python ``LAMBDA_RUNTIME`` on arm64; the AWS-published Powertools layer for the
    stack's region, its newest version as AWS's public SSM parameter names it at deploy time
    (``powertools.layer_parameter_name``), or the version ``powertools_layer_version`` pins
    (Powertools itself is never bundled); active X-Ray tracing; JSON logs into its own log
    group kept ``DEFAULT_LOG_RETENTION`` and encrypted with ``log_encryption_key`` (default: the
    stack's log key, ``log_encryption.log_encryption_key``); ``POWERTOOLS_SERVICE_NAME`` and
    metrics namespace set;
    256 MB and a 30 s timeout unless given. Sentry is opt-in: pass ``sentry_dsn_secret`` and
    handlers report exceptions to it. ``business_metric(name)`` gives the CloudWatch metric of a
    Powertools metric the handlers emit, for ``Workflow(business_metrics=...)``.

    Example::

        PythonFunction(self, "Greet", entry=Path("handlers"), handler="greeting.greet",
                       service="greeter")
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        entry: str | Path,
        handler: str,
        service: str,
        include_runtime: bool = True,
        packages: Sequence[str] | None = None,
        metrics_namespace: str | None = None,
        description: str | None = None,
        environment: Mapping[str, str] | None = None,
        memory_size: int = DEFAULT_MEMORY_MB,
        timeout: Duration = DEFAULT_TIMEOUT,
        log_retention: logs.RetentionDays = DEFAULT_LOG_RETENTION,
        log_encryption_key: kms.IKey | None = None,
        sentry_dsn_secret: secretsmanager.ISecret | None = None,
        powertools_layer_version: int | None = None,
    ) -> None:
        if handler.count(".") < 1 or not all(part.isidentifier() for part in handler.split(".")):
            raise InvalidPropsError(
                "handler", "must be a dotted path like 'package.module.function'", handler
            )
        entry = Path(entry)
        problem = entry_problem(entry, include_runtime=include_runtime)
        if problem is not None:
            raise InvalidPropsError("entry", problem, entry)
        if packages is not None:
            problem = packages_problem(entry, packages)
            if problem is not None:
                raise InvalidPropsError("packages", problem, packages)
        problem = handler_module_problem(entry, handler, with_runtime=include_runtime, packages=packages)
        if problem is not None:
            raise InvalidPropsError("handler", problem, handler)
        if not 128 <= memory_size <= 10_240:
            raise InvalidPropsError("memory_size", "must be between 128 and 10240 MB", memory_size)
        if not service:
            raise InvalidPropsError("service", "must name the workflow the function serves", service)
        if powertools_layer_version is not None and powertools_layer_version < 1:
            raise InvalidPropsError(
                "powertools_layer_version",
                "must be a published layer version (1 or more)",
                powertools_layer_version,
            )
        namespace = metrics_namespace or service
        scope_stack = Stack.of(scope)
        log_group = logs.LogGroup(
            scope,
            f"{id}Logs",
            retention=log_retention,
            encryption_key=log_encryption_key or stack_log_key(scope),
            removal_policy=RETAINED,
        )
        role = iam.Role(
            scope,
            f"{id}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Runs {handler}",
        )
        env = {
            "POWERTOOLS_SERVICE_NAME": service,
            "POWERTOOLS_METRICS_NAMESPACE": namespace,
            "POWERTOOLS_LOG_LEVEL": "INFO",
            **(environment or {}),
        }
        if sentry_dsn_secret is not None:
            env["SENTRY_DSN_SECRET_ARN"] = sentry_dsn_secret.secret_arn
        super().__init__(
            scope,
            id,
            handler=handler,
            code=function_code(
                entry, runtime=LAMBDA_RUNTIME, include_runtime=include_runtime, packages=packages
            ),
            runtime=LAMBDA_RUNTIME,
            architecture=LAMBDA_ARCHITECTURE,
            description=description,
            memory_size=memory_size,
            timeout=timeout,
            tracing=lambda_.Tracing.ACTIVE,
            logging_format=lambda_.LoggingFormat.JSON,
            log_group=log_group,
            role=role,
            environment=env,
        )
        self.service = service
        self.metrics_namespace = namespace
        self.sentry_dsn_secret = sentry_dsn_secret
        architecture, python = LAMBDA_ARCHITECTURE.name, LAMBDA_RUNTIME.name  # arm64, python3.14
        powertools = (
            # A template parameter of type AWS::SSM::Parameter::Value<String>, shared by the stack's
            # functions: CloudFormation reads the public parameter at every deploy.
            ssm.StringParameter.value_for_string_parameter(
                scope_stack, layer_parameter_name(architecture=architecture, python=python)
            )
            if powertools_layer_version is None
            else layer_arn(
                partition=scope_stack.partition,
                region=scope_stack.region,
                architecture=architecture,
                python=python,
                version=powertools_layer_version,
            )
        )
        self.add_layers(lambda_.LayerVersion.from_layer_version_arn(self, "Powertools", powertools))
        log_group.grant_write(role)
        ignore_cfn_lint(self.node.default_child, REDUNDANT_ROLE_DEPENDENCY)  # type: ignore[arg-type]
        if sentry_dsn_secret is not None:
            sentry_dsn_secret.grant_read(role)
        Validations.of(self).acknowledge(Acknowledgment(id="Serverless-LambdaDLQ", reason=NO_DLQ_REASON))
        for check, reason in CHECKOV_SKIPS.items():
            skip_checkov(self, check, reason=reason)
        Validations.of(role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.",
            ),
        )

    def business_metric(
        self,
        name: str,
        *,
        statistic: str = "Sum",
        period: Duration = DEFAULT_BUSINESS_METRIC_PERIOD,
        label: str | None = None,
    ) -> cloudwatch.Metric:
        """A metric the handlers emit with Powertools ``metrics.add_metric(name=...)``, for dashboards.

        Powertools publishes into this function's metrics namespace with a ``service`` dimension;
        a metric built without that dimension would graph nothing, so build it here.

        Example::

            Workflow(..., business_metrics=[charge.business_metric("InvoicesPaid")])
        """
        if not name:
            raise InvalidPropsError("name", "must name the metric the handler emits", name)
        return cloudwatch.Metric(
            namespace=self.metrics_namespace,
            metric_name=name,
            dimensions_map={"service": self.service},
            statistic=statistic,
            period=period,
            label=label,
        )
