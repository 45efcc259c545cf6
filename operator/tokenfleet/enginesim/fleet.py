"""The simulated engines' state: what arrives, what is served against capacity, what waits.

Each deployment's roles see the whole demand (every request passes through both roles of a PD
pair, as the routers send it), and each role serves it against its own capacity: the n pods
running for a role serve at most n x `Settings.capacity[role]` tokens a second (prompt tokens
for prefill, generated tokens for decode and unified). What exceeds that waits in the role's
queue, first come first served (queue.py), and is served when capacity frees, or dropped once
it has waited `queue_timeout_seconds` (its client gave up), as real engines behave.

The queue is the role's, not a pod's: the router sends work to whichever engine has room (as
SGLang's router balances load), so a role's pods are equally loaded and each serves, counts and
shows an equal share (a new pod helps drain the backlog at once; a pod that goes away leaves
its share to the others; with no pod at all, work waits until one comes or the timeout drops
it). Prefill and decode queue independently, each against its own capacity: decode is offered
requests as they arrive rather than as prefill releases them, which keeps each role's late
tokens exactly those `tokenfleet simulate` counts for it. A role missing from `capacity` serves
everything at once (its limit is unknown).

Counters only grow: prompt, cached and generated tokens and requests *served* (prefill pods
count prompt and cached tokens, decode pods prompts and generated tokens, unified pods both);
requests and tokens dropped; and late tokens. A token is late as `tokenfleet simulate` and the
demo define it (sim/report.py, demo/late.py): in a span of constant demand, the role's demand
beyond its capacity, max(0, d - C) x seconds, in the role's kind of token. The queue grows by
exactly the late tokens and shrinks as spare capacity drains it or the timeout drops from it,
so per role: arrived = served + queued + dropped, and dropped <= late. Gauges: the pod's share
of the queue (requests and tokens), its load (served over capacity, so at most 1; KV usage and
running requests follow it), and latencies: time to first token is the queue wait plus a
base latency that grows with load like a single-server queue's; inter-token latency only the
latter. Everything advances on the injected clock; `advance()` works through the time since
the last call in spans of constant demand no longer than `step_seconds`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence

from tokenfleet import clock as clocks
from tokenfleet.enginesim import demand as demands
from tokenfleet.enginesim import queue as queues
from tokenfleet.sim import late as late_mod

TTFT_BUCKETS = (0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 2.0, 4.0, 6.0, 8.0, 10.0, 20.0, 40.0, 60.0)
ITL_BUCKETS = (0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0)

RoleKey = tuple[str, str, str]
"""(namespace, deployment, role)."""


@dataclasses.dataclass(frozen=True)
class SimPod:
    """One engine pod the simulator answers for."""

    namespace: str
    name: str
    deployment: str
    role: str
    unit: str = "0"
    node: str = ""
    serving: bool = True
    """False once its unit left the router to drain: it is sent no new work, and (the
    simulator keeps no per-request state) what it ran is done at once, so it shows idle."""


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
    # Clock seconds a request waits in the queue before it is dropped (None: never). Engines
    # keep a request until its client goes away, and clients give up: OpenAI's Python client
    # times out after 600 s.
    queue_timeout_seconds: float | None = 600.0
    # The longest span of clock time served in one go: drops and waits are placed within it.
    step_seconds: float = 10.0
    # Clock seconds a pod that is gone still shows its last counters (serving nothing): a pod
    # that drains before it exits is scraped once more, so what it served after the previous
    # scrape is not lost. On a fast clock a scrape interval is minutes of clock time.
    linger_seconds: float = 0.0

    def __post_init__(self) -> None:
        if self.step_seconds <= 0:
            raise ValueError("step_seconds must be more than zero")
        if self.queue_timeout_seconds is not None and self.queue_timeout_seconds < 0:
            raise ValueError("queue_timeout_seconds must be zero or more (None: never)")


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

    def add(self, other: Histogram, share: float = 1.0) -> None:
        """Adds `share` of another histogram's observations (same bounds)."""
        if other.bounds != self.bounds:
            raise ValueError("histograms with different buckets cannot be added")
        if not other.counts:
            return
        if not self.counts:
            self.counts = [0.0] * len(self.bounds)
        for i, count in enumerate(other.counts):
            self.counts[i] += count * share
        self.sum += other.sum * share
        self.count += other.count * share


