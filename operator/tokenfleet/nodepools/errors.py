"""Failures of node-pool providers, typed so the controller can branch on them.

Every provider raises only these (API failures are wrapped), so the GPUNodePool controller can
turn each into a condition an SRE can act on instead of a crash loop.
"""

from __future__ import annotations

from collections.abc import Iterable

from tokenfleet.kube import client as kube_client


class ProviderError(Exception):
    """A provider could not do what was asked; the message says what and, where known, why."""

    reason = "ProviderError"
    """One CamelCase word for conditions and events."""


class UnknownProvider(ProviderError):
    """No provider of that name; the message lists the valid names."""

    reason = "UnknownProvider"

    def __init__(self, name: str, valid: Iterable[str]) -> None:
        self.name = name
        self.valid = tuple(sorted(valid))
        super().__init__(f"unknown node-pool provider {name!r}: valid are {', '.join(self.valid)}")


class Misconfigured(ProviderError):
    """The pool's provider settings cannot work (a missing section, an empty node selector, a
    change the target object refuses); fixing the GPUNodePool spec or the target fixes it."""

    reason = "ProviderMisconfigured"


class TargetNotFound(ProviderError):
    """The object the provider scales (a MachineDeployment, a Karpenter NodePool) or its kind
    does not exist; creating it, or installing its CRD, fixes it."""

    reason = "TargetNotFound"


class ApiFailure(ProviderError):
    """The API server refused or failed a call; usually transient, retried next reconcile."""

    reason = "ApiFailure"

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


def from_kube(what: str, exc: kube_client.KubeError) -> ProviderError:
    """The typed error for a failed API call: 404 is a missing target; 422 (a schema, CEL rule
    or webhook refused the change) a configuration a person must fix; anything else an API
    failure, retried next reconcile."""
    if isinstance(exc, kube_client.NotFound):
        return TargetNotFound(f"{what}: {exc.message}")
    if exc.status == 422:
        return Misconfigured(f"{what}: {exc.message}")
    return ApiFailure(f"{what}: {exc.message}", exc.status)
