"""InferenceDeployment: a model served by SGLang or vLLM in prefill/decode roles of whole units."""

from __future__ import annotations

import enum
import json
from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field

from tokenfleet.api import common

MAX_UNITS = 10_000
"""The most units a role may run: far beyond any fleet, far below an overflow."""
MAX_CAPACITY_PER_NODE = 10_000_000
"""Tokens per second a node may be said to serve: two orders above an 8 x H800 node's."""
MAX_ENV = 128
ENV_NAME_PATTERN = r"^[ -<>-~]+$"
"""Printable ASCII but '=', as Kubernetes checks an environment variable's name."""
QUANTITY: dict[str, Any] = {"max_length": 64, "pattern": common.QUANTITY_PATTERN}
IMAGE: dict[str, Any] = {"max_length": common.IMAGE_MAX, "pattern": common.IMAGE_PATTERN}
Arg = Annotated[str, Field(max_length=common.ARG_MAX)]


class EngineType(enum.StrEnum):
    SGLANG = "sglang"
    VLLM = "vllm"


class Backend(enum.StrEnum):
    """How a unit becomes pods: core StatefulSets, or LeaderWorkerSet where it is installed."""

    STATEFULSET = "statefulset"
    LEADERWORKERSET = "leaderworkerset"


class EnvVar(common.Model):
    """An environment variable for the engine container."""

    name: str = Field(
        min_length=1,
        max_length=256,
        pattern=ENV_NAME_PATTERN,
        description="Variable name: printable ASCII without '='.",
    )
    value: str = Field(
        default="",
        max_length=common.ARG_MAX,
        description="Variable value; $(VAR) references resolve.",
    )


class ResourceList(common.Model):
    """Container resources beyond the GPUs (which always equal gpusPerNode)."""

    cpu: str | None = Field(
        default=None, description="CPU request and limit, e.g. '96'.", **QUANTITY
    )
    memory: str | None = Field(
        default=None, description="Memory request and limit, e.g. '1500Gi'.", **QUANTITY
    )
    shared_memory: str = Field(
        default="64Gi",
        description="Size of the memory-backed /dev/shm NCCL and DeepEP need.",
        **QUANTITY,
    )


class PodTemplateMetadata(common.Model):
    """Labels and annotations added to every engine pod the template applies to."""

    labels: common.Labels = Field(
        default_factory=dict, description="Pod labels; tokenfleet's own keys are kept."
    )
    annotations: dict[str, Annotated[str, Field(max_length=common.ARG_MAX)]] = Field(
        default_factory=dict,
        max_length=common.MAX_LABELS,
        description="Pod annotations; tokenfleet's own keys are kept.",
    )


MAX_POD_TEMPLATE_BYTES = 65_536
"""The most a pod template may weigh as JSON: a generous pod spec is a few kilobytes, and every
one of a role's StatefulSets carries a copy."""


def _named_items(spec: dict[str, Any]) -> dict[str, Any]:
    """Containers, init containers and volumes are merged by name, so each must have one; and
    a template is bounded in size, since its schema is the pod's and is checked at apply."""
    size = len(json.dumps(spec))
    if size > MAX_POD_TEMPLATE_BYTES:
        raise ValueError(
            f"the pod template is {size} bytes of JSON; at most {MAX_POD_TEMPLATE_BYTES}"
        )
    for field in ("containers", "initContainers", "volumes"):
        items = spec.get(field, [])
        if not isinstance(items, list) or not all(
            isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"]
            for item in items
        ):
            raise ValueError(f"spec.{field} must be a list of objects, each with a name")
    return spec


class PodTemplate(common.Model):
    """A pod template merged over the engine pods tokenfleet renders.

    Maps merge key by key; containers, env, ports, volume mounts and pull secrets merge by
    their keys as `kubectl apply` merges a pod; volumes of the same name replace ours;
    tolerations and pod (anti-)affinity terms add to ours. What tokenfleet relies on (its
    labels, the engine container's image, command, args, ports and TOKENFLEET_* variables, the
    GPU count, the pool's node selector) is kept, and the PodTemplateAccepted condition names
    every field the template tried to change.
    """

    metadata: PodTemplateMetadata | None = Field(
        default=None, description="Labels and annotations of the pods."
    )
    spec: Annotated[dict[str, Any], AfterValidator(_named_items)] = Field(
        default_factory=dict,
        description="A Kubernetes PodSpec, in part: what to add or change in the engine pods "
        "(the engine container is named 'engine'). The API server validates the merged pod.",
        max_length=64,
        json_schema_extra={"x-kubernetes-preserve-unknown-fields": True},
    )


