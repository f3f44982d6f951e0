"""The refusals of the deployment entry. Each class name is the error name the caller receives.

None of them has a side effect: each is raised before anything is started or answered.
"""

from __future__ import annotations


class EntryError(Exception):
    """Base of the entry's refusals; ``status`` is the HTTP status it is answered with."""

    status = 400


class CallerUnauthenticated(EntryError):  # noqa: N818  (the name the caller sees)
    """The request carries no IAM caller: it did not come through the IAM-authorised entry."""

    status = 401


class DeploymentRequestInvalid(EntryError):  # noqa: N818
    """The body is not a deployment request the entry can start (the workflow checks the rest)."""


class ApprovalRequestInvalid(EntryError):  # noqa: N818
    """The body is not an approval decision: execution, decision (approve or reject), reason."""


class ApprovalNotPending(EntryError):  # noqa: N818
    """The execution is not waiting for approval (finished, elsewhere, or answered meanwhile)."""

    status = 409


class RequesterUnknown(EntryError):  # noqa: N818
    """The execution records no requester (not started through the entry): it cannot be approved."""

    status = 409


class SelfApprovalDenied(EntryError):  # noqa: N818
    """The approver is the principal who requested the deployment."""

    status = 403
