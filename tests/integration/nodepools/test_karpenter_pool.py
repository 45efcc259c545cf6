"""The karpenter provider against Karpenter's real CRDs (from its Go module).

No Karpenter controller runs here: what is verified is what tokenfleet writes, and that the
CRD's schema and CEL rules accept it. Covered: a dynamic NodePool gets an nvidia.com/gpu limit of
nodes x GPUs per node, owned by field manager `tokenfleet`; releasing a drained node lowers the
limit and deletes the Node; a static NodePool gets spec.replicas and no GPU limit (its CRD allows
only `nodes` there); a pool whose static setting disagrees with the NodePool, or whose NodePool
does not label nodes for the pool, gets a ProviderMisconfigured condition saying what to fix.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from tests.integration.nodepools import fleet
from tests.support import cluster as cluster_support

from tokenfleet.controllers import gpu_node_pools
from tokenfleet.kube import client as kube_client
from tokenfleet.nodepools import karpenter, nodes
from tokenfleet.workloads import labels

pytestmark = pytest.mark.integration
API = karpenter.API_VERSION


def node_pool(name: str, pool: str, replicas: int | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "template": {
            "metadata": {"labels": labels.pool_label(pool)},
            "spec": {
                "nodeClassRef": {
                    "group": "karpenter.kwok.sh",
                    "kind": "KWOKNodeClass",
                    "name": "default",
                },
                "requirements": [
                    {
                        "key": "node.kubernetes.io/instance-type",
                        "operator": "In",
                        "values": ["h800-8x"],
                    }
                ],
            },
        }
    }
    if replicas is not None:
        spec["replicas"] = replicas
    return {"apiVersion": API, "kind": "NodePool", "metadata": {"name": name}, "spec": spec}


@pytest.fixture
def np_name(kube: kube_client.Kube, thirdparty_crds: list[str]) -> Iterator[str]:
    name = f"karp-{uuid.uuid4().hex[:6]}"
    yield name
    kube.delete(API, "NodePool", name)


def karpenter_pool(name: str, np: str, static: bool = False) -> dict[str, Any]:
    return fleet.pool(
        name,
        provider={"type": "karpenter", "karpenter": {"nodePool": np, "staticReplicas": static}},
    )


def owners(obj: dict[str, Any], *path: str) -> list[str]:
    """Field managers whose managedFields hold the field at `path` (f:spec, f:limits, ...)."""
    out = []
    for entry in obj["metadata"].get("managedFields") or []:
        fields: Any = entry.get("fieldsV1") or {}
        for key in path:
            fields = fields.get(key) if isinstance(fields, dict) else None
        if fields is not None:
            out.append(entry["manager"])
    return out


def test_a_dynamic_node_pool_is_bounded_by_its_gpu_limit_and_nodes_are_released(
    kube: kube_client.Kube,
    cluster: cluster_support.Cluster,
    namespace: str,
    pool_name: str,
    np_name: str,
    reconciler: gpu_node_pools.Reconciler,
    make_node: Callable[[dict[str, Any]], str],
) -> None:
    fleet.apply_as_admin(cluster, node_pool(np_name, pool_name))
    kube.apply(karpenter_pool(pool_name, np_name))
    infd = fleet.inference_deployment("v3", namespace, pool_name, nodesPerUnit=2)
    kube.apply(infd)

    fleet.reconcile(kube, reconciler, pool_name)
    written = kube.get(API, "NodePool", np_name)
    assert written["spec"]["limits"] == {"nvidia.com/gpu": "16"}
    assert "replicas" not in written["spec"]
    assert owners(written, "f:spec", "f:limits", "f:nvidia.com/gpu") == ["tokenfleet"]
    assert fleet.pool_status(kube, pool_name)["nodes"]["provisioning"] == 2

    # Karpenter's nodes join, labelled with their NodePool and (from its template) the pool.
    joined = [
        make_node(
            fleet.kwok_node(
                f"{np_name}-{i}",
                {karpenter.NODEPOOL_LABEL: np_name, **labels.pool_label(pool_name)},
            )
        )
        for i in range(2)
    ]
    fleet.eventually(
        "2 nodes Ready", lambda: all(nodes.is_ready(kube.get("v1", "Node", n)) for n in joined)
    )
    fleet.reconcile(kube, reconciler, pool_name)
    assert fleet.pool_status(kube, pool_name)["nodes"] == {
        "ready": 2,
        "allocated": 0,
        "provisioning": 0,
        "draining": 0,
        "lent": 0,
    }

    # One node is enough: the limit drops first, then the drained Node is deleted.
    infd["spec"]["roles"]["unified"]["nodesPerUnit"] = 1
    kube.apply(infd)
    outcome = fleet.reconcile(kube, reconciler, pool_name)
    assert outcome is not None and len(outcome.plan.drain) == 1
    assert kube.get_or_none("v1", "Node", outcome.plan.drain[0]) is None
    assert kube.get(API, "NodePool", np_name)["spec"]["limits"] == {"nvidia.com/gpu": "8"}
    assert fleet.pool_status(kube, pool_name)["nodes"]["ready"] == 1


def test_a_static_node_pool_gets_replicas_and_no_gpu_limit(
    kube: kube_client.Kube,
    cluster: cluster_support.Cluster,
    namespace: str,
    pool_name: str,
    np_name: str,
    reconciler: gpu_node_pools.Reconciler,
) -> None:
    fleet.apply_as_admin(cluster, node_pool(np_name, pool_name, replicas=0))
    kube.apply(karpenter_pool(pool_name, np_name, static=True))
    kube.apply(fleet.inference_deployment("v3", namespace, pool_name, nodesPerUnit=3))
    fleet.reconcile(kube, reconciler, pool_name)
    written = kube.get(API, "NodePool", np_name)
    assert written["spec"]["replicas"] == 3
    assert "limits" not in written["spec"]
    assert owners(written, "f:spec", "f:replicas") == ["tokenfleet"]
    assert fleet.condition(kube, pool_name, "Ready")["reason"] == "NodesProvisioning"


@pytest.mark.parametrize(
    ("static_pool", "static_setting", "template_pool", "message"),
    [
        (True, False, True, "is static (spec.replicas set) and Karpenter cannot switch modes"),
        (False, True, True, "is dynamic (no spec.replicas) and Karpenter cannot switch modes"),
        (False, False, False, "must label its nodes tokenfleet.io/pool"),
    ],
)
def test_a_node_pool_that_cannot_serve_the_pool_is_a_condition_saying_what_to_fix(
    kube: kube_client.Kube,
    cluster: cluster_support.Cluster,
    pool_name: str,
    np_name: str,
    reconciler: gpu_node_pools.Reconciler,
    static_pool: bool,
    static_setting: bool,
    template_pool: bool,
    message: str,
) -> None:
    obj = node_pool(np_name, pool_name if template_pool else "another", 1 if static_pool else None)
    fleet.apply_as_admin(cluster, obj)
    kube.apply(karpenter_pool(pool_name, np_name, static=static_setting))
    assert fleet.reconcile(kube, reconciler, pool_name) is None
    ready = fleet.condition(kube, pool_name, "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "ProviderMisconfigured")
    assert message in ready["message"]
    managers = {
        m["manager"] for m in kube.get(API, "NodePool", np_name)["metadata"]["managedFields"]
    }
    assert "tokenfleet" not in managers  # nothing was written to it
