"""The books of one InferenceDeployment, kept at every autoscaling step.

Each step posts to the fleet ledger what happened since the previous one: tokens served by class
(from the signals' rates over the clock time between steps), the nodes the role's units held
and what they cost, the units now, and the planner's decision. The ledger prices tokens under
the deployment's PricingPlan and returns cost per million tokens and margin for status.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from tokenfleet.api import gpu_node_pool as pool_api
from tokenfleet.api import inference_deployment as infd_api
from tokenfleet.api import pricing_plan as plan_api
from tokenfleet.metrics import engine_tokens, exporter, figures
from tokenfleet.planner import decide
from tokenfleet.signals import snapshot
from tokenfleet.workloads import naming


class Accountant:
    """Posts one deployment's steps to the ledger; remembers when the last step was."""

    def __init__(self, ledger: exporter.FleetLedger, namespace: str, name: str) -> None:
        self.ledger = ledger
        self.namespace = namespace
        self.name = name
        self.last: dt.datetime | None = None
        self.read: dict[str, dt.datetime] = {}
        """Per role, when its tokens were last counted: a step without a reading leaves the
        span open, and the next reading counts it at its rate instead of losing it."""

    def step(
        self,
        at: dt.datetime,
        spec: infd_api.InferenceDeploymentSpec,
        pool_name: str,
        pool: pool_api.GPUNodePoolSpec,
        plan_name: str | None,
        plan: plan_api.PricingPlanSpec | None,
        status: Mapping[str, Any] | None,
        sample: snapshot.Snapshot,
        decision: decide.Decision | None,
    ) -> figures.Figures | None:
        """Account [last step, `at`); returns the deployment's figures for status."""
        since, self.last = self.last, at
        seconds = (at - since).total_seconds() if since is not None else 0.0
        model = spec.model.served_name or spec.model.name
        roles_status = (status or {}).get("roles") or {}
        label = naming.label_value(self.name)
        committed_left = float(pool.committed_nodes)
        for role, role_spec in spec.roles.items():
            seen = roles_status.get(role) or {}
            desired = int(seen.get("desiredUnits") or 0)
            ready = int(seen.get("readyUnits") or 0)
            signals = sample.role(self.namespace, label, role)
            counted_from = self.read.get(role, since)
            if signals is not None and counted_from is not None and at > counted_from:
                self.ledger.observe_tokens(
                    self.namespace,
                    self.name,
                    model,
                    role,
                    engine_tokens.from_rates(signals, (at - counted_from).total_seconds()),
                    at,
                    since=counted_from,
                    plan=plan,
                    plan_name=plan_name,
                )
            if signals is not None or counted_from is None:
                self.read[role] = at
            if seconds > 0:
                nodes = float(max(desired, ready) * role_spec.nodes_per_unit)
                committed = min(nodes, committed_left)
                committed_left -= committed
                self.ledger.observe_nodes(
                    self.namespace,
                    self.name,
                    role,
                    pool_name,
                    pool,
                    nodes,
                    seconds,
                    at,
                    committed=committed,
                )
            self.ledger.set_units(
                self.namespace,
                self.name,
                role,
                desired=desired,
                ready=ready,
                starting=max(0, desired - ready),
                capacity=ready * role_spec.nodes_per_unit * role_spec.capacity_per_node,
            )
        if decision is not None:
            self.ledger.observe_plan(self.namespace, self.name, decision)
        return self.ledger.figures(self.namespace, self.name, at)
