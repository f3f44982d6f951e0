"""The behaviour-test harness: drive workflows on a local cloud and look at what they did.

A thin client: AWS APIs through boto3 (pointed at the local cloud) and the control API
(``/_local_cloud/...``) for what AWS has no API for. It works the same against a local cloud in a
child process (tests), in this process, or started by hand with ``python -m workflow_local_cloud``.

Example::

    harness = LocalCloudHarness(cloud.endpoint_url)
    harness.load("cdk.out")
    execution = harness.start("orders", {"orderId": "o-1", ...}, reason="new order")
    harness.complete_callback(execution, "Wait for the payment", {"paid": True})
    result = harness.wait(execution)
    assert result.status == "SUCCEEDED", harness.trace(execution).render()
"""

from __future__ import annotations

import contextlib
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from workflow_constructs.naming import execution_name, logical_name, parse_stage, physical_name

from workflow_local_cloud.clock import Pause
from workflow_local_cloud.faults import DEFAULT_CAUSE, Answer, Fault, FaultError
from workflow_local_cloud.inventory import Inventory
from workflow_local_cloud.loader import DeployedStack, LoadError, load_assembly
from workflow_local_cloud.process import launch
from workflow_local_cloud.schedules import DEFAULT_GROUP, Firing, fire_schedule
from workflow_local_cloud.server import DEFAULT_REGION, LocalCloudServer
from workflow_local_cloud.steps import TaskStep, task_steps
from workflow_local_cloud.trace import Trace, build_trace

FAKE_ACCESS_KEY = "local-cloud"  # the local cloud accepts any credentials; these are never real
DEFAULT_WAIT_SECONDS = 30.0
POLL_SECONDS = 0.01
FINAL_STATUSES = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})


class HarnessError(AssertionError):
    """Something a test waited for did not happen (an AssertionError, so pytest shows it plainly)."""


@dataclass(frozen=True)
class Execution:
    """A started execution."""

    arn: str
    name: str
    workflow: str


@dataclass(frozen=True)
class ExecutionResult:
    """How an execution ended."""

    execution: Execution
    status: str
    output: Any
    """The output, parsed from JSON (None unless it succeeded)."""
    error: str | None
    cause: str | None
    seconds: float
    """From start to stop, wall clock (waits skipped by simulated time are not in it)."""

    @property
    def succeeded(self) -> bool:
        """Whether the execution ended SUCCEEDED."""
        return self.status == "SUCCEEDED"


@dataclass(frozen=True)
class SentEmail:
    """An email SES accepted (templated ones rendered)."""

    message_id: str
    sender: str | None
    to: tuple[str, ...]
    subject: str | None
    body: str | None
    template: str | None
    template_data: Mapping[str, Any] | None


@dataclass(frozen=True)
class LogLine:
    """One line a Lambda function wrote (CloudWatch Logs of the local cloud)."""

    log_group: str
    log_stream: str
    message: str

    @property
    def function_name(self) -> str:
        """The function that wrote the line (from its log group's name)."""
        return self.log_group.rsplit("/", 1)[-1]


ExecutionRef = Execution | str


