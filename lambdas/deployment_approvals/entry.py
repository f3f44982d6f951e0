"""The API Gateway side of the entry: route, parse the body, answer.

Routes (both ``POST``, IAM-authorised): ``/deployments`` requests a deployment, ``/approvals``
approves or rejects one (:mod:`deployment_approvals.approvals`). A refusal is answered with its HTTP
status and ``{"error": "<name>", "message": "..."}``; nothing was started or answered.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from deployment_approvals import approvals, contract
from deployment_approvals.errors import ApprovalRequestInvalid, DeploymentRequestInvalid, EntryError
from deployment_approvals.identity import caller_arn

DEPLOYMENTS_PATH = f"/{contract.DEPLOYMENTS_PATH}"
APPROVALS_PATH = f"/{contract.APPROVALS_PATH}"
MAX_BODY_BYTES = 64 * 1024  # a deployment request is a few KiB


def answer(event: Mapping[str, Any], *, state_machine_arn: str, states_client: Any) -> dict[str, Any]:
    """The proxy integration's response to one request."""
    try:
        caller = caller_arn(event)
        path = event.get("resource") or event.get("rawPath")
        if path == DEPLOYMENTS_PATH:
            started = approvals.request_deployment(
                _body(event, DeploymentRequestInvalid),
                caller=caller,
                state_machine_arn=state_machine_arn,
                states_client=states_client,
            )
            return _response(200, started.to_json())
        if path == APPROVALS_PATH:
            answered = approvals.decide(
                _body(event, ApprovalRequestInvalid),
                caller=caller,
                state_machine_arn=state_machine_arn,
                states_client=states_client,
            )
            return _response(200, answered.to_json())
        return _response(404, {"error": "NotFound", "message": f"no route [{path}]"})
    except EntryError as error:
        return _response(error.status, {"error": type(error).__name__, "message": str(error)})


def _body(event: Mapping[str, Any], invalid: type[EntryError]) -> object:
    raw = event.get("body") or ""
    try:
        data = base64.b64decode(raw, validate=True) if event.get("isBase64Encoded") else str(raw).encode()
    except (binascii.Error, ValueError):
        raise invalid("the body is not valid base64") from None
    if len(data) > MAX_BODY_BYTES:
        raise invalid(f"the body must be at most {MAX_BODY_BYTES} bytes. Received: [{len(data)}]")
    try:
        return json.loads(data)
    except ValueError:
        raise invalid("the body must be JSON") from None


def _response(status: int, body: Mapping[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}
