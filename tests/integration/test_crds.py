"""The generated CRDs on a real API server: installed and Established, the samples accepted, bad
objects refused at admission with a message that names the field and what is allowed, printer
columns and `kubectl explain` descriptions."""

from __future__ import annotations

import copy
import pathlib
from typing import Any

import pytest
import yaml
from tests.support import cluster as cluster_support

SAMPLES = sorted((cluster_support.ROOT / "manifests" / "samples").glob("*.yaml"))

POOL: dict[str, Any] = {
    "apiVersion": "tokenfleet.io/v1alpha1",
    "kind": "GPUNodePool",
    "metadata": {"name": "h800-test"},
    "spec": {"maxNodes": 10, "cost": {"onDemandPerGpuHour": 2}},
}
PLAN: dict[str, Any] = {
    "apiVersion": "tokenfleet.io/v1alpha1",
    "kind": "PricingPlan",
    "metadata": {"name": "plan"},
    "spec": {"prices": {"inputCacheHit": 0.14, "inputCacheMiss": 0.55, "output": 2.19}},
}
INFD: dict[str, Any] = {
    "apiVersion": "tokenfleet.io/v1alpha1",
    "kind": "InferenceDeployment",
    "metadata": {"name": "infd"},
    "spec": {
        "model": {"name": "deepseek-ai/DeepSeek-V3"},
        "engine": {"type": "sglang", "image": "engine:1"},
        "roles": {
            "prefill": {"nodesPerUnit": 4, "capacityPerNode": 73700, "maxUnits": 4},
            "decode": {"nodesPerUnit": 18, "capacityPerNode": 14800, "maxUnits": 2},
        },
        "nodePoolRef": {"name": "h800"},
    },
}


