"""The dashboards' quantities computed from samples of the exporter taken over time.

A simulation has no Prometheus to run the panels' PromQL, but it has the exporter's books: the
replay samples every metric now and then, and this module reads those samples as the panels'
queries read Prometheus: gauges as they are, counters as rates over a window (per clock
second), grouped and filtered by label. Each `Quantity` of `dashboards.model` has one function
here that mirrors its PromQL; the engines' latency quantities have none (a simulation has no
engines), and `missing` says so.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence

from tokenfleet.dashboards import model
from tokenfleet.metrics import names
from tokenfleet.report import data

Labels = dict[str, str]
Key = tuple[tuple[str, str], ...]


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """Every sample of the exporter at one clock instant: name -> [(labels, value)]."""

    at: dt.datetime
    samples: Mapping[str, list[tuple[Labels, float]]]


@dataclasses.dataclass(frozen=True)
class Frames:
    """Snapshots in time order, and the rate window in clock seconds."""

    snapshots: Sequence[Snapshot]
    window: float

    def __post_init__(self) -> None:
        if self.window <= 0:
            raise ValueError(f"the rate window must be longer than zero, got {self.window}")

    @property
    def times(self) -> list[dt.datetime]:
        return [s.at for s in self.snapshots]


def _matches(labels: Labels, where: Mapping[str, str]) -> bool:
    return all(re.fullmatch(pattern, labels.get(k, "")) for k, pattern in where.items())


def _grouped(
    snapshot: Snapshot, name: str, by: Sequence[str], where: Mapping[str, str]
) -> dict[Key, float]:
    out: dict[Key, float] = {}
    for labels, value in snapshot.samples.get(name, []):
        if _matches(labels, where):
            key = tuple((k, labels.get(k, "")) for k in by)
            out[key] = out.get(key, 0.0) + value
    return out


Table = dict[Key, dict[dt.datetime, float]]


def gauge(frames: Frames, name: str, by: Sequence[str], where: Mapping[str, str]) -> Table:
    """`sum by (by) (name{where})` at every snapshot."""
    table: Table = {}
    for snapshot in frames.snapshots:
        for key, value in _grouped(snapshot, name, by, where).items():
            table.setdefault(key, {})[snapshot.at] = value
    return table


def rate(frames: Frames, name: str, by: Sequence[str], where: Mapping[str, str]) -> Table:
    """`sum by (by) (rate(name{where}[window]))` per clock second at every snapshot that has
    one a window (or less, at the start) before it."""
    table: Table = {}
    times = frames.times
    grouped = [_grouped(s, name, by, where) for s in frames.snapshots]
    for index in range(1, len(times)):
        back = bisect.bisect_left(times, times[index] - dt.timedelta(seconds=frames.window))
        back = min(back, index - 1)
        seconds = (times[index] - times[back]).total_seconds()
        for key, value in grouped[index].items():
            # A counter not there yet is at zero: the exporter starts every series at zero.
            before = grouped[back].get(key, 0.0)
            if seconds > 0:
                table.setdefault(key, {})[times[index]] = max(0.0, value - before) / seconds
    return table


def increase(frames: Frames, name: str, by: Sequence[str], where: Mapping[str, str]) -> Table:
    """`sum by (by) (increase(name{where}[$__interval]))`: growth since the previous snapshot."""
    table: Table = {}
    grouped = [_grouped(s, name, by, where) for s in frames.snapshots]
    for index in range(1, len(grouped)):
        at = frames.snapshots[index].at
        for key, value in grouped[index].items():
            table.setdefault(key, {})[at] = max(0.0, value - grouped[index - 1].get(key, 0.0))
    return table


def combine(
    a: Table, b: Table, op: Callable[[float, float], float | None], on: Sequence[str]
) -> Table:
    """`a op on (on) group_left b`: each series of `a` with the series of `b` sharing `on`."""
    index: dict[Key, dict[dt.datetime, float]] = {}
    for key, points in b.items():
        index[tuple((k, v) for k, v in key if k in on)] = points
    out: Table = {}
    for key, points in a.items():
        other = index.get(tuple((k, v) for k, v in key if k in on), {})
        for at, value in points.items():
            if at in other:
                result = op(value, other[at])
                if result is not None:
                    out.setdefault(key, {})[at] = result
    return out


def scaled(table: Table, factor: float) -> Table:
    return {key: {at: v * factor for at, v in points.items()} for key, points in table.items()}


def _divide(a: float, b: float) -> float | None:
    return a / b if b else None


def series(
    table: Table, legend: str, keep: Callable[[float], bool] = lambda v: True
) -> list[data.Series]:
    """A table as lines named by `legend`, in label order; points `keep` rejects are dropped."""
    out = []
    for key in sorted(table):
        points = sorted((at, v) for at, v in table[key].items() if keep(v))
        if points:
            out.append(
                data.Series(
                    model.legend(legend, dict(key)),
                    tuple(at for at, _ in points),
                    tuple(v for _, v in points),
                )
            )
    return out


DEPLOYMENT = ("namespace", "deployment")
HOUR = 3600.0
INPUT = {"token_class": "input_cache_hit|input_cache_miss"}


def _tokens_by(frames: Frames, by: Sequence[str], where: Mapping[str, str]) -> Table:
    return rate(frames, names.TOKENS.exported, by, where)


Compute = Callable[[Frames, Mapping[str, str]], Table]

COMPUTE: dict[model.Quantity, Compute] = {
    model.Quantity.COST_PER_HOUR: lambda f, w: scaled(
        rate(f, names.COST.exported, ["currency"], w), HOUR
    ),
    model.Quantity.REVENUE_PER_HOUR: lambda f, w: scaled(
        rate(f, names.REVENUE.exported, ["kind", "currency"], w), HOUR
    ),
    model.Quantity.MARGIN: lambda f, w: gauge(f, names.MARGIN.name, ["deployment", "kind"], w),
    model.Quantity.COST_PER_MILLION: lambda f, w: gauge(
        f, names.COST_PER_MILLION.name, ["deployment", "token_class"], w
    ),
    model.Quantity.COST_PER_MILLION_WINDOW: lambda f, w: scaled(
        combine(
            rate(f, names.COST.exported, DEPLOYMENT, w),
            _tokens_by(f, DEPLOYMENT, w),
            _divide,
            DEPLOYMENT,
        ),
        1e6,
    ),
    model.Quantity.REVENUE_PER_MILLION: lambda f, w: gauge(
        f, names.REVENUE_PER_MILLION.name, ["deployment", "kind"], w
    ),
    model.Quantity.REVENUE_PER_MILLION_BY_MODEL: lambda f, w: scaled(
        combine(
            rate(f, names.REVENUE.exported, ["model", "kind"], w),
            _tokens_by(f, ["model"], w),
            _divide,
            ["model"],
        ),
        1e6,
    ),
    model.Quantity.TOKENS_PER_SECOND: lambda f, w: _tokens_by(f, ["token_class"], w),
    model.Quantity.PRICE_PER_MILLION: lambda f, w: gauge(
        f, names.PRICE_PER_MILLION.name, ["plan", "model", "window"], w
    ),
    model.Quantity.OPENCOST: lambda f, w: gauge(
        f, names.OPENCOST_COST_PER_MILLION.name, ["model_name", "phase"], w
    ),
    model.Quantity.DEMAND: lambda f, w: {
        **_tokens_by(f, ["deployment", "role"], {**w, **INPUT, "role": "prefill"}),
        **_tokens_by(
            f, ["deployment", "role"], {**w, "token_class": "output", "role": "decode|unified"}
        ),
    },
    model.Quantity.CAPACITY: lambda f, w: gauge(f, names.CAPACITY.name, ["deployment", "role"], w),
    model.Quantity.UNITS_DESIRED: lambda f, w: gauge(f, names.UNITS_DESIRED.name, ["role"], w),
    model.Quantity.UNITS_READY: lambda f, w: gauge(f, names.UNITS_READY.name, ["role"], w),
    model.Quantity.UNITS_STARTING: lambda f, w: gauge(f, names.UNITS_STARTING.name, ["role"], w),
    model.Quantity.DECISIONS: lambda f, w: increase(
        f,
        names.SCALE_DECISIONS.exported,
        ["role", "direction", "reason"],
        {**w, "direction": "up|down"},
    ),
    model.Quantity.NODES: lambda f, w: gauge(f, names.NODES.name, ["pool", "state"], w),
    model.Quantity.NODES_DESIRED: lambda f, w: gauge(f, names.NODES_DESIRED.name, ["pool"], w),
    model.Quantity.NODES_MAX: lambda f, w: gauge(f, names.NODES_MAX.name, ["pool"], w),
    model.Quantity.NODES_COMMITTED: lambda f, w: gauge(f, names.NODES_COMMITTED.name, ["pool"], w),
    model.Quantity.POOL_COST_PER_HOUR: lambda f, w: scaled(
        rate(f, names.POOL_COST.exported, ["pool", "currency"], w), HOUR
    ),
    model.Quantity.IDLE_COST_PER_HOUR: lambda f, w: scaled(
        rate(f, names.IDLE_COST.exported, ["pool", "reason", "currency"], w), HOUR
    ),
    model.Quantity.IDLE_SHARE: lambda f, w: combine(
        rate(f, names.IDLE_COST.exported, ["pool"], w),
        rate(f, names.POOL_COST.exported, ["pool"], w),
        _divide,
        ["pool"],
    ),
}

MISSING = "a simulation has no engines, so no latencies"


def window_text(seconds: float) -> str:
    """A window in seconds as the `$window` variable would read: 1h, 15m, 90s."""
    for unit, suffix in ((3600, "h"), (60, "m")):
        if seconds >= unit and seconds % unit == 0:
            return f"{seconds / unit:g}{suffix}"
    return f"{seconds:g}s"


def panel(frames: Frames, panel_: model.Panel) -> data.PanelData:
    """One panel's series from the frames; `missing` when no query of it can be computed."""
    lines: list[data.Series] = []
    computable = False
    for query in panel_.queries:
        compute = COMPUTE.get(query.quantity)
        if compute is None:
            continue
        computable = True
        keep = (lambda v: v > 0) if query.quantity is model.Quantity.DECISIONS else (lambda v: True)
        legend = model.fill(query.legend, {"window": window_text(frames.window)})
        lines.extend(series(compute(frames, query.where), legend, keep))
    return data.PanelData(panel_, tuple(lines), None if computable else MISSING)
