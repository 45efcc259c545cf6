"""Simulate whichever engine pods run in a cluster: for the demo, where they are KWOK pods.

The pods are listed (tokenfleet's role label set, phase Running) every `interval_seconds` real
seconds in a worker thread, through the Kubernetes client; the simulator reads the last list.
Each pod keeps its namespace, name, deployment, role, unit and node, so the metrics the
simulator serves for it join to the same pod in Prometheus and in the operator.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from tokenfleet.enginesim import fleet
from tokenfleet.signals import labels


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


def kubernetes_lister(
    kubeconfig: str | None = None, namespace: str | None = None
) -> Callable[[], list[dict[str, Any]]]:
    """A blocking function listing engine pods as dicts (all namespaces unless one is given)."""
    from kubernetes import client, config

    config.load_kube_config(config_file=kubeconfig)  # type: ignore[no-untyped-call]
    api = client.CoreV1Api()

    def list_pods() -> list[dict[str, Any]]:
        selector = labels.POD_ROLE
        if namespace:
            listed = api.list_namespaced_pod(namespace, label_selector=selector)
        else:
            listed = api.list_pod_for_all_namespaces(label_selector=selector)
        # The wire form (camelCase dicts), as the rest of tokenfleet handles objects.
        wire: dict[str, Any] = api.api_client.sanitize_for_serialization(listed)
        items: list[dict[str, Any]] = wire.get("items", [])
        return items

    return list_pods


class ClusterPods:
    """The engine pods last listed; call it for the current list, run `watch()` to refresh."""

    def __init__(
        self, list_pods: Callable[[], list[dict[str, Any]]], interval_seconds: float = 2.0
    ) -> None:
        self._list = list_pods
        self._interval = interval_seconds
        self._pods: list[fleet.SimPod] = []

    def __call__(self) -> list[fleet.SimPod]:
        return self._pods

    async def refresh(self) -> None:
        listed = await asyncio.to_thread(self._list)
        self._pods = [p for p in map(sim_pod, listed) if p is not None]

    async def watch(self) -> None:
        """Refreshes forever; a failed listing keeps the last list and is retried."""
        while True:
            try:
                await self.refresh()
            except Exception as error:  # the API server may be restarting; keep serving
                print(f"enginesim: listing pods failed: {error}", flush=True)
            await asyncio.sleep(self._interval)
