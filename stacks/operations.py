"""The operations stack: where alarms and workflow failures reach the people on call."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_secretsmanager as secretsmanager
from workflow_constructs.alarm_topic import AlarmTopic
from workflow_constructs.errors import InvalidPropsError

from constructs import Construct

CONTEXT_OPERATIONS_EMAIL = "operationsEmail"
"""Context key: who gets the operations topic's notifications by email (opt-in, default nobody)."""


def operations_emails_from_context(scope: Construct) -> tuple[str, ...]:
    """The addresses of the ``operationsEmail`` context: ``-c operationsEmail=a@x.org,b@x.org`` or a
    JSON list in cdk.json. No context, no subscription."""
    value = scope.node.try_get_context(CONTEXT_OPERATIONS_EMAIL)
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return tuple(address.strip() for address in value.split(",") if address.strip())
    if isinstance(value, list) and all(isinstance(address, str) for address in value):
        return tuple(value)
    raise InvalidPropsError(
        CONTEXT_OPERATIONS_EMAIL, "must be an address, a comma-separated list or a JSON list of them", value
    )


class OperationsStack(Stack):
    """Owns what every workflow stack shares for operations.

    - ``operations_topic``: every workflow's alarms and failure notices publish to it
      (``workflow_constructs.alarm_topic.AlarmTopic``: TLS only, CloudWatch alarms of this account
      may publish). ``operations_emails`` subscribes those addresses (``app.py`` reads the
      ``operationsEmail`` context); each must confirm AWS's subscription mail. Chat or paging
      subscribe to it after deploying.
    - ``sentry_dsn_secret``: the Sentry DSN secret, imported by name when
      ``sentry_dsn_secret_name`` is given (``app.py`` reads it from the ``sentryDsnSecretName``
      context, see ``stacks.sentry``); ``None`` when Sentry is off. ``app.py`` puts it, with the
      topic, in the one ``WorkflowOptions`` every workflow stack gets (``options=``).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        sentry_dsn_secret_name: str | None = None,
        operations_emails: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.operations_topic = AlarmTopic(
            self,
            "OperationsTopic",
            display_name="Workflow operations",
            email_subscriptions=operations_emails,
        )
        # Imported, not created: the DSN is a credential the team stores once, outside any stack.
        # The import is by name only (account and region are the consuming stack's own), so passing
        # it to other stacks adds no cross-stack export.
        self.sentry_dsn_secret: secretsmanager.ISecret | None = (
            secretsmanager.Secret.from_secret_name_v2(self, "SentryDsnSecret", sentry_dsn_secret_name)
            if sentry_dsn_secret_name
            else None
        )
