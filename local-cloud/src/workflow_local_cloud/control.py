"""The local cloud's own HTTP API, next to the AWS APIs on the same port, under ``/_local_cloud/``.

What AWS has no API for lives here: the health check, simulated time, fault injection, timing out
a callback now, the emails SES accepted, and an inventory of what every service holds. The harness
is its client; so can be any tool pointed at a local cloud started with
``python -m workflow_local_cloud``.

=======  ===============================  ====================================================
Method   Path                             What
=======  ===============================  ====================================================
GET      /_local_cloud/health             ``{"status": "ok", "port", "simulatedTime", "moto"}``
GET      /_local_cloud/pauses             skipped waits; ``?execution=<arn>`` for one execution
GET      /_local_cloud/faults             armed faults
POST     /_local_cloud/faults             arm ``{"state_machine", "state", "error", "cause", "times"}``
POST     /_local_cloud/answers            arm ``{"state_machine", "state", "output", "times"}`` (answers)
DELETE   /_local_cloud/faults             disarm all (faults and answers)
GET      /_local_cloud/faults/delivered   every attempt a fault failed
GET      /_local_cloud/callbacks          task tokens still waiting, with their execution
POST     /_local_cloud/callbacks/timeout  ``{"taskToken"}``: that step times out now
GET      /_local_cloud/emails             every email sent through SES, templates rendered
GET      /_local_cloud/inventory          what the services hold, by kind (``patches.inventory``)
GET      /_local_cloud/alarm-actions      every SNS action an alarm ran on a state change, delivered or failed
POST     /_local_cloud/prewarm            start a warm Lambda worker for every function, in the background
POST     /_local_cloud/backdate           ``{"executionArn", "days"}``: an execution started, stopped earlier
POST     /_local_cloud/iam                ``{"evaluate": true|false}``: the IAM evaluation mode on or off
GET      /_local_cloud/iam                ``{"evaluate", "decisions"}``: every request the mode evaluated
=======  ===============================  ====================================================
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from workflow_local_cloud import patches, redrive
from workflow_local_cloud.faults import Answer, Fault, FaultError

if TYPE_CHECKING:
    from workflow_local_cloud.server import Runtime

PREFIX = "/_local_cloud/"

StartResponse = Callable[..., Any]


class ControlApp:
    """WSGI middleware: ``/_local_cloud/*`` is answered here, everything else goes to moto."""

    def __init__(self, moto_app: Any, runtime: Runtime) -> None:
        self.moto_app = moto_app
        self.runtime = runtime

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        if not path.startswith(PREFIX):
            return self.moto_app(environ, start_response)  # type: ignore[no-any-return]
        method = str(environ.get("REQUEST_METHOD", "GET"))
        try:
            status, body = self._route(method, path[len(PREFIX) :].rstrip("/"), environ)
        except (FaultError, KeyError, TypeError, ValueError) as error:
            status, body = 400, {"error": f"{type(error).__name__}: {error}"}
        payload = json.dumps(body).encode()
        start_response(
            f"{status} {'OK' if status < 400 else 'Error'}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
        )
        return [payload]

    def _route(self, method: str, route: str, environ: dict[str, Any]) -> tuple[int, Any]:
        runtime = self.runtime
        query = _query(environ)
        if (method, route) == ("GET", "health"):
            return 200, runtime.health()
        if (method, route) == ("GET", "pauses"):
            return 200, [pause.to_json() for pause in runtime.clock.pauses(query.get("execution"))]
        if (method, route) == ("GET", "faults"):
            return 200, runtime.faults.armed()
        if (method, route) == ("POST", "faults"):
            fault = Fault.from_json(_body(environ))
            runtime.faults.arm(fault)
            return 201, fault.to_json()
        if (method, route) == ("POST", "answers"):
            answer = Answer.from_json(_body(environ))
            runtime.faults.arm(answer)
            return 201, answer.to_json()
        if (method, route) == ("DELETE", "faults"):
            runtime.faults.clear()
            return 200, []
        if (method, route) == ("GET", "faults/delivered"):
            return 200, [fault.to_json() for fault in runtime.faults.delivered()]
        if (method, route) == ("GET", "callbacks"):
            return 200, patches.pending_callbacks()
        if (method, route) == ("POST", "callbacks/timeout"):
            token = str(_body(environ)["taskToken"])
            if not patches.time_out_callback(token):
                return 404, {"error": f"no step is waiting on task token [{token[:12]}...]"}
            return 200, {"taskToken": token, "timedOut": True}
        if (method, route) == ("POST", "prewarm"):
            return 202, {"functions": runtime.prewarm()}
        if (method, route) == ("GET", "emails"):
            return 200, patches.sent_emails()
        if (method, route) == ("GET", "inventory"):
            return 200, patches.inventory()
        if (method, route) == ("GET", "alarm-actions"):
            return 200, patches.alarm_actions()
        if (method, route) == ("POST", "backdate"):
            body = _body(environ)
            redrive.backdate(redrive.find_execution(str(body["executionArn"])), body["days"])
            return 200, {"executionArn": body["executionArn"], "days": body["days"]}
        if (method, route) == ("POST", "iam"):
            patches.set_iam_evaluation(bool(_body(environ)["evaluate"]))
            return 200, {"evaluate": patches.iam_evaluation_enabled()}
        if (method, route) == ("GET", "iam"):
            return 200, {"evaluate": patches.iam_evaluation_enabled(), "decisions": patches.iam_decisions()}
        return 404, {"error": f"no local cloud route [{method} {PREFIX}{route}]"}


def _query(environ: dict[str, Any]) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(str(environ.get("QUERY_STRING", ""))))


def _body(environ: dict[str, Any]) -> dict[str, Any]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    document = json.loads(environ["wsgi.input"].read(length) or b"{}")
    if not isinstance(document, dict):
        raise ValueError(f"expected a JSON object. Received: [{document!r}]")
    return document
