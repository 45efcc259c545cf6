"""The chart's dashboards and rules are what the code generates (the drift test), and
`tokenfleet dashboards` writes, checks, reports drift and removes dashboards it no longer makes."""

from __future__ import annotations

import argparse
import pathlib

import pytest

from tokenfleet.commands import dashboards as command
from tokenfleet.dashboards import catalog, files

CHART = pathlib.Path(__file__).parents[3] / "charts" / "tokenfleet"


def run(*args: str) -> int:
    parser = argparse.ArgumentParser()
    command.register(parser.add_subparsers())
    parsed = parser.parse_args(["dashboards", *args])
    code: int = parsed.func(parsed)
    return code


def test_the_chart_holds_exactly_the_generated_files() -> None:
    assert files.drift(CHART) == [], "run `tokenfleet dashboards charts/tokenfleet`"
    shipped = sorted(p.name for p in (CHART / "dashboards").glob("*.json"))
    assert shipped == sorted(board.file_name for board in catalog.ALL)


def test_write_then_check_finds_no_drift(tmp_path: pathlib.Path) -> None:
    assert run(str(tmp_path)) == 0
    assert run("--check", str(tmp_path)) == 0
    assert (tmp_path / files.RULES_FILE).read_text().startswith("# Generated")


def test_check_reports_a_hand_edit_and_fails(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(str(tmp_path))
    capsys.readouterr()
    edited = tmp_path / "dashboards" / "tokenfleet-economics.json"
    edited.write_text(edited.read_text().replace('"1m"', '"5s"'))
    assert run("--check", str(tmp_path)) == 1
    out = capsys.readouterr()
    assert '-  "refresh": "5s"' in out.out
    assert "tokenfleet dashboards charts/tokenfleet" in out.err


def test_a_dashboard_no_longer_generated_is_drift_and_is_removed_on_write(
    tmp_path: pathlib.Path,
) -> None:
    run(str(tmp_path))
    stale = tmp_path / "dashboards" / "tokenfleet-old.json"
    stale.write_text("{}")
    assert any("not generated any more" in diff for diff in files.drift(tmp_path))
    run(str(tmp_path))
    assert not stale.exists()


def test_a_missing_chart_folder_is_all_drift(tmp_path: pathlib.Path) -> None:
    assert len(files.drift(tmp_path / "nowhere")) == len(files.outputs())
