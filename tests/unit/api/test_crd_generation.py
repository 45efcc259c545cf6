"""CRDs are generated from the models: the committed files match, drift is caught, and the
schemas are structural (no $ref, no anyOf, typed everywhere) with a description on every field."""

from __future__ import annotations

import pathlib
from typing import Any

import pytest

from tokenfleet.api import crd, reference
from tokenfleet.commands import crds as crds_command

ROOT = pathlib.Path(__file__).resolve().parents[3]
CRD_DIRS = [ROOT / "crds", ROOT / "charts" / "tokenfleet" / "crds"]


def _walk(schema: dict[str, Any], path: str = "") -> list[tuple[str, dict[str, Any]]]:
    out = [(path, schema)]
    for name, sub in schema.get("properties", {}).items():
        out += _walk(sub, f"{path}.{name}")
    if isinstance(schema.get("items"), dict):
        out += _walk(schema["items"], f"{path}[]")
    if isinstance(schema.get("additionalProperties"), dict):
        out += _walk(schema["additionalProperties"], f"{path}{{}}")
    return out


def test_committed_crds_match_the_models() -> None:
    for directory in CRD_DIRS:
        for kind in crd.KINDS:
            path = directory / crd.file_name(kind)
            assert path.read_text() == crds_command.render(kind), f"{path} drifts: run make crds"


def test_the_readme_reference_matches_the_models() -> None:
    readme = (ROOT / "README.md").read_text()
    assert reference.embed(readme) == readme, "README's CRD reference drifts: run make crds"


def test_the_reference_lists_every_spec_field_with_its_rules() -> None:
    text = reference.markdown()
    assert "| `spec.roles.decode.nodesPerUnit` | integer | `1` | ≥ 1, ≤ 512 |" in text
    assert "*Rule: minNodes must be less than or equal to maxNodes.*" not in text  # spec-level
    assert "Rules on the whole spec: minNodes must be less than or equal to maxNodes" in text
    assert "`spec.windows[].percentOff`" in text


def test_the_check_command_fails_on_drift(tmp_path: pathlib.Path) -> None:
    assert crds_command.run(_args([tmp_path], check=False)) == 0
    assert crds_command.run(_args([tmp_path], check=True)) == 0
    target = tmp_path / crd.file_name(crd.KINDS[0])
    target.write_text(target.read_text().replace("nodesPerUnit", "nodesPerGroup"))
    assert crds_command.run(_args([tmp_path], check=True)) == 1


def test_a_missing_file_is_drift(tmp_path: pathlib.Path) -> None:
    assert crds_command.run(_args([tmp_path], check=True)) == 1


@pytest.mark.parametrize("kind", crd.KINDS, ids=lambda k: k.kind)
def test_schemas_are_structural_and_every_field_is_described(kind: crd.Kind) -> None:
    schema = crd.crd(kind)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    for path, node in _walk(schema):
        assert not {"$ref", "anyOf", "title"} & node.keys(), f"{kind.kind}{path}"
        if path in ("", ".metadata"):
            continue
        assert "type" in node, f"{kind.kind}{path} has no type"
        if not path.endswith(("[]", "{}")) or "properties" in node:
            assert node.get("description"), f"{kind.kind}{path} has no description"
        if "properties" in node:
            assert "additionalProperties" not in node, f"{kind.kind}{path}"


def test_status_keeps_fields_the_operator_writes() -> None:
    for kind in crd.KINDS:
        schema = crd.crd(kind)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
        assert schema["properties"]["status"]["x-kubernetes-preserve-unknown-fields"] is True


def test_names_and_scope() -> None:
    by_kind = {k.kind: crd.crd(k)["spec"] for k in crd.KINDS}
    assert by_kind["InferenceDeployment"]["names"]["shortNames"] == ["infd"]
    assert by_kind["PricingPlan"]["names"]["shortNames"] == ["pp"]
    assert by_kind["GPUNodePool"]["names"]["shortNames"] == ["gpool"]
    assert by_kind["GPUNodePool"]["scope"] == "Cluster"
    assert by_kind["InferenceDeployment"]["scope"] == "Namespaced"
    for spec in by_kind.values():
        assert spec["versions"][0]["subresources"] == {"status": {}}


def _args(dirs: list[pathlib.Path], *, check: bool) -> Any:
    import argparse

    return argparse.Namespace(dirs=dirs, check=check, reference=None)
