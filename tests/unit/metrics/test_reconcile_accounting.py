"""One reconcile's bookkeeping from the spec: nodes held by ready, starting and degraded units,
capacity of the ready ones, tokens priced under the plan, and what a pool's nodes did."""

from __future__ import annotations

import datetime as dt
import pathlib

import pytest

from tokenfleet import clock as clocks
from tokenfleet.economics import idle, tokens
from tokenfleet.metrics import accounting
from tokenfleet.sim import fleet

from . import books

SAMPLE = pathlib.Path(__file__).parents[3] / "manifests" / "samples" / "deepseek-v3.yaml"


def reference() -> accounting.Deployment:
    loaded = fleet.load(SAMPLE)
    return accounting.Deployment(
        books.NS,
        loaded.deployment_name,
        loaded.deployment,
        loaded.pool_name,
        loaded.pool,
        loaded.plan_name,
        loaded.plan,
    )


UNITS = {
    "prefill": accounting.Units(desired=12, ready=10, starting=2),
    "decode": accounting.Units(desired=4, ready=3, degraded=1),
}


def test_every_held_unit_is_paid_and_only_ready_units_count_as_capacity() -> None:
    clock = clocks.FakeClock(books.START)
    ledger = books.ledger(clock)
    deployment = reference()
    since = clock.now()
    clock.advance(3600)
    served = {"decode": tokens.TokenCounts(output=10**9)}
    accounting.post(ledger, deployment, served, UNITS, since, clock.now())
    text = ledger.text()
    # 12 prefill units of 4 nodes and 4 decode units of 18 nodes, 8 GPUs at $2, for an hour.
    assert books.value(text, "tokenfleet_cost_total", role="prefill") == 12 * 4 * 16
    assert books.value(text, "tokenfleet_cost_total", role="decode") == 4 * 18 * 16
    capacity = "tokenfleet_capacity_tokens_per_second"
    assert books.value(text, capacity, role="prefill") == 10 * 4 * 73_700
    assert books.value(text, capacity, role="decode") == 3 * 18 * 14_800
    assert books.value(text, "tokenfleet_units_degraded", role="decode") == 1
    assert books.value(text, "tokenfleet_units_starting", role="prefill") == 2
    # R1 output at $2.19 per million; no prefill tokens were reported, none are invented.
    assert books.value(text, "tokenfleet_revenue_total", kind="theoretical") == pytest.approx(2190)
    assert books.value(text, "tokenfleet_tokens_total", role="prefill") is None


def test_committed_nodes_are_capped_at_what_the_role_holds() -> None:
    clock = clocks.FakeClock(books.START)
    ledger = books.ledger(clock)
    since = clock.now()
    clock.advance(60)
    accounting.post(ledger, reference(), {}, UNITS, since, clock.now(), committed={"decode": 1000})
    seconds = books.value(
        ledger.text(), "tokenfleet_gpu_seconds_total", role="decode", commitment="committed"
    )
    assert seconds == 4 * 18 * 8 * 60


def test_an_interval_that_ends_before_it_starts_is_refused() -> None:
    ledger = books.ledger(clocks.FakeClock(books.START))
    with pytest.raises(ValueError, match="end after it starts"):
        accounting.post(
            ledger, reference(), {}, UNITS, books.START, books.START - dt.timedelta(seconds=1)
        )


def test_node_use_tells_serving_warming_blocked_and_spare_nodes_apart() -> None:
    use = accounting.node_use(reference().spec, UNITS, pool_nodes=200)
    assert use == idle.NodeUse(serving=94, warming=8, blocked=18, unallocated=80)
    assert accounting.node_use(reference().spec, UNITS).unallocated == 0
