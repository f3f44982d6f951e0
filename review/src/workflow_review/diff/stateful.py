"""Which resources hold data, and which property changes make CloudFormation replace them.

The list is explicit on purpose: a reviewer can read exactly what the diff warns about. Each entry
names the properties that CloudFormation documents as "Update requires: Replacement" for that
resource type (AWS CloudFormation User Guide, resource type reference). Replacing a resource that
holds data creates a new, empty one; deleting it loses the data unless its ``DeletionPolicy`` keeps it.

What is NOT predicted here: types missing from this table, replacement-forcing properties missing
from an entry, and replacements that depend on the deployed state. ``cdk diff`` against the deployed
stacks asks CloudFormation itself (CI runs it when AWS credentials are configured).

KMS keys list no properties: CloudFormation refuses to change ``KeySpec``, ``KeyUsage``,
``MultiRegion`` or ``Origin`` of an existing key (the deployment fails) rather than replacing it,
so only deleting a key is warned about (deleting a key makes everything encrypted with it unreadable).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

RETAINING_POLICIES = frozenset({"Retain", "RetainExceptOnCreate", "Snapshot"})
"""``DeletionPolicy``/``UpdateReplacePolicy`` values that keep the resource (or a snapshot) when it goes."""


@dataclass(frozen=True)
class StatefulType:
    """A resource type that holds data, and how CloudFormation replaces it."""

    what: str
    """What a reader calls it: "DynamoDB table"."""
    replaced_when_changed: frozenset[str]
    """Top-level properties whose change makes CloudFormation replace the resource."""
    name_property: str | None = None
    """The property that gives the resource a fixed physical name, if the type has one."""


def _stateful(what: str, *replaced_when_changed: str, name: str | None = None) -> StatefulType:
    return StatefulType(what=what, replaced_when_changed=frozenset(replaced_when_changed), name_property=name)


STATEFUL_RESOURCES: Mapping[str, StatefulType] = {
    "AWS::DynamoDB::Table": _stateful(
        "DynamoDB table", "TableName", "KeySchema", "LocalSecondaryIndexes", name="TableName"
    ),
    # TableV2 synthesizes a global table.
    "AWS::DynamoDB::GlobalTable": _stateful(
        "DynamoDB table", "TableName", "KeySchema", "LocalSecondaryIndexes", name="TableName"
    ),
    "AWS::S3::Bucket": _stateful("S3 bucket", "BucketName", name="BucketName"),
    "AWS::Logs::LogGroup": _stateful("log group", "LogGroupName", name="LogGroupName"),
    "AWS::KMS::Key": _stateful("KMS key"),
    "AWS::SQS::Queue": _stateful("SQS queue", "QueueName", "FifoQueue", name="QueueName"),
    # Subscribers outside the stack hold the topic's ARN; a replaced topic silently loses them.
    "AWS::SNS::Topic": _stateful("SNS topic", "TopicName", "FifoTopic", name="TopicName"),
    "AWS::SecretsManager::Secret": _stateful("secret", "Name", name="Name"),
    "AWS::Kinesis::Stream": _stateful("Kinesis stream", "Name", name="Name"),
    "AWS::ECR::Repository": _stateful("ECR repository", "RepositoryName", name="RepositoryName"),
    "AWS::EFS::FileSystem": _stateful("EFS file system", "Encrypted", "KmsKeyId", "PerformanceMode"),
    "AWS::Cognito::UserPool": _stateful("Cognito user pool", "AliasAttributes", "UsernameAttributes"),
    "AWS::RDS::DBCluster": _stateful(
        "RDS cluster",
        "DBClusterIdentifier",
        "DatabaseName",
        "StorageEncrypted",
        "KmsKeyId",
        name="DBClusterIdentifier",
    ),
    "AWS::RDS::DBInstance": _stateful(
        "RDS instance",
        "DBInstanceIdentifier",
        "DBName",
        "StorageEncrypted",
        "KmsKeyId",
        name="DBInstanceIdentifier",
    ),
    "AWS::OpenSearchService::Domain": _stateful("OpenSearch domain", "DomainName", name="DomainName"),
}
