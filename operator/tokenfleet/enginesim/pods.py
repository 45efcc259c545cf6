"""Which pods the simulator answers for: a fixed set, named as tokenfleet names engine pods."""

from __future__ import annotations

from collections.abc import Mapping

from tokenfleet.enginesim import fleet


def parse_counts(text: str) -> dict[str, int]:
    """`prefill=2,decode=3` -> {"prefill": 2, "decode": 3}."""
    counts: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        role, sep, count = part.partition("=")
        if not sep or not role or not count.isdigit():
            raise ValueError(f"expected ROLE=COUNT, got {part!r}")
        counts[role] = int(count)
    return counts


def static_pods(
    namespace: str, deployment: str, counts: Mapping[str, int], nodes_per_unit: int = 1
) -> list[fleet.SimPod]:
    """`counts[role]` pods per role, grouped into units of `nodes_per_unit`, one node each."""
    pods: list[fleet.SimPod] = []
    for role, count in counts.items():
        for i in range(count):
            unit, rank = divmod(i, nodes_per_unit)
            name = f"{deployment}-{role}-{unit}-{rank}"
            pods.append(
                fleet.SimPod(
                    namespace=namespace,
                    name=name,
                    deployment=deployment,
                    role=role,
                    unit=str(unit),
                    node=f"node-{name}",
                )
            )
    return pods
