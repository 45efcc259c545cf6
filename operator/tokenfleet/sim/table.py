"""Plain-text tables of results, for a terminal and for `make bench`."""

from __future__ import annotations

from collections.abc import Sequence

from tokenfleet.sim import report

COLUMNS = (
    ("policy", "<"),
    ("node-hours", ">"),
    ("vs oracle", ">"),
    ("mean nodes", ">"),
    ("peak", ">"),
    ("late tokens", ">"),
    ("cost", ">"),
    ("revenue", ">"),
    ("margin", ">"),
)


def _row(result: report.Result) -> list[str]:
    ratio = result.vs_oracle
    margin = result.margin
    earned = result.earned
    return [
        result.policy,
        f"{result.node_hours:,.0f}",
        "-" if ratio is None else f"{ratio:.3f}x",
        f"{result.mean_nodes:.1f}",
        str(result.peak_nodes),
        f"{result.late_token_fraction:.3%}",
        f"{result.cost:,.0f}",
        "-" if earned is None else f"{earned.realised:,.0f}",
        "-" if margin is None else f"{margin:.0%}",
    ]


def render(results: Sequence[report.Result], title: str | None = None) -> str:
    """Aligned columns, one row per policy; money in the pool's currency."""
    header = [name for name, _ in COLUMNS]
    if results:
        header[6] = f"cost ({results[0].currency})"
        header[7] = f"revenue ({results[0].currency})"
    rows = [header, *(_row(r) for r in results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for row in rows:
        cells = [
            cell.ljust(width) if align == "<" else cell.rjust(width)
            for cell, width, (_, align) in zip(row, widths, COLUMNS, strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    if title:
        lines.insert(0, title)
    budget = results[0].late_budget if results else None
    if budget is not None:
        lines.append(f"late-token budget {budget:.3%} a day (autoscaling.slo.lateTokenBudget):")
        lines += [
            f"  {r.policy}: {'held' if r.budget_held else 'MISSED'} "
            f"(worst day {r.worst_day_late_fraction:.3%})"
            for r in results
        ]
    return "\n".join(lines)
