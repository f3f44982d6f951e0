"""Every adjustment of moto's internals that the local cloud needs, and nothing else.

moto is pinned exactly (see the root ``pyproject.toml``): what is touched here is private and may
move in any release. Each adjustment is a :class:`Patch` with

- ``check``: asserts the target still exists with the shape we expect (signature, attribute,
  constant) *before* touching it, so an upgrade fails loudly instead of silently doing nothing;
- ``apply``: the change itself, idempotent;
- ``verify``: asserts that, once applied, moto behaves as the local cloud needs.

``tests/local_cloud/test_canary.py`` runs all three for every patch (in a child process: patching
is process-wide and the test process must stay pristine for tests that use ``mock_aws``).
After upgrading moto, run ``python -m workflow_local_cloud --canary`` first.

The functions at the bottom (``moto_wsgi_app``, ``pending_callbacks``, ``time_out_callback``,
``sent_emails``, ``inventory``, ``lambda_functions``, ``lambda_function_facts``, ``save_lambda_logs``) read or
write moto's internal state for the server and its control API; they live here too, so this is
the only module that knows moto's insides, with the patches kept in modules of their own
(one module per patch, or per pair) registered at the end of :data:`PATCHES`.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import inspect
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from workflow_local_cloud.faults import Answer, Fault, is_timeout

MOTO_VERSION = "5.2.5"
"""The only moto version these patches were written against (``pyproject.toml`` pins it)."""

SYNC_POLL_SECONDS = 0.02
"""How often a ``.sync`` task (nested execution) checks its child; moto polls every 0.5 s."""


class PatchDriftError(RuntimeError):
    """A moto internal the local cloud patches is not what the patch was written against."""


class Hooks(Protocol):
    """What the patched moto calls back into: the local cloud's runtime (see ``server.Runtime``)."""

    @property
    def simulated_time(self) -> bool: ...

    def record_pause(
        self, *, execution_arn: str, state_machine: str, state: str, kind: str, seconds: float
    ) -> None: ...

    def take_fault(self, state_machine: str, state: str) -> Fault | Answer | None: ...

    def run_lambda(self, function: Any, event: Any) -> tuple[str, bool, str]: ...


@dataclass(frozen=True)
class Patch:
    """One adjustment of moto: what it changes, why, and how to tell it still fits."""

    name: str
    why: str
    check: Callable[[], None]
    apply: Callable[[], None]
    verify: Callable[[], None]


_state: dict[str, Any] = {"hooks": None, "applied": False}
_apply_lock = threading.Lock()
_current = threading.local()  # the interpreter Environment of the state retrying on this thread


def _hooks() -> Hooks:
    hooks = _state["hooks"]
    if hooks is None:
        raise RuntimeError("local cloud patches are applied but no runtime is installed")
    return hooks  # type: ignore[no-any-return]


def apply_all(hooks: Hooks) -> None:
    """Check then apply every patch (once per process); later calls only swap the runtime."""
    with _apply_lock:
        _state["hooks"] = hooks
        if _state["applied"]:
            return
        for patch in PATCHES:
            patch.check()
        for patch in PATCHES:
            patch.apply()
        _state["applied"] = True


# Helpers ------------------------------------------------------------------------------------------


def _require(condition: bool, patch: str, message: str) -> None:
    if not condition:
        raise PatchDriftError(f"moto patch [{patch}] no longer fits moto: {message}")


def _require_parameters(patch: str, function: Any, expected: tuple[str, ...]) -> None:
    target = inspect.unwrap(function)
    actual = tuple(inspect.signature(target).parameters)
    _require(
        actual == expected,
        patch,
        f"{getattr(target, '__qualname__', target)} takes {actual}, expected {expected}",
    )


def _require_version(patch: str) -> None:
    import moto

    _require(
        moto.__version__ == MOTO_VERSION,
        patch,
        f"written for moto {MOTO_VERSION}, found {moto.__version__}; re-check every patch",
    )


def _mark(wrapper: Any, original: Any = None) -> None:
    """Label a replacement as ours (so applying twice is a no-op) and keep what it replaced."""
    wrapper._local_cloud = True
    if original is not None:
        wrapper.__wrapped__ = original


def _require_replaced(patch: str, *targets: Any) -> None:
    """Each target is a replacement of ours (marked by :func:`_mark`)."""
    for target in targets:
        _require(getattr(target, "_local_cloud", False), patch, f"{target.__qualname__} is not replaced")


def _replace(owner: Any, name: str, value: Any) -> None:
    setattr(owner, name, value)


def _service_module(name: str) -> Any:
    """A module of moto's service integrations (their import paths are longer than a line)."""
    import importlib

    return importlib.import_module(
        f"moto.stepfunctions.parser.asl.component.state.exec.state_task.service.{name}"
    )


def _context_names(env: Any) -> tuple[str, str, str]:
    """(execution ARN, state machine name, state name) of an interpreter Environment."""
    data = env.states.context_object.context_object_data
    return data["Execution"]["Id"], data["StateMachine"]["Name"], data.get("State", {}).get("Name", "")


# 1. Step Functions executes -----------------------------------------------------------------------


def _check_execute() -> None:
    from moto.core.config import default_user_config
    from moto.stepfunctions import responses

    _require_version("sfn-execute")
    _require(
        "execute_state_machine" in default_user_config.get("stepfunctions", {}),
        "sfn-execute",
        "default_user_config has no stepfunctions.execute_state_machine",
    )
    _require_parameters("sfn-execute", responses.get_backend, ("account", "region"))


def _apply_execute() -> None:
    from moto.core.config import default_user_config

    default_user_config["stepfunctions"]["execute_state_machine"] = True


def _verify_execute() -> None:
    from moto.stepfunctions import responses
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    backend = responses.get_backend("123456789012", "us-east-1")
    _require(
        isinstance(backend, StepFunctionsParserBackend),
        "sfn-execute",
        f"API calls reach {type(backend).__name__}, not the executing parser backend",
    )


# 2. State machines created by CloudFormation are executable ---------------------------------------


def _check_cfn_backend() -> None:
    from moto.stepfunctions import models

    source = inspect.getsource(models.StateMachine.create_from_cloudformation_json)
    _require(
        "stepfunctions_backends[" in source,
        "sfn-cloudformation-backend",
        "StateMachine.create_from_cloudformation_json no longer reads the module's stepfunctions_backends",
    )
    _require(
        hasattr(models, "stepfunctions_backends"),
        "sfn-cloudformation-backend",
        "moto.stepfunctions.models.stepfunctions_backends is gone",
    )


def _apply_cfn_backend() -> None:
    # Re-point only the name the model module reads; the package-level name must stay (note 2).
    from moto.stepfunctions import models
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    _replace(models, "stepfunctions_backends", stepfunctions_parser_backends)


def _verify_cfn_backend() -> None:
    import moto.stepfunctions
    from moto.stepfunctions import models
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    package_backends = vars(moto.stepfunctions)["stepfunctions_backends"]

    _require(
        models.stepfunctions_backends is stepfunctions_parser_backends,
        "sfn-cloudformation-backend",
        "the model module does not use the parser backends",
    )
    _require(
        package_backends is not stepfunctions_parser_backends,
        "sfn-cloudformation-backend",
        "the package-level backends must stay the plain ones",
    )


# 3. StartExecution without a name gets a unique one -----------------------------------------------


def _check_execution_name() -> None:
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    _require_parameters(
        "sfn-execution-name",
        StepFunctionsParserBackend.start_execution,
        ("self", "state_machine_arn", "name", "execution_input", "trace_header"),
    )


def _apply_execution_name() -> None:
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original = StepFunctionsParserBackend.start_execution
    if getattr(original, "_local_cloud", False):
        return

    def start_execution(
        self: Any,
        state_machine_arn: str,
        name: Any = None,
        execution_input: Any = None,
        trace_header: Any = None,
    ) -> Any:
        # AWS names an unnamed execution with a UUID; moto would name it "None" and collide next time.
        return original(self, state_machine_arn, name or str(uuid.uuid4()), execution_input, trace_header)

    _mark(start_execution, original)
    _replace(StepFunctionsParserBackend, "start_execution", start_execution)


def _verify_execution_name() -> None:
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    _require_replaced("sfn-execution-name", StepFunctionsParserBackend.start_execution)


# 4. SendTaskFailure keeps its cause --------------------------------------------------------------


def _check_failure_cause() -> None:
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend
    from moto.stepfunctions.responses import StepFunctionResponse

    source = inspect.getsource(StepFunctionResponse.send_task_failure)
    _require(
        "send_task_failure(task_token, error=error)" in source,
        "sfn-task-failure-cause",
        "StepFunctionResponse.send_task_failure changed; it may pass the cause on now: drop this patch",
    )
    _require_parameters(
        "sfn-task-failure-cause",
        StepFunctionsParserBackend.send_task_failure,
        ("self", "task_token", "error", "cause"),
    )


def _apply_failure_cause() -> None:
    from moto.core.responses import EmptyResult
    from moto.stepfunctions.responses import StepFunctionResponse

    if getattr(StepFunctionResponse.send_task_failure, "_local_cloud", False):
        return

    def send_task_failure(self: Any) -> Any:
        self.stepfunction_backend.send_task_failure(
            self._get_param("taskToken"), error=self._get_param("error"), cause=self._get_param("cause")
        )
        return EmptyResult()

    _mark(send_task_failure)
    _replace(StepFunctionResponse, "send_task_failure", send_task_failure)


def _verify_failure_cause() -> None:
    from moto.stepfunctions.responses import StepFunctionResponse

    _require_replaced("sfn-task-failure-cause", StepFunctionResponse.send_task_failure)


# 5. SendTaskHeartbeat works without HeartbeatSeconds ---------------------------------------------


def _check_heartbeat() -> None:
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    _require_parameters(
        "sfn-heartbeat", StepFunctionsParserBackend.send_task_heartbeat, ("self", "task_token")
    )
    _require(
        "raise InvalidToken()" in inspect.getsource(StepFunctionsParserBackend.send_task_heartbeat),
        "sfn-heartbeat",
        "send_task_heartbeat no longer ends in InvalidToken: it may accept every pending token now",
    )


def _apply_heartbeat() -> None:
    from moto.stepfunctions.parser.api import InvalidToken
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original = StepFunctionsParserBackend.send_task_heartbeat
    if getattr(original, "_local_cloud", False):
        return

    def send_task_heartbeat(self: Any, task_token: str) -> Any:
        # AWS accepts a heartbeat for any waiting task; moto only for one with HeartbeatSeconds.
        try:
            return original(self, task_token)
        except InvalidToken:
            if any(row["taskToken"] == task_token for row in pending_callbacks()):
                return None
            raise

    _mark(send_task_heartbeat, original)
    _replace(StepFunctionsParserBackend, "send_task_heartbeat", send_task_heartbeat)


def _verify_heartbeat() -> None:
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    _require_replaced("sfn-heartbeat", StepFunctionsParserBackend.send_task_heartbeat)


# 6. JSONata through jsonata-python ----------------------------------------------------------------


