"""The prices in force for a model at an instant, and the next instant they change.

A PricingPlan has list prices (the plan's default, or a model's own entry while it is in effect)
and daily windows that scale them (a night discount, an off-peak rate). Windows are read in the
plan's time zone, may cross midnight, may be limited to the days they start on, to some models,
and to an effective period. Where several windows are open for a model, the lowest factor wins:
a customer is never charged two discounts on top of each other, and a discount beats a surcharge.

The PricingPlan controller shows `prices_at` in status and requeues itself at `next_change`; the
exporter and the simulator price tokens with the same functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from tokenfleet.api import pricing_plan
from tokenfleet.economics import windows

DEFAULT_MODEL = "*"
"""Stands for any model without its own entry: the plan's default prices and model-free windows."""
LIST = "list"
"""The active-window label outside every window: list prices apply."""
DEFAULT_HORIZON = dt.timedelta(days=8)
"""How far `next_change` looks: a week of weekday-limited windows plus the day in progress."""


class PlanError(ValueError):
    """The plan cannot be read: an unknown time zone, a malformed time or instant."""


@dataclass(frozen=True)
class PricesInForce:
    """What one model's tokens cost at one instant, and why."""

    list_prices: pricing_plan.TokenPrices
    prices: pricing_plan.TokenPrices
    """List prices times `factor`: what a billed token pays now."""
    factor: Decimal
    """The factor of the winning window; 1 outside every window."""
    windows: tuple[str, ...]
    """Names of the windows open for this model, in plan order (the winner among them)."""
    billable_fraction: Decimal
    """Share of this model's tokens that is billed (free web and app use is not)."""
    model: str = DEFAULT_MODEL
    window: str | None = None
    """Name of the window whose factor is in force (the first of equals); None at list prices."""

    @property
    def active_window(self) -> str:
        """The open windows joined by commas, or `list` outside every window (for status)."""
        return ",".join(self.windows) or LIST


def instant(text: str) -> dt.datetime:
    """An RFC 3339 instant from the plan (`2025-09-05T16:00:00Z`), timezone-aware."""
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise PlanError(f"not an RFC 3339 instant: {text!r}") from None
    if parsed.tzinfo is None:
        raise PlanError(f"instant {text!r} needs a UTC offset, e.g. {text}Z")
    return parsed.astimezone(dt.UTC)


def _in_effect(since: str | None, until: str | None, at: dt.datetime) -> bool:
    return (since is None or instant(since) <= at) and (until is None or at < instant(until))


def _zone(plan: pricing_plan.PricingPlanSpec) -> dt.tzinfo:
    try:
        return windows.zone(plan.time_zone)
    except ValueError as exc:
        raise PlanError(str(exc)) from exc


def list_prices_at(
    plan: pricing_plan.PricingPlanSpec, model: str, at: dt.datetime
) -> tuple[pricing_plan.TokenPrices, Decimal]:
    """The model's list prices and billable fraction at `at`.

    The model's own entry in effect at `at` wins over the plan's defaults; of several in effect,
    the one that took effect last (the newest price change), then the first listed.
    """
    at = windows.require_aware(at)
    entries = [
        entry
        for entry in plan.models
        if entry.model == model and _in_effect(entry.effective_from, entry.effective_until, at)
    ]
    if not entries:
        return plan.prices, Decimal(repr(plan.billable_fraction))
    newest = max(
        entries,
        key=lambda entry: (
            instant(entry.effective_from)
            if entry.effective_from
            else dt.datetime.min.replace(tzinfo=dt.UTC)
        ),
    )
    return newest.prices, Decimal(repr(newest.billable_fraction))


def window_open(window: pricing_plan.PriceWindow, tz: dt.tzinfo, at: dt.datetime) -> bool:
    """Whether `window` is open at `at` for the models it covers: effective period and hours."""
    if not _in_effect(window.effective_from, window.effective_until, at):
        return False
    try:
        return windows.is_open(window, tz, at)
    except ValueError as exc:
        raise PlanError(f"window {window.name!r}: {exc}") from exc


