"""`tokenfleet enginesim`: serve SGLang- or vLLM-shaped /metrics for simulated engine pods.

Demand comes from a trace (DESIGN.md §6) or a fixed rate and runs on a scaled clock that
starts at `--start` (the trace's timestamp 0) and runs `--speed` times faster than real time.
Every flag has an environment fallback, TOKENFLEET_ENGINESIM_<FLAG> (e.g. ..._SPEED=60).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import pathlib
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any

from tokenfleet import clock as clocks
from tokenfleet.enginesim import cluster, demand, exposition, fleet, pods, server

# Per-node capacities of DeepSeek's units (REFERENCE.md §1.5): input tokens/s for prefill,
# output tokens/s for decode and unified.
DEFAULT_CAPACITY = "prefill=73700,decode=14800,unified=14800"
DEFAULT_START = "2025-01-06T00:00:00+00:00"


def _env(flag: str, default: str | None = None) -> str | None:
    return os.environ.get("TOKENFLEET_ENGINESIM_" + flag.upper().replace("-", "_"), default)


def _floats(text: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep:
            raise argparse.ArgumentTypeError(f"expected KEY=NUMBER, got {part!r}")
        out[key] = float(value)
    return out


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "enginesim",
        help="serve simulated engine /metrics from a demand trace",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--trace", type=pathlib.Path, default=_env("trace"), help="trace CSV")
    source.add_argument(
        "--rate",
        default=_env("rate"),
        help="fixed demand in tokens/s: input=N,cached=N,output=N (cached is part of input)",
    )
    parser.add_argument("--engine", choices=exposition.ENGINES, default=_env("engine", "sglang"))
    parser.add_argument("--host", default=_env("host", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(_env("port", "0") or 0))
    parser.add_argument("--speed", type=float, default=float(_env("speed", "1") or 1))
    parser.add_argument(
        "--anchor",
        type=float,
        default=float(a) if (a := _env("anchor")) else None,
        help="real epoch seconds at which the clock reads --start (share it with the operator's "
        "--clock-anchor so both run on one clock); default: now",
    )
    parser.add_argument(
        "--start",
        default=_env("start", DEFAULT_START),
        help="ISO 8601 instant of the trace's timestamp 0, where the clock starts",
    )
    parser.add_argument("--namespace", default=_env("namespace", "default"))
    parser.add_argument("--deployment", default=_env("deployment", "deepseek-v3"))
    parser.add_argument(
        "--pods", default=_env("pods", "prefill=4,decode=18"), help="pods per role: ROLE=N,..."
    )
    parser.add_argument("--nodes-per-unit", type=int, default=int(_env("nodes-per-unit", "1") or 1))
    parser.add_argument(
        "--capacity",
        default=_env("capacity", DEFAULT_CAPACITY),
        help="tokens/s per pod at 100%%, per role: ROLE=N,...",
    )
    parser.add_argument(
        "--linger",
        type=float,
        default=float(_env("linger", "0") or 0),
        help="clock seconds a pod that is gone still shows its last counters (a draining pod "
        "is scraped once more; give a fast clock a few scrape intervals' worth)",
    )
    parser.add_argument("--model-name", default=_env("model-name", "deepseek-ai/DeepSeek-V3"))
    parser.add_argument("--ranks-per-pod", type=int, default=int(_env("ranks-per-pod", "1") or 1))
    parser.add_argument(
        "--old-names",
        action="store_true",
        default=_env("old-names", "") in ("1", "true"),
        help="export the metric names of older engine releases",
    )
    parser.add_argument(
        "--dcgm-host-label",
        choices=("Hostname", "hostname"),
        default=_env("dcgm-host-label", "Hostname"),
    )
    parser.add_argument(
        "--discover",
        action="store_true",
        default=_env("discover", "") in ("1", "true"),
        help="simulate the running engine pods of the cluster (--kubeconfig) instead of --pods",
    )
    parser.add_argument("--kubeconfig", default=_env("kubeconfig", os.environ.get("KUBECONFIG")))
    parser.add_argument(
        "--targets-file",
        type=pathlib.Path,
        default=_env("targets-file"),
        help="keep this Prometheus file_sd JSON file up to date with the simulated pods",
    )
    parser.set_defaults(func=run)


def build(
    args: argparse.Namespace,
    clock: clocks.Clock,
    current: Callable[[], Sequence[fleet.SimPod]] | None = None,
) -> server.Simulator:
    """The simulator the arguments describe, on `clock`; `current` overrides --pods."""
    start = dt.datetime.fromisoformat(args.start)
    if args.trace:
        source: demand.Demand = demand.load_trace(args.trace)
    elif args.rate:
        rates = _floats(args.rate)
        source = demand.ConstantDemand(
            demand.Tokens(rates.get("input", 0), rates.get("cached", 0), rates.get("output", 0))
        )
    else:
        raise SystemExit("enginesim: give --trace or --rate")
    if current is None:
        simulated = pods.static_pods(
            args.namespace, args.deployment, pods.parse_counts(args.pods), args.nodes_per_unit
        )

        def current() -> Sequence[fleet.SimPod]:
            return simulated

    settings = fleet.Settings(capacity=_floats(args.capacity), linger_seconds=args.linger)
    shape = exposition.Shape(
        engine=args.engine,
        model_name=args.model_name,
        ranks_per_pod=args.ranks_per_pod,
        old_names=args.old_names,
    )
    return server.Simulator(
        fleet.Fleet(source, clock, start, settings, current),
        shape,
        dcgm_host_label=args.dcgm_host_label,
    )


async def _targets_writer(path: pathlib.Path, sim: server.Simulator, host: str) -> None:
    while True:
        sim.fleet.advance()
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(server.file_sd(sim.fleet.states(), host)))
        temporary.replace(path)
        await asyncio.sleep(5)


async def _serve(args: argparse.Namespace) -> None:
    start = dt.datetime.fromisoformat(args.start)
    clock = clocks.ScaledClock(start, args.speed, args.anchor)
    tasks: list[asyncio.Task[None]] = []
    discovered = None
    watched: cluster.WatchedPods | None = None
    if args.discover:
        watched = cluster.WatchedPods(args.kubeconfig)
        discovered = cluster.ClusterPods(watched)
        await discovered.refresh()
        tasks.append(asyncio.create_task(discovered.watch()))
    sim = build(args, clock, discovered)
    running = await server.start(sim, args.host, args.port)
    print(running.url, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    if args.targets_file:
        host = running.url.removeprefix("http://")
        tasks.append(asyncio.create_task(_targets_writer(args.targets_file, sim, host)))
    try:
        await stop.wait()
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await running.stop()
        if watched is not None:
            watched.close()


def run(args: argparse.Namespace) -> int:
    if args.start and dt.datetime.fromisoformat(args.start).tzinfo is None:
        print("enginesim: --start needs a time zone, e.g. +00:00", file=sys.stderr)
        return 2
    asyncio.run(_serve(args))
    return 0
