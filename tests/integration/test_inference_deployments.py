"""The InferenceDeployment controller on the real control plane with KWOK H800 nodes: the
DeepSeek-V3 sample becomes one prefill unit (4 pods) and one decode unit (18 pods), one pod per
node, all Running and Ready in status; a deleted pod recreates its whole unit; a second reconcile
writes nothing; an image change rolls units one at a time; deleting the deployment leaves
nothing behind."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from tests.support import cluster as cluster_support
from tests.support import nodes
from tests.support import operator as operator_support
from tests.support.waiting import wait_for

from tokenfleet import clock as clock_mod
from tokenfleet.commands import render
from tokenfleet.controllers import inference_deployments, operator
from tokenfleet.kube import client as kube_client

pytestmark = pytest.mark.integration

SAMPLE = cluster_support.ROOT / "manifests" / "samples" / "deepseek-v3.yaml"
# 04:00 in Beijing: the sample's daytime floor (08:30-24:00 Asia/Shanghai) is closed, so each
# role runs minUnits = 1: 4 prefill + 18 decode nodes.
NIGHT = dt.datetime(2025, 1, 6, 20, 0, tzinfo=dt.UTC)


@pytest.fixture
def fleet(cluster: cluster_support.Cluster, namespace: str) -> Iterator[dict[str, Any]]:
    """The sample's pool (renamed per test), 22 KWOK nodes, and the InferenceDeployment."""
    pool_doc, _plan, infd_doc = yaml.safe_load_all(SAMPLE.read_text())
    pool_name = f"h800-{uuid.uuid4().hex[:6]}"
    pool_doc["metadata"]["name"] = pool_name
    pool_doc["spec"]["nodeLabels"]["tokenfleet.io/pool"] = pool_name
    infd_doc["spec"]["nodePoolRef"]["name"] = pool_name
    infd_doc["spec"]["pricingPlanRef"] = None
    del infd_doc["spec"]["pricingPlanRef"]
    cluster.kubectl("apply", "-f", "-", input=yaml.safe_dump(pool_doc))
    nodes.create_nodes(cluster, pool_name, 22)
    yield {"pool": pool_name, "pool_doc": pool_doc, "infd": infd_doc, "namespace": namespace}
    cluster.kubectl("delete", "gpool", pool_name, "--wait=false", check=False)
    nodes.delete_nodes(cluster, pool_name)


@pytest.fixture
def running_operator(cluster: cluster_support.Cluster) -> Iterator[operator.Operator]:
    with operator_support.running(cluster, clock_mod.FakeClock(NIGHT)) as op:
        yield op


def _pods(cluster: cluster_support.Cluster, ns: str, selector: str = "") -> list[dict[str, Any]]:
    args = ["get", "pods", "-n", ns, "-o", "yaml"]
    if selector:
        args += ["-l", selector]
    items: list[dict[str, Any]] = yaml.safe_load(cluster.kubectl(*args).stdout)["items"]
    return items


def _status(cluster: cluster_support.Cluster, ns: str, name: str) -> dict[str, Any]:
    obj = yaml.safe_load(cluster.kubectl("get", "infd", name, "-n", ns, "-o", "yaml").stdout)
    return dict(obj.get("status") or {})


def _ready_22(cluster: cluster_support.Cluster, ns: str) -> bool:
    status = _status(cluster, ns, "deepseek-v3")
    roles = status.get("roles", {})
    return (
        roles.get("prefill", {}).get("readyUnits") == 1
        and roles.get("decode", {}).get("readyUnits") == 1
        and status.get("readyUnits") == "2/2"
    )


def _apply_and_wait(cluster: cluster_support.Cluster, fleet: dict[str, Any]) -> None:
    """Apply the sample InferenceDeployment and wait until both its units are Ready."""
    ns = fleet["namespace"]
    cluster.kubectl("apply", "-n", ns, "-f", "-", input=yaml.safe_dump(fleet["infd"]))
    wait_for("both units ready", lambda: _ready_22(cluster, ns), timeout=90)


