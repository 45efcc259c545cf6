"""The autoscaling loop end to end on the real control plane: the engine-metrics simulator serves
the running engine pods' /metrics for a fixed demand, the operator scrapes them, the planner
decides, status.lastDecision and an event say so, and the new units' pods run on KWOK nodes."""

from __future__ import annotations

import datetime as dt
import math
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from tests.support import cluster as cluster_support
from tests.support import nodes
from tests.support import operator as operator_support
from tests.support.waiting import wait_for

from tokenfleet import clock as clock_mod

pytestmark = pytest.mark.integration

INPUT_RATE, OUTPUT_RATE = 600_000, 60_000
PREFILL_UNIT, DECODE_UNIT = 4 * 73_700, 2 * 14_800


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class EngineSim:
    """The engine-metrics simulator as a process on one port, serving the cluster's engine
    pods at the fixed demand: it can be stopped (the engines' metrics gone) and started again."""

    def __init__(self, cluster: cluster_support.Cluster) -> None:
        self.cluster = cluster
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/pods/{{namespace}}/{{pod}}/metrics"

    def start(self) -> None:
        kubeconfig = str(self.cluster.kubeconfig)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tokenfleet",
                "enginesim",
                "--rate",
                f"input={INPUT_RATE},cached=0,output={OUTPUT_RATE}",
                "--engine",
                "sglang",
                "--port",
                str(self.port),
                "--discover",
                "--kubeconfig",
                kubeconfig,
                "--capacity",
                "prefill=73700,decode=14800",
            ],
            env={**os.environ, "KUBECONFIG": kubeconfig},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for("enginesim up", lambda: _listening(self.port), timeout=30)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def engines(cluster: cluster_support.Cluster, namespace: str) -> Iterator[EngineSim]:
    sim = EngineSim(cluster)
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture
def enginesim(engines: EngineSim) -> str:
    return engines.url


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _infd(pool: str) -> dict[str, Any]:
    return {
        "apiVersion": "tokenfleet.io/v1alpha1",
        "kind": "InferenceDeployment",
        "metadata": {"name": "scaled"},
        "spec": {
            "model": {"name": "deepseek-ai/DeepSeek-V3", "servedName": "deepseek-chat"},
            "engine": {"type": "sglang", "image": "engine:1"},
            "roles": {
                "prefill": {"nodesPerUnit": 4, "capacityPerNode": 73700, "maxUnits": 6},
                "decode": {"nodesPerUnit": 2, "capacityPerNode": 14800, "maxUnits": 6},
            },
            "autoscaling": {
                "intervalSeconds": 2,
                "forecast": {"enabled": False},
                "slo": {"lateTokenBudget": 0.001},
            },
            "nodePoolRef": {"name": pool},
            "pricingPlanRef": {"name": "r1"},
        },
    }


PLAN = {
    "apiVersion": "tokenfleet.io/v1alpha1",
    "kind": "PricingPlan",
    "metadata": {"name": "r1"},
    "spec": {"prices": {"inputCacheHit": 0.14, "inputCacheMiss": 0.55, "output": 2.19}},
}


def margin_available(
    cluster: cluster_support.Cluster, namespace: str, reason: str
) -> dict[str, Any]:
    """The deployment's MarginAvailable condition, once it has `reason`."""

    def found() -> dict[str, Any] | None:
        out = cluster.kubectl("get", "infd", "scaled", "-n", namespace, "-o", "yaml")
        conds = (yaml.safe_load(out.stdout).get("status") or {}).get("conditions") or []
        margin = next((c for c in conds if c["type"] == "MarginAvailable"), None)
        return margin if margin is not None and margin["reason"] == reason else None

    return wait_for(f"MarginAvailable with reason {reason}", found, timeout=30)


def _make_pool(cluster: cluster_support.Cluster) -> str:
    """A GPUNodePool of 40 KWOK nodes, ready at once; its name."""
    pool = f"h800-{uuid.uuid4().hex[:6]}"
    spec = {
        "nodeLabels": {"tokenfleet.io/pool": pool},
        "nodeTaints": [{"key": "nvidia.com/gpu", "value": "present"}],
        "maxNodes": 40,
        "provisioningDelaySeconds": 0,
        "cost": {"onDemandPerGpuHour": 2},
    }
    body = {"apiVersion": "tokenfleet.io/v1alpha1", "kind": "GPUNodePool"}
    body |= {"metadata": {"name": pool}, "spec": spec}
    cluster.kubectl("apply", "-f", "-", input=yaml.safe_dump(body))
    nodes.create_nodes(cluster, pool, 40)
    return pool


