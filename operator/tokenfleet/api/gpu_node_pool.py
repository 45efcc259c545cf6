"""GPUNodePool: the H800 nodes under the units, how they are added, removed and lent."""

from __future__ import annotations

import enum
from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field

from tokenfleet.api import common

MAX_NODES = 100_000
"""The most nodes a pool may hold (and add or release a minute): beyond any GPU cluster built."""
MAX_TAINTS = 32


class ProviderType(enum.StrEnum):
    KWOK = "kwok"
    CLUSTER_API = "clusterapi"
    KARPENTER = "karpenter"
    LENDING = "lending"


class TaintEffect(enum.StrEnum):
    NO_SCHEDULE = "NoSchedule"
    PREFER_NO_SCHEDULE = "PreferNoSchedule"
    NO_EXECUTE = "NoExecute"


class Taint(common.Model):
    """A node taint, as on core/v1 Node."""

    key: common.QualifiedName = Field(description="Taint key.")
    value: str = Field(
        default="",
        max_length=common.LABEL_VALUE_MAX,
        pattern=common.LABEL_VALUE_PATTERN,
        description="Taint value.",
    )
    effect: TaintEffect = Field(
        default=TaintEffect.NO_SCHEDULE, description="NoSchedule, PreferNoSchedule or NoExecute."
    )


class ClusterAPIProvider(common.Model):
    """Scale a Cluster API MachineDeployment's spec.replicas."""

    namespace: str = Field(
        min_length=1,
        max_length=63,
        pattern=common.DNS_LABEL_PATTERN,
        description="Namespace of the MachineDeployment.",
    )
    machine_deployment: str = Field(
        min_length=1,
        max_length=253,
        pattern=common.DNS_SUBDOMAIN_PATTERN,
        description="Name of the MachineDeployment.",
    )


class KarpenterProvider(common.Model):
    """Bound a Karpenter NodePool by its nvidia.com/gpu limit."""

    node_pool: str = Field(
        min_length=1,
        max_length=253,
        pattern=common.DNS_SUBDOMAIN_PATTERN,
        description="Name of the Karpenter NodePool.",
    )
    static_replicas: bool = Field(
        default=False,
        description="Also set spec.replicas (Karpenter static capacity) to the node count.",
    )


class LendingProvider(common.Model):
    """Nodes shared with training: idle ones are lent, and reclaimed ahead of demand."""

    node_selector: common.Labels = Field(
        default_factory=dict,
        description="Labels that pick the shared nodes; the pool's nodeLabels when empty.",
    )
    training_labels: common.Labels = Field(
        default_factory=lambda: {"tokenfleet.io/lent-to": "training"},
        description="Labels put on a lent node (e.g. a Kueue ResourceFlavor's node labels).",
    )
    training_taints: list[Taint] = Field(
        default_factory=list,
        max_length=MAX_TAINTS,
        description="Taints put on a lent node, removed on reclaim.",
    )
    reclaim_lead_seconds: int = Field(
        default=1800,
        ge=0,
        le=common.MAX_SECONDS,
        description="Reclaim lent nodes this long before a forecast ramp, on top of the "
        "provisioning delay.",
    )
    drain_timeout_seconds: int = Field(
        default=600,
        ge=0,
        le=common.MAX_SECONDS,
        description="Longest wait for a node's pods to leave before lending.",
    )


MAX_EXTENDED_RESOURCES = 16


class KwokProvider(common.Model):
    """Settings of the kwok provider (simulated nodes)."""

    extended_resources: Annotated[
        dict[str, Annotated[str, Field(max_length=64, pattern=common.QUANTITY_PATTERN)]],
        AfterValidator(common.label_keys),
    ] = Field(
        default_factory=dict,
        max_length=MAX_EXTENDED_RESOURCES,
        json_schema_extra={"x-kubernetes-validations": [common.RESOURCE_NAMES_RULE]},
        description="Extended resources each simulated node offers beside its GPUs, as a "
        "device plugin would advertise them on real nodes (e.g. rdma/ib: '8'), so that pods "
        "shaped for a real cluster schedule on simulated ones.",
    )


