"""What the reliability suites need to know about a workflow, and how they run it.

A workflow takes part by a :class:`WorkflowProfile` subclass in this package (registered in
``profiles/__init__.py``): its valid request, the scenarios that reach every Task state, how to
answer its callbacks, and what a clean end looks like. Everything else (malformed payloads, one
fault case per Task state, duplicates, forged callbacks, log checks) is generic and reads the
deployed definitions, so a new state is covered the day it is added.
"""

from __future__ import annotations

import fnmatch
import json
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

from workflow_local_cloud import (
    Change,
    Execution,
    ExecutionResult,
    HarnessError,
    Inventory,
    LocalCloudHarness,
)
from workflow_local_cloud.steps import INJECTED_PERMANENT_ERROR

from tests.reliability.tally import Verdict

REPO_ROOT = Path(__file__).resolve().parents[3]
SAMPLES = REPO_ROOT / "samples"
RUN_TIMEOUT_SECONDS = 60.0
CALLBACK_WAIT_SECONDS = 20.0

RESOURCE_KINDS = (
    "s3:objects",
    "iam:roles",
    "secretsmanager:secrets",
    "apigateway:api-keys",
    "cloudformation:stacks",
    "cloudformation:change-sets",
)
"""Inventory kinds that are things a run creates and a failed run must not leave behind."""

UNEXPECTED_ERROR = INJECTED_PERMANENT_ERROR
"""The error of a permanent fault: no Retry handles it and no Catch names it, only catch-alls.

A real, unexpected failure (access denied, a bug), not one a workflow routes on purpose
(``ConditionalCheckFailedException`` meaning "already done"), which its own scenarios cover.
"""

Request = dict[str, Any]


