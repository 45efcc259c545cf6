"""The lending provider: a fixed set of nodes shared with training (DeepSeek's day/night).

The set is the Nodes matching `provider.lending.nodeSelector` (the pool's nodeLabels but
`tokenfleet.io/pool` when empty). Nothing is created or deleted: a node inference does not
need is drained (by the controller: cordoned, whole units out of the router first, pods out,
the drain timeout honoured) and then lent: it loses `tokenfleet.io/pool` (engine pods select
it, so inference cannot land there), gains the training labels and taints (e.g. a Kueue
ResourceFlavor's), and is uncordoned for training. Reclaiming reverses that and leaves the node
cordoned, counted as provisioning, until training's pods have left; the controller starts it a
lead time ahead of the demand it expects (`sizing.lead_seconds`). A member of the set not yet
marked as the pool's (no pool label, not lent) joins inference on `settle`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tokenfleet import clock as clock_mod
from tokenfleet.api import gpu_node_pool as pool_api
from tokenfleet.kube import client as kube_client
from tokenfleet.nodepools import errors, nodes, provider


def _taint(t: pool_api.Taint) -> dict[str, str]:
    out = {"key": t.key, "effect": t.effect.value}
    if t.value:
        out["value"] = t.value
    return out


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a.get("key") == b.get("key") and a.get("effect") == b.get("effect")


class LendingProvider:
    """Lends idle nodes of a fixed set to training and takes them back."""

    def __init__(self, kube: kube_client.Kube, clock: clock_mod.Clock) -> None:
        self.kube = kube
        self.clock = clock

    @property
    def name(self) -> str:
        return "lending"

    @staticmethod
    def settings(pool: provider.Pool) -> pool_api.LendingProvider:
        if pool.spec.provider.lending is None:
            raise errors.Misconfigured("spec.provider.lending is required for lending")
        return pool.spec.provider.lending

    def selector(self, pool: provider.Pool) -> dict[str, str]:
        """Labels that pick the shared set; never the pool label, which lent nodes lose."""
        explicit = self.settings(pool).node_selector
        if set(explicit) & set(pool.label):
            raise errors.Misconfigured(
                f"select the shared nodes by labels other than {next(iter(pool.label))}: "
                "lent nodes lose it"
            )
        chosen = dict(explicit) or {
            k: v for k, v in pool.spec.node_labels.items() if k not in pool.label
        }
        if not chosen:
            raise errors.Misconfigured(
                "a lending pool needs labels that pick its shared nodes: set "
                "spec.provider.lending.nodeSelector (or spec.nodeLabels)"
            )
        return chosen

    def observe(self, pool: provider.Pool) -> provider.Observed:
        return provider.Observed(nodes=nodes.list_nodes(self.kube, self.selector(pool)))

    def settle(self, pool: provider.Pool, observed: provider.Observed) -> list[str]:
        joined = []
        for node in observed.nodes:
            marks = nodes.node_annotations(node)
            if nodes.LENT_SINCE in marks or nodes.RECLAIMING_SINCE in marks:
                continue
            if all(nodes.node_labels(node).get(k) == v for k, v in pool.label.items()):
                continue
            if nodes.patch(self.kube, nodes.name(node), {"metadata": {"labels": pool.label}}):
                joined.append(nodes.name(node))
        return joined

    def scale(self, pool: provider.Pool, held: int, observed: provider.Observed) -> int:
        return 0

    def release(self, pool: provider.Pool, names: Sequence[str]) -> list[str]:
        cfg = self.settings(pool)
        now = nodes.rfc3339(self.clock.now())
        lent = []
        for node_name in names:
            node = self.kube.get_or_none("v1", "Node", node_name)
            if node is None or nodes.LENT_SINCE in nodes.node_annotations(node):
                continue
            adding = [_taint(t) for t in cfg.training_taints]
            kept = [t for t in nodes.taints(node) if not any(_same(t, a) for a in adding)]
            body = {
                "metadata": {
                    "labels": {**dict.fromkeys(pool.label), **cfg.training_labels},
                    "annotations": {nodes.LENT_SINCE: now, nodes.DRAINING_SINCE: None},
                },
                "spec": {"taints": kept + adding, "unschedulable": None},
            }
            if nodes.patch(self.kube, node_name, body):
                lent.append(node_name)
        return lent

    def reclaim(self, pool: provider.Pool, names: Sequence[str]) -> list[str]:
        cfg = self.settings(pool)
        keep_keys = set(self.selector(pool))
        now = nodes.rfc3339(self.clock.now())
        back = []
        for node_name in names:
            node = self.kube.get_or_none("v1", "Node", node_name)
            if node is None or nodes.LENT_SINCE not in nodes.node_annotations(node):
                continue
            training = [_taint(t) for t in cfg.training_taints]
            kept = [t for t in nodes.taints(node) if not any(_same(t, a) for a in training)]
            dropped = {k: None for k in cfg.training_labels if k not in keep_keys}
            body = {
                "metadata": {
                    "labels": {**dropped, **pool.label},
                    "annotations": {nodes.LENT_SINCE: None, nodes.RECLAIMING_SINCE: now},
                },
                "spec": {"taints": kept, "unschedulable": True},
            }
            if nodes.patch(self.kube, node_name, body):
                back.append(node_name)
        return back
