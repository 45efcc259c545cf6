"""`tokenfleet run`: the operator. Every flag has a TOKENFLEET_* environment fallback."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import os
import random
from typing import Any

from tokenfleet.controllers import operator
from tokenfleet.controllers import settings as settings_mod

DEFAULTS = settings_mod.Settings()
"""Where every flag's default comes from: the settings' own (one place, pinned by a test)."""


def _env(name: str, default: object = None) -> str | None:
    value = os.environ.get(f"TOKENFLEET_{name}")
    if value:  # set and not empty
        return value
    return None if default is None else str(default)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run the operator",
        description="Run the tokenfleet operator against the current kubeconfig or in-cluster.",
    )
    parser.add_argument(
        "--namespace",
        action="append",
        default=[n for n in (_env("NAMESPACES") or "").split(",") if n],
        help="watch only this namespace (repeatable; env TOKENFLEET_NAMESPACES, comma-separated); "
        "default: the whole cluster",
    )
    parser.add_argument(
        "--pool-selector",
        action="append",
        default=[p for p in (_env("POOL_SELECTOR") or "").split(",") if p],
        metavar="KEY=VALUE",
        help="manage only GPUNodePools with this label (repeatable; env "
        "TOKENFLEET_POOL_SELECTOR, comma-separated); default: every pool",
    )
    parser.add_argument("--kubeconfig", default=_env("KUBECONFIG", os.environ.get("KUBECONFIG")))
    parser.add_argument(
        "--metrics-port",
        type=int,
        default=int(_env("METRICS_PORT") or DEFAULTS.metrics_port),
        help="port of /metrics, 0 to disable (env TOKENFLEET_METRICS_PORT)",
    )
    parser.add_argument("--metrics-host", default=_env("METRICS_HOST", DEFAULTS.metrics_host))
    parser.add_argument(
        "--prometheus-url",
        default=_env("PROMETHEUS_URL"),
        help="read signals from this Prometheus unless a deployment names its own "
        "(env TOKENFLEET_PROMETHEUS_URL); default: scrape engine pods directly",
    )
    parser.add_argument(
        "--signal-window",
        type=float,
        default=float(_env("SIGNAL_WINDOW") or DEFAULTS.signal_window_seconds),
        help="rate window of Prometheus signals in real seconds (env TOKENFLEET_SIGNAL_WINDOW)",
    )
    parser.add_argument(
        "--engine-metrics-url",
        default=_env("ENGINE_METRICS_URL"),
        help="template of an engine pod's metrics URL with {namespace} and {pod} "
        "(env TOKENFLEET_ENGINE_METRICS_URL); default: the pod's IP and engine port",
    )
    parser.add_argument(
        "--peering",
        default=_env("PEERING"),
        help="kopf peering name, for more than one replica (env TOKENFLEET_PEERING)",
    )
    parser.add_argument(
        "--peering-priority",
        type=int,
        default=int(p) if (p := _env("PEERING_PRIORITY")) else None,
        help="this replica's peering priority (env TOKENFLEET_PEERING_PRIORITY); default: "
        "random, so that of several replicas exactly one is active",
    )
    parser.add_argument(
        "--clock-start",
        type=dt.datetime.fromisoformat,
        default=_env("CLOCK_START"),
        help="start the process clock at this ISO 8601 instant (env TOKENFLEET_CLOCK_START)",
    )
    parser.add_argument(
        "--clock-speed",
        type=float,
        default=float(_env("CLOCK_SPEED") or DEFAULTS.clock.speed),
        help="run the process clock N times faster than real time (env TOKENFLEET_CLOCK_SPEED)",
    )
    parser.add_argument(
        "--clock-anchor",
        type=float,
        default=_env("CLOCK_ANCHOR"),
        help="real epoch seconds at which the clock reads --clock-start (share with enginesim)",
    )
    parser.add_argument("--verbose", "-v", action="store_true")
    parser.set_defaults(func=run)


def _pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise SystemExit(f"--pool-selector takes KEY=VALUE, got {text!r}")
    return key, value


def settings_from(args: argparse.Namespace) -> settings_mod.Settings:
    start = args.clock_start
    if isinstance(start, str):
        start = dt.datetime.fromisoformat(start)
    if start is not None and start.tzinfo is None:
        raise SystemExit("--clock-start needs a time zone offset, e.g. 2025-01-06T00:00:00+00:00")
    return settings_mod.Settings(
        namespaces=tuple(args.namespace),
        pool_selector=tuple(_pair(p) for p in args.pool_selector),
        kubeconfig=args.kubeconfig,
        metrics_port=args.metrics_port,
        metrics_host=args.metrics_host,
        peering=args.peering,
        peering_priority=(
            args.peering_priority
            if args.peering_priority is not None
            else random.randint(1, 2**31 - 1)
        ),
        prometheus_url=args.prometheus_url,
        engine_metrics_url=args.engine_metrics_url,
        signal_window_seconds=args.signal_window,
        clock=settings_mod.ClockSettings(
            start=start,
            speed=args.clock_speed,
            anchor=float(args.clock_anchor) if args.clock_anchor is not None else None,
        ),
    )


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    op = operator.build(settings_from(args))
    asyncio.run(operator.serve(op))
    return 0
