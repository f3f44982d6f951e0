"""BillingWorkflow and BillingStack: the definition, the webhook, tables, permissions and props."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Match, Template
from workflow_constructs import InvalidPropsError, add_checks
from workflow_constructs.definition import state_machines

from business_workflows.billing import BillingWorkflow, PaymentProviderKind
from business_workflows.options import WorkflowOptions
from lambdas.billing import contract

REPO_ROOT = Path(__file__).resolve().parents[2]
HANDLER_SOURCE = REPO_ROOT / "lambdas" / "billing" / "handler.py"


@pytest.fixture(scope="module")
def template(synthesized_app) -> Template:
    return Template.from_json(synthesized_app.template("Billing"))


@pytest.fixture(scope="module")
def definition(synthesized_app) -> dict:
    (found,) = state_machines(synthesized_app.template("Billing")).values()
    return found


def _resources(template: Template, kind: str) -> dict:
    return template.find_resources(kind)


def _statements(template: Template, role_prefix: str) -> list[dict]:
    """Every statement of the default policy of the role whose logical id starts with ``role_prefix``."""
    policies = _resources(template, "AWS::IAM::Policy")
    return [
        statement
        for policy in policies.values()
        if any(role["Ref"].startswith(role_prefix) for role in policy["Properties"]["Roles"])
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _actions(statement: dict) -> list[str]:
    actions = statement["Action"]
    return actions if isinstance(actions, list) else [actions]


def _policies_granting(template: Template, action: str) -> list[str]:
    """Logical ids (without CDK's hash suffix) of the policies that allow ``action``."""
    return sorted(
        re.sub(r"[0-9A-F]{8}$", "", name)
        for name, policy in template.find_resources("AWS::IAM::Policy").items()
        if any(action in _actions(s) for s in policy["Properties"]["PolicyDocument"]["Statement"])
    )


# The state machine ----------------------------------------------------------------------------


def test_state_machine_is_named_billing_and_outlives_the_wait(template):
    template.has_resource_properties(
        "AWS::StepFunctions::StateMachine",
        {"StateMachineName": "billing", "TracingConfiguration": {"Enabled": True}},
    )
    (machine,) = _resources(template, "AWS::StepFunctions::StateMachine").values()
    assert machine["Properties"]["DefinitionString"]  # rendered below


def test_the_flow_reads_as_the_issue_describes_it(definition):
    states = definition["States"]
    assert definition["StartAt"] == "Validate the billing request"
    assert definition["TimeoutSeconds"] == 25 * 60 * 60  # the 24 h wait plus an hour to finish
    chain = ["Validate the billing request", "Calculate the invoice", "Store the invoice as pending"]
    assert [states[name]["Next"] for name in chain] == [*chain[1:], "Check where the invoice stands"]
    choice = states["Check where the invoice stands"]
    assert [(c["StringEquals"], c["Next"]) for c in choice["Choices"]] == [
        ("PAID", "Claim the receipt email"),
        ("AUTHORISED", "Capture the payment"),
    ]
    assert choice["Default"] == "Request payment authorisation"
    happy = [
        "Request payment authorisation",
        "Mark the invoice authorised",
        "Capture the payment",
        "Mark the invoice paid",
        "Claim the receipt email",
        "Send the receipt email",
        "Summarise the paid invoice",
    ]
    assert [states[name]["Next"] for name in happy] == [*happy[1:], "Invoice paid"]


def test_the_callback_step_waits_for_the_token_with_a_timeout_and_two_ways_out(definition):
    step = definition["States"]["Request payment authorisation"]

    assert step["Resource"] == "arn:${AWS::Partition}:states:::lambda:invoke.waitForTaskToken"
    assert step["TimeoutSeconds"] == 24 * 60 * 60
    assert step["Parameters"]["Payload"] == {
        "correlationId.$": "$.correlationId",
        "invoiceId.$": "$.invoice.invoiceId",
        "executionId.$": "$$.Execution.Id",
        "paymentMethodId.$": "$.request.paymentMethodId",
        "taskToken.$": "$$.Task.Token",
    }
    assert [(c["ErrorEquals"], c["Next"]) for c in step["Catch"]] == [
        (["PaymentDeclined"], "Read the decline reason"),
        (["States.Timeout"], "Void the authorisation"),
    ]
    # a timeout is compensated, never retried (that would ask the provider again)
    assert all("States.Timeout" not in r["ErrorEquals"] for r in step["Retry"])


def test_declined_path_marks_emails_and_fails_with_the_reason(definition):
    states = definition["States"]
    path = [
        "Read the decline reason",
        "Mark the invoice payment failed",
        "Prepare the decline notice",
        "Email the customer about the declined payment",
    ]
    assert [states[name]["Next"] for name in path] == [*path[1:], "Payment declined"]
    assert states["Payment declined"] == {
        "Type": "Fail",
        "Error": "PaymentDeclined",
        "CausePath": "$.paymentError.Cause",
    }
    assert states["Mark the invoice payment failed"]["Parameters"]["ExpressionAttributeValues"][
        ":failed"
    ] == {"S": "PAYMENT_FAILED"}


def test_timeout_path_voids_marks_escalates_and_fails(definition):
    states = definition["States"]
    path = [
        "Void the authorisation",
        "Mark the invoice authorisation timed out",
        "Tell operations the authorisation timed out",
    ]
    assert [states[name]["Next"] for name in path] == [*path[1:], "Authorisation timed out"]
    assert states["Authorisation timed out"]["Error"] == "AuthorisationTimedOut"
    publish = states["Tell operations the authorisation timed out"]
    assert publish["Resource"] == "arn:${AWS::Partition}:states:::sns:publish"
    assert publish["Parameters"]["TopicArn"].startswith("${Import:Operations:")
    # another execution that took the invoice over keeps its status; operations still hear of it
    assert states["Mark the invoice authorisation timed out"]["Catch"][0]["Next"] == path[2]


def test_receipt_is_guarded_by_a_conditional_mark(definition):
    claim = definition["States"]["Claim the receipt email"]

    assert claim["Parameters"]["ConditionExpression"] == (
        "attribute_not_exists(receiptSentBy) OR receiptSentBy = :execution"
    )
    assert claim["Catch"] == [
        {
            "ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"],
            "Next": "Note the receipt email was already sent",
            "ResultPath": None,
        }
    ]
    send = definition["States"]["Send the receipt email"]
    assert send["Resource"] == "arn:${AWS::Partition}:states:::aws-sdk:sesv2:sendEmail"
    assert send["Parameters"]["Content"]["Template"] == {
        "TemplateName": "billing-receipt",
        "TemplateData.$": "States.JsonToString($.invoice.receipt)",
    }


