"""workflow-cli as an operator gets it: the wheel alone in a fresh venv, run outside this repo,
against a local cloud holding a plain state machine (no CDK app, none of this app's plugins)."""

from __future__ import annotations

import json
import os
import re
import shutil
import zipfile
from pathlib import Path

import boto3
import pytest
from workflow_local_cloud import running_local_cloud
from workflow_local_cloud.server import DEFAULT_REGION

from tests.packaging.venv import REPO_ROOT, fresh_venv, run

pytestmark = pytest.mark.slow

APP_COMMANDS = ("approve", "reject", "pay", "decline")
ORDERS = {
    "StartAt": "Check the order",
    "States": {
        "Check the order": {
            "Type": "Pass",
            "Result": {"checked": True},
            "ResultPath": "$.check",
            "Next": "Ship",
        },
        "Ship": {"Type": "Pass", "End": True},
    },
}
REFUSING_ORDERS = {
    "StartAt": "Check the order",
    "States": {
        "Check the order": {"Type": "Pass", "Next": "Refuse the order"},
        "Refuse the order": {"Type": "Fail", "Error": "OrderRefused", "Cause": "the customer is blocked"},
    },
}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    run(shutil.which("uv") or "uv", "build", "--wheel", "--out-dir", dist, REPO_ROOT / "cli")
    (built,) = dist.glob("workflow_cli-*.whl")
    return built


@pytest.fixture(scope="module")
def workflows(wheel, tmp_path_factory) -> Path:
    """The ``workflows`` command of a fresh venv outside the repository with only the CLI's wheel."""
    return fresh_venv(tmp_path_factory.mktemp("operator"), wheel) / "bin" / "workflows"


@pytest.fixture(scope="module")
def cloud():
    """An empty local cloud (a child process) with the machines ``orders`` and ``qa-orders`` (stage
    qa), which refuses every order."""
    with running_local_cloud() as harness:
        sfn = boto3.client(
            "stepfunctions",
            endpoint_url=harness.endpoint_url,
            region_name=DEFAULT_REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        for name, definition in (("orders", ORDERS), ("qa-orders", REFUSING_ORDERS)):
            sfn.create_state_machine(
                name=name, definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/orders"
            )
        yield harness


def _operator_env(**extra: str) -> dict[str, str]:
    """Throwaway credentials and the region; nothing of this repo or the developer's AWS set-up."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "VIRTUAL_ENV") and not k.startswith(("AWS_", "WORKFLOWS_"))
    }
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION=DEFAULT_REGION,
        AWS_CONFIG_FILE="/nonexistent",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
        AWS_EC2_METADATA_DISABLED="true",
    )
    env.update(extra)
    return env


def test_the_wheel_carries_the_type_marker_the_console_script_and_nothing_of_the_app(wheel):
    archive = zipfile.ZipFile(wheel)
    names = set(archive.namelist())
    assert "workflow_cli/py.typed" in names
    assert {"workflow_cli/main.py", "workflow_cli/naming.py", "workflow_cli/plugins.py"} <= names
    assert not [n for n in names if n.startswith(("workflow_tools", "tests/")) or "__pycache__" in n]
    (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
    requires = re.findall(r"^Requires-Dist: (\S+)", archive.read(metadata).decode(), re.MULTILINE)
    assert sorted(requires) == ["boto3<2,>=1.35", "rich==15.0.0", "typer==0.29.2"]
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    assert archive.read(entry_points).decode().split() == [
        "[console_scripts]",
        "workflows",
        "=",
        "workflow_cli:main",
    ]


def test_help_lists_the_core_commands_and_no_app_plugin(workflows, tmp_path):
    # WHEN an operator asks for help, in a folder that is not this repository
    result = run(workflows, "--help", cwd=tmp_path, env=_operator_env())
    # THEN the core commands and the exit codes are there, and none of this app's commands
    commands = re.findall(r"^  (\S+)  ", result.stdout.split("Commands:")[1], re.MULTILINE)
    assert commands == ["start", "status", "list", "why", "redrive"]
    assert not set(APP_COMMANDS) & set(result.stdout.split())
    assert "Exit codes: 0 success;" in " ".join(result.stdout.split())
    # AND the venv has no command plugin, no CDK and no local cloud
    python = workflows.parent / "python"
    probe = (
        "import importlib.metadata as m, importlib.util as u; "
        "print(len(m.entry_points(group='workflows.commands')), "
        "[n for n in ('aws_cdk', 'workflow_constructs', 'workflow_local_cloud', 'moto', 'workflow_tools') "
        "if u.find_spec(n)])"
    )
    assert run(python, "-c", probe, cwd=tmp_path, env=_operator_env()).stdout.split() == ["0", "[]"]


def test_start_status_and_why_against_a_local_cloud(workflows, cloud, tmp_path):
    endpoint = cloud.endpoint_url
    # GIVEN an order to start, in the operator's own folder
    (tmp_path / "order.json").write_text('{"order": {"id": "o-1"}}')
    # WHEN started through --endpoint-url and waited for
    started = run(
        workflows, "--endpoint-url", endpoint, "start", "orders", "--reason", "First order",
        "--input", "order.json", "--wait", "--poll-seconds", "0.1",
        cwd=tmp_path, env=_operator_env(),
    )  # fmt: skip
    # THEN it ran on the local cloud's machine and succeeded with its output
    name = re.search(r"^Started (orders-first-order-\d{8}T\d{6}Z-[0-9a-f]{8})$", started.stdout, re.MULTILINE)
    assert name is not None, started.stdout
    assert "SUCCEEDED after" in started.stdout
    assert '"checked": true' in started.stdout
    # AND status finds it by name
    status = run(
        workflows, "--endpoint-url", endpoint, "status", name.group(1), cwd=tmp_path, env=_operator_env()
    )
    assert "SUCCEEDED" in status.stdout
    assert f":execution:orders:{name.group(1)}" in status.stdout


def test_a_staged_failure_started_and_explained_through_the_environment(workflows, cloud, tmp_path):
    # GIVEN the endpoint and the stage from the environment, as in an operator's shell profile
    env = _operator_env(AWS_ENDPOINT_URL=cloud.endpoint_url, WORKFLOWS_STAGE="qa")
    # WHEN qa's orders is started and waited for
    started = run(
        workflows, "start", "orders", "--reason", "Blocked customer", "--input", "-", "--wait",
        "--poll-seconds", "0.1", input="{}", expect=1, cwd=tmp_path, env=env,
    )  # fmt: skip
    # THEN it ran qa-orders, failed (exit 1) and says where
    name = re.search(r"^Started (qa-orders-blocked-customer-\S+)$", started.stdout, re.MULTILINE).group(1)
    assert "in state Refuse the order: OrderRefused" in started.stdout
    # AND status and why find it through the stage, by name
    status = run(workflows, "status", name, cwd=tmp_path, env=env)
    assert "FAILED" in status.stdout
    why = run(workflows, "why", name, cwd=tmp_path, env=env)
    assert "Refuse the order" in why.stdout
    assert "OrderRefused" in why.stdout
    assert "the customer is blocked" in why.stdout
    assert f"workflows redrive {name}" in why.stdout
    # AND another stage's machines do not have it: exit 3, saying where it looked
    other = run(workflows, "--stage", "prod", "status", name, expect=3, cwd=tmp_path, env=env)
    assert other.stderr.strip().endswith("(searched 0 of stage prod: none)")
