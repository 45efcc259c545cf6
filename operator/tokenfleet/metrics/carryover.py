"""Books carried over a restart: the operator's own counters, as Prometheus last scraped them.

The ledger lives in the operator's memory; a restarted operator would start every counter at
zero and, worse, open its token books at its first read of the engines' counters, so the tokens
served while it was down (and between its last scrape and the crash) would be booked by no one.
Prometheus scraped the books until the end, so at start-up the operator reads back, for the
day's counters (tokens, GPU-seconds, cost, revenue, decisions, pool and idle cost), the last
value Prometheus holds; per deployment and per pool, the clock instant its cost was booked up
to (`tokenfleet_cost_as_of_seconds`, `tokenfleet_pool_cost_as_of_seconds`: a pool step of
seconds books its cost at its end, so the last scrape's instant would lose the time between);
and per deployment the real instant its engine counters had been read at
(`tokenfleet_books_read_timestamp_seconds`). The ledger takes those totals up
(`Ledger.carry_over`), each deployment's token books go on from the engines' counters as they
were at that instant (`signals.counters.Reader.at`): the increase since then is what nobody has
booked yet, and cost accrues again from where each book stopped, at the units the first step
sees. The books lose nothing across the restart.

What Prometheus does not hold within `LOOKBACK_SECONDS` (an operator down for longer, or a
first start) is not carried over: the books then open at zero, as before.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import math
from typing import Any, Protocol

from prometheus_api_client import exceptions, prometheus_connect

from tokenfleet.metrics import names
from tokenfleet.signals import promql

CARRIED: tuple[names.Metric, ...] = (
    names.TOKENS,
    names.GPU_SECONDS,
    names.COST,
    names.REVENUE,
    names.SCALE_DECISIONS,
    names.POOL_COST,
    names.IDLE_COST,
)
"""The counters a restart carries over: everything the day's books add up."""

LOOKBACK_SECONDS = 3600.0
"""How far back (real seconds) the last scrape of a previous operator is looked for."""


class Client(Protocol):
    """What is asked of prometheus-api-client's `PrometheusConnect`."""

    def custom_query(self, query: str) -> Any: ...


Sample = tuple[names.Metric, dict[str, str], float]


@dataclasses.dataclass(frozen=True)
class Carried:
    """What a previous operator's last scrape held."""

    samples: tuple[Sample, ...] = ()
    cost_as_of: dict[tuple[str, str], float] = dataclasses.field(default_factory=dict)
    """(namespace, deployment) -> clock instant (Unix seconds) its cost was booked up to."""
    pool_as_of: dict[str, float] = dataclasses.field(default_factory=dict)
    """pool -> clock instant (Unix seconds) its cost was booked up to."""
    read_at: dict[tuple[str, str], float] = dataclasses.field(default_factory=dict)
    """(namespace, deployment) -> real instant its books' engine counters were read at."""

    def __bool__(self) -> bool:
        return bool(self.samples)


def _last(client: Client, exported: str, lookback: float) -> list[dict[str, Any]]:
    try:
        answer = client.custom_query(f"last_over_time({exported}[{promql.duration(lookback)}])")
    except (exceptions.PrometheusApiClientException, OSError, ValueError, KeyError):
        return []
    return answer if isinstance(answer, list) else []


def _values(answer: list[dict[str, Any]]) -> list[tuple[dict[str, str], float]]:
    out = []
    for item in answer:
        try:
            value = float(item["value"][1])
        except (KeyError, IndexError, TypeError, ValueError):
            continue
        if math.isfinite(value):
            out.append(({str(k): str(v) for k, v in item.get("metric", {}).items()}, value))
    return out


def read(
    url: str,
    lookback_seconds: float = LOOKBACK_SECONDS,
    client: Client | None = None,
    timeout_seconds: int = 10,
) -> Carried:
    """The previous operator's books as Prometheus last scraped them (blocking); empty when
    Prometheus holds none or cannot be read."""
    conn: Client = client or prometheus_connect.PrometheusConnect(url=url, timeout=timeout_seconds)
    wanted = [*CARRIED, names.COST_AS_OF, names.POOL_COST_AS_OF, names.BOOKS_READ]
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda m: _last(conn, m.exported, lookback_seconds), wanted))
    by_metric = dict(zip([m.name for m in wanted], answers, strict=True))
    samples = tuple(
        (metric, labels, value)
        for metric in CARRIED
        for labels, value in _values(by_metric[metric.name])
    )

    def per_deployment(metric: names.Metric) -> dict[tuple[str, str], float]:
        out: dict[tuple[str, str], float] = {}
        for labels, value in _values(by_metric[metric.name]):
            key = (labels.get(names.Label.NAMESPACE, ""), labels.get(names.Label.DEPLOYMENT, ""))
            out[key] = max(out.get(key, value), value)
        return out

    pool_as_of: dict[str, float] = {}
    for labels, value in _values(by_metric[names.POOL_COST_AS_OF.name]):
        name = labels.get(names.Label.POOL, "")
        pool_as_of[name] = max(pool_as_of.get(name, value), value)
    return Carried(
        samples=samples,
        cost_as_of=per_deployment(names.COST_AS_OF),
        pool_as_of=pool_as_of,
        read_at=per_deployment(names.BOOKS_READ),
    )
