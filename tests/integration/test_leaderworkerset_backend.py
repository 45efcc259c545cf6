"""The leaderworkerset backend against LeaderWorkerSet's real CRD (sigs.k8s.io/lws at the version
hack/versions.env pins, applied by hack/install-crds-thirdparty.sh): the API server accepts
every LeaderWorkerSet the operator writes under LWS's own schema, one per role with a group per
unit and a group size of nodesPerUnit, holding exactly what `tokenfleet render` prints; a new
minUnits changes the groups; status says the units wait for LWS and that LWS, not a PodGroup,
makes the groups. LWS's controller does not run here, so no pod is made: that part is LWS's."""

from __future__ import annotations

import copy
import datetime as dt
import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from tests.support import cluster as cluster_support
from tests.support import operator as operator_support
from tests.support.waiting import wait_for

from tokenfleet import clock as clock_mod
from tokenfleet.commands import render
from tokenfleet.controllers import operator
from tokenfleet.kube import client as kube_client

pytestmark = pytest.mark.integration

SAMPLE = cluster_support.ROOT / "manifests" / "samples" / "deepseek-v3.yaml"
NIGHT = dt.datetime(2025, 1, 6, 20, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def lws_crd(cluster: cluster_support.Cluster) -> None:
    out = subprocess.run(
        ["bash", str(cluster_support.HACK / "install-crds-thirdparty.sh"), "--apply", "lws"],
        capture_output=True,
        text=True,
        env=cluster.env(),
        check=False,
        timeout=900,
    )
    if out.returncode != 0:
        raise RuntimeError(f"hack/install-crds-thirdparty.sh lws failed:\n{out.stderr}")


@pytest.fixture
def fleet(
    cluster: cluster_support.Cluster, namespace: str, lws_crd: None
) -> Iterator[dict[str, Any]]:
    pool_doc, _plan, infd_doc = yaml.safe_load_all(SAMPLE.read_text())
    pool_name = f"lws-{uuid.uuid4().hex[:6]}"
    pool_doc["metadata"]["name"] = pool_name
    pool_doc["spec"]["nodeLabels"]["tokenfleet.io/pool"] = pool_name
    infd_doc["spec"]["nodePoolRef"]["name"] = pool_name
    del infd_doc["spec"]["pricingPlanRef"]
    infd_doc["spec"]["backend"] = "leaderworkerset"
    infd_doc["spec"]["autoscaling"] = {"enabled": False}
    cluster.kubectl("apply", "-f", "-", input=yaml.safe_dump(pool_doc))
    yield {"pool_doc": pool_doc, "infd": infd_doc, "namespace": namespace}
    cluster.kubectl("delete", "gpool", pool_name, "--wait=false", check=False)


@pytest.fixture
def running_operator(cluster: cluster_support.Cluster) -> Iterator[operator.Operator]:
    with operator_support.running(cluster, clock_mod.FakeClock(NIGHT)) as op:
        yield op


def _lws(cluster: cluster_support.Cluster, ns: str) -> dict[str, dict[str, Any]]:
    out = cluster.kubectl("get", "leaderworkersets", "-n", ns, "-o", "yaml").stdout
    return {o["metadata"]["name"]: o for o in yaml.safe_load(out)["items"]}


def test_the_api_server_accepts_each_role_as_a_leaderworkerset_under_its_own_schema(
    cluster: cluster_support.Cluster, fleet: dict[str, Any], running_operator: operator.Operator
) -> None:
    ns = fleet["namespace"]
    cluster.kubectl("apply", "-n", ns, "-f", "-", input=yaml.safe_dump(fleet["infd"]))
    found = wait_for(
        "a LeaderWorkerSet per role",
        lambda: (sets := _lws(cluster, ns)) and len(sets) == 2 and sets,
        timeout=60,
    )
    prefill, decode = found["deepseek-v3-prefill"], found["deepseek-v3-decode"]
    assert (prefill["spec"]["replicas"], decode["spec"]["replicas"]) == (1, 1)
    size = {n: o["spec"]["leaderWorkerTemplate"]["size"] for n, o in found.items()}
    assert size == {"deepseek-v3-prefill": 4, "deepseek-v3-decode": 18}
    # What is stored is what render prints (LWS's defaults added beside it).
    text = render.render([fleet["pool_doc"], fleet["infd"]], NIGHT, ns)
    rendered = [d for d in yaml.safe_load_all(text) if d and d["kind"] == "LeaderWorkerSet"]
    assert [o["metadata"]["name"] for o in rendered] == [
        "deepseek-v3-prefill",
        "deepseek-v3-decode",
    ]
    for obj in rendered:
        assert kube_client.contains(found[obj["metadata"]["name"]], obj), obj["metadata"]["name"]

    def conditions() -> dict[str, dict[str, Any]] | None:
        status = (
            yaml.safe_load(
                cluster.kubectl("get", "infd", "deepseek-v3", "-n", ns, "-o", "yaml").stdout
            ).get("status")
            or {}
        )
        out = {c["type"]: c for c in status.get("conditions") or []}
        return out if "GangScheduling" in out else None

    status = wait_for("status conditions", conditions, timeout=30)
    assert (status["Ready"]["status"], status["Ready"]["reason"]) == ("False", "UnitsNotReady")
    assert status["GangScheduling"]["reason"] == "LeaderWorkerSet"

    # Two prefill units: the prefill LeaderWorkerSet holds two groups.
    infd = copy.deepcopy(fleet["infd"])
    infd["spec"]["roles"]["prefill"]["minUnits"] = 2
    cluster.kubectl("apply", "-n", ns, "-f", "-", input=yaml.safe_dump(infd))
    wait_for(
        "two prefill groups",
        lambda: _lws(cluster, ns)["deepseek-v3-prefill"]["spec"]["replicas"] == 2,
        timeout=30,
    )
