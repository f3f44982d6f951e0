"""One warm Lambda "container": a Python process that imports a handler once and runs it per request.

Started by :mod:`workflow_local_cloud.lambda_runner` as
``python -I _lambda_worker.py <code dir> <handler>`` with the function's environment. Standard
library only: it must not import anything the deployed code would not have.

Protocol (JSON, one object per line): the worker writes ``{"ready": true, "initError": ...}`` once,
then for each request ``{"event": "<json>", "requestId", "deadlineMs", "functionArn"}`` read on
stdin it answers ``{"ok": bool, "payload": "<json>", "logs": [lines]}`` on its original stdout.
Everything the handler prints or logs (``sys.stdout``/``sys.stderr``) is captured per request and
returned as ``logs``, the way Lambda sends a function's output to CloudWatch Logs. An error's
``stackTrace`` names the deployed code as Lambda does, under ``/var/task`` (:data:`TASK_ROOT`), not
the local folder it was unpacked to.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import sys
import threading
import time
import traceback
from typing import Any

TASK_ROOT = "/var/task"
"""Where Lambda puts a function's code (``LAMBDA_TASK_ROOT``); stack traces name files under it."""


class _Capture(io.TextIOBase):
    """Collects whole lines written to it; stands in for sys.stdout and sys.stderr."""

    encoding = "utf-8"

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._lines: list[str] = []
        self._partial = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        with self._lock:
            *complete, self._partial = (self._partial + text).split("\n")
            self._lines.extend(complete)
        return len(text)

    def drain(self) -> list[str]:
        with self._lock:
            lines = self._lines + ([self._partial] if self._partial else [])
            self._lines, self._partial = [], ""
        return lines


class LambdaContext:
    """The context object the Lambda Python runtime passes handlers (same attribute names and types)."""

    def __init__(self, request_id: str, deadline_ms: int, function_arn: str) -> None:
        self.aws_request_id = request_id
        self.invoked_function_arn = function_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function's timeout."""
        return max(0, int(self._deadline_ms - time.time() * 1000))


def _error(
    error_type: str, message: str, request_id: str = "", stack: list[str] | None = None
) -> dict[str, Any]:
    return {
        "errorMessage": message,
        "errorType": error_type,
        "requestId": request_id,
        "stackTrace": stack or [],
    }


def _load_handler(spec: str) -> tuple[Any, dict[str, Any] | None]:
    module_name, _, function_name = spec.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except SyntaxError as error:
        return None, _error("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {error}")
    except Exception as error:
        return None, _error("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {error}")
    handler = getattr(module, function_name, None)
    if not callable(handler):
        return None, _error(
            "Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'"
        )
    return handler, None


def task_stack(frames: list[traceback.FrameSummary], code_dir: str) -> list[str]:
    """The ``stackTrace`` Lambda reports: one formatted entry a frame, the code under ``/var/task``.

    Example: a frame in ``<code_dir>/handler.py`` reads ``  File "/var/task/handler.py", line 2, in
    handler``; frames outside the code (the standard library, packages) keep their paths.
    """
    root = os.path.realpath(code_dir)
    for frame in frames:
        path = os.path.realpath(frame.filename)
        if path == root or path.startswith(root + os.sep):
            frame.filename = TASK_ROOT + path[len(root) :].replace(os.sep, "/")
    return traceback.format_list(frames)


def _run(handler: Any, request: dict[str, Any], code_dir: str = TASK_ROOT) -> tuple[bool, str, bool]:
    """(ok, payload, exit_after) for one request."""
    request_id = request["requestId"]
    context = LambdaContext(request_id, int(request["deadlineMs"]), request["functionArn"])
    try:
        result = handler(json.loads(request["event"]), context)
    except SystemExit as error:
        return (
            False,
            json.dumps(
                _error(
                    "Runtime.ExitError",
                    f"RequestId: {request_id} Error: Runtime exited with error: exit status {error.code}",
                    request_id,
                )
            ),
            True,
        )
    except Exception as error:
        stack = task_stack(list(traceback.extract_tb(error.__traceback__))[1:], code_dir)
        # The runtime logs the failure before answering, as Lambda does.
        print(f"[ERROR] {type(error).__name__}: {error}", file=sys.stderr)
        return False, json.dumps(_error(type(error).__name__, str(error), request_id, stack)), False
    try:
        return True, json.dumps(result), False
    except (TypeError, ValueError) as error:
        return (
            False,
            json.dumps(_error("Runtime.MarshalError", f"Unable to marshal response: {error}", request_id)),
            False,
        )


def main() -> None:
    """Serve invocations until stdin closes."""
    code_dir, handler_spec = sys.argv[1], sys.argv[2]
    protocol = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)  # output written below Python's sys.stdout must not corrupt the protocol
    capture = _Capture()
    sys.stdout = sys.stderr = capture
    # Like Lambda: the deployed code, the standard library and the runtime's packages, nothing of the
    # repository the local cloud runs from (editable installs put it on the path).
    sys.path[:] = [
        code_dir,
        *(path for path in sys.path if path.startswith(sys.base_prefix) or "site-packages" in path),
    ]
    os.chdir(code_dir)

    handler, init_error = _load_handler(handler_spec)
    protocol.write(json.dumps({"ready": True, "initError": init_error, "logs": capture.drain()}) + "\n")

    for line in sys.stdin:
        request = json.loads(line)
        if init_error is not None:
            ok, payload, exit_after = (
                False,
                json.dumps({**init_error, "requestId": request["requestId"]}),
                False,
            )
        else:
            ok, payload, exit_after = _run(handler, request, code_dir)
        protocol.write(json.dumps({"ok": ok, "payload": payload, "logs": capture.drain()}) + "\n")
        if exit_after:
            return


if __name__ == "__main__":
    main()
