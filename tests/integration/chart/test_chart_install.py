"""`helm install` of the chart into the test cluster, then the operator run as the chart made it.

No operator image can be pulled here, so the release's pod lands on a KWOK node made for it
(KWOK reports it Running and Ready: `helm install --wait` and the rollout complete), and the
operator process runs locally (in this test process) with the chart's ServiceAccount token and
peering name: what it manages to do is exactly what the chart's RBAC and peering allow. With a
fake clock at 16:29 UTC, the PricingPlan's status shows the list prices and the night window due
at 16:30, which no other operator on a wall clock would write. Covered: the cluster-wide install
(RBAC checked verb by verb with `kubectl auth can-i`, peering registration and clean exit,
`helm upgrade`, `helm uninstall`) and the namespaced one (writes only in watched namespaces).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import pathlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from tests.integration.chart import helm as h
from tests.support import cluster as cluster_support
from tests.support.waiting import wait_for

from tokenfleet import clock as clock_mod
from tokenfleet.controllers import operator, settings
from tokenfleet.kube import client as kube_client

pytestmark = pytest.mark.integration

SAMPLE = cluster_support.ROOT / "manifests" / "samples" / "deepseek-v3.yaml"
T0 = dt.datetime(2025, 3, 3, 16, 29, tzinfo=dt.UTC)
TEST_LABEL = "tokenfleet.io/chart-test"
PERMISSION_ERRORS = re.compile(r"forbidden|not enough permissions|\b403\b", re.IGNORECASE)


def sample_plan() -> dict[str, Any]:
    docs = list(yaml.safe_load_all(SAMPLE.read_text()))
    return next(d for d in docs if d["kind"] == "PricingPlan")


@contextlib.contextmanager
def operator_node(cluster: cluster_support.Cluster, name: str) -> Iterator[dict[str, Any]]:
    """A KWOK node only the release's pod may use; yields the values that pin the pod to it."""
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {"kwok.x-k8s.io/node": "fake"},
            "labels": {"kubernetes.io/hostname": name, "type": "kwok", TEST_LABEL: name},
        },
        "spec": {"taints": [{"key": TEST_LABEL, "value": name, "effect": "NoSchedule"}]},
        "status": {
            "allocatable": {"cpu": "8", "memory": "16Gi", "pods": "20"},
            "capacity": {"cpu": "8", "memory": "16Gi", "pods": "20"},
        },
    }
    cluster.kubectl("apply", "--server-side", "-f", "-", input=yaml.safe_dump(node))
    try:
        yield {
            "nodeSelector": {TEST_LABEL: name},
            "tolerations": [
                {"key": TEST_LABEL, "operator": "Equal", "value": name, "effect": "NoSchedule"}
            ],
        }
    finally:
        cluster.kubectl("delete", "node", name, "--wait=false", check=False)


@contextlib.contextmanager
def installed(
    helm: h.Helm, release: str, namespace: str, values: dict[str, Any]
) -> Iterator[dict[str, Any]]:
    """`helm install --wait`; yields `helm status` as JSON; uninstalls on the way out."""
    helm.run(
        "install", release, str(h.CHART), "--namespace", namespace, "--wait", "--timeout=180s",
        values=values,
    )  # fmt: skip
    try:
        status = helm.run("status", release, "--namespace", namespace, "-o=json").stdout
        yield dict(json.loads(status))
    finally:
        helm.run("uninstall", release, "--namespace", namespace, "--wait", check=False)


def token_kubeconfig(
    cluster: cluster_support.Cluster, namespace: str, account: str, path: pathlib.Path
) -> pathlib.Path:
    """A kubeconfig that authenticates as the ServiceAccount (a bound token, one hour)."""
    token = cluster.kubectl(
        "create", "token", account, "--namespace", namespace, "--duration=1h"
    ).stdout.strip()
    admin = yaml.safe_load(cluster.kubeconfig.read_text())
    context = next(c for c in admin["contexts"] if c["name"] == admin["current-context"])
    server = next(c for c in admin["clusters"] if c["name"] == context["context"]["cluster"])
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [server],
                "users": [{"name": account, "user": {"token": token}}],
                "contexts": [
                    {"name": account, "context": {"cluster": server["name"], "user": account}}
                ],
                "current-context": account,
            }
        )
    )
    return path


@contextlib.contextmanager
def running_as(
    kubeconfig: pathlib.Path, peering: str, namespaces: tuple[str, ...] = ()
) -> Iterator[operator.Operator]:
    """The real operator in this process, with these credentials and peering, on a fake clock."""
    kube = kube_client.Kube.from_kubeconfig(kubeconfig)
    op = operator.build(
        settings.Settings(
            namespaces=namespaces,
            kubeconfig=str(kubeconfig),
            metrics_port=0,
            peering=peering,
            reconcile=settings.ReconcileSettings(
                inference_interval=1, pool_interval=1, pricing_interval=1
            ),
        ),
        clock=clock_mod.FakeClock(T0),
        kube=kube,
    )
    try:
        with operator.InThread(op):
            yield op
    finally:
        kube.close()


