"""The PricingPlan controller on the real API server: status shows the prices in force and the
active window, and is rewritten when the process clock crosses a window edge."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import yaml
from tests.support import cluster as cluster_support
from tests.support import operator as operator_support
from tests.support.waiting import wait_for

from tokenfleet import clock as clock_mod

pytestmark = pytest.mark.integration

SAMPLE = cluster_support.ROOT / "manifests" / "samples" / "deepseek-v3.yaml"


def _status(cluster: cluster_support.Cluster, ns: str) -> dict[str, Any]:
    out = cluster.kubectl("get", "pp", "deepseek", "-n", ns, "-o", "yaml").stdout
    return dict(yaml.safe_load(out).get("status") or {})


def test_status_follows_the_night_discount_across_its_edge(
    cluster: cluster_support.Cluster, namespace: str
) -> None:
    plan = list(yaml.safe_load_all(SAMPLE.read_text()))[1]
    cluster.kubectl("apply", "-n", namespace, "-f", "-", input=yaml.safe_dump(plan))
    clock = clock_mod.FakeClock(dt.datetime(2025, 3, 3, 16, 29, tzinfo=dt.UTC))
    with operator_support.running(cluster, clock):
        by_day = wait_for(
            "list prices in status",
            lambda: (s := _status(cluster, namespace)).get("activeWindow") == "list" and s,
        )
        assert by_day["nextChange"] == "2025-03-03T16:30:00Z"
        assert by_day["pricesInForce"]["deepseek-reasoner"]["output"] == 2.19

        clock.set(dt.datetime(2025, 3, 3, 16, 30, tzinfo=dt.UTC))
        night = wait_for(
            "the night windows in status",
            lambda: (
                (s := _status(cluster, namespace)).get("activeWindow") == "night-v3,night-r1" and s
            ),
            timeout=15,
        )
        assert night["pricesInForce"]["deepseek-reasoner"]["output"] == 0.5475
        assert night["nextChange"] == "2025-03-04T00:30:00Z"
    columns = cluster.kubectl("get", "pp", "deepseek", "-n", namespace).stdout.splitlines()
    assert columns[1].split()[:4] == ["deepseek", "USD", "night-v3,night-r1", "2.19"]
