"""`tokenfleet report` from a simulation writes the pictures and the page; it says what is
missing when the source is not given or the fleet cannot be read."""

from __future__ import annotations

import csv
import pathlib

import pytest

from tokenfleet import cli

from . import replays


def trace_file(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "ramp.csv"
    built = replays.ramp()
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["timestamp", "input_tokens", "cached_input_tokens", "output_tokens"])
        for row in range(len(built)):
            out.writerow(
                [
                    int(built.starts[row]),
                    int(built.input_tokens[row]),
                    int(built.cached_input_tokens[row]),
                    int(built.output_tokens[row]),
                ]
            )
    return path


def test_a_simulation_report_is_written(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code = cli.main(
        [
            "report",
            str(out),
            "--trace",
            str(trace_file(tmp_path)),
            "--fleet",
            str(replays.SAMPLE),
            "--start",
            replays.START.isoformat(),
            "--title",
            "ramp day",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out.split()
    assert str(out / "report.html") in printed
    assert "<title>ramp day</title>" in (out / "report.html").read_text()
    assert len(list(out.glob("*.png"))) == 5


def test_no_source_is_a_usage_error(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["report", str(tmp_path)]) == 2
    assert "--prometheus URL or --trace" in capsys.readouterr().err


def test_a_trace_without_a_fleet_is_refused(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["report", str(tmp_path), "--trace", str(trace_file(tmp_path))]) == 2
    assert "--trace needs --fleet" in capsys.readouterr().err


def test_an_unreachable_prometheus_is_reported(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["report", str(tmp_path), "--prometheus", "http://127.0.0.1:9"])
    assert code == 2
    assert "127.0.0.1:9" in capsys.readouterr().err
