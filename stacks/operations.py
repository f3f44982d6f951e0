"""The operations stack: where alarms and workflow failures reach the people on call."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns

from constructs import Construct


class OperationsStack(Stack):
    """Owns the operations topic that every workflow's alarms and failure notices publish to.

    Subscribe on-call email, chat or paging to ``operations_topic`` after deploying.
    """

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
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
