"""`tokenfleet demo` (`make demo`): the main job on the embedded local cluster.

Starts the local control plane with KWOK H800 nodes, a real Prometheus, the engine-metrics
simulator and the operator; applies a sample fleet; replays a day of demand on a fast clock so
the operator's planner scales units and the pool grows, shrinks and lends nodes on the real API
server; prints the day's figures read back from Prometheus and writes a report. Cleans up after
itself, also on Ctrl-C. Every flag has a TOKENFLEET_DEMO_<FLAG> environment fallback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import pathlib
import sys
from typing import Any

from tokenfleet.demo import driver, stack

DEFAULT_START = "2025-01-06T00:00:00+00:00"


def _env(name: str, default: str) -> str:
    return os.environ.get(f"TOKENFLEET_DEMO_{name.upper()}", default)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the operator through a day of demand on the local cluster",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--trace",
        type=pathlib.Path,
        default=pathlib.Path(_env("trace", str(stack.ROOT / "traces" / "api-avgday-1d.csv"))),
        help="demand trace CSV (default: traces/api-avgday-1d.csv, one day)",
    )
    parser.add_argument(
        "--sample",
        type=pathlib.Path,
        default=pathlib.Path(
            _env("sample", str(stack.ROOT / "manifests/samples/deepseek-v3.yaml"))
        ),
        help="multi-document YAML with a GPUNodePool, a PricingPlan and an InferenceDeployment",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=float(_env("speed", "72")),
        help="clock seconds per real second (default 72: a day in 20 minutes, the fastest at "
        "which two cores keep the simulator's bounds; at 144 the planner falls minutes behind "
        "its turn in the ramps)",
    )
    parser.add_argument(
        "--hours",
        type=float,
        default=float(_env("hours", "0")) or None,
        help="replay only the first HOURS of the trace (default: all of it)",
    )
    parser.add_argument(
        "--start",
        default=_env("start", DEFAULT_START),
        help=f"wall-clock instant of the trace's first row (default {DEFAULT_START})",
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=float(_env("warmup", "14400")),
        help="clock seconds run before the trace starts, not counted, at its first minute's "
        "demand: the fleet is sized for it when the trace begins (default 14400)",
    )
    parser.add_argument(
        "--restart-at",
        type=float,
        default=float(_env("restart_at", "0")) or None,
        help="stop the operator at this hour of the trace and start a new one, as after a "
        "crash: it rebuilds the planner's memory and takes up the books from Prometheus",
    )
    parser.add_argument("--namespace", default=_env("namespace", "tokenfleet-demo"))
    parser.add_argument(
        "--out",
        type=pathlib.Path,
        default=pathlib.Path(_env("out", "out/demo")),
        help="folder for the report and logs (default out/demo)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="leave the control plane and Prometheus running afterwards",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    start = dt.datetime.fromisoformat(args.start)
    if start.tzinfo is None:
        print("demo: --start needs a time zone offset, e.g. +00:00", file=sys.stderr)
        return 2
    if args.speed <= 0:
        print("demo: --speed must be positive", file=sys.stderr)
        return 2
    for path in (args.trace, args.sample):
        if not path.exists():
            print(f"demo: {path} does not exist", file=sys.stderr)
            return 2
    opts = driver.Options(
        trace=args.trace,
        sample=args.sample,
        speed=args.speed,
        start=start,
        warmup_seconds=args.warmup,
        namespace=args.namespace,
        out=args.out,
        keep=args.keep,
        duration_seconds=args.hours * 3600 if args.hours else None,
        restart_at_seconds=args.restart_at * 3600 if args.restart_at else None,
    )
    try:
        driver.run(opts)
    except KeyboardInterrupt:
        print("\ndemo: interrupted; cleaned up", file=sys.stderr)
        return 130
    except stack.StackError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1
    return 0
