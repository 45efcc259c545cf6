"""The demo's day: the real operator scales a sample fleet through a demand trace on a fast clock.

Everything runs for real on this machine: the control plane with KWOK H800 nodes, a Prometheus
scraping the operator and the engine-metrics simulator, and the operator itself (in this
process, on a `ScaledClock` it shares with the simulator through one real anchor). The clock
starts a warm-up before the trace's first row, so the fleet is sized for the first minute when
the day starts; the warm-up is not counted in the figures.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import pathlib
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TextIO

import httpx
import yaml
from prometheus_client.registry import CollectorRegistry

from tokenfleet import clock as clock_mod
from tokenfleet.api import common
from tokenfleet.api import gpu_node_pool as pool_api
from tokenfleet.api import inference_deployment as infd_api
from tokenfleet.controllers import loop_metrics, operator, settings
from tokenfleet.demo import books as books_mod
from tokenfleet.demo import late, stack, summary, timing
from tokenfleet.kube import client as kube_client
from tokenfleet.sim import fleet as sim_fleet
from tokenfleet.sim import replay
from tokenfleet.sim import report as sim_report
from tokenfleet.sim import run as sim_run
from tokenfleet.sim import trace as trace_mod
from tokenfleet.workloads import naming


@dataclasses.dataclass(frozen=True)
class Options:
    trace: pathlib.Path
    sample: pathlib.Path
    speed: float
    start: dt.datetime
    warmup_seconds: float
    namespace: str
    out: pathlib.Path
    keep: bool
    duration_seconds: float | None = None
    """Replay only this much of the trace (clock seconds); the whole trace when None."""
    restart_at_seconds: float | None = None
    """Stop the operator at this trace second and start a new one, as after a crash: it must
    rebuild the planner's memory and take up the books from Prometheus."""


@dataclasses.dataclass(frozen=True)
class Result:
    summary: summary.Summary
    report: pathlib.Path | None
    books: books_mod.Books
    """Tokens the operator booked over the counted day, beside what the engines served and the
    trace sent over their span."""
    simulated: sim_report.Result
    """`tokenfleet simulate` of the same hours, start and fleet, reading demand as the live
    loop does (`signal`)."""
    signal: replay.Signal
    timing: list[timing.LoopTiming]
    restarted: str | None = None
    """What the restarted operator said it rebuilt (its PlannerMemoryRestored event), or None:
    no restart, or it rebuilt nothing."""


LINGER_SCRAPES = 5
"""Scrapes a gone engine pod is still shown for: its last tokens reach the books."""
SIGNAL_WINDOW_SECONDS = 4.0
"""The operator's rate window in `make demo` (real seconds): a few scrapes."""


def live_signal(speed: float) -> replay.Signal:
    """The demand reading the live loop gets at `speed`, in clock seconds: a rate over a window
    of a few scrapes, whose newest sample is up to a scrape old (half of one on average)."""
    return replay.Signal(SIGNAL_WINDOW_SECONDS * speed, stack.SCRAPE_SECONDS * speed / 2)


def simulated(opts: Options, day: float) -> tuple[sim_report.Result, replay.Signal]:
    """The same hours through `tokenfleet simulate`, with the live loop's signal."""
    signal = live_signal(opts.speed)
    trace = trace_mod.load(opts.trace).first(day)
    outcome = sim_run.simulate(
        trace, sim_fleet.load(opts.sample), ["tokenfleet"], start=opts.start, signal=signal
    )
    return outcome.results[0], signal


def comparison(live: summary.Summary, sim: sim_report.Result, signal: replay.Signal) -> str:
    """The demo's figures beside `tokenfleet simulate`'s for the same hours."""
    window = signal.window_seconds or 0.0
    return "\n".join(
        [
            f"tokenfleet simulate of the same hours (demand read over {window:,.0f} s, "
            f"{signal.delay_seconds:,.0f} s old, as the live loop reads it at this speed):",
            f"  node-hours   live {live.node_hours:,.0f}  simulate {sim.node_hours:,.0f}",
            f"  late tokens  live {live.late_token_fraction * 100:.3f}%  "
            f"simulate {sim.late_token_fraction * 100:.3f}%",
        ]
    )


def _docs(path: pathlib.Path) -> dict[str, dict[str, Any]]:
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    by_kind: dict[str, dict[str, Any]] = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], doc)
    missing = {"GPUNodePool", "InferenceDeployment"} - set(by_kind)
    if missing:
        raise SystemExit(f"{path}: the sample needs a {' and a '.join(sorted(missing))}")
    return by_kind


