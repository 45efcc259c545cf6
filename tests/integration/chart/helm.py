"""Helm against the chart, for the chart tests: render, lint, install, and read what came out."""

from __future__ import annotations

import dataclasses
import pathlib
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import yaml
from tests.support import cluster as cluster_support

CHART = cluster_support.ROOT / "charts" / "tokenfleet"
Obj = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Helm:
    """The pinned helm binary, talking to the test cluster."""

    cluster: cluster_support.Cluster

    @property
    def binary(self) -> pathlib.Path:
        return self.cluster.bin_dir / "helm"

    def run(
        self, *args: str, values: Mapping[str, Any] | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run helm; `values` (if given) go in through a values file."""
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as file:
            yaml.safe_dump(dict(values or {}), file)
            file.flush()
            out = subprocess.run(
                [str(self.binary), *args, *(["--values", file.name] if values is not None else [])],
                capture_output=True,
                text=True,
                env=self.cluster.env(),
                check=False,
                timeout=300,
            )
        if check and out.returncode != 0:
            raise AssertionError(f"helm {' '.join(args)} failed:\n{out.stderr}")
        return out

    def template_text(
        self,
        values: Mapping[str, Any] | None = None,
        *,
        release: str = "tokenfleet",
        namespace: str = "tokenfleet-system",
        api_versions: Sequence[str] = (),
        extra: Sequence[str] = (),
    ) -> str:
        args = ["template", release, str(CHART), "--namespace", namespace, *extra]
        for api in api_versions:
            args += ["--api-versions", api]
        return self.run(*args, values=values).stdout

    def template(
        self,
        values: Mapping[str, Any] | None = None,
        *,
        release: str = "tokenfleet",
        namespace: str = "tokenfleet-system",
        api_versions: Sequence[str] = (),
    ) -> list[Obj]:
        text = self.template_text(
            values, release=release, namespace=namespace, api_versions=api_versions
        )
        return [doc for doc in yaml.safe_load_all(text) if doc]

    def refusal(self, values: Mapping[str, Any]) -> str:
        """helm template's error for `values`; fails the test if helm accepts them."""
        out = self.run("template", "tokenfleet", str(CHART), values=values, check=False)
        assert out.returncode != 0, f"helm accepted {values!r}"
        return out.stderr


MONITORING = ("monitoring.coreos.com/v1/ServiceMonitor", "monitoring.coreos.com/v1/PrometheusRule")
"""--api-versions that make the chart render its Prometheus Operator objects."""


def of_kind(docs: Iterable[Obj], kind: str) -> list[Obj]:
    return [d for d in docs if d.get("kind") == kind]


def one(docs: Iterable[Obj], kind: str, name: str | None = None) -> Obj:
    found = [d for d in of_kind(docs, kind) if name is None or d["metadata"]["name"] == name]
    assert len(found) == 1, f"{len(found)} {kind} named {name!r}"
    return found[0]


def container(docs: Iterable[Obj]) -> Obj:
    pod = one(docs, "Deployment")["spec"]["template"]["spec"]
    assert len(pod["containers"]) == 1
    return dict(pod["containers"][0])


def env(docs: Iterable[Obj]) -> dict[str, str]:
    return {e["name"]: e.get("value", "") for e in container(docs).get("env", [])}


def rules(role: Obj) -> set[tuple[str, str, str]]:
    """A role's rules flattened to (apiGroup, resource, verb)."""
    return {
        (group, resource, verb)
        for rule in role.get("rules", [])
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }
