"""Every engine pod's cumulative token counters, for the books: one `Round` per step.

The planner reads rates (`promql`, `prometheus`); the books must not. Rate x interval drifts
with the rate window, the scrape interval and the time between steps (a demo day booked 27%
too few tokens); the counters themselves grow by exactly what was served, so the books count
their increase, per pod, in `metrics.engine_tokens.Tracker` (restarts and gaps are handled
there). A round is read from Prometheus (`query`, `parse`, `PrometheusCounters`) or taken from
the direct scrape of the pods (`scrape.ScrapeSource.pod_counters`); `Reader` picks the one the
deployment's signals come from.

The Prometheus query, for one deployment:
- per pod (namespace, deployment, role and pod target labels, labels.py) the sum of each
  counter's series (a pod exports one per DP rank or model), under every name any engine has
  used (engines.py), newest first and joined with `or` as in `promql`, so an engine exporting
  an old and a new name at once is not counted twice;
- each counter wrapped in `last_over_time` over a lookback: range selectors skip staleness
  markers, so a pod that vanished since the previous read still shows its last scraped value
  and loses only what it served after Prometheus's last scrape of it. The lookback is twice
  the real time since the previous successful read (at least `MIN_LOOKBACK_SECONDS`), so a
  slow step or a failed query widens it; it is real time because Prometheus keeps real time.
  A pod missing from the answer is not taken for gone (its scrapes may be failing for a
  while): the round names no live pods, so the books forget none and a pod recreated under
  the same name shows as a counter reset;
- the three counters tagged with a `tokenfleet_counter` label and joined into one query, so
  they come back from one evaluation at one instant (prompt and cached never disagree).
Counters are cumulative: unlike rates they need no real-to-clock-time conversion.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import math
import re
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

from prometheus_api_client import exceptions, prometheus_connect

from tokenfleet.signals import engines, exposition, labels, promql, snapshot

COUNTER = "tokenfleet_counter"
"""The label the combined query tags each counter's series with."""

BY_POD = (*labels.BY_ROLE, labels.POD, labels.NODE)
"""A series of one pod: its name and the node it ran on. A unit removed and started again keeps
its pods' names; on other nodes its pods are new series, and while the old ones still answer
within the lookback each must be its own pod in the books, or their counts would add up."""

MIN_LOOKBACK_SECONDS = 60.0
"""The shortest lookback (real seconds) for a pod's last sample: a few scrape intervals."""

MIN_READ_SECONDS = 1.0
"""Real seconds between two rounds read from Prometheus, at least. Its counters change once
per scrape (a second apart at best): a round read sooner finds the same values. Under the
demo's 144x clock the planner steps every 0.2 real seconds, and reading the counters at every
step cost Prometheus and the step twice as much as the planner's own queries. A step without a
round books nothing; the next round holds every token since (see `accounting.Accountant`)."""

SETTLE_SECONDS = 2.0
"""How long ago (real seconds) a round is evaluated. A scrape's samples carry the instant it
started but land when it ends; evaluated now, a round could miss a sample that a read at the
same instant later includes. Read a little in the past, every sample it can see has landed,
so reading it again at that instant (a restarted operator taking up the books) gives the same
counters. The books are that much older; their as-of instant says so."""


class Counter(enum.StrEnum):
    """The token counters the books read."""

    PROMPT = "prompt"
    CACHED = "cached"
    GENERATION = "generation"


_NAMES: dict[Counter, Callable[[engines.EngineMetrics], tuple[str, ...]]] = {
    Counter.PROMPT: lambda e: e.prompt_tokens,
    Counter.CACHED: lambda e: e.cached_tokens,
    Counter.GENERATION: lambda e: e.generation_tokens,
}


@dataclasses.dataclass(frozen=True)
class Round:
    """One read of a deployment's engine pods: the counters of every pod that answered, and
    every pod known to run (answered or not), so the books can forget pods that are gone;
    None where the source cannot tell a gone pod from one that does not answer."""

    readings: Mapping[snapshot.PodKey, exposition.PodReading]
    live: frozenset[snapshot.PodKey] | None = None
    read_at: float | None = None
    """The real instant (Unix seconds) the counters were read at, when the source can read
    them at a chosen instant again (Prometheus): where a restarted operator's books go on."""
    sampled_at: float | None = None
    """The real instant (Unix seconds) of the newest sample read, when known: the books hold
    what the engines had served then."""


