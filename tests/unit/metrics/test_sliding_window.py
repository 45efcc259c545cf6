"""The last hour of clock time: what falls in it, what straddles its start, and that the
exported cost per million tokens slides with the clock even when nothing new is posted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tokenfleet import clock as clocks
from tokenfleet.economics import revenue, tokens
from tokenfleet.metrics import window

from . import books

T0 = books.START


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def entry(start: float, end: float, output: int = 0, cost: str = "0") -> window.Entry:
    return window.Entry(
        at(start), at(end), "decode", served=tokens.TokenCounts(output=output), cost=Decimal(cost)
    )


def test_entries_inside_the_hour_count_whole_and_older_ones_not_at_all() -> None:
    span = window.Window()
    span.add(entry(0, 10, output=1000, cost="1"))
    span.add(entry(60, 70, output=500, cost="2"))
    totals = span.totals(at(75))
    assert totals.served.output == 500
    assert totals.cost == Decimal(2)


def test_an_entry_straddling_the_start_counts_by_its_share_inside() -> None:
    span = window.Window()
    span.add(entry(0, 20, output=2000, cost="4"))
    totals = span.totals(at(75))  # the hour starts at minute 15: a quarter of the entry is in
    assert totals.served.output == 500
    assert totals.cost == Decimal(1)
    assert totals.cost_by_role == {"decode": Decimal(1)}


def test_revenue_is_shared_out_like_tokens_and_cost() -> None:
    span = window.Window()
    earned = revenue.Revenue(theoretical=Decimal(8), realised=Decimal(4))
    span.add(window.Entry(at(0), at(20), "prefill", earned=earned))
    assert span.totals(at(75)).earned == revenue.Revenue(Decimal(2), Decimal(1))


def test_an_instantaneous_entry_is_in_until_the_hour_has_passed_it() -> None:
    span = window.Window()
    span.add(entry(10, 10, output=7))
    assert span.totals(at(69)).served.output == 7
    assert span.totals(at(70)).served.output == 0


def test_entries_that_left_the_hour_are_dropped_when_new_ones_arrive() -> None:
    span = window.Window(dt.timedelta(minutes=30))
    for minute in range(0, 120, 10):
        span.add(entry(minute, minute + 10, output=1))
    assert span.totals(at(120)).served.output == 3
    assert len(span._entries) == 3


def test_a_window_must_have_a_length_and_entries_must_not_run_backwards() -> None:
    with pytest.raises(ValueError, match="longer than zero"):
        window.Window(dt.timedelta(0))
    with pytest.raises(ValueError, match="end after it starts"):
        window.Window().add(entry(10, 5))


def test_the_exported_cost_per_million_slides_with_the_clock_between_posts() -> None:
    clock = clocks.FakeClock(T0)
    fleet = books.ledger(clock)
    pool = books.pool()
    # An hour at 1 node serving 1M output tokens, then an hour at 2 nodes serving 1M more.
    for nodes in (1, 2):
        clock.advance(3600)
        fleet.observe_tokens(
            books.NS, books.DEPLOYMENT, books.R1, "decode", tokens.TokenCounts(output=10**6)
        )
        fleet.observe_nodes(books.NS, books.DEPLOYMENT, "decode", books.POOL, pool, nodes, 3600)

    def blended() -> float | None:
        return books.value(
            fleet.text(), "tokenfleet_cost_per_million_tokens", token_class="blended"
        )

    assert blended() == pytest.approx(32.0)  # 2 nodes x 8 GPUs x $2 for 1M tokens
    clock.advance(1800)  # half of the last hour has left the window: $16 for 0.5M tokens
    assert blended() == pytest.approx(32.0)
    clock.advance(1800)  # nothing left: no figure rather than a made-up one
    assert blended() is None
