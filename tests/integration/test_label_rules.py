"""Admission agrees with Kubernetes on labels: for strings near the rules from both sides, a
GPUNodePool whose node label (or taint) is a candidate is accepted by the models, accepted by
the CRD on the real API server, and accepted in a Node the operator would write, all three or
none. What the pool admits, the operator can always write onto its nodes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pydantic
import pytest
from hypothesis import HealthCheck, example, given, settings
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from tests.support import cluster as cluster_support
from tests.support import labels

from tokenfleet.api import common, gpu_node_pool

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def api(cluster: cluster_support.Cluster, crds_installed: None) -> Iterator[client.ApiClient]:
    api_client = config.new_client_from_config(str(cluster.kubeconfig))
    yield api_client
    api_client.close()


def _pool(labels_: dict[str, str], taints: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "apiVersion": common.API_VERSION,
        "kind": "GPUNodePool",
        "metadata": {"name": "label-rules"},
        "spec": {
            "maxNodes": 1,
            "cost": {"onDemandPerGpuHour": 2},
            "nodeLabels": labels_,
            "nodeTaints": taints,
        },
    }


def _model_accepts(obj: dict[str, Any]) -> bool:
    try:
        gpu_node_pool.GPUNodePool.model_validate(obj)
    except pydantic.ValidationError:
        return False
    return True


def _accepted(create: Any, *args: Any) -> bool:
    try:
        create(*args, dry_run="All")
    except ApiException as exc:
        if exc.status != 422:
            raise
        return False
    return True


def _crd_accepts(api: client.ApiClient, obj: dict[str, Any]) -> bool:
    custom = client.CustomObjectsApi(api)
    return _accepted(
        custom.create_cluster_custom_object, common.GROUP, common.VERSION, "gpunodepools", obj
    )


def _node_accepts(api: client.ApiClient, labels_: dict[str, str], taints: list[Any]) -> bool:
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "label-rules", "labels": labels_},
        "spec": {"taints": [{"effect": "NoSchedule", **t} for t in taints]},
    }
    return _accepted(client.CoreV1Api(api).create_node, node)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=labels.candidates(), value=labels.candidates())
@example(key="tokenfleet.io/pool", value="h800")  # all three accept
@example(key="bad key!", value="x")  # all three refuse
@example(key="p" * 254 + "/k", value="x")  # a prefix one character too long
@example(key="k" * 63, value="v" * 64)  # a value one character too long
def test_a_label_the_pool_admits_is_one_kubernetes_writes_onto_a_node(
    api: client.ApiClient, key: str, value: str
) -> None:
    obj = _pool({key: value}, [])
    model, crd, node = (
        _model_accepts(obj),
        _crd_accepts(api, obj),
        _node_accepts(api, {key: value}, []),
    )
    assert model == crd == node, f"{key!r}={value!r}: model {model}, CRD {crd}, Node {node}"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=labels.candidates(), value=labels.candidates())
@example(key="nvidia.com/gpu", value="present")
@example(key="-gpu", value="x")
def test_a_taint_the_pool_admits_is_one_kubernetes_writes_onto_a_node(
    api: client.ApiClient, key: str, value: str
) -> None:
    taint = {"key": key, "value": value}
    obj = _pool({}, [taint])
    model, crd, node = _model_accepts(obj), _crd_accepts(api, obj), _node_accepts(api, {}, [taint])
    assert model == crd == node, f"{key!r}={value!r}: model {model}, CRD {crd}, Node {node}"
