"""The readable diff on the fixture assemblies: the changes a reviewer must not miss."""

from __future__ import annotations

from workflow_review.asl import Transition
from workflow_review.cli import main
from workflow_review.diff import diff_directories, render_markdown, render_text
from workflow_review.diff.model import Rerouted, StateChange
from workflow_review.diff.values import MISSING, FieldChange

from tests.unit.tooling import ASSEMBLIES, fixture_template

LAMBDA_RETRY = "Retry[Lambda.ServiceException +5]"
MACHINE = "BillingStateMachine6A2F73A6"
TABLE = "InvoicesF0222E8D"


def _only_machine(variant):
    diff = diff_directories(ASSEMBLIES / "base", ASSEMBLIES / variant)
    (stack,) = diff.stacks
    (machine,) = stack.state_machines
    return diff, stack, machine


def test_a_retry_change_is_one_field_of_one_state():
    # GIVEN the billing sample whose charge step now retries 6 times instead of 3
    # WHEN the assemblies are compared
    _, stack, machine = _only_machine("retry-change")
    # THEN the state machine resource is modified only in its definition...
    (resource,) = stack.resources
    assert (resource.logical_id, resource.kind, resource.fields, resource.definition_changed) == (
        MACHINE,
        "modified",
        (),
        True,
    )
    # ...and the definition diff names the state, the retrier and the field
    assert machine.name == "billing"
    assert machine.states == (
        StateChange(
            "Charge the customer",
            "Task",
            "modified",
            fields=(FieldChange(f"{LAMBDA_RETRY}.MaxAttempts", 3, 6),),
        ),
    )
    assert machine.transitions_added == machine.transitions_removed == machine.rerouted == ()
    assert stack.hazards == ()


def test_an_added_state_shows_where_it_was_wired_in():
    # GIVEN the sample with a receipt sent between recording the invoice and settling it
    _, _, machine = _only_machine("added-state")
    # THEN the new state is added, the step before it now leads to it, and it leads on
    assert StateChange("Send the receipt", "Task", "added") in machine.states
    assert machine.rerouted == (
        Rerouted("Record the invoice", "next", "Invoice settled", "Send the receipt"),
    )
    assert machine.transitions_added == (Transition("Send the receipt", "next", "Invoice settled", "next"),)
    record = next(state for state in machine.states if state.name == "Record the invoice")
    assert record.fields == (FieldChange("Next", "Invoice settled", "Send the receipt"),)


