"""Reading a process tree's resident memory from /proc."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from workflow_tools.bench.procfs import (
    PeakTreeRss,
    ProcStat,
    parse_stat,
    read_stats,
    tree_members,
    tree_rss_bytes,
)

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")


def _stat_line(pid: int, comm: str, ppid: int, rss_pages: int) -> str:
    # Fields 3..24 of proc(5): state, ppid, 17 fields we do not read, then rss.
    middle = " ".join(["0"] * 19)
    return f"{pid} ({comm}) S {ppid} {middle} {rss_pages} 18446744073709551615 1 1\n"


def _fake_proc(tmp_path: Path, processes: list[tuple[int, str, int, int]]) -> Path:
    for pid, comm, ppid, rss in processes:
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(_stat_line(pid, comm, ppid, rss))
    (tmp_path / "self").mkdir()  # non-numeric entries are not processes
    (tmp_path / "meminfo").write_text("MemTotal: 1 kB\n")
    return tmp_path


def test_parse_stat_counts_fields_from_the_last_parenthesis():
    # GIVEN a command name with spaces and a closing parenthesis in it
    line = _stat_line(42, "node (jsii) kernel", 7, 1234)
    # THEN pid, parent and resident pages are read correctly
    assert parse_stat(line) == ProcStat(pid=42, ppid=7, rss_pages=1234)


def test_parse_stat_rejects_what_is_not_a_stat_line():
    with pytest.raises(ValueError, match=r"^not a /proc/<pid>/stat line. Received: \[hello\]$"):
        parse_stat("hello")


def test_tree_rss_sums_the_root_and_all_descendants_only(tmp_path):
    # GIVEN npx -> cdk (node) -> python app.py -> jsii (node), and an unrelated process
    proc = _fake_proc(
        tmp_path,
        [
            (100, "npm exec cdk", 1, 10),
            (101, "node", 100, 20),
            (102, "python", 101, 30),
            (103, "node", 102, 40),
            (200, "someone else", 1, 1000),
        ],
    )
    # WHEN the tree under npx is measured
    stats = read_stats(proc)
    # THEN it holds the four synth processes and sums their pages
    assert tree_members(stats, 100) == {100, 101, 102, 103}
    assert tree_rss_bytes(100, proc, page_size=4096) == (10 + 20 + 30 + 40) * 4096
    assert tree_rss_bytes(102, proc, page_size=4096) == (30 + 40) * 4096


def test_a_finished_root_has_no_memory(tmp_path):
    proc = _fake_proc(tmp_path, [(100, "other", 1, 10)])
    assert tree_rss_bytes(999, proc) == 0


def test_sampler_sees_the_memory_a_child_process_holds():
    # GIVEN a child (of a child) that holds 64 MiB until told to stop
    holder = "import sys; block = bytearray(64 * 1024 * 1024); print('ready', flush=True); sys.stdin.read()"
    outer = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {holder!r}])"
    process = subprocess.Popen(
        [sys.executable, "-c", outer], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        with PeakTreeRss(process.pid, interval_seconds=0.005) as memory:
            # WHEN the grandchild has allocated
            assert process.stdout.readline().strip() == "ready"
            held = tree_rss_bytes(process.pid)
            # let the sampler take two more samples (one started after the allocation) before release
            seen, deadline = memory.samples, time.monotonic() + 30
            while memory.samples < seen + 2 and time.monotonic() < deadline:
                time.sleep(0.005)
            process.stdin.close()
            process.wait(timeout=30)
    finally:
        process.kill()
    # THEN the tree's resident memory includes the grandchild's 64 MiB, and so does the peak
    assert held >= 64 * 1024 * 1024
    assert memory.peak_bytes >= 64 * 1024 * 1024
    assert memory.samples >= 1
