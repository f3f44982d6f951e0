"""Functional tests of starting and stopping the local cloud: the command, the health check, a busy port."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
from workflow_local_cloud import PortInUseError, start
from workflow_local_cloud.process import health


@pytest.fixture
def busy_port():
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        yield blocker.getsockname()[1]


def test_a_started_local_cloud_answers_its_health_check_and_stops_cleanly(tmp_path):
    # GIVEN a local cloud started on any free port
    cloud = start(workdir=tmp_path)

    # WHEN its health is checked, then it is stopped
    answer = cloud.health()
    cloud.stop()

    # THEN it was up on that port with simulated time, and is gone after stopping
    assert answer["status"] == "ok"
    assert answer["port"] == cloud.port
    assert answer["simulatedTime"] is True
    assert answer["moto"] == "5.2.5"
    assert cloud.process.returncode == 0
    with pytest.raises(OSError, match="Connection refused"):
        health(cloud.endpoint_url, timeout=1)


def test_starting_on_a_busy_port_fails_at_once_with_the_port_in_the_message(busy_port, tmp_path):
    with pytest.raises(PortInUseError, match=rf"port \[{busy_port}\] on 127.0.0.1 is already in use"):
        start(busy_port, workdir=tmp_path)


def test_the_command_says_in_one_line_that_the_port_is_busy(busy_port):
    # WHEN the command is run on a busy port
    finished = subprocess.run(
        [sys.executable, "-m", "workflow_local_cloud", "--port", str(busy_port)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    # THEN it exits 2 with one line on stderr and nothing else
    assert finished.returncode == 2
    assert finished.stderr.splitlines() == [
        f"local cloud: port [{busy_port}] on 127.0.0.1 is already in use; "
        "stop what runs there or pick another with --port"
    ]


def test_a_local_cloud_can_also_run_inside_the_calling_process():
    # GIVEN a program (its own process: moto's patches are process-wide) using the in-process mode
    program = (
        "from workflow_local_cloud import running_local_cloud\n"
        "with running_local_cloud(in_process=True) as cloud:\n"
        "    print(cloud.health()['status'], cloud.workflows())\n"
    )

    # WHEN it runs
    finished = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=False
    )

    # THEN the local cloud answered from inside it, and it stopped cleanly
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.splitlines() == ["ok []"]
