"""DeepSeek's published day/night node curve (REFERENCE.md §1.3), as data.

Read from the step chart of DeepSeek's inference-system overview, in UTC+8: all 278 nodes serve
from 08:30 to midnight, fewer at night down to 68 from 03:30 to 06:30. It gives 5,442 node-hours,
an average of 226.75 nodes, DeepSeek's published figure. The `schedule` baseline scales it to a
fleet's peak.
"""

from __future__ import annotations

import bisect
import datetime as dt

ZONE = dt.timezone(dt.timedelta(hours=8), "UTC+8")
PEAK_NODES = 278

# (minutes after local midnight at which the step starts, nodes serving from then on)
STEPS: tuple[tuple[int, int], ...] = (
    (0, 218),
    (75, 188),
    (120, 158),
    (165, 128),
    (180, 98),
    (210, 68),
    (390, 98),
    (420, 128),
    (450, 188),
    (480, 218),
    (510, 278),
)
_STARTS = [minute for minute, _ in STEPS]


def nodes_at(at: dt.datetime) -> int:
    """Nodes DeepSeek ran at the aware instant `at`."""
    local = at.astimezone(ZONE)
    minute = local.hour * 60 + local.minute
    return STEPS[bisect.bisect_right(_STARTS, minute) - 1][1]


def share_at(at: dt.datetime) -> float:
    """The curve at `at` as a share of its peak, 68/278 at night to 1 by day."""
    return nodes_at(at) / PEAK_NODES