def _status(cluster: cluster_support.Cluster, namespace: str) -> dict[str, Any]:
    out = cluster.kubectl("get", "infd", "scaled", "-n", namespace, "-o", "yaml")
    status: dict[str, Any] = yaml.safe_load(out.stdout).get("status") or {}
    return status


def test_the_planner_scales_units_to_the_measured_demand(
    cluster: cluster_support.Cluster, namespace: str, enginesim: str
) -> None:
    pool = _make_pool(cluster)
    clock = clock_mod.ScaledClock(dt.datetime.now(dt.UTC), speed=1.0)
    try:
        with operator_support.running(cluster, clock, engine_metrics_url=enginesim):
            cluster.kubectl("apply", "-n", namespace, "-f", "-", input=yaml.safe_dump(PLAN))
            cluster.kubectl("apply", "-n", namespace, "-f", "-", input=yaml.safe_dump(_infd(pool)))

            def decided() -> dict[str, Any] | None:
                out = cluster.kubectl("get", "infd", "scaled", "-n", namespace, "-o", "yaml")
                status = yaml.safe_load(out.stdout).get("status") or {}
                units = (status.get("lastDecision") or {}).get("units") or {}
                return (
                    status if units.get("prefill", 1) > 1 and units.get("decode", 1) > 1 else None
                )

            status = wait_for("a scale-up decision", decided, timeout=90)
            units = status["lastDecision"]["units"]
            # Enough units at the 0.85 target, and not more than one spare.
            need_prefill = math.ceil(INPUT_RATE / (PREFILL_UNIT * 0.85))
            need_decode = math.ceil(OUTPUT_RATE / (DECODE_UNIT * 0.85))
            assert need_prefill <= units["prefill"] <= need_prefill + 1, status["lastDecision"]
            assert need_decode <= units["decode"] <= need_decode + 1, status["lastDecision"]
            assert "prefill" in status["lastDecision"]["reason"]
            conds = {c["type"]: c["status"] for c in status["conditions"]}
            assert conds["SignalsAvailable"] == "True" and conds["NodesAvailable"] == "True"

            def all_running() -> bool:
                pods = yaml.safe_load(
                    cluster.kubectl("get", "pods", "-n", namespace, "-o", "yaml").stdout
                )["items"]
                running = [p for p in pods if p["status"].get("phase") == "Running"]
                return len(running) == units["prefill"] * 4 + units["decode"] * 2

            wait_for("every pod of the new units running", all_running, timeout=90)
            events = cluster.kubectl(
                "get", "events", "-n", namespace, "--field-selector", "reason=ScaledUp"
            ).stdout
            assert "ScaledUp" in events

            # Cost per token and margin, priced by the plan, in status and printer columns.
            def economics() -> dict[str, Any] | None:
                out = cluster.kubectl("get", "infd", "scaled", "-n", namespace, "-o", "yaml")
                found = (yaml.safe_load(out.stdout).get("status") or {}).get("economics") or {}
                return found if found.get("costPerMillionOutputTokens") else None

            # The late-token budget the day used so far, booked step by step (how many tokens
            # were late depends on how fast the new units came up: unit tests hold the sums).
            def slo() -> dict[str, Any] | None:
                found = _status(cluster, namespace).get("slo") or {}
                return (
                    found if found.get("windowSeconds") and "lateTokenFraction" in found else None
                )

            used = wait_for("the late-token budget used in status", slo, timeout=60)
            assert used["lateTokenBudget"] == 0.001
            assert used["budgetUsed"] == pytest.approx(used["lateTokenFraction"] / 0.001)

            money = wait_for("economics in status", economics, timeout=60)
            assert money["currency"] == "USD"
            assert money["costPerMillionOutputTokens"] > 0 and money["margin"] > -1

            def printed() -> bool:
                # Status moves on between two reads: the column must show the value of the
                # status read just before it, at some point.
                found = economics()
                row = cluster.kubectl("get", "infd", "scaled", "-n", namespace).stdout
                cost = f"{(found or {}).get('costPerMillionOutputTokens', 0):g}"
                return cost in row.splitlines()[1].split()

            wait_for("the cost per million output tokens as a printer column", printed, 30)
            assert margin_available(cluster, namespace, "Priced")["status"] == "True"

            # A plan in another currency than the pool's: margin cannot be worked out; the
            # condition and one warning event say why. Gone: the same, then priced again.
            in_euros = {**PLAN, "spec": {**PLAN["spec"], "currency": "EUR"}}
            cluster.kubectl("apply", "-n", namespace, "-f", "-", input=yaml.safe_dump(in_euros))
            mismatch = margin_available(cluster, namespace, "CurrencyMismatch")
            assert mismatch["status"] == "False" and "prices in EUR" in mismatch["message"]
            cluster.kubectl("delete", "pricingplan", "r1", "-n", namespace)
            missing = margin_available(cluster, namespace, "PlanNotFound")
            assert "does not exist" in missing["message"]
            cluster.kubectl("apply", "-n", namespace, "-f", "-", input=yaml.safe_dump(PLAN))
            assert margin_available(cluster, namespace, "Priced")["status"] == "True"
            for reason in ("CurrencyMismatch", "PlanNotFound"):
                told = cluster.kubectl(
                    "get",
                    "events",
                    "-n",
                    namespace,
                    "--field-selector",
                    f"reason={reason}",
                    "-o",
                    "jsonpath={.items[*].count}",
                ).stdout.split()
                assert told == ["1"], f"one {reason} event, got {told}"
    finally:
        cluster.kubectl("delete", "gpool", pool, "--wait=false", check=False)
        nodes.delete_nodes(cluster, pool)


