"""The planner against the HPA's whole cost/late-token curve, not one tuning of it.

An HPA can buy fewer late tokens with more node-hours by lowering its target utilisation. So
the fair comparison is at equal spend: replay the HPA (`hpa.HPAPolicy`) at every target of
`TARGETS`, interpolate its late tokens at the node-hours the planner spent, and divide by the
planner's. Where the planner spent less than the HPA's cheapest point or more than its dearest,
the nearest point stands in and the ratio is a bound (`Edge`).

Goodput per average GPU (tokens served on time per second, over the mean GPUs paid for) is
printed beside it: the measure NVIDIA Dynamo's planner sweeps report.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import itertools
from collections.abc import Sequence

from tokenfleet.planner import config
from tokenfleet.sim import fleet as fl
from tokenfleet.sim import hpa, replay, report
from tokenfleet.sim import trace as tr

TARGETS = (0.85, 0.80, 0.75, 0.70, 0.65, 0.60, 0.55, 0.50, 0.45)
"""HPA target utilisations swept, cheapest first."""


class Edge(enum.StrEnum):
    """Whether the HPA's late tokens at the planner's spend were interpolated or bounded."""

    INSIDE = "="
    CHEAPER = ">="
    """The planner spent less than the HPA's cheapest point: the HPA would be later still."""
    DEARER = "<="
    """The planner spent more than the HPA's dearest point: the HPA could be less late."""


@dataclasses.dataclass(frozen=True)
class Comparison:
    """The planner beside the HPA's curve on one trace."""

    trace: str
    ours: report.Result
    curve: tuple[report.Result, ...]
    """The HPA at each target, in `TARGETS` order."""
    hpa_late_tokens: float
    """The HPA's late tokens at the planner's node-hours."""
    edge: Edge

    @property
    def advantage(self) -> float | None:
        """HPA's late tokens at equal node-hours over the planner's; None when the planner
        had none (any HPA lateness is then an unbounded ratio)."""
        if self.ours.late_tokens <= 0:
            return None
        return self.hpa_late_tokens / self.ours.late_tokens


def late_at(curve: Sequence[report.Result], node_hours: float) -> tuple[float, Edge]:
    """The late tokens of the HPA's curve at `node_hours`, linearly between the two points that
    bracket it; outside the curve, its nearest end and which side it is."""
    points = sorted((r.node_hours, r.late_tokens) for r in curve)
    if node_hours <= points[0][0]:
        return points[0][1], Edge.CHEAPER if node_hours < points[0][0] else Edge.INSIDE
    if node_hours >= points[-1][0]:
        return points[-1][1], Edge.DEARER if node_hours > points[-1][0] else Edge.INSIDE
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        if x0 <= node_hours <= x1:
            share = (node_hours - x0) / (x1 - x0) if x1 > x0 else 0.0
            return y0 + share * (y1 - y0), Edge.INSIDE
    raise AssertionError("unreachable: the point lies within the curve")


def goodput_per_gpu(result: report.Result, gpus_per_node: int) -> float:
    """Tokens served on time per second, per GPU paid for on average."""
    seconds = result.hours * 3600
    gpus = result.mean_nodes * gpus_per_node
    if seconds <= 0 or gpus <= 0:
        return 0.0
    on_time = result.input_tokens + result.output_tokens - result.late_tokens
    return on_time / seconds / gpus


def compare(
    trace: tr.Trace,
    fleet: fl.Fleet,
    ours: report.Result,
    *,
    start: dt.datetime,
    signal: replay.Signal | None = None,
    targets: Sequence[float] = TARGETS,
) -> Comparison:
    """Replay the HPA at each target on `trace` and set the planner's `ours` beside it."""
    cfg = config.from_resources(fleet.deployment, fleet.pool_name, fleet.pool)
    money = report.earned(trace, fleet, start)
    curve = tuple(
        report.summarise(
            replay.replay(hpa.HPAPolicy(cfg, target), trace, cfg, start, signal=signal),
            trace,
            fleet,
            cfg,
            money,
            ours.oracle_node_hours,
        )
        for target in targets
    )
    late, edge = late_at(curve, ours.node_hours)
    return Comparison(trace.name, ours, curve, late, edge)


def render(comparison: Comparison, gpus_per_node: int) -> str:
    """The HPA's curve and the planner at equal node-hours, as text."""
    lines = ["HPA swept over target utilisation:"]
    header = ("target", "node-hours", "vs oracle", "late tokens", "goodput/GPU")

    def row(label: str, r: report.Result) -> tuple[str, ...]:
        return (
            label,
            f"{r.node_hours:,.0f}",
            "-" if r.vs_oracle is None else f"{r.vs_oracle:.3f}x",
            f"{r.late_token_fraction:.3%}",
            f"{goodput_per_gpu(r, gpus_per_node):,.0f} tok/s",
        )

    ours = comparison.ours
    rows = [row(r.policy.removeprefix("hpa@"), r) for r in comparison.curve]
    rows.append(row("tokenfleet", ours))
    widths = [max(len(line[i]) for line in (header, *rows)) for i in range(len(header))]
    for line in (header, *rows):
        cells = [line[0].ljust(widths[0])]
        cells += [c.rjust(w) for c, w in zip(line[1:], widths[1:], strict=True)]
        lines.append("  " + "  ".join(cells))
    total = ours.input_tokens + ours.output_tokens
    hpa_share = comparison.hpa_late_tokens / total if total else 0.0
    said = {Edge.INSIDE: "", Edge.CHEAPER: "at least ", Edge.DEARER: "at most "}[comparison.edge]
    ratio = comparison.advantage
    if ratio is None:
        verdict = f"tokenfleet has no late tokens; HPA {said}{hpa_share:.4%}"
    else:
        verdict = f"HPA has {said}{ratio:.1f}x tokenfleet's late tokens ({hpa_share:.3%})"
    lines.append(f"  at tokenfleet's {ours.node_hours:,.0f} node-hours: {verdict}")
    return "\n".join(lines)
