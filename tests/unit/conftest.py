"""Fixtures for the tooling tests: small cloud assemblies written on the fly."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

WriteAssembly = Callable[..., Path]


@pytest.fixture
def write_assembly(tmp_path: Path) -> WriteAssembly:
    """Write a cloud assembly of ``stacks`` (name -> template) into a fresh directory; returns it."""
    count = 0

    def write(stacks: Mapping[str, Mapping[str, Any]], *, name: str | None = None) -> Path:
        nonlocal count
        count += 1
        directory = tmp_path / (name or f"assembly-{count}")
        directory.mkdir()
        artifacts = {}
        for stack, template in stacks.items():
            (directory / f"{stack}.template.json").write_text(json.dumps(template))
            artifacts[stack] = {
                "type": "aws:cloudformation:stack",
                "properties": {"templateFile": f"{stack}.template.json"},
                "displayName": stack,
            }
        (directory / "manifest.json").write_text(json.dumps({"version": "55.0.0", "artifacts": artifacts}))
        return directory

    return write
