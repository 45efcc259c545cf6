"""The operator stopped and started again in the middle of a replay, as after a crash: the new
one has none of the old one's memory (planner state, books, caches). It must rebuild the
planner's memory from the demand Prometheus kept (a PlannerMemoryRestored event says from how
much), take up the books where the old one's stopped: late tokens stay within 0.3 percentage points
of `tokenfleet simulate` of the same hours, the books within 0.5% both ways of what the engines
served over the span they cover (`demo.books`), the restart included, and the cost books
agree with the node-hours and the pool's cost with its units' and idle nodes'."""

from __future__ import annotations

import io
import pathlib
import re

import pytest
from tests.support import cluster as cluster_support
from tests.support.replay import WARMUP, assert_books_hold_what_the_engines_served, options

from tokenfleet.demo import driver
from tokenfleet.signals import prometheus

pytestmark = pytest.mark.integration

HOURS = 2
RESTART_HOUR = 1.0


def test_a_restarted_operator_rebuilds_its_memory_and_loses_no_token(
    cluster: cluster_support.Cluster,
    crds_installed: None,
    demo_prometheus: None,
    tmp_path: pathlib.Path,
) -> None:
    out = io.StringIO()
    result = driver.run(
        options("tokenfleet-e2e-restart", tmp_path, HOURS, restart_at_seconds=RESTART_HOUR * 3600),
        out,
    )
    text = out.getvalue()

    # The planner's memory: the warm-up and the first hour, per role, as Prometheus kept them,
    # a reading per decision interval (or per point of a week read in MAX_HISTORY_POINTS).
    # Some are missing: at the edges, and where a scrape of the simulator's whole-fleet page
    # outran the one-second scrape timeout on a busy machine (CI once kept 459 of 571).
    assert result.restarted is not None, text
    found = re.search(r"from (\d+) demand readings over the last ([\d.]+) h", result.restarted)
    assert found is not None, text
    hours = float(found.group(2))
    assert hours == pytest.approx(WARMUP / 3600 + RESTART_HOUR, abs=0.5), text
    every = max(30, 7 * 86400 / prometheus.MAX_HISTORY_POINTS)
    assert int(found.group(1)) >= 2 * 0.75 * hours * 3600 / every, text
    assert "books carried over from Prometheus" in (tmp_path / "operator.log").read_text()

    # The fleet is not late for the restart: late tokens within 0.3 pp of simulate. (How many
    # node-hours the planner spends against simulate is test_demo_loop's business.)
    sim = result.simulated
    assert abs(result.summary.late_token_fraction - sim.late_token_fraction) <= 0.003, text
    # The books lose nothing across it: tokens against what the engines served over the span,
    # the units' cost against their node-hours ($2 per GPU-hour, 8 GPUs a node), and the
    # pool's cost against its units' and idle nodes'.
    assert_books_hold_what_the_engines_served(result.books, HOURS, text)
    figures = result.summary
    assert figures.units_cost == pytest.approx(figures.node_hours * 16, rel=0.02), text
    assert figures.cost == pytest.approx(figures.units_cost + figures.idle_cost, rel=0.02), text
