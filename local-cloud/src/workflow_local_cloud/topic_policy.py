"""Whether an SNS topic's policy lets an AWS service publish to it, evaluated the way AWS does.

An AWS service (CloudWatch publishing an alarm, EventBridge delivering to a target) is no IAM
identity of the account: no identity policy can allow it, so only the topic's resource policy can.
SNS evaluates that policy as IAM evaluates any policy: an explicit Deny wins, else an Allow is
needed, else the request is refused with ``AuthorizationError``
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
https://docs.aws.amazon.com/sns/latest/api/CommonErrors.html).

What is evaluated: ``Principal`` (``*``, ``{"AWS": "*"}``, ``{"Service": ...}``), ``Action`` /
``NotAction``, ``Resource`` (wildcards), and the condition operators topic policies use
(``String*``, ``Arn*``, ``Bool``, with ``IfExists``) on the keys a service request carries
(``aws:SourceAccount``, ``aws:SourceArn``, ``AWS:SourceOwner``, ``aws:SecureTransport``,
``aws:PrincipalServiceName``). A condition on any other key does not match, as a missing key does on AWS.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

PUBLISH = "sns:Publish"


@dataclass(frozen=True)
class ServiceRequest:
    """A request of an AWS service on behalf of one of the account's resources (an alarm)."""

    service: str
    """The service principal, e.g. ``cloudwatch.amazonaws.com``."""
    action: str
    resource: str
    source_account: str
    source_arn: str
    secure_transport: bool = True

    def context(self) -> dict[str, str]:
        """The request's condition keys, lower-cased (condition key names are case-insensitive)."""
        return {
            "aws:sourceaccount": self.source_account,
            "aws:sourceowner": self.source_account,
            "aws:sourcearn": self.source_arn,
            "aws:securetransport": "true" if self.secure_transport else "false",
            "aws:principalservicename": self.service,
        }


def decision(policy: Mapping[str, Any], request: ServiceRequest) -> str:
    """``"Deny"`` (an explicit Deny matched), ``"Allow"`` or ``"ImplicitDeny"`` (no statement allowed it)."""
    allowed = False
    for statement in _as_list(policy.get("Statement", [])):
        if not isinstance(statement, Mapping) or not _applies(statement, request):
            continue
        if statement.get("Effect") == "Deny":
            return "Deny"
        if statement.get("Effect") == "Allow":
            allowed = True
    return "Allow" if allowed else "ImplicitDeny"


def _applies(statement: Mapping[str, Any], request: ServiceRequest) -> bool:
    return (
        _principal_matches(statement, request.service)
        and _action_matches(statement, request.action)
        and _resource_matches(statement, request.resource)
        and _conditions_hold(statement.get("Condition", {}), request.context())
    )


def _principal_matches(statement: Mapping[str, Any], service: str) -> bool:
    if "NotPrincipal" in statement:
        return False  # never written for service principals here; refuse rather than guess
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    if "*" in _as_list(principal.get("AWS", [])):
        return True  # everyone, services included; conditions narrow it (SNS's default policy)
    return service in _as_list(principal.get("Service", []))


def _action_matches(statement: Mapping[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not _any_pattern(statement["NotAction"], action)
    return _any_pattern(statement.get("Action", []), action)


def _resource_matches(statement: Mapping[str, Any], resource: str) -> bool:
    if "NotResource" in statement:
        return not _any_pattern(statement["NotResource"], resource, case_sensitive=True)
    if "Resource" not in statement:
        return True  # a resource policy's statement is about its own resource
    return _any_pattern(statement["Resource"], resource, case_sensitive=True)


def _conditions_hold(conditions: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    for operator, tests in conditions.items():
        if not isinstance(tests, Mapping):
            return False
        for key, expected in tests.items():
            if not _condition_holds(str(operator), context.get(str(key).lower()), _as_list(expected)):
                return False
    return True


def _condition_holds(operator: str, actual: str | None, expected: list[Any]) -> bool:
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    if actual is None:
        return if_exists
    values = [str(value) for value in expected]
    if base in ("StringEquals", "ArnEquals"):
        return actual in values
    if base == "StringEqualsIgnoreCase":
        return actual.lower() in [value.lower() for value in values]
    if base in ("StringLike", "ArnLike"):
        return any(fnmatch.fnmatchcase(actual, value) for value in values)
    if base in ("StringNotEquals", "ArnNotEquals"):
        return actual not in values
    if base in ("StringNotLike", "ArnNotLike"):
        return not any(fnmatch.fnmatchcase(actual, value) for value in values)
    if base == "Bool":
        return actual.lower() in [value.lower() for value in values]
    return False  # an operator this evaluator does not know never grants (nor denies) anything


def _any_pattern(patterns: Any, value: str, *, case_sensitive: bool = False) -> bool:
    if case_sensitive:
        return any(fnmatch.fnmatchcase(value, str(pattern)) for pattern in _as_list(patterns))
    return any(fnmatch.fnmatchcase(value.lower(), str(pattern).lower()) for pattern in _as_list(patterns))


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, Iterable) and not isinstance(value, (str, bytes, Mapping)):
        return list(value)
    return [value]
