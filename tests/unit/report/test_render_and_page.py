"""Drawing a report: the Grafana grid laid out in lines, numbers as the panels show them, one
PNG per dashboard, and an HTML page that needs no other file."""

from __future__ import annotations

import html
import pathlib
import re

from tokenfleet.dashboards import catalog
from tokenfleet.report import page, render

from . import replays

PNG = b"\x89PNG\r\n\x1a\n"


def test_panels_fill_lines_of_24_columns_and_rows_start_new_lines() -> None:
    lines = render.layout(catalog.ECONOMICS)
    assert [[p.width for p in line] for line in lines] == [[6, 6, 6, 6], [12, 12], [12, 12]]
    node_pools = render.layout(catalog.NODE_POOLS)
    assert [len(line) for line in node_pools] == [2, 2, 1]


def test_numbers_read_as_the_panels_show_them() -> None:
    assert render.number(0.1732, "percentunit") == "17.3%"
    assert render.number(3_512.4, "short") == "3.51k"
    assert render.number(0.1544, "short") == "0.1544"
    assert render.number(0.25, "s") == "0.25 s"
    assert render.number(float("nan"), "short") == "-"


def test_each_dashboard_draws_to_a_png() -> None:
    made = replays.made()
    for board in made.boards:
        image = render.png(board, made.variables, dpi=40)
        assert image.startswith(PNG)


def test_the_page_embeds_every_picture_and_the_summary(tmp_path: pathlib.Path) -> None:
    made = replays.made()
    written = page.write(made, tmp_path)
    assert sorted(p.name for p in written) == sorted(
        [*(f"{b.uid}.png" for b in catalog.ALL), "report.html"]
    )
    text = (tmp_path / "report.html").read_text()
    assert text.count("data:image/png;base64,") == len(catalog.ALL)
    assert not re.search(r"(src|href)=['\"](?!data:)", text), "the page links another file"
    for what, value in made.summary:
        assert f"<td>{html.escape(what)}</td><td class='value'>{html.escape(value)}</td>" in text
    assert "a simulation has no engines" in text
    assert "over 30m" in text or "30m" in text