class ModelSpec(common.Model):
    """Which model the engines load and the name clients ask for."""

    name: str = Field(
        min_length=1,
        max_length=common.TEXT_MAX,
        pattern=common.PRINTABLE_PATTERN,
        description="Model path or hub id the engine loads, e.g. deepseek-ai/DeepSeek-V3.",
    )
    served_name: str | None = Field(
        default=None,
        max_length=common.TEXT_MAX,
        pattern=common.PRINTABLE_PATTERN,
        description="Name clients send in requests and metrics carry as model_name; "
        "defaults to the model name.",
    )
    weights_volume: str | None = Field(
        default=None,
        max_length=253,
        pattern=common.DNS_SUBDOMAIN_PATTERN,
        description="PersistentVolumeClaim holding the weights, mounted read-only at /models.",
    )


class EngineSpec(common.Model):
    """The serving engine, its image and what is passed to every engine pod."""

    type: EngineType = Field(
        default=EngineType.SGLANG, description="Serving engine: sglang or vllm."
    )
    image: str = Field(min_length=1, description="Engine container image.", **IMAGE)
    args: list[Arg] = Field(
        default_factory=list,
        max_length=common.MAX_ARGS,
        description="Extra engine arguments appended after the ones tokenfleet derives.",
    )
    env: list[EnvVar] = Field(
        default_factory=list,
        max_length=MAX_ENV,
        description="Extra environment; where it names a variable tokenfleet also sets, the "
        "value given here wins.",
    )
    resources: ResourceList = Field(
        default=ResourceList(), description="CPU, memory and shared memory per pod."
    )
    port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="HTTP port of the engine; 30000 for sglang and 8000 for vllm when unset.",
    )


class RoleSpec(common.Model):
    """One role (prefill, decode or unified) run as whole expert-parallel units."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                {
                    "rule": "self.minUnits <= self.maxUnits",
                    "message": "minUnits must be less than or equal to maxUnits",
                },
            ]
        }
    )

    nodes_per_unit: int = Field(
        default=1,
        ge=1,
        le=512,
        description="Nodes in one unit (an EP group); EP size = nodesPerUnit x gpusPerNode.",
    )
    gpus_per_node: int = Field(
        default=8, ge=1, le=16, description="GPUs each engine pod requests (nvidia.com/gpu)."
    )
    min_units: int = Field(
        default=1, ge=0, le=MAX_UNITS, description="Fewest units the role ever runs."
    )
    max_units: int = Field(
        default=1, ge=1, le=MAX_UNITS, description="Most units the role may run."
    )
    capacity_per_node: int = Field(
        gt=0,
        le=MAX_CAPACITY_PER_NODE,
        description="Tokens per second one node serves at SLO: input tokens for prefill, "
        "output tokens for decode and unified.",
    )
    target_utilization: float = Field(
        default=0.85,
        gt=0,
        le=1,
        description="Fraction of capacity the planner aims to use; the rest is headroom.",
    )
    warmup_seconds: int = Field(
        default=0,
        ge=0,
        le=common.MAX_SECONDS,
        description="Seconds from pod start to serving (weight load, CUDA graphs), added to the "
        "pool's provisioning delay when the planner starts units ahead of demand.",
    )
    args: list[Arg] = Field(
        default_factory=list,
        max_length=common.MAX_ARGS,
        description="Extra engine arguments for this role only.",
    )
    redundant_experts: int = Field(
        default=32,
        ge=0,
        le=4096,
        description="Redundant expert slots for expert-parallel load balancing.",
    )
    topology_key: common.QualifiedName | None = Field(
        default=None,
        description="Node label every pod of a unit must share (e.g. a rack or zone label).",
    )
    pod_template: PodTemplate | None = Field(
        default=None,
        description="Pod template for this role's engine pods, merged after spec.podTemplate.",
    )


class Roles(common.Model):
    """Prefill and decode roles (PD disaggregation), or a single unified role."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                {
                    "rule": "has(self.unified) ? !has(self.prefill) && !has(self.decode) "
                    ": has(self.prefill) && has(self.decode)",
                    "message": "roles must be either prefill and decode together (PD "
                    "disaggregation) or unified alone",
                },
            ]
        }
    )

    prefill: RoleSpec | None = Field(
        default=None, description="Prefill role: processes prompts; capacity in input tokens/s."
    )
    decode: RoleSpec | None = Field(
        default=None, description="Decode role: generates tokens; capacity in output tokens/s."
    )
    unified: RoleSpec | None = Field(
        default=None, description="One role doing both, for engines run without PD split."
    )

    def items(self) -> list[tuple[common.RoleName, RoleSpec]]:
        """The roles that are set, in a stable order."""
        out: list[tuple[common.RoleName, RoleSpec]] = []
        for name in ("prefill", "decode", "unified"):
            spec = getattr(self, name)
            if spec is not None:
                out.append((name, spec))
        return out


