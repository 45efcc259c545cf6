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
        ["spec.currency", "Too long: may not be more than 3"],
    ),
    (
        "plan currency in lower case",
        _with(PLAN, "spec.currency", "usd"),
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


LONG = "a" * 100_000
"""A string no field should hold: what a careless template or a hostile user writes."""
BIG = 10**18
"""A number no field should hold."""


def _window(**fields: Any) -> list[dict[str, Any]]:
    """A one-window list; a field given as None is left out."""
    window = {"name": "night", "start": "16:30", "end": "00:30", "multiplier": 0.5, **fields}
    return [{k: v for k, v in window.items() if v is not None}]


def _lending(**fields: Any) -> dict[str, Any]:
    return {"type": "lending", "lending": fields}


# Hostile objects: unbounded strings, lists and numbers, names Kubernetes itself would refuse
# when the operator writes a Node or a pod, fractions where whole numbers are meant.
HOSTILE: list[tuple[str, dict[str, Any], list[str]]] = [
    (
        "infd image of 100,000 characters",
        _with(INFD, "spec.engine.image", LONG),
        ["spec.engine.image", "Too long"],
    ),
    (
        "infd image with a space",
        _with(INFD, "spec.engine.image", "engine image:1"),
        ["spec.engine.image", "should match"],
    ),
    (
        "infd image with an upper-case path",
        _with(INFD, "spec.engine.image", "Engine:1"),
        ["spec.engine.image", "should match"],
    ),
    (
        "infd image with a bad digest",
        _with(INFD, "spec.engine.image", "engine@sha256:xyz"),
        ["spec.engine.image", "should match"],
    ),
    (
        "infd router image of 100,000 characters",
        _with(INFD, "spec.router", {"image": LONG}),
        ["spec.router.image", "Too long"],
    ),
    (
        "infd model name of 100,000 characters",
        _with(INFD, "spec.model.name", LONG),
        ["spec.model.name", "Too long"],
    ),
    (
        "infd model name with a newline",
        _with(INFD, "spec.model.name", "deepseek\nV3"),
        ["spec.model.name", "should match"],
    ),
    (
        "infd served name with a space",
        _with(INFD, "spec.model.servedName", "deepseek chat"),
        ["spec.model.servedName", "should match"],
    ),
    (
        "infd weights volume not a claim name",
        _with(INFD, "spec.model.weightsVolume", "My_PVC"),
        ["spec.model.weightsVolume", "should match"],
    ),
    (
        "infd env value of 100,000 characters",
        _with(INFD, "spec.engine.env", [{"name": "NCCL_DEBUG", "value": LONG}]),
        ["spec.engine.env[0].value", "Too long"],
    ),
    (
        "infd env name with '='",
        _with(INFD, "spec.engine.env", [{"name": "A=B", "value": "1"}]),
        ["spec.engine.env[0].name", "should match"],
    ),
    (
        "infd 5,000 env entries",
        _with(INFD, "spec.engine.env", [{"name": f"V{i}", "value": "1"} for i in range(5000)]),
        ["spec.engine.env", "must have at most 128 items"],
    ),
    (
        "infd 300 engine arguments",
        _with(INFD, "spec.engine.args", ["--x"] * 300),
        ["spec.engine.args", "must have at most 256 items"],
    ),
    (
        "infd engine argument of 100,000 characters",
        _with(INFD, "spec.engine.args", [LONG]),
        ["spec.engine.args[0]", "Too long"],
    ),
    (
        "infd role argument of 100,000 characters",
        _with(INFD, "spec.roles.decode.args", [LONG]),
        ["spec.roles.decode.args[0]", "Too long"],
    ),
    (
        "infd cpu not a quantity",
        _with(INFD, "spec.engine.resources", {"cpu": "lots"}),
        ["spec.engine.resources.cpu", "should match"],
    ),
    (
        "infd negative memory",
        _with(INFD, "spec.engine.resources", {"memory": "-1Gi"}),
        ["spec.engine.resources.memory", "should match"],
    ),
    (
        "infd shared memory of 100,000 characters",
        _with(INFD, "spec.engine.resources", {"sharedMemory": LONG}),
        ["spec.engine.resources.sharedMemory", "Too long"],
    ),
    (
        "infd topology key with a space",
        _with(INFD, "spec.roles.prefill.topologyKey", "rack name"),
        ["spec.roles.prefill.topologyKey", "should match"],
    ),
    (
        "infd topology key with a 300-character prefix",
        _with(INFD, "spec.roles.prefill.topologyKey", "a" * 300 + "/rack"),
        ["spec.roles.prefill.topologyKey", "the prefix before '/' must be at most 253"],
    ),
    (
        "infd pool reference not a name",
        _with(INFD, "spec.nodePoolRef.name", "H800!"),
        ["spec.nodePoolRef.name", "should match"],
    ),
    (
        "infd maxUnits of 1e18",
        _with(INFD, "spec.roles.prefill.maxUnits", BIG),
        ["spec.roles.prefill.maxUnits", "less than or equal to 10000"],
    ),
    (
        "infd capacityPerNode of 1e18",
        _with(INFD, "spec.roles.prefill.capacityPerNode", BIG),
        ["spec.roles.prefill.capacityPerNode", "less than or equal to 10000000"],
    ),
    (
        "infd fractional capacityPerNode",
        _with(INFD, "spec.roles.decode.capacityPerNode", 2.5),
        ["spec.roles.decode.capacityPerNode", "must be of type integer"],
    ),
    (
        "infd warm-up of 1e9 seconds",
        _with(INFD, "spec.roles.decode.warmupSeconds", 10**9),
        ["spec.roles.decode.warmupSeconds", "less than or equal to 86400"],
    ),
    (
        "infd 1e9 redundant experts",
        _with(INFD, "spec.roles.decode.redundantExperts", 10**9),
        ["spec.roles.decode.redundantExperts", "less than or equal to 4096"],
    ),
    (
        "infd planner interval of 1e18 seconds",
        _with(INFD, "spec.autoscaling", {"intervalSeconds": BIG}),
        ["spec.autoscaling.intervalSeconds", "less than or equal to 3600"],
    ),
    (
        "infd scale-down stabilisation of 1e9 seconds",
        _with(INFD, "spec.autoscaling", {"scaleDownStabilizationSeconds": 10**9}),
        ["spec.autoscaling.scaleDownStabilizationSeconds", "less than or equal to 86400"],
    ),
    (
        "infd scrape interval of 1e9 seconds",
        _with(INFD, "spec.autoscaling", {"signals": {"scrapeIntervalSeconds": 10**9}}),
        ["spec.autoscaling.signals.scrapeIntervalSeconds", "less than or equal to 3600"],
    ),
    (
        "infd Prometheus URL not http",
        _with(INFD, "spec.autoscaling", {"signals": {"prometheusUrl": "file:///etc/passwd"}}),
        ["spec.autoscaling.signals.prometheusUrl", "should match"],
    ),
    (
        "infd schedule floor of 1e9 units",
        _with(
            INFD,
            "spec.autoscaling",
            {
                "schedule": {
                    "entries": [{"start": "08:00", "end": "20:00", "minUnits": {"decode": 10**9}}]
                }
            },
        ),
        ["minUnits.decode", "less than or equal to 10000"],
    ),
    (
        "infd a million router replicas",
        _with(INFD, "spec.router", {"replicas": 10**6}),
        ["spec.router.replicas", "less than or equal to 100"],
    ),
    (
        "pool maxNodes of 1e18",
        _with(POOL, "spec.maxNodes", BIG),
        ["spec.maxNodes", "less than or equal to 100000"],
    ),
    (
        "pool provisioning delay of 1e18 seconds",
        _with(POOL, "spec.provisioningDelaySeconds", BIG),
        ["spec.provisioningDelaySeconds", "less than or equal to 86400"],
    ),
    (
        "pool GPU-hour price of 1e18",
        _with(POOL, "spec.cost.onDemandPerGpuHour", BIG),
        ["spec.cost.onDemandPerGpuHour", "less than or equal to"],
    ),
    (
        "pool 1e9 nodes added a minute",
        _with(POOL, "spec.scaling", {"maxNodesAddedPerMinute": 10**9}),
        ["spec.scaling.maxNodesAddedPerMinute", "less than or equal to 100000"],
    ),
    (
        "pool GPU type with a space",
        _with(POOL, "spec.gpuType", "H800 SXM"),
        ["spec.gpuType", "should match"],
    ),
    (
        "pool GPU type of 100,000 characters",
        _with(POOL, "spec.gpuType", LONG),
        ["spec.gpuType", "Too long"],
    ),
    (
        "pool node label value of 100 characters",
        _with(POOL, "spec.nodeLabels", {"team": "a" * 100}),
        ["spec.nodeLabels.team", "Too long"],
    ),
    (
        "pool node label value with a space",
        _with(POOL, "spec.nodeLabels", {"team": "a b"}),
        ["spec.nodeLabels.team", "should match"],
    ),
    (
        "pool node label key with '!'",
        _with(POOL, "spec.nodeLabels", {"bad key!": "x"}),
        ["spec.nodeLabels", "every key must be a Kubernetes label key"],
    ),
    (
        "pool node label key of 70 characters",
        _with(POOL, "spec.nodeLabels", {"k" * 70: "x"}),
        ["spec.nodeLabels", "every key must be a Kubernetes label key"],
    ),
    (
        "pool 65 node labels",
        _with(POOL, "spec.nodeLabels", {f"l{i}": "x" for i in range(65)}),
        ["spec.nodeLabels", "must have at most 64 items"],
    ),
    (
        "pool taint key of 100,000 characters",
        _with(POOL, "spec.nodeTaints", [{"key": LONG}]),
        ["spec.nodeTaints[0].key", "Too long"],
    ),
    (
        "pool taint key starting with '-'",
        _with(POOL, "spec.nodeTaints", [{"key": "-gpu"}]),
        ["spec.nodeTaints[0].key", "should match"],
    ),
    (
        "pool taint value with a space",
        _with(POOL, "spec.nodeTaints", [{"key": "gpu", "value": "a b"}]),
        ["spec.nodeTaints[0].value", "should match"],
    ),
    (
        "pool 40 taints",
        _with(POOL, "spec.nodeTaints", [{"key": f"t{i}"} for i in range(40)]),
        ["spec.nodeTaints", "must have at most 32 items"],
    ),
    (
        "lending training label key with a space",
        _with(POOL, "spec.provider", _lending(trainingLabels={"lent to": "training"})),
        ["spec.provider.lending.trainingLabels", "every key must be a Kubernetes label key"],
    ),
    (
        "lending node selector value of 100,000 characters",
        _with(POOL, "spec.provider", _lending(nodeSelector={"pool": LONG})),
        ["spec.provider.lending.nodeSelector.pool", "Too long"],
    ),
    (
        "lending reclaim lead of 1e9 seconds",
        _with(POOL, "spec.provider", _lending(reclaimLeadSeconds=10**9)),
        ["spec.provider.lending.reclaimLeadSeconds", "less than or equal to 86400"],
    ),
    (
        "clusterapi namespace not a DNS label",
        _with(
            POOL,
            "spec.provider",
            {
                "type": "clusterapi",
                "clusterAPI": {"namespace": "Bad_NS", "machineDeployment": "md"},
            },
        ),
        ["spec.provider.clusterAPI.namespace", "should match"],
    ),
    (
        "karpenter node pool of 100,000 characters",
        _with(POOL, "spec.provider", {"type": "karpenter", "karpenter": {"nodePool": LONG}}),
        ["spec.provider.karpenter.nodePool", "Too long"],
    ),
    (
        "plan output price of 1e18",
        _with(PLAN, "spec.prices.output", BIG),
        ["spec.prices.output", "less than or equal to"],
    ),
    (
        "plan window name of 100,000 characters",
        _with(PLAN, "spec.windows", _window(name=LONG)),
        ["spec.windows[0].name", "Too long"],
    ),
    (
        "plan window name with a space",
        _with(PLAN, "spec.windows", _window(name="off peak")),
        ["spec.windows[0].name", "should match"],
    ),
    (
        "plan fractional percentOff",
        _with(PLAN, "spec.windows", _window(multiplier=None, percentOff=2.5)),
        ["spec.windows[0].percentOff", "must be of type integer"],
    ),
    (
        "plan 100 windows",
        _with(PLAN, "spec.windows", _window() * 100),
        ["spec.windows", "must have at most 48 items"],
    ),
    (
        "plan window for 100 models",
        _with(PLAN, "spec.windows", _window(models=["m"] * 100)),
        ["spec.windows[0].models", "must have at most 64 items"],
    ),
    (
        "plan model name of 100,000 characters",
        _with(
            PLAN,
            "spec.models",
            [{"model": LONG, "prices": {"inputCacheHit": 1, "inputCacheMiss": 1, "output": 1}}],
        ),
        ["spec.models[0].model", "Too long"],
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
    assert len(BAD) >= 30 and len(HOSTILE) >= 50
    assert len({i for i, _, _ in BAD + HOSTILE}) == len(BAD) + len(HOSTILE)


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
    ("obj", "expected"),
    [(o, e) for _, o, e in BAD + HOSTILE],
    ids=[i for i, _, _ in BAD + HOSTILE],
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
