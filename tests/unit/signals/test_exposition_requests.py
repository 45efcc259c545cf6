"""Request counters as the engines write them: SGLang counts finished and aborted requests in two
counters, vLLM in one told apart by `finished_reason`; an engine without them reads None."""

from __future__ import annotations

from tokenfleet.signals import engines, exposition

SGLANG = """\
# TYPE sglang:prompt_tokens_total counter
sglang:prompt_tokens_total{model_name="m"} 8000.0
# TYPE sglang:num_requests_total counter
sglang:num_requests_total{model_name="m"} 40.0
# TYPE sglang:num_aborted_requests_total counter
sglang:num_aborted_requests_total{model_name="m"} 3.0
# TYPE sglang:num_queue_reqs gauge
sglang:num_queue_reqs{model_name="m"} 7.0
"""

VLLM = """\
# TYPE vllm:prompt_tokens_total counter
vllm:prompt_tokens_total{engine="0",model_name="m"} 8000.0
# TYPE vllm:request_success_total counter
vllm:request_success_total{engine="0",finished_reason="stop",model_name="m"} 30.0
vllm:request_success_total{engine="0",finished_reason="length",model_name="m"} 5.0
vllm:request_success_total{engine="0",finished_reason="abort",model_name="m"} 2.0
vllm:request_success_total{engine="1",finished_reason="stop",model_name="m"} 10.0
vllm:request_success_total{engine="1",finished_reason="abort",model_name="m"} 1.0
"""

OLD_SGLANG = """\
# TYPE sglang:prompt_tokens_total counter
sglang:prompt_tokens_total{model_name="m"} 8000.0
"""


def test_sglang_reads_finished_and_aborted_requests_from_two_counters() -> None:
    got = exposition.read(SGLANG)
    assert got.finished_requests == 40.0
    assert got.aborted_requests == 3.0
    assert got.queue_depth == 7.0


def test_vllm_tells_aborted_requests_apart_by_finished_reason_across_engines() -> None:
    got = exposition.read(VLLM)
    assert got.finished_requests == 45.0
    assert got.aborted_requests == 3.0


def test_an_engine_without_request_counters_reads_none() -> None:
    got = exposition.read(OLD_SGLANG)
    assert got.finished_requests is None and got.aborted_requests is None


def test_a_counted_series_matcher_is_the_promql_one() -> None:
    (finished,) = engines.VLLM.finished_requests
    (aborted,) = engines.VLLM.aborted_requests
    assert finished.matcher == 'finished_reason!="abort"'
    assert aborted.matcher == 'finished_reason="abort"'
    assert engines.SGLANG.finished_requests[0].matcher == ""
    assert finished.matches({"finished_reason": "length"})
    assert not finished.matches({"finished_reason": "abort"})
