"""One definition of a late token, for simulate, bench, the demo and the engine simulator.

Covered: the excess of arrivals over capacity x seconds, element-wise over spans; unlimited
capacity leaves none late; the demo's account cuts a span that straddles two trace rows at the
row edge, so idle capacity of a quiet row never serves a busy row's tokens (as simulate counts).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tokenfleet.demo import late as demo_late
from tokenfleet.sim import late
from tokenfleet.sim import trace as sim_trace


def test_late_tokens_are_the_excess_over_capacity_in_each_span() -> None:
    assert late.late_tokens(1_000.0, 10.0, 60.0) == 400.0
    assert late.late_tokens(500.0, 10.0, 60.0) == 0.0
    assert late.late_tokens(1_000.0, math.inf, 60.0) == 0.0
    arrived, capacity, seconds = np.array([1_000.0, 500.0]), np.full(2, 10.0), np.full(2, 60.0)
    spans = late.late_tokens(arrived, capacity, seconds)
    assert spans.tolist() == [400.0, 0.0]


def test_the_demo_counts_a_span_across_two_rows_row_by_row() -> None:
    # Row 0: 5 tok/s of prefill, row 1: 15 tok/s; one unit serves 10 tok/s.
    rows = [(0.0, 300.0, 0.0, 0.0), (60.0, 900.0, 0.0, 0.0)]
    account = demo_late.LateTokens(sim_trace.build("t", rows), {"prefill": 10.0})
    account.charge(30.0, 90.0, {"prefill": 1})
    assert account.arrived["prefill"] == pytest.approx(30 * 5 + 30 * 15)
    # Per row: 0 late in row 0's half, (15 - 10) x 30 in row 1's; counted over the whole span
    # the 150 idle tokens of row 0 would have hidden all but 0.
    assert account.late["prefill"] == pytest.approx(150.0)
