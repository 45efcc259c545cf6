"""The clusterapi provider: a Cluster API MachineDeployment's `spec.replicas` is the pool size.

The pool's nodes are the Nodes with its `tokenfleet.io/pool` label (the MachineDeployment's
bootstrap config sets it, with the pool's nodeLabels, through the kubelet's `--node-labels`).
Nodes asked for and not yet joined are `replicas` minus those Nodes. Growing and shrinking set
`replicas` with server-side apply, so the MachineDeployment records tokenfleet as the manager of
that one field. A drained node is released by marking its Machine (named by the Node's
`cluster.x-k8s.io/machine` annotation) with `cluster.x-k8s.io/delete-machine`, which Cluster
API deletes first when replicas drop, and lowering replicas by one: the node tokenfleet emptied
is the one that goes. Lowering replicas without a mark (`scale` below the nodes held) cancels
machines; Cluster API deletes machines that have no node before those that do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from tokenfleet import clock as clock_mod
from tokenfleet.api import gpu_node_pool as pool_api
from tokenfleet.kube import client as kube_client
from tokenfleet.nodepools import errors, nodes, provider

API_VERSION: Final = "cluster.x-k8s.io/v1beta2"
MACHINE_ANNOTATION: Final = "cluster.x-k8s.io/machine"
DELETE_MACHINE: Final = "cluster.x-k8s.io/delete-machine"


def replicas(machine_deployment: dict[str, Any]) -> int:
    """spec.replicas; Cluster API defaults an unset value to 1."""
    value = (machine_deployment.get("spec") or {}).get("replicas")
    return 1 if value is None else int(value)


class ClusterAPIProvider:
    """Sizes one MachineDeployment."""

    def __init__(self, kube: kube_client.Kube, clock: clock_mod.Clock) -> None:
        self.kube = kube
        self.clock = clock

    @property
    def name(self) -> str:
        return "clusterapi"

    @staticmethod
    def settings(pool: provider.Pool) -> pool_api.ClusterAPIProvider:
        if pool.spec.provider.cluster_api is None:
            raise errors.Misconfigured("spec.provider.clusterAPI is required for clusterapi")
        return pool.spec.provider.cluster_api

    def machine_deployment(self, pool: provider.Pool) -> dict[str, Any]:
        cfg = self.settings(pool)
        try:
            return self.kube.get(
                API_VERSION, "MachineDeployment", cfg.machine_deployment, cfg.namespace
            )
        except kube_client.NotFound as exc:
            raise errors.TargetNotFound(
                f"MachineDeployment {cfg.namespace}/{cfg.machine_deployment}: {exc.message} "
                "(create it, or install Cluster API's CRDs)"
            ) from exc
        except kube_client.KubeError as exc:
            raise errors.ApiFailure(
                f"reading MachineDeployment: {exc.message}", exc.status
            ) from exc

    def _set_replicas(self, pool: provider.Pool, count: int) -> None:
        cfg = self.settings(pool)
        body = {
            "apiVersion": API_VERSION,
            "kind": "MachineDeployment",
            "metadata": {"name": cfg.machine_deployment, "namespace": cfg.namespace},
            "spec": {"replicas": count},
        }
        try:
            self.kube.apply(body)
        except kube_client.KubeError as exc:
            raise errors.from_kube("setting MachineDeployment replicas", exc) from exc

    def observe(self, pool: provider.Pool) -> provider.Observed:
        md = self.machine_deployment(pool)
        found = nodes.list_nodes(self.kube, pool.label)
        joined = sum(1 for n in found if not nodes.released(n))
        return provider.Observed(nodes=found, pending=max(0, replicas(md) - joined))

    def settle(self, pool: provider.Pool, observed: provider.Observed) -> list[str]:
        return []

    def scale(self, pool: provider.Pool, held: int, observed: provider.Observed) -> int:
        before = replicas(self.machine_deployment(pool))
        if before != held:
            self._set_replicas(pool, held)
        return max(0, held - before)

    def release(self, pool: provider.Pool, names: Sequence[str]) -> list[str]:
        cfg = self.settings(pool)
        done: list[str] = []
        for node_name in names:
            node = self.kube.get_or_none("v1", "Node", node_name)
            if node is None or nodes.released(node):
                continue
            machine = nodes.node_annotations(node).get(MACHINE_ANNOTATION)
            if not machine:
                raise errors.Misconfigured(
                    f"node {node_name} has no {MACHINE_ANNOTATION} annotation: it was not made "
                    f"by MachineDeployment {cfg.machine_deployment}; label only its nodes "
                    f"with {next(iter(pool.label))}"
                )
            marks = {"metadata": {"annotations": {DELETE_MACHINE: nodes.rfc3339(self.clock.now())}}}
            try:
                self.kube.patch(API_VERSION, "Machine", machine, marks, cfg.namespace)
            except kube_client.NotFound:
                pass  # the Machine is gone already; the Node follows
            except kube_client.KubeError as exc:
                raise errors.from_kube(f"marking Machine {machine}", exc) from exc
            stamp = {
                "metadata": {
                    "annotations": {
                        nodes.RELEASED_AT: marks["metadata"]["annotations"][DELETE_MACHINE]
                    }
                }
            }
            try:
                self.kube.patch("v1", "Node", node_name, stamp)
            except kube_client.NotFound:
                pass
            except kube_client.KubeError as exc:
                raise errors.from_kube(f"marking node {node_name}", exc) from exc
            done.append(node_name)
        if done:
            self._set_replicas(pool, max(0, replicas(self.machine_deployment(pool)) - len(done)))
        return done

    def reclaim(self, pool: provider.Pool, names: Sequence[str]) -> list[str]:
        return []
