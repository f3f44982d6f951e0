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
    """Every Allow statement with `*` actions, service-wide wildcards, an unjustified `Resource: "*"`,
    or `NotAction`/`NotResource` (an allow-everything-but list)."""
    problems = []
    for logical_id, statement in iam_statements(template):
        if statement.get("Effect") != "Allow":
            continue
        for inverted in ("NotAction", "NotResource"):
            if inverted in statement:
                problems.append(f"{logical_id}: Allow with {inverted} grants everything not listed")
        actions = [str(a) for a in _as_list(statement.get("Action", []))]
        for action in actions:
            if action == "*" or action.endswith(":*"):
                problems.append(f"{logical_id}: action [{action}] grants a whole service")
        if "*" in _as_list(statement.get("Resource", [])):
            unjustified = sorted(set(actions) - RESOURCE_WILDCARD_ALLOWED_ACTIONS)
            if unjustified:
                problems.append(f"{logical_id}: Resource '*' for {unjustified}")
    return problems


RESOURCE_POLICY_TYPES = {
    "AWS::S3::BucketPolicy": "PolicyDocument",
    "AWS::SNS::TopicPolicy": "PolicyDocument",
    "AWS::SQS::QueuePolicy": "PolicyDocument",
    "AWS::KMS::Key": "KeyPolicy",
    "AWS::SecretsManager::ResourcePolicy": "ResourcePolicy",
    "AWS::Events::EventBusPolicy": "Statement",
}
"""Resource types with a resource-based policy, and the property that holds it."""


def _is_anyone(principal: Any) -> bool:
    if principal == "*":
        return True
    return isinstance(principal, dict) and "*" in _as_list(principal.get("AWS", []))


def public_access_problems(template: dict[str, Any]) -> list[str]:
    """Resource policies that let anyone in, and Lambda permissions nobody's source account or ARN bounds.

    An Allow to ``Principal: "*"`` is a problem unless a Condition narrows it (to this account, an
    organisation, a source ARN); a Deny to everyone (the TLS-only bucket rule) is how it should be.
    A Lambda permission for a service principal must name the calling resource (``SourceArn``) or
    account, so that no other account's resource of that service can invoke the function.
    """
    problems = []
    for logical_id, resource in template.get("Resources", {}).items():
        kind, properties = resource["Type"], resource.get("Properties", {})
        if kind in RESOURCE_POLICY_TYPES:
            document = properties.get(RESOURCE_POLICY_TYPES[kind], {})
            statements = document.get("Statement", document) if isinstance(document, dict) else document
            for statement in _as_list(statements):
                if (
                    isinstance(statement, dict)
                    and statement.get("Effect") == "Allow"
                    and _is_anyone(statement.get("Principal"))
                    and not statement.get("Condition")
                ):
                    problems.append(f"{logical_id}: allows anyone, with no condition")
        if kind == "AWS::Lambda::Permission":
            principal = str(properties.get("Principal", ""))
            if principal == "*" or (
                principal.endswith(".amazonaws.com")
                and not (properties.get("SourceArn") or properties.get("SourceAccount"))
            ):
                problems.append(f"{logical_id}: lets [{principal}] invoke the function from any source")
    return problems


def _log_keys(resources: dict[str, Any]) -> dict[str, bool]:
    """KMS keys of the template by logical id: whether CloudWatch Logs may use them, for this account only."""
    keys = {}
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::KMS::Key":
            continue
        statements = _as_list(resource.get("Properties", {}).get("KeyPolicy", {}).get("Statement", []))
        keys[logical_id] = any(
            "logs." in str(statement.get("Principal", {}))
            and "kms:EncryptionContext:aws:logs:arn" in str(statement.get("Condition", {}))
            for statement in statements
        )
    return keys


def data_protection_problems(template: dict[str, Any]) -> list[str]:
    """Stateful resources unencrypted, not retained, or kept by a rolled-back create; tables without
    PITR; buckets without TLS-only; log groups without a KMS key CloudWatch Logs may use."""
    problems = []
    resources = template.get("Resources", {})
    tls_only_buckets = {
        str(policy["Properties"]["Bucket"])
        for policy in resources.values()
        if policy["Type"] == "AWS::S3::BucketPolicy" and "aws:SecureTransport" in str(policy["Properties"])
    }
    log_keys = _log_keys(resources)
    for logical_id, resource in resources.items():
        kind, properties = resource["Type"], resource.get("Properties", {})
        # RetainExceptOnCreate: kept on deletion, but removed when its own create rolls back, so a
        # failed first deploy leaves no fixed-name resource behind to block the next one.
        policy = resource.get("DeletionPolicy")
        if kind in STATEFUL_TYPES and policy == "Retain":
            problems.append(f"{logical_id} ({kind}): kept by a rolled-back create (use RetainExceptOnCreate)")
        elif kind in STATEFUL_TYPES and policy != "RetainExceptOnCreate":
            problems.append(f"{logical_id} ({kind}): not retained when the stack is deleted")
        if kind in ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable"):
            pitr = properties.get("PointInTimeRecoverySpecification") or _replica_pitr(properties)
            if not (pitr or {}).get("PointInTimeRecoveryEnabled"):
                problems.append(f"{logical_id}: point-in-time recovery is off")
            if not (properties.get("SSESpecification") or {}).get("SSEEnabled"):
                problems.append(f"{logical_id}: table is not encrypted with KMS")
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
        if kind == "AWS::Logs::LogGroup":
            key = properties.get("KmsKeyId")
            if key is None:
                problems.append(f"{logical_id}: log group is not encrypted with KMS")
            elif isinstance(key, dict) and not log_keys.get(key.get("Fn::GetAtt", [None])[0], True):
                problems.append(f"{logical_id}: its key does not let CloudWatch Logs use it")
    return problems


def _replica_pitr(properties: dict[str, Any]) -> dict[str, Any] | None:
    replicas = properties.get("Replicas") or [{}]
    return replicas[0].get("PointInTimeRecoverySpecification")
