"""The SNS topic workflow alarms notify: encrypted, TLS only, and publishable by CloudWatch alarms.

A topic policy replaces SNS's default policy: with only the TLS Deny that ``enforce_ssl`` adds,
CloudWatch (a service principal, not an IAM identity of the account) has no Allow left and every
alarm action fails, silently but for the alarm's history. ``AlarmTopic`` adds the Allow, scoped to
this account's alarms, the way CloudWatch documents it:
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cross-service-confused-deputy-prevention.html
and https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions

from constructs import Construct
from workflow_constructs.errors import InvalidPropsError
from workflow_constructs.retention import RETAINED

CLOUDWATCH_PRINCIPAL = "cloudwatch.amazonaws.com"
ALARMS_MAY_PUBLISH_SID = "AllowCloudWatchAlarmsOfThisAccountToPublish"

_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")


def allow_cloudwatch_alarms_to_publish(topic: sns.Topic) -> None:
    """Let this account's CloudWatch alarms (and only them) publish to ``topic``.

    Conditions: ``aws:SourceAccount`` is the topic's account and ``aws:SourceArn`` an alarm of that
    account in the topic's region (alarm actions must be in the alarm's region anyway).
    """
    stack = Stack.of(topic)
    alarms_of_this_account = stack.format_arn(
        service="cloudwatch",
        resource="alarm",
        resource_name="*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
    topic.add_to_resource_policy(
        iam.PolicyStatement(
            sid=ALARMS_MAY_PUBLISH_SID,
            principals=[iam.ServicePrincipal(CLOUDWATCH_PRINCIPAL)],
            actions=["sns:Publish"],
            resources=[topic.topic_arn],
            conditions={
                "StringEquals": {"aws:SourceAccount": stack.account},
                "ArnLike": {"aws:SourceArn": alarms_of_this_account},
            },
        )
    )


class AlarmTopic(sns.Topic):
    """An SNS topic for alarms and failure notices, encrypted with its own rotating KMS key.

    - only TLS publishing (``enforce_ssl``), and CloudWatch alarms of this account may publish
      (``allow_cloudwatch_alarms_to_publish``); IAM identities of the account publish through their
      own policies (``topic.grant_publish``);
    - the key is created beside the topic as ``<id>Key`` (attribute ``key``);
    - ``email_subscriptions``: each address is subscribed (protocol ``email``). AWS mails each a
      confirmation link; nothing reaches an address until its owner confirms. Default: none.

    Example::

        AlarmTopic(self, "OperationsTopic", display_name="Workflow operations",
                   email_subscriptions=["oncall@example.org"])
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        display_name: str,
        email_subscriptions: Sequence[str] = (),
    ) -> None:
        for address in email_subscriptions:
            if not _EMAIL.match(address):
                raise InvalidPropsError(
                    "email_subscriptions", "must hold email addresses like 'oncall@example.org'", address
                )
        if len(set(email_subscriptions)) != len(email_subscriptions):
            raise InvalidPropsError(
                "email_subscriptions", "must not name an address twice", ",".join(email_subscriptions)
            )
        key = kms.Key(
            scope,
            f"{id}Key",
            description=f"Encrypts the SNS topic [{display_name}]",
            enable_key_rotation=True,
            removal_policy=RETAINED,
        )
        # CloudWatch alarms publish to the topic, so they must be able to use its key.
        key.grant_encrypt_decrypt(iam.ServicePrincipal(CLOUDWATCH_PRINCIPAL))
        super().__init__(scope, id, display_name=display_name, master_key=key, enforce_ssl=True)
        self.key = key
        allow_cloudwatch_alarms_to_publish(self)
        for address in email_subscriptions:
            self.add_subscription(subscriptions.EmailSubscription(address))
