"""Run one command the way a developer would, and measure it: wall time and memory of its tree."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from workflow_tools.bench.procfs import PeakTreeRss

DEFAULT_TIMEOUT_SECONDS = 15 * 60  # `make test` on a busy 2-core machine stays well under this


class BenchError(RuntimeError):
    """A measured command failed or timed out: the measurement is missing, not slow."""


@dataclass(frozen=True)
class Run:
    """One measured run of a command."""

    seconds: float
    peak_tree_rss_bytes: int
    """Largest sum of the resident sets of the process and its descendants, sampled."""
    max_rss_bytes: int
    """``ru_maxrss`` of the command: its largest single process (waited-for descendants included)."""
    log: Path


def run_measured(
    command: Sequence[str],
    *,
    cwd: Path,
    log: Path,
    env: Mapping[str, str] | None = None,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
) -> Run:
    """Run ``command`` to completion, output to ``log``; raise BenchError unless it exits 0.

    The command gets its own session, so on timeout its whole tree is stopped (and nothing else).
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as output:
        started = time.perf_counter()
        process = subprocess.Popen(  # noqa: S603 (commands are the benchmark's own)
            list(command),
            cwd=cwd,
            env=None if env is None else dict(env),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        timed_out = threading.Event()

        def stop_on_timeout() -> None:
            timed_out.set()
            with contextlib.suppress(ProcessLookupError):  # finished just as the timer fired
                os.killpg(process.pid, signal.SIGKILL)

        timer = threading.Timer(timeout_seconds, stop_on_timeout)
        timer.start()
        try:
            with PeakTreeRss(process.pid) as memory:
                # wait4 instead of Popen.wait: it also returns the child's resource usage.
                _, status, usage = os.wait4(process.pid, 0)
            seconds = time.perf_counter() - started
        finally:
            timer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
    if timed_out.is_set():
        raise BenchError(f"{' '.join(command)} timed out after {timeout_seconds:g} s (log: {log})")
    if process.returncode != 0:
        raise BenchError(f"{' '.join(command)} exited {process.returncode} (log: {log}):\n{_tail(log)}")
    return Run(
        seconds=seconds,
        peak_tree_rss_bytes=memory.peak_bytes,
        max_rss_bytes=usage.ru_maxrss * 1024,  # Linux reports kilobytes
        log=log,
    )


def _tail(path: Path, lines: int = 20) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
