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
from collections.abc import Iterator, Mapping
from typing import Any, TextIO

import httpx
import yaml

from tokenfleet import clock as clock_mod
from tokenfleet.api import common
from tokenfleet.api import gpu_node_pool as pool_api
from tokenfleet.api import inference_deployment as infd_api
from tokenfleet.controllers import operator, settings
from tokenfleet.demo import late, stack, summary
from tokenfleet.kube import client as kube_client
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


@dataclasses.dataclass(frozen=True)
class Result:
    summary: summary.Summary
    report: pathlib.Path | None


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

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")


def _prom_query(url: str) -> summary.QueryFn:
    def query(expr: str, at: float) -> float | None:
        response = httpx.get(f"{url}/api/v1/query", params={"query": expr, "time": at}, timeout=10)
        response.raise_for_status()
        result = response.json()["data"]["result"]
        return float(result[0]["value"][1]) if result else None

    return query


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
                    "--model-name",
                    infd.spec.model.served_name or infd.spec.model.name,
                ],
                opts.out / "enginesim.log",
                sim_port,
            )
        )
        op = operator.build(
            settings.Settings(
                kubeconfig=str(cluster.kubeconfig),
                metrics_port=metrics_port,
                metrics_host="127.0.0.1",
                # Signals through Prometheus: a few queries a step instead of a scrape of every
                # engine pod; a short window, as each real second is minutes of clock time.
                prometheus_url=prom.url,
                signal_window_seconds=4.0,
                reconcile=settings.ReconcileSettings(min_real_interval=0.25),
            ),
            clock=clock,
            kube=kube,
        )
        prom.set_targets("operator", [f"127.0.0.1:{metrics_port}"], {"job": "tokenfleet"})
        # One target for every simulated engine pod (each series carries its pod's labels).
        prom.set_targets(
            "engines",
            [f"127.0.0.1:{sim_port}"],
            {"job": "engines", "__metrics_path__": "/fleet/metrics"},
        )
        exits.enter_context(operator.InThread(op))
        exits.enter_context(_fleet(kube, docs, opts.namespace))

        account = late.LateTokens(trace, unit_capacity)
        progress = Progress(out)
        peak_nodes = 0.0
        t_prev = -opts.warmup_seconds
        real_start: float | None = None
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
        progress.close()
        real_end = time.time()
        time.sleep(3)  # one more scrape of the final counters
        assert real_start is not None
        figures = summary.read(
            _prom_query(prom.url),
            opts.namespace,
            naming.label_value(name),
            pool.spec.gpus_per_node,
            real_start,
            real_end,
            day,
            peak_nodes,
            account.fraction,
            pool.spec.cost.currency,
        )
        print(summary.render(figures), file=out)
        report = _report(prom.url, real_start, real_end, opts, out)
        return Result(summary=figures, report=report)


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
