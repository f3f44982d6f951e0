"""``python -m workflow_tools.demo``: every workflow on a local cloud (what ``make demo`` runs)."""

from __future__ import annotations

import argparse
import sys

from workflow_tools.demo._render import console
from workflow_tools.demo._runner import run_demo


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns its exit status."""
    parser = argparse.ArgumentParser(prog="python -m workflow_tools.demo", description=__doc__)
    parser.add_argument(
        "--port", type=int, default=0, help="port of the local cloud (default: any free port)"
    )
    args = parser.parse_args(argv)
    return run_demo(console(), port=args.port)


if __name__ == "__main__":
    sys.exit(main())
