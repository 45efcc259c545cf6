"""How much capacity a role should have one lead time from now, and why.

A unit ordered now serves only after the lead time (provisioning plus warm-up), so the planner
sizes for demand a lead time ahead. Three views are combined, and the largest wins:

- *demand now* at the target utilisation: never plan below what is being served;
- *expected demand* a lead time ahead, with the forecast's headroom on top, to fit in the
  units' full capacity: the baseline (the median of the last hour) grown by the daily and
  weekly profile of recent days, or a steady ramp extrapolated when the last minutes fit a
  straight line, or demand now, whichever is highest;
- *surprise margin*: how far demand outran the baseline expected one lead time earlier, over
  the last hour or two (`margin`). Bursts cluster, so while they last the fleet keeps the units
  that recent bursts would have used often enough to be worth their nodes, and gives them back
  once the window is calm. This is what lets a fleet with one day of history, or none, keep
  late tokens low.

Target utilisation and headroom overlap on purpose: utilisation governs demand that is here,
headroom the forecast's error. Scaling down needs no forecast: releasing a unit is immediate,
so only the way up is planned.
"""

from __future__ import annotations

import dataclasses
import statistics

from tokenfleet.api import inference_deployment as infd_api
from tokenfleet.planner import config, history, settings, state

WEEK_DAYS = 7


def seasonal_growth(
    profile: history.Profile, t: float, lead: float, lookback_days: int, tuning: settings.Tuning
) -> tuple[float, int]:
    """How much demand grew within one lead time from this time of day on recent days.

    Returns (growth, days used). For each day, the ratio of the highest bucket from now until
    a bucket past the lead time to the mean of the two buckets just before now: the peak of
    the horizon, not its end, because a unit released now cannot be back before the lead time
    is over, so a dip inside the horizon must not release one. Growth is the median over the
    days, with the same weekday a week ago counted twice; it is at least 1 (only ramps
    matter) and blended in by the number of days, so a single day moves the forecast half way.
    """
    ratios: list[float] = []
    days = 0
    for k in range(1, lookback_days + 1):
        then = t - k * history.DAY_SECONDS
        last = profile.index(then - 1)
        before = [m for m in (profile.mean(last - 1), profile.mean(last)) if m is not None]
        horizon = range(profile.index(then), profile.index(then + lead) + 2)
        ahead = [m for m in (profile.mean(i) for i in horizon) if m is not None]
        level = sum(before) / len(before) if before else 0.0
        if level <= 0 or not ahead:
            continue
        ratio = max(ahead) / level
        ratios.extend([ratio, ratio] if k == WEEK_DAYS else [ratio])
        days += 1
    if not ratios:
        return 1.0, 0
    grown = min(max(statistics.median(ratios), 1.0), tuning.season_max_growth)
    weight = min(1.0, days / tuning.season_full_weight_days)
    return 1 + weight * (grown - 1), days


@dataclasses.dataclass(frozen=True)
class Outlook:
    """One role's view a lead time ahead, in tokens per second."""

    level: float
    """Demand observed now."""
    baseline: float
    """Median demand over the baseline window."""
    growth: float
    """Seasonal growth over the lead time (1 without history)."""
    seasonal_days: int
    ramp: float | None
    """Demand a lead time ahead on the fitted steady ramp, when there is one."""
    expected: float
    """baseline x growth: what the lead time should bring, barring surprises."""
    surprise: float
    """The largest ratio of demand to the forecast in the surprise window (1 = none)."""
    margin_units: int
    """Units the surprise margin is worth on its own; 0 when it would not reach past what
    demand and the forecast ask for."""
    target: float
    """Capacity at 100% wanted a lead time from now."""
    firm: float
    """The part of the target that demand and forecast ask for, without the surprise margin."""
    driver: str
    """Which view set the target: "demand", "forecast" or "surprise"."""


def outlook(
    role: config.RoleConfig,
    forecast: infd_api.ForecastSpec,
    memory: state.RoleMemory,
    *,
    t: float,
    level: float,
    tuning: settings.Tuning,
    bar: float,
    late_budget: float | None = None,
) -> Outlook:
    """The capacity `role` should have a lead time after `t` (demand now: `level`), given
    what it remembers; a margin unit must expect to be used at least `bar` of its capacity, or,
    with `late_budget`, the margin is the fewest units that keep late tokens within it."""
    samples, profile, surprises = memory.samples, memory.profile, memory.surprises
    at_target = level / role.target_utilization
    if not forecast.enabled:
        return Outlook(level, level, 1.0, 0, None, level, 1.0, 0, at_target, at_target, "demand")
    baseline = history.median_since(samples, t - tuning.baseline_window_seconds)
    baseline = level if baseline is None else baseline
    growth, days = seasonal_growth(profile, t, role.lead_seconds, forecast.lookback_days, tuning)
    expected = baseline * growth
    ramp = None
    fitted = history.fit_line(samples, t - tuning.trend_window_seconds)
    if fitted is not None:
        line, n = fitted
        if line.slope > 0 and line.r2 >= tuning.trend_min_r2 and n >= tuning.trend_min_samples:
            ramp = line.value + line.slope * role.lead_seconds
    views = {
        "demand": at_target,
        "forecast": max(expected, level if ramp is None else ramp) * (1 + forecast.headroom),
    }
    firm = max(views.values())
    units = {name: role.units_for(value) for name, value in views.items()}
    # Bursts no larger than what demand and the forecast already hold need no margin: the
    # window's tail is only weighed when its largest surprise reaches past them.
    extra = 0
    if expected * surprises.peak > max(units.values()) * role.unit_capacity:
        extra = (
            surprises.units(expected, role.unit_capacity, bar)
            if late_budget is None
            else surprises.units_within(expected, role.unit_capacity, late_budget)
        )
    views["surprise"] = extra * role.unit_capacity
    units["surprise"] = extra
    top = max(views.values())
    # The first view asking for as many units as the top names the driver, so a margin that
    # only matches what demand or the forecast already ask for does not take the credit.
    driver = next(name for name, n in units.items() if n >= max(units.values()))
    return Outlook(
        level, baseline, growth, days, ramp, expected, surprises.peak, extra, top, firm, driver
    )


def surprise_ratio(
    forecasts: tuple[history.Sample, ...], t: float, lead: float, level: float, cap: float
) -> float | None:
    """Demand now over the baseline expected for now one lead time ago; None when unknown."""
    expected = None
    for made, value in forecasts:
        if made > t - lead:
            break
        expected = value
    if expected is None or expected <= 0:
        return None
    return min(level / expected, cap)


def keep_forecasts(
    forecasts: tuple[history.Sample, ...], t: float, expected: float, lead: float
) -> tuple[history.Sample, ...]:
    """Forecasts still needed: those of the last lead time and the newest one older than it."""
    kept = (*forecasts, (t, expected))
    start = 0
    while start + 1 < len(kept) and kept[start + 1][0] <= t - lead:
        start += 1
    return kept[start:]
