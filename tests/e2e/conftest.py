"""The e2e replays' fixtures."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
from tests.support import cluster as cluster_support


@pytest.fixture
def demo_prometheus() -> Iterator[None]:
    """The demo keeps its stack for the checks (keep=True); its Prometheus is stopped
    afterwards, so the test run leaves no process behind."""
    yield
    subprocess.run(
        ["bash", str(cluster_support.HACK / "prometheus-down.sh")], check=False, capture_output=True
    )
