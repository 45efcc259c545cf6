"""What a late token is: the one definition `simulate`, `bench`, the demo and the engine
simulator count with.

Over a span in which a role's demand and its ready capacity are both constant, the tokens that
arrive beyond what its ready units serve at 100% are late: max(0, arrived - capacity x
seconds). A span in which either changes is cut where it changes and each piece counted on its
own: capacity left idle in one piece serves none of another's tokens (they wait, and whoever
sent them sees them late).
"""

from __future__ import annotations

from typing import overload

import numpy as np

from tokenfleet.sim import trace as tr


@overload
def late_tokens(arrived: float, capacity_per_second: float, seconds: float) -> float: ...


@overload
def late_tokens(
    arrived: tr.Floats, capacity_per_second: tr.Floats | float, seconds: tr.Floats
) -> tr.Floats: ...


def late_tokens(
    arrived: float | tr.Floats,
    capacity_per_second: float | tr.Floats,
    seconds: float | tr.Floats,
) -> float | tr.Floats:
    """Tokens of `arrived` (over `seconds`) beyond what `capacity_per_second` serves in that
    time; element-wise over arrays of spans. Unlimited capacity (math.inf) leaves none late."""
    if isinstance(arrived, np.ndarray):
        served = np.multiply(capacity_per_second, seconds)
        late: tr.Floats = np.maximum(0.0, arrived - served)
        return late
    assert isinstance(capacity_per_second, float | int) and isinstance(seconds, float | int)
    return max(0.0, arrived - capacity_per_second * seconds)