def test_the_sample_runs_one_pod_per_node_and_reports_ready_units(
    cluster: cluster_support.Cluster, fleet: dict[str, Any], running_operator: operator.Operator
) -> None:
    ns = fleet["namespace"]
    _apply_and_wait(cluster, fleet)

    pods = _pods(cluster, ns, "app.kubernetes.io/name=tokenfleet-engine")
    assert len(pods) == 22
    assert all(p["status"]["phase"] == "Running" for p in pods)
    hosts = [p["spec"]["nodeName"] for p in pods]
    assert len(set(hosts)) == 22, "one engine pod per node"
    by_role = {
        role: sorted(
            int(p["metadata"]["labels"]["tokenfleet.io/rank"])
            for p in pods
            if p["metadata"]["labels"]["tokenfleet.io/role"] == role
            and "tokenfleet.io/rank" in p["metadata"]["labels"]
        )
        for role in ("prefill", "decode")
    }
    assert by_role == {"prefill": list(range(4)), "decode": list(range(18))}
    for pod in pods:
        limits = pod["spec"]["containers"][0]["resources"]["limits"]
        assert limits["nvidia.com/gpu"] in (8, "8")

    # No finalizer: stopping or uninstalling the operator never leaves objects stuck.
    finalizers = cluster.kubectl(
        "get", "infd", "deepseek-v3", "-n", ns, "-o", "jsonpath={.metadata.finalizers}"
    ).stdout
    assert finalizers == ""
    status = _status(cluster, ns, "deepseek-v3")
    assert status["roles"]["decode"] == {
        "desiredUnits": 1,
        "readyUnits": 1,
        "desiredNodes": 18,
        "readyNodes": 18,
    }
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "True" and ready["observedGeneration"] == 1
    printed = cluster.kubectl("get", "infd", "deepseek-v3", "-n", ns).stdout.splitlines()[1]
    assert printed.split()[:5] == ["deepseek-v3", "sglang", "2/2", "22", "True"]

    # A second reconcile writes nothing: every object keeps its resourceVersion.
    def versions() -> dict[str, str]:
        out = cluster.kubectl(
            "get",
            "sts,svc,deploy,podgroups.scheduling.k8s.io",
            "-n",
            ns,
            "-o",
            "jsonpath={range .items[*]}{.kind}/{.metadata.name}={.metadata.resourceVersion} {end}",
        ).stdout.split()
        return dict(item.split("=") for item in out)

    before = versions()
    body = yaml.safe_load(
        cluster.kubectl("get", "infd", "deepseek-v3", "-n", ns, "-o", "yaml").stdout
    )
    reconciler = inference_deployments.Reconciler(running_operator.ctx)
    reconciler.reconcile(body)
    reconciler.reconcile(body)
    assert versions() == before


def test_a_deleted_pod_recreates_its_whole_unit(
    cluster: cluster_support.Cluster, fleet: dict[str, Any], running_operator: operator.Operator
) -> None:
    ns = fleet["namespace"]
    _apply_and_wait(cluster, fleet)
    selector = "tokenfleet.io/role=prefill"
    before = {p["metadata"]["name"]: p["metadata"]["uid"] for p in _pods(cluster, ns, selector)}
    decode_before = {p["metadata"]["uid"] for p in _pods(cluster, ns, "tokenfleet.io/role=decode")}
    assert len(before) == 4

    cluster.kubectl("delete", "pod", "deepseek-v3-prefill-0-2", "-n", ns, "--wait=false")

    def all_four_replaced() -> bool:
        now = {p["metadata"]["name"]: p["metadata"]["uid"] for p in _pods(cluster, ns, selector)}
        return len(now) == 4 and not set(now.values()) & set(before.values())

    wait_for("every prefill pod replaced", all_four_replaced, timeout=60)
    wait_for("both units ready again", lambda: _ready_22(cluster, ns), timeout=60)
    decode_after = {p["metadata"]["uid"] for p in _pods(cluster, ns, "tokenfleet.io/role=decode")}
    assert decode_after == decode_before, "the other unit is left alone"
    events = cluster.kubectl(
        "get", "events", "-n", ns, "--field-selector", "reason=UnitRecreated", "-o", "yaml"
    ).stdout
    assert "deepseek-v3-prefill-0-2 was deleted" in events


def test_an_image_change_rolls_units_without_going_below_the_minimum(
    cluster: cluster_support.Cluster, fleet: dict[str, Any], running_operator: operator.Operator
) -> None:
    ns = fleet["namespace"]
    infd = copy.deepcopy(fleet["infd"])
    # Room for two prefill units, minimum one: a roll must keep one ready unit throughout.
    infd["spec"]["roles"]["decode"]["nodesPerUnit"] = 2
    # The surge unit leaves like any unit past the desired count: it drains first. Here no
    # engine answers and the clock stands still, so only a zero timeout lets it go.
    infd["spec"].setdefault("router", {})["drainTimeoutSeconds"] = 0
    cluster.kubectl("apply", "-n", ns, "-f", "-", input=yaml.safe_dump(infd))

    def ready_units(role: str) -> int:
        return int(
            _status(cluster, ns, "deepseek-v3").get("roles", {}).get(role, {}).get("readyUnits", 0)
        )

    wait_for("ready", lambda: ready_units("prefill") == 1 and ready_units("decode") == 1)
    infd["spec"]["engine"]["image"] = "engine:2"
    cluster.kubectl("apply", "-n", ns, "-f", "-", input=yaml.safe_dump(infd))

    seen_prefill_ready: list[int] = []

    def rolled() -> bool:
        seen_prefill_ready.append(ready_units("prefill"))
        pods = _pods(cluster, ns, "app.kubernetes.io/name=tokenfleet-engine")
        images = {p["spec"]["containers"][0]["image"] for p in pods}
        ready = all(
            any(
                c["type"] == "Ready" and c["status"] == "True"
                for c in p["status"].get("conditions", [])
            )
            for p in pods
        )
        return images == {"engine:2"} and ready and len(pods) == 6

    wait_for("every pod on the new image", rolled, timeout=120)
    wait_for(
        "the surge unit gone", lambda: len(_pods(cluster, ns, "tokenfleet.io/role=prefill")) == 4
    )
    assert min(seen_prefill_ready) >= 1, seen_prefill_ready
    events = cluster.kubectl("get", "events", "-n", ns, "-o", "yaml").stdout
    assert "surge" in events and "roll unit 0 to the new template" in events