def _plain(value: Any) -> Any:
    """jsonata-python results (JList, NULL_VALUE) as plain JSON values."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def javascript_regex(pattern: str, flags: Any) -> re.Pattern[str]:
    """Compile a JSONata regex literal as JavaScript (AWS's JSONata) reads it, with Python's ``re``.

    Two differences matter to validation: outside multiline mode JavaScript's ``$`` matches only at
    the very end (Python's also before a final newline: ``"svc-a\\n"`` would pass ``/^svc-[a-z]+$/``),
    and its ``\\d`` is ASCII digits only (Python's also matches "٣").
    """
    translated, in_class, escaped = [], False, False
    for char in pattern:
        if escaped:
            translated.append(
                "[0-9]" if char == "d" and not in_class else "0-9" if char == "d" else "\\" + char
            )
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[" and not in_class:
            in_class = True
            translated.append(char)
        elif char == "]" and in_class:
            in_class = False
            translated.append(char)
        elif char == "$" and not in_class and not flags.multiline:
            translated.append(r"\Z")
        else:
            translated.append(char)
    py_flags = (re.IGNORECASE if flags.case_insensitive else 0) | (re.MULTILINE if flags.multiline else 0)
    return re.compile("".join(translated), py_flags)


def evaluate_jsonata(expression: str) -> Any:
    """Evaluate a complete JSONata expression (moto inlines the variables) with jsonata-python."""
    import jsonata
    from moto.stepfunctions.parser.asl.jsonata.jsonata import JSONataException

    try:
        compiled = jsonata.Jsonata(expression, javascript_regex)
        for name, implementation in _JSONATA_FUNCTIONS.items():
            compiled.register_lambda(name, implementation)
        return _plain(compiled.evaluate(None))
    except Exception as error:
        raise JSONataException("States.QueryEvaluationError", str(error)) from error


def _jsonata_hash(value: Any, algorithm: str = "SHA-256") -> str:
    import hashlib

    return hashlib.new(algorithm.replace("-", "").lower(), str(value).encode()).hexdigest()


_JSONATA_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "uuid": lambda: str(uuid.uuid4()),
    "hash": _jsonata_hash,
}
"""Step Functions' own JSONata functions that moto only stubs ("... is currently not supported")."""


def _encode_declarations(bindings: dict[str, Any]) -> str:
    # moto writes strings as f'"{value}"', which breaks on quotes, backslashes and newlines.
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str  # knows datetimes

    return "".join(
        f"{reference}:={to_json_str(value, separators=(',', ':'))};" for reference, value in bindings.items()
    )


_JSONATA_ENCODER_MODULES = (
    "moto.stepfunctions.parser.asl.jsonata.jsonata",
    "moto.stepfunctions.parser.asl.eval.states",
    "moto.stepfunctions.parser.asl.eval.variable_store",
)


def _check_jsonata() -> None:
    import importlib

    from moto.stepfunctions.parser.asl.component.intrinsic import jsonata as functions
    from moto.stepfunctions.parser.asl.jsonata import jsonata as module

    stubs = getattr(functions, "_DECLARATION_BY_VARIABLE_REFERENCE", {})
    for name in _JSONATA_FUNCTIONS:
        _require(
            f"${name}" in stubs or _state["applied"],
            "sfn-jsonata",
            f"moto no longer declares ${name} itself: check whether it implements it now",
        )

    _require(hasattr(module, "_eval_jsonata"), "sfn-jsonata", "jsonata._eval_jsonata is gone")
    _require_parameters("sfn-jsonata", module.eval_jsonata_expression, ("jsonata_expression",))
    for name in _JSONATA_ENCODER_MODULES:
        encoder = getattr(importlib.import_module(name), "encode_jsonata_variable_declarations", None)
        _require(encoder is not None, "sfn-jsonata", f"{name}.encode_jsonata_variable_declarations is gone")
        _require_parameters("sfn-jsonata", encoder, ("bindings",))


def _apply_jsonata() -> None:
    import importlib

    from moto.stepfunctions.parser.asl.component.intrinsic import jsonata as functions
    from moto.stepfunctions.parser.asl.jsonata import jsonata as module

    for name in _JSONATA_FUNCTIONS:
        functions._DECLARATION_BY_VARIABLE_REFERENCE.pop(f"${name}", None)  # ours are registered instead

    _replace(module, "_eval_jsonata", evaluate_jsonata)
    for name in _JSONATA_ENCODER_MODULES:
        module = importlib.import_module(name)
        _replace(module, "encode_jsonata_variable_declarations", _encode_declarations)


def _verify_jsonata() -> None:
    from moto.stepfunctions.parser.asl.eval import variable_store
    from moto.stepfunctions.parser.asl.jsonata.jsonata import eval_jsonata_expression

    store: Any = getattr(variable_store, "VariableStore")()  # noqa: B009 - an untyped constructor
    store.set("greeting", 'say "hi"\n')
    store.set("when", datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC))
    expression = f"({store.get_variable_declarations()}$greeting & [1, 2][1])"
    _require(
        len(eval_jsonata_expression("$uuid()")) == 36
        and eval_jsonata_expression(expression) == 'say "hi"\n2',
        "sfn-jsonata",
        f"JSONata evaluation gave {eval_jsonata_expression(expression)!r}",
    )


# 7. A definite JSONPath selects one value -------------------------------------------------------

_JSONPATH_CORE_USERS = {
    "moto.stepfunctions.parser.asl.utils.json_path",
    "moto.stepfunctions.parser.asl.component.common.string.string_expression",
    "moto.stepfunctions.parser.asl.eval.states",
}
"""Modules that must hold ``extract_json`` by name for the patch to reach every path read."""


def _jsonpath_users(function: Any) -> list[Any]:
    """Every loaded module of moto's interpreter that imported ``function`` by name."""
    import sys

    import moto.stepfunctions.parser.models  # noqa: F401 - loads every module of the interpreter

    prefix = "moto.stepfunctions.parser."
    return [
        module
        for name, module in list(sys.modules.items())
        if name.startswith(prefix) and getattr(module, "extract_json", None) is function
    ]


_INDEFINITE_JSONPATH = re.compile(r"\*|\?\(|\.\.|\[[^\]]*[:,][^\]]*\]")


def is_definite_path(path: str) -> bool:
    """Whether a JSONPath names one node: no wildcard, filter, recursive descent, slice or union."""
    return not _INDEFINITE_JSONPATH.search(path)


def _check_jsonpath() -> None:
    from moto.stepfunctions.parser.asl.utils import json_path

    _require_parameters("sfn-jsonpath-definite", json_path.extract_json, ("path", "data"))
    _require(
        "isinstance(matches[0].context.path, Index)" in inspect.getsource(json_path.extract_json),
        "sfn-jsonpath-definite",
        "extract_json no longer lists every value under an array index: drop this patch",
    )
    users = {
        module.__name__ for module in _jsonpath_users(_state.get("extract_json", json_path.extract_json))
    }
    _require(
        users >= _JSONPATH_CORE_USERS,
        "sfn-jsonpath-definite",
        f"extract_json is no longer imported by name in {sorted(_JSONPATH_CORE_USERS - users)}",
    )


def _apply_jsonpath() -> None:
    from jsonpath_ng.ext.parser import parse
    from moto.stepfunctions.parser.asl.utils import json_path

    if "extract_json" in _state:
        return
    original = json_path.extract_json

    def extract_json(path: str, data: Any) -> Any:
        # moto returns [value] for "$.Stacks[0].StackStatus"; Step Functions returns the value.
        if is_definite_path(path):
            matches = parse(path).find(data)
            if len(matches) == 1:
                return matches[0].value
        return original(path, data)

    _mark(extract_json, original)
    for module in _jsonpath_users(original):
        _replace(module, "extract_json", extract_json)
    _state["extract_json"] = extract_json


def _verify_jsonpath() -> None:
    from moto.stepfunctions.parser.asl.component.common.string import string_expression

    extract_json = vars(string_expression)["extract_json"]

    _require(
        len(_jsonpath_users(extract_json)) >= len(_JSONPATH_CORE_USERS),
        "sfn-jsonpath-definite",
        "not every module reading paths uses the patched extract_json",
    )
    data = {"Stacks": [{"StackStatus": "CREATE_COMPLETE"}], "items": [{"v": 1}, {"v": 2}]}
    _require(
        extract_json("$.Stacks[0].StackStatus", data) == "CREATE_COMPLETE"
        and extract_json("$.items[*].v", data) == [1, 2]
        and extract_json("$.items[?(@.v==2)].v", data) == [2],
        "sfn-jsonpath-definite",
        "definite paths do not select one value, or indefinite ones no longer a list",
    )


# 8. Simulated time: Wait states -------------------------------------------------------------------


def _check_wait() -> None:
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

    _require_parameters("sfn-wait-clock", WaitFunction._wait_interval, ("self", "env", "wait_seconds"))


def _apply_wait() -> None:
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

    original = WaitFunction._wait_interval
    if getattr(original, "_local_cloud", False):
        return

    def _wait_interval(self: Any, env: Any, wait_seconds: int) -> None:
        hooks = _hooks()
        if not hooks.simulated_time:
            original(self, env, wait_seconds)
            return
        execution_arn, state_machine, state = _context_names(env)
        hooks.record_pause(
            execution_arn=execution_arn,
            state_machine=state_machine,
            state=state,
            kind="wait",
            seconds=float(max(wait_seconds, 0)),
        )

    _mark(_wait_interval, original)
    _replace(WaitFunction, "_wait_interval", _wait_interval)


def _verify_wait() -> None:
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

    _require_replaced("sfn-wait-clock", WaitFunction._wait_interval)


# 9. Simulated time: retry intervals ---------------------------------------------------------------


class _RetryTime:
    """Stands in for ``time`` inside moto's retrier: records the backoff instead of sleeping."""

    def sleep(self, seconds: float) -> None:
        hooks = _hooks()
        env = getattr(_current, "env", None)
        if not hooks.simulated_time or env is None:
            time.sleep(seconds)
            return
        execution_arn, state_machine, state = _context_names(env)
        hooks.record_pause(
            execution_arn=execution_arn,
            state_machine=state_machine,
            state=state,
            kind="retry",
            seconds=float(seconds),
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


def _retrier_module() -> Any:
    import importlib

    return importlib.import_module("moto.stepfunctions.parser.asl.component.common.retry.retrier_decl")


def _check_retry() -> None:
    retrier_decl = _retrier_module()

    _require(retrier_decl.time is time, "sfn-retry-clock", "retrier_decl no longer sleeps through `time`")
    _require(
        "time.sleep(" in inspect.getsource(retrier_decl.RetrierDecl._eval_body),
        "sfn-retry-clock",
        "RetrierDecl._eval_body no longer calls time.sleep",
    )
    _require_parameters("sfn-retry-clock", retrier_decl.RetrierDecl._eval_body, ("self", "env"))


def _apply_retry() -> None:
    retrier_decl = _retrier_module()

    original = retrier_decl.RetrierDecl._eval_body
    if getattr(original, "_local_cloud", False):
        return

    def _eval_body(self: Any, env: Any) -> None:
        _current.env = env
        try:
            original(self, env)
        finally:
            _current.env = None

    _mark(_eval_body, original)
    _replace(retrier_decl.RetrierDecl, "_eval_body", _eval_body)
    _replace(retrier_decl, "time", _RetryTime())


def _verify_retry() -> None:
    retrier_decl = _retrier_module()

    _require(
        isinstance(retrier_decl.time, _RetryTime), "sfn-retry-clock", "retrier_decl.time is not replaced"
    )
    _require(retrier_decl.time.monotonic() > 0, "sfn-retry-clock", "the time stand-in does not delegate")


# 10. Nested executions (.sync) poll quickly --------------------------------------------------------


def _check_sync_poll() -> None:
    module = _service_module("state_task_service_callback")

    _require(
        getattr(module, "_DELAY_SECONDS_SYNC_CONDITION_CHECK", None) == 0.5,
        "sfn-sync-poll",
        "state_task_service_callback._DELAY_SECONDS_SYNC_CONDITION_CHECK is not 0.5 any more",
    )


def _apply_sync_poll() -> None:
    module = _service_module("state_task_service_callback")

    _replace(module, "_DELAY_SECONDS_SYNC_CONDITION_CHECK", SYNC_POLL_SECONDS)


def _verify_sync_poll() -> None:
    module = _service_module("state_task_service_callback")

    _require(module._DELAY_SECONDS_SYNC_CONDITION_CHECK == SYNC_POLL_SECONDS, "sfn-sync-poll", "not applied")


# 11. Service integrations speak the Step Functions casing -----------------------------------------

BOTO_SERVICE_NAMES = {"eventbridge": "events", "cloudwatchlogs": "logs", "elasticloadbalancingv2": "elbv2"}
"""``aws-sdk:<service>`` names (the AWS SDK for Java's) whose boto3 client is named otherwise."""


def _operation_shape(service: str, action: str, direction: str) -> Any:
    """The botocore input or output shape of ``service``'s snake_case ``action``, or None."""
    return _operation_shapes(service).get(action, {}).get(direction)


def _operation_shapes(service: str) -> dict[str, dict[str, Any]]:
    cached = _state.setdefault("shapes", {})
    if service not in cached:
        import botocore.session
        from botocore import xform_name
        from botocore.exceptions import UnknownServiceError

        try:
            model = botocore.session.get_session().get_service_model(service)
        except UnknownServiceError:
            cached[service] = {}
        else:
            cached[service] = {
                xform_name(name): {
                    "input": model.operation_model(name).input_shape,
                    "output": model.operation_model(name).output_shape,
                }
                for name in model.operation_names
            }
    return cached[service]  # type: ignore[no-any-return]


def _check_casing() -> None:
    StateTaskService = _service_module("state_task_service").StateTaskService  # noqa: N806 - a class

    for method in (StateTaskService._normalise_parameters, StateTaskService._normalise_response):
        body = inspect.getsource(method).rstrip().splitlines()[-1].strip()
        _require(
            body == "pass",
            "sfn-service-casing",
            f"{method.__qualname__} does something now ({body!r}): moto may normalise; drop this patch",
        )
    _require_parameters(
        "sfn-service-casing",
        StateTaskService._to_boto_request_value,
        ("self", "request_value", "value_shape"),
    )
    _require_parameters(
        "sfn-service-casing", StateTaskService._to_boto_request, ("self", "parameters", "structure_shape")
    )
    _require_parameters(
        "sfn-service-casing", StateTaskService._from_boto_response, ("self", "response", "structure_shape")
    )
    _require(
        isinstance(StateTaskService._SERVICE_NAME_SFN_TO_BOTO_OVERRIDES, dict),
        "sfn-service-casing",
        "StateTaskService._SERVICE_NAME_SFN_TO_BOTO_OVERRIDES is gone",
    )


def _apply_casing() -> None:
    StateTaskService = _service_module("state_task_service").StateTaskService  # noqa: N806 - a class
    StateTaskServiceAwsSdk = _service_module("state_task_service_aws_sdk").StateTaskServiceAwsSdk  # noqa: N806 - a class
    StateTaskServiceSfn = _service_module("state_task_service_sfn").StateTaskServiceSfn  # noqa: N806 - a class

    if getattr(StateTaskService._normalise_parameters, "_local_cloud", False):
        return

    def _normalise_parameters(
        self: Any,
        parameters: dict[str, Any],
        boto_service_name: str | None = None,
        service_action_name: str | None = None,
    ) -> None:
        # Step Functions takes PascalCase (StateMachineArn); some APIs are camelCase (stateMachineArn).
        shape = _operation_shape(
            self._get_boto_service_name(boto_service_name),
            self._get_boto_service_action(service_action_name),
            "input",
        )
        if shape is not None:
            self._to_boto_request(parameters, shape)

    def _normalise_response(
        self: Any, response: Any, boto_service_name: str | None = None, service_action_name: str | None = None
    ) -> None:
        # Nested executions and AWS SDK calls answer in PascalCase; the optimised DynamoDB, SNS, SQS,
        # EventBridge and Lambda integrations pass the API's own field names through.
        if not isinstance(self, StateTaskServiceSfn | StateTaskServiceAwsSdk):
            return
        shape = _operation_shape(
            self._get_boto_service_name(boto_service_name),
            self._get_boto_service_action(service_action_name),
            "output",
        )
        if shape is not None:
            self._from_boto_response(response, shape)

    for wrapper in (_normalise_parameters, _normalise_response):
        _mark(wrapper)
    original_value = StateTaskService._to_boto_request_value

    def _to_boto_request_value(self: Any, request_value: Any, value_shape: Any) -> Any:
        # A string for a blob (S3 Body) is its own bytes; moto would send it JSON-quoted.
        if getattr(value_shape, "type_name", None) == "blob" and isinstance(request_value, str):
            return request_value.encode()
        return original_value(self, request_value, value_shape)

    _mark(_to_boto_request_value, original_value)
    _replace(StateTaskService, "_normalise_parameters", _normalise_parameters)
    _replace(StateTaskService, "_normalise_response", _normalise_response)
    _replace(StateTaskService, "_to_boto_request_value", _to_boto_request_value)
    overrides: Any = StateTaskService._SERVICE_NAME_SFN_TO_BOTO_OVERRIDES
    overrides.update(BOTO_SERVICE_NAMES)


def _verify_casing() -> None:
    shape = _operation_shape("stepfunctions", "start_execution", "input")
    _require(
        shape is not None and "stateMachineArn" in shape.members,
        "sfn-service-casing",
        "botocore has no StartExecution input shape",
    )


# 12. AWS SDK integration error names ---------------------------------------------------------------

SDK_ERROR_PREFIXES = {
    "cloudformation": "CloudFormation",
    "dynamodb": "DynamoDb",
    "eventbridge": "EventBridge",
    "iam": "Iam",
    "lambda": "Lambda",
    "s3": "S3",
    "secretsmanager": "SecretsManager",
    "sesv2": "SesV2",
    "sfn": "Sfn",
    "sns": "Sns",
    "sqs": "Sqs",
    "ssm": "Ssm",
    "apigateway": "ApiGateway",
}
"""How Step Functions prefixes ``aws-sdk:<service>`` errors (``SesV2.NotFoundException``)."""


def _check_sdk_errors() -> None:
    module = _service_module("state_task_service_aws_sdk")

    names = getattr(module, "_SERVICE_ERROR_NAMES", None)
    _require(
        isinstance(names, dict) and names.get("dynamodb") == "DynamoDb",
        "sfn-sdk-error-names",
        "state_task_service_aws_sdk._SERVICE_ERROR_NAMES is gone or changed",
    )


def _apply_sdk_errors() -> None:
    module = _service_module("state_task_service_aws_sdk")

    module._SERVICE_ERROR_NAMES.update(SDK_ERROR_PREFIXES)


def _verify_sdk_errors() -> None:
    StateTaskServiceAwsSdk = _service_module("state_task_service_aws_sdk").StateTaskServiceAwsSdk  # noqa: N806 - a class

    name = StateTaskServiceAwsSdk._normalise_service_error_name("sesv2")
    _require(name == "SesV2", "sfn-sdk-error-names", f"sesv2 errors are prefixed {name!r}")


# 13. Fault injection into named steps --------------------------------------------------------------


def _fault_for(env: Any) -> Fault | Answer | None:
    _, state_machine, state = _context_names(env)
    return _hooks().take_fault(state_machine, state)


def _check_faults() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    StateTaskService = _service_module("state_task_service").StateTaskService  # noqa: N806 - a class

    _require_parameters(
        "sfn-faults",
        lambda_eval_utils.execute_lambda_function_integration,
        ("env", "parameters", "region", "state_credentials"),
    )
    _require_parameters(
        "sfn-faults",
        lambda_eval_utils.LambdaFunctionErrorException.__init__,
        ("self", "function_error", "payload"),
    )
    _require_parameters(
        "sfn-faults",
        StateTaskService._before_eval_execution,
        ("self", "env", "resource_runtime_part", "raw_parameters", "state_credentials"),
    )


def _apply_faults() -> None:
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent
    from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import EvalTimeoutError
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    StateTaskService = _service_module("state_task_service").StateTaskService  # noqa: N806 - a class
    StateTaskServiceLambda = _service_module("state_task_service_lambda").StateTaskServiceLambda  # noqa: N806 - a class
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    _event_details: Any = EventDetails  # a TypedDict: one key set of its many
    original_invoke = lambda_eval_utils.execute_lambda_function_integration
    if getattr(original_invoke, "_local_cloud", False):
        return

    def execute_lambda_function_integration(
        env: Any, parameters: dict[str, Any], region: str, state_credentials: Any
    ) -> None:
        fault = _fault_for(env)
        if isinstance(fault, Answer):
            # The harness refuses these; an answer armed through the raw control API fails visibly.
            raise RuntimeError(f"[{fault.state}] runs a Lambda function: its code runs, it takes no answer")
        if fault is not None:
            if is_timeout(fault.error):
                raise EvalTimeoutError()
            # What Lambda answers when the handler raised: the error type names the Step Functions error.
            payload = {
                "errorMessage": fault.cause,
                "errorType": fault.error,
                "requestId": str(uuid.uuid4()),
                "stackTrace": [],
            }
            raise lambda_eval_utils.LambdaFunctionErrorException("Unhandled", json.dumps(payload))
        original_invoke(env, parameters, region, state_credentials)

    original_before = StateTaskService._before_eval_execution

    def _before_eval_execution(
        self: Any,
        env: Any,
        resource_runtime_part: Any,
        raw_parameters: dict[str, Any],
        state_credentials: Any,
    ) -> None:
        original_before(self, env, resource_runtime_part, raw_parameters, state_credentials)
        setattr(env, ANSWER_ATTRIBUTE, None)  # an answer is for one attempt of one state
        if isinstance(self, StateTaskServiceLambda):
            return  # its fault is injected where the function is invoked
        fault = _fault_for(env)
        if fault is None:
            return
        if isinstance(fault, Answer):
            # Given back through the interpreter's own mocked-response path (patch "sfn-answers").
            setattr(env, ANSWER_ATTRIBUTE, (env.next_state_name, fault.output))
            return
        if is_timeout(fault.error):
            raise EvalTimeoutError()
        raise _injected_failure_class()(
            FailureEvent(
                env=env,
                error_name=CustomErrorName(fault.error),
                event_type=HistoryEventType.TaskFailed,
                event_details=_event_details(
                    taskFailedEventDetails=TaskFailedEventDetails(
                        error=fault.error,
                        cause=fault.cause,
                        resource=self._get_sfn_resource(),
                        resourceType=self._get_sfn_resource_type(),
                    )
                ),
            )
        )

    for wrapper, original in (
        (execute_lambda_function_integration, original_invoke),
        (_before_eval_execution, original_before),
    ):
        _mark(wrapper, original)
    _replace(lambda_eval_utils, "execute_lambda_function_integration", execute_lambda_function_integration)
    _replace(StateTaskService, "_before_eval_execution", _before_eval_execution)


def _verify_faults() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    StateTaskService = _service_module("state_task_service").StateTaskService  # noqa: N806 - a class

    _require_replaced(
        "sfn-faults",
        lambda_eval_utils.execute_lambda_function_integration,
        StateTaskService._before_eval_execution,
    )


# 13b. Service answers injected into named steps ----------------------------------------------------

ANSWER_ATTRIBUTE = "_local_cloud_answer"
"""Set on an interpreter Environment by the fault patch: (state name, answer) for this attempt."""


def _armed_answer(env: Any) -> tuple[str, Any] | None:
    armed = getattr(env, ANSWER_ATTRIBUTE, None)
    return armed if armed is not None and armed[0] == env.next_state_name else None


def _check_answers() -> None:
    from moto.stepfunctions.parser.asl.eval.environment import Environment
    from moto.stepfunctions.parser.mocking.mock_config import MockedResponseReturn

    StateTaskService = _service_module("state_task_service").StateTaskService  # noqa: N806 - a class

    _require_parameters("sfn-answers", Environment.is_mocked_mode, ("self",))
    _require_parameters("sfn-answers", Environment.get_current_mocked_response, ("self",))
    _require_parameters(
        "sfn-answers", MockedResponseReturn.__init__, ("self", "range_start", "range_end", "payload")
    )
    _require(
        "env.is_mocked_mode()" in inspect.getsource(StateTaskService._eval_execution),
        "sfn-answers",
        "service tasks no longer ask the environment whether their answer is mocked",
    )


def _apply_answers() -> None:
    from moto.stepfunctions.parser.asl.eval.environment import Environment
    from moto.stepfunctions.parser.mocking.mock_config import MockedResponseReturn

    original_is_mocked = Environment.is_mocked_mode
    original_response = Environment.get_current_mocked_response
    if getattr(original_is_mocked, "_local_cloud", False):
        return

    def is_mocked_mode(self: Any) -> bool:
        return _armed_answer(self) is not None or bool(original_is_mocked(self))

    def get_current_mocked_response(self: Any) -> Any:
        armed = _armed_answer(self)
        if armed is None:
            return original_response(self)
        return MockedResponseReturn(range_start=0, range_end=0, payload=armed[1])

    _mark(is_mocked_mode, original_is_mocked)
    _mark(get_current_mocked_response, original_response)
    _replace(Environment, "is_mocked_mode", is_mocked_mode)
    _replace(Environment, "get_current_mocked_response", get_current_mocked_response)


def _verify_answers() -> None:
    import types

    from moto.stepfunctions.parser.asl.eval.environment import Environment

    _require_replaced("sfn-answers", Environment.is_mocked_mode, Environment.get_current_mocked_response)
    answered = types.SimpleNamespace(
        next_state_name="Check the stack",
        mock_test_case=None,
        **{ANSWER_ATTRIBUTE: ("Check the stack", {"a": 1})},
    )
    elsewhere = types.SimpleNamespace(
        next_state_name="Next state", mock_test_case=None, **{ANSWER_ATTRIBUTE: ("Check the stack", {"a": 1})}
    )
    response: Any = Environment.get_current_mocked_response(answered)  # type: ignore[arg-type]
    _require(
        Environment.is_mocked_mode(answered) and response.payload == {"a": 1},  # type: ignore[arg-type]
        "sfn-answers",
        "an armed answer is not given back as the mocked response",
    )
    _require(
        not Environment.is_mocked_mode(elsewhere),  # type: ignore[arg-type]
        "sfn-answers",
        "an answer leaks into the next state",
    )


# 14. Task failures keep their names ----------------------------------------------------------------


def _injected_failure_class() -> type:
    """``FailureEventException`` marked as ours, so every state hands its event on unchanged."""
    if "injected_failure" not in _state:
        from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
            FailureEventException,
        )

        class InjectedFailure(FailureEventException):
            """A failure the local cloud injected into a step."""

        _state["injected_failure"] = InjectedFailure
    return _state["injected_failure"]  # type: ignore[no-any-return]


def _states_with_own_from_error() -> list[type]:
    import moto.stepfunctions.parser.models  # noqa: F401 - imports every state class
    from moto.stepfunctions.parser.asl.component.state.exec.execute_state import ExecutionState

    found: list[type] = []
    pending: list[type] = [ExecutionState]
    while pending:
        cls = pending.pop()
        if "_from_error" in cls.__dict__:
            found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def _check_task_errors() -> None:
    StateTaskService = _service_module("state_task_service").StateTaskService  # noqa: N806 - a class

    classes = {cls.__name__ for cls in _states_with_own_from_error()}
    _require(
        {"ExecutionState", "StateTaskServiceDynamoDB", "StateTaskServiceAwsSdk"} <= classes,
        "sfn-task-errors",
        f"the states that map exceptions to errors changed: {sorted(classes)}",
    )
    for cls in _states_with_own_from_error():
        _require_parameters("sfn-task-errors", cls.__dict__["_from_error"], ("self", "env", "ex"))
    _require_parameters("sfn-task-errors", StateTaskService._get_timed_out_failure_event, ("self", "env"))


def _apply_task_errors() -> None:
    StateTaskService = _service_module("state_task_service").StateTaskService  # noqa: N806 - a class
    injected = _injected_failure_class()

    for cls in _states_with_own_from_error():
        original = cls.__dict__["_from_error"]
        if getattr(original, "_local_cloud", False):
            continue

        def _from_error(self: Any, env: Any, ex: Exception, _original: Any = original) -> Any:
            if isinstance(ex, injected):
                failure: Any = ex
                return failure.failure_event
            # DynamoDB, SNS, SQS, ... name any non-client error "<Service>.Amazon...Exception", timeouts too.
            if isinstance(ex, TimeoutError) and isinstance(self, StateTaskService):
                return self._get_timed_out_failure_event(env)
            return _original(self, env, ex)

        _mark(_from_error, original)
        _replace(cls, "_from_error", _from_error)


def _verify_task_errors() -> None:
    _require_replaced(
        "sfn-task-errors", *(cls.__dict__["_from_error"] for cls in _states_with_own_from_error())
    )


# 15. Lambda runs the deployed code ----------------------------------------------------------------


def _check_lambda() -> None:
    from moto.awslambda.models import LambdaFunction

    _require_parameters("lambda-run-code", LambdaFunction._invoke_lambda, ("self", "event"))
    source = inspect.getsource(LambdaFunction.invoke)
    _require(
        "self._invoke_lambda(event=body)" in source,
        "lambda-run-code",
        "LambdaFunction.invoke no longer goes through _invoke_lambda(event=body)",
    )
    for attribute in (
        "code_bytes",
        "code_digest",
        "environment_vars",
        "handler",
        "timeout",
        "memory_size",
        "function_arn",
        "logs_backend",
        "logs_group_name",
    ):
        _require(
            attribute in inspect.getsource(LambdaFunction),
            "lambda-run-code",
            f"LambdaFunction no longer has {attribute}",
        )


def _apply_lambda() -> None:
    from moto.awslambda.models import LambdaFunction

    if getattr(LambdaFunction._invoke_lambda, "_local_cloud", False):
        return
    original = LambdaFunction._invoke_lambda

    def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
        return _hooks().run_lambda(self, event)

    _mark(_invoke_lambda, original)
    _replace(LambdaFunction, "_invoke_lambda", _invoke_lambda)


def _verify_lambda() -> None:
    from moto.awslambda.models import LambdaFunction

    _require_replaced("lambda-run-code", LambdaFunction._invoke_lambda)


# 16. SES v2 SendEmail with a template --------------------------------------------------------------


def _check_sesv2() -> None:
    from moto.ses.models import SESBackend
    from moto.sesv2.responses import SESV2Response

    _require(
        'raise NotImplementedError("Template functionality not ready")'
        in inspect.getsource(SESV2Response.send_email),
        "sesv2-template",
        "moto's SES v2 SendEmail may support templates now: drop this patch",
    )
    _require_parameters(
        "sesv2-template",
        SESBackend.send_templated_email,
        ("self", "source", "template", "template_data", "destinations"),
    )


def _apply_sesv2() -> None:
    from moto.core.exceptions import JsonRESTError
    from moto.ses.exceptions import MessageRejectedError, TemplateDoesNotExist
    from moto.ses.exceptions import ValidationError as SesValidationError
    from moto.sesv2.responses import SESV2Response

    original = SESV2Response.send_email
    if getattr(original, "_local_cloud", False):
        return

    def send_email(self: Any) -> str:
        params = json.loads(self.body)
        template = (params.get("Content") or {}).get("Template")
        if template is None:
            return original(self)
        name = template.get("TemplateName") or str(template.get("TemplateArn", "")).rsplit("/", 1)[-1]
        destination = {key: list(value) for key, value in (params.get("Destination") or {}).items()}
        try:
            message = self.sesv2_backend.core_backend.send_templated_email(
                source=params.get("FromEmailAddress"),
                template=name,
                template_data=template.get("TemplateData") or "{}",
                destinations=destination,
            )
        except TemplateDoesNotExist:
            raise NotFoundException(f"Template {name} does not exist.") from None
        except MessageRejectedError as error:
            raise JsonRESTError("MessageRejected", error.message) from None
        except SesValidationError as error:
            raise JsonRESTError("BadRequestException", error.message) from None
        return json.dumps({"MessageId": message.id})

    class NotFoundException(JsonRESTError):  # noqa: N818 - the SES v2 error code
        code = 404

        def __init__(self, message: str) -> None:
            super().__init__("NotFoundException", message)

    _mark(send_email, original)
    _replace(SESV2Response, "send_email", send_email)


def _verify_sesv2() -> None:
    from moto.sesv2.responses import SESV2Response

    _require_replaced("sesv2-template", SESV2Response.send_email)


# 16b. SNS topic policies decide what AWS services may publish (CloudWatch alarm actions) ---------

TOPIC_POLICY_TYPE = "AWS::SNS::TopicPolicy"
CLOUDWATCH_SERVICE = "cloudwatch.amazonaws.com"
_ALARM_STATE_ACTIONS = {
    "ALARM": "alarm_actions",
    "OK": "ok_actions",
    "INSUFFICIENT_DATA": "insufficient_data_actions",
}


class ServicePublishDeniedError(RuntimeError):
    """SNS refused an AWS service's publish: the topic policy has no Allow for it, or denies it."""

    code = "AuthorizationError"


def publish_as_service(
    topic_arn: str, message: str, *, subject: str | None, service: str, source_arn: str
) -> str:
    """Publish ``message`` to ``topic_arn`` as the AWS service ``service`` would, for ``source_arn``
    (the alarm): only if the topic's policy allows it (``topic_policy.decision``). Returns the
    message id; raises :class:`ServicePublishDeniedError` like SNS's ``AuthorizationError``."""
    from moto.sns.models import sns_backends
    from moto.utilities.arns import parse_arn

    from workflow_local_cloud.topic_policy import PUBLISH, ServiceRequest, decision

    topic_at = parse_arn(topic_arn)
    backend = sns_backends[topic_at.account][topic_at.region]
    topic = backend.get_topic(topic_arn)
    request = ServiceRequest(
        service=service,
        action=PUBLISH,
        resource=topic_arn,
        source_account=parse_arn(source_arn).account,
        source_arn=source_arn,
    )
    verdict = decision(topic._policy_json, request)
    if verdict != "Allow":
        explicit = " with an explicit deny" if verdict == "Deny" else ""
        raise ServicePublishDeniedError(
            f"AuthorizationError: User: {service} is not authorized to perform: SNS:Publish on "
            f"resource: {topic_arn}{explicit}"
        )
    return str(backend.publish(message, arn=topic_arn, subject=subject))


def alarm_actions() -> list[dict[str, str]]:
    """Every SNS action a CloudWatch alarm executed on a state change, and how it went (for tests;
    CloudWatch records the same in the alarm's history)."""
    return list(_state.setdefault("alarm_actions", []))


def _topic_policy_model() -> type:
    """``AWS::SNS::TopicPolicy``: the policy replaces the default one of each of its topics."""
    from moto.sns.exceptions import TopicNotFound
    from moto.sns.models import sns_backends
    from moto.utilities.arns import parse_arn

    policies: dict[str, list[str]] = _state.setdefault("topic_policies", {})

    def topics(arns: list[str]) -> Iterator[Any]:
        for arn in arns:
            at = parse_arn(arn)
            with contextlib.suppress(TopicNotFound):
                yield sns_backends[at.account][at.region].get_topic(arn)

    def create(properties: Any, resource_name: str, account_id: str, region_name: str) -> str:
        arns = [str(arn) for arn in properties.get("Topics", [])]
        for topic in topics(arns):
            topic._policy_json = json.loads(json.dumps(properties.get("PolicyDocument", {})))
        policies[resource_name] = arns
        return resource_name

    def delete(name: str, account_id: str, region_name: str) -> None:
        for topic in topics(policies.pop(name, [])):
            topic._policy_json = topic._create_default_topic_policy(
                topic.sns_backend.region_name, topic.account_id, topic.name
            )

    return _named_cfn_model(TOPIC_POLICY_TYPE, "PolicyName", "moto.sns.local_cloud", create, delete)


def _check_topic_policy() -> None:
    from moto.cloudformation import parsing
    from moto.sns.models import Topic

    _require(
        "self._policy_json = self._create_default_topic_policy(" in inspect.getsource(Topic.__init__),
        "sns-topic-policy",
        "Topic no longer keeps its policy in _policy_json",
    )
    _require_parameters(
        "sns-topic-policy", Topic._create_default_topic_policy, ("self", "region_name", "account_id", "name")
    )
    if "topic_policy_model" not in _state:
        _require(
            TOPIC_POLICY_TYPE not in {model.cloudformation_type() for model in parsing.get_model_list()},
            "sns-topic-policy",
            f"moto supports {TOPIC_POLICY_TYPE} itself now: check it sets the policy, then drop the model",
        )


def _apply_topic_policy() -> None:
    from moto.cloudformation import parsing

    if "topic_policy_model" in _state:
        return
    _state["topic_policy_model"] = _topic_policy_model()  # found through __subclasses__(): keep it alive
    for function in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        function.cache_clear()


def _verify_topic_policy() -> None:
    from moto.cloudformation import parsing

    from workflow_local_cloud.topic_policy import PUBLISH, ServiceRequest, decision

    _require(TOPIC_POLICY_TYPE in parsing.get_model_map(), "sns-topic-policy", "model not registered")
    deny_only = {
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": PUBLISH,
                "Resource": "t",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ]
    }
    request = ServiceRequest(
        CLOUDWATCH_SERVICE, PUBLISH, "t", "111111111111", "arn:aws:cloudwatch:r:1:alarm:a"
    )
    _require(decision(deny_only, request) == "ImplicitDeny", "sns-topic-policy", "a Deny-only policy allows")


def _check_alarm_actions() -> None:
    from moto.cloudwatch.models import Alarm, CloudWatchBackend

    _require_parameters(
        "cloudwatch-alarm-actions",
        CloudWatchBackend.set_alarm_state,
        ("self", "alarm_name", "reason", "reason_data", "state_value"),
    )
    source = inspect.getsource(Alarm.__init__)
    for attribute in (
        "self.alarm_arn",
        "self.actions_enabled",
        *(f"self.{a}" for a in _ALARM_STATE_ACTIONS.values()),
    ):
        _require(attribute in source, "cloudwatch-alarm-actions", f"Alarm has no {attribute}")
    _require(
        "sns" not in inspect.getsource(inspect.unwrap(CloudWatchBackend.set_alarm_state)),
        "cloudwatch-alarm-actions",
        "moto's set_alarm_state publishes to SNS itself now: drop this patch",
    )


def _apply_alarm_actions() -> None:
    from moto.cloudwatch.models import CloudWatchBackend

    original = CloudWatchBackend.set_alarm_state
    if getattr(original, "_local_cloud", False):
        return

    def set_alarm_state(self: Any, alarm_name: str, reason: str, reason_data: str, state_value: str) -> None:
        before = self.alarms[alarm_name].state_value if alarm_name in self.alarms else None
        original(self, alarm_name, reason, reason_data, state_value)
        alarm = self.alarms[alarm_name]
        if before == state_value or not alarm.actions_enabled:
            return  # CloudWatch acts on a change of state only
        for action in getattr(alarm, _ALARM_STATE_ACTIONS[state_value]) or []:
            if ":sns:" in action:
                _execute_alarm_action(alarm, action, before or "INSUFFICIENT_DATA", state_value, reason)

    _mark(set_alarm_state, original)
    _replace(CloudWatchBackend, "set_alarm_state", set_alarm_state)


def _execute_alarm_action(alarm: Any, topic_arn: str, before: str, state: str, reason: str) -> None:
    """Publish the alarm's notification as CloudWatch does, recording the outcome like its history."""
    from moto.utilities.arns import parse_arn

    at = parse_arn(alarm.alarm_arn)
    notification = {
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description,
        "AWSAccountId": at.account,
        "NewStateValue": state,
        "NewStateReason": reason,
        "OldStateValue": before,
        "StateChangeTime": datetime.datetime.now(datetime.UTC).isoformat(),
        "Region": at.region,
        "AlarmArn": alarm.alarm_arn,
    }
    record = {"alarm": alarm.name, "action": topic_arn, "state": state}
    try:
        message_id = publish_as_service(
            topic_arn,
            json.dumps(notification),
            subject=f'{state}: "{alarm.name}" in {at.region}'[:100],
            service=CLOUDWATCH_SERVICE,
            source_arn=alarm.alarm_arn,
        )
        record.update(result="delivered", messageId=message_id)
    except Exception as error:  # CloudWatch records any failure and carries on
        record.update(result="failed", error=str(error))
    _state.setdefault("alarm_actions", []).append(record)


def _verify_alarm_actions() -> None:
    from moto.cloudwatch.models import CloudWatchBackend

    _require_replaced("cloudwatch-alarm-actions", CloudWatchBackend.set_alarm_state)


# 16c. AWS's public SSM parameters the app reads (the Powertools layer) ------------------------------

POWERTOOLS_PYTHONS = ("python3.10", "python3.11", "python3.12", "python3.13", "python3.14")
POWERTOOLS_ARCHITECTURES = ("arm64", "x86_64")


def _powertools_parameters(region: str) -> dict[str, str]:
    """What ``/aws/service/powertools/python/<arch>/<python>/latest`` holds in ``region`` on AWS (a layer
    ARN; the version is the library's known one, the local cloud runs no layer code anyway)."""
    from workflow_constructs.powertools import POWERTOOLS_LAYER_VERSION, layer_arn, layer_parameter_name

    return {
        layer_parameter_name(architecture=arch, python=python): layer_arn(
            partition="aws", region=region, architecture=arch, python=python, version=POWERTOOLS_LAYER_VERSION
        )
        for arch in POWERTOOLS_ARCHITECTURES
        for python in POWERTOOLS_PYTHONS
    }


def _check_public_parameters() -> None:
    from moto.ssm.models import Parameter, ParameterDict

    _require_parameters("ssm-public-parameters", ParameterDict._check_loading_status, ("self", "key"))
    _require(
        "super().__getitem__(name).append(" in inspect.getsource(ParameterDict._load_tree_parameters),
        "ssm-public-parameters",
        "ParameterDict no longer stores parameters as lists of versions",
    )
    _require_parameters(
        "ssm-public-parameters",
        Parameter.__init__,
        (
            "self",
            "account_id",
            "name",
            "value",
            "parameter_type",
            "description",
            "allowed_pattern",
            "keyid",
            "last_modified_date",
            "version",
            "data_type",
            "labels",
            "source_result",
            "tier",
            "policies",
        ),
    )


def _apply_public_parameters() -> None:
    from moto.core.utils import utcnow
    from moto.ssm.models import Parameter, ParameterDict

    original = ParameterDict._check_loading_status
    if getattr(original, "_local_cloud", False):
        return

    def _check_loading_status(self: Any, key: str) -> None:
        original(self, key)
        if str(key or "").startswith("/aws/service/powertools/") and not getattr(self, "_powertools", False):
            self._powertools = True
            for name, value in _powertools_parameters(self.region_name).items():
                super(ParameterDict, self).__getitem__(name).append(
                    Parameter(  # type: ignore[abstract]
                        account_id=self.account_id,
                        name=name,
                        value=value,
                        parameter_type="String",
                        description="Powertools for AWS Lambda (Python) layer (seeded by the local cloud)",
                        allowed_pattern=None,
                        keyid=None,
                        last_modified_date=utcnow(),
                        version=1,
                        data_type="text",
                    )
                )

    _mark(_check_loading_status, original)
    _replace(ParameterDict, "_check_loading_status", _check_loading_status)


def _verify_public_parameters() -> None:
    from moto.ssm.models import ParameterDict

    _require_replaced("ssm-public-parameters", ParameterDict._check_loading_status)
    parameters = ParameterDict("123456789012", "eu-west-1")
    (stored,) = parameters["/aws/service/powertools/python/arm64/python3.14/latest"]
    _require(
        stored.value.startswith(
            "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python314"
        ),
        "ssm-public-parameters",
        f"seeded [{stored.value}]",
    )


# 17. KMS keys from CloudFormation keep a JSON policy ----------------------------------------------


def _check_kms_policy() -> None:
    from moto.kms.models import Key

    source = inspect.getsource(Key.create_from_cloudformation_json)
    _require(
        'policy=properties["KeyPolicy"]' in source,
        "cfn-kms-key-policy",
        "Key.create_from_cloudformation_json changed; it may serialise the policy now: drop this patch",
    )


def _apply_kms_policy() -> None:
    from moto.kms.models import Key

    original = Key.__dict__["create_from_cloudformation_json"].__func__
    if getattr(original, "_local_cloud", False):
        return

    def create_from_cloudformation_json(
        cls: Any,
        /,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        # CloudFormation gives the policy as an object; moto's KMS API expects the JSON text it stores.
        properties = cloudformation_json.get("Properties", {})
        if isinstance(properties.get("KeyPolicy"), dict):
            properties = {**properties, "KeyPolicy": json.dumps(properties["KeyPolicy"])}
            cloudformation_json = {**cloudformation_json, "Properties": properties}
        return original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)

    _mark(create_from_cloudformation_json)
    _replace(Key, "create_from_cloudformation_json", classmethod(create_from_cloudformation_json))


def _verify_kms_policy() -> None:
    from moto.kms.models import Key

    function = Key.__dict__["create_from_cloudformation_json"].__func__
    _require_replaced("cfn-kms-key-policy", function)


# 18. CloudFormation change sets behave like AWS's -------------------------------------------------


def _check_change_sets() -> None:
    from moto.cloudformation.models import CloudFormationBackend
    from moto.cloudformation.responses import CloudFormationResponse

    _require_parameters(
        "cfn-change-sets", CloudFormationBackend.execute_change_set, ("self", "change_set_name", "stack_name")
    )
    for method in (CloudFormationBackend.describe_change_set, CloudFormationBackend.delete_change_set):
        _require_parameters("cfn-change-sets", method, ("self", "change_set_name"))
    execute_source = inspect.getsource(CloudFormationBackend.execute_change_set)
    _require(
        "stack.template = change_set.template" in execute_source and "output_map" not in execute_source,
        "cfn-change-sets",
        "execute_change_set changed; it may rebuild the outputs itself now: drop that part of this patch",
    )
    for name in ("describe_change_set", "delete_change_set"):
        _require(
            'self._get_param("StackName")' not in inspect.getsource(getattr(CloudFormationResponse, name)),
            "cfn-change-sets",
            f"CloudFormationResponse.{name} reads StackName now: drop that part of this patch",
        )


def _apply_change_sets() -> None:
    from moto.cloudformation.exceptions import CloudFormationError
    from moto.cloudformation.models import CloudFormationBackend
    from moto.cloudformation.responses import CloudFormationResponse
    from moto.core.responses import ActionResult, EmptyResult

    if getattr(CloudFormationBackend.execute_change_set, "_local_cloud", False):
        return

    class ChangeSetNotFoundError(CloudFormationError):
        code = "ChangeSetNotFound"

    def find(backend: Any, change_set_name: str, stack_name: str | None) -> Any:
        for key, change_set in backend.change_sets.items():
            if change_set_name not in (key, change_set.change_set_name):
                continue
            if (
                key == change_set_name
                or not stack_name
                or stack_name in (change_set.stack_name, change_set.stack_id)
            ):
                return change_set
        raise ChangeSetNotFoundError(f"ChangeSet [{change_set_name}] does not exist")

    original_execute = CloudFormationBackend.execute_change_set

    def execute_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
        change_set = find(self, change_set_name, stack_name)
        original_execute(self, change_set_name, stack_name)
        # moto keeps the outputs (and so the exports) of the template the stack was created with.
        stack = self.stacks[change_set.stack_id]
        stack._parse_template()
        stack.output_map = stack._create_output_map()
        for export in stack.exports:
            self.exports[export.name] = export

    def describe_change_set(self: Any) -> Any:
        backend = self.cloudformation_backend
        return ActionResult(find(backend, self._get_param("ChangeSetName"), self._get_param("StackName")))

    def delete_change_set(self: Any) -> Any:
        backend = self.cloudformation_backend
        change_set = find(backend, self._get_param("ChangeSetName"), self._get_param("StackName"))
        backend.change_sets.pop(change_set.change_set_id, None)
        return EmptyResult()

    _mark(execute_change_set, original_execute)
    _replace(CloudFormationBackend, "execute_change_set", execute_change_set)
    for name, replacement in (
        ("describe_change_set", describe_change_set),
        ("delete_change_set", delete_change_set),
    ):
        _mark(replacement, getattr(CloudFormationResponse, name))
        _replace(CloudFormationResponse, name, replacement)


def _verify_change_sets() -> None:
    from moto.cloudformation.models import CloudFormationBackend
    from moto.cloudformation.responses import CloudFormationResponse

    _require_replaced(
        "cfn-change-sets",
        CloudFormationBackend.execute_change_set,
        CloudFormationResponse.describe_change_set,
        CloudFormationResponse.delete_change_set,
    )


# 19. CloudFormation resources moto skips ----------------------------------------------------------

EXTRA_CFN_TYPES = (
    "AWS::SES::Template",
    "AWS::SES::EmailIdentity",
    "AWS::DynamoDB::GlobalTable",
    "AWS::SecretsManager::Secret",
)


def _extra_cfn_models() -> tuple[type, ...]:
    from moto.ses.models import ses_backends

    def create_template(properties: Any, resource_name: str, account_id: str, region_name: str) -> str:
        spec = properties.get("Template", {})
        name = spec.get("TemplateName") or resource_name
        ses_backends[account_id][region_name].add_template(
            {
                "template_name": name,
                "subject_part": spec.get("SubjectPart", ""),
                "text_part": spec.get("TextPart", ""),
                "html_part": spec.get("HtmlPart", ""),
            }
        )
        return str(name)

    def create_identity(properties: Any, resource_name: str, account_id: str, region_name: str) -> str:
        identity = properties.get("EmailIdentity") or resource_name
        ses_backends[account_id][region_name].create_email_identity_v2(identity, None, None, None)
        return str(identity)

    return (
        _secret_model(),
        _named_cfn_model(
            "AWS::SES::Template",
            "TemplateName",
            "moto.ses.local_cloud",
            create_template,
            lambda name, account, region: ses_backends[account][region].templates.pop(name, None),
        ),
        _named_cfn_model(
            "AWS::SES::EmailIdentity",
            "EmailIdentity",
            "moto.ses.local_cloud",
            create_identity,
            lambda name, account, region: ses_backends[account][region].email_identities.pop(name, None),
        ),
        _global_table_model(),
    )


def _secret_model() -> type:
    """``AWS::SecretsManager::Secret``: its ``SecretString``, or one made as ``GenerateSecretString`` says.

    Known by its ARN, which is what ``Ref`` of a secret returns.
    """
    from moto.secretsmanager.models import secretsmanager_backends

    def create(properties: Any, resource_name: str, account_id: str, region_name: str) -> str:
        backend = secretsmanager_backends[account_id][region_name]
        value = properties.get("SecretString")
        generate = properties.get("GenerateSecretString")
        if value is None and generate is not None:
            password = json.loads(
                backend.get_random_password(
                    password_length=int(generate.get("PasswordLength", 32)),
                    exclude_characters=generate.get("ExcludeCharacters", ""),
                    exclude_numbers=_flag(generate.get("ExcludeNumbers")),
                    exclude_punctuation=_flag(generate.get("ExcludePunctuation")),
                    exclude_uppercase=_flag(generate.get("ExcludeUppercase")),
                    exclude_lowercase=_flag(generate.get("ExcludeLowercase")),
                    include_space=_flag(generate.get("IncludeSpace")),
                    require_each_included_type=_flag(generate.get("RequireEachIncludedType", True)),
                )
            )["RandomPassword"]
            value = password
            if generate.get("SecretStringTemplate") and generate.get("GenerateStringKey"):
                value = json.dumps(
                    {**json.loads(generate["SecretStringTemplate"]), generate["GenerateStringKey"]: password}
                )
        created = backend.create_secret(
            name=properties.get("Name") or resource_name,
            secret_string=value,
            secret_binary=None,
            description=properties.get("Description"),
            tags=properties.get("Tags"),
            kms_key_id=properties.get("KmsKeyId"),
            client_request_token=None,
            replica_regions=[],
            force_overwrite=False,
        )
        return str(json.loads(created)["ARN"])

    def delete(arn: str, account_id: str, region_name: str) -> None:
        secretsmanager_backends[account_id][region_name].delete_secret(arn, None, True)

    return _named_cfn_model(
        "AWS::SecretsManager::Secret", "Name", "moto.secretsmanager.local_cloud", create, delete
    )


def _flag(value: Any) -> bool:
    """A CloudFormation boolean, which may arrive as a string."""
    return value is True or str(value).lower() == "true"


def _named_cfn_model(
    resource_type: str,
    name_property: str,
    module: str,
    create: Callable[[Any, str, str, str], str],
    delete: Callable[[str, str, str], Any],
) -> type:
    """A CloudFormation model of a resource known by its name: ``create`` makes it, ``delete`` removes it."""
    from moto.core.common_models import CloudFormationModel

    class NamedResource(CloudFormationModel):
        __module__ = module  # moto files models by the second part of their module

        def __init__(self, name: str) -> None:
            self.name = name

        @property
        def physical_resource_id(self) -> str:
            return self.name

        @staticmethod
        def cloudformation_name_type() -> str:
            return name_property

        @staticmethod
        def cloudformation_type() -> str:
            return resource_type

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return False

        @classmethod
        def create_from_cloudformation_json(
            cls,
            resource_name: str,
            cloudformation_json: Any,
            account_id: str,
            region_name: str,
            **kwargs: Any,
        ) -> NamedResource:
            properties = cloudformation_json.get("Properties", {})
            return cls(create(properties, resource_name, account_id, region_name))

        @classmethod
        def update_from_cloudformation_json(
            cls,
            original_resource: Any,
            new_resource_name: str,
            cloudformation_json: Any,
            account_id: str,
            region_name: str,
        ) -> NamedResource:
            delete(original_resource.name, account_id, region_name)
            return cls.create_from_cloudformation_json(
                new_resource_name, cloudformation_json, account_id, region_name
            )

        @classmethod
        def delete_from_cloudformation_json(
            cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
        ) -> None:
            delete(resource_name, account_id, region_name)

        def is_created(self) -> bool:
            return True

    NamedResource.__name__ = NamedResource.__qualname__ = resource_type.replace("::", "")
    return NamedResource


def _global_table_model() -> type:
    from moto.core.common_models import CloudFormationModel
    from moto.dynamodb.models.table import Table

    class DynamoDbGlobalTable(CloudFormationModel):
        """``AWS::DynamoDB::GlobalTable`` (CDK's TableV2) as a table in this one region.

        Creating it returns moto's own ``Table``, so Ref, GetAtt and deletion behave as for
        ``AWS::DynamoDB::Table``. Replicas other than this region's are ignored.
        """

        __module__ = "moto.dynamodb.local_cloud"

        @staticmethod
        def cloudformation_name_type() -> str:
            return "TableName"

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::DynamoDB::GlobalTable"

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return attr in ("Arn", "StreamArn", "TableId") or bool(Table.has_cfn_attr(attr))

        @classmethod
        def create_from_cloudformation_json(
            cls,
            resource_name: str,
            cloudformation_json: Any,
            account_id: str,
            region_name: str,
            **kwargs: Any,
        ) -> Any:
            properties = dict(cloudformation_json.get("Properties", {}))
            replicas = properties.pop("Replicas", [])
            here = next(
                (r for r in replicas if r.get("Region") in (None, region_name)),
                replicas[0] if replicas else {},
            )
            if here.get("Tags"):
                properties["Tags"] = here["Tags"]
            if here.get("DeletionProtectionEnabled") is not None:
                properties["DeletionProtectionEnabled"] = here["DeletionProtectionEnabled"]
            properties.setdefault("BillingMode", "PAY_PER_REQUEST")
            return Table.create_from_cloudformation_json(
                resource_name, {"Properties": properties}, account_id, region_name, **kwargs
            )

        @classmethod
        def update_from_cloudformation_json(
            cls,
            original_resource: Any,
            new_resource_name: str,
            cloudformation_json: Any,
            account_id: str,
            region_name: str,
        ) -> Any:
            return original_resource

        @classmethod
        def delete_from_cloudformation_json(
            cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
        ) -> None:
            Table.delete_from_cloudformation_json(resource_name, cloudformation_json, account_id, region_name)

        def is_created(self) -> bool:
            return True

    return DynamoDbGlobalTable


def _check_extra_cfn() -> None:
    from moto.cloudformation import parsing
    from moto.dynamodb.models.table import Table
    from moto.secretsmanager.models import SecretsManagerBackend

    for function in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        _require(
            hasattr(function, "cache_clear"),
            "cfn-extra-resources",
            f"{function.__name__} is no longer an lru_cache over CloudFormationModel subclasses",
        )
    _require_parameters(
        "cfn-extra-resources",
        Table.create_from_cloudformation_json,
        ("resource_name", "cloudformation_json", "account_id", "region_name", "kwargs"),
    )
    _require_parameters(
        "cfn-extra-resources",
        SecretsManagerBackend.create_secret,
        (
            "self",
            "name",
            "secret_string",
            "secret_binary",
            "description",
            "tags",
            "kms_key_id",
            "client_request_token",
            "replica_regions",
            "force_overwrite",
        ),
    )
    _require_parameters(
        "cfn-extra-resources",
        SecretsManagerBackend.get_random_password,
        (
            "self",
            "password_length",
            "exclude_characters",
            "exclude_numbers",
            "exclude_punctuation",
            "exclude_uppercase",
            "exclude_lowercase",
            "include_space",
            "require_each_included_type",
        ),
    )
    if "extra_cfn_models" in _state:
        return
    supported = {model.cloudformation_type() for model in parsing.get_model_list()}
    for resource_type in EXTRA_CFN_TYPES:
        _require(
            resource_type not in supported,
            "cfn-extra-resources",
            f"moto supports {resource_type} itself now: drop it from this patch",
        )


def _apply_extra_cfn() -> None:
    from moto.cloudformation import parsing

    if "extra_cfn_models" in _state:
        return
    # moto finds models through CloudFormationModel.__subclasses__(): keep the classes alive.
    _state["extra_cfn_models"] = _extra_cfn_models()
    for function in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        function.cache_clear()


def _verify_extra_cfn() -> None:
    from moto.cloudformation import parsing

    for resource_type in EXTRA_CFN_TYPES:
        _require(
            resource_type in parsing.get_model_map(), "cfn-extra-resources", f"{resource_type} not registered"
        )


# 20. Bucket names CloudFormation generates fit S3's limit -----------------------------------------

S3_BUCKET_NAME_MAX_LENGTH = 63


def _check_bucket_names() -> None:
    from moto.cloudformation import parsing

    _require_parameters(
        "cfn-bucket-names", parsing.generate_resource_name, ("resource_type", "stack_name", "logical_id")
    )
    _require(
        "generate_resource_name(" in inspect.getsource(parsing.parse_resource_and_generate_name),
        "cfn-bucket-names",
        "parse_resource_and_generate_name no longer calls the module's generate_resource_name",
    )


def _apply_bucket_names() -> None:
    from moto.cloudformation import parsing

    original = parsing.generate_resource_name
    if getattr(original, "_local_cloud", False):
        return

    def generate_resource_name(resource_type: str, stack_name: str, logical_id: str) -> str:
        name = original(resource_type, stack_name, logical_id)
        if resource_type != "AWS::S3::Bucket" or len(name) <= S3_BUCKET_NAME_MAX_LENGTH:
            return name
        # Like CloudFormation: shorten the stack and logical id parts, keep the random suffix.
        stack_part, logical_part, suffix = stack_name.lower(), logical_id.lower(), name.rsplit("-", 1)[1]
        room = S3_BUCKET_NAME_MAX_LENGTH - len(suffix) - 2
        stack_part = stack_part[: max(room // 3, 1)]
        return f"{stack_part}-{logical_part[: room - len(stack_part)]}-{suffix}".replace("--", "-")

    _mark(generate_resource_name, original)
    _replace(parsing, "generate_resource_name", generate_resource_name)


def _verify_bucket_names() -> None:
    from moto.cloudformation import parsing

    _require_replaced("cfn-bucket-names", parsing.generate_resource_name)
    name = parsing.generate_resource_name(
        "AWS::S3::Bucket",
        "OrdersService",
        "OrdersServiceArchiveBucketStorageArchiveBucketAccessLogs1A2B3C4D",
    )
    _require(
        len(name) <= S3_BUCKET_NAME_MAX_LENGTH
        and name == name.lower()
        and re.fullmatch(r"[a-z0-9.-]+", name) is not None,
        "cfn-bucket-names",
        f"a long logical id still gives an invalid bucket name [{name}]",
    )


# 21. An integer ToleratedFailurePercentage parses -------------------------------------------------

DECIMAL_ONLY_FIELDS = frozenset({"ToleratedFailurePercentage"})
"""Fields moto's ASL grammar reads as a decimal NUMBER token only; ASL allows any JSON number there."""


def _as_decimals(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: float(item)
            if key in DECIMAL_ONLY_FIELDS and isinstance(item, int) and not isinstance(item, bool)
            else _as_decimals(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_as_decimals(item) for item in value]
    return value


def _check_decimal_fields() -> None:
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    _require_parameters("sfn-decimal-fields", AmazonStateLanguageParser.parse, ("definition",))


def _apply_decimal_fields() -> None:
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    original = AmazonStateLanguageParser.parse
    if getattr(original, "_local_cloud", False):
        return

    def parse(definition: str) -> Any:
        try:
            document = json.loads(definition)
        except ValueError:
            return original(definition)  # let moto report what is wrong with it
        return original(json.dumps(_as_decimals(document)))

    _mark(parse, original)
    _replace(AmazonStateLanguageParser, "parse", staticmethod(parse))


def _verify_decimal_fields() -> None:
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    _require_replaced("sfn-decimal-fields", AmazonStateLanguageParser.parse)
    definition = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Done",
                    "States": {"Done": {"Type": "Succeed"}},
                },
                "ToleratedFailurePercentage": 10,
                "End": True,
            }
        },
    }
    AmazonStateLanguageParser.parse(json.dumps(definition))


