"""``python -m workflow_tools.diagrams`` (see :mod:`workflow_tools.diagrams.cli`)."""

import sys

from workflow_tools.diagrams.cli import main

sys.exit(main())
