"""Which unit leaders the routers may send to, and when a leaving unit is drained: pure.

The routers discover their workers by label (`router.discovery_selectors`): a unit's leader
(rank-0) pod carries `tokenfleet.io/routable=true` exactly while the unit is live (every pod
Ready on the current template, `rollout.RolePlan.live`). A unit that stops being live (a pod
failed, it is rolled) loses the label at once. A unit past the desired count leaves gracefully:

1. its leader is unmarked and stamped `tokenfleet.io/draining-since` (the routers stop sending
   new requests to it; the controller also tells each router replica to drop it);
2. it is kept while its requests finish: until its engine reports no running and no queued
   request, or `router.drainTimeoutSeconds` after the stamp, whichever comes first;
3. then it is deleted.

A unit that was never routable (not Ready yet, or its pods already gone) has nothing to drain
and is deleted at once. A draining unit that is wanted again (demand came back) is marked
routable again and its stamp removed: no restart, no lost warm-up.

Everything is read from the pods and the clock, so a restarted operator resumes a drain where
the previous one left it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from tokenfleet import clock as clocks
from tokenfleet.workloads import labels, observe

Pod = Mapping[str, Any]


@dataclasses.dataclass(frozen=True)
class LeaderPatch:
    """A merge patch of one leader pod's routing label and drain stamp."""

    pod: str
    unit: int
    patch: dict[str, Any]
    leaves_router: bool
    """The patch takes the leader out of the routers (they must drop it too)."""


@dataclasses.dataclass(frozen=True)
class RoutingPlan:
    """What to write and what to delete for one role."""

    patches: tuple[LeaderPatch, ...] = ()
    delete: tuple[int, ...] = ()
    """Leaving units that are drained (or had nothing to drain): delete them now."""
    draining: tuple[int, ...] = ()
    """Leaving units still finishing requests: keep them, look again later."""
    unrouted: tuple[str, ...] = ()
    """Leader pods (by name) no router may keep: unmarked now, or draining."""


def leaders(pods: Sequence[Pod]) -> dict[int, Pod]:
    """Each unit's rank-0 pod (not being deleted), by unit index."""
    out: dict[int, Pod] = {}
    for pod in pods:
        index = observe.unit_index(pod)
        if index is None or labels.pod_rank(pod) != 0:
            continue
        if (pod.get("metadata") or {}).get("deletionTimestamp"):
            continue
        out[index] = pod
    return out


def routable(pod: Pod) -> bool:
    return ((pod.get("metadata") or {}).get("labels") or {}).get(labels.ROUTABLE) == "true"


def stamped(pod: Pod) -> bool:
    """Whether a leader carries a drain stamp, readable or not."""
    return labels.DRAINING_SINCE in ((pod.get("metadata") or {}).get("annotations") or {})


def holds_traffic(pod: Pod) -> bool:
    """Whether a leader is in the routers or still finishing their requests."""
    return routable(pod) or stamped(pod)


def draining_since(pod: Pod) -> dt.datetime | None:
    """When the leader left the router, from its stamp; None when it carries none (or an
    unreadable one, which counts as none: the drain starts over)."""
    value = ((pod.get("metadata") or {}).get("annotations") or {}).get(labels.DRAINING_SINCE)
    if not isinstance(value, str):
        return None
    try:
        since = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return since if since.tzinfo is not None else None


def _name(pod: Pod) -> str:
    return str((pod.get("metadata") or {}).get("name", ""))


def plan_routing(
    pods: Sequence[Pod],
    live: Collection[int],
    leaving: Collection[int],
    now: dt.datetime,
    drain_timeout_seconds: float,
    idle: Mapping[int, bool] | None = None,
) -> RoutingPlan:
    """Routing for one role: `live` units are routable, `leaving` ones (past the desired count)
    drain then go. `idle[i]` says whether leaving unit i's engine reported no running and no
    queued request after its drain began (absent: not known, wait for the timeout)."""
    idle = idle or {}
    heads = leaders(pods)
    patches: list[LeaderPatch] = []
    delete: list[int] = []
    draining: list[int] = []
    unrouted: list[str] = []
    for index in sorted(leaving):
        leader = heads.get(index)
        since = draining_since(leader) if leader is not None else None
        if leader is None or (since is None and not routable(leader)):
            delete.append(index)  # never routed, or its pods are gone: nothing to drain
            continue
        name = _name(leader)
        if since is None:
            stamp = {labels.DRAINING_SINCE: clocks.rfc3339(now)}
            patch = {"metadata": {"labels": {labels.ROUTABLE: None}, "annotations": stamp}}
            patches.append(LeaderPatch(name, index, patch, leaves_router=True))
            draining.append(index)
        elif idle.get(index) or (now - since).total_seconds() >= drain_timeout_seconds:
            delete.append(index)
        else:
            if routable(leader):  # marked again by someone else while it drains
                patch = {"metadata": {"labels": {labels.ROUTABLE: None}}}
                patches.append(LeaderPatch(name, index, patch, leaves_router=True))
            draining.append(index)
        unrouted.append(name)
    for index, leader in sorted(heads.items()):
        if index in leaving:
            continue
        name = _name(leader)
        again = stamped(leader)
        if index in live and (not routable(leader) or again):
            mark: dict[str, Any] = {"labels": {labels.ROUTABLE: "true"}}
            if again:  # wanted again before its drain ended
                mark["annotations"] = {labels.DRAINING_SINCE: None}
            patches.append(LeaderPatch(name, index, {"metadata": mark}, leaves_router=False))
        elif index not in live and routable(leader):
            patch = {"metadata": {"labels": {labels.ROUTABLE: None}}}
            patches.append(LeaderPatch(name, index, patch, leaves_router=True))
            unrouted.append(name)
    return RoutingPlan(
        patches=tuple(patches),
        delete=tuple(delete),
        draining=tuple(draining),
        unrouted=tuple(unrouted),
    )


def ready_units(pods: Sequence[Pod], nodes_per_unit: int, below: int) -> set[int]:
    """Units below index `below` whose `nodes_per_unit` pods are all Ready (LeaderWorkerSet
    groups, whose readiness the LWS status gives only as a count)."""
    counts: dict[int, int] = {}
    for pod in pods:
        index = observe.unit_index(pod)
        if index is not None and index < below and observe.pod_ready(pod):
            counts[index] = counts.get(index, 0) + 1
    return {index for index, ready in counts.items() if ready >= nodes_per_unit}
