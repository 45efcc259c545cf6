"""`tokenfleet simulate` and `tokenfleet bench` from the command line.

Covered: a table by default; --json gives one object for one policy and a list for several,
with `all` expanding to every policy; --plot writes a PNG; a bad fleet or trace exits 2 with a
message; the progress bar draws only on a terminal; bench prints a table per trace and how the
tokenfleet policy did.
"""

from __future__ import annotations

import io
import json
import pathlib

import numpy as np
import pytest

from tokenfleet import cli
from tokenfleet.sim import progress

from . import fleets


@pytest.fixture
def files(tmp_path: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    minutes = np.arange(180)
    prefill = 2000 + 1500 * np.sin(minutes / 30)
    rows = [
        (60 * int(m), int(p * 60), int(p * 15), int(p * 6))
        for m, p in zip(minutes, prefill, strict=True)
    ]
    trace = fleets.write_trace(tmp_path / "wave.csv", rows)
    fleet_file = fleets.write_fleet(tmp_path / "fleet.yaml", fleets.docs())
    return trace, fleet_file


def test_a_table_by_default(
    files: tuple[pathlib.Path, pathlib.Path], capsys: pytest.CaptureFixture[str]
) -> None:
    trace, fleet_file = files
    assert cli.main(["simulate", "--trace", str(trace), "--fleet", str(fleet_file)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "wave: 3 h on pool small"
    assert out.splitlines()[1].split()[:3] == ["policy", "node-hours", "vs"]
    assert out.splitlines()[3].startswith("tokenfleet")


def test_json_for_one_policy_and_for_several(
    files: tuple[pathlib.Path, pathlib.Path], capsys: pytest.CaptureFixture[str]
) -> None:
    trace, fleet_file = files
    base = ["simulate", "--trace", str(trace), "--fleet", str(fleet_file), "--json"]
    assert cli.main([*base, "--policy", "static"]) == 0
    one = json.loads(capsys.readouterr().out)
    assert one["policy"] == "static" and one["late_token_fraction"] == 0
    assert cli.main([*base, "--policy", "all"]) == 0
    several = json.loads(capsys.readouterr().out)
    assert [r["policy"] for r in several] == [
        "tokenfleet",
        "oracle",
        "static",
        "reactive",
        "schedule",
    ]
    oracle = several[1]
    assert oracle["node_hours_vs_oracle"] == 1.0
    assert all(
        r["node_hours"] >= oracle["node_hours"] or r["late_token_fraction"] > 0 for r in several
    )


def test_plot_writes_a_png(
    files: tuple[pathlib.Path, pathlib.Path], tmp_path: pathlib.Path
) -> None:
    trace, fleet_file = files
    out = tmp_path / "replay.png"
    argv = ["simulate", "--trace", str(trace), "--fleet", str(fleet_file), "--plot", str(out)]
    assert cli.main([*argv, "--policy", "tokenfleet", "--policy", "oracle"]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_inputs_exit_2_with_a_message(
    files: tuple[pathlib.Path, pathlib.Path],
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    trace, _ = files
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: Pod\n")
    assert cli.main(["simulate", "--trace", str(trace), "--fleet", str(bad)]) == 2
    assert "kind must be one of" in capsys.readouterr().err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_draws_only_on_a_terminal() -> None:
    piped, terminal = io.StringIO(), _Terminal()
    for stream in (piped, terminal):
        bar = progress.Bar(stream, "replay")
        for done in range(0, 101, 25):
            bar(done, 100)
        bar.close()
    assert piped.getvalue() == ""
    assert terminal.getvalue().count("\r") == 5
    assert terminal.getvalue().endswith("] 100%\n")


def test_bench_prints_a_table_per_trace_and_a_verdict(
    files: tuple[pathlib.Path, pathlib.Path],
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    trace, fleet_file = files
    directory = tmp_path / "traces"
    directory.mkdir()
    (directory / "one.csv").write_text(trace.read_text())
    (directory / "two.csv").write_text(trace.read_text())
    assert cli.main(["bench", "--traces", str(directory), "--fleet", str(fleet_file)]) == 0
    out = capsys.readouterr().out
    assert "one (0.125 days)" in out and "two (0.125 days)" in out
    assert out.count("\nschedule ") == 2
    verdict = out.split("tokenfleet policy (targets")[1]
    assert (
        "one: " in verdict and "x oracle" in verdict and "fewer node-hours than static" in verdict
    )
    # Per trace, the HPA's curve over every target, and the planner set on it.
    assert out.count("HPA swept over target utilisation:") == 2
    for target in ("0.85", "0.65", "0.45"):
        assert out.count(f"\n  {target} ") == 2
    assert out.count("at tokenfleet's ") == 2
    assert "HPA at equal node-hours" in verdict


def test_bench_without_traces_exits_2(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fleet_file = fleets.write_fleet(tmp_path / "fleet.yaml", fleets.docs())
    assert cli.main(["bench", "--traces", str(tmp_path), "--fleet", str(fleet_file)]) == 2
    assert "no *.csv traces" in capsys.readouterr().err
