"""Generated demand: seeded days of shapes the planner was not tuned on, at DeepSeek's scale.

`make bench` replays these beside the sample traces, so a policy is judged on traffic nobody
tuned it on. Each shape is a seeded generator of per-minute rates (input tokens/s for prefill,
output tokens/s for decode) sized like the sample traces: the busiest minute carries DeepSeek's
peak (about 8M input and 2.3M output tokens/s), which the reference fleet
(manifests/samples/deepseek-v3.yaml) serves. They stress what the sample traces do not: noise,
a peak that moves (earlier, or later every day), weekends and a holiday, weeks of growth, a
flat day, a launch-day ramp, a sudden lasting step, an outage and its catch-up surge,
clustered minute-scale bursts, 10-minute windows, hourly steps and a day with two peaks.
Decode follows prefill through a slowly drifting ratio with noise of its own, so the two roles
are related but not in lock-step. Pure and deterministic: a shape and a seed make one trace.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from tokenfleet.sim import trace as tr

Floats = npt.NDArray[np.float64]
Rng = np.random.Generator

DAY = 24 * 60
PEAK_INPUT = 8.0e6
"""Input tokens/s at the busiest minute of a trace."""
PEAK_OUTPUT = 2.3e6
"""Output tokens/s at the busiest minute, at most."""
OUTPUT_RATIO = 0.27
"""Output over input tokens on average (DeepSeek's day: 168e9 over 608e9)."""
CACHED = 0.56
"""Share of input tokens served from the prefix cache (DeepSeek's day)."""


def diurnal(
    minutes: npt.NDArray[np.floating[Any]],
    peak_hour: float | npt.NDArray[np.floating[Any]],
    low: float,
    sharpness: float = 1.5,
) -> Floats:
    """A day's curve between `low` and 1, highest at `peak_hour` (one per minute, or one)."""
    hours = minutes / 60.0
    wave = 0.5 * (1 + np.cos(2 * np.pi * (hours - peak_hour) / 24))
    curve: Floats = np.asarray(low + (1 - low) * wave**sharpness, dtype=np.float64)
    return curve


def slow_noise(rng: Rng, n: int, sigma: float, minutes: float) -> Floats:
    """Multiplicative noise that wanders with a correlation time of `minutes` (AR(1) in log)."""
    phi = np.exp(-1.0 / minutes)
    shocks = rng.normal(0.0, sigma * np.sqrt(1 - phi * phi), n)
    out = np.empty(n)
    level = rng.normal(0.0, sigma)
    for i in range(n):
        level = phi * level + shocks[i]
        out[i] = level
    noise: Floats = np.exp(out)
    return noise


def fast_noise(rng: Rng, n: int, sigma: float) -> Floats:
    noise: Floats = np.exp(rng.normal(-sigma * sigma / 2, sigma, n))
    return noise


def bursts(
    rng: Rng,
    n: int,
    per_day: float,
    size: tuple[float, float],
    span: tuple[int, int],
    weight: Floats | None = None,
) -> Floats:
    """Multiplicative bursts: about `per_day` a day (more where `weight` is high), each lifting
    demand by a factor drawn from `size` for `span` minutes."""
    out = np.ones(n)
    chance = np.full(n, per_day / DAY) if weight is None else per_day / DAY * weight / weight.mean()
    for start in np.flatnonzero(rng.random(n) < chance):
        length = int(rng.integers(span[0], span[1] + 1))
        out[start : start + length] *= rng.uniform(*size)
    return out


def _decode(rng: Rng, prefill: Floats) -> Floats:
    n = len(prefill)
    ratio = OUTPUT_RATIO * slow_noise(rng, n, 0.12, 180) * fast_noise(rng, n, 0.04)
    decode: Floats = prefill * ratio
    return decode


@dataclasses.dataclass(frozen=True)
class Shape:
    name: str
    days: int
    make: Callable[[Rng, Floats], Floats]
    """Input demand per minute (any scale), from minutes since Monday 00:00."""
    decode: Callable[[Rng, Floats], Floats] = _decode


def _noisy(rng: Rng, m: Floats) -> Floats:
    day_gain = np.repeat(rng.uniform(0.9, 1.1, len(m) // DAY + 1), DAY)[: len(m)]
    return (
        diurnal(m, 14, 0.3)
        * day_gain
        * slow_noise(rng, len(m), 0.06, 30)
        * fast_noise(rng, len(m), 0.05)
    )


def _shifted(rng: Rng, m: Floats) -> Floats:
    day = (m // DAY).astype(int)
    peak = np.where(day < 2, 13.0, 9.0)
    return diurnal(m, peak, 0.3) * slow_noise(rng, len(m), 0.05, 30) * fast_noise(rng, len(m), 0.03)


def _weekend(rng: Rng, m: Floats) -> Floats:
    weekday = (m // DAY).astype(int) % 7
    gain = np.where(weekday >= 5, 0.55, 1.0)
    return (
        diurnal(m, 15, 0.35)
        * gain
        * slow_noise(rng, len(m), 0.05, 60)
        * fast_noise(rng, len(m), 0.03)
    )


def _flat(rng: Rng, m: Floats) -> Floats:
    return 0.6 * slow_noise(rng, len(m), 0.03, 60) * fast_noise(rng, len(m), 0.03)


def _ramp(rng: Rng, m: Floats) -> Floats:
    growth = np.clip((m - DAY) / DAY, 0.0, 1.0)
    return 0.5 * diurnal(m, 14, 0.35) * (1 + growth) * fast_noise(rng, len(m), 0.03)


def _step(rng: Rng, m: Floats) -> Floats:
    jump = np.where(m >= DAY + 15 * 60 + 37, 1.6, 1.0)
    return 0.6 * diurnal(m, 12, 0.4) * jump * fast_noise(rng, len(m), 0.03)


def _bursty(rng: Rng, m: Floats) -> Floats:
    base = 0.55 * diurnal(m, 15, 0.3)
    afternoon = diurnal(m, 16, 0.1, 4.0)
    lift = bursts(rng, len(m), 10, (1.3, 2.2), (5, 25), afternoon)
    return base * lift * slow_noise(rng, len(m), 0.05, 20) * fast_noise(rng, len(m), 0.03)


def _windows(rng: Rng, m: Floats) -> Floats:
    windows = len(m) // 10 + 1
    level = diurnal(np.arange(windows) * 10.0, 11, 0.25)
    wander = slow_noise(rng, windows, 0.15, 3)
    spikes = np.where(rng.random(windows) < 0.02, rng.uniform(1.5, 2.5, windows), 1.0)
    return 0.75 * np.repeat(level * wander * spikes, 10)[: len(m)]


def _hourly(rng: Rng, m: Floats) -> Floats:
    hours = len(m) // 60 + 1
    level = diurnal(np.arange(hours) * 60.0 + 30, 16, 0.15, 1.0)
    return 0.95 * np.repeat(level * rng.uniform(0.8, 1.2, hours), 60)[: len(m)]


def _two_peaks(rng: Rng, m: Floats) -> Floats:
    curve = 0.3 + 0.7 * np.maximum(diurnal(m, 10, 0.0, 6.0), 0.8 * diurnal(m, 21, 0.0, 6.0))
    return curve * slow_noise(rng, len(m), 0.05, 30) * fast_noise(rng, len(m), 0.03)


def _bursty_decode(rng: Rng, prefill: Floats) -> Floats:
    """Long answers come in bursts of their own: decode spikes that prefill does not show."""
    lift = bursts(rng, len(prefill), 12, (1.5, 3.0), (5, 15))
    return _decode(rng, prefill) * lift


def _late_peak(rng: Rng, m: Floats) -> Floats:
    """A chat week whose peak comes an hour later every day: yesterday is a poor guide."""
    peak = 12.0 + (m // DAY)
    return diurnal(m, peak, 0.3) * slow_noise(rng, len(m), 0.05, 30) * fast_noise(rng, len(m), 0.03)


def _growth(rng: Rng, m: Floats) -> Floats:
    """Two weeks of weekday/weekend traffic growing 60% from the first day to the last."""
    weekday = (m // DAY).astype(int) % 7
    weekend = np.where(weekday >= 5, 0.6, 1.0)
    trend = 1.0 + 0.6 * m / m[-1]
    noise = slow_noise(rng, len(m), 0.04, 60) * fast_noise(rng, len(m), 0.03)
    out: Floats = 0.6 * diurnal(m, 14, 0.3) * weekend * trend * noise
    return out


def _holiday(rng: Rng, m: Floats) -> Floats:
    """A week with a public holiday on Wednesday: a weekday at weekend level, then back."""
    weekday = (m // DAY).astype(int) % 7
    gain = np.where((weekday >= 5) | (weekday == 2), 0.5, 1.0)
    return (
        diurnal(m, 15, 0.35)
        * gain
        * slow_noise(rng, len(m), 0.04, 60)
        * fast_noise(rng, len(m), 0.03)
    )


def _outage(rng: Rng, m: Floats) -> Floats:
    """An upstream outage at 11:00 on day two: 45 minutes near nothing, then the clients that
    waited come back at once (half again the usual demand for 30 minutes)."""
    t = m - DAY - 11 * 60
    gain = np.where((t >= 0) & (t < 45), 0.1, np.where((t >= 45) & (t < 75), 1.5, 1.0))
    return 0.6 * diurnal(m, 13, 0.35) * gain * fast_noise(rng, len(m), 0.03)


SHAPES = (
    Shape("noisy-3d", 3, _noisy),
    Shape("shifted-peak-3d", 3, _shifted),
    Shape("late-peak-7d", 7, _late_peak),
    Shape("weekend-7d", 7, _weekend),
    Shape("holiday-7d", 7, _holiday),
    Shape("growth-14d", 14, _growth),
    Shape("flat-1d", 1, _flat),
    Shape("ramp-2d", 2, _ramp),
    Shape("step-2d", 2, _step),
    Shape("outage-2d", 2, _outage),
    Shape("bursty-3d", 3, _bursty),
    Shape("windows-4d", 4, _windows),
    Shape("hourly-2d", 2, _hourly),
    Shape("two-peaks-3d", 3, _two_peaks),
    Shape("decode-bursts-3d", 3, _noisy, _bursty_decode),
)
"""63 generated days in all."""


def shape(name: str) -> Shape:
    for one in SHAPES:
        if one.name == name:
            return one
    raise KeyError(f"no shape {name!r}; shapes are {', '.join(s.name for s in SHAPES)}")


def build(shape: Shape, seed: int = 0) -> tr.Trace:
    """The shape's trace for `seed`: one-minute rows of tokens, from a Monday 00:00."""
    rng = np.random.default_rng([seed, *shape.name.encode()])
    minutes = np.arange(shape.days * DAY, dtype=np.float64)
    prefill = shape.make(rng, minutes)
    decode = shape.decode(rng, prefill)
    # Like the sample traces: scaled so the busiest minute carries DeepSeek's peak.
    scale = min(PEAK_INPUT / prefill.max(), PEAK_OUTPUT / decode.max())
    prefill, decode = prefill * scale, decode * scale
    rows = [
        (60.0 * i, p * 60, p * 60 * CACHED, d * 60)
        for i, (p, d) in enumerate(zip(prefill.tolist(), decode.tolist(), strict=True))
    ]
    return tr.build(shape.name, rows)
