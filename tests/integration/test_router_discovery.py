"""The real routers follow the live units through a scale-up and a drained scale-down.

On the test cluster, with the operator running: the router Deployment the operator writes is
run as a real process (sglang-router 0.3.2, vllm-router 0.1.17: the PyPI wheels), with that
Deployment's own command line, bound to the router pod's KWOK address and watching the API
server with its service discovery. Engines are stand-ins at the engine pods' KWOK addresses
(tests/support/workers.py; all in 127.100.0.0/16, loopback). The router lists exactly the live
units' leaders; a scale-up adds one without restarting the router or changing its Deployment;
a scale-down takes the leaving unit out of the router at once, keeps the unit while its engine
reports running requests, and deletes it once they reach zero.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import pathlib
import subprocess
import sys
import threading
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from tests.support import cluster as cluster_support
from tests.support import nodes
from tests.support import operator as operator_support
from tests.support import workers as worker_support
from tests.support.waiting import wait_for

from tokenfleet import clock as clock_mod

pytestmark = pytest.mark.integration

NAME = "routed"
NOW = dt.datetime(2025, 1, 6, 20, 0, tzinfo=dt.UTC)
ENGINE_PORT = {"sglang": 30000, "vllm": 8000}


@pytest.fixture
def pool(cluster: cluster_support.Cluster) -> Iterator[str]:
    """Four GPU nodes for the units and one untainted node for the router pod."""
    name = f"route-{uuid.uuid4().hex[:6]}"
    doc = nodes.still_pool(name, max_nodes=4)
    cluster.kubectl("apply", "-f", "-", input=yaml.safe_dump(doc))
    nodes.create_nodes(cluster, name, 4)
    cpu = nodes.h800_node(f"{name}-cpu", f"{name}-cpu", gpus=0, taint=False)
    cluster.kubectl("apply", "--server-side", "-f", "-", input=yaml.safe_dump(cpu))
    yield name
    cluster.kubectl("delete", "gpool", name, "--wait=false", check=False)
    nodes.delete_nodes(cluster, name)
    nodes.delete_nodes(cluster, f"{name}-cpu")


def _deployment(pool: str, engine: str, prefill_units: int) -> dict[str, Any]:
    image = {"sglang": "lmsysorg/sglang:v0.5.23", "vllm": "vllm/vllm-openai:v0.33.0"}[engine]
    roles = {
        role: {"nodesPerUnit": 1, "minUnits": units, "maxUnits": units, "capacityPerNode": 5000}
        for role, units in (("prefill", prefill_units), ("decode", 1))
    }
    return {
        "apiVersion": "tokenfleet.io/v1alpha1",
        "kind": "InferenceDeployment",
        "metadata": {"name": NAME},
        "spec": {
            "model": {"name": "deepseek-ai/DeepSeek-V3"},
            "engine": {"type": engine, "image": image},
            "roles": roles,
            "autoscaling": {"enabled": False},
            # The clock stands still: only the engine going idle ends a drain.
            "router": {"image": "router:test", "drainTimeoutSeconds": 86400},
            "nodePoolRef": {"name": pool},
        },
    }


def _get(cluster: cluster_support.Cluster, ns: str, *what: str) -> list[dict[str, Any]]:
    out = cluster.kubectl("get", *what, "-n", ns, "-o", "yaml").stdout
    items: list[dict[str, Any]] = yaml.safe_load(out)["items"]
    return items


def _engine_pods(cluster: cluster_support.Cluster, ns: str) -> list[dict[str, Any]]:
    selector = f"tokenfleet.io/deployment={NAME},app.kubernetes.io/name=tokenfleet-engine"
    return _get(cluster, ns, "pods", "-l", selector)


def _leader_urls(cluster: cluster_support.Cluster, ns: str, port: int) -> dict[str, str]:
    """Worker URL of each unit's leader pod, by pod name (rank 0 of every unit)."""
    return {
        p["metadata"]["name"]: f"http://{p['status']['podIP']}:{port}"
        for p in _engine_pods(cluster, ns)
        if p["metadata"]["name"].endswith("-0") and (p.get("status") or {}).get("podIP")
    }


@contextlib.contextmanager
def _serving_pod_addresses(
    cluster: cluster_support.Cluster, ns: str, workers: worker_support.Workers
) -> Iterator[None]:
    """Start a stand-in at every engine pod's address as soon as it has one."""
    stop = threading.Event()

    def follow() -> None:
        while not stop.wait(0.3):
            with contextlib.suppress(Exception):
                for pod in _engine_pods(cluster, ns):
                    ip = (pod.get("status") or {}).get("podIP")
                    if ip:
                        workers.serve(ip)

    thread = threading.Thread(target=follow, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)


def _router_argv(deployment: dict[str, Any], ip: str) -> list[str]:
    """The router Deployment's own command line, run from this environment's wheels and bound
    to the router pod's address instead of every interface."""
    argv = list(deployment["spec"]["template"]["spec"]["containers"][0]["command"])
    bin_dir = pathlib.Path(sys.executable).parent
    if argv[:3] == ["python3", "-m", "sglang_router.launch_router"]:
        argv[0] = sys.executable
    else:
        assert argv[0] == "vllm-router"
        argv[0] = str(bin_dir / "vllm-router")
    for flag in ("--host", "--prometheus-host"):
        argv[argv.index(flag) + 1] = ip
    return argv


