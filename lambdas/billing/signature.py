"""Webhook signatures: HMAC-SHA256 over ``<timestamp>.<raw body>``, in a replay window.

The provider sends one header::

    Payment-Signature: t=1767225600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd

``t`` is when it signed (Unix seconds), ``v1`` the hex HMAC-SHA256 of ``f"{t}."`` followed by the
raw request body, keyed with the signing secret. Several ``v1`` entries are allowed (the provider
signs with old and new secret while rotating). A request is genuine when one ``v1`` matches,
compared in constant time, and ``t`` is within ``tolerance_seconds`` of now: a captured request
cannot be replayed later, and within the window the event id makes a replay a no-op.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "payment-signature"
"""Header name, lower case (HTTP header names are case-insensitive)."""
SCHEME = "v1"
DEFAULT_TOLERANCE_SECONDS = 5 * 60


class SignatureError(Exception):
    """The request is not signed by the provider; ``reason`` says why (for logs, never for the caller)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def compute_signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex ``v1`` signature of ``body`` signed at ``timestamp``."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """The complete header value for ``body`` signed at ``timestamp``."""
    return f"t={timestamp},{SCHEME}={compute_signature(secret, timestamp, body)}"


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            if not value.isdigit() or timestamp is not None:
                raise SignatureError("malformed timestamp")
            timestamp = int(value)
        elif key == SCHEME and value:
            signatures.append(value)
    if timestamp is None:
        raise SignatureError("no timestamp")
    if not signatures:
        raise SignatureError(f"no {SCHEME} signature")
    return timestamp, signatures


def verify_signature(
    *,
    secret: str,
    header: str | None,
    body: bytes,
    now: float,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
) -> int:
    """Return the signed timestamp when ``header`` proves the provider signed ``body`` recently.

    Raises ``SignatureError`` otherwise: no header, malformed, outside the window (either way:
    a clock far ahead is as suspicious as a stale request), or no matching signature.
    """
    if not header:
        raise SignatureError("missing signature header")
    timestamp, candidates = _parse(header)
    if abs(now - timestamp) > tolerance_seconds:
        raise SignatureError("timestamp outside the tolerance window")
    expected = compute_signature(secret, timestamp, body)
    # Compare against every candidate: constant time per comparison, and no early exit on a match.
    matches = [hmac.compare_digest(expected, candidate) for candidate in candidates]
    if not any(matches):
        raise SignatureError("no signature matches")
    return timestamp
