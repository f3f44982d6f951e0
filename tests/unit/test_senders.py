"""Senders on domains reserved for examples and testing are refused (RFC 2606, RFC 6761)."""

from __future__ import annotations

import pytest

from business_workflows.senders import UnverifiableSenderError, check_sender, reserved_domain


@pytest.mark.parametrize(
    ("address", "domain"),
    [
        ("welcome@example.com", "example.com"),
        ("billing@EXAMPLE.NET", "example.net"),
        ("a@mail.example.org", "example.org"),
        ("a@acme.example", ".example"),
        ("a@acme.test", ".test"),
        ("a@acme.invalid", ".invalid"),
        ("a@localhost", ".localhost"),
        ("a@shop.localhost.", ".localhost"),
    ],
)
def test_reserved_domains_are_recognised(address, domain):
    assert reserved_domain(address) == domain


@pytest.mark.parametrize(
    "address",
    ["billing@acme.com", "a@example.company.com", "a@notexample.com", "a@testing.io", "a@examples.org"],
)
def test_domains_anyone_can_own_are_not_reserved(address):
    assert reserved_domain(address) is None


def test_a_reserved_sender_is_refused_with_what_to_change():
    # GIVEN a placeholder sender, WHEN it is checked, THEN the named error says what to change and why
    with pytest.raises(
        UnverifiableSenderError,
        match=r"^sender_address must be an address on a domain you own: \[example.com\] is reserved .* "
        r"SES can never verify it and every email would fail. Received: \[welcome@example.com\]$",
    ):
        check_sender("sender_address", "welcome@example.com", allow_reserved=False)


def test_the_local_cloud_may_use_a_reserved_sender():
    check_sender("sender_address", "welcome@example.com", allow_reserved=True)
