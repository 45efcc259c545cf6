"""Every metric and label name the operator exports, and the label values it knows in advance.

Prometheus conventions: the `tokenfleet_` prefix, base units (seconds, tokens, money in the
currency its label names), `_total` on counters (written here without it: the client library
adds it on export, so the names below are the names dashboards and alerts query with the suffix
spelled out in `exported`). One module, so dashboards, alerts, the README table and the exporter
cannot disagree on a name. Label values listed here are exported from the start, at zero, so
that `increase()` sees a series' first step instead of its sudden appearance.

`llm_cost_per_million_tokens` is OpenCost's name for the same figure, with OpenCost's labels
(`model_name`, `phase` = `prompt` | `generation`), so dashboards built for OpenCost read us.
"""

from __future__ import annotations

import dataclasses
import enum

PREFIX = "tokenfleet_"


class Label(enum.StrEnum):
    """Label names."""

    NAMESPACE = "namespace"
    DEPLOYMENT = "deployment"
    ROLE = "role"
    POOL = "pool"
    MODEL = "model"
    PLAN = "plan"
    TOKEN_CLASS = "token_class"
    CURRENCY = "currency"
    KIND = "kind"
    COMMITMENT = "commitment"
    DIRECTION = "direction"
    REASON = "reason"
    STATE = "state"
    WINDOW = "window"
    CONDITION = "condition"
    # OpenCost's labels.
    MODEL_NAME = "model_name"
    PHASE = "phase"


class TokenClass(enum.StrEnum):
    """Billing classes of served tokens (tokenfleet_tokens_total, prices)."""

    INPUT_CACHE_HIT = "input_cache_hit"
    INPUT_CACHE_MISS = "input_cache_miss"
    OUTPUT = "output"


class CostClass(enum.StrEnum):
    """What a cost per million tokens is quoted per (tokenfleet_cost_per_million_tokens)."""

    INPUT = "input"
    OUTPUT = "output"
    BLENDED = "blended"


class RevenueKind(enum.StrEnum):
    """Theoretical (every token at list price) or realised (billed share at prices in force)."""

    THEORETICAL = "theoretical"
    REALISED = "realised"


class Commitment(enum.StrEnum):
    """How a GPU-second is paid: on a leased (committed) node or an on-demand one."""

    COMMITTED = "committed"
    ON_DEMAND = "on_demand"


class Direction(enum.StrEnum):
    """Which way a scale decision went for one role."""

    UP = "up"
    DOWN = "down"
    HOLD = "hold"


class DecisionReason(enum.StrEnum):
    """Why a role got its units, in few enough words to be a label (the sentence is in status)."""

    DEMAND = "demand"
    FORECAST = "forecast"
    SURPRISE = "surprise"
    STABILIZATION = "stabilization"
    SCHEDULE = "schedule"
    MIN_UNITS = "min_units"
    MAX_UNITS = "max_units"
    POOL_FULL = "pool_full"
    SIGNALS_MISSING = "signals_missing"
    DISABLED = "disabled"


class NodeState(enum.StrEnum):
    """States of a pool's nodes, as GPUNodePool status counts them."""

    READY = "ready"
    ALLOCATED = "allocated"
    PROVISIONING = "provisioning"
    DRAINING = "draining"
    LENT = "lent"


class Phase(enum.StrEnum):
    """OpenCost's phases: prompt (input) and generation (output)."""

    PROMPT = "prompt"
    GENERATION = "generation"


LIST_WINDOW = "list"
"""The `window` label of prices outside every price window."""


class Kind(enum.StrEnum):
    COUNTER = "counter"
    GAUGE = "gauge"


@dataclasses.dataclass(frozen=True)
class Metric:
    """One exported metric: its name as declared (counters without `_total`), type, labels."""

    name: str
    kind: Kind
    labels: tuple[Label, ...]
    help: str

    @property
    def exported(self) -> str:
        """The name as Prometheus stores and PromQL queries it."""
        return self.name + "_total" if self.kind is Kind.COUNTER else self.name


DEPLOYMENT_LABELS = (Label.NAMESPACE, Label.DEPLOYMENT)
ROLE_LABELS = (Label.NAMESPACE, Label.DEPLOYMENT, Label.ROLE)

