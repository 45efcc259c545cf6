"""Fixtures shared by the tiers that need the local control plane (integration, chart, e2e):
one real control plane per session, a fresh namespace per test. Warnings are errors (pyproject)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kubernetes import client, config
from tests.support import cluster as cluster_support

CRD_DIR = cluster_support.ROOT / "crds"


@pytest.fixture(scope="session")
def cluster() -> Iterator[cluster_support.Cluster]:
    yield from cluster_support.start()


@pytest.fixture(scope="session")
def crds_installed(cluster: cluster_support.Cluster) -> None:
    cluster.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(CRD_DIR))
    cluster.kubectl(
        "wait",
        "--for=condition=Established",
        "crd",
        "-l",
        "app.kubernetes.io/part-of=tokenfleet",
        "--timeout=60s",
    )


@pytest.fixture(scope="session")
def api_client(cluster: cluster_support.Cluster) -> Iterator[client.ApiClient]:
    api = config.new_client_from_config(config_file=str(cluster.kubeconfig))
    yield api
    api.close()


@pytest.fixture
def namespace(cluster: cluster_support.Cluster, crds_installed: None) -> Iterator[str]:
    name = cluster_support.new_namespace(cluster)
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests on the live cluster run kopf's and aiohttp's event loops in background threads; a
    socket those libraries close a moment after the loop stops is reported by the garbage
    collector on whatever test runs next. Those reports are not failures of the test at hand;
    every other warning still is."""
    for item in items:
        if "cluster" in getattr(item, "fixturenames", ()):
            item.add_marker(
                pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
            )