def test_a_receipt_that_was_not_sent_releases_its_claim_and_tells_operations_without_failing(definition):
    states = definition["States"]
    # GIVEN the card was charged: a receipt failure goes on to "Invoice paid", never to a Fail state
    assert states["Send the receipt email"]["Catch"] == [
        {
            "ErrorEquals": ["States.ALL"],
            "ResultPath": "$.receiptFailure",
            "Next": "Release the receipt email claim",
        }
    ]
    release = states["Release the receipt email claim"]
    assert release["Parameters"]["UpdateExpression"] == "REMOVE receiptSentBy, receiptSentAt"
    assert release["Parameters"]["ConditionExpression"] == "receiptSentBy = :execution"
    assert release["Catch"][0]["Next"] == release["Next"] == "Tell operations the receipt was not sent"
    tell = states["Tell operations the receipt was not sent"]
    assert tell["Resource"] == "arn:${AWS::Partition}:states:::sns:publish"
    assert tell["Next"] == "Note the receipt email is pending"
    assert states["Note the receipt email is pending"]["Result"] == {"status": "PENDING"}
    assert states["Note the receipt email is pending"]["Next"] == "Summarise the paid invoice"
    assert states["Summarise the paid invoice"]["Parameters"]["receiptEmail.$"] == "$.receiptEmail.status"
    assert states["Summarise the paid invoice"]["Next"] == "Invoice paid"


def test_invoice_status_changes_are_conditional(definition):
    states = definition["States"]
    conditions = {
        name: states[name]["Parameters"]["ConditionExpression"]
        for name in (
            "Mark the invoice authorised",
            "Mark the invoice paid",
            "Mark the invoice payment failed",
            "Mark the invoice authorisation timed out",
        )
    }
    same_attempt = "authorisationId = :authorisationId"
    assert conditions == {
        "Mark the invoice authorised": f"#status IN (:awaiting, :authorised) AND {same_attempt}",
        "Mark the invoice paid": "#status IN (:authorised, :paid)",
        "Mark the invoice payment failed": f"#status IN (:awaiting, :failed) AND {same_attempt}",
        "Mark the invoice authorisation timed out": (
            "#status IN (:awaiting, :timedOut) AND executionId = :execution"
        ),
    }


