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

from tokenfleet.signals import offered


@dataclasses.dataclass(frozen=True, order=True)
class RoleKey:
    """Which role of which InferenceDeployment a reading belongs to."""

    namespace: str
    deployment: str
    role: str


@dataclasses.dataclass(frozen=True, order=True)
class PodKey:
    """One engine pod of one role: what its token counters are read and booked under."""

    namespace: str
    deployment: str
    role: str
    pod: str

    @property
    def role_key(self) -> RoleKey:
        return RoleKey(self.namespace, self.deployment, self.role)


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
    # Requests served to the end per second, summed over the role.
    requests_per_second: float | None = None
    # How fast the role's queue grows, requests per second (negative while it drains).
    queue_growth_per_second: float | None = None
    # Requests aborted per second (clients that gave up waiting, among others).
    aborted_requests_per_second: float | None = None

    @property
    def served_tokens_per_second(self) -> float | None:
        """What the role serves, in the tokens its capacity is measured in: input for prefill,
        output otherwise."""
        if self.key.role == "prefill":
            return self.input_tokens_per_second
        return self.output_tokens_per_second

    @property
    def tokens_per_request(self) -> float | None:
        """Served tokens (the role's kind) per served request, over the window."""
        served = self.served_tokens_per_second
        if served is None or not self.requests_per_second or self.requests_per_second <= 0:
            return None
        return served / self.requests_per_second

    @property
    def queued_tokens(self) -> float | None:
        """Tokens (the role's kind) waiting in the role's queues, at the served tokens per
        request; None without a queue depth or a ratio."""
        per_request = self.tokens_per_request
        if self.queue_depth is None or per_request is None:
            return None
        return self.queue_depth * per_request

    @property
    def demand_tokens_per_second(self) -> float | None:
        """The offered demand the role is sized by: served tokens plus, in tokens, the growth
        of its queue and what was aborted (offered.py says why not the queue's size). Equal
        to the served rate when the role keeps up, or when the source reads no queue."""
        return offered.tokens_per_second(
            self.served_tokens_per_second,
            self.requests_per_second,
            self.queue_growth_per_second,
            self.aborted_requests_per_second,
        )


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """All roles read at one instant of the process clock."""

    sampled_at: dt.datetime
    roles: Mapping[RoleKey, RoleSignals]

    def role(self, namespace: str, deployment: str, role: str) -> RoleSignals | None:
        """The readings of one role, or None when the source saw none of its engines."""
        return self.roles.get(RoleKey(namespace, deployment, role))
