"""`tokenfleet render -f FLEET.yaml`: every object the operator would write for the fleet's
InferenceDeployments, and each rank's engine command line, as YAML on stdout, with no cluster.

Units per role are what the unit reconcile starts with (`minUnits`, raised by the schedule's
floor in force at `--at`), or `--units`. The objects come from the renderers the controller
applies (`workloads.fleet`), so `tokenfleet render -f x.yaml | kubectl apply -f -` writes what
the operator would, owner references aside (they need the deployment's uid). Also runs as a
kubectl plugin: `kubectl tokenfleet render -f x.yaml`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import pathlib
import shlex
import sys
from collections.abc import Iterable
from typing import Any, TextIO

import pydantic
import yaml

from tokenfleet.api import gpu_node_pool as pool_api
from tokenfleet.api import inference_deployment as infd_api
from tokenfleet.controllers import desired_units
from tokenfleet.workloads import errors, fleet


class RenderInputError(ValueError):
    """The file cannot be rendered; the message says why."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "render",
        help="print what the operator would write for a fleet file, with no cluster",
        description="Print, as YAML, every object the operator writes for each "
        "InferenceDeployment in the files (units' Services, PodGroups and StatefulSets, or "
        "LeaderWorkerSets, "
        "the router), with each unit's ranks' engine command lines as comments. The "
        "GPUNodePool each deployment names must be in the files too.",
    )
    parser.add_argument(
        "-f",
        "--filename",
        action="append",
        required=True,
        metavar="FILE",
        help="a YAML file of GPUNodePools and InferenceDeployments ('-' reads stdin); repeatable",
    )
    parser.add_argument(
        "-n",
        "--namespace",
        default=None,
        help="namespace of deployments that name none (default: 'default')",
    )
    parser.add_argument(
        "--at",
        type=dt.datetime.fromisoformat,
        default=None,
        help="instant whose schedule floor sets the starting units (ISO 8601; default: now)",
    )
    parser.add_argument(
        "--units",
        default="",
        metavar="ROLE=N,...",
        help="units per role instead of the starting ones, e.g. prefill=3,decode=2",
    )
    parser.add_argument(
        "--without-podgroups",
        action="store_true",
        help="render units as on a cluster that serves no scheduling.k8s.io/v1beta1 PodGroups "
        "(their pods are then placed one at a time); by default each unit is a PodGroup",
    )
    parser.set_defaults(func=run)


def _docs(paths: Iterable[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in paths:
        text = sys.stdin.read() if path == "-" else pathlib.Path(path).read_text()
        out += [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]
    return out


def _units(text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in filter(None, text.split(",")):
        role, sep, count = item.partition("=")
        if not sep or not count.strip().isdigit():
            raise RenderInputError(f"--units: {item!r} is not ROLE=N")
        out[role.strip()] = int(count)
    return out


def render(
    docs: list[dict[str, Any]],
    at: dt.datetime,
    namespace: str | None = None,
    units: dict[str, int] | None = None,
    gang: bool = True,
) -> str:
    """The YAML stream for every InferenceDeployment in `docs`; with `gang`, each unit is a
    PodGroup, as the operator writes it where the API server serves them."""
    pools: dict[str, pool_api.GPUNodePoolSpec] = {}
    deployments: list[infd_api.InferenceDeployment] = []
    for doc in docs:
        kind, name = doc.get("kind"), (doc.get("metadata") or {}).get("name", "?")
        try:
            if kind == "GPUNodePool":
                pools[name] = pool_api.GPUNodePool.model_validate(doc).spec
            elif kind == "InferenceDeployment":
                meta = {"namespace": namespace or "default", **doc.get("metadata", {})}
                deployments.append(
                    infd_api.InferenceDeployment.model_validate({**doc, "metadata": meta})
                )
        except pydantic.ValidationError as exc:
            raise RenderInputError(f"{kind} {name}: {exc}") from exc
    if not deployments:
        raise RenderInputError("no InferenceDeployment in the files")
    chunks: list[str] = []
    for infd in deployments:
        label = f"InferenceDeployment {infd.metadata['namespace']}/{infd.metadata['name']}"
        pool_name = infd.spec.node_pool_ref.name
        if pool_name not in pools:
            raise RenderInputError(
                f"{label} names GPUNodePool {pool_name!r}, which is not in the files: render "
                "needs it (GPUs per node, node labels and taints shape the pods)"
            )
        desired = desired_units.initial_or_decided(infd, at)
        unknown = set(units or {}) - {role for role, _ in infd.spec.roles.items()}
        if unknown:
            raise RenderInputError(f"--units: {label} has no role {', '.join(sorted(unknown))}")
        desired |= units or {}
        pool = pools[pool_name]
        try:
            objs = fleet.objects(infd, pool, desired, gang=gang)
            lines = fleet.command_lines(infd, pool, desired)
            conflicts = fleet.template_conflicts(infd, pool, gang)
        except errors.RenderError as exc:
            raise RenderInputError(f"{label}: {exc}") from exc
        head = [f"# {label}: " + ", ".join(f"{r} {n} units" for r, n in desired.items())]
        head += [f"# pod template conflict: {conflict}" for conflict in conflicts]
        for unit in lines:
            for rank, argv in enumerate(unit.argv):
                head.append(
                    f"# {infd.metadata['name']} {unit.role} unit {unit.index} rank {rank}: "
                    f"{shlex.join(argv)}"
                )
        body = yaml.safe_dump_all(objs, sort_keys=False, width=100)
        chunks.append("\n".join(head) + "\n---\n" + body)
    return "---\n".join(chunks)


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    at = args.at or dt.datetime.now(dt.UTC)
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    try:
        docs = _docs(args.filename)
        gang = not args.without_podgroups
        out.write(render(docs, at, args.namespace, _units(args.units), gang))
    except (RenderInputError, OSError, yaml.YAMLError) as exc:
        print(f"tokenfleet render: {exc}", file=sys.stderr)
        return 2
    return 0