# Functions, tables, the webhook ----------------------------------------------------------------


def _handler_functions() -> set[str]:
    tree = ast.parse(HANDLER_SOURCE.read_text())
    return {
        node.name for node in tree.body if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")
    }


def test_every_function_runs_a_handler_that_exists_with_the_environment_it_reads(template):
    functions = _resources(template, "AWS::Lambda::Function")
    handlers = sorted(f["Properties"]["Handler"] for f in functions.values())
    assert handlers == sorted(f"billing.handler.{name}" for name in _handler_functions())
    read_by_handlers = set(re.findall(r'os\.environ\["([A-Z_]+)"\]', HANDLER_SOURCE.read_text()))
    read_by_config = {"PAYMENT_PROVIDER", "PAYMENT_PROVIDER_SECRET_ARN"}
    # The schedule's function starts runs; it reads only these two (and touches no table or provider).
    read_by_scheduler = {"STATE_MACHINE_ARN", "WORKFLOW_NAME"}
    for function in functions.values():
        variables = function["Properties"]["Environment"]["Variables"]
        if function["Properties"]["Handler"] == "billing.handler.start_period_runs":
            assert read_by_scheduler <= set(variables)
            assert variables["POWERTOOLS_SERVICE_NAME"] == "billing"
            continue
        assert (read_by_handlers - read_by_scheduler) | read_by_config <= set(variables)
        assert variables["PAYMENT_PROVIDER"] == "sandbox"
        assert variables["AUTHORISATION_TIMEOUT_SECONDS"] == "86400"
        assert variables["POWERTOOLS_SERVICE_NAME"] == "billing"


def test_tables_are_recoverable_retained_and_keyed_as_the_handlers_expect(template):
    tables = _resources(template, "AWS::DynamoDB::GlobalTable")
    keys = {t["Properties"]["KeySchema"][0]["AttributeName"]: t for t in tables.values()}
    assert sorted(keys) == ["authorisationId", "id", "invoiceId"]
    for table in tables.values():
        assert table["DeletionPolicy"] == "RetainExceptOnCreate"
        replica = table["Properties"]["Replicas"][0]
        assert replica["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert replica["DeletionProtectionEnabled"] is True
    assert keys["authorisationId"]["Properties"]["TimeToLiveSpecification"] == {
        "AttributeName": "purgeAt",
        "Enabled": True,
    }
    assert keys["id"]["Properties"]["TimeToLiveSpecification"]["AttributeName"] == "expiration"
    (index,) = keys["authorisationId"]["Properties"]["GlobalSecondaryIndexes"]
    assert (index["IndexName"], index["Projection"]) == ("byExecution", {"ProjectionType": "KEYS_ONLY"})


def test_webhook_is_a_throttled_logged_post_to_the_function(template):
    template.has_resource_properties(
        "AWS::ApiGateway::Method",
        {
            "HttpMethod": "POST",
            "AuthorizationType": "NONE",
            "Integration": Match.object_like({"Type": "AWS_PROXY", "IntegrationHttpMethod": "POST"}),
        },
    )
    template.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "StageName": "v1",
            "TracingEnabled": True,
            "AccessLogSetting": Match.object_like({"DestinationArn": Match.any_value()}),
            "MethodSettings": [
                Match.object_like(
                    {
                        "DataTraceEnabled": False,
                        "LoggingLevel": "ERROR",
                        "ThrottlingRateLimit": 50,
                        "ThrottlingBurstLimit": 100,
                    }
                )
            ],
        },
    )
    paths = sorted(
        r["Properties"]["PathPart"] for r in _resources(template, "AWS::ApiGateway::Resource").values()
    )
    assert paths == ["payments", "webhook"]
    # only the API's own stage may invoke the function; no test-invoke permission
    (permission,) = _resources(template, "AWS::Lambda::Permission").values()
    assert permission["Properties"]["Principal"] == "apigateway.amazonaws.com"


def test_only_the_webhook_and_the_request_step_answer_task_tokens(template):
    assert _policies_granting(template, "states:SendTaskSuccess") == [
        "BillingPaymentWebhookFunctionRoleDefaultPolicy",
        "BillingRequestAuthorisationFunctionRoleDefaultPolicy",
    ]


