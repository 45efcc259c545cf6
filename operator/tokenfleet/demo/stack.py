"""The processes the demo runs on, each started by the project's own hack/ scripts.

Every start returns what is needed to stop it, and stops only what it started: a control plane
or a Prometheus already up (from `make cluster-up`, say) is reused and left running.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import pathlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence

SCRAPE_SECONDS = 1.0
"""Prometheus's scrape interval (real seconds): the shortest that two cores sustain with every
simulated engine on one page."""
ROOT = pathlib.Path(__file__).resolve().parents[3]
HACK = ROOT / "hack"


class StackError(RuntimeError):
    """A component of the demo could not be started; the message says which and where to look."""


def _script(name: str, *args: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        ["bash", str(HACK / name), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    if result.returncode != 0:
        raise StackError(f"hack/{name} failed:\n{result.stderr.strip()}")
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""


def state_dir() -> pathlib.Path:
    return pathlib.Path(os.environ.get("TOKENFLEET_STATE_DIR", ROOT / ".cluster"))


def _alive(pid_file: pathlib.Path) -> bool:
    try:
        os.kill(int(pid_file.read_text()), 0)
    except (OSError, ValueError):
        return False
    return True


@dataclasses.dataclass(frozen=True)
class Cluster:
    kubeconfig: pathlib.Path
    bin_dir: pathlib.Path


@contextlib.contextmanager
def control_plane(keep: bool) -> Iterator[Cluster]:
    """The local control plane (hack/cluster-up.sh); stopped afterwards if started here."""
    reused = _alive(state_dir() / "pids" / "kube-apiserver")
    bin_dir = pathlib.Path(_script("install-bins.sh"))
    kubeconfig = pathlib.Path(_script("cluster-up.sh"))
    try:
        yield Cluster(kubeconfig=kubeconfig, bin_dir=bin_dir)
    finally:
        if not reused and not keep:
            _script("cluster-down.sh")


@dataclasses.dataclass(frozen=True)
class Prometheus:
    url: str
    targets_dir: pathlib.Path

    def set_targets(self, name: str, targets: Sequence[str], labels: dict[str, str]) -> None:
        """Write a file_sd file; Prometheus picks it up within seconds."""
        path = self.targets_dir / f"{name}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps([{"targets": list(targets), "labels": labels}]))
        tmp.replace(path)


@contextlib.contextmanager
def prometheus(keep: bool) -> Iterator[Prometheus]:
    """A real Prometheus on 127.0.0.1 scraping file_sd targets every second."""
    _script("install-prometheus.sh")
    prom_dir = state_dir() / "prometheus"
    reused = _alive(prom_dir / "pid")
    url = _script("prometheus-up.sh", "--scrape-interval", f"{SCRAPE_SECONDS:g}s")
    targets = prom_dir / "targets"
    targets.mkdir(parents=True, exist_ok=True)
    try:
        yield Prometheus(url=url, targets_dir=targets)
    finally:
        if not reused and not keep:
            _script("prometheus-down.sh")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(port: int, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise StackError(f"{what} did not listen on port {port} within {timeout:.0f}s")


@contextlib.contextmanager
def enginesim(args: Sequence[str], log: pathlib.Path, port: int) -> Iterator[str]:
    """`tokenfleet enginesim` in a process of its own; yields its base URL."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tokenfleet", "enginesim", "--port", str(port), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_listening(port, f"the engine-metrics simulator (log: {log})")
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
