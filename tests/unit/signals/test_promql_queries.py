"""PromQL builders: every reading covers both engines, old and new names, and only tokenfleet pods.

Syntax is checked against a real Prometheus parser in tests/prometheus; here, the shape.
"""

from __future__ import annotations

import pytest

from tokenfleet.signals import promql

BY = "by (namespace, tokenfleet_io_deployment, tokenfleet_io_role)"


@pytest.mark.parametrize(
    ("seconds", "text"), [(60, "60s"), (1, "1s"), (2.5, "2500ms"), (0.25, "250ms")]
)
def test_durations_are_whole_seconds_or_milliseconds(seconds: float, text: str) -> None:
    assert promql.duration(seconds) == text


def test_a_zero_length_range_is_refused() -> None:
    with pytest.raises(ValueError, match="longer than zero"):
        promql.duration(0)


def test_input_rate_sums_prompt_token_rates_of_both_engines_by_role() -> None:
    assert promql.query(promql.Reading.INPUT_RATE, 30) == (
        f'(sum {BY} (rate(sglang:prompt_tokens_total{{tokenfleet_io_role!=""}}[30s])))'
        f' or (sum {BY} (rate(vllm:prompt_tokens_total{{tokenfleet_io_role!=""}}[30s])))'
    )


def test_output_rate_reads_generation_tokens() -> None:
    query = promql.query(promql.Reading.OUTPUT_RATE, 15)
    assert "rate(sglang:generation_tokens_total{" in query
    assert "rate(vllm:generation_tokens_total{" in query
    assert "prompt" not in query


def test_cached_rate_reads_sglang_cached_tokens_and_vllm_prefix_hits_old_and_new() -> None:
    query = promql.query(promql.Reading.CACHED_RATE, 15)
    names = [
        "sglang:cached_tokens_total",
        "vllm:prefix_cache_hits_total",
        "vllm:gpu_prefix_cache_hits_total",
    ]
    positions = [query.index(f"rate({name}{{") for name in names]
    assert positions == sorted(positions), "new names come before old ones"


def test_kv_cache_usage_averages_the_new_vllm_gauge_before_the_old_one() -> None:
    query = promql.query(promql.Reading.KV_CACHE_USAGE, 15)
    assert query == (
        f'(avg {BY} (sglang:token_usage{{tokenfleet_io_role!=""}}))'
        f' or (avg {BY} (vllm:kv_cache_usage_perc{{tokenfleet_io_role!=""}}))'
        f' or (avg {BY} (vllm:gpu_cache_usage_perc{{tokenfleet_io_role!=""}}))'
    )


def test_queue_depth_and_running_requests_are_sums() -> None:
    queue = promql.query(promql.Reading.QUEUE_DEPTH, 15)
    running = promql.query(promql.Reading.RUNNING_REQUESTS, 15)
    assert "sum by" in queue and "sglang:num_queue_reqs" in queue
    assert "vllm:num_requests_waiting" in queue
    assert "sglang:num_running_reqs" in running and "vllm:num_requests_running" in running


def test_itl_quantile_reads_the_old_time_per_output_token_histograms_too() -> None:
    query = promql.query(promql.Reading.ITL_P90, 20)
    assert query.startswith("histogram_quantile(0.9, ")
    for name in (
        "sglang:inter_token_latency_seconds_bucket",
        "sglang:time_per_output_token_seconds_bucket",
        "vllm:inter_token_latency_seconds_bucket",
        "vllm:time_per_output_token_seconds_bucket",
    ):
        assert f"rate({name}{{" in query
    assert "sum by (le, namespace, tokenfleet_io_deployment, tokenfleet_io_role)" in query


def test_ttft_quantile_can_be_asked_for_another_quantile() -> None:
    query = promql.query(promql.Reading.TTFT_P90, 20, q=0.5)
    assert query.startswith("histogram_quantile(0.5, ")
    assert "sglang:time_to_first_token_seconds_bucket" in query
    assert "vllm:time_to_first_token_seconds_bucket" in query


def test_quantiles_outside_zero_one_are_refused() -> None:
    with pytest.raises(ValueError, match="strictly between"):
        promql.quantile(1.0, ["x"], 10)


def test_gpu_utilization_matches_both_spellings_of_the_dcgm_host_label() -> None:
    query = promql.gpu_utilization()
    assert 'label_replace(DCGM_FI_DEV_GPU_UTIL, "node", "$1", "Hostname", "(.+)")' in query
    assert '"node", "$1", "hostname", "(.+)")' in query
    assert "* on (node) group_left (namespace, tokenfleet_io_deployment, tokenfleet_io_role)" in (
        query
    )
    assert query.endswith("/ 100")


def test_every_engine_query_only_counts_series_of_tokenfleet_pods() -> None:
    for reading in promql.Reading:
        query = promql.query(reading, 10)
        assert query.count("{") == query.count('{tokenfleet_io_role!=""'), reading


def test_request_rate_counts_served_requests_but_not_vllms_aborted_ones() -> None:
    assert promql.query(promql.Reading.REQUEST_RATE, 30) == (
        f'(sum {BY} (rate(sglang:num_requests_total{{tokenfleet_io_role!=""}}[30s])))'
        f" or (sum {BY} (rate(vllm:request_success_total"
        f'{{tokenfleet_io_role!="",finished_reason!="abort"}}[30s])))'
    )


def test_aborted_rate_reads_sglangs_aborted_counter_and_vllms_abort_reason() -> None:
    query = promql.query(promql.Reading.ABORTED_RATE, 30)
    assert 'rate(sglang:num_aborted_requests_total{tokenfleet_io_role!=""}[30s])' in query
    assert 'rate(vllm:request_success_total{tokenfleet_io_role!="",finished_reason="abort"}' in (
        query
    )


def test_queue_growth_is_the_summed_depth_now_less_a_window_ago_per_second() -> None:
    now = (
        f'(sum {BY} (sglang:num_queue_reqs{{tokenfleet_io_role!=""}}))'
        f' or (sum {BY} (vllm:num_requests_waiting{{tokenfleet_io_role!=""}}))'
    )
    then = (
        f'(sum {BY} (sglang:num_queue_reqs{{tokenfleet_io_role!=""}} offset 45s))'
        f' or (sum {BY} (vllm:num_requests_waiting{{tokenfleet_io_role!=""}} offset 45s))'
    )
    # Summed before the difference (pods joining or leaving move nothing), and a role with
    # no past counts from zero.
    assert promql.query(promql.Reading.QUEUE_GROWTH, 45) == (
        f"(({now}) - (({then}) or ({now}) * 0)) / 45"
    )
