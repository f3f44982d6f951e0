"""Email senders: an address SES can verify, or a named error at synth.

SES sends only from a verified identity (an address or a domain), and verifying one takes an email
or DNS record that someone must receive or publish. Domains reserved for documentation and testing
can never be verified: ``example.com``, ``example.net``, ``example.org`` (RFC 2606, section 3) and
anything under the reserved top-level names ``.example``, ``.test``, ``.invalid`` and ``.localhost``
(RFC 2606 section 2, RFC 6761 section 6). A workflow deployed with such a sender fails every email.
See https://docs.aws.amazon.com/ses/latest/dg/creating-identities.html.

The local cloud verifies nothing, so it (and tests) opt in with ``allow_reserved=True``.
"""

from __future__ import annotations

from aws_cdk import Token
from workflow_constructs.errors import InvalidPropsError

__all__ = [
    "RESERVED_DOMAINS",
    "RESERVED_TOP_LEVEL_NAMES",
    "UnverifiableSenderError",
    "check_sender",
    "reserved_domain",
]

RESERVED_DOMAINS = ("example.com", "example.net", "example.org")
"""Second-level domains reserved for examples (RFC 2606, section 3)."""
RESERVED_TOP_LEVEL_NAMES = ("example", "test", "invalid", "localhost")
"""Top-level names reserved for examples and testing (RFC 2606 section 2, RFC 6761 section 6)."""


class UnverifiableSenderError(InvalidPropsError):
    """A sender address on a reserved domain: SES can never verify it, so every email would fail."""


def reserved_domain(address: str) -> str | None:
    """The reserved domain ``address`` belongs to (``example.com``, ``.test``...), or None.

    Example::

        reserved_domain("welcome@mail.example.com")  # "example.com"
        reserved_domain("ops@acme.test")              # ".test"
        reserved_domain("billing@acme.com")           # None
    """
    domain = address.rpartition("@")[2].strip().rstrip(".").lower()
    for reserved in RESERVED_DOMAINS:
        if domain == reserved or domain.endswith(f".{reserved}"):
            return reserved
    top_level = domain.rpartition(".")[2]
    return f".{top_level}" if top_level in RESERVED_TOP_LEVEL_NAMES else None


def check_sender(
    argument: str,
    address: str,
    *,
    allow_reserved: bool,
    how_to_fix: str = "",
    error: type[UnverifiableSenderError] = UnverifiableSenderError,
) -> None:
    """Raise ``error`` (:class:`UnverifiableSenderError` or a subclass) when ``address`` is on a
    reserved domain.

    ``argument`` names what to change (a prop, or a context key); ``how_to_fix`` is added to the
    message. Unresolved tokens are skipped: their value is known only at deploy time.
    """
    if allow_reserved or Token.is_unresolved(address):
        return
    domain = reserved_domain(address)
    if domain is not None:
        fix = f". {how_to_fix}" if how_to_fix else ""
        raise error(
            argument,
            f"must be an address on a domain you own: [{domain}] is reserved for examples and testing "
            f"(RFC 2606, RFC 6761), SES can never verify it and every email would fail{fix}",
            address,
        )
