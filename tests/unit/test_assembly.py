"""Reading synthesized cloud assemblies (cdk.out) from disk."""

from __future__ import annotations

import json

import pytest
from workflow_review.assembly import AssemblyError, load_assembly, machine_name, text_value

from tests.unit.tooling import ASSEMBLIES


def test_stacks_and_templates_are_read_from_the_manifest():
    # GIVEN the fixture assembly built from the billing sample
    # WHEN it is loaded
    assembly = load_assembly(ASSEMBLIES / "base")
    # THEN its one stack is there with its template
    assert list(assembly.stacks) == ["Billing"]
    stack = assembly.stacks["Billing"]
    assert stack.stack_name == "Billing"
    assert stack.resource_types["InvoicesF0222E8D"] == "AWS::DynamoDB::GlobalTable"


def test_stacks_of_a_stage_come_from_its_nested_assembly(tmp_path):
    # GIVEN an app whose stack lives in a Stage (a nested assembly with a hierarchical display name)
    nested = tmp_path / "assembly-Prod"
    nested.mkdir()
    (nested / "ProdBilling.template.json").write_text(json.dumps({"Resources": {}}))
    (nested / "manifest.json").write_text(
        json.dumps(
            {
                "artifacts": {
                    "ProdBilling": {
                        "type": "aws:cloudformation:stack",
                        "displayName": "Prod/Billing",
                        "properties": {
                            "templateFile": "ProdBilling.template.json",
                            "stackName": "Prod-Billing",
                        },
                    }
                }
            }
        )
    )
    (tmp_path / "manifest.json").write_text(
        json.dumps(
            {
                "artifacts": {
                    "assembly-Prod": {
                        "type": "cdk:cloud-assembly",
                        "properties": {"directoryName": "assembly-Prod"},
                    }
                }
            }
        )
    )
    # WHEN the outer assembly is loaded
    assembly = load_assembly(tmp_path)
    # THEN the nested stack is found under the name the CDK CLI gives it
    assert list(assembly.stacks) == ["Prod/Billing"]
    assert assembly.stacks["Prod/Billing"].stack_name == "Prod-Billing"


def test_a_missing_directory_is_a_named_error(tmp_path):
    with pytest.raises(AssemblyError, match=r"no cloud assembly at \[.*nowhere\]: not a directory"):
        load_assembly(tmp_path / "nowhere")


def test_a_directory_without_manifest_says_how_to_make_one(tmp_path):
    with pytest.raises(AssemblyError, match=r"manifest not found: .*synthesize one with `cdk synth`"):
        load_assembly(tmp_path)


def test_a_manifest_that_is_not_json_names_the_line(tmp_path):
    (tmp_path / "manifest.json").write_text('{\n  "artifacts": \n')
    with pytest.raises(AssemblyError, match=r"manifest \[.*manifest.json\] is not valid JSON \(line 3"):
        load_assembly(tmp_path)


def test_a_template_listed_but_absent_is_a_named_error(write_assembly):
    directory = write_assembly({"Billing": {"Resources": {}}})
    (directory / "Billing.template.json").unlink()
    with pytest.raises(AssemblyError, match=r"template of stack \[Billing\] not found"):
        load_assembly(directory)


def test_a_template_that_is_not_an_object_is_a_named_error(write_assembly):
    directory = write_assembly({"Billing": {"Resources": {}}})
    (directory / "Billing.template.json").write_text("[]")
    with pytest.raises(AssemblyError, match=r"must be a JSON object. Received: \[list\]"):
        load_assembly(directory)


def test_a_stack_without_template_file_is_a_named_error(tmp_path):
    (tmp_path / "manifest.json").write_text(
        json.dumps({"artifacts": {"Billing": {"type": "aws:cloudformation:stack", "properties": {}}}})
    )
    with pytest.raises(AssemblyError, match=r"stack \[Billing\] has no templateFile"):
        load_assembly(tmp_path)


def test_intrinsics_render_as_text_and_other_values_do_not():
    assert text_value({"Fn::Join": ["-", ["billing", {"Ref": "AWS::Region"}]]}) == "billing-${AWS::Region}"
    assert text_value({"Enabled": True}) is None
    assert text_value(3) is None


def test_a_state_machine_without_a_name_is_called_by_its_logical_id():
    template = {"Resources": {"Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {}}}}
    assert machine_name(template, "Machine") == "Machine"
