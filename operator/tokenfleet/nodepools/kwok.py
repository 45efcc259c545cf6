"""The kwok provider: simulated H800 nodes, as Node objects KWOK keeps alive.

A real provider, used by the tests and `make demo`: it creates `Node` objects that KWOK (run
with `--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake`) reports Ready and runs
pods on, with the allocatable we give them (`nvidia.com/gpu: gpusPerNode`, and the pool's
`provider.kwok.extendedResources`, such as the RDMA devices a real node's device plugin offers).

Provisioning: KWOK marks a node Ready within a second, so boot time is modelled on the Node
itself. A requested node is created at once with `tokenfleet.io/requested-at` and
`tokenfleet.io/ready-at` (requested-at + provisioningDelaySeconds, on the process clock) and the
`tokenfleet.io/provisioning:NoSchedule` taint, so nothing schedules on it and the pool counts it
as provisioning. `settle` removes both once the clock has passed ready-at. The delay is thus
measured on the same clock as everything else: under `make demo`'s fast clock a 10-minute boot
takes seconds. The nodes are owned by the GPUNodePool, so deleting the pool deletes them.
Names are `<pool>-<5 hex>`, a digest of the pool, the instant and an ordinal, so
a step repeated at the same instant creates nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Final

from tokenfleet import clock as clock_mod
from tokenfleet.api import common
from tokenfleet.kube import client as kube_client
from tokenfleet.nodepools import errors, nodes, provider
from tokenfleet.workloads import naming

KWOK_ANNOTATION: Final = {"kwok.x-k8s.io/node": "fake"}
CPU: Final = "192"
MEMORY: Final = "2Ti"
PODS: Final = "110"


def node_object(
    pool: provider.Pool, node_name: str, *, committed: bool, requested: str, ready_at: str | None
) -> dict[str, Any]:
    """A simulated node of `pool`: its labels and taints, GPUs as allocatable."""
    spec = pool.spec
    gpus = str(spec.gpus_per_node)
    node_labels = {
        **spec.node_labels,
        **pool.label,
        "kubernetes.io/hostname": node_name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "node.kubernetes.io/instance-type": f"kwok-{gpus}x{spec.gpu_type}",
        "nvidia.com/gpu.product": f"NVIDIA-{spec.gpu_type}",
        "nvidia.com/gpu.count": gpus,
        "type": "kwok",
        nodes.CAPACITY_TYPE: nodes.COMMITTED if committed else nodes.ON_DEMAND,
    }
    taints = [
        {"key": t.key, "value": t.value, "effect": t.effect.value}
        if t.value
        else {"key": t.key, "effect": t.effect.value}
        for t in spec.node_taints
    ]
    marks = {**KWOK_ANNOTATION, nodes.REQUESTED_AT: requested}
    if ready_at is not None:
        marks[nodes.READY_AT] = ready_at
        taints.append({"key": nodes.PROVISIONING_TAINT, "effect": "NoSchedule"})
    extended = spec.provider.kwok.extended_resources if spec.provider.kwok else {}
    resources = {**extended, "cpu": CPU, "memory": MEMORY, "pods": PODS, "nvidia.com/gpu": gpus}
    meta: dict[str, Any] = {"name": node_name, "labels": node_labels, "annotations": marks}
    if pool.uid:
        # Both are cluster-scoped: deleting the pool lets the garbage collector remove its nodes.
        meta["ownerReferences"] = [
            {
                "apiVersion": common.API_VERSION,
                "kind": "GPUNodePool",
                "name": pool.name,
                "uid": pool.uid,
            }
        ]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": meta,
        "spec": {"taints": taints} if taints else {},
        "status": {"capacity": dict(resources), "allocatable": dict(resources)},
    }


class KwokProvider:
    """Creates and deletes simulated nodes; their boot time passes on the process clock."""

    def __init__(self, kube: kube_client.Kube, clock: clock_mod.Clock) -> None:
        self.kube = kube
        self.clock = clock

    @property
    def name(self) -> str:
        return "kwok"

    def observe(self, pool: provider.Pool) -> provider.Observed:
        found = nodes.list_nodes(self.kube, pool.label)
        return provider.Observed(nodes=found)

    def settle(self, pool: provider.Pool, observed: provider.Observed) -> list[str]:
        now = self.clock.now()
        booted = []
        for node in observed.nodes:
            ready_at = nodes.parse_time(nodes.node_annotations(node).get(nodes.READY_AT))
            if ready_at is not None and ready_at <= now:
                booted.append(node)

        def finish(node: Mapping[str, Any]) -> bool:
            kept = [t for t in nodes.taints(node) if t.get("key") != nodes.PROVISIONING_TAINT]
            body = {"metadata": {"annotations": {nodes.READY_AT: None}}, "spec": {"taints": kept}}
            return nodes.patch(self.kube, nodes.name(node), body)

        patched = self.kube.each(finish, booted)
        return [nodes.name(n) for n, ok in zip(booted, patched, strict=True) if ok]

    def scale(self, pool: provider.Pool, held: int, observed: provider.Observed) -> int:
        kept = [n for n in observed.nodes if not nodes.released(n)]
        missing = held - len(kept)
        if missing <= 0:
            return 0
        now = self.clock.now()
        delay = pool.spec.provisioning_delay_seconds
        requested = nodes.rfc3339(now)
        ready_at = nodes.rfc3339(now + dt.timedelta(seconds=delay)) if delay > 0 else None
        leased = sum(
            1 for n in kept if nodes.node_labels(n).get(nodes.CAPACITY_TYPE) == nodes.COMMITTED
        )
        taken = {nodes.name(n) for n in observed.nodes}
        wanted = []
        for ordinal in range(missing):
            node_name = self._free_name(pool, requested, taken, ordinal)
            taken.add(node_name)
            wanted.append(
                node_object(
                    pool,
                    node_name,
                    committed=leased < pool.spec.committed_nodes,
                    requested=requested,
                    ready_at=ready_at,
                )
            )
            leased += 1

        def create(obj: Mapping[str, Any]) -> None:
            try:
                self.kube.apply(obj)
            except kube_client.KubeError as exc:
                raise errors.from_kube(f"creating node {obj['metadata']['name']}", exc) from exc

        self.kube.each(create, wanted)
        return missing

    @staticmethod
    def _free_name(pool: provider.Pool, requested: str, taken: set[str], ordinal: int) -> str:
        while True:
            suffix = naming.digest(f"{pool.name}/{requested}/{ordinal}", 5)
            candidate = naming.fit(pool.name, f"-{suffix}")
            if candidate not in taken:
                return candidate
            ordinal += 1

    def release(self, pool: provider.Pool, names: Sequence[str]) -> list[str]:
        def delete(node_name: str) -> bool:
            try:
                return self.kube.delete("v1", "Node", node_name)
            except kube_client.KubeError as exc:
                raise errors.from_kube(f"deleting node {node_name}", exc) from exc

        deleted = self.kube.each(delete, names)
        return [n for n, ok in zip(names, deleted, strict=True) if ok]

    def reclaim(self, pool: provider.Pool, names: Sequence[str]) -> list[str]:
        return []
