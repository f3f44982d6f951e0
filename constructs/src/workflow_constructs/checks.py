"""Synth-time checks: the library's own guards plus cdk-nag, wired onto an app in one call."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import (
    App,
    IPolicyValidationContext,
    IPolicyValidationPlugin,
    PolicyValidationPluginReport,
    PolicyViolatingResource,
    PolicyViolation,
    Validations,
)
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

from workflow_constructs.definition import STATE_MACHINE_TYPE, iter_states, render_definition
from workflow_constructs.naming import state_name_problem
from workflow_constructs.retry import NO_RETRY_COMMENT_PREFIX

RULE_RETRY = "WF-Retry"
RULE_STATE_NAME = "WF-StateName"
RULE_OBSERVABILITY = "WF-Observability"


def retry_problem(state: dict[str, Any]) -> str | None:
    """Why a Task state's Retry falls short of the house policy, or None when it is fine."""
    if str(state.get("Comment", "")).startswith(NO_RETRY_COMMENT_PREFIX):
        return None
    retriers = state.get("Retry") or []
    if not retriers:
        return "has no Retry (use a library task, or NoRetry(reason=...))"
    for retrier in retriers:
        errors = retrier.get("ErrorEquals")
        if retrier.get("BackoffRate", 2.0) <= 1:
            return f"retries {errors} without exponential backoff (BackoffRate must be > 1)"
        if "MaxDelaySeconds" not in retrier:
            return f"retries {errors} without MaxDelaySeconds"
        if retrier.get("JitterStrategy") != "FULL":
            return f"retries {errors} without JitterStrategy FULL"
    return None


def definition_problems(definition: dict[str, Any]) -> list[tuple[str, str]]:
    """(rule, message) for every state of a definition that breaks a guard."""
    problems: list[tuple[str, str]] = []
    for ref in iter_states(definition):
        where = " / ".join((*ref.path, ref.name))
        name_problem = state_name_problem(ref.name)
        if name_problem:
            problems.append((RULE_STATE_NAME, f"state [{where}] {name_problem}"))
        if ref.type == "Task":
            retry = retry_problem(dict(ref.state))
            if retry:
                problems.append((RULE_RETRY, f"task [{where}] {retry}"))
    return problems


def observability_problems(properties: dict[str, Any]) -> list[str]:
    """What a state machine resource lacks of logging at level ALL and tracing."""
    problems = []
    if properties.get("LoggingConfiguration", {}).get("Level") != "ALL":
        problems.append("logging is not at level ALL")
    if not properties.get("TracingConfiguration", {}).get("Enabled"):
        problems.append("X-Ray tracing is off")
    return problems


@jsii.implements(IPolicyValidationPlugin)
class WorkflowGuards:
    """Fails synth when a state machine breaks the house rules, listing every offender.

    - ``WF-Retry``: every Task retries with BackoffRate > 1, MaxDelaySeconds and JitterStrategy FULL,
      unless its Comment records a ``NoRetry`` reason;
    - ``WF-StateName``: every state name is a readable phrase (see ``naming.state_name_problem``);
    - ``WF-Observability``: logging at level ALL and tracing on.
    """

    @property
    def name(self) -> str:
        return "workflow-guards"

    @property
    def version(self) -> str:
        return "1.0.0"

    @property
    def rule_ids(self) -> list[str]:
        return [RULE_RETRY, RULE_STATE_NAME, RULE_OBSERVABILITY]

    def validate(self, context: IPolicyValidationContext) -> PolicyValidationPluginReport:
        violations: list[PolicyViolation] = []
        for template_path in context.template_paths:
            template = json.loads(Path(template_path).read_text())
            for logical_id, resource in template.get("Resources", {}).items():
                if resource.get("Type") != STATE_MACHINE_TYPE:
                    continue
                properties = resource.get("Properties", {})
                found = [(RULE_OBSERVABILITY, p) for p in observability_problems(properties)]
                if "DefinitionString" in properties:
                    found += definition_problems(render_definition(properties["DefinitionString"]))
                for rule, message in found:
                    violations.append(
                        PolicyViolation(
                            rule_name=rule,
                            description=message,
                            fix="See workflow_constructs.checks and the README's 'House rules'.",
                            violating_resources=[
                                PolicyViolatingResource(
                                    resource_logical_id=logical_id,
                                    template_path=template_path,
                                    locations=["Properties/DefinitionString"],
                                )
                            ],
                        )
                    )
        return PolicyValidationPluginReport(success=not violations, violations=violations)


def add_checks(app: App) -> None:
    """Run the workflow guards, cdk-nag AwsSolutions and Serverless packs on every stack of ``app``.

    Any unacknowledged finding fails synth. Acknowledge one finding with
    ``Validations.of(construct).acknowledge(Acknowledgment(id="Rule[finding]", reason="why"))``.
    """
    Validations.of(app).add_plugins(WorkflowGuards(), AwsSolutionsChecks(app), ServerlessChecks(app))
