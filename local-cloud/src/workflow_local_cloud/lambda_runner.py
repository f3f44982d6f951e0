"""Runs Lambda functions from the code deployed to the local cloud, in warm worker processes.

Like a Lambda container, a worker is started once per function *version of the world* — keyed by
function name, code digest, handler and environment — imports the handler once, then serves
invocations until the local cloud stops. Concurrent invocations of one function get their own
workers, up to ``max_workers_per_function`` (further calls queue rather than being throttled).

Each worker runs ``sys.executable`` (the project's venv, which has Powertools) in isolated mode
with only the function's environment plus what Lambda adds: its name, memory, region, fake
credentials and ``AWS_ENDPOINT_URL``, so the handler's boto3 calls reach the same local cloud.
"""

from __future__ import annotations

import io
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

WORKER_PROGRAM = Path(__file__).with_name("_lambda_worker.py")
DEFAULT_MAX_WORKERS_PER_FUNCTION = 2
WORKER_INIT_TIMEOUT_SECONDS = 60.0  # importing a handler and Powertools on a busy 2-core machine
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local-cloud",
    "AWS_SECRET_ACCESS_KEY": "local-cloud",
    "AWS_SESSION_TOKEN": "local-cloud",
}
"""What every handler sees as its role's credentials; the local cloud accepts anything."""


@dataclass(frozen=True)
class FunctionSpec:
    """What a worker needs to know about a function (read from moto's LambdaFunction)."""

    name: str
    arn: str
    handler: str
    code_digest: str
    environment: Mapping[str, str] = field(default_factory=dict)
    memory_mb: int = 128
    timeout_seconds: float = 3.0
    region: str = "us-east-1"
    log_group: str = ""

    @property
    def key(self) -> tuple[str, str, str, str]:
        """Which warm workers can serve this function: a new code or environment needs new ones."""
        environment = json.dumps(dict(self.environment), sort_keys=True)
        return (self.name, self.code_digest, self.handler, environment)


@dataclass(frozen=True)
class Invocation:
    """The outcome of one invocation, as Lambda's Invoke API reports it."""

    request_id: str
    payload: str
    """The handler's JSON result, or Lambda's error document (errorType, errorMessage, ...)."""
    errored: bool
    log_lines: tuple[str, ...]
    log_stream: str
    duration_ms: float

    @property
    def error_type(self) -> str | None:
        """Lambda's ``errorType`` when the invocation failed, else None."""
        if not self.errored:
            return None
        return str(json.loads(self.payload).get("errorType"))


