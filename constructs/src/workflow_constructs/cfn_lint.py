"""Telling cfn-lint, per resource, which of its findings do not apply and why.

cfn-lint reads ``Metadata: {"cfn-lint": {"config": {"ignore_checks": [...]}}}`` on a resource.
Each rule ignored here is named with its reason at the call, the way cdk-nag acknowledgements are.
"""

from __future__ import annotations

from aws_cdk import CfnResource

REDUNDANT_ROLE_DEPENDENCY = "W3005"
"""CDK makes a function or state machine depend explicitly on its role *and* the role's policy, so
the policy exists before the first invocation; cfn-lint calls the role half redundant with the
``GetAtt`` of the role's ARN. The dependency is CDK's own, kept on purpose."""

RESOURCE_TYPE_NOT_IN_EVERY_REGION = "E3006"
"""An environment-agnostic template is linted for every region; some services (SES) are not offered
in all of them. Deploying to such a region fails at deploy time, as it should."""


def ignore_cfn_lint(resource: CfnResource, *rules: str) -> None:
    """Have cfn-lint skip ``rules`` on ``resource`` (keeping rules ignored there before)."""
    metadata = resource.get_metadata("cfn-lint") or {}
    config = dict(metadata.get("config", {}))
    config["ignore_checks"] = sorted({*config.get("ignore_checks", []), *rules})
    resource.add_metadata("cfn-lint", {**metadata, "config": config})
