"""A fresh virtual environment outside the repository, the way another team installs our wheels."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def run(*command: str | Path, expect: int = 0, **kwargs) -> subprocess.CompletedProcess[str]:
    """Run ``command``, failing the test with its output unless it exits with ``expect``."""
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, check=False, **kwargs)
    assert result.returncode == expect, (
        f"{command[0]} exited {result.returncode}, expected {expect}:\n{result.stdout}\n{result.stderr}"
    )
    return result


def fresh_venv(where: Path, *wheels: Path, requirements: Sequence[str | Path] = ()) -> Path:
    """A venv in ``where`` with ``wheels`` installed, at the versions this repo's lock pins.

    ``requirements`` are more arguments of the same ``uv pip install`` (``-r pyproject.toml``,
    ``--extra test``), resolved together with the wheels. Pinned to the lock, the install comes from
    uv's cache rather than the index.
    """
    uv = shutil.which("uv") or "uv"
    constraints = where / "constraints.txt"
    run(
        uv,
        "export",
        "--frozen",
        "--no-hashes",
        "--no-emit-workspace",
        "--no-dev",
        "-o",
        constraints,
        cwd=REPO_ROOT,
    )
    venv = where / "venv"
    run(uv, "venv", "--python", sys.executable, venv)
    python = venv / "bin" / "python"
    run(uv, "pip", "install", "--python", python, "--constraint", constraints, *wheels, *requirements)
    return venv
