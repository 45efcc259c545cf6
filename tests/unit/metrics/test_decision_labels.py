"""Planner decisions become a direction and a reason from a fixed list, for a label.

Real decisions of the planner on DeepSeek's reference fleet (manifests/samples, with
DeepSeek's daytime floor as its schedule): demand and
forecast sizing, the schedule's floor, minUnits, maxUnits, a full pool, a missing signal,
autoscaling switched off, and a scale-down held by stabilization. Counted through the exporter
by `observe_plan`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import pathlib

import pytest

from tokenfleet import clock as clocks
from tokenfleet.api import inference_deployment
from tokenfleet.metrics import decisions, names
from tokenfleet.planner import config, decide
from tokenfleet.planner import state as st
from tokenfleet.sim import fleet

from . import books

SAMPLE = pathlib.Path(__file__).parents[3] / "manifests" / "samples" / "deepseek-v3.yaml"
NIGHT = dt.datetime(2025, 1, 6, 20, tzinfo=dt.UTC)  # 04:00 Beijing time: no schedule floor
DAY = dt.datetime(2025, 1, 6, 4, tzinfo=dt.UTC)  # 12:00 Beijing time: floor 10 prefill, 4 decode


# DeepSeek's daytime floor: never fewer than 10 prefill and 4 decode units from 08:30 to 24:00
# Beijing time.
DAYTIME = inference_deployment.ScheduleSpec.model_validate(
    {
        "timeZone": "Asia/Shanghai",
        "entries": [{"start": "08:30", "end": "24:00", "minUnits": {"prefill": 10, "decode": 4}}],
    }
)


def cfg(**autoscaling: object) -> config.PlannerConfig:
    """The reference fleet with the daytime floor and `autoscaling` fields overridden."""
    loaded = fleet.load(SAMPLE)
    auto = loaded.deployment.autoscaling.model_copy(update={"schedule": DAYTIME, **autoscaling})
    deployment = loaded.deployment.model_copy(update={"autoscaling": auto})
    return config.from_resources(deployment, loaded.pool_name, loaded.pool)


def decide_once(
    planner: config.PlannerConfig,
    at: dt.datetime,
    prefill: float | None,
    decode: float | None,
    units: tuple[int, int] = (2, 2),
    budget: int | None = None,
    state: st.PlannerState | None = None,
) -> tuple[decide.Decision, st.PlannerState]:
    seen = {
        "prefill": st.RoleObservation(demand=prefill, ready_units=units[0]),
        "decode": st.RoleObservation(demand=decode, ready_units=units[1]),
    }
    observation = st.Observation(at=at, roles=seen, node_budget=budget)
    return decide.plan(planner, state or st.PlannerState(), observation)


def classified(decision: decide.Decision, role: str) -> tuple[str, str]:
    direction, reason = decisions.classify(decision.roles[role])
    return direction.value, reason.value


NO_FORECAST = {"forecast": cfg().autoscaling.forecast.model_copy(update={"enabled": False})}


def test_demand_above_capacity_scales_up_for_demand() -> None:
    # 2.5M input tok/s needs 2.5M / 0.85 / (4 x 73.7k) = 10 prefill units.
    decision, _ = decide_once(cfg(**NO_FORECAST), NIGHT, 2.5e6, 1e5)
    assert classified(decision, "prefill") == ("up", "demand")


def test_a_forecast_that_sets_the_target_is_the_reason() -> None:
    # With 50% headroom the forecast view (demand x 1.5) beats demand at target (/ 0.85).
    generous = cfg().autoscaling.forecast.model_copy(update={"headroom": 0.5})
    decision, _ = decide_once(cfg(forecast=generous), NIGHT, 2.5e6, 1e5)
    assert classified(decision, "prefill") == ("up", "forecast")


def test_the_daytime_schedule_floor_and_min_units_are_told_apart() -> None:
    decision, _ = decide_once(cfg(**NO_FORECAST), DAY, 1.0, 1.0)
    assert classified(decision, "prefill") == ("up", "schedule")
    night, _ = decide_once(cfg(**NO_FORECAST), NIGHT, 0.0, 0.0)
    assert classified(night, "decode") == ("down", "min_units")


def test_demand_beyond_max_units_is_capped() -> None:
    # 12 decode units of 18 nodes serve 3.2M output tok/s at 100%; ask for more.
    decision, _ = decide_once(cfg(**NO_FORECAST), NIGHT, 1e5, 3.0e6)
    assert classified(decision, "decode") == ("up", "max_units")


def test_a_full_pool_is_the_reason_when_it_grants_less() -> None:
    # Decode keeps its 2 units, so prefill can have no more than the 2 it holds.
    decision, _ = decide_once(cfg(**NO_FORECAST), NIGHT, 2.5e6, 3e5, budget=2 * 4 + 2 * 18)
    assert classified(decision, "prefill") == ("hold", "pool_full")


def test_a_missing_signal_holds_and_says_so() -> None:
    decision, _ = decide_once(cfg(), NIGHT, None, 1e5)
    assert classified(decision, "prefill") == ("hold", "signals_missing")


def test_autoscaling_switched_off_is_its_own_reason() -> None:
    decision, _ = decide_once(cfg(enabled=False), NIGHT, 2.5e6, 1e5)
    assert classified(decision, "prefill") == ("down", "disabled")


def test_a_scale_down_held_by_stabilization_says_so() -> None:
    planner = cfg(**NO_FORECAST)
    _, state = decide_once(planner, NIGHT, 2.5e6, 1e5, units=(10, 2))
    later = NIGHT + dt.timedelta(minutes=1)
    decision, _ = decide_once(planner, later, 2.5e5, 1e5, units=(10, 2), state=state)
    assert classified(decision, "prefill") == ("hold", "stabilization")


def test_observe_plan_counts_each_role_under_its_labels() -> None:
    ledger = books.ledger(clocks.FakeClock(NIGHT))
    decision, _ = decide_once(cfg(**NO_FORECAST), NIGHT, 2.5e6, None)
    ledger.observe_plan(books.NS, books.DEPLOYMENT, decision)
    ledger.observe_plan(books.NS, books.DEPLOYMENT, decision)
    text = ledger.text()
    name = "tokenfleet_scale_decisions_total"
    assert books.value(text, name, role="prefill", direction="up", reason="demand") == 2
    assert books.value(text, name, role="decode", direction="hold", reason="signals_missing") == 2
    assert books.value(text, name, role="decode", direction="up", reason="demand") == 0


@pytest.mark.parametrize("decision_reason", list(names.DecisionReason))
def test_every_reason_is_a_valid_label_value(decision_reason: names.DecisionReason) -> None:
    assert decision_reason.value.isidentifier() and decision_reason.value.islower()


def test_a_decision_without_change_is_a_hold() -> None:
    decision, _ = decide_once(cfg(**NO_FORECAST), NIGHT, 2.5e6, 1e5)
    same = dataclasses.replace(
        decision.roles["prefill"],
        observed=st.RoleObservation(demand=2.5e6, ready_units=decision.roles["prefill"].units),
    )
    assert decisions.direction(same) is names.Direction.HOLD
