"""A role whose demand signal is missing or absurd holds its last decision; the others go on.

Covered: None, NaN, infinity, negative and absurdly large readings all hold; the role that did
read keeps being planned in the same run; the Degraded condition names the silent role and
clears when the signal returns; with no decision yet the held units are those running; the
schedule's minimum still applies while holding; held readings do not teach the forecast.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest

from tokenfleet.api import common
from tokenfleet.planner import config, decide
from tokenfleet.planner import state as st

from . import fleets

MINUTE = dt.timedelta(seconds=60)


def _run(
    cfg: config.PlannerConfig, state: st.PlannerState, at: dt.datetime, **roles: st.RoleObservation
) -> tuple[decide.Decision, st.PlannerState]:
    return decide.plan(cfg, state, st.Observation(at=at, roles=roles))


def _condition(decision: decide.Decision, kind: str) -> common.Condition:
    return next(c for c in decision.conditions if c.type == kind)


@pytest.mark.parametrize("reading", [None, math.nan, math.inf, -5.0, 1e12])
def test_an_unusable_reading_holds_the_last_decision(reading: float | None) -> None:
    cfg = fleets.planner_config(fleets.deployment(forecast={"enabled": False}))
    at = fleets.START
    first, state = _run(
        cfg, st.PlannerState(), at, prefill=fleets.seen(2000), decode=fleets.seen(500)
    )
    assert first.units == {"prefill": 3, "decode": 3}  # 2500 -> 3 x 1000; 625 -> 3 x 300
    second, _ = _run(
        cfg, state, at + MINUTE, prefill=fleets.seen(reading, 3), decode=fleets.seen(100, 3)
    )
    # prefill holds 3 however low or high the reading; decode goes on: 125 -> 1 unit, once the
    # stabilization window lets it (300 s), so it holds for now but is still planned.
    assert second.roles["prefill"].units == 3
    assert "holding 3" in second.roles["prefill"].reason
    assert second.roles["decode"].outlook is not None
    degraded = _condition(second, "Degraded")
    assert degraded.status == common.ConditionStatus.TRUE
    assert "prefill" in degraded.message and "decode" not in degraded.message


def test_the_other_role_keeps_scaling_while_one_is_silent() -> None:
    cfg = fleets.planner_config(fleets.deployment(forecast={"enabled": False}))
    state = st.PlannerState()
    at = fleets.START
    _, state = _run(cfg, state, at, prefill=fleets.seen(700), decode=fleets.seen(200))
    decision, state = _run(
        cfg, state, at + MINUTE, prefill=fleets.seen(None, 1), decode=fleets.seen(900, 1)
    )
    # decode: 900 / 0.8 = 1125 tok/s of 300 tok/s units -> 4 units, started now.
    assert decision.units == {"prefill": 1, "decode": 4}
    back, _ = _run(
        cfg, state, at + 2 * MINUTE, prefill=fleets.seen(700, 1), decode=fleets.seen(900, 1, 3)
    )
    assert _condition(back, "Degraded").status == common.ConditionStatus.FALSE


def test_with_no_decision_yet_a_silent_role_holds_what_runs() -> None:
    cfg = fleets.unified()
    decision, _ = _run(cfg, st.PlannerState(), fleets.START, unified=fleets.seen(None, 4, 1))
    assert decision.units == {"unified": 5}
    assert decision.roles["unified"].start == 0 and decision.roles["unified"].remove == 0


def test_the_schedule_minimum_applies_while_holding() -> None:
    cfg = fleets.planner_config(
        fleets.deployment(
            {"unified": fleets.role()},
            schedule={"entries": [{"start": "08:00", "end": "20:00", "minUnits": {"unified": 6}}]},
        )
    )
    morning = fleets.START + dt.timedelta(hours=8)
    decision, _ = _run(cfg, st.PlannerState(), morning, unified=fleets.seen(None, 2))
    assert decision.units == {"unified": 6}
    assert "schedule 08:00-20:00" in decision.roles["unified"].reason


def test_held_readings_teach_the_forecast_nothing() -> None:
    cfg = fleets.unified()
    _, state = _run(cfg, st.PlannerState(), fleets.START, unified=fleets.seen(1000))
    _, after = _run(cfg, state, fleets.START + MINUTE, unified=fleets.seen(1e15, 2))
    assert after.role("unified").samples == state.role("unified").samples
    assert after.role("unified").profile == state.role("unified").profile