def _apply_crds(kube: kube_client.Kube) -> None:
    for path in sorted((stack.ROOT / "crds").glob("*.yaml")):
        kube.apply(yaml.safe_load(path.read_text()))
    deadline = time.monotonic() + 60
    for path in sorted((stack.ROOT / "crds").glob("*.yaml")):
        name = yaml.safe_load(path.read_text())["metadata"]["name"]
        while True:
            crd = kube.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", name)
            conds = (crd.get("status") or {}).get("conditions") or []
            if any(c["type"] == "Established" and c["status"] == "True" for c in conds):
                break
            if time.monotonic() > deadline:
                raise stack.StackError(f"CRD {name} not Established")
            time.sleep(0.2)


class Progress:
    """One status line, redrawn in place on a terminal, every 10% otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.last_decile = -1

    def show(self, fraction: float, text: str) -> None:
        fraction = min(1.0, max(0.0, fraction))
        bar = "#" * int(fraction * 30) + "." * (30 - int(fraction * 30))
        line = f"[{bar}] {fraction * 100:5.1f}%  {text}"
        if self.tty:
            self.stream.write("\r" + line[:160].ljust(160))
            self.stream.flush()
        elif int(fraction * 10) != self.last_decile:
            self.last_decile = int(fraction * 10)
            self.stream.write(line + "\n")
            self.stream.flush()

    def note(self, text: str) -> None:
        """A line of its own, above the status line."""
        self.stream.write(("\r" + " " * 160 + "\r" if self.tty else "") + text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")


def _prom_value(url: str, expr: str) -> float | None:
    """An expression's value now; None when it returns nothing."""
    response = httpx.get(f"{url}/api/v1/query", params={"query": expr}, timeout=10)
    response.raise_for_status()
    result = response.json()["data"]["result"]
    return float(result[0]["value"][1]) if result else None


def _prom_series(url: str, start: float, end: float) -> summary.SeriesFn:
    """Expressions' samples between two real times, a point per scrape (fewer on a long run:
    a range query holds at most 11,000 points)."""
    step = max(stack.SCRAPE_SECONDS, (end - start) / 10_000)

    def series(expr: str) -> list[tuple[float, float]]:
        response = httpx.get(
            f"{url}/api/v1/query_range",
            params={"query": expr, "start": start, "end": end, "step": step},
            timeout=60,
        )
        response.raise_for_status()
        result = response.json()["data"]["result"]
        return [(float(t), float(v)) for t, v in result[0]["values"]] if result else []

    return series


BOOKS_WAIT_SECONDS = 120.0
"""How long the demo waits, after the replay, for the operator's books to reach the day's end
(a pool step that began before it can run on for tens of real seconds on a busy machine)."""


def _wait_for_books(url: str, exprs: Iterable[str], clock_end: float) -> bool:
    """Wait until every as-of instant in `exprs`, as Prometheus scraped it, reaches
    `clock_end`; False if they did not within BOOKS_WAIT_SECONDS."""
    deadline = time.monotonic() + BOOKS_WAIT_SECONDS
    while True:
        values = [_prom_value(url, expr) for expr in exprs]
        if all(v is not None and v >= clock_end for v in values):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(stack.SCRAPE_SECONDS)


def _histograms(registry: CollectorRegistry, name: str) -> dict[str, dict[float, float]]:
    """Cumulative bucket counts per loop of one of the operator's histograms, now."""
    out: dict[str, dict[float, float]] = {}
    for family in registry.collect():
        for sample in family.samples:
            if sample.name == name + "_bucket":
                loop = sample.labels.get("loop", "")
                out.setdefault(loop, {})[float(sample.labels["le"])] = sample.value
    return out


def _timing_snapshot(registry: CollectorRegistry) -> tuple[dict[str, Any], dict[str, Any]]:
    return (
        _histograms(registry, loop_metrics.RECONCILE_SECONDS),
        _histograms(registry, loop_metrics.LAG_SECONDS),
    )


Timing = tuple[dict[str, Any], dict[str, Any]]


def _timing_since(now: Timing, before: Timing) -> Timing:
    """What the step and lag histograms counted since `before`, per loop."""
    return (
        {k: timing.difference(v, before[0].get(k, {})) for k, v in now[0].items()},
        {k: timing.difference(v, before[1].get(k, {})) for k, v in now[1].items()},
    )


