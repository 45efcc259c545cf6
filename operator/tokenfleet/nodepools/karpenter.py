"""The karpenter provider: a Karpenter NodePool bounded to the pool's size.

Karpenter launches nodes for Pending pods on its own; tokenfleet bounds how many by the
NodePool's `spec.limits["nvidia.com/gpu"]` = nodes × gpusPerNode. With static capacity
(`provider.karpenter.staticReplicas`, Karpenter's alpha `spec.replicas`), Karpenter keeps exactly
`replicas` nodes instead, and its CRD allows no limit but `nodes` there, so only `replicas` is
set. Both writes are server-side applies of that one field. The NodePool's
`spec.template.metadata.labels` must carry `tokenfleet.io/pool: <pool>` (engine pods select it);
the pool's nodes are found by Karpenter's own `karpenter.sh/nodepool` label. A drained node is
released by lowering the bound first (so Karpenter does not replace it) and deleting the Node:
Karpenter's termination finalizer then deletes its NodeClaim and instance. Nodes still to come
are NodeClaims without a Node, or the bound less the Nodes joined, whichever is larger.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from tokenfleet import clock as clock_mod
from tokenfleet.api import gpu_node_pool as pool_api
from tokenfleet.kube import client as kube_client
from tokenfleet.nodepools import errors, nodes, pods, provider

API_VERSION: Final = "karpenter.sh/v1"
NODEPOOL_LABEL: Final = "karpenter.sh/nodepool"


class KarpenterProvider:
    """Bounds one Karpenter NodePool."""

    def __init__(self, kube: kube_client.Kube, clock: clock_mod.Clock) -> None:
        self.kube = kube
        self.clock = clock

    @property
    def name(self) -> str:
        return "karpenter"

    @staticmethod
    def settings(pool: provider.Pool) -> pool_api.KarpenterProvider:
        if pool.spec.provider.karpenter is None:
            raise errors.Misconfigured("spec.provider.karpenter is required for karpenter")
        return pool.spec.provider.karpenter

    def node_pool(self, pool: provider.Pool) -> dict[str, Any]:
        """The NodePool, checked against the pool's settings."""
        cfg = self.settings(pool)
        try:
            obj = self.kube.get(API_VERSION, "NodePool", cfg.node_pool)
        except kube_client.NotFound as exc:
            raise errors.TargetNotFound(
                f"Karpenter NodePool {cfg.node_pool}: {exc.message} "
                "(create it, or install Karpenter's CRDs)"
            ) from exc
        except kube_client.KubeError as exc:
            raise errors.from_kube(f"reading NodePool {cfg.node_pool}", exc) from exc
        spec = obj.get("spec") or {}
        static = spec.get("replicas") is not None
        if static != cfg.static_replicas:
            mode = "static (spec.replicas set)" if static else "dynamic (no spec.replicas)"
            raise errors.Misconfigured(
                f"NodePool {cfg.node_pool} is {mode} and Karpenter cannot switch modes: set "
                f"spec.provider.karpenter.staticReplicas to {str(static).lower()}"
            )
        template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        missing = {k: v for k, v in pool.label.items() if template_labels.get(k) != v}
        if missing:
            key, value = next(iter(missing.items()))
            raise errors.Misconfigured(
                f"NodePool {cfg.node_pool} must label its nodes {key}: {value} "
                "(spec.template.metadata.labels), or engine pods cannot land on them"
            )
        return obj

    def bound(self, pool: provider.Pool, node_pool: dict[str, Any]) -> int | None:
        """Nodes the NodePool is held to now: replicas, or the GPU limit over GPUs per node."""
        spec = node_pool.get("spec") or {}
        if self.settings(pool).static_replicas:
            return int(spec["replicas"])
        limit = (spec.get("limits") or {}).get(pods.GPU)
        if limit is None:
            return None
        try:
            return int(str(limit)) // pool.spec.gpus_per_node
        except ValueError:
            return None

    def _set_bound(self, pool: provider.Pool, count: int) -> None:
        cfg = self.settings(pool)
        spec: dict[str, Any] = (
            {"replicas": count}
            if cfg.static_replicas
            else {"limits": {pods.GPU: str(count * pool.spec.gpus_per_node)}}
        )
        body = {
            "apiVersion": API_VERSION,
            "kind": "NodePool",
            "metadata": {"name": cfg.node_pool},
            "spec": spec,
        }
        try:
            self.kube.apply(body)
        except kube_client.KubeError as exc:
            raise errors.from_kube(f"bounding NodePool {cfg.node_pool}", exc) from exc

    def observe(self, pool: provider.Pool) -> provider.Observed:
        np = self.node_pool(pool)
        selector = {NODEPOOL_LABEL: self.settings(pool).node_pool}
        found = nodes.list_nodes(self.kube, selector)
        try:
            claims = self.kube.list(API_VERSION, "NodeClaim", labels=selector)
        except kube_client.KubeError as exc:
            raise errors.from_kube("listing NodeClaims", exc) from exc
        waiting = sum(
            1
            for c in claims
            if not (c.get("status") or {}).get("nodeName")
            and not (c.get("metadata") or {}).get("deletionTimestamp")
        )
        # The bound is what was asked for: nodes below it that have not joined are on their way
        # (Karpenter launches them as soon as pods are Pending for them).
        joined = sum(1 for n in found if not nodes.released(n))
        waiting = max(waiting, (self.bound(pool, np) or 0) - joined)
        return provider.Observed(nodes=found, pending=waiting)

    def settle(self, pool: provider.Pool, observed: provider.Observed) -> list[str]:
        return []

    def scale(self, pool: provider.Pool, held: int, observed: provider.Observed) -> int:
        before = self.bound(pool, self.node_pool(pool))
        if before != held:
            self._set_bound(pool, held)
        return max(0, held - (before or 0))

    def release(self, pool: provider.Pool, names: Sequence[str]) -> list[str]:
        present = []
        for node_name in names:
            node = self.kube.get_or_none("v1", "Node", node_name)
            if node is not None and not nodes.released(node):
                present.append(node_name)
        if not present:
            return []
        before = self.bound(pool, self.node_pool(pool))
        if before is not None:
            self._set_bound(pool, max(0, before - len(present)))
        done = []
        for node_name in present:
            try:
                if self.kube.delete("v1", "Node", node_name):
                    done.append(node_name)
            except kube_client.KubeError as exc:
                raise errors.from_kube(f"deleting node {node_name}", exc) from exc
        return done

    def reclaim(self, pool: provider.Pool, names: Sequence[str]) -> list[str]:
        return []
