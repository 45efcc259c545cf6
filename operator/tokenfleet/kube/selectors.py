"""Label and field selectors evaluated on plain objects, as the API server evaluates them.

The informer cache answers `list` calls from memory, so it must select exactly what the API
server would have returned for the same selector. tokenfleet only writes equality-based
selectors (`k=v`, `k==v`, `k!=v`, joined by commas), so that is what is understood here; any
other form raises `ValueError` and the caller reads from the API server instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any


@dataclasses.dataclass(frozen=True)
class Requirement:
    """One `key=value` (or `key!=value`) clause."""

    key: str
    value: str
    equal: bool = True


def parse(selector: str | None) -> tuple[Requirement, ...]:
    """The clauses of an equality-based selector; `()` selects everything."""
    if not selector:
        return ()
    out: list[Requirement] = []
    for clause in selector.split(","):
        clause = clause.strip()
        if not clause:
            continue
        if "!=" in clause:
            key, value = clause.split("!=", 1)
            out.append(Requirement(key.strip(), value.strip(), equal=False))
        elif "==" in clause:
            key, value = clause.split("==", 1)
            out.append(Requirement(key.strip(), value.strip()))
        elif "=" in clause:
            key, value = clause.split("=", 1)
            out.append(Requirement(key.strip(), value.strip()))
        else:
            raise ValueError(f"only equality selectors are understood, not {clause!r}")
    return tuple(out)


def field(obj: Mapping[str, Any], path: str) -> str:
    """A field selector's value: the dotted path's value as a string, "" when absent."""
    value: Any = obj
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return ""
        value = value.get(part)
    return "" if value is None else str(value)


def matches_labels(obj: Mapping[str, Any], requirements: tuple[Requirement, ...]) -> bool:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    for req in requirements:
        present = req.key in labels and str(labels[req.key]) == req.value
        if present != req.equal:
            return False
    return True


def matches_fields(obj: Mapping[str, Any], requirements: tuple[Requirement, ...]) -> bool:
    return all((field(obj, req.key) == req.value) == req.equal for req in requirements)
