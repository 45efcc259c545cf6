"""Demand traces: the CSV format of DESIGN.md §6, read into arrays.

Columns (header required): `timestamp` (seconds from the start, increasing), `input_tokens`,
`cached_input_tokens` (optional, part of the input), `output_tokens`: the tokens that arrived
from the row's timestamp to the next. The last row lasts as long as the one before it.
"""

from __future__ import annotations

import csv
import dataclasses
import pathlib

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

REQUIRED = ("timestamp", "input_tokens", "output_tokens")
OPTIONAL = ("cached_input_tokens",)


class TraceError(ValueError):
    """A trace that cannot be replayed; the message names the file and the line."""


@dataclasses.dataclass(frozen=True, eq=False)
class Trace:
    """A demand trace: per row its start (seconds), length and token counts."""

    name: str
    starts: Floats
    durations: Floats
    input_tokens: Ints
    cached_input_tokens: Ints
    output_tokens: Ints

    def __len__(self) -> int:
        return len(self.starts)

    @property
    def seconds(self) -> float:
        return float(self.durations.sum())

    def demand(self, role: str) -> Floats:
        """Tokens per second per row the role serves: input for prefill, output otherwise."""
        tokens = self.input_tokens if role == "prefill" else self.output_tokens
        rates: Floats = tokens / self.durations
        return rates

    def tokens(self, role: str) -> Ints:
        return self.input_tokens if role == "prefill" else self.output_tokens

    def first(self, seconds: float) -> Trace:
        """The rows that start within the first `seconds` (what `make demo --hours` replays)."""
        if seconds <= 0:
            raise TraceError(f"{self.name}: keep a positive span of the trace, not {seconds} s")
        keep = self.starts < seconds
        return dataclasses.replace(
            self,
            starts=self.starts[keep],
            durations=self.durations[keep],
            input_tokens=self.input_tokens[keep],
            cached_input_tokens=self.cached_input_tokens[keep],
            output_tokens=self.output_tokens[keep],
        )


def _number(text: str, column: str, where: str) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise TraceError(f"{where}: {column} must be a number, got {text!r}") from None
    if not np.isfinite(value) or value < 0:
        raise TraceError(f"{where}: {column} must be a finite number >= 0, got {text!r}")
    return value


def load(path: pathlib.Path) -> Trace:
    """Read and check a trace CSV."""
    try:
        handle = path.open(newline="")
    except OSError as exc:
        raise TraceError(f"{path}: cannot read the trace: {exc.strerror}") from None
    with handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [column for column in REQUIRED if column not in header]
        if missing:
            raise TraceError(
                f"{path}: the header must name {', '.join(REQUIRED)} (and optionally "
                f"{OPTIONAL[0]}); missing {', '.join(missing)}"
            )
        cached = OPTIONAL[0] in header
        rows: list[tuple[float, float, float, float]] = []
        for line in reader:
            where = f"{path}:{reader.line_num}"
            ts = _number(line["timestamp"], "timestamp", where)
            inp = _number(line["input_tokens"], "input_tokens", where)
            out = _number(line["output_tokens"], "output_tokens", where)
            hit = _number(line[OPTIONAL[0]], OPTIONAL[0], where) if cached else 0.0
            if hit > inp:
                raise TraceError(f"{where}: cached_input_tokens ({hit:g}) exceeds input ({inp:g})")
            if rows and ts <= rows[-1][0]:
                raise TraceError(
                    f"{where}: timestamps must increase, {ts:g} follows {rows[-1][0]:g}"
                )
            rows.append((ts, inp, hit, out))
    if not rows:
        raise TraceError(f"{path}: the trace has no rows")
    return build(path.stem, rows)


def build(name: str, rows: list[tuple[float, float, float, float]]) -> Trace:
    """A trace from (timestamp, input, cached input, output) rows, as tests write them."""
    table = np.array(rows, dtype=np.float64)
    starts = table[:, 0] - table[0, 0]
    if len(starts) > 1:
        last = starts[-1] - starts[-2]
        durations = np.diff(np.append(starts, starts[-1] + last))
    else:
        durations = np.array([60.0])
    return Trace(
        name=name,
        starts=starts,
        durations=durations,
        input_tokens=np.rint(table[:, 1]).astype(np.int64),
        cached_input_tokens=np.rint(table[:, 2]).astype(np.int64),
        output_tokens=np.rint(table[:, 3]).astype(np.int64),
    )
