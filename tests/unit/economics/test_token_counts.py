"""Token counts by class: sums, totals, scaling and the input/cached shape traces use.

Covered: adding counts class by class; `input` and `total`; scaling to whole tokens exactly at
DeepSeek scale; building from (input, cached input, output); refusing negative counts.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tokenfleet.economics import tokens


def test_counts_add_class_by_class() -> None:
    total = tokens.TokenCounts(1, 2, 3) + tokens.TokenCounts(10, 20, 30)
    assert total == tokens.TokenCounts(input_cache_hit=11, input_cache_miss=22, output=33)


def test_input_is_both_input_classes_and_total_is_every_token() -> None:
    counts = tokens.TokenCounts(input_cache_hit=342, input_cache_miss=266, output=168)
    assert (counts.input, counts.total) == (608, 776)


@pytest.mark.parametrize(
    ("counts", "factor", "expected"),
    [
        (tokens.TokenCounts(10, 20, 30), 0.5, tokens.TokenCounts(5, 10, 15)),
        (tokens.TokenCounts(1, 3, 5), 0.5, tokens.TokenCounts(0, 2, 2)),  # half to even
        (tokens.TokenCounts(7, 7, 7), 0, tokens.TokenCounts()),
        # past 2**53 a float product would lose the last tokens
        (
            tokens.TokenCounts(output=342_000_000_000_000_001),
            1.0,
            tokens.TokenCounts(output=342_000_000_000_000_001),
        ),
        (
            tokens.TokenCounts(output=608_000_000_000),
            1 / 3,
            tokens.TokenCounts(output=202_666_666_667),
        ),
    ],
)
def test_scaling_rounds_each_class_to_whole_tokens(
    counts: tokens.TokenCounts, factor: float, expected: tokens.TokenCounts
) -> None:
    assert counts.scaled(factor) == expected


def test_counts_from_input_and_its_cached_part() -> None:
    counts = tokens.TokenCounts.of(input=608, cached_input=342, output=168)
    assert counts == tokens.TokenCounts(342, 266, 168)


@pytest.mark.parametrize(
    "build",
    [
        lambda: tokens.TokenCounts(-1, 0, 0),
        lambda: tokens.TokenCounts.of(input=10, cached_input=11),
        lambda: tokens.TokenCounts(1, 1, 1).scaled(-0.5),
    ],
)
def test_negative_or_inconsistent_counts_are_refused(build: Callable[[], object]) -> None:
    with pytest.raises(ValueError):
        build()
