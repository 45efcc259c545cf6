"""Tokens served, by billing class, from the engines' own counters.

SGLang exports `prompt_tokens_total`, `generation_tokens_total` and `cached_tokens_total`; vLLM
`prompt_tokens_total`, `generation_tokens_total` and `prefix_cache_hits_total` (in tokens).
`signals.exposition.read` reads either into a `PodReading`; here two consecutive readings of a
pod become the tokens it served in between. Under PD disaggregation a request passes through
both roles and both count its prompt, so input tokens (and cache hits) are taken from the role
that prefills and output tokens from the role that decodes; a unified role gives both.

A counter that goes down means the engine restarted and counts from zero again: what it shows
now was served since the restart (as Prometheus's `increase()` reads it). A pod seen for the
first time counts nothing, since what it shows may have been served before anyone looked.
Counters are compared as whole tokens (rounded before subtracting), so the sum of deltas is
exactly the difference of the last and first reading, with no rounding drift.

Where only rates are known (Prometheus), `from_rates` turns them into counts over an interval.
"""

from __future__ import annotations

import dataclasses

from tokenfleet.economics import tokens
from tokenfleet.signals import exposition, rates, snapshot

PREFILLS = frozenset({"prefill", "unified"})
DECODES = frozenset({"decode", "unified"})


@dataclasses.dataclass(frozen=True, order=True)
class PodKey:
    """One engine pod of one role."""

    namespace: str
    deployment: str
    role: str
    pod: str

    @property
    def role_key(self) -> snapshot.RoleKey:
        return snapshot.RoleKey(self.namespace, self.deployment, self.role)


def _grown(before: float | None, after: float | None) -> int:
    if before is None or after is None:
        return 0
    return int(rates.increase(round(before), round(after)))


def served(
    role: str, previous: exposition.PodReading | None, current: exposition.PodReading
) -> tokens.TokenCounts:
    """The tokens a pod of `role` served between two readings; none without a previous one."""
    if previous is None:
        return tokens.TokenCounts()
    prompt, cached, output = 0, 0, 0
    if role in PREFILLS:
        prompt = _grown(previous.prompt_tokens, current.prompt_tokens)
        # A restart between readings can leave the cache counter behind the prompt counter.
        cached = min(_grown(previous.cached_tokens, current.cached_tokens), prompt)
    if role in DECODES:
        output = _grown(previous.generation_tokens, current.generation_tokens)
    return tokens.TokenCounts.of(input=prompt, cached_input=cached, output=output)


class Tracker:
    """Remembers each pod's last reading and turns new readings into tokens served per role."""

    def __init__(self) -> None:
        self._last: dict[PodKey, exposition.PodReading] = {}

    def observe(
        self, readings: dict[PodKey, exposition.PodReading]
    ) -> dict[snapshot.RoleKey, tokens.TokenCounts]:
        """Tokens per role since the previous call, from this round's readings of every pod
        that answered. Pods missing from a round keep their last reading: a missed scrape loses
        nothing, the next one sees the whole increase."""
        out: dict[snapshot.RoleKey, tokens.TokenCounts] = {}
        for key, reading in sorted(readings.items()):
            counts = served(key.role, self._last.get(key), reading)
            out[key.role_key] = out.get(key.role_key, tokens.TokenCounts()) + counts
            self._last[key] = reading
        return out

    def forget(self, live: set[PodKey]) -> None:
        """Drop pods that no longer exist (a pod recreated under the same name starts over)."""
        self._last = {key: value for key, value in self._last.items() if key in live}


def from_rates(signals: snapshot.RoleSignals, seconds: float) -> tokens.TokenCounts:
    """The tokens a role served in `seconds` at the rates a snapshot gives (whole tokens)."""
    if seconds < 0:
        raise ValueError(f"seconds must not be negative, got {seconds}")
    role = signals.key.role
    prompt, cached, output = 0, 0, 0
    if role in PREFILLS and signals.input_tokens_per_second is not None:
        prompt = round(signals.input_tokens_per_second * seconds)
        share = min(max(signals.cached_share or 0.0, 0.0), 1.0)
        cached = round(prompt * share)
    if role in DECODES and signals.output_tokens_per_second is not None:
        output = round(signals.output_tokens_per_second * seconds)
    return tokens.TokenCounts.of(input=prompt, cached_input=cached, output=output)
