"""How a ``PythonFunction``'s code is packaged: the caller's entry folder plus the task library.

The asset of a function is the caller's ``entry`` folder with the ``workflow_runtime`` package (the
Lambda-side task library, distribution ``workflow-runtime``) copied in beside it, by CDK local bundling:
plain file copies at synth, no Docker. In Lambda and on the local cloud the handler then imports
``workflow_runtime`` from the asset root, as its unit tests import it from the installed package.

Why bundled and not a layer: the library is ~20 kB of pure Python, so a copy per asset costs nothing;
the asset hash then names exactly the code a function runs (a layer would be a second versioned
resource to deploy and keep in step with the handlers); and the local cloud runs an asset as it is.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

ASSET_EXCLUDES = ("__pycache__", "**/__pycache__", "*.pyc", "**/*.pyc", ".*", "**/.*")
"""Never part of a Lambda asset: they differ between machines and would change the asset hash."""

RUNTIME_PACKAGE = "workflow_runtime"
"""The import name of the task library every asset carries at its root."""


def runtime_package_dir() -> Path:
    """The folder of the installed ``workflow_runtime`` package (found without importing it)."""
    spec = importlib.util.find_spec(RUNTIME_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            f"[{RUNTIME_PACKAGE}] is not installed; PythonFunction ships it with every function "
            "(pip install workflow-runtime)"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def entry_problem(entry: Path, *, include_runtime: bool) -> str | None:
    """Why ``entry`` cannot be a function's code folder, or None."""
    if not entry.is_dir():
        return "must be a folder holding the handler code"
    if include_runtime and (entry / RUNTIME_PACKAGE).exists():
        return (
            f"must not hold its own [{RUNTIME_PACKAGE}]: PythonFunction ships the installed one "
            "(or pass include_runtime=False)"
        )
    return None


def packages_problem(entry: Path, packages: Sequence[str]) -> str | None:
    """Why ``packages`` cannot be the top-level packages of ``entry`` that an asset ships, or None."""
    if isinstance(packages, str) or not packages:
        return "must name at least one package of the entry, as a list (or be left out: the whole entry)"
    if len(set(packages)) != len(packages):
        return "must name each package once"
    for package in packages:
        if not isinstance(package, str) or not package.isidentifier():
            return f"must be top-level package names (identifiers); [{package}] is not one"
        if package == RUNTIME_PACKAGE:
            return f"must not name [{RUNTIME_PACKAGE}]: PythonFunction ships the installed one"
        if not (entry / package / "__init__.py").is_file():
            return f"must be packages of the entry: [{package}] has no {package}/__init__.py in [{entry}]"
    return None


def handler_module_problem(
    entry: Path, handler: str, *, with_runtime: bool, packages: Sequence[str] | None = None
) -> str | None:
    """Why ``handler`` ("module.function") cannot be found in the asset built from ``entry``, or None.

    With ``packages`` the asset holds only those packages of ``entry``, so the module must be in one.
    """
    module = handler.rsplit(".", 1)[0]
    if with_runtime and (module == RUNTIME_PACKAGE or module.startswith(f"{RUNTIME_PACKAGE}.")):
        return None
    if packages is not None and module.split(".")[0] not in packages:
        return f"names module [{module}], which is not in the packages {list(packages)} the asset ships"
    relative = Path(*module.split("."))
    if (entry / relative.with_suffix(".py")).is_file() or (entry / relative / "__init__.py").is_file():
        return None
    return f"names module [{module}], which is not in entry [{entry}]"