class Deployment:
    """The session's local cloud, and the physical names of what the app's stacks deployed."""

    def __init__(self, harness: LocalCloudHarness) -> None:
        self.harness = harness
        self._resources: dict[str, list[dict[str, Any]]] = {}
        self._outputs: dict[str, dict[str, str]] = {}

    def resources(self, stack: str) -> list[dict[str, Any]]:
        """Every resource of ``stack`` (CloudFormation's summaries), cached."""
        if stack not in self._resources:
            pages = self.harness.client("cloudformation").get_paginator("list_stack_resources")
            self._resources[stack] = [
                summary
                for page in pages.paginate(StackName=stack)
                for summary in page["StackResourceSummaries"]
            ]
        return self._resources[stack]

    def physical_id(self, stack: str, logical_prefix: str, resource_type: str) -> str:
        """The physical id of the one ``resource_type`` whose logical id starts with ``logical_prefix``."""
        found = [
            r["PhysicalResourceId"]
            for r in self.resources(stack)
            if r["LogicalResourceId"].startswith(logical_prefix) and r["ResourceType"] == resource_type
        ]
        if len(found) != 1:
            raise HarnessError(
                f"{stack}: expected one {resource_type} named {logical_prefix}*, found {found}"
            )
        return str(found[0])

    def outputs(self, stack: str) -> dict[str, str]:
        """The outputs of ``stack``, cached."""
        if stack not in self._outputs:
            (described,) = self.harness.client("cloudformation").describe_stacks(StackName=stack)["Stacks"]
            self._outputs[stack] = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
        return self._outputs[stack]

    def _workflow_alarms(self, stack: str, workflow: str) -> list[tuple[list[dict[str, Any]], set[str]]]:
        """Per alarm of ``workflow`` notifying the operations topic: the metrics it reads (one, or those
        of its metric math) and the logical ids of the workflow's state machines."""
        template = self.harness.client("cloudformation").get_template(StackName=stack)["TemplateBody"]
        if isinstance(template, str):
            template = json.loads(template)
        resources = template.get("Resources", {})
        machines = {
            logical_id
            for logical_id, resource in resources.items()
            if resource["Type"] == "AWS::StepFunctions::StateMachine"
            and resource["Properties"].get("StateMachineName") == workflow
        }
        found = []
        for resource in resources.values():
            properties = resource["Properties"]
            if resource["Type"] != "AWS::CloudWatch::Alarm" or "OperationsTopic" not in json.dumps(
                properties.get("AlarmActions", [])
            ):
                continue
            metrics = (
                [properties]
                if "MetricName" in properties
                else [m["MetricStat"]["Metric"] for m in properties.get("Metrics", []) if "MetricStat" in m]
            )
            found.append((metrics, machines))
        return found

    def alarmed_metrics(self, stack: str, workflow: str) -> set[str]:
        """The Step Functions metrics of ``workflow`` whose alarms notify the operations topic."""
        return {
            str(metric["MetricName"])
            for metrics, machines in self._workflow_alarms(stack, workflow)
            for metric in metrics
            if metric.get("Namespace") == "AWS/States"
            and any(
                dimension.get("Value") == {"Ref": machine}
                for dimension in metric.get("Dimensions", [])
                for machine in machines
            )
        }

    def unalarmed_outcomes(self, stack: str, workflow: str) -> set[str]:
        """The business outcomes (errors) the failed-executions alarm of ``workflow`` subtracts."""
        return {
            str(metric["MetricName"])
            for metrics, _ in self._workflow_alarms(stack, workflow)
            for metric in metrics
            if metric.get("Namespace") == f"Workflows/{workflow}"
        }

    @cached_property
    def app_queues(self) -> frozenset[str]:
        """Names of the SQS queues the app's stacks deployed (not queues tests add to observe)."""
        stacks = self.harness.client("cloudformation").describe_stacks()["Stacks"]
        return frozenset(
            str(r["PhysicalResourceId"]).rsplit("/", 1)[-1]
            for stack in stacks
            for r in self.resources(stack["StackName"])
            if r["ResourceType"] == "AWS::SQS::Queue"
        )

    @cached_property
    def operations_topic(self) -> str:
        """The operations topic's ARN (stack ``Operations``)."""
        return self.physical_id("Operations", "OperationsTopic", "AWS::SNS::Topic")

    def item(self, table: str, key: Mapping[str, str]) -> dict[str, Any]:
        """One DynamoDB item as plain values (``{}`` when absent), read consistently."""
        answer = self.harness.client("dynamodb").get_item(
            TableName=table, Key={name: {"S": value} for name, value in key.items()}, ConsistentRead=True
        )
        return {name: plain(value) for name, value in answer.get("Item", {}).items()}

    def query(self, table: str, key_name: str, key_value: str) -> list[dict[str, Any]]:
        """Every item of one partition, as plain values."""
        answer = self.harness.client("dynamodb").query(
            TableName=table,
            KeyConditionExpression="#k = :v",
            ExpressionAttributeNames={"#k": key_name},
            ExpressionAttributeValues={":v": {"S": key_value}},
            ConsistentRead=True,
        )
        return [{name: plain(value) for name, value in item.items()} for item in answer.get("Items", [])]

    def object_keys(self, bucket: str, prefix: str) -> list[str]:
        """The current object keys under ``prefix`` (delete markers and old versions left out)."""
        answer = self.harness.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix)
        return sorted(o["Key"] for o in answer.get("Contents", []))


def plain(value: Mapping[str, Any]) -> Any:
    """A DynamoDB attribute value as a plain Python value."""
    ((kind, inner),) = value.items()
    if kind == "M":
        return {k: plain(v) for k, v in inner.items()}
    if kind == "L":
        return [plain(v) for v in inner]
    if kind == "N":
        return int(inner) if inner.lstrip("-").isdigit() else float(inner)
    if kind == "NULL":
        return None
    return inner


@dataclass(frozen=True)
class Outcome:
    """How an execution should end."""

    status: str = "SUCCEEDED"
    error: str | None = None

    def matches(self, result: ExecutionResult) -> bool:
        """Whether ``result`` ended this way."""
        return result.status == self.status and (self.error is None or result.error == self.error)

    def __str__(self) -> str:
        return self.status + (f" {self.error}" if self.error else "")


@dataclass(frozen=True)
class Answer:
    """A callback a run delivered, kept so that a duplicate test can deliver it again.

    ``deliver`` sends it once more and returns what the receiver answered; raising means refused.
    ``refused`` tells from that answer whether the repeat was turned away (or had no effect).
    """

    state: str
    label: str
    deliver: Callable[[], Any]
    refused: Callable[[Any], bool] = lambda _answer: False


