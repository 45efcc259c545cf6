"""Reading an engine pod's /metrics text: SGLang and vLLM, new and old names, several DP ranks."""

from __future__ import annotations

import math

from tokenfleet.signals import exposition

SGLANG = """\
# HELP sglang:num_queue_reqs The number of requests in the waiting queue.
# TYPE sglang:num_queue_reqs gauge
sglang:num_queue_reqs{model_name="m",engine_type="unified",tp_rank="0",pp_rank="0",dp_rank="0"} 3.0
sglang:num_queue_reqs{model_name="m",engine_type="unified",tp_rank="0",pp_rank="0",dp_rank="1"} 4.0
# TYPE sglang:num_running_reqs gauge
sglang:num_running_reqs{model_name="m",tp_rank="0",dp_rank="0"} 10.0
sglang:num_running_reqs{model_name="m",tp_rank="0",dp_rank="1"} 12.0
# TYPE sglang:token_usage gauge
sglang:token_usage{model_name="m",tp_rank="0",dp_rank="0"} 0.5
sglang:token_usage{model_name="m",tp_rank="0",dp_rank="1"} 0.7
# TYPE sglang:prompt_tokens_total counter
sglang:prompt_tokens_total{model_name="m"} 1.5e+10
# TYPE sglang:generation_tokens_total counter
sglang:generation_tokens_total{model_name="m"} 2.0e+9
# TYPE sglang:cached_tokens_total counter
sglang:cached_tokens_total{model_name="m"} 9.0e+9
# TYPE sglang:time_per_output_token_seconds histogram
sglang:time_per_output_token_seconds_bucket{model_name="m",le="0.01"} 2.0
sglang:time_per_output_token_seconds_bucket{model_name="m",le="0.05"} 7.0
sglang:time_per_output_token_seconds_bucket{model_name="m",le="+Inf"} 8.0
sglang:time_per_output_token_seconds_sum{model_name="m"} 0.2
sglang:time_per_output_token_seconds_count{model_name="m"} 8.0
"""

VLLM_OLD = """\
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{engine="0",model_name="m"} 1.0
vllm:num_requests_waiting{engine="1",model_name="m"} 2.0
# TYPE vllm:gpu_cache_usage_perc gauge
vllm:gpu_cache_usage_perc{engine="0",model_name="m"} 0.2
vllm:gpu_cache_usage_perc{engine="1",model_name="m"} 0.4
# TYPE vllm:prompt_tokens_total counter
vllm:prompt_tokens_total{engine="0",model_name="m"} 100.0
vllm:prompt_tokens_total{engine="1",model_name="m"} 300.0
# TYPE vllm:gpu_prefix_cache_hits_total counter
vllm:gpu_prefix_cache_hits_total{engine="0",model_name="m"} 50.0
vllm:gpu_prefix_cache_hits_total{engine="1",model_name="m"} 70.0
# TYPE vllm:time_to_first_token_seconds histogram
vllm:time_to_first_token_seconds_bucket{engine="0",le="0.5",model_name="m"} 1.0
vllm:time_to_first_token_seconds_bucket{engine="0",le="+Inf",model_name="m"} 2.0
vllm:time_to_first_token_seconds_bucket{engine="1",le="0.5",model_name="m"} 3.0
vllm:time_to_first_token_seconds_bucket{engine="1",le="+Inf",model_name="m"} 4.0
vllm:time_to_first_token_seconds_count{engine="0",model_name="m"} 2.0
vllm:time_to_first_token_seconds_sum{engine="0",model_name="m"} 0.6
"""


def test_sglang_counters_and_gauges_are_summed_over_dp_ranks() -> None:
    reading = exposition.read(SGLANG)
    assert reading.prompt_tokens == 1.5e10
    assert reading.generation_tokens == 2.0e9
    assert reading.cached_tokens == 9.0e9
    assert reading.queue_depth == 7.0
    assert reading.running_requests == 22.0
    assert reading.kv_cache_usage == (0.5, 0.7)


def test_sglang_old_time_per_output_token_name_is_read_as_itl() -> None:
    reading = exposition.read(SGLANG)
    assert reading.itl_buckets == {0.01: 2.0, 0.05: 7.0, math.inf: 8.0}
    assert reading.ttft_buckets is None


def test_vllm_old_names_are_read_and_engines_summed() -> None:
    reading = exposition.read(VLLM_OLD)
    assert reading.prompt_tokens == 400.0
    assert reading.cached_tokens == 120.0
    assert reading.queue_depth == 3.0
    assert reading.kv_cache_usage == (0.2, 0.4)
    assert reading.ttft_buckets == {0.5: 4.0, math.inf: 6.0}
    assert reading.generation_tokens is None
    assert reading.running_requests is None


def test_the_new_vllm_name_wins_when_both_are_exported() -> None:
    text = VLLM_OLD + (
        "# TYPE vllm:kv_cache_usage_perc gauge\n"
        'vllm:kv_cache_usage_perc{engine="0",model_name="m"} 0.9\n'
    )
    assert exposition.read(text).kv_cache_usage == (0.9,)


def test_metrics_of_no_known_engine_read_as_nothing() -> None:
    reading = exposition.read("# TYPE up gauge\nup 1\n")
    assert reading == exposition.PodReading()
