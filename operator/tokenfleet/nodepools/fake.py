"""A provider for unit tests: it records every call and fails the next one on demand.

It holds no cluster: `observed` is what `observe` returns, `held` what `scale` last set, and
`release`/`reclaim` drop or return the names they were given, as a real provider would.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from tokenfleet.nodepools import errors, provider


@dataclasses.dataclass(frozen=True)
class Call:
    method: str
    pool: str
    args: tuple[Any, ...] = ()


class FakeProvider:
    """Keeps the `provider.Provider` contract in memory."""

    def __init__(self, name: str = "fake", observed: provider.Observed | None = None) -> None:
        self._name = name
        self.observed = observed or provider.Observed()
        self.held: int | None = None
        self.released: list[str] = []
        self.reclaimed: list[str] = []
        self.calls: list[Call] = []
        self._next_error: errors.ProviderError | None = None

    @property
    def name(self) -> str:
        return self._name

    def fail_next(self, error: errors.ProviderError) -> None:
        """The next call, whichever it is, raises `error` (once)."""
        self._next_error = error

    def _record(self, method: str, pool: provider.Pool, *args: Any) -> None:
        self.calls.append(Call(method, pool.name, args))
        if self._next_error is not None:
            error, self._next_error = self._next_error, None
            raise error

    def methods(self) -> list[str]:
        return [c.method for c in self.calls]

    def observe(self, pool: provider.Pool) -> provider.Observed:
        self._record("observe", pool)
        return self.observed

    def settle(self, pool: provider.Pool, observed: provider.Observed) -> list[str]:
        self._record("settle", pool)
        return []

    def scale(self, pool: provider.Pool, held: int, observed: provider.Observed) -> int:
        self._record("scale", pool, held)
        before = len(observed.nodes) + observed.pending if self.held is None else self.held
        self.held = held
        return max(0, held - before)

    def release(self, pool: provider.Pool, names: Sequence[str]) -> list[str]:
        self._record("release", pool, tuple(names))
        fresh = [n for n in names if n not in self.released]
        self.released += fresh
        return fresh

    def reclaim(self, pool: provider.Pool, names: Sequence[str]) -> list[str]:
        self._record("reclaim", pool, tuple(names))
        fresh = [n for n in names if n not in self.reclaimed]
        self.reclaimed += fresh
        return fresh
