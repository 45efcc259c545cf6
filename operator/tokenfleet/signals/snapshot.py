"""What the planner reads: one sample of demand and utilisation per role.

Plain frozen data with no I/O, so pure code and tests can build it. Every reading is optional:
a value that could not be read is None, never a guessed 0, so the planner can tell "no demand"
from "no signal" and hold its last decision on the latter. Rates are per second of the
process clock (a scaled clock in the demo), not per real second.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping


@dataclasses.dataclass(frozen=True, order=True)
class RoleKey:
    """Which role of which InferenceDeployment a reading belongs to."""

    namespace: str
    deployment: str
    role: str


@dataclasses.dataclass(frozen=True)
class RoleSignals:
    """One role's readings; None where the source had nothing to read."""

    key: RoleKey
    # Prompt tokens arriving per second, cached ones included.
    input_tokens_per_second: float | None = None
    # Share of those prompt tokens served from the prefix cache, 0-1.
    cached_share: float | None = None
    # Generated tokens per second.
    output_tokens_per_second: float | None = None
    # KV-cache (token pool) usage averaged over the role's engines, 0-1.
    kv_cache_usage: float | None = None
    # Requests waiting in the engines' queues, summed over the role.
    queue_depth: float | None = None
    # Requests being served, summed over the role.
    running_requests: float | None = None
    # 90th percentile time to first token and inter-token latency, seconds.
    ttft_p90_seconds: float | None = None
    itl_p90_seconds: float | None = None
    # Mean GPU utilisation of the nodes the role's pods run on (DCGM), 0-1.
    gpu_utilization: float | None = None

    @property
    def demand_tokens_per_second(self) -> float | None:
        """The demand the role's capacity is measured in: input for prefill, output otherwise."""
        if self.key.role == "prefill":
            return self.input_tokens_per_second
        return self.output_tokens_per_second


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """All roles read at one instant of the process clock."""

    sampled_at: dt.datetime
    roles: Mapping[RoleKey, RoleSignals]

    def role(self, namespace: str, deployment: str, role: str) -> RoleSignals | None:
        """The readings of one role, or None when the source saw none of its engines."""
        return self.roles.get(RoleKey(namespace, deployment, role))