class ProviderSpec(common.Model):
    """How nodes are added and removed."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                {
                    "rule": "self.type != 'clusterapi' || has(self.clusterAPI)",
                    "message": "provider.clusterAPI is required when provider.type is clusterapi",
                },
                {
                    "rule": "self.type != 'karpenter' || has(self.karpenter)",
                    "message": "provider.karpenter is required when provider.type is karpenter",
                },
                {
                    "rule": "self.type != 'lending' || has(self.lending)",
                    "message": "provider.lending is required when provider.type is lending",
                },
            ]
        }
    )

    type: ProviderType = Field(
        default=ProviderType.KWOK, description="kwok, clusterapi, karpenter or lending."
    )
    kwok: KwokProvider | None = Field(default=None, description="Settings of the kwok provider.")
    cluster_api: ClusterAPIProvider | None = Field(
        default=None, alias="clusterAPI", description="Settings of the clusterapi provider."
    )
    karpenter: KarpenterProvider | None = Field(
        default=None, description="Settings of the karpenter provider."
    )
    lending: LendingProvider | None = Field(
        default=None, description="Settings of the lending provider."
    )


class GPUCost(common.Model):
    """What a GPU-hour costs us."""

    currency: str = Field(
        default="USD", max_length=3, pattern=r"^[A-Z]{3}$", description="ISO 4217 currency."
    )
    on_demand_per_gpu_hour: common.Money = Field(
        description="Price of a GPU-hour on an on-demand node, paid only while the node exists."
    )
    committed_per_gpu_hour: common.Money | None = Field(
        default=None,
        description="Price of a GPU-hour on a committed (leased) node, paid whether used or "
        "not; the on-demand price when unset.",
    )


class ScalingLimits(common.Model):
    """Bounds on how fast the pool changes."""

    max_nodes_added_per_minute: int = Field(
        default=100, ge=1, le=MAX_NODES, description="Most nodes requested per minute."
    )
    max_nodes_removed_per_minute: int = Field(
        default=40, ge=1, le=MAX_NODES, description="Most nodes released per minute."
    )
    scale_down_delay_seconds: int = Field(
        default=300,
        ge=0,
        le=common.MAX_SECONDS,
        description="A node must be unneeded this long before release.",
    )


class GPUNodePoolSpec(common.Model):
    """Desired state of a GPUNodePool."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                {
                    "rule": "self.minNodes <= self.maxNodes",
                    "message": "minNodes must be less than or equal to maxNodes",
                },
                {
                    "rule": "self.committedNodes <= self.maxNodes",
                    "message": "committedNodes must be less than or equal to maxNodes",
                },
            ]
        }
    )

    gpu_type: str = Field(
        default="H800",
        min_length=1,
        max_length=48,
        pattern=common.LABEL_VALUE_PATTERN,
        description="GPU product, e.g. H800 (it becomes part of the nodes' label values).",
    )
    gpus_per_node: int = Field(default=8, ge=1, le=16, description="GPUs on each node.")
    node_labels: common.Labels = Field(
        default_factory=dict, description="Labels every node of the pool carries."
    )
    node_taints: list[Taint] = Field(
        default_factory=list,
        max_length=MAX_TAINTS,
        description="Taints every node carries; engine pods tolerate them.",
    )
    min_nodes: int = Field(default=0, ge=0, le=MAX_NODES, description="Fewest nodes kept.")
    max_nodes: int = Field(ge=1, le=MAX_NODES, description="Most nodes the pool may hold.")
    committed_nodes: int = Field(
        default=0, ge=0, le=MAX_NODES, description="Leased nodes, paid whether used or not."
    )
    provisioning_delay_seconds: int = Field(
        default=600,
        ge=0,
        le=common.MAX_SECONDS,
        description="Seconds from asking for a node to it being Ready (boot, drivers, image).",
    )
    provider: ProviderSpec = Field(default=ProviderSpec(), description="Node provider.")
    cost: GPUCost = Field(description="What the pool's GPU-hours cost.")
    scaling: ScalingLimits = Field(default=ScalingLimits(), description="Rate limits.")


class NodeCounts(common.Model):
    """Nodes of the pool by state."""

    ready: int = Field(default=0, description="Ready nodes.")
    allocated: int = Field(default=0, description="Ready nodes that run a unit's pod.")
    provisioning: int = Field(default=0, description="Nodes asked for and not yet Ready.")
    draining: int = Field(default=0, description="Nodes being emptied.")
    lent: int = Field(default=0, description="Nodes lent to training.")


class GPUNodePoolStatus(common.Model):
    """Observed state of a GPUNodePool."""

    observed_generation: int | None = Field(default=None, description="Generation last acted on.")
    desired_nodes: int | None = Field(default=None, description="Nodes the pool aims for.")
    nodes: NodeCounts = Field(default_factory=NodeCounts, description="Nodes by state.")
    idle_cost_per_hour: float | None = Field(
        default=None, description="Hourly cost of ready nodes that serve no unit."
    )
    conditions: list[common.Condition] = common.conditions_field()


class GPUNodePool(common.Model):
    """A pool of GPU nodes (8 x H800 each) that grows, shrinks and lends with demand."""

    api_version: str = Field(default=common.API_VERSION, description="API version.")
    kind: str = Field(default="GPUNodePool", description="Kind.")
    metadata: dict[str, Any] = Field(default_factory=dict, description="Standard metadata.")
    spec: GPUNodePoolSpec = Field(description="Desired state.")
    status: GPUNodePoolStatus | None = Field(default=None, description="Observed state.")
