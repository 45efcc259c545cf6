"""Counter increases with resets, bucket increases and histogram quantiles, as PromQL has them."""

from __future__ import annotations

import math

import pytest

from tokenfleet.signals import rates

INF = math.inf


def test_a_counter_increase_is_the_difference() -> None:
    assert rates.increase(100.0, 160.0) == 60.0


def test_a_counter_that_went_down_restarted_from_zero() -> None:
    assert rates.increase(100.0, 30.0) == 30.0


def test_bucket_increases_are_per_bucket() -> None:
    before = {0.1: 1.0, 1.0: 4.0, INF: 5.0}
    after = {0.1: 3.0, 1.0: 10.0, INF: 12.0}
    assert rates.bucket_increase(before, after) == {0.1: 2.0, 1.0: 6.0, INF: 7.0}


def test_a_histogram_reset_takes_the_new_counts_whole() -> None:
    before = {0.1: 5.0, INF: 9.0}
    after = {0.1: 1.0, INF: 2.0}
    assert rates.bucket_increase(before, after) == after


def test_histograms_add_bucket_by_bucket() -> None:
    total = rates.sum_buckets([{1.0: 1.0, INF: 2.0}, {1.0: 3.0, INF: 5.0}])
    assert total == {1.0: 4.0, INF: 7.0}


def test_quantile_interpolates_inside_its_bucket() -> None:
    # 10 observations up to 1s, 10 more up to 2s: the 90th percentile is 8/10 into (1, 2].
    buckets = {1.0: 10.0, 2.0: 20.0, INF: 20.0}
    assert rates.histogram_quantile(0.9, buckets) == pytest.approx(1.8)


def test_quantile_in_the_lowest_bucket_starts_from_zero() -> None:
    assert rates.histogram_quantile(0.5, {0.4: 10.0, INF: 10.0}) == pytest.approx(0.2)


def test_quantile_falling_in_the_inf_bucket_is_the_highest_finite_bound() -> None:
    assert rates.histogram_quantile(0.9, {1.0: 5.0, 2.0: 6.0, INF: 10.0}) == 2.0


def test_no_observations_or_no_inf_bucket_give_no_quantile() -> None:
    assert rates.histogram_quantile(0.9, {1.0: 0.0, INF: 0.0}) is None
    assert rates.histogram_quantile(0.9, {1.0: 4.0}) is None
    assert rates.histogram_quantile(0.9, {}) is None
