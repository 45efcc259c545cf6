"""The books of one InferenceDeployment, kept at every autoscaling step.

Each step posts to the fleet ledger what happened since the previous one, through
`metrics.accounting.post` (the one bookkeeping path: the simulated report and the tests post
through it too, so what they check is what the operator does). What is posted:
- tokens served by class: the increase of the engines' own counters, per pod, from this step's
  round of readings (`signals.counters`), counted by `metrics.engine_tokens.Tracker`, which
  handles engine restarts, missed scrapes, new and vanished pods. Not rate x interval: the
  counters grow by exactly what was served, so the books add up to the engines' totals;
- the nodes each role's units held since the previous step and what they cost, the pool's
  leased slots going to the roles in spec order;
- the units now, and the planner's decision.
The ledger prices tokens under the deployment's PricingPlan and returns cost per million tokens
and margin for status.

After a restart the books go on from where the previous operator's stopped (`take_up`): the
ledger carried its counters over (`metrics.carryover`), and the tracker's baseline is the
engines' counters as they were read for the last round it exported, so the next round counts
exactly what nobody booked yet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from tokenfleet.api import gpu_node_pool as pool_api
from tokenfleet.api import inference_deployment as infd_api
from tokenfleet.api import pricing_plan as plan_api
from tokenfleet.economics import tokens
from tokenfleet.metrics import accounting as bookkeeping
from tokenfleet.metrics import engine_tokens, exporter, figures
from tokenfleet.planner import decide
from tokenfleet.signals import counters, snapshot
from tokenfleet.workloads import naming


def units(
    spec: infd_api.InferenceDeploymentSpec, status: Mapping[str, Any] | None
) -> dict[str, bookkeeping.Units]:
    """Every role's units from the deployment's status: the desired ones hold nodes from the
    moment they are asked for (ready or starting), and ready ones beyond them until they go."""
    roles_status = (status or {}).get("roles") or {}
    out: dict[str, bookkeeping.Units] = {}
    for role, _ in spec.roles.items():
        seen = roles_status.get(role) or {}
        desired = int(seen.get("desiredUnits") or 0)
        ready = int(seen.get("readyUnits") or 0)
        out[role] = bookkeeping.Units(
            desired=desired, ready=ready, starting=max(0, desired - ready)
        )
    return out


def committed(
    spec: infd_api.InferenceDeploymentSpec,
    held: Mapping[str, bookkeeping.Units],
    committed_nodes: float,
) -> dict[str, float]:
    """How many of each role's nodes sit on the pool's leased slots: the slots go to the roles
    in spec order, each taking at most the nodes it holds."""
    left = float(committed_nodes)
    out: dict[str, float] = {}
    for role, role_spec in spec.roles.items():
        now = held.get(role)
        nodes = float(now.held * role_spec.nodes_per_unit) if now is not None else 0.0
        out[role] = min(nodes, left)
        left -= out[role]
    return out


class Accountant:
    """Posts one deployment's steps to the ledger; remembers when the last step was and,
    through its tracker, every pod's last counters."""

    def __init__(self, ledger: exporter.FleetLedger, namespace: str, name: str) -> None:
        self.ledger = ledger
        self.namespace = namespace
        self.name = name
        self.label = naming.label_value(name)
        """The deployment as engine pods and their metrics name it."""
        self.tracker = engine_tokens.Tracker()
        self.last: dt.datetime | None = None
        self._opened = False
        self.read: dict[str, dt.datetime] = {}
        """Per role, when its counters were last read: a step without a reading books no
        tokens, and the next reading's (which holds them all) are priced over both steps."""

    @property
    def opened(self) -> bool:
        """Whether a step or a take-up opened the books already."""
        return self._opened or self.last is not None

    def take_up(self, baseline: counters.Round, since: dt.datetime | None) -> None:
        """Open the books where a previous operator's stopped: `baseline` is the round its last
        exported books were read from (counted as already booked), and node time accrues again
        from `since` (its last scrape)."""
        self.tracker.observe({k: v for k, v in baseline.readings.items() if self._mine(k)})
        self.last = since
        self._opened = True

    def _mine(self, key: snapshot.PodKey) -> bool:
        return (key.namespace, key.deployment) == (self.namespace, self.label)

    def served(
        self, spec: infd_api.InferenceDeploymentSpec, round_: counters.Round | None
    ) -> dict[str, tokens.TokenCounts]:
        """Tokens each role served since the previous round; empty without a round. Pods of
        other deployments in the round are ignored."""
        if round_ is None:
            return {}
        readings = {k: reading for k, reading in round_.readings.items() if self._mine(k)}
        live = {key for key in round_.live or () if self._mine(key)}
        counted = self.tracker.observe(readings, live)
        if round_.live is not None:
            self.tracker.forget(live)
        return {
            role: counted.get(
                snapshot.RoleKey(self.namespace, self.label, role), tokens.TokenCounts()
            )
            for role, _ in spec.roles.items()
        }

    def step(
        self,
        at: dt.datetime,
        spec: infd_api.InferenceDeploymentSpec,
        pool_name: str,
        pool: pool_api.GPUNodePoolSpec,
        plan_name: str | None,
        plan: plan_api.PricingPlanSpec | None,
        status: Mapping[str, Any] | None,
        round_: counters.Round | None,
        decision: decide.Decision | None,
    ) -> figures.Figures | None:
        """Account [last step, `at`); returns the deployment's figures for status."""
        since = at if self.last is None else min(self.last, at)
        self.last = at
        served = self.served(spec, round_)
        read_since = {role: self.read.get(role, since) for role in served}
        self.read.update(dict.fromkeys(served, at))
        held = units(spec, status)
        # A scrape sees a round's tokens together with the instant they were read at, or
        # neither: a restarted operator takes its books up from that pair.
        with self.ledger.atomically():
            bookkeeping.post(
                self.ledger,
                bookkeeping.Deployment(
                    self.namespace, self.name, spec, pool_name, pool, plan_name, plan
                ),
                served,
                held,
                since,
                at,
                committed=committed(spec, held, pool.committed_nodes),
                served_since=read_since,
            )
            if round_ is not None and round_.read_at is not None:
                self.ledger.set_books_read_at(self.namespace, self.name, round_.read_at)
        if decision is not None:
            self.ledger.observe_plan(self.namespace, self.name, decision)
        return self.ledger.figures(self.namespace, self.name, at)
