"""The local cloud: moto, patched to run the synthesized workflows for real, with no Docker and no AWS.

State machines execute (also those CloudFormation creates), Lambda functions run the code that was
deployed to them in warm worker processes, and handlers' boto3 calls reach the same local cloud.
Waits and retry intervals are skipped and recorded (simulated time); faults can be injected into
any step; callbacks can be answered or timed out.

The layout tells the architecture:

- ``server``: moto on one port, with the control API (``control``) and every patch (``patches``,
  with a module of its own for most patches, listed in ``patches.PATCHES``: the only modules that
  touch moto's internals; each patch has a canary test);
- ``lambda_runner`` (+ ``_lambda_worker``): warm Lambda workers; ``clock``: simulated time;
  ``faults``: armed faults; ``steps``: the Task states of a definition and the faults each takes;
- ``process``: the server in a child process (``start``/``stop``); ``__main__``: the same as a
  command, ``python -m workflow_local_cloud --port 4599``;
- ``loader``: deploys a ``cdk.out`` without the CDK CLI; ``harness``: the test API; ``trace``: a
  readable account of an execution.

- ``pytest_plugin``: the fixtures ``local_cloud_assembly``, ``local_cloud_session`` and
  ``local_cloud`` that deploy a team's own CDK app (installed as a ``pytest11`` plugin).

Harness API (stable; tests use it through the plugin's ``local_cloud`` fixture)::

    running_local_cloud(assembly=None, *, simulated_time=True, in_process=False, stacks=None)
        -> ContextManager[LocalCloudHarness]      # a child process unless in_process

    LocalCloudHarness(endpoint_url)
        .load(outdir, *, stacks=None, prewarm=True) -> list[DeployedStack]
        .prewarm(*, wait=False) -> int;  .health() -> dict
        .workflows() -> list[str];  .definition(workflow) -> dict;  .function_names() -> list[str]
        .start(workflow, input, *, reason="behaviour test") -> Execution
        .wait(execution, *, timeout=30) -> ExecutionResult      # status, output, error, cause
        .run(workflow, input, *, reason=..., timeout=30) -> ExecutionResult
        .redrive(execution) -> Execution    # RedriveExecution: on from the state that did not succeed
        .backdate(execution, *, days)      # started and stopped earlier (the 14-day redrive window)
        .fire_schedule(name, *, group="default", scheduled_time=None, execution_id=None) -> Firing
            # EventBridge Scheduler's invocation, now: context attributes replaced in the input, the
            # target called as the schedule's role, the dead-letter queue on failure (schedules.py)
        .history(execution) -> list[dict];  .trace(execution) -> Trace   # Trace.render() -> str
        .pauses(execution=None) -> list[Pause]                  # waits skipped by simulated time
        .task_steps(workflow=None) -> list[TaskStep];  .step(workflow, state) -> TaskStep
        .inject_transient_fault(workflow, state, *, times=1, error=None) -> Fault
        .inject_permanent_fault(workflow, state, *, error=None) -> Fault
        .inject_answer(workflow, state, output, *, times=None) -> Answer   # a service's answer
        .clear_faults();  .armed_faults();  .delivered_faults() -> list[Fault]
        .task_token(execution, state) -> str
        .complete_callback(execution, state, output=None)
        .fail_callback(execution, state, *, error, cause="")
        .heartbeat(execution, state);  .time_out_callback(execution, state)
        .emails(*, to=None) -> list[SentEmail];  .lambda_log_lines(function_name=None) -> list[LogLine]
        .inventory() -> Inventory    # what the services hold; after.changes_since(before) -> list[Change]
        .client(service) -> boto3 client of the local cloud

    task_steps_of_templates(synthesized_app.templates) -> list[TaskStep]   # for generated fault cases

See the package's README for installing and configuring the plugin.
"""

from __future__ import annotations

from workflow_local_cloud.clock import Pause
from workflow_local_cloud.faults import Answer, Fault, FaultError
from workflow_local_cloud.harness import (
    Execution,
    ExecutionResult,
    HarnessError,
    LocalCloudHarness,
    LogLine,
    SentEmail,
    running_local_cloud,
)
from workflow_local_cloud.inventory import Change, Inventory
from workflow_local_cloud.loader import DeployedStack, LoadError, load_assembly
from workflow_local_cloud.process import LocalCloudProcess, LocalCloudStartError, launch, start
from workflow_local_cloud.schedules import Firing, ScheduleFireError
from workflow_local_cloud.server import LocalCloudServer, PortInUseError
from workflow_local_cloud.steps import TaskStep, task_steps, task_steps_of_templates
from workflow_local_cloud.trace import StateRun, Trace

__all__ = [
    "Answer",
    "Change",
    "DeployedStack",
    "Execution",
    "ExecutionResult",
    "Fault",
    "FaultError",
    "Firing",
    "HarnessError",
    "Inventory",
    "LoadError",
    "LocalCloudHarness",
    "LocalCloudProcess",
    "LocalCloudServer",
    "LocalCloudStartError",
    "LogLine",
    "Pause",
    "PortInUseError",
    "ScheduleFireError",
    "SentEmail",
    "StateRun",
    "TaskStep",
    "Trace",
    "launch",
    "load_assembly",
    "running_local_cloud",
    "start",
    "task_steps",
    "task_steps_of_templates",
]
