"""Running measured commands: failures and timeouts are errors, and rounds interleave."""

from __future__ import annotations

import sys

import pytest
from workflow_tools.bench.runner import BenchError, run_measured
from workflow_tools.bench.suite import interleaved


def test_a_successful_command_reports_time_memory_and_keeps_its_output(tmp_path):
    log = tmp_path / "logs" / "ok.log"
    run = run_measured([sys.executable, "-c", "print('synthesized')"], cwd=tmp_path, log=log)
    assert run.seconds > 0
    assert run.max_rss_bytes > 0
    assert log.read_text() == "synthesized\n"


def test_a_failing_command_is_an_error_that_shows_the_end_of_its_output(tmp_path):
    command = [sys.executable, "-c", "import sys; print('ValidationFailed: AwsSolutions-IAM5'); sys.exit(3)"]
    expected = r"exited 3 \(log: .*fail.log\):\nValidationFailed: AwsSolutions-IAM5$"
    with pytest.raises(BenchError, match=expected):
        run_measured(command, cwd=tmp_path, log=tmp_path / "fail.log")


def test_a_command_past_its_timeout_is_stopped_with_its_children(tmp_path):
    # GIVEN a command whose child would sleep for a minute
    command = [sys.executable, "-c", "import subprocess; subprocess.run(['sleep', '60'])"]
    # THEN it is stopped at the timeout, and reported as an error
    with pytest.raises(BenchError, match=r"timed out after 0.5 s"):
        run_measured(command, cwd=tmp_path, log=tmp_path / "slow.log", timeout_seconds=0.5)


def test_interleaved_runs_round_robin_and_drops_the_warmup_rounds():
    calls: list[tuple[str, int]] = []

    def command(name):
        def run(round_number):
            calls.append((name, round_number))
            return f"{name}{round_number}"

        return run

    # WHEN two commands are measured twice after one warm-up round
    measured = interleaved({"baseline": command("baseline"), "full": command("full")}, runs=2, warmup=1)
    # THEN they alternate, and the warm-up round is not in the results
    assert calls == [("baseline", 0), ("full", 0), ("baseline", 1), ("full", 1), ("baseline", 2), ("full", 2)]
    assert measured == {"baseline": ["baseline1", "baseline2"], "full": ["full1", "full2"]}
