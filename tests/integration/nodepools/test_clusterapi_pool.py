"""The clusterapi provider against Cluster API's real CRDs (from its Go module).

No Cluster API controller runs here: what is verified is what tokenfleet writes. Covered: the
pool sets the MachineDeployment's spec.replicas to the nodes its units need, by server-side
apply as field manager `tokenfleet`, which then owns that one field and nothing else (the CRD's
schema accepts the result), and a second reconcile writes nothing; releasing drained nodes
marks exactly their Machines with cluster.x-k8s.io/delete-machine and lowers replicas; a
missing MachineDeployment is a TargetNotFound condition and one warning event, not a crash.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from tests.integration.nodepools import fleet
from tests.support import cluster as cluster_support

from tokenfleet.controllers import gpu_node_pools
from tokenfleet.kube import client as kube_client
from tokenfleet.nodepools import clusterapi, nodes
from tokenfleet.workloads import labels

pytestmark = pytest.mark.integration
API = clusterapi.API_VERSION


def machine_deployment(name: str, namespace: str) -> dict[str, Any]:
    template_spec = {
        "clusterName": "gpu",
        "bootstrap": {"dataSecretName": "bootstrap"},
        "infrastructureRef": {
            "apiGroup": "infrastructure.cluster.x-k8s.io",
            "kind": "DockerMachineTemplate",
            "name": name,
        },
    }
    return {
        "apiVersion": API,
        "kind": "MachineDeployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "clusterName": "gpu",
            "replicas": 0,
            "selector": {"matchLabels": {"pool": name}},
            "template": {"metadata": {"labels": {"pool": name}}, "spec": template_spec},
        },
    }


def machine(name: str, namespace: str, md: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": API,
        "kind": "Machine",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"pool": md["metadata"]["name"]},
        },
        "spec": md["spec"]["template"]["spec"],
    }


def replicas_manager(md: dict[str, Any]) -> list[str]:
    """Field managers that own spec.replicas."""
    return [
        m["manager"]
        for m in md["metadata"].get("managedFields") or []
        if "f:replicas" in ((m.get("fieldsV1") or {}).get("f:spec") or {})
    ]


@pytest.mark.usefixtures("thirdparty_crds")
def test_the_pool_scales_a_machine_deployment_and_releases_exactly_the_drained_machines(
    kube: kube_client.Kube,
    cluster: cluster_support.Cluster,
    namespace: str,
    pool_name: str,
    reconciler: gpu_node_pools.Reconciler,
    make_node: Callable[[dict[str, Any]], str],
) -> None:
    md = machine_deployment("h800", namespace)
    fleet.apply_as_admin(cluster, md)
    pool = fleet.pool(
        pool_name,
        provider={
            "type": "clusterapi",
            "clusterAPI": {"namespace": namespace, "machineDeployment": "h800"},
        },
    )
    kube.apply(pool)
    infd = fleet.inference_deployment("v3", namespace, pool_name, nodesPerUnit=3)
    kube.apply(infd)

    fleet.reconcile(kube, reconciler, pool_name)
    written = kube.get(API, "MachineDeployment", "h800", namespace)
    assert written["spec"]["replicas"] == 3
    assert replicas_manager(written) == ["tokenfleet"]
    status = fleet.pool_status(kube, pool_name)
    assert (status["desiredNodes"], status["nodes"]["provisioning"]) == (3, 3)  # not joined yet
    assert fleet.condition(kube, pool_name, "Ready")["reason"] == "NodesProvisioning"
    fleet.reconcile(kube, reconciler, pool_name)
    again = kube.get(API, "MachineDeployment", "h800", namespace)
    assert again["metadata"]["resourceVersion"] == written["metadata"]["resourceVersion"]

    # The machines join: a Machine and a Node each, the Node naming its Machine.
    for i in range(3):
        fleet.apply_as_admin(cluster, machine(f"h800-m{i}", namespace, md))
        make_node(
            fleet.kwok_node(
                f"{pool_name}-m{i}",
                labels.pool_label(pool_name),
                **{clusterapi.MACHINE_ANNOTATION: f"h800-m{i}"},
            )
        )
    fleet.eventually(
        "3 nodes Ready",
        lambda: sum(nodes.is_ready(n) for n in fleet.pool_nodes(kube, pool_name)) == 3,
    )
    fleet.reconcile(kube, reconciler, pool_name)
    assert fleet.pool_status(kube, pool_name)["nodes"]["ready"] == 3

    # Demand drops to one node: two empty nodes are drained and their Machines marked.
    infd["spec"]["roles"]["unified"]["nodesPerUnit"] = 1
    kube.apply(infd)
    outcome = fleet.reconcile(kube, reconciler, pool_name)
    assert outcome is not None and len(outcome.plan.drain) == 2
    marked = sorted(
        m["metadata"]["name"]
        for m in kube.list(API, "Machine", namespace)
        if clusterapi.DELETE_MACHINE in (m["metadata"].get("annotations") or {})
    )
    drained = sorted(outcome.plan.drain)
    assert marked == sorted(
        kube.get("v1", "Node", n)["metadata"]["annotations"][clusterapi.MACHINE_ANNOTATION]
        for n in drained
    )
    assert kube.get(API, "MachineDeployment", "h800", namespace)["spec"]["replicas"] == 1
    fleet.reconcile(kube, reconciler, pool_name)
    assert kube.get(API, "MachineDeployment", "h800", namespace)["spec"]["replicas"] == 1
    status = fleet.pool_status(kube, pool_name)
    assert status["desiredNodes"] == 1
    assert (
        status["nodes"]["ready"] == 1 and status["nodes"]["draining"] == 2
    )  # until CAPI deletes them
    assert "NodesReleased" in fleet.events(kube, pool_name)


@pytest.mark.usefixtures("thirdparty_crds")
def test_a_missing_machine_deployment_is_a_condition_and_an_event(
    kube: kube_client.Kube, namespace: str, pool_name: str, reconciler: gpu_node_pools.Reconciler
) -> None:
    kube.apply(
        fleet.pool(
            pool_name,
            provider={
                "type": "clusterapi",
                "clusterAPI": {"namespace": namespace, "machineDeployment": "nope"},
            },
        )
    )
    assert fleet.reconcile(kube, reconciler, pool_name) is None
    ready = fleet.condition(kube, pool_name, "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "TargetNotFound")
    assert f"MachineDeployment {namespace}/nope" in ready["message"]
    assert fleet.events(kube, pool_name) == ["TargetNotFound"]
    fleet.reconcile(kube, reconciler, pool_name)
    assert fleet.events(kube, pool_name) == ["TargetNotFound"]  # said once, not every reconcile
