"""One wrapper that times every provider call and counts its failures, whatever the provider.

Providers stay free of metrics code; the factory wraps each in `Instrumented`. A failure that is
not already a `ProviderError` (a bug, a client error) is counted as `Unexpected` and re-raised.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence

from tokenfleet.nodepools import errors, metrics, provider


class Instrumented:
    """A `provider.Provider` that records latency and errors of the one it wraps."""

    def __init__(self, inner: provider.Provider, pool_metrics: metrics.PoolMetrics) -> None:
        self.inner = inner
        self.metrics = pool_metrics

    @property
    def name(self) -> str:
        return self.inner.name

    @contextlib.contextmanager
    def _measure(self, method: str) -> Iterator[None]:
        start = time.perf_counter()  # latency is real time, whatever the process clock's speed
        try:
            yield
        except errors.ProviderError as exc:
            self.metrics.errors.labels(self.name, method, exc.reason).inc()
            raise
        except Exception:
            self.metrics.errors.labels(self.name, method, "Unexpected").inc()
            raise
        finally:
            elapsed = time.perf_counter() - start
            self.metrics.call_seconds.labels(self.name, method).observe(elapsed)

    def observe(self, pool: provider.Pool) -> provider.Observed:
        with self._measure("observe"):
            return self.inner.observe(pool)

    def settle(self, pool: provider.Pool, observed: provider.Observed) -> list[str]:
        with self._measure("settle"):
            return self.inner.settle(pool, observed)

    def scale(self, pool: provider.Pool, held: int, observed: provider.Observed) -> int:
        with self._measure("scale"):
            return self.inner.scale(pool, held, observed)

    def release(self, pool: provider.Pool, names: Sequence[str]) -> list[str]:
        with self._measure("release"):
            return self.inner.release(pool, names)

    def reclaim(self, pool: provider.Pool, names: Sequence[str]) -> list[str]:
        with self._measure("reclaim"):
            return self.inner.reclaim(pool, names)