TOKENS = Metric(
    PREFIX + "tokens",
    Kind.COUNTER,
    (*ROLE_LABELS, Label.MODEL, Label.TOKEN_CLASS),
    "Tokens served, by billing class: input tokens counted by the role that prefills, output "
    "tokens by the role that decodes.",
)
GPU_SECONDS = Metric(
    PREFIX + "gpu_seconds",
    Kind.COUNTER,
    (*ROLE_LABELS, Label.POOL, Label.COMMITMENT),
    "GPU-seconds held by a deployment's units (ready, starting or blocked), by how the node is "
    "paid.",
)
COST = Metric(
    PREFIX + "cost",
    Kind.COUNTER,
    (*ROLE_LABELS, Label.POOL, Label.CURRENCY),
    "What the nodes of a deployment's units cost, in the pool's currency.",
)
REVENUE = Metric(
    PREFIX + "revenue",
    Kind.COUNTER,
    (*DEPLOYMENT_LABELS, Label.MODEL, Label.PLAN, Label.KIND, Label.CURRENCY),
    "What served tokens earn under the deployment's PricingPlan: theoretical (every token at "
    "list price) or realised (billed share at the prices in force).",
)
POOL_COST = Metric(
    PREFIX + "pool_cost",
    Kind.COUNTER,
    (Label.POOL, Label.CURRENCY),
    "What a GPUNodePool costs: every node it holds plus leases it does not use.",
)
IDLE_COST = Metric(
    PREFIX + "idle_cost",
    Kind.COUNTER,
    (Label.POOL, Label.REASON, Label.CURRENCY),
    "Cost of a pool's nodes that serve nothing, by reason: unallocated, warming, blocked, "
    "unused_commitment.",
)
SCALE_DECISIONS = Metric(
    PREFIX + "scale_decisions",
    Kind.COUNTER,
    (*ROLE_LABELS, Label.DIRECTION, Label.REASON),
    "Planner decisions per role, by direction (up, down, hold) and main reason.",
)
COST_PER_MILLION = Metric(
    PREFIX + "cost_per_million_tokens",
    Kind.GAUGE,
    (*DEPLOYMENT_LABELS, Label.TOKEN_CLASS, Label.CURRENCY),
    "Cost per million tokens over the last hour of clock time: input (prefill cost), output "
    "(decode cost) or blended (all cost over all tokens).",
)
REVENUE_PER_MILLION = Metric(
    PREFIX + "revenue_per_million_tokens",
    Kind.GAUGE,
    (*DEPLOYMENT_LABELS, Label.KIND, Label.CURRENCY),
    "Revenue per million tokens of any class over the last hour of clock time.",
)
MARGIN = Metric(
    PREFIX + "margin_ratio",
    Kind.GAUGE,
    (*DEPLOYMENT_LABELS, Label.KIND),
    "Cost-profit margin (revenue - cost) / cost over the last hour of clock time; 5.45 is "
    "DeepSeek's 545%.",
)
UNITS_DESIRED = Metric(
    PREFIX + "units_desired",
    Kind.GAUGE,
    ROLE_LABELS,
    "Units the planner wants, ready and starting together.",
)
UNITS_READY = Metric(
    PREFIX + "units_ready", Kind.GAUGE, ROLE_LABELS, "Units whose every pod serves."
)
UNITS_STARTING = Metric(
    PREFIX + "units_starting",
    Kind.GAUGE,
    ROLE_LABELS,
    "Units asked for that do not serve yet (nodes provisioning, weights loading).",
)
UNITS_DEGRADED = Metric(
    PREFIX + "units_degraded",
    Kind.GAUGE,
    ROLE_LABELS,
    "Units with a member missing: an expert-parallel group with a hole serves nothing.",
)
CAPACITY = Metric(
    PREFIX + "capacity_tokens_per_second",
    Kind.GAUGE,
    ROLE_LABELS,
    "Tokens per second the ready units serve at 100%: input for prefill, output otherwise.",
)
CONDITION = Metric(
    PREFIX + "deployment_condition",
    Kind.GAUGE,
    (*DEPLOYMENT_LABELS, Label.CONDITION),
    "1 when the InferenceDeployment condition is True, 0 when False or Unknown.",
)
LATE_FRACTION = Metric(
    PREFIX + "late_token_fraction",
    Kind.GAUGE,
    DEPLOYMENT_LABELS,
    "Share of the last day's tokens that arrived while their role's ready capacity was below "
    "demand (what `simulate` calls late).",
)
LATE_BUDGET = Metric(
    PREFIX + "late_token_budget",
    Kind.GAUGE,
    DEPLOYMENT_LABELS,
    "The deployment's autoscaling.slo.lateTokenBudget: the late share a day may use.",
)
NODES = Metric(
    PREFIX + "nodes",
    Kind.GAUGE,
    (Label.POOL, Label.STATE),
    "Nodes of a GPUNodePool by state (allocated nodes are ready nodes running a unit).",
)
NODES_DESIRED = Metric(
    PREFIX + "nodes_desired", Kind.GAUGE, (Label.POOL,), "Nodes the pool aims for."
)
NODES_MAX = Metric(PREFIX + "nodes_max", Kind.GAUGE, (Label.POOL,), "The pool's maxNodes.")
NODES_COMMITTED = Metric(
    PREFIX + "nodes_committed",
    Kind.GAUGE,
    (Label.POOL,),
    "The pool's leased nodes, paid whether used or not.",
)
PRICE_PER_MILLION = Metric(
    PREFIX + "price_per_million_tokens",
    Kind.GAUGE,
    (Label.NAMESPACE, Label.PLAN, Label.MODEL, Label.TOKEN_CLASS, Label.WINDOW, Label.CURRENCY),
    "List price times the winning window's factor, per million tokens, in force now (model * "
    "for models without their own entry; window list outside every window).",
)
CLOCK_SPEED = Metric(
    PREFIX + "clock_speed",
    Kind.GAUGE,
    (),
    "Seconds of the operator's clock per real second (1 in production; e.g. 288 in the demo). "
    "Per-hour panels divide Prometheus's per-real-second rates by it.",
)
CLOCK_TIME = Metric(
    PREFIX + "clock_time_seconds",
    Kind.GAUGE,
    (),
    "The operator's clock as Unix seconds, to read a fast demo's data on its own time axis.",
)
BOOKS_AS_OF = Metric(
    PREFIX + "books_as_of_seconds",
    Kind.GAUGE,
    DEPLOYMENT_LABELS,
    "The operator's clock instant (Unix seconds) up to which the deployment's tokens are booked: "
    "its engines' newest counter samples, a scrape interval or so behind the clock.",
)
COST_AS_OF = Metric(
    PREFIX + "cost_as_of_seconds",
    Kind.GAUGE,
    DEPLOYMENT_LABELS,
    "The operator's clock instant (Unix seconds) up to which the deployment's cost is booked: "
    "where a restarted operator accrues it from.",
)
POOL_COST_AS_OF = Metric(
    PREFIX + "pool_cost_as_of_seconds",
    Kind.GAUGE,
    (Label.POOL,),
    "The operator's clock instant (Unix seconds) up to which the pool's cost is booked: where a "
    "restarted operator accrues it from.",
)
BOOKS_READ = Metric(
    PREFIX + "books_read_timestamp_seconds",
    Kind.GAUGE,
    DEPLOYMENT_LABELS,
    "The real instant (Unix seconds) at which the engine counters the deployment's books reach "
    "were read from Prometheus: where a restarted operator takes its books up again.",
)
OPENCOST_COST_PER_MILLION = Metric(
    "llm_cost_per_million_tokens",
    Kind.GAUGE,
    (*DEPLOYMENT_LABELS, Label.MODEL_NAME, Label.PHASE),
    "OpenCost's name: cost per million prompt (input) or generation (output) tokens over the "
    "last hour of clock time.",
)

ALL = (
    TOKENS,
    GPU_SECONDS,
    COST,
    REVENUE,
    POOL_COST,
    IDLE_COST,
    SCALE_DECISIONS,
    COST_PER_MILLION,
    REVENUE_PER_MILLION,
    MARGIN,
    UNITS_DESIRED,
    UNITS_READY,
    UNITS_STARTING,
    UNITS_DEGRADED,
    CAPACITY,
    CONDITION,
    LATE_FRACTION,
    LATE_BUDGET,
    NODES,
    NODES_DESIRED,
    NODES_MAX,
    NODES_COMMITTED,
    PRICE_PER_MILLION,
    CLOCK_SPEED,
    CLOCK_TIME,
    BOOKS_AS_OF,
    COST_AS_OF,
    POOL_COST_AS_OF,
    BOOKS_READ,
    OPENCOST_COST_PER_MILLION,
)