def test_without_signals_the_planner_holds_and_resumes_when_they_return(
    cluster: cluster_support.Cluster, namespace: str, engines: EngineSim
) -> None:
    """A fault drill: the engines' metrics go away (the direct scrape fails as a Prometheus that
    is down does: no demand is read). The planner holds its last decision, says so in
    SignalsAvailable=False, removes no unit, and decides again once the metrics return."""
    pool = _make_pool(cluster)
    clock = clock_mod.ScaledClock(dt.datetime.now(dt.UTC), speed=1.0)
    try:
        with operator_support.running(cluster, clock, engine_metrics_url=engines.url):
            cluster.kubectl("apply", "-n", namespace, "-f", "-", input=yaml.safe_dump(PLAN))
            cluster.kubectl("apply", "-n", namespace, "-f", "-", input=yaml.safe_dump(_infd(pool)))

            def scaled() -> dict[str, int] | None:
                units = (_status(cluster, namespace).get("lastDecision") or {}).get("units") or {}
                return units if units.get("prefill", 1) > 1 else None

            units = wait_for("a scale-up decision", scaled, timeout=90)

            def signals(status: str) -> dict[str, Any] | None:
                found = _status(cluster, namespace)
                conds = {c["type"]: c for c in found.get("conditions") or []}
                cond = conds.get("SignalsAvailable")
                return found if cond is not None and cond["status"] == status else None

            engines.stop()
            held = wait_for("SignalsAvailable=False", lambda: signals("False"), timeout=30)
            assert held["lastDecision"]["units"] == units
            # Several steps later (every 2 s) nothing moved: same decision, same units wanted.
            time.sleep(8)
            later = _status(cluster, namespace)
            assert later["lastDecision"]["units"] == units
            wanted = {role: r["desiredUnits"] for role, r in later["roles"].items()}
            assert wanted == units
            cond = next(c for c in later["conditions"] if c["type"] == "SignalsAvailable")
            assert cond["status"] == "False" and "prefill" in cond["message"]

            engines.start()
            back = wait_for("SignalsAvailable=True", lambda: signals("True"), timeout=60)
            # The same demand: the same units.
            assert back["lastDecision"]["units"] == units
    finally:
        cluster.kubectl("delete", "gpool", pool, "--wait=false", check=False)
        nodes.delete_nodes(cluster, pool)
