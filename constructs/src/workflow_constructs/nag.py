"""Acknowledge a cdk-nag finding about one wildcard resource, named exactly as cdk-nag names it.

cdk-nag's AwsSolutions-IAM5 finding id flattens the resource's CloudFormation references
(``{"Fn::GetAtt": ["Bucket", "Arn"]}`` becomes ``<Bucket.Arn>``, ``{"Ref": "AWS::Region"}`` becomes
``<AWS::Region>``). Building the id from the resource itself keeps the acknowledgment granular and
correct when logical ids change.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import jsii
from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_iam as iam

from constructs import IConstruct, IValidation


def flatten_reference(value: Any) -> str:
    """Render a resolved CloudFormation value the way cdk-nag does in its finding ids."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("${", "<").replace("}", ">")
    if isinstance(value, Mapping):
        if "Fn::Join" in value:
            delimiter, items = value["Fn::Join"]
            return str(delimiter).join(flatten_reference(item) for item in items)
        if "Fn::Sub" in value:
            return flatten_reference(value["Fn::Sub"])
        if "Fn::GetAtt" in value:
            resource, attribute = value["Fn::GetAtt"]
            return f"<{flatten_reference(resource)}.{flatten_reference(attribute)}>"
        if "Fn::ImportValue" in value:
            return flatten_reference(value["Fn::ImportValue"])
        if "Ref" in value:
            return f"<{flatten_reference(value['Ref'])}>"
    # cdk-nag falls back to JSON.stringify (no spaces) for anything else, such as Fn::Select.
    return json.dumps(value, separators=(",", ":"))


def acknowledge_wildcard_resource(construct: IConstruct, resource: str, *, reason: str) -> None:
    """Acknowledge ``AwsSolutions-IAM5`` for ``resource`` (an ARN with a wildcard) on ``construct``.

    The finding is named once the app's references are resolved (during synth, before cdk-nag runs):
    a resource of another stack only then takes its final form, an ``Fn::ImportValue``.
    """
    construct.node.add_validation(_WildcardAcknowledgment(construct, resource, reason))


def acknowledge_flattened_wildcard(construct: IConstruct, flattened: str, *, reason: str) -> None:
    """Acknowledge ``AwsSolutions-IAM5`` for a wildcard resource already written as cdk-nag writes it
    (as :func:`wildcard_resources` returns them), on ``construct``. The one place the finding id is made.
    """
    Validations.of(construct).acknowledge(
        Acknowledgment(id=f"AwsSolutions-IAM5[Resource::{flattened}]", reason=reason)
    )


@jsii.implements(IValidation)
class _WildcardAcknowledgment:
    def __init__(self, construct: IConstruct, resource: str, reason: str) -> None:
        self._construct = construct
        self._resource = resource
        self._reason = reason

    def validate(self) -> list[str]:
        rendered = flatten_reference(Stack.of(self._construct).resolve(self._resource))
        acknowledge_flattened_wildcard(self._construct, rendered, reason=self._reason)
        return []


def wildcard_resources(scope: IConstruct) -> list[str]:
    """The wildcard resources of every IAM policy in ``scope``'s subtree, flattened as cdk-nag names them."""
    found: list[str] = []
    for construct in scope.node.find_all():
        if not isinstance(construct, iam.CfnPolicy):
            continue
        document = Stack.of(construct).resolve(construct.policy_document)
        for statement in document.get("Statement", []):
            resources = statement.get("Resource", [])
            for resource in resources if isinstance(resources, list) else [resources]:
                flattened = flatten_reference(resource)
                if "*" in flattened and flattened not in found:
                    found.append(flattened)
    return found