def test_sandbox_mode_lets_only_the_webhook_read_the_provider_secret(template):
    assert _policies_granting(template, "secretsmanager:GetSecretValue") == [
        "BillingPaymentWebhookFunctionRoleDefaultPolicy"
    ]


def test_table_grants_name_the_tables_not_their_indexes(template):
    for statement in _statements(template, "Billing"):
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        assert "/index/" not in json.dumps(resources)


def test_email_templates_and_operator_outputs(template):
    names = sorted(
        t["Properties"]["Template"]["TemplateName"]
        for t in _resources(template, "AWS::SES::Template").values()
    )
    assert names == ["billing-payment-declined", "billing-receipt"]
    assert sorted(template.find_outputs("*")) == [
        "AnswerGuardPolicyArn",
        "AuthorisationsTableName",
        "InvoicesTableName",
        "ProviderSecretArn",
        "ScheduleDeadLetterQueueUrl",
        "ScheduleName",
        "StateMachineArn",
        "WebhookFunctionName",
        "WebhookUrl",
    ]


def test_answer_guard_denies_task_answers_to_all_but_the_answer_path(template):
    (guard,) = _resources(template, "AWS::IAM::ManagedPolicy").values()
    (statement,) = guard["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny"
    assert sorted(statement["Action"]) == [
        "states:SendTaskFailure",
        "states:SendTaskHeartbeat",
        "states:SendTaskSuccess",
    ]
    assert statement["Resource"]["Ref"].startswith("BillingWorkflowStateMachine")
    exempt = statement["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]
    assert sorted(role["Fn::GetAtt"][0] for role in exempt) == [
        next(name for name in _resources(template, "AWS::IAM::Role") if name.startswith(prefix))
        for prefix in ("BillingPaymentWebhookFunctionRole", "BillingRequestAuthorisationFunctionRole")
    ]


def test_business_metrics_are_on_the_dashboard_under_the_names_the_handlers_emit(template):
    (dashboard,) = _resources(template, "AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    # The handlers emit the contract's names (lambdas/billing/contract.py); the construct charts the same.
    for name in contract.METRIC_NAMES:
        assert name in body
    assert "SEARCH('{billing,currency,service} MetricName=" in body


# Another configuration: HTTP provider, own secret, shorter wait ----------------------------------


@pytest.fixture(scope="module")
def http_billing(tmp_path_factory):
    app = cdk.App(
        outdir=str(tmp_path_factory.mktemp("billing-http")), context={"aws:cdk:version-reporting": False}
    )
    stack = cdk.Stack(app, "HttpBilling")
    topic = sns.Topic(stack, "Operations", enforce_ssl=True)
    secret = secretsmanager.Secret.from_secret_name_v2(stack, "ProviderSecret", "payments/provider")
    workflow = BillingWorkflow(
        stack,
        "Payments",
        options=WorkflowOptions(alarm_topic=topic, allow_placeholder_senders=True),
        sender_address="invoices@mail.example.org",
        sender_identity=ses.EmailIdentity.from_email_identity_name(stack, "Domain", "example.org"),
        payment_provider=PaymentProviderKind.HTTP,
        provider_secret=secret,
        authorisation_timeout=cdk.Duration.hours(2),
        workflow_name="billing-http",
        manage_api_gateway_account=True,
    )
    add_checks(app)
    app.synth()  # cdk-nag and the guards pass for this configuration too
    return workflow, Template.from_stack(stack)


def test_http_mode_gives_every_provider_caller_the_secret_and_creates_none(http_billing):
    _, template = http_billing
    template.resource_count_is("AWS::SecretsManager::Secret", 0)
    assert _policies_granting(template, "secretsmanager:GetSecretValue") == [
        "PaymentsCapturePaymentFunctionRoleDefaultPolicy",
        "PaymentsPaymentWebhookFunctionRoleDefaultPolicy",
        "PaymentsRequestAuthorisationFunctionRoleDefaultPolicy",
        "PaymentsVoidAuthorisationFunctionRoleDefaultPolicy",
    ]


def test_http_mode_waits_as_configured_and_sends_from_the_given_identity(http_billing):
    _, template = http_billing
    (definition,) = state_machines(template.to_json()).values()
    assert definition["States"]["Request payment authorisation"]["TimeoutSeconds"] == 2 * 60 * 60
    assert definition["TimeoutSeconds"] == 3 * 60 * 60
    ses = [
        s
        for p in template.find_resources("AWS::IAM::Policy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if "ses:SendEmail" in _actions(s)
    ]
    assert ses
    assert all(":identity/example.org" in json.dumps(s["Resource"]) for s in ses)


# Props -----------------------------------------------------------------------------------------


def _build(**overrides):
    """Build the construct with valid props but ``overrides`` (a callable value is given the stack)."""
    stack = cdk.Stack()
    props = {
        "options": WorkflowOptions(alarm_topic=sns.Topic(stack, "Topic"), allow_placeholder_senders=True),
        "sender_address": "billing@example.com",
        "payment_provider": PaymentProviderKind.SANDBOX,
        **{key: value(stack) if callable(value) else value for key, value in overrides.items()},
    }
    return BillingWorkflow(stack, "Billing", **props)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"sender_address": "billing"},
            r"^sender_address must be an email address like billing@example.com. Received: \[billing\]$",
        ),
        (
            {"payment_provider": "sandbox"},
            r"^payment_provider must be PaymentProviderKind.SANDBOX or PaymentProviderKind.HTTP. "
            r"Received: \[sandbox\]$",
        ),
        (
            {"authorisation_timeout": cdk.Duration.seconds(30)},
            r"^authorisation_timeout must be between 1 minute and 364 days. Received: \[30 seconds\]$",
        ),
        (
            {"authorisation_timeout": cdk.Duration.days(365)},
            r"^authorisation_timeout must be between 1 minute and 364 days. Received: \[365 days\]$",
        ),
        (
            {"authorisation_timeout": cdk.Duration.seconds(90)},
            r"^authorisation_timeout must be a whole number of minutes. Received: \[1 minute 30 seconds\]$",
        ),
        (
            {
                "sender_identity": lambda stack: ses.EmailIdentity.from_email_identity_name(
                    stack, "I", "other.org"
                )
            },
            r"^sender_identity must verify the sender address or a domain it belongs to \(example.com\). "
            r"Received: \[other.org\]$",
        ),
        ({"workflow_name": "Billing!"}, r"^workflow_name must be 2-64 characters"),
    ],
)
def test_bad_props_fail_in_the_constructor(overrides, message):
    with pytest.raises(InvalidPropsError, match=message):
        _build(**overrides)


