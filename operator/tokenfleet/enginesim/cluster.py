"""Simulate whichever engine pods run in a cluster: for the demo, where they are KWOK pods.

The pods (tokenfleet's role label set, phase Running) are read every `interval_seconds` real
seconds from a watch-backed cache of the cluster's pods; the simulator reads the last list.
Each pod keeps its namespace, name, deployment, role, unit and node, so the metrics the
simulator serves for it join to the same pod in Prometheus and in the operator. A unit whose
leader drains (it left the router) is shown idle, as a drained engine is.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tokenfleet.enginesim import fleet
from tokenfleet.kube import client as kube_client
from tokenfleet.signals import labels
from tokenfleet.workloads import routing


def sim_pod(pod: Mapping[str, Any]) -> fleet.SimPod | None:
    """The simulated pod for a Kubernetes Pod (as a dict), or None if it is no running engine."""
    metadata = pod.get("metadata") or {}
    pod_labels = metadata.get("labels") or {}
    deployment = pod_labels.get(labels.POD_DEPLOYMENT)
    role = pod_labels.get(labels.POD_ROLE)
    if (pod.get("status") or {}).get("phase") != "Running" or not deployment or not role:
        return None
    return fleet.SimPod(
        namespace=metadata.get("namespace", "default"),
        name=metadata.get("name", ""),
        deployment=deployment,
        role=role,
        unit=pod_labels.get(labels.POD_UNIT, "0"),
        node=(pod.get("spec") or {}).get("nodeName") or "",
    )


def sim_pods(listed: Sequence[Mapping[str, Any]]) -> list[fleet.SimPod]:
    """The simulated pods of the running engine pods in `listed`. A unit whose leader is
    draining (it left the router on scale-down, `workloads.routing`) serves no more."""
    draining = {
        (p.namespace, p.deployment, p.role, p.unit)
        for pod in listed
        if routing.draining_since(pod) is not None and (p := sim_pod(pod)) is not None
    }
    out = []
    for pod in listed:
        sim = sim_pod(pod)
        if sim is None:
            continue
        if (sim.namespace, sim.deployment, sim.role, sim.unit) in draining:
            sim = dataclasses.replace(sim, serving=False)
        out.append(sim)
    return out


class WatchedPods:
    """The cluster's engine pods (as dicts) from a watch-backed cache: one LIST at start, then
    only the changes. A LIST of 400 pods every second or two cost the demo's two cores more
    than the simulator's own work. Call it for the current list; `close()` stops the watch."""

    def __init__(self, kubeconfig: str | None = None) -> None:
        self._kube = kube_client.Kube.from_kubeconfig(kubeconfig)
        self._kube.watch([("v1", "Pod", None)])

    def __call__(self) -> list[dict[str, Any]]:
        listed = self._kube.list("v1", "Pod")  # from the cache once it is synced
        return [p for p in listed if labels.POD_ROLE in (p["metadata"].get("labels") or {})]

    def close(self) -> None:
        self._kube.close()


class ClusterPods:
    """The engine pods last listed; call it for the current list, run `watch()` to refresh."""

    def __init__(
        self, list_pods: Callable[[], list[dict[str, Any]]], interval_seconds: float = 0.5
    ) -> None:
        self._list = list_pods
        self._interval = interval_seconds
        self._pods: list[fleet.SimPod] = []

    def __call__(self) -> list[fleet.SimPod]:
        return self._pods

    async def refresh(self) -> None:
        listed = await asyncio.to_thread(self._list)
        self._pods = sim_pods(listed)

    async def watch(self) -> None:
        """Refreshes forever; a failed listing keeps the last list and is retried."""
        while True:
            try:
                await self.refresh()
            except Exception as error:  # the API server may be restarting; keep serving
                print(f"enginesim: listing pods failed: {error}", flush=True)
            await asyncio.sleep(self._interval)
