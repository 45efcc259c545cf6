"""The surprise margin: recent ratios of demand to forecast, and the units they are worth.

Covered: the window forgets what is older than it; a ratio counts for the time it stands for;
with small units the margin covers the bursts that come at least as often as the bar; a coarse
unit is bought only when bursts reach far enough into it, often enough; no surprise, or no
demand, buys nothing; each role's bar is scaled by its tokens per node against the fleet's,
and a role without a usable signal is left out of the weighing.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tokenfleet.planner import decide, margin
from tokenfleet.planner import state as st

from . import fleets


def _window(*ratios: tuple[float, int]) -> margin.Surprises:
    """Ratios each seen `count` times a minute apart, within one long window."""
    surprises = margin.Surprises()
    t = 0.0
    for ratio, count in ratios:
        for _ in range(count):
            surprises = surprises.add(t, ratio, 60.0, window=1e9)
            t += 60
    return surprises


def test_the_window_forgets_surprises_older_than_it() -> None:
    surprises = margin.Surprises()
    ratios = [1.0, 3.0, 1.2, 1.1, 1.0, 1.4, 1.3, 1.2, 1.1, 1.0]
    peaks = []
    for minute, ratio in enumerate(ratios):
        surprises = surprises.add(60.0 * minute, ratio, 60.0, window=300)
        peaks.append(surprises.peak)
    # At t=540 the window (240, 540] keeps minutes 5 to 9; the x3 of minute 1 is forgotten
    # from minute 6 on.
    assert [t for t, _, _ in surprises.seen] == [300.0, 360.0, 420.0, 480.0, 540.0]
    assert peaks == [1.0, 3.0, 3.0, 3.0, 3.0, 3.0, 1.4, 1.4, 1.4, 1.4]
    assert margin.Surprises().peak == 1.0


def test_small_units_cover_bursts_that_come_at_least_as_often_as_the_bar() -> None:
    # 5% of the window at twice the forecast. With units of 100 tok/s, every unit up to 1000
    # is always used, and each from 1000 to 2000 is used 5% of the time.
    surprises = _window((1.0, 95), (2.0, 5))
    assert surprises.units(1000.0, 100.0, bar=0.04) == 20
    assert surprises.units(1000.0, 100.0, bar=0.06) == 10


def test_a_coarse_unit_is_bought_only_when_bursts_reach_far_enough_into_it() -> None:
    # The same 5% of bursts, 30% above the forecast: a unit of 1000 above the first would be
    # used 5% x 0.3 = 1.5% of its capacity, under the bar; small units cover them.
    shallow = _window((1.0, 95), (1.3, 5))
    assert shallow.units(1000.0, 1000.0, bar=0.04) == 1
    assert shallow.units(1000.0, 100.0, bar=0.04) == 13
    # Bursts that double demand use all of it 5% of the time: worth it.
    deep = _window((1.0, 95), (2.0, 5))
    assert deep.units(1000.0, 1000.0, bar=0.04) == 2


def test_a_ratio_counts_for_the_time_it_stands_for() -> None:
    # After 48 calm minutes, a ratio of 2 standing for 120 s is 120 / 3000 = 4% of the
    # window; standing for 60 s, 60 / 2940 = 2%. Against a bar of 3%, only the first counts.
    calm = _window((1.0, 48))
    assert calm.add(48 * 60.0, 2.0, 120.0, window=1e9).units(1000.0, 100.0, bar=0.03) == 20
    assert calm.add(48 * 60.0, 2.0, 60.0, window=1e9).units(1000.0, 100.0, bar=0.03) == 10


def test_no_surprise_or_no_demand_buys_nothing() -> None:
    assert margin.Surprises().units(1000.0, 100.0, bar=0.04) == 0
    assert _window((3.0, 10)).units(0.0, 100.0, bar=0.04) == 0


def test_each_roles_bar_is_scaled_by_its_tokens_per_node() -> None:
    cfg = fleets.planner_config()  # prefill 500 tok/s a node, decode 100
    observation = st.Observation(
        at=fleets.START, roles={"prefill": fleets.seen(2000), "decode": fleets.seen(500)}
    )
    bars = decide.bars(cfg, observation)
    # 2500 tok/s on 2000/500 + 500/100 = 9 nodes at 100%: 277.8 tok/s a node on average.
    # Prefill nodes serve 1.8 times that, decode nodes 0.36 times.
    assert bars["prefill"] == pytest.approx(0.04 * (2500 / 9) / 500)
    assert bars["decode"] == pytest.approx(0.04 * (2500 / 9) / 100)
    silent = st.Observation(
        at=fleets.START + dt.timedelta(minutes=1),
        roles={"prefill": fleets.seen(None), "decode": fleets.seen(500)},
    )
    # Only decode has a usable signal: the fleet's average node is a decode node.
    assert decide.bars(cfg, silent)["decode"] == pytest.approx(0.04)


def test_one_role_has_the_bar_itself() -> None:
    cfg = fleets.unified()
    at = st.Observation(at=fleets.START, roles={"unified": fleets.seen(1500)})
    assert decide.bars(cfg, at) == {"unified": pytest.approx(0.04)}
    idle = st.Observation(at=fleets.START, roles={"unified": fleets.seen(0)})
    assert decide.bars(cfg, idle) == {"unified": pytest.approx(0.04)}


def test_under_a_late_token_budget_the_margin_is_the_fewest_units_within_it() -> None:
    # Ratios 1, 1, 1 and 2 for equal times (mean 1.25); units of 50 on 100 expected. k units
    # leave E[(r - k/2)+] / 1.25 of the tokens late: k=1 -> (3 x 0.5 + 1.5) / 4 / 1.25 = 60%,
    # k=2 -> 1 / 4 / 1.25 = 20%, k=3 -> 0.5 / 4 / 1.25 = 10%, k=4 -> none.
    surprises = _window((1.0, 3), (2.0, 1))
    assert surprises.units_within(100.0, 50.0, budget=0.2) == 2
    assert surprises.units_within(100.0, 50.0, budget=0.15) == 3
    assert surprises.units_within(100.0, 50.0, budget=0.1) == 3
    assert surprises.units_within(100.0, 50.0, budget=0.05) == 4
    assert surprises.units_within(100.0, 50.0, budget=0.6) == 1
    assert surprises.units_within(100.0, 50.0, budget=0.59) == 2
    assert margin.Surprises().units_within(100.0, 50.0, budget=0.01) == 0
    assert surprises.units_within(0.0, 50.0, budget=0.01) == 0


def test_a_tighter_budget_buys_more_margin_and_a_looser_one_less() -> None:
    def final_units(budget: float | None) -> int:
        slo = {} if budget is None else {"lateTokenBudget": budget}
        cfg = fleets.unified(slo=slo, forecast={"enabled": True})
        state = st.PlannerState()
        decision = None
        for minute in range(180):
            demand = 2600.0 if minute % 10 == 0 else 1000.0  # a one-minute burst every ten
            at = fleets.START + dt.timedelta(minutes=minute)
            observation = st.Observation(at=at, roles={"unified": fleets.seen(demand, ready=2)})
            decision, state = decide.plan(cfg, state, observation)
        assert decision is not None
        return decision.roles["unified"].units

    # Units of 1000 tok/s: 2 hold the calm 1000 at the 80% target; a burst to 2.6x every
    # ten minutes leaves 10% x 600 / 1160 = 5.2% of tokens late on 2 units, none on 3.
    assert final_units(0.0005) == 3
    assert final_units(0.06) == 2
    assert final_units(None) == 3  # the default bar: a unit used 10% x 0.6 = 6% is worth it
