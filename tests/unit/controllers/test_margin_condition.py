"""MarginAvailable: whether revenue and cost can be set against each other, told once per problem.

Covered: a plan priced in the pool's currency is Priced; no pricingPlanRef, a missing or an
invalid plan and a plan in another currency are False with their reason and a message that
says what to fix; a warning is due when a problem first shows or changes, not at every step.
"""

from __future__ import annotations

from tests.unit.workloads import fleet

from tokenfleet.api import pricing_plan as plan_api
from tokenfleet.controllers import autoscaling

POOL = fleet.pool()
PRICES = {"prices": {"inputCacheHit": 0.14, "inputCacheMiss": 0.55, "output": 2.19}}


def plan(currency: str = "USD") -> plan_api.PricingPlanSpec:
    return plan_api.PricingPlanSpec.model_validate({**PRICES, "currency": currency})


def margin(lookup: autoscaling.PlanLookup) -> dict[str, object]:
    return autoscaling.margin_condition(lookup, "h800", POOL, 3)


def test_a_plan_in_the_pools_currency_prices_the_margin() -> None:
    got = margin(autoscaling.PlanLookup("r1", plan()))
    assert (got["status"], got["reason"], got["observedGeneration"]) == ("True", "Priced", 3)


def test_each_reason_margin_is_missing_says_what_to_fix() -> None:
    cases = [
        (autoscaling.PlanLookup(None, None), "NoPricingPlan", "pricingPlanRef is not set"),
        (autoscaling.PlanLookup("r1", None, "PlanNotFound"), "PlanNotFound", "does not exist"),
        (autoscaling.PlanLookup("r1", None, "PlanInvalid"), "PlanInvalid", "invalid spec"),
        (
            autoscaling.PlanLookup("r1", plan("EUR")),
            "CurrencyMismatch",
            "prices in EUR but GPUNodePool 'h800' costs in USD",
        ),
    ]
    for lookup, reason, words in cases:
        got = margin(lookup)
        assert got["status"] == "False" and got["reason"] == reason
        assert words in str(got["message"])


def test_a_problem_is_told_when_it_first_shows_not_at_every_step() -> None:
    euros = margin(autoscaling.PlanLookup("r1", plan("EUR")))
    priced = {**margin(autoscaling.PlanLookup("r1", plan())), "lastTransitionTime": "t"}
    assert autoscaling.margin_news([priced], euros) == euros
    assert autoscaling.margin_news([{**euros, "lastTransitionTime": "t"}], euros) is None
    gone = margin(autoscaling.PlanLookup("r1", None, "PlanNotFound"))
    assert autoscaling.margin_news([euros], gone) == gone
    # Not having a plan is a choice, not a problem: no warning.
    assert autoscaling.margin_news([], margin(autoscaling.PlanLookup(None, None))) is None