@dataclass(frozen=True)
class Scenario:
    """One way through a workflow: the request, what is armed for the run, setup, expected end.

    - ``request``: builds the request from a unique suffix (default: the profile's);
    - ``setup``: runs once, before the first run of the request (a first run, seed data);
    - ``faults``: ``(state, error)`` armed permanently before every run (``error=None``: an error
      only the step's catch-all handles);
    - ``arm``: called before every run, for answers the emulator cannot give (``inject_answer``);
    - ``drive``: answers the run's callbacks (default: the profile's :meth:`WorkflowProfile.drive`).

    The first scenario of a profile is its happy path.
    """

    name: str
    expect: Outcome = Outcome()
    request: Callable[[WorkflowProfile, str], Request] | None = None
    setup: Callable[[WorkflowProfile, Request], None] | None = None
    faults: tuple[tuple[str, str | None], ...] = ()
    arm: Callable[[WorkflowProfile, Request], None] | None = None
    drive: Callable[[WorkflowProfile, Execution, Request], list[Answer]] | None = None


@dataclass
class Run:
    """One execution of a scenario, and what the local cloud held before and after it."""

    scenario: Scenario
    request: Request
    execution: Execution
    result: ExecutionResult
    before: Inventory
    after: Inventory
    answers: list[Answer] = field(default_factory=list)
    observed_before: Any = None
    """The profile's :meth:`WorkflowProfile.observe` of the request's records before the run."""
    observed_after: Any = None

    def changes(self, *, ignore: Iterable[str] = ()) -> list[Change]:
        """What the run changed (``ignore``: fnmatch patterns of ``kind key``)."""
        return matching_changes(self.after.changes_since(self.before), ignore)


def matching_changes(changes: Iterable[Change], ignore: Iterable[str]) -> list[Change]:
    """``changes`` without those matching one of the fnmatch patterns ``ignore``.

    A pattern is matched against ``"<kind> <key> = <value now>"``, so it can name a kind
    (``"sns:messages *"``), a key (``"dynamodb:items *Idempotency*"``) or a value
    (``"cloudformation:change-sets * = FAILED/*"``).
    """
    patterns = list(ignore)
    return [
        c
        for c in changes
        if not any(fnmatch.fnmatchcase(f"{c.kind} {c.key} = {c.after}", p) for p in patterns)
    ]