def names(counter: Counter) -> list[str]:
    """Every name of `counter`, across engines, newest first within each engine."""
    return [name for engine in engines.ENGINES for name in _NAMES[counter](engine)]


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def selector(name: str, namespace: str | None = None, deployment: str | None = None) -> str:
    """The series of `name` from tokenfleet engine pods, of one deployment when given."""
    matchers = [f'{labels.ROLE}!=""']
    if namespace is not None:
        matchers.append(f"{labels.NAMESPACE}={_quoted(namespace)}")
    if deployment is not None:
        matchers.append(f"{labels.DEPLOYMENT}={_quoted(deployment)}")
    return f"{name}{{{','.join(matchers)}}}"


def counter_query(
    counter: Counter,
    namespace: str | None = None,
    deployment: str | None = None,
    lookback_seconds: float = MIN_LOOKBACK_SECONDS,
) -> str:
    """Per pod, the last value of `counter` within the lookback, tagged with its counter."""
    window = promql.duration(lookback_seconds)
    by = ", ".join(BY_POD)
    parts = [
        f"sum by ({by}) (last_over_time({selector(n, namespace, deployment)}[{window}]))"
        for n in names(counter)
    ]
    either = " or ".join(f"({part})" for part in parts)
    return f'label_replace({either}, "{COUNTER}", "{counter.value}", "", "")'


def query(
    namespace: str | None = None,
    deployment: str | None = None,
    lookback_seconds: float = MIN_LOOKBACK_SECONDS,
) -> str:
    """Every counter of every pod (of one deployment when given) in one instant query."""
    return " or ".join(
        f"({counter_query(c, namespace, deployment, lookback_seconds)})" for c in Counter
    )


def parse(result: list[dict[str, Any]]) -> dict[snapshot.PodKey, exposition.PodReading]:
    """The answer to `query` as a reading per pod; series without pod labels, of an unknown
    counter or not a finite number are dropped (the pod keeps its other counters)."""
    found: dict[snapshot.PodKey, dict[Counter, float]] = {}
    for item in result:
        metric = item.get("metric", {})
        try:
            node = metric.get(labels.NODE)
            key = snapshot.PodKey(
                metric[labels.NAMESPACE],
                metric[labels.DEPLOYMENT],
                metric[labels.ROLE],
                f"{metric[labels.POD]}@{node}" if node else metric[labels.POD],
            )
            counter = Counter(metric[COUNTER])
            value = float(item["value"][1])
        except (KeyError, IndexError, TypeError, ValueError):
            continue
        if math.isfinite(value):
            found.setdefault(key, {})[counter] = value
    return {
        key: exposition.PodReading(
            prompt_tokens=values.get(Counter.PROMPT),
            cached_tokens=values.get(Counter.CACHED),
            generation_tokens=values.get(Counter.GENERATION),
        )
        for key, values in found.items()
    }


class Client(Protocol):
    """What `PrometheusCounters` asks of prometheus-api-client's `PrometheusConnect`."""

    def custom_query(self, query: str, params: dict[Any, Any] = ...) -> Any: ...


