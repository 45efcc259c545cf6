"""`make demo` stopped with Ctrl-C in the middle of its replay leaves nothing behind: the process
exits, and neither the processes it started (Prometheus, the engine simulator) nor the objects
it applied (its namespace, the pool, the pool's nodes) outlive it. A control plane that was
running before it (here, the test session's) is left running."""

from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import pytest
from tests.support import cluster as cluster_support

from tokenfleet.kube import client as kube_client

pytestmark = pytest.mark.integration

NAMESPACE = "tokenfleet-e2e-interrupted"
POOL = "h800"


def spawned() -> set[int]:
    """Processes of the kinds the demo may start, as `make test` counts them (hack/lib.sh)."""
    found = subprocess.run(
        ["bash", "-c", f"source {cluster_support.HACK / 'lib.sh'} && spawned_processes"],
        capture_output=True,
        text=True,
        check=True,
    )
    return {int(pid) for pid in found.stdout.split()}


def wait_for(what: str, check: Callable[[], object], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what}: not within {timeout:.0f} s"
        time.sleep(1)


def test_ctrl_c_in_the_middle_of_a_replay_leaves_no_process_or_object(
    cluster: cluster_support.Cluster, crds_installed: None, tmp_path: pathlib.Path
) -> None:
    before = spawned()
    log = tmp_path / "demo.log"
    env = {**cluster.env(), "PYTHONUNBUFFERED": "1"}
    with log.open("w") as out:
        demo = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tokenfleet",
                "demo",
                "--namespace",
                NAMESPACE,
                "--hours",
                "2",
                "--warmup",
                "600",
                "--out",
                str(tmp_path / "out"),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cluster_support.ROOT,
            start_new_session=True,  # its own process group, as a terminal's foreground job
        )
    kube = kube_client.Kube.from_kubeconfig(cluster.kubeconfig)
    try:
        # In the middle of the replay: the operator has the pool growing and units starting.
        wait_for(
            "the demo's pool has nodes",
            lambda: kube.list("v1", "Node", labels={"tokenfleet.io/pool": POOL}),
            180,
        )
        assert demo.poll() is None, log.read_text()
        os.killpg(demo.pid, signal.SIGINT)  # what Ctrl-C sends to the foreground job
        try:
            demo.wait(180)
        except subprocess.TimeoutExpired:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()
            pytest.fail(f"the demo did not exit within 180 s of Ctrl-C:\n{log.read_text()}")

        wait_for("the demo's processes exited", lambda: not spawned() - before, 15)
        assert kube.get_or_none("v1", "Namespace", NAMESPACE) is None, log.read_text()
        assert kube.get_or_none("tokenfleet.io/v1alpha1", "GPUNodePool", POOL) is None
        assert kube.list("v1", "Node", labels={"tokenfleet.io/pool": POOL}) == []
        # The test session's control plane is still up.
        assert kube.get_or_none("v1", "Namespace", "default") is not None
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()
        kube.close()
