"""Fixtures shared by every test depth. The app is synthesized once per session."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def cdk_json_context() -> dict[str, Any]:
    """The context (feature flags) the CDK CLI would pass the app from cdk.json."""
    return dict(json.loads((REPO_ROOT / "cdk.json").read_text())["context"])


@dataclass(frozen=True)
class SynthesizedApp:
    """The whole app, synthesized once: templates by stack name, and where the assembly lives."""

    outdir: Path
    templates: Mapping[str, dict[str, Any]]

    def template(self, stack_name: str) -> dict[str, Any]:
        return self.templates[stack_name]


@pytest.fixture(scope="session")
def synthesized_app(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedApp:
    from app import build_app

    outdir = tmp_path_factory.mktemp("cdk.out")
    assembly = build_app(outdir=str(outdir), context=cdk_json_context()).synth()
    templates = {stack.stack_name: stack.template for stack in assembly.stacks}
    return SynthesizedApp(outdir=outdir, templates=templates)


@pytest.fixture(scope="session")
def cdk_context() -> dict[str, Any]:
    """cdk.json's context, for tests that build the app with extra context keys."""
    return cdk_json_context()