def window_applies(
    window: pricing_plan.PriceWindow, model: str, tz: dt.tzinfo, at: dt.datetime
) -> bool:
    """Whether `window` is open for `model` at `at`: its models, effective period and hours."""
    covers = window.models is None or model in window.models
    return covers and window_open(window, tz, at)


def prices_at(plan: pricing_plan.PricingPlanSpec, model: str, at: dt.datetime) -> PricesInForce:
    """The prices in force for `model` at the aware instant `at`."""
    at = windows.require_aware(at)
    tz = _zone(plan)
    list_prices, billable = list_prices_at(plan, model, at)
    applying = [w for w in plan.windows if window_applies(w, model, tz, at)]
    if not applying:
        return PricesInForce(list_prices, list_prices, Decimal(1), (), billable, model, None)
    winner = min(applying, key=lambda w: w.factor())  # min keeps the first of equals
    return PricesInForce(
        list_prices=list_prices,
        prices=list_prices.scaled(winner.factor()),
        factor=winner.factor(),
        windows=tuple(w.name for w in applying),
        billable_fraction=billable,
        model=model,
        window=winner.name,
    )


def open_windows(plan: pricing_plan.PricingPlanSpec, at: dt.datetime) -> tuple[str, ...]:
    """Names of the windows open at `at` for any model, in plan order, without repeats (status
    `activeWindows`; per model, see `PricesInForce.windows`)."""
    at = windows.require_aware(at)
    tz = _zone(plan)
    names = (w.name for w in plan.windows if window_open(w, tz, at))
    return tuple(dict.fromkeys(names))


def models_of(plan: pricing_plan.PricingPlanSpec) -> tuple[str, ...]:
    """`DEFAULT_MODEL` and every model the plan names, in order of first mention."""
    names = [DEFAULT_MODEL, *(entry.model for entry in plan.models)]
    for window in plan.windows:
        names.extend(window.models or ())
    return tuple(dict.fromkeys(names))


def prices_by_model(
    plan: pricing_plan.PricingPlanSpec, at: dt.datetime
) -> dict[str, PricesInForce]:
    """The prices in force at `at` for every model the plan names, `*` for the rest (status)."""
    return {model: prices_at(plan, model, at) for model in models_of(plan)}


def change_points(
    plan: pricing_plan.PricingPlanSpec, after: dt.datetime, until: dt.datetime
) -> list[dt.datetime]:
    """Instants in (`after`, `until`] at which prices *may* change: window edges, effective dates.

    A superset: an edge where another window keeps the same price open is listed too.
    """
    after, until = windows.require_aware(after), windows.require_aware(until)
    tz = _zone(plan)
    found: set[dt.datetime] = set()
    for window in plan.windows:
        try:
            found.update(windows.edges(window, tz, after, until))
        except ValueError as exc:
            raise PlanError(f"window {window.name!r}: {exc}") from exc
    dates = [(w.effective_from, w.effective_until) for w in plan.windows]
    dates += [(m.effective_from, m.effective_until) for m in plan.models]
    for text in (text for pair in dates for text in pair if text is not None):
        if after < instant(text) <= until:
            found.add(instant(text))
    return sorted(found)


def next_change(
    plan: pricing_plan.PricingPlanSpec, at: dt.datetime, horizon: dt.timedelta = DEFAULT_HORIZON
) -> dt.datetime | None:
    """The first instant after `at`, within `horizon`, at which the prices in force or the open
    windows change for any model of the plan; None when nothing changes within the horizon."""
    at = windows.require_aware(at)
    now = prices_by_model(plan, at)
    for point in change_points(plan, at, at + horizon):
        if prices_by_model(plan, point) != now:
            return point
    return None


def segments(
    plan: pricing_plan.PricingPlanSpec, model: str, start: dt.datetime, end: dt.datetime
) -> Iterator[tuple[dt.datetime, dt.datetime, PricesInForce]]:
    """Split [`start`, `end`) into spans of constant prices for `model`, in order."""
    start, end = windows.require_aware(start), windows.require_aware(end)
    if end <= start:
        return
    opened, current = start, prices_at(plan, model, start)
    for point in change_points(plan, start, end):
        if point == end:
            break
        following = prices_at(plan, model, point)
        if following != current:
            yield opened, point, current
            opened, current = point, following
    yield opened, end, current
