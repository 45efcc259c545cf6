"""The day's cost is what the pool cost, idle nodes included, with the idle part beside it.

The exporter books a deployment's cost (the nodes its units held) and its pool's cost (every
node the pool held, plus leases it does not use) side by side; the pool's is the units' plus
the idle nodes'. The demo's summary reads the pool's cost back as the day's cost, prints the
idle part and its share, and splits the pool's cost between input and output tokens by the
units' prefill share of cost.
"""

from __future__ import annotations

import pathlib

import pytest

from tokenfleet import clock as clocks
from tokenfleet.api import gpu_node_pool
from tokenfleet.demo import summary
from tokenfleet.metrics import accounting
from tokenfleet.sim import fleet

from . import books

SAMPLE = pathlib.Path(__file__).parents[3] / "manifests" / "samples" / "deepseek-v3.yaml"
UNITS = {"prefill": accounting.Units(10, 10), "decode": accounting.Units(4, 3, starting=1)}


def test_the_pool_costs_its_units_nodes_plus_its_idle_ones() -> None:
    loaded = fleet.load(SAMPLE)
    deployment = accounting.Deployment(
        books.NS, loaded.deployment_name, loaded.deployment, "h800", books.pool()
    )
    clock = clocks.FakeClock(books.START)
    ledger = books.ledger(clock)
    since = clock.now()
    clock.advance(3600)
    accounting.post(ledger, deployment, {}, UNITS, since, clock.now())
    # 10 x 4 prefill nodes and 4 x 18 decode nodes (one unit warming) in a pool of 150.
    use = accounting.node_use(deployment.spec, UNITS, pool_nodes=150)
    ledger.observe_pool(
        "h800",
        deployment.pool,
        gpu_node_pool.NodeCounts(ready=150, allocated=112),
        use=use,
        seconds=3600,
    )
    text = ledger.text()
    node_hour = 8 * 2  # 8 GPUs at $2 per GPU-hour
    units_cost = sum(books.value(text, "tokenfleet_cost_total", role=role) or 0 for role in UNITS)
    assert units_cost == 112 * node_hour
    assert books.value(text, "tokenfleet_pool_cost_total", pool="h800") == 150 * node_hour
    idle = "tokenfleet_idle_cost_total"
    assert books.value(text, idle, pool="h800", reason="unallocated") == 38 * node_hour
    assert books.value(text, idle, pool="h800", reason="warming") == 18 * node_hour


def test_the_demo_reads_the_pools_cost_as_the_days_and_prints_its_idle_share() -> None:
    exprs = summary.queries("ns", "dsv3", 8)
    day = {
        "node_hours": 5_000.0,
        "cost": 97_500.0,
        "idle_cost": 28_080.0,
        "units_cost": 69_420.0,
        "cost_prefill": 27_768.0,
        "cost_decode": 41_652.0,
        "cost_unified": 0.0,
        "revenue_realised": 240_000.0,
        "revenue_theoretical": 350_000.0,
        "input_tokens": 400e9,
        "output_tokens": 110e9,
        "scale_ups": 80.0,
        "scale_downs": 90.0,
    }
    day_span = (1_000.0, 87_400.0)
    # Counters already ran before the day, and each is scraped beside the instant its books
    # reach: the first at the day's first instant, the second at its last.
    series = {q.expr: [(1.0, 100.0), (2.0, 100.0 + day[name])] for name, q in exprs.items()}
    series |= {q.as_of: [(1.0, day_span[0]), (2.0, day_span[1])] for q in exprs.values()}

    got = summary.read(series.__getitem__, "ns", "dsv3", 8, day_span, 376, 0.01, "USD")
    assert got.short == ()
    assert got.cost == pytest.approx(97_500.0)
    assert got.idle_cost == pytest.approx(28_080.0)
    assert got.idle_share == pytest.approx(0.288)
    assert got.units_cost == pytest.approx(69_420.0)
    assert got.margin == pytest.approx(240_000 / 97_500 - 1)
    # Prefill bore 40% of the units' cost: 40% of the pool's cost goes to input tokens.
    assert got.cost_per_million_input == pytest.approx(97_500 * 0.4 / 400e3)
    assert got.cost_per_million_output == pytest.approx(97_500 * 0.6 / 110e3)
    table = summary.render(got)
    assert "97,500.00 USD" in table
    assert "of which idle" in table and "28,080.00 USD (28.8%)" in table


def test_the_days_cost_is_read_from_the_pools_the_deployment_ran_on() -> None:
    exprs = summary.queries("ns", "dsv3", 8)
    assert exprs["cost"].expr == (
        'sum(tokenfleet_pool_cost_total and on (pool) tokenfleet_cost_total{namespace="ns",'
        'deployment="dsv3"})'
    )
    assert exprs["idle_cost"].expr.startswith("sum(tokenfleet_idle_cost_total and on (pool) ")
