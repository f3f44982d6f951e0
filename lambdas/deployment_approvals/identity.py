"""Who is calling, as API Gateway authenticated them, and who counts as the same person.

With ``AuthorizationType.IAM`` API Gateway checks the SigV4 signature before the function runs and
puts the caller in ``requestContext.identity.userArn`` (REST API); a Lambda function URL with
``AWS_IAM`` auth puts it in ``requestContext.authorizer.iam.userArn``. Both are read; the body is
never asked who the caller is.

The same person (:func:`person`): principals of one account with the same kind and name, names
compared case-insensitively as IAM does (paths ignored: a user or role name is unique in an
account whatever its path). For a role session (``assumed-role/<role>/<session>``) the person is the
role *and* the session name: with IAM Identity Center the session name is the signed-in user, so two
people sharing a permission set are two people. A session name is chosen by whoever assumes the role,
so roles that people assume directly should pin it (trust policy condition
``sts:RoleSessionName = ${aws:username}``), or one person can approve their own request under
another session name (docs/stack-deployment.md, "Who may approve").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from deployment_approvals.errors import CallerUnauthenticated

_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):(?P<service>iam|sts)::(?P<account>\d{12}):(?P<resource>.+)$"
)


@dataclass(frozen=True)
class Person:
    """The parts of a principal ARN that say who it is (see the module docstring)."""

    account: str
    kind: str
    name: str
    session: str | None = None


def caller_arn(event: Mapping[str, Any]) -> str:
    """The authenticated caller's ARN from an API Gateway (REST) or function URL request context.

    Raises ``CallerUnauthenticated`` when there is none or it is not an IAM/STS principal ARN.
    """
    context = event.get("requestContext")
    context = context if isinstance(context, Mapping) else {}
    identity = context.get("identity")
    authorizer = context.get("authorizer")
    iam = authorizer.get("iam") if isinstance(authorizer, Mapping) else None
    for source in (identity, iam):
        if isinstance(source, Mapping):
            arn = source.get("userArn")
            if isinstance(arn, str) and arn:
                person(arn)  # raises for anything that is not a principal ARN
                return arn
    raise CallerUnauthenticated("the request has no IAM caller; call the entry with SigV4-signed requests")


def person(arn: str) -> Person:
    """Who ``arn`` is: account, kind (user, role, federated-user, root) and name, and a session name.

    ``arn:aws:sts::123456789012:assumed-role/Deployer/ana`` -> ``Person("123456789012", "role",
    "deployer", "ana")``; ``arn:aws:iam::123456789012:user/ops/Ana`` -> ``Person(..., "user", "ana")``.
    """
    match = _ARN.match(arn)
    if match is None:
        raise CallerUnauthenticated(f"the caller is not an IAM principal. Received: [{arn}]")
    account, resource, service = match["account"], match["resource"], match["service"]
    if service == "iam" and resource == "root":
        return Person(account, "root", "root")
    kind, _, rest = resource.partition("/")
    parts = rest.split("/")
    if service == "sts" and kind == "assumed-role" and len(parts) == 2 and all(parts):
        return Person(account, "role", parts[0].lower(), parts[1].lower())
    if service == "sts" and kind == "federated-user" and len(parts) == 1 and parts[0]:
        return Person(account, "federated-user", parts[0].lower())
    if service == "iam" and kind == "user" and all(parts):
        return Person(account, "user", parts[-1].lower())
    raise CallerUnauthenticated(f"the caller is not a user or role session. Received: [{arn}]")


def same_person(first: str, second: str) -> bool:
    """Whether two principal ARNs are the same person (see the module docstring)."""
    return person(first) == person(second)
