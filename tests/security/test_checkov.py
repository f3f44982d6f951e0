"""checkov (a template scanner nobody here wrote) over every synthesized template of the app.

A finding is either fixed or skipped on its resource with a reason (``Metadata.checkov.skip``,
written by ``workflow_constructs.checkov_skips.skip_checkov``); anything else fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest
from workflow_constructs import InvalidPropsError
from workflow_constructs.checkov_skips import skip_checkov

CHECKOV = Path(sys.executable).with_name("checkov")


def run_checkov(templates: list[Path]) -> list[dict]:
    """checkov's CloudFormation reports for ``templates`` (offline: no platform, no downloads)."""
    command = [str(CHECKOV), "--framework", "cloudformation", "--output", "json", "--compact"]
    command += ["--skip-download", *(arg for template in templates for arg in ("--file", str(template)))]
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("BC_", "PRISMA_"))}
    finished = subprocess.run(
        command, capture_output=True, text=True, timeout=600, check=False, env=environment
    )
    # checkov exits 1 when a check fails: the report, not the exit code, is what is asserted.
    assert finished.returncode in (0, 1), finished.stderr[-2000:]
    reports = json.loads(finished.stdout)
    return reports if isinstance(reports, list) else [reports]


@pytest.fixture(scope="module")
def app_reports(synthesized_app) -> list[dict]:
    templates = sorted(synthesized_app.outdir.glob("*.template.json"))
    assert len(templates) == len(synthesized_app.templates)
    return run_checkov(templates)


def test_checkov_finds_nothing_that_is_neither_fixed_nor_skipped_with_a_reason(app_reports):
    findings = [
        f"{Path(check['file_path']).name} {check['resource']}: {check['check_id']} {check['check_name']}"
        for report in app_reports
        for check in report["results"]["failed_checks"]
    ]
    assert findings == []
    assert sum(report["summary"]["passed"] for report in app_reports) > 100  # it did scan


def test_every_skip_carries_its_reason(app_reports):
    skipped = [check for report in app_reports for check in report["results"]["skipped_checks"]]
    assert skipped  # the functions' design choices at least
    for check in skipped:
        comment = check["check_result"].get("suppress_comment", "")
        assert len(comment) >= 20, f"{check['resource']}: {check['check_id']} skipped without a reason"


def test_a_skip_is_written_where_checkov_reads_it():
    # GIVEN a bucket with one check skipped, then the same check skipped again with a new reason
    stack = cdk.Stack()
    bucket = cdk.aws_s3.Bucket(stack, "B")
    skip_checkov(bucket, "CKV_AWS_18", reason="first reason, at least twenty characters")
    skip_checkov(bucket, "CKV_AWS_21", reason="versions would only keep what lifecycle expires")
    skip_checkov(bucket, "CKV_AWS_18", reason="the access-log bucket itself: logging it would loop")
    # THEN the resource's metadata holds one entry per check, the last reason winning
    (resource,) = cdk.assertions.Template.from_stack(stack).find_resources("AWS::S3::Bucket").values()
    assert resource["Metadata"]["checkov"] == {
        "skip": [
            {"id": "CKV_AWS_18", "comment": "the access-log bucket itself: logging it would loop"},
            {"id": "CKV_AWS_21", "comment": "versions would only keep what lifecycle expires"},
        ]
    }


@pytest.mark.parametrize(
    ("check_id", "reason", "message"),
    [
        ("AwsSolutions-S1", "a reason long enough to count", r"^check_id must be a checkov AWS check id"),
        ("CKV_AWS_18", "because", r"^reason must say why, in at least 20 characters. Received: \[because\]$"),
    ],
)
def test_a_skip_needs_a_check_id_and_a_reason(check_id, reason, message):
    bucket = cdk.aws_s3.Bucket(cdk.Stack(), "B")
    with pytest.raises(InvalidPropsError, match=message):
        skip_checkov(bucket, check_id, reason=reason)


def test_checkov_reports_an_unskipped_finding_and_honours_a_skip(tmp_path):
    # GIVEN two buckets without access logging, one of them skipping that check with a reason
    template = {
        "Resources": {
            "Plain": {"Type": "AWS::S3::Bucket", "Properties": {}},
            "Skipped": {
                "Type": "AWS::S3::Bucket",
                "Properties": {},
                "Metadata": {
                    "checkov": {"skip": [{"id": "CKV_AWS_18", "comment": "logs of logs would loop"}]}
                },
            },
        }
    }
    path = tmp_path / "Probe.template.json"
    path.write_text(json.dumps(template))
    # WHEN checkov scans it
    (report,) = run_checkov([path])
    # THEN the plain bucket's finding is reported, the other's skipped with its comment
    failed = {(c["resource"], c["check_id"]) for c in report["results"]["failed_checks"]}
    skipped = {(c["resource"], c["check_id"]) for c in report["results"]["skipped_checks"]}
    assert ("AWS::S3::Bucket.Plain", "CKV_AWS_18") in failed
    assert ("AWS::S3::Bucket.Skipped", "CKV_AWS_18") in skipped
    assert ("AWS::S3::Bucket.Skipped", "CKV_AWS_18") not in failed
