"""The planner's internal knobs: what the CRD does not expose, each with its unit and why.

The InferenceDeployment says *what* to aim for (target utilisation, stabilization windows,
schedule, forecast on/off and headroom). These settings say *how* the forecast learns. The
defaults were chosen on per-minute demand traces at DeepSeek scale with a 10-minute provisioning
delay; every one is a time span or a ratio, so none depends on the fleet's size.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Tuning:
    """How the forecast and the guards behave. Times are seconds, ratios are plain floats."""

    baseline_window_seconds: float = 3600.0
    """The baseline is the median demand over this span: long enough that a burst lasting a
    few minutes does not move it, short enough to follow a day's ramp within the hour."""

    surprise_window_seconds: float = 7200.0
    """How long a surprise counts toward the margin. Bursts come in clusters: after one, the
    chance of another stays high for an hour or two and then falls back to a few in a day, so
    the margin keeps room through a cluster and gives it back once two calm hours have gone."""

    max_surprise: float = 5.0
    """A surprise is counted at most this many times the baseline, so one broken reading or a
    start from idle does not buy an absurd fleet."""

    trend_window_seconds: float = 900.0
    """Samples the short-term trend is fitted over."""

    trend_min_r2: float = 0.8
    """The trend is extrapolated only when a straight line explains this share of the
    variance: a steady ramp, not noise or steps, which the surprise margin handles."""

    trend_min_samples: int = 5
    """Fewer samples than this give no trend."""

    season_bucket_seconds: int = 300
    """Resolution of the daily profile: demand is averaged over buckets of this length."""

    season_max_growth: float = 2.0
    """The seasonal forecast may at most double the baseline over one lead time."""

    season_full_weight_days: int = 2
    """Days of history after which the seasonal forecast counts in full; with fewer it is
    blended in proportionally, so one odd day does not steer the fleet."""

    margin_use: float = 0.05
    """A unit the surprise margin alone asks for is started only when, had the window's
    surprises come again, demand would have used at least this share of its capacity on
    average. The bar is for a node serving as many tokens as the fleet's average node and is
    scaled by the role's own tokens per node: a decode node, which serves a fifth of a
    prefill node's tokens, must expect five times the use to be worth as much."""

    hysteresis: float = 0.03
    """A scale-down must still leave this fraction of spare capacity above the target, so
    demand hovering at a unit boundary does not flap a multi-node unit."""

    absurd_factor: float = 20.0
    """Demand above this many times the role's largest capacity is a broken signal (a counter
    reset, a unit mix-up), not traffic: the planner holds its last decision instead."""

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value <= 0:
                raise ValueError(f"{field.name} must be positive, got {value}")
        if self.margin_use >= 1:
            raise ValueError(f"margin_use must be below 1, got {self.margin_use}")
        if self.trend_min_r2 > 1:
            raise ValueError(f"trend_min_r2 must be at most 1, got {self.trend_min_r2}")


DEFAULT = Tuning()
