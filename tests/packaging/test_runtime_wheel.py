"""The task library as another team gets it: its wheel in a fresh venv outside the repo, running a handler."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
import zipfile
from pathlib import Path

import pytest

from tests.packaging.venv import fresh_venv

REPO_ROOT = Path(__file__).resolve().parents[2]
RUNTIME_SOURCE = REPO_ROOT / "runtime" / "src" / "workflow_runtime"
pytestmark = pytest.mark.slow

# A team's handler module and a driver that invokes it twice (once failing), as Lambda would.
HANDLER = textwrap.dedent(
    """
    from workflow_runtime import TransientError, handler, logger

    @handler(log_keys=lambda event: {"order_id": event["orderId"]})
    def charge(event, context):
        logger.info("Charging")
        if event["amount"] < 0:
            raise TransientError("provider timed out")
        return {"charged": event["amount"]}
    """
)
DRIVER = textwrap.dedent(
    """
    import importlib.util, json, sys
    from dataclasses import dataclass

    from orders import charge
    from workflow_runtime import TransientError

    @dataclass
    class Context:
        function_name: str = "orders-Charge"
        memory_limit_in_mb: int = 256
        invoked_function_arn: str = "arn:aws:lambda:eu-west-1:111111111111:function:orders-Charge"
        aws_request_id: str = "req-1"

    print(json.dumps({"result": charge({"correlationId": "c-1", "orderId": "o-1", "amount": 5}, Context())}))
    try:
        charge({"correlationId": "c-2", "orderId": "o-2", "amount": -1}, Context())
    except TransientError as error:
        print(json.dumps({"raised": type(error).__name__}))
    print(json.dumps({"aws_cdk": importlib.util.find_spec("aws_cdk") is not None}))
    """
)


def _run(*command: str | Path, **kwargs) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, check=False, **kwargs)
    assert result.returncode == 0, f"{command[0]} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    _run(shutil.which("uv") or "uv", "build", "--wheel", "--out-dir", dist, REPO_ROOT / "runtime")
    (built,) = dist.glob("workflow_runtime-*.whl")
    return built


def test_wheel_holds_the_package_its_type_marker_and_nothing_else(wheel):
    names = {n for n in zipfile.ZipFile(wheel).namelist() if not n.startswith("workflow_runtime-")}
    expected = {
        f"workflow_runtime/{p.name}" for p in RUNTIME_SOURCE.iterdir() if p.suffix in (".py", ".typed")
    }
    assert names == expected
    assert "workflow_runtime/py.typed" in names
    metadata = next(n for n in zipfile.ZipFile(wheel).namelist() if n.endswith("METADATA"))
    requires = [
        line
        for line in zipfile.ZipFile(wheel).read(metadata).decode().splitlines()
        if line.startswith("Requires-Dist")
    ]
    assert "Requires-Dist: aws-lambda-powertools[tracer]==3.37.0" in requires
    assert not [line for line in requires if "aws-cdk" in line]


def test_a_handler_outside_the_repo_runs_with_the_installed_wheel(wheel, tmp_path):
    # GIVEN a fresh venv outside the repository with only the wheel (and the lock's versions) installed
    venv = fresh_venv(tmp_path, wheel)
    python = venv / "bin" / "python"
    project = tmp_path / "orders"
    project.mkdir()
    (project / "orders.py").write_text(HANDLER)

    # WHEN the team's handler is invoked there, once succeeding and once failing
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(
        POWERTOOLS_SERVICE_NAME="orders",
        POWERTOOLS_METRICS_NAMESPACE="Orders",
        POWERTOOLS_TRACE_DISABLED="true",  # no X-Ray daemon here
        AWS_DEFAULT_REGION="eu-west-1",
    )
    result = _run(python, "-c", DRIVER, cwd=project, env=env)

    # THEN it answered and raised as written; every log line carries its request's ids
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert {"result": {"charged": 5}} in lines
    assert {"raised": "TransientError"} in lines
    assert {"aws_cdk": False} in lines  # the task library does not pull in aws-cdk-lib
    logs = [line for line in lines if "message" in line]
    assert [(line["message"], line["correlation_id"], line["order_id"]) for line in logs] == [
        ("Step started", "c-1", "o-1"),
        ("Charging", "c-1", "o-1"),
        ("Step finished", "c-1", "o-1"),
        ("Step started", "c-2", "o-2"),
        ("Charging", "c-2", "o-2"),
        ("Step failed", "c-2", "o-2"),
    ]
    assert logs[2]["duration_ms"] >= 0
    assert logs[-1]["error"] == "TransientError"
    # and the package came from the venv, not from this repository
    origin = _run(
        python, "-c", "import workflow_runtime; print(workflow_runtime.__file__)", cwd=project, env=env
    )
    assert venv in Path(origin.stdout.strip()).parents