@contextlib.contextmanager
def _router_process(
    cluster: cluster_support.Cluster, argv: list[str], log: pathlib.Path
) -> Iterator[subprocess.Popen[bytes]]:
    env = cluster.env()
    env["NO_PROXY"] = "127.0.0.1,localhost"
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _listed(base: str) -> set[tuple[str, str]] | None:
    """(worker type, URL) of every worker the router lists; None while it does not answer."""
    try:
        with urllib.request.urlopen(f"{base}/workers", timeout=2) as response:
            body = json.load(response)
    except OSError:
        return None
    return {(w.get("worker_type", ""), w["url"]) for w in body.get("workers") or []}


@pytest.mark.parametrize("engine", ["sglang", "vllm"])
def test_the_real_router_follows_the_live_units_through_scale_up_and_drained_scale_down(
    cluster: cluster_support.Cluster, pool: str, namespace: str, tmp_path: pathlib.Path, engine: str
) -> None:
    port = ENGINE_PORT[engine]
    apply = ("apply", "-n", namespace, "-f", "-")
    with (
        operator_support.running(cluster, clock_mod.FakeClock(NOW)),
        worker_support.serving(port) as workers,
        _serving_pod_addresses(cluster, namespace, workers),
    ):
        cluster.kubectl(*apply, input=yaml.safe_dump(_deployment(pool, engine, 1)))

        def router_pod() -> dict[str, Any] | None:
            pods = _get(
                cluster, namespace, "pods", "-l", "app.kubernetes.io/name=tokenfleet-router"
            )
            running = [p for p in pods if (p.get("status") or {}).get("podIP")]
            return running[0] if running else None

        pod = wait_for("the router pod to run", router_pod, timeout=90)
        assert pod["spec"]["serviceAccountName"] == f"{NAME}-router"
        (deployment,) = _get(
            cluster, namespace, "deployments", "-l", f"tokenfleet.io/deployment={NAME}"
        )
        generation = deployment["metadata"]["generation"]
        ip = pod["status"]["podIP"]
        base = f"http://{ip}:8000"
        with _router_process(
            cluster, _router_argv(deployment, ip), tmp_path / "router.log"
        ) as proc:

            def lists(prefill: int) -> set[tuple[str, str]] | None:
                leaders = _leader_urls(cluster, namespace, port)
                want = {("prefill", leaders[f"{NAME}-prefill-{i}-0"]) for i in range(prefill)} | {
                    ("decode", leaders[f"{NAME}-decode-0-0"])
                }
                return want if _listed(base) == want else None

            def settled(prefill: int) -> set[tuple[str, str]] | None:
                with contextlib.suppress(KeyError):
                    return lists(prefill)
                return None

            log = tmp_path / "router.log"
            try:
                wait_for("the router to list one prefill and one decode", lambda: settled(1), 120)

                # Scale up: the new unit is discovered; the router runs on, unchanged.
                cluster.kubectl(*apply, input=yaml.safe_dump(_deployment(pool, engine, 2)))
                wait_for("the router to list the second prefill unit", lambda: settled(2), 120)
                assert proc.poll() is None

                # Scale down while the leaving unit still serves: out of the router at once,
                # kept while its engine runs requests, deleted once they reach zero.
                leaving = _leader_urls(cluster, namespace, port)[f"{NAME}-prefill-1-0"]
                workers.running[leaving.split("//")[1].split(":")[0]] = 3
                cluster.kubectl(*apply, input=yaml.safe_dump(_deployment(pool, engine, 1)))
                wait_for("the router to drop the leaving unit", lambda: settled(1), 60)
                unit = f"{NAME}-prefill-1"

                def unit_exists() -> bool:
                    found = _get(cluster, namespace, "statefulsets")
                    return any(s["metadata"]["name"] == unit for s in found)

                (leader,) = [p for p in _engine_pods(cluster, namespace)
                             if p["metadata"]["name"] == f"{unit}-0"]  # fmt: skip
                assert "tokenfleet.io/routable" not in leader["metadata"]["labels"]
                assert "tokenfleet.io/draining-since" in leader["metadata"]["annotations"]
                for _ in range(4):  # several reconciles see it busy and keep it
                    assert unit_exists()
                    assert settled(1)
                    threading.Event().wait(1.0)
                workers.running[leaving.split("//")[1].split(":")[0]] = 0
                wait_for("the drained unit to be deleted", lambda: not unit_exists(), 60)
                assert settled(1)
                assert proc.poll() is None  # the same router process throughout
            except AssertionError:
                print(log.read_text()[-4000:])
                raise
        (after,) = _get(cluster, namespace, "deployments", "-l", f"tokenfleet.io/deployment={NAME}")
        assert after["metadata"]["generation"] == generation
