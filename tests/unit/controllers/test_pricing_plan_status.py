"""PricingPlan status from the pure cost model: prices in force, the active window and when the
prices next change, for DeepSeek's 2025 night discount written as a plan."""

from __future__ import annotations

import datetime as dt
import pathlib

import yaml

from tokenfleet.api import pricing_plan
from tokenfleet.controllers import pricing_plans

ROOT = pathlib.Path(__file__).resolve().parents[3]
PLAN = pricing_plan.PricingPlan.model_validate(
    list(yaml.safe_load_all((ROOT / "manifests/samples/deepseek-v3.yaml").read_text()))[1]
).spec


def at(hhmm: str) -> dt.datetime:
    h, m = map(int, hhmm.split(":"))
    return dt.datetime(2025, 3, 3, h, m, tzinfo=dt.UTC)


def test_by_day_list_prices_are_in_force_until_16_30() -> None:
    status = pricing_plans.plan_status(PLAN, at("12:00"), 3, None, "2025-03-03T12:00:00Z")
    assert status["activeWindow"] == "list" and status["activeWindows"] == []
    assert status["pricesInForce"]["deepseek-reasoner"] == {
        "inputCacheHit": 0.14,
        "inputCacheMiss": 0.55,
        "output": 2.19,
    }
    assert status["pricesInForce"]["deepseek-chat"]["output"] == 1.1
    assert status["nextChange"] == "2025-03-03T16:30:00Z"
    assert status["observedGeneration"] == 3


def test_at_night_r1_pays_a_quarter_and_v3_half_until_00_30() -> None:
    status = pricing_plans.plan_status(PLAN, at("16:30"), 3, None, "2025-03-03T16:30:00Z")
    assert status["activeWindows"] == ["night-v3", "night-r1"]
    r1 = status["pricesInForce"]["deepseek-reasoner"]
    assert (r1["inputCacheHit"], r1["output"]) == (0.035, 0.5475)
    assert status["pricesInForce"]["deepseek-chat"]["output"] == 0.55
    assert status["nextChange"] == "2025-03-04T00:30:00Z"


def test_a_condition_keeps_its_transition_time_while_nothing_changes() -> None:
    first = pricing_plans.plan_status(PLAN, at("12:00"), 1, None, "2025-03-03T12:00:00Z")
    again = pricing_plans.plan_status(PLAN, at("13:00"), 1, first, "2025-03-03T13:00:00Z")
    assert again["conditions"][0]["lastTransitionTime"] == "2025-03-03T12:00:00Z"
