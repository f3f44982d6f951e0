"""``python -m workflow_local_cloud --port N``: run a local cloud until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

from workflow_local_cloud import patches
from workflow_local_cloud.server import LocalCloudServer, PortInUseError

PARENT_CHECK_SECONDS = 0.1


def _write_ready(path: Path | None, document: dict[str, object]) -> None:
    if path is None:
        return
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(document))
    partial.replace(path)  # atomic: the parent never reads half a file


def _parent_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return os.getppid() == pid


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns its exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m workflow_local_cloud",
        description="A docker-free local AWS (moto) that runs the workflows for real.",
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: any free port)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument(
        "--real-time",
        action="store_true",
        help="sleep through Wait states and retry intervals instead of recording them",
    )
    parser.add_argument("--workdir", type=Path, help="where unpacked Lambda code and worker logs go")
    parser.add_argument(
        "--canary", action="store_true", help="check, apply and verify every moto patch, print a report, exit"
    )
    parser.add_argument("--ready-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--exit-with-parent", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.canary:
        report = patches.canary_report()
        print(json.dumps(report, indent=2))
        return 0 if set(report.values()) == {"ok"} else 1

    server = LocalCloudServer(
        port=args.port, host=args.host, simulated_time=not args.real_time, workdir=args.workdir
    )
    try:
        server.start()
    except PortInUseError as error:
        print(f"local cloud: {error.strerror}", file=sys.stderr)
        _write_ready(args.ready_file, {"error": error.strerror, "kind": "port-in-use"})
        return 2
    except Exception as error:
        _write_ready(args.ready_file, {"error": f"{type(error).__name__}: {error}"})
        raise

    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    _write_ready(
        args.ready_file, {"port": server.port, "endpoint_url": server.endpoint_url, "pid": os.getpid()}
    )
    time_mode = "real time" if args.real_time else "simulated time"
    print(f"local cloud listening on {server.endpoint_url} ({time_mode}); Ctrl-C stops it", flush=True)
    started = time.monotonic()
    while not stopping.wait(PARENT_CHECK_SECONDS):
        if args.exit_with_parent and not _parent_alive(args.exit_with_parent):
            break
    server.stop()
    print(f"local cloud stopped after {time.monotonic() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
