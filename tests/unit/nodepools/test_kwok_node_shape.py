"""The simulated node the kwok provider creates, compared whole.

Covered: a node still provisioning (KWOK's annotation, the pool's labels with the pool label,
GPU product and count, the capacity type, the pool's taints plus the provisioning taint, the
ready-at instant, GPUs as capacity and allocatable, owned by the pool); a node with no delay is
schedulable at once and names no ready-at.
"""

from __future__ import annotations

from tests.unit.nodepools import builders as b

from tokenfleet.nodepools import kwok, provider


def pool() -> provider.Pool:
    spec = b.spec(
        gpuType="H800",
        gpusPerNode=8,
        nodeLabels={"topology.example/rack": "r1"},
        nodeTaints=[{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}],
    )
    return provider.Pool("h800", spec, uid="uid-1")


def test_a_provisioning_node_is_the_pools_unschedulable_h800_until_ready_at() -> None:
    got = kwok.node_object(
        pool(),
        "h800-1a2b3",
        committed=True,
        requested="2025-01-06T00:00:00Z",
        ready_at="2025-01-06T00:10:00Z",
    )
    resources = {"cpu": "192", "memory": "2Ti", "pods": "110", "nvidia.com/gpu": "8"}
    assert got == {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": "h800-1a2b3",
            "labels": {
                "topology.example/rack": "r1",
                "tokenfleet.io/pool": "h800",
                "kubernetes.io/hostname": "h800-1a2b3",
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "node.kubernetes.io/instance-type": "kwok-8xH800",
                "nvidia.com/gpu.product": "NVIDIA-H800",
                "nvidia.com/gpu.count": "8",
                "type": "kwok",
                "tokenfleet.io/capacity-type": "committed",
            },
            "annotations": {
                "kwok.x-k8s.io/node": "fake",
                "tokenfleet.io/requested-at": "2025-01-06T00:00:00Z",
                "tokenfleet.io/ready-at": "2025-01-06T00:10:00Z",
            },
            "ownerReferences": [
                {
                    "apiVersion": "tokenfleet.io/v1alpha1",
                    "kind": "GPUNodePool",
                    "name": "h800",
                    "uid": "uid-1",
                }
            ],
        },
        "spec": {
            "taints": [
                {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"},
                {"key": "tokenfleet.io/provisioning", "effect": "NoSchedule"},
            ]
        },
        "status": {"capacity": resources, "allocatable": resources},
    }


def test_a_node_without_a_delay_is_schedulable_at_once() -> None:
    got = kwok.node_object(pool(), "h800-x", committed=False, requested="t", ready_at=None)
    assert "tokenfleet.io/ready-at" not in got["metadata"]["annotations"]
    assert [t["key"] for t in got["spec"]["taints"]] == ["nvidia.com/gpu"]
    assert got["metadata"]["labels"]["tokenfleet.io/capacity-type"] == "on-demand"
