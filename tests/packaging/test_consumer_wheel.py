"""The construct library as another team gets it: a wheel in a fresh venv, used outside this repo."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from tests.packaging.venv import REPO_ROOT, fresh_venv, run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    run(shutil.which("uv") or "uv", "build", "--wheel", "--out-dir", dist, REPO_ROOT / "constructs")
    (built,) = dist.glob("workflow_constructs-*.whl")
    return built


def test_wheel_carries_the_handler_code_and_type_marker(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "workflow_constructs/py.typed" in names
    assert "workflow_constructs/_lambdas/shared/observability.py" in names
    handler_sources = {
        f"workflow_constructs/_lambdas/{path.relative_to(REPO_ROOT / 'lambdas').as_posix()}"
        for path in (REPO_ROOT / "lambdas").rglob("*.py")
        if "__pycache__" not in path.parts
    }
    assert handler_sources - names == set()
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_consumer_outside_the_repo_synthesizes_with_the_installed_wheel(wheel, tmp_path):
    # GIVEN a fresh virtual environment outside the repository, with the wheel installed and the
    # same dependency versions as this repo's lock (so the install comes from uv's cache)
    venv = fresh_venv(tmp_path, wheel)
    python = venv / "bin" / "python"
    consumer = tmp_path / "consumer"
    consumer.mkdir()
    shutil.copy(Path(__file__).with_name("consumer_app.py"), consumer / "app.py")

    # WHEN the consumer's app is synthesized there
    outdir = consumer / "cdk.out"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = run(python, "app.py", outdir, cwd=consumer, env=env)

    # THEN the library came from the wheel, and the Lambda asset holds the packaged handler code
    library = Path(json.loads(result.stdout.strip().splitlines()[-1])["library"])
    assert venv in library.parents
    template = json.loads((outdir / "Consumer.template.json").read_text())
    functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    asset_key = functions[0]["Properties"]["Code"]["S3Key"]
    asset_dir = outdir / f"asset.{asset_key.removesuffix('.zip')}"
    assert (asset_dir / "shared" / "observability.py").is_file()
    # Every workflow construct's handlers travel too.
    handlers = {f["Properties"]["Handler"] for f in functions}
    for handler in handlers:
        module = handler.rsplit(".", 1)[0]
        assert (asset_dir / f"{module.replace('.', '/')}.py").is_file(), handler
    assert "onboarding.handler.validate_request" in handlers
    assert "user_provisioning.handler.validate_request" in handlers