@dataclasses.dataclass
class PodState:
    """What one pod's /metrics shows: counters (served, dropped, late) and gauges."""

    pod: SimPod
    prompt_tokens: float = 0.0
    cached_tokens: float = 0.0
    generation_tokens: float = 0.0
    # Requests served, and requests dropped from the queue after the timeout.
    requests: float = 0.0
    aborted_requests: float = 0.0
    dropped_input_tokens: float = 0.0
    dropped_cached_tokens: float = 0.0
    dropped_output_tokens: float = 0.0
    # Tokens (input for prefill, output otherwise) that arrived beyond the role's capacity.
    late_tokens: float = 0.0
    # Served over capacity since the previous advance, 0-1.
    load: float = 0.0
    # The pod's share of its role's queue: tokens (the role's kind) and requests.
    backlog_tokens: float = 0.0
    queue_requests: float = 0.0
    waiting: queues.Work = dataclasses.field(default_factory=queues.Work)
    """The pod's share of its role's queue by kind of token: what the role will still serve
    of what arrived (the demo squares the books with the trace through it)."""
    running_requests: float = 0.0
    ttft: Histogram = dataclasses.field(default_factory=lambda: Histogram(TTFT_BUCKETS))
    itl: Histogram = dataclasses.field(default_factory=lambda: Histogram(ITL_BUCKETS))

    @property
    def kv_cache_usage(self) -> float:
        return min(1.0, self.load)


@dataclasses.dataclass(frozen=True)
class RoleState:
    """One role's queue and running totals, kept while pods come and go."""

    queue: queues.Queue = ()
    arrived: queues.Work = dataclasses.field(default_factory=queues.Work)
    served: queues.Work = dataclasses.field(default_factory=queues.Work)
    dropped: queues.Work = dataclasses.field(default_factory=queues.Work)
    late_tokens: float = 0.0

    @property
    def queued(self) -> queues.Work:
        return queues.total(self.queue)


@dataclasses.dataclass(frozen=True)
class Step:
    """What one role did over one advance."""

    served: queues.Work
    dropped: queues.Work
    late_tokens: float
    seconds: float
    ttft: Histogram
    itl: Histogram


def spans(
    t0: float, t1: float, breaks: Sequence[float], longest: float
) -> list[tuple[float, float]]:
    """[t0, t1] cut at `breaks` (instants inside it, in order) and into pieces <= `longest`."""
    out: list[tuple[float, float]] = []
    for a, b in zip([t0, *breaks], [*breaks, t1], strict=True):
        pieces = max(1, math.ceil((b - a) / longest - 1e-9))
        out.extend(
            (a + (b - a) * i / pieces, a + (b - a) * (i + 1) / pieces) for i in range(pieces)
        )
    return [(a, b) for a, b in out if b > a]


def arrivals(tokens: demands.Tokens, settings: Settings) -> queues.Work:
    """Tokens that arrived as work: requests from prompt size, or answer size without prompts."""
    if tokens.input > 0:
        requests = tokens.input / settings.input_tokens_per_request
    else:
        requests = tokens.output / settings.output_tokens_per_request
    return queues.Work(tokens.input, tokens.cached, tokens.output, requests)


def run_role(
    role: str,
    state: RoleState,
    capacity: float,
    offered: Sequence[tuple[float, float, queues.Work]],
    settings: Settings,
) -> tuple[RoleState, Step]:
    """One role served through spans of (start, end, work arriving evenly in it) at `capacity`
    tokens/s (its pods together; math.inf: no limit): its new state, and what it did."""
    measure = queues.measure_of(role)
    timeout = settings.queue_timeout_seconds
    queue, arrived = state.queue, queues.Work()
    served, dropped, late, seconds = queues.Work(), queues.Work(), 0.0, 0.0
    ttft, itl = Histogram(TTFT_BUCKETS), Histogram(ITL_BUCKETS)
    for start, end, work in offered:
        seconds += end - start
        if timeout is not None:
            queue, gone = queues.expire(queue, start - timeout)
            dropped += gone
        if not work.empty:
            queue = (*queue, queues.Batch(start, end, work))
            arrived += work
        late += late_mod.late_tokens(measure(work), capacity, end - start)
        queue, parts = queues.serve(queue, start, end - start, capacity, measure)
        done = sum((part.work for part in parts), queues.Work())
        served += done
        load = measure(done) / (capacity * (end - start)) if capacity > 0 else 0.0
        # A single-server queue: latencies grow as 1/(1 - load), queue wait aside.
        stretch = 1.0 / (1.0 - min(load, 0.95))
        for part in parts:
            ttft.observe(
                settings.base_ttft_seconds * stretch + part.wait_seconds, part.work.requests
            )
            if role != "prefill":
                itl.observe(settings.base_itl_seconds * stretch, part.work.output)
    new_state = RoleState(
        queue,
        state.arrived + arrived,
        state.served + served,
        state.dropped + dropped,
        state.late_tokens + late,
    )
    return new_state, Step(served, dropped, late, seconds, ttft, itl)


