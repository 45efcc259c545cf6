"""What a report holds, whatever its source: series per panel of every dashboard, and totals.

A source (Prometheus, or a simulation replayed through the exporter's books) fills `Report`;
`render` and `page` draw it. Times are instants of the operator's clock, so a demo that ran a
day in minutes is drawn over its day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from tokenfleet.dashboards import model


@dataclasses.dataclass(frozen=True)
class Series:
    """One line of a panel."""

    name: str
    times: tuple[dt.datetime, ...]
    values: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.times) != len(self.values):
            raise ValueError(f"{self.name}: {len(self.times)} times for {len(self.values)} values")


@dataclasses.dataclass(frozen=True)
class PanelData:
    panel: model.Panel
    series: tuple[Series, ...]
    missing: str | None = None
    """Why a panel has no data, when the source cannot know (a simulation has no latencies)."""


@dataclasses.dataclass(frozen=True)
class BoardData:
    board: model.Dashboard
    panels: tuple[PanelData, ...]


@dataclasses.dataclass(frozen=True)
class Report:
    title: str
    source: str
    """Where the data came from, for a person: a Prometheus URL or a trace and a fleet."""
    start: dt.datetime
    end: dt.datetime
    boards: tuple[BoardData, ...]
    summary: tuple[tuple[str, str], ...]
    """(what, how much) rows of the summary table."""
    variables: dict[str, str] = dataclasses.field(default_factory=dict)
    """Values of the dashboards' variables, to fill titles and legends (`$window`)."""