# 22. Step Functions refuses payloads over 256 KiB -----------------------------------------------

MAX_PAYLOAD_BYTES = 256 * 1024
"""Step Functions' quota on an execution's input and a callback's output: 256 KiB as UTF-8."""
_PAYLOAD_LIMITS = (("start_execution", "input"), ("send_task_success", "output"))


def payload_too_large(value: Any) -> bool:
    """Whether ``value`` (a request's ``input``/``output`` string) is over Step Functions' 256 KiB quota."""
    return isinstance(value, str) and len(value.encode("utf-8")) > MAX_PAYLOAD_BYTES


def _check_payload_limits() -> None:
    from moto.stepfunctions.exceptions import ValidationException
    from moto.stepfunctions.responses import StepFunctionResponse

    for action, _ in _PAYLOAD_LIMITS:
        _require_parameters("sfn-payload-limits", getattr(StepFunctionResponse, action), ("self",))
    _require_parameters("sfn-payload-limits", ValidationException.__init__, ("self", "msg"))


def _apply_payload_limits() -> None:
    from moto.stepfunctions.exceptions import ValidationException
    from moto.stepfunctions.responses import StepFunctionResponse

    for action, parameter in _PAYLOAD_LIMITS:
        original = getattr(StepFunctionResponse, action)
        if getattr(original, "_local_cloud", False):
            continue

        def checked(self: Any, _original: Any = original, _parameter: str = parameter) -> Any:
            # AWS validates the request before anything happens: no execution, no answered callback.
            if payload_too_large(self._get_param(_parameter)):
                raise ValidationException(
                    f"1 validation error detected: Value at '{_parameter}' failed to satisfy constraint: "
                    f"Member must have length less than or equal to {MAX_PAYLOAD_BYTES}"
                )
            return _original(self)

        _mark(checked, original)
        _replace(StepFunctionResponse, action, checked)


