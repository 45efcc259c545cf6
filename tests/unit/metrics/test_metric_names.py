"""Metric and label names: the `tokenfleet_` prefix and base units, `_total` only on counters,
OpenCost's one name kept as OpenCost spells it, and the README's table listing every metric
with its type and labels."""

from __future__ import annotations

import pathlib
import re

import pytest

from tokenfleet.metrics import names

README = pathlib.Path(__file__).parents[3] / "README.md"


def metrics_section() -> str:
    text = README.read_text()
    start = text.index("\n## Metrics\n")
    following = text.find("\n## ", start + 1)
    return text[start : following if following != -1 else len(text)]


def test_names_carry_the_prefix_and_counters_alone_end_in_total() -> None:
    for metric in names.ALL:
        if metric is names.OPENCOST_COST_PER_MILLION:
            continue
        assert metric.name.startswith(names.PREFIX), metric.name
        assert not metric.name.endswith("_total"), "the client library adds _total"
        assert metric.exported.endswith("_total") == (metric.kind is names.Kind.COUNTER)


def test_names_are_unique_and_in_base_units() -> None:
    exported = [metric.exported for metric in names.ALL]
    assert len(exported) == len(set(exported))
    for name in exported:
        assert not re.search(r"_(ms|milliseconds|hours|minutes|kb|mb|percent)(_|$)", name)


def test_opencost_reads_its_own_name_and_labels() -> None:
    metric = names.OPENCOST_COST_PER_MILLION
    assert metric.exported == "llm_cost_per_million_tokens"
    assert {names.Label.MODEL_NAME, names.Label.PHASE} <= set(metric.labels)
    assert {phase.value for phase in names.Phase} == {"prompt", "generation"}


@pytest.mark.parametrize("metric", names.ALL, ids=[m.exported for m in names.ALL])
def test_the_readme_table_lists_the_metric_with_its_type_and_labels(
    metric: names.Metric,
) -> None:
    rows = [line for line in metrics_section().splitlines() if line.startswith("| `")]
    row = next((r for r in rows if r.startswith(f"| `{metric.exported}` |")), None)
    assert row is not None, f"README's Metrics table lacks {metric.exported}"
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[1] == metric.kind.value
    listed = re.findall(r"`(\w+)`", cells[2])
    assert listed == [str(label) for label in metric.labels]
    assert len(cells[3]) > 20, "say what it means"
