"""DeepSeek's published day (REFERENCE.md §1.4–1.5) posted to the exporter hour by hour.

226.75 nodes (95.5 prefill, 131.25 decode) of 8 H800 at $2 a GPU-hour, 608B input tokens (342B
cache hits) and 168B output tokens at R1's list prices. The counters must add up to $87,072 of
cost and the theoretical revenue recomputed from the rounded counts ($562,100); the hour-long
gauges to $0.112 per million tokens blended, $0.060 input, $0.30 output, a 545% margin, and
OpenCost's `llm_cost_per_million_tokens` to the same input and output figures.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tokenfleet import clock as clocks
from tokenfleet.economics import tokens
from tokenfleet.metrics import exporter

from . import books

B = books.BILLION
HOURLY_PREFILL = tokens.TokenCounts.of(input=608 * B // 24, cached_input=342 * B // 24)
HOURLY_DECODE = tokens.TokenCounts(output=168 * B // 24)


@pytest.fixture
def day() -> tuple[exporter.FleetLedger, clocks.FakeClock]:
    clock = clocks.FakeClock(books.START)
    fleet = books.ledger(clock)
    pool, plan = books.pool(), books.plan()
    for _ in range(24):
        clock.advance(3600)
        for role, counts, nodes in (
            ("prefill", HOURLY_PREFILL, 95.5),
            ("decode", HOURLY_DECODE, 131.25),
        ):
            fleet.observe_tokens(
                books.NS, books.DEPLOYMENT, books.R1, role, counts, plan=plan, plan_name="r1"
            )
            fleet.observe_nodes(books.NS, books.DEPLOYMENT, role, books.POOL, pool, nodes, 3600)
    return fleet, clock


def total(text: str, name: str, **labels: str) -> float:
    return sum(
        value
        for (sample, have), value in books.scraped(text).items()
        if sample == name and set(labels.items()) <= set(have)
    )


def test_the_cost_counters_add_up_to_the_87072_dollar_day(
    day: tuple[exporter.FleetLedger, clocks.FakeClock],
) -> None:
    text = day[0].text()
    assert total(text, "tokenfleet_cost_total", currency="USD") == pytest.approx(87_072)
    assert total(text, "tokenfleet_cost_total", role="prefill") == pytest.approx(95.5 * 16 * 24)
    assert total(text, "tokenfleet_gpu_seconds_total") == pytest.approx(226.75 * 8 * 86_400)
    assert total(text, "tokenfleet_gpu_seconds_total", commitment="committed") == 0


def test_the_revenue_counters_hold_the_theoretical_day(
    day: tuple[exporter.FleetLedger, clocks.FakeClock],
) -> None:
    text = day[0].text()
    # 342B x $0.14 + 266B x $0.55 + 168B x $2.19, less the tokens lost to integer division by 24.
    theoretical = total(text, "tokenfleet_revenue_total", kind="theoretical", plan="r1")
    assert theoretical == pytest.approx(562_100, rel=1e-9)
    assert total(text, "tokenfleet_revenue_total", kind="realised") == theoretical


def test_the_token_counters_count_each_class_once(
    day: tuple[exporter.FleetLedger, clocks.FakeClock],
) -> None:
    text = day[0].text()
    assert total(text, "tokenfleet_tokens_total", token_class="input_cache_hit") == pytest.approx(
        342 * B, rel=1e-9
    )
    assert total(text, "tokenfleet_tokens_total", token_class="output") == pytest.approx(
        168 * B, rel=1e-9
    )
    assert (
        total(text, "tokenfleet_tokens_total", role="decode", token_class="input_cache_miss") == 0
    )


def test_the_last_hour_costs_0_112_per_million_tokens_with_a_545_percent_margin(
    day: tuple[exporter.FleetLedger, clocks.FakeClock],
) -> None:
    fleet, _ = day
    figures = fleet.figures(books.NS, books.DEPLOYMENT)
    assert figures is not None
    assert figures.cost == Decimal(87_072) / 24
    assert figures.cost_per_million.blended == pytest.approx(Decimal("0.1122"), abs=Decimal("1e-4"))
    assert figures.cost_per_million.input == pytest.approx(Decimal("0.0603"), abs=Decimal("1e-4"))
    assert figures.cost_per_million.output == pytest.approx(Decimal("0.3000"), abs=Decimal("1e-9"))
    assert figures.margin_theoretical == pytest.approx(Decimal("5.4556"), abs=Decimal("1e-4"))
    text = fleet.text()
    for token_class in ("input", "output", "blended"):
        exported = books.value(text, "tokenfleet_cost_per_million_tokens", token_class=token_class)
        wanted = getattr(figures.cost_per_million, token_class)
        assert exported == pytest.approx(float(wanted), rel=1e-12)
    assert books.value(text, "tokenfleet_margin_ratio", kind="theoretical") == pytest.approx(
        float(figures.margin_theoretical), rel=1e-12
    )


def test_opencost_reads_the_same_cost_per_million_prompt_and_generation_tokens(
    day: tuple[exporter.FleetLedger, clocks.FakeClock],
) -> None:
    fleet, _ = day
    text = fleet.text()
    figures = fleet.figures(books.NS, books.DEPLOYMENT)
    assert figures is not None
    prompt = books.value(text, "llm_cost_per_million_tokens", model_name=books.R1, phase="prompt")
    generation = books.value(
        text, "llm_cost_per_million_tokens", model_name=books.R1, phase="generation"
    )
    assert prompt == pytest.approx(float(figures.cost_per_million.input or 0), rel=1e-12)
    assert generation == pytest.approx(0.30, rel=1e-12)


def test_status_economics_carries_the_same_figures(
    day: tuple[exporter.FleetLedger, clocks.FakeClock],
) -> None:
    figures = day[0].figures(books.NS, books.DEPLOYMENT)
    assert figures is not None
    status = figures.to_status()
    assert status.currency == "USD"
    assert status.cost_per_million_output_tokens == pytest.approx(0.30)
    assert status.cost_per_million_tokens == pytest.approx(0.1122, abs=1e-4)
    assert status.margin == pytest.approx(5.4556, abs=1e-4)