class _Worker:
    def __init__(
        self, spec: FunctionSpec, code_dir: Path, environment: dict[str, str], python: str, stderr: IO[bytes]
    ) -> None:
        self.key = spec.key
        self.log_stream = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        self.init_logs: list[str] = []
        self._buffer = b""
        self.process = subprocess.Popen(  # noqa: S603 - our own program, run by our own interpreter
            [python, "-I", str(WORKER_PROGRAM), str(code_dir), spec.handler],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            cwd=code_dir,
            env={**environment, "AWS_LAMBDA_LOG_STREAM_NAME": self.log_stream},
        )
        ready = self._read(time.monotonic() + WORKER_INIT_TIMEOUT_SECONDS)
        if ready is None:
            self.kill()
            raise RuntimeError(
                f"Lambda worker for [{spec.name}] did not start (see the local cloud's worker log)"
            )
        self.init_logs = list(ready.get("logs", []))

    def alive(self) -> bool:
        """Whether the worker process still runs."""
        return self.process.poll() is None

    def call(self, request: dict[str, Any], timeout_seconds: float) -> dict[str, Any] | None:
        """The worker's answer, or None if it died or ran past ``timeout_seconds`` (then it is killed)."""
        assert self.process.stdin is not None
        try:
            self.process.stdin.write((json.dumps(request) + "\n").encode())
            self.process.stdin.flush()
        except BrokenPipeError:
            return None
        answer = self._read(time.monotonic() + timeout_seconds)
        if answer is None:
            self.kill()
        return answer

    def _read(self, deadline: float) -> dict[str, Any] | None:
        assert self.process.stdout is not None
        descriptor = self.process.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            readable, _, _ = select.select([descriptor], [], [], remaining)
            if not readable:
                return None
            chunk = os.read(descriptor, 1 << 16)
            if not chunk:
                return None  # the worker exited
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return dict(json.loads(line))

    def kill(self) -> None:
        """Stop the worker process now."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


class LambdaRunner:
    """A pool of warm workers per function; ``invoke`` is safe to call from many threads.

    Example::

        runner = LambdaRunner(endpoint_url="http://localhost:5123", workdir=Path("/tmp/lc"))
        invocation = runner.invoke(spec, code_zip_bytes, '{"correlationId": "c-1"}')
    """

    def __init__(
        self,
        *,
        endpoint_url: str,
        workdir: Path,
        python: str = sys.executable,
        max_workers_per_function: int = DEFAULT_MAX_WORKERS_PER_FUNCTION,
    ) -> None:
        if max_workers_per_function < 1:
            raise ValueError(
                f"max_workers_per_function must be at least 1. Received: [{max_workers_per_function}]"
            )
        self.endpoint_url = endpoint_url
        self.workdir = workdir
        self.python = python
        self.max_workers_per_function = max_workers_per_function
        self._condition = threading.Condition()
        self._idle: dict[tuple[str, ...], list[_Worker]] = {}
        self._started: dict[tuple[str, ...], int] = {}
        self._current_key: dict[str, tuple[str, ...]] = {}
        self._code_lock = threading.Lock()
        self._closed = False
        (workdir / "code").mkdir(parents=True, exist_ok=True)
        self._worker_log = (workdir / "lambda-workers.log").open("ab")

    # Public -----------------------------------------------------------------------------------------

    def invoke(self, spec: FunctionSpec, code: bytes, event: str) -> Invocation:
        """Run ``spec``'s handler on ``event`` (a JSON document) in a warm worker."""
        worker = self._acquire(spec, code)
        request_id = str(uuid.uuid4())
        started = time.monotonic()
        answer = worker.call(
            {
                "event": event,
                "requestId": request_id,
                "functionArn": spec.arn,
                "deadlineMs": int(time.time() * 1000 + spec.timeout_seconds * 1000),
            },
            spec.timeout_seconds,
        )
        duration_ms = (time.monotonic() - started) * 1000
        self._release(worker)
        logs = [*worker.init_logs, f"START RequestId: {request_id} Version: $LATEST"]
        worker.init_logs = []
        if answer is None:
            payload, errored = self._lost_worker_error(worker, spec, request_id), True
        else:
            payload, errored = str(answer["payload"]), not answer["ok"]
            logs += answer.get("logs", [])
        logs += [
            f"END RequestId: {request_id}",
            f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
            f"Memory Size: {spec.memory_mb} MB",
        ]
        return Invocation(
            request_id=request_id,
            payload=payload,
            errored=errored,
            log_lines=tuple(logs),
            log_stream=worker.log_stream,
            duration_ms=duration_ms,
        )

    def prewarm(self, spec: FunctionSpec, code: bytes) -> bool:
        """Start a worker for ``spec`` now, unless one exists; True if one was started.

        Lambda's cold start (importing the handler, boto3, Powertools) then happens before the
        first invocation rather than during it.
        """
        with self._condition:
            if self._closed or self._started.get(spec.key, 0) > 0:
                return False
            stale = self._make_current(spec)
            self._started[spec.key] = 1
        for old in stale:
            old.kill()
        self._release(self._spawn(spec, code))
        return True

    def worker_count(self, function_name: str | None = None) -> int:
        """How many workers are running, for one function or in all."""
        with self._condition:
            return sum(
                count
                for key, count in self._started.items()
                if function_name is None or key[0] == function_name
            )

    def close(self) -> None:
        """Stop every worker. Invocations still running get a 'worker lost' error."""
        with self._condition:
            self._closed = True
            idle = [worker for workers in self._idle.values() for worker in workers]
            self._idle.clear()
            self._condition.notify_all()
        for worker in idle:
            worker.kill()
        self._worker_log.close()

    # Pool -------------------------------------------------------------------------------------------

    def _acquire(self, spec: FunctionSpec, code: bytes) -> _Worker:
        key = spec.key
        worker: _Worker | None
        with self._condition:
            stale = self._make_current(spec)
            while True:
                if self._closed:
                    raise RuntimeError("the local cloud is stopping")
                if self._idle.get(key):
                    worker = self._idle[key].pop()
                    break
                if self._started.get(key, 0) < self.max_workers_per_function:
                    self._started[key] = self._started.get(key, 0) + 1
                    worker = None
                    break
                self._condition.wait()
        for old in stale:
            old.kill()
        return worker if worker is not None else self._spawn(spec, code)

    def _make_current(self, spec: FunctionSpec) -> list[_Worker]:
        """Under the lock: make ``spec``'s key the function's current one; return idle workers of others."""
        if self._current_key.get(spec.name) == spec.key:
            return []
        self._current_key[spec.name] = spec.key
        stale: list[_Worker] = []
        for other in [key for key in self._idle if key[0] == spec.name and key != spec.key]:
            retired = self._idle.pop(other)
            self._started[other] -= len(retired)
            stale += retired
        return stale

    def _spawn(self, spec: FunctionSpec, code: bytes) -> _Worker:
        """Start a worker already counted in ``_started`` (uncounted again if it fails to start)."""
        try:
            return _Worker(
                spec, self._code_dir(spec, code), self._environment(spec), self.python, self._worker_log
            )
        except Exception:
            with self._condition:
                self._started[spec.key] -= 1
                self._condition.notify_all()
            raise

    def _release(self, worker: _Worker) -> None:
        with self._condition:
            current = self._current_key.get(worker.key[0]) == worker.key
            if worker.alive() and current and not self._closed:
                self._idle.setdefault(worker.key, []).append(worker)
                self._condition.notify_all()
                return
            self._started[worker.key] -= 1
            self._condition.notify_all()
        worker.kill()

    # Environment and code ---------------------------------------------------------------------------

    def _environment(self, spec: FunctionSpec) -> dict[str, str]:
        """The function's variables plus what the Lambda runtime sets (which the function cannot override)."""
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "TZ": ":UTC",
            "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon here
            **{key: str(value) for key, value in spec.environment.items()},
            "LAMBDA_TASK_ROOT": str(self._code_path(spec)),
            "_HANDLER": spec.handler,
            "AWS_EXECUTION_ENV": "AWS_Lambda_python_local_cloud",
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(int(spec.timeout_seconds)),
            "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group,
            "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region,
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_EC2_METADATA_DISABLED": "true",
            **FAKE_CREDENTIALS,
        }

    def _code_path(self, spec: FunctionSpec) -> Path:
        digest = "".join(ch for ch in spec.code_digest if ch.isalnum())[:40] or "nodigest"
        return self.workdir / "code" / digest

    def _code_dir(self, spec: FunctionSpec, code: bytes) -> Path:
        target = self._code_path(spec)
        with self._code_lock:
            if not target.is_dir():
                unpacking = Path(tempfile.mkdtemp(dir=target.parent, prefix=".unpacking-"))
                try:
                    with zipfile.ZipFile(io.BytesIO(code)) as archive:
                        archive.extractall(unpacking)
                    unpacking.rename(target)
                except BaseException:
                    shutil.rmtree(unpacking, ignore_errors=True)
                    raise
        return target

    def _lost_worker_error(self, worker: _Worker, spec: FunctionSpec, request_id: str) -> str:
        if worker.process.returncode is not None and worker.process.returncode != -9:
            return json.dumps(
                {
                    "errorType": "Runtime.ExitError",
                    "requestId": request_id,
                    "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: "
                    f"exit status {worker.process.returncode}",
                }
            )
        return json.dumps(
            {
                "errorType": "Sandbox.Timedout",
                "requestId": request_id,
                "errorMessage": f"RequestId: {request_id} Error: Task timed out after "
                f"{spec.timeout_seconds:.2f} seconds",
            }
        )
