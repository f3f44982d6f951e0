"""workflow-review as another team's CI gets it: a wheel in a fresh venv, run outside this repo."""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import pytest

from tests.packaging.venv import REPO_ROOT, fresh_venv, run

ASSEMBLIES = REPO_ROOT / "tests" / "fixtures" / "assemblies"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> dict[str, Path]:
    """The wheels of workflow-review, of the construct library it reads definitions with, and of the
    task library that one depends on."""
    dist = tmp_path_factory.mktemp("dist")
    uv = shutil.which("uv") or "uv"
    run(uv, "build", "--wheel", "--out-dir", dist, REPO_ROOT / "review")
    run(uv, "build", "--wheel", "--out-dir", dist, REPO_ROOT / "constructs")
    run(uv, "build", "--wheel", "--out-dir", dist, REPO_ROOT / "runtime")
    (review,) = dist.glob("workflow_review-*.whl")
    (constructs,) = dist.glob("workflow_constructs-*.whl")
    (runtime,) = dist.glob("workflow_runtime-*.whl")
    return {"review": review, "constructs": constructs, "runtime": runtime}


@pytest.fixture(scope="module")
def installed(wheels, tmp_path_factory) -> Path:
    """A fresh venv outside the repository with the three wheels, at this repo's locked versions."""
    return fresh_venv(tmp_path_factory.mktemp("consumer"), *wheels.values())


@pytest.fixture
def consumer(tmp_path) -> Path:
    """Another team's CI workspace: two synthesized assemblies (copies of the fixtures), no repo."""
    shutil.copytree(ASSEMBLIES / "base", tmp_path / "base.out")
    shutil.copytree(ASSEMBLIES / "retry-change", tmp_path / "head.out")
    return tmp_path


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


def test_wheel_carries_the_type_marker_and_the_console_script(wheels):
    archive = zipfile.ZipFile(wheels["review"])
    names = set(archive.namelist())
    assert "workflow_review/py.typed" in names
    assert "workflow_review/diff/render.py" in names
    assert "workflow_review/diagrams/pages.py" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc") or n.startswith("tests/")]
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    assert "workflow-review = workflow_review.cli:run" in archive.read(entry_points).decode()


def test_the_diff_of_two_assemblies_outside_the_repo(installed, consumer):
    # GIVEN the installed command and two assemblies in a folder that is not this repository
    command = installed / "bin" / "workflow-review"
    # WHEN the markdown diff of base and head is written
    result = run(
        command,
        "diff",
        "base.out",
        "head.out",
        "--format",
        "markdown",
        "--output",
        "diff.md",
        expect=1,  # 1: there are changes
        cwd=consumer,
        env=_env(),
    )
    # THEN the retry change is reported state by state, under the comment marker
    assert result.stdout == ""
    markdown = (consumer / "diff.md").read_text()
    assert markdown.startswith("<!-- workflow-tools:diff -->\n## Synthesized diff\n")
    assert "- ✏️ **Charge the customer** (Task) modified" in markdown
    assert "| `Retry[Lambda.ServiceException +5].MaxAttempts` | `3` | `6` |" in markdown
    # ...and an assembly compared with itself is no change
    same = run(command, "diff", "base.out", "base.out", cwd=consumer, env=_env())
    assert "No changes" in same.stdout


def test_the_diagrams_of_an_assembly_outside_the_repo(installed, consumer):
    command = installed / "bin" / "workflow-review"
    # GIVEN no diagram pages yet: the check fails and names the missing page
    stale = run(
        command, "diagrams", "head.out", "--out", "docs", "--check", expect=1, cwd=consumer, env=_env()
    )
    assert f"{Path('docs') / 'billing.md'} is missing" in stale.stderr
    # WHEN written
    run(command, "diagrams", "head.out", "--out", "docs", cwd=consumer, env=_env())
    # THEN there is one Mermaid page for the one state machine, and the check passes
    assert sorted(path.name for path in (consumer / "docs").iterdir()) == ["billing.md"]
    page = (consumer / "docs" / "billing.md").read_text()
    assert "# Workflow `billing`" in page
    assert "```mermaid\nflowchart TD\n" in page
    assert "| Charge the customer | Task | up to 6 retries on Lambda.ServiceException," in page
    checked = run(command, "diagrams", "head.out", "--out", "docs", "--check", cwd=consumer, env=_env())
    assert checked.stdout == "1 workflow diagram(s) up to date.\n"


def test_a_missing_assembly_is_a_clear_error_with_exit_status_2(installed, consumer):
    result = run(
        installed / "bin" / "workflow-review",
        "diff",
        "base.out",
        "nowhere",
        expect=2,
        cwd=consumer,
        env=_env(),
    )
    assert result.stderr.startswith("error: no cloud assembly at [nowhere]")
