"""Tokens served, by billing class, from the engines' own counters.

SGLang exports `prompt_tokens_total`, `generation_tokens_total` and `cached_tokens_total`; vLLM
`prompt_tokens_total`, `generation_tokens_total` and `prefix_cache_hits_total` (in tokens).
Each round of readings (`signals.counters.Round`: from Prometheus, or from the pods' /metrics)
holds every pod's cumulative counters; here two consecutive readings of a pod become the tokens
it served in between. Under PD disaggregation a request passes through both roles and both
count its prompt, so input tokens (and cache hits) are taken from the role that prefills and
output tokens from the role that decodes; a unified role gives both.

Counters, not rates: a counter's increase is what was served, whatever the scrape interval,
the rate window or the time between steps, so the books add up to the engines' own totals
exactly (rate x interval lost a quarter of a demo day). The rules that keep them exact:
- A counter that goes down means the engine restarted and counts from zero again: what it
  shows now was served since the restart (as Prometheus's `increase()` reads it).
- A pod missing from a round keeps its last reading: a missed scrape loses nothing, the next
  round sees the whole increase.
- The first round is a baseline and counts nothing: pods running when the books open may have
  served their counts before (under an operator that booked them, before a restart). A pod
  that runs then but does not answer takes its first reading as its baseline.
- After it, a pod never read before counts from zero. Engine pods start at zero, and a pod
  that was not in the previous round started after it (or its counts were never booked), so
  its whole counter was served since; counting nothing would lose every token a new unit
  serves before its first reading. A pod that vanishes is forgotten (`forget`); under the
  same name again it is a new pod and counts from zero as well.
Counters are compared as whole tokens (rounded before subtracting), so the sum of deltas is
exactly the difference of the last and first reading, with no rounding drift.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from tokenfleet.economics import tokens
from tokenfleet.signals import exposition, rates, snapshot

PREFILLS = frozenset({"prefill", "unified"})
DECODES = frozenset({"decode", "unified"})

ZERO = exposition.PodReading(prompt_tokens=0, generation_tokens=0, cached_tokens=0)
"""A pod's counters when it starts: what a pod first read after the baseline is compared with."""


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
        self._last: dict[snapshot.PodKey, exposition.PodReading] = {}
        self._opened = False
        """Whether the baseline round has been read: after it, new pods count from zero."""
        self._unread_at_opening: set[snapshot.PodKey] = set()
        """Pods running at the baseline that did not answer: their first reading is their
        baseline, since they too may have served their counts before the books opened."""

    def observe(
        self,
        readings: Mapping[snapshot.PodKey, exposition.PodReading],
        live: Collection[snapshot.PodKey] = (),
    ) -> dict[snapshot.RoleKey, tokens.TokenCounts]:
        """Tokens per role since the previous round, from this round's readings of every pod
        that answered; `live` lists the pods known to run, answered or not."""
        out: dict[snapshot.RoleKey, tokens.TokenCounts] = {}
        for key, reading in sorted(readings.items()):
            previous = self._last.get(key)
            if previous is None and self._opened and key not in self._unread_at_opening:
                previous = ZERO
            counts = served(key.role, previous, reading)
            out[key.role_key] = out.get(key.role_key, tokens.TokenCounts()) + counts
            self._last[key] = reading
            self._unread_at_opening.discard(key)
        if not self._opened:
            self._opened = True
            self._unread_at_opening = set(live) - set(readings)
        return out

    def forget(self, live: Collection[snapshot.PodKey]) -> None:
        """Drop pods that no longer exist (a pod recreated under the same name starts over)."""
        self._last = {key: value for key, value in self._last.items() if key in live}
        self._unread_at_opening &= set(live)
