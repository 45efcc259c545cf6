"""`tokenfleet simulate`: replay a demand trace against a fleet in virtual time.

The trace (DESIGN.md §6) is replayed with the fleet's provisioning delays under one or more
policies: tokenfleet (the operator's planner), oracle, static, reactive, schedule, or all. It
prints a table, or with --json one object per policy (a list when there are several), and with
--plot draws demand, capacity and nodes over time. Every flag has an environment fallback,
TOKENFLEET_SIMULATE_<FLAG> (e.g. TOKENFLEET_SIMULATE_FLEET=fleet.yaml).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pathlib
import sys
from typing import Any

from tokenfleet.sim import fleet, plot, policies, progress, replay, run, table, trace

DEFAULT_START = "2025-01-06T00:00:00+00:00"


def _env(flag: str, default: str | None = None) -> str | None:
    return os.environ.get("TOKENFLEET_SIMULATE_" + flag.upper().replace("-", "_"), default)


def instant(text: str) -> dt.datetime:
    """An ISO 8601 instant with its offset (a bare date or time would be a guess)."""
    try:
        at = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 instant: {text!r}") from None
    if at.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} has no UTC offset: write it in full, e.g. {at.isoformat()}+00:00"
        )
    return at


def _yes(text: str | None) -> bool:
    return (text or "").strip().lower() in ("1", "true", "yes", "on")


def add_common(parser: argparse.ArgumentParser, env: Any, policies_by_default: str) -> None:
    """Flags `simulate` and `bench` share."""
    parser.add_argument(
        "--fleet",
        type=pathlib.Path,
        default=env("fleet"),
        required=env("fleet") is None,
        help="multi-document YAML: InferenceDeployment, GPUNodePool, PricingPlan",
    )
    parser.add_argument(
        "--pricing", type=pathlib.Path, default=env("pricing"), help="PricingPlan YAML (overrides)"
    )
    parser.add_argument(
        "--deployment", default=env("deployment"), help="InferenceDeployment to use, by name"
    )
    parser.add_argument(
        "--policy",
        action="append",
        choices=[*policies.NAMES, "all"],
        help=f"policy to replay; repeat it, or say all (default: {policies_by_default})",
    )
    parser.add_argument(
        "--start",
        type=instant,
        default=env("start", DEFAULT_START),
        help="ISO 8601 instant of timestamp 0 (default: Monday 2025-01-06 00:00 UTC)",
    )
    parser.add_argument(
        "--json", action="store_true", default=_yes(env("json")), help="print JSON, not a table"
    )
    parser.set_defaults(policy_default=[policies_by_default])


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="replay a demand trace against a fleet",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--trace",
        type=pathlib.Path,
        default=_env("trace"),
        required=_env("trace") is None,
        help="trace CSV",
    )
    add_common(parser, _env, "tokenfleet")
    parser.add_argument("--plot", type=pathlib.Path, default=_env("plot"), help="write a PNG")
    parser.add_argument(
        "--hours",
        type=float,
        default=float(h) if (h := _env("hours")) else None,
        help="replay only the first HOURS of the trace (default: all of it)",
    )
    parser.add_argument(
        "--signal-window",
        type=float,
        default=float(w) if (w := _env("signal_window")) else None,
        help="seconds of trace time the policy's demand reading averages over (default: the "
        "row just past); `make demo` prints the window its fast clock implies",
    )
    parser.add_argument(
        "--signal-delay",
        type=float,
        default=float(d) if (d := _env("signal_delay")) else 0.0,
        help="seconds of trace time the reading is old when the policy decides (default 0)",
    )
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    try:
        the_fleet = fleet.load(args.fleet, pricing=args.pricing, deployment=args.deployment)
        the_trace = trace.load(args.trace)
        if args.hours is not None:
            the_trace = the_trace.first(args.hours * 3600)
        signal = replay.Signal(args.signal_window, args.signal_delay)
    except (fleet.FleetError, trace.TraceError, ValueError) as exc:
        print(f"tokenfleet simulate: {exc}", file=sys.stderr)
        return 2
    bar = progress.Bar(sys.stderr, f"replaying {the_trace.name}")
    names = args.policy or args.policy_default
    try:
        outcome = run.simulate(
            the_trace, the_fleet, names, start=args.start, progress=bar, signal=signal
        )
    finally:
        bar.close()
    if args.json:
        objects = [result.to_json() for result in outcome.results]
        print(json.dumps(objects[0] if len(objects) == 1 else objects, indent=2))
    else:
        print(table.render(outcome.results, title=_title(outcome)))
    if args.plot is not None:
        plot.draw(outcome, args.plot)
    return 0


def _title(outcome: run.Outcome) -> str:
    hours = outcome.trace.seconds / 3600
    return f"{outcome.trace.name}: {hours:.0f} h on pool {outcome.cfg.pool}"
