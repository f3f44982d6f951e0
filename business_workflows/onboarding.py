"""Customer onboarding: provision what a new customer needs, then welcome them.

The workflow validates the request, records the customer as ONBOARDING (a conditional write),
provisions the tenant (configuration record and storage prefix) and, when a user-provisioning
workflow is given, the customer's first admin user as a nested execution; then it sends the
welcome email through SES and marks the customer ACTIVE. If anything fails after the customer
was recorded, it rolls back the tenant, marks the customer ONBOARDING_FAILED with the error,
tells operations and fails with the original error and cause.

Running it again for the same request (same ``correlationId``) never creates twice or emails
twice: the customer id is derived from the email when not given, every write is conditional or
idempotent, the welcome email is reserved on the customer record before it is sent, and a
request that already completed answers with its recorded result without doing anything.

Execution input::

    {"correlationId": "req-123", "requestedBy": "signup-portal",
     "customer": {"name": "Ada Lovelace", "email": "ada@example.com", "plan": "team", "id": "optional"}}

Output: ``{"correlationId", "customerId", "status": "ACTIVE", "provisioned": {"tenant": {...},
"adminUser": {...}}}`` (``adminUser`` only with a user-provisioning workflow).

Errors: ``OnboardingRequestInvalid`` (bad input; nothing written), ``CustomerAlreadyExists`` (the
customer was recorded by another request); after a rollback, the error of the step that failed
(for the admin user, the user-provisioning workflow's own error, ``ProvisioningFailed``), or
``OnboardingStepFailed`` when that was a Step Functions error (``States.Timeout: ...`` in the cause),
or ``AdminUserNotProvisioned`` when an earlier run's admin-user execution did not succeed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Arn, ArnFormat, Duration, Stack, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as sfn_tasks
from workflow_constructs import tasks
from workflow_constructs.cfn_lint import RESOURCE_TYPE_NOT_IN_EVERY_REGION, ignore_cfn_lint
from workflow_constructs.errors import InvalidPropsError
from workflow_constructs.fragments.compensation import Compensation
from workflow_constructs.function import PythonFunction
from workflow_constructs.nag import acknowledge_wildcard_resource
from workflow_constructs.stage import staged_name
from workflow_constructs.workflow import Workflow

from business_workflows.handler_code import app_handler_code
from business_workflows.metrics import count_metrics
from business_workflows.options import WorkflowOptions
from business_workflows.senders import check_sender
from business_workflows.storage import ACCESS_LOGS_BY_POLICY, access_log_bucket, data_bucket, data_table
from constructs import Construct
from lambdas.onboarding import contract

__all__ = [
    "ADMIN_USER_NOT_PROVISIONED",
    "BUSINESS_OUTCOMES",
    "CUSTOMER_ALREADY_EXISTS",
    "DEFAULT_PLANS",
    "DEFAULT_WORKFLOW_NAME",
    "REQUEST_INVALID",
    "STEP_FAILED",
    "WELCOME_EMAIL_PENDING",
    "WELCOME_EMAIL_SENT",
    "OnboardingWorkflow",
    "WelcomeEmail",
]

DEFAULT_WORKFLOW_NAME = contract.DEFAULT_WORKFLOW_NAME
DEFAULT_PLANS = ("starter", "team", "enterprise")
# Error, status and metric names: one definition, shared with the handlers (lambdas/onboarding/contract.py).
REQUEST_INVALID = contract.REQUEST_INVALID
CUSTOMER_ALREADY_EXISTS = contract.CUSTOMER_ALREADY_EXISTS
ADMIN_USER_NOT_PROVISIONED = contract.ADMIN_USER_NOT_PROVISIONED
STEP_FAILED = contract.STEP_FAILED
BUSINESS_OUTCOMES = contract.BUSINESS_OUTCOMES
WELCOME_EMAIL_SENT = contract.WELCOME_EMAIL_SENT
WELCOME_EMAIL_PENDING = contract.WELCOME_EMAIL_PENDING
METRIC_CUSTOMERS_ONBOARDED = contract.METRIC_CUSTOMERS_ONBOARDED
METRIC_ONBOARDING_FAILED = contract.METRIC_ONBOARDING_FAILED
TENANT_PREFIX_PATTERN = "tenants/*"
"""Every tenant's storage lives under ``tenants/<tenant id>/`` (see ``lambdas/onboarding/tenant.py``)."""
ADMIN_ROLE = "admin"
DEFAULT_ADMIN_USER_RESOURCES: tuple[Mapping[str, Any], ...] = (
    {"type": "storage-prefix", "config": {"name": "home"}},
    {"type": "profile-record", "config": {}},
    {"type": "access-scope", "config": {"access": "read-write"}},
    {"type": "api-key", "config": {}},
)
"""What the first admin user gets from the user-provisioning workflow."""
EARLIER_CHILD_POLL = Duration.seconds(30)  # how often to look at a still-running earlier child

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_PLAN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_CONDITIONAL_CHECK_FAILED = "DynamoDB.ConditionalCheckFailedException"
_CHILD_ALREADY_EXISTS = "StepFunctions.ExecutionAlreadyExistsException"
_ALL_ERRORS = ("States.ALL",)
_HANDLERS = "onboarding.handler"

