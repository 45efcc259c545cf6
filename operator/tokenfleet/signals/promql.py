"""PromQL for every reading, per (namespace, deployment, role); pure string builders.

Each query covers both engines and every historical name of a metric: the per-name
aggregates are joined with `or`, which keeps the left-hand series when two carry the same
role labels, so an engine exporting an old and a new name at once is not counted twice. Only
series with a `tokenfleet_io_role` target label count (labels.py says how they get there).
Counters are summed `rate()`s; rates are per real second, as Prometheus keeps time.

Offered demand (snapshot.RoleSignals.demand_tokens_per_second) needs three more readings: the
rate of requests served to the end and of requests aborted (request counters, some of whose
series count: vLLM tells aborted requests by `finished_reason`), and how fast the queue grows:
the role's summed queue depth now less the same sum a window ago, over the window. The sum is
taken before the difference, so work that only moves between pods (a new pod taking its share
of a queue the role's pods share, as in the simulator) is no growth; a role that had no queue
a window ago grew from zero.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence

from tokenfleet.signals import engines, labels

BY_ROLE = ", ".join(labels.BY_ROLE)


class Reading(enum.StrEnum):
    """The readings a source asks Prometheus for."""

    INPUT_RATE = "input_rate"
    CACHED_RATE = "cached_rate"
    OUTPUT_RATE = "output_rate"
    KV_CACHE_USAGE = "kv_cache_usage"
    QUEUE_DEPTH = "queue_depth"
    RUNNING_REQUESTS = "running_requests"
    TTFT_P90 = "ttft_p90"
    ITL_P90 = "itl_p90"
    GPU_UTILIZATION = "gpu_utilization"
    REQUEST_RATE = "request_rate"
    ABORTED_RATE = "aborted_rate"
    QUEUE_GROWTH = "queue_growth"


def duration(seconds: float) -> str:
    """A PromQL duration: whole seconds as `15s`, anything finer in milliseconds."""
    if seconds <= 0:
        raise ValueError("a range must be longer than zero")
    millis = round(seconds * 1000)
    return f"{millis // 1000}s" if millis % 1000 == 0 else f"{millis}ms"


def selector(name: str, matcher: str = "") -> str:
    """The series of `name` that belong to a tokenfleet engine pod (and match `matcher`)."""
    extra = f",{matcher}" if matcher else ""
    return f'{name}{{{labels.ROLE}!=""{extra}}}'


def _either(parts: Sequence[str]) -> str:
    return " or ".join(f"({part})" for part in parts)


def counter_rate(names: Sequence[str], window: float) -> str:
    """Per-role sum of the per-second rate of a counter known under any of `names`."""
    return _either([f"sum by ({BY_ROLE}) (rate({selector(n)}[{duration(window)}]))" for n in names])


def counted_rate(counted: Sequence[engines.Counted], window: float) -> str:
    """Per-role sum of the per-second rate of a counter's counted series, under any name."""
    return _either(
        [
            f"sum by ({BY_ROLE}) (rate({selector(c.name, c.matcher)}[{duration(window)}]))"
            for c in counted
        ]
    )


def gauge(names: Sequence[str], aggregation: str) -> str:
    """Per-role `sum` or `avg` of a gauge known under any of `names`."""
    if aggregation not in ("sum", "avg", "max"):
        raise ValueError(f"unsupported aggregation {aggregation!r}")
    return _either([f"{aggregation} by ({BY_ROLE}) ({selector(n)})" for n in names])


def growth(names: Sequence[str], window: float) -> str:
    """Per-role growth per second of a summed gauge over `window`: now less a window ago.

    A role absent a window ago counts from zero (`or now * 0` fills in the missing past).
    """
    now = gauge(names, "sum")
    then = _either([f"sum by ({BY_ROLE}) ({selector(n)} offset {duration(window)})" for n in names])
    return f"(({now}) - (({then}) or ({now}) * 0)) / {window!r}"


def quantile(q: float, names: Sequence[str], window: float) -> str:
    """Per-role `q` quantile of a histogram known under any of `names` (base names)."""
    if not 0 < q < 1:
        raise ValueError("a quantile lies strictly between 0 and 1")
    buckets = _either(
        [
            f"sum by (le, {BY_ROLE}) (rate({selector(n + '_bucket')}[{duration(window)}]))"
            for n in names
        ]
    )
    return f"histogram_quantile({q}, {buckets})"


def gpu_utilization() -> str:
    """Mean DCGM GPU utilisation (0-1) per role, joined to engine pods through the node name.

    DCGM names the node in `Hostname` (or `hostname` in newer builds); both are copied into
    `node`, which matches the `node` target label of the engine pods' `up` series.
    """
    util = engines.DCGM_GPU_UTIL
    for host in labels.DCGM_HOST_LABELS:
        util = f'label_replace({util}, "{labels.NODE}", "$1", "{host}", "(.+)")'
    pods = f"group by ({labels.NODE}, {BY_ROLE}) ({selector('up')})"
    joined = f"{util} * on ({labels.NODE}) group_left ({BY_ROLE}) {pods}"
    return f"avg by ({BY_ROLE}) ({joined}) / 100"


def _all(pick: Callable[[engines.EngineMetrics], tuple[str, ...]]) -> list[str]:
    return [name for engine in engines.ENGINES for name in pick(engine)]


def _counted(
    pick: Callable[[engines.EngineMetrics], tuple[engines.Counted, ...]],
) -> list[engines.Counted]:
    return [counted for engine in engines.ENGINES for counted in pick(engine)]


def query(reading: Reading, window: float, q: float = 0.9) -> str:
    """The query for one reading, over both engines; `window` is the rate range in seconds."""
    if reading is Reading.INPUT_RATE:
        return counter_rate(_all(lambda e: e.prompt_tokens), window)
    if reading is Reading.CACHED_RATE:
        return counter_rate(_all(lambda e: e.cached_tokens), window)
    if reading is Reading.OUTPUT_RATE:
        return counter_rate(_all(lambda e: e.generation_tokens), window)
    if reading is Reading.KV_CACHE_USAGE:
        return gauge(_all(lambda e: e.kv_cache_usage), "avg")
    if reading is Reading.QUEUE_DEPTH:
        return gauge(_all(lambda e: e.queue_depth), "sum")
    if reading is Reading.RUNNING_REQUESTS:
        return gauge(_all(lambda e: e.running_requests), "sum")
    if reading is Reading.TTFT_P90:
        return quantile(q, _all(lambda e: e.ttft), window)
    if reading is Reading.ITL_P90:
        return quantile(q, _all(lambda e: e.itl), window)
    if reading is Reading.REQUEST_RATE:
        return counted_rate(_counted(lambda e: e.finished_requests), window)
    if reading is Reading.ABORTED_RATE:
        return counted_rate(_counted(lambda e: e.aborted_requests), window)
    if reading is Reading.QUEUE_GROWTH:
        return growth(_all(lambda e: e.queue_depth), window)
    return gpu_utilization()
