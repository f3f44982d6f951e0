"""Call the stack-deployment entry: request a deployment, approve or reject one, as yourself.

The entry (``StackDeployment`` stack, output ``EntryUrl``) is an API Gateway REST API with IAM
authorisation: API Gateway checks the SigV4 signature and hands the entry's function the caller's
ARN, which is what the deployment records as ``requestedBy`` and ``approvedBy``. Two transports:

- ``transport="post"`` (AWS): a SigV4-signed (``execute-api``) HTTPS POST to ``EntryUrl``;
- ``transport="invoke"`` (the local cloud, which serves no HTTPS API): the entry function
  (``EntryFunctionName``) is invoked with the API Gateway event API Gateway would build, its
  ``requestContext.identity.userArn`` set to the caller's STS identity. This stands in for API
  Gateway; on AWS the stack's answer guard denies ``lambda:InvokeFunction`` on the function to every
  principal it is attached to, so nobody can hand the function a request context of their choosing.

::

    answer = call_entry(EntryClients.from_session(session), APPROVALS_ROUTE,
                        {"execution": "release-42", "decision": "approve"}, transport="post")
    answer.status_code, answer.body   # 200 {"decision": "approve", "decidedBy": "arn:aws:sts::..."}
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import ClientError

STACK_NAME = "StackDeployment"
DEPLOYMENTS_ROUTE = "/deployments"
APPROVALS_ROUTE = "/approvals"
HTTP_TIMEOUT_SECONDS = 30
Transport = Literal["post", "invoke"]
HttpPost = Callable[[str, Mapping[str, str], bytes], tuple[int, bytes]]


class EntryCallError(Exception):
    """The entry could not be reached or its stack read; the message says why."""


def _http_post(url: str, headers: Mapping[str, str], body: bytes) -> tuple[int, bytes]:
    if not url.startswith("https://"):
        raise EntryCallError(f"the entry URL must be https. Received: [{url}]")
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read() or b""


@dataclass(frozen=True)
class EntryClients:
    """What a call needs: the stack's outputs, the caller's identity and credentials, a transport.

    ``sts`` is the caller's (who the request is from); ``lambda_`` only serves ``invoke``.
    """

    cloudformation: Any
    sts: Any
    lambda_: Any
    credentials: Any = None
    region: str | None = None
    http_post: HttpPost = field(default=_http_post)

    @classmethod
    def from_session(cls, session: Any = None, *, endpoint_url: str | None = None) -> EntryClients:
        """Clients of ``session`` (default: the ambient boto3 session), optionally at ``endpoint_url``."""
        session = session or boto3.Session()
        kwargs = {"endpoint_url": endpoint_url} if endpoint_url else {}
        return cls(
            cloudformation=session.client("cloudformation", **kwargs),
            sts=session.client("sts", **kwargs),
            lambda_=session.client("lambda", **kwargs),
            credentials=session.get_credentials(),
            region=session.region_name,
        )


@dataclass(frozen=True)
class EntryAnswer:
    """The entry's HTTP status and JSON body; a refusal's body names the error."""

    status_code: int
    body: dict[str, Any]
    caller: str | None = None

    @property
    def error(self) -> str | None:
        """The refusal's error name (``SelfApprovalDenied``, ``ApprovalNotPending``...), or None."""
        return None if self.status_code == 200 else str(self.body.get("error") or "HTTP")


def stack_outputs(cloudformation: Any, stack_name: str) -> dict[str, str]:
    """The outputs of the deployed stack-deployment stack, by key."""
    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as error:
        raise EntryCallError(f"stack [{stack_name}] could not be read: {error}") from None
    return {o["OutputKey"]: o["OutputValue"] for o in (stacks[0].get("Outputs", []) if stacks else [])}


def api_gateway_event(route: str, body: bytes, caller_arn: str) -> dict[str, Any]:
    """The API Gateway (REST, Lambda proxy, IAM-authorised) event of a POST to ``route``."""
    return {
        "resource": route,
        "path": route,
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json"},
        "queryStringParameters": None,
        "pathParameters": None,
        "requestContext": {
            "resourcePath": route,
            "httpMethod": "POST",
            "stage": "v1",
            "requestId": str(uuid.uuid4()),
            "identity": {"userArn": caller_arn, "sourceIp": "127.0.0.1", "userAgent": "workflow-tools"},
        },
        "body": body.decode(),
        "isBase64Encoded": False,
    }


def call_entry(
    clients: EntryClients,
    route: str,
    body: Mapping[str, Any],
    *,
    transport: Transport = "post",
    stack_name: str = STACK_NAME,
) -> EntryAnswer:
    """POST ``body`` to the entry's ``route`` as the caller of ``clients`` (see the module docstring)."""
    if route not in (DEPLOYMENTS_ROUTE, APPROVALS_ROUTE):
        raise EntryCallError(f"route must be {DEPLOYMENTS_ROUTE} or {APPROVALS_ROUTE}. Received: [{route}]")
    outputs = stack_outputs(clients.cloudformation, stack_name)
    data = json.dumps(dict(body)).encode()
    if transport == "invoke":
        caller = str(clients.sts.get_caller_identity()["Arn"])
        answer = clients.lambda_.invoke(
            FunctionName=_required(outputs, "EntryFunctionName", stack_name),
            InvocationType="RequestResponse",
            Payload=json.dumps(api_gateway_event(route, data, caller)).encode(),
        )
        payload = json.loads(answer["Payload"].read() or b"{}")
        if answer.get("FunctionError"):
            raise EntryCallError(f"the entry function failed: {payload}")
        return EntryAnswer(int(payload.get("statusCode", 502)), _json(payload.get("body") or "{}"), caller)
    if transport == "post":
        url = _required(outputs, "EntryUrl", stack_name).rstrip("/") + route
        headers = _signed_headers(clients, url, data)
        status, raw = clients.http_post(url, headers, data)
        return EntryAnswer(status, _json(raw.decode(errors="replace") or "{}"))
    raise EntryCallError(f"transport must be 'invoke' or 'post'. Received: [{transport}]")


def _signed_headers(clients: EntryClients, url: str, data: bytes) -> dict[str, str]:
    if clients.credentials is None or not clients.region:
        raise EntryCallError("no AWS credentials and region to sign the request with")
    request = AWSRequest(method="POST", url=url, data=data, headers={"Content-Type": "application/json"})
    SigV4Auth(clients.credentials.get_frozen_credentials(), "execute-api", clients.region).add_auth(request)
    return dict(request.headers.items())


def _required(outputs: Mapping[str, str], key: str, stack_name: str) -> str:
    if key not in outputs:
        raise EntryCallError(
            f"stack [{stack_name}] has no output [{key}]; is it the stack-deployment stack, deployed "
            "with the deployment entry?"
        )
    return outputs[key]


def _json(text: str) -> dict[str, Any]:
    try:
        found = json.loads(text)
    except ValueError:
        return {"message": text}
    return found if isinstance(found, dict) else {"message": found}
