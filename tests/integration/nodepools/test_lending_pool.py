"""The lending provider on the real control plane: DeepSeek's day/night, made safe.

Covered: a fixed set of nodes joins the pool; at night the nodes inference does not need are
drained and lent (pool label off, training labels on, schedulable), committed ones first, the
node of the live unit never; training pods run on a lent node; ahead of the morning floor, one
lead time (provisioning delay + reclaim lead) early and not a minute before, idle lent nodes come
back first; a lent node busy with training comes back last, its training pod evicted, and when a
PodDisruptionBudget refuses the eviction, deleted once the drain timeout has passed on the clock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from tests.integration.nodepools import fleet

from tokenfleet import clock as clock_mod
from tokenfleet.controllers import gpu_node_pools
from tokenfleet.kube import client as kube_client
from tokenfleet.nodepools import nodes

pytestmark = pytest.mark.integration

TRAINING = {"training.example/flavor": "h800"}


def lending_pool(name: str) -> dict[str, Any]:
    return fleet.pool(
        name,
        committedNodes=2,
        provider={
            "type": "lending",
            "lending": {
                "nodeSelector": {"shared-set": name},
                "trainingLabels": TRAINING,
                "reclaimLeadSeconds": 1800,
                "drainTimeoutSeconds": 120,
            },
        },
        scaling={"scaleDownDelaySeconds": 60},
    )


def training_pod(namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "trainer", "namespace": namespace, "labels": {"app": "trainer"}},
        "spec": {
            "nodeSelector": TRAINING,
            "tolerations": [fleet.GPU_TAINT | {"operator": "Equal"}],
            "containers": [
                {
                    "name": "train",
                    "image": "registry.invalid/trainer",
                    "resources": {"limits": {"nvidia.com/gpu": "8"}},
                }
            ],
        },
    }


def by_state(kube: kube_client.Kube, pool: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for node in kube.list("v1", "Node", labels={"shared-set": pool}):
        out.setdefault(nodes.state(node).value, []).append(node["metadata"]["name"])
    return {k: sorted(v) for k, v in out.items()}


def test_idle_nodes_are_lent_at_night_and_reclaimed_ahead_of_the_morning(
    kube: kube_client.Kube,
    namespace: str,
    pool_name: str,
    clock: clock_mod.FakeClock,
    reconciler: gpu_node_pools.Reconciler,
    make_node: Callable[[dict[str, Any]], str],
) -> None:
    shared = [
        make_node(fleet.kwok_node(f"{pool_name}-s{i}", {"shared-set": pool_name})) for i in range(4)
    ]
    pool = lending_pool(pool_name)
    kube.apply(pool)
    infd = fleet.inference_deployment("v3", namespace, pool_name, nodesPerUnit=1, maxUnits=4)
    infd["spec"]["autoscaling"] = {
        "schedule": {
            "timeZone": "UTC",
            "entries": [{"start": "08:00", "end": "20:00", "minUnits": {"unified": 3}}],
        }
    }
    kube.apply(infd)
    fleet.start_units(kube, infd, pool, 1)

    # 02:00: the set joins the pool; one unit serves, three nodes are a surplus.
    fleet.eventually("the set Ready", lambda: by_state(kube, pool_name).get("ready") == shared)
    fleet.reconcile(kube, reconciler, pool_name)
    pod = fleet.eventually(
        "the unit's pod Running",
        lambda: next(iter(fleet.running(fleet.pods_of(kube, namespace))), None),
    )
    serving = pod["spec"]["nodeName"]

    # 02:01: after the scale-down delay, the three idle nodes are drained and lent.
    clock.advance(60)
    fleet.reconcile(kube, reconciler, pool_name)
    states = by_state(kube, pool_name)
    assert states == {"ready": [serving], "lent": sorted(set(shared) - {serving})}
    for name in states["lent"]:
        node = kube.get("v1", "Node", name)
        assert "tokenfleet.io/pool" not in node["metadata"]["labels"]
        assert node["metadata"]["labels"]["training.example/flavor"] == "h800"
        assert not node["spec"].get("unschedulable")
    status = fleet.pool_status(kube, pool_name)
    assert status["nodes"] == {
        "ready": 1,
        "allocated": 1,
        "provisioning": 0,
        "draining": 0,
        "lent": 3,
    }
    assert status["desiredNodes"] == 1
    assert "NodesLent" in fleet.events(kube, pool_name)
    assert (
        kube.get("v1", "Pod", pod["metadata"]["name"], namespace)["metadata"]["uid"]
        == pod["metadata"]["uid"]
    )

    # Training runs on a lent node.
    kube.apply(training_pod(namespace))
    trainer = fleet.eventually(
        "the training pod Running",
        lambda: fleet.running([kube.get("v1", "Pod", "trainer", namespace)]),
    )[0]
    busy_lent = trainer["spec"]["nodeName"]
    assert busy_lent in states["lent"]

    # 07:19: the 08:00 floor of 3 units is 41 minutes away, beyond the 40-minute lead.
    clock.set(fleet.dt.datetime(2025, 1, 6, 7, 19, tzinfo=fleet.dt.UTC))
    fleet.reconcile(kube, reconciler, pool_name)
    assert len(by_state(kube, pool_name)["lent"]) == 3
    # 07:20: one lead time ahead: the two idle lent nodes come back, training keeps its node.
    clock.advance(60)
    outcome = fleet.reconcile(kube, reconciler, pool_name)
    assert outcome is not None and outcome.plan.target == 3
    back = sorted(set(states["lent"]) - {busy_lent})
    assert sorted(outcome.plan.reclaim) == back
    for name in back:
        node = kube.get("v1", "Node", name)
        assert node["metadata"]["labels"]["tokenfleet.io/pool"] == pool_name
        assert "training.example/flavor" not in node["metadata"]["labels"]
        assert node["spec"]["unschedulable"] is True
    assert fleet.pool_status(kube, pool_name)["nodes"]["provisioning"] == 2
    fleet.reconcile(kube, reconciler, pool_name)
    assert by_state(kube, pool_name) == {"ready": sorted([serving, *back]), "lent": [busy_lent]}
    assert fleet.running([kube.get("v1", "Pod", "trainer", namespace)])

    # The evening needs all four: training's node comes back; a budget refuses the eviction,
    # so the trainer is deleted only once the 120 s drain timeout has passed on the clock.
    kube.apply(
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "trainer", "namespace": namespace},
            "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "trainer"}}},
        }
    )
    fleet.eventually(
        "the budget counts the trainer",
        lambda: (
            (
                kube.get("policy/v1", "PodDisruptionBudget", "trainer", namespace).get("status")
                or {}
            ).get("currentHealthy")
            == 1
        ),
    )
    infd["spec"]["roles"]["unified"]["minUnits"] = 4
    kube.apply(infd)
    fleet.reconcile(kube, reconciler, pool_name)
    assert nodes.reclaiming(kube.get("v1", "Node", busy_lent))
    clock.advance(119)
    fleet.reconcile(kube, reconciler, pool_name)
    trainer_now = kube.get("v1", "Pod", "trainer", namespace)
    assert not trainer_now["metadata"].get("deletionTimestamp"), (
        "the budget holds before the timeout"
    )
    clock.advance(1)
    fleet.reconcile(kube, reconciler, pool_name)
    fleet.eventually(
        "the trainer deleted", lambda: kube.get_or_none("v1", "Pod", "trainer", namespace) is None
    )
    fleet.reconcile(kube, reconciler, pool_name)
    assert by_state(kube, pool_name) == {"ready": sorted(shared)}
    status = fleet.pool_status(kube, pool_name)
    assert status["nodes"]["lent"] == 0 and status["nodes"]["ready"] == 4
    assert (
        kube.get("v1", "Pod", pod["metadata"]["name"], namespace)["metadata"]["uid"]
        == pod["metadata"]["uid"]
    )
