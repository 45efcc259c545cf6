"""A user's pod template merged over the engine pod tokenfleet renders. Pure.

A real H800 cluster needs pods shaped in ways the operator cannot guess: RDMA devices,
IPC_LOCK, host networking, NCCL and DeepEP settings, a weights cache, a priority class, pull
secrets. Like LeaderWorkerSet's templates and Dynamo's extraPodSpec, the user writes that part
as an ordinary pod template, and it is merged over ours the way `kubectl apply`'s strategic
merge treats a pod:

- maps merge key by key, theirs over ours;
- the lists Kubernetes merges by a key merge item by item on that key (containers and init
  containers by name, env by name, ports by containerPort, volume mounts by mountPath, pull
  secrets by name); a volume is replaced whole by one of the same name, since its source is one
  of many kinds and two cannot be combined;
- tolerations and pod (anti-)affinity terms add to ours; every other list is theirs whole.

What the operator relies on wins, and each place where the template tried to change it is a
`Conflict` (the controller reports them in a condition): the pod labels and annotations it
sets (its selectors and scrape target), the engine container's image, command and args (the
rank wrapper and EP sizes), the `TOKENFLEET_*` variables and ports it sets, the GPU count, the
pool's node selector and the unit's PodGroup. A key the operator does not set is the
template's to add.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

CONTAINER: Final = "engine"
"""The engine container's name: the one whose command line tokenfleet owns."""

MERGE_KEYS: Final[Mapping[str, str]] = {
    "spec.containers": "name",
    "spec.initContainers": "name",
    "spec.containers[].env": "name",
    "spec.initContainers[].env": "name",
    "spec.containers[].ports": "containerPort",
    "spec.containers[].volumeMounts": "mountPath",
    "spec.initContainers[].volumeMounts": "mountPath",
    "spec.imagePullSecrets": "name",
    "spec.volumes": "name",
}
"""Lists merged item by item, by the key strategic merge uses for them (shape paths)."""

REPLACED_WHOLE: Final = frozenset({"spec.volumes"})
"""Keyed lists whose items are replaced whole rather than merged."""

APPENDED: Final = frozenset(
    {
        "spec.tolerations",
        *(
            f"spec.affinity.{kind}.{when}"
            for kind in ("podAffinity", "podAntiAffinity")
            for when in (
                "requiredDuringSchedulingIgnoredDuringExecution",
                "preferredDuringSchedulingIgnoredDuringExecution",
            )
        ),
    }
)
"""Lists whose items are added to ours (duplicates once)."""

OWNED: Final = tuple(
    re.compile(pattern)
    for pattern in (
        r"metadata\.labels\..+",
        r"metadata\.annotations\..+",
        rf"spec\.containers\[{CONTAINER}\]\.(image|command|args)",
        rf"spec\.containers\[{CONTAINER}\]\.env\[TOKENFLEET_[^\]]*\]",
        rf"spec\.containers\[{CONTAINER}\]\.ports\[[^\]]+\]",
        rf"spec\.containers\[{CONTAINER}\]\.resources\.(limits|requests)\.nvidia\.com/gpu",
        r"spec\.nodeSelector\..+",
        r"spec\.schedulingGroup",
    )
)
"""Where ours wins (display paths), when ours has a value there."""


@dataclasses.dataclass(frozen=True)
class Conflict:
    """A place where the template set something tokenfleet owns; tokenfleet's value was kept."""

    source: str
    """Where the template is written, e.g. `roles.prefill.podTemplate`."""
    path: str
    """The field, e.g. `spec.containers[engine].args`."""

    def __str__(self) -> str:
        return f"{self.source}: {self.path} (tokenfleet's value kept)"


def _owned(path: str) -> bool:
    return any(pattern.fullmatch(path) for pattern in OWNED)


def _item_id(item: Any, key: str) -> Any:
    return item.get(key) if isinstance(item, Mapping) else None


class _Merge:
    def __init__(self, source: str) -> None:
        self.source = source
        self.conflicts: list[Conflict] = []

    def value(self, ours: Any, theirs: Any, shape: str, path: str) -> Any:
        if _owned(path):
            if theirs != ours:
                self.conflicts.append(Conflict(self.source, path))
            return copy.deepcopy(ours)
        if isinstance(ours, Mapping) and isinstance(theirs, Mapping):
            return self.mapping(ours, theirs, shape, path)
        if isinstance(ours, list) and isinstance(theirs, list):
            return self.sequence(ours, theirs, shape, path)
        return copy.deepcopy(theirs)

    def mapping(
        self, ours: Mapping[str, Any], theirs: Mapping[str, Any], shape: str, path: str
    ) -> dict[str, Any]:
        out = copy.deepcopy(dict(ours))
        for key, value in theirs.items():
            sub_shape = f"{shape}.{key}" if shape else key
            sub_path = f"{path}.{key}" if path else key
            out[key] = (
                self.value(ours[key], value, sub_shape, sub_path)
                if key in ours
                else copy.deepcopy(value)
            )
        return out

    def sequence(self, ours: list[Any], theirs: list[Any], shape: str, path: str) -> list[Any]:
        if shape in APPENDED:
            out = copy.deepcopy(ours)
            out += [copy.deepcopy(item) for item in theirs if item not in ours]
            return out
        key = MERGE_KEYS.get(shape)
        if key is None:
            return copy.deepcopy(theirs)
        mine = {_item_id(item, key): i for i, item in enumerate(ours)}
        out = copy.deepcopy(ours)
        for item in theirs:
            ident = _item_id(item, key)
            item_path = f"{path}[{ident}]"
            if ident is None or ident not in mine:
                out.append(copy.deepcopy(item))
            elif shape in REPLACED_WHOLE and not _owned(item_path):
                out[mine[ident]] = copy.deepcopy(item)
            else:
                out[mine[ident]] = self.value(ours[mine[ident]], item, f"{shape}[]", item_path)
        return out


def merge(
    ours: Mapping[str, Any], templates: Sequence[tuple[str, Mapping[str, Any]]]
) -> tuple[dict[str, Any], list[Conflict]]:
    """`ours` (a pod template: metadata and spec) with each (source, template) merged over it in
    turn, and every place where a template set what tokenfleet owns."""
    out = copy.deepcopy(dict(ours))
    conflicts: list[Conflict] = []
    for source, template in templates:
        merger = _Merge(source)
        out = merger.mapping(out, template, "", "")
        conflicts += merger.conflicts
    return out, conflicts
