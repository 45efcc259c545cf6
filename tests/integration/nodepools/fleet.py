"""Builders and expectations for node-pool tests on the real control plane.

Pools, InferenceDeployments, their units rendered exactly as the InferenceDeployment controller
renders them (so the pods ask for 8 GPUs with the pool's selector and tolerations), simulated
nodes for providers that do not create their own, and bounded waits.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import yaml
from tests.support import cluster as cluster_support
from tests.support.waiting import wait_for

from tokenfleet.api import common
from tokenfleet.api import gpu_node_pool as pool_api
from tokenfleet.api import inference_deployment as infd_api
from tokenfleet.controllers import gpu_node_pools
from tokenfleet.kube import client as kube_client
from tokenfleet.nodepools import kwok, nodes, provider, steps
from tokenfleet.workloads import labels, units

GPU_TAINT = {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}


def pool(name: str, **spec: Any) -> dict[str, Any]:
    """A GPUNodePool (kwok unless `provider` says otherwise), with overrides of its spec."""
    scaling = spec.pop("scaling", {})
    body: dict[str, Any] = {
        "gpuType": "H800",
        "gpusPerNode": 8,
        "nodeLabels": {"nvidia.com/gpu.product": "NVIDIA-H800"},
        "nodeTaints": [GPU_TAINT],
        "maxNodes": 50,
        "provisioningDelaySeconds": 600,
        "provider": {"type": "kwok"},
        "cost": {"onDemandPerGpuHour": 2},
        "scaling": {"scaleDownDelaySeconds": 0, **scaling},
    }
    body.update(spec)
    return {
        "apiVersion": common.API_VERSION,
        "kind": "GPUNodePool",
        "metadata": {"name": name},
        "spec": body,
    }


def inference_deployment(
    name: str, namespace: str, pool_name: str, **unified: Any
) -> dict[str, Any]:
    """An InferenceDeployment with one unified role (overrides go into that role)."""
    role = {"nodesPerUnit": 2, "gpusPerNode": 8, "minUnits": 1, "maxUnits": 8}
    role.update(unified)
    role["capacityPerNode"] = 1000
    return {
        "apiVersion": common.API_VERSION,
        "kind": "InferenceDeployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "model": {"name": "deepseek-ai/DeepSeek-V3"},
            "engine": {"type": "sglang", "image": "registry.invalid/sglang:test"},
            "roles": {"unified": role},
            "router": {"enabled": False},
            "nodePoolRef": {"name": pool_name},
        },
    }


def start_units(
    kube: kube_client.Kube, infd_body: dict[str, Any], pool_body: dict[str, Any], count: int
) -> list[str]:
    """Apply units 0..count-1 of the unified role as the InferenceDeployment controller would
    (headless Service + StatefulSet, pods asking for 8 GPUs on the pool); their names."""
    infd = infd_api.InferenceDeployment.model_validate(copy.deepcopy(infd_body))
    spec = pool_api.GPUNodePoolSpec.model_validate(pool_body["spec"])
    made = []
    for index in range(count):
        for obj in units.unit_objects(infd, spec, "unified", index):
            kube.apply(obj)
            if obj["kind"] == "StatefulSet":
                made.append(obj["metadata"]["name"])
    return made


def kwok_node(name: str, node_labels: dict[str, str], **annotations: str) -> dict[str, Any]:
    """A Ready simulated H800 node carrying `node_labels` (for providers that make no nodes)."""
    spec = pool_api.GPUNodePoolSpec.model_validate(
        {"maxNodes": 1, "cost": {"onDemandPerGpuHour": Decimal(2)}, "nodeTaints": [GPU_TAINT]}
    )
    obj = kwok.node_object(
        provider.Pool("-", spec), name, committed=False, requested="-", ready_at=None
    )
    obj["metadata"]["labels"] = {
        **{k: v for k, v in obj["metadata"]["labels"].items() if k != labels.POOL},
        **node_labels,
    }
    obj["metadata"]["labels"].pop(nodes.CAPACITY_TYPE, None)
    obj["metadata"]["annotations"].pop(nodes.REQUESTED_AT, None)
    obj["metadata"]["annotations"].update(annotations)
    return obj


def apply_as_admin(cluster: cluster_support.Cluster, obj: dict[str, Any]) -> None:
    """Create or update `obj` as a person would (kubectl, its own field manager), so that
    tokenfleet's server-side applies own only the fields tokenfleet writes."""
    cluster.kubectl(
        "apply", "--server-side", "--field-manager=admin", "-f", "-", input=yaml.safe_dump(obj)
    )


def reconcile(
    kube: kube_client.Kube, rec: gpu_node_pools.Reconciler, name: str
) -> steps.Outcome | None:
    """One reconcile of the pool as it is stored now (what a kopf handler would be given)."""
    return rec.reconcile(kube.get(common.API_VERSION, "GPUNodePool", name))


def pool_status(kube: kube_client.Kube, name: str) -> dict[str, Any]:
    return dict(kube.get(common.API_VERSION, "GPUNodePool", name).get("status") or {})


def condition(kube: kube_client.Kube, name: str, type_: str) -> dict[str, Any]:
    conds = pool_status(kube, name).get("conditions") or []
    return next((dict(c) for c in conds if c["type"] == type_), {})


def pool_nodes(kube: kube_client.Kube, name: str) -> list[dict[str, Any]]:
    return kube.list("v1", "Node", labels=labels.pool_label(name))


def pods_of(kube: kube_client.Kube, namespace: str) -> list[dict[str, Any]]:
    return kube.list("v1", "Pod", namespace)


def running(pods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        p
        for p in pods
        if (p.get("status") or {}).get("phase") == "Running"
        and not p["metadata"].get("deletionTimestamp")
    ]


def events(kube: kube_client.Kube, name: str) -> list[str]:
    found = kube.list("v1", "Event", "default", field_selector=f"involvedObject.name={name}")
    return [e["reason"] for e in found]


def eventually(what: str, check: Callable[[], Any], timeout: float = 60) -> Any:
    return wait_for(what, check, timeout)


def hours(value: float) -> dt.timedelta:
    return dt.timedelta(hours=value)
