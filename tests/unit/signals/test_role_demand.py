"""The demand a role is sized by: input tokens for prefill, output tokens for decode and unified."""

from __future__ import annotations

import pytest

from tokenfleet.signals import snapshot


@pytest.mark.parametrize(
    ("role", "expected"), [("prefill", 900.0), ("decode", 120.0), ("unified", 120.0)]
)
def test_demand_follows_the_role(role: str, expected: float) -> None:
    signals = snapshot.RoleSignals(
        key=snapshot.RoleKey("ns", "d", role),
        input_tokens_per_second=900.0,
        output_tokens_per_second=120.0,
    )
    assert signals.demand_tokens_per_second == expected


def test_missing_demand_stays_missing() -> None:
    signals = snapshot.RoleSignals(
        key=snapshot.RoleKey("ns", "d", "decode"), input_tokens_per_second=1.0
    )
    assert signals.demand_tokens_per_second is None
