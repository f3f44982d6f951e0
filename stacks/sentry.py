"""The app-wide Sentry opt-in, switched on by CDK context (``cdk.json`` or ``-c``).

- ``sentryDsnSecretName``: the name of a Secrets Manager secret whose value is the Sentry DSN.
  When set, ``OperationsStack.sentry_dsn_secret`` imports it by name and ``app.py`` hands it to
  every workflow stack in its ``WorkflowOptions`` (``options=``), so every handler may read it and reports
  exceptions to Sentry.
- ``sentryLayerArn`` (optional, needs the secret): a Lambda layer providing the ``sentry_sdk``
  package. The Powertools layer does not include it; without it the handlers log one warning
  and carry on unreported. ``SentryLayer`` adds it to every function that has the secret.

Example::

    npx cdk deploy --all -c sentryDsnSecretName=prod/sentry-dsn \\
        -c sentryLayerArn=arn:aws:lambda:eu-west-1:111111111111:layer:sentry-sdk:3
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import jsii
from aws_cdk import IAspect
from aws_cdk import aws_lambda as lambda_
from workflow_constructs import InvalidPropsError, PythonFunction

from constructs import Construct, IConstruct

SENTRY_DSN_SECRET_NAME_CONTEXT = "sentryDsnSecretName"  # noqa: S105 (a context key, not a secret)
SENTRY_LAYER_ARN_CONTEXT = "sentryLayerArn"

_SECRET_NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")  # what Secrets Manager accepts
_LAYER_VERSION_ARN = re.compile(r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:layer:[A-Za-z0-9_-]+:\d+$")


@dataclass(frozen=True)
class SentryOptIn:
    """What the app's context says about Sentry; both ``None`` means off."""

    dsn_secret_name: str | None = None
    layer_arn: str | None = None

    @classmethod
    def from_context(cls, scope: Construct) -> SentryOptIn:
        """Read and validate the two context keys (unset or empty means not given)."""
        secret_name = scope.node.try_get_context(SENTRY_DSN_SECRET_NAME_CONTEXT) or None
        layer_arn = scope.node.try_get_context(SENTRY_LAYER_ARN_CONTEXT) or None
        if secret_name is not None and not _SECRET_NAME.match(str(secret_name)):
            raise InvalidPropsError(
                SENTRY_DSN_SECRET_NAME_CONTEXT,
                "must be a Secrets Manager secret name (1-512 of A-Za-z0-9/_+=.@-)",
                secret_name,
            )
        if layer_arn is not None:
            if secret_name is None:
                raise InvalidPropsError(
                    SENTRY_LAYER_ARN_CONTEXT,
                    f"needs {SENTRY_DSN_SECRET_NAME_CONTEXT} too (without a DSN the layer is dead weight)",
                    layer_arn,
                )
            if not _LAYER_VERSION_ARN.match(str(layer_arn)):
                raise InvalidPropsError(
                    SENTRY_LAYER_ARN_CONTEXT,
                    "must be a layer version ARN (arn:aws:lambda:<region>:<account>:layer:<name>:<version>)",
                    layer_arn,
                )
        return cls(dsn_secret_name=secret_name, layer_arn=layer_arn)


@jsii.implements(IAspect)
class SentryLayer:
    """Adds the layer providing ``sentry_sdk`` to every ``PythonFunction`` given a Sentry DSN secret."""

    def __init__(self, layer_arn: str) -> None:
        self.layer_arn = layer_arn

    def visit(self, node: IConstruct) -> None:
        """Called by CDK for every construct of the scope the aspect is added to."""
        if not isinstance(node, PythonFunction) or node.sentry_dsn_secret is None:
            return
        if node.node.try_find_child("SentryLayer") is None:
            node.add_layers(lambda_.LayerVersion.from_layer_version_arn(node, "SentryLayer", self.layer_arn))
