"""PricingPlan: what a million tokens costs the customer, and when discounts apply."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import ConfigDict, Field
from pydantic.config import JsonDict

from tokenfleet.api import common


class TokenPrices(common.Model):
    """Prices per million tokens by token class."""

    input_cache_hit: common.Money = Field(description="Per 1M input tokens served from cache.")
    input_cache_miss: common.Money = Field(description="Per 1M input tokens not in cache.")
    output: common.Money = Field(description="Per 1M output tokens.")

    def scaled(self, factor: Decimal) -> TokenPrices:
        return TokenPrices(
            input_cache_hit=self.input_cache_hit * factor,
            input_cache_miss=self.input_cache_miss * factor,
            output=self.output * factor,
        )


ServedName = Annotated[
    str, Field(min_length=1, max_length=common.TEXT_MAX, pattern=common.PRINTABLE_PATTERN)
]

EFFECTIVE_RULE: JsonDict = {
    "rule": "!has(self.effectiveFrom) || !has(self.effectiveUntil) || "
    "timestamp(self.effectiveFrom) < timestamp(self.effectiveUntil)",
    "message": "effectiveFrom must be before effectiveUntil",
}


class ModelPrices(common.Model):
    """List prices for one model, overriding the plan's default prices."""

    model_config = ConfigDict(json_schema_extra={"x-kubernetes-validations": [EFFECTIVE_RULE]})

    model: str = Field(
        min_length=1,
        max_length=common.TEXT_MAX,
        pattern=common.PRINTABLE_PATTERN,
        description="Served model name these prices apply to.",
    )
    prices: TokenPrices = Field(description="Prices per million tokens for this model.")
    billable_fraction: common.Fraction = Field(
        default=1.0,
        description="Share of this model's tokens that is billed (free web/app use is not); "
        "realised revenue counts only this share.",
    )
    effective_from: str | None = Field(
        default=None,
        max_length=40,
        description="First instant these prices apply (RFC 3339).",
        json_schema_extra={"format": "date-time"},
    )
    effective_until: str | None = Field(
        default=None,
        max_length=40,
        description="First instant they no longer apply (RFC 3339).",
        json_schema_extra={"format": "date-time"},
    )


class PriceWindow(common.Model):
    """A daily time window in which prices change, e.g. a night discount or an off-peak rate."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                *common.WINDOW_RULES,
                {
                    "rule": "has(self.multiplier) != has(self.percentOff)",
                    "message": "set exactly one of multiplier (0.5 = half price) or percentOff "
                    "(75 = 75% off)",
                },
                EFFECTIVE_RULE,
            ]
        }
    )

    name: str = Field(
        min_length=1,
        max_length=common.LABEL_VALUE_MAX,
        pattern=common.LABEL_VALUE_PATTERN,
        description="Name shown in status and metrics, e.g. off-peak.",
    )
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
    models: list[ServedName] | None = Field(
        default=None,
        max_length=64,
        description="Served model names the window applies to; all when unset.",
    )
    multiplier: common.Factor | None = Field(
        default=None,
        ge=0,
        le=10,
        description="Factor on list prices inside the window (0.5 = half price).",
    )
    percent_off: int | None = Field(
        default=None,
        ge=0,
        le=100,
        description="Percent taken off list prices inside the window (75 = pay 25%).",
    )
    effective_from: str | None = Field(
        default=None,
        max_length=40,
        description="First instant the window applies (RFC 3339).",
        json_schema_extra={"format": "date-time"},
    )
    effective_until: str | None = Field(
        default=None,
        max_length=40,
        description="First instant it no longer applies (RFC 3339).",
        json_schema_extra={"format": "date-time"},
    )

    def factor(self) -> Decimal:
        """The price factor inside the window."""
        if self.multiplier is not None:
            return self.multiplier
        assert self.percent_off is not None
        return (Decimal(100) - Decimal(self.percent_off)) / Decimal(100)


class PricingPlanSpec(common.Model):
    """Desired state of a PricingPlan."""

    currency: str = Field(
        default="USD",
        max_length=3,
        pattern=r"^[A-Z]{3}$",
        description="ISO 4217 currency code of all prices.",
    )
    time_zone: str = Field(
        default="UTC",
        pattern=common.TIME_ZONE_PATTERN,
        max_length=64,
        description="IANA time zone the windows are read in.",
        json_schema_extra={"x-kubernetes-validations": [common.TIME_ZONE_RULE]},
    )
    prices: TokenPrices = Field(description="Default list prices per million tokens.")
    models: list[ModelPrices] = Field(
        default_factory=list,
        max_length=64,
        description="Per-model list prices and billable shares.",
    )
    windows: list[PriceWindow] = Field(
        default_factory=list,
        max_length=48,
        description="Time-of-day price windows; where several apply, the lowest factor wins.",
    )
    billable_fraction: common.Fraction = Field(
        default=1.0, description="Share of tokens billed for models without their own entry."
    )


class PricingPlanStatus(common.Model):
    """Observed state of a PricingPlan."""

    observed_generation: int | None = Field(default=None, description="Generation last acted on.")
    active_windows: list[str] = Field(default_factory=list, description="Windows in force now.")
    active_window: str | None = Field(
        default=None, description="Windows in force now, joined, or 'list' outside all windows."
    )
    prices_in_force: dict[str, TokenPrices] = Field(
        default_factory=dict, description="Prices in force now per model ('*' for the default)."
    )
    next_change: str | None = Field(
        default=None, description="When the prices in force next change (RFC 3339)."
    )
    conditions: list[common.Condition] = common.conditions_field()


class PricingPlan(common.Model):
    """What a million tokens costs the customer, by class, model and time of day."""

    api_version: str = Field(default=common.API_VERSION, description="API version.")
    kind: str = Field(default="PricingPlan", description="Kind.")
    metadata: dict[str, Any] = Field(default_factory=dict, description="Standard metadata.")
    spec: PricingPlanSpec = Field(description="Desired state.")
    status: PricingPlanStatus | None = Field(default=None, description="Observed state.")