def plan_status(cluster: cluster_support.Cluster, namespace: str) -> dict[str, Any]:
    out = cluster.kubectl("get", "pricingplan", "deepseek", "-n", namespace, "-o", "json")
    return dict(json.loads(out.stdout).get("status") or {})


def written_by_the_fake_clock(cluster: cluster_support.Cluster, namespace: str) -> bool:
    status = plan_status(cluster, namespace)
    return (
        status.get("activeWindow") == "list" and status.get("nextChange") == "2025-03-03T16:30:00Z"
    )


def can_i(
    cluster: cluster_support.Cluster, user: str, verb: str, resource: str, namespace: str | None
) -> bool:
    """A SubjectAccessReview for `user`: may it `verb` `resource` ("plural.group/subresource")
    in `namespace` (None: in every namespace, or cluster-scoped)? Asked directly, not through
    `kubectl auth can-i`, which needs the kind to be served (LeaderWorkerSet is not here)."""
    kind, _, subresource = resource.partition("/")
    plural, _, group = kind.partition(".")
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {
            "user": user,
            "groups": ["system:serviceaccounts", "system:authenticated"],
            "resourceAttributes": {
                "verb": verb,
                "group": group,
                "resource": plural,
                "subresource": subresource,
                "namespace": namespace or "",
            },
        },
    }
    out = cluster.kubectl("create", "-o", "json", "-f", "-", input=json.dumps(review))
    return bool(json.loads(out.stdout)["status"].get("allowed"))


def peers(
    cluster: cluster_support.Cluster, kind: str, name: str, namespace: str | None
) -> dict[str, Any]:
    where = ["--namespace", namespace] if namespace else []
    out = cluster.kubectl("get", kind, name, *where, "-o", "json")
    return dict(json.loads(out.stdout).get("status") or {})


