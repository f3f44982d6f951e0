"""Who the caller is comes from the authenticated request context; who counts as the same person."""

from __future__ import annotations

import pytest
from deployment_approvals.errors import CallerUnauthenticated
from deployment_approvals.identity import Person, caller_arn, person, same_person

ANA_SESSION = "arn:aws:sts::123456789012:assumed-role/Deployer/ana"


def test_the_caller_is_read_from_the_rest_api_identity():
    event = {"requestContext": {"identity": {"userArn": ANA_SESSION}}, "body": '{"approvedBy": "x"}'}
    assert caller_arn(event) == ANA_SESSION


def test_the_caller_is_read_from_a_function_url_iam_authorizer():
    event = {"requestContext": {"authorizer": {"iam": {"userArn": ANA_SESSION}}}}
    assert caller_arn(event) == ANA_SESSION


@pytest.mark.parametrize(
    "context",
    [None, {}, {"identity": {"userArn": None, "sourceIp": "1.2.3.4"}}, {"identity": {"userArn": "ana"}}],
)
def test_a_request_without_an_iam_caller_is_unauthenticated(context):
    with pytest.raises(CallerUnauthenticated):
        caller_arn({"requestContext": context} if context is not None else {})


def test_a_role_session_is_the_role_and_the_session_name():
    assert person(ANA_SESSION) == Person("123456789012", "role", "deployer", "ana")


def test_two_sessions_of_one_role_are_two_people_one_session_is_one():
    assert not same_person(ANA_SESSION, "arn:aws:sts::123456789012:assumed-role/Deployer/ben")
    assert same_person(ANA_SESSION, "arn:aws:sts::123456789012:assumed-role/deployer/ANA")


def test_a_user_is_the_same_person_whatever_its_path_or_case():
    assert same_person("arn:aws:iam::123456789012:user/ops/Ana", "arn:aws:iam::123456789012:user/ana")


def test_the_same_name_in_another_account_or_kind_is_another_person():
    assert not same_person("arn:aws:iam::123456789012:user/ana", "arn:aws:iam::210987654321:user/ana")
    assert not same_person(
        "arn:aws:iam::123456789012:user/ana", "arn:aws:sts::123456789012:federated-user/ana"
    )


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::123456789012:role/Deployer",
        "arn:aws:s3:::bucket",
        "arn:aws:sts::123456789012:assumed-role/x",
    ],
)
def test_anything_but_a_user_or_session_is_refused(arn):
    with pytest.raises(CallerUnauthenticated, match="Received"):
        person(arn)