class WorkflowProfile:
    """What the reliability suites know about one workflow. Subclass per workflow (see module docstring)."""

    workflow: ClassVar[str]
    """The state machine's name."""
    stack: ClassVar[str]
    """The stack id in ``app.py``."""
    invalid_error: ClassVar[str]
    """The error bad input fails with, at the first step."""
    validation_state: ClassVar[str]
    """The first step, which validates the request."""
    sample: ClassVar[str]
    """The happy-path input under ``samples/<workflow>/``."""
    scenarios: ClassVar[tuple[Scenario, ...]]
    excluded_steps: ClassVar[Mapping[str, str]] = {}
    """Task states no scenario reaches, each with the reason (a fault case for them is skipped)."""
    bookkeeping: ClassVar[tuple[str, ...]] = ()
    """fnmatch patterns (``kind key``) of changes a repeat may make without doing anything twice."""
    tolerated_leftovers: ClassVar[tuple[str, ...]] = ()
    """fnmatch patterns of resources a failed run may leave by design (each documented in the profile)."""
    residual_faults: ClassVar[Mapping[str, str]] = {}
    """Task states whose permanent failure leaves something a re-run cannot remove, with what and why
    (reported in the README; operations must have been told)."""

    # Malformed payloads: the paths (``a.b[0].c``) each kind of corruption applies to.
    required: ClassVar[tuple[str, ...]] = ("correlationId",)
    """Fields whose absence makes the request invalid."""
    bounded_strings: ClassVar[tuple[str, ...]] = ()
    """String fields with a length limit: a huge string there is invalid."""
    identifiers: ClassVar[tuple[str, ...]] = ()
    """Fields restricted to an ASCII pattern or a fixed set: unicode there is invalid."""
    amounts: ClassVar[tuple[str, ...]] = ()
    """Numbers that must be positive: a negative one is invalid."""
    strips_whitespace: ClassVar[bool] = False
    """Whether the validation strips surrounding whitespace (then ``"team\n"`` is ``"team"``, not
    malformed); otherwise a trailing newline in an identifier must be refused."""
    any_scalar: ClassVar[tuple[str, ...]] = ()
    """fnmatch patterns of fields whose value may be any scalar (only a container is the wrong type)."""
    personal_fields: ClassVar[tuple[str, ...]] = ()
    """Fields holding personal data (names, emails): they must never reach a log line."""
    no_personal_data: ClassVar[str] = ""
    """Why requests carry no personal data and the workflow waits on no callback, when that is so:
    the log search then has nothing to look for, and says so as a skip with this reason."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.harness = deployment.harness

    # The request ------------------------------------------------------------------------------

    def sample_request(self) -> Request:
        """The happy-path sample, as committed."""
        return dict(json.loads((SAMPLES / self.workflow / self.sample).read_text()))

    def request(self, unique: str) -> Request:
        """A valid request of its own (``unique``: a short hex string no other request uses)."""
        request = self.sample_request()
        request["correlationId"] = f"reliability-{unique}"
        return request

    # Running ----------------------------------------------------------------------------------

    def drive(self, execution: Execution, request: Request) -> list[Answer]:
        """Answer the callbacks of a running execution until it ends; returns what was delivered.

        Workflows without callbacks need nothing. Must return (not hang) when the execution ends
        before reaching a callback, as it does when a fault sends it down another path.
        """
        return []

    def before_repair(self, run: Run) -> None:
        """Called before the re-run that must repair what ``run`` left (default: nothing).

        For what only time would undo, such as a lock that expires after the workflow's timeout.
        """

    def observe(self, request: Request) -> Any:
        """The workflow's records of ``request`` (taken before and after every run, for :meth:`judge`)."""
        return None

    def judge(self, run: Run) -> Verdict:
        """What is wrong with the state the run left, from the workflow's point of view.

        Subclasses check their records (never stuck in an intermediate status, one of each thing
        on success, nothing half-written on failure); :meth:`judge_run` adds the generic checks.
        """
        return Verdict()

    def answers_to_forge(self, execution: Execution, request: Request) -> list[Forgery]:
        """Forged answers to the callback ``execution`` waits for, specific to the workflow (webhooks)."""
        return []

    # Generic ----------------------------------------------------------------------------------

    def judge_run(self, run: Run) -> Verdict:
        """The workflow's own judgement plus what holds for every workflow.

        - the execution ended;
        - a failed run left no resource behind (objects, roles, secrets, keys, stacks, change sets),
          except the profile's documented ``tolerated_leftovers``;
        - nobody got the same email twice from one run.
        """
        verdict = Verdict()
        if run.result.status == "RUNNING":
            verdict.lost.append(f"{run.execution.name} still running")
        if run.result.status != "SUCCEEDED":
            verdict.side_effects += [
                f"left behind by a failed run: {c}" for c in self.leftovers(run.before, run.after)
            ]
        verdict.doubled += [
            f"the same run emailed {c.key} {c.after - (c.before or 0)} times"
            for c in run.changes()
            if c.kind == "ses:emails" and c.added > 1
        ]
        return verdict.extend(self.judge(run))

    def leftovers(self, before: Inventory, after: Inventory) -> list[Change]:
        """Resources that appeared between two inventories, less the profile's ``tolerated_leftovers``."""
        added = [c for c in after.changes_since(before) if c.added and c.kind in RESOURCE_KINDS]
        return matching_changes(added, self.tolerated_leftovers)

    def operations_notified(self, run: Run) -> bool:
        """Whether operations hear of the run: it published to the operations topic, or it failed and
        the workflow's failed-executions alarm notifies the operations topic and does not subtract the
        run's error as a business outcome (CloudFormation deployed it; the local cloud does not
        evaluate alarms, so the template is what is checked)."""
        topic = self.deployment.operations_topic
        if run.after.count("sns:messages", topic) > run.before.count("sns:messages", topic):
            return True
        return (
            run.result.status == "FAILED"
            and run.result.error not in self.deployment.unalarmed_outcomes(self.stack, self.workflow)
            and "ExecutionsFailed" in self.deployment.alarmed_metrics(self.stack, self.workflow)
        )

    def run(
        self,
        scenario: Scenario,
        *,
        unique: str | None = None,
        request: Request | None = None,
        setup: bool = True,
    ) -> Run:
        """Run ``scenario`` once, answering its callbacks, and take the inventory before and after.

        Faults the caller armed stay armed; the scenario's own are armed here. ``request`` re-uses
        a request (a re-run); ``setup=False`` skips the scenario's setup (it ran the first time).
        """
        harness = self.harness
        if request is None:
            unique = unique or uuid.uuid4().hex[:12]
            request = scenario.request(self, unique) if scenario.request else self.request(unique)
        if setup and scenario.setup is not None:
            scenario.setup(self, request)
        for state, error in scenario.faults:
            harness.inject_permanent_fault(self.workflow, state, error=error or UNEXPECTED_ERROR)
        if scenario.arm is not None:
            scenario.arm(self, request)
        settle(harness)
        observed = self.observe(request)
        before = harness.inventory()
        execution = harness.start(self.workflow, request, reason=f"reliability {scenario.name}")
        answers = (scenario.drive or type(self).drive)(self, execution, request)
        result = harness.wait(execution, timeout=RUN_TIMEOUT_SECONDS)
        settle(harness)
        after = harness.inventory()
        return Run(
            scenario, request, execution, result, before, after, answers, observed, self.observe(request)
        )


