"""Read a synthesized cloud assembly (``cdk.out``): its stacks and their templates.

Only the parts of the cloud assembly format that the diff and the diagrams need: the manifest's
``aws:cloudformation:stack`` artifacts and nested assemblies (``cdk:cloud-assembly``, what a CDK
Stage synthesizes into). Everything is read from disk; nothing here calls AWS or the CDK CLI.

Example::

    assembly = load_assembly("cdk.out")
    for stack in assembly.stacks.values():
        print(stack.name, len(stack.template.get("Resources", {})))
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workflow_constructs.definition import DefinitionError, placeholder

STACK_ARTIFACT = "aws:cloudformation:stack"
NESTED_ASSEMBLY_ARTIFACT = "cdk:cloud-assembly"
MANIFEST = "manifest.json"


class AssemblyError(Exception):
    """A directory is not a readable cloud assembly; the message says what is wrong and where."""


@dataclass(frozen=True)
class Stack:
    """One stack of an assembly."""

    name: str
    """How the CDK CLI names the stack (``Orders``, or ``Prod/Orders`` inside a Stage)."""
    stack_name: str
    """The CloudFormation stack name it deploys as."""
    template_file: Path
    template: Mapping[str, Any] = field(repr=False)

    @property
    def resources(self) -> Mapping[str, Mapping[str, Any]]:
        """The template's resources by logical id."""
        resources = self.template.get("Resources", {})
        return resources if isinstance(resources, Mapping) else {}

    @property
    def resource_types(self) -> dict[str, str]:
        """Resource type by logical id."""
        return {logical_id: str(resource.get("Type", "")) for logical_id, resource in self.resources.items()}


@dataclass(frozen=True)
class CloudAssembly:
    """A synthesized app: its stacks by :attr:`Stack.name`, in manifest order."""

    directory: Path
    stacks: Mapping[str, Stack]


def text_value(value: Any) -> str | None:
    """A string or CloudFormation intrinsic as text (references as ``${...}``), None when it is neither."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and len(value) == 1 and str(next(iter(value))).startswith(("Fn::", "Ref")):
        try:
            return placeholder(value)
        except (DefinitionError, TypeError, ValueError):
            return None
    return None


def machine_name(template: Mapping[str, Any], logical_id: str) -> str:
    """A state machine's ``StateMachineName``, or its logical id when CloudFormation names it."""
    resource = template.get("Resources", {}).get(logical_id, {})
    name = resource.get("Properties", {}).get("StateMachineName")
    return text_value(name) or logical_id


def load_assembly(directory: str | Path) -> CloudAssembly:
    """Read the cloud assembly in ``directory``, including nested (Stage) assemblies.

    Raises :class:`AssemblyError` when the directory, its manifest or a template it lists is
    missing or is not valid JSON.
    """
    root = Path(directory)
    if not root.is_dir():
        raise AssemblyError(
            f"no cloud assembly at [{root}]: not a directory (synthesize one with `cdk synth`)"
        )
    stacks: dict[str, Stack] = {}
    _collect(root, stacks, seen=set())
    return CloudAssembly(directory=root, stacks=stacks)


def _collect(directory: Path, stacks: dict[str, Stack], seen: set[Path]) -> None:
    resolved = directory.resolve()
    if resolved in seen:  # a manifest that (indirectly) nests itself
        raise AssemblyError(f"nested assembly [{directory}] includes itself")
    seen.add(resolved)
    manifest = _read_json(directory / MANIFEST, what="manifest")
    artifacts = manifest.get("artifacts", {})
    if not isinstance(artifacts, Mapping):
        raise AssemblyError(f"{directory / MANIFEST}: 'artifacts' must be an object")
    for artifact_id, artifact in artifacts.items():
        if not isinstance(artifact, Mapping):
            raise AssemblyError(f"{directory / MANIFEST}: artifact [{artifact_id}] must be an object")
        properties = artifact.get("properties", {})
        if artifact.get("type") == STACK_ARTIFACT:
            stack = _stack(directory, artifact_id, artifact, properties)
            if stack.name in stacks:
                raise AssemblyError(f"{directory / MANIFEST}: stack [{stack.name}] appears twice")
            stacks[stack.name] = stack
        elif artifact.get("type") == NESTED_ASSEMBLY_ARTIFACT:
            nested = properties.get("directoryName")
            if not isinstance(nested, str):
                raise AssemblyError(
                    f"{directory / MANIFEST}: nested assembly [{artifact_id}] has no directoryName"
                )
            _collect(directory / nested, stacks, seen)


def _stack(directory: Path, artifact_id: str, artifact: Mapping[str, Any], properties: Any) -> Stack:
    template_name = properties.get("templateFile") if isinstance(properties, Mapping) else None
    if not isinstance(template_name, str):
        raise AssemblyError(f"{directory / MANIFEST}: stack [{artifact_id}] has no templateFile")
    template_file = directory / template_name
    template = _read_json(template_file, what=f"template of stack [{artifact_id}]")
    return Stack(
        name=str(artifact.get("displayName") or artifact_id),
        stack_name=str(properties.get("stackName") or artifact_id),
        template_file=template_file,
        template=template,
    )


def _read_json(path: Path, *, what: str) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        hint = (
            " (is this a cdk.out directory? synthesize one with `cdk synth`)" if path.name == MANIFEST else ""
        )
        raise AssemblyError(f"{what} not found: [{path}]{hint}") from None
    except OSError as error:
        raise AssemblyError(f"cannot read {what} [{path}]: {error.strerror}") from error
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise AssemblyError(
            f"{what} [{path}] is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from error
    if not isinstance(document, dict):
        raise AssemblyError(f"{what} [{path}] must be a JSON object. Received: [{type(document).__name__}]")
    return document
