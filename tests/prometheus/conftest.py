"""A real Prometheus for the tests in this folder, started once per session by hack/.

It is installed (Debian package) and started on a free 127.0.0.1 port in a temporary state
folder, scraping whatever file_sd JSON the tests drop into its targets folder every second,
and stopped at the end. With TOKENFLEET_PROMETHEUS_DIR set, the Prometheus recorded there is
used (started there first if it is not up) and left running.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import subprocess
from collections.abc import Iterator

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
HACK = ROOT / "hack"


@dataclasses.dataclass(frozen=True)
class Prometheus:
    url: str
    targets: pathlib.Path


def _run(script: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        ["bash", str(HACK / script)], env=env, capture_output=True, text=True, timeout=900
    )
    if done.returncode != 0:
        raise RuntimeError(f"{script} failed ({done.returncode}):\n{done.stderr}{done.stdout}")
    return done.stdout.strip()


@pytest.fixture(scope="session")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prometheus]:
    _run("install-prometheus.sh", dict(os.environ))
    given = os.environ.get("TOKENFLEET_PROMETHEUS_DIR")
    state = pathlib.Path(given) if given else tmp_path_factory.mktemp("prometheus") / "state"
    env = {**os.environ, "TOKENFLEET_PROMETHEUS_DIR": str(state)}
    url = _run("prometheus-up.sh", env).splitlines()[-1]
    try:
        yield Prometheus(url=url, targets=state / "targets")
    finally:
        if not given:
            _run("prometheus-down.sh", env)
