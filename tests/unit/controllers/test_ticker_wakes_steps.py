"""The ticker: steps run at their interval, at once when poked, again right after a poke that
came while they ran (nothing waits for the next interval), and each step is measured."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections.abc import Mapping
from typing import Any

from prometheus_client.registry import CollectorRegistry

from tokenfleet import clock as clocks
from tokenfleet.controllers import context as context_mod
from tokenfleet.controllers import settings as settings_mod
from tokenfleet.controllers import ticker as ticker_mod
from tokenfleet.metrics import exporter

START = dt.datetime(2025, 2, 28, tzinfo=dt.UTC)
KEY = ("ns", "a")


def make_ticker(speed: float = 1000.0) -> ticker_mod.Ticker:
    clock = clocks.ScaledClock(START, speed)
    settings = settings_mod.Settings(
        reconcile=settings_mod.ReconcileSettings(min_real_interval=0.01, max_real_wait=0.05)
    )
    ctx = context_mod.Context(
        clock=clock,
        kube=None,  # type: ignore[arg-type]
        settings=settings,
        ledger=exporter.FleetLedger(clock, CollectorRegistry()),
    )
    return ticker_mod.Ticker(ctx)


def body(name: str = "a", generation: int = 1) -> dict[str, Any]:
    return {"metadata": {"namespace": "ns", "name": name, "generation": generation}}


async def wait_until(check: Any, seconds: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.005)


async def test_a_poke_during_a_step_runs_it_again_with_the_latest_body() -> None:
    ticker = make_ticker()
    seen: list[int] = []
    release = asyncio.Event()

    async def step(b: Mapping[str, Any]) -> None:
        seen.append(b["metadata"]["generation"])
        if len(seen) == 1:
            await release.wait()

    # A day between steps: only pokes can run it again within the test.
    ticker.every("things", "work", lambda _: 86_400_000.0, step)
    await ticker.on_event("things", {"type": "ADDED", "object": body(generation=1)})
    runner = asyncio.create_task(ticker.run())
    try:
        await wait_until(lambda: seen == [1])
        await ticker.on_event("things", {"type": "MODIFIED", "object": body(generation=2)})
        ticker.poke("things", KEY)
        assert ticker.loops[0].dirty == {KEY}
        release.set()
        await wait_until(lambda: seen == [1, 2])
        await asyncio.sleep(0.1)
        assert seen == [1, 2], "one poke, one extra run"
    finally:
        runner.cancel()
        await ticker.stop()


async def test_on_change_loops_run_at_once_on_an_event() -> None:
    ticker = make_ticker()
    runs: list[str] = []

    async def step(b: Mapping[str, Any]) -> None:
        runs.append(b["metadata"]["name"])

    ticker.every("things", "work", lambda _: 86_400_000.0, step, on_change=True)
    runner = asyncio.create_task(ticker.run())
    try:
        await ticker.on_event("things", {"type": "ADDED", "object": body()})
        await wait_until(lambda: runs == ["a"])
        await ticker.on_event("things", {"type": "MODIFIED", "object": body(generation=2)})
        await wait_until(lambda: runs == ["a", "a"])
    finally:
        runner.cancel()
        await ticker.stop()


async def test_steps_repeat_at_their_interval_in_clock_time() -> None:
    ticker = make_ticker(speed=1000.0)
    runs: list[float] = []

    async def step(_: Mapping[str, Any]) -> None:
        runs.append(asyncio.get_running_loop().time())

    # 30 clock seconds at 1000x: every 30 ms real.
    ticker.every("things", "work", lambda _: 30.0, step)
    await ticker.on_event("things", {"type": "ADDED", "object": body()})
    runner = asyncio.create_task(ticker.run())
    try:
        await wait_until(lambda: len(runs) >= 4)
    finally:
        runner.cancel()
        await ticker.stop()
    gaps = [b - a for a, b in itertools.pairwise(runs)]
    assert all(gap >= 0.029 for gap in gaps), gaps


async def test_a_deleted_object_is_forgotten_and_its_step_cancelled() -> None:
    ticker = make_ticker()
    forgotten: list[ticker_mod.Key] = []
    started = asyncio.Event()

    async def step(_: Mapping[str, Any]) -> None:
        started.set()
        await asyncio.sleep(3600)

    async def forget(key: ticker_mod.Key) -> None:
        forgotten.append(key)

    ticker.every("things", "work", lambda _: 30.0, step, forget)
    await ticker.on_event("things", {"type": "ADDED", "object": body()})
    runner = asyncio.create_task(ticker.run())
    try:
        await asyncio.wait_for(started.wait(), 5)
        await ticker.on_event("things", {"type": "DELETED", "object": body()})
        assert forgotten == [KEY]
        assert ticker.loops[0].running == {}
        assert KEY not in ticker.objects["things"]
    finally:
        runner.cancel()
        await ticker.stop()


async def test_every_step_is_measured_by_loop() -> None:
    ticker = make_ticker()
    done = asyncio.Event()

    async def step(_: Mapping[str, Any]) -> None:
        done.set()

    ticker.every("things", "pool", lambda _: 86_400_000.0, step)
    await ticker.on_event("things", {"type": "ADDED", "object": body()})
    runner = asyncio.create_task(ticker.run())
    try:
        await asyncio.wait_for(done.wait(), 5)
        await asyncio.sleep(0.05)
    finally:
        runner.cancel()
        await ticker.stop()
    registry = ticker.ctx.ledger.registry
    count = registry.get_sample_value(
        "tokenfleet_reconcile_duration_seconds_count", {"loop": "pool"}
    )
    assert count == 1.0
    idle = registry.get_sample_value(
        "tokenfleet_reconcile_duration_seconds_count", {"loop": "autoscaling"}
    )
    assert idle == 0.0, "known loops are exported at zero from the start"
