"""What Kubernetes does to a container before it runs, done here so tests can run it.

- `container_env`: the environment a container gets, in order: `value`s with `$(VAR)` expanded
  against the variables before them, `fieldRef`s read from the pod, and (for LeaderWorkerSet)
  LWS's variables put first as its webhook does.
- `expand`: Kubernetes' `$(VAR)` expansion of command and args (`$$` is a literal `$`; unknown
  references stay as written).
- `run_engine`: runs the rendered command with `/bin/sh`, the engine replaced by a recorder that
  prints the argv it was given, so a test sees exactly what a given pod would execute.
- `assert_same_object`: whole-object comparison with a readable YAML diff.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

import yaml

_REFERENCE = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")
_RECORDER = "import json, sys; print(json.dumps(sys.argv[1:]))"


def expand(text: str, env: Mapping[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        return env.get(match.group(1), match.group(0))

    return _REFERENCE.sub(one, text)


def container_env(
    container: Mapping[str, Any],
    fields: Mapping[str, str],
    injected: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The container's environment; `fields` maps fieldPaths to values, `injected` is LWS's."""
    entries: list[Mapping[str, Any]] = [
        {"name": k, "value": v} for k, v in (injected or {}).items()
    ]
    entries += [e for e in container.get("env", []) if e["name"] not in (injected or {})]
    env: dict[str, str] = {}
    for entry in entries:
        if "valueFrom" in entry:
            env[entry["name"]] = fields[entry["valueFrom"]["fieldRef"]["fieldPath"]]
        else:
            env[entry["name"]] = expand(entry.get("value", ""), env)
    return env


def run_engine(
    container: Mapping[str, Any], env: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run the container's command as the kubelet would, with the engine swapped for a recorder."""
    command = [expand(part, env) for part in container["command"]]
    args = [expand(part, env) for part in container["args"]]
    argv = [*command, sys.executable, "-c", _RECORDER, *args[1:]]
    return subprocess.run(
        argv,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def executed_argv(container: Mapping[str, Any], env: Mapping[str, str]) -> list[str]:
    """The argv the engine program would receive, program name first."""
    done = run_engine(container, env)
    assert done.returncode == 0, done.stderr
    program = expand(container["args"][0], env)
    return [program, *json.loads(done.stdout)]


def assert_same_object(actual: Any, expected: Any) -> None:
    """Fail with a unified YAML diff (expected -> actual) when the objects differ."""
    if actual == expected:
        return
    want = yaml.safe_dump(expected, sort_keys=True, width=1000).splitlines()
    got = yaml.safe_dump(actual, sort_keys=True, width=1000).splitlines()
    diff = "\n".join(difflib.unified_diff(want, got, "expected", "rendered", lineterm=""))
    raise AssertionError(f"rendered object differs from the expected one:\n{diff}")


def schema_errors(value: Any, type_name: str, path: str = "") -> list[str]:
    """Where `value` strays from the Kubernetes API type `type_name` (e.g. 'V1StatefulSet').

    Uses the official client's generated models: unknown or misspelt fields and wrongly typed
    values are reported with their path, so a renderer cannot emit a field the API server would
    drop or reject.
    """
    import kubernetes.client  # tests only: the renderers never import the client

    if type_name.startswith("List["):
        if not isinstance(value, list):
            return [f"{path}: expected a list"]
        return [
            e
            for i, v in enumerate(value)
            for e in schema_errors(v, type_name[5:-1], f"{path}[{i}]")
        ]
    if type_name.startswith("Dict["):
        if not isinstance(value, dict):
            return [f"{path}: expected a map"]
        inner = type_name[5:-1].split(", ", 1)[1]
        return [e for k, v in value.items() for e in schema_errors(v, inner, f"{path}.{k}")]
    scalars: dict[str, tuple[type, ...]] = {"str": (str,), "int": (int,), "bool": (bool,)}
    if type_name in scalars:
        ok = isinstance(value, scalars[type_name]) and not (
            type_name == "int" and isinstance(value, bool)
        )
        return [] if ok else [f"{path}: expected {type_name}, got {value!r}"]
    if type_name == "object":
        return []
    model = getattr(kubernetes.client, type_name)
    if not isinstance(value, dict):
        return [f"{path}: expected a {type_name} object"]
    fields = {wire: attr for attr, wire in model.attribute_map.items()}
    errors: list[str] = []
    for key, item in value.items():
        if key not in fields:
            errors.append(f"{path}.{key}: not a field of {type_name}")
        else:
            errors += schema_errors(item, model.openapi_types[fields[key]], f"{path}.{key}")
    return errors
