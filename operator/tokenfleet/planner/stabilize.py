"""Stabilization and hysteresis: keep a multi-node unit from flapping.

Like the Kubernetes HPA, the planner remembers its raw recommendations. It scales up to the
*lowest* recommendation of the scale-up window (demand must stay high that long) and down only
to the *highest* of the scale-down window (demand must stay low that long). Hysteresis adds a
dead band on the way down: a unit is released only if the rest still have spare room above the
target, so demand hovering at a unit boundary does not start and stop a unit every minute.
"""

from __future__ import annotations

Recommendation = tuple[float, int]
"""(POSIX seconds, units)."""


def with_hysteresis(units: int, units_with_margin: int, current: int | None) -> int:
    """`units`, but a scale-down below `current` must also fit the target plus the margin."""
    if current is None or units >= current:
        return units
    return min(current, max(units, units_with_margin))


def stabilize(
    recommendations: tuple[Recommendation, ...],
    t: float,
    units: int,
    current: int | None,
    up_window: float,
    down_window: float,
) -> tuple[int, tuple[Recommendation, ...]]:
    """The stabilized units and the recommendations to remember (those of the longer window)."""
    keep_since = t - max(up_window, down_window)
    kept = (*(r for r in recommendations if r[0] > keep_since), (t, units))
    if current is None:
        return units, kept
    up = min(u for s, u in kept if s > t - up_window or s == t)
    down = max(u for s, u in kept if s > t - down_window or s == t)
    if current < up:
        return up, kept
    if current > down:
        return down, kept
    return current, kept
