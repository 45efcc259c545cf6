"""Pod templates on the real control plane: the InfiniBand sample applies as it is written, its
pool's KWOK nodes offer the RDMA devices its pods ask for, and both units run with host
networking, IPC_LOCK and their NCCL environment; a template that sets what tokenfleet owns is
named in PodTemplateAccepted (once in an event) and changes nothing; a merged pod the API server
refuses is reported in Ready, not retried in a traceback."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from tests.support import cluster as cluster_support
from tests.support import operator as operator_support
from tests.support.waiting import wait_for

from tokenfleet import clock as clock_mod
from tokenfleet.controllers import inference_deployments, operator

pytestmark = pytest.mark.integration

SAMPLE = cluster_support.ROOT / "manifests" / "samples" / "deepseek-v3-infiniband.yaml"
NAME = "deepseek-v3-ib"
NIGHT = dt.datetime(2025, 1, 6, 20, 0, tzinfo=dt.UTC)


@pytest.fixture
def ib_fleet(cluster: cluster_support.Cluster, namespace: str) -> Iterator[dict[str, Any]]:
    """The sample as written, its pool renamed per test and its nodes made at once."""
    docs = {d["kind"]: d for d in yaml.safe_load_all(SAMPLE.read_text()) if d}
    pool_name = f"ib-{uuid.uuid4().hex[:6]}"
    docs["GPUNodePool"]["metadata"]["name"] = pool_name
    docs["GPUNodePool"]["spec"]["provisioningDelaySeconds"] = 0
    docs["GPUNodePool"]["spec"]["scaling"] = {"maxNodesAddedPerMinute": 100}
    docs["InferenceDeployment"]["spec"]["nodePoolRef"]["name"] = pool_name
    cluster.kubectl(
        "apply", "-f", "-", input=yaml.safe_dump_all([docs["PriorityClass"], docs["GPUNodePool"]])
    )
    yield {"pool": pool_name, "infd": docs["InferenceDeployment"], "namespace": namespace}
    cluster.kubectl("delete", "gpool", pool_name, "--wait=false", check=False)
    cluster.kubectl(
        "delete", "node", "-l", f"tokenfleet.io/pool={pool_name}", "--wait=false", check=False
    )


@pytest.fixture
def running_operator(cluster: cluster_support.Cluster) -> Iterator[operator.Operator]:
    with operator_support.running(cluster, clock_mod.FakeClock(NIGHT)) as op:
        yield op


def _get(cluster: cluster_support.Cluster, *args: str) -> Any:
    return yaml.safe_load(cluster.kubectl("get", *args, "-o", "yaml").stdout)


def _condition(cluster: cluster_support.Cluster, ns: str, type_: str) -> dict[str, Any] | None:
    status = _get(cluster, "infd", NAME, "-n", ns).get("status") or {}
    found = [c for c in status.get("conditions") or [] if c["type"] == type_]
    return found[0] if found else None


def _events(cluster: cluster_support.Cluster, ns: str, reason: str) -> list[str]:
    out = cluster.kubectl(
        "get", "events", "-n", ns, "--field-selector", f"reason={reason}", "-o", "name"
    ).stdout
    return out.split()


def test_the_infiniband_sample_schedules_on_nodes_offering_rdma(
    cluster: cluster_support.Cluster, ib_fleet: dict[str, Any], running_operator: operator.Operator
) -> None:
    ns = ib_fleet["namespace"]
    cluster.kubectl("apply", "-n", ns, "-f", "-", input=yaml.safe_dump(ib_fleet["infd"]))

    def ready() -> bool:
        status = _get(cluster, "infd", NAME, "-n", ns).get("status") or {}
        return bool(status.get("readyUnits") == "2/2")

    wait_for("both units of the sample ready", ready, timeout=180)
    engines = f"tokenfleet.io/deployment={NAME},app.kubernetes.io/name=tokenfleet-engine"
    pods = _get(cluster, "pods", "-n", ns, "-l", engines)["items"]
    assert len(pods) == 4 + 18
    nodes = {
        n["metadata"]["name"]: n
        for n in _get(cluster, "nodes", "-l", f"tokenfleet.io/pool={ib_fleet['pool']}")["items"]
    }
    for pod in pods:
        spec = pod["spec"]
        container = spec["containers"][0]
        assert spec["hostNetwork"] is True and spec["priorityClassName"] == "inference-critical"
        assert spec["priority"] == 1000000
        assert container["securityContext"]["capabilities"]["add"] == ["IPC_LOCK"]
        assert container["resources"]["requests"]["rdma/ib"] == "8"
        assert {"name": "NCCL_IB_GID_INDEX", "value": "3"} in container["env"]
        node = nodes[spec["nodeName"]]
        assert node["status"]["allocatable"]["rdma/ib"] == "8"
        assert node["metadata"]["labels"]["network.example.com/ib-fabric"] == "fabric-a"
        assert pod["status"]["phase"] == "Running"
    accepted = _condition(cluster, ns, "PodTemplateAccepted")
    assert accepted is not None
    assert (accepted["status"], accepted["reason"]) == ("True", "Merged")


def test_a_template_setting_what_tokenfleet_owns_is_named_and_changes_nothing(
    cluster: cluster_support.Cluster, ib_fleet: dict[str, Any], running_operator: operator.Operator
) -> None:
    ns = ib_fleet["namespace"]
    infd = copy.deepcopy(ib_fleet["infd"])
    infd["spec"]["roles"]["prefill"]["maxUnits"] = 1
    infd["spec"]["roles"]["decode"].update(nodesPerUnit=2, maxUnits=1)
    cluster.kubectl("apply", "-n", ns, "-f", "-", input=yaml.safe_dump(infd))
    wait_for(
        "units ready",
        lambda: (
            (_get(cluster, "infd", NAME, "-n", ns).get("status") or {}).get("readyUnits") == "2/2"
        ),
        timeout=120,
    )
    sts = f"{NAME}-decode-0"
    before = _get(cluster, "sts", sts, "-n", ns)
    infd["spec"]["roles"]["decode"]["podTemplate"]["spec"]["containers"][0]["args"] = ["--x"]
    cluster.kubectl("apply", "-n", ns, "-f", "-", input=yaml.safe_dump(infd))

    def kept() -> dict[str, Any] | None:
        found = _condition(cluster, ns, "PodTemplateAccepted")
        return found if found and found["status"] == "False" else None

    accepted = wait_for("PodTemplateAccepted=False", kept, timeout=60)
    assert accepted["reason"] == "OperatorFieldsKept"
    assert accepted["message"] == (
        "1 field(s) of the pod templates are tokenfleet's: spec.roles.decode.podTemplate: "
        "spec.containers[engine].args (tokenfleet's value kept)"
    )
    wait_for("a Warning event", lambda: _events(cluster, ns, "OperatorFieldsKept"), timeout=30)
    after = _get(cluster, "sts", sts, "-n", ns)
    assert after["spec"]["template"] == before["spec"]["template"]
    # Later reconciles send no second event for the same conflict.
    reconciler = inference_deployments.Reconciler(running_operator.ctx)
    reconciler.reconcile(_get(cluster, "infd", NAME, "-n", ns))
    reconciler.reconcile(_get(cluster, "infd", NAME, "-n", ns))
    assert len(_events(cluster, ns, "OperatorFieldsKept")) == 1


def test_a_merged_pod_the_api_server_refuses_is_reported_in_ready(
    cluster: cluster_support.Cluster, ib_fleet: dict[str, Any], running_operator: operator.Operator
) -> None:
    ns = ib_fleet["namespace"]
    infd = copy.deepcopy(ib_fleet["infd"])
    # A StatefulSet's pods must restart Always: the API server refuses the unit.
    infd["spec"]["podTemplate"]["spec"]["restartPolicy"] = "Never"
    cluster.kubectl("apply", "-n", ns, "-f", "-", input=yaml.safe_dump(infd))

    def refused() -> dict[str, Any] | None:
        found = _condition(cluster, ns, "Ready")
        return found if found and found["reason"] == "Refused" else None

    ready = wait_for("Ready=False, Refused", refused, timeout=60)
    assert ready["status"] == "False"
    assert "restartPolicy" in ready["message"] and "Never" in ready["message"]
    wait_for("a Refused event", lambda: _events(cluster, ns, "Refused"), timeout=30)
    assert _get(cluster, "sts", "-n", ns)["items"] == []
