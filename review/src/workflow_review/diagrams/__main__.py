"""``python -m workflow_review.diagrams`` (see :mod:`workflow_review.diagrams.cli`)."""

import sys

from workflow_review.diagrams.cli import main

sys.exit(main())
