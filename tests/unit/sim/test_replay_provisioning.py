"""Virtual-time replay: units wait out the lead time, cost from the moment they are asked for.

Covered: the fleet is warm at the first row; a started unit serves only a lead time later and is
paid while it starts; removing cancels starting units before ready ones; the pool's maxNodes
caps what can be started; the policy is asked every autoscaling interval and sees the demand
of the row just past.
"""

from __future__ import annotations

import datetime as dt
import pathlib
from collections.abc import Mapping

import numpy as np

from tokenfleet.planner import config
from tokenfleet.planner import state as st
from tokenfleet.sim import fleet, policies, replay, run

from . import fleets


def _cfg(tmp_path: pathlib.Path, **pool: object) -> config.PlannerConfig:
    documents = fleets.docs()
    documents[0]["spec"].update(pool)
    loaded = fleet.load(fleets.write_fleet(tmp_path / "f.yaml", documents))
    return config.from_resources(loaded.deployment, loaded.pool_name, loaded.pool)


def _fixed(prefill: list[int], decode: list[int]) -> policies.FixedPolicy:
    return policies.FixedPolicy("fixed", {"prefill": np.array(prefill), "decode": np.array(decode)})


def test_units_serve_a_lead_time_after_they_are_asked_for(tmp_path: pathlib.Path) -> None:
    cfg = _cfg(tmp_path)
    trace = fleets.per_minute([0.0] * 14, [0.0] * 14)
    wanted = [1, 1, 1, 3] + [3] * 10
    timeline = replay.replay(_fixed(wanted, [0] * 14), trace, cfg, run.DEFAULT_START)
    # Row 0: warm, 1 ready. Row 3: 2 more asked for, serving from row 13 (600 s later).
    assert timeline.ready["prefill"].tolist() == [1] * 13 + [3]
    assert timeline.starting["prefill"].tolist() == [0, 0, 0] + [2] * 10 + [0]
    # Paid: every unit, ready or starting, at 2 nodes each.
    assert timeline.nodes.tolist() == [2, 2, 2] + [6] * 11


def test_removing_cancels_starting_units_first(tmp_path: pathlib.Path) -> None:
    cfg = _cfg(tmp_path)
    trace = fleets.per_minute([0.0] * 5, [0.0] * 5)
    timeline = replay.replay(_fixed([2, 4, 1, 1, 1], [0] * 5), trace, cfg, run.DEFAULT_START)
    # Row 1 starts 2; row 2 wants 1: both starting units go, then one ready unit.
    assert timeline.ready["prefill"].tolist() == [2, 2, 1, 1, 1]
    assert timeline.starting["prefill"].tolist() == [0, 2, 0, 0, 0]


def test_the_pool_caps_what_can_be_started(tmp_path: pathlib.Path) -> None:
    cfg = _cfg(tmp_path, maxNodes=10)
    trace = fleets.per_minute([0.0] * 3, [0.0] * 3)
    timeline = replay.replay(_fixed([1, 1, 1], [0, 5, 5]), trace, cfg, run.DEFAULT_START)
    # 2 prefill nodes held; 8 left fit two decode units of 3 nodes.
    assert timeline.starting["decode"].tolist() == [0, 2, 2]
    assert timeline.nodes.max() <= 10


class _Recorder:
    """A policy that writes down what it is shown and asks for nothing."""

    name = "recorder"

    def __init__(self, interval: float) -> None:
        self.interval_seconds = interval
        self.seen: list[tuple[int, dt.datetime, float | None]] = []

    def decide(
        self, row: int, at: dt.datetime, roles: Mapping[str, st.RoleObservation]
    ) -> Mapping[str, int]:
        self.seen.append((row, at, roles["prefill"].demand))
        return {"prefill": 1, "decode": 1}


def test_the_policy_is_asked_every_interval_with_the_last_rows_demand(
    tmp_path: pathlib.Path,
) -> None:
    cfg = _cfg(tmp_path)
    trace = fleets.per_minute([10.0, 20.0, 30.0, 40.0, 50.0], [1.0] * 5)
    recorder = _Recorder(interval=120)
    timeline = replay.replay(recorder, trace, cfg, run.DEFAULT_START)
    minute = dt.timedelta(minutes=1)
    assert recorder.seen == [
        (0, run.DEFAULT_START, 10.0),  # the first row sees itself: the fleet was running
        (2, run.DEFAULT_START + 2 * minute, 20.0),
        (4, run.DEFAULT_START + 4 * minute, 40.0),
    ]
    assert timeline.decisions == 3
