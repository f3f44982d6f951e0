"""What another team installs with ``workflow-constructs``: its file list and size, kept in its README.

The wheel holds the common library only; this app's business workflows are the ``business_workflows``
package of the app's own distribution. The list of library files in ``constructs/README.md`` is
compared with the built wheel's, so the package page cannot drift from what ``pip install`` gives.
No handler of this app travels in it either (``lambdas/`` belongs to ``business-workflows``): a
``workflow_constructs/_lambdas`` entry, as the wheel once force-included, fails the test.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
README = REPO_ROOT / "constructs" / "README.md"
LIST_START = "<!-- wheel-files:start -->"
LIST_END = "<!-- wheel-files:end -->"
SIZE_LINE = re.compile(r"^(\d+) library files, (\d+) KiB uncompressed$")
SIZE_TOLERANCE = 0.10  # the README's KiB figure may lag small edits of a module by this much
BUSINESS_MODULE = re.compile(r"(^|/)(business_workflows|workflows)(/|\.py$)")
pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class WheelContents:
    path: Path
    library: dict[str, int]  # file -> uncompressed bytes, outside _lambdas and dist-info
    handlers: dict[str, int]  # workflow_constructs/_lambdas/... if still force-included
    metadata: dict[str, int]  # *.dist-info/...


def _read(wheel: Path) -> WheelContents:
    library: dict[str, int] = {}
    handlers: dict[str, int] = {}
    metadata: dict[str, int] = {}
    for info in zipfile.ZipFile(wheel).infolist():
        if ".dist-info/" in info.filename:
            metadata[info.filename] = info.file_size
        elif info.filename.startswith("workflow_constructs/_lambdas/"):
            handlers[info.filename] = info.file_size
        else:
            library[info.filename] = info.file_size
    return WheelContents(path=wheel, library=library, handlers=handlers, metadata=metadata)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> WheelContents:
    dist = tmp_path_factory.mktemp("dist")
    uv = shutil.which("uv") or "uv"
    result = subprocess.run(
        [uv, "build", "--wheel", "--out-dir", str(dist), str(REPO_ROOT / "constructs")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"uv build failed:\n{result.stdout}\n{result.stderr}"
    (built,) = dist.glob("workflow_constructs-*.whl")
    return _read(built)


def readme_listing(text: str) -> tuple[list[str], tuple[int, int]]:
    """The file list and the ``<n> library files, <k> KiB uncompressed`` line between the markers."""
    if LIST_START not in text or LIST_END not in text:
        raise ValueError(f"README has no [{LIST_START}] ... [{LIST_END}] block")
    block = text.split(LIST_START, 1)[1].split(LIST_END, 1)[0]
    lines = [line.strip() for line in block.splitlines() if line.strip() and not line.startswith("```")]
    size = [m for m in map(SIZE_LINE.match, lines) if m]
    if len(size) != 1:
        raise ValueError(
            f"README block needs one line like [20 library files, 180 KiB uncompressed]: {lines}"
        )
    files = [line for line in lines if not SIZE_LINE.match(line)]
    return files, (int(size[0][1]), int(size[0][2]))


def test_wheel_holds_no_business_workflow_module_and_no_handler(wheel):
    # WHEN the wheel's file list and size are printed (the -s output is what the README shows)
    library_bytes = sum(wheel.library.values())
    print(f"\n{wheel.path.name}: {wheel.path.stat().st_size} bytes compressed")
    for name, size in sorted(wheel.library.items()):
        print(f"  {name}  {size}")
    print(f"  {len(wheel.library)} library files, {round(library_bytes / 1024)} KiB uncompressed")
    if wheel.handlers:
        print(f"  + {len(wheel.handlers)} handler files in workflow_constructs/_lambdas/:")
        for name in sorted(wheel.handlers):
            print(f"    {name}")
    # THEN the library is there, typed, and no business workflow module came with it
    assert "workflow_constructs/workflow.py" in wheel.library
    assert "workflow_constructs/py.typed" in wheel.library
    everything = [*wheel.library, *wheel.handlers]
    assert [name for name in everything if BUSINESS_MODULE.search(name)] == []
    # and no handler of this app
    assert wheel.handlers == {}


def test_readme_lists_exactly_the_wheels_library_files_and_their_size(wheel):
    # GIVEN the listing in constructs/README.md
    files, (count, kib) = readme_listing(README.read_text())
    # THEN it names the wheel's library files, no more, no fewer
    assert sorted(files) == sorted(wheel.library)
    assert count == len(wheel.library)
    # AND its size is the wheel's, to within the tolerance
    actual_kib = sum(wheel.library.values()) / 1024
    assert abs(kib - actual_kib) <= actual_kib * SIZE_TOLERANCE, (kib, round(actual_kib))


def test_a_readme_without_the_listing_is_refused():
    with pytest.raises(ValueError, match=r"has no \[<!-- wheel-files:start -->\]"):
        readme_listing("# workflow-constructs\n")


def test_the_business_module_pattern_does_catch_a_workflow_module():
    # GIVEN the names the old wheel carried (so the first test above cannot pass vacuously)
    assert BUSINESS_MODULE.search("workflow_constructs/workflows/billing.py")
    assert BUSINESS_MODULE.search("business_workflows/onboarding.py")
    assert not BUSINESS_MODULE.search("workflow_constructs/workflow.py")
