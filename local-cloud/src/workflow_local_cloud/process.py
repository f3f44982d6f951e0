"""Start and stop a local cloud in a child process: ``start()`` / ``LocalCloudProcess.stop()``.

Tests and the demo use this rather than :class:`~workflow_local_cloud.server.LocalCloudServer`
in their own process: moto keeps its state in process-wide globals that any ``mock_aws`` resets,
and its patches would change what ``mock_aws`` does in other tests. A child process keeps both
apart; everything reaches it over HTTP anyway.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from workflow_local_cloud.server import PortInUseError, endpoint_url_for

START_TIMEOUT_SECONDS = 60.0  # importing moto takes 1-3 s; a busy 2-core machine can be much slower
STOP_TIMEOUT_SECONDS = 10.0
READY_POLL_SECONDS = 0.02


class LocalCloudStartError(RuntimeError):
    """The local cloud process did not come up."""


def health(endpoint_url: str, *, timeout: float = 2.0) -> dict[str, Any]:
    """The local cloud's health document; raises ``OSError`` when nothing answers."""
    url = f"{endpoint_url}/_local_cloud/health"
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - our own http endpoint
        return dict(json.loads(response.read()))


def wait_healthy(endpoint_url: str, *, timeout: float = 10.0) -> dict[str, Any]:
    """Poll the health check until it answers (for a local cloud started by someone else)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return health(endpoint_url)
        except (OSError, urllib.error.URLError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class LocalCloudProcess:
    """A local cloud running in a child process (see :func:`start` and :func:`launch`)."""

    def __init__(self, process: subprocess.Popen[bytes], workdir: Path) -> None:
        self.process = process
        self.workdir = workdir
        self.port = 0

    @property
    def endpoint_url(self) -> str:
        """Where the AWS APIs and the control API answer (``http://localhost:<port>``)."""
        if not self.port:
            raise LocalCloudStartError("the local cloud is not ready yet: call wait_ready() first")
        return endpoint_url_for(self.port)

    @property
    def log_path(self) -> Path:
        """The server's own output (moto warnings, tracebacks) and the Lambda workers' stderr."""
        return self.workdir / "server.log"

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's log, for error messages."""
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def wait_ready(self, timeout: float = START_TIMEOUT_SECONDS) -> LocalCloudProcess:
        """Block until the server answers its health check (raises if it fails to start)."""
        if self.port:
            return self
        ready_file = self.workdir / "ready.json"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready_file.exists():
                ready = json.loads(ready_file.read_text())
                if "error" in ready:
                    self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
                    if ready.get("kind") == "port-in-use":
                        raise PortInUseError(ready["error"])
                    raise LocalCloudStartError(f"{ready['error']}\n{self.log_tail()}")
                self.port = int(ready["port"])
                health(self.endpoint_url)
                return self
            if self.process.poll() is not None:
                raise LocalCloudStartError(
                    f"the local cloud exited with status {self.process.returncode}:\n{self.log_tail()}"
                )
            time.sleep(READY_POLL_SECONDS)
        self.stop()
        raise LocalCloudStartError(
            f"the local cloud did not start within {timeout:.0f} s:\n{self.log_tail()}"
        )

    def health(self) -> dict[str, Any]:
        """The server's health document (see :func:`health`)."""
        return health(self.endpoint_url)

    def stop(self) -> None:
        """Ask the server to stop (SIGTERM), kill it if it does not within 10 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> LocalCloudProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def launch(port: int = 0, *, simulated_time: bool = True, workdir: Path | None = None) -> LocalCloudProcess:
    """Start a local cloud process and return at once; call ``wait_ready()`` before using it.

    Lets a caller do something else (synthesize the app) while moto imports. The child stops by
    itself when this process dies.
    """
    workdir = workdir or Path(tempfile.mkdtemp(prefix="local-cloud-"))
    workdir.mkdir(parents=True, exist_ok=True)
    ready_file = workdir / "ready.json"
    ready_file.unlink(missing_ok=True)
    command = [sys.executable, "-m", "workflow_local_cloud", "--port", str(port)]
    command += ["--ready-file", str(ready_file), "--workdir", str(workdir)]
    command += ["--exit-with-parent", str(os.getpid())]
    if not simulated_time:
        command.append("--real-time")
    with (workdir / "server.log").open("ab") as log:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log)  # noqa: S603
    return LocalCloudProcess(process, workdir)


def start(
    port: int = 0,
    *,
    simulated_time: bool = True,
    workdir: Path | None = None,
    timeout: float = START_TIMEOUT_SECONDS,
) -> LocalCloudProcess:
    """Start a local cloud in a child process and return once it answers its health check.

    ``port=0`` picks a free port. Raises :class:`PortInUseError` when ``port`` is taken,
    :class:`LocalCloudStartError` when the server fails otherwise.

    Example::

        cloud = start()
        boto3.client("stepfunctions", endpoint_url=cloud.endpoint_url, ...)
        cloud.stop()
    """
    return launch(port, simulated_time=simulated_time, workdir=workdir).wait_ready(timeout)
