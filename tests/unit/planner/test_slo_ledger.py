"""The late-token budget used over the last day: the ledger status.slo reports from.

Covers: late over arrived over the window; a span straddling the window's start counts by its
share inside; spans older than the window are forgotten; nothing arrived is no fraction; the
share of the budget used; the span one planner step books, per role against its ready units
(the `simulate` definition), a role without a reading adding nothing.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tokenfleet.controllers import autoscaling
from tokenfleet.planner import slo
from tokenfleet.planner import state as st

from . import fleets


def test_the_fraction_is_late_over_arrived_over_the_last_day() -> None:
    ledger = slo.Ledger()
    ledger = ledger.add(slo.Span(end=3600.0, seconds=3600.0, arrived=1000.0, late=10.0))
    ledger = ledger.add(slo.Span(end=7200.0, seconds=3600.0, arrived=3000.0, late=0.0))
    figures = ledger.figures(7200.0)
    assert figures.fraction == pytest.approx(10 / 4000)
    assert figures.seconds == 7200.0
    assert figures.used(0.005) == pytest.approx(0.5)
    assert figures.used(None) is None


def test_a_span_straddling_the_window_counts_by_its_share_inside() -> None:
    ledger = slo.Ledger().add(slo.Span(end=3600.0, seconds=3600.0, arrived=1000.0, late=100.0))
    ledger = ledger.add(slo.Span(end=7200.0, seconds=3600.0, arrived=1000.0, late=0.0))
    # A window of 5400 s ending at 7200 keeps the second half of the first span.
    figures = ledger.figures(7200.0, window=5400.0)
    assert figures.fraction == pytest.approx(50 / 1500)
    assert figures.seconds == pytest.approx(5400.0)


def test_spans_older_than_the_window_are_forgotten_and_nothing_arrived_is_no_fraction() -> None:
    ledger = slo.Ledger().add(slo.Span(end=10.0, seconds=10.0, arrived=5.0, late=5.0))
    later = ledger.add(slo.Span(end=10.0 + slo.DAY_SECONDS, seconds=10.0, arrived=0.0, late=0.0))
    assert len(later.spans) == 1
    assert later.figures(10.0 + slo.DAY_SECONDS).fraction is None
    assert ledger.add(slo.Span(end=20.0, seconds=0.0, arrived=1.0, late=1.0)) == ledger


def test_a_step_books_each_roles_demand_against_its_ready_units() -> None:
    cfg = fleets.planner_config()  # prefill units of 2 x 500 tok/s, decode 3 x 100
    at = fleets.START + dt.timedelta(minutes=1)
    observation = st.Observation(
        at=at,
        roles={"prefill": fleets.seen(2500.0, ready=2), "decode": fleets.seen(None, ready=1)},
    )
    span = autoscaling.late_span(cfg, observation, 60.0)
    # Prefill: 2500 tok/s against 2 x 1000 for 60 s -> 500 x 60 late; decode unread.
    assert (span.arrived, span.late) == (2500.0 * 60, 500.0 * 60)
    assert span.end == at.timestamp()
