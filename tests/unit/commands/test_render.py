"""`tokenfleet render`: the objects and command lines of a fleet file, with no cluster; clear
errors for a file it cannot render. (That the objects are what the operator writes is checked
on the control plane in tests/integration/test_inference_deployments.py.)"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import pathlib
import shlex

import pytest
import yaml

from tokenfleet import cli
from tokenfleet.commands import render

SAMPLES = pathlib.Path(__file__).parents[3] / "manifests" / "samples"
SGLANG = SAMPLES / "deepseek-v3.yaml"
VLLM = SAMPLES / "deepseek-v3-vllm.yaml"
NIGHT = "2025-01-06T20:00:00+00:00"  # 04:00 in Beijing: the sample's floor is closed


def _run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    args: argparse.Namespace = cli.build_parser().parse_args(["render", *argv])
    return render.run(args, out), out.getvalue()


def _objects(text: str) -> list[dict[str, object]]:
    return [d for d in yaml.safe_load_all(text) if d]


def test_the_sample_renders_each_unit_and_the_router_with_every_ranks_command_line() -> None:
    code, text = _run("-f", str(SGLANG), "--at", NIGHT, "-n", "serving")
    assert code == 0
    objs = _objects(text)
    assert [(o["kind"], o["metadata"]["name"]) for o in objs] == [  # type: ignore[index]
        ("Service", "deepseek-v3-prefill-0"),
        ("PodGroup", "deepseek-v3-prefill-0"),
        ("StatefulSet", "deepseek-v3-prefill-0"),
        ("Service", "deepseek-v3-decode-0"),
        ("PodGroup", "deepseek-v3-decode-0"),
        ("StatefulSet", "deepseek-v3-decode-0"),
        ("ServiceAccount", "deepseek-v3-router"),
        ("Role", "deepseek-v3-router"),
        ("RoleBinding", "deepseek-v3-router"),
        ("Service", "deepseek-v3-router"),
        ("Deployment", "deepseek-v3-router"),
    ]
    assert all(o["metadata"]["namespace"] == "serving" for o in objs)  # type: ignore[index]
    assert all("ownerReferences" not in o["metadata"] for o in objs)  # type: ignore[operator]
    lines = [line for line in text.splitlines() if " rank " in line and line.startswith("#")]
    assert len(lines) == 4 + 18
    rank17 = shlex.split(lines[-1].split(": ", 1)[1])
    assert rank17[:3] == ["python3", "-m", "sglang.launch_server"]
    assert rank17[rank17.index("--node-rank") + 1] == "17"
    assert rank17[rank17.index("--ep-size") + 1] == "144"
    leader = "deepseek-v3-decode-0-0.deepseek-v3-decode-0.serving.svc:20102"
    assert rank17[rank17.index("--dist-init-addr") + 1] == leader


def test_without_podgroups_units_are_a_service_and_a_statefulset() -> None:
    code, text = _run("-f", str(SGLANG), "--at", NIGHT, "--without-podgroups")
    assert code == 0
    objs = _objects(text)
    assert [o["kind"] for o in objs] == [
        "Service",
        "StatefulSet",
        "Service",
        "StatefulSet",
        "ServiceAccount",
        "Role",
        "RoleBinding",
        "Service",
        "Deployment",
    ]
    assert all(
        "schedulingGroup" not in o["spec"]["template"]["spec"]  # type: ignore[index,operator]
        for o in objs
        if o["kind"] == "StatefulSet"
    )


def test_units_sets_the_units_per_role() -> None:
    code, text = _run("-f", str(SGLANG), "--at", NIGHT, "--units", "prefill=3,decode=2")
    assert code == 0
    assert sum(o["kind"] == "StatefulSet" for o in _objects(text)) == 5
    assert "# InferenceDeployment default/deepseek-v3: prefill 3 units, decode 2 units" in text
    assert "# deepseek-v3 prefill unit 2 rank 3: " in text


def test_vllm_ranks_past_zero_run_headless() -> None:
    # The vLLM sample uses the pool of the SGLang one.
    code, text = _run("-f", str(SGLANG), "-f", str(VLLM), "--at", NIGHT)
    assert code == 0
    prefix = "# deepseek-v3-vllm decode unit 0 rank "
    ranks = [line for line in text.splitlines() if line.startswith(prefix)]
    assert len(ranks) == 18
    assert "--headless" not in ranks[0] and all("--headless" in r for r in ranks[1:])
    assert ranks[0].split(": ", 1)[1].startswith("vllm serve deepseek-ai/DeepSeek-V3 ")


def test_render_is_what_the_module_builds(capsys: pytest.CaptureFixture[str]) -> None:
    docs = list(yaml.safe_load_all(SGLANG.read_text()))
    at = dt.datetime.fromisoformat(NIGHT)
    assert cli.main(["render", "-f", str(SGLANG), "--at", NIGHT]) == 0
    assert capsys.readouterr().out == render.render(docs, at)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--units", "prefill"], "--units: 'prefill' is not ROLE=N"),
        (["--units", "encode=2"], "has no role encode"),
    ],
)
def test_bad_flags_are_refused_with_a_message(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = _run("-f", str(SGLANG), "--at", NIGHT, *argv)
    assert code == 2
    assert message in capsys.readouterr().err


def test_a_file_without_the_named_pool_is_refused(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = [d for d in yaml.safe_load_all(SGLANG.read_text()) if d["kind"] != "GPUNodePool"]
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    code, out = _run("-f", str(path))
    assert code == 2 and out == ""
    assert "names GPUNodePool 'h800', which is not in the files" in capsys.readouterr().err


def test_an_invalid_deployment_is_refused_naming_the_field(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = list(yaml.safe_load_all(SGLANG.read_text()))
    for doc in docs:
        if doc["kind"] == "InferenceDeployment":
            doc["spec"]["roles"]["decode"]["capacityPerNode"] = 2.5
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    code, _ = _run("-f", str(path))
    assert code == 2
    err = capsys.readouterr().err
    assert "InferenceDeployment deepseek-v3" in err and "capacityPerNode" in err