def test_helm_install_then_the_operator_as_the_chart_service_account_writes_status(
    cluster: cluster_support.Cluster,
    helm: h.Helm,
    crds_installed: None,  # as on a cluster upgraded by hand: Helm must skip CRDs that exist
    monitoring_crds: None,
    tmp_path: pathlib.Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    namespace = cluster_support.new_namespace(cluster, "chart")
    release = namespace
    fullname = f"{release}-tokenfleet"
    user = f"system:serviceaccount:{namespace}:{fullname}"
    try:
        with (
            operator_node(cluster, f"{namespace}-op") as pin,
            installed(helm, release, namespace, pin) as status,
        ):
            assert status["info"]["status"] == "deployed"
            assert f'ClusterKopfPeering "{fullname}"' in status["info"]["notes"]
            rollout = cluster.kubectl(
                "rollout", "status", f"deployment/{fullname}", "-n", namespace, "--timeout=60s"
            )
            assert "successfully rolled out" in rollout.stdout
            # The monitoring CRDs are served here, so "auto" rendered both objects.
            cluster.kubectl("get", "servicemonitor", fullname, "-n", namespace)
            cluster.kubectl("get", "prometheusrule", f"{release}-rules", "-n", namespace)

            # RBAC, verb by verb: what the controllers do, and what they must not be able to.
            allowed = [
                ("patch", "pricingplans.tokenfleet.io/status", namespace),
                ("watch", "inferencedeployments.tokenfleet.io", None),
                ("patch", "gpunodepools.tokenfleet.io", None),
                ("create", "statefulsets.apps", "default"),
                ("delete", "services", "default"),
                ("patch", "pods", "default"),
                ("create", "pods/eviction", "kube-system"),
                ("delete", "nodes", None),
                ("create", "events", "default"),
                ("patch", "clusterkopfpeerings.kopf.dev", None),
                ("watch", "customresourcedefinitions.apiextensions.k8s.io", None),
                ("patch", "machinedeployments.cluster.x-k8s.io", "default"),
                ("patch", "nodepools.karpenter.sh", None),
                ("create", "leaderworkersets.leaderworkerset.x-k8s.io", "default"),
                # Each router's account and its pod-watching Role.
                ("create", "serviceaccounts", "default"),
                ("create", "roles.rbac.authorization.k8s.io", "default"),
                ("create", "rolebindings.rbac.authorization.k8s.io", "default"),
            ]
            refused = [
                ("get", "secrets", namespace),
                ("list", "configmaps", None),
                ("create", "clusterrolebindings", None),
                ("delete", "namespaces", None),
                ("delete", "customresourcedefinitions.apiextensions.k8s.io", None),
                ("patch", "inferencedeployments.tokenfleet.io/scale", "default"),
                ("create", "pods", "default"),
                ("create", "jobs.batch", None),
                ("create", "clusterroles.rbac.authorization.k8s.io", None),
                ("escalate", "roles.rbac.authorization.k8s.io", "default"),
                ("bind", "roles.rbac.authorization.k8s.io", "default"),
                ("impersonate", "serviceaccounts", "default"),
            ]
            assert [a for a in allowed if not can_i(cluster, user, *a)] == []
            assert [r for r in refused if can_i(cluster, user, *r)] == []
            # It may write the router's Role, and no Role granting more than it holds.
            as_operator = ("--as", user, "-n", namespace, "--dry-run=server")
            router_role = ("create", "role", "r", "--verb=get,list,watch", "--resource=pods")
            assert cluster.kubectl(*router_role, *as_operator, check=False).returncode == 0
            secrets_role = ("create", "role", "s", "--verb=get", "--resource=secrets")
            denied = cluster.kubectl(*secrets_role, *as_operator, check=False)
            assert denied.returncode != 0 and "forbidden" in denied.stderr.lower(), denied.stderr

            kubeconfig = token_kubeconfig(cluster, namespace, fullname, tmp_path / "sa.yaml")
            cluster.kubectl(
                "apply", "-n", namespace, "-f", "-", input=yaml.safe_dump(sample_plan())
            )
            caplog.set_level(logging.WARNING)
            with running_as(kubeconfig, peering=fullname):
                wait_for(
                    "the PricingPlan's status from the operator running as the chart's account",
                    lambda: written_by_the_fake_clock(cluster, namespace),
                    timeout=60,
                )
                registered = peers(cluster, "clusterkopfpeering", fullname, None)
                assert len(registered) == 1
                assert next(iter(registered.values()))["priority"] == 0
            assert PERMISSION_ERRORS.findall(caplog.text) == [], caplog.text
            # A stopping replica leaves the peering, so that the next one need not wait.
            assert peers(cluster, "clusterkopfpeering", fullname, None) == {}

            helm.run(
                "upgrade", release, str(h.CHART), "--namespace", namespace, "--reuse-values",
                "--wait", "--timeout=120s", values={"operator": {"verbose": True}},
            )  # fmt: skip
            args = cluster.kubectl(
                "get", "deployment", fullname, "-n", namespace,
                "-o", "jsonpath={.spec.template.spec.containers[0].args}",
            ).stdout  # fmt: skip
            assert json.loads(args) == ["run", "--verbose"]

        gone = cluster.kubectl("get", "clusterrole", fullname, check=False)
        assert gone.returncode != 0, "helm uninstall left the ClusterRole"
        for crd in ("clusterkopfpeerings.kopf.dev", "kopfpeerings.kopf.dev"):
            cluster.kubectl("get", "crd", crd)  # kept: other kopf operators may peer through it
    finally:
        cluster.kubectl("delete", "clusterkopfpeering", fullname, "--wait=false", check=False)
        cluster.kubectl("delete", "namespace", namespace, "--wait=false", check=False)


def test_a_namespaced_install_lets_the_operator_write_only_in_its_namespaces(
    cluster: cluster_support.Cluster,
    helm: h.Helm,
    crds_installed: None,
    tmp_path: pathlib.Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    namespace = cluster_support.new_namespace(cluster, "chart")
    watched = cluster_support.new_namespace(cluster, "watched")
    other = cluster_support.new_namespace(cluster, "other")
    fullname = f"{namespace}-tokenfleet"
    user = f"system:serviceaccount:{namespace}:{fullname}"
    values = {"replicaCount": 0, "operator": {"watchNamespaces": [watched]}}
    try:
        with installed(helm, namespace, namespace, values) as status:
            assert status["info"]["status"] == "deployed"
            assert "replicaCount=0" in status["info"]["notes"]
            cluster.kubectl("get", "kopfpeering", fullname, "-n", watched)
            for verb, resource in [
                ("create", "statefulsets.apps"),
                ("patch", "pricingplans.tokenfleet.io/status"),
                ("patch", "kopfpeerings.kopf.dev"),
                ("patch", "pods"),  # rank labels; deletes are cluster-wide: drains need them
                ("delete", "services"),
            ]:
                assert can_i(cluster, user, verb, resource, watched), (verb, resource)
                assert not can_i(cluster, user, verb, resource, other), (verb, resource)
            assert can_i(cluster, user, "create", "events", "default")
            assert not can_i(cluster, user, "create", "events", other)
            assert can_i(cluster, user, "watch", "namespaces", None)
            assert not can_i(cluster, user, "patch", "clusterkopfpeerings.kopf.dev", None)

            kubeconfig = token_kubeconfig(cluster, namespace, fullname, tmp_path / "sa.yaml")
            cluster.kubectl("apply", "-n", watched, "-f", "-", input=yaml.safe_dump(sample_plan()))
            caplog.set_level(logging.WARNING)
            with running_as(kubeconfig, peering=fullname, namespaces=(watched,)):
                wait_for(
                    "the PricingPlan's status in the watched namespace",
                    lambda: written_by_the_fake_clock(cluster, watched),
                    timeout=60,
                )
                assert len(peers(cluster, "kopfpeering", fullname, watched)) == 1
            assert PERMISSION_ERRORS.findall(caplog.text) == [], caplog.text
    finally:
        for name in (namespace, watched, other):
            cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)
