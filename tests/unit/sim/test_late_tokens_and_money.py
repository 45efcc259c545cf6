"""What a replay is worth: late tokens, node-hours, cost, revenue, margin and the JSON keys.

Covered: a late token is demand above the capacity (at 100%) of units up in that row, per role,
and the fraction is over all tokens; node-hours count starting units; the pool is priced per
node-hour with committed nodes at their own price; revenue priced span by span equals pricing
every row on its own, also when rows straddle a price window; the JSON carries every key
DESIGN.md asks for.
"""

from __future__ import annotations

import datetime as dt
import pathlib
from decimal import Decimal

import numpy as np
import pytest

from tokenfleet.economics import revenue, tokens
from tokenfleet.planner import config
from tokenfleet.sim import fleet, policies, replay, report, run, table
from tokenfleet.sim import trace as sim_trace

from . import fleets


def _load(tmp_path: pathlib.Path, documents: list[dict[str, object]] | None = None) -> fleet.Fleet:
    return fleet.load(fleets.write_fleet(tmp_path / "f.yaml", documents or fleets.docs()))


def _cfg(loaded: fleet.Fleet) -> config.PlannerConfig:
    return config.from_resources(loaded.deployment, loaded.pool_name, loaded.pool)


def test_late_tokens_are_the_excess_over_units_that_are_up(tmp_path: pathlib.Path) -> None:
    loaded = _load(tmp_path)
    cfg = _cfg(loaded)
    # Prefill: 1 unit (1000 tok/s) then 2 asked for at row 1, up at row 11. Decode: 1 unit of
    # 300 tok/s against 200 tok/s, never late.
    trace = fleets.per_minute([800.0, 1500.0] + [1500.0] * 10, [200.0] * 12)
    fixed = policies.FixedPolicy(
        "fixed", {"prefill": np.array([1] + [2] * 11), "decode": np.array([1] * 12)}
    )
    result = report.summarise(
        replay.replay(fixed, trace, cfg, run.DEFAULT_START), trace, loaded, cfg, None
    )
    # Rows 1-10: 500 tok/s over capacity for 60 s each; row 11 is served by 2 units.
    assert result.roles["prefill"].late_tokens == 10 * 500 * 60
    assert result.roles["decode"].late_tokens == 0
    all_tokens = (800 + 1500 * 11) * 60 + 200 * 12 * 60
    assert result.late_token_fraction == pytest.approx(300000 / all_tokens)
    # Node-hours: prefill 1 unit in row 0, 2 (one starting) after; decode 1 unit; 2 and 3 nodes.
    assert result.node_hours == pytest.approx((2 + 11 * 4 + 12 * 3) / 60)
    assert result.peak_nodes == 7


def test_the_pool_is_priced_per_node_hour_and_commitments_apart(tmp_path: pathlib.Path) -> None:
    documents = fleets.docs()
    loaded = _load(tmp_path, documents)
    cfg = _cfg(loaded)
    trace = fleets.per_minute([1000.0] * 60, [300.0] * 60)  # 1 + 1 units, 5 nodes, one hour
    timeline = replay.replay(policies.static(trace, cfg), trace, cfg, run.DEFAULT_START)
    assert report.pool_cost(timeline, trace, loaded) == Decimal(5 * 16)
    documents[0]["spec"]["committedNodes"] = 8
    documents[0]["spec"]["cost"]["committedPerGpuHour"] = 1
    committed = fleet.load(fleets.write_fleet(tmp_path / "c.yaml", documents))
    # 8 committed nodes are paid at $8 an hour whether used or not.
    assert report.pool_cost(timeline, trace, committed) == Decimal(8 * 8)


