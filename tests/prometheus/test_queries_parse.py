"""Prometheus's own tooling accepts our PromQL and the relabelling we document for engine pods."""

from __future__ import annotations

import pathlib
import subprocess

import pytest
import yaml

from tokenfleet.signals import labels, promql

pytestmark = pytest.mark.prometheus


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=60)


def test_every_query_parses_as_promql(tmp_path: pathlib.Path, prometheus: object) -> None:
    rules = [
        {"record": f"tokenfleet:test_{reading.value}", "expr": promql.query(reading, 30)}
        for reading in promql.Reading
    ]
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "signals", "rules": rules}]}))
    done = promtool("check", "rules", str(path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(rules)} rules found" in done.stdout


def test_the_documented_pod_relabelling_is_a_valid_scrape_config(
    tmp_path: pathlib.Path, prometheus: object
) -> None:
    config = {
        "scrape_configs": [
            {
                "job_name": "tokenfleet-engines",
                # Debian builds Prometheus without Kubernetes discovery; the rules are the same.
                "static_configs": [{"targets": ["127.0.0.1:30000"]}],
                "relabel_configs": labels.RELABEL_CONFIGS,
            }
        ]
    }
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    done = promtool("check", "config", str(path))
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_broken_query_is_caught_by_the_same_check(
    tmp_path: pathlib.Path, prometheus: object
) -> None:
    path = tmp_path / "rules.yml"
    path.write_text(
        yaml.safe_dump(
            {"groups": [{"name": "x", "rules": [{"record": "x:y", "expr": "sum by ("}]}]}
        )
    )
    assert promtool("check", "rules", str(path)).returncode != 0
