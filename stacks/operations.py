"""The operations stack: where alarms and workflow failures reach the people on call."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns

from constructs import Construct


class OperationsStack(Stack):
    """Owns what every workflow stack shares for operations.

    - ``operations_topic``: every workflow's alarms and failure notices publish to it. Subscribe
      on-call email, chat or paging to it after deploying.
    - ``sentry_dsn_secret``: the Sentry DSN secret, imported by name when
      ``sentry_dsn_secret_name`` is given (``app.py`` reads it from the ``sentryDsnSecretName``
      context, see ``stacks.sentry``); ``None`` when Sentry is off. Pass it to every workflow
      stack as ``sentry_dsn_secret=``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        sentry_dsn_secret_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        key = kms.Key(
            self,
            "OperationsTopicKey",
            description="Encrypts the workflow operations topic",
            enable_key_rotation=True,
        )
        # CloudWatch alarms publish to the topic, so they must be able to use its key.
        key.grant_encrypt_decrypt(iam.ServicePrincipal("cloudwatch.amazonaws.com"))
        self.operations_topic = sns.Topic(
            self,
            "OperationsTopic",
            display_name="Workflow operations",
            master_key=key,
            enforce_ssl=True,
        )
        # Imported, not created: the DSN is a credential the team stores once, outside any stack.
        # The import is by name only (account and region are the consuming stack's own), so passing
        # it to other stacks adds no cross-stack export.
        self.sentry_dsn_secret: secretsmanager.ISecret | None = (
            secretsmanager.Secret.from_secret_name_v2(self, "SentryDsnSecret", sentry_dsn_secret_name)
            if sentry_dsn_secret_name
            else None
        )
