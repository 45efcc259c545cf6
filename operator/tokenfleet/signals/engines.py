"""The metric names each engine exports, old and new (REFERENCE.md §3.4, §4.4, §5).

Engines rename metrics between releases; each reading lists every name it has had, newest
first, and readers take the first one present. Counter names are as exported (with `_total`);
histograms are named by their base (the `_bucket` series are read). Request counters may
count only some of a metric's series (`Counted`): vLLM counts finished and aborted requests in
one counter, told apart by `finished_reason`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping


@dataclasses.dataclass(frozen=True)
class Counted:
    """A counter, and which of its series count: those whose `label` is `value` (or, with
    `negate`, is not); every series when `label` is empty."""

    name: str
    label: str = ""
    value: str = ""
    negate: bool = False

    def matches(self, labels: Mapping[str, str]) -> bool:
        if not self.label:
            return True
        return (labels.get(self.label, "") == self.value) != self.negate

    @property
    def matcher(self) -> str:
        """The PromQL label matcher picking the series, or "" for all of them."""
        if not self.label:
            return ""
        return f'{self.label}{"!=" if self.negate else "="}"{self.value}"'


@dataclasses.dataclass(frozen=True)
class EngineMetrics:
    """One engine's metric names per reading."""

    engine: str
    prompt_tokens: tuple[str, ...]
    generation_tokens: tuple[str, ...]
    cached_tokens: tuple[str, ...]
    queue_depth: tuple[str, ...]
    running_requests: tuple[str, ...]
    kv_cache_usage: tuple[str, ...]
    ttft: tuple[str, ...]
    itl: tuple[str, ...]
    # Requests served to the end, and requests given up (aborted: the client went away or
    # waited too long); with the queue depth they tell offered demand from served demand.
    finished_requests: tuple[Counted, ...]
    aborted_requests: tuple[Counted, ...]


# vLLM's label on `vllm:request_success_total` saying why a request ended (stop, length, abort).
FINISHED_REASON = "finished_reason"
ABORT = "abort"

SGLANG = EngineMetrics(
    engine="sglang",
    prompt_tokens=("sglang:prompt_tokens_total",),
    generation_tokens=("sglang:generation_tokens_total",),
    cached_tokens=("sglang:cached_tokens_total",),
    queue_depth=("sglang:num_queue_reqs",),
    running_requests=("sglang:num_running_reqs",),
    kv_cache_usage=("sglang:token_usage",),
    ttft=("sglang:time_to_first_token_seconds",),
    itl=("sglang:inter_token_latency_seconds", "sglang:time_per_output_token_seconds"),
    finished_requests=(Counted("sglang:num_requests_total"),),
    aborted_requests=(Counted("sglang:num_aborted_requests_total"),),
)

VLLM = EngineMetrics(
    engine="vllm",
    prompt_tokens=("vllm:prompt_tokens_total",),
    generation_tokens=("vllm:generation_tokens_total",),
    cached_tokens=("vllm:prefix_cache_hits_total", "vllm:gpu_prefix_cache_hits_total"),
    queue_depth=("vllm:num_requests_waiting",),
    running_requests=("vllm:num_requests_running",),
    kv_cache_usage=("vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"),
    ttft=("vllm:time_to_first_token_seconds",),
    itl=("vllm:inter_token_latency_seconds", "vllm:time_per_output_token_seconds"),
    finished_requests=(Counted("vllm:request_success_total", FINISHED_REASON, ABORT, negate=True),),
    aborted_requests=(Counted("vllm:request_success_total", FINISHED_REASON, ABORT),),
)

ENGINES = (SGLANG, VLLM)

# DCGM's coarse GPU utilisation, in percent.
DCGM_GPU_UTIL = "DCGM_FI_DEV_GPU_UTIL"