# The region's API Gateway CloudWatch role -------------------------------------------------------------


def test_the_app_leaves_the_regions_api_gateway_account_setting_alone(template):
    # GIVEN the Billing stack as the app deploys it by default
    # THEN it neither sets the region-wide API Gateway logging role nor creates a role for it
    template.resource_count_is("AWS::ApiGateway::Account", 0)
    roles = template.find_resources("AWS::IAM::Role")
    assert not [
        name for name, role in roles.items() if "apigateway.amazonaws.com" in json.dumps(role["Properties"])
    ]


def test_opting_in_sets_the_api_gateway_account_role_and_keeps_it(http_billing):
    _, template = http_billing
    (account,) = template.find_resources("AWS::ApiGateway::Account").values()
    assert account["DeletionPolicy"] == "RetainExceptOnCreate"
    assert account["Properties"]["CloudWatchRoleArn"]["Fn::GetAtt"][1] == "Arn"


@pytest.mark.parametrize(("value", "created"), [("true", 1), (True, 1), ("false", 0), (None, 0)])
def test_the_billing_stack_takes_the_opt_in_from_context(value, created):
    from stacks.billing import BillingStack

    context = {} if value is None else {"billing:manageApiGatewayAccount": value}
    app = cdk.App(context={**context, "allowPlaceholderSenders": True})
    topic = sns.Topic(cdk.Stack(app, "Ops"), "Topic")
    stack = BillingStack(
        app, "Billing", options=WorkflowOptions(alarm_topic=topic, allow_placeholder_senders=True)
    )
    accounts = [c for c in stack.node.find_all() if isinstance(c, cdk.aws_apigateway.CfnAccount)]
    assert len(accounts) == created


