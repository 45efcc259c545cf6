"""operator/Dockerfile and the chart agree: a pinned slim Python base that satisfies the package's
requires-python, the package installed from its wheel only, the numeric non-root user the chart's
pod security context names, `tokenfleet run` on the chart's metrics port, and a build context
(.dockerignore) that holds what the Dockerfile copies and nothing of the local machine. No
Docker engine here: `make kind-e2e` builds and runs the image where there is one."""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib

import pytest
import yaml
from tests.integration.chart import helm as h
from tests.support import cluster as cluster_support

pytestmark = pytest.mark.integration

ROOT = cluster_support.ROOT
DOCKERFILE = ROOT / "operator" / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (word.upper(), rest.strip())
        for word, _, rest in (line.partition(" ") for line in lines if line and line[0] != "#")
    ]


def stages() -> list[list[tuple[str, str]]]:
    out: list[list[tuple[str, str]]] = []
    for step in instructions():
        if step[0] == "FROM":
            out.append([])
        if out:
            out[-1].append(step)
    return out


def base_image() -> str:
    args = dict(a.split("=", 1) for i, a in instructions() if i == "ARG" and "=" in a)
    return args["PYTHON_IMAGE"]


def test_the_base_is_a_pinned_slim_python_the_package_supports() -> None:
    base = base_image()
    match = re.fullmatch(r"python:(3)\.(\d+)\.(\d+)-slim-[a-z]+", base)
    assert match, f"{base}: pin a patch release of a slim image, e.g. python:3.11.13-slim-bookworm"
    assert "." not in base.split("/")[0].split(":")[0], "a registry host in the base image"
    required = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    floor = re.fullmatch(r">=(\d+)\.(\d+)", required)
    assert floor, f"requires-python {required!r}: expected >=X.Y"
    assert (int(match[1]), int(match[2])) >= (int(floor[1]), int(floor[2]))
    assert all(step[1].split()[0] == "${PYTHON_IMAGE}" for s in stages() for step in s[:1])


def test_the_image_installs_the_wheel_and_nothing_else_of_the_source() -> None:
    build, final = stages()
    build_runs = " ".join(a for i, a in build if i == "RUN")
    assert "pip wheel --no-deps --wheel-dir /wheels ." in build_runs
    final_runs = " ".join(a for i, a in final if i == "RUN")
    assert "pip install --no-index --find-links=/wheels tokenfleet" in final_runs
    assert "from=wheels" in final_runs  # the wheels are mounted, not copied into a layer
    assert not [a for i, a in final if i in ("COPY", "ADD")]


def test_the_image_runs_tokenfleet_as_the_non_root_user_the_chart_expects(helm: h.Helm) -> None:
    final = dict(stages()[-1])
    user, _, group = final["USER"].partition(":")
    assert user.isdigit() and int(user) != 0
    docs = helm.template()
    pod = h.one(docs, "Deployment")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsUser"] == int(user)
    assert pod["securityContext"]["runAsGroup"] == int(group)
    assert json.loads(final["ENTRYPOINT"]) == ["tokenfleet"]
    assert json.loads(final["CMD"]) == ["run"]
    assert h.container(docs)["args"][0] == "run"
    port = yaml.safe_load((h.CHART / "values.yaml").read_text())["metrics"]["port"]
    assert final["EXPOSE"] == str(port)


def test_the_build_context_holds_what_the_dockerfile_copies_and_no_local_state() -> None:
    rules = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def sent(path: str) -> bool:
        """Docker's rule: the last matching line wins; '!' re-includes."""
        keep = True
        for rule in rules:
            negated = rule.startswith("!")
            pattern = rule.lstrip("!").rstrip("/")
            if fnmatch.fnmatch(path, pattern) or path.startswith(pattern + "/"):
                keep = negated
        return keep

    copied = [
        source
        for stage in stages()
        for i, args in stage
        if i == "COPY" and "--from" not in args
        for source in args.split()[:-1]
    ]
    assert copied, "the Dockerfile copies the package"
    for source in copied:
        assert sent(source.rstrip("/")), f"{source} is excluded by .dockerignore"
    assert sent("operator/tokenfleet/cli.py")
    for local in (
        ".git/HEAD",
        ".cluster/kubeconfig",
        "tests/conftest.py",
        "manifests/install.yaml",
    ):
        assert not sent(local), f"{local} would be sent to the builder"
    assert not sent("operator/tokenfleet/__pycache__/cli.cpython-311.pyc")
