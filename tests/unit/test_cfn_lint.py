"""Ignoring a cfn-lint rule on one resource, keeping what was ignored there before."""

from __future__ import annotations

import aws_cdk as cdk
from workflow_constructs.cfn_lint import ignore_cfn_lint


def test_rules_are_added_to_the_resource_metadata_without_losing_earlier_ones():
    # GIVEN a resource that already tells cfn-lint something
    resource = cdk.CfnResource(cdk.Stack(), "Thing", type="AWS::SNS::Topic")
    resource.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W1"], "regions": ["eu-west-1"]}})

    # WHEN two more rules are ignored, one of them twice
    ignore_cfn_lint(resource, "E2", "W1")
    ignore_cfn_lint(resource, "W3")

    # THEN each rule is listed once and the other settings stay
    assert resource.get_metadata("cfn-lint") == {
        "config": {"ignore_checks": ["E2", "W1", "W3"], "regions": ["eu-west-1"]}
    }