class LocalCloudHarness:
    """Start, wait for, inspect and perturb executions on one local cloud (see the module docstring)."""

    def __init__(self, endpoint_url: str, *, region: str = DEFAULT_REGION, stage: str | None = None) -> None:
        self.endpoint_url = endpoint_url
        self.stage = parse_stage(stage)
        """The stage of the loaded app (``-c stage=...``): workflows are named without it, and only
        its machines are seen. Default None: the unstaged app, every machine by its own name."""
        self.session = boto3.Session(
            region_name=region, aws_access_key_id=FAKE_ACCESS_KEY, aws_secret_access_key=FAKE_ACCESS_KEY
        )
        self._clients: dict[str, Any] = {}
        self.server_log: Path | None = None
        """Where the server writes its own log, when this harness started it."""
        self._machines: dict[str, str] = {}
        self._definitions: dict[str, dict[str, Any]] = {}

    # AWS and the control API ----------------------------------------------------------------------

    def client(self, service: str) -> Any:
        """A boto3 client of the local cloud (cached per service)."""
        if service not in self._clients:
            self._clients[service] = self.session.client(
                service, endpoint_url=self.endpoint_url, config=Config(retries={"max_attempts": 2})
            )
        return self._clients[service]

    def control(self, method: str, route: str, body: Any = None) -> Any:
        """Call the local cloud's own API (``/_local_cloud/<route>``); returns the parsed JSON."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - our own http endpoint
            f"{self.endpoint_url}/_local_cloud/{route}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our own endpoint
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            detail = json.loads(error.read() or b"{}").get("error", error.reason)
            raise HarnessError(f"local cloud refused {method} {route}: {detail}") from None

    def health(self) -> dict[str, Any]:
        """``{"status": "ok", ...}`` when the local cloud answers."""
        return dict(self.control("GET", "health"))

    # Deployment -----------------------------------------------------------------------------------

    def load(
        self, outdir: Any, *, stacks: list[str] | None = None, prewarm: bool = True
    ) -> list[DeployedStack]:
        """Deploy a synthesized assembly (all stacks, or those named) with CloudFormation, in process.

        ``prewarm`` then starts a Lambda worker per function in the background (see :meth:`prewarm`).
        """
        deployed = load_assembly(outdir, session=self.session, endpoint_url=self.endpoint_url, stacks=stacks)
        self._machines.clear()
        self._definitions.clear()
        if prewarm:
            self.prewarm()
        return deployed

    def prewarm(self, *, wait: bool = False, timeout: float = DEFAULT_WAIT_SECONDS) -> int:
        """Start a warm worker for every deployed function, in the background; returns how many functions.

        ``wait=True`` returns only once every worker is up (tests that count workers want that).
        """
        functions = int(self.control("POST", "prewarm")["functions"])
        deadline = time.monotonic() + timeout
        while wait and self.health()["prewarming"]:
            if time.monotonic() > deadline:
                raise HarnessError(f"Lambda workers still starting after {timeout:.0f} s")
            time.sleep(POLL_SECONDS * 5)
        return functions

    def workflows(self) -> list[str]:
        """Names of every deployed state machine (of :attr:`stage`, without its prefix)."""
        self._refresh_machines()
        return sorted(self._machines)

    def state_machine_arn(self, workflow: str) -> str:
        """The ARN of the state machine of ``workflow`` (in :attr:`stage`)."""
        if workflow not in self._machines:
            self._refresh_machines()
        if workflow not in self._machines:
            raise HarnessError(f"no state machine named [{workflow}]; deployed: {sorted(self._machines)}")
        return self._machines[workflow]

    def definition(self, workflow: str) -> dict[str, Any]:
        """The deployed definition (ASL, with real ARNs) of a workflow."""
        if workflow not in self._definitions:
            description = self.client("stepfunctions").describe_state_machine(
                stateMachineArn=self.state_machine_arn(workflow)
            )
            self._definitions[workflow] = json.loads(description["definition"])
        return self._definitions[workflow]

    def task_steps(self, workflow: str | None = None) -> list[TaskStep]:
        """Every Task state of one deployed workflow, or of all of them."""
        names = [workflow] if workflow else self.workflows()
        return [step for name in names for step in task_steps(self.definition(name), name)]

    def step(self, workflow: str, state: str) -> TaskStep:
        """The Task state named ``state`` in ``workflow`` (also inside Map and Parallel states)."""
        for candidate in self.task_steps(workflow):
            if candidate.state == state:
                return candidate
        raise HarnessError(
            f"[{workflow}] has no Task state [{state}]; it has {[s.state for s in self.task_steps(workflow)]}"
        )

    def function_names(self) -> list[str]:
        """Every deployed Lambda function."""
        functions = self.client("lambda").get_paginator("list_functions").paginate()
        return sorted(f["FunctionName"] for page in functions for f in page["Functions"])

    # Executions -----------------------------------------------------------------------------------

    def start(self, workflow: str, input: Any, *, reason: str = "behaviour test") -> Execution:
        """Start ``workflow`` with ``input`` (serialised to JSON); named by ``execution_name``."""
        name = execution_name(physical_name(workflow, self.stage), reason)
        arn = self.client("stepfunctions").start_execution(
            stateMachineArn=self.state_machine_arn(workflow),
            name=name,
            input=json.dumps(input),
        )["executionArn"]
        return Execution(arn=arn, name=name, workflow=workflow)

    def wait(self, execution: ExecutionRef, *, timeout: float = DEFAULT_WAIT_SECONDS) -> ExecutionResult:
        """Poll until the execution ends; raises :class:`HarnessError` after ``timeout`` seconds."""
        execution = self._execution(execution)
        client = self.client("stepfunctions")
        deadline = time.monotonic() + timeout
        while True:
            description = client.describe_execution(executionArn=execution.arn)
            if description["status"] in FINAL_STATUSES:
                break
            if time.monotonic() > deadline:
                raise HarnessError(
                    f"execution [{execution.name}] still {description['status']} after "
                    f"{timeout:.0f} s\n{self.trace(execution).render()}"
                )
            time.sleep(POLL_SECONDS)
        output = description.get("output")
        stopped = description.get("stopDate") or description["startDate"]
        return ExecutionResult(
            execution=execution,
            status=description["status"],
            output=json.loads(output) if output else None,
            error=description.get("error"),
            cause=description.get("cause"),
            seconds=(stopped - description["startDate"]).total_seconds(),
        )

    def run(
        self,
        workflow: str,
        input: Any,
        *,
        reason: str = "behaviour test",
        timeout: float = DEFAULT_WAIT_SECONDS,
    ) -> ExecutionResult:
        """Start ``workflow`` and wait until it ends."""
        return self.wait(self.start(workflow, input, reason=reason), timeout=timeout)

    def redrive(self, execution: ExecutionRef) -> Execution:
        """RedriveExecution: continue a FAILED, TIMED_OUT or ABORTED execution from the state that did
        not succeed (same ARN, same input; succeeded states are not run again). Wait with :meth:`wait`.

        Raises the client's ``ExecutionNotRedrivable`` (with AWS's reason) when it cannot be redriven.
        """
        execution = self._execution(execution)
        self.client("stepfunctions").redrive_execution(executionArn=execution.arn)
        return execution

    def fire_schedule(
        self,
        name: str,
        *,
        group: str = DEFAULT_GROUP,
        scheduled_time: datetime | None = None,
        execution_id: str | None = None,
    ) -> Firing:
        """Fire EventBridge Scheduler schedule ``name`` once, as Scheduler would at ``scheduled_time``
        (default now): its input with the context attributes replaced, its target called as its role,
        its dead-letter queue given the input when the call fails (see ``workflow_local_cloud.schedules``).

        ``execution_id`` is Scheduler's id of the invocation (default: a new one); fire twice with the
        same ``scheduled_time`` and another id to play a duplicate delivery.
        """
        return fire_schedule(
            self.session,
            self.endpoint_url,
            name,
            group=group,
            scheduled_time=scheduled_time,
            execution_id=execution_id,
        )

    def backdate(self, execution: ExecutionRef, *, days: float) -> None:
        """Make an execution look as if it started and stopped ``days`` earlier (14-day redrive window)."""
        self.control("POST", "backdate", {"executionArn": self._execution(execution).arn, "days": days})

    def history(self, execution: ExecutionRef) -> list[dict[str, Any]]:
        """The execution's full event history, oldest first."""
        arn = self._execution(execution).arn
        pages = self.client("stepfunctions").get_paginator("get_execution_history").paginate(executionArn=arn)
        return [event for page in pages for event in page["events"]]

    def trace(self, execution: ExecutionRef) -> Trace:
        """A readable account of the execution: per state, duration, retries, output or error."""
        execution = self._execution(execution)
        description = self.client("stepfunctions").describe_execution(executionArn=execution.arn)
        return build_trace(execution.name, description, self.history(execution), self.pauses(execution))

    def pauses(self, execution: ExecutionRef | None = None) -> list[Pause]:
        """Waits and retry intervals simulated time skipped, of one execution or of all."""
        route = "pauses" if execution is None else f"pauses?execution={self._execution(execution).arn}"
        return [Pause.from_json(document) for document in self.control("GET", route)]

    # Faults ---------------------------------------------------------------------------------------

    def inject_transient_fault(
        self,
        workflow: str,
        state: str,
        *,
        times: int = 1,
        error: str | None = None,
        cause: str | None = None,
    ) -> Fault:
        """Make the next ``times`` attempts of a step fail with an error its Retry handles.

        The error is what AWS raises when the step's integration throttles it (``TaskStep.transient_error``,
        from the library's error table), with AWS's Cause, unless given;
        refuses a fault the step could not recover from (no Retry, or more failures than attempts).
        """
        step = self.step(workflow, state)
        chosen = error or step.transient_error
        if chosen is None:
            raise FaultError(
                f"[{step}] has no Retry: a transient fault would fail it; use inject_permanent_fault"
            )
        allowed = step.max_transient_failures(chosen)
        if times > allowed:
            raise FaultError(
                f"[{step}] retries [{chosen}] {allowed} time(s); {times} failure(s) would not "
                f"be recovered from"
            )
        if cause is None:
            cause = (step.transient_cause if error is None else None) or DEFAULT_CAUSE
        # The local cloud matches a fault to the state machine by its deployed (physical) name.
        return self._arm(Fault(physical_name(workflow, self.stage), state, chosen, cause, times))

    def inject_permanent_fault(
        self, workflow: str, state: str, *, error: str | None = None, cause: str = DEFAULT_CAUSE
    ) -> Fault:
        """Make every attempt of a step fail, with an error its Catch handles and its Retry does not.

        The error defaults to ``TaskStep.permanent_error``; the execution then takes the Catch
        (compensation) path, or fails if the step has no Catch.
        """
        step = self.step(workflow, state)
        return self._arm(
            Fault(physical_name(workflow, self.stage), state, error or step.permanent_error, cause, None)
        )

    def inject_answer(self, workflow: str, state: str, output: Any, *, times: int | None = None) -> Answer:
        """Make a service step answer ``output`` without calling its service (every attempt, or ``times``).

        For what the emulator cannot produce, such as a CloudFormation stack that rolled back: the
        step succeeds with ``output`` as the service's response (in the service's own casing), and
        the workflow carries on from there. Say in the test why the answer is injected. Refused for
        Lambda steps: their deployed code runs. Cleared by :meth:`clear_faults`.
        """
        step = self.step(workflow, state)
        if ":lambda:" in step.resource:
            raise FaultError(f"[{step}] runs a Lambda function: its code runs, it takes no answer")
        answer = Answer(physical_name(workflow, self.stage), state, output, times)
        self.control("POST", "answers", answer.to_json())
        return answer

    def clear_faults(self) -> None:
        """Disarm every fault and answer (call it in teardown when a test may leave one armed)."""
        self.control("DELETE", "faults")

    def armed_faults(self) -> list[dict[str, Any]]:
        """Faults still armed, with the attempts each has left."""
        return list(self.control("GET", "faults"))

    def delivered_faults(self) -> list[Fault]:
        """Every attempt a fault failed so far."""
        return [Fault.from_json(document) for document in self.control("GET", "faults/delivered")]

    def _arm(self, fault: Fault) -> Fault:
        self.control("POST", "faults", fault.to_json())
        return fault

    # Callbacks ------------------------------------------------------------------------------------

    def task_token(
        self, execution: ExecutionRef, state: str, *, timeout: float = DEFAULT_WAIT_SECONDS
    ) -> str:
        """The task token the callback step ``state`` is waiting on (waits until it is waiting).

        Read from the execution history (the parameters of the step's latest TaskScheduled event)
        and checked against the tokens the local cloud knows are still pending.
        """
        execution = self._execution(execution)
        deadline = time.monotonic() + timeout
        while True:
            pending = {
                row["taskToken"]
                for row in self.control("GET", "callbacks")
                if row["executionArn"] == execution.arn
            }
            # The history is the expensive read (every page, every poll): only read it once the
            # local cloud holds a pending token of this execution, since the answer must be one.
            token = (
                next((t for t in _scheduled_strings(self.history(execution), state) if t in pending), None)
                if pending
                else None
            )
            if token is not None:
                return token
            if time.monotonic() > deadline:
                raise HarnessError(
                    f"[{state}] of [{execution.name}] is not waiting for a callback after "
                    f"{timeout:.0f} s\n{self.trace(execution).render()}"
                )
            time.sleep(POLL_SECONDS * 2)

    def complete_callback(self, execution: ExecutionRef, state: str, output: Any = None) -> str:
        """SendTaskSuccess to the step ``state`` is waiting in; returns the token used."""
        token = self.task_token(execution, state)
        self.client("stepfunctions").send_task_success(taskToken=token, output=json.dumps(output or {}))
        return token

    def fail_callback(self, execution: ExecutionRef, state: str, *, error: str, cause: str = "") -> str:
        """SendTaskFailure to the step ``state`` is waiting in; returns the token used."""
        token = self.task_token(execution, state)
        self.client("stepfunctions").send_task_failure(taskToken=token, error=error, cause=cause)
        return token

    def heartbeat(self, execution: ExecutionRef, state: str) -> str:
        """SendTaskHeartbeat for the step ``state`` is waiting in."""
        token = self.task_token(execution, state)
        self.client("stepfunctions").send_task_heartbeat(taskToken=token)
        return token

    def time_out_callback(self, execution: ExecutionRef, state: str) -> str:
        """Make the waiting step ``state`` time out now (``States.Timeout``), as its TimeoutSeconds would."""
        token = self.task_token(execution, state)
        self.control("POST", "callbacks/timeout", {"taskToken": token})
        return token

    # Recordings -----------------------------------------------------------------------------------

    def emails(self, *, to: str | None = None) -> list[SentEmail]:
        """Emails SES accepted, oldest first; ``to`` keeps those addressed to one recipient."""
        emails = []
        for row in self.control("GET", "emails"):
            recipients = tuple(row["to"] + row["cc"] + row["bcc"])
            if to is not None and to not in recipients:
                continue
            data = row.get("templateData")
            emails.append(
                SentEmail(
                    message_id=row["messageId"],
                    sender=row["from"],
                    to=recipients,
                    subject=row["subject"],
                    body=row["body"],
                    template=row["template"],
                    template_data=json.loads(data) if data else None,
                )
            )
        return emails

    def alarm_actions(self) -> list[dict[str, str]]:
        """Every SNS notification a CloudWatch alarm sent on a change of state, oldest first:
        ``alarm``, ``action`` (the topic), ``state``, ``result`` (``delivered`` or ``failed``) and
        ``error`` (SNS's ``AuthorizationError`` when the topic policy does not let CloudWatch publish)."""
        return list(self.control("GET", "alarm-actions"))

    def inventory(self) -> Inventory:
        """What every emulated service holds now (items, objects, messages, emails, roles, stacks, ...).

        Compare two with ``after.changes_since(before)`` to see what something did.
        """
        return Inventory.from_json(self.control("GET", "inventory"))

    @contextlib.contextmanager
    def iam_evaluation(self) -> Iterator[None]:
        """Inside: requests signed by IAM users' keys (see :meth:`principal`) and their role sessions
        are authorised against their policies, as on AWS; the harness's own calls are not evaluated."""
        self.control("POST", "iam", {"evaluate": True})
        try:
            yield
        finally:
            self.control("POST", "iam", {"evaluate": False})

    def iam_decisions(self) -> list[dict[str, str]]:
        """Every request the IAM evaluation mode evaluated: principal, action, resource, decision."""
        return list(self.control("GET", "iam")["decisions"])

    def principal(
        self, name: str, statements: list[dict[str, Any]], *, managed_policy_arns: tuple[str, ...] = ()
    ) -> boto3.Session:
        """A new IAM user holding ``statements`` (inline) and ``managed_policy_arns``; a session signed
        with its own access key. Its calls are evaluated inside :meth:`iam_evaluation`."""
        iam = self.client("iam")
        iam.create_user(UserName=name)
        iam.put_user_policy(
            UserName=name,
            PolicyName=f"{name}-grants",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
        )
        for arn in managed_policy_arns:
            iam.attach_user_policy(UserName=name, PolicyArn=arn)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return boto3.Session(
            aws_access_key_id=key["AccessKeyId"],
            aws_secret_access_key=key["SecretAccessKey"],
            region_name=self.session.region_name,
        )

    def lambda_log_lines(self, function_name: str | None = None) -> list[LogLine]:
        """Every line Lambda functions wrote (``/aws/lambda/<name>`` log groups), of one function or all."""
        logs = self.client("logs")
        prefix = f"/aws/lambda/{function_name}" if function_name else "/aws/lambda/"
        lines = []
        for group in _paged(logs, "describe_log_groups", "logGroups", logGroupNamePrefix=prefix):
            name = group["logGroupName"]
            if function_name and name != prefix:
                continue
            for event in _paged(logs, "filter_log_events", "events", logGroupName=name):
                lines.append(LogLine(name, event["logStreamName"], event["message"]))
        return lines

    # Internals ------------------------------------------------------------------------------------

    def _execution(self, execution: ExecutionRef) -> Execution:
        if isinstance(execution, Execution):
            return execution
        parts = execution.split(":")
        return Execution(
            arn=execution, name=parts[-1], workflow=logical_name(parts[-2], self.stage) or parts[-2]
        )

    def _refresh_machines(self) -> None:
        pages = self.client("stepfunctions").get_paginator("list_state_machines").paginate()
        machines = (m for page in pages for m in page["stateMachines"])
        named = ((logical_name(m["name"], self.stage), m["stateMachineArn"]) for m in machines)
        self._machines = {name: arn for name, arn in named if name is not None}


