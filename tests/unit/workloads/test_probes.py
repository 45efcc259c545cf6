"""Engine probes, run for real against local stand-ins for the engine's port.

Covers: rank 0's probe passes only on a 200 from /health (a 503, as engines answer when dead or
shutting down, and a closed port both fail); an SGLang rank >= 1 passes when its port accepts
connections and fails when it does not, whatever the path would answer; vLLM's headless ranks
check their process, not a port they never open; the startup budget follows warmupSeconds.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import socket
import subprocess
import threading
from collections.abc import Iterator

import pytest

from tokenfleet.workloads import context, launch

from . import fleet


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/health" else 404)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def engine_port() -> int:
    return free_port()


@contextlib.contextmanager
def serving(port: int, status: int) -> Iterator[None]:
    """An HTTP server on `port` whose /health answers `status`, for the duration of the block."""
    handler = type("Handler", (Health,), {"status": status})
    server = http.server.HTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def probe_exit(kind: str, port: int, rank: int) -> int:
    infd = fleet.deployment(kind, spec={"engine": {"port": port}})
    ctx = context.resolve(infd, fleet.pool(), "prefill")
    done = subprocess.run(
        launch.ready_check(ctx),
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TOKENFLEET_RANK": str(rank)},
        capture_output=True,
        timeout=30,
        check=False,
    )
    return done.returncode


@pytest.mark.parametrize("kind", ["sglang", "vllm"])
def test_rank_0_is_ready_only_when_health_answers_200(kind: str, engine_port: int) -> None:
    assert probe_exit(kind, engine_port, 0) != 0, "closed port"
    with serving(engine_port, 503):
        assert probe_exit(kind, engine_port, 0) != 0, "503 from /health"
    with serving(engine_port, 200):
        assert probe_exit(kind, engine_port, 0) == 0


def test_sglang_ranks_past_0_are_ready_when_their_port_accepts(engine_port: int) -> None:
    assert probe_exit("sglang", engine_port, 2) != 0
    # The dummy server of a rank >= 1 answers anything; only "it listens" is worth checking.
    with serving(engine_port, 503):
        assert probe_exit("sglang", engine_port, 2) == 0


def test_vllm_headless_ranks_check_their_process_not_a_port() -> None:
    ctx = context.resolve(fleet.deployment("vllm"), fleet.pool(), "decode")
    script = launch.ready_check(ctx)[2]
    headless_part = script.split("fi\n", 1)[1]
    assert headless_part == "kill -0 1\n"


@pytest.mark.parametrize(("warmup", "attempts"), [(0, 180), (600, 180), (900, 180), (1500, 300)])
def test_startup_allows_twice_the_warmup_and_at_least_30_minutes(
    warmup: int, attempts: int
) -> None:
    infd = fleet.deployment("sglang", spec={"roles": {"decode": {"warmupSeconds": warmup}}})
    ctx = context.resolve(infd, fleet.pool(), "decode")
    probes = launch.probes(ctx)
    assert probes["startupProbe"]["failureThreshold"] == attempts
    assert probes["startupProbe"]["periodSeconds"] * attempts >= max(2 * warmup, 1800)
    assert probes["readinessProbe"]["exec"] == probes["startupProbe"]["exec"]
    assert "livenessProbe" not in probes