def test_a_removed_catch_is_named_by_the_errors_it_caught():
    # GIVEN the sample whose charge step lost its Catch (and with it the failure branch)
    _, _, machine = _only_machine("removed-catch")
    charge = next(state for state in machine.states if state.name == "Charge the customer")
    # THEN the catcher is reported removed, by its errors, with what it did
    assert charge.fields == (
        FieldChange(
            "Catch[States.ALL]",
            {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Notify billing failure"},
            MISSING,
        ),
    )
    # ...the states only it reached are removed, and so is the transition
    assert [(s.name, s.kind) for s in machine.states if s.kind == "removed"] == [
        ("Notify billing failure", "removed"),
        ("Billing failed", "removed"),
    ]
    assert Transition("Charge the customer", "catch States.ALL", "Notify billing failure", "catch") in (
        machine.transitions_removed
    )


def test_a_replaced_table_is_a_loud_danger():
    # GIVEN the sample whose invoices table got another partition key (a replacement)
    diff = diff_directories(ASSEMBLIES / "base", ASSEMBLIES / "replaced-table")
    (stack,) = diff.stacks
    (resource,) = stack.resources
    # THEN the change is flagged as a replacement caused by KeySchema
    assert (resource.logical_id, resource.replaced_by) == (TABLE, ("KeySchema",))
    assert [field.path for field in resource.fields] == [
        "AttributeDefinitions[0].AttributeName",
        "KeySchema[0].AttributeName",
    ]
    # ...and the hazard says what happens to the data and that the fixed name makes the deploy fail
    (hazard,) = stack.hazards
    assert hazard.severity == "danger"
    assert hazard.message == (
        "DynamoDB table will be REPLACED (KeySchema changed): CloudFormation creates a new, empty "
        "DynamoDB table and the old one is kept (UpdateReplacePolicy Retain) but no longer used. "
        "The deployment will fail: a resource with a custom name (TableName) cannot be replaced "
        "unless its name changes too."
    )


def test_renaming_the_table_too_replaces_it_without_the_deploy_failure(write_assembly):
    # GIVEN the key change together with a new table name, and no UpdateReplacePolicy
    new = fixture_template("replaced-table")
    table = new["Resources"][TABLE]
    table["Properties"]["TableName"] = "invoices-v2"
    del table["UpdateReplacePolicy"]
    # WHEN compared
    diff = diff_directories(ASSEMBLIES / "base", write_assembly({"Billing": new}))
    (hazard,) = diff.stacks[0].hazards
    # THEN the old table is said to be deleted with its data, with no failing-deploy note
    assert hazard.message == (
        "DynamoDB table will be REPLACED (KeySchema, TableName changed): CloudFormation creates a new, "
        "empty DynamoDB table and the old one is DELETED with its data."
    )


def test_deleting_an_unretained_table_is_a_danger_and_a_retained_one_a_warning(write_assembly):
    # GIVEN the table removed from the template, once unretained and once retained
    old_unretained = fixture_template()
    old_unretained["Resources"][TABLE]["DeletionPolicy"] = "Delete"
    new = fixture_template()
    del new["Resources"][TABLE]
    unretained = diff_directories(
        write_assembly({"Billing": old_unretained}), write_assembly({"Billing": new})
    )
    retained = diff_directories(ASSEMBLIES / "base", write_assembly({"Billing": new}))
    # THEN deletion with data loss is a danger; leaving the stack while kept is a warning
    (danger,) = unretained.stacks[0].hazards
    assert (danger.severity, danger.message) == (
        "danger",
        "DynamoDB table will be DELETED with its data (DeletionPolicy Delete).",
    )
    (warning,) = retained.stacks[0].hazards
    assert warning.severity == "warning"
    assert warning.message == (
        "DynamoDB table leaves the stack: kept in the account (DeletionPolicy Retain) but no longer managed; "
        "adding it back under the same name fails until it is imported."
    )


def test_a_new_logical_id_for_a_table_is_called_out_as_a_possible_rename(write_assembly):
    # GIVEN the table moved to a new logical id (a renamed construct)
    new = fixture_template()
    new["Resources"]["InvoicesTable1234"] = new["Resources"].pop(TABLE)
    diff = diff_directories(ASSEMBLIES / "base", write_assembly({"Billing": new}))
    (hazard,) = diff.stacks[0].hazards
    # THEN the warning says a rename makes a new, empty table
    assert "If it was renamed (a new logical id), CloudFormation creates a new, empty DynamoDB table" in (
        hazard.message
    )


def test_dropping_retain_from_a_log_group_is_a_warning(write_assembly):
    new = fixture_template()
    new["Resources"]["BillingLogs14632ACA"]["DeletionPolicy"] = "Delete"
    diff = diff_directories(ASSEMBLIES / "base", write_assembly({"Billing": new}))
    (hazard,) = diff.stacks[0].hazards
    assert (hazard.logical_id, hazard.severity) == ("BillingLogs14632ACA", "warning")
    assert hazard.message.startswith("log group is no longer retained (DeletionPolicy Retain -> Delete)")


def test_a_removed_stack_warns_for_each_stateful_resource(write_assembly):
    # GIVEN the Billing stack gone from the app
    diff = diff_directories(ASSEMBLIES / "base", write_assembly({}))
    (stack,) = diff.stacks
    # THEN the stack, its resources and its state machine are removed, and every retained
    # stateful resource is reported as leaving CloudFormation's management
    assert stack.kind == "removed"
    assert {change.kind for change in stack.resources} == {"removed"}
    assert [(machine.name, machine.kind, machine.state_count) for machine in stack.state_machines] == [
        ("billing", "removed", 8)
    ]
    assert sorted(hazard.logical_id for hazard in stack.hazards) == [
        "BillingLogs14632ACA",
        "HandlerLogs6FD01908",
        TABLE,
    ]
    # ...with the note about re-adding it under the same name only where it has a fixed name
    handler_logs = next(hazard for hazard in stack.hazards if hazard.logical_id == "HandlerLogs6FD01908")
    assert handler_logs.message == (
        "log group leaves the stack: kept in the account (DeletionPolicy Retain) but no longer managed."
    )


def test_an_added_stack_lists_its_state_machines_states(write_assembly):
    diff = diff_directories(write_assembly({}), ASSEMBLIES / "base")
    (stack,) = diff.stacks
    (machine,) = stack.state_machines
    assert (stack.kind, machine.kind, machine.state_count) == ("added", "added", 8)
    assert machine.states[0] == StateChange("Validate the billing request", "Task", "added")


def test_metadata_is_not_a_change(write_assembly):
    new = fixture_template()
    new["Resources"][TABLE]["Metadata"] = {"aws:cdk:path": "Billing/Invoices/Resource"}
    diff = diff_directories(ASSEMBLIES / "base", write_assembly({"Billing": new}))
    assert not diff.has_changes
    assert diff.unchanged_stacks == ("Billing",)


def test_a_json_document_inside_a_string_is_compared_field_by_field(write_assembly):
    # GIVEN a dashboard whose body (a JSON string joined with references) changed one widget title
    def dashboard(title):
        body = {
            "Fn::Join": [
                "",
                [
                    '{"widgets":[{"properties":{"title":"',
                    title,
                    '","region":"',
                    {"Ref": "AWS::Region"},
                    '"}}]}',
                ],
            ]
        }
        return {
            "Resources": {
                "Board": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {"DashboardBody": body}}
            }
        }

    diff = diff_directories(
        write_assembly({"Ops": dashboard("Executions")}), write_assembly({"Ops": dashboard("Runs")})
    )
    # THEN the change is the one field, not the whole string
    assert diff.stacks[0].resources[0].fields == (
        FieldChange("DashboardBody.widgets[0].properties.title", "Executions", "Runs"),
    )


