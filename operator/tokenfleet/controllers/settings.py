"""Operator settings: nested typed groups, each field with its unit and why its default.

Every CLI flag of `tokenfleet run` has an environment fallback (TOKENFLEET_<FLAG>), so the Helm
chart configures the operator through env without templating command lines.
"""

from __future__ import annotations

import dataclasses
import datetime as dt


@dataclasses.dataclass(frozen=True)
class ClockSettings:
    """Which clock the whole process runs on."""

    start: dt.datetime | None = None
    """Wall-clock instant the process clock starts at; None = the real time."""
    speed: float = 1.0
    """How many clock seconds pass per real second; `make demo` uses e.g. 288 (a day in 5 min)."""
    anchor: float | None = None
    """Real epoch seconds at which the clock reads `start`; share it between processes."""


@dataclasses.dataclass(frozen=True)
class ReconcileSettings:
    """How often controllers look again, in *clock* seconds (converted to real seconds)."""

    inference_interval: float = 30.0
    """Seconds between reconciles of an InferenceDeployment: units, gang health, router, status."""
    pool_interval: float = 30.0
    """Seconds between reconciles of a GPUNodePool: sizing, provisioning, lending."""
    pricing_interval: float = 60.0
    """Upper bound between PricingPlan status refreshes (they also wake at window edges)."""
    min_real_interval: float = 0.05
    """Never repeat a step more often than this many real seconds, however fast the clock runs:
    a guard against a busy loop, small enough that at `make demo`'s 288x a 30 s interval (0.1 s
    real) is still honoured in clock time."""
    max_real_wait: float = 1.0
    """The ticker looks at its schedule at least this often (real seconds), whatever it waits
    for; changes wake it sooner."""


@dataclasses.dataclass(frozen=True)
class KopfSettings:
    """What tokenfleet sets of kopf's own settings (the rest are kopf's defaults)."""

    watch_server_timeout: int = 300
    """Seconds the API server keeps a watch open before kopf starts a new one: long enough
    that watches are not re-listed every minute on a big cluster, short enough to notice a
    silently dropped connection."""
    handler_workers: int = 16
    """Handlers kopf runs at once: the ticker's watch handlers are quick, a few suffice."""


@dataclasses.dataclass(frozen=True)
class Settings:
    """Everything `tokenfleet run` needs, passed explicitly (never through globals)."""

    namespaces: tuple[str, ...] = ()
    """Namespaces to watch; empty = the whole cluster."""
    pool_selector: tuple[tuple[str, str], ...] = ()
    """Only GPUNodePools with these labels are this operator's (pools are cluster-scoped, so a
    label, not a namespace, keeps two operators apart); empty = every pool."""
    kubeconfig: str | None = None
    """Kubeconfig path; None = in-cluster config, else the default kubeconfig."""
    metrics_port: int = 8080
    """Port of the operator's /metrics (0 = do not serve)."""
    metrics_host: str = "0.0.0.0"
    """Address /metrics binds to."""
    prometheus_url: str | None = None
    """Prometheus to read signals from when a deployment names none; None = scrape engine pods."""
    carry_over_books: bool = True
    """At start-up, take up the books a previous operator left in `prometheus_url` (its last
    scraped counters, and its engines' counters where its token books stopped), so a restart
    loses no token and no cost; `metrics.carryover` says how."""
    signal_window_seconds: float = 60.0
    """Rate window of Prometheus signals, in real seconds: a few scrape intervals. A fast demo
    clock wants it short (each real second is minutes of clock time)."""
    engine_metrics_url: str | None = None
    """Template of an engine pod's metrics URL, e.g. `http://127.0.0.1:9400/pods/{namespace}/{pod}/metrics`
    (the engine-metrics simulator of `make demo`); None = the pod's own IP and engine port."""
    peering_priority: int = 0
    """kopf peering priority of this replica; the highest one is active (give each its own)."""
    peering: str | None = None
    """kopf peering object name; set so that two replicas are safe (one is active)."""
    clock: ClockSettings = dataclasses.field(default_factory=ClockSettings)
    reconcile: ReconcileSettings = dataclasses.field(default_factory=ReconcileSettings)
    kopf: KopfSettings = dataclasses.field(default_factory=KopfSettings)