def test_the_billing_stack_rejects_an_opt_in_that_is_no_boolean():
    from stacks.billing import BillingStack

    app = cdk.App(context={"billing:manageApiGatewayAccount": "yes", "allowPlaceholderSenders": True})
    topic = sns.Topic(cdk.Stack(app, "Ops"), "Topic")
    with pytest.raises(
        InvalidPropsError, match=r"^billing:manageApiGatewayAccount must be true or false. Received: \[yes\]$"
    ):
        BillingStack(
            app, "Billing", options=WorkflowOptions(alarm_topic=topic, allow_placeholder_senders=True)
        )


# Billing on a schedule (business_workflows/billing_schedule.py) ------------------------------------


def _schedule(template: Template) -> dict:
    (schedule,) = _resources(template, "AWS::Scheduler::Schedule").values()
    return schedule["Properties"]


def test_the_schedule_runs_monthly_in_its_zone_with_a_window_retries_and_a_dead_letter_queue(template):
    schedule = _schedule(template)

    assert schedule["ScheduleExpression"] == "cron(0 6 1 * ? *)"
    assert schedule["ScheduleExpressionTimezone"] == "UTC"
    assert schedule["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 60}
    target = schedule["Target"]
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 10, "MaximumEventAgeInSeconds": 6 * 3600}
    assert target["Arn"]["Fn::GetAtt"][0].startswith("BillingScheduleStartPeriodRunsFunction")
    assert target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0].startswith("BillingScheduleDeadLetterQueue")


def test_the_schedule_hands_its_time_execution_id_and_the_customers_to_the_function(template):
    schedule_input = json.loads(_schedule(template)["Target"]["Input"])
    customers = json.loads((REPO_ROOT / "samples" / "billing" / "scheduled-customers.json").read_text())

    assert schedule_input == {
        "scheduledTime": "<aws.scheduler.scheduled-time>",
        "correlationId": "<aws.scheduler.execution-id>",
        "timeZone": "UTC",
        "customers": customers,
    }


