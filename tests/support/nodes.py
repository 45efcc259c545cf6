"""Simulated H800 nodes for tests: Node objects that KWOK keeps Ready and runs pods on."""

from __future__ import annotations

from typing import Any

import yaml
from tests.support import cluster as cluster_support


def h800_node(name: str, pool: str, gpus: int = 8, taint: bool = True) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {"kwok.x-k8s.io/node": "fake"},
            "labels": {
                "kubernetes.io/hostname": name,
                "type": "kwok",
                "tokenfleet.io/pool": pool,
                "nvidia.com/gpu.product": "NVIDIA-H800",
                "nvidia.com/gpu.count": str(gpus),
            },
        },
        "spec": {
            "taints": (
                [{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}]
                if taint
                else []
            )
        },
        "status": {
            "allocatable": {
                "cpu": "192",
                "memory": "2Ti",
                "pods": "110",
                "nvidia.com/gpu": str(gpus),
            },
            "capacity": {"cpu": "192", "memory": "2Ti", "pods": "110", "nvidia.com/gpu": str(gpus)},
        },
    }


def create_nodes(cluster: cluster_support.Cluster, pool: str, count: int) -> list[str]:
    names = [f"{pool}-{i:03d}" for i in range(count)]
    docs = [h800_node(n, pool) for n in names]
    cluster.kubectl("apply", "--server-side", "-f", "-", input=yaml.safe_dump_all(docs))
    return names


def delete_nodes(cluster: cluster_support.Cluster, pool: str) -> None:
    cluster.kubectl(
        "delete", "node", "-l", f"tokenfleet.io/pool={pool}", "--wait=false", check=False
    )


def still_pool(name: str, max_nodes: int) -> dict[str, Any]:
    """A GPUNodePool whose nodes are the ones a test makes itself: a node it asks for takes a
    clock day to boot, and test clocks stand still."""
    return {
        "apiVersion": "tokenfleet.io/v1alpha1",
        "kind": "GPUNodePool",
        "metadata": {"name": name},
        "spec": {
            "gpuType": "H800",
            "gpusPerNode": 8,
            "nodeLabels": {"tokenfleet.io/pool": name},
            "nodeTaints": [{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}],
            "maxNodes": max_nodes,
            "provisioningDelaySeconds": 86400,
            "cost": {"onDemandPerGpuHour": 2},
        },
    }
