"""The dashboards tokenfleet ships: money, cost per token over the day, capacity against demand,
scale decisions with the engines' latency, and node pools with their idle cost.

Every query reads the operator's exporter (metrics/names.py) or the engines' own metrics, with
the template variables of `model`. Per-hour figures are in the operator's clock hours (see
`promql.per_clock_hour`); the exporter's hour-long gauges (cost per million tokens, margin) are
shown as they are, next to the same ratios worked out by PromQL over `$window`.
"""

from __future__ import annotations

from tokenfleet.dashboards import model, promql, slo
from tokenfleet.metrics import names

Q = model.Quantity
D = promql.DEPLOYMENTS
P = promql.POOLS
DEPLOYMENT_BY = ("namespace", "deployment")

COST_PER_HOUR = model.Query(
    promql.per_clock_hour(promql.rate(names.COST, ["currency"], D)),
    "cost ({{currency}})",
    Q.COST_PER_HOUR,
)
REVENUE_PER_HOUR = model.Query(
    promql.per_clock_hour(promql.rate(names.REVENUE, ["kind", "currency"], D)),
    "revenue {{kind}} ({{currency}})",
    Q.REVENUE_PER_HOUR,
)
MARGIN = model.Query(promql.select(names.MARGIN, D), "{{deployment}} {{kind}}", Q.MARGIN)
BLENDED = model.Query(
    promql.select(names.COST_PER_MILLION, D, 'token_class="blended"'),
    "{{deployment}}",
    Q.COST_PER_MILLION,
    {"token_class": "blended"},
)
COST_PER_MILLION_WINDOW = model.Query(
    f"{promql.rate(names.COST, DEPLOYMENT_BY, D)} / "
    f"{promql.rate(names.TOKENS, DEPLOYMENT_BY, D)} * 1e6",
    "{{deployment}} over $window",
    Q.COST_PER_MILLION_WINDOW,
)
UNITS = (
    model.Query(promql.select(names.UNITS_DESIRED, D), "desired {{role}}", Q.UNITS_DESIRED),
    model.Query(promql.select(names.UNITS_READY, D), "ready {{role}}", Q.UNITS_READY),
    model.Query(promql.select(names.UNITS_STARTING, D), "starting {{role}}", Q.UNITS_STARTING),
)
NODES = model.Query(
    f"sum by (pool, state) ({promql.select(names.NODES, P)})", "{{pool}} {{state}}", Q.NODES
)
PROMPT_CLASSES = 'token_class=~"input_cache_hit|input_cache_miss"'
DEMAND = model.Query(
    promql.per_clock_second(
        promql.rate(names.TOKENS, ["deployment", "role"], D, 'role="prefill"', PROMPT_CLASSES)
    )
    + " or "
    + promql.per_clock_second(
        promql.rate(
            names.TOKENS, ["deployment", "role"], D, 'role!="prefill"', 'token_class="output"'
        )
    ),
    "demand {{deployment}} {{role}}",
    Q.DEMAND,
)

ECONOMICS = model.Dashboard(
    uid="tokenfleet-economics",
    title="tokenfleet / Cost, revenue and margin",
    description="What the fleet spends and earns, per hour of the operator's clock, and the "
    "cost-profit margin (DeepSeek's 545% is a theoretical margin of 5.45).",
    rows=(
        model.Row(
            "Now",
            (
                model.Panel(
                    "Cost per hour",
                    "What the nodes of the selected deployments' units cost per hour.",
                    (COST_PER_HOUR,),
                    style=model.Style.STAT,
                    width=6,
                    height=5,
                ),
                model.Panel(
                    "Revenue per hour",
                    "Theoretical (every token at list price) and realised (billed share at the "
                    "prices in force) revenue per hour.",
                    (REVENUE_PER_HOUR,),
                    style=model.Style.STAT,
                    width=6,
                    height=5,
                ),
                model.Panel(
                    "Margin",
                    "(revenue - cost) / cost over the last hour of the operator's clock.",
                    (MARGIN,),
                    unit="percentunit",
                    style=model.Style.STAT,
                    width=6,
                    height=5,
                ),
                model.Panel(
                    "Cost per million tokens",
                    "All cost over all tokens, last hour of the operator's clock.",
                    (BLENDED,),
                    style=model.Style.STAT,
                    width=6,
                    height=5,
                ),
            ),
        ),
        model.Row(
            "Over time",
            (
                model.Panel(
                    "Cost and revenue per hour",
                    "Cost of the deployments' nodes against what their tokens earn.",
                    (COST_PER_HOUR, REVENUE_PER_HOUR),
                ),
                model.Panel(
                    "Margin",
                    "Cost-profit margin, realised and theoretical.",
                    (MARGIN,),
                    unit="percentunit",
                ),
                model.Panel(
                    "Revenue and cost per million tokens",
                    "Revenue per million tokens by model and kind, and cost per million tokens, "
                    "over $window.",
                    (
                        model.Query(
                            f"{promql.rate(names.REVENUE, ['model', 'kind'], D)} / on (model) "
                            f"group_left () {promql.rate(names.TOKENS, ['model'], D)} * 1e6",
                            "revenue {{model}} {{kind}}",
                            Q.REVENUE_PER_MILLION_BY_MODEL,
                        ),
                        COST_PER_MILLION_WINDOW,
                    ),
                ),
                model.Panel(
                    "Tokens per second by class",
                    "Tokens served per second of the operator's clock.",
                    (
                        model.Query(
                            promql.per_clock_second(promql.rate(names.TOKENS, ["token_class"], D)),
                            "{{token_class}}",
                            Q.TOKENS_PER_SECOND,
                        ),
                    ),
                    stacked=True,
                ),
            ),
        ),
    ),
)

