"""Webhook signatures: HMAC-SHA256 over timestamp and body, constant-time, in a 5-minute window."""

from __future__ import annotations

import hmac

import pytest
from billing import signature
from billing.signature import SignatureError, compute_signature, signature_header, verify_signature

from tests.unit.billing.fakes import SIGNING_SECRET

NOW = 1_767_225_600
BODY = b'{"id":"evt_1","type":"authorisation.succeeded"}'


def _verify(header, body=BODY, now=NOW, secret=SIGNING_SECRET):
    return verify_signature(secret=secret, header=header, body=body, now=now)


def test_genuine_request_verifies_and_returns_its_timestamp():
    assert _verify(signature_header(SIGNING_SECRET, NOW - 10, BODY)) == NOW - 10


def test_signature_is_hmac_sha256_over_timestamp_dot_body():
    # A value computed independently, so the scheme cannot drift unnoticed.
    assert compute_signature("secret", 1, b"body") == hmac.new(b"secret", b"1.body", "sha256").hexdigest()


def test_tampered_body_is_rejected():
    header = signature_header(SIGNING_SECRET, NOW, BODY)

    with pytest.raises(SignatureError, match=r"^no signature matches$"):
        _verify(header, body=BODY.replace(b"succeeded", b"declined"))


def test_wrong_secret_is_rejected():
    header = signature_header("whsec_" + "x" * 58, NOW, BODY)

    with pytest.raises(SignatureError, match=r"^no signature matches$"):
        _verify(header)


@pytest.mark.parametrize("age", [301, 3600, -301])
def test_timestamp_outside_the_window_is_rejected(age):
    # GIVEN a correctly signed request, but signed too long ago (or too far in the future)
    header = signature_header(SIGNING_SECRET, NOW - age, BODY)

    with pytest.raises(SignatureError, match=r"^timestamp outside the tolerance window$"):
        _verify(header)


def test_window_edge_is_accepted():
    assert _verify(signature_header(SIGNING_SECRET, NOW - 300, BODY)) == NOW - 300


def test_replayed_request_is_rejected_once_the_window_has_passed():
    # GIVEN a genuine request captured on the wire
    header = signature_header(SIGNING_SECRET, NOW, BODY)
    assert _verify(header) == NOW

    # WHEN it is replayed six minutes later, THEN it is refused
    with pytest.raises(SignatureError, match="outside the tolerance window"):
        _verify(header, now=NOW + 360)


@pytest.mark.parametrize("header", [None, ""])
def test_missing_header_is_rejected(header):
    with pytest.raises(SignatureError, match=r"^missing signature header$"):
        _verify(header)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("v1=abc", "no timestamp"),
        (f"t={NOW}", "no v1 signature"),
        ("t=soon,v1=abc", "malformed timestamp"),
        (f"t={NOW},t={NOW},v1=abc", "malformed timestamp"),
        ("garbage", "no timestamp"),
    ],
)
def test_malformed_header_is_rejected(header, reason):
    with pytest.raises(SignatureError) as raised:
        _verify(header)
    assert raised.value.reason == reason


def test_one_matching_signature_of_several_is_enough_while_rotating():
    old = compute_signature("whsec_" + "o" * 58, NOW, BODY)
    new = compute_signature(SIGNING_SECRET, NOW, BODY)

    assert _verify(f"t={NOW},v1={old},v1={new}") == NOW


def test_signatures_are_compared_in_constant_time(monkeypatch):
    # GIVEN a spy on the constant-time comparison
    compared = []
    real_compare = hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real_compare(a, b)

    monkeypatch.setattr(signature.hmac, "compare_digest", spy)

    # WHEN a request with two candidate signatures is verified
    with pytest.raises(SignatureError):
        _verify(f"t={NOW},v1=aaaa,v1=bbbb")

    # THEN every candidate went through hmac.compare_digest
    assert [b for _, b in compared] == ["aaaa", "bbbb"]
