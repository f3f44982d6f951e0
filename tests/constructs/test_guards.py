"""The synth guards: a deliberately bad state machine fails synth and every offender is named."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as sfn_tasks
from workflow_constructs import NoRetry, Workflow, tasks
from workflow_constructs.checks import WorkflowGuards


def _synth_with_guards(tmp_path, build, *, expect_failure: bool = True) -> dict:
    """Synthesize an app holding what ``build`` adds; return the guards' part of the report."""
    app = cdk.App(outdir=str(tmp_path), context={"aws:cdk:version-reporting": False})
    stack = cdk.Stack(app, "Guarded")
    build(stack)
    cdk.Validations.of(app).add_plugins(WorkflowGuards())
    if not expect_failure:
        app.synth()
        return {"violations": []}
    with pytest.raises(RuntimeError, match="ValidationFailed") as failure:
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    guards = next(r for r in report["pluginReports"] if r["pluginName"] == "workflow-guards")
    # The failure message itself names every offender, as `cdk synth` prints it.
    for violation in guards["violations"]:
        assert violation["description"] in str(failure.value)
    return guards


def _messages(report: dict) -> list[str]:
    return sorted(f"{v['ruleName']}: {v['description']}" for v in report["violations"])


def test_bad_state_machine_fails_synth_naming_every_offender(tmp_path):
    # GIVEN a raw state machine: a task without retry, placeholder names, no logging, no tracing
    def build(stack):
        queue = sqs.Queue(stack, "Queue", enforce_ssl=True)
        unretried = sfn_tasks.SqsSendMessage(
            stack, "Task1", queue=queue, message_body=sfn.TaskInput.from_text("x")
        )
        weak = sfn_tasks.SqsSendMessage(
            stack, "Tell the queue", queue=queue, message_body=sfn.TaskInput.from_text("y")
        )
        weak.add_retry(errors=["SQS.RequestThrottled"], backoff_rate=1)
        sfn.StateMachine(
            stack,
            "Bad",
            definition_body=sfn.DefinitionBody.from_chainable(
                unretried.next(weak).next(sfn.Pass(stack, "Step 2"))
            ),
        )

    # WHEN the app is synthesized
    report = _synth_with_guards(tmp_path, build)

    # THEN synth fails and the report lists each offender with its rule
    assert _messages(report) == [
        "WF-Observability: X-Ray tracing is off",
        "WF-Observability: logging is not at level ALL",
        "WF-Retry: task [Task1] has no Retry (use a library task, or NoRetry(reason=...))",
        "WF-Retry: task [Tell the queue] retries ['SQS.RequestThrottled'] without exponential backoff "
        "(BackoffRate must be > 1)",
        "WF-StateName: state [Step 2] is a placeholder, not a description of what the step does",
        "WF-StateName: state [Task1] is a placeholder, not a description of what the step does",
    ]


def test_guards_look_inside_parallel_and_map(tmp_path):
    def build(stack):
        queue = sqs.Queue(stack, "Queue", enforce_ssl=True)
        inner = sfn_tasks.SqsSendMessage(
            stack, "Send each item", queue=queue, message_body=sfn.TaskInput.from_text("x")
        )
        each = sfn.Map(stack, "For each item").item_processor(inner)
        both = sfn.Parallel(stack, "Do both").branch(each).branch(sfn.Pass(stack, "Note it"))
        Workflow(stack, "Flow", workflow_name="nested-flow", definition=both)

    report = _synth_with_guards(tmp_path, build)

    assert _messages(report) == [
        "WF-Retry: task [Do both / For each item / Send each item] has no Retry "
        "(use a library task, or NoRetry(reason=...))",
    ]


def test_library_workflow_passes_the_guards(tmp_path):
    def build(stack):
        queue = sqs.Queue(stack, "Queue", enforce_ssl=True)
        send = tasks.send_message(
            stack, "Queue the request", queue=queue, message_body=sfn.TaskInput.from_text("x")
        )
        unretried = tasks.send_message(
            stack,
            "Queue the audit record",
            queue=queue,
            message_body=sfn.TaskInput.from_text("y"),
            retry=NoRetry(reason="audit records are best effort by design"),
        )
        Workflow(stack, "Flow", workflow_name="good-flow", definition=send.next(unretried))

    assert _synth_with_guards(tmp_path, build, expect_failure=False)["violations"] == []


@pytest.mark.parametrize("name", ["Task3", "Lambda Invoke", "step_2", "x" * 81, "Ask: why?"])
def test_library_tasks_reject_unreadable_names_when_built(name):
    stack = cdk.Stack()
    queue = sqs.Queue(stack, "Queue")
    with pytest.raises(ValueError, match=r"^name .*Received: \["):
        tasks.send_message(stack, name, queue=queue, message_body=sfn.TaskInput.from_text("x"))
