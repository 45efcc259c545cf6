"""Where sizing's memory lives between reconciles: two annotations on the GPUNodePool.

Kept on the object, not in the process, so a restarted operator honours the same rate limits
and scale-down delay:
- `tokenfleet.io/scale-history`: the last minute's changes, `[["<RFC 3339>", added, removed]]`;
- `tokenfleet.io/surplus-since`: since when the pool has held more nodes than its target.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Final

from tokenfleet.nodepools import nodes, sizing

HISTORY: Final = "tokenfleet.io/scale-history"
SURPLUS_SINCE: Final = "tokenfleet.io/surplus-since"


def read(annotations: Mapping[str, str] | None) -> sizing.Memory:
    """The memory in these annotations; what cannot be read is forgotten, not fatal."""
    marks = annotations or {}
    changes: list[sizing.Change] = []
    try:
        rows = json.loads(marks.get(HISTORY) or "[]")
    except ValueError:
        rows = []
    for row in rows if isinstance(rows, list) else []:
        if not (isinstance(row, list) and len(row) == 3):
            continue
        at = nodes.parse_time(row[0] if isinstance(row[0], str) else None)
        if at is not None and isinstance(row[1], int) and isinstance(row[2], int):
            changes.append(sizing.Change(at, added=row[1], removed=row[2]))
    return sizing.Memory(tuple(changes), nodes.parse_time(marks.get(SURPLUS_SINCE)))


def to_annotations(memory: sizing.Memory) -> dict[str, str | None]:
    """The annotations to merge-patch onto the pool (None removes one)."""
    rows = [[nodes.rfc3339(c.at), c.added, c.removed] for c in memory.changes]
    return {
        HISTORY: json.dumps(rows, separators=(",", ":")) if rows else None,
        SURPLUS_SINCE: nodes.rfc3339(memory.surplus_since) if memory.surplus_since else None,
    }