def _paged(client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    token_key = "nextToken"  # noqa: S105 - a pagination field, not a secret
    while True:
        page = getattr(client, operation)(**kwargs)
        yield from page.get(key, [])
        if not page.get(token_key):
            return
        kwargs[token_key] = page[token_key]


def _scheduled_strings(history: list[dict[str, Any]], state: str) -> list[str]:
    """Every string in the parameters of ``state``'s TaskScheduled events, latest event first.

    Each TaskScheduled event belongs to the state entered at the start of its chain of previous
    events, which holds also when Map iterations or Parallel branches interleave.
    """
    events = {int(event["id"]): event for event in history}
    found: list[list[str]] = []
    for event in history:
        if event["type"] != "TaskScheduled" or _entered_state(events, event) != state:
            continue
        parameters = json.loads(event["taskScheduledEventDetails"].get("parameters") or "{}")
        found.append(list(_strings(parameters)))
    return [value for values in reversed(found) for value in values]


def _entered_state(events: Mapping[int, Mapping[str, Any]], event: Mapping[str, Any]) -> str | None:
    while event is not None:
        if str(event["type"]).endswith("StateEntered"):
            return str(event["stateEnteredEventDetails"]["name"])
        event = events.get(int(event.get("previousEventId") or 0))  # type: ignore[assignment]
    return None


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
        try:
            yield from _strings(json.loads(value))  # a Payload can be a JSON string
        except ValueError:
            return
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@contextlib.contextmanager
def running_local_cloud(
    assembly: Path | str | Callable[[], Path | str] | None = None,
    *,
    simulated_time: bool = True,
    workdir: Path | None = None,
    in_process: bool = False,
    stage: str | None = None,
    stacks: list[str] | None = None,
) -> Iterator[LocalCloudHarness]:
    """A local cloud with ``assembly`` (a ``cdk.out``: all its stacks, or ``stacks``) loaded; stopped on exit.

    ``stage``: the stage ``assembly`` was synthesized for (``-c stage=...``); the harness then names
    workflows without it (:attr:`LocalCloudHarness.stage`).

    The server runs in a child process unless ``in_process``: moto's state is process-wide, so a
    server in the test process would be reset by any ``mock_aws`` in another test, and its patches
    would change what those tests see. ``assembly`` may be a callable: it is called while the
    server starts (synthesis and moto's start-up then overlap). The pytest plugin's fixture::

        with running_local_cloud(lambda: request.getfixturevalue("local_cloud_assembly")) as harness:
            yield harness
    """
    if in_process:
        server = LocalCloudServer(simulated_time=simulated_time, workdir=workdir)
        outdir = assembly() if callable(assembly) else assembly
        server.start()
        try:
            yield _loaded(LocalCloudHarness(server.endpoint_url, stage=stage), outdir, lambda: "", stacks)
        finally:
            server.stop()
        return
    cloud = launch(simulated_time=simulated_time, workdir=workdir)
    try:
        outdir = assembly() if callable(assembly) else assembly
        cloud.wait_ready()
        harness = LocalCloudHarness(cloud.endpoint_url, stage=stage)
        harness.server_log = cloud.log_path
        yield _loaded(harness, outdir, cloud.log_tail, stacks)
    finally:
        cloud.stop()


def _loaded(
    harness: LocalCloudHarness,
    outdir: Path | str | None,
    log_tail: Callable[[], str],
    stacks: list[str] | None,
) -> LocalCloudHarness:
    if outdir is not None:
        try:
            harness.load(outdir, stacks=stacks)
        except LoadError as error:
            raise LoadError(f"{error}\n--- local cloud log ---\n{log_tail()}") from error
    return harness
