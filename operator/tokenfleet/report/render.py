"""One dashboard drawn to a PNG with matplotlib's Agg renderer, laid out as Grafana lays it out.

Panels keep their Grafana width on a 24-column grid and their order; rows of the dashboard
start new lines. Time series are lines (stacked where the panel stacks, bars for decisions),
stat panels show the last value large above a faint sparkline, and a panel without data says
why. Units follow Grafana's ids: `percentunit` is drawn in percent, `s` in seconds.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter

from tokenfleet.dashboards import model
from tokenfleet.report import data

COLUMNS = 24
INCH_PER_ROW = 0.42
"""Height of one Grafana grid row in inches."""
WIDTH = 18.0
MAX_LEGEND = 10
COLOURS = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
    "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22",
]  # fmt: skip


def layout(board: model.Dashboard) -> list[list[model.Panel]]:
    """Panels in lines of at most 24 columns, a dashboard row always starting a new line."""
    lines: list[list[model.Panel]] = []
    for row in board.rows:
        used = COLUMNS
        for panel in row.panels:
            if used + panel.width > COLUMNS:
                lines.append([])
                used = 0
            lines[-1].append(panel)
            used += panel.width
    return lines


def number(value: float, unit: str) -> str:
    """A value as a stat panel shows it."""
    if math.isnan(value):
        return "-"
    if unit == "percentunit":
        return f"{value:.1%}"
    if unit == "s":
        return f"{value:.3g} s"
    magnitude = abs(value)
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if magnitude >= scale:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:.4g}" if magnitude >= 0.001 or value == 0 else f"{value:.3e}"


class AxisNumber(Formatter):
    """Tick labels with as many decimals as the spacing of the ticks needs (-99.52%, -99.54%),
    large values shortened (3.5k, 12M)."""

    def __init__(self, unit: str) -> None:
        self.unit = unit
        self.ticks: list[float] = []

    def set_locs(self, locs: Any) -> None:
        self.ticks = sorted(float(v) for v in locs)

    def __call__(self, x: float, pos: int | None = None) -> str:
        scale = 100.0 if self.unit == "percentunit" else 1.0
        suffix = {"percentunit": "%", "s": " s"}.get(self.unit, "")
        ticks = [v * scale for v in self.ticks]
        spacing = min((b - a for a, b in itertools.pairwise(ticks) if b > a), default=0.0)
        value = x * scale
        if self.unit == "short" and abs(value) >= 1000 and spacing >= 100:
            return number(x, self.unit)
        decimals = max(0, -math.floor(math.log10(spacing))) if spacing > 0 else 0
        return f"{value:,.{min(decimals, 6)}f}{suffix}"


def _axis_format(ax: Axes, unit: str) -> None:
    ax.yaxis.set_major_formatter(AxisNumber(unit))
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    concise = mdates.ConciseDateFormatter(locator, tz=dt.UTC)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_formatter(concise)
    ax.tick_params(labelsize=7)
    ax.grid(True, color="#e5e5e5", linewidth=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def when(times: Sequence[dt.datetime]) -> npt.NDArray[np.datetime64]:
    """Instants as naive UTC datetime64, which matplotlib draws on a date axis."""
    utc = [t.astimezone(dt.UTC).replace(tzinfo=None) for t in times]
    return np.array(utc, dtype="datetime64[us]")


def _stat(ax: Axes, panel: data.PanelData) -> None:
    ax.set_axis_off()
    shown = panel.series[:4]
    for index, line in enumerate(shown):
        x0 = index / len(shown)
        width = 1 / len(shown)
        spark = ax.inset_axes((x0 + 0.02, 0.05, width - 0.04, 0.35))
        spark.plot(when(line.times), line.values, color=COLOURS[index % len(COLOURS)], alpha=0.35)
        spark.set_axis_off()
        ax.text(
            x0 + width / 2,
            0.62,
            number(line.values[-1], panel.panel.unit),
            ha="center",
            va="center",
            fontsize=17,
            fontweight="bold",
            color=COLOURS[index % len(COLOURS)],
            transform=ax.transAxes,
        )
        ax.text(x0 + width / 2, 0.92, line.name, ha="center", fontsize=7.5, transform=ax.transAxes)


def _series(ax: Axes, panel: data.PanelData) -> None:
    # Lines at zero all along (no node lent, no lease unused) are left out when others are not.
    lines = tuple(line for line in panel.series if any(line.values)) or panel.series
    style = panel.panel.style
    if panel.panel.stacked and len({line.times for line in lines}) == 1:
        ax.stackplot(
            when(lines[0].times),
            [line.values for line in lines],
            labels=[line.name for line in lines],
            colors=[COLOURS[i % len(COLOURS)] for i in range(len(lines))],
            alpha=0.75,
        )
    elif style is model.Style.BARS:
        for index, line in enumerate(lines):
            ax.vlines(
                when(line.times),
                0,
                line.values,
                color=COLOURS[index % len(COLOURS)],
                linewidth=1.2,
                label=line.name,
            )
    else:
        for index, line in enumerate(lines):
            ax.plot(
                when(line.times),
                line.values,
                color=COLOURS[index % len(COLOURS)],
                linewidth=1.1,
                label=line.name,
                drawstyle="steps-post" if _integral(line) else "default",
            )
    _axis_format(ax, panel.panel.unit)
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        more = len(handles) - MAX_LEGEND
        ax.legend(
            handles[:MAX_LEGEND],
            labels[:MAX_LEGEND] if more <= 0 else [*labels[: MAX_LEGEND - 1], f"+{more + 1} more"],
            fontsize=6.5,
            loc="upper left",
            frameon=False,
            ncol=2 if len(handles) > 4 else 1,
        )


def _integral(line: data.Series) -> bool:
    """Counts (units, nodes) step; rates and prices are drawn as lines."""
    return all(float(v).is_integer() for v in line.values)


def draw_panel(ax: Axes, panel: data.PanelData, title: str) -> None:
    ax.set_title(title, fontsize=9, loc="left", fontweight="bold")
    if not panel.series:
        ax.set_axis_off()
        ax.text(
            0.5,
            0.5,
            f"no data: {panel.missing or 'no series in this period'}",
            ha="center",
            va="center",
            fontsize=8,
            color="#777777",
            transform=ax.transAxes,
        )
        return
    if panel.panel.style is model.Style.STAT:
        _stat(ax, panel)
    else:
        _series(ax, panel)


def figure(board: data.BoardData, variables: Mapping[str, str]) -> Figure:
    """The dashboard as a matplotlib figure."""
    drawn = iter(board.panels)  # in the dashboard's order, as `layout` keeps it
    lines = layout(board.board)
    heights = [max(panel.height for panel in line) for line in lines]
    fig = Figure(figsize=(WIDTH, sum(heights) * INCH_PER_ROW + 0.8), layout="constrained")
    fig.suptitle(board.board.title, fontsize=13, x=0.01, ha="left", fontweight="bold")
    fig.text(0.99, 0.995, "times in UTC", ha="right", va="top", fontsize=8, color="#777777")
    grid = fig.add_gridspec(len(lines), COLUMNS, height_ratios=heights)
    for index, line in enumerate(lines):
        column = 0
        for panel in line:
            ax = fig.add_subplot(grid[index, column : column + panel.width])
            column += panel.width
            panel_data = next(drawn)
            assert panel_data.panel is panel, "panels out of order"
            draw_panel(ax, panel_data, model.fill(panel.title, variables))
    return fig


def png(board: data.BoardData, variables: Mapping[str, str], dpi: int = 100) -> bytes:
    """The dashboard as PNG bytes."""
    buffer = io.BytesIO()
    figure(board, variables).savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
