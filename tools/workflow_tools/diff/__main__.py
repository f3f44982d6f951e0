"""``python -m workflow_tools.diff OLD NEW`` (see :mod:`workflow_tools.diff.cli`)."""

import sys

from workflow_tools.diff.cli import main

sys.exit(main())