COST_PER_TOKEN = model.Dashboard(
    uid="tokenfleet-cost-per-token",
    title="tokenfleet / Cost per token over the day",
    description="Cost per million tokens by class through the day, against the prices in force.",
    rows=(
        model.Row(
            "Cost per million tokens",
            (
                model.Panel(
                    "Cost per million tokens (last hour)",
                    "Input tokens bear the prefill cost, output tokens the decode cost; blended "
                    "is all cost over all tokens. Worked out by the operator over the last hour "
                    "of its clock.",
                    (
                        model.Query(
                            promql.select(names.COST_PER_MILLION, D),
                            "{{deployment}} {{token_class}}",
                            Q.COST_PER_MILLION,
                        ),
                    ),
                ),
                model.Panel(
                    "Cost per million tokens over $window",
                    "The same blended figure from the cost and token counters by PromQL.",
                    (COST_PER_MILLION_WINDOW,),
                ),
                model.Panel(
                    "Price in force against cost, output tokens",
                    "List price times the winning window's factor, per million output tokens, "
                    "next to what a million output tokens cost.",
                    (
                        model.Query(
                            promql.select(
                                names.PRICE_PER_MILLION,
                                'namespace=~"$namespace"',
                                'token_class="output"',
                            ),
                            "price {{plan}} {{model}} ({{window}})",
                            Q.PRICE_PER_MILLION,
                            {"token_class": "output"},
                        ),
                        model.Query(
                            promql.select(names.COST_PER_MILLION, D, 'token_class="output"'),
                            "cost {{deployment}}",
                            Q.COST_PER_MILLION,
                            {"token_class": "output"},
                        ),
                    ),
                ),
                model.Panel(
                    "Revenue per million tokens (last hour)",
                    "Realised and theoretical revenue per million tokens of any class.",
                    (
                        model.Query(
                            promql.select(names.REVENUE_PER_MILLION, D),
                            "{{deployment}} {{kind}}",
                            Q.REVENUE_PER_MILLION,
                        ),
                    ),
                ),
                model.Panel(
                    "OpenCost: llm_cost_per_million_tokens",
                    "The same cost per million tokens under OpenCost's name, prompt and "
                    "generation phases.",
                    (
                        model.Query(
                            promql.select(
                                names.OPENCOST_COST_PER_MILLION,
                                'namespace=~"$namespace"',
                                'deployment=~"$deployment"',
                            ),
                            "{{model_name}} {{phase}}",
                            Q.OPENCOST,
                        ),
                    ),
                    width=24,
                ),
            ),
        ),
    ),
)

CAPACITY = model.Dashboard(
    uid="tokenfleet-capacity",
    title="tokenfleet / Units and nodes against demand",
    description="Demand per role against the capacity of its ready units, units and nodes.",
    variables=("namespace", "deployment", "pool", "window"),
    rows=(
        model.Row(
            "Demand and capacity",
            (
                model.Panel(
                    "Demand and capacity per role (tokens/s)",
                    "Input tokens/s for prefill, output tokens/s for decode and unified, "
                    "against what the ready units serve at 100%.",
                    (
                        DEMAND,
                        model.Query(
                            promql.select(names.CAPACITY, D),
                            "capacity {{deployment}} {{role}}",
                            Q.CAPACITY,
                        ),
                    ),
                    width=24,
                ),
                model.Panel(
                    "Units per role",
                    "Desired units (ready and starting together), ready and starting units.",
                    UNITS,
                ),
                model.Panel(
                    "Nodes by state",
                    "Allocated nodes are ready nodes that run a unit.",
                    (NODES,),
                ),
            ),
        ),
    ),
)

