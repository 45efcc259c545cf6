"""The install scripts parse: hack/kind-e2e.sh (run only where Docker is, never here) and
hack/render-install.sh pass `bash -n`, and shellcheck where it is installed; kind is pinned in
hack/versions.env and built from the Go module proxy into the versioned cache like the rest."""

from __future__ import annotations

import pathlib
import shutil
import subprocess

import pytest
from tests.integration.chart import thirdparty
from tests.support import cluster as cluster_support

pytestmark = pytest.mark.integration

SCRIPTS = [cluster_support.HACK / "kind-e2e.sh", cluster_support.HACK / "render-install.sh"]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_the_script_parses_and_passes_shellcheck_where_installed(script: pathlib.Path) -> None:
    subprocess.run(["bash", "-n", str(script)], check=True, capture_output=True, timeout=30)
    if shutil.which("shellcheck"):
        out = subprocess.run(
            ["shellcheck", "-x", "-P", "SCRIPTDIR", str(script)],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert out.returncode == 0, out.stdout


def test_kind_is_pinned_and_built_into_the_versioned_cache() -> None:
    version = thirdparty.pinned("KIND_VERSION")
    assert version.startswith("v")
    text = (cluster_support.HACK / "kind-e2e.sh").read_text()
    assert 'go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kind@$KIND_VERSION"' in text
    assert 'kind_dir="$CACHE_DIR/bin/kind-$KIND_VERSION"' in text
