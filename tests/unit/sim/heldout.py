"""Held-out demand: synthetic days the planner was not tuned on, at DeepSeek's scale.

Each shape is a seeded generator of per-minute rates (input tokens/s for prefill, output
tokens/s for decode) sized so the perfect-foresight fleet fits the reference pool
(manifests/samples/deepseek-v3.yaml): about 8M input and 2.2M output tokens/s at the busiest
minute. They stress what the sample traces do not: noise, a peak that moves, weekends, a flat
day, a launch-day ramp, a sudden lasting step, clustered bursts, 10-minute windows, hourly
steps and a day with two peaks. Decode follows prefill through a slowly drifting ratio with
noise of its own, so the two roles are related but not in lock-step.

Run as a script to see every policy on every shape at several provisioning delays:

    python -m tests.unit.sim.heldout [--delays 300,600,1200] [--seed N] [--days]
"""

from __future__ import annotations

import argparse
import dataclasses
import pathlib
from collections.abc import Callable
from concurrent import futures

import numpy as np
import numpy.typing as npt

from tokenfleet.sim import fleet, report, run
from tokenfleet.sim import trace as tr

Floats = npt.NDArray[np.float64]
Rng = np.random.Generator

DAY = 24 * 60
PEAK_INPUT = 8.0e6
"""Input tokens/s at the busiest minute of a trace."""
PEAK_OUTPUT = 2.3e6
"""Output tokens/s at the busiest minute, at most: 11 decode units of the reference fleet at 85%."""
OUTPUT_RATIO = 0.27
"""Output over input tokens on average (DeepSeek's day: 168e9 over 608e9)."""
CACHED = 0.56
SAMPLE = pathlib.Path(__file__).parents[3] / "manifests" / "samples" / "deepseek-v3.yaml"


def diurnal(minutes: Floats, peak_hour: float, low: float, sharpness: float = 1.5) -> Floats:
    """A day's curve between `low` and 1, highest at `peak_hour`."""
    hours = minutes / 60.0
    wave = 0.5 * (1 + np.cos(2 * np.pi * (hours - peak_hour) / 24))
    curve: Floats = low + (1 - low) * wave**sharpness
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


SHAPES = (
    Shape("noisy-3d", 3, _noisy),
    Shape("shifted-peak-3d", 3, _shifted),
    Shape("weekend-7d", 7, _weekend),
    Shape("flat-1d", 1, _flat),
    Shape("ramp-2d", 2, _ramp),
    Shape("step-2d", 2, _step),
    Shape("bursty-3d", 3, _bursty),
    Shape("windows-4d", 4, _windows),
    Shape("hourly-2d", 2, _hourly),
    Shape("two-peaks-3d", 3, _two_peaks),
    Shape("decode-bursts-3d", 3, _noisy, _bursty_decode),
)


def build(shape: Shape, seed: int = 0) -> tr.Trace:
    """The shape's trace for `seed`: one-minute rows of tokens."""
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


def reference(delay: int | None = None) -> fleet.Fleet:
    """The sample fleet, with the pool's provisioning delay replaced when `delay` is given."""
    loaded = fleet.load(SAMPLE)
    if delay is None:
        return loaded
    pool = loaded.pool.model_copy(update={"provisioning_delay_seconds": delay})
    return dataclasses.replace(loaded, pool=pool)


def score(name: str, seed: int, delay: int) -> tuple[str, int, list[report.Result]]:
    """tokenfleet, static and reactive on one shape at one delay."""
    shape = next(s for s in SHAPES if s.name == name)
    outcome = run.simulate(
        build(shape, seed), reference(delay), ["tokenfleet", "static", "reactive"]
    )
    return name, delay, outcome.results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--delays", default="300,600,1200")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default="", help="comma-separated shape names")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    names = [s.name for s in SHAPES if not args.only or s.name in args.only.split(",")]
    delays = [int(d) for d in args.delays.split(",")]
    jobs = [(name, args.seed, delay) for name in names for delay in delays]
    with futures.ProcessPoolExecutor(args.jobs) as pool:
        scored = list(pool.map(score, *zip(*jobs, strict=True)))
    print(f"{'shape':18} {'delay':>5}  {'vs oracle':>9}  {'late':>7}  {'vs static':>9}  reactive")
    ratios, lates = [], []
    for name, delay, (ours, static, reactive) in scored:
        ratio = ours.vs_oracle or 0.0
        ratios.append(ratio)
        lates.append(ours.late_token_fraction)
        miss = ratio > 1.15 or ours.late_token_fraction > 0.005
        print(
            f"{name:18} {delay:5d}  {ratio:8.3f}x  {ours.late_token_fraction:7.3%}  "
            f"{ours.node_hours / static.node_hours - 1:9.0%}  "
            f"{reactive.vs_oracle or 0:.3f}x {reactive.late_token_fraction:6.3%}"
            f"{'  MISS' if miss else ''}"
        )
    print(
        f"worst {max(ratios):.3f}x oracle, {max(lates):.3%} late; "
        f"mean {np.mean(ratios):.3f}x, {np.mean(lates):.3%}; "
        f"{sum(r > 1.15 or x > 0.005 for r, x in zip(ratios, lates, strict=True))} of "
        f"{len(ratios)} miss"
    )


if __name__ == "__main__":
    main()
