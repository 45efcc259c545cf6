"""The local control plane for tests: started by hack/cluster-up.sh, or reused when already up.

A cluster that `make cluster-up` started is reused and left running; one this module started is
stopped when the test session ends.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import subprocess
import time
import uuid
from collections.abc import Iterator

ROOT = pathlib.Path(__file__).resolve().parents[2]
HACK = ROOT / "hack"


@dataclasses.dataclass(frozen=True)
class Cluster:
    kubeconfig: pathlib.Path
    bin_dir: pathlib.Path

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["KUBECONFIG"] = str(self.kubeconfig)
        env["PATH"] = f"{self.bin_dir}{os.pathsep}{env.get('PATH', '')}"
        return env

    def kubectl(
        self, *args: str, input: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin_dir / "kubectl"), *args],
            input=input,
            capture_output=True,
            text=True,
            env=self.env(),
            check=check,
            timeout=120,
        )


def _state_dir() -> pathlib.Path:
    return pathlib.Path(os.environ.get("TOKENFLEET_STATE_DIR", ROOT / ".cluster"))


def _already_up() -> bool:
    state = _state_dir()
    pid_file = state / "pids" / "kube-apiserver"
    if not pid_file.exists():
        return False
    try:
        os.kill(int(pid_file.read_text()), 0)
    except (OSError, ValueError):
        return False
    return True


def start() -> Iterator[Cluster]:
    """Yield a running cluster; stop it afterwards only if this call started it."""
    reused = _already_up()
    bins = subprocess.run(
        ["bash", str(HACK / "install-bins.sh")], capture_output=True, text=True, check=True
    ).stdout.strip()
    up = subprocess.run(
        ["bash", str(HACK / "cluster-up.sh")], capture_output=True, text=True, check=False
    )
    if up.returncode != 0:
        raise RuntimeError(f"hack/cluster-up.sh failed:\n{up.stderr}")
    cluster = Cluster(kubeconfig=pathlib.Path(up.stdout.strip()), bin_dir=pathlib.Path(bins))
    try:
        yield cluster
    finally:
        if not reused and not os.environ.get("TOKENFLEET_KEEP_CLUSTER"):
            subprocess.run(["bash", str(HACK / "cluster-down.sh")], check=False)


def new_namespace(cluster: Cluster, prefix: str = "t") -> str:
    """Create a namespace and wait until its default ServiceAccount exists (pods need it)."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    cluster.kubectl("create", "namespace", name)
    deadline = time.monotonic() + 60
    while cluster.kubectl("-n", name, "get", "sa", "default", check=False).returncode != 0:
        if time.monotonic() > deadline:
            raise TimeoutError(f"namespace {name} got no default ServiceAccount")
        time.sleep(0.2)
    return name
