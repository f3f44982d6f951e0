"""The asset of a ``PythonFunction``: the caller's entry folder with the task library beside it.

Built by CDK local bundling (plain file copies at synth, no Docker); ``lambda_code`` says why the
library is bundled rather than shipped as a layer. With ``packages`` only those top-level packages
of the entry are copied, so one app can give each of its workflows an asset of its own handlers.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
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
    packages_problem,
    runtime_package_dir,
)

_COPY_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")  # ASSET_EXCLUDES, by file name


@jsii.implements(ILocalBundling)
class _EntryWithRuntime:
    """Copies the entry folder (or its ``packages``), then the task library beside it, into the bundle.

    CDK calls it.
    """

    def __init__(self, entry: Path, library: Path | None, packages: tuple[str, ...] | None) -> None:
        self.entry = entry
        self.library = library
        self.packages = packages

    # jsii hands the bundling options over positionally or by keyword; neither is needed here.
    def try_bundle(self, output_dir: str, *_options: Any, **_keywords: Any) -> bool:
        output = Path(output_dir)
        if self.packages is None:
            shutil.copytree(self.entry, output, ignore=_COPY_IGNORE, dirs_exist_ok=True)
        for package in self.packages or ():
            shutil.copytree(self.entry / package, output / package, ignore=_COPY_IGNORE, dirs_exist_ok=True)
        if self.library is not None:
            shutil.copytree(self.library, output / RUNTIME_PACKAGE, ignore=_COPY_IGNORE, dirs_exist_ok=True)
        return True


def function_code(
    entry: Path,
    *,
    runtime: lambda_.Runtime,
    include_runtime: bool = True,
    packages: Sequence[str] | None = None,
) -> lambda_.Code:
    """The asset of ``entry`` with ``workflow_runtime`` at its root (unless ``include_runtime`` is False).

    ``packages``: only these top-level packages of ``entry`` go into the asset (each keeps its
    name, so ``billing.handler`` stays importable). Default: the whole folder.

    The asset hash is the hash of the bundled files, so it changes exactly when the shipped code
    does: a change to a package of ``entry`` that is not shipped leaves it alone. Caches and
    dotfiles are never copied (``ASSET_EXCLUDES``).
    """
    problem = entry_problem(entry, include_runtime=include_runtime)
    if problem is not None:
        raise InvalidPropsError("entry", problem, entry)
    if packages is not None:
        problem = packages_problem(entry, packages)
        if problem is not None:
            raise InvalidPropsError("packages", problem, packages)
    entry = entry.resolve()
    library = runtime_package_dir() if include_runtime else None
    chosen = None if packages is None else tuple(packages)
    return lambda_.Code.from_asset(
        str(entry),
        exclude=list(ASSET_EXCLUDES),
        asset_hash_type=AssetHashType.OUTPUT,
        bundling=BundlingOptions(
            # Never pulled: local bundling always succeeds, and CDK only needs an image to be named.
            image=runtime.bundling_image,
            # CDK keys its in-process cache of staged assets by source folder and bundling options,
            # blind to the local bundler's own state: naming the selection here keeps two functions
            # of one entry that ship different packages (or one without the runtime) from sharing
            # whichever asset was staged first. The hash stays that of the bundled files alone.
            environment=_selection(chosen, include_runtime=include_runtime),
            local=_EntryWithRuntime(entry, library, chosen),
        ),
    )


def _selection(packages: tuple[str, ...] | None, *, include_runtime: bool) -> dict[str, str]:
    """What the bundler copies, as bundling environment: the whole entry (``*``) or its packages."""
    return {
        "WORKFLOW_BUNDLE_PACKAGES": "*" if packages is None else ",".join(packages),
        "WORKFLOW_BUNDLE_RUNTIME": RUNTIME_PACKAGE if include_runtime else "",
    }
