"""The demo's day as the e2e replays run it: the trace, the sample fleet, and the demo's own
default speed and warm-up, so the tests judge the day a newcomer's `make demo` shows."""

from __future__ import annotations

import datetime as dt
import pathlib

import pytest
from tests.support import cluster as cluster_support

from tokenfleet.demo import books as books_mod
from tokenfleet.demo import driver

TRACE = cluster_support.ROOT / "traces" / "api-avgday-1d.csv"
SAMPLE = cluster_support.ROOT / "manifests" / "samples" / "deepseek-v3.yaml"
WARMUP = 14400
SPEED = 144
"""`tokenfleet demo`'s default."""


def options(
    namespace: str, out: pathlib.Path, hours: float, restart_at_seconds: float | None = None
) -> driver.Options:
    """The demo's day at its default speed and warm-up, the first `hours` of it."""
    return driver.Options(
        trace=TRACE,
        sample=SAMPLE,
        speed=SPEED,
        start=dt.datetime(2025, 1, 6, tzinfo=dt.UTC),
        warmup_seconds=WARMUP,
        namespace=namespace,
        out=out,
        keep=True,
        duration_seconds=hours * 3600,
        restart_at_seconds=restart_at_seconds,
    )


def assert_books_hold_what_the_engines_served(
    books: books_mod.Books, hours: float, text: str
) -> None:
    """The operator's books hold every token the engines served over the span they cover (up to
    their counters' newest samples): the trace's, plus what waited in the engines' queues at
    its start, less what waits at its end and what they dropped; within 0.5% both ways.

    The span covers the replayed hours: the books open (their as-of instant when the replay
    starts) a settle, a scrape and a step behind the clock, seconds that a busy machine
    stretches to a quarter of an hour of clock time, and the demo waits for them to reach the
    end."""
    assert -1800 <= books.span[0] <= 120, (books.span, text)
    assert books.span[1] >= hours * 3600, (books.span, text)
    served = books.served
    assert books.booked_input == pytest.approx(served.input, rel=0.005), text
    assert books.booked["input_cache_hit"] == pytest.approx(served.cached, rel=0.005), text
    assert books.booked["output"] == pytest.approx(served.output, rel=0.005), text
