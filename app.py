#!/usr/bin/env python3
"""The CDK app: composes the workflow stacks and runs the synth-time checks on all of them."""

from __future__ import annotations

from typing import Any

from aws_cdk import App, Aspects, Environment
from workflow_constructs import add_checks

from stacks.billing import BillingStack
from stacks.onboarding import OnboardingStack
from stacks.operations import OperationsStack, operations_emails_from_context
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

    Sentry is off unless the ``sentryDsnSecretName`` context names the DSN secret (see
    ``stacks.sentry``); every workflow stack gets ``sentry_dsn_secret=operations.sentry_dsn_secret``.
    """
    app = App(**app_props)
    env = environment(app)
    sentry = SentryOptIn.from_context(app)
    operations = OperationsStack(
        app,
        "Operations",
        env=env,
        description="Operations topic for workflow alarms and failure notices",
        sentry_dsn_secret_name=sentry.dsn_secret_name,
        operations_emails=operations_emails_from_context(app),
    )
    onboarding = OnboardingStack(
        app,
        "CustomerOnboarding",
        env=env,
        operations_topic=operations.operations_topic,
        sentry_dsn_secret=operations.sentry_dsn_secret,
        user_provisioning_workflow=USER_PROVISIONING_WORKFLOW,
        user_deprovisioning_workflow=USER_DEPROVISIONING_WORKFLOW,
    )
    # The first admin's folder goes into the tenant's own storage, the bucket onboarding creates.
    UserProvisioningStack(
        app,
        "UserProvisioning",
        env=env,
        operations_topic=operations.operations_topic,
        tenant_bucket=onboarding.onboarding.tenant_bucket,
        sentry_dsn_secret=operations.sentry_dsn_secret,
        description="User provisioning: every resource a user needs, with rollback",
    )
    StackDeploymentStack(
        app,
        "StackDeployment",
        env=env,
        operations_topic=operations.operations_topic,
        sentry_dsn_secret=operations.sentry_dsn_secret,
    )
    BillingStack(
        app,
        "Billing",
        env=env,
        operations_topic=operations.operations_topic,
        sentry_dsn_secret=operations.sentry_dsn_secret,
        description="Billing workflow: invoice, payment authorisation by webhook, capture, receipt",
    )
    if sentry.layer_arn:
        Aspects.of(app).add(SentryLayer(sentry.layer_arn))
    add_checks(app)
    return app


if __name__ == "__main__":
    build_app().synth()
