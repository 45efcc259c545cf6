"""Writes a simulated pod's state as SGLang's or vLLM's `/metrics`, and DCGM's GPU metrics.

Names, types and labels follow the engines (REFERENCE.md §3.4, §4.4, §5) and are spelled out
here rather than shared with signals/, so a wrong name on either side shows up in tests. An
engine with several DP ranks per pod exports one series per rank (vLLM: `engine`, SGLang
scheduler gauges: `dp_rank`); the pod's totals are split evenly across them. `old_names`
exports the names older releases used instead of the new ones.

Requests dropped from the queue after the timeout are counted where the engines count aborted
requests (SGLang's `sglang:num_aborted_requests_total`, vLLM's `vllm:request_success_total`
with `finished_reason="abort"`). What no engine exports is under `enginesim_` (see
`simulator_metrics`): the tokens dropped, the tokens waiting and the late tokens.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence

from tokenfleet.enginesim import fleet

ENGINES = ("sglang", "vllm")


@dataclasses.dataclass(frozen=True)
class Shape:
    """How the simulated engines present themselves."""

    engine: str = "sglang"
    model_name: str = "deepseek-ai/DeepSeek-V3"
    ranks_per_pod: int = 1
    old_names: bool = False

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValueError(f"unknown engine {self.engine!r}; choose one of {', '.join(ENGINES)}")
        if self.ranks_per_pod < 1:
            raise ValueError("ranks_per_pod must be at least 1")


def _labels(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    escaped = (
        f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for k, v in labels.items()
    )
    return "{" + ",".join(escaped) + "}"


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def family(self, name: str, kind: str, help_text: str) -> None:
        self.lines.append(f"# HELP {name} {help_text}")
        self.lines.append(f"# TYPE {name} {kind}")

    def sample(self, name: str, labels: Mapping[str, str], value: float) -> None:
        self.lines.append(f"{name}{_labels(labels)} {value!r}")

    def histogram(
        self,
        name: str,
        help_text: str,
        series: Iterable[tuple[Mapping[str, str], fleet.Histogram, float]],
    ) -> None:
        """One histogram family; each series is (labels, histogram, share of its counts)."""
        self.family(name, "histogram", help_text)
        for labels, hist, share in series:
            counts = hist.counts or [0.0] * len(hist.bounds)
            for bound, count in zip(hist.bounds, counts, strict=True):
                self.sample(f"{name}_bucket", {**labels, "le": repr(bound)}, count * share)
            self.sample(f"{name}_bucket", {**labels, "le": "+Inf"}, hist.count * share)
            self.sample(f"{name}_sum", labels, hist.sum * share)
            self.sample(f"{name}_count", labels, hist.count * share)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _sglang(state: fleet.PodState, shape: Shape) -> str:
    out = _Writer()
    model = {"model_name": shape.model_name}
    engine_type = {"prefill": "prefill", "decode": "decode"}.get(state.pod.role, "unified")
    ranks: Sequence[dict[str, str]] = [
        {**model, "engine_type": engine_type, "tp_rank": "0", "pp_rank": "0"}
        | ({"dp_rank": str(r)} if shape.ranks_per_pod > 1 else {})
        for r in range(shape.ranks_per_pod)
    ]
    share = 1.0 / shape.ranks_per_pod
    for name, help_text, value in (
        ("sglang:num_running_reqs", "The number of running requests.", state.running_requests),
        (
            "sglang:num_queue_reqs",
            "The number of requests in the waiting queue.",
            state.queue_requests,
        ),
    ):
        out.family(name, "gauge", help_text)
        for labels in ranks:
            out.sample(name, labels, value * share)
    out.family("sglang:token_usage", "gauge", "The token usage.")
    for labels in ranks:
        out.sample("sglang:token_usage", labels, state.kv_cache_usage)
    for name, help_text, value in (
        ("sglang:prompt_tokens_total", "Number of prefill tokens processed.", state.prompt_tokens),
        (
            "sglang:generation_tokens_total",
            "Number of generation tokens processed.",
            state.generation_tokens,
        ),
        ("sglang:cached_tokens_total", "Number of cached prompt tokens.", state.cached_tokens),
        ("sglang:num_requests_total", "Number of requests processed.", state.requests),
        (
            "sglang:num_aborted_requests_total",
            "Number of requests aborted.",
            state.aborted_requests,
        ),
    ):
        out.family(name, "counter", help_text)
        out.sample(name, model, value)
    out.histogram(
        "sglang:time_to_first_token_seconds",
        "Histogram of time to first token in seconds.",
        [(model, state.ttft, 1.0)],
    )
    itl = (
        "sglang:time_per_output_token_seconds"
        if shape.old_names
        else "sglang:inter_token_latency_seconds"
    )
    out.histogram(itl, "Histogram of inter-token latency in seconds.", [(model, state.itl, 1.0)])
    return out.text()


def _vllm(state: fleet.PodState, shape: Shape) -> str:
    out = _Writer()
    ranks = [{"engine": str(r), "model_name": shape.model_name} for r in range(shape.ranks_per_pod)]
    share = 1.0 / shape.ranks_per_pod
    old = shape.old_names
    gauges = (
        (
            "vllm:num_requests_running",
            "Number of requests in model execution batches.",
            state.running_requests * share,
        ),
        (
            "vllm:num_requests_waiting",
            "Number of requests waiting to be processed.",
            state.queue_requests * share,
        ),
        (
            "vllm:gpu_cache_usage_perc" if old else "vllm:kv_cache_usage_perc",
            "KV-cache usage. 1 means 100 percent usage.",
            state.kv_cache_usage,
        ),
    )
    for name, help_text, value in gauges:
        out.family(name, "gauge", help_text)
        for labels in ranks:
            out.sample(name, labels, value)
    prefix = "vllm:gpu_prefix_cache" if old else "vllm:prefix_cache"
    counters = (
        ("vllm:prompt_tokens_total", "Number of prefill tokens processed.", state.prompt_tokens),
        (
            "vllm:generation_tokens_total",
            "Number of generation tokens processed.",
            state.generation_tokens,
        ),
        (
            f"{prefix}_queries_total",
            "Prefix cache queries, in terms of number of queried tokens.",
            state.prompt_tokens,
        ),
        (
            f"{prefix}_hits_total",
            "Prefix cache hits, in terms of number of cached tokens.",
            state.cached_tokens,
        ),
    )
    for name, help_text, value in counters:
        out.family(name, "counter", help_text)
        for labels in ranks:
            out.sample(name, labels, value * share)
    out.family("vllm:request_success_total", "counter", "Count of successfully processed requests.")
    for labels in ranks:
        out.sample(
            "vllm:request_success_total",
            {**labels, "finished_reason": "stop"},
            state.requests * share,
        )
        out.sample(
            "vllm:request_success_total",
            {**labels, "finished_reason": "abort"},
            state.aborted_requests * share,
        )
    out.histogram(
        "vllm:time_to_first_token_seconds",
        "Histogram of time to first token in seconds.",
        [(labels, state.ttft, share) for labels in ranks],
    )
    itl = "vllm:time_per_output_token_seconds" if old else "vllm:inter_token_latency_seconds"
    out.histogram(
        itl,
        "Histogram of inter-token latency in seconds.",
        [(labels, state.itl, share) for labels in ranks],
    )
    return out.text()


def simulator_metrics(state: fleet.PodState) -> str:
    """What the simulator knows and no engine exports, named `enginesim_` so nobody mistakes
    it for an engine's: tokens dropped after the queue timeout, tokens waiting (in the role's
    measure, and by kind), late tokens
    (`tokenfleet simulate`'s definition: demand beyond the role's capacity)."""
    out = _Writer()
    out.family(
        "enginesim_dropped_tokens_total",
        "counter",
        "Simulator only: tokens of requests dropped from the queue after the timeout.",
    )
    for kind, value in (
        ("input", state.dropped_input_tokens),
        ("cached", state.dropped_cached_tokens),
        ("output", state.dropped_output_tokens),
    ):
        out.sample("enginesim_dropped_tokens_total", {"token": kind}, value)
    out.family(
        "enginesim_queued_tokens",
        "gauge",
        "Simulator only: tokens waiting in the queue (input for prefill, output otherwise).",
    )
    out.sample("enginesim_queued_tokens", {}, state.backlog_tokens)
    out.family(
        "enginesim_waiting_tokens",
        "gauge",
        "Simulator only: tokens of the requests waiting in the queue, by kind.",
    )
    for kind, value in (
        ("input", state.waiting.input),
        ("cached", state.waiting.cached),
        ("output", state.waiting.output),
    ):
        out.sample("enginesim_waiting_tokens", {"token": kind}, value)
    out.family(
        "enginesim_late_tokens_total",
        "counter",
        "Simulator only: tokens that arrived beyond the role's capacity, as tokenfleet simulate "
        "counts late tokens (input for prefill, output otherwise).",
    )
    out.sample("enginesim_late_tokens_total", {}, state.late_tokens)
    return out.text()


def engine_metrics(state: fleet.PodState, shape: Shape) -> str:
    """The pod's `/metrics` as its engine would serve it, and the simulator's own metrics."""
    engine = _sglang(state, shape) if shape.engine == "sglang" else _vllm(state, shape)
    return engine + simulator_metrics(state)


def dcgm_metrics(
    states: Sequence[fleet.PodState], gpus_per_node: int = 8, host_label: str = "Hostname"
) -> str:
    """DCGM exporter's `DCGM_FI_DEV_GPU_UTIL` (percent) for every GPU of every pod's node."""
    out = _Writer()
    out.family("DCGM_FI_DEV_GPU_UTIL", "gauge", "GPU utilization (in %).")
    for state in states:
        node = state.pod.node or state.pod.name
        for gpu in range(gpus_per_node):
            labels = {
                "gpu": str(gpu),
                "UUID": f"GPU-{node}-{gpu}",
                "device": f"nvidia{gpu}",
                "modelName": "NVIDIA H800",
                host_label: node,
            }
            out.sample("DCGM_FI_DEV_GPU_UTIL", labels, round(100 * min(1.0, state.load)))
    return out.text()
