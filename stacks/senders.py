"""Which address each workflow sends email from: cdk.json or ``-c`` context, never a placeholder.

A first deploy needs a sender SES has verified (and SES production access, or every recipient
verified too): see the README's first-deploy section. Synth fails with
:class:`PlaceholderSenderError`, naming the context key, while a sender is still the placeholder.
Only the local cloud (``make demo``) and the tests set ``allowPlaceholderSenders``: SES there
verifies nothing.
"""

from __future__ import annotations

from business_workflows.senders import UnverifiableSenderError, check_sender
from constructs import Construct

ALLOW_PLACEHOLDER_SENDERS_CONTEXT_KEY = "allowPlaceholderSenders"
"""Context flag (``true``) set only by the local cloud's deploys and the tests."""


class PlaceholderSenderError(UnverifiableSenderError):
    """A sender is still the placeholder (or another reserved domain): set its context key."""


def placeholder_senders_allowed(scope: Construct) -> bool:
    """Whether this synth is for the local cloud or tests (``-c allowPlaceholderSenders=true``)."""
    value = scope.node.try_get_context(ALLOW_PLACEHOLDER_SENDERS_CONTEXT_KEY)
    return value is True or str(value).lower() == "true"


def sender_address(scope: Construct, context_key: str, placeholder: str) -> str:
    """The sender the ``context_key`` context sets (``placeholder`` when unset), checked.

    Raises :class:`PlaceholderSenderError` when it is on a reserved domain, unless
    :func:`placeholder_senders_allowed`.
    """
    address = str(scope.node.try_get_context(context_key) or placeholder)
    check_sender(
        f"Context key {context_key}",
        address,
        allow_reserved=placeholder_senders_allowed(scope),
        how_to_fix=f"Set it in cdk.json or with `cdk deploy -c {context_key}=you@yourdomain.com` to an "
        "address SES has verified (see the README's first-deploy section)",
        error=PlaceholderSenderError,
    )
    return address
