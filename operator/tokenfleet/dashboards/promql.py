"""PromQL the dashboards and alerts share: selectors with the template variables, rates turned
into the operator's clock time, and latency quantiles and SLO error ratios from the engines.

Prometheus's `rate()` is per real second. The operator may run on a fast clock (the demo runs a
day in minutes), and it exports `tokenfleet_clock_speed` (clock seconds per real second), so
per-hour figures divide by it and read in the operator's hours. Ratios of two rates (cost per
million tokens) need no such care. Engine latencies come from SGLang's and vLLM's histograms,
every historical name joined with `or`, grouped by the target labels tokenfleet's scrape
config puts on engine pods (signals/labels.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from tokenfleet.metrics import names
from tokenfleet.signals import engines, labels

DEPLOYMENTS = 'namespace=~"$namespace", deployment=~"$deployment"'
POOLS = 'pool=~"$pool"'
ENGINE_PODS = (
    f'{labels.NAMESPACE}=~"$namespace", {labels.DEPLOYMENT}=~"$deployment", {labels.ROLE}!=""'
)
ENGINE_ANY = f'{labels.ROLE}!=""'
"""Every engine pod of every deployment: for rules, which have no template variables."""
ENGINE_BY = ", ".join(labels.BY_ROLE)
SPEED = f"scalar(max({names.CLOCK_SPEED.exported}))"
WINDOW = "$window"
INTERVAL = "$__interval"
"""Grafana's own variable: the time between two points of the graph."""


def select(metric: names.Metric, *matchers: str) -> str:
    """`metric{matchers}` as PromQL queries it (counters with `_total`)."""
    inside = ", ".join(m for m in matchers if m)
    return f"{metric.exported}{{{inside}}}"


def rate(metric: names.Metric, by: Sequence[str], *matchers: str, window: str = WINDOW) -> str:
    """Per real second rate of a counter, summed by `by`."""
    return f"sum by ({', '.join(by)}) (rate({select(metric, *matchers)}[{window}]))"


def per_clock_hour(expr: str) -> str:
    """A per-real-second rate as an amount per hour of the operator's clock."""
    return f"{expr} * 3600 / {SPEED}"


def per_clock_second(expr: str) -> str:
    """A per-real-second rate as an amount per second of the operator's clock."""
    return f"{expr} / {SPEED}"


def _either(parts: Sequence[str]) -> str:
    return " or ".join(f"({part})" for part in parts)


def _names(pick: str) -> list[str]:
    return [name for engine in engines.ENGINES for name in getattr(engine, pick)]


TTFT_NAMES = _names("ttft")
ITL_NAMES = _names("itl")


def latency_quantile(q: float, histograms: Sequence[str], matchers: str = ENGINE_PODS) -> str:
    """Per-role `q` quantile of an engine latency histogram over `$window`."""
    buckets = _either(
        [f"sum by (le, {ENGINE_BY}) (rate({h}_bucket{{{matchers}}}[{WINDOW}]))" for h in histograms]
    )
    return f"histogram_quantile({q}, {buckets})"


def le_matcher(bound: float) -> str:
    """Matches the bucket bound `bound` however the engine wrote it (`1`, `1.0`, `1e+00` aside)."""
    text = repr(float(bound))
    whole, _, fraction = text.partition(".")
    if fraction == "0":
        return f'le=~"{whole}(\\\\.0)?"'
    return f'le="{text}"'


def slo_error_ratio(
    histograms: Sequence[str], bound: float, window: str, matchers: str = ENGINE_ANY
) -> str:
    """Per-role share of observations above `bound` seconds over `window` (0..1).

    1 - (observations at or under the bound) / (all observations), from the `le` bucket that
    equals the bound, which must be one of the engine's bucket bounds.
    """
    good = _either(
        [
            f"sum by ({ENGINE_BY}) (rate({h}_bucket{{{matchers}, {le_matcher(bound)}}}[{window}]))"
            for h in histograms
        ]
    )
    total = _either(
        [f"sum by ({ENGINE_BY}) (rate({h}_count{{{matchers}}}[{window}]))" for h in histograms]
    )
    return f"1 - (({good}) / ({total}))"
