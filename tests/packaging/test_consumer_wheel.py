"""The construct library as another team gets it: a wheel in a fresh venv, used outside this repo."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.packaging.venv import fresh_venv

REPO_ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _run(*command: str | Path, **kwargs) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, check=False, **kwargs)
    assert result.returncode == 0, f"{command[0]} failed:\n{result.stdout}\n{result.stderr}"
    return result


GREETER = REPO_ROOT / "tests" / "fixtures" / "greeter"


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """The construct library's wheel and the task library's wheel it depends on."""
    dist = tmp_path_factory.mktemp("dist")
    for project in ("constructs", "runtime"):
        _run(shutil.which("uv") or "uv", "build", "--wheel", "--out-dir", dist, REPO_ROOT / project)
    return dist


@pytest.fixture(scope="module")
def wheel(dist) -> Path:
    (built,) = dist.glob("workflow_constructs-*.whl")
    return built


def test_wheel_carries_the_type_marker_and_no_handler_of_this_app(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "workflow_constructs/py.typed" in names
    # This app's handlers live in its own distribution (business-workflows), not in the common library.
    assert not [n for n in names if "_lambdas" in n or n.startswith(("lambdas/", "business_workflows/"))]
    # The task library is a distribution of its own, not a copy inside this one.
    assert not [n for n in names if "workflow_runtime" in n or "/shared/" in n]
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_consumer_outside_the_repo_synthesizes_with_the_installed_wheel(dist, tmp_path):
    # GIVEN a fresh virtual environment outside the repository, with the wheel installed and the
    # same dependency versions as this repo's lock (so the install comes from uv's cache)
    venv = fresh_venv(tmp_path, *sorted(dist.glob("*.whl")))
    python = venv / "bin" / "python"
    # and a consumer project of its own: a CDK app and a folder of handlers written with workflow_runtime
    consumer = tmp_path / "consumer"
    consumer.mkdir()
    shutil.copy(Path(__file__).with_name("consumer_app.py"), consumer / "app.py")
    shutil.copytree(GREETER, consumer / "handlers", ignore=shutil.ignore_patterns("__pycache__"))

    # WHEN the consumer's app is synthesized there
    outdir = consumer / "cdk.out"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = _run(python, "app.py", outdir, cwd=consumer, env=env)

    # THEN both libraries came from the wheels
    installed = json.loads(result.stdout.strip().splitlines()[-1])
    assert venv in Path(installed["library"]).parents
    runtime = Path(installed["runtime"])
    assert venv in runtime.parents
    template = json.loads((outdir / "Consumer.template.json").read_text())
    functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    # and the consumer's own function deploys the consumer's folder, with the installed task library in it
    (greeter,) = functions
    assert greeter["Properties"]["Handler"] == "greeting.greet"
    greeter_asset = outdir / f"asset.{greeter['Properties']['Code']['S3Key'].removesuffix('.zip')}"
    assert (greeter_asset / "greeting.py").read_text() == (GREETER / "greeting.py").read_text()
    assert (greeter_asset / "workflow_runtime" / "observability.py").read_text() == (
        runtime.parent / "observability.py"
    ).read_text()
    # and nothing of this app's own handlers travels with the library
    assert not (greeter_asset / "onboarding").exists()
