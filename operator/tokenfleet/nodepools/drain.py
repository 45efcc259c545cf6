"""Emptying a cordoned node without taking a live unit down.

`decide` is pure; `carry_out` does what it decided. A drain never evicts a pod of a live unit:
if a wanted unit's pod is found on the node (it landed there before the cordon), the drain is
called off and the node kept; a unit past its desired count that is still routable or
draining is waited for, however long, since units leave the router before their pods go (its
own `router.drainTimeoutSeconds` bounds that). Pods of units
that are leaving (past the desired count and out of the router) go as whole units: every pod
of the unit is evicted, wherever it runs, because an expert-parallel group with a hole serves
nothing. Other pods (training's on a node being reclaimed, strays) are evicted through the
Eviction API, so PodDisruptionBudgets hold. Once the drain timeout has passed on the clock,
what is left (but a routed unit) is deleted at once, budgets or not.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from tokenfleet.api import gpu_node_pool as pool_api
from tokenfleet.kube import client as kube_client
from tokenfleet.nodepools import errors, observe, pods

DEFAULT_TIMEOUT: Final = 600
"""Seconds a drain waits for pods to leave when the pool sets no drain timeout of its own."""

Obj = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Decision:
    """What to do with one draining node now."""

    done: bool = False
    """Nothing left to wait for: release, lend, or put back into service."""
    abort: bool = False
    """A live unit's pod is there: stop, keep the node."""
    evict: tuple[Obj, ...] = ()
    force: bool = False
    """The timeout has passed: delete what is left without waiting for budgets or grace."""
    left: int = 0
    """Pods still on the node."""


def timeout_seconds(spec: pool_api.GPUNodePoolSpec) -> int:
    """The pool's drain timeout: its lending setting, else `DEFAULT_TIMEOUT`."""
    if spec.provider.lending is not None:
        return spec.provider.lending.drain_timeout_seconds
    return DEFAULT_TIMEOUT


def decide(
    on_node: Sequence[Mapping[str, Any]],
    status: Callable[[Mapping[str, Any]], observe.UnitStatus],
    unit_pods: Mapping[pods.UnitKey, Sequence[Obj]],
    started: dt.datetime | None,
    now: dt.datetime,
    timeout: float,
) -> Decision:
    """One drain step for a node with these movable pods (no side effects).

    `status` tells where each pod's unit stands; `unit_pods` lists every pod of each unit.
    """
    movable = [p for p in on_node if pods.movable(p)]
    seen = [status(p) for p in movable]
    if observe.UnitStatus.WANTED in seen:
        return Decision(abort=True, left=len(movable))
    if not movable:
        return Decision(done=True)
    force = started is not None and (now - started).total_seconds() >= timeout
    chosen: dict[tuple[str, str], Obj] = {}
    for pod, where in zip(movable, seen, strict=True):
        if where is observe.UnitStatus.ROUTED:
            continue  # a unit drains (its own timeout) before its pods go; none overrides that
        key = pods.unit(pod)
        members = list(unit_pods.get(key, ())) if key is not None else []
        for member in [pod, *members]:
            meta = pods.meta(member)
            if force or not pods.terminating(member):
                chosen[(str(meta.get("namespace")), str(meta.get("name")))] = dict(member)
    return Decision(evict=tuple(chosen.values()), force=force, left=len(movable))


def evict(kube: kube_client.Kube, pod: Mapping[str, Any]) -> bool:
    """Ask the Eviction API to remove `pod`; False when a disruption budget refuses now."""
    meta = pods.meta(pod)
    name, namespace = str(meta["name"]), str(meta["namespace"])
    try:
        return kube.evict(name, namespace)
    except kube_client.KubeError as exc:
        raise errors.ApiFailure(
            f"evicting pod {namespace}/{name}: {exc.message}", exc.status
        ) from exc


def force_delete(kube: kube_client.Kube, pod: Mapping[str, Any]) -> None:
    """Delete `pod` now, without a grace period (the drain timeout has passed)."""
    meta = pods.meta(pod)
    name, namespace = str(meta["name"]), str(meta["namespace"])
    try:
        kube.delete("v1", "Pod", name, namespace, grace_period_seconds=0)
    except kube_client.KubeError as exc:
        raise errors.ApiFailure(
            f"deleting pod {namespace}/{name}: {exc.message}", exc.status
        ) from exc


def carry_out(kube: kube_client.Kube, decisions: Sequence[Decision]) -> list[int]:
    """Evict (or, past the timeout, delete) the pods the decisions of several nodes chose, all
    side by side (a scale-down drains dozens of nodes: one pod at a time, the pool's step would
    take seconds and the pool could not grow meanwhile). How many pods each decision asked to
    go."""
    work = [(i, pod, d.force) for i, d in enumerate(decisions) for pod in d.evict]

    def one(item: tuple[int, Obj, bool]) -> bool:
        _, pod, force = item
        if force:
            force_delete(kube, pod)
            return True
        return evict(kube, pod)

    asked = [0] * len(decisions)
    for (i, _, _), went in zip(work, kube.each(one, work), strict=True):
        asked[i] += int(went)
    return asked
