"""The demo's books check: what the engines served over the span is the trace's tokens, plus
what waited in their queues at its start, less what waits at its end and what they dropped,
taken from the role that serves each kind (prefill: input and cached, decode: output)."""

from __future__ import annotations

import pytest

from tokenfleet.demo import books
from tokenfleet.enginesim import demand


def test_the_engines_served_the_trace_and_their_backlog_less_what_waits_and_was_dropped() -> None:
    start = {("prefill", "input"): 100.0, ("prefill", "cached"): 40.0, ("decode", "output"): 30.0}
    end = {("prefill", "input"): 20.0, ("prefill", "cached"): 10.0, ("decode", "output"): 0.0}
    span = books.Books(
        booked={},
        arrived=demand.Tokens(input=1000.0, cached=500.0, output=300.0),
        span=(0.0, 3600.0),
        waiting=(start, end),
        dropped={("decode", "output"): 7.0, ("prefill", "input"): 8.0},
    )
    assert span.served == demand.Tokens(
        input=1000 + 100 - 20 - 8, cached=500 + 40 - 10, output=300 + 30 - 0 - 7
    )


def test_the_other_roles_queue_does_not_count_for_a_kind() -> None:
    # Decode's queue holds prompts too; only prefill serves input into the books.
    queues = {("decode", "input"): 500.0, ("prefill", "output"): 50.0}
    span = books.Books(
        booked={}, arrived=demand.Tokens(10.0, 5.0, 2.0), span=(0.0, 1.0), waiting=(queues, {})
    )
    assert span.served == demand.Tokens(10.0, 5.0, 2.0)


def test_a_unified_role_serves_every_kind() -> None:
    queues = {("unified", "input"): 7.0, ("unified", "output"): 3.0}
    span = books.Books(
        booked={}, arrived=demand.Tokens(10.0, 0.0, 2.0), span=(0.0, 1.0), waiting=(queues, {})
    )
    assert span.served.input == pytest.approx(17.0) and span.served.output == pytest.approx(5.0)


def test_the_line_sets_the_books_beside_what_the_engines_served_and_the_trace_sent() -> None:
    span = books.Books(
        booked={"input_cache_hit": 0.5e9, "input_cache_miss": 0.5e9, "output": 0.3e9},
        arrived=demand.Tokens(0.9e9, 0.4e9, 0.3e9),
        span=(0.0, 1.0),
        waiting=({("prefill", "input"): 0.1e9, ("prefill", "cached"): 0.1e9}, {}),
    )
    assert books.line(span) == (
        "  books        input 1.0B of the engines' 1.0B (+0.00%), cached +0.00%, output 0.3B "
        "of 0.3B (+0.00%); the trace sent 0.9B / 0.3B in the span"
    )
