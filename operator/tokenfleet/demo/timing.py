"""How fast the live loop kept up with the demo's clock: pure arithmetic on histogram buckets.

The operator measures every step of every loop (`controllers.loop_metrics`): its real duration
and its lag, in clock seconds, behind the instant it was due. The demo takes the cumulative
bucket counts when the counted day starts and when it ends, and reads quantiles from the
difference, as Prometheus's `histogram_quantile` would (linear within a bucket). It then says
plainly when the machine was too slow for the chosen speed: a planner that decides minutes of
clock time late cannot follow demand, whatever it decides.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence

from tokenfleet.signals import rates

Buckets = Mapping[float, float]
"""Cumulative count per upper bound (`le`), +Inf included."""


def quantile(q: float, buckets: Buckets) -> float | None:
    """The q-quantile of a cumulative histogram, as PromQL's `histogram_quantile` reads it."""
    return rates.histogram_quantile(q, buckets)


def difference(after: Buckets, before: Buckets) -> dict[float, float]:
    """What a histogram counted between two snapshots."""
    return {bound: after[bound] - before.get(bound, 0.0) for bound in after}


@dataclasses.dataclass(frozen=True)
class LoopTiming:
    """One loop over the counted span."""

    loop: str
    steps: int
    p50_seconds: float | None
    p99_seconds: float | None
    """Real seconds per step."""
    p99_lag: float | None
    """Clock seconds a step finished after it was due."""


def timings(
    steps: Mapping[str, Buckets], lags: Mapping[str, Buckets], loops: Iterable[str]
) -> list[LoopTiming]:
    out = []
    for loop in loops:
        step = steps.get(loop, {})
        lag = lags.get(loop, {})
        total = max(step.values(), default=0.0)
        out.append(
            LoopTiming(
                loop=loop,
                steps=round(total),
                p50_seconds=quantile(0.5, step) if total else None,
                p99_seconds=quantile(0.99, step) if total else None,
                p99_lag=quantile(0.99, lag) if lag and max(lag.values()) else None,
            )
        )
    return out


def render(rows: Sequence[LoopTiming]) -> str:
    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value * 1000:,.0f} ms"

    def seconds(value: float | None) -> str:
        return "-" if value is None else f"{value:,.0f} s"

    lines = [f"{'loop':<16} {'steps':>7} {'p50 step':>10} {'p99 step':>10} {'p99 lag':>9}"]
    for row in rows:
        lines.append(
            f"{row.loop:<16} {row.steps:>7,} {ms(row.p50_seconds):>10} "
            f"{ms(row.p99_seconds):>10} {seconds(row.p99_lag):>9}"
        )
    return "\n".join(lines)


def verdict(rows: Sequence[LoopTiming], decision_interval: float, speed: float) -> str:
    """A plain sentence on whether the planner kept up with the clock."""
    planner = next((r for r in rows if r.loop == "autoscaling"), None)
    if planner is None or planner.p99_lag is None:
        return "the planner made no step in the counted span"
    if planner.p99_lag <= 2 * decision_interval:
        return (
            f"the planner kept up: 99% of its steps ended within {planner.p99_lag:,.0f} clock "
            f"seconds of their turn (every {decision_interval:g} s)"
        )
    return (
        f"this machine is too slow for --speed {speed:g}: the planner ran up to "
        f"{planner.p99_lag:,.0f} clock seconds behind its turn (p99; it decides every "
        f"{decision_interval:g} s), so it followed demand late; a slower clock leaves the "
        f"control plane more real time per clock minute, e.g. --speed {max(1.0, speed / 2):g}"
    )