# Paths in the workflow's state, named once.
_CORRELATION_ID = "$.correlationId"
_CUSTOMER = "$.customer"
_CUSTOMER_ID = "$.customer.id"
_ATTEMPT = "$.record.attempt"
_NOW = "$$.State.EnteredTime"
_FAILURE = "$.failure"
_WELCOME_EMAIL = "$.welcomeEmail"


@dataclass(frozen=True)
class WelcomeEmail:
    """The welcome email's SES template. ``{{id}}``, ``{{name}}``, ``{{email}}``, ``{{plan}}`` are filled in.

    Example::

        WelcomeEmail(subject="Welcome to Acme, {{name}}", text="...", html="<p>...</p>")
    """

    subject: str = "Welcome aboard, {{name}}"
    text: str = (
        "Hello {{name}},\n\n"
        "your {{plan}} account is ready. Your customer id is {{id}}.\n"
        "Your administrator account will reach you in a separate email.\n"
    )
    html: str = (
        "<p>Hello {{name}},</p>"
        "<p>your <strong>{{plan}}</strong> account is ready. Your customer id is <code>{{id}}</code>.</p>"
        "<p>Your administrator account will reach you in a separate email.</p>"
    )

    def __post_init__(self) -> None:
        for field_name in ("subject", "text", "html"):
            if not getattr(self, field_name).strip():
                raise InvalidPropsError(f"welcome_email.{field_name}", "must not be empty", "")