def _verify_payload_limits() -> None:
    from moto.stepfunctions.responses import StepFunctionResponse

    _require_replaced(
        "sfn-payload-limits", *(getattr(StepFunctionResponse, action) for action, _ in _PAYLOAD_LIMITS)
    )
    _require(payload_too_large("x" * (MAX_PAYLOAD_BYTES + 1)), "sfn-payload-limits", "limit not applied")
    _require(not payload_too_large("x" * MAX_PAYLOAD_BYTES), "sfn-payload-limits", "limit off by one")


# 23. STS AssumeRole evaluates the role's trust policy ---------------------------------------------
#
# moto's AssumeRole hands out credentials for any role to anyone ("the role does not need to exist").
# AWS refuses unless the role's trust policy allows the caller sts:AssumeRole, and, when the request
# carries session tags, sts:TagSession, each with its conditions; an explicit Deny wins.
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
# https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html#id_session-tags_permissions-required
# Only the trust policy (the role's resource policy) is evaluated here; identity policies are not.

ASSUME_ROLE = "sts:AssumeRole"
TAG_SESSION = "sts:TagSession"
SESSION_TAGS_ATTRIBUTE = "_local_cloud_session_tags"
"""Where a patched AssumeRole keeps a session's tags on moto's ``AssumedRole`` (``aws:PrincipalTag``)."""

