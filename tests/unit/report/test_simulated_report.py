"""A report from a simulation: the trace replayed into the exporter's books gives the same
money and tokens as `tokenfleet simulate`, every panel that does not need engines has lines,
and the latency panels say why they have none."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tokenfleet.dashboards import catalog, model
from tokenfleet.report import simulated, summary
from tokenfleet.sim import run

from . import replays


def summary_of() -> dict[str, str]:
    return dict(replays.made().summary)


def test_cost_revenue_and_tokens_match_the_simulators_own_report() -> None:
    outcome = run.simulate(replays.ramp(), replays.reference(), ["tokenfleet"], start=replays.START)
    (result,) = outcome.results
    replay = simulated.run(replays.ramp(), replays.reference(), "tokenfleet", replays.START)
    totals = simulated.totals(replay, replays.reference())
    # Summed per row and per role here, per node count there: equal to the last of 28 digits.
    assert totals.cost == pytest.approx(result.cost, rel=Decimal("1e-20"))
    # One deployment and no lease: the pool costs what its nodes cost.
    assert totals.pool_cost == pytest.approx(result.cost, rel=Decimal("1e-20"))
    assert result.earned is not None and totals.revenue_realised is not None
    assert totals.revenue_realised == pytest.approx(result.earned.realised, rel=Decimal("1e-9"))
    assert totals.revenue_theoretical == pytest.approx(
        result.earned.theoretical, rel=Decimal("1e-9")
    )
    assert totals.served.input == result.input_tokens
    assert totals.served.input_cache_hit == result.cached_input_tokens
    assert totals.served.output == result.output_tokens
    assert totals.peak_nodes == result.peak_nodes
    assert totals.gpu_hours == pytest.approx(result.node_hours * 8)


def test_the_summary_reads_the_same_figures() -> None:
    rows = summary_of()
    replay = simulated.run(replays.ramp(), replays.reference(), "tokenfleet", replays.START)
    totals = simulated.totals(replay, replays.reference())
    assert rows == dict(summary.rows(totals))
    assert rows["Period"] == "6.0 h"
    assert rows["Cost of the deployments' nodes"] == f"{totals.cost:,.2f} USD"
    assert rows["Scale decisions up / down"] != "0 / 0"


def test_every_panel_that_needs_no_engine_has_lines() -> None:
    latency = {
        model.Quantity.TTFT_P90,
        model.Quantity.ITL_P90,
        model.Quantity.TTFT_SLO_ERRORS,
        model.Quantity.ITL_SLO_ERRORS,
    }
    for board in replays.made().boards:
        for panel in board.panels:
            quantities = {query.quantity for query in panel.panel.queries}
            if quantities <= latency:
                assert not panel.series and panel.missing is not None
            else:
                assert panel.series, f"{board.board.uid} / {panel.panel.title} has no lines"
                assert panel.missing is None


def test_the_report_covers_every_dashboard_in_order() -> None:
    made = replays.made()
    assert [b.board.uid for b in made.boards] == [b.uid for b in catalog.ALL]
    assert made.variables == {"window": "30m"}
    assert made.start == replays.START
    assert (made.end - made.start).total_seconds() == 36 * replays.ROW


def test_the_night_discount_shows_in_the_price_and_revenue_lines() -> None:
    prices = {
        line.name
        for board in replays.made().boards
        for panel in board.panels
        if panel.panel.title.startswith("Price in force")
        for line in panel.series
    }
    assert "price deepseek deepseek-reasoner (night-r1)" in prices
    assert "price deepseek deepseek-reasoner (list)" in prices
