"""Least privilege, encryption, retention and cfn-lint over every synthesized template of the app."""

from __future__ import annotations

import json

from cfnlint.api import lint_all

from tests.security.policy_rules import (
    data_protection_problems,
    least_privilege_problems,
    public_access_problems,
)


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
                            {"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "arn:aws:s3:::b"},
                        ]
                    }
                },
            },
            "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
            "KeptOnFailedCreate": {
                "Type": "AWS::Logs::LogGroup",
                "DeletionPolicy": "Retain",
                "Properties": {"KmsKeyId": {"Fn::GetAtt": ["LogKey", "Arn"]}},
            },
            "Bucket": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "RetainExceptOnCreate", "Properties": {}},
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {}},
            "Logs": {
                "Type": "AWS::Logs::LogGroup",
                "DeletionPolicy": "RetainExceptOnCreate",
                "Properties": {},
            },
            "KeyLogsCannotUse": {
                "Type": "AWS::KMS::Key",
                "DeletionPolicy": "RetainExceptOnCreate",
                "Properties": {},
            },
            "EncryptedLogs": {
                "Type": "AWS::Logs::LogGroup",
                "DeletionPolicy": "RetainExceptOnCreate",
                "Properties": {"KmsKeyId": {"Fn::GetAtt": ["KeyLogsCannotUse", "Arn"]}},
            },
            "OpenTopicPolicy": {
                "Type": "AWS::SNS::TopicPolicy",
                "Properties": {
                    "PolicyDocument": {
                        "Statement": [
                            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sns:Publish"},
                            {"Effect": "Deny", "Principal": "*", "Action": "sns:Publish"},
                            {
                                "Effect": "Allow",
                                "Principal": "*",
                                "Action": "sns:Publish",
                                "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}},
                            },
                        ]
                    }
                },
            },
            "AnyApiMayInvoke": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {"Principal": "apigateway.amazonaws.com", "Action": "lambda:InvokeFunction"},
            },
        }
    }
    # THEN each is reported, and the X-Ray wildcard (an AWS requirement), the Deny to everyone and
    # the conditioned Allow are not
    assert least_privilege_problems(template) == [
        "Everything: action [*] grants a whole service",
        "Everything: action [s3:*] grants a whole service",
        "Everything: Resource '*' for ['dynamodb:GetItem']",
        "Everything: Allow with NotAction grants everything not listed",
    ]
    assert data_protection_problems(template) == [
        "Table (AWS::DynamoDB::Table): not retained when the stack is deleted",
        "Table: point-in-time recovery is off",
        "Table: table is not encrypted with KMS",
        "KeptOnFailedCreate (AWS::Logs::LogGroup): kept by a rolled-back create (use RetainExceptOnCreate)",
        "Bucket: bucket is not encrypted",
        "Bucket: bucket policy does not deny non-TLS requests",
        "Topic: topic is not encrypted with KMS",
        "Logs: log group is not encrypted with KMS",
        "EncryptedLogs: its key does not let CloudWatch Logs use it",
    ]
    assert public_access_problems(template) == [
        "OpenTopicPolicy: allows anyone, with no condition",
        "AnyApiMayInvoke: lets [apigateway.amazonaws.com] invoke the function from any source",
    ]


def test_no_stack_grants_more_than_it_needs(synthesized_app):
    problems = {name: least_privilege_problems(t) for name, t in synthesized_app.templates.items()}
    assert {name: found for name, found in problems.items() if found} == {}


def test_no_resource_lets_anyone_in(synthesized_app):
    problems = {name: public_access_problems(t) for name, t in synthesized_app.templates.items()}
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