def test_changed_outputs_are_reported(write_assembly):
    old = fixture_template()
    new = fixture_template()
    new["Outputs"] = {"TableName": {"Value": {"Ref": TABLE}}}
    diff = diff_directories(write_assembly({"Billing": old}), write_assembly({"Billing": new}))
    (section,) = diff.stacks[0].sections
    assert (section.section, section.fields) == (
        "Outputs",
        (FieldChange("TableName", MISSING, {"Value": {"Ref": TABLE}}),),
    )


# Rendering ------------------------------------------------------------------------------------


def test_text_shows_the_retry_change_on_one_line():
    text = render_text(diff_directories(ASSEMBLIES / "base", ASSEMBLIES / "retry-change"))
    assert f"        {LAMBDA_RETRY}.MaxAttempts: 3 -> 6\n" in text
    assert "    ~ Charge the customer (Task)\n" in text


def test_markdown_puts_dangers_first_in_a_caution_alert():
    markdown = render_markdown(diff_directories(ASSEMBLIES / "base", ASSEMBLIES / "replaced-table"))
    lines = markdown.splitlines()
    assert lines[:2] == ["<!-- workflow-tools:diff -->", "## Synthesized diff"]
    caution = lines.index("> [!CAUTION]")
    assert lines[caution + 1].startswith(
        "> - **Billing / `InvoicesF0222E8D`** (`AWS::DynamoDB::GlobalTable`): DynamoDB table will be REPLACED"
    )
    assert caution < lines.index("### Stack `Billing` (modified)")
    assert (
        "| ✏️ modified | `InvoicesF0222E8D` | `AWS::DynamoDB::GlobalTable` "
        "| `AttributeDefinitions`, `KeySchema` — **replaced** (KeySchema) |"
    ) in lines


def test_markdown_tables_field_changes_per_state():
    markdown = render_markdown(diff_directories(ASSEMBLIES / "base", ASSEMBLIES / "removed-catch"))
    assert "- ✏️ **Charge the customer** (Task) modified" in markdown
    assert (
        '  | `Catch[States.ALL]` | `{"ErrorEquals": ["States.ALL"], "Next": "Notify billing failure", '
        '"ResultPath": "$.error"}` | *(absent)* |'
    ) in markdown
    removed = "\N{HEAVY MINUS SIGN}"
    assert (
        f"- {removed} removed: `Charge the customer` on catch States.ALL → `Notify billing failure`"
        in markdown
    )


