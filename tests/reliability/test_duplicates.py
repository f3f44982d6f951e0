"""Duplicates: the same request twice, the same callback twice, the same Lambda invocation twice.

Each repeat is measured with the local cloud's inventory: anything it *added* (an item, an object,
a message, an email, a role, a secret, a key, a stack) is something done twice; and, as EventBridge
keeps no events, with a rule that forwards every event the app puts to a queue of the test's own: an
event about the same request again is something announced twice. Rewrites of an
existing record are not additions; a profile's ``bookkeeping`` patterns (an idempotency record, a
lock) are left out, each with its reason in the profile.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator

import pytest
from botocore.exceptions import ClientError
from workflow_constructs.definition import iter_states, state_machines
from workflow_local_cloud import task_steps_of_templates

from tests.conftest import synthesize_once
from tests.reliability.profiles.base import matching_changes, settle
from tests.reliability.tally import Verdict

IGNORED = ("stepfunctions:executions *",)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "callback_workflow" in metafunc.fixturenames:
        steps = task_steps_of_templates(synthesize_once(metafunc.config).templates)
        metafunc.parametrize("callback_workflow", sorted({s.workflow for s in steps if s.is_callback}))


def _doubled(profile, before, after) -> list[str]:
    """What a repeat added: the app's own resources only (queues other tests subscribe to observe
    topics and event buses are theirs; what reaches them through a topic is counted on the topic)."""
    changes = matching_changes(after.changes_since(before), (*IGNORED, *profile.bookkeeping))
    app_queues = profile.deployment.app_queues
    return [
        str(change)
        for change in changes
        if change.added and (change.kind != "sqs:messages" or change.key in app_queues)
    ]


def _event_sources(templates) -> list[str]:
    """The ``source`` of every EventBridge event a deployed workflow puts (from the definitions)."""
    sources = set()
    for template in templates.values():
        for definition in state_machines(template).values():
            for ref in iter_states(definition):
                if str(ref.state.get("Resource", "")).endswith(":states:::events:putEvents"):
                    sources.update(entry["Source"] for entry in ref.state["Parameters"]["Entries"])
    return sorted(sources)


@pytest.fixture(scope="module")
def app_events(local_cloud_session, synthesized_app) -> Iterator[Callable[[], list[dict]]]:
    """EventBridge keeps no events: a rule forwards every event the app puts to a queue of ours.

    Returns a function that answers the events that arrived since it was last called.
    """
    events, sqs = local_cloud_session.client("events"), local_cloud_session.client("sqs")
    name = f"duplicates-events-{uuid.uuid4().hex[:8]}"
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(Name=name, EventPattern=json.dumps({"source": _event_sources(synthesized_app.templates)}))
    events.put_targets(Rule=name, Targets=[{"Id": "queue", "Arn": queue_arn}])

    def arrived() -> list[dict]:
        found = []
        while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
            found += [json.loads(message["Body"]) for message in messages]
            for message in messages:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        return found

    yield arrived
    events.remove_targets(Rule=name, Ids=["queue"])
    events.delete_rule(Name=name)
    sqs.delete_queue(QueueUrl=queue_url)


def test_the_same_request_twice_is_done_once(profile, tally, app_events):
    # GIVEN a request that ran to its end once
    happy = profile.scenarios[0]
    first = profile.run(happy)
    assert happy.expect.matches(first.result), profile.harness.trace(first.execution).render()
    app_events()  # what the first run (and anything before it) announced

    # WHEN exactly the same request is started again
    second = profile.run(happy, request=first.request, setup=False)

    # THEN it ends as well, and added nothing: no second record, object, email, message, resource
    # or EventBridge event about the request
    verdict = profile.judge_run(second)
    if not happy.expect.matches(second.result):
        verdict.lost.append(f"the repeat ended {second.result.status} {second.result.error}")
    verdict.doubled += _doubled(profile, second.before, second.after)
    verdict.doubled += [
        f"EventBridge: {event['detail-type']} again"
        for event in app_events()
        if event.get("detail", {}).get("correlationId") == first.request.get("correlationId")
    ]
    tally.record("duplicates", profile.workflow, verdict)
    assert verdict.clean, verdict.render() + "\n" + profile.harness.trace(second.execution).render()


def test_a_replayed_lambda_invocation_is_done_once(profile, tally):
    # GIVEN a happy run, and every Lambda invocation it made (function and event, from its history)
    harness = profile.harness
    run = profile.run(profile.scenarios[0])
    assert run.scenario.expect.matches(run.result), harness.trace(run.execution).render()
    invocations = _lambda_invocations(harness.history(run.execution))
    if not invocations:
        pytest.skip(f"{profile.workflow} invokes no Lambda function (direct service integrations only)")

    # WHEN each function is invoked again with the same event
    for function, event in invocations:
        settle(harness)
        before = harness.inventory()
        answer = harness.client("lambda").invoke(FunctionName=function, Payload=event.encode())
        answer["Payload"].read()
        settle(harness)

        # THEN the replay added nothing (it may answer as before, or refuse: either way no effect)
        verdict = Verdict(
            doubled=[
                f"{function.rsplit(':', 1)[-1]}: {c}" for c in _doubled(profile, before, harness.inventory())
            ]
        )
        tally.record("duplicates", profile.workflow, verdict)
        assert verdict.clean, verdict.render()


def test_each_callback_delivered_twice_is_done_once(callback_workflow, deployment, local_cloud, tally):
    # GIVEN a happy run of a workflow that waits for callbacks, and the answers it was given
    from tests.reliability.profiles import PROFILES

    profile = PROFILES[callback_workflow](deployment)
    run = profile.run(profile.scenarios[0])
    assert run.scenario.expect.matches(run.result), local_cloud.trace(run.execution).render()
    assert run.answers, f"the happy path of {callback_workflow} delivered no callback"
    tokens = _callback_tokens(local_cloud.history(run.execution))

    # WHEN each answer is delivered again the way it came (a webhook, an operator's answer) ...
    for answer in run.answers:
        settle(local_cloud)
        before = local_cloud.inventory()
        try:
            response = answer.deliver()
            refused = answer.refused(response)
        except ClientError:
            refused, response = True, None
        verdict = Verdict(
            doubled=[f"{answer.label}: {c}" for c in _doubled(profile, before, local_cloud.inventory())]
        )
        if not refused:
            verdict.doubled.append(f"{answer.label}: the repeat was taken as new: {response}")
        tally.record("duplicates", callback_workflow, verdict)
        assert verdict.clean, verdict.render()

    # ... and each task token is answered once more straight to Step Functions
    for token in tokens:
        before = local_cloud.inventory()
        with pytest.raises(ClientError) as refused:
            local_cloud.client("stepfunctions").send_task_success(
                taskToken=token, output=json.dumps({"again": True})
            )
        verdict = Verdict(doubled=_doubled(profile, before, local_cloud.inventory()))
        tally.record("duplicates", callback_workflow, verdict)
        assert refused.value.response["Error"]["Code"] in ("TaskTimedOut", "TaskDoesNotExist", "InvalidToken")
        assert verdict.clean, verdict.render()


def _lambda_invocations(history: list[dict]) -> list[tuple[str, str]]:
    """(function ARN, event JSON) of every Lambda invocation in an execution's history."""
    found = []
    for event in history:
        if event["type"] == "LambdaFunctionScheduled":
            details = event["lambdaFunctionScheduledEventDetails"]
            found.append((details["resource"], details.get("input") or "{}"))
        elif (
            event["type"] == "TaskScheduled"
            and event["taskScheduledEventDetails"]["resourceType"] == "lambda"
        ):
            parameters = json.loads(event["taskScheduledEventDetails"]["parameters"])
            payload = parameters.get("Payload", {})
            found.append(
                (parameters["FunctionName"], payload if isinstance(payload, str) else json.dumps(payload))
            )
    return found


def _callback_tokens(history: list[dict]) -> list[str]:
    """The task tokens of every ``.waitForTaskToken`` step of an execution (from its parameters)."""
    tokens = []
    for event in history:
        details = event.get("taskScheduledEventDetails")
        if event["type"] != "TaskScheduled" or not details["resource"].endswith(".waitForTaskToken"):
            continue
        tokens += list(_token_values(json.loads(details["parameters"])))
    return tokens


def _token_values(value, key: str = ""):
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _token_values(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from _token_values(item, key)
    elif isinstance(value, str):
        if "token" in key.lower():
            yield value
        elif value.startswith("{"):
            try:
                yield from _token_values(json.loads(value), key)
            except ValueError:
                return
