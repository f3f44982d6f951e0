"""``python -m workflow_review``: the same as the ``workflow-review`` command."""

from workflow_review.cli import run

run()
