#!/usr/bin/env python3
"""The CDK app: composes the workflow stacks and runs the synth-time checks on all of them."""

from __future__ import annotations

from typing import Any

from aws_cdk import App, Aspects, Environment, Tags
from workflow_constructs import add_checks
from workflow_constructs.naming import STAGE_TAG, physical_name
from workflow_constructs.stage import stage_of

from business_workflows.options import WorkflowOptions
from stacks.billing import BillingStack
from stacks.onboarding import OnboardingStack
from stacks.operations import OperationsStack, operations_emails_from_context
from stacks.senders import placeholder_senders_allowed
from stacks.sentry import SentryLayer, SentryOptIn
from stacks.stack_deployment import StackDeploymentStack
from stacks.user_provisioning import (
    USER_DEPROVISIONING_WORKFLOW,
    USER_PROVISIONING_WORKFLOW,
    UserProvisioningStack,
)


def environment(app: App) -> Environment | None:
    """Environment-agnostic unless ``account``/``region`` context pins it (cdk.json or ``-c``)."""
    account = app.node.try_get_context("account")
    region = app.node.try_get_context("region")
    return Environment(account=account, region=region) if account or region else None


def build_app(**app_props: Any) -> App:
    """Build the app; tests pass ``outdir`` and ``context``.

    Every workflow stack gets the same :class:`~business_workflows.options.WorkflowOptions`: the
    operations topic, the Sentry DSN secret (Sentry is off unless the ``sentryDsnSecretName`` context
    names it, see ``stacks.sentry``) and whether placeholder senders are allowed (the
    ``allowPlaceholderSenders`` context, see ``stacks.senders``).

    The ``stage`` context (``-c stage=dev``) prefixes every stack name (and so every export name)
    and, through the workflow constructs, every fixed physical name; each stack is then tagged
    ``stage=<stage>``. Without it, every name is exactly the unstaged one and no stage tag is added.
    """
    app = App(**app_props)
    # Read (and validated) before anything is built: a bad stage fails first, naming the context key.
    stage = stage_of(app)
    env = environment(app)
    sentry = SentryOptIn.from_context(app)
    operations = OperationsStack(
        app,
        "Operations",
        stack_name=physical_name("Operations", stage),
        env=env,
        description="Operations topic for workflow alarms and failure notices",
        sentry_dsn_secret_name=sentry.dsn_secret_name,
        operations_emails=operations_emails_from_context(app),
    )
    options = WorkflowOptions(
        alarm_topic=operations.operations_topic,
        sentry_dsn_secret=operations.sentry_dsn_secret,
        allow_placeholder_senders=placeholder_senders_allowed(app),
    )
    onboarding = OnboardingStack(
        app,
        "CustomerOnboarding",
        stack_name=physical_name("CustomerOnboarding", stage),
        env=env,
        options=options,
        user_provisioning_workflow=USER_PROVISIONING_WORKFLOW,
        user_deprovisioning_workflow=USER_DEPROVISIONING_WORKFLOW,
    )
    # The first admin's folder goes into the tenant's own storage, the bucket onboarding creates.
    UserProvisioningStack(
        app,
        "UserProvisioning",
        stack_name=physical_name("UserProvisioning", stage),
        env=env,
        options=options,
        tenant_bucket=onboarding.onboarding.tenant_bucket,
        description="User provisioning: every resource a user needs, with rollback",
    )
    StackDeploymentStack(
        app,
        "StackDeployment",
        stack_name=physical_name("StackDeployment", stage),
        env=env,
        options=options,
    )
    BillingStack(
        app,
        "Billing",
        stack_name=physical_name("Billing", stage),
        env=env,
        options=options,
        description="Billing workflow: invoice, payment authorisation by webhook, capture, receipt",
    )
    if stage is not None:
        # Only when staged: the unstaged deployment keeps exactly today's templates (no tag churn).
        # Not on dashboards: aws-cdk-lib models their Tags but cfn-lint's resource schema does not
        # (E3002, tests/constructs/test_stages.py); a dashboard's staged name tells it apart.
        Tags.of(app).add(STAGE_TAG, stage, exclude_resource_types=["AWS::CloudWatch::Dashboard"])
    if sentry.layer_arn:
        Aspects.of(app).add(SentryLayer(sentry.layer_arn))
    add_checks(app)
    return app


if __name__ == "__main__":
    build_app().synth()
