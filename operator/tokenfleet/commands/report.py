"""`tokenfleet report`: draw the dashboards to PNG and one self-contained HTML page.

Grafana cannot always be had; this draws the same panels (cost, revenue and margin; cost per
token over the day; units and nodes against demand; scale decisions; node pools and idle cost)
with a summary table, from one of two sources:

  --prometheus URL   the operator's exporter (and the engines) as a Prometheus holds them,
                     over --start .. --end (default: the last 24 hours);
  --trace TRACE      a simulation: TRACE replayed against --fleet under --policy, each row
                     posted to the exporter's books as the operator would post it.

OUT_DIR gets <dashboard>.png for each dashboard and report.html with the pictures embedded.
Every flag has an environment fallback, TOKENFLEET_REPORT_<FLAG> (e.g. ..._PROMETHEUS=URL).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import pathlib
import sys
from typing import Any

import httpx

from tokenfleet import clock as clocks
from tokenfleet.commands import simulate
from tokenfleet.report import page, prometheus, simulated
from tokenfleet.sim import fleet, policies, trace

DEFAULT_HOURS = 24
DEFAULT_SIMULATION_WINDOW = 900.0
"""Rate window of a simulation's panels: a quarter hour, so demand does not lag the units."""


def _env(flag: str, default: str | None = None) -> str | None:
    return os.environ.get("TOKENFLEET_REPORT_" + flag.upper().replace("-", "_"), default)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected seconds above zero, got {text!r}")
    return value


def _optional(kind: Any, text: str | None) -> Any:
    return None if text is None else kind(text)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report",
        help="draw the dashboards from Prometheus or a simulation to PNG and HTML",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("out", type=pathlib.Path, metavar="OUT_DIR")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--prometheus", default=_env("prometheus"), help="Prometheus base URL")
    source.add_argument(
        "--trace", type=pathlib.Path, default=_optional(pathlib.Path, _env("trace"))
    )
    parser.add_argument(
        "--fleet",
        type=pathlib.Path,
        default=_optional(pathlib.Path, _env("fleet")),
        help="with --trace: InferenceDeployment, GPUNodePool and PricingPlan YAML",
    )
    parser.add_argument(
        "--pricing", type=pathlib.Path, default=_optional(pathlib.Path, _env("pricing"))
    )
    parser.add_argument("--deployment", default=_env("deployment"))
    parser.add_argument("--policy", choices=policies.NAMES, default=_env("policy", "tokenfleet"))
    parser.add_argument(
        "--start",
        type=simulate.instant,
        default=_optional(simulate.instant, _env("start")),
        help="ISO 8601 instant: start of the period (Prometheus, default 24 h before --end) "
        "or timestamp 0 of the trace (simulation, default Monday 2025-01-06 00:00 UTC)",
    )
    parser.add_argument(
        "--end",
        type=simulate.instant,
        default=_optional(simulate.instant, _env("end")),
        help="ISO 8601 instant: end of the period (Prometheus, default now)",
    )
    parser.add_argument(
        "--step",
        type=_seconds,
        default=_optional(_seconds, _env("step")),
        help="seconds between points (Prometheus; default: about 300 points)",
    )
    parser.add_argument(
        "--window",
        type=_seconds,
        default=_optional(_seconds, _env("window")),
        help="rate window in seconds (Prometheus default: 4 steps; simulation: 900)",
    )
    parser.add_argument("--title", default=_env("title"), help="title of the page")
    parser.set_defaults(func=run)


def _from_prometheus(args: argparse.Namespace) -> Any:
    end = args.end or clocks.WallClock().now()
    start = args.start or end - dt.timedelta(hours=DEFAULT_HOURS)
    with httpx.Client(timeout=60) as http:
        client = prometheus.Client(args.prometheus, http)
        return prometheus.report(client, start, end, args.step, args.window)


def _from_simulation(args: argparse.Namespace) -> Any:
    if args.fleet is None:
        raise fleet.FleetError("--trace needs --fleet")
    the_fleet = fleet.load(args.fleet, pricing=args.pricing, deployment=args.deployment)
    the_trace = trace.load(args.trace)
    start = args.start or simulate.instant(simulate.DEFAULT_START)
    window = args.window or DEFAULT_SIMULATION_WINDOW
    return simulated.report(the_trace, the_fleet, args.policy, start, window)


def run(args: argparse.Namespace) -> int:
    if not args.prometheus and args.trace is None:
        print(
            "tokenfleet report: give --prometheus URL or --trace TRACE --fleet FLEET",
            file=sys.stderr,
        )
        return 2
    try:
        made = _from_prometheus(args) if args.prometheus else _from_simulation(args)
    except (fleet.FleetError, trace.TraceError, prometheus.PrometheusError, ValueError) as exc:
        print(f"tokenfleet report: {exc}", file=sys.stderr)
        return 2
    if args.title:
        made = dataclasses.replace(made, title=args.title)
    for path in page.write(made, args.out):
        print(path)
    return 0
