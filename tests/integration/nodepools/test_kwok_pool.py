"""The kwok provider on the real control plane: the pool follows its units.

Covered: an InferenceDeployment whose units do not fit makes the pool ask for exactly the nodes
they need; the nodes are Node objects KWOK runs, with the pool's labels and taints and 8 GPUs
allocatable, held unschedulable until the provisioning delay has passed on the clock; then the
units' pods are scheduled and Running; status, printer columns, conditions and events say so;
the nodes are the pool's, gone with it.
Scaling down drains and deletes only nodes that serve no live unit: the remaining unit's pods
are never evicted, a stray pod on a released node is evicted. Growing 40 nodes is timed.
"""

from __future__ import annotations

import time

import pytest
from tests.integration.nodepools import fleet
from tests.support import cluster as cluster_support

from tokenfleet import clock as clock_mod
from tokenfleet.api import common
from tokenfleet.controllers import gpu_node_pools
from tokenfleet.kube import client as kube_client
from tokenfleet.nodepools import nodes

pytestmark = pytest.mark.integration


def test_units_that_do_not_fit_grow_the_pool_and_their_pods_run(
    kube: kube_client.Kube,
    cluster: cluster_support.Cluster,
    namespace: str,
    pool_name: str,
    clock: clock_mod.FakeClock,
    reconciler: gpu_node_pools.Reconciler,
) -> None:
    pool = fleet.pool(pool_name, committedNodes=1)
    kube.apply(pool)
    infd = fleet.inference_deployment("v3", namespace, pool_name, nodesPerUnit=2, minUnits=2)
    kube.apply(infd)
    fleet.start_units(kube, infd, pool, 2)
    fleet.eventually("4 engine pods Pending", lambda: len(fleet.pods_of(kube, namespace)) == 4)

    # The pool asks for the 4 nodes the 2 units of 2 need; they boot for 600 s of clock time.
    outcome = fleet.reconcile(kube, reconciler, pool_name)
    assert outcome is not None and outcome.plan.add == 4
    made = fleet.pool_nodes(kube, pool_name)
    assert len(made) == 4
    node = made[0]
    assert node["metadata"]["name"].startswith(f"{pool_name}-")
    assert node["metadata"]["annotations"]["kwok.x-k8s.io/node"] == "fake"
    assert node["metadata"]["annotations"][nodes.READY_AT] == "2025-01-06T02:10:00Z"
    assert node["metadata"]["labels"]["tokenfleet.io/pool"] == pool_name
    assert node["metadata"]["labels"]["nvidia.com/gpu.count"] == "8"
    assert node["status"]["allocatable"]["nvidia.com/gpu"] == "8"
    taints = {(t["key"], t.get("value"), t["effect"]) for t in node["spec"]["taints"]}
    assert taints >= {  # the node controller may add its not-ready taint for a moment
        ("nvidia.com/gpu", "present", "NoSchedule"),
        (nodes.PROVISIONING_TAINT, None, "NoSchedule"),
    }
    kinds = sorted(n["metadata"]["labels"][nodes.CAPACITY_TYPE] for n in made)
    assert kinds == ["committed", "on-demand", "on-demand", "on-demand"]
    status = fleet.pool_status(kube, pool_name)
    assert status["desiredNodes"] == 4
    assert status["nodes"]["provisioning"] == 4
    assert fleet.condition(kube, pool_name, "Ready")["reason"] == "NodesProvisioning"

    # A reconcile before the delay has passed changes nothing: no node twice, no pod placed.
    clock.advance(599)
    again = fleet.reconcile(kube, reconciler, pool_name)
    assert again is not None and again.plan.add == 0
    assert len(fleet.pool_nodes(kube, pool_name)) == 4
    time.sleep(1)
    assert fleet.running(fleet.pods_of(kube, namespace)) == []

    # Once the clock passes ready-at, the nodes turn schedulable and the pods run, one per node.
    clock.advance(1)
    fleet.reconcile(kube, reconciler, pool_name)
    pods = fleet.eventually(
        "4 engine pods Running",
        lambda: len(run := fleet.running(fleet.pods_of(kube, namespace))) == 4 and run,
    )
    assert len({p["spec"]["nodeName"] for p in pods}) == 4
    fleet.reconcile(kube, reconciler, pool_name)
    status = fleet.pool_status(kube, pool_name)
    assert status["nodes"] == {
        "ready": 4,
        "allocated": 4,
        "provisioning": 0,
        "draining": 0,
        "lent": 0,
    }
    assert status["idleCostPerHour"] == 0
    ready = fleet.condition(kube, pool_name, "Ready")
    assert (ready["status"], ready["reason"], ready["observedGeneration"]) == (
        "True",
        "NodesReady",
        1,
    )
    assert fleet.condition(kube, pool_name, "Scaling")["status"] == "False"
    printed = cluster.kubectl("get", "gpool", pool_name).stdout.splitlines()[1].split()
    assert printed[:8] == [pool_name, "H800", "kwok", "4", "4", "4", "0", "0"]
    assert {"NodesRequested", "NodesReady"} <= set(fleet.events(kube, pool_name))

    # The simulated nodes belong to the pool: deleting it deletes them.
    kube.delete(common.API_VERSION, "GPUNodePool", pool_name)
    fleet.eventually("the pool's nodes gone", lambda: fleet.pool_nodes(kube, pool_name) == [])


