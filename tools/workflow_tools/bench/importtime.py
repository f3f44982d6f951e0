"""What an import loads, read from ``python -X importtime``: the import tree and who pulled in what.

Used by the benchmark (import times) and by the test that keeps the light modules of
``workflow_constructs`` free of aws-cdk-lib: when that test fails, the chain shows which import
dragged the heavy module in.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

HEAVY_MODULES = ("aws_cdk", "jsii", "constructs", "cdk_nag")
"""Top-level packages that start a Node.js process or load megabytes of generated bindings."""

_LINE = re.compile(r"^import time:\s+(?P<self>\d+) \|\s+(?P<cumulative>\d+) \|(?P<indent> +)(?P<name>\S+)$")


@dataclass
class ImportNode:
    """One module import: its own and cumulative time in microseconds, and what it imported first."""

    name: str
    self_us: int
    cumulative_us: int
    children: list[ImportNode] = field(default_factory=list)


def parse_importtime(stderr: str) -> list[ImportNode]:
    """The import forest from ``-X importtime`` output (other lines are ignored).

    Python prints a module after the modules it imports, one more space of indent per level deeper.
    """
    pending: dict[int, list[ImportNode]] = {}
    for line in stderr.splitlines():
        match = _LINE.match(line)
        if not match:
            continue
        depth = (len(match["indent"]) - 1) // 2
        node = ImportNode(match["name"], int(match["self"]), int(match["cumulative"]))
        node.children = pending.pop(depth + 1, [])
        pending.setdefault(depth, []).append(node)
    return pending.get(0, [])


def walk(nodes: Sequence[ImportNode], path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every import as the chain of module names that led to it, outermost first."""
    for node in nodes:
        chain = (*path, node.name)
        yield chain
        yield from walk(node.children, chain)


def heavy_chains(nodes: Sequence[ImportNode], heavy: Sequence[str] = HEAVY_MODULES) -> list[tuple[str, ...]]:
    """The chains that reach a heavy top-level package (the first time each one is reached)."""
    found: dict[str, tuple[str, ...]] = {}
    for chain in walk(nodes):
        top = chain[-1].split(".", 1)[0]
        if top in heavy and top not in found:
            found[top] = chain
    return list(found.values())


@dataclass(frozen=True)
class ImportProbe:
    """What running one import statement in a fresh interpreter cost and loaded."""

    statement: str
    seconds: float
    """Wall time of the statement alone (interpreter start-up excluded)."""
    heavy_loaded: tuple[str, ...]
    """Heavy top-level packages (``HEAVY_MODULES``) in ``sys.modules`` afterwards."""
    forest: tuple[ImportNode, ...] = ()
    """The import tree, when probed with ``importtime=True``."""

    def heavy_chains(self) -> list[tuple[str, ...]]:
        """Which imports pulled each heavy package in (needs ``importtime=True``).

        Modules loaded through ``importlib.import_module`` (the library's lazy names) are not timed
        by ``-X importtime``, so their imports show up as chains of their own.
        """
        return heavy_chains(self.forest)


_PROBE = """
import json, sys, time
started = time.perf_counter()
{statement}
seconds = time.perf_counter() - started
heavy = sorted({{name.split(".", 1)[0] for name in sys.modules}} & set({heavy!r}))
print("IMPORT-PROBE " + json.dumps({{"seconds": seconds, "heavy": heavy}}))
"""


def probe_import(
    statement: str,
    *,
    python: str = sys.executable,
    importtime: bool = False,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
) -> ImportProbe:
    """Run ``statement`` in a fresh interpreter: how long it took and which heavy packages it loaded."""
    command = [python, *(["-X", "importtime"] if importtime else []), "-c"]
    script = _PROBE.format(statement=statement, heavy=HEAVY_MODULES)
    result = subprocess.run(  # noqa: S603 (our interpreter, our statement)
        [*command, script], capture_output=True, text=True, check=False, env=env, cwd=cwd
    )
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith("IMPORT-PROBE ")), None)
    if result.returncode != 0 or line is None:
        raise RuntimeError(f"python -c {statement!r} failed:\n{result.stderr[-2000:]}")
    report = json.loads(line.removeprefix("IMPORT-PROBE "))
    return ImportProbe(
        statement=statement,
        seconds=float(report["seconds"]),
        heavy_loaded=tuple(report["heavy"]),
        forest=tuple(parse_importtime(result.stderr)) if importtime else (),
    )
