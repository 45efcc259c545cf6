"""The simulated engines' state: counters integrated from demand, gauges from load.

Each deployment's roles see the whole demand (every request passes through both roles of a PD
pair, as the routers send it), split evenly across the role's pods: prefill pods count prompt
and cached tokens, decode pods count prompts and generated tokens, unified pods both. A pod's
load is its share of the role's demand over its capacity (input tokens/s for prefill, output
tokens/s otherwise): KV usage is the load capped at 1, and demand above capacity piles up as
a queue that drains when demand falls. Latency grows with load like a single-server queue.
Everything advances on the injected clock; `advance()` integrates since the last call.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence

from tokenfleet import clock as clocks
from tokenfleet.enginesim import demand as demands

TTFT_BUCKETS = (0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 2.0, 4.0, 6.0, 8.0, 10.0, 20.0, 40.0, 60.0)
ITL_BUCKETS = (0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0)


@dataclasses.dataclass(frozen=True)
class SimPod:
    """One engine pod the simulator answers for."""

    namespace: str
    name: str
    deployment: str
    role: str
    unit: str = "0"
    node: str = ""


@dataclasses.dataclass(frozen=True)
class Settings:
    """How the simulated engines behave."""

    # Tokens/s one pod (node) serves at 100%: input tokens for prefill, output otherwise.
    capacity: Mapping[str, float]
    # Prompt size, which turns token rates into request rates.
    input_tokens_per_request: float = 2048.0
    # Answer length, for counting requests when only output tokens arrive.
    output_tokens_per_request: float = 512.0
    # Requests one engine runs at once when fully loaded.
    max_running_requests: float = 256.0
    # Latencies of an idle engine, seconds.
    base_ttft_seconds: float = 0.25
    base_itl_seconds: float = 0.02


@dataclasses.dataclass
class Histogram:
    """Cumulative-by-construction counts per bucket upper bound, plus sum and count."""

    bounds: tuple[float, ...]
    counts: list[float] = dataclasses.field(default_factory=list)
    sum: float = 0.0
    count: float = 0.0

    def observe(self, value: float, weight: float) -> None:
        if not self.counts:
            self.counts = [0.0] * len(self.bounds)
        for i, bound in enumerate(self.bounds):
            if value <= bound:
                self.counts[i] += weight
        self.sum += value * weight
        self.count += weight


@dataclasses.dataclass
class PodState:
    """What one pod's /metrics shows."""

    pod: SimPod
    prompt_tokens: float = 0.0
    cached_tokens: float = 0.0
    generation_tokens: float = 0.0
    requests: float = 0.0
    load: float = 0.0
    backlog_tokens: float = 0.0
    queue_requests: float = 0.0
    running_requests: float = 0.0
    ttft: Histogram = dataclasses.field(default_factory=lambda: Histogram(TTFT_BUCKETS))
    itl: Histogram = dataclasses.field(default_factory=lambda: Histogram(ITL_BUCKETS))

    @property
    def kv_cache_usage(self) -> float:
        return min(1.0, self.load)


class Fleet:
    """All simulated pods; `pods` is asked for the current set at every advance."""

    def __init__(
        self,
        demand: demands.Demand,
        clock: clocks.Clock,
        start: dt.datetime,
        settings: Settings,
        pods: Callable[[], Sequence[SimPod]],
    ) -> None:
        self._demand = demand
        self._clock = clock
        self._start = start
        self._settings = settings
        self._pods = pods
        self._states: dict[tuple[str, str], PodState] = {}
        self._last = self._seconds(clock.now())

    def _seconds(self, instant: dt.datetime) -> float:
        return (instant - self._start).total_seconds()

    def states(self) -> list[PodState]:
        return list(self._states.values())

    def state(self, namespace: str, name: str) -> PodState | None:
        return self._states.get((namespace, name))

    def advance(self) -> None:
        """Integrates demand from the last advance to now into every current pod."""
        now = self._seconds(self._clock.now())
        seconds = max(0.0, now - self._last)
        arrived = self._demand.tokens_between(self._last, now)
        self._last = max(self._last, now)
        current = {(p.namespace, p.name): p for p in self._pods()}
        self._states = {key: self._states.get(key) or PodState(pod) for key, pod in current.items()}
        by_role: dict[tuple[str, str, str], list[PodState]] = {}
        for state in self._states.values():
            pod = state.pod
            by_role.setdefault((pod.namespace, pod.deployment, pod.role), []).append(state)
        for (_, _, role), states in by_role.items():
            share = arrived.scaled(1.0 / len(states))
            for state in states:
                self._integrate(state, role, share, seconds)

    def _integrate(self, state: PodState, role: str, share: demands.Tokens, seconds: float) -> None:
        settings = self._settings
        if share.input > 0:
            requests = share.input / settings.input_tokens_per_request
        else:
            requests = share.output / settings.output_tokens_per_request
        state.requests += requests
        state.prompt_tokens += share.input
        if role != "decode":
            state.cached_tokens += share.cached
        if role != "prefill":
            state.generation_tokens += share.output
        if seconds <= 0:
            return
        served_in = share.input if role == "prefill" else share.output
        capacity = settings.capacity.get(role, 0.0)
        if capacity <= 0:
            return
        rate = served_in / seconds
        state.load = rate / capacity
        state.backlog_tokens = max(0.0, state.backlog_tokens + (rate - capacity) * seconds)
        tokens_per_request = served_in / requests if requests > 0 else 0.0
        state.queue_requests = (
            state.backlog_tokens / tokens_per_request if tokens_per_request > 0 else 0.0
        )
        state.running_requests = min(1.0, state.load) * settings.max_running_requests
        # A single-server queue: waits grow as 1/(1 - load), plus the time to clear the backlog.
        stretch = 1.0 / (1.0 - min(state.load, 0.95))
        wait = state.backlog_tokens / capacity
        state.ttft.observe(settings.base_ttft_seconds * stretch + wait, requests)
        if role != "prefill":
            state.itl.observe(settings.base_itl_seconds * stretch, share.output)
