"""Functional tests of the warm Lambda workers: real worker processes, no moto."""

from __future__ import annotations

import hashlib
import io
import json
import textwrap
import threading
import zipfile

import pytest
from workflow_constructs.lambda_code import runtime_package_dir
from workflow_local_cloud.lambda_runner import FunctionSpec, LambdaRunner

HANDLER = textwrap.dedent("""
    import json, os, sys, time

    STARTED_IN = os.getpid()

    class PaymentDeclined(Exception):
        pass

    def echo(event, context):
        print(json.dumps({"message": "echoing", "keys": sorted(event)}))
        return {
            "event": event, "pid": STARTED_IN,
            "context": {"name": context.function_name, "memory": context.memory_limit_in_mb,
                        "arn": context.invoked_function_arn, "request": context.aws_request_id,
                        "remaining": context.get_remaining_time_in_millis()},
            "env": {key: os.environ.get(key) for key in (
                "GREETING", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_LAMBDA_FUNCTION_NAME",
                "POWERTOOLS_TRACE_DISABLED", "AWS_ACCESS_KEY_ID", "HOME_OF_THE_TEST_RUNNER")},
            "cwd": os.getcwd(),
        }

    def decline(event, context):
        raise PaymentDeclined("card ending 4242 was declined")

    def sleepy(event, context):
        time.sleep(event["seconds"])
        return "awake"

    def unserialisable(event, context):
        return {"when": object()}

    def leave(event, context):
        sys.exit(3)
""")


def _code(source: str = HANDLER) -> tuple[bytes, str]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payments.py", source)
        # Importing the repository's tooling works on a laptop, never in Lambda: it must fail here too.
        archive.writestr("payments_outside.py", "import workflow_tools\n\ndef handler(event, context): ...\n")
    data = buffer.getvalue()
    return data, hashlib.sha256(data).hexdigest()


def _spec(
    handler: str = "payments.echo", *, digest: str, timeout: float = 5.0, **environment: str
) -> FunctionSpec:
    return FunctionSpec(
        name="payments",
        arn="arn:aws:lambda:us-east-1:123456789012:function:payments",
        handler=handler,
        code_digest=digest,
        environment={"GREETING": "hello", **environment},
        memory_mb=256,
        timeout_seconds=timeout,
        region="eu-west-1",
        log_group="/aws/lambda/payments",
    )


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME_OF_THE_TEST_RUNNER", "must not leak into workers")
    runner = LambdaRunner(endpoint_url="http://localhost:4599", workdir=tmp_path)
    yield runner
    runner.close()


def test_the_handler_runs_with_the_functions_environment_and_a_lambda_context(runner):
    # GIVEN a function deployed from a zip
    code, digest = _code()

    # WHEN it is invoked
    invocation = runner.invoke(_spec(digest=digest), code, json.dumps({"orderId": "o-1"}))

    # THEN the handler saw the event, a Lambda context and only the function's environment plus Lambda's
    assert not invocation.errored
    result = json.loads(invocation.payload)
    assert result["event"] == {"orderId": "o-1"}
    assert result["context"]["name"] == "payments"
    assert result["context"]["memory"] == "256"
    assert result["context"]["arn"] == "arn:aws:lambda:us-east-1:123456789012:function:payments"
    assert result["context"]["request"] == invocation.request_id
    assert 0 < result["context"]["remaining"] <= 5000
    assert result["env"] == {
        "GREETING": "hello",
        "AWS_ENDPOINT_URL": "http://localhost:4599",
        "AWS_REGION": "eu-west-1",
        "AWS_LAMBDA_FUNCTION_NAME": "payments",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "AWS_ACCESS_KEY_ID": "local-cloud",
        "HOME_OF_THE_TEST_RUNNER": None,
    }
    assert result["cwd"].endswith(digest[:40])


def test_what_the_handler_prints_is_captured_per_invocation(runner):
    code, digest = _code()

    invocation = runner.invoke(_spec(digest=digest), code, json.dumps({"b": 1, "a": 2}))

    assert invocation.log_lines[0] == f"START RequestId: {invocation.request_id} Version: $LATEST"
    assert json.loads(invocation.log_lines[1]) == {"message": "echoing", "keys": ["a", "b"]}
    assert invocation.log_lines[-1].startswith(f"REPORT RequestId: {invocation.request_id}")


def test_a_warm_worker_serves_the_next_invocation(runner):
    # GIVEN a function invoked once
    code, digest = _code()
    first = json.loads(runner.invoke(_spec(digest=digest), code, "{}").payload)

    # WHEN it is invoked again
    second = json.loads(runner.invoke(_spec(digest=digest), code, "{}").payload)

    # THEN the same process, which imported the handler once, answered
    assert first["pid"] == second["pid"]
    assert runner.worker_count("payments") == 1


