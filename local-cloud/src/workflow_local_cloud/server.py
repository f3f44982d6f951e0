"""The local cloud server: moto, patched, serving every AWS API and the control API on one port.

:class:`LocalCloudServer` runs in the calling process (the ``python -m workflow_local_cloud``
command and the demo use it); :func:`workflow_local_cloud.process.start` runs one in a child
process (what tests use, so that ``mock_aws`` in other tests cannot reset it).
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import socket
import tempfile
import threading
from pathlib import Path
from typing import Any

from workflow_local_cloud import patches
from workflow_local_cloud.clock import PauseKind, SimulatedClock
from workflow_local_cloud.control import ControlApp
from workflow_local_cloud.faults import Answer, Fault, FaultBook
from workflow_local_cloud.lambda_runner import FunctionSpec, LambdaRunner

DEFAULT_HOST = "127.0.0.1"
DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"  # moto's account when credentials name none
PREWARMED_SERVICES = ("lambda", "dynamodb", "sns", "sqs", "events", "stepfunctions", "sesv2", "s3")
"""Services whose botocore models the interpreter loads on first use (~0.1 s each): load them early."""
SHUTDOWN_POLL_SECONDS = 0.05  # between two looks for stop() in the serving loop; werkzeug waits 0.5 s


class PortInUseError(OSError):
    """The port asked for is taken."""


def endpoint_url_for(port: int) -> str:
    """The URL clients use. ``localhost``, not 127.0.0.1: moto reads bucket names from the host (note 8)."""
    return f"http://localhost:{port}"


class Runtime:
    """What the patched moto calls back into: simulated time, faults and the Lambda runner."""

    def __init__(self, *, clock: SimulatedClock, faults: FaultBook, runner: LambdaRunner, port: int) -> None:
        self.clock = clock
        self.faults = faults
        self.runner = runner
        self.port = port
        self._prewarm_thread: threading.Thread | None = None

    @property
    def simulated_time(self) -> bool:
        """Whether waits are recorded instead of slept."""
        return self.clock.enabled

    def record_pause(
        self, *, execution_arn: str, state_machine: str, state: str, kind: str, seconds: float
    ) -> None:
        """Record a wait that simulated time skipped."""
        pause_kind: PauseKind = "retry" if kind == "retry" else "wait"
        self.clock.record(
            execution_arn=execution_arn,
            state_machine=state_machine,
            state=state,
            kind=pause_kind,
            seconds=seconds,
        )

    def take_fault(self, state_machine: str, state: str) -> Fault | Answer | None:
        """The fault this attempt of the step must fail with, if one is armed."""
        return self.faults.take(state_machine, state)

    def run_lambda(self, function: Any, event: Any) -> tuple[str, bool, str]:
        """Invoke a moto ``LambdaFunction`` in a warm worker: (payload, errored, log text)."""
        facts = patches.lambda_function_facts(function)
        code = facts.pop("code")
        spec = FunctionSpec(**facts)
        invocation = self.runner.invoke(spec, code, _event_document(event))
        patches.save_lambda_logs(function, invocation.log_stream, invocation.log_lines)
        return invocation.payload, invocation.errored, "\n".join(invocation.log_lines)

    def prewarm(self) -> int:
        """Start, in the background and one at a time, a worker for every function that has none.

        Also loads the service models the interpreter's clients need. Returns how many functions
        there are; the workers come up while the caller carries on.
        """
        functions = patches.lambda_functions()

        def warm() -> None:
            import boto3

            for service in PREWARMED_SERVICES:
                boto3.client(
                    service,
                    region_name=DEFAULT_REGION,
                    endpoint_url=endpoint_url_for(self.port),
                    aws_access_key_id="prewarm",
                    aws_secret_access_key="prewarm",  # noqa: S106 - the local cloud takes any credentials
                )
            for function in functions:
                facts = patches.lambda_function_facts(function)
                code = facts.pop("code")
                try:
                    self.runner.prewarm(FunctionSpec(**facts), code)
                except RuntimeError:
                    return  # stopping, or a worker that cannot start: the invocation will say why

        self._prewarm_thread = threading.Thread(target=warm, name="local-cloud-prewarm", daemon=True)
        self._prewarm_thread.start()
        return len(functions)

    def health(self) -> dict[str, Any]:
        """What ``GET /_local_cloud/health`` answers."""
        import moto

        return {
            "status": "ok",
            "port": self.port,
            "simulatedTime": self.clock.enabled,
            "moto": moto.__version__,
            "lambdaWorkers": self.runner.worker_count(),
            "prewarming": self._prewarm_thread is not None and self._prewarm_thread.is_alive(),
        }


class LocalCloudServer:
    """moto on ``host:port`` in this process, with every patch, the Lambda runner and the control API.

    ``port=0`` picks a free port. Only one local cloud can run per process (moto's state and the
    port its interpreter calls, ``MOTO_PORT``, are process-wide).

    Example::

        server = LocalCloudServer(port=0).start()
        print(server.endpoint_url)
        server.stop()
    """

    def __init__(
        self,
        *,
        port: int = 0,
        host: str = DEFAULT_HOST,
        simulated_time: bool = True,
        workdir: Path | None = None,
    ) -> None:
        self.host = host
        self.requested_port = port
        self.simulated_time = simulated_time
        self._own_workdir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="local-cloud-"))
        self.port = 0
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.runtime: Runtime | None = None

    @property
    def endpoint_url(self) -> str:
        """Where the AWS APIs and the control API answer (``http://localhost:<port>``)."""
        return endpoint_url_for(self.port)

    def start(self) -> LocalCloudServer:
        """Bind (raising :class:`PortInUseError` at once if taken), patch moto, serve in a thread."""
        from werkzeug.serving import make_server

        if self._server is not None:
            raise RuntimeError(f"local cloud already running on port [{self.port}]")
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
        self.workdir.mkdir(parents=True, exist_ok=True)
        clock, faults = SimulatedClock(enabled=self.simulated_time), FaultBook()
        app = _DeferredApp()
        listener = _listen(self.host, self.requested_port)
        try:
            self._server = make_server(
                self.host,
                self.requested_port,
                app,
                threaded=True,
                request_handler=patches.moto_request_handler(),
                fd=listener.fileno(),
            )
        finally:
            listener.close()  # the server holds its own duplicate of the socket
        self.port = int(self._server.port)
        # The interpreter calls Lambda, DynamoDB, ... at localhost:$MOTO_PORT (note 4).
        os.environ["MOTO_PORT"] = str(self.port)
        runner = LambdaRunner(endpoint_url=self.endpoint_url, workdir=self.workdir)
        self.runtime = Runtime(clock=clock, faults=faults, runner=runner, port=self.port)
        patches.apply_all(self.runtime)
        app.target = ControlApp(patches.moto_wsgi_app(), self.runtime)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            # How often the loop looks for stop(); werkzeug's 0.5 s default made every stop wait for it.
            kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
            name="local-cloud",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, stop every Lambda worker, remove the working folder if it was ours."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self.runtime is not None:
            self.runtime.runner.close()
            self.runtime = None
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> LocalCloudServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket, bound here so that a busy port is our error (werkzeug would exit)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as error:
        listener.close()
        if error.errno == errno.EADDRINUSE:
            raise PortInUseError(
                error.errno,
                f"port [{port}] on {host} is already in use; "
                "stop what runs there or pick another with --port",
            ) from None
        raise
    listener.listen(128)
    return listener


def _event_document(event: Any) -> str:
    """The invocation payload as JSON: moto hands over the parsed body, or the string "{}" for none."""
    if event is None or event == "{}":
        return "{}"
    return json.dumps(event)


class _DeferredApp:
    """Lets the server bind before moto is patched and loaded (a busy port fails fast)."""

    target: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.target(environ, start_response)
