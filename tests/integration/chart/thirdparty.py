"""CRDs the chart's optional objects need, installed for real so the API server validates them.

The Prometheus Operator's ServiceMonitor and PrometheusRule CRDs come from its Go module
(github.com/prometheus-operator/prometheus-operator, `example/prometheus-operator-crd/`) at the
version pinned in hack/versions.env, cached in ~/.cache/tokenfleet/crds/ like the Cluster API and
Karpenter CRDs of hack/install-crds-thirdparty.sh.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import tempfile

from tests.support import cluster as cluster_support

MODULE = "github.com/prometheus-operator/prometheus-operator"
FILES = ("monitoring.coreos.com_servicemonitors.yaml", "monitoring.coreos.com_prometheusrules.yaml")


def pinned(name: str) -> str:
    """A version from hack/versions.env."""
    for line in (cluster_support.HACK / "versions.env").read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() == name:
            return value.strip()
    raise KeyError(f"{name} is not in hack/versions.env")


def cache_dir() -> pathlib.Path:
    root = os.environ.get("TOKENFLEET_CACHE") or str(pathlib.Path.home() / ".cache" / "tokenfleet")
    return pathlib.Path(root) / "crds"


def prometheus_operator_crds() -> pathlib.Path:
    """The folder holding the two CRDs, fetched from the Go module proxy on first use."""
    version = pinned("PROMETHEUS_OPERATOR_VERSION")
    out = cache_dir() / f"prometheus-operator-{version}"
    if all((out / f).exists() for f in FILES):
        return out
    env = dict(os.environ, GOTOOLCHAIN="local", GOFLAGS="-mod=mod")
    got = subprocess.run(
        ["go", "mod", "download", "-json", f"{MODULE}@{version}"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=600,
    )
    if got.returncode != 0:
        raise RuntimeError(f"go mod download {MODULE}@{version} failed:\n{got.stdout}{got.stderr}")
    src = pathlib.Path(json.loads(got.stdout)["Dir"]) / "example" / "prometheus-operator-crd"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix=".fetch.", dir=out.parent))
    for name in FILES:
        shutil.copyfile(src / name, tmp / name)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return out


def apply_crds(cluster: cluster_support.Cluster, folder: pathlib.Path) -> None:
    """Apply every CRD in `folder` server-side and wait until each is Established."""
    cluster.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(folder))
    for path in sorted(folder.glob("*.yaml")):
        cluster.kubectl("wait", "--for=condition=Established", "-f", str(path), "--timeout=60s")
