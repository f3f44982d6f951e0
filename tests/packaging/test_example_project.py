"""The example of another team (``examples/orders-team``) run where that team would run it: copied out of
this repo, installed with the three wheels into a fresh venv, its own pytest run there."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from tests.packaging.venv import REPO_ROOT, fresh_venv, run

pytestmark = pytest.mark.slow

EXAMPLE = REPO_ROOT / "examples" / "orders-team"
EXPECTED_TESTS = 24
"""How many tests the example holds: test_order_fulfilment.py 14, test_synth.py 6, test_orders.py 4."""
LIBRARIES = {
    "constructs": "workflow_constructs",
    "runtime": "workflow_runtime",
    "local-cloud": "workflow_local_cloud",
}


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The wheels of the construct library, the task library and the local cloud kit."""
    dist = tmp_path_factory.mktemp("dist")
    for project in LIBRARIES:
        run(shutil.which("uv") or "uv", "build", "--wheel", "--out-dir", dist, REPO_ROOT / project)
    built = sorted(dist.glob("*.whl"))
    assert len(built) == len(LIBRARIES), built
    return built


@pytest.fixture(scope="module")
def team(wheels: list[Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The team's folder outside the repo and the Python of its fresh venv (wheels + its pyproject)."""
    work = tmp_path_factory.mktemp("orders-team-env")
    folder = work / "orders-team"
    shutil.copytree(
        EXAMPLE, folder, ignore=shutil.ignore_patterns("cdk.out", "__pycache__", ".*_cache", ".venv")
    )
    venv = fresh_venv(work, *wheels, requirements=("-r", folder / "pyproject.toml", "--extra", "test"))
    return folder, venv / "bin" / "python"


def _environment(python: Path) -> dict[str, str]:
    """The team's shell: its venv first; nothing of this repo's venv, PYTHONPATH or pytest options."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTEST_ADDOPTS")}
    return {**env, "PATH": os.pathsep.join([str(python.parent), env.get("PATH", "")])}


def test_the_example_is_outside_the_repo_and_uses_the_installed_libraries(team: tuple[Path, Path]) -> None:
    folder, python = team
    assert REPO_ROOT not in folder.parents

    found = run(
        python,
        "-c",
        f"import importlib, json; print(json.dumps({{n: importlib.import_module(n).__file__ "
        f"for n in {sorted(LIBRARIES.values())!r}}}))",
        cwd=folder,
        env=_environment(python),
    )

    venv = python.parents[1]
    for name, path in json.loads(found.stdout).items():
        assert venv in Path(path).parents, f"{name} came from {path}, not the fresh venv"


def test_the_example_synthesizes_and_its_own_tests_pass_on_the_local_cloud(team: tuple[Path, Path]) -> None:
    # GIVEN the team's folder and venv, and its app synthesized the way its README says (no CDK CLI)
    folder, python = team
    run(python, "app.py", cwd=folder, env=_environment(python))
    assert (folder / "cdk.out" / "OrderFulfilment.template.json").is_file()

    # WHEN the team runs its own pytest there (the local cloud plugin comes from the installed wheel)
    result = run(
        python, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=folder, env=_environment(python), expect=0
    )

    # THEN every one of its tests ran and passed: nothing failed, errored or was skipped
    summary = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(rf"=* ?{EXPECTED_TESTS} passed in [0-9.]+s( \([0-9:]+\))? ?=*", summary), (
        result.stdout
    )
