"""Trace CSVs: what is accepted, what is refused and how rows become rates.

Covered: the cached column is optional; each row lasts until the next and the last as long as
the one before; rates are tokens over the row's length, input for prefill and output for
decode; a missing column, a decreasing timestamp, a cached count above the input and a
non-number are refused with the file and line.
"""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from tokenfleet.sim import trace as tr

from . import fleets


def test_rows_become_rates_over_their_length(tmp_path: pathlib.Path) -> None:
    path = fleets.write_trace(
        tmp_path / "t.csv", [(0, 600, 60, 120), (60, 1200, 0, 60), (180, 300, 0, 30)]
    )
    trace = tr.load(path)
    assert trace.name == "t"
    assert trace.durations.tolist() == [60.0, 120.0, 120.0]
    assert trace.demand("prefill").tolist() == [10.0, 10.0, 2.5]
    assert trace.demand("decode").tolist() == [2.0, 0.5, 0.25]
    assert trace.demand("unified").tolist() == trace.demand("decode").tolist()
    assert int(trace.cached_input_tokens.sum()) == 60


def test_the_cached_column_is_optional(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("timestamp,input_tokens,output_tokens\n0,10,5\n60,20,5\n")
    trace = tr.load(path)
    assert np.array_equal(trace.cached_input_tokens, [0, 0])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("timestamp,input_tokens\n0,1\n", "missing output_tokens"),
        ("timestamp,input_tokens,output_tokens\n0,1,1\n0,1,1\n", ":3: timestamps must increase"),
        (
            "timestamp,input_tokens,cached_input_tokens,output_tokens\n0,5,6,1\n",
            ":2: cached_input_tokens (6) exceeds input (5)",
        ),
        ("timestamp,input_tokens,output_tokens\n0,many,1\n", ":2: input_tokens must be a number"),
        ("timestamp,input_tokens,output_tokens\n0,-1,1\n", "must be a finite number >= 0"),
        ("timestamp,input_tokens,output_tokens\n", "has no rows"),
    ],
)
def test_bad_traces_are_refused_with_the_line(
    tmp_path: pathlib.Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(tr.TraceError, match=message.replace("(", r"\(").replace(")", r"\)")):
        tr.load(path)


def test_a_missing_file_is_a_trace_error(tmp_path: pathlib.Path) -> None:
    with pytest.raises(tr.TraceError, match="cannot read"):
        tr.load(tmp_path / "nope.csv")
