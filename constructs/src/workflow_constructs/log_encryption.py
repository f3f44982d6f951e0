"""The KMS key every log group of a stack is encrypted with.

Workflow logs at level ALL and function logs carry correlation ids, customer ids and error causes:
they are business records and are encrypted at rest with a customer managed key, like the tables.
One key per stack (not per log group: a key costs money every month, and log groups of one stack
share their lifecycle), created on first use; :class:`~workflow_constructs.workflow.Workflow` and
:class:`~workflow_constructs.function.PythonFunction` use it unless given another key.

CloudWatch Logs uses the key on the log group's behalf, so the key policy lets the regional
CloudWatch Logs service principal use it, only for log groups of this account and region (the
``kms:EncryptionContext:aws:logs:arn`` condition AWS documents for log group encryption).

Example::

    logs.LogGroup(self, "AccessLogs", encryption_key=log_encryption_key(self), ...)
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from constructs import IConstruct
from workflow_constructs.retention import RETAINED

LOG_KEY_ID = "LogEncryptionKey"
"""The construct id of the stack's log key (a child of the stack)."""
LOG_KEY_ACTIONS = ("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*")
"""What CloudWatch Logs needs on the key of an encrypted log group (AWS's documented key policy)."""


def log_encryption_key(scope: IConstruct) -> kms.IKey:
    """The key the log groups of ``scope``'s stack are encrypted with (created on first use).

    Retained when the stack is deleted: the log groups are retained too, and would be unreadable
    without it. Rotated yearly.
    """
    stack = Stack.of(scope)
    existing = stack.node.try_find_child(LOG_KEY_ID)
    if isinstance(existing, kms.Key):
        return existing
    key = kms.Key(
        stack,
        LOG_KEY_ID,
        description=f"Encrypts the CloudWatch Logs log groups of stack {stack.stack_name}",
        enable_key_rotation=True,
        removal_policy=RETAINED,
    )
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="CloudWatchLogsUsesTheKeyForThisAccountsLogGroups",
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            actions=list(LOG_KEY_ACTIONS),
            resources=["*"],  # in a key policy, "*" is this key
            conditions={
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name="*",
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    )
                }
            },
        )
    )
    return key
