"""How many units each role should run right now, before and between planner decisions.

The autoscaling loop records its decision in status.lastDecision; the unit reconcile follows
it, clamped to the spec's bounds and the schedule's floor (so a spec edit that raises minUnits
or lowers maxUnits takes effect at once, without waiting for the planner). With no decision yet,
each role starts at the larger of minUnits and the schedule's floor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from tokenfleet.api import inference_deployment as infd_api
from tokenfleet.planner import schedule


def initial_or_decided(
    infd: infd_api.InferenceDeployment, at: dt.datetime, status: Mapping[str, Any] | None = None
) -> dict[str, int]:
    """Desired units per role at `at`."""
    decided = ((status or {}).get("lastDecision") or {}).get("units") or {}
    floors = schedule.minimum_units(infd.spec.autoscaling.schedule, at)
    out: dict[str, int] = {}
    for role, spec in infd.spec.roles.items():
        floor = max(spec.min_units, floors.get(role, 0))
        wanted = decided.get(role) if infd.spec.autoscaling.enabled else None
        units = floor if not isinstance(wanted, int) else max(floor, wanted)
        out[role] = min(units, spec.max_units)
    return out