class OnboardingWorkflow(Construct):
    """The customer onboarding workflow (see the module docstring for what it does).

    Creates the customers table, the tenants table, the tenant bucket (with its access-log
    bucket), the SES sender identity (unless ``sender_identity`` is given) and welcome template,
    five Lambda functions and the :class:`~workflow_constructs.workflow.Workflow` with alarms and a
    dashboard showing ``CustomersOnboarded`` and ``OnboardingFailed``.

    Attributes: ``workflow``, ``state_machine``, ``customers_table``, ``tenants_table``,
    ``tenant_bucket``, ``access_log_bucket``, ``sender_identity``, ``welcome_template``,
    ``welcome_template_name``, ``functions`` (by step: validate, provision, roll_back, complete,
    record_failure), ``business_metrics``.

    Example::

        OnboardingWorkflow(self, "Onboarding", sender_address="welcome@acme.com",
                           options=WorkflowOptions(alarm_topic=operations.operations_topic),
                           user_provisioning=sfn.StateMachine.from_state_machine_name(
                               self, "UserProvisioning", "user-provisioning"))
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        sender_address: str,
        options: WorkflowOptions,
        sender_identity: ses.IEmailIdentity | None = None,
        user_provisioning: sfn.IStateMachine | None = None,
        user_deprovisioning: sfn.IStateMachine | None = None,
        admin_user_resources: Sequence[Mapping[str, Any]] = DEFAULT_ADMIN_USER_RESOURCES,
        plans: Sequence[str] = DEFAULT_PLANS,
        welcome_email: WelcomeEmail | None = None,
        workflow_name: str = DEFAULT_WORKFLOW_NAME,
    ) -> None:
        """
        :param sender_address: the welcome email's From address, on a domain SES can verify (one you
            own): an address on a reserved domain (``example.com``, ``.test``...) raises
            :class:`~business_workflows.senders.UnverifiableSenderError`.
        :param options: the app-wide settings (:class:`~business_workflows.options.WorkflowOptions`);
            ``options.alarm_topic`` is required (failure notices go there).
        :param sender_identity: a verified SES identity (address or domain) that sends the email.
            Default: an identity for ``sender_address`` is created (AWS emails it a verification link).
        :param user_provisioning: the workflow that provisions the first admin user, run nested.
            Default: none; no admin user is provisioned.
        :param user_deprovisioning: the workflow that removes what user provisioning created for a
            user (``user-deprovisioning``); the rollback runs it, nested, for the first admin. Default:
            none; a failed onboarding leaves the admin user's resources (a re-run adopts them).
        :param admin_user_resources: the ``resources`` asked for the admin user. Default: a home
            storage prefix, a profile record, a read-write access scope and an API key.
        :param plans: the plan names a customer may sign up for. Default: ``DEFAULT_PLANS``.
        :param welcome_email: the welcome template. Default: ``WelcomeEmail()``.
        :param workflow_name: the state machine's name; also names the SES template.
            Default: ``customer-onboarding``.
        """
        super().__init__(scope, id)
        # The physical name: every fixed name below derives from it, so it carries the app's stage.
        workflow_name = staged_name(self, workflow_name)
        # Access logs are delivered under a bucket policy, not the deprecated log-delivery ACL,
        # whatever the consuming app's feature flags say (set before any child reads it).
        self.node.set_context(ACCESS_LOGS_BY_POLICY, True)
        alarm_topic = options.required_alarm_topic("OnboardingWorkflow")
        _validate_props(sender_address=sender_address, plans=plans, admin_user_resources=admin_user_resources)
        check_sender("sender_address", sender_address, allow_reserved=options.allow_placeholder_senders)
        welcome_email = welcome_email or WelcomeEmail()
        stack = Stack.of(self)

        self.customers_table = data_table(self, "Customers", partition_key="customerId")
        self.tenants_table = data_table(self, "Tenants", partition_key="tenantId")
        self.access_log_bucket = access_log_bucket(self, "AccessLogBucket")
        # Versions protect tenant data from overwrites; the rollback deletes every version.
        self.tenant_bucket = data_bucket(
            self, "TenantBucket", access_logs=self.access_log_bucket, access_logs_prefix="tenant-bucket/"
        )

        if sender_identity is None:
            created = ses.EmailIdentity(self, "Sender", identity=ses.Identity.email(sender_address))
            ignore_cfn_lint(created.node.default_child, RESOURCE_TYPE_NOT_IN_EVERY_REGION)  # type: ignore[arg-type]
            sender_identity = created
        self.sender_identity = sender_identity
        self.welcome_template_name = f"{workflow_name}-welcome"
        self.welcome_template = ses.CfnTemplate(
            self,
            "WelcomeTemplate",
            template=ses.CfnTemplate.TemplateProperty(
                template_name=self.welcome_template_name,
                subject_part=welcome_email.subject,
                text_part=welcome_email.text,
                html_part=welcome_email.html,
            ),
        )
        ignore_cfn_lint(self.welcome_template, RESOURCE_TYPE_NOT_IN_EVERY_REGION)

        self.functions = self._functions(workflow_name, plans, options.sentry_dsn_secret)
        self.business_metrics = count_metrics(
            workflow_name, (METRIC_CUSTOMERS_ONBOARDED, METRIC_ONBOARDING_FAILED)
        )

        definition = self._definition(
            sender_address=sender_address,
            alarm_topic=alarm_topic,
            user_provisioning=user_provisioning,
            user_deprovisioning=user_deprovisioning,
            admin_user_resources=admin_user_resources,
            workflow_name=workflow_name,
            stack=stack,
        )
        self.workflow = Workflow(
            self,
            "Workflow",
            workflow_name=workflow_name,
            definition=definition,
            description="Customer onboarding: validate, record, provision, welcome, activate; "
            "on failure roll back, record why and notify operations",
            alarm_topic=alarm_topic,
            business_metrics=self.business_metrics,
            business_outcomes=BUSINESS_OUTCOMES,
        )
        self.state_machine = self.workflow.state_machine
        options.grant_alarm_topic_key(self.state_machine)
        for child in (user_provisioning, user_deprovisioning):
            if child is not None:
                self._acknowledge_child_execution_wildcard(child)

    # Resources --------------------------------------------------------------------------------

    def _functions(
        self, service: str, plans: Sequence[str], sentry_dsn_secret: secretsmanager.ISecret | None
    ) -> dict[str, PythonFunction]:
        environment = {
            "CUSTOMERS_TABLE": self.customers_table.table_name,
            "TENANTS_TABLE": self.tenants_table.table_name,
            "TENANT_BUCKET": self.tenant_bucket.bucket_name,
            "ALLOWED_PLANS": ",".join(plans),
        }
        steps = {
            "validate": (
                "ValidateRequest",
                "validate_request",
                "Validates and normalises onboarding requests",
            ),
            "provision": (
                "ProvisionTenant",
                "provision_tenant",
                "Creates a customer's tenant config and storage",
            ),
            "roll_back": (
                "RollBackTenant",
                "roll_back_tenant",
                "Deletes a customer's tenant config and storage",
            ),
            "complete": ("CompleteOnboarding", "complete_onboarding", "Marks an onboarded customer active"),
            "record_failure": ("RecordFailure", "record_failure", "Marks a customer's onboarding failed"),
        }
        functions = {
            key: PythonFunction(
                self,
                construct_id,
                entry=app_handler_code(),
                packages=["onboarding"],
                handler=f"{_HANDLERS}.{entry_point}",
                service=service,
                description=description,
                environment=environment,
                sentry_dsn_secret=sentry_dsn_secret,
            )
            for key, (construct_id, entry_point, description) in steps.items()
        }
        objects = self.tenant_bucket.arn_for_objects(TENANT_PREFIX_PATTERN)
        self.tenants_table.grant(functions["provision"], "dynamodb:PutItem", "dynamodb:GetItem")
        functions["provision"].add_to_role_policy(
            iam.PolicyStatement(actions=["s3:PutObject"], resources=[objects])
        )
        self.tenants_table.grant(functions["roll_back"], "dynamodb:DeleteItem")
        functions["roll_back"].add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucketVersions"],
                resources=[self.tenant_bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [TENANT_PREFIX_PATTERN]}},
            )
        )
        functions["roll_back"].add_to_role_policy(
            iam.PolicyStatement(actions=["s3:DeleteObject", "s3:DeleteObjectVersion"], resources=[objects])
        )
        for key in ("complete", "record_failure"):
            self.customers_table.grant(functions[key], "dynamodb:UpdateItem", "dynamodb:GetItem")
        for key in ("provision", "roll_back"):
            acknowledge_wildcard_resource(
                functions[key].role,  # type: ignore[arg-type]
                objects,
                reason="Tenants are created at run time, each under its own prefix; the grant is "
                "limited to the tenants/ prefix of this workflow's bucket.",
            )
        return functions

    def _acknowledge_child_execution_wildcard(self, child: sfn.IStateMachine) -> None:
        # `.sync` must describe and stop the child it started; its name is known only at run time.
        acknowledge_wildcard_resource(
            self.state_machine.role,
            _child_executions(self, child),
            reason="A nested .sync execution is described and stopped by ARN; execution names "
            "are chosen at run time, so the grant covers executions of that one state machine.",
        )

    # Definition -------------------------------------------------------------------------------

    def _definition(
        self,
        *,
        sender_address: str,
        alarm_topic: sns.ITopic,
        user_provisioning: sfn.IStateMachine | None,
        user_deprovisioning: sfn.IStateMachine | None,
        admin_user_resources: Sequence[Mapping[str, Any]],
        workflow_name: str,
        stack: Stack,
    ) -> sfn.IChainable:
        customer_key = {"customerId": tasks.ddb_string(sfn.JsonPath.string_at(_CUSTOMER_ID))}
        functions = self.functions

        validate = tasks.invoke_lambda(self, contract.VALIDATE_STATE, function=functions["validate"])
        record = tasks.dynamodb_update_item(
            self,
            "Record the customer as onboarding",
            table=self.customers_table,
            key=customer_key,
            update_expression=(
                "SET #status = :onboarding, customerName = :name, email = :email, #plan = :plan, "
                "correlationId = :request, requestedBy = :requestedBy, updatedAt = :now, "
                "createdAt = if_not_exists(createdAt, :now), attempt = if_not_exists(attempt, :first) "
                "REMOVE failureError, failureCause, failedAt"
            ),
            # A new customer, or this same request again while it is not yet complete.
            condition_expression="attribute_not_exists(customerId) OR "
            "(correlationId = :request AND #status <> :active)",
            # Both are DynamoDB reserved words.
            expression_attribute_names={"#status": "status", "#plan": "plan"},
            expression_attribute_values={
                ":onboarding": tasks.ddb_string(contract.CUSTOMER_ONBOARDING),
                ":active": tasks.ddb_string(contract.CUSTOMER_ACTIVE),
                ":name": tasks.ddb_string(sfn.JsonPath.string_at("$.customer.name")),
                ":email": tasks.ddb_string(sfn.JsonPath.string_at("$.customer.email")),
                ":plan": tasks.ddb_string(sfn.JsonPath.string_at("$.customer.plan")),
                ":request": tasks.ddb_string(sfn.JsonPath.string_at(_CORRELATION_ID)),
                ":requestedBy": tasks.ddb_string(sfn.JsonPath.string_at("$.requestedBy")),
                ":now": tasks.ddb_string(sfn.JsonPath.string_at(_NOW)),
                ":first": sfn_tasks.DynamoAttributeValue.from_number(1),
            },
            return_values=sfn_tasks.DynamoReturnValues.ALL_NEW,
            result_selector={"attempt": sfn.JsonPath.string_at("$.Attributes.attempt.N")},
            result_path="$.record",
        )
        lookup = tasks.dynamodb_get_item(
            self,
            "Look up the existing customer",
            table=self.customers_table,
            key=customer_key,
            result_path="$.existing",
        )
        earlier_result = sfn.Pass(
            self,
            "Answer with the earlier result",
            parameters={
                "correlationId": sfn.JsonPath.string_at(_CORRELATION_ID),
                "customerId": sfn.JsonPath.string_at(_CUSTOMER_ID),
                "status": sfn.JsonPath.string_at("$.existing.Item.status.S"),
                "provisioned": sfn.JsonPath.string_to_json(
                    sfn.JsonPath.string_at("$.existing.Item.provisioned.S")
                ),
                "welcomeEmail": {"status": sfn.JsonPath.string_at("$.existing.Item.welcomeEmailStatus.S")},
            },
        )
        reject = sfn.Fail(
            self,
            "Reject the existing customer",
            error=CUSTOMER_ALREADY_EXISTS,
            cause_path=sfn.JsonPath.format(
                "Customer {} already exists: recorded by request {} with status {}",
                sfn.JsonPath.string_at(_CUSTOMER_ID),
                sfn.JsonPath.string_at("$.existing.Item.correlationId.S"),
                sfn.JsonPath.string_at("$.existing.Item.status.S"),
            ),
        )
        # The state the welcome email steps read, with what the earlier run provisioned.
        restore = sfn.Pass(
            self,
            "Restore what the earlier run provisioned",
            parameters={
                "correlationId": sfn.JsonPath.string_at(_CORRELATION_ID),
                "customer": sfn.JsonPath.object_at(_CUSTOMER),
                "existing": sfn.JsonPath.object_at("$.existing"),
                "provisioned": sfn.JsonPath.string_to_json(
                    sfn.JsonPath.string_at("$.existing.Item.provisioned.S")
                ),
            },
        )
        record.add_catch(lookup, errors=[_CONDITIONAL_CHECK_FAILED], result_path="$.rejected")
        lookup.next(
            sfn.Choice(self, "Was it completed by this request")
            .when(
                sfn.Condition.string_equals_json_path("$.existing.Item.correlationId.S", _CORRELATION_ID),
                sfn.Choice(self, "Is the welcome email still to be sent")
                .when(
                    sfn.Condition.string_equals(
                        "$.existing.Item.welcomeEmailStatus.S", WELCOME_EMAIL_PENDING
                    ),
                    restore,
                )
                .otherwise(earlier_result),
            )
            .otherwise(reject)
        )

        # Failure path: roll back, record why, tell operations, fail with the original error
        # (a Step Functions error under a name of ours, the original error leading the cause).
        rollback = Compensation(
            self,
            "Rollback",
            failure_path=_FAILURE,
            fail_state_name="Fail the onboarding",
            step_failed_error=STEP_FAILED,
        )
        fail = rollback.fail
        notify = tasks.publish_to_topic(
            self,
            "Notify operations of the failure",
            topic=alarm_topic,
            subject=f"{workflow_name}: onboarding failed",
            message=sfn.TaskInput.from_object(
                {
                    "workflow": workflow_name,
                    "execution": sfn.JsonPath.execution_id,
                    "correlationId": sfn.JsonPath.string_at(_CORRELATION_ID),
                    "customerId": sfn.JsonPath.string_at(_CUSTOMER_ID),
                    "error": sfn.JsonPath.string_at(f"{_FAILURE}.Error"),
                    "cause": sfn.JsonPath.string_at(f"{_FAILURE}.Cause"),
                    "rollback": sfn.JsonPath.object_at("$.rollback"),
                    "customerRecord": sfn.JsonPath.object_at("$.failureRecord"),
                    **(
                        {"adminUserRemoval": sfn.JsonPath.object_at("$.adminUserRemoval")}
                        if user_provisioning is not None and user_deprovisioning is not None
                        else {}
                    ),
                }
            ),
            result_path=sfn.JsonPath.DISCARD,
        )
        notify.add_catch(fail, errors=list(_ALL_ERRORS), result_path="$.notification")
        notify.next(fail)
        record_failure = tasks.invoke_lambda(
            self,
            "Record the onboarding failure",
            function=functions["record_failure"],
            payload=sfn.TaskInput.from_object(
                {
                    "correlationId": sfn.JsonPath.string_at(_CORRELATION_ID),
                    "customer": sfn.JsonPath.object_at(_CUSTOMER),
                    "attempt": sfn.JsonPath.string_at(_ATTEMPT),
                    "failure": sfn.JsonPath.object_at(_FAILURE),
                    "now": sfn.JsonPath.string_at(_NOW),
                }
            ),
            result_path="$.failureRecord",
        )
        # Operations must hear of the failure even when recording it failed too.
        record_failure.add_catch(notify, errors=list(_ALL_ERRORS), result_path="$.failureRecord")
        record_failure.next(notify)
        rollback.then(record_failure)
        rollback.register(
            tasks.invoke_lambda(
                self,
                "Roll back the tenant resources",
                function=functions["roll_back"],
                payload=_customer_payload(),
                result_path="$.rollback",
            ),
            result_path="$.rollback",
        )
        if user_provisioning is not None and user_deprovisioning is not None:
            # Undone before the tenant: the admin user lives in it.
            rollback.register(self._remove_admin_user(user_deprovisioning), result_path="$.adminUserRemoval")
        compensate = rollback.start_state

        def on_failure(*states: sfn.TaskStateBase) -> None:
            rollback.protect(*states, errors=_ALL_ERRORS)

        provision = tasks.invoke_lambda(
            self,
            contract.PROVISION_TENANT_STATE,
            function=functions["provision"],
            payload=_customer_payload(now=True),
            result_path="$.provisioned",
        )
        on_failure(provision)

        activate = tasks.invoke_lambda(
            self,
            contract.ACTIVATE_STATE,
            function=functions["complete"],
            payload=sfn.TaskInput.from_object(
                {
                    "correlationId": sfn.JsonPath.string_at(_CORRELATION_ID),
                    "customer": sfn.JsonPath.object_at(_CUSTOMER),
                    "provisioned": sfn.JsonPath.object_at("$.provisioned"),
                    "welcomeEmail": sfn.JsonPath.object_at(_WELCOME_EMAIL),
                    "now": sfn.JsonPath.string_at(_NOW),
                }
            ),
        )
        on_failure(activate)
        # A re-run that resends a pending welcome email finds the customer active already.
        after_welcome = (
            sfn.Choice(self, "Was the customer active already")
            .when(
                sfn.Condition.is_present("$.existing"),
                self._record_resent_welcome_email(customer_key),
            )
            .otherwise(activate)
        )
        welcome = self._welcome_email(
            sender_address=sender_address,
            customer_key=customer_key,
            stack=stack,
            alarm_topic=alarm_topic,
            workflow_name=workflow_name,
            then=after_welcome,
        )
        restore.next(welcome)

        after_tenant: sfn.IChainable = welcome
        if user_provisioning is not None:
            after_tenant = self._admin_user(
                user_provisioning, admin_user_resources, then=welcome, on_failure=compensate
            )
        return validate.next(record).next(provision).next(after_tenant)

    def _welcome_email(
        self,
        *,
        sender_address: str,
        customer_key: Mapping[str, sfn_tasks.DynamoAttributeValue],
        stack: Stack,
        alarm_topic: sns.ITopic,
        workflow_name: str,
        then: sfn.IChainable,
    ) -> sfn.IChainable:
        """Reserve the email on the customer record and send it.

        An email that could not be sent never undoes the onboarding: the reservation is released,
        operations are told, and the customer becomes ACTIVE with the welcome email PENDING; running
        the same request again sends it (and only it).
        """
        this_execution = {":execution": tasks.ddb_string(sfn.JsonPath.execution_id)}
        reserve = tasks.dynamodb_update_item(
            self,
            "Reserve the welcome email",
            table=self.customers_table,
            key=customer_key,
            update_expression="SET welcomeEmailReservedAt = :now, welcomeEmailExecution = :execution",
            # Whoever reserves first sends; everyone after (retries, re-runs) skips the email.
            condition_expression="attribute_not_exists(welcomeEmailReservedAt)",
            expression_attribute_values={
                ":now": tasks.ddb_string(sfn.JsonPath.string_at(_NOW)),
                **this_execution,
            },
            result_path=sfn.JsonPath.DISCARD,
        )
        send = tasks.send_email(
            self,
            contract.SEND_WELCOME_STATE,
            from_address=sender_address,
            to_address_path="$.customer.email",
            template_name=self.welcome_template_name,
            template_data=sfn.JsonPath.json_to_string(sfn.JsonPath.object_at(_CUSTOMER)),
            identity_arn=self.sender_identity.email_identity_arn,
            template_arn=stack.format_arn(
                service="ses", resource="template", resource_name=self.welcome_template_name
            ),
            result_selector={
                "status": WELCOME_EMAIL_SENT,
                "messageId": sfn.JsonPath.string_at("$.MessageId"),
            },
            result_path=_WELCOME_EMAIL,
        )
        release = tasks.dynamodb_update_item(
            self,
            "Release the welcome email reservation",
            table=self.customers_table,
            key=customer_key,
            update_expression="REMOVE welcomeEmailReservedAt, welcomeEmailExecution",
            condition_expression="welcomeEmailExecution = :execution",
            expression_attribute_values=this_execution,
            result_path=sfn.JsonPath.DISCARD,
        )
        already_sent = sfn.Pass(
            self,
            "Note the welcome email was already sent",
            result=sfn.Result.from_object({"status": WELCOME_EMAIL_SENT}),
            result_path=_WELCOME_EMAIL,
        )
        notify = tasks.publish_to_topic(
            self,
            "Tell operations the welcome email was not sent",
            topic=alarm_topic,
            subject=f"{workflow_name}: welcome email not sent",
            message=sfn.TaskInput.from_object(
                {
                    "workflow": workflow_name,
                    "what": "The welcome email could not be sent. The customer is onboarded (ACTIVE) "
                    f"with the welcome email {WELCOME_EMAIL_PENDING}; nothing was rolled back.",
                    "next": "Fix the cause (is the sender verified in SES, is the account out of the "
                    "SES sandbox?), then start the onboarding again with the same input: it sends "
                    "the welcome email and nothing else.",
                    "execution": sfn.JsonPath.execution_id,
                    "correlationId": sfn.JsonPath.string_at(_CORRELATION_ID),
                    "customerId": sfn.JsonPath.string_at(_CUSTOMER_ID),
                    "error": sfn.JsonPath.string_at("$.welcomeEmailFailure.Error"),
                    "cause": sfn.JsonPath.string_at("$.welcomeEmailFailure.Cause"),
                }
            ),
            result_path=sfn.JsonPath.DISCARD,
        )
        pending = sfn.Pass(
            self,
            "Note the welcome email is pending",
            result=sfn.Result.from_object({"status": WELCOME_EMAIL_PENDING}),
            result_path=_WELCOME_EMAIL,
        )
        reserve.add_catch(already_sent, errors=[_CONDITIONAL_CHECK_FAILED], result_path=sfn.JsonPath.DISCARD)
        reserve.add_catch(notify, errors=list(_ALL_ERRORS), result_path="$.welcomeEmailFailure")
        # SES refused the email, so it was not sent: a re-run must be able to send it.
        send.add_catch(release, errors=list(_ALL_ERRORS), result_path="$.welcomeEmailFailure")
        # Operations are told either way; the notice's cause says what SES answered.
        release.add_catch(notify, errors=list(_ALL_ERRORS), result_path="$.welcomeEmailRelease")
        release.next(notify)
        notify.next(pending)
        pending.next(then)
        already_sent.next(then)
        send.next(then)
        return reserve.next(send)

    def _record_resent_welcome_email(
        self, customer_key: Mapping[str, sfn_tasks.DynamoAttributeValue]
    ) -> sfn.IChainable:
        """On a re-run for an active customer: record how the resent welcome email went, and answer."""
        record = tasks.dynamodb_update_item(
            self,
            "Record the resent welcome email",
            table=self.customers_table,
            key=customer_key,
            update_expression="SET welcomeEmailStatus = :welcome, updatedAt = :now",
            condition_expression="correlationId = :request AND #status = :active",
            expression_attribute_names={"#status": "status"},
            expression_attribute_values={
                ":welcome": tasks.ddb_string(sfn.JsonPath.string_at(f"{_WELCOME_EMAIL}.status")),
                ":request": tasks.ddb_string(sfn.JsonPath.string_at(_CORRELATION_ID)),
                ":active": tasks.ddb_string(contract.CUSTOMER_ACTIVE),
                ":now": tasks.ddb_string(sfn.JsonPath.string_at(_NOW)),
            },
            result_path=sfn.JsonPath.DISCARD,
        )
        answer = sfn.Pass(
            self,
            "Answer with the resent welcome email",
            parameters={
                "correlationId": sfn.JsonPath.string_at(_CORRELATION_ID),
                "customerId": sfn.JsonPath.string_at(_CUSTOMER_ID),
                "status": contract.CUSTOMER_ACTIVE,
                "provisioned": sfn.JsonPath.object_at("$.provisioned"),
                "welcomeEmail": sfn.JsonPath.object_at(_WELCOME_EMAIL),
            },
        )
        return record.next(answer)

    def _remove_admin_user(self, child: sfn.IStateMachine) -> sfn_tasks.StepFunctionsStartExecution:
        """Remove what the nested user provisioning created for the first admin, before the tenant.

        Deprovisioning reads the user's ledger, so it removes exactly what user provisioning made (and
        answers ``NOT_PROVISIONED`` when the admin user was never reached). Its failure does not stop
        the rollback: it is recorded in ``$.adminUserRemoval`` and reaches operations in the notice.
        """
        remove = tasks.start_workflow(
            self,
            "Remove the first admin user",
            state_machine=child,
            input={
                "tenantId": sfn.JsonPath.string_at(_CUSTOMER_ID),
                "user": {"id": sfn.JsonPath.format("{}-admin", sfn.JsonPath.string_at(_CUSTOMER_ID))},
            },
            execution_name=sfn.JsonPath.format(
                "{}-admin-{}-removal", sfn.JsonPath.string_at(_CUSTOMER_ID), sfn.JsonPath.string_at(_ATTEMPT)
            ),
            result_selector={
                "executionArn": sfn.JsonPath.string_at("$.ExecutionArn"),
                "status": sfn.JsonPath.string_at("$.Output.status"),
                "resources": sfn.JsonPath.object_at("$.Output.resources"),
            },
            result_path="$.adminUserRemoval",
        )
        return remove

    def _admin_user(
        self,
        child: sfn.IStateMachine,
        resources: Sequence[Mapping[str, Any]],
        *,
        then: sfn.IChainable,
        on_failure: sfn.IChainable,
    ) -> sfn.IChainable:
        """Provision the first admin user as a nested execution, named so that a re-run finds it.

        The name holds the attempt number, which moves on only when an attempt failed (and was
        rolled back): a re-run of an interrupted attempt finds the same child; after a recorded
        failure it starts a fresh one. Finding the child already there (``ExecutionAlreadyExists``)
        means an earlier run of this attempt started it: wait for it and use its result.
        """
        name_args = (sfn.JsonPath.string_at(_CUSTOMER_ID), sfn.JsonPath.string_at(_ATTEMPT))
        start = tasks.start_workflow(
            self,
            "Provision the first admin user",
            state_machine=child,
            input={
                "tenantId": sfn.JsonPath.string_at("$.provisioned.tenant.tenantId"),
                "user": {
                    "id": sfn.JsonPath.format("{}-admin", sfn.JsonPath.string_at(_CUSTOMER_ID)),
                    "email": sfn.JsonPath.string_at("$.customer.email"),
                    "role": ADMIN_ROLE,
                },
                "resources": [dict(resource) for resource in resources],
            },
            execution_name=sfn.JsonPath.format("{}-admin-{}", *name_args),
            result_selector={
                "executionArn": sfn.JsonPath.string_at("$.ExecutionArn"),
                "output": sfn.JsonPath.object_at("$.Output"),
            },
            result_path="$.provisioned.adminUser",
        )
        describe = tasks.aws_sdk_call(
            self,
            "Look up the earlier admin user provisioning",
            service="sfn",
            action="describeExecution",
            parameters={
                "ExecutionArn": sfn.JsonPath.format(
                    _child_execution_arn(self, child, "{}-admin-{}"), *name_args
                )
            },
            iam_resources=[_child_executions(self, child)],
            iam_action="states:DescribeExecution",
            result_path="$.earlierAdminUser",
        )
        use_earlier = sfn.Pass(
            self,
            "Use the earlier admin user",
            parameters={
                "executionArn": sfn.JsonPath.string_at("$.earlierAdminUser.ExecutionArn"),
                "output": sfn.JsonPath.string_to_json(sfn.JsonPath.string_at("$.earlierAdminUser.Output")),
            },
            result_path="$.provisioned.adminUser",
        )
        wait = sfn.Wait(
            self,
            "Wait for the earlier admin user provisioning",
            time=sfn.WaitTime.duration(EARLIER_CHILD_POLL),
        )
        earlier_failed = sfn.Pass(
            self,
            "Note the earlier admin user failure",
            parameters={
                "Error": ADMIN_USER_NOT_PROVISIONED,
                "Cause": sfn.JsonPath.format(
                    "The earlier admin user provisioning {} ended {}",
                    sfn.JsonPath.string_at("$.earlierAdminUser.ExecutionArn"),
                    sfn.JsonPath.string_at("$.earlierAdminUser.Status"),
                ),
            },
            result_path=_FAILURE,
        )
        # A failed child fails this step with States.TaskFailed and its description as the cause:
        # raise the child's own error (ProvisioningFailed) when it named one.
        read_child_failure = sfn.Pass(
            self,
            "Read why the admin user provisioning failed",
            parameters={
                "execution": sfn.JsonPath.string_to_json(sfn.JsonPath.string_at(f"{_FAILURE}.Cause"))
            },
            result_path="$.adminUserFailure",
        )
        child_error = sfn.Pass(
            self,
            "Take the error of the admin user provisioning",
            parameters={
                "Error": sfn.JsonPath.string_at("$.adminUserFailure.execution.Error"),
                "Cause": sfn.JsonPath.string_at(f"{_FAILURE}.Cause"),
            },
            result_path=_FAILURE,
        )
        read_child_failure.next(
            sfn.Choice(self, "Did the admin user provisioning name its error")
            .when(
                sfn.Condition.is_present("$.adminUserFailure.execution.Error"), child_error.next(on_failure)
            )
            .otherwise(on_failure)
        )
        start.add_catch(describe, errors=[_CHILD_ALREADY_EXISTS], result_path="$.earlierAdminUser")
        start.add_catch(read_child_failure, errors=["States.TaskFailed"], result_path=_FAILURE)
        start.add_catch(on_failure, errors=list(_ALL_ERRORS), result_path=_FAILURE)
        describe.add_catch(on_failure, errors=list(_ALL_ERRORS), result_path=_FAILURE)
        describe.next(
            sfn.Choice(self, "How did the earlier admin user provisioning end")
            .when(sfn.Condition.string_equals("$.earlierAdminUser.Status", "SUCCEEDED"), use_earlier)
            .when(sfn.Condition.string_equals("$.earlierAdminUser.Status", "RUNNING"), wait)
            .otherwise(earlier_failed)
        )
        wait.next(describe)
        earlier_failed.next(on_failure)
        use_earlier.next(then)
        start.next(then)
        return start


# Helpers ----------------------------------------------------------------------------------------


def _validate_props(
    *, sender_address: str, plans: Sequence[str], admin_user_resources: Sequence[Mapping[str, Any]]
) -> None:
    if not Token.is_unresolved(sender_address) and not _EMAIL.match(sender_address):
        raise InvalidPropsError(
            "sender_address", "must be an email address like welcome@example.com", sender_address
        )
    if not plans:
        raise InvalidPropsError("plans", "must name at least one plan", list(plans))
    for plan in plans:
        if not _PLAN.match(plan):
            raise InvalidPropsError(
                "plans", "must be 1-40 lowercase letters, digits, '-' or '_' each", list(plans)
            )
    if len(set(plans)) != len(plans):
        raise InvalidPropsError("plans", "must not repeat a plan", list(plans))
    for resource in admin_user_resources:
        if not isinstance(resource.get("type"), str) or not isinstance(resource.get("config"), Mapping):
            raise InvalidPropsError(
                "admin_user_resources",
                "must each be {'type': str, 'config': {...}}",
                list(admin_user_resources),
            )


def _customer_payload(*, now: bool = False) -> sfn.TaskInput:
    payload: dict[str, Any] = {
        "correlationId": sfn.JsonPath.string_at(_CORRELATION_ID),
        "customer": sfn.JsonPath.object_at(_CUSTOMER),
    }
    if now:
        payload["now"] = sfn.JsonPath.string_at(_NOW)
    return sfn.TaskInput.from_object(payload)


def _child_execution_arn(scope: Construct, child: sfn.IStateMachine, name: str) -> str:
    """The ARN of an execution of ``child`` named ``name`` (``{}`` placeholders allowed)."""
    return _execution_arn(scope, child, f":{name}")


def _child_executions(scope: Construct, child: sfn.IStateMachine) -> str:
    """The executions of ``child``, written exactly as the ``.sync`` integration grants them."""
    return _execution_arn(scope, child, "*")


def _execution_arn(scope: Construct, child: sfn.IStateMachine, suffix: str) -> str:
    # Built the way the `.sync` integration builds its own grant, so that both name the same ARN.
    name = Arn.split(child.state_machine_arn, ArnFormat.COLON_RESOURCE_NAME).resource_name
    return Stack.of(scope).format_arn(
        service="states",
        resource="execution",
        resource_name=f"{name}{suffix}",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
