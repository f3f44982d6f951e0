"""The asset of a ``PythonFunction``: the caller's entry folder with the task library beside it.

Built by CDK local bundling (plain file copies at synth, no Docker); ``lambda_code`` says why the
library is bundled rather than shipped as a layer.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from workflow_constructs.errors import InvalidPropsError
from workflow_constructs.lambda_code import (
    ASSET_EXCLUDES,
    RUNTIME_PACKAGE,
    entry_problem,
    runtime_package_dir,
)

_COPY_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")  # ASSET_EXCLUDES, by file name


@jsii.implements(ILocalBundling)
class _EntryWithRuntime:
    """Copies the entry folder, then the task library beside it, into the bundle (CDK calls it)."""

    def __init__(self, entry: Path, library: Path | None) -> None:
        self.entry = entry
        self.library = library

    # jsii hands the bundling options over positionally or by keyword; neither is needed here.
    def try_bundle(self, output_dir: str, *_options: Any, **_keywords: Any) -> bool:
        output = Path(output_dir)
        shutil.copytree(self.entry, output, ignore=_COPY_IGNORE, dirs_exist_ok=True)
        if self.library is not None:
            shutil.copytree(self.library, output / RUNTIME_PACKAGE, ignore=_COPY_IGNORE, dirs_exist_ok=True)
        return True


def function_code(entry: Path, *, runtime: lambda_.Runtime, include_runtime: bool = True) -> lambda_.Code:
    """The asset of ``entry`` with ``workflow_runtime`` at its root (unless ``include_runtime`` is False).

    The asset hash is the hash of the bundled files, so it changes exactly when the entry's code or
    the task library's code does; caches and dotfiles are never copied (``ASSET_EXCLUDES``).
    """
    problem = entry_problem(entry, include_runtime=include_runtime)
    if problem is not None:
        raise InvalidPropsError("entry", problem, entry)
    entry = entry.resolve()
    library = runtime_package_dir() if include_runtime else None
    return lambda_.Code.from_asset(
        str(entry),
        exclude=list(ASSET_EXCLUDES),
        asset_hash_type=AssetHashType.OUTPUT,
        bundling=BundlingOptions(
            # Never pulled: local bundling always succeeds, and CDK only needs an image to be named.
            image=runtime.bundling_image,
            local=_EntryWithRuntime(entry, library),
        ),
    )