def test_revenue_by_span_equals_revenue_row_by_row(tmp_path: pathlib.Path) -> None:
    documents = fleets.docs()
    documents[1]["spec"]["windows"] = [
        {"name": "night", "start": "00:30", "end": "01:00", "percentOff": 75}
    ]
    documents[1]["spec"]["billableFraction"] = 0.5
    loaded = _load(tmp_path, documents)
    trace = fleets.per_minute(
        [1000.0 + i for i in range(90)], [100.0 + i for i in range(90)], cached_share=0.25
    )
    start = run.DEFAULT_START + dt.timedelta(seconds=15)  # every row straddles a minute
    earned = report.earned(trace, loaded, start)
    assert loaded.plan is not None and earned is not None
    expected = revenue.Revenue()
    for row in range(len(trace)):
        counts = tokens.TokenCounts.of(
            input=int(trace.input_tokens[row]),
            cached_input=int(trace.cached_input_tokens[row]),
            output=int(trace.output_tokens[row]),
        )
        opened = start + dt.timedelta(seconds=float(trace.starts[row]))
        expected += revenue.revenue_between(
            loaded.plan, loaded.model, counts, opened, opened + dt.timedelta(seconds=60)
        )
    assert earned.realised == pytest.approx(expected.realised, rel=Decimal("1e-20"))
    assert earned.theoretical == pytest.approx(expected.theoretical, rel=Decimal("1e-20"))
    assert earned.realised < earned.theoretical / 2  # billable half, and a discount window


def test_the_json_has_every_key_design_asks_for(tmp_path: pathlib.Path) -> None:
    loaded = _load(tmp_path)
    trace = fleets.per_minute([1000.0] * 30, [300.0] * 30)
    outcome = run.simulate(trace, loaded, ["tokenfleet"])
    data = outcome.results[0].to_json()
    for key in (
        "policy",
        "node_hours",
        "mean_nodes",
        "peak_nodes",
        "late_token_fraction",
        "cost",
        "revenue",
        "revenue_theoretical",
        "margin",
        "input_tokens",
        "output_tokens",
        "node_hours_vs_oracle",
    ):
        assert key in data, key
    assert data["input_tokens"] == 1000 * 60 * 30
    assert data["revenue"] == pytest.approx(
        (1000 * 60 * 30 * 2 + 300 * 60 * 30 * 4) / 1e6, abs=0.01
    )
    assert data["margin"] == pytest.approx(
        (data["revenue"] - data["cost"]) / data["cost"], abs=1e-3
    )


def test_a_late_token_budget_is_held_or_missed_by_the_worst_day(tmp_path: pathlib.Path) -> None:
    loaded = _load(tmp_path, fleets.docs(autoscaling={"slo": {"lateTokenBudget": 0.01}}))
    cfg = _cfg(loaded)
    assert cfg.autoscaling.slo.late_token_budget == 0.01
    # Two days of hourly rows (rows stand for an hour: one per day-hour); day 2 has one hour
    # of prefill at 1500 tok/s against a single 1000 tok/s unit.
    prefill = [800.0] * 24 + [800.0] * 23 + [1500.0]
    rows = [(3600.0 * i, p * 3600, 0.0, 200.0 * 3600) for i, p in enumerate(prefill)]
    trace = sim_trace.build("two-days", rows)
    fixed = policies.FixedPolicy(
        "fixed", {"prefill": np.array([1] * 48), "decode": np.array([1] * 48)}
    )
    result = report.summarise(
        replay.replay(fixed, trace, cfg, run.DEFAULT_START), trace, loaded, cfg, None
    )
    day2 = 500.0 * 3600 / ((800 * 23 + 1500) * 3600 + 200 * 24 * 3600)
    assert result.worst_day_late_fraction == pytest.approx(day2)
    assert result.late_token_fraction == pytest.approx(day2 / 2, rel=0.1)  # spread over two days
    assert result.late_budget == 0.01
    assert day2 > 0.01 and result.budget_held is False  # 2.0% on day 2
    assert result.to_json()["budget_held"] is result.budget_held
    text = table.render([result])
    assert "late-token budget 1.000% a day" in text
    assert ("held" if result.budget_held else "MISSED") in text.splitlines()[-1]
    unset = report.summarise(
        replay.replay(fixed, trace, _cfg(_load(tmp_path)), run.DEFAULT_START),
        trace, _load(tmp_path), _cfg(_load(tmp_path)), None,
    )  # fmt: skip
    assert unset.budget_held is None and "budget" not in table.render([unset])
