"""Telling checkov, per resource, which of its checks do not apply and why.

checkov reads ``Metadata: {"checkov": {"skip": [{"id": "CKV_AWS_18", "comment": "why"}]}}`` on a
CloudFormation resource (https://www.checkov.io/2.Basics/Suppressing%20and%20Skipping%20Policies.html)
and reports the check as skipped, with the comment. As with cdk-nag acknowledgements, every skip
names the check at the call, with the reason; ``tests/security/test_checkov.py`` fails on any other
finding.
"""

from __future__ import annotations

import re

from aws_cdk import CfnResource

from constructs import IConstruct
from workflow_constructs.errors import InvalidPropsError

_CHECK_ID = re.compile(r"^CKV2?_AWS_[0-9]+$")
MIN_REASON_LENGTH = 20


def skip_checkov(construct: IConstruct, check_id: str, *, reason: str) -> None:
    """Have checkov skip ``check_id`` on ``construct``'s CloudFormation resource, recording ``reason``.

    ``construct`` is the resource itself or an L2 construct whose default child is one.

    Example::

        skip_checkov(function, "CKV_AWS_117",
                     reason="Calls only AWS APIs; a VPC would add NAT cost and nothing else.")
    """
    if not _CHECK_ID.match(check_id):
        raise InvalidPropsError("check_id", "must be a checkov AWS check id like 'CKV_AWS_18'", check_id)
    if len(reason.strip()) < MIN_REASON_LENGTH:
        raise InvalidPropsError("reason", f"must say why, in at least {MIN_REASON_LENGTH} characters", reason)
    resource = construct if isinstance(construct, CfnResource) else construct.node.default_child
    if not isinstance(resource, CfnResource):
        raise InvalidPropsError(
            "construct", "must be a CloudFormation resource or have one as default child", construct
        )
    metadata = resource.get_metadata("checkov") or {}
    skips = [skip for skip in metadata.get("skip", []) if skip.get("id") != check_id]
    skips.append({"id": check_id, "comment": reason})
    resource.add_metadata("checkov", {**metadata, "skip": sorted(skips, key=lambda skip: str(skip["id"]))})
