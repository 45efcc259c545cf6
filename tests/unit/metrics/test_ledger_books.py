"""What the ledger makes of each observation: committed and on-demand GPU time, revenue across
a price-window edge, intervals that default to the last observation, currencies that cannot be
compared, a pool's idle cost by reason, prices in force, label sets at zero, and forgetting."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tokenfleet import clock as clocks
from tokenfleet.api import gpu_node_pool
from tokenfleet.economics import cost, idle, tokens
from tokenfleet.metrics import exporter

from . import books

OUT = tokens.TokenCounts(output=10**6)


@pytest.fixture
def clock() -> clocks.FakeClock:
    return clocks.FakeClock(books.START)


@pytest.fixture
def fleet(clock: clocks.FakeClock) -> exporter.FleetLedger:
    return books.ledger(clock)


def test_committed_and_on_demand_nodes_are_priced_and_counted_apart(
    fleet: exporter.FleetLedger,
) -> None:
    pool = books.pool(committedNodes=4, cost={"onDemandPerGpuHour": 2, "committedPerGpuHour": 1.5})
    spent = fleet.observe_nodes(
        books.NS, books.DEPLOYMENT, "decode", books.POOL, pool, 18, 3600, committed=4
    )
    assert spent == Decimal(4 * 8) * Decimal("1.5") + Decimal(14 * 8) * 2
    text = fleet.text()
    seconds = "tokenfleet_gpu_seconds_total"
    assert books.value(text, seconds, commitment="committed") == 4 * 8 * 3600
    assert books.value(text, seconds, commitment="on_demand") == 14 * 8 * 3600
    assert books.value(text, "tokenfleet_cost_total", role="decode") == float(spent)


def test_more_committed_than_held_nodes_or_negative_time_is_refused(
    fleet: exporter.FleetLedger,
) -> None:
    pool = books.pool()
    with pytest.raises(ValueError, match="committed"):
        fleet.observe_nodes(
            books.NS, books.DEPLOYMENT, "decode", books.POOL, pool, 2, 60, committed=3
        )
    with pytest.raises(ValueError, match="seconds"):
        fleet.observe_nodes(books.NS, books.DEPLOYMENT, "decode", books.POOL, pool, 2, -1)


def test_tokens_served_across_a_window_edge_are_priced_on_both_sides(
    fleet: exporter.FleetLedger,
) -> None:
    plan = books.plan(
        windows=[{"name": "night", "start": "16:30", "end": "00:30", "percentOff": 75}]
    )
    start = dt.datetime(2025, 2, 27, 16, tzinfo=dt.UTC)
    earned = fleet.observe_tokens(
        books.NS,
        books.DEPLOYMENT,
        books.R1,
        "decode",
        OUT,
        start + dt.timedelta(hours=1),
        since=start,
        plan=plan,
        plan_name="night",
    )
    # Half an hour at $2.19 per million, half an hour at a quarter of it.
    assert earned is not None
    assert earned.theoretical == Decimal("2.19")
    assert earned.realised == Decimal("2.19") * (Decimal("0.5") + Decimal("0.5") * Decimal("0.25"))


def test_an_interval_starts_where_the_roles_last_one_ended(
    fleet: exporter.FleetLedger, clock: clocks.FakeClock
) -> None:
    plan = books.plan(
        windows=[{"name": "night", "start": "05:00", "end": "06:00", "multiplier": "0"}]
    )
    first = fleet.observe_tokens(books.NS, books.DEPLOYMENT, books.R1, "decode", OUT, plan=plan)
    # The first observation has no interval: it is priced at its instant (04:00, list price).
    assert first is not None and first.realised == Decimal("2.19")
    clock.advance(2 * 3600)  # 04:00 -> 06:00, half of it free
    second = fleet.observe_tokens(books.NS, books.DEPLOYMENT, books.R1, "decode", OUT, plan=plan)
    assert second is not None and second.realised == Decimal("2.19") / 2
    with pytest.raises(ValueError, match="before"):
        fleet.observe_tokens(
            books.NS,
            books.DEPLOYMENT,
            books.R1,
            "decode",
            OUT,
            since=clock.now() + dt.timedelta(seconds=1),
        )


def test_no_plan_means_no_revenue_and_no_margin(fleet: exporter.FleetLedger) -> None:
    fleet.observe_tokens(books.NS, books.DEPLOYMENT, books.R1, "decode", OUT)
    fleet.observe_nodes(books.NS, books.DEPLOYMENT, "decode", books.POOL, books.pool(), 1, 60)
    text = fleet.text()
    assert books.value(text, "tokenfleet_revenue_total") is None
    assert books.value(text, "tokenfleet_margin_ratio", kind="realised") is None
    assert books.value(text, "tokenfleet_cost_per_million_tokens", token_class="output") is not None


def test_revenue_in_another_currency_than_cost_gives_no_margin(
    fleet: exporter.FleetLedger,
) -> None:
    fleet.observe_tokens(
        books.NS, books.DEPLOYMENT, books.R1, "decode", OUT, plan=books.plan(currency="CNY")
    )
    fleet.observe_nodes(books.NS, books.DEPLOYMENT, "decode", books.POOL, books.pool(), 1, 60)
    text = fleet.text()
    assert books.value(text, "tokenfleet_margin_ratio", kind="realised") is None
    per_million = "tokenfleet_revenue_per_million_tokens"
    assert books.value(text, per_million, kind="realised", currency="CNY") == pytest.approx(2.19)


def test_known_label_sets_start_at_zero(fleet: exporter.FleetLedger) -> None:
    fleet.set_units(books.NS, books.DEPLOYMENT, "prefill", desired=1, ready=0)
    fleet.observe_tokens(books.NS, books.DEPLOYMENT, books.R1, "prefill", tokens.TokenCounts())
    fleet.observe_pool(books.POOL, books.pool(), gpu_node_pool.NodeCounts())
    samples = books.scraped(fleet.text())
    decisions = [k for k in samples if k[0] == "tokenfleet_scale_decisions_total"]
    assert len(decisions) == 3 * 10
    assert all(samples[k] == 0 for k in decisions)
    classes = {dict(k[1])["token_class"] for k in samples if k[0] == "tokenfleet_tokens_total"}
    assert classes == {"input_cache_hit", "input_cache_miss"}
    reasons = {dict(k[1])["reason"] for k in samples if k[0] == "tokenfleet_idle_cost_total"}
    assert reasons == {"unallocated", "warming", "blocked", "unused_commitment"}
    states = {dict(k[1])["state"] for k in samples if k[0] == "tokenfleet_nodes"}
    assert states == {"ready", "allocated", "provisioning", "draining", "lent"}


def test_a_pools_cost_splits_into_serving_and_idle_by_reason(fleet: exporter.FleetLedger) -> None:
    spec = books.pool(committedNodes=10, cost={"onDemandPerGpuHour": 2, "committedPerGpuHour": 1})
    use = idle.NodeUse(serving=6, warming=4, blocked=2, unallocated=1)
    counts = gpu_node_pool.NodeCounts(ready=11, allocated=10, provisioning=2)
    spent = fleet.observe_pool(books.POOL, spec, counts, desired=13, use=use, seconds=3600)
    assert spent == cost.pool_cost(spec.cost, 8, 10, 13, 3600)
    text = fleet.text()
    idle_cost = "tokenfleet_idle_cost_total"
    # Serving and warming nodes take the 10 leased slots; blocked and unallocated pay on demand.
    assert books.value(text, idle_cost, reason="warming") == 4 * 8 * 1
    assert books.value(text, idle_cost, reason="blocked") == 2 * 8 * 2
    assert books.value(text, idle_cost, reason="unallocated") == 1 * 8 * 2
    assert books.value(text, idle_cost, reason="unused_commitment") == 0
    assert books.value(text, "tokenfleet_pool_cost_total") == float(spent)
    assert books.value(text, "tokenfleet_nodes", state="provisioning") == 2
    assert books.value(text, "tokenfleet_nodes_desired") == 13
    assert books.value(text, "tokenfleet_nodes_max") == 400
    assert books.value(text, "tokenfleet_nodes_committed") == 10


def test_leases_a_pool_does_not_hold_are_idle_cost(fleet: exporter.FleetLedger) -> None:
    spec = books.pool(committedNodes=10, cost={"onDemandPerGpuHour": 2, "committedPerGpuHour": 1})
    fleet.observe_pool(
        books.POOL, spec, gpu_node_pool.NodeCounts(ready=3), use=idle.NodeUse(serving=3), seconds=60
    )
    unused = books.value(fleet.text(), "tokenfleet_idle_cost_total", reason="unused_commitment")
    assert unused == pytest.approx(7 * 8 * 1 / 60)


def test_prices_in_force_carry_the_winning_window_and_move_on_with_it(
    fleet: exporter.FleetLedger,
) -> None:
    plan = books.plan(
        windows=[{"name": "night", "start": "16:30", "end": "00:30", "percentOff": 75}]
    )
    night = dt.datetime(2025, 2, 27, 17, tzinfo=dt.UTC)
    fleet.observe_prices(books.NS, "r1", plan, night)
    price = "tokenfleet_price_per_million_tokens"
    assert books.value(fleet.text(), price, token_class="output", window="night") == pytest.approx(
        2.19 / 4
    )
    fleet.observe_prices(books.NS, "r1", plan, night + dt.timedelta(hours=8))
    text = fleet.text()
    assert books.value(text, price, token_class="output", window="night") is None
    assert books.value(text, price, model="*", token_class="output", window="list") == 2.19


def test_forgotten_objects_leave_the_exposition(fleet: exporter.FleetLedger) -> None:
    fleet.set_units(books.NS, books.DEPLOYMENT, "decode", desired=2, ready=1)
    fleet.observe_pool(books.POOL, books.pool(), gpu_node_pool.NodeCounts(ready=1))
    fleet.observe_prices(books.NS, "r1", books.plan(), books.START)
    fleet.forget_deployment(books.NS, books.DEPLOYMENT)
    fleet.forget_pool(books.POOL)
    fleet.forget_plan(books.NS, "r1")
    left = {name for name, _ in books.scraped(fleet.text())}
    assert left == {"tokenfleet_clock_speed", "tokenfleet_clock_time_seconds"}