class PrometheusCounters:
    """Reads one deployment's pod counters from one Prometheus."""

    def __init__(
        self,
        url: str,
        namespace: str,
        deployment: str,
        timeout_seconds: int = 10,
        client: Client | None = None,
    ) -> None:
        self.url = url
        self.namespace = namespace
        self.deployment = deployment
        self._client: Client = client or prometheus_connect.PrometheusConnect(
            url=url, timeout=timeout_seconds
        )

    def read(
        self,
        lookback_seconds: float = MIN_LOOKBACK_SECONDS,
        at: float | None = None,
    ) -> Round | None:
        """One round (blocking), evaluated at the real instant `at` (Prometheus's now when
        None). None when Prometheus could not answer (the next round then sees the whole
        increase, nothing is lost)."""
        params: dict[str, str] = {"time": f"{at:.3f}"} if at is not None else {}
        try:
            answer = self._client.custom_query(
                query(self.namespace, self.deployment, lookback_seconds), params=params
            )
        except (exceptions.PrometheusApiClientException, OSError, ValueError, KeyError):
            return None
        if not isinstance(answer, list):
            return None
        return Round(parse(answer), read_at=at, sampled_at=self._newest(params))

    def _newest(self, params: dict[str, str]) -> float | None:
        """The instant (real, Unix seconds) of the deployment's newest prompt-counter sample at
        the instant the round is evaluated at: the scrape's start, or the instant an exporter
        stamped on it."""
        pattern = "|".join(re.escape(n) for n in names(Counter.PROMPT))
        matchers = selector("", self.namespace, self.deployment)[1:-1]
        expr = f'max(timestamp({{__name__=~"{pattern}",{matchers}}}))'
        try:
            answer = self._client.custom_query(expr, params=params)
            return float(answer[0]["value"][1])
        except (exceptions.PrometheusApiClientException, OSError, ValueError, KeyError):
            return None
        except (IndexError, TypeError):
            return None


@runtime_checkable
class PodCounters(Protocol):
    """A signal source that reads the pods itself and keeps what its last sample read."""

    def pod_counters(self) -> Round | None: ...


class Reader:
    """One deployment's counters at every step, from where its signals come from: Prometheus
    when a URL is configured, else the direct scrape's last sample."""

    def __init__(
        self,
        namespace: str,
        deployment: str,
        connect: Callable[[str], PrometheusCounters] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        epoch: Callable[[], float] = time.time,
    ) -> None:
        self.namespace = namespace
        self.deployment = deployment
        """The deployment's label value (`naming.label_value`), as target labels carry it."""
        self._connect = connect or self._prometheus
        self._monotonic = monotonic
        self._epoch = epoch
        """Real (Unix) time, which Prometheus keeps: each read is evaluated at a stated
        instant, so it can be evaluated again there (`at`)."""
        self._prometheus_counters: PrometheusCounters | None = None
        self._last_read: float | None = None
        """When Prometheus last answered (real, monotonic seconds)."""

    def _prometheus(self, url: str) -> PrometheusCounters:
        return PrometheusCounters(url, self.namespace, self.deployment)

    def lookback(self) -> float:
        """Twice the real time since the last answer, at least `MIN_LOOKBACK_SECONDS`."""
        if self._last_read is None:
            return MIN_LOOKBACK_SECONDS
        since = self._monotonic() - self._last_read
        return max(MIN_LOOKBACK_SECONDS, float(math.ceil(2 * since)))

    async def read(self, url: str | None, source: object) -> Round | None:
        """This step's round: from Prometheus at `url`, else from `source`'s last scrape;
        None when neither could be read, or Prometheus was read less than `MIN_READ_SECONDS`
        ago."""
        if url:
            asked = self._monotonic()
            same = self._prometheus_counters is not None and self._prometheus_counters.url == url
            if same and self._last_read is not None and asked - self._last_read < MIN_READ_SECONDS:
                return None
            now = self._epoch()
            found = await asyncio.to_thread(
                self._counters(url).read, self.lookback(), round(now - SETTLE_SECONDS, 3)
            )
            if found is not None:
                self._last_read = asked
            return found
        if isinstance(source, PodCounters):
            return source.pod_counters()
        return None

    async def at(self, url: str, instant: float) -> Round | None:
        """The round a read at the real instant `instant` returned (or would have): where a
        previous operator's books stopped. None when Prometheus could not answer."""
        return await asyncio.to_thread(self._counters(url).read, MIN_LOOKBACK_SECONDS, instant)

    def _counters(self, url: str) -> PrometheusCounters:
        if self._prometheus_counters is None or self._prometheus_counters.url != url:
            self._prometheus_counters = self._connect(url)
        return self._prometheus_counters
