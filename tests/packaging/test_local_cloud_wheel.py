"""The local cloud kit as another team gets it: its wheel in a fresh venv, its pytest plugin run on
that team's own CDK app, outside this repo."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent
pytestmark = pytest.mark.slow


def _run(*command: str | Path, **kwargs) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, check=False, **kwargs)
    assert result.returncode == 0, f"{command[0]} failed:\n{result.stdout}\n{result.stderr}"
    return result


def _uv() -> str:
    return shutil.which("uv") or str(REPO_ROOT / ".tools" / "bin" / "uv")


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> dict[str, Path]:
    dist = tmp_path_factory.mktemp("dist")
    # The construct library ships the runtime into its Lambda assets, so it needs the runtime's wheel.
    for project in ("local-cloud", "constructs", "runtime"):
        _run(_uv(), "build", "--wheel", "--offline", "--out-dir", dist, REPO_ROOT / project)
    (kit,) = dist.glob("workflow_local_cloud-*.whl")
    (library,) = dist.glob("workflow_constructs-*.whl")
    (runtime,) = dist.glob("workflow_runtime-*.whl")
    return {"kit": kit, "library": library, "runtime": runtime}


@pytest.fixture(scope="module")
def consumer_python(wheels, tmp_path_factory) -> Path:
    """A fresh venv outside the repo: both wheels, aws-cdk-lib and pytest, at this repo's locked
    versions (so the install comes from uv's cache where it can)."""
    work = tmp_path_factory.mktemp("consumer-env")
    constraints = work / "constraints.txt"
    _run(_uv(), "export", "--frozen", "--no-hashes", "--no-emit-workspace", "-o", constraints, cwd=REPO_ROOT)
    venv = work / "venv"
    _run(_uv(), "venv", "--offline", "--python", sys.executable, venv)
    python = venv / "bin" / "python"
    _run(
        _uv(),
        "pip",
        "install",
        "--python",
        python,
        "--constraint",
        constraints,
        wheels["kit"],
        wheels["library"],
        wheels["runtime"],
        "aws-cdk-lib",
        "pytest",
    )
    return python


def _consumer(tmp_path: Path, ini: str) -> Path:
    """The other team's folder: its app, its test (no conftest) and a pytest.ini saying what to deploy."""
    consumer = tmp_path / "orders-team"
    consumer.mkdir()
    shutil.copy(HERE / "local_cloud_consumer_app.py", consumer / "app.py")
    shutil.copy(HERE / "local_cloud_consumer_tests.py", consumer / "test_orders.py")
    (consumer / "pytest.ini").write_text(f"[pytest]\n{ini}\n")
    return consumer


def _environment(python: Path) -> dict[str, str]:
    """No trace of this repo's environment: its venv, PYTHONPATH and pytest options stay out."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTEST_ADDOPTS")}
    # The venv first (its python runs the app under the CDK CLI), then Node 22 and the CDK CLI.
    path = [str(python.parent), str(REPO_ROOT / "node_modules" / ".bin"), env.get("PATH", "")]
    return {**env, "PATH": os.pathsep.join(path), "CDK_DISABLE_CLI_TELEMETRY": "true"}


def _pytest(python: Path, consumer: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The team's own pytest run in its folder (not asserted: some tests expect it to fail)."""
    return subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=consumer,
        env=_environment(python),
        capture_output=True,
        text=True,
        check=False,
    )


def test_wheel_carries_the_plugin_entry_point_and_type_marker(wheels):
    archive = zipfile.ZipFile(wheels["kit"])
    names = set(archive.namelist())
    assert "workflow_local_cloud/py.typed" in names
    assert "workflow_local_cloud/pytest_plugin.py" in names
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    text = archive.read(entry_points).decode()
    assert "[pytest11]" in text
    assert "workflow_local_cloud = workflow_local_cloud.pytest_plugin" in text
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_team_runs_its_synthesized_assembly_with_the_plugin_fixtures(consumer_python, tmp_path):
    # GIVEN a team's own app, synthesized into cdk.out, and a pytest.ini naming that assembly
    consumer = _consumer(tmp_path, "local_cloud_assembly = cdk.out")
    _run(consumer_python, "app.py", "cdk.out", cwd=consumer, env=_environment(consumer_python))

    # WHEN its tests run there with nothing but the installed plugin
    result = _pytest(consumer_python, consumer)

    # THEN both ran and passed: an execution's output and stored item, and an injected fault
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_team_has_its_app_synthesized_by_the_cdk_cli(consumer_python, tmp_path):
    # GIVEN a pytest.ini naming the app command instead of an assembly
    consumer = _consumer(tmp_path, "local_cloud_app = python app.py\nlocal_cloud_cdk = cdk")

    # WHEN its tests run there
    result = _pytest(consumer_python, consumer)

    # THEN the CDK CLI synthesized the app once and the same tests passed on it
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
    assert not (consumer / "cdk.out").exists()  # synthesized into a temporary folder, not the team's


def test_missing_app_setting_is_a_named_error(consumer_python, tmp_path):
    # GIVEN a team's folder whose pytest.ini names neither an assembly nor an app
    consumer = _consumer(tmp_path, "")

    # WHEN its tests run
    result = _pytest(consumer_python, consumer, "test_orders.py::test_an_order_is_stored_and_accepted")

    # THEN the test errors at setup with the plugin's error naming both options
    assert result.returncode != 0
    assert "LocalCloudConfigError" in result.stdout
    assert "local_cloud_assembly" in result.stdout
    assert "local_cloud_app" in result.stdout
