"""One reconcile of one pool: observe, move drains along, size, act through the provider.

The order follows Karpenter's provisioner (wait, check synced, decide, act): nodes whose boot
has finished are settled first, drains in progress advance (a drained node is released or lent,
a reclaimed one returns to service), then the pool is observed again, sized by the pure
`sizing.plan`, and the plan carried out. A node chosen for draining is cordoned and its pods
listed again before anything else, so a pod that landed just before the cordon is seen. Events
and node changes are returned for the controller to report.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from tokenfleet.kube import client as kube_client
from tokenfleet.nodepools import drain, errors, metrics, nodes, observe, pods, provider, sizing

Action = metrics.Action
Obj = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Event:
    reason: str
    message: str
    warning: bool = False


@dataclasses.dataclass
class Report:
    """What one reconcile did: events to record, node changes to count."""

    events: list[Event] = dataclasses.field(default_factory=list)
    changes: collections.Counter[Action] = dataclasses.field(default_factory=collections.Counter)

    def note(self, action: Action, names: list[str], reason: str, message: str) -> None:
        if names:
            self.changes[action] += len(names)
            shown = ", ".join(names[:10]) + (
                f" and {len(names) - 10} more" if len(names) > 10 else ""
            )
            self.events.append(Event(reason, f"{message} ({len(names)}): {shown}"))


@dataclasses.dataclass(frozen=True)
class Draining:
    """A node a drain step looks at: the pods that must leave it, and whether it is coming
    back from training (a reclaim) rather than going."""

    name: str
    pods: Sequence[Obj]
    reclaim: bool = False


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What one reconcile decided, what it saw at its end, and what it did."""

    plan: sizing.Plan
    view: observe.View
    report: Report


def pods_on_nodes(kube: kube_client.Kube, names: Sequence[str]) -> dict[str, list[Obj]]:
    """The movable pods bound to each of `names`, read now from the API server (not a cache):
    a pod that landed just before the cordon must be seen. One LIST for all of them, however
    many nodes a step cordons."""
    if not names:
        return {}
    try:
        if len(names) == 1:
            found = kube.list("v1", "Pod", field_selector=f"spec.nodeName={names[0]}", fresh=True)
        else:
            found = kube.list("v1", "Pod", fresh=True)
    except kube_client.KubeError as exc:
        raise errors.from_kube("listing pods on draining nodes", exc) from exc
    out: dict[str, list[Obj]] = {name: [] for name in names}
    for pod in found:
        where = pods.node_name(pod)
        if where in out and pods.movable(pod):
            out[where].append(pod)
    return out


