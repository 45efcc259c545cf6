"""The report as files: one PNG per dashboard and one HTML page that needs nothing else.

The page embeds the PNGs as base64 data URIs and carries its own few lines of CSS, so it can be
mailed or attached to a ticket and opened anywhere. Panels without data are listed under their
dashboard with the reason.
"""

from __future__ import annotations

import base64
import html
import pathlib

from tokenfleet.dashboards import model
from tokenfleet.report import data, render

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1400px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { padding: 0.3em 1em; border-bottom: 1px solid #ddd; text-align: left; }
td.value { text-align: right; font-variant-numeric: tabular-nums; }
img { width: 100%; border: 1px solid #eee; }
p.meta, p.note { color: #666; }
"""


def _summary(report: data.Report) -> str:
    rows = "\n".join(
        f"<tr><td>{html.escape(what)}</td><td class='value'>{html.escape(value)}</td></tr>"
        for what, value in report.summary
    )
    return f"<table>\n{rows}\n</table>"


def _board(board: data.BoardData, image: bytes, variables: dict[str, str]) -> str:
    encoded = base64.b64encode(image).decode()
    empty = [
        f"<li>{html.escape(model.fill(p.panel.title, variables))}: "
        f"{html.escape(p.missing or 'no series in this period')}</li>"
        for p in board.panels
        if not p.series
    ]
    notes = f"<p class='note'>No data:</p><ul>{''.join(empty)}</ul>" if empty else ""
    title = html.escape(board.board.title)
    return (
        f"<h2>{title}</h2>\n<p class='meta'>{html.escape(board.board.description)}</p>\n"
        f"<img alt='{title}' src='data:image/png;base64,{encoded}'>\n{notes}"
    )


def write(report: data.Report, out: pathlib.Path) -> list[pathlib.Path]:
    """Write `<uid>.png` per dashboard and `report.html` into `out`; the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    sections = []
    for board in report.boards:
        image = render.png(board, report.variables)
        path = out / f"{board.board.uid}.png"
        path.write_bytes(image)
        written.append(path)
        sections.append(_board(board, image, report.variables))
    period = f"{report.start:%Y-%m-%d %H:%M} to {report.end:%Y-%m-%d %H:%M} UTC"
    page = (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        f"<title>{html.escape(report.title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{html.escape(report.title)}</h1>\n"
        f"<p class='meta'>{html.escape(period)}; from {html.escape(report.source)}</p>\n"
        f"{_summary(report)}\n" + "\n".join(sections) + "\n</body>\n</html>\n"
    )
    index = out / "report.html"
    index.write_text(page)
    written.append(index)
    return written
