"""What the chart renders is accepted by the real test API server (server-side dry-run, so every
object is checked against the server's schemas: core kinds, RBAC, the CRDs, kopf's peering kinds
and the Prometheus Operator's ServiceMonitor and PrometheusRule); the plain install manifest is a
fresh render of the chart and is accepted too; and a cluster-aware dry-run leaves alone the
peering CRDs that some other installer owns."""

from __future__ import annotations

import difflib
import json
import subprocess
from typing import Any

import pytest
import yaml
from tests.integration.chart import helm as h
from tests.support import cluster as cluster_support

pytestmark = pytest.mark.integration

INSTALL = cluster_support.ROOT / "manifests" / "install.yaml"


def dry_run(cluster: cluster_support.Cluster, text: str) -> list[str]:
    """Server-side dry-run apply of a YAML stream; the lines kubectl printed, one per object."""
    out = cluster.kubectl(
        "apply",
        "--server-side",
        "--force-conflicts",
        "--dry-run=server",
        "-f",
        "-",
        input=text,
        check=False,
    )
    assert out.returncode == 0, f"the API server refused:\n{out.stderr}"
    return out.stdout.splitlines()


@pytest.mark.parametrize(
    "values",
    [
        {},
        {
            "operator": {"watchNamespaces": ["default", "kube-public"], "verbose": True},
            "replicaCount": 2,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}},
            "metrics": {"service": {"type": "NodePort"}},
            "image": {"digest": "sha256:" + "0" * 64},
            "rbac": {"karpenter": False, "clusterAPI": False, "leaderWorkerSet": False},
            "dashboards": {"namespace": "default", "annotations": {"grafana_folder": "fleet"}},
        },
        {"peering": {"enabled": False}, "serviceAccount": {"create": False, "name": "default"}},
    ],
    ids=["defaults", "namespaced", "standalone"],
)
def test_every_rendered_object_is_accepted_by_the_api_server(
    cluster: cluster_support.Cluster,
    helm: h.Helm,
    namespace: str,
    monitoring_crds: None,
    peering_crds: None,
    values: dict[str, Any],
) -> None:
    text = helm.template_text(
        values,
        release=f"dry-{namespace}",
        namespace=namespace,
        api_versions=h.MONITORING,
        extra=["--include-crds"],
    )
    rendered = [d for d in yaml.safe_load_all(text) if d]
    applied = dry_run(cluster, text)
    assert len(applied) == len(rendered)
    assert all("(server dry run)" in line for line in applied)
    kinds = {d["kind"] for d in rendered}
    assert {"Deployment", "ServiceMonitor", "PrometheusRule", "CustomResourceDefinition"} <= kinds


def test_the_install_manifest_is_a_fresh_render_of_the_chart(
    cluster: cluster_support.Cluster, helm: h.Helm
) -> None:
    fresh = subprocess.run(
        ["bash", str(cluster_support.HACK / "render-install.sh"), "-"],
        capture_output=True,
        text=True,
        env={**cluster.env(), "HELM": str(helm.binary)},
        check=True,
        timeout=120,
    ).stdout
    committed = INSTALL.read_text()
    diff = "".join(
        difflib.unified_diff(
            committed.splitlines(True), fresh.splitlines(True), str(INSTALL), "fresh render"
        )
    )
    assert not diff, (
        f"manifests/install.yaml drifts from the chart: run `make install-manifest`\n{diff}"
    )


def test_the_install_manifest_holds_everything_and_is_accepted_by_the_api_server(
    cluster: cluster_support.Cluster, namespace: str, peering_crds: None
) -> None:
    docs = [d for d in yaml.safe_load_all(INSTALL.read_text()) if d]
    kinds = [d["kind"] for d in docs]
    assert kinds[0] == "CustomResourceDefinition"
    crds = {d["metadata"]["name"] for d in docs if d["kind"] == "CustomResourceDefinition"}
    own = {yaml.safe_load(p.read_text())["metadata"]["name"] for p in (h.CHART / "crds").iterdir()}
    assert crds == own | {"clusterkopfpeerings.kopf.dev", "kopfpeerings.kopf.dev"}
    assert h.one(docs, "Namespace")["metadata"]["name"] == "tokenfleet-system"
    assert "ServiceMonitor" not in kinds  # a plain cluster may not serve it
    # The dry-run goes to a fresh namespace: tokenfleet-system may not exist on the test cluster
    # (a server-side dry-run creates nothing, not even the Namespace it is given).
    text = INSTALL.read_text().replace("tokenfleet-system", namespace)
    assert len(dry_run(cluster, text)) == len(docs)


def test_a_cluster_aware_dry_run_leaves_peering_crds_of_another_installer_alone(
    cluster: cluster_support.Cluster, helm: h.Helm, namespace: str, peering_crds: None
) -> None:
    """The peering CRDs exist and no release of this name owns them: rendering against the
    cluster (install --dry-run=server, where `lookup` sees it) must not claim them, or Helm would
    refuse the install for their ownership metadata."""
    owners = cluster.kubectl(
        "get",
        "crd",
        "clusterkopfpeerings.kopf.dev",
        "-o",
        "jsonpath={.metadata.annotations.meta\\.helm\\.sh/release-name}",
    ).stdout
    release = f"dry-{namespace}"
    assert owners != release
    out = helm.run(
        "install", release, str(h.CHART), "--namespace", namespace, "--dry-run=server", "-o=json"
    ).stdout
    manifest = [d for d in yaml.safe_load_all(json.loads(out)["manifest"]) if d]
    assert not h.of_kind(manifest, "CustomResourceDefinition")
    assert h.of_kind(manifest, "Deployment")
    offline = helm.template(release=release, namespace=namespace)
    assert len(h.of_kind(offline, "CustomResourceDefinition")) == 2
