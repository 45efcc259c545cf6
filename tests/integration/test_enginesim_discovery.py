"""The engine simulator finds the cluster's engine pods from a watch: a labelled pod appears in
its list as soon as the watch delivers it, an unlabelled one never does, and a deleted one
leaves it."""

from __future__ import annotations

import pytest
import yaml
from tests.support import cluster as cluster_support
from tests.support.waiting import wait_for

from tokenfleet.enginesim import cluster as sim_cluster

pytestmark = pytest.mark.integration


def _pod(name: str, labels: dict[str, str]) -> str:
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "labels": labels},
            "spec": {"containers": [{"name": "engine", "image": "engine:1"}]},
        }
    )


def test_the_simulator_follows_engine_pods_through_a_watch(
    cluster: cluster_support.Cluster, namespace: str
) -> None:
    list_pods = sim_cluster.WatchedPods(str(cluster.kubeconfig))
    try:
        _follow(cluster, namespace, list_pods)
    finally:
        list_pods.close()


def _follow(
    cluster: cluster_support.Cluster, namespace: str, list_pods: sim_cluster.WatchedPods
) -> None:

    def names() -> set[str]:
        return {
            p["metadata"]["name"] for p in list_pods() if p["metadata"]["namespace"] == namespace
        }

    engine = {"tokenfleet.io/deployment": "dsv3", "tokenfleet.io/role": "decode"}
    cluster.kubectl("apply", "-n", namespace, "-f", "-", input=_pod("engine-0", engine))
    cluster.kubectl("apply", "-n", namespace, "-f", "-", input=_pod("other", {"app": "x"}))
    wait_for("the engine pod listed", lambda: names() == {"engine-0"}, timeout=30)
    cluster.kubectl("delete", "pod", "engine-0", "-n", namespace, "--grace-period=0", "--force")
    wait_for("the deleted pod gone", lambda: names() == set(), timeout=30)
