"""``python -m workflow_review.diff OLD NEW`` (see :mod:`workflow_review.diff.cli`)."""

import sys

from workflow_review.diff.cli import main

sys.exit(main())
