"""Which leaders the routers discover, and how a leaving unit drains.

Covers: a live unit's leader (rank 0 only) is marked routable once and then left alone; a unit
that stops being live loses the mark; a leaving unit is unmarked and stamped, kept while it
drains, and deleted once its engine is idle or the timeout has passed (whichever first); an
engine that cannot be read waits for the timeout; a unit that never was routable, or whose
pods are gone, is deleted at once; a draining unit wanted again is marked again and its stamp
removed; a stamp written back by a restarted operator resumes the drain where it was.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tokenfleet.workloads import labels, routing

NOW = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)


def pod(
    unit: int,
    rank: int,
    *,
    routable: bool = False,
    since: dt.datetime | None = None,
    deleting: bool = False,
) -> dict[str, Any]:
    marks = {labels.UNIT: str(unit), labels.STATEFULSET_POD_INDEX: str(rank)}
    if routable:
        marks[labels.ROUTABLE] = "true"
    meta: dict[str, Any] = {"name": f"prefill-{unit}-{rank}", "labels": marks}
    if since is not None:
        meta["annotations"] = {labels.DRAINING_SINCE: since.isoformat().replace("+00:00", "Z")}
    if deleting:
        meta["deletionTimestamp"] = "2026-12-03T11:59:00Z"
    return {"metadata": meta}


def unit(index: int, **leader: Any) -> list[dict[str, Any]]:
    return [pod(index, 0, **leader), pod(index, 1)]


def test_a_live_units_leader_alone_is_marked_routable_once() -> None:
    plan = routing.plan_routing([*unit(0), *unit(1)], live={0, 1}, leaving=(), now=NOW,
                                drain_timeout_seconds=300)  # fmt: skip
    assert [(p.pod, p.patch) for p in plan.patches] == [
        (f"prefill-{i}-0", {"metadata": {"labels": {labels.ROUTABLE: "true"}}}) for i in (0, 1)
    ]
    assert not any(p.leaves_router for p in plan.patches)
    marked = [*unit(0, routable=True), *unit(1, routable=True)]
    again = routing.plan_routing(marked, {0, 1}, (), NOW, 300)
    assert again == routing.RoutingPlan()


def test_a_unit_that_stops_being_live_loses_its_mark_and_leaves_the_routers() -> None:
    plan = routing.plan_routing([*unit(0, routable=True)], live=set(), leaving=(), now=NOW,
                                drain_timeout_seconds=300)  # fmt: skip
    (patch,) = plan.patches
    assert patch.patch == {"metadata": {"labels": {labels.ROUTABLE: None}}}
    assert patch.leaves_router
    assert plan.unrouted == ("prefill-0-0",)
    assert plan.delete == () and plan.draining == ()


def test_a_leaving_unit_is_unmarked_stamped_and_kept_while_it_drains() -> None:
    plan = routing.plan_routing([*unit(1, routable=True)], live=(), leaving={1}, now=NOW,
                                drain_timeout_seconds=300)  # fmt: skip
    (patch,) = plan.patches
    assert patch.patch == {
        "metadata": {
            "labels": {labels.ROUTABLE: None},
            "annotations": {labels.DRAINING_SINCE: "2026-12-03T12:00:00Z"},
        }
    }
    assert patch.leaves_router
    assert plan.draining == (1,) and plan.delete == ()
    assert plan.unrouted == ("prefill-1-0",)


def test_a_draining_unit_goes_when_its_engine_is_idle_or_the_timeout_has_passed() -> None:
    started = NOW - dt.timedelta(seconds=120)
    pods = unit(1, since=started)
    busy = routing.plan_routing(pods, (), {1}, NOW, 300, idle={1: False})
    assert (busy.draining, busy.delete, busy.patches) == ((1,), (), ())
    assert busy.unrouted == ("prefill-1-0",)  # routers are still told to keep it out
    unknown = routing.plan_routing(pods, (), {1}, NOW, 300)
    assert unknown.draining == (1,)
    idle = routing.plan_routing(pods, (), {1}, NOW, 300, idle={1: True})
    assert (idle.delete, idle.draining) == ((1,), ())
    late = routing.plan_routing(pods, (), {1}, NOW + dt.timedelta(seconds=180), 300, {1: False})
    assert (late.delete, late.draining) == ((1,), ())
    just_before = routing.plan_routing(pods, (), {1}, NOW + dt.timedelta(seconds=179), 300)
    assert just_before.draining == (1,)


def test_a_unit_with_nothing_to_drain_is_deleted_at_once() -> None:
    never_routed = routing.plan_routing(unit(2), (), {2}, NOW, 300)
    assert (never_routed.delete, never_routed.patches) == ((2,), ())
    no_pods = routing.plan_routing([], (), {2}, NOW, 300)
    assert no_pods.delete == (2,)
    leader_going = [pod(2, 0, routable=True, deleting=True), pod(2, 1)]
    assert routing.plan_routing(leader_going, (), {2}, NOW, 300).delete == (2,)
    zero_timeout = routing.plan_routing(unit(2, since=NOW), (), {2}, NOW, 0)
    assert zero_timeout.delete == (2,)


def test_a_draining_unit_wanted_again_is_marked_again_and_its_stamp_removed() -> None:
    plan = routing.plan_routing(unit(1, since=NOW), live={1}, leaving=(), now=NOW,
                                drain_timeout_seconds=300)  # fmt: skip
    (patch,) = plan.patches
    assert patch.patch == {
        "metadata": {
            "labels": {labels.ROUTABLE: "true"},
            "annotations": {labels.DRAINING_SINCE: None},
        }
    }
    assert not patch.leaves_router and plan.delete == () and plan.unrouted == ()


def test_an_unreadable_stamp_starts_the_drain_over_rather_than_ending_it() -> None:
    pods = unit(1, routable=True)
    pods[0]["metadata"]["annotations"] = {labels.DRAINING_SINCE: "yesterday"}
    plan = routing.plan_routing(pods, (), {1}, NOW, 300)
    assert plan.draining == (1,)
    assert plan.patches[0].patch["metadata"]["annotations"] == {
        labels.DRAINING_SINCE: "2026-12-03T12:00:00Z"
    }


def test_leaders_in_the_routers_or_draining_hold_traffic() -> None:
    assert routing.holds_traffic(pod(0, 0, routable=True))
    assert routing.holds_traffic(pod(0, 0, since=NOW))
    assert not routing.holds_traffic(pod(0, 0))


def test_ready_units_counts_whole_groups_below_the_bound() -> None:
    def ready(p: dict[str, Any]) -> dict[str, Any]:
        return {**p, "status": {"conditions": [{"type": "Ready", "status": "True"}]}}

    pods = [ready(p) for p in [*unit(0), *unit(1), *unit(2)]][:-1]  # unit 2 lacks rank 1
    assert routing.ready_units(pods, nodes_per_unit=2, below=3) == {0, 1}
    assert routing.ready_units(pods, nodes_per_unit=2, below=1) == {0}