_STRING_OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "stringequals": lambda actual, wanted: actual == wanted,
    "stringequalsignorecase": lambda actual, wanted: actual.lower() == wanted.lower(),
    "stringlike": lambda actual, wanted: _like(actual, wanted),
    "arnequals": lambda actual, wanted: actual == wanted,
    "arnlike": lambda actual, wanted: _like(actual, wanted),
    "bool": lambda actual, wanted: actual.lower() == wanted.lower(),
}
_NEGATED_OPERATORS = {
    "stringnotequals": "stringequals",
    "stringnotequalsignorecase": "stringequalsignorecase",
    "stringnotlike": "stringlike",
    "arnnotequals": "arnequals",
    "arnnotlike": "arnlike",
}


@dataclass(frozen=True)
class AssumeRoleCall:
    """What a trust policy is evaluated against: who asks, for which role, with which request."""

    caller_arn: str
    """``arn:aws:iam::<account>:user/<name>``, ``arn:aws:sts::<account>:assumed-role/<role>/<session>``."""
    caller_account: str
    role_arn: str
    session_tags: dict[str, str]
    context: dict[str, Any]
    """Further condition keys (lowercase): ``aws:principaltag/<key>``, ``sts:externalid``, ..."""


def _like(actual: str, pattern: str) -> bool:
    """IAM's ``*``/``?`` wildcards (case-sensitive, unlike fnmatch on some platforms)."""
    expression = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(expression, actual, flags=re.DOTALL) is not None


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _role_of_session(arn: str) -> tuple[str, str] | None:
    """``(account, role name)`` of an assumed-role session ARN."""
    match = re.fullmatch(r"arn:aws[a-z-]*:sts::(\d{12}):assumed-role/([^/]+)/.+", arn)
    return (match.group(1), match.group(2)) if match else None


