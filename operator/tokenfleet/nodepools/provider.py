"""The one contract every node-pool provider keeps.

A provider knows how nodes come and go on one kind of infrastructure; it does not decide how
many (that is `sizing`) nor which pods may leave a node (that is `drain`). The controller calls,
each reconcile: `observe`, `settle`, then per the plan `reclaim`, `scale` and, for nodes the
drain has emptied, `release`. Every method but `observe` writes; each is safe to repeat, so a
reconcile cut short by a crash is finished by the next one. Failures are `errors.ProviderError`
subclasses, never a raw API exception.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, Protocol

from tokenfleet.api import gpu_node_pool as pool_api
from tokenfleet.workloads import labels

Obj = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Pool:
    """The pool a call is about: its name (GPUNodePool is cluster-scoped) and spec."""

    name: str
    spec: pool_api.GPUNodePoolSpec
    uid: str | None = None
    """The GPUNodePool's uid, when known: kwok makes its nodes owned by the pool."""

    @property
    def label(self) -> dict[str, str]:
        """`tokenfleet.io/pool: <name>`, the label engine pods select and providers put on."""
        return labels.pool_label(self.name)


@dataclasses.dataclass(frozen=True)
class Observed:
    """What a provider sees of a pool."""

    nodes: tuple[Obj, ...] = ()
    """The pool's Node objects, in every state (lent ones included)."""
    pending: int = 0
    """Nodes asked for that have no Node object yet (machines booting)."""


class Provider(Protocol):
    """Adds, removes and lends the nodes of a pool."""

    @property
    def name(self) -> str:
        """The provider type, as written in spec.provider.type."""
        ...

    def observe(self, pool: Pool) -> Observed:
        """Read only: the pool's nodes and the nodes still to come.

        Raises `TargetNotFound` when the object the provider scales is missing, `Misconfigured`
        when the pool's settings cannot select its nodes, `ApiFailure` otherwise.
        """
        ...

    def settle(self, pool: Pool, observed: Observed) -> list[str]:
        """Finish what only time completes; returns the nodes that became Ready by it.

        The kwok provider turns nodes whose provisioning delay has passed on the clock into
        Ready, schedulable nodes; providers whose nodes boot elsewhere return []. Idempotent.
        """
        ...

    def scale(self, pool: Pool, held: int, observed: Observed) -> int:
        """Make the provider hold `held` nodes that are not lent (Nodes in any other state plus
        nodes still to come); returns how many nodes this call newly asked for.

        Idempotent: with a fresh observation, a second call with the same `held` writes nothing
        and returns 0. It never picks a Node to remove (that is `release`, after a drain): kwok
        only creates; clusterapi sets replicas (lowering it cancels machines not started yet);
        karpenter sets the GPU limit (and replicas); lending holds a fixed set and returns 0.
        """
        ...

    def release(self, pool: Pool, names: Sequence[str]) -> list[str]:
        """Take drained nodes out of inference for good; returns the names this call released.

        kwok deletes the Node; clusterapi marks its Machine for deletion and lowers replicas;
        karpenter deletes the Node (Karpenter terminates the instance); lending lends it to
        training. Idempotent: a node already gone (or already lent) is left out of the result,
        not an error.
        """
        ...

    def reclaim(self, pool: Pool, names: Sequence[str]) -> list[str]:
        """Bring lent nodes back towards inference; returns the names this call reclaimed.

        The node comes back cordoned and counted as provisioning until training's pods have
        left (the drain does that). Providers that never lend return []. Idempotent: a node not
        lent (or gone) is left out of the result.
        """
        ...


NAMES: tuple[str, ...] = tuple(t.value for t in pool_api.ProviderType)
"""Every provider name a pool may ask for."""