def test_the_dead_letter_queue_is_encrypted_tls_only_and_alarms_operations(template):
    (queue,) = _resources(template, "AWS::SQS::Queue").values()
    assert queue["Properties"]["SqsManagedSseEnabled"] is True
    (policy,) = _resources(template, "AWS::SQS::QueuePolicy").values()
    (deny,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    alarms = [
        a["Properties"]
        for a in _resources(template, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
    ]
    (alarm,) = alarms
    assert alarm["Threshold"] == 0
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["AlarmActions"], "the dead-letter alarm must notify operations"


def test_the_scheduler_role_may_invoke_the_function_and_dead_letter_only(template):
    (role,) = [
        r
        for name, r in _resources(template, "AWS::IAM::Role").items()
        if name.startswith("BillingScheduleSchedulerRole")
    ]
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert "aws:SourceAccount" in trust["Condition"]["StringEquals"]
    statements = _statements(template, "BillingScheduleSchedulerRole")
    actions = sorted(a for s in statements for a in _actions(s))
    assert actions == ["lambda:InvokeFunction", "sqs:SendMessage"]
    for statement in statements:
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        assert all("Fn::GetAtt" in r or "Fn::Join" in r for r in resources), statement


def test_the_function_starts_billing_runs_only_and_dead_letters_what_fails_in_it(template):
    statements = _statements(template, "BillingScheduleStartPeriodRunsFunctionRole")
    starts = [s for s in statements if "states:StartExecution" in _actions(s)]
    (start,) = starts
    assert start["Resource"]["Ref"].startswith("BillingWorkflowStateMachine")
    (config,) = _resources(template, "AWS::Lambda::EventInvokeConfig").values()
    assert config["Properties"]["MaximumRetryAttempts"] == 2
    destination = config["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]
    assert destination["Fn::GetAtt"][0].startswith("BillingScheduleDeadLetterQueue")


def _schedule_stack(tmp_path: Path, customers: object, **context: object):
    from stacks.billing import BillingStack

    file = tmp_path / "customers.json"
    file.write_text(json.dumps(customers))
    app = cdk.App(
        context={"allowPlaceholderSenders": True, "billing:scheduledCustomers": str(file), **context}
    )
    topic = sns.Topic(cdk.Stack(app, "Ops"), "Topic")
    return BillingStack(
        app, "Billing", options=WorkflowOptions(alarm_topic=topic, allow_placeholder_senders=True)
    )


CUSTOMER = {
    "customerId": "cus_1",
    "currency": "EUR",
    "paymentMethodId": "pm_card_visa",
    "customerEmail": "ada@example.com",
    "lineItems": [{"description": "Plan", "quantity": 1, "unitPriceCents": 100}],
}


def test_the_schedules_time_zone_comes_from_context(tmp_path):
    stack = _schedule_stack(tmp_path, [CUSTOMER], **{"billing:scheduleTimeZone": "Europe/Berlin"})
    schedule = Template.from_stack(stack).find_resources("AWS::Scheduler::Schedule")
    (props,) = [s["Properties"] for s in schedule.values()]
    assert props["ScheduleExpressionTimezone"] == "Europe/Berlin"
    assert json.loads(props["Target"]["Input"])["timeZone"] == "Europe/Berlin"


def test_without_scheduled_customers_there_is_no_schedule():
    from stacks.billing import BillingStack

    app = cdk.App(context={"allowPlaceholderSenders": True})
    topic = sns.Topic(cdk.Stack(app, "Ops"), "Topic")
    stack = BillingStack(
        app, "Billing", options=WorkflowOptions(alarm_topic=topic, allow_placeholder_senders=True)
    )
    assert stack.schedule is None
    assert Template.from_stack(stack).find_resources("AWS::Scheduler::Schedule") == {}


@pytest.mark.parametrize(
    ("customers", "context", "message"),
    [
        ([], {}, r"^customers must name at least one customer to bill. Received: \[\[\]\]$"),
        ({"customerId": "cus_1"}, {}, r"^billing:scheduledCustomers must hold a JSON list of customers"),
        ([CUSTOMER, CUSTOMER], {}, r"^customers must list each customer once. Received: \[\['cus_1'\]\]$"),
        ([{"currency": "EUR"}], {}, r"^customers\[0\] must be an object with a customerId"),
        (
            [{**CUSTOMER, "billingPeriod": "2026-01"}],
            {},
            r"^customers\[0\].billingPeriod is set by each trigger",
        ),
        ([CUSTOMER], {"billing:scheduleTimeZone": "Mars/Olympus"}, r"^time_zone must be an IANA time zone"),
    ],
)
def test_a_bad_schedule_is_refused_at_synth(tmp_path, customers, context, message):
    with pytest.raises(InvalidPropsError, match=message):
        _schedule_stack(tmp_path, customers, **context)


def test_an_unreadable_customers_file_is_refused_at_synth():
    from stacks.billing import BillingStack

    app = cdk.App(context={"allowPlaceholderSenders": True, "billing:scheduledCustomers": "no/such.json"})
    topic = sns.Topic(cdk.Stack(app, "Ops"), "Topic")
    with pytest.raises(
        InvalidPropsError, match=r"^billing:scheduledCustomers must name a readable JSON file"
    ):
        BillingStack(
            app, "Billing", options=WorkflowOptions(alarm_topic=topic, allow_placeholder_senders=True)
        )


def _bare_schedule(flexible_window: cdk.Duration | None) -> cdk.Stack:
    """A BillingSchedule on a stand-in state machine, with ``flexible_window``."""
    from business_workflows.billing_schedule import BillingSchedule

    stack = cdk.Stack()
    machine = cdk.aws_stepfunctions.StateMachine(
        stack,
        "M",
        definition_body=cdk.aws_stepfunctions.DefinitionBody.from_chainable(
            cdk.aws_stepfunctions.Pass(stack, "P")
        ),
    )
    BillingSchedule(
        stack,
        "S",
        state_machine=machine,
        workflow_name="billing",
        alarm_topic=sns.Topic(stack, "T"),
        customers=[CUSTOMER],
        flexible_window=flexible_window,
    )
    return stack


@pytest.mark.parametrize(
    ("window", "message"),
    [(cdk.Duration.seconds(90), r"\[1 minute 30 seconds\]"), (cdk.Duration.hours(25), r"\[1 day 1 hour\]")],
)
def test_a_flexible_window_must_be_whole_minutes_up_to_a_day(window, message):
    with pytest.raises(InvalidPropsError, match=r"^flexible_window must be whole minutes .*" + message):
        _bare_schedule(window)


def test_no_flexible_window_means_on_time():
    stack = _bare_schedule(None)
    (props,) = [
        s["Properties"]
        for s in Template.from_stack(stack).find_resources("AWS::Scheduler::Schedule").values()
    ]
    assert props["FlexibleTimeWindow"] == {"Mode": "OFF"}