SCALING = model.Dashboard(
    uid="tokenfleet-scaling",
    title="tokenfleet / Scale decisions",
    description="Planner decisions by direction and reason, units, and the engines' latency SLOs.",
    rows=(
        model.Row(
            "Decisions",
            (
                model.Panel(
                    "Scale decisions",
                    "Decisions that changed a role's units in each interval of the graph, by "
                    "direction and the reason that set the number.",
                    (
                        model.Query(
                            "sum by (role, direction, reason) (increase("
                            + promql.select(names.SCALE_DECISIONS, D, 'direction!="hold"')
                            + f"[{promql.INTERVAL}])) > 0",
                            "{{role}} {{direction}} ({{reason}})",
                            Q.DECISIONS,
                        ),
                    ),
                    style=model.Style.BARS,
                ),
                model.Panel("Units desired per role", "Units the planner wants.", UNITS[:1]),
            ),
        ),
        model.Row(
            "Latency",
            (
                model.Panel(
                    "Time to first token, p90",
                    "From the engines' histograms, per role.",
                    (
                        model.Query(
                            promql.latency_quantile(0.9, promql.TTFT_NAMES),
                            "{{tokenfleet_io_deployment}} {{tokenfleet_io_role}}",
                            Q.TTFT_P90,
                        ),
                    ),
                    unit="s",
                ),
                model.Panel(
                    "Inter-token latency, p90",
                    "From the engines' histograms, per role.",
                    (
                        model.Query(
                            promql.latency_quantile(0.9, promql.ITL_NAMES),
                            "{{tokenfleet_io_deployment}} {{tokenfleet_io_role}}",
                            Q.ITL_P90,
                        ),
                    ),
                    unit="s",
                ),
                model.Panel(
                    "SLO errors: share of requests over the latency objective",
                    f"Time to first token above {slo.TTFT.threshold_seconds:g} s and "
                    f"inter-token latency above {slo.ITL.threshold_seconds:g} s, over $window.",
                    (
                        model.Query(
                            slo.TTFT.error_ratio("$window", promql.ENGINE_PODS),
                            "TTFT {{tokenfleet_io_deployment}} {{tokenfleet_io_role}}",
                            Q.TTFT_SLO_ERRORS,
                        ),
                        model.Query(
                            slo.ITL.error_ratio("$window", promql.ENGINE_PODS),
                            "ITL {{tokenfleet_io_deployment}} {{tokenfleet_io_role}}",
                            Q.ITL_SLO_ERRORS,
                        ),
                    ),
                    unit="percentunit",
                    width=24,
                ),
            ),
        ),
    ),
)

NODE_POOLS = model.Dashboard(
    uid="tokenfleet-node-pools",
    title="tokenfleet / Node pools and idle cost",
    description="Nodes by state, the pool's bounds, and what nodes that serve nothing cost.",
    variables=("pool", "window"),
    rows=(
        model.Row(
            "Nodes",
            (
                model.Panel("Nodes by state", "Nodes of each pool by state.", (NODES,)),
                model.Panel(
                    "Desired, maximum and committed nodes",
                    "A pool whose desired nodes reach its maximum cannot grow.",
                    (
                        model.Query(
                            promql.select(names.NODES_DESIRED, P),
                            "desired {{pool}}",
                            Q.NODES_DESIRED,
                        ),
                        model.Query(promql.select(names.NODES_MAX, P), "max {{pool}}", Q.NODES_MAX),
                        model.Query(
                            promql.select(names.NODES_COMMITTED, P),
                            "committed {{pool}}",
                            Q.NODES_COMMITTED,
                        ),
                    ),
                ),
            ),
        ),
        model.Row(
            "Cost",
            (
                model.Panel(
                    "Idle cost per hour by reason",
                    "Nodes running no unit (unallocated), units still starting (warming), units "
                    "missing a member (blocked), and leases the pool does not use.",
                    (
                        model.Query(
                            promql.per_clock_hour(
                                promql.rate(names.IDLE_COST, ["pool", "reason", "currency"], P)
                            ),
                            "{{pool}} {{reason}} ({{currency}})",
                            Q.IDLE_COST_PER_HOUR,
                        ),
                    ),
                    stacked=True,
                ),
                model.Panel(
                    "Pool cost per hour",
                    "Every node the pool holds plus leases it does not use.",
                    (
                        model.Query(
                            promql.per_clock_hour(
                                promql.rate(names.POOL_COST, ["pool", "currency"], P)
                            ),
                            "{{pool}} ({{currency}})",
                            Q.POOL_COST_PER_HOUR,
                        ),
                    ),
                ),
                model.Panel(
                    "Idle share of pool cost",
                    "Idle cost over pool cost, over $window.",
                    (
                        model.Query(
                            f"{promql.rate(names.IDLE_COST, ['pool'], P)} / "
                            f"{promql.rate(names.POOL_COST, ['pool'], P)}",
                            "{{pool}}",
                            Q.IDLE_SHARE,
                        ),
                    ),
                    unit="percentunit",
                    style=model.Style.STAT,
                    width=24,
                    height=5,
                ),
            ),
        ),
    ),
)

ALL = (ECONOMICS, COST_PER_TOKEN, CAPACITY, SCALING, NODE_POOLS)