class Step:
    """One reconcile of one pool (create a fresh one each time)."""

    def __init__(
        self,
        kube: kube_client.Kube,
        prov: provider.Provider,
        pool: provider.Pool,
        now: dt.datetime,
    ) -> None:
        self.kube = kube
        self.prov = prov
        self.pool = pool
        self.now = now
        self.timeout = drain.timeout_seconds(pool.spec)
        self.lending = prov.name == "lending"

    def _read(self) -> tuple[provider.Observed, observe.View]:
        observed = self.prov.observe(self.pool)
        return observed, observe.read(self.kube, self.pool, observed, self.now)

    def run(self, memory: sizing.Memory) -> Outcome:
        out = Report()
        observed = self.prov.observe(self.pool)
        ready = self.prov.settle(self.pool, observed)
        out.note(Action.READY, ready, "NodesReady", "nodes ready")
        if ready:
            observed = self.prov.observe(self.pool)
        view = observe.read(self.kube, self.pool, observed, self.now)
        if self._advance_drains(view, out):
            observed, view = self._read()
        plan = sizing.plan(
            self.pool.spec, view.demand, view.nodes, self.now, memory, pending=observed.pending
        )
        self._act(plan, view, out)
        if not self.lending:
            released = out.changes[Action.RELEASED]
            if released:
                observed = self.prov.observe(self.pool)
            asked = self.prov.scale(self.pool, plan.held - released, observed)
            if asked:
                out.changes[Action.REQUESTED] += asked
                out.events.append(
                    Event("NodesRequested", f"asked for {asked} nodes: {plan.reason}")
                )
        if out.changes or plan.cancel:
            observed, view = self._read()
        return Outcome(plan=plan, view=view, report=out)

    def _advance_drains(self, view: observe.View, out: Report) -> bool:
        """Move every drain (and every reclaim) one step; True when some node changed state."""
        moving = []
        for node in view.nodes:
            obj = view.node_objects[node.name]
            back = nodes.reclaiming(obj)
            if node.state is sizing.NodeState.DRAINING or back:
                moving.append(Draining(node.name, view.pods_on[node.name], back))
        return self._drain(moving, view, out)

    def _drain(self, moving: Sequence[Draining], view: observe.View, out: Report) -> bool:
        """One drain step for each of `moving`, their API calls side by side; True when some
        node changed state (kept, back in service, released or lent)."""
        if not moving:
            return False
        decided = [
            (
                node,
                drain.decide(
                    node.pods,
                    view.live.status,
                    view.unit_pods,
                    nodes.drain_started(view.node_objects.get(node.name, {})) or self.now,
                    self.now,
                    self.timeout,
                ),
            )
            for node in moving
        ]
        aborted = [n.name for n, d in decided if d.abort]
        back = [n.name for n, d in decided if d.done and n.reclaim and not d.abort]
        done = [n.name for n, d in decided if d.done and not n.reclaim and not d.abort]
        evicting = [(n, d) for n, d in decided if not d.done and not d.abort]
        marked = self.kube.each(lambda name: nodes.mark_ready(self.kube, name), aborted + back)
        kept = [n for n, ok in zip(aborted, marked, strict=False) if ok]
        out.note(Action.KEPT, kept, "DrainCancelled", "a live unit's pod is on the node")
        returned = [n for n, ok in zip(back, marked[len(aborted) :], strict=True) if ok]
        out.note(Action.READY, returned, "NodesReclaimed", "back from training, in service")
        gone = self.prov.release(self.pool, done) if done else []
        action = Action.LENT if self.lending else Action.RELEASED
        verb = "lent to training" if self.lending else "released"
        out.note(action, gone, "NodesLent" if self.lending else "NodesReleased", verb)
        asked = drain.carry_out(self.kube, [d for _, d in evicting])
        for (node, decision), count in zip(evicting, asked, strict=True):
            if count:
                how = "deleted after the drain timeout" if decision.force else "evicted"
                out.events.append(Event("PodsEvicted", f"{node.name}: {count} pods {how}"))
        return bool(aborted or returned or gone)

    def _act(self, plan: sizing.Plan, view: observe.View, out: Report) -> None:
        ready = self.kube.each(lambda name: nodes.mark_ready(self.kube, name), plan.keep)
        kept = [n for n, ok in zip(plan.keep, ready, strict=True) if ok]
        out.note(Action.KEPT, kept, "NodesKept", f"drain stopped, needed again: {plan.reason}")
        if plan.reclaim:
            back = self.prov.reclaim(self.pool, plan.reclaim)
            out.note(Action.RECLAIMED, back, "NodesReclaiming", f"reclaiming: {plan.reason}")
        marked = self.kube.each(
            lambda name: nodes.mark_draining(self.kube, name, self.now), plan.drain
        )
        cordoned = [n for n, ok in zip(plan.drain, marked, strict=True) if ok]
        verb = "draining to lend" if self.lending else "draining to release"
        out.note(Action.DRAINING, cordoned, "NodesDraining", f"{verb}: {plan.reason}")
        on_nodes = pods_on_nodes(self.kube, cordoned)
        self._drain([Draining(name, on_nodes[name]) for name in cordoned], view, out)
