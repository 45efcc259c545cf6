"""Words for decisions: the reason a person reads in status, events and the simulator's log,
and the NodesAvailable and Degraded conditions a decision carries."""

from __future__ import annotations

import dataclasses
import datetime as dt

from tokenfleet import clock as clocks
from tokenfleet.api import common, inference_deployment
from tokenfleet.planner import config, forecast, pool
from tokenfleet.planner import state as st


@dataclasses.dataclass(frozen=True)
class Notes:
    """What happened to one role on the way to its decision."""

    role: config.RoleConfig
    observed: st.RoleObservation
    floor: int
    floor_why: str
    outlook: forecast.Outlook | None = None
    raw: int | None = None
    """Units the sizing alone asked for."""
    stable: int | None = None
    """Units after hysteresis and stabilization."""
    held: int | None = None
    """Units held because the signal was missing or absurd."""
    held_for: float | None = None
    disabled: bool = False


def rate(tokens_per_second: float) -> str:
    """`1.52M tok/s`, `850k tok/s`, `12 tok/s`."""
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(tokens_per_second) >= scale:
            return f"{tokens_per_second / scale:.3g}{suffix} tok/s"
    return f"{tokens_per_second:.3g} tok/s"


def span(seconds: float) -> str:
    """`10m`, `90s`, `2h`."""
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{int(seconds // 3600)}h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)}m"
    return f"{seconds:g}s"


def _sizing(note: Notes, auto: inference_deployment.AutoscalingSpec) -> str:
    out, role = note.outlook, note.role
    assert out is not None
    lead = span(role.lead_seconds)
    if out.driver == "demand":
        return f"demand {rate(out.level)} at {role.target_utilization:.0%} target utilisation"
    if out.driver == "forecast":
        parts = [f"baseline {rate(out.baseline)}"]
        if out.growth > 1:
            parts.append(f"x{out.growth:.2f} daily profile over {out.seasonal_days}d")
        if out.ramp is not None and out.ramp >= out.expected:
            parts.append(f"steady ramp to {rate(out.ramp)}")
        return (
            f"demand {rate(out.level)}, forecast {rate(out.target)} in {lead} "
            f"({', '.join(parts)}, +{auto.forecast.headroom:.0%} headroom)"
        )
    return (
        f"demand {rate(out.level)}, {rate(out.expected)} expected in {lead}, "
        f"{out.margin_units} units kept for recent bursts (up to x{out.surprise:.2f})"
    )


def explain(
    note: Notes,
    wanted: int,
    granted: int,
    previous: int | None,
    auto: inference_deployment.AutoscalingSpec,
) -> str:
    """One sentence: the role, the change, the sizing and every adjustment on the way."""
    seen, role = note.observed, note.role
    head = (
        f"{role.name} {seen.units}->{granted} units"
        if granted != seen.units
        else (f"{role.name} stays at {granted} units")
    )
    if seen.starting_units:
        head += f" ({seen.ready_units} ready, {seen.starting_units} starting)"
    parts: list[str] = []
    if note.disabled:
        parts.append("autoscaling disabled: minUnits")
    elif note.held is not None:
        what = "no demand signal" if note.held_for is None else f"unusable demand {note.held_for!r}"
        parts.append(f"{what}: holding {note.held}")
    else:
        parts.append(_sizing(note, auto))
        if note.raw is not None and note.stable is not None and note.stable > note.raw:
            parts.append(
                f"held for scale-down stabilization "
                f"({span(auto.scale_down_stabilization_seconds)}), sizing alone wants {note.raw}"
            )
        elif note.raw is not None and note.stable is not None and note.stable < note.raw:
            parts.append(
                f"scale-up stabilization ({span(auto.scale_up_stabilization_seconds)}) "
                f"waits, sizing wants {note.raw}"
            )
    base = note.stable if note.stable is not None else (note.held or 0)
    if note.floor > base and wanted == note.floor:
        parts.append(f"raised to {note.floor} by {note.floor_why}")
    if wanted == role.max_units and base > role.max_units:
        parts.append(f"capped at maxUnits {role.max_units}")
    if granted < wanted:
        parts.append(f"pool full: {granted} of {wanted} units")
    if seen.starting_units and seen.ready_units < granted <= seen.units:
        parts.append(f"{seen.starting_units} starting count toward it")
    if previous is not None and granted == previous and granted != seen.units:
        parts.append("waiting for the last decision to take effect")
    return f"{head}: {'; '.join(parts)}"


def conditions(
    cfg: config.PlannerConfig, fitted: pool.Fit, missing: list[str], at: dt.datetime
) -> tuple[common.Condition, ...]:
    """NodesAvailable and Degraded as the planner sees them at `at`."""
    stamp = clocks.rfc3339(at)
    if fitted.nodes_available:
        nodes = common.Condition(
            type="NodesAvailable",
            status=common.ConditionStatus.TRUE,
            reason="WithinPool",
            message=f"pool {cfg.pool} can hold every unit planned",
            last_transition_time=stamp,
        )
    else:
        short = ", ".join(
            f"{name} {units} unit{'s' if units > 1 else ''} "
            f"({units * cfg.role(name).nodes_per_unit} nodes)"
            for name, units in sorted(fitted.short.items())
        )
        nodes = common.Condition(
            type="NodesAvailable",
            status=common.ConditionStatus.FALSE,
            reason="PoolFull",
            message=f"pool {cfg.pool} can give {fitted.budget} nodes; short by {short}. "
            "Raise the pool's maxNodes or the other roles keep being planned within it",
            last_transition_time=stamp,
        )
    if missing:
        degraded = common.Condition(
            type="Degraded",
            status=common.ConditionStatus.TRUE,
            reason="SignalsMissing",
            message=f"no usable demand signal for {', '.join(missing)}: holding the last "
            "decision; check the metrics source",
            last_transition_time=stamp,
        )
    else:
        degraded = common.Condition(
            type="Degraded",
            status=common.ConditionStatus.FALSE,
            reason="SignalsRead",
            message="demand signals read for every role",
            last_transition_time=stamp,
        )
    return nodes, degraded
