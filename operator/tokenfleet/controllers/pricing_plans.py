"""PricingPlan controller: the prices in force and the active window, refreshed at window edges.

The ticker steps each plan at the next instant its prices change (on the process clock, so a
fast demo clock crosses windows in seconds), or after `pricing_interval` at most, and on every
edit of the plan; a step writes status only when it changed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

import kopf
import pydantic

from tokenfleet import clock as clocks
from tokenfleet.api import common
from tokenfleet.api import pricing_plan as plan_api
from tokenfleet.controllers import conditions
from tokenfleet.controllers import context as context_mod
from tokenfleet.controllers import ticker as ticker_mod
from tokenfleet.economics import pricing

log = logging.getLogger(__name__)
PLURAL = "pricingplans"


def plan_status(
    plan: plan_api.PricingPlanSpec,
    at: dt.datetime,
    generation: int | None,
    previous: Mapping[str, Any] | None,
    now_rfc3339: str,
) -> dict[str, Any]:
    """Status of a plan at `at`: pure, so it is tested without a cluster."""
    windows = pricing.open_windows(plan, at)
    in_force = pricing.prices_by_model(plan, at)
    change = pricing.next_change(plan, at)
    return {
        "observedGeneration": generation,
        "activeWindows": list(windows),
        "activeWindow": ",".join(windows) if windows else pricing.LIST,
        "pricesInForce": {
            model: p.prices.model_dump(by_alias=True, mode="json") for model, p in in_force.items()
        },
        "nextChange": clocks.rfc3339(change) if change else None,
        "conditions": conditions.merge(
            (previous or {}).get("conditions"),
            [
                conditions.condition(
                    "Ready",
                    True,
                    "PricesInForce",
                    f"{len(windows)} window(s) open" if windows else "list prices in force",
                    generation,
                )
            ],
            now_rfc3339,
        ),
    }


def refresh(ctx: context_mod.Context, body: Mapping[str, Any]) -> dt.datetime | None:
    """Write the plan's status now; return when its prices next change."""
    meta = body["metadata"]
    generation = meta.get("generation")
    now = ctx.clock.now()
    try:
        plan = plan_api.PricingPlanSpec.model_validate(dict(body["spec"]))
        status = plan_status(plan, now, generation, body.get("status"), ctx.now_rfc3339())
        change = pricing.next_change(plan, now)
        ctx.ledger.observe_prices(meta["namespace"], meta["name"], plan, now)
    except (pydantic.ValidationError, pricing.PlanError) as exc:
        status = {
            "observedGeneration": generation,
            "conditions": conditions.merge(
                (body.get("status") or {}).get("conditions"),
                [conditions.condition("Ready", False, "InvalidPlan", str(exc)[:1000], generation)],
                ctx.now_rfc3339(),
            ),
        }
        change = None
    ctx.kube.apply_status(
        {
            "apiVersion": common.API_VERSION,
            "kind": "PricingPlan",
            "metadata": {"name": meta["name"], "namespace": meta["namespace"]},
            "status": {k: v for k, v in status.items() if v is not None},
        }
    )
    return change


def register(
    registry: kopf.OperatorRegistry, ctx: context_mod.Context, ticker: ticker_mod.Ticker
) -> None:
    """Refresh each plan's status on spec changes, at its window edges, and every
    `pricing_interval` on `ticker`."""
    resource = (common.GROUP, common.VERSION, PLURAL)

    async def periodic(body: Mapping[str, Any]) -> float | None:
        change = await asyncio.to_thread(refresh, ctx, body)
        if change is None:
            return None
        return max(0.0, (change - ctx.clock.now()).total_seconds())

    ticker.every(
        PLURAL, "prices-in-force", lambda _: ctx.settings.reconcile.pricing_interval, periodic
    )

    def on_change(body: kopf.Body, **_: Any) -> None:
        refresh(ctx, body)

    kopf.on.update(*resource, registry=registry, id="refresh", field="spec")(on_change)