@dataclass(frozen=True)
class Forgery:
    """A forged or malformed answer to a waiting callback, and how to tell it was refused."""

    label: str
    deliver: Callable[[], Any]
    refused: Callable[[Any], bool]


def run_happy_path_first(profile: WorkflowProfile, request: Request) -> None:
    """A scenario's ``setup``: the same request runs to its happy end once before."""
    happy = profile.scenarios[0]
    first = profile.run(happy, request=request, setup=False)
    assert happy.expect.matches(first.result), profile.harness.trace(first.execution).render()


def settle(harness: LocalCloudHarness, *, timeout: float = 5.0) -> None:
    """Wait until no execution is busy: each running one waits for a callback (or a child that does).

    Executions earlier tests left waiting are idle; anything else still running could change what
    the next inventory sees. After ``timeout`` it returns anyway (a ``.sync`` parent of a waiting
    child looks busy forever).
    """
    sfn = harness.client("stepfunctions")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting = {row["executionArn"] for row in harness.control("GET", "callbacks")}
        busy = [
            execution["executionArn"]
            for machine in harness.workflows()
            for execution in sfn.list_executions(
                stateMachineArn=harness.state_machine_arn(machine), statusFilter="RUNNING"
            )["executions"]
            if execution["executionArn"] not in waiting
        ]
        if not busy:
            return
        time.sleep(0.05)


def quiet_inventory(harness: LocalCloudHarness, *, timeout: float = 3.0) -> Inventory:
    """The inventory once it stops changing (two reads 50 ms apart agree).

    A step that waits for a callback is waiting as soon as its token exists, while its own call
    (the message carrying the token) may still be on its way: what it sends is not a forgery's doing.
    """
    deadline = time.monotonic() + timeout
    current = harness.inventory()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        again = harness.inventory()
        if again == current:
            return again
        current = again
    return current


def callback_token(harness: LocalCloudHarness, execution: Execution, state: str) -> str | None:
    """The token ``state`` waits on once it waits, or None if the execution ends first."""
    sfn = harness.client("stepfunctions")
    deadline = time.monotonic() + CALLBACK_WAIT_SECONDS
    while True:
        try:
            return harness.task_token(execution, state, timeout=0.05)
        except HarnessError:
            if sfn.describe_execution(executionArn=execution.arn)["status"] != "RUNNING":
                return None
            if time.monotonic() > deadline:
                raise
