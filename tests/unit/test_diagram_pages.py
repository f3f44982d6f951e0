"""The committed diagram pages and the README list: generated, checked, brought up to date."""

from __future__ import annotations

import pytest
from workflow_review.assembly import load_assembly
from workflow_review.cli import main
from workflow_review.diagrams import DiagramError, plan, problems, write
from workflow_review.diagrams.pages import GENERATED_HEADER, README_END, README_START

from tests.unit.tooling import ASSEMBLIES, fixture_template

README = f"# Project\n\n## Workflows\n\n{README_START}\n{README_END}\n\n## More\n"


@pytest.fixture
def repo(tmp_path):
    """A README with the list markers and an empty docs folder."""
    (tmp_path / "README.md").write_text(README)
    return tmp_path


def _plan(repo, assembly_dir=ASSEMBLIES / "base"):
    return plan(load_assembly(assembly_dir), docs_dir=repo / "docs" / "workflows", readme=repo / "README.md")


def test_a_page_per_state_machine_and_a_readme_entry(repo):
    # GIVEN the billing sample and a README with the list markers
    the_plan = _plan(repo)
    # WHEN the pages are written
    done = write(the_plan)
    # THEN there is one page named after the state machine, and the README links to it
    page = repo / "docs" / "workflows" / "billing.md"
    assert done == [f"wrote {page}", f"updated the workflow list in {repo / 'README.md'}"]
    text = page.read_text()
    assert text.startswith(GENERATED_HEADER + "\n\n# Workflow `billing`\n")
    assert (
        "State machine `billing` in stack `Billing` (logical id `BillingStateMachine6A2F73A6`), 8 states."
        in text
    )
    assert "```mermaid\nflowchart TD\n" in text
    assert (
        "| Charge the customer | Task | up to 3 retries on Lambda.ServiceException, "
        "Lambda.AWSLambdaException, Lambda.SdkClientException, Lambda.TooManyRequestsException, "
        "Lambda.ClientExecutionTimeoutException, "
        "TransientError (after 2 s, x2, at most 60 s, full jitter) | States.ALL → Notify billing failure | "
        "timeout 60 s |"
    ) in text
    assert "| Billing failed | Fail `BillingFailed` |  |  |  |" in text
    assert (repo / "README.md").read_text() == (
        f"# Project\n\n## Workflows\n\n{README_START}\n"
        "- [`billing`](docs/workflows/billing.md): stack `Billing`, 8 states\n"
        f"{README_END}\n\n## More\n"
    )
    # ...and afterwards nothing is out of date
    assert problems(the_plan) == []


def test_a_changed_definition_makes_the_page_out_of_date(repo):
    # GIVEN pages written for the base sample
    write(_plan(repo))
    # WHEN the definition gains a state
    stale = problems(_plan(repo, ASSEMBLIES / "added-state"))
    # THEN the page and the README (state count) are reported
    assert stale == [
        f"{repo / 'docs' / 'workflows' / 'billing.md'} is out of date with the synthesized definition",
        f"{repo / 'README.md'}: the list of workflow diagrams is out of date",
    ]


def test_a_page_whose_state_machine_is_gone_is_reported_and_removed(repo, write_assembly):
    # GIVEN pages for the billing sample and a hand-written page in the same folder
    write(_plan(repo))
    handwritten = repo / "docs" / "workflows" / "README.md"
    handwritten.write_text("# About these pages\n")
    # WHEN the app no longer has the state machine
    empty = _plan(repo, write_assembly({}))
    page = repo / "docs" / "workflows" / "billing.md"
    # THEN the generated page is reported, then removed; the hand-written one stays
    assert f"{page} belongs to no state machine of the app any more" in problems(empty)
    assert f"removed {page} (its state machine is gone)" in write(empty)
    assert not page.exists()
    assert handwritten.read_text() == "# About these pages\n"
    assert "- (no state machines in the app yet)\n" in (repo / "README.md").read_text()


def test_a_readme_without_markers_is_a_named_error_and_nothing_is_written(tmp_path):
    (tmp_path / "README.md").write_text("# Project\n")
    with pytest.raises(
        DiagramError, match=r"has no workflow list markers: add the lines <!-- workflows:start"
    ):
        write(_plan(tmp_path))
    assert not (tmp_path / "docs").exists()


def test_state_machines_of_the_same_name_in_two_stacks_get_the_stack_in_the_file_name(repo, write_assembly):
    template = fixture_template()
    the_plan = _plan(repo, write_assembly({"Billing": template, "BillingCopy": template}))
    assert sorted(path.name for path in the_plan.pages) == ["billing-billing.md", "billingcopy-billing.md"]


def test_check_fails_until_the_pages_are_written(repo, capsys):
    # GIVEN no pages yet
    args = [
        "diagrams",
        str(ASSEMBLIES / "base"),
        "--out",
        str(repo / "docs" / "workflows"),
        "--readme",
        str(repo / "README.md"),
    ]
    # WHEN checked, THEN it fails and says what to run
    assert main([*args, "--check"]) == 1
    assert (
        "Workflow diagrams are out of date: "
        "run `workflow-review diagrams` without --check and commit the result." in capsys.readouterr().err
    )
    # WHEN written (images to a temporary folder), THEN the check passes
    assert main([*args, "--images", str(repo / "build")]) == 0
    assert main([*args, "--check"]) == 0
    assert (repo / "build" / "billing.dot").exists()


def test_a_missing_assembly_is_exit_status_2(repo, capsys):
    assert main(["diagrams", str(repo / "cdk.out"), "--out", str(repo / "docs"), "--check"]) == 2
    assert capsys.readouterr().err.startswith("error: no cloud assembly at [")


def test_without_a_readme_only_the_pages_are_written_and_checked(tmp_path, capsys):
    # GIVEN an assembly and an output folder, and no README named
    out = tmp_path / "diagrams"
    # WHEN written, THEN there is the page and nothing else (no README, no images)
    assert main(["diagrams", str(ASSEMBLIES / "base"), "--out", str(out)]) == 0
    assert sorted(path.name for path in tmp_path.rglob("*") if path.is_file()) == ["billing.md"]
    # ...and the check passes on the pages alone
    assert main(["diagrams", str(ASSEMBLIES / "base"), "--out", str(out), "--check"]) == 0
    assert capsys.readouterr().out.endswith("1 workflow diagram(s) up to date.\n")


def test_the_output_folder_is_required(tmp_path, capsys):
    assert main(["diagrams", str(ASSEMBLIES / "base")]) == 2
    assert "Missing option '--out'" in capsys.readouterr().err
