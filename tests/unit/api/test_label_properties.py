"""The models take Kubernetes' label rules at their word: every label key and value the rules
allow is accepted, and a hostile character or an over-long name anywhere is refused before the
operator could write it onto a Node. (`tests/integration/test_label_rules.py` holds the models,
the CRDs and the API server's own Node validation to one another.)"""

from __future__ import annotations

from typing import Any

import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.support import labels

from tokenfleet.api import gpu_node_pool


def _pool(**spec: Any) -> gpu_node_pool.GPUNodePool:
    return gpu_node_pool.GPUNodePool.model_validate(
        {"spec": {"maxNodes": 10, "cost": {"onDemandPerGpuHour": 2}, **spec}}
    )


@given(labels.label_keys(), labels.label_values())
def test_every_label_the_rules_allow_is_accepted(key: str, value: str) -> None:
    pool = _pool(nodeLabels={key: value}, nodeTaints=[{"key": key, "value": value}])
    assert pool.spec.node_labels == {key: value}
    assert pool.spec.node_taints[0].key == key


@given(labels.spoiled(labels.label_keys()))
def test_a_hostile_character_in_a_label_key_is_refused(key: str) -> None:
    with pytest.raises(pydantic.ValidationError, match="label key"):
        _pool(nodeLabels={key: "x"})
    with pytest.raises(pydantic.ValidationError, match="nodeTaints"):
        _pool(nodeTaints=[{"key": key}])


@given(labels.spoiled(labels.label_values()))
def test_a_hostile_character_in_a_label_value_is_refused(value: str) -> None:
    with pytest.raises(pydantic.ValidationError, match="nodeLabels"):
        _pool(nodeLabels={"team": value})


@given(st.integers(64, 400))
def test_a_name_longer_than_63_characters_is_refused(length: int) -> None:
    with pytest.raises(pydantic.ValidationError):
        _pool(nodeLabels={"k" * length: "x"})
    with pytest.raises(pydantic.ValidationError):
        _pool(nodeLabels={"team": "v" * length})


@given(st.integers(254, 300))
def test_a_prefix_longer_than_253_characters_is_refused(length: int) -> None:
    with pytest.raises(pydantic.ValidationError, match="label key"):
        _pool(nodeLabels={"p" * length + "/k": "x"})
    with pytest.raises(pydantic.ValidationError, match="253"):
        _pool(nodeTaints=[{"key": "p" * length + "/k"}])


@given(
    max_nodes=st.integers(1, gpu_node_pool.MAX_NODES),
    delay=st.integers(0, 86_400),
    price=st.decimals(0, 1_000_000, places=4),
    key=labels.label_keys(),
)
def test_a_valid_pool_round_trips_through_its_wire_form(
    max_nodes: int, delay: int, price: Any, key: str
) -> None:
    pool = _pool(
        maxNodes=max_nodes,
        provisioningDelaySeconds=delay,
        cost={"onDemandPerGpuHour": str(price)},
        nodeLabels={key: "x"},
    )
    assert gpu_node_pool.GPUNodePool.model_validate(pool.to_wire()) == pool
