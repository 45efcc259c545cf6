"""Deterministic names for what we render, short and valid enough for every place they land.

Names are DNS-1035 labels (lowercase letters, digits and '-', starting with a letter, ending
with a letter or digit) because Services demand it. Each kind has a budget below 63 where
Kubernetes derives longer names from ours:

- A StatefulSet labels its pods `controller-revision-hash: <name>-<10 chars>`, a label value
  (at most 63), so a StatefulSet name longer than 52 leaves its pods uncreatable.
- A LeaderWorkerSet names worker StatefulSets `<name>-<group>` and those carry the same
  revision label, so the name must also leave room for a group index: at most 45.

When a name would not fit, or the deployment name is not a DNS-1035 label (a '.' or leading
digit), the deployment part is cut and a hash of the full name is added, so distinct inputs
keep distinct names; the role and unit suffix is kept whole so a person can still read it.
"""

from __future__ import annotations

import hashlib
import re
from typing import Final

DNS_LABEL_MAX: Final = 63
STATEFULSET_NAME_MAX: Final = 52
LEADERWORKERSET_NAME_MAX: Final = 45
HASH_CHARS: Final = 8

_DNS_1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def is_dns_label(name: str, max_len: int = DNS_LABEL_MAX) -> bool:
    """True when `name` is a DNS-1035 label of at most `max_len` characters."""
    return len(name) <= max_len and _DNS_1035.match(name) is not None


def digest(text: str, chars: int = HASH_CHARS) -> str:
    """A short, stable hex digest of `text`."""
    return hashlib.sha256(text.encode()).hexdigest()[:chars]


def fit(base: str, suffix: str = "", max_len: int = DNS_LABEL_MAX) -> str:
    """`base + suffix` as a DNS-1035 label of at most `max_len`, cutting `base` when needed.

    `suffix` (e.g. '-prefill-3') is kept as given and must itself be valid label text.
    """
    whole = base + suffix
    if is_dns_label(whole, max_len):
        return whole
    clean = re.sub(r"[^a-z0-9-]+", "-", base.lower()).strip("-")
    if not clean or not clean[0].isalpha():
        clean = "t-" + clean
    room = max_len - len(suffix) - HASH_CHARS - 1
    if room < 1:
        raise ValueError(f"suffix {suffix!r} leaves no room in a {max_len}-character name")
    head = clean[:room].rstrip("-")
    name = f"{head}-{digest(whole)}{suffix}"
    if not is_dns_label(name, max_len):
        raise ValueError(f"cannot make a DNS-1035 label from {whole!r}")
    return name


def label_value(text: str) -> str:
    """`text` as a label value (at most 63, alphanumeric ends); cut and hashed when needed."""
    if len(text) <= DNS_LABEL_MAX and _LABEL_VALUE.match(text):
        return text
    clean = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-_.")
    head = clean[: DNS_LABEL_MAX - HASH_CHARS - 1].rstrip("-_.")
    return f"{head}-{digest(text)}" if head else digest(text)


def unit_name(deployment: str, role: str, unit: int) -> str:
    """'<deployment>-<role>-<unit>': the unit's StatefulSet and its headless Service."""
    if unit < 0:
        raise ValueError(f"unit index must be >= 0, got {unit}")
    return fit(deployment, f"-{role}-{unit}", STATEFULSET_NAME_MAX)


def leader_host(deployment: str, role: str, unit: int, namespace: str) -> str:
    """Stable DNS name of a unit's rank 0 under the StatefulSet backend."""
    name = unit_name(deployment, role, unit)
    return f"{name}-0.{name}.{namespace}.svc"


def leaderworkerset_name(deployment: str, role: str) -> str:
    """'<deployment>-<role>': the role's LeaderWorkerSet (and the headless Service LWS makes)."""
    return fit(deployment, f"-{role}", LEADERWORKERSET_NAME_MAX)


def lws_leader_host(deployment: str, role: str, unit: int, namespace: str) -> str:
    """DNS name of group `unit`'s leader, the value LWS puts in LWS_LEADER_ADDRESS (+ '.svc')."""
    name = leaderworkerset_name(deployment, role)
    return f"{name}-{unit}.{name}.{namespace}.svc"


def router_name(deployment: str) -> str:
    """'<deployment>-router': the router Deployment and its Service."""
    return fit(deployment, "-router")
