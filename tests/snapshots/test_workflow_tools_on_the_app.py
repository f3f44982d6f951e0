"""The diff and the diagrams on the real app, synthesized once per session (``synthesized_app``)."""

from __future__ import annotations

from workflow_review.assembly import load_assembly
from workflow_review.diagrams.pages import plan, problems
from workflow_review.diff import diff_directories

from tests.conftest import REPO_ROOT


def test_committed_workflow_diagrams_match_the_synthesized_definitions(synthesized_app):
    # GIVEN the app as synthesized now, and the diagram pages and README list in the repository
    the_plan = plan(
        load_assembly(synthesized_app.outdir),
        docs_dir=REPO_ROOT / "docs" / "workflows",
        readme=REPO_ROOT / "README.md",
    )
    # WHEN compared
    stale = problems(the_plan)
    # THEN every page is current; otherwise the message says what is stale and what to run
    assert not stale, (
        "Workflow diagrams are out of date: run `make diagrams` and commit the result.\n  "
        + "\n  ".join(stale)
    )


def test_the_app_compared_with_itself_has_no_changes(synthesized_app):
    diff = diff_directories(synthesized_app.outdir, synthesized_app.outdir)
    assert not diff.has_changes
    assert sorted(diff.unchanged_stacks) == sorted(synthesized_app.templates)
