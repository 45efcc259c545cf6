"""The watch-backed cache on the real API server: reads come from memory and follow changes
made by others, the operator reads its own writes at once, an apply that changes nothing is
not sent, and a change someone else makes to our object is applied back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from tests.support import cluster as cluster_support
from tests.support.waiting import wait_for

from tokenfleet.kube import client as kube_client

pytestmark = pytest.mark.integration

OURS = {"app.kubernetes.io/managed-by": "tokenfleet"}


@pytest.fixture
def kube(cluster: cluster_support.Cluster) -> Iterator[kube_client.Kube]:
    k = kube_client.Kube.from_kubeconfig(cluster.kubeconfig)
    k.watch([("v1", "ConfigMap", None), ("apps/v1", "Deployment", OURS)])
    yield k
    k.close()


def config_map(namespace: str, name: str, data: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, "labels": {"t": "x"}},
        "data": data,
    }


def test_reads_follow_changes_made_by_others(
    cluster: cluster_support.Cluster, kube: kube_client.Kube, namespace: str
) -> None:
    cluster.kubectl(
        "apply", "-f", "-", input=yaml.safe_dump(config_map(namespace, "a", {"k": "1"}))
    )
    found = wait_for(
        "the cache to see a", lambda: kube.get_or_none("v1", "ConfigMap", "a", namespace)
    )
    assert found["data"] == {"k": "1"}
    sent = kube.requests
    assert [o["metadata"]["name"] for o in kube.list("v1", "ConfigMap", namespace, {"t": "x"})] == [
        "a"
    ]
    assert kube.list("v1", "ConfigMap", namespace, {"t": "y"}) == []
    assert kube.requests == sent, "reads of a watched kind make no request"
    cluster.kubectl("patch", "configmap", "a", "-n", namespace, "-p", '{"data":{"k":"2"}}')
    wait_for(
        "the cache to see the patch",
        lambda: kube.get("v1", "ConfigMap", "a", namespace)["data"] == {"k": "2"},
    )
    cluster.kubectl("delete", "configmap", "a", "-n", namespace)
    wait_for(
        "the cache to see the deletion",
        lambda: kube.get_or_none("v1", "ConfigMap", "a", namespace) is None,
    )


def test_own_writes_are_read_at_once_and_a_repeated_apply_is_not_sent(
    cluster: cluster_support.Cluster, kube: kube_client.Kube, namespace: str
) -> None:
    kube.apply(config_map(namespace, "b", {"k": "1"}))
    assert kube.get("v1", "ConfigMap", "b", namespace)["data"] == {"k": "1"}
    sent, skipped = kube.requests, kube.skipped_writes
    kube.apply(config_map(namespace, "b", {"k": "1"}))
    assert kube.requests == sent
    assert kube.skipped_writes == skipped + 1
    kube.apply(config_map(namespace, "b", {"k": "2"}))
    assert kube.requests == sent + 1
    assert kube.get("v1", "ConfigMap", "b", namespace)["data"] == {"k": "2"}
    assert kube.delete("v1", "ConfigMap", "b", namespace) is True
    assert kube.get_or_none("v1", "ConfigMap", "b", namespace) is None


def test_a_field_changed_by_someone_else_is_applied_back(
    cluster: cluster_support.Cluster, kube: kube_client.Kube, namespace: str
) -> None:
    kube.apply(config_map(namespace, "c", {"k": "1"}))
    cluster.kubectl("patch", "configmap", "c", "-n", namespace, "-p", '{"data":{"k":"edited"}}')
    wait_for(
        "the cache to see the edit",
        lambda: kube.get("v1", "ConfigMap", "c", namespace)["data"] == {"k": "edited"},
    )
    sent = kube.requests
    kube.apply(config_map(namespace, "c", {"k": "1"}))
    assert kube.requests == sent + 1
    live = yaml.safe_load(
        cluster.kubectl("get", "configmap", "c", "-n", namespace, "-o", "yaml").stdout
    )
    assert live["data"] == {"k": "1"}


def test_a_scoped_cache_answers_only_for_its_labels(
    cluster: cluster_support.Cluster, kube: kube_client.Kube, namespace: str
) -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "other", "namespace": namespace, "labels": {"app": "other"}},
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": {"app": "other"}},
            "template": {
                "metadata": {"labels": {"app": "other"}},
                "spec": {"containers": [{"name": "c", "image": "busybox"}]},
            },
        },
    }
    cluster.kubectl("apply", "-f", "-", input=yaml.safe_dump(deployment))
    # Not ours: the scoped cache does not hold it, so the read goes to the server and finds it.
    assert kube.get("apps/v1", "Deployment", "other", namespace)["metadata"]["name"] == "other"
    assert [d["metadata"]["name"] for d in kube.list("apps/v1", "Deployment", namespace)] == [
        "other"
    ]
