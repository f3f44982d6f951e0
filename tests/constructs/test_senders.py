"""A deploy with the placeholder senders fails at synth, naming the context key to set.

The app is built here without the tests' ``allowPlaceholderSenders`` opt-in, as ``cdk deploy``
builds it from cdk.json.
"""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sns as sns

from app import build_app
from business_workflows.billing import BillingWorkflow, PaymentProviderKind
from business_workflows.onboarding import OnboardingWorkflow
from business_workflows.options import WorkflowOptions
from business_workflows.senders import UnverifiableSenderError
from stacks.senders import PlaceholderSenderError


def _deploy_context(cdk_context, **senders):
    context = {key: value for key, value in cdk_context.items() if key != "allowPlaceholderSenders"}
    return {**context, **senders}


def test_the_default_welcome_sender_fails_synth_naming_its_context_key(cdk_context):
    # GIVEN cdk.json as it ships, WHEN the app is built for a deploy, THEN the named error says what to set
    with pytest.raises(
        PlaceholderSenderError,
        match=r"^Context key onboardingSenderAddress must be an address on a domain you own: \[example.com\] "
        r".*`cdk deploy -c onboardingSenderAddress=you@yourdomain.com`.*Received: \[welcome@example.com\]$",
    ):
        build_app(context=_deploy_context(cdk_context))


def test_the_default_receipt_sender_fails_synth_naming_its_context_key(cdk_context):
    # GIVEN a real welcome sender but the billing placeholder
    with pytest.raises(
        PlaceholderSenderError,
        match=r"^Context key billing:senderAddress .*\[example.com\].*Received: \[billing@example.com\]$",
    ):
        build_app(context=_deploy_context(cdk_context, onboardingSenderAddress="welcome@acme.com"))


def test_a_sender_on_a_reserved_top_level_name_fails_too(cdk_context):
    with pytest.raises(PlaceholderSenderError, match=r"\[\.test\].*Received: \[welcome@acme.test\]"):
        build_app(context=_deploy_context(cdk_context, onboardingSenderAddress="welcome@acme.test"))


def test_real_senders_build_the_app(cdk_context):
    # GIVEN senders on a domain someone owns, WHEN the app is built for a deploy, THEN they are used
    app = build_app(
        context=_deploy_context(
            cdk_context,
            onboardingSenderAddress="welcome@acme.com",
            **{"billing:senderAddress": "billing@acme.com"},
        )
    )
    identities = {
        stack.stack_name: [
            resource["Properties"]["EmailIdentity"]
            for resource in cdk.assertions.Template.from_stack(stack).to_json()["Resources"].values()
            if resource["Type"] == "AWS::SES::EmailIdentity"
        ]
        for stack in (app.node.find_child("CustomerOnboarding"), app.node.find_child("Billing"))
    }
    assert identities == {"CustomerOnboarding": ["welcome@acme.com"], "Billing": ["billing@acme.com"]}


@pytest.mark.parametrize("build", ["onboarding", "billing"])
def test_the_library_refuses_a_reserved_sender_unless_told_it_runs_locally(build):
    stack = cdk.Stack()
    topic = sns.Topic(stack, "Operations")

    def construct(scope, allow_placeholder_senders=False, **props):
        options = WorkflowOptions(alarm_topic=topic, allow_placeholder_senders=allow_placeholder_senders)
        if build == "onboarding":
            return OnboardingWorkflow(scope, "Workflow", options=options, **props)
        return BillingWorkflow(
            scope, "Workflow", options=options, payment_provider=PaymentProviderKind.SANDBOX, **props
        )

    with pytest.raises(
        UnverifiableSenderError, match=r"^sender_address must be an address on a domain you own"
    ):
        construct(cdk.Stack(), sender_address="hello@example.org")
    construct(stack, sender_address="hello@example.org", allow_placeholder_senders=True)
