"""The pytest plugin's options: wrong settings stop pytest at start-up, naming the option and value.

Each test runs pytest in a folder of its own (outside this repo's conftest), as a team would, with
the plugin installed in this venv; none of them gets as far as starting a local cloud.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

USAGE_ERROR = pytest.ExitCode.USAGE_ERROR


def _pytest_in(folder: Path, ini: str, *args: str) -> subprocess.CompletedProcess[str]:
    (folder / "pytest.ini").write_text(f"[pytest]\n{ini}\n")
    (folder / "test_nothing.py").write_text("def test_nothing():\n    assert 1 + 1 == 2\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTEST_ADDOPTS")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_plugin_is_registered_from_the_entry_point(tmp_path):
    result = _pytest_in(tmp_path, "", "--help")

    assert result.returncode == 0, result.stderr
    assert "--local-cloud-assembly=DIR" in result.stdout
    assert "local_cloud_app (string)" in result.stdout


def test_tests_that_do_not_use_the_local_cloud_run_without_any_setting(tmp_path):
    result = _pytest_in(tmp_path, "")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_assembly_and_app_together_are_refused_at_start_up(tmp_path):
    (tmp_path / "cdk.out").mkdir()
    (tmp_path / "cdk.out" / "manifest.json").write_text("{}")

    result = _pytest_in(tmp_path, "local_cloud_assembly = cdk.out\nlocal_cloud_app = python app.py")

    assert result.returncode == USAGE_ERROR
    assert "LocalCloudConfigError: set one of local_cloud_assembly and local_cloud_app" in result.stderr
    assert "Received: [cdk.out] and [python app.py]" in result.stderr


def test_assembly_folder_without_a_manifest_is_refused_with_its_path(tmp_path):
    (tmp_path / "cdk.out").mkdir()

    result = _pytest_in(tmp_path, "local_cloud_assembly = cdk.out")

    assert result.returncode == USAGE_ERROR
    assert "local_cloud_assembly must be a synthesized cloud assembly" in result.stderr
    assert "Received: [cdk.out]" in result.stderr


def test_command_line_assembly_overrides_the_ini_and_is_checked_too(tmp_path):
    (tmp_path / "cdk.out").mkdir()
    (tmp_path / "cdk.out" / "manifest.json").write_text("{}")

    result = _pytest_in(tmp_path, "local_cloud_assembly = cdk.out", "--local-cloud-assembly=elsewhere")

    assert result.returncode == USAGE_ERROR
    assert "Received: [elsewhere]" in result.stderr


def test_app_with_a_cdk_command_not_on_path_is_refused(tmp_path):
    result = _pytest_in(tmp_path, "local_cloud_app = python app.py\nlocal_cloud_cdk = no-such-cdk-cli synth")

    assert result.returncode == USAGE_ERROR
    assert "local_cloud_cdk must be a command on PATH. Received: [no-such-cdk-cli synth]" in result.stderr


def test_using_the_local_cloud_without_an_app_names_both_options(tmp_path):
    (tmp_path / "test_cloud.py").write_text("def test_cloud(local_cloud_assembly):\n    pass\n")

    result = _pytest_in(tmp_path, "", "test_cloud.py")

    assert result.returncode == pytest.ExitCode.TESTS_FAILED
    assert "LocalCloudConfigError" in result.stdout
    assert "set the ini option local_cloud_assembly (a cdk.out folder) or local_cloud_app" in result.stdout