class ScheduleEntry(common.Model):
    """A time-of-day floor: at least these units per role during the window."""

    model_config = ConfigDict(json_schema_extra={"x-kubernetes-validations": common.WINDOW_RULES})

    start: str = Field(
        pattern=common.TIME_OF_DAY_PATTERN, max_length=5, description="Start, HH:MM, inclusive."
    )
    end: str = Field(
        pattern=common.TIME_OF_DAY_PATTERN,
        max_length=5,
        description="End, HH:MM, exclusive; earlier than start crosses midnight.",
    )
    days: list[common.Weekday] | None = Field(
        default=None,
        max_length=7,
        description="Days on which the window starts; every day when unset.",
    )
    min_units: dict[str, Annotated[int, Field(ge=0, le=MAX_UNITS)]] = Field(
        max_length=3,
        description="Minimum units per role name (prefill, decode, unified) during the window.",
        json_schema_extra={
            "x-kubernetes-validations": [
                {
                    "rule": "self.all(k, k in ['prefill', 'decode', 'unified'])",
                    "message": "minUnits keys must be role names: prefill, decode or unified",
                },
                {"rule": "self.all(k, self[k] >= 0)", "message": "minUnits values must be >= 0"},
            ]
        },
    )


class ScheduleSpec(common.Model):
    """Time-of-day minimums, the DeepSeek day/night curve written down."""

    time_zone: str = Field(
        default="UTC",
        pattern=common.TIME_ZONE_PATTERN,
        max_length=64,
        description="IANA time zone the windows are read in.",
        json_schema_extra={"x-kubernetes-validations": [common.TIME_ZONE_RULE]},
    )
    entries: list[ScheduleEntry] = Field(
        default_factory=list, max_length=48, description="Windows with per-role minimum units."
    )


class ForecastSpec(common.Model):
    """Demand forecast from recent days, used to start units ahead of a ramp."""

    enabled: bool = Field(default=True, description="Scale ahead of forecast demand.")
    headroom: float = Field(
        default=0.1, ge=0, le=1, description="Extra fraction added on top of the forecast."
    )
    lookback_days: int = Field(
        default=7, ge=1, le=28, description="Days of history the forecast learns from."
    )


class SignalsSpec(common.Model):
    """Where live demand and utilisation are read from."""

    prometheus_url: str | None = Field(
        default=None,
        max_length=2048,
        pattern=r"^https?://[!-~]+$",
        description="Prometheus base URL; when unset the operator scrapes engine pods' /metrics.",
    )
    scrape_interval_seconds: int = Field(
        default=15, ge=1, le=3600, description="How often signals are read."
    )


class SLOSpec(common.Model):
    """What the fleet promises its users, which the planner sizes its margin to keep."""

    late_token_budget: float | None = Field(
        default=None,
        gt=0,
        le=0.5,
        description="Share of tokens that may arrive while their role's ready capacity is "
        "below demand (0.001 = 0.1%), over any day. When set, the planner buys the fewest "
        "margin units whose expected late share, over recent surprises, is within it; unset, "
        "the margin is sized by what a unit would be used.",
    )


class AutoscalingSpec(common.Model):
    """How the planner sizes each role."""

    enabled: bool = Field(default=True, description="Let the planner change the number of units.")
    interval_seconds: int = Field(
        default=30, ge=1, le=3600, description="Seconds between planner runs."
    )
    scale_down_stabilization_seconds: int = Field(
        default=900,
        ge=0,
        le=common.MAX_SECONDS,
        description="Demand must stay low this long before a unit is removed.",
    )
    scale_up_stabilization_seconds: int = Field(
        default=0,
        ge=0,
        le=common.MAX_SECONDS,
        description="Demand must stay high this long before a unit is added.",
    )
    signals: SignalsSpec = Field(default=SignalsSpec(), description="Signal sources.")
    schedule: ScheduleSpec = Field(default=ScheduleSpec(), description="Time-of-day minimum units.")
    forecast: ForecastSpec = Field(default=ForecastSpec(), description="Demand forecast.")
    slo: SLOSpec = Field(default=SLOSpec(), description="Service-level objective.")


class RouterSpec(common.Model):
    """The router in front of the live units."""

    enabled: bool = Field(default=True, description="Run a router Deployment and Service.")
    image: str | None = Field(
        default=None, description="Router image; defaults to the engine image.", **IMAGE
    )
    replicas: int = Field(default=1, ge=0, le=100, description="Router replicas.")
    policy: str = Field(
        default="cache_aware",
        max_length=16,
        description="Routing policy: cache_aware, power_of_two, round_robin or random.",
        pattern=r"^(cache_aware|power_of_two|round_robin|random)$",
    )
    port: int = Field(default=8000, ge=1, le=65535, description="Router Service port.")
    drain_timeout_seconds: int = Field(
        default=300,
        ge=0,
        le=common.MAX_SECONDS,
        description="On scale-down a unit leaves the router first and is deleted once its "
        "running and queued requests reach zero, or after this many seconds at most.",
    )


