"""A planner decision in two words for a label: its direction and the reason that bound it.

The planner explains each role's decision in a sentence (status, events); a label needs a
value from a short fixed list, or every decision would make a new series. The reason is the
last constraint that set the number, in the order the planner applies them: sizing (demand,
forecast or a surprise margin), stabilization, the floor (schedule or minUnits), maxUnits, then
the pool. A role held for want of a signal, or with autoscaling off, says so instead. Pure.
"""

from __future__ import annotations

from tokenfleet.metrics import names
from tokenfleet.planner import decide

_DRIVERS = {
    "demand": names.DecisionReason.DEMAND,
    "forecast": names.DecisionReason.FORECAST,
    "surprise": names.DecisionReason.SURPRISE,
}


def direction(decision: decide.RoleDecision) -> names.Direction:
    """Up when the role gets more units than it holds, down when fewer, else hold."""
    if decision.units > decision.observed.units:
        return names.Direction.UP
    if decision.units < decision.observed.units:
        return names.Direction.DOWN
    return names.Direction.HOLD


def reason(decision: decide.RoleDecision) -> names.DecisionReason:
    """The constraint that set the role's units (see the module docstring for the order)."""
    text = decision.reason
    if "autoscaling disabled" in text:
        return names.DecisionReason.DISABLED
    if decision.outlook is None:
        return names.DecisionReason.SIGNALS_MISSING
    if "pool full" in text:
        return names.DecisionReason.POOL_FULL
    if "capped at maxUnits" in text:
        return names.DecisionReason.MAX_UNITS
    if "by schedule" in text:
        return names.DecisionReason.SCHEDULE
    if "by minUnits" in text:
        return names.DecisionReason.MIN_UNITS
    if "stabilization" in text:
        return names.DecisionReason.STABILIZATION
    return _DRIVERS.get(decision.outlook.driver, names.DecisionReason.DEMAND)


def classify(decision: decide.RoleDecision) -> tuple[names.Direction, names.DecisionReason]:
    return direction(decision), reason(decision)