def _with(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `base` with the dotted `path` set to `value` (None deletes it)."""
    obj = copy.deepcopy(base)
    *parents, leaf = path.split(".")
    node = obj
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
    if value is None:
        del node[leaf]
    else:
        node[leaf] = value
    return obj


# (id, object, substrings the API server's message must contain)
BAD: list[tuple[str, dict[str, Any], list[str]]] = [
    (
        "pool min above max",
        _with(_with(POOL, "spec.minNodes", 20), "spec.maxNodes", 10),
        ["minNodes must be less than or equal to maxNodes"],
    ),
    (
        "pool committed above max",
        _with(POOL, "spec.committedNodes", 11),
        ["committedNodes must be less than or equal to maxNodes"],
    ),
    (
        "pool max zero",
        _with(POOL, "spec.maxNodes", 0),
        ["spec.maxNodes", "greater than or equal to 1"],
    ),
    (
        "pool negative GPU price",
        _with(POOL, "spec.cost.onDemandPerGpuHour", -1),
        ["spec.cost.onDemandPerGpuHour", "greater than or equal to 0"],
    ),
    (
        "pool too many GPUs per node",
        _with(POOL, "spec.gpusPerNode", 17),
        ["spec.gpusPerNode", "less than or equal to 16"],
    ),
    (
        "pool unknown provider",
        _with(POOL, "spec.provider", {"type": "aws"}),
        ["spec.provider.type", "kwok", "clusterapi", "karpenter", "lending"],
    ),
    (
        "clusterapi provider without its settings",
        _with(POOL, "spec.provider", {"type": "clusterapi"}),
        ["provider.clusterAPI is required when provider.type is clusterapi"],
    ),
    (
        "lending provider without its settings",
        _with(POOL, "spec.provider", {"type": "lending"}),
        ["provider.lending is required when provider.type is lending"],
    ),
    (
        "pool bad taint effect",
        _with(POOL, "spec.nodeTaints", [{"key": "a", "effect": "Never"}]),
        ["spec.nodeTaints[0].effect", "NoSchedule"],
    ),
    (
        "plan negative price",
        _with(PLAN, "spec.prices.output", -2.19),
        ["spec.prices.output", "greater than or equal to 0"],
    ),
    (
        "plan missing output price",
        _with(PLAN, "spec.prices.output", None),
        ["spec.prices.output", "Required value"],
    ),
    (
        "plan unknown time zone",
        _with(PLAN, "spec.timeZone", "Mars/Olympus"),
        ["spec.timeZone", "IANA time zone"],
    ),
    (
        "plan window time out of range",
        _with(
            PLAN,
            "spec.windows",
            [{"name": "night", "start": "25:00", "end": "01:00", "multiplier": 0.5}],
        ),
        ["spec.windows[0].start", "should match"],
    ),
    (
        "plan empty window",
        _with(
            PLAN,
            "spec.windows",
            [{"name": "night", "start": "10:00", "end": "10:00", "multiplier": 0.5}],
        ),
        ["spec.windows[0]", "start and end must differ"],
    ),
    (
        "plan window with both multiplier and percentOff",
        _with(
            PLAN,
            "spec.windows",
            [
                {
                    "name": "night",
                    "start": "16:30",
                    "end": "00:30",
                    "multiplier": 0.5,
                    "percentOff": 50,
                }
            ],
        ),
        ["spec.windows[0]", "set exactly one of multiplier"],
    ),
    (
        "plan percent above 100",
        _with(
            PLAN,
            "spec.windows",
            [{"name": "night", "start": "16:30", "end": "00:30", "percentOff": 150}],
        ),
        ["spec.windows[0].percentOff", "less than or equal to 100"],
    ),
    (
        "plan window starting at 24:00",
        _with(
            PLAN,
            "spec.windows",
            [{"name": "night", "start": "24:00", "end": "01:00", "multiplier": 0.5}],
        ),
        ["spec.windows[0]", "24:00 is only an end"],
    ),
    (
        "plan unknown weekday",
        _with(
            PLAN,
            "spec.windows",
            [
                {
                    "name": "night",
                    "start": "01:00",
                    "end": "04:00",
                    "multiplier": 2,
                    "days": ["Funday"],
                }
            ],
        ),
        ["spec.windows[0].days[0]", "Mon"],
    ),
    (
        "plan currency not ISO 4217",
        _with(PLAN, "spec.currency", "dollars"),
        ["spec.currency", "should match"],
    ),
    (
        "plan effective dates reversed",
        _with(
            PLAN,
            "spec.windows",
            [
                {
                    "name": "night",
                    "start": "16:30",
                    "end": "00:30",
                    "multiplier": 0.5,
                    "effectiveFrom": "2026-01-02T00:00:00Z",
                    "effectiveUntil": "2026-01-01T00:00:00Z",
                }
            ],
        ),
        ["effectiveFrom must be before effectiveUntil"],
    ),
    (
        "infd minUnits above maxUnits",
        _with(INFD, "spec.roles.prefill.minUnits", 5),
        ["spec.roles.prefill", "minUnits must be less than or equal to maxUnits"],
    ),
    (
        "infd nodesPerUnit zero",
        _with(INFD, "spec.roles.decode.nodesPerUnit", 0),
        ["spec.roles.decode.nodesPerUnit", "greater than or equal to 1"],
    ),
    (
        "infd zero capacity",
        _with(INFD, "spec.roles.prefill.capacityPerNode", 0),
        ["spec.roles.prefill.capacityPerNode", "greater than 0"],
    ),
    (
        "infd utilisation above 1",
        _with(INFD, "spec.roles.decode.targetUtilization", 1.5),
        ["spec.roles.decode.targetUtilization", "less than or equal to 1"],
    ),
    (
        "infd prefill without decode",
        _with(INFD, "spec.roles.decode", None),
        ["spec.roles", "either prefill and decode together"],
    ),
    (
        "infd unified beside prefill and decode",
        _with(INFD, "spec.roles.unified", {"capacityPerNode": 1000}),
        ["spec.roles", "or unified alone"],
    ),
    (
        "infd unknown engine",
        _with(INFD, "spec.engine.type", "tgi"),
        ["spec.engine.type", "sglang", "vllm"],
    ),
    (
        "infd missing pool reference",
        _with(INFD, "spec.nodePoolRef", None),
        ["spec.nodePoolRef", "Required value"],
    ),
    (
        "infd schedule minUnits for an unknown role",
        _with(
            INFD,
            "spec.autoscaling",
            {
                "schedule": {
                    "entries": [{"start": "08:30", "end": "24:00", "minUnits": {"encode": 1}}]
                }
            },
        ),
        ["minUnits keys must be role names"],
    ),
    (
        "infd schedule in an unknown time zone",
        _with(INFD, "spec.autoscaling", {"schedule": {"timeZone": "Asia/Atlantis"}}),
        ["spec.autoscaling.schedule.timeZone", "IANA time zone"],
    ),
    (
        "infd bad router policy",
        _with(INFD, "spec.router", {"policy": "fastest"}),
        ["spec.router.policy", "should match"],
    ),
    (
        "infd vLLM without a router image",
        _with(INFD, "spec.engine.type", "vllm"),
        ["router.image is required with engine.type vllm"],
    ),
]


def _create(cluster: cluster_support.Cluster, namespace: str, obj: dict[str, Any]) -> Any:
    return cluster.kubectl(
        "create",
        "--dry-run=server",
        "-n",
        namespace,
        "-f",
        "-",
        input=yaml.safe_dump(obj),
        check=False,
    )


def test_the_catalogue_of_bad_objects_is_large_enough() -> None:
    assert len(BAD) >= 15


@pytest.mark.integration
def test_the_crds_are_established(cluster: cluster_support.Cluster, crds_installed: None) -> None:
    out = cluster.kubectl(
        "get",
        "crd",
        "-l",
        "app.kubernetes.io/part-of=tokenfleet",
        "-o",
        "jsonpath={range .items[*]}{.metadata.name}="
        "{.status.conditions[?(@.type=='Established')].status} {end}",
    ).stdout.split()
    # Other CRDs may carry the label (the chart's kopf peering kinds): check ours.
    assert sorted(o for o in out if ".tokenfleet.io=" in o) == [
        "gpunodepools.tokenfleet.io=True",
        "inferencedeployments.tokenfleet.io=True",
        "pricingplans.tokenfleet.io=True",
    ]


@pytest.mark.integration
@pytest.mark.parametrize("sample", SAMPLES, ids=[s.name for s in SAMPLES])
def test_every_sample_is_accepted(
    cluster: cluster_support.Cluster, namespace: str, sample: pathlib.Path
) -> None:
    result = cluster.kubectl(
        "apply", "--dry-run=server", "-n", namespace, "-f", str(sample), check=False
    )
    assert result.returncode == 0, result.stderr
    assert "created (server dry run)" in result.stdout


@pytest.mark.integration
@pytest.mark.parametrize(
    ("obj", "expected"), [(o, e) for _, o, e in BAD], ids=[i for i, _, _ in BAD]
)
def test_bad_objects_are_rejected_at_admission_with_a_clear_message(
    cluster: cluster_support.Cluster, namespace: str, obj: dict[str, Any], expected: list[str]
) -> None:
    result = _create(cluster, namespace, obj)
    assert result.returncode != 0, f"accepted: {obj}"
    for text in expected:
        assert text in result.stderr, f"{text!r} not in:\n{result.stderr}"


@pytest.mark.integration
def test_the_valid_base_objects_are_accepted(
    cluster: cluster_support.Cluster, namespace: str
) -> None:
    for obj in (POOL, PLAN, INFD):
        result = _create(cluster, namespace, obj)
        assert result.returncode == 0, result.stderr


@pytest.mark.integration
def test_kubectl_get_shows_the_printer_columns(
    cluster: cluster_support.Cluster, namespace: str
) -> None:
    for obj in (PLAN, INFD):
        cluster.kubectl("create", "-n", namespace, "-f", "-", input=yaml.safe_dump(obj))
    pool = _with(POOL, "metadata.name", f"pool-{namespace}")
    cluster.kubectl("create", "-f", "-", input=yaml.safe_dump(pool))
    try:
        infd = cluster.kubectl("get", "infd", "-n", namespace).stdout.splitlines()[0].split()
        assert infd[:8] == ["NAME", "ENGINE", "UNITS", "NODES", "READY", "$/M-OUT", "MARGIN", "AGE"]
        plan = cluster.kubectl("get", "pp", "-n", namespace).stdout.splitlines()[0].split()
        assert plan == ["NAME", "CURRENCY", "WINDOW", "OUT/M", "NEXT-CHANGE", "AGE"]
        pools = cluster.kubectl("get", "gpool", pool["metadata"]["name"]).stdout.splitlines()
        assert pools[0].split() == [
            "NAME",
            "GPU",
            "PROVIDER",
            "DESIRED",
            "READY",
            "ALLOCATED",
            "PROVISIONING",
            "LENT",
            "MAX",
            "AGE",
        ]
        assert pools[1].split()[:3] == [pool["metadata"]["name"], "H800", "kwok"]
        wide = cluster.kubectl("get", "infd", "-n", namespace, "-o", "wide").stdout
        assert "LAST-DECISION" in wide and "deepseek-ai/DeepSeek-V3" in wide
    finally:
        cluster.kubectl("delete", "gpool", pool["metadata"]["name"], "--wait=false", check=False)


@pytest.mark.integration
def test_kubectl_explain_prints_descriptions(
    cluster: cluster_support.Cluster, crds_installed: None
) -> None:
    out = cluster.kubectl("explain", "infd.spec.roles").stdout
    assert "Prefill role: processes prompts" in out
    out = cluster.kubectl("explain", "infd.spec.roles.decode.nodesPerUnit").stdout
    assert "EP size = nodesPerUnit x gpusPerNode" in out
    out = cluster.kubectl("explain", "gpool.spec.committedNodes").stdout
    assert "paid whether used or not" in out