def test_scale_down_drains_and_deletes_only_nodes_that_serve_no_live_unit(
    kube: kube_client.Kube,
    namespace: str,
    pool_name: str,
    clock: clock_mod.FakeClock,
    reconciler: gpu_node_pools.Reconciler,
) -> None:
    pool = fleet.pool(pool_name, provisioningDelaySeconds=0, scaling={"scaleDownDelaySeconds": 300})
    kube.apply(pool)
    infd = fleet.inference_deployment("r1", namespace, pool_name, nodesPerUnit=2, minUnits=3)
    kube.apply(infd)
    fleet.start_units(kube, infd, pool, 3)
    fleet.reconcile(kube, reconciler, pool_name)
    fleet.eventually(
        "6 pods Running", lambda: len(fleet.running(fleet.pods_of(kube, namespace))) == 6
    )
    before = {p["metadata"]["name"]: p for p in fleet.pods_of(kube, namespace)}
    unit0 = {n: p for n, p in before.items() if "-unified-0-" in n}
    assert len(unit0) == 2

    # Demand drops to one unit; the deployment controller removes units 1 and 2.
    infd["spec"]["roles"]["unified"]["minUnits"] = 1
    kube.apply(infd)
    for index in (1, 2):
        kube.delete("apps/v1", "StatefulSet", f"r1-unified-{index}", namespace)
    fleet.eventually("2 pods left", lambda: len(fleet.pods_of(kube, namespace)) == 2)
    # A stray pod on a node that units 1 and 2 left: a drain evicts it.
    freed = sorted({p["spec"]["nodeName"] for n, p in before.items() if n not in unit0})
    stray = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "stray", "namespace": namespace},
        "spec": {
            "nodeName": freed[0],
            "tolerations": [{"operator": "Exists"}],
            "containers": [{"name": "c", "image": "registry.invalid/busybox"}],
        },
    }
    kube.apply(stray)
    fleet.eventually(
        "the stray pod running", lambda: fleet.running([kube.get("v1", "Pod", "stray", namespace)])
    )

    # The surplus of 4 waits out the scale-down delay on the clock.
    outcome = fleet.reconcile(kube, reconciler, pool_name)
    assert outcome is not None and outcome.plan.drain == ()
    assert fleet.condition(kube, pool_name, "Scaling")["status"] == "True"
    clock.advance(300)
    outcome = fleet.reconcile(kube, reconciler, pool_name)
    assert outcome is not None
    assert sorted(outcome.plan.drain) == freed
    # Empty nodes are released in the same reconcile; the one with the stray pod drains first.
    fleet.eventually(
        "the stray pod evicted", lambda: kube.get_or_none("v1", "Pod", "stray", namespace) is None
    )
    fleet.reconcile(kube, reconciler, pool_name)
    left = fleet.pool_nodes(kube, pool_name)
    assert sorted(n["metadata"]["name"] for n in left) == sorted(
        p["spec"]["nodeName"] for p in unit0.values()
    )
    after = {p["metadata"]["name"]: p for p in fleet.pods_of(kube, namespace)}
    assert after.keys() == unit0.keys()
    for name, pod in after.items():  # the live unit's pods were never touched
        assert pod["metadata"]["uid"] == unit0[name]["metadata"]["uid"]
        assert not pod["metadata"].get("deletionTimestamp")
    status = fleet.pool_status(kube, pool_name)
    assert status["desiredNodes"] == 2
    assert status["nodes"]["ready"] == 2 and status["nodes"]["draining"] == 0
    assert {"NodesDraining", "PodsEvicted", "NodesReleased"} <= set(fleet.events(kube, pool_name))


def test_a_pool_grows_by_forty_nodes_and_their_pods_run(
    kube: kube_client.Kube,
    namespace: str,
    pool_name: str,
    clock: clock_mod.FakeClock,
    reconciler: gpu_node_pools.Reconciler,
) -> None:
    pool = fleet.pool(pool_name)
    kube.apply(pool)
    infd = fleet.inference_deployment("big", namespace, pool_name, nodesPerUnit=8, minUnits=5)
    kube.apply(infd)
    fleet.start_units(kube, infd, pool, 5)
    start = time.monotonic()
    fleet.reconcile(kube, reconciler, pool_name)
    asked = time.monotonic()
    clock.advance(600)
    fleet.reconcile(kube, reconciler, pool_name)
    settled = time.monotonic()
    fleet.eventually(
        "40 engine pods Running",
        lambda: len(fleet.running(fleet.pods_of(kube, namespace))) == 40,
        timeout=120,
    )
    done = time.monotonic()
    assert len(fleet.pool_nodes(kube, pool_name)) == 40
    print(
        f"\n40 nodes: created in {asked - start:.2f}s, made schedulable in "
        f"{settled - asked:.2f}s, all 40 pods Running {done - start:.2f}s after the first "
        "reconcile (the 600 s provisioning delay passed on the fake clock)"
    )
