"""One page for the whole simulated fleet: every pod's series, labelled with its pod, under one
HELP and TYPE per family, so one Prometheus target replaces one per pod."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tokenfleet.enginesim import server

PAGE = """# HELP sglang:prompt_tokens_total Prompt tokens.
# TYPE sglang:prompt_tokens_total counter
sglang:prompt_tokens_total{model_name="m"} N
# HELP sglang:time_to_first_token_seconds TTFT.
# TYPE sglang:time_to_first_token_seconds histogram
sglang:time_to_first_token_seconds_bucket{le="1.0",model_name="m"} N
sglang:time_to_first_token_seconds_bucket{le="+Inf",model_name="m"} N
sglang:time_to_first_token_seconds_sum{model_name="m"} N
sglang:time_to_first_token_seconds_count{model_name="m"} N
# HELP sglang:num_queue_reqs Queue.
# TYPE sglang:num_queue_reqs gauge
sglang:num_queue_reqs N
"""


def test_pages_merge_into_one_valid_exposition_with_pod_labels() -> None:
    pages = [
        (PAGE.replace("N", str(i)), {"pod": f"p{i}", "tokenfleet_io_role": "prefill"})
        for i in (1, 2)
    ]
    merged = server.merge_pages(pages)
    assert merged.count("# TYPE sglang:prompt_tokens_total counter") == 1
    families = {f.name: f for f in text_string_to_metric_families(merged)}
    prompt = families["sglang:prompt_tokens"]
    assert sorted((s.labels["pod"], s.value) for s in prompt.samples) == [("p1", 1), ("p2", 2)]
    assert all(s.labels["tokenfleet_io_role"] == "prefill" for s in prompt.samples)
    assert all(s.labels["model_name"] == "m" for s in prompt.samples)
    ttft = families["sglang:time_to_first_token_seconds"]
    assert len(ttft.samples) == 8
    queue = families["sglang:num_queue_reqs"]
    assert sorted(s.labels["pod"] for s in queue.samples) == ["p1", "p2"]


def test_counters_carry_the_instant_the_fleet_was_counted_at_and_nothing_else_does() -> None:
    pages = [(PAGE.replace("N", "3"), {"pod": "p1"})]
    merged = server.merge_pages(pages, counters_at=1_796_000_000.25)
    families = {f.name: f for f in text_string_to_metric_families(merged)}
    (prompt,) = families["sglang:prompt_tokens"].samples
    assert prompt.timestamp == 1_796_000_000.25
    assert prompt.value == 3
    others = families["sglang:time_to_first_token_seconds"].samples
    others += families["sglang:num_queue_reqs"].samples
    assert [s.timestamp for s in others] == [None] * 5
    # Without an instant, nothing is stamped.
    plain = {f.name: f for f in text_string_to_metric_families(server.merge_pages(pages))}
    assert plain["sglang:prompt_tokens"].samples[0].timestamp is None
