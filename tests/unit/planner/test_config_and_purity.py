"""The planner's view of the resources, and that planning is pure and replayable.

Covered: the lead time is the pool's provisioning delay plus the role's warm-up; whole units
round up except for a float hair; tuning refuses nonsense; the same config, state and
observation give the same decision and leave the state they were given untouched; a decision
reads as status.lastDecision; planner and simulator never read the time themselves.
"""

from __future__ import annotations

import dataclasses
import pathlib
import re

import pytest

from tokenfleet.planner import decide, settings
from tokenfleet.planner import state as st

from . import fleets

PACKAGE = pathlib.Path(decide.__file__).parent.parent


def test_the_lead_time_adds_warmup_to_the_provisioning_delay() -> None:
    spec = fleets.deployment({"unified": fleets.role(warmupSeconds=300)})
    cfg = fleets.planner_config(spec, fleets.pool(delay=900))
    assert cfg.role("unified").lead_seconds == 1200


@pytest.mark.parametrize(
    ("tokens", "units"),
    [(0, 0), (1000, 1), (1000.0000001, 1), (1001, 2), (2400, 3)],
)
def test_whole_units_round_up(tokens: float, units: int) -> None:
    role = fleets.unified().role("unified")  # 1000 tok/s a unit
    assert role.units_for(tokens) == units


def test_tuning_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="surprise_window_seconds"):
        settings.Tuning(surprise_window_seconds=0)
    with pytest.raises(ValueError, match="margin_use"):
        settings.Tuning(margin_use=1.0)


def test_the_same_inputs_give_the_same_decision_and_the_state_is_not_touched() -> None:
    cfg = fleets.planner_config()
    observation = st.Observation(
        at=fleets.START, roles={"prefill": fleets.seen(2500, 2), "decode": fleets.seen(700, 3)}
    )
    _, state = decide.plan(cfg, st.PlannerState(), observation)
    before = dataclasses.replace(state)
    later = dataclasses.replace(observation, at=fleets.START.replace(minute=1))
    one, state_one = decide.plan(cfg, state, later)
    two, state_two = decide.plan(cfg, state, later)
    assert (one, state_one) == (two, state_two)
    assert state == before


def test_a_decision_becomes_the_status_last_decision() -> None:
    cfg = fleets.unified(forecast={"enabled": False})
    observation = st.Observation(at=fleets.START, roles={"unified": fleets.seen(1700, 1)})
    decision, _ = decide.plan(cfg, st.PlannerState(), observation)
    status = decision.to_status()
    assert (status.time, status.units) == ("2025-01-06T00:00:00Z", {"unified": 3})
    assert status.reason.startswith("unified 1->3 units: demand 1.7k tok/s at 80% target")


@pytest.mark.parametrize("package", ["planner", "sim"])
def test_pure_code_never_reads_the_time_itself(package: str) -> None:
    forbidden = re.compile(r"\b(datetime\.now|dt\.datetime\.now|time\.time|time\.monotonic)\(")
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in (PACKAGE / package).glob("*.py")
        if forbidden.search(path.read_text())
    ]
    assert offenders == []
