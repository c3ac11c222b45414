"""`make up`: start the platform on loopback, print where everything is and what to
try, and stop it all on Ctrl-C.

    python -m tools.up [--time-divisor N] [--traffic-minutes M] [--max-minutes M]
    python -m tools.up fault outage|errors|none     # the fault switch of a running stack
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

import httpx

from tests.support.tools import ROOT
from tools.up import configs, stack
from tools.up.faults import FAULTS
from tools.up.pages import PAGE_MARK

DEFAULT_WORKDIR = ROOT / ".cache" / "up"
STATE_FILE = "state.json"


def say(line: str) -> None:
    print(line, flush=True)


def banner(running: stack.Stack, traffic_minutes: float) -> str:
    urls = running.urls
    switch = urls["fault_switch"]
    if running.divisor == 1:
        timing = "rules: the chart's rendering, real time (a fast burn takes minutes to page)"
    else:
        timing = (
            f"rules: the chart's rules from observability/rules/, TIME-COMPRESSED "
            f"{running.divisor}x (windows and `for` divided by {running.divisor}; every "
            f'alert carries {configs.COMPRESSION_LABEL}="{running.divisor}x"; '
            "UP_TIME_DIVISOR=1 for real time)"
        )
    return f"""
The platform is up on 127.0.0.1 (Ctrl-C stops everything):
  depot API docs   {urls["api_docs"]}
  Prometheus       {urls["prometheus"]}   (alerts: {urls["prometheus_alerts"]})
  Alertmanager     {urls["alertmanager"]}
  page receiver    {urls["receiver"]}   (what would page is printed here)
  fault switch     {switch}/fault
  AWS emulator     {urls["emulator"]}   (ephemeral: gone on Ctrl-C)
  tenant 'local' API key: {running.api_key}
  traffic: about ten requests a second to depot for {traffic_minutes:g} minutes, then it stops
  {timing}
  logs: {running.workdir}

Try this:
  1. Cause a dependency outage (every AWS endpoint refuses connections):
       curl -X POST {switch}/fault/outage        (or: make up-fault FAULT=outage)
  2. Watch ServiceAvailabilityFastBurn go pending, then firing:
       {urls["prometheus_alerts"]}
  3. Within about a minute the page reaches the receiver and is printed below
     as "{PAGE_MARK}".
  4. Heal it: curl -X POST {switch}/fault/none   (or: make up-fault FAULT=none)
"""


def _already_running(workdir: Path) -> int | None:
    state = workdir / STATE_FILE
    if not state.exists():
        return None
    pid = int(json.loads(state.read_text()).get("pid", 0))
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError, ValueError):
        return None
    return pid


def run(args: argparse.Namespace) -> int:
    workdir: Path = args.workdir
    pid = _already_running(workdir)
    if pid:
        say(f"make up is already running (pid {pid}); stop it with Ctrl-C first")
        return 1
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)

    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    # Ctrl-C in a terminal signals the whole process group; each child stops itself,
    # and the stack stops whatever is left.
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    say("starting: AWS emulator, depot, Alertmanager, Prometheus ...")
    try:
        running = stack.start(workdir, args.time_divisor, args.traffic_minutes * 60, say)
    except stack.MissingToolError as error:
        say(f"error: {error}")
        return 1
    except Exception:
        # Ctrl-C during start-up reaches the children too: one of them exiting early is
        # the interruption, not a fault. The stack stopped what had started.
        if stop.is_set():
            say("interrupted during start-up; nothing is left running")
            return 130
        raise
    try:
        state = {"pid": os.getpid(), "api_key": running.api_key, **running.urls}
        (workdir / STATE_FILE).write_text(json.dumps(state, indent=2))
        say(banner(running, args.traffic_minutes))
        deadline = time.monotonic() + args.max_minutes * 60 if args.max_minutes else None
        while not stop.wait(1.0):
            if deadline is not None and time.monotonic() > deadline:
                say(f"--max-minutes {args.max_minutes:g} reached")
                break
    finally:
        say("stopping ...")
        running.stop()
        (workdir / STATE_FILE).unlink(missing_ok=True)
        say("stopped; nothing is left running")
    return 0


def fault(args: argparse.Namespace) -> int:
    state = args.workdir / STATE_FILE
    if not state.exists():
        say("no running stack found: start it with `make up`")
        return 1
    switch = json.loads(state.read_text())["fault_switch"]
    response = httpx.post(f"{switch}/fault/{args.kind}", timeout=10)
    say(response.text)
    return 0 if response.status_code == 200 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.up", description=__doc__)
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    commands = parser.add_subparsers(dest="command")
    switch = commands.add_parser("fault", help="set the fault of a running stack")
    switch.add_argument("kind", choices=FAULTS)
    parser.add_argument(
        "--time-divisor",
        type=int,
        default=int(os.environ.get("UP_TIME_DIVISOR", configs.DEFAULT_DIVISOR)),
        help="divide the rules' windows and `for` by this (1: real time)",
    )
    parser.add_argument(
        "--traffic-minutes",
        type=float,
        default=float(os.environ.get("UP_TRAFFIC_MINUTES", "30")),
        help="how long the traffic generator runs",
    )
    parser.add_argument(
        "--max-minutes",
        type=float,
        default=float(os.environ.get("UP_MAX_MINUTES", "0")),
        help="stop by itself after this long (0: only on Ctrl-C)",
    )
    args = parser.parse_args(argv)
    if args.time_divisor < 1:
        parser.error("--time-divisor must be at least 1")
    return fault(args) if args.command == "fault" else run(args)


if __name__ == "__main__":
    sys.exit(main())
