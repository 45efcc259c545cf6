"""`tokenfleet`: the command line. Each subcommand lives in its own module under commands/."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from tokenfleet.commands import (
    bench,
    crds,
    dashboards,
    demo,
    enginesim,
    render,
    report,
    run,
    simulate,
)

# Each module has `register(subparsers)`, which adds its parser and sets `func(args) -> int`.
COMMANDS = [run, demo, render, crds, enginesim, simulate, bench, dashboards, report]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tokenfleet",
        description="Run mixture-of-experts inference fleets at the lowest cost per token.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
