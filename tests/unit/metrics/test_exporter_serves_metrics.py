"""The exporter over HTTP, as Prometheus scrapes it, on a registry of its own.

Covered: /metrics on a free loopback port with every metric of `names.ALL` once each kind of
observation was posted; two exporters in one process do not share series (no global registry);
the clock gauges (speed and time) of a scaled clock; a stopped server frees its port.
"""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from prometheus_client import CollectorRegistry, parser

from tokenfleet import clock as clocks
from tokenfleet.api import gpu_node_pool
from tokenfleet.economics import idle, tokens
from tokenfleet.metrics import exporter, names

from . import books


def post_everything(fleet: exporter.FleetLedger) -> None:
    plan, pool = books.plan(), books.pool()
    counts = tokens.TokenCounts.of(input=10**6, cached_input=4 * 10**5, output=10**5)
    for role in ("prefill", "decode"):
        fleet.observe_tokens(books.NS, books.DEPLOYMENT, books.R1, role, counts, plan=plan)
        fleet.observe_nodes(books.NS, books.DEPLOYMENT, role, books.POOL, pool, 4, 60)
        fleet.set_units(
            books.NS, books.DEPLOYMENT, role, desired=2, ready=1, starting=1, capacity=7e4
        )
        fleet.observe_decision(
            books.NS, books.DEPLOYMENT, role, names.Direction.UP, names.DecisionReason.FORECAST
        )
    fleet.set_condition(books.NS, books.DEPLOYMENT, "Degraded", False)
    fleet.set_late_tokens(books.NS, books.DEPLOYMENT, 0.0004, 0.001)
    fleet.set_books_as_of(books.NS, books.DEPLOYMENT, books.START)
    fleet.set_books_read_at(books.NS, books.DEPLOYMENT, books.START.timestamp())
    fleet.observe_pool(
        books.POOL,
        pool,
        gpu_node_pool.NodeCounts(ready=8, allocated=8),
        desired=8,
        use=idle.NodeUse(serving=8),
        seconds=60,
    )
    fleet.observe_prices(books.NS, books.PLAN, plan, books.START)


def test_every_metric_is_served_over_http_once_everything_was_posted() -> None:
    clock = clocks.FakeClock(books.START)
    fleet = books.ledger(clock)
    clock.advance(60)
    post_everything(fleet)
    serving = fleet.serve(0, "127.0.0.1")
    try:
        response = httpx.get(f"http://127.0.0.1:{serving.port}/metrics", timeout=5)
    finally:
        serving.stop()
    assert response.status_code == 200
    families = {f.name: f for f in parser.text_string_to_metric_families(response.text)}
    for metric in names.ALL:
        family = families.get(metric.name)
        assert family is not None, f"{metric.name} is not served"
        assert family.type == metric.kind.value
        assert family.samples, f"{metric.name} has no sample"
        for sample in family.samples:
            assert set(sample.labels) == {str(label) for label in metric.labels}, sample


def test_two_exporters_keep_their_own_series() -> None:
    clock = clocks.FakeClock(books.START)
    first, second = books.ledger(clock), books.ledger(clock)
    first.set_units(books.NS, "a", "decode", desired=1, ready=1)
    second.set_units(books.NS, "b", "decode", desired=5, ready=5)
    assert books.value(first.text(), "tokenfleet_units_ready", deployment="b") is None
    assert books.value(second.text(), "tokenfleet_units_ready", deployment="b") == 5


def test_an_exporter_refuses_a_registry_it_is_already_on() -> None:
    registry = CollectorRegistry()
    exporter.FleetLedger(clocks.FakeClock(books.START), registry)
    with pytest.raises(ValueError, match="Duplicated"):
        exporter.FleetLedger(clocks.FakeClock(books.START), registry)


def test_the_clock_gauges_tell_a_fast_demo_clock_from_real_time() -> None:
    start = dt.datetime(2025, 1, 6, tzinfo=dt.UTC)
    fleet = exporter.FleetLedger(clocks.ScaledClock(start, 288), CollectorRegistry())
    text = fleet.text()
    assert books.value(text, "tokenfleet_clock_speed") == pytest.approx(288)
    assert books.value(text, "tokenfleet_clock_time_seconds") == pytest.approx(
        start.timestamp(), abs=60
    )
    frozen = books.ledger(clocks.FakeClock(start))
    assert books.value(frozen.text(), "tokenfleet_clock_speed") == 1


def test_undefined_figures_are_left_out_rather_than_written_as_zero() -> None:
    fleet = books.ledger(clocks.FakeClock(books.START))
    fleet.observe_nodes(books.NS, books.DEPLOYMENT, "decode", books.POOL, books.pool(), 1, 60)
    text = fleet.text()
    per_million = "tokenfleet_cost_per_million_tokens"
    assert books.value(text, per_million, token_class="blended") is None
    assert books.value(text, "llm_cost_per_million_tokens") is None
    assert books.value(text, "tokenfleet_cost_total") == pytest.approx(16 / 60)
