"""Read state machine definitions back out of synthesized CloudFormation templates.

CDK writes a definition as ``{"Fn::Join": ["", [...strings and references...]]}``. This module
reassembles it into the Amazon States Language document it will become at deploy time, with each
deploy-time value shown as a placeholder (``${TableName}``, ``${Function.Arn}``). The synth guards,
the readable snapshots, the diff, the diagrams and the local cloud's fault cases all read
definitions through here. Pure Python: no aws-cdk-lib import.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

STATE_MACHINE_TYPE = "AWS::StepFunctions::StateMachine"


class DefinitionError(ValueError):
    """A state machine definition in a template could not be reassembled into JSON."""


def placeholder(value: Any) -> str:
    """Render a CloudFormation intrinsic as a readable ``${...}`` placeholder."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Ref":
            return f"${{{argument}}}"
        if function == "Fn::GetAtt":
            target = argument if isinstance(argument, str) else ".".join(map(str, argument))
            return f"${{{target}}}"
        if function == "Fn::Join":
            separator, parts = argument
            return str(separator).join(placeholder(part) for part in parts)
        if function == "Fn::Sub":
            return argument if isinstance(argument, str) else str(argument[0])
        if function == "Fn::ImportValue":
            return f"${{Import:{placeholder(argument)}}}"
        if function == "Fn::Select":
            index, items = argument
            return f"${{Select:{index}:{placeholder(items)}}}"
        if function == "Fn::Split":
            return f"${{Split:{argument[0]}:{placeholder(argument[1])}}}"
        return f"${{{function}}}"
    raise DefinitionError(f"cannot render a definition part as text. Received: [{value!r}]")


def render_definition(definition_string: Any) -> dict[str, Any]:
    """Turn a ``DefinitionString`` property (string or intrinsic) into the ASL document."""
    text = placeholder(definition_string)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise DefinitionError(f"definition is not valid JSON once reassembled: {error}") from error
    if not isinstance(document, dict) or "States" not in document:
        raise DefinitionError(f"definition has no 'States'. Received: [{text[:200]}]")
    return document


def state_machines(template: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every state machine in a template, by logical id, as reassembled ASL documents."""
    found: dict[str, dict[str, Any]] = {}
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") != STATE_MACHINE_TYPE:
            continue
        properties = resource.get("Properties", {})
        if "DefinitionString" in properties:
            found[logical_id] = render_definition(properties["DefinitionString"])
        elif "Definition" in properties:
            found[logical_id] = dict(properties["Definition"])
    return found


@dataclass(frozen=True)
class StateRef:
    """A state found while walking a definition, with where it sits."""

    name: str
    state: Mapping[str, Any]
    path: tuple[str, ...]
    """Enclosing Parallel/Map states, outermost first; empty at the top level."""

    @property
    def type(self) -> str:
        return str(self.state.get("Type", ""))


def iter_states(definition: Mapping[str, Any], path: tuple[str, ...] = ()) -> Iterator[StateRef]:
    """Walk every state, including those inside Parallel branches and Map item processors."""
    for name, state in definition.get("States", {}).items():
        yield StateRef(name=name, state=state, path=path)
        for branch in state.get("Branches", []):
            yield from iter_states(branch, (*path, name))
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                yield from iter_states(state[key], (*path, name))


def canonical_json(document: Any) -> str:
    """Stable, reviewable JSON: sorted keys, two-space indent, trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
