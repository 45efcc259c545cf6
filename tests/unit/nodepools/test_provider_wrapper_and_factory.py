"""The provider factory and the one wrapper that measures every provider.

Covered: the factory builds each provider by name and refuses an unknown one, listing the valid
names; the wrapper passes calls and results through, times every call, counts typed failures by
reason and unexpected ones as such, and re-raises them; the recording fake keeps the contract
(idempotent release and reclaim, `scale` answers what it newly asked for) and fails on demand.
"""

from __future__ import annotations

import pytest
from prometheus_client.registry import CollectorRegistry
from tests.unit.nodepools import builders as b

from tokenfleet import clock as clock_mod
from tokenfleet.nodepools import errors, factory, fake, instrumented, metrics, provider

POOL = provider.Pool("h800", b.spec())


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    value = registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.mark.parametrize("name", ["kwok", "clusterapi", "karpenter", "lending"])
def test_the_factory_builds_every_named_provider_wrapped(
    name: str, registry: CollectorRegistry
) -> None:
    made = factory.create(
        name,
        None,
        clock_mod.FakeClock(b.T0),
        metrics.PoolMetrics.on(registry),  # type: ignore[arg-type]
    )
    assert isinstance(made, instrumented.Instrumented)
    assert made.name == name


def test_an_unknown_provider_is_refused_with_the_valid_names(registry: CollectorRegistry) -> None:
    with pytest.raises(errors.UnknownProvider) as caught:
        factory.create(
            "gke",
            None,
            clock_mod.FakeClock(b.T0),
            metrics.PoolMetrics.on(registry),  # type: ignore[arg-type]
        )
    assert str(caught.value) == (
        "unknown node-pool provider 'gke': valid are clusterapi, karpenter, kwok, lending"
    )


def test_every_method_is_timed_and_known_label_sets_start_at_zero(
    registry: CollectorRegistry,
) -> None:
    inner = fake.FakeProvider("kwok", provider.Observed(nodes=({"metadata": {"name": "a"}},)))
    wrapped = instrumented.Instrumented(inner, metrics.PoolMetrics.on(registry))
    count = metrics.PROVIDER_CALL_SECONDS + "_count"
    assert sample(registry, count, provider="karpenter", method="release") == 0
    seen = wrapped.observe(POOL)
    assert seen is inner.observed
    assert wrapped.scale(POOL, 3, seen) == 2
    assert wrapped.release(POOL, ["a"]) == ["a"]
    assert inner.methods() == ["observe", "scale", "release"]
    for method in ("observe", "scale", "release"):
        assert sample(registry, count, provider="kwok", method=method) == 1
    assert sample(registry, count, provider="kwok", method="reclaim") == 0


def test_failures_are_counted_by_reason_and_raised(registry: CollectorRegistry) -> None:
    inner = fake.FakeProvider("clusterapi")
    wrapped = instrumented.Instrumented(inner, metrics.PoolMetrics.on(registry))
    inner.fail_next(errors.TargetNotFound("MachineDeployment gpu/h800 not found"))
    with pytest.raises(errors.TargetNotFound):
        wrapped.observe(POOL)
    inner.fail_next(RuntimeError("a bug"))  # type: ignore[arg-type]
    with pytest.raises(RuntimeError):
        wrapped.settle(POOL, provider.Observed())
    assert wrapped.settle(POOL, provider.Observed()) == []  # only the next call fails
    errors_total = metrics.PROVIDER_ERRORS + "_total"
    assert (
        sample(
            registry, errors_total, provider="clusterapi", method="observe", error="TargetNotFound"
        )
        == 1
    )
    assert (
        sample(registry, errors_total, provider="clusterapi", method="settle", error="Unexpected")
        == 1
    )
    count = metrics.PROVIDER_CALL_SECONDS + "_count"
    assert sample(registry, count, provider="clusterapi", method="settle") == 2


def test_the_fake_keeps_the_contract_release_and_reclaim_are_idempotent() -> None:
    prov = fake.FakeProvider()
    assert prov.release(POOL, ["a", "b"]) == ["a", "b"]
    assert prov.release(POOL, ["b", "c"]) == ["c"]
    assert prov.reclaim(POOL, ["x"]) == ["x"] and prov.reclaim(POOL, ["x"]) == []
    observed = provider.Observed(pending=2)
    assert prov.scale(POOL, 5, observed) == 3
    assert prov.scale(POOL, 5, observed) == 0
    assert prov.held == 5


def test_typed_errors_say_what_to_fix() -> None:
    assert errors.Misconfigured("x").reason == "ProviderMisconfigured"
    assert errors.ApiFailure("boom", 503).status == 503
    assert isinstance(errors.UnknownProvider("x", ["a"]), errors.ProviderError)