def test_pipes_in_values_do_not_break_a_markdown_table(write_assembly):
    old = {"Resources": {"Rule": {"Type": "AWS::Events::Rule", "Properties": {"Description": "a"}}}}
    new = {"Resources": {"Rule": {"Type": "AWS::Events::Rule", "Properties": {"Description": "a | b"}}}}
    markdown = render_markdown(diff_directories(write_assembly({"S": old}), write_assembly({"S": new})))
    assert '| `Description` | `"a"` | `"a \\| b"` |' in markdown


# Command line ---------------------------------------------------------------------------------


def test_exit_status_is_0_without_changes(capsys):
    assert main(["diff", str(ASSEMBLIES / "base"), str(ASSEMBLIES / "base")]) == 0
    assert "No changes" in capsys.readouterr().out


def test_exit_status_is_1_with_changes_and_markdown_goes_to_the_output_file(tmp_path, capsys):
    output = tmp_path / "diff.md"
    status = main(
        [
            "diff",
            str(ASSEMBLIES / "base"),
            str(ASSEMBLIES / "retry-change"),
            "--format",
            "markdown",
            "-o",
            str(output),
        ]
    )
    assert status == 1
    assert capsys.readouterr().out == ""
    assert output.read_text().startswith("<!-- workflow-tools:diff -->\n## Synthesized diff\n")


def test_the_title_can_come_from_the_environment(monkeypatch, capsys):
    monkeypatch.setenv("WORKFLOWS_DIFF_TITLE", "Synthesized diff against main")
    main(["diff", str(ASSEMBLIES / "base"), str(ASSEMBLIES / "retry-change")])
    assert capsys.readouterr().out.startswith("Synthesized diff against main: ")


def test_exit_status_is_2_with_a_clear_error_for_a_missing_assembly(tmp_path, capsys):
    assert main(["diff", str(ASSEMBLIES / "base"), str(tmp_path / "cdk.out")]) == 2
    assert capsys.readouterr().err.startswith("error: no cloud assembly at [")


def test_exit_status_is_2_for_a_malformed_definition(write_assembly, capsys):
    new = fixture_template()
    new["Resources"][MACHINE]["Properties"]["DefinitionString"] = '{"States": '
    assert main(["diff", str(ASSEMBLIES / "base"), str(write_assembly({"Billing": new}))]) == 2
    assert "error: stack [Billing]: definition is not valid JSON" in capsys.readouterr().err


def test_exit_status_is_2_for_a_bad_argument(capsys):
    assert main(["diff", str(ASSEMBLIES / "base")]) == 2
    assert "Missing argument" in capsys.readouterr().err


def test_a_catch_put_back_is_reported_added_with_its_route():
    # GIVEN the comparison the other way round: the Catch comes back
    diff = diff_directories(ASSEMBLIES / "removed-catch", ASSEMBLIES / "base")
    (machine,) = diff.stacks[0].state_machines
    charge = next(state for state in machine.states if state.name == "Charge the customer")
    # THEN the catcher is added and its transition appears
    assert [(field.path, field.kind) for field in charge.fields] == [("Catch[States.ALL]", "added")]
    assert Transition("Charge the customer", "catch States.ALL", "Notify billing failure", "catch") in (
        machine.transitions_added
    )


def test_changing_a_tables_resource_type_is_a_replacement(write_assembly):
    # GIVEN the table migrated from Table (v1) to TableV2 under the same logical id
    old = fixture_template()
    old["Resources"][TABLE]["Type"] = "AWS::DynamoDB::Table"
    diff = diff_directories(write_assembly({"Billing": old}), ASSEMBLIES / "base")
    (resource,) = diff.stacks[0].resources
    (hazard,) = diff.stacks[0].hazards
    # THEN CloudFormation replaces it, and the text output says so first, loudly
    assert resource.replaced_by == ("Type",)
    assert hazard.message.startswith("DynamoDB table will be REPLACED (Type changed)")
    text = render_text(diff)
    assert text.splitlines()[3].startswith(
        "!! DANGER  Billing/InvoicesF0222E8D (AWS::DynamoDB::GlobalTable): DynamoDB table will be REPLACED"
    )