class InferenceDeploymentSpec(common.Model):
    """Desired state of an InferenceDeployment."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                {
                    "rule": "self.engine.type != 'vllm' || !has(self.router) || "
                    "!self.router.enabled || has(self.router.image)",
                    "message": "router.image is required with engine.type vllm (vLLM ships no PD "
                    "router; give an image with vllm-router), or set router.enabled to false",
                },
            ]
        }
    )

    model: ModelSpec = Field(description="The model served.")
    engine: EngineSpec = Field(description="The serving engine.")
    backend: Backend = Field(
        default=Backend.STATEFULSET,
        description="statefulset (one StatefulSet per unit) or leaderworkerset.",
    )
    roles: Roles = Field(description="Roles and their units.")
    pod_template: PodTemplate | None = Field(
        default=None,
        description="Pod template merged over every role's engine pods (RDMA devices, "
        "capabilities, host network, NCCL environment, weights cache, priority class).",
    )
    autoscaling: AutoscalingSpec = Field(default=AutoscalingSpec(), description="Planner settings.")
    router: RouterSpec = Field(default=RouterSpec(), description="Router settings.")
    node_pool_ref: common.LocalObjectReference = Field(
        description="GPUNodePool whose nodes the units run on."
    )
    pricing_plan_ref: common.LocalObjectReference | None = Field(
        default=None, description="PricingPlan (same namespace) that prices the tokens served."
    )


class RoleStatus(common.Model):
    """Observed state of one role."""

    desired_units: int = Field(default=0, description="Units the planner wants.")
    ready_units: int = Field(default=0, description="Units whose every pod is Ready.")
    desired_nodes: int = Field(default=0, description="desiredUnits x nodesPerUnit.")
    ready_nodes: int = Field(default=0, description="Nodes of ready units.")


class Decision(common.Model):
    """The planner's last decision."""

    time: str = Field(description="When it was made (RFC 3339).")
    units: dict[str, int] = Field(default_factory=dict, description="Units per role.")
    reason: str = Field(default="", description="Why, for a person.")


class Economics(common.Model):
    """Cost per token and margin over the last hour."""

    currency: str = Field(default="USD", description="Currency of the figures.")
    cost_per_million_input_tokens: float | None = Field(
        default=None, description="Cost / 1M input."
    )
    cost_per_million_output_tokens: float | None = Field(
        default=None, description="Cost / 1M output."
    )
    cost_per_million_tokens: float | None = Field(
        default=None, description="Cost per million tokens of any kind (blended)."
    )
    margin: float | None = Field(
        default=None, description="(revenue - cost) / cost; 5.45 is DeepSeek's 545%."
    )


class SLOStatus(common.Model):
    """How much of the late-token budget the last day used."""

    late_token_budget: float | None = Field(default=None, description="spec's budget.")
    late_token_fraction: float | None = Field(
        default=None, description="Late tokens over all tokens, over the last day."
    )
    budget_used: float | None = Field(
        default=None, description="lateTokenFraction over the budget (1 = all of it)."
    )
    window_seconds: float | None = Field(
        default=None, description="Clock seconds the figures cover (up to a day)."
    )


class InferenceDeploymentStatus(common.Model):
    """Observed state of an InferenceDeployment."""

    observed_generation: int | None = Field(default=None, description="Generation last acted on.")
    roles: dict[str, RoleStatus] = Field(default_factory=dict, description="Per role state.")
    ready_units: str | None = Field(default=None, description="ready/desired units, all roles.")
    nodes: int | None = Field(default=None, description="Nodes held by the deployment's units.")
    conditions: list[common.Condition] = common.conditions_field()
    last_decision: Decision | None = Field(default=None, description="Last planner decision.")
    economics: Economics | None = Field(default=None, description="Cost per token and margin.")
    slo: SLOStatus | None = Field(default=None, description="Late-token budget used.")


class InferenceDeployment(common.Model):
    """A model served by SGLang or vLLM, split into roles that run in whole units."""

    api_version: str = Field(default=common.API_VERSION, description="API version.")
    kind: str = Field(default="InferenceDeployment", description="Kind.")
    metadata: dict[str, Any] = Field(default_factory=dict, description="Standard metadata.")
    spec: InferenceDeploymentSpec = Field(description="Desired state.")
    status: InferenceDeploymentStatus | None = Field(default=None, description="Observed state.")
