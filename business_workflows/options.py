"""What every business workflow construct is given by the app: one options type, one way in.

The app builds one :class:`WorkflowOptions` (``app.py``) and every stack hands it to its workflow
constructs as ``options=``, so that a new app-wide setting is added here once, not to six
constructors. The stage is not an option: ``workflow_constructs.stage`` reads it from the app's
context wherever a name is made, and a second copy here could disagree with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from workflow_constructs.errors import InvalidPropsError

__all__ = ["WorkflowOptions"]


@dataclass(frozen=True)
class WorkflowOptions:
    """The app-wide settings of a business workflow construct.

    Example::

        options = WorkflowOptions(alarm_topic=operations.operations_topic,
                                  sentry_dsn_secret=operations.sentry_dsn_secret)
        OnboardingWorkflow(self, "Onboarding", sender_address="welcome@acme.com", options=options)
    """

    alarm_topic: sns.ITopic | None = None
    """Where alarms and failure notices go (the operations topic). When it is encrypted with a KMS key,
    the topic must expose ``master_key`` so the workflow can be granted its use. Default: none (the
    alarms notify nobody, and synth warns); onboarding and billing, which publish failure notices
    themselves, require one."""
    sentry_dsn_secret: secretsmanager.ISecret | None = None
    """A secret holding a Sentry DSN; when given, every function reports exceptions to Sentry.
    Default: none (Sentry off)."""
    allow_placeholder_senders: bool = False
    """Accept email senders on reserved domains (``example.com``, ``.test``...), which SES can never
    verify; only for the local cloud and tests, where SES verifies nothing. Default: False."""

    def __post_init__(self) -> None:
        if not isinstance(self.allow_placeholder_senders, bool):
            raise InvalidPropsError(
                "options.allow_placeholder_senders", "must be True or False", self.allow_placeholder_senders
            )

    def required_alarm_topic(self, workflow: str) -> sns.ITopic:
        """``alarm_topic``, or :class:`InvalidPropsError` naming ``workflow`` when there is none."""
        if self.alarm_topic is None:
            raise InvalidPropsError(
                "options.alarm_topic", f"is required by {workflow}: it publishes failure notices there", None
            )
        return self.alarm_topic

    def grant_alarm_topic_key(self, grantee: iam.IGrantable) -> None:
        """Let ``grantee`` use the alarm topic's KMS key, when it has one.

        A Step Functions ``SnsPublish`` task grants ``sns:Publish`` only; publishing to an encrypted
        topic also takes its key.
        """
        if self.alarm_topic is not None and self.alarm_topic.master_key is not None:
            self.alarm_topic.master_key.grant(grantee, "kms:GenerateDataKey", "kms:Decrypt")
