"""Every Task state of every state machine, with the faults each can take. Pure Python.

Works on synthesized templates (``task_steps_of_templates(synthesized_app.templates)``) and on
deployed definitions alike, so another team can generate one fault-injection case per step::

    @pytest.mark.parametrize("step", task_steps_of_templates(templates), ids=str)
    def test_each_step_recovers(local_cloud, step):
        local_cloud.inject_transient_fault(step.workflow, step.state)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workflow_constructs import aws_errors
from workflow_constructs.aws_errors import IntegrationErrors
from workflow_constructs.definition import STATE_MACHINE_TYPE, iter_states, render_definition

from workflow_local_cloud.faults import TIMEOUT_ERROR

CATCH_ALL = ("States.ALL", "States.TaskFailed")
"""ErrorEquals entries that match any error a fault can inject (TaskFailed: all but States.Timeout)."""
INJECTED_TRANSIENT_ERROR = "LocalCloud.InjectedTransientError"
INJECTED_PERMANENT_ERROR = "LocalCloud.InjectedPermanentError"
CALLBACK_SUFFIX = ".waitForTaskToken"


@dataclass(frozen=True)
class Retrier:
    """One Retry rule of a Task state."""

    errors: tuple[str, ...]
    max_attempts: int = 3  # the Amazon States Language default

    def matches(self, error: str) -> bool:
        """Whether this rule handles ``error`` (``States.ALL``, ``States.TaskFailed`` included)."""
        return _matches(self.errors, error)


@dataclass(frozen=True)
class TaskStep:
    """A Task state, where it sits, and what it retries and catches."""

    workflow: str
    """The state machine's name (``StateMachineName``, else the logical id)."""
    state: str
    path: tuple[str, ...]
    """Enclosing Parallel/Map states, outermost first."""
    resource: str
    retriers: tuple[Retrier, ...]
    catches: tuple[tuple[str, ...], ...]
    """The ErrorEquals of each Catch, in order."""

    def __str__(self) -> str:
        return f"{self.workflow}/{' / '.join((*self.path, self.state))}"

    @property
    def is_callback(self) -> bool:
        """Whether the step waits for SendTaskSuccess/Failure (``.waitForTaskToken``)."""
        return self.resource.endswith(CALLBACK_SUFFIX)

    def retrier_for(self, error: str) -> Retrier | None:
        """The Retry rule that handles ``error`` (the first that matches, as Step Functions decides)."""
        return next((retrier for retrier in self.retriers if retrier.matches(error)), None)

    def is_caught(self, error: str) -> bool:
        """Whether a Catch of the step handles ``error``."""
        return any(_matches(errors, error) for errors in self.catches)

    @property
    def integration(self) -> IntegrationErrors | None:
        """What AWS raises for this step's integration (the library's table), None when not tabled."""
        return aws_errors.for_resource(self.resource)

    @property
    def transient_error(self) -> str | None:
        """The error AWS really raises when this step's call is throttled.

        Drawn from the library's table for the step's integration (never from the step's own Retry,
        so a Retry that misses the real name is found out). For an integration not in the table:
        the first concrete error the first Retry rule names, or an error of our own that its
        catch-alls match. None when such a step does not retry.
        """
        if self.integration is not None:
            return self.integration.throttled
        for retrier in self.retriers:
            for error in retrier.errors:
                if error not in CATCH_ALL:
                    return error
            if retrier.errors:
                return INJECTED_TRANSIENT_ERROR
        return None

    @property
    def transient_cause(self) -> str | None:
        """The Cause AWS gives with :attr:`transient_error` (None: not tabled, use the default)."""
        return None if self.integration is None else self.integration.throttled_cause

    @property
    def permanent_error(self) -> str:
        """An error this step does not retry, caught by its Catch when it has one.

        Prefers a concrete error a Catch names; then the table's permanent error of the step's
        integration; otherwise an error of our own.
        """
        entry = self.integration
        for errors in self.catches:
            for error in errors:
                if error not in CATCH_ALL and self.retrier_for(error) is None:
                    return error
        if entry is not None and self.retrier_for(entry.permanent) is None:
            return entry.permanent
        return INJECTED_PERMANENT_ERROR

    def max_transient_failures(self, error: str) -> int:
        """How many attempts may fail with ``error`` and the step still succeed.

        Its Retry's attempts when one matches. When none does but a Catch does, one: the workflow
        may handle the failure itself (the stack deployment calls a throttled CloudFormation API
        again from its Catch), and whether it recovered is for the run's end to show. Otherwise 0.
        """
        retrier = self.retrier_for(error)
        if retrier is not None:
            return retrier.max_attempts
        return 1 if self.is_caught(error) else 0


def _matches(errors: tuple[str, ...], error: str) -> bool:
    if error in errors or "States.ALL" in errors:
        return True
    return "States.TaskFailed" in errors and error != TIMEOUT_ERROR


def task_steps(definition: Mapping[str, Any], workflow: str) -> list[TaskStep]:
    """The Task states of one state machine definition (an ASL document)."""
    found = []
    for ref in iter_states(definition):
        if ref.type != "Task":
            continue
        state = ref.state
        retriers = tuple(
            Retrier(errors=tuple(rule.get("ErrorEquals", [])), max_attempts=int(rule.get("MaxAttempts", 3)))
            for rule in state.get("Retry", [])
        )
        catches = tuple(tuple(rule.get("ErrorEquals", [])) for rule in state.get("Catch", []))
        found.append(
            TaskStep(
                workflow=workflow,
                state=ref.name,
                path=ref.path,
                resource=str(state.get("Resource", "")),
                retriers=retriers,
                catches=catches,
            )
        )
    return found


def task_steps_of_template(template: Mapping[str, Any]) -> list[TaskStep]:
    """The Task states of every state machine in one CloudFormation template."""
    found = []
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") != STATE_MACHINE_TYPE:
            continue
        properties = resource.get("Properties", {})
        name = properties.get("StateMachineName")
        workflow = name if isinstance(name, str) else logical_id
        if "DefinitionString" in properties:
            definition = render_definition(properties["DefinitionString"])
        else:
            definition = dict(properties.get("Definition", {}))
        found += task_steps(definition, workflow)
    return found


def task_steps_of_templates(templates: Mapping[str, Mapping[str, Any]]) -> list[TaskStep]:
    """The Task states of every state machine of every template (``synthesized_app.templates``)."""
    return [step for name in sorted(templates) for step in task_steps_of_template(templates[name])]