def _principal_names(entry: str, call: AssumeRoleCall) -> bool:
    """Whether one ``AWS`` principal entry of a policy covers the caller."""
    if entry == "*":
        return True
    account = re.fullmatch(r"(\d{12})|arn:aws[a-z-]*:iam::(\d{12}):root", entry)
    if account:  # the account: every principal in it (their own policies decide further)
        return call.caller_account == (account.group(1) or account.group(2))
    role = re.fullmatch(r"arn:aws[a-z-]*:iam::(\d{12}):role/(?:.*/)?([^/]+)", entry)
    if role:  # a role: its sessions
        return _role_of_session(call.caller_arn) == (role.group(1), role.group(2))
    return entry == call.caller_arn


def _principal_matches(principal: Any, call: AssumeRoleCall) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    # Service and Federated principals are never the caller of an API request made with credentials.
    return any(_principal_names(entry, call) for entry in _as_list(principal.get("AWS", [])))


def _action_matches(statement: dict[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not any(_like(action.lower(), a.lower()) for a in _as_list(statement["NotAction"]))
    return any(_like(action.lower(), a.lower()) for a in _as_list(statement.get("Action", [])))


def _context_values(call: AssumeRoleCall, key: str) -> list[str] | None:
    """The request's values of condition key ``key`` (``None``: the key is absent)."""
    key = key.lower()
    tags = {k.lower(): v for k, v in call.session_tags.items()}
    if key.startswith("aws:requesttag/"):
        tag = key.removeprefix("aws:requesttag/")
        return [tags[tag]] if tag in tags else None
    if key == "aws:tagkeys":
        return list(call.session_tags) or None
    if key == "aws:principalarn":
        session = _role_of_session(call.caller_arn)
        return [f"arn:aws:iam::{session[0]}:role/{session[1]}" if session else call.caller_arn]
    if key == "aws:principalaccount":
        return [call.caller_account]
    value = call.context.get(key)
    if value is None:
        return None
    return [str(v) for v in _as_list(value)]


def _condition_holds(operator: str, key: str, wanted: Any, call: AssumeRoleCall) -> bool:
    """One operator on one key, as IAM evaluates it (unknown operators never hold: fail closed)."""
    operator = operator.lower()
    qualifier, _, operator = operator.rpartition(":")
    if_exists = operator.endswith("ifexists")
    operator = operator.removesuffix("ifexists")
    actual = _context_values(call, key)
    wanted_values = [str(v).lower() if isinstance(v, bool) else str(v) for v in _as_list(wanted)]
    if operator == "null":
        return (actual is None) == (wanted_values[0].lower() == "true")
    negated = operator in _NEGATED_OPERATORS
    compare = _STRING_OPERATORS.get(_NEGATED_OPERATORS.get(operator, operator))
    if compare is None:
        return False
    if actual is None:
        return if_exists or negated or qualifier == "forallvalues"

    def matches(value: str) -> bool:
        hit = any(compare(value, w) for w in wanted_values)
        return not hit if negated else hit

    if qualifier == "forallvalues":
        return all(matches(value) for value in actual)
    return any(matches(value) for value in actual)


def _conditions_hold(conditions: dict[str, Any], call: AssumeRoleCall) -> bool:
    return all(
        _condition_holds(operator, key, wanted, call)
        for operator, keys in conditions.items()
        for key, wanted in keys.items()
    )


def trust_policy_decision(policy: dict[str, Any], call: AssumeRoleCall) -> str | None:
    """The action the trust policy refuses the call (``sts:AssumeRole`` or ``sts:TagSession``), or
    ``None`` when it allows it. TagSession is needed only when the call carries session tags."""
    actions = [ASSUME_ROLE, TAG_SESSION] if call.session_tags else [ASSUME_ROLE]
    statements = _as_list(policy.get("Statement", []))
    for action in actions:
        applying = [
            statement
            for statement in statements
            if _action_matches(statement, action)
            and (
                not _principal_matches(statement["NotPrincipal"], call)
                if "NotPrincipal" in statement
                else _principal_matches(statement.get("Principal"), call)
            )
            and _conditions_hold(statement.get("Condition", {}), call)
        ]
        denied = any(statement.get("Effect") == "Deny" for statement in applying)
        if denied or not any(statement.get("Effect") == "Allow" for statement in applying):
            return action
    return None


def _trust_policy_of(role_arn: str) -> dict[str, Any] | None:
    """The trust policy of the role ``role_arn`` names (by account and name), or ``None`` if no such role."""
    from moto.iam.models import iam_backends

    match = re.fullmatch(r"arn:(aws[a-z-]*):iam::(\d{12}):role/(?:.*/)?([^/]+)", role_arn or "")
    if not match:
        return None
    partition, account, name = match.groups()
    try:
        role = iam_backends[account][partition].get_role(name)
    except Exception:  # moto's NotFoundException, or an account it has never seen
        return None
    document = role.assume_role_policy_document
    return dict(json.loads(document) if isinstance(document, str) else document)


def _principal_tags(caller_arn: str, caller_account: str, partition: str) -> dict[str, str]:
    """``aws:PrincipalTag`` of the caller: a session's tags, or an IAM user's tags."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    for assumed in sts_backends[caller_account][partition].assumed_roles:
        if assumed.arn == caller_arn:
            return dict(getattr(assumed, SESSION_TAGS_ATTRIBUTE, {}))
    user = re.fullmatch(r"arn:aws[a-z-]*:iam::\d{12}:user/(?:.*/)?([^/]+)", caller_arn)
    if user:
        with contextlib.suppress(Exception):
            found: Any = iam_backends[caller_account][partition].get_user(user.group(1))
            tags = found.tags.values() if isinstance(found.tags, dict) else found.tags or []
            return {tag["Key"]: tag["Value"] for tag in tags}
    return {}


def _check_assume_role() -> None:
    from moto.iam.models import Role
    from moto.sts.models import AssumedRole, STSBackend
    from moto.sts.responses import TokenResponse

    _require_parameters("sts-assume-role-trust", TokenResponse.assume_role, ("self",))
    _require_parameters(
        "sts-assume-role-trust", STSBackend.get_caller_identity, ("self", "access_key_id", "region")
    )
    _require(
        "assumed_roles" in inspect.getsource(STSBackend.assume_role),
        "sts-assume-role-trust",
        "STSBackend.assume_role no longer records sessions in assumed_roles",
    )
    _require(
        "assume_role_policy_document" in inspect.getsource(Role.__init__),
        "sts-assume-role-trust",
        "moto's IAM Role no longer keeps assume_role_policy_document",
    )
    _require(hasattr(AssumedRole, "arn"), "sts-assume-role-trust", "AssumedRole has no arn")


def _apply_assume_role() -> None:
    from moto.core.exceptions import AccessDeniedError
    from moto.sts.responses import TokenResponse

    original = TokenResponse.assume_role
    if getattr(original, "_local_cloud", False):
        return

    def assume_role(self: Any) -> Any:
        role_arn = str(self._get_param("RoleArn") or "")
        tags = {tag["Key"]: tag["Value"] for tag in self._get_param("Tags") or []}
        _, caller_arn, caller_account = self.backend.get_caller_identity(self.get_access_key(), self.region)
        call = AssumeRoleCall(
            caller_arn=caller_arn,
            caller_account=caller_account,
            role_arn=role_arn,
            session_tags=tags,
            context={
                "sts:externalid": self._get_param("ExternalId"),
                "sts:rolesessionname": self._get_param("RoleSessionName"),
                "sts:transitivetagkeys": self._get_param("TransitiveTagKeys"),
                **{
                    f"aws:principaltag/{key.lower()}": value
                    for key, value in _principal_tags(caller_arn, caller_account, self.partition).items()
                },
            },
        )
        policy = _trust_policy_of(role_arn)
        refused = ASSUME_ROLE if policy is None else trust_policy_decision(policy, call)
        if refused is not None:
            # AWS's wording: "User: <caller> is not authorized to perform: <action> on resource: <role>".
            raise AccessDeniedError(caller_arn, f"{refused} on resource: {role_arn}")
        result = original(self)
        # The session's tags become its aws:PrincipalTag (what a tag-scoped policy reads).
        session = result.result.get("Credentials") if isinstance(result.result, dict) else None
        if session is not None:
            setattr(session, SESSION_TAGS_ATTRIBUTE, tags)
        return result

    _mark(assume_role, original)
    _replace(TokenResponse, "assume_role", assume_role)


def _verify_assume_role() -> None:
    from moto.sts.responses import TokenResponse

    _require_replaced("sts-assume-role-trust", TokenResponse.assume_role)
    trusted = "arn:aws:iam::123456789012:role/broker"
    policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": trusted},
                "Action": [ASSUME_ROLE, TAG_SESSION],
                "Condition": {"StringLike": {"aws:RequestTag/tenant": "?*"}},
            }
        ]
    }

    def call(caller: str, tags: dict[str, str]) -> AssumeRoleCall:
        return AssumeRoleCall(caller, "123456789012", "arn:aws:iam::123456789012:role/scope", tags, {})

    broker = "arn:aws:sts::123456789012:assumed-role/broker/s"
    _require(
        trust_policy_decision(policy, call(broker, {"tenant": "acme"})) is None,
        "sts-assume-role-trust",
        "the named principal with the required tag is refused",
    )
    _require(
        trust_policy_decision(policy, call(broker, {})) == ASSUME_ROLE,
        "sts-assume-role-trust",
        "a missing required tag is allowed",
    )
    _require(
        trust_policy_decision(policy, call("arn:aws:iam::123456789012:user/dev", {"tenant": "acme"}))
        == ASSUME_ROLE,
        "sts-assume-role-trust",
        "a principal the trust policy does not name is allowed",
    )


# IAM evaluation mode: requests signed by IAM users and assumed-role sessions are authorised -------
#
# moto can check signatures and policies (``INITIAL_NO_AUTH_ACTION_COUNT``), but only for every request at
# once, with every Step Functions action authorised against resource "*" and conditions other than
# StringEquals ignored (a Deny with ``ArnNotEquals`` then denies everyone). The local cloud's own callers
# (the harness, CDK, the functions, the interpreter) use keys no IAM user holds. So, when the mode is on,
# a request signed with an IAM user's access key or an STS session is evaluated here, with the real
# resource ARN and the ``aws:PrincipalArn`` condition key; every other request is not evaluated.
# Evaluation logic: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html

IAM_CONTEXT_KEYS = ("aws:principalarn", "aws:principalaccount")
_IAM_STRING_OPERATORS: dict[str, tuple[bool, bool]] = {  # operator -> (negated, wildcards)
    "StringEquals": (False, False),
    "StringNotEquals": (True, False),
    "StringLike": (False, True),
    "StringNotLike": (True, True),
    "ArnEquals": (False, True),
    "ArnNotEquals": (True, True),
    "ArnLike": (False, True),
    "ArnNotLike": (True, True),
}


class UnsupportedConditionError(ValueError):
    """A policy condition the local cloud cannot evaluate (operator or key)."""


def _iam_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    expression = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(expression, value, re.IGNORECASE if ignore_case else 0) is not None


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _iam_condition_holds(conditions: dict[str, Any], context: dict[str, str]) -> bool:
    for operator, tests in conditions.items():
        if operator not in _IAM_STRING_OPERATORS:
            raise UnsupportedConditionError(
                f"condition operator {operator} is not evaluated by the local cloud"
            )
        negated, wildcards = _IAM_STRING_OPERATORS[operator]
        for key, expected in tests.items():
            if key.lower() not in IAM_CONTEXT_KEYS:
                raise UnsupportedConditionError(f"condition key {key} is not evaluated by the local cloud")
            actual = context.get(key.lower())
            if actual is None:
                if not negated:  # a missing key fails a positive test and passes a negated one
                    return False
                continue
            matched = any(_iam_match(e, actual) if wildcards else e == actual for e in _listed(expected))
            if matched == negated:
                return False
    return True


def _statement_applies(
    statement: dict[str, Any], action: str, resource: str, context: dict[str, str]
) -> bool:
    if "NotAction" in statement:
        if any(_iam_match(p, action, ignore_case=True) for p in _listed(statement["NotAction"])):
            return False
    elif not any(_iam_match(p, action, ignore_case=True) for p in _listed(statement.get("Action"))):
        return False
    if "NotResource" in statement:
        if any(_iam_match(p, resource) for p in _listed(statement["NotResource"])):
            return False
    elif not any(_iam_match(p, resource) for p in _listed(statement.get("Resource"))):
        return False
    try:
        return _iam_condition_holds(statement.get("Condition") or {}, context)
    except UnsupportedConditionError:
        # Fail closed: an Allow the local cloud cannot check does not allow, such a Deny denies.
        return statement.get("Effect") == "Deny"


def evaluate_iam(documents: list[dict[str, Any]], action: str, resource: str, context: dict[str, str]) -> str:
    """``"allowed"``, ``"explicit deny"`` or ``"implicit deny"`` for identity policy documents."""
    allowed = False
    for document in documents:
        statements = document.get("Statement", [])
        for statement in [statements] if isinstance(statements, dict) else statements:
            if _statement_applies(statement, action, resource, context):
                if statement.get("Effect") == "Deny":
                    return "explicit deny"
                allowed = True
    return "allowed" if allowed else "implicit deny"


def set_iam_evaluation(enabled: bool) -> None:
    """Turn the IAM evaluation mode on or off (the control API's ``POST /_local_cloud/iam``)."""
    _state["iam_evaluation"] = enabled


def iam_evaluation_enabled() -> bool:
    return bool(_state.get("iam_evaluation"))


def _policy_document(policy: Any) -> dict[str, Any]:
    from moto.iam.models import Policy

    if isinstance(policy, Policy):
        document = next(v.document for v in policy.versions if v.is_default)
    elif isinstance(policy, str):
        document = policy
    else:
        document = policy["policy_document"]
    parsed: dict[str, Any] = json.loads(document) if isinstance(document, str) else dict(document)
    return parsed


def _principal_arn(access_key: Any) -> str:
    arn = str(access_key.arn)
    if ":assumed-role/" in arn:  # aws:PrincipalArn of a role session is the role's ARN
        partition, account = arn.split(":")[1], arn.split(":")[4]
        return f"arn:{partition}:iam::{account}:role/{arn.split('/')[1]}"
    return arn


def _sfn_resource(response: Any) -> str:
    """The ARN Step Functions authorises an action against (for a task token: its state machine)."""
    for name in ("stateMachineArn", "executionArn", "mapRunArn", "activityArn"):
        value = response._get_param(name)
        if value:
            return str(value)
    token = response._get_param("taskToken")
    if token:
        for execution in _running_executions():
            if execution.exec_worker.env.callback_pool_manager.get(token) is not None:
                return str(execution.state_machine_arn)
    return "*"


def _check_iam_evaluation() -> None:
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.iam.access_control import IAMRequestBase, create_access_key

    _require_parameters(
        "iam-evaluation",
        ActionAuthenticatorMixin._authenticate_and_authorize_action,
        ("self", "iam_request_cls", "resource"),
    )
    _require_parameters(
        "iam-evaluation", create_access_key, ("account_id", "partition", "access_key_id", "headers")
    )
    _require(
        hasattr(IAMRequestBase, "_raise_access_denied") and hasattr(IAMRequestBase, "check_signature"),
        "iam-evaluation",
        "IAMRequestBase lost _raise_access_denied/check_signature",
    )


def _apply_iam_evaluation() -> None:
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.core.exceptions import JsonRESTError
    from moto.iam.access_control import CreateAccessKeyFailure, create_access_key
    from moto.utilities.utils import get_partition

    original = ActionAuthenticatorMixin._authenticate_and_authorize_action
    if getattr(original, "_local_cloud", False):
        return
    _state.setdefault("iam_evaluation", False)

    def _authenticate_and_authorize_action(self: Any, iam_request_cls: type, resource: str = "*") -> None:
        if not iam_evaluation_enabled():
            return original(self, iam_request_cls, resource)
        authorization = self.headers.get("Authorization") or ""
        if "Credential=" not in authorization:
            return None
        key_id, _, region, service = authorization.split("Credential=")[1].split(",")[0].split("/")[:4]
        try:
            access_key = create_access_key(
                account_id=self.current_account,
                partition=get_partition(region),
                access_key_id=key_id,
                headers=self.headers,
            )
        except CreateAccessKeyFailure:
            return None  # not a principal the local cloud knows: the harness, CDK, a function
        request: Any = object.__new__(iam_request_cls)
        action = f"{service}:{self._get_action()}"
        request._access_key, request._action = access_key, action
        if service == "states":
            resource = _sfn_resource(self)
        if action == "sts:GetCallerIdentity":
            return None  # always allowed, as on AWS
        principal = _principal_arn(access_key)
        context = {"aws:principalarn": principal, "aws:principalaccount": principal.split(":")[4]}
        documents = [_policy_document(p) for p in access_key.collect_policies()]
        decision = evaluate_iam(documents, action, resource, context)
        if decision == "allowed" and action == ASSUME_ROLE:
            # The role's trust policy decides too, as patch "sts-assume-role-trust" evaluates it
            # (session tags and all), so the two patches agree on every AssumeRole.
            policy = _trust_policy_of(resource)
            call = AssumeRoleCall(
                caller_arn=str(access_key.arn),
                caller_account=principal.split(":")[4],
                role_arn=resource,
                session_tags={tag["Key"]: tag["Value"] for tag in self._get_param("Tags") or []},
                context={},
            )
            if policy is None or trust_policy_decision(policy, call) is not None:
                decision = "implicit deny"
        _state.setdefault("iam_decisions", []).append(
            {"principal": principal, "action": action, "resource": resource, "decision": decision}
        )
        if decision == "allowed":
            return None
        message = f"User: {access_key.arn} is not authorized to perform: {action} on resource: {resource}"
        if self.headers.get("X-Amz-Target"):
            # JSON-protocol services (Step Functions, DynamoDB, ...) answer AccessDeniedException;
            # https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html
            error = JsonRESTError("AccessDeniedException", message)
            error.code = 400
            raise error
        request._raise_access_denied()
        return None

    _mark(_authenticate_and_authorize_action, original)
    _replace(
        ActionAuthenticatorMixin, "_authenticate_and_authorize_action", _authenticate_and_authorize_action
    )


def _verify_iam_evaluation() -> None:
    from moto.core.authorization import ActionAuthenticatorMixin

    _require_replaced("iam-evaluation", ActionAuthenticatorMixin._authenticate_and_authorize_action)


def iam_decisions() -> list[dict[str, str]]:
    """Every request the IAM evaluation mode evaluated, oldest first, with its decision."""
    return list(_state.get("iam_decisions", []))


PATCHES: tuple[Patch, ...] = (
    Patch(
        "sfn-execute",
        "Step Functions only runs state machines when execute_state_machine is on (note 1).",
        _check_execute,
        _apply_execute,
        _verify_execute,
    ),
    Patch(
        "sfn-cloudformation-backend",
        "CloudFormation creates state machines in the non-executing backend (note 2).",
        _check_cfn_backend,
        _apply_cfn_backend,
        _verify_cfn_backend,
    ),
    Patch(
        "sfn-execution-name",
        "An execution started without a name (a .sync child) must get a unique one.",
        _check_execution_name,
        _apply_execution_name,
        _verify_execution_name,
    ),
    Patch(
        "sfn-task-failure-cause",
        "moto's SendTaskFailure drops the cause: Catch and the execution would see none.",
        _check_failure_cause,
        _apply_failure_cause,
        _verify_failure_cause,
    ),
    Patch(
        "sfn-heartbeat",
        "moto refuses SendTaskHeartbeat for a task without HeartbeatSeconds; AWS accepts it.",
        _check_heartbeat,
        _apply_heartbeat,
        _verify_heartbeat,
    ),
    Patch(
        "sfn-jsonata",
        "moto's interpreter ships without a JSONata engine and mis-quotes string variables.",
        _check_jsonata,
        _apply_jsonata,
        _verify_jsonata,
    ),
    Patch(
        "sfn-jsonpath-definite",
        "moto wraps the value of a path through an array index ($.Stacks[0].StackStatus) in a list.",
        _check_jsonpath,
        _apply_jsonpath,
        _verify_jsonpath,
    ),
    Patch(
        "sfn-wait-clock",
        "Simulated time: Wait states are recorded instead of slept (note 5).",
        _check_wait,
        _apply_wait,
        _verify_wait,
    ),
    Patch(
        "sfn-retry-clock",
        "Simulated time: retry intervals are recorded instead of slept (note 5).",
        _check_retry,
        _apply_retry,
        _verify_retry,
    ),
    Patch(
        "sfn-sync-poll",
        "A .sync task polls its child every 0.5 s; nested executions would dominate test time.",
        _check_sync_poll,
        _apply_sync_poll,
        _verify_sync_poll,
    ),
    Patch(
        "sfn-service-casing",
        "moto skips the PascalCase/camelCase mapping: nested executions and camelCase APIs fail.",
        _check_casing,
        _apply_casing,
        _verify_casing,
    ),
    Patch(
        "sfn-sdk-error-names",
        "aws-sdk errors must carry the prefixes Retry/Catch name (SesV2., Iam., ...).",
        _check_sdk_errors,
        _apply_sdk_errors,
        _verify_sdk_errors,
    ),
    Patch(
        "sfn-faults",
        "Tests inject transient or permanent errors into a named step.",
        _check_faults,
        _apply_faults,
        _verify_faults,
    ),
    Patch(
        "sfn-answers",
        "Tests give a service step the answer the emulator cannot produce (a rolled-back stack).",
        _check_answers,
        _apply_answers,
        _verify_answers,
    ),
    Patch(
        "sfn-task-errors",
        "Service tasks rename every non-client error (faults, timeouts) '<Service>.Amazon...Exception'.",
        _check_task_errors,
        _apply_task_errors,
        _verify_task_errors,
    ),
    Patch(
        "lambda-run-code",
        "Without Docker moto cannot run Lambda code; run it in warm worker processes (note 3).",
        _check_lambda,
        _apply_lambda,
        _verify_lambda,
    ),
    Patch(
        "sesv2-template",
        "moto's SES v2 SendEmail raises NotImplementedError for templated emails.",
        _check_sesv2,
        _apply_sesv2,
        _verify_sesv2,
    ),
    Patch(
        "sns-topic-policy",
        "moto skips AWS::SNS::TopicPolicy, so every topic keeps SNS's default policy; AWS replaces it.",
        _check_topic_policy,
        _apply_topic_policy,
        _verify_topic_policy,
    ),
    Patch(
        "cloudwatch-alarm-actions",
        "moto's alarms change state silently; CloudWatch publishes to SNS when the topic policy lets it.",
        _check_alarm_actions,
        _apply_alarm_actions,
        _verify_alarm_actions,
    ),
    Patch(
        "ssm-public-parameters",
        "moto holds none of AWS's public Powertools parameters; templates read the layer ARN from one.",
        _check_public_parameters,
        _apply_public_parameters,
        _verify_public_parameters,
    ),
    Patch(
        "cfn-kms-key-policy",
        "A KMS key CloudFormation creates keeps its policy as an object; every KMS call on it then fails.",
        _check_kms_policy,
        _apply_kms_policy,
        _verify_kms_policy,
    ),
    Patch(
        "cfn-change-sets",
        "moto's change sets lose the new outputs on execute and ignore the stack name (note 6).",
        _check_change_sets,
        _apply_change_sets,
        _verify_change_sets,
    ),
    Patch(
        "cfn-bucket-names",
        "moto names a CloudFormation bucket past S3's 63 characters when its logical id is long.",
        _check_bucket_names,
        _apply_bucket_names,
        _verify_bucket_names,
    ),
    Patch(
        "sfn-decimal-fields",
        "moto's ASL grammar rejects an integer ToleratedFailurePercentage (10); AWS and CDK write one.",
        _check_decimal_fields,
        _apply_decimal_fields,
        _verify_decimal_fields,
    ),
    Patch(
        "sfn-payload-limits",
        "moto accepts execution inputs and callback outputs over 256 KiB; Step Functions refuses them.",
        _check_payload_limits,
        _apply_payload_limits,
        _verify_payload_limits,
    ),
    Patch(
        "sts-assume-role-trust",
        "moto's AssumeRole ignores the role's trust policy; AWS refuses a principal it does not allow.",
        _check_assume_role,
        _apply_assume_role,
        _verify_assume_role,
    ),
    Patch(
        "cfn-extra-resources",
        "moto's CloudFormation skips SES templates and identities, DynamoDB global tables (CDK TableV2) and "
        "Secrets Manager secrets.",
        _check_extra_cfn,
        _apply_extra_cfn,
        _verify_extra_cfn,
    ),
    Patch(
        "iam-evaluation",
        'moto evaluates IAM for every request or none, authorises Step Functions against resource "*" '
        "and ignores most conditions; the local cloud's IAM mode evaluates IAM users' and role sessions' "
        "requests only, against the real ARN and aws:PrincipalArn.",
        _check_iam_evaluation,
        _apply_iam_evaluation,
        _verify_iam_evaluation,
    ),
)


# Patches in modules of their own: they build on the helpers above, so they are imported after them
# (the package imports this module first, through ``server``).
from workflow_local_cloud import (  # noqa: E402
    callback_heartbeat,
    causes,
    describe_output,
    error_handling,
    evaluation_errors,
    integration_errors,
    redrive,
    rollback_retention,
    schedules,
    sdk_metadata,
    timeouts,
)

PATCHES = (
    *PATCHES,
    *integration_errors.PATCHES,
    *rollback_retention.PATCHES,
    # DescribeExecution's answer: describe_output builds it, redrive then adds its fields (this order).
    *describe_output.PATCHES,
    *redrive.PATCHES,
    *callback_heartbeat.PATCHES,
    *causes.PATCHES,
    *evaluation_errors.PATCHES,
    *sdk_metadata.PATCHES,
    *timeouts.PATCHES,
    *error_handling.PATCHES,
    *schedules.PATCHES,
)


# Reading moto's state for the control API ----------------------------------------------------------


def moto_wsgi_app() -> Any:
    """moto's own server application (every service, dispatched by host and path)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    return DomainDispatcherApplication(create_backend_app)


def moto_request_handler() -> Any:
    """The request handler class moto's server uses (it keeps HTTP/1.1 keep-alive right)."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    return MotoRequestHandler


def _running_executions() -> Iterator[Any]:
    from moto.stepfunctions.parser.api import ExecutionStatus
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    for account in list(stepfunctions_parser_backends.values()):
        for backend in list(account.values()):
            for machine in list(backend.state_machines):
                execution: Any
                for execution in list(machine.executions):
                    worker = execution.exec_worker
                    if execution.exec_status == ExecutionStatus.RUNNING and worker and worker.env:
                        yield execution


def pending_callbacks() -> list[dict[str, str]]:
    """Task tokens still waiting for SendTaskSuccess/Failure, with the execution that holds each."""
    found = []
    for execution in _running_executions():
        pool = execution.exec_worker.env.callback_pool_manager._pool
        for token, endpoint in list(pool.items()):
            if endpoint.get_outcome() is None and not endpoint._notify_event.is_set():
                found.append({"executionArn": execution.exec_arn, "taskToken": token})
    return found


def time_out_callback(task_token: str) -> bool:
    """Make the step waiting on ``task_token`` time out now (``States.Timeout``); False if none waits."""
    from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackOutcomeTimedOut

    for execution in _running_executions():
        endpoint = execution.exec_worker.env.callback_pool_manager.get(task_token)
        if endpoint is not None and endpoint.get_outcome() is None:
            endpoint.notify(CallbackOutcomeTimedOut(callback_id=task_token))
            return True
    return False


def sent_emails() -> list[dict[str, Any]]:
    """Every email SES (v1 or v2) accepted, templated ones rendered, oldest first."""
    from moto.ses.models import ses_backends
    from moto.ses.template import parse_template

    emails = []
    for account in list(ses_backends.values()):
        for backend in list(account.values()):
            for message in list(backend.sent_messages):
                destinations = getattr(message, "destinations", {})
                if isinstance(destinations, list):
                    destinations = {"ToAddresses": destinations}
                row: dict[str, Any] = {
                    "messageId": message.id,
                    "from": getattr(message, "source", None),
                    "to": list(destinations.get("ToAddresses", [])),
                    "cc": list(destinations.get("CcAddresses", [])),
                    "bcc": list(destinations.get("BccAddresses", [])),
                    "subject": getattr(message, "subject", None),
                    "body": getattr(message, "body", None) or getattr(message, "raw_data", None),
                    "template": getattr(message, "template", None),
                    "templateData": getattr(message, "template_data", None),
                }
                template = backend.templates.get(row["template"]) if row["template"] else None
                if template is not None:
                    data = json.loads(row["templateData"] or "{}")
                    row["subject"] = parse_template(template.get("subject_part") or "", data)
                    row["body"] = parse_template(
                        template.get("text_part") or template.get("html_part") or "", data
                    )
                emails.append(row)
    return emails


def inventory() -> dict[str, dict[str, Any]]:
    """What the emulated services hold, by kind, for tests that compare before and after.

    Kinds (each ``{identifier: value}``): ``dynamodb:items`` (table: item count),
    ``dynamodb:content`` (table: digest of every item), ``s3:objects`` (``bucket/key``: ETag, current
    versions only), ``sns:messages`` (topic ARN: messages published), ``sqs:messages`` (queue: messages
    held), ``ses:emails`` (recipient: emails accepted), ``iam:roles`` (path + name: ARN),
    ``secretsmanager:secrets`` (name: ARN, not those deleted), ``apigateway:api-keys`` (id: name),
    ``cloudformation:stacks`` (name: status, not deleted ones), ``cloudformation:change-sets``
    (``stack/change set``: ``status/execution status``), ``stepfunctions:executions`` (state machine:
    executions started), ``sts:sessions`` (assumed-role session ARN: the role it opened).
    """
    from moto.apigateway.models import apigateway_backends
    from moto.cloudformation.models import cloudformation_backends
    from moto.dynamodb.models import dynamodb_backends
    from moto.iam.models import iam_backends
    from moto.s3.models import FakeKey, s3_backends
    from moto.secretsmanager.models import secretsmanager_backends
    from moto.sns.models import sns_backends
    from moto.sqs.models import sqs_backends
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends
    from moto.sts.models import sts_backends

    def backends(backend_dict: Any) -> list[Any]:
        # Only the accounts and regions in use: indexing a BackendDict would create the others.
        return [backend for account in list(backend_dict.values()) for backend in list(account.values())]

    found: dict[str, dict[str, Any]] = {}
    items, content = found.setdefault("dynamodb:items", {}), found.setdefault("dynamodb:content", {})
    for backend in backends(dynamodb_backends):
        for name, table in list(backend.tables.items()):
            rows = sorted(
                json.dumps(item.to_json(), sort_keys=True, default=str) for item in table.all_items()
            )
            items[name] = len(rows)
            content[name] = hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]
    found["s3:objects"] = {
        f"{name}/{key}": value.etag
        for backend in backends(s3_backends)
        for name, bucket in list(backend.buckets.items())
        for key, value in list(bucket.keys.items())
        if isinstance(value, FakeKey)  # a delete marker is not an object
    }
    found["sns:messages"] = {
        arn: len(topic.sent_notifications)
        for backend in backends(sns_backends)
        for arn, topic in list(backend.topics.items())
    }
    found["sqs:messages"] = {
        name: len(queue._messages)
        for backend in backends(sqs_backends)
        for name, queue in list(backend.queues.items())
    }
    emails: dict[str, int] = {}
    for email in sent_emails():
        for recipient in email["to"] + email["cc"] + email["bcc"]:
            emails[recipient] = emails.get(recipient, 0) + 1
    found["ses:emails"] = emails
    found["iam:roles"] = {
        f"{role.path}{role.name}": role.arn
        for backend in backends(iam_backends)
        for role in list(backend.roles.values())
    }
    found["secretsmanager:secrets"] = {
        secret.name: secret.arn
        for backend in backends(secretsmanager_backends)
        for secret in list(backend.secrets.values())
        if not secret.is_deleted()
    }
    found["apigateway:api-keys"] = {
        key_id: key.name
        for backend in backends(apigateway_backends)
        for key_id, key in list(backend.keys.items())
    }
    backends_cfn = backends(cloudformation_backends)
    found["cloudformation:stacks"] = {
        stack.name: stack.status
        for backend in backends_cfn
        for stack in list(backend.stacks.values())
        if stack.status != "DELETE_COMPLETE"
    }
    found["cloudformation:change-sets"] = {
        f"{change_set.stack_name}/{change_set.change_set_name}": (
            f"{change_set.status}/{change_set.execution_status}"
        )
        for backend in backends_cfn
        for change_set in list(backend.change_sets.values())
    }
    found["stepfunctions:executions"] = {
        machine.name: len(machine.executions)
        for backend in backends(stepfunctions_parser_backends)
        for machine in list(backend.state_machines)
    }
    found["sts:sessions"] = {
        session.arn: session.role_arn
        for backend in backends(sts_backends)
        for session in list(backend.assumed_roles)
    }
    return found


def lambda_functions() -> list[Any]:
    """moto's ``LambdaFunction`` of every function ($LATEST) in every account and region."""
    from moto.awslambda.models import lambda_backends

    return [
        function
        for account in list(lambda_backends.values())
        for backend in list(account.values())
        for function in backend.list_functions()
    ]


def lambda_function_facts(function: Any) -> dict[str, Any]:
    """What the Lambda runner needs from moto's ``LambdaFunction``: identity, code, configuration."""
    return {
        "name": function.function_name,
        "arn": function.function_arn,
        "handler": function.handler or "",
        "code_digest": function.code_digest or "",
        "code": function.code_bytes or b"",
        "environment": {key: str(value) for key, value in (function.environment_vars or {}).items()},
        "memory_mb": int(function.memory_size),
        "timeout_seconds": float(function.timeout),
        "region": function.region,
        "log_group": function.logs_group_name,
    }


def save_lambda_logs(function: Any, stream: str, lines: list[str] | tuple[str, ...]) -> None:
    """Put a function's output into moto's CloudWatch Logs, in its log group, one stream per worker."""
    from moto.logs.exceptions import ResourceAlreadyExistsException

    if not lines:
        return
    backend = function.logs_backend
    backend.ensure_log_group(function.logs_group_name)
    with contextlib.suppress(ResourceAlreadyExistsException):
        backend.create_log_stream(function.logs_group_name, stream)
    now = int(time.time() * 1000)
    backend.put_log_events(
        function.logs_group_name, stream, [{"timestamp": now, "message": line} for line in lines]
    )


def canary_report() -> dict[str, str]:
    """Check, apply and verify every patch in this process: ``{patch: "ok" | "<stage> failed: ..."}``.

    Run it in a process of its own (``python -m workflow_local_cloud --canary``): it patches moto.
    """

    class _InertHooks:
        simulated_time = False

        def record_pause(self, **_: Any) -> None:
            """Record a wait that simulated time skipped."""
            return None

        def take_fault(self, state_machine: str, state: str) -> Fault | Answer | None:
            """The fault this attempt of the step must fail with (or the answer it gives), if armed."""
            return None

        def run_lambda(self, function: Any, event: Any) -> tuple[str, bool, str]:
            """Run a moto ``LambdaFunction`` on ``event``: (payload, errored, log text)."""
            raise RuntimeError("no Lambda runner in a canary run")

    _state["hooks"] = _InertHooks()
    report: dict[str, str] = {}
    for patch in PATCHES:
        for stage in ("check", "apply", "verify"):
            try:
                getattr(patch, stage)()
            except Exception as error:
                report[patch.name] = f"{stage} failed: {type(error).__name__}: {error}"
                break
        else:
            report[patch.name] = "ok"
    return report
