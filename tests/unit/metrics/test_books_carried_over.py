"""A restarted operator takes up the books its predecessor left in Prometheus.

Covered: every carried counter of a ledger, exported and read back as Prometheus answers
`last_over_time`, starts a new ledger at the same values (tokens, GPU-seconds, cost, revenue,
decisions, pool and idle cost), and what is posted afterwards adds to them; the larger of two
replicas' values counts; label sets the ledger does not know are skipped; the clock instant of
the instants each cost book reached and each deployment's read instant are kept for the
controllers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tokenfleet import clock as clocks
from tokenfleet.economics import tokens
from tokenfleet.metrics import carryover, collector, names

from . import books
from .test_exporter_serves_metrics import post_everything


class LastScrape:
    """Answers `last_over_time(<metric>[...])` from one exporter's samples, as Prometheus does
    (target labels added), each metric queried by its exported name."""

    def __init__(self, samples: list[tuple[str, dict[str, str], float]]) -> None:
        self.samples = samples
        self.asked: list[str] = []

    def custom_query(self, query: str, params: dict[str, str] | None = None) -> Any:
        self.asked.append(query)
        name = query.removeprefix("last_over_time(").split("[")[0]
        return [
            {"metric": {**labels, "job": "tokenfleet", "instance": "a"}, "value": [0, repr(v)]}
            for exported, labels, v in self.samples
            if exported == name
        ]


def carried_values(fleet_samples: list[tuple[str, dict[str, str], float]]) -> dict[Any, float]:
    wanted = {m.exported for m in carryover.CARRIED}
    return {
        (name, tuple(sorted(labels.items()))): value
        for name, labels, value in fleet_samples
        if name in wanted
    }


def test_a_new_ledger_starts_every_carried_counter_where_the_old_one_left_it() -> None:
    clock = clocks.FakeClock(books.START)
    old = books.ledger(clock)
    clock.advance(60)
    post_everything(old)
    exported = list(collector.samples(old.collector))

    carried = carryover.read("http://prometheus", client=LastScrape(exported))
    new = books.ledger(clock)
    taken = new.carry_over(carried)

    before = carried_values(exported)
    assert taken == len(before)
    assert carried_values(list(collector.samples(new.collector))) == before
    # Each cost book goes on from the instant it reached; the token books from their read.
    posted = books.START + dt.timedelta(seconds=60)
    assert new.resumed_at(books.NS, books.DEPLOYMENT) == posted
    assert new.pool_resumed_at(books.POOL) == posted
    assert new.pool_resumed_at("another-pool") is None
    assert new.resumed_at(books.NS, "another-deployment") is None
    assert new.books_read_at(books.NS, books.DEPLOYMENT) == books.START.timestamp()


def test_what_is_posted_after_the_restart_adds_to_the_carried_totals() -> None:
    clock = clocks.FakeClock(books.START)
    old = books.ledger(clock)
    clock.advance(60)
    post_everything(old)
    new = books.ledger(clock)
    new.carry_over(
        carryover.read("http://p", client=LastScrape(list(collector.samples(old.collector))))
    )

    more = tokens.TokenCounts.of(input=0, cached_input=0, output=123)
    new.observe_tokens(books.NS, books.DEPLOYMENT, books.R1, "decode", more)

    def output(fleet: Any) -> float:
        return sum(
            v
            for name, labels, v in collector.samples(fleet.collector)
            if name == names.TOKENS.exported and labels[names.Label.TOKEN_CLASS] == "output"
        )

    assert output(new) == output(old) + 123


def test_the_larger_of_two_replicas_counts_and_unknown_label_sets_are_skipped() -> None:
    labels = {
        "namespace": books.NS,
        "deployment": books.DEPLOYMENT,
        "role": "decode",
        "model": books.R1,
        "token_class": "output",
    }
    odd = {**labels, "token_class": "not-a-class"}
    carried = carryover.Carried(
        samples=(
            (names.TOKENS, labels, 100.0),
            (names.TOKENS, labels, 250.0),
            (names.TOKENS, odd, 7.0),
        )
    )
    fleet = books.ledger(clocks.FakeClock(books.START))
    assert fleet.carry_over(carried) == 2
    found = [
        v
        for name, got, v in collector.samples(fleet.collector)
        if name == names.TOKENS.exported and got[names.Label.TOKEN_CLASS] == "output"
    ]
    assert found == [250.0]


def test_nothing_is_carried_when_prometheus_holds_no_books() -> None:
    carried = carryover.read("http://p", client=LastScrape([]))
    assert not carried
    fleet = books.ledger(clocks.FakeClock(books.START))
    assert fleet.carry_over(carried) == 0
    assert fleet.resumed_at(books.NS, books.DEPLOYMENT) is None
    assert fleet.pool_resumed_at(books.POOL) is None
    assert fleet.books_read_at(books.NS, books.DEPLOYMENT) is None
