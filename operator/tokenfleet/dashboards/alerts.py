"""Alerting and recording rules, as Prometheus rule groups (a PrometheusRule's `spec`).

Alerts: margin below zero, cost per million tokens above a threshold, TTFT and inter-token
latency SLOs burning their budget fast or slowly, units with a member missing, a deployment
Degraded (no demand signal), a pool whose desired nodes reach its maximum and units the planner
could not get from a full pool.

The cost threshold depends on the business (and its currency), so it is a recording rule of its
own, `tokenfleet:cost_per_million_tokens:alert_threshold`, in a group the Helm chart renders from
its values; the other groups are generated into the chart's rules/ folder. `threshold_group`
gives the same group with the default, for checks outside the chart.
"""

from __future__ import annotations

from typing import Any

from tokenfleet.dashboards import slo
from tokenfleet.metrics import names

Rule = dict[str, Any]
Group = dict[str, Any]

THRESHOLD_RECORD = "tokenfleet:cost_per_million_tokens:alert_threshold"
DEFAULT_COST_PER_MILLION_THRESHOLD = 0.5
"""Per million tokens of any class, in the pools' currency: DeepSeek's day costs 0.112 USD."""
THRESHOLD_GROUP = "tokenfleet-thresholds"

BY_DEPLOYMENT = "{{ $labels.namespace }}/{{ $labels.deployment }}"
BY_ROLE = (
    "{{ $labels.namespace }}/{{ $labels.tokenfleet_io_deployment }} "
    "{{ $labels.tokenfleet_io_role }}"
)


def _alert(name: str, expr: str, wait: str, severity: str, summary: str, description: str) -> Rule:
    return {
        "alert": name,
        "expr": expr,
        "for": wait,
        "labels": {"severity": severity},
        "annotations": {"summary": summary, "description": description},
    }


def threshold_group(cost_per_million: float = DEFAULT_COST_PER_MILLION_THRESHOLD) -> Group:
    """The group holding the cost threshold (the chart renders it from its values)."""
    return {
        "name": THRESHOLD_GROUP,
        "rules": [{"record": THRESHOLD_RECORD, "expr": f"vector({cost_per_million!r})"}],
    }


def slo_group() -> Group:
    """Error ratios of every objective over every window the burn-rate alerts read."""
    rules: list[Rule] = [
        {"record": objective.record(window), "expr": objective.error_ratio(window)}
        for objective in slo.OBJECTIVES
        for window in slo.WINDOWS
    ]
    return {"name": "tokenfleet-slo", "rules": rules}


def _burn_alerts() -> list[Rule]:
    rules = []
    for objective in slo.OBJECTIVES:
        for burn, speed in ((slo.FAST, "Fast"), (slo.SLOW, "Slow")):
            limit = round(burn.factor * objective.budget, 10)
            rules.append(
                _alert(
                    f"Tokenfleet{objective.name.upper()}BudgetBurn{speed}",
                    f"{objective.record(burn.long)} > {limit!r} "
                    f"and {objective.record(burn.short)} > {limit!r}",
                    burn.wait,
                    burn.severity,
                    f"{objective.title} SLO of {BY_ROLE} burns its error budget "
                    f"{burn.factor:g}x too fast",
                    f"{{{{ $value | humanizePercentage }}}} of observations over the last "
                    f"{burn.long} took longer than {objective.threshold_seconds:g} s; the "
                    f"objective allows {objective.budget:.2%}. Add units or look for a slow "
                    "engine.",
                )
            )
    return rules


def alert_group() -> Group:
    margin = names.MARGIN.exported
    per_million = names.COST_PER_MILLION.exported
    decisions = names.SCALE_DECISIONS.exported
    rules = [
        _alert(
            "TokenfleetNegativeMargin",
            f'{margin}{{kind="realised"}} < 0',
            "30m",
            "warning",
            f"{BY_DEPLOYMENT} loses money",
            "Realised revenue over the last hour is below what its nodes cost (margin "
            "{{ $value | humanizePercentage }}). Check utilisation and idle units.",
        ),
        _alert(
            "TokenfleetCostPerMillionTokensHigh",
            f'{per_million}{{token_class="blended"}} > scalar({THRESHOLD_RECORD})',
            "30m",
            "warning",
            f'{BY_DEPLOYMENT} costs {{{{ $value | printf "%.3f" }}}} '
            "{{ $labels.currency }} per million tokens",
            "Cost per million tokens over the last hour is above the threshold set in the "
            "chart's values (alerts.costPerMillionTokens).",
        ),
        *_burn_alerts(),
        _alert(
            "TokenfleetUnitsDegraded",
            f"max by (namespace, deployment, role) ({names.UNITS_DEGRADED.exported}) > 0",
            "10m",
            "warning",
            f"{BY_DEPLOYMENT} {{{{ $labels.role }}}} has {{{{ $value }}}} unit(s) with a "
            "member missing",
            "An expert-parallel unit with a missing pod serves nothing while its nodes are "
            "paid for; tokenfleet recreates it. If this lasts, look at the unit's pods and nodes.",
        ),
        _alert(
            "TokenfleetDeploymentDegraded",
            f'{names.CONDITION.exported}{{condition="Degraded"}} == 1',
            "10m",
            "warning",
            f"{BY_DEPLOYMENT} is Degraded",
            "The planner holds its last decision: no usable demand signal. Check the metrics "
            "source (Prometheus or the engines' /metrics).",
        ),
        _alert(
            "TokenfleetLateTokenBudgetExceeded",
            f"{names.LATE_FRACTION.exported} > on (namespace, deployment) "
            f"{names.LATE_BUDGET.exported}",
            "15m",
            "warning",
            f"{BY_DEPLOYMENT} used more than its late-token budget",
            "{{ $value | humanizePercentage }} of the last day's tokens arrived while their role "
            "had too few ready units, above autoscaling.slo.lateTokenBudget. Look for pool "
            "limits, units that failed to start, or demand the forecast did not see coming.",
        ),
        _alert(
            "TokenfleetPoolAtMax",
            f"max by (pool) ({names.NODES_DESIRED.exported}) "
            f">= max by (pool) ({names.NODES_MAX.exported})",
            "15m",
            "warning",
            "Node pool {{ $labels.pool }} is at its maximum",
            "The pool wants as many nodes as maxNodes allows; more demand cannot be served. "
            "Raise maxNodes or add a pool.",
        ),
        _alert(
            "TokenfleetUnitsDeniedByFullPool",
            f"sum by (namespace, deployment, role) "
            f'(increase({decisions}{{reason="pool_full"}}[15m])) > 0',
            "0m",
            "warning",
            f"{BY_DEPLOYMENT} {{{{ $labels.role }}}} could not get the units it needs",
            "The planner granted fewer units than demand asks for because the pool is full.",
        ),
    ]
    return {"name": "tokenfleet-alerts", "rules": rules}


def generated_groups() -> list[Group]:
    """The groups written into the chart's rules/ folder."""
    return [slo_group(), alert_group()]


def all_groups(cost_per_million: float = DEFAULT_COST_PER_MILLION_THRESHOLD) -> list[Group]:
    """Every group, the threshold included: what a PrometheusRule of the chart holds."""
    return [threshold_group(cost_per_million), *generated_groups()]