def test_new_code_or_environment_gets_a_new_worker(runner):
    # GIVEN a warm worker
    code, digest = _code()
    old = json.loads(runner.invoke(_spec(digest=digest), code, "{}").payload)

    # WHEN the environment changes, then the code
    new_env = json.loads(runner.invoke(_spec(digest=digest, GREETING="hi"), code, "{}").payload)
    new_code, new_digest = _code(HANDLER + "\n# v2\n")
    new_version = json.loads(runner.invoke(_spec(digest=new_digest), new_code, "{}").payload)

    # THEN each is served by a new worker with what changed, and the old workers are gone
    assert len({old["pid"], new_env["pid"], new_version["pid"]}) == 3
    assert new_env["env"]["GREETING"] == "hi"
    assert runner.worker_count("payments") == 1


def test_a_handler_exception_is_reported_like_lambda_with_its_class_as_error_type(runner):
    code, digest = _code()

    invocation = runner.invoke(_spec("payments.decline", digest=digest), code, "{}")

    assert invocation.errored
    error = json.loads(invocation.payload)
    assert error["errorType"] == "PaymentDeclined"
    assert error["errorMessage"] == "card ending 4242 was declined"
    assert error["requestId"] == invocation.request_id
    assert any("raise PaymentDeclined" in frame for frame in error["stackTrace"])
    assert "[ERROR] PaymentDeclined: card ending 4242 was declined" in invocation.log_lines


@pytest.mark.parametrize(
    ("handler", "error_type", "message"),
    [
        ("missing_module.handler", "Runtime.ImportModuleError", "Unable to import module 'missing_module'"),
        ("payments.nothing_here", "Runtime.HandlerNotFound", "Handler 'nothing_here' missing"),
        ("payments.unserialisable", "Runtime.MarshalError", "Unable to marshal response"),
        ("payments.leave", "Runtime.ExitError", "exit status 3"),
        ("payments_outside.handler", "Runtime.ImportModuleError", "No module named 'workflow_tools'"),
    ],
)
def test_runtime_failures_have_lambdas_error_types(runner, handler, error_type, message):
    code, digest = _code()

    invocation = runner.invoke(_spec(handler, digest=digest), code, "{}")

    assert invocation.errored
    assert invocation.error_type == error_type
    assert message in json.loads(invocation.payload)["errorMessage"]


def test_a_handler_running_past_its_timeout_is_stopped(runner):
    # GIVEN a function with a 1 s timeout whose handler sleeps 30 s
    code, digest = _code()

    # WHEN it is invoked
    invocation = runner.invoke(_spec("payments.sleepy", digest=digest, timeout=1), code, '{"seconds": 30}')

    # THEN it fails as Lambda's timeout, the worker is gone, and the next call gets a fresh one
    assert invocation.error_type == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in json.loads(invocation.payload)["errorMessage"]
    assert runner.worker_count("payments") == 0
    assert (
        json.loads(
            runner.invoke(_spec("payments.sleepy", digest=digest, timeout=5), code, '{"seconds": 0}').payload
        )
        == "awake"
    )


def test_concurrent_invocations_get_their_own_workers_up_to_the_cap(runner):
    # GIVEN a handler busy for a second and a runner allowing two workers per function
    code, digest = _code()
    spec = _spec("payments.sleepy", digest=digest)
    results: list[str] = []

    def invoke() -> None:
        results.append(runner.invoke(spec, code, '{"seconds": 1}').payload)

    # WHEN four invocations arrive at once
    threads = [threading.Thread(target=invoke) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # THEN all are answered, by at most two workers
    assert results == ['"awake"'] * 4
    assert runner.worker_count("payments") == 2


def test_a_handler_with_the_house_observability_runs_and_logs_json_with_the_correlation_id(runner):
    # GIVEN a handler wrapped with workflow_runtime's decorator, packaged with the task library as
    # PythonFunction packages it (the package at the asset root)
    runtime = runtime_package_dir()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in runtime.glob("*.py"):
            archive.write(path, f"workflow_runtime/{path.name}")
        archive.writestr(
            "greeting.py",
            textwrap.dedent("""
            from workflow_runtime import handler, logger

            @handler
            def greet(event, context):
                logger.info("Greeting", extra={"name_length": len(event["name"])})
                return {"greeting": "Hello " + event["name"]}
        """),
        )
    code = buffer.getvalue()
    spec = _spec(
        "greeting.greet",
        digest=hashlib.sha256(code).hexdigest(),
        POWERTOOLS_SERVICE_NAME="greeter",
        POWERTOOLS_METRICS_NAMESPACE="Greeter",
    )

    # WHEN it is invoked with a correlation id
    invocation = runner.invoke(spec, code, json.dumps({"correlationId": "c-42", "name": "Ada"}))

    # THEN it answered, and its Powertools JSON lines carry the service, the function and the correlation id
    assert json.loads(invocation.payload) == {"greeting": "Hello Ada"}, invocation.log_lines
    entries = [json.loads(line) for line in invocation.log_lines if line.startswith('{"level"')]
    assert [entry["message"] for entry in entries] == ["Step started", "Greeting", "Step finished"]
    assert {entry["correlation_id"] for entry in entries} == {"c-42"}
    assert {entry["service"] for entry in entries} == {"greeter"}
    assert entries[0]["function_name"] == "payments"