def _timing_sum(a: Timing, b: Timing) -> Timing:
    """Two spans' counts together (an operator's, then its successor's)."""

    def add(x: dict[str, Any], y: dict[str, Any]) -> dict[str, Any]:
        out = {k: dict(v) for k, v in x.items()}
        for loop, buckets in y.items():
            mine = out.setdefault(loop, {})
            for bound, count in buckets.items():
                mine[bound] = mine.get(bound, 0.0) + count
        return out

    return add(a[0], b[0]), add(a[1], b[1])


def _memory_event(kube: kube_client.Kube, namespace: str, name: str) -> str | None:
    """The message of the deployment's newest PlannerMemoryRestored event, if any."""
    found = [
        e
        for e in kube.list("v1", "Event", namespace, fresh=True)
        if e.get("reason") == "PlannerMemoryRestored"
        and (e.get("involvedObject") or {}).get("name") == name
    ]
    if not found:
        return None
    newest = max(found, key=lambda e: str(e.get("lastTimestamp") or ""))
    return str(newest.get("message") or "")


def _role_units(status: Mapping[str, Any] | None) -> dict[str, int]:
    roles = (status or {}).get("roles") or {}
    return {name: int(r.get("readyUnits") or 0) for name, r in roles.items()}


def _log_to(path: pathlib.Path) -> None:
    """The operator's log goes to a file; the terminal shows progress and the figures."""
    handler = logging.FileHandler(path, mode="w")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # kopf logs every handler run at INFO: thousands of lines a minute at a fast clock.
    logging.getLogger("kopf.objects").setLevel(logging.WARNING)


def _wait_gone(kube: kube_client.Kube, api_version: str, kind: str, name: str) -> None:
    """A previous run's object still being deleted: wait until it is gone (deletion is
    asynchronous, and a namespace being terminated refuses new objects)."""
    deadline = time.monotonic() + 120
    while (obj := kube.get_or_none(api_version, kind, name)) is not None:
        if not obj["metadata"].get("deletionTimestamp"):
            return
        if time.monotonic() > deadline:
            raise stack.StackError(f"{kind} {name} from an earlier run is still being deleted")
        time.sleep(0.5)


@contextlib.contextmanager
def _fleet(kube: kube_client.Kube, docs: dict[str, dict[str, Any]], ns: str) -> Iterator[None]:
    pool_name = docs["GPUNodePool"]["metadata"]["name"]
    kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    try:
        for kind in ("GPUNodePool", "PricingPlan", "InferenceDeployment"):
            if kind in docs:
                doc = dict(docs[kind])
                if kind != "GPUNodePool":
                    doc["metadata"] = {**doc["metadata"], "namespace": ns}
                kube.apply(doc)
        yield
    finally:
        # Deleted while the operator still runs: it releases its finalizers as it goes.
        with contextlib.suppress(kube_client.KubeError):
            kube.delete("v1", "Namespace", ns)
            kube.delete(common.API_VERSION, "GPUNodePool", pool_name)
            _wait_gone(kube, "v1", "Namespace", ns)
            _wait_gone(kube, common.API_VERSION, "GPUNodePool", pool_name)
            for node in kube.list("v1", "Node", labels={"tokenfleet.io/pool": pool_name}):
                kube.delete("v1", "Node", node["metadata"]["name"])


