"""The example on the library's package page (constructs/README.md) is real: it synthesizes as written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from workflow_constructs.definition import state_machines

REPO_ROOT = Path(__file__).resolve().parents[2]
README = REPO_ROOT / "constructs" / "README.md"


def readme_example(text: str) -> str:
    """The first ``python`` code block of the README."""
    return text.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_readme_example_synthesizes_a_workflow_with_its_two_retried_tasks(tmp_path):
    # GIVEN the README's example, run as a consumer would run it (its own process, its own cdk.out)
    env = {**os.environ, "CDK_OUTDIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", readme_example(README.read_text())],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=env,
    )
    # THEN it synthesizes (cdk-nag and the workflow guards included) ...
    assert result.returncode == 0, result.stderr
    template = json.loads((tmp_path / "Orders.template.json").read_text())
    (definition,) = state_machines(template).values()
    # ... into the two named states, in order, each with the throttling retry of its service
    assert definition["StartAt"] == "Record the order"
    assert definition["States"]["Record the order"]["Next"] == "Announce the order"
    for name in ("Record the order", "Announce the order"):
        assert definition["States"][name]["Retry"], name
