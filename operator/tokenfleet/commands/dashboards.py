"""`tokenfleet dashboards`: write the Grafana dashboards and alert rules into a chart, or check.

Each CHART folder gets dashboards/<uid>.json (Grafana JSON built with grafana-foundation-sdk)
and rules/tokenfleet.rules.yaml (Prometheus rule groups for the chart's PrometheusRule). With
--check nothing is written: the command prints a diff and exits 1 when the files drift.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
from typing import Any

from tokenfleet.dashboards import files


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "dashboards",
        help="generate the Grafana dashboards and alert rules of the chart",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("charts", nargs="+", type=pathlib.Path, metavar="CHART")
    parser.add_argument("--check", action="store_true", help="fail when files differ")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    drifted = False
    for chart in args.charts:
        if args.check:
            diffs = files.drift(chart)
            sys.stdout.writelines(diffs)
            drifted = drifted or bool(diffs)
        else:
            for path in files.write(chart):
                print(path)
    if drifted:
        print(
            "dashboards or rules drift from operator/tokenfleet/dashboards: run "
            "`tokenfleet dashboards charts/tokenfleet`",
            file=sys.stderr,
        )
        return 1
    return 0