def run(opts: Options, out: TextIO = sys.stdout) -> Result:
    docs = _docs(opts.sample)
    infd = infd_api.InferenceDeployment.model_validate(docs["InferenceDeployment"])
    pool = pool_api.GPUNodePool.model_validate(docs["GPUNodePool"])
    trace = trace_mod.load(opts.trace)
    day = min(trace.seconds, opts.duration_seconds or trace.seconds)
    name = infd.metadata["name"]
    label = naming.label_value(name)
    roles = dict(infd.spec.roles.items())
    unit_capacity: dict[str, float] = {
        r: s.nodes_per_unit * s.capacity_per_node for r, s in roles.items()
    }
    real_day = (day + opts.warmup_seconds) / opts.speed
    print(
        f"tokenfleet demo: {opts.sample.name} through {opts.trace.name} "
        f"({day / 3600:.1f} h at {opts.speed:g}x: about {real_day / 60:.1f} min)",
        file=out,
    )
    opts.out.mkdir(parents=True, exist_ok=True)
    _log_to(opts.out / "operator.log")
    with contextlib.ExitStack() as exits:
        cluster = exits.enter_context(stack.control_plane(opts.keep))
        prom = exits.enter_context(stack.prometheus(opts.keep))
        kube = kube_client.Kube.from_kubeconfig(cluster.kubeconfig)
        exits.callback(kube.close)
        _apply_crds(kube)
        # A previous run's namespace or pool may still be going away: wait before the clock
        # starts, since a terminating namespace refuses new objects.
        _wait_gone(kube, "v1", "Namespace", opts.namespace)
        _wait_gone(kube, common.API_VERSION, "GPUNodePool", pool.metadata["name"])

        now = time.time()
        operator_anchor = now + 3.0
        trace_anchor = operator_anchor + opts.warmup_seconds / opts.speed
        clock = clock_mod.ScaledClock(
            opts.start - dt.timedelta(seconds=opts.warmup_seconds), opts.speed, operator_anchor
        )
        sim_port, metrics_port = stack.free_port(), stack.free_port()
        capacity = ",".join(f"{r}={s.capacity_per_node:g}" for r, s in roles.items())
        exits.enter_context(
            stack.enginesim(
                [
                    "--trace",
                    str(opts.trace),
                    "--engine",
                    infd.spec.engine.type.value,
                    "--speed",
                    f"{opts.speed:g}",
                    "--start",
                    opts.start.isoformat(),
                    "--anchor",
                    f"{trace_anchor:.3f}",
                    "--discover",
                    "--kubeconfig",
                    str(cluster.kubeconfig),
                    "--capacity",
                    capacity,
                    "--linger",
                    f"{LINGER_SCRAPES * stack.SCRAPE_SECONDS * opts.speed:g}",
                    "--model-name",
                    infd.spec.model.served_name or infd.spec.model.name,
                ],
                opts.out / "enginesim.log",
                sim_port,
            )
        )
        operator_settings = settings.Settings(
            kubeconfig=str(cluster.kubeconfig),
            metrics_port=metrics_port,
            metrics_host="127.0.0.1",
            # Signals through Prometheus: a few queries a step instead of a scrape of every
            # engine pod; a short window, as each real second is minutes of clock time.
            prometheus_url=prom.url,
            signal_window_seconds=SIGNAL_WINDOW_SECONDS,
            reconcile=settings.ReconcileSettings(min_real_interval=0.25),
            # A Prometheus kept from an earlier run holds that run's books: start from zero.
            carry_over_books=False,
        )
        op = operator.build(operator_settings, clock=clock, kube=kube)
        prom.set_targets("operator", [f"127.0.0.1:{metrics_port}"], {"job": "tokenfleet"})
        # One target for every simulated engine pod (each series carries its pod's labels).
        prom.set_targets(
            "engines",
            [f"127.0.0.1:{sim_port}"],
            {"job": "engines", "__metrics_path__": "/fleet/metrics"},
        )
        running = [operator.InThread(op).__enter__()]
        exits.callback(lambda: running[0].__exit__(None, None, None))
        exits.enter_context(_fleet(kube, docs, opts.namespace))
        restart_at = opts.restart_at_seconds
        restarted: str | None = None
        timing_before: tuple[dict[str, Any], dict[str, Any]] = ({}, {})
        """What the loops counted under operators stopped since the day began."""

        account = late.LateTokens(trace, unit_capacity)
        progress = Progress(out)
        peak_nodes = 0.0
        t_prev = -opts.warmup_seconds
        real_start: float | None = None
        books_start = books_mod.Read()
        timing_start: tuple[dict[str, Any], dict[str, Any]] = ({}, {})
        while True:
            time.sleep(0.5)
            t = (clock.now() - opts.start).total_seconds()
            body = kube.get_or_none(common.API_VERSION, "InferenceDeployment", name, opts.namespace)
            status = (body or {}).get("status") or {}
            pool_body = kube.get_or_none(common.API_VERSION, "GPUNodePool", pool.metadata["name"])
            nodes = ((pool_body or {}).get("status") or {}).get("nodes") or {}
            units = _role_units(status)
            if t >= 0:
                if real_start is None:
                    real_start = time.time()
                    timing_start = _timing_snapshot(op.ctx.ledger.registry)
                if books_start.as_of is None:
                    # Until the books first reach a reading (a starved operator may not have
                    # read the engines yet), there is nothing to count from.
                    books_start = books_mod.read(op.ctx.ledger.registry)
                account.charge(max(0.0, t_prev), min(t, day), units)
                peak_nodes = max(peak_nodes, float(status.get("nodes") or 0))
            t_prev = t
            stamp = (opts.start + dt.timedelta(seconds=t)).strftime("%a %H:%M")
            desired = {
                r: int(v.get("desiredUnits") or 0) for r, v in status.get("roles", {}).items()
            }
            unit_text = " ".join(f"{r} {u}/{desired.get(r, 0)}" for r, u in units.items())
            progress.show(
                max(0.0, t) / day,
                f"{stamp}  nodes {nodes.get('ready', 0)} ready, {nodes.get('provisioning', 0)} "
                f"provisioning, {nodes.get('lent', 0)} lent  units {unit_text}  "
                f"late {account.fraction * 100:.2f}%",
            )
            if t >= day:
                break
            if restart_at is not None and t >= restart_at:
                restart_at = None
                timing_before = _timing_sum(
                    timing_before,
                    _timing_since(_timing_snapshot(op.ctx.ledger.registry), timing_start),
                )
                timing_start = ({}, {})
                running[0].__exit__(None, None, None)
                op = operator.build(
                    dataclasses.replace(operator_settings, carry_over_books=True),
                    clock=clock,
                    kube=kube,
                )
                running[0] = operator.InThread(op).__enter__()
                progress.note(f"{stamp}  operator stopped and started again")
        progress.close()
        real_end = time.time()
        timing_end = _timing_sum(
            timing_before, _timing_since(_timing_snapshot(op.ctx.ledger.registry), timing_start)
        )
        if opts.restart_at_seconds is not None:
            restarted = _memory_event(kube, opts.namespace, name)
        assert real_start is not None
        day_span = (opts.start.timestamp(), opts.start.timestamp() + day)
        as_of = {
            q.as_of
            for q in summary.queries(opts.namespace, label, pool.spec.gpus_per_node).values()
        }
        if not _wait_for_books(prom.url, sorted(as_of), day_span[1]):
            progress.note(
                f"the operator's books did not reach the day's end within "
                f"{BOOKS_WAIT_SECONDS:.0f} s: the figures stop short of it"
            )
        books_end = books_mod.read(op.ctx.ledger.registry)
        books = books_mod.over(
            books_start,
            books_end,
            opts.trace,
            opts.start,
            (
                books_mod.waiting_at(prom.url, opts.namespace, books_start.read_at),
                books_mod.waiting_at(prom.url, opts.namespace, books_end.read_at),
            ),
            books_mod.dropped_between(
                prom.url, opts.namespace, books_start.read_at, books_end.read_at
            ),
        )
        figures = summary.read(
            _prom_series(prom.url, operator_anchor - 5, time.time()),
            opts.namespace,
            label,
            pool.spec.gpus_per_node,
            day_span,
            peak_nodes,
            account.fraction,
            pool.spec.cost.currency,
        )
        print(summary.render(figures), file=out)
        loops = timing.timings(timing_end[0], timing_end[1], loop_metrics.LOOPS)
        sim, signal = simulated(opts, day)
        print(comparison(figures, sim, signal), file=out)
        print(books_mod.line(books), file=out)
        if opts.restart_at_seconds is not None:
            print(f"restart: {restarted or 'the planner rebuilt no memory'}", file=out)
        print(timing.render(loops), file=out)
        print(
            timing.verdict(loops, float(infd.spec.autoscaling.interval_seconds), opts.speed),
            file=out,
        )
        report = _report(prom.url, real_start, real_end, opts, out)
        return Result(
            summary=figures,
            report=report,
            books=books,
            simulated=sim,
            signal=signal,
            timing=loops,
            restarted=restarted,
        )


def _report(url: str, t0: float, t1: float, opts: Options, out: TextIO) -> pathlib.Path | None:
    """Render the day's report (PNG and HTML) from Prometheus with `tokenfleet report`."""
    opts.out.mkdir(parents=True, exist_ok=True)

    def iso(t: float) -> str:
        return dt.datetime.fromtimestamp(t, dt.UTC).isoformat()

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tokenfleet",
            "report",
            str(opts.out),
            "--prometheus",
            url,
            "--start",
            iso(t0),
            "--end",
            iso(t1),
            "--title",
            f"tokenfleet demo: {opts.sample.name} through {opts.trace.name}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        print(f"report: not written ({result.stderr.strip()[-500:]})", file=out)
        return None
    written = [pathlib.Path(line) for line in result.stdout.split()]
    print("report: " + ", ".join(str(p) for p in written), file=out)
    html = [p for p in written if p.suffix == ".html"]
    return html[0] if html else None
