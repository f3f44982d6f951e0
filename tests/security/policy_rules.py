"""The security rules the synthesized templates must follow, as plain functions over template JSON.

Kept apart from the tests so each rule is read once and the allow-lists are documented in one place.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# Actions AWS offers no resource-level permissions for: `Resource: "*"` is the only way to grant them.
# https://docs.aws.amazon.com/service-authorization/latest/reference/ (per-service "Resource types" column)
RESOURCE_WILDCARD_ALLOWED_ACTIONS = frozenset(
    {
        # X-Ray tracing from Lambda and Step Functions
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        # Step Functions log delivery to CloudWatch Logs (vended logs)
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
        # Powertools Metrics writes EMF to logs; PutMetricData has no resource type
        "cloudwatch:PutMetricData",
    }
)

STATEFUL_TYPES = (
    "AWS::DynamoDB::Table",
    "AWS::DynamoDB::GlobalTable",
    "AWS::S3::Bucket",
    "AWS::Logs::LogGroup",
    "AWS::KMS::Key",
)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def iam_statements(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(logical id, statement) for every identity-policy statement in the template."""
    for logical_id, resource in template.get("Resources", {}).items():
        properties = resource.get("Properties", {})
        documents = []
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            documents.append(properties.get("PolicyDocument", {}))
        if resource["Type"] == "AWS::IAM::Role":
            documents += [policy.get("PolicyDocument", {}) for policy in properties.get("Policies", [])]
        for document in documents:
            for statement in _as_list(document.get("Statement", [])):
                yield logical_id, statement


def least_privilege_problems(template: dict[str, Any]) -> list[str]:
    """Every Allow statement with `*` actions, service-wide wildcards, or an unjustified `Resource: "*"`."""
    problems = []
    for logical_id, statement in iam_statements(template):
        if statement.get("Effect") != "Allow":
            continue
        actions = [str(a) for a in _as_list(statement.get("Action", []))]
        for action in actions:
            if action == "*" or action.endswith(":*"):
                problems.append(f"{logical_id}: action [{action}] grants a whole service")
        if "*" in _as_list(statement.get("Resource", [])):
            unjustified = sorted(set(actions) - RESOURCE_WILDCARD_ALLOWED_ACTIONS)
            if unjustified:
                problems.append(f"{logical_id}: Resource '*' for {unjustified}")
    return problems


def data_protection_problems(template: dict[str, Any]) -> list[str]:
    """Stateful resources unencrypted or not retained; tables without PITR; buckets without TLS-only."""
    problems = []
    resources = template.get("Resources", {})
    tls_only_buckets = {
        str(policy["Properties"]["Bucket"])
        for policy in resources.values()
        if policy["Type"] == "AWS::S3::BucketPolicy" and "aws:SecureTransport" in str(policy["Properties"])
    }
    for logical_id, resource in resources.items():
        kind, properties = resource["Type"], resource.get("Properties", {})
        if kind in STATEFUL_TYPES and resource.get("DeletionPolicy") != "Retain":
            problems.append(f"{logical_id} ({kind}): not retained when the stack is deleted")
        if kind in ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable"):
            pitr = properties.get("PointInTimeRecoverySpecification") or _replica_pitr(properties)
            if not (pitr or {}).get("PointInTimeRecoveryEnabled"):
                problems.append(f"{logical_id}: point-in-time recovery is off")
        if kind == "AWS::S3::Bucket":
            if "BucketEncryption" not in properties:
                problems.append(f"{logical_id}: bucket is not encrypted")
            if f"{{'Ref': '{logical_id}'}}" not in tls_only_buckets:
                problems.append(f"{logical_id}: bucket policy does not deny non-TLS requests")
        if kind == "AWS::SNS::Topic" and "KmsMasterKeyId" not in properties:
            problems.append(f"{logical_id}: topic is not encrypted with KMS")
        if kind == "AWS::SQS::Queue" and not (
            properties.get("KmsMasterKeyId") or properties.get("SqsManagedSseEnabled")
        ):
            problems.append(f"{logical_id}: queue is not encrypted")
    return problems


def _replica_pitr(properties: dict[str, Any]) -> dict[str, Any] | None:
    replicas = properties.get("Replicas") or [{}]
    return replicas[0].get("PointInTimeRecoverySpecification")
