"""Latency objectives of the engines and how fast they burn their error budget.

An objective says: `objective` of observations (requests for time to first token, tokens for
inter-token latency) take at most `threshold_seconds`. The threshold must be a bucket bound of
both engines' histograms so the ratio is read from a bucket, not interpolated: 1 s is a bound of
SGLang's and vLLM's TTFT buckets, 0.1 s of their inter-token latency buckets.

Alerts follow the multiwindow, multi-burn-rate recipe of Google's SRE workbook: page when the
last hour and the last 5 minutes both burn the budget 14.4 times too fast (2% of a 30-day
budget in an hour), open a ticket when the last 6 hours and 30 minutes both burn it 6 times too
fast. The windows are real time: on a fast demo clock they span more of the operator's day.
"""

from __future__ import annotations

import dataclasses

from tokenfleet.dashboards import promql

WINDOWS = ("5m", "30m", "1h", "6h")


@dataclasses.dataclass(frozen=True)
class Burn:
    """Alert when both windows burn faster than `factor` times the budget."""

    long: str
    short: str
    factor: float
    severity: str
    wait: str


FAST = Burn("1h", "5m", 14.4, "critical", "2m")
SLOW = Burn("6h", "30m", 6.0, "warning", "15m")


@dataclasses.dataclass(frozen=True)
class Objective:
    name: str
    """Short name used in rule names: ttft or itl."""
    title: str
    histograms: tuple[str, ...]
    threshold_seconds: float
    objective: float

    def error_ratio(self, window: str, matchers: str = promql.ENGINE_ANY) -> str:
        """Per-role share of observations over the threshold, over `window`, of the engine
        series `matchers` pick (every engine pod unless told)."""
        return promql.slo_error_ratio(self.histograms, self.threshold_seconds, window, matchers)

    def record(self, window: str) -> str:
        """The recording rule holding `error_ratio(window)`."""
        return f"tokenfleet:{self.name}_slo_errors:ratio_rate{window}"

    @property
    def budget(self) -> float:
        """The share of observations allowed over the threshold."""
        return round(1 - self.objective, 10)


TTFT = Objective(
    "ttft", "Time to first token", tuple(promql.TTFT_NAMES), threshold_seconds=1.0, objective=0.99
)
ITL = Objective(
    "itl", "Inter-token latency", tuple(promql.ITL_NAMES), threshold_seconds=0.1, objective=0.99
)
OBJECTIVES = (TTFT, ITL)
