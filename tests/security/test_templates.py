"""Least privilege, encryption, retention and cfn-lint over every synthesized template of the app."""

from __future__ import annotations

import json

from cfnlint.api import lint_all

from tests.security.policy_rules import data_protection_problems, least_privilege_problems


def test_rules_catch_what_they_claim_to():
    # GIVEN a template with one of each offence
    template = {
        "Resources": {
            "Everything": {
                "Type": "AWS::IAM::Policy",
                "Properties": {
                    "PolicyDocument": {
                        "Statement": [
                            {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b"},
                            {"Effect": "Allow", "Action": ["s3:*"], "Resource": "arn:aws:s3:::b"},
                            {"Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": "*"},
                            {"Effect": "Allow", "Action": ["xray:PutTraceSegments"], "Resource": "*"},
                        ]
                    }
                },
            },
            "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
            "Bucket": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "Properties": {}},
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {}},
        }
    }
    # THEN each is reported, and the X-Ray wildcard (an AWS requirement) is not
    assert least_privilege_problems(template) == [
        "Everything: action [*] grants a whole service",
        "Everything: action [s3:*] grants a whole service",
        "Everything: Resource '*' for ['dynamodb:GetItem']",
    ]
    assert data_protection_problems(template) == [
        "Table (AWS::DynamoDB::Table): not retained when the stack is deleted",
        "Table: point-in-time recovery is off",
        "Bucket: bucket is not encrypted",
        "Bucket: bucket policy does not deny non-TLS requests",
        "Topic: topic is not encrypted with KMS",
    ]


def test_no_stack_grants_more_than_it_needs(synthesized_app):
    problems = {name: least_privilege_problems(t) for name, t in synthesized_app.templates.items()}
    assert {name: found for name, found in problems.items() if found} == {}


def test_stateful_resources_are_encrypted_retained_and_recoverable(synthesized_app):
    problems = {name: data_protection_problems(t) for name, t in synthesized_app.templates.items()}
    assert {name: found for name, found in problems.items() if found} == {}


def test_cfn_lint_reports_no_error_or_warning(synthesized_app):
    findings = [
        f"{name}: {match.rule.id} {match.message} ({'/'.join(map(str, match.path))})"
        for name, template in synthesized_app.templates.items()
        for match in lint_all(json.dumps(template))
        if match.rule.severity.lower() in ("error", "warning")
    ]
    assert findings == []
