"""The local cloud's topic policy evaluation for AWS services that publish (CloudWatch alarms)."""

from __future__ import annotations

import pytest
from workflow_local_cloud.topic_policy import PUBLISH, ServiceRequest, decision

TOPIC = "arn:aws:sns:us-east-1:123456789012:operations"
ALARM = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:billing-ExecutionsFailed"
CLOUDWATCH = ServiceRequest("cloudwatch.amazonaws.com", PUBLISH, TOPIC, "123456789012", ALARM)
TLS_ONLY = {
    "Sid": "AllowPublishThroughSSLOnly",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "sns:Publish",
    "Resource": TOPIC,
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}
ALARMS_OF_THE_ACCOUNT = {
    "Effect": "Allow",
    "Principal": {"Service": "cloudwatch.amazonaws.com"},
    "Action": "sns:Publish",
    "Resource": TOPIC,
    "Condition": {
        "StringEquals": {"aws:SourceAccount": "123456789012"},
        "ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:*"},
    },
}
SNS_DEFAULT = {
    "Effect": "Allow",
    "Principal": {"AWS": "*"},
    "Action": ["SNS:Publish", "SNS:Subscribe"],
    "Resource": TOPIC,
    "Condition": {"StringEquals": {"AWS:SourceOwner": "123456789012"}},
}


def test_a_policy_holding_only_the_tls_deny_leaves_cloudwatch_no_allow():
    assert decision({"Statement": [TLS_ONLY]}, CLOUDWATCH) == "ImplicitDeny"


def test_the_scoped_allow_lets_this_accounts_alarms_publish_over_tls():
    assert decision({"Statement": [TLS_ONLY, ALARMS_OF_THE_ACCOUNT]}, CLOUDWATCH) == "Allow"


def test_snss_default_policy_lets_the_owners_alarms_publish():
    assert decision({"Statement": SNS_DEFAULT}, CLOUDWATCH) == "Allow"


@pytest.mark.parametrize(
    ("request_", "why"),
    [
        (
            ServiceRequest(
                "cloudwatch.amazonaws.com",
                PUBLISH,
                TOPIC,
                "999999999999",
                ALARM.replace("123456789012", "9" * 12),
            ),
            "another account's alarm",
        ),
        (
            ServiceRequest(
                "cloudwatch.amazonaws.com",
                PUBLISH,
                TOPIC,
                "123456789012",
                "arn:aws:events:us-east-1:123456789012:rule/x",
            ),
            "not an alarm",
        ),
        (ServiceRequest("events.amazonaws.com", PUBLISH, TOPIC, "123456789012", ALARM), "another service"),
        (
            ServiceRequest("cloudwatch.amazonaws.com", "sns:Subscribe", TOPIC, "123456789012", ALARM),
            "another action",
        ),
        (
            ServiceRequest("cloudwatch.amazonaws.com", PUBLISH, TOPIC + "-2", "123456789012", ALARM),
            "another topic",
        ),
    ],
)
def test_the_scoped_allow_admits_nothing_else(request_, why):
    assert decision({"Statement": [TLS_ONLY, ALARMS_OF_THE_ACCOUNT]}, request_) == "ImplicitDeny", why


def test_an_explicit_deny_wins_over_an_allow():
    plain_http = ServiceRequest(
        "cloudwatch.amazonaws.com", PUBLISH, TOPIC, "123456789012", ALARM, secure_transport=False
    )
    assert decision({"Statement": [ALARMS_OF_THE_ACCOUNT, TLS_ONLY]}, plain_http) == "Deny"


def test_a_condition_on_a_key_the_request_lacks_does_not_match_unless_if_exists():
    on_org = {**ALARMS_OF_THE_ACCOUNT, "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}}
    if_exists = {
        **ALARMS_OF_THE_ACCOUNT,
        "Condition": {"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-1"}},
    }
    assert decision({"Statement": [on_org]}, CLOUDWATCH) == "ImplicitDeny"
    assert decision({"Statement": [if_exists]}, CLOUDWATCH) == "Allow"
