"""`kubectl tokenfleet render`: the real kubectl finds the `kubectl-tokenfleet` executable the
package installs and runs it, printing what `tokenfleet render` prints."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest
from tests.support import cluster as cluster_support

pytestmark = pytest.mark.integration

SAMPLE = cluster_support.ROOT / "manifests" / "samples" / "deepseek-v3.yaml"
ARGS = ["render", "-f", str(SAMPLE), "--at", "2025-01-06T20:00:00+00:00", "--units", "decode=2"]


def test_kubectl_runs_the_plugin(cluster: cluster_support.Cluster) -> None:
    bin_dir = pathlib.Path(sys.executable).parent
    assert (bin_dir / "kubectl-tokenfleet").exists()
    env = {**cluster.env(), "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    plugins = subprocess.run(
        [str(cluster.bin_dir / "kubectl"), "plugin", "list"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert str(bin_dir / "kubectl-tokenfleet") in plugins.stdout, plugins.stderr
    via_kubectl = subprocess.run(
        [str(cluster.bin_dir / "kubectl"), "tokenfleet", *ARGS],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=60,
    )
    direct = subprocess.run(
        [sys.executable, "-m", "tokenfleet", *ARGS],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert via_kubectl.stdout == direct.stdout
    assert "# deepseek-v3 decode unit 1 rank 17: " in via_kubectl.stdout