def test_deleting_the_deployment_leaves_nothing_behind(
    cluster: cluster_support.Cluster, fleet: dict[str, Any], running_operator: operator.Operator
) -> None:
    ns = fleet["namespace"]
    _apply_and_wait(cluster, fleet)
    cluster.kubectl("delete", "infd", "deepseek-v3", "-n", ns)

    def empty() -> bool:
        kinds = "sts,svc,deploy,pods,podgroups.scheduling.k8s.io,roles,rolebindings"
        out = cluster.kubectl("get", kinds, "-n", ns, "-o", "name").stdout
        accounts = cluster.kubectl("get", "sa", "-n", ns, "-o", "name").stdout.split()
        return out.strip() == "" and accounts == ["serviceaccount/default"]

    wait_for("no StatefulSet, Service, Deployment, pod or router account left", empty, 90)


def test_a_missing_pool_is_reported_in_ready_and_an_event_and_the_units_follow_it(
    cluster: cluster_support.Cluster, fleet: dict[str, Any], running_operator: operator.Operator
) -> None:
    ns = fleet["namespace"]
    infd = copy.deepcopy(fleet["infd"])
    infd["spec"]["nodePoolRef"]["name"] = "no-such-pool"
    cluster.kubectl("apply", "-n", ns, "-f", "-", input=yaml.safe_dump(infd))

    def not_found() -> dict[str, Any] | None:
        conditions = _status(cluster, ns, "deepseek-v3").get("conditions") or []
        ready = [c for c in conditions if c["type"] == "Ready"]
        return ready[0] if ready and ready[0]["reason"] == "PoolNotFound" else None

    ready = wait_for("Ready=False, PoolNotFound", not_found, timeout=60)
    assert ready["status"] == "False"
    assert "'no-such-pool' does not exist" in ready["message"]
    events = cluster.kubectl(
        "get", "events", "-n", ns, "--field-selector", "reason=PoolNotFound", "-o", "name"
    ).stdout
    assert events.strip(), "no PoolNotFound event"
    assert _pods(cluster, ns) == []

    # Pointed at the pool, the same deployment runs its units.
    _apply_and_wait(cluster, fleet)


def test_tokenfleet_render_prints_what_the_operator_writes(
    cluster: cluster_support.Cluster, fleet: dict[str, Any], running_operator: operator.Operator
) -> None:
    ns = fleet["namespace"]
    _apply_and_wait(cluster, fleet)
    text = render.render([fleet["pool_doc"], fleet["infd"]], NIGHT, ns)
    rendered = [d for d in yaml.safe_load_all(text) if d]
    kinds = {
        "Service": "svc",
        "PodGroup": "podgroups.scheduling.k8s.io",
        "StatefulSet": "sts",
        "Deployment": "deploy",
        "ServiceAccount": "sa",
        "Role": "roles",
        "RoleBinding": "rolebindings",
    }
    # Each rendered object is on the cluster, holding every field render gave it.
    for obj in rendered:
        live = yaml.safe_load(
            cluster.kubectl(
                "get", kinds[obj["kind"]], obj["metadata"]["name"], "-n", ns, "-o", "yaml"
            ).stdout
        )
        assert kube_client.contains(live, obj), f"{obj['kind']} {obj['metadata']['name']}"
    # And the operator wrote nothing render leaves out.
    written = cluster.kubectl(
        "get",
        "svc,podgroups.scheduling.k8s.io,sts,deploy,sa,roles,rolebindings",
        "-n",
        ns,
        "-l",
        "tokenfleet.io/deployment=deepseek-v3",
        "-o",
        "jsonpath={range .items[*]}{.kind}/{.metadata.name} {end}",
    ).stdout.split()
    assert sorted(written) == sorted(f"{o['kind']}/{o['metadata']['name']}" for o in rendered)
    # A Service, a PodGroup and a StatefulSet per unit; the router's account, Role, binding,
    # Service and Deployment.
    assert len(rendered) == 3 + 3 + 5
