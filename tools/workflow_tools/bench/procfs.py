"""Resident memory of a process tree, read from ``/proc`` (Linux; no psutil).

A synth is a tree of processes: ``npx`` → the CDK CLI (node) → ``python app.py`` → the jsii
kernel (node). What the machine must hold at once is the sum of their resident sets, so the
sampler sums the tree's RSS every few milliseconds and keeps the peak. ``ru_maxrss`` would only
give the largest single process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

PROC = Path("/proc")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
DEFAULT_INTERVAL_SECONDS = 0.02  # 50 samples a second: a synth lasts seconds, its peak far longer than 20 ms


@dataclass(frozen=True)
class ProcStat:
    """The fields of ``/proc/<pid>/stat`` this module needs."""

    pid: int
    ppid: int
    rss_pages: int


def parse_stat(text: str) -> ProcStat:
    """Parse one ``/proc/<pid>/stat`` line.

    The command name (field 2) is in parentheses and may itself contain spaces and ')', so the
    fields are counted from the *last* ')'.

    >>> parse_stat("42 (node (v22) x) S 7 42 42 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 11 0 9 99 1234 0")
    ProcStat(pid=42, ppid=7, rss_pages=1234)
    """
    head, _, tail = text.rpartition(")")
    if not head:
        raise ValueError(f"not a /proc/<pid>/stat line. Received: [{text[:80]}]")
    fields = tail.split()
    # tail starts at field 3 (state); ppid is field 4, rss field 24 (proc(5)).
    if len(fields) < 22:
        raise ValueError(f"/proc/<pid>/stat line has too few fields. Received: [{text[:80]}]")
    return ProcStat(pid=int(head.split("(", 1)[0]), ppid=int(fields[1]), rss_pages=int(fields[21]))


def read_stats(proc: Path = PROC) -> dict[int, ProcStat]:
    """Every process's stat, by pid. Processes that exit while being read are left out."""
    stats: dict[int, ProcStat] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stats[int(entry.name)] = parse_stat((entry / "stat").read_text())
        except (FileNotFoundError, ProcessLookupError, PermissionError, ValueError):
            continue  # exited (or unreadable) between listing and reading
    return stats


def tree_members(stats: Mapping[int, ProcStat], root: int) -> set[int]:
    """``root`` and all its descendants that are in ``stats``."""
    children: dict[int, list[int]] = {}
    for stat in stats.values():
        children.setdefault(stat.ppid, []).append(stat.pid)
    members: set[int] = set()
    pending = [root] if root in stats else []
    while pending:
        pid = pending.pop()
        if pid not in members:
            members.add(pid)
            pending.extend(children.get(pid, ()))
    return members


def tree_rss_bytes(root: int, proc: Path = PROC, page_size: int = PAGE_SIZE) -> int:
    """Resident memory, in bytes, of ``root`` and its descendants right now (0 once it is gone)."""
    stats = read_stats(proc)
    return sum(stats[pid].rss_pages for pid in tree_members(stats, root)) * page_size


def peak(samples: Iterable[int]) -> int:
    """The largest sample (0 for none)."""
    return max(samples, default=0)


class PeakTreeRss:
    """Samples a process tree's RSS on a background thread while the tree runs; ``peak_bytes`` after.

    Example::

        with PeakTreeRss(process.pid) as memory:
            process.wait()
        print(memory.peak_bytes)
    """

    def __init__(
        self, root: int, *, interval_seconds: float = DEFAULT_INTERVAL_SECONDS, proc: Path = PROC
    ) -> None:
        self.root = root
        self.interval_seconds = interval_seconds
        self.proc = proc
        self.peak_bytes = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"rss-{root}", daemon=True)

    def _run(self) -> None:
        while True:
            self.peak_bytes = max(self.peak_bytes, tree_rss_bytes(self.root, self.proc))
            self.samples += 1
            if self._stop.wait(self.interval_seconds):
                return

    def __enter__(self) -> PeakTreeRss:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
