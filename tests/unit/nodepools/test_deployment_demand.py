"""Demand read from an InferenceDeployment: units wanted now and one lead time ahead.

Covered: status.roles[*].desiredUnits when the deployment controller has written it; before
that, minUnits raised by the schedule's floor; the expected units at now + lead from the
schedule (how a lending pool knows to reclaim before the morning ramp), within maxUnits; a spec
that does not parse is skipped.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.unit.nodepools import builders as b

from tokenfleet.nodepools import observe


def infd(status: dict[str, Any] | None = None) -> dict[str, Any]:
    role = {"capacityPerNode": 1000, "minUnits": 1, "maxUnits": 6}
    return {
        "metadata": {"name": "v3", "namespace": "prod"},
        "spec": {
            "model": {"name": "deepseek-ai/DeepSeek-V3"},
            "engine": {"image": "sglang:latest"},
            "roles": {
                "prefill": {**role, "nodesPerUnit": 4},
                "decode": {**role, "nodesPerUnit": 18, "maxUnits": 3},
            },
            "nodePoolRef": {"name": "h800"},
            "autoscaling": {
                "schedule": {
                    "timeZone": "UTC",
                    "entries": [
                        {"start": "08:00", "end": "20:00", "minUnits": {"prefill": 5, "decode": 9}}
                    ],
                }
            },
        },
        "status": status or {},
    }


def test_units_come_from_status_when_the_deployment_controller_wrote_them() -> None:
    dep = observe.deployment_demand(
        infd({"roles": {"prefill": {"desiredUnits": 3}, "decode": {"desiredUnits": 2}}}),
        b.T0,
        dt.timedelta(0),
    )
    assert dep is not None
    assert {r: (d.desired, d.nodes_per_unit) for r, d in dep.roles.items()} == {
        "prefill": (3, 4),
        "decode": (2, 18),
    }
    assert dep.label == "v3"


def test_before_any_status_units_are_min_units_raised_by_the_schedule() -> None:
    night = observe.deployment_demand(infd(), b.T0, dt.timedelta(0))
    day = observe.deployment_demand(infd(), b.T0 + dt.timedelta(hours=9), dt.timedelta(0))
    assert night is not None and day is not None
    assert {r: d.desired for r, d in night.roles.items()} == {"prefill": 1, "decode": 1}
    assert {r: d.desired for r, d in day.roles.items()} == {"prefill": 5, "decode": 3}


def test_units_expected_one_lead_time_ahead_follow_the_schedule() -> None:
    seven_thirty = b.T0 + dt.timedelta(hours=7, minutes=30)
    dep = observe.deployment_demand(infd(), seven_thirty, dt.timedelta(minutes=40))
    assert dep is not None
    assert {r: (d.desired, d.expected) for r, d in dep.roles.items()} == {
        "prefill": (1, 5),
        "decode": (1, 3),  # the floor of 9 is cut to maxUnits
    }
    early = observe.deployment_demand(infd(), seven_thirty, dt.timedelta(minutes=20))
    assert early is not None
    assert all(d.expected == d.desired for d in early.roles.values())


def test_a_spec_that_does_not_parse_is_skipped() -> None:
    broken = infd()
    broken["spec"]["roles"] = {"prefill": {"nodesPerUnit": 0}}
    assert observe.deployment_demand(broken, b.T0, dt.timedelta(0)) is None
