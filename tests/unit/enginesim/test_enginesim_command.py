"""`tokenfleet enginesim`: arguments to a simulator, and the command run as a process."""

from __future__ import annotations

import datetime as dt
import os
import pathlib
import signal
import subprocess
import sys

import httpx
import pytest

from tokenfleet import cli
from tokenfleet import clock as clocks
from tokenfleet.commands import enginesim

START = dt.datetime(2025, 1, 6, tzinfo=dt.UTC)


def test_arguments_build_the_fleet_and_shape_asked_for(tmp_path: pathlib.Path) -> None:
    trace = tmp_path / "t.csv"
    trace.write_text("timestamp,input_tokens,cached_input_tokens,output_tokens\n0,600,60,120\n")
    args = cli.build_parser().parse_args(
        [
            "enginesim",
            "--trace",
            str(trace),
            "--engine",
            "vllm",
            "--pods",
            "prefill=1,decode=2",
            "--deployment",
            "r1",
            "--namespace",
            "llm",
            "--old-names",
            "--ranks-per-pod",
            "8",
        ]
    )
    clock = clocks.FakeClock(START)
    sim = enginesim.build(args, clock)
    clock.advance(60)
    sim.fleet.advance()
    assert sim.shape.engine == "vllm" and sim.shape.old_names and sim.shape.ranks_per_pod == 8
    states = sim.fleet.states()
    assert sorted(s.pod.name for s in states) == [
        "r1-decode-0-0",
        "r1-decode-1-0",
        "r1-prefill-0-0",
    ]
    assert sum(s.generation_tokens for s in states) == pytest.approx(120)


def test_a_fixed_rate_and_capacities_are_read_as_key_value_lists() -> None:
    args = cli.build_parser().parse_args(
        [
            "enginesim",
            "--rate",
            "input=1000,output=100",
            "--pods",
            "decode=1",
            "--capacity",
            "decode=200",
        ]
    )
    clock = clocks.FakeClock(START)
    sim = enginesim.build(args, clock)
    clock.advance(10)
    sim.fleet.advance()
    (state,) = sim.fleet.states()
    assert state.generation_tokens == pytest.approx(1000)
    assert state.load == pytest.approx(0.5)


def test_without_trace_or_rate_the_command_says_what_is_missing() -> None:
    args = cli.build_parser().parse_args(["enginesim"])
    with pytest.raises(SystemExit, match="--trace or --rate"):
        enginesim.build(args, clocks.FakeClock(START))


def test_the_command_serves_until_terminated() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENFLEET_ENGINESIM_")}
    command = [sys.executable, "-m", "tokenfleet", "enginesim", "--rate", "input=100,output=10"]
    command += ["--pods", "prefill=1,decode=1", "--speed", "60"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip()
            assert url.startswith("http://127.0.0.1:")
            groups = httpx.get(url + "/targets.json", timeout=5).json()
            assert len(groups) == 3
            metrics = httpx.get(url + groups[0]["labels"]["__metrics_path__"], timeout=5)
            assert "sglang:prompt_tokens_total" in metrics.text
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
