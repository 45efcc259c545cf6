"""How many nodes a pool should hold, and exactly which nodes to drain, keep or bring back.

Pure: no I/O, no clock read. The controller observes the pool and passes what it saw; this
module answers with a `Plan` and a sentence saying why. The rules, in order:

1. Needed nodes = Σ desired units × nodes per unit of the InferenceDeployments on the pool, plus
   the nodes other GPU pods on the pool take (running, or Pending for lack of a node). The
   target is that, raised to the demand expected one lead time ahead (`lead_seconds`: nodes must
   be Ready, or back from training, when a ramp starts, not when it is seen), never below
   `minNodes`, and for pools that release nodes never below `committedNodes` either: a leased
   node costs the same held or released, and it is Ready for the next ramp. Never above
   `maxNodes`, nor above the fixed set of a lending pool.
2. Growing: draining nodes are kept first (they are still there), then lent nodes come back
   (lending pools: nodes training leaves empty first, on-demand before committed, so committed
   nodes stay lent longest), then new nodes are asked for. Lent nodes brought back and new nodes
   count against `maxNodesAddedPerMinute` over a sliding minute.
3. Shrinking waits until the pool has held more than its target for `scaleDownDelaySeconds`
   (not when it holds more than `maxNodes`: that is fixed at once). Nodes asked for that have no
   Node yet are cancelled first; then nodes that run no live unit's pod (nor another GPU pod) are
   drained, to be released or lent once empty: on-demand before committed when releasing,
   committed before on-demand when lending (a leased node is paid anyway; training gets the most
   from it); nodes still provisioning, then empty ones, then ones with other pods; newest first.
   At most `maxNodesRemovedPerMinute` over a sliding minute. A busy node is never chosen.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Sequence

from tokenfleet.api import gpu_node_pool as pool_api

RATE_WINDOW = dt.timedelta(minutes=1)


class NodeState(enum.StrEnum):
    """Where a node of the pool is in its life."""

    PROVISIONING = "provisioning"
    """Asked for and not yet schedulable: booting, or coming back from training."""
    READY = "ready"
    DRAINING = "draining"
    """Cordoned, its pods leaving; then released or lent."""
    LENT = "lent"
    """Serving training, out of inference."""


@dataclasses.dataclass(frozen=True)
class PoolNode:
    """One node as the controller observed it."""

    name: str
    state: NodeState
    committed: bool = False
    """A leased node: paid whether used or not."""
    busy: bool = False
    """Runs a pod of a live unit, or another GPU pod: never drained."""
    occupied: bool = False
    """Runs other pods a drain would evict (on a lent node: training's pods)."""
    created: dt.datetime | None = None


@dataclasses.dataclass(frozen=True)
class Demand:
    """Nodes the pool's users need now, and are expected to need one lead time from now."""

    unit_nodes: int = 0
    """Σ desired units × nodes per unit over the InferenceDeployments on the pool."""
    other_nodes: int = 0
    """Nodes taken by other GPU pods on the pool, running or Pending."""
    expected_nodes: int | None = None
    """Nodes needed at now + `lead_seconds`, when something forecasts it (None: no forecast)."""

    @property
    def needed(self) -> int:
        return self.unit_nodes + self.other_nodes


@dataclasses.dataclass(frozen=True)
class Change:
    """Nodes added (asked for or brought back) and removed (drained) at one instant."""

    at: dt.datetime
    added: int = 0
    removed: int = 0


@dataclasses.dataclass(frozen=True)
class Memory:
    """What sizing needs from earlier reconciles (the controller keeps it on the pool object)."""

    changes: tuple[Change, ...] = ()
    """Changes of the last minute, for the rate limits."""
    surplus_since: dt.datetime | None = None
    """Since when the pool has held more nodes than its target."""


@dataclasses.dataclass(frozen=True)
class Plan:
    """One reconcile's decision."""

    target: int
    """Nodes the pool aims to hold (status.desiredNodes)."""
    wanted: int
    """The target before the pool's maximum was applied."""
    cap: int
    """The most nodes the pool can hold: maxNodes, or the fixed set of a lending pool."""
    held: int
    """Nodes (not lent) the provider should hold after this step, those to come included."""
    add: int = 0
    """New nodes to ask for."""
    cancel: int = 0
    """Nodes asked for but without a Node yet, no longer wanted."""
    keep: tuple[str, ...] = ()
    """Draining nodes to bring back into service (uncordon) instead of adding new ones."""
    reclaim: tuple[str, ...] = ()
    """Lent nodes to bring back from training."""
    drain: tuple[str, ...] = ()
    """Nodes to drain, then release (or lend, in a lending pool) once empty."""
    deferred: int = 0
    """Nodes to add that the rate limit holds back to a later step."""
    memory: Memory = Memory()
    reason: str = ""

    @property
    def at_maximum(self) -> bool:
        return self.wanted >= self.cap

    @property
    def short(self) -> int:
        """Nodes wanted beyond what the pool can ever hold (maxNodes, or the lending set)."""
        return max(0, self.wanted - self.cap)

    @property
    def changed(self) -> bool:
        return bool(self.add or self.cancel or self.keep or self.reclaim or self.drain)


def lead_seconds(spec: pool_api.GPUNodePoolSpec) -> int:
    """How far ahead the pool must see demand: its provisioning delay, plus the reclaim lead
    of a lending pool (training needs time to checkpoint and leave)."""
    lead = spec.provisioning_delay_seconds
    if spec.provider.lending is not None and spec.provider.type is pool_api.ProviderType.LENDING:
        lead += spec.provider.lending.reclaim_lead_seconds
    return lead


def _recent(changes: Sequence[Change], now: dt.datetime) -> tuple[Change, ...]:
    return tuple(c for c in changes if now - c.at < RATE_WINDOW)


def _newest_first(node: PoolNode) -> float:
    return -node.created.timestamp() if node.created else 0.0


def release_order(nodes: Sequence[PoolNode], *, lending: bool) -> list[PoolNode]:
    """Nodes that may be drained, best first (busy nodes are left out)."""

    def key(n: PoolNode) -> tuple[bool, bool, bool, float, str]:
        paid_anyway = not n.committed if lending else n.committed
        return (
            paid_anyway,
            n.state is not NodeState.PROVISIONING,
            n.occupied,
            _newest_first(n),
            n.name,
        )

    return sorted((n for n in nodes if not n.busy), key=key)


def reclaim_order(nodes: Sequence[PoolNode]) -> list[PoolNode]:
    """Lent nodes to bring back, best first: training leaves them empty, then on-demand ones."""
    return sorted(nodes, key=lambda n: (n.occupied, n.committed, n.name))


def keep_order(nodes: Sequence[PoolNode]) -> list[PoolNode]:
    """Draining nodes to keep, best first: committed ones (paid anyway), then the oldest."""
    return sorted(nodes, key=lambda n: (not n.committed, -_newest_first(n), n.name))


def plan(
    spec: pool_api.GPUNodePoolSpec,
    demand: Demand,
    nodes: Sequence[PoolNode],
    now: dt.datetime,
    memory: Memory = Memory(),
    *,
    pending: int = 0,
) -> Plan:
    """Decide one step for one pool (the rules are in the module docstring).

    `pending` counts nodes the provider was asked for that have no Node object yet.
    """
    lending = spec.provider.type is pool_api.ProviderType.LENDING
    by_state = {state: [n for n in nodes if n.state is state] for state in NodeState}
    active = by_state[NodeState.PROVISIONING] + by_state[NodeState.READY]
    draining, lent = by_state[NodeState.DRAINING], by_state[NodeState.LENT]
    have = len(active) + pending
    cap = min(spec.max_nodes, len(nodes)) if lending else spec.max_nodes
    floor = spec.min_nodes if lending else max(spec.min_nodes, spec.committed_nodes)
    wanted = max(demand.needed, demand.expected_nodes or 0, floor)
    target = min(wanted, cap)
    recent = _recent(memory.changes, now)
    added = sum(c.added for c in recent)
    removed = sum(c.removed for c in recent)
    why = _demand_words(demand, floor, wanted, target, cap, lending)
    held_now = have + len(draining)
    base = Plan(target=target, wanted=wanted, cap=cap, held=held_now, memory=Memory(recent))

    if target > have:
        need = target - have
        keep = tuple(n.name for n in keep_order(draining)[:need])
        need -= len(keep)
        budget = max(0, spec.scaling.max_nodes_added_per_minute - added)
        reclaim: tuple[str, ...] = ()
        add = 0
        if lending:
            reclaim = tuple(n.name for n in reclaim_order(lent)[: min(need, budget)])
        else:
            add = min(need, budget)
        deferred = need - len(reclaim) - add
        actions = [
            f"keeping {len(keep)} draining" if keep else "",
            f"bringing back {len(reclaim)} lent" if reclaim else "",
            f"adding {add}" if add else "",
        ]
        limit = spec.scaling.max_nodes_added_per_minute
        note = f"; {deferred} more after the limit of {limit}/min" if deferred else ""
        change = (Change(now, added=len(reclaim) + add),) if reclaim or add else ()
        return dataclasses.replace(
            base,
            held=held_now + add,
            add=add,
            keep=keep,
            reclaim=reclaim,
            deferred=deferred,
            memory=Memory(changes=recent + change),
            reason=f"{why}; holds {have}: {_join(actions) or 'waiting'}{note}",
        )

    if target == have:
        return dataclasses.replace(base, reason=f"{why}; holds {have}")

    surplus = have - target
    since = memory.surplus_since or now
    waited = (now - since).total_seconds()
    delay = spec.scaling.scale_down_delay_seconds
    if have <= cap and waited < delay:
        return dataclasses.replace(
            base,
            memory=Memory(recent, surplus_since=since),
            reason=f"{why}; holds {have}: {surplus} more than needed for {waited:.0f}s, "
            f"releasing after {delay}s",
        )
    budget = max(0, spec.scaling.max_nodes_removed_per_minute - removed)
    cancel = min(pending, surplus, budget)
    candidates = release_order(active, lending=lending)
    drain = tuple(n.name for n in candidates[: min(surplus - cancel, budget - cancel)])
    verb = "lending" if lending else "draining"
    actions = [
        f"cancelling {cancel} not yet started" if cancel else "",
        f"{verb} {len(drain)}" if drain else "",
    ]
    left = surplus - cancel - len(drain)
    note = ""
    if left and len(candidates) <= len(drain):
        note = f"; {left} more serve live units"
    elif left:
        note = f"; {left} more after the limit of {spec.scaling.max_nodes_removed_per_minute}/min"
    change = (Change(now, removed=cancel + len(drain)),) if cancel or drain else ()
    return dataclasses.replace(
        base,
        held=held_now - cancel,
        cancel=cancel,
        drain=drain,
        memory=Memory(changes=recent + change, surplus_since=since if left else None),
        reason=f"{why}; holds {have}: {_join(actions) or 'nothing to release'}{note}",
    )


def _join(parts: Sequence[str]) -> str:
    return ", ".join(p for p in parts if p)


def _demand_words(
    demand: Demand, floor: int, wanted: int, target: int, cap: int, lending: bool
) -> str:
    """'needs 40 nodes (units 36, other GPU pods 4)', with what raised or capped it."""
    words = (
        f"needs {demand.needed} nodes "
        f"(units {demand.unit_nodes}, other GPU pods {demand.other_nodes})"
    )
    if (
        demand.expected_nodes is not None
        and demand.expected_nodes > demand.needed
        and wanted == demand.expected_nodes
    ):
        words += f", {demand.expected_nodes} expected one lead time ahead"
    if wanted == floor and floor > max(demand.needed, demand.expected_nodes or 0):
        words += f", floor {floor}"
    if target < wanted:
        words += f", capped at {cap}" + (" (the lending set)" if lending else " (maxNodes)")
    return words
