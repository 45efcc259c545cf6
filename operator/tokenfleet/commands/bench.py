"""`tokenfleet bench`: every policy on every trace of a directory, against one fleet.

For each trace CSV in --traces, a table of policy, node-hours, ratio to the oracle, late-token
fraction, cost, revenue and margin, and the Kubernetes HPA swept over its target beside the
planner; then how the tokenfleet policy did across all of them. With --generated, the seeded
shapes of `sim.shapes` (63 days nobody tuned the planner on: moving peaks, weekends, a holiday,
growth, an outage, steps, bursts) are replayed too, with one verdict over them all. `make
bench` runs it on the sample traces and the DeepSeek-V3 sample fleet. Flags fall back to
TOKENFLEET_BENCH_<FLAG>.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
from collections.abc import Sequence
from typing import Any

from tokenfleet.commands import simulate
from tokenfleet.sim import fleet, frontier, progress, report, run, shapes, table, trace


def _env(flag: str, default: str | None = None) -> str | None:
    return os.environ.get("TOKENFLEET_BENCH_" + flag.upper().replace("-", "_"), default)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="replay every trace of a directory under every policy",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--traces",
        type=pathlib.Path,
        default=_env("traces"),
        required=_env("traces") is None,
        help="directory of trace CSVs",
    )
    parser.add_argument(
        "--generated",
        action="store_true",
        default=_env("generated") == "1",
        help="also replay every generated shape (tokenfleet.sim.shapes)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=int(_env("seed", "0") or 0),
        help="seed of the generated shapes (default 0)",
    )
    simulate.add_common(parser, _env, "all")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    paths = sorted(args.traces.glob("*.csv")) if args.traces.is_dir() else []
    if not paths:
        print(f"tokenfleet bench: no *.csv traces in {args.traces}", file=sys.stderr)
        return 2
    try:
        the_fleet = fleet.load(args.fleet, pricing=args.pricing, deployment=args.deployment)
        traces = [trace.load(path) for path in paths]
    except (fleet.FleetError, trace.TraceError) as exc:
        print(f"tokenfleet bench: {exc}", file=sys.stderr)
        return 2
    generated = (
        [shapes.build(shape, args.seed) for shape in shapes.SHAPES] if args.generated else []
    )
    traces += generated
    names = args.policy or args.policy_default
    results: list[list[report.Result]] = []
    for one in traces:
        bar = progress.Bar(sys.stderr, f"{one.name:>24}")
        try:
            results.append(
                run.simulate(one, the_fleet, names, start=args.start, progress=bar).results
            )
        finally:
            bar.close()
    if args.json:
        print(json.dumps([r.to_json() for rows in results for r in rows], indent=2))
        return 0
    title = f"fleet {the_fleet.deployment_name} on pool {the_fleet.pool_name}"
    print(title)
    comparisons: list[frontier.Comparison] = []
    for one, rows in zip(traces, results, strict=True):
        print()
        print(table.render(rows, title=f"{one.name} ({one.seconds / 86400:.3g} days)"))
        ours = next((r for r in rows if r.policy == "tokenfleet"), None)
        if ours is not None:
            compared = frontier.compare(one, the_fleet, ours, start=args.start)
            comparisons.append(compared)
            print(frontier.render(compared, the_fleet.pool.gpus_per_node))
    summary = verdict(results, comparisons)
    if summary:
        print()
        print("\n".join(summary))
    if generated:
        print()
        print(held_out({t.name for t in generated}, comparisons, args.seed))
    return 0


def held_out(names: set[str], comparisons: Sequence[frontier.Comparison], seed: int) -> str:
    """One line over the generated shapes: on how many the planner leaves at least 3x fewer
    late tokens than the HPA at equal node-hours, and the median advantage."""
    mine = [c for c in comparisons if c.trace in names]
    ratios = sorted(c.advantage for c in mine if c.advantage is not None)
    # No late token of the planner's: a win over any HPA that has some, a tie otherwise.
    clean = [c for c in mine if c.advantage is None]
    neither = sum(1 for c in clean if c.hpa_late_tokens <= 0)
    met = sum(1 for r in ratios if r >= 3) + len(clean) - neither
    median = ratios[len(ratios) // 2] if ratios else None
    return (
        f"generated shapes (seed {seed}): {met} of {len(mine)} at >= 3x fewer late tokens "
        f"than HPA at equal node-hours"
        + (f"; median {median:.1f}x" if median is not None else "")
        + (f", {neither} where neither is late" if neither else "")
    )


def verdict(
    results: list[list[report.Result]], comparisons: Sequence[frontier.Comparison] = ()
) -> list[str]:
    """How the tokenfleet policy did against the targets, one line per trace."""
    against_hpa = {c.trace: c for c in comparisons}
    lines = []
    for rows in results:
        by = {r.policy: r for r in rows}
        ours = by.get("tokenfleet")
        if ours is None:
            continue
        parts = [f"{ours.trace}:"]
        if ours.vs_oracle is not None:
            parts.append(f"{ours.vs_oracle:.3f}x oracle")
        parts.append(f"{ours.late_token_fraction:.3%} late")
        if "static" in by and by["static"].node_hours:
            parts.append(
                f"{1 - ours.node_hours / by['static'].node_hours:.0%} fewer node-hours than static"
            )
        compared = against_hpa.get(ours.trace)
        if compared is not None:
            ratio = compared.advantage
            bound = "" if compared.edge is frontier.Edge.INSIDE else compared.edge.value
            if ratio is None:
                theirs = "has some" if compared.hpa_late_tokens > 0 else "has none either"
                parts.append(f"no late tokens (HPA at equal node-hours {theirs})")
            else:
                parts.append(f"{bound}{ratio:.1f}x fewer late tokens than HPA at equal node-hours")
        lines.append(" ".join(parts[:1]) + " " + ", ".join(parts[1:]))
    if not lines:
        return []
    return [
        "tokenfleet policy (targets: <= 1.10x oracle and <= 0.1% late on smooth weekly traffic;"
        " >= 3x fewer late tokens than HPA at equal node-hours):",
        *lines,
    ]