def report(
    role: str,
    step: Step,
    queued: queues.Work,
    pods: Sequence[PodState],
    per_pod: float,
    max_running: float,
) -> None:
    """Shares a role's step and queue equally among its pods' counters and gauges."""
    if not pods:
        return
    share = 1.0 / len(pods)
    measure = queues.measure_of(role)
    served, dropped = step.served.scaled(share), step.dropped.scaled(share)
    for state in pods:
        state.prompt_tokens += served.input
        if role != "decode":
            state.cached_tokens += served.cached
        if role != "prefill":
            state.generation_tokens += served.output
        state.requests += served.requests
        state.aborted_requests += dropped.requests
        state.dropped_input_tokens += dropped.input
        state.dropped_cached_tokens += dropped.cached
        state.dropped_output_tokens += dropped.output
        state.late_tokens += step.late_tokens * share
        state.ttft.add(step.ttft, share)
        state.itl.add(step.itl, share)
        state.backlog_tokens = measure(queued) * share
        state.waiting = queued.scaled(share)
        state.queue_requests = queued.requests * share
        if step.seconds > 0:
            state.load = (
                measure(served) / (per_pod * step.seconds) if math.isfinite(per_pod) else 0.0
            )
            state.running_requests = min(1.0, state.load) * max_running


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
        self._gone: dict[tuple[str, str], tuple[PodState, float]] = {}
        """Pods no longer current, with when they went (clock seconds since the start)."""
        self._roles: dict[RoleKey, RoleState] = {}
        self._last = self._seconds(clock.now())

    def _seconds(self, instant: dt.datetime) -> float:
        return (instant - self._start).total_seconds()

    def states(self) -> list[PodState]:
        """The pods to show: current ones, and those gone less than `linger_seconds` ago."""
        return [*self._states.values(), *(state for state, _ in self._gone.values())]

    def state(self, namespace: str, name: str) -> PodState | None:
        return self._states.get((namespace, name))

    def roles(self) -> dict[RoleKey, RoleState]:
        """Every role seen so far, with its queue and totals (those of pods gone included)."""
        return dict(self._roles)

    def role(self, namespace: str, deployment: str, role: str) -> RoleState | None:
        return self._roles.get((namespace, deployment, role))

    def _offered(self, t0: float, t1: float) -> list[tuple[float, float, queues.Work]]:
        """The work arriving in [t0, t1], span by span (constant demand, `step_seconds` long
        at most)."""
        if t1 <= t0:
            return []
        cuts = spans(t0, t1, self._demand.breaks_between(t0, t1), self._settings.step_seconds)
        return [
            (a, b, arrivals(self._demand.tokens_between(a, b), self._settings)) for a, b in cuts
        ]

    def advance(self) -> None:
        """Serves every role from the last advance to now, and shares it among current pods."""
        now = self._seconds(self._clock.now())
        t0, self._last = self._last, max(self._last, now)
        current = {(p.namespace, p.name): p for p in self._pods()}
        for pod_key, state in self._states.items():
            if pod_key not in current:
                self._gone[pod_key] = (state, now)
        for pod_key in current:
            self._gone.pop(pod_key, None)
        linger = self._settings.linger_seconds
        self._gone = {k: v for k, v in self._gone.items() if now - v[1] < linger}
        states = {k: self._states.get(k) or PodState(pod) for k, pod in current.items()}
        for k, state in states.items():
            state.pod = current[k]  # the same pod may have stopped serving (it drains)
        self._states = states
        by_role: dict[RoleKey, list[PodState]] = {}
        for state in self._states.values():
            pod = state.pod
            self._roles.setdefault((pod.namespace, pod.deployment, pod.role), RoleState())
            if pod.serving:
                by_role.setdefault((pod.namespace, pod.deployment, pod.role), []).append(state)
            else:
                state.load = state.running_requests = 0.0
                state.backlog_tokens = state.queue_requests = 0.0
                state.waiting = queues.Work()
        offered = self._offered(t0, now)
        settings = self._settings
        for key, role_state in list(self._roles.items()):
            role = key[2]
            pods = by_role.get(key, [])
            per_pod = settings.capacity.get(role, math.inf)
            capacity = per_pod * len(pods) if pods else 0.0
            self._roles[key], step = run_role(role, role_state, capacity, offered, settings)
            report(
                role, step, self._roles[key].queued, pods, per_pod, settings.max_running_requests
            )
