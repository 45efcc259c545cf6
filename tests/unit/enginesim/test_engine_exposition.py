"""The simulator's /metrics text: engine names, types and labels as REFERENCE.md lists them,
old names on request, DP ranks that add up to the pod, and DCGM's host label both ways."""

from __future__ import annotations

import datetime as dt

import pytest
from prometheus_client import parser

from tokenfleet import clock as clocks
from tokenfleet.enginesim import demand, exposition, fleet, pods

START = dt.datetime(2025, 1, 6, tzinfo=dt.UTC)


def one_pod(role: str = "decode") -> fleet.PodState:
    clock = clocks.FakeClock(START)
    current = pods.static_pods("ns", "dsv3", {role: 1})
    sim = fleet.Fleet(
        demand.ConstantDemand(demand.Tokens(2048, 1024, 100)),
        clock,
        START,
        fleet.Settings(capacity={role: 200.0}),
        lambda: current,
    )
    clock.advance(100)
    sim.advance()
    return sim.states()[0]


def families(text: str) -> dict[str, tuple[str, list[tuple[str, dict[str, str], float]]]]:
    return {
        f.name: (f.type, [(s.name, s.labels, s.value) for s in f.samples])
        for f in parser.text_string_to_metric_families(text)
    }


def total(text: str, sample_name: str) -> float:
    return sum(
        value
        for _, samples in families(text).values()
        for name, _, value in samples
        if name == sample_name
    )


def test_sglang_exports_its_metric_names_and_types() -> None:
    found = families(exposition.engine_metrics(one_pod(), exposition.Shape("sglang")))
    engine = {name: kind for name, (kind, _) in found.items() if name.startswith("sglang:")}
    assert engine == {
        "sglang:num_running_reqs": "gauge",
        "sglang:num_queue_reqs": "gauge",
        "sglang:token_usage": "gauge",
        "sglang:prompt_tokens": "counter",
        "sglang:generation_tokens": "counter",
        "sglang:cached_tokens": "counter",
        "sglang:num_requests": "counter",
        "sglang:num_aborted_requests": "counter",
        "sglang:time_to_first_token_seconds": "histogram",
        "sglang:inter_token_latency_seconds": "histogram",
    }


def test_sglang_labels_counters_by_model_and_gauges_by_scheduler_rank() -> None:
    found = families(exposition.engine_metrics(one_pod(), exposition.Shape("sglang", "m", 2)))
    ((_, counter_labels, value),) = found["sglang:generation_tokens"][1]
    assert counter_labels == {"model_name": "m"}
    assert value == pytest.approx(100 * 100)
    gauge_labels = [labels for _, labels, _ in found["sglang:token_usage"][1]]
    assert gauge_labels == [
        {"model_name": "m", "engine_type": "decode", "tp_rank": "0", "pp_rank": "0", "dp_rank": r}
        for r in ("0", "1")
    ]


def test_sglang_old_names_export_time_per_output_token() -> None:
    text = exposition.engine_metrics(one_pod(), exposition.Shape("sglang", old_names=True))
    assert "sglang:time_per_output_token_seconds" in families(text)
    assert "sglang:inter_token_latency_seconds" not in families(text)


def test_vllm_exports_one_series_per_engine_that_add_up_to_the_pod() -> None:
    state = one_pod("prefill")
    text = exposition.engine_metrics(state, exposition.Shape("vllm", "m", ranks_per_pod=4))
    found = families(text)
    engines_seen = {labels["engine"] for _, labels, _ in found["vllm:prompt_tokens"][1]}
    assert engines_seen == {"0", "1", "2", "3"}
    assert total(text, "vllm:prompt_tokens_total") == pytest.approx(state.prompt_tokens)
    assert total(text, "vllm:prefix_cache_hits_total") == pytest.approx(state.cached_tokens)
    assert total(text, "vllm:num_requests_waiting") == pytest.approx(state.queue_requests)
    assert total(text, "vllm:time_to_first_token_seconds_count") == pytest.approx(state.ttft.count)
    assert found["vllm:kv_cache_usage_perc"][0] == "gauge"
    assert found["vllm:inter_token_latency_seconds"][0] == "histogram"


def test_vllm_old_names_are_the_gpu_prefixed_ones() -> None:
    text = exposition.engine_metrics(one_pod(), exposition.Shape("vllm", old_names=True))
    names = set(families(text))
    assert {"vllm:gpu_cache_usage_perc", "vllm:gpu_prefix_cache_hits"} <= names
    assert "vllm:time_per_output_token_seconds" in names
    assert not {"vllm:kv_cache_usage_perc", "vllm:prefix_cache_hits"} & names


def test_histogram_buckets_are_cumulative_and_end_in_inf() -> None:
    text = exposition.engine_metrics(one_pod(), exposition.Shape("sglang"))
    (_, samples) = families(text)["sglang:time_to_first_token_seconds"]
    buckets = [(labels["le"], value) for name, labels, value in samples if name.endswith("_bucket")]
    assert buckets[-1][0] == "+Inf"
    counts = [value for _, value in buckets]
    assert counts == sorted(counts)


@pytest.mark.parametrize("host_label", ["Hostname", "hostname"])
def test_dcgm_utilisation_is_per_gpu_with_the_node_in_the_host_label(host_label: str) -> None:
    state = one_pod()
    text = exposition.dcgm_metrics([state], gpus_per_node=8, host_label=host_label)
    (kind, samples) = families(text)["DCGM_FI_DEV_GPU_UTIL"]
    assert kind == "gauge"
    assert len(samples) == 8
    assert {labels[host_label] for _, labels, _ in samples} == {state.pod.node}
    assert {value for _, _, value in samples} == {50.0}


def test_unknown_engines_are_refused() -> None:
    with pytest.raises(ValueError, match="sglang, vllm"):
        exposition.Shape("tgi")


def test_the_queue_is_exported_by_kind_of_token() -> None:
    # Prefill at 200 tokens/s against 2,048 arriving: the rest waits, input with its cached part.
    state = one_pod("prefill")
    found = families(exposition.simulator_metrics(state))
    kind, samples = found["enginesim_waiting_tokens"]
    by_kind = {labels["token"]: value for _, labels, value in samples}
    assert kind == "gauge"
    assert by_kind == {
        "input": pytest.approx(state.waiting.input),
        "cached": pytest.approx(state.waiting.cached),
        "output": pytest.approx(state.waiting.output),
    }
    assert by_kind["input"] == pytest.approx(state.backlog_tokens) and by_kind["input"] > 0
    assert by_kind["cached"] == pytest.approx(by_kind["input"] / 2)
