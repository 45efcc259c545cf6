"""Building blocks shared by the three kinds: naming, references, conditions, times of day.

Every field carries a description because the CRD generator turns it into the OpenAPI
description that `kubectl explain` prints.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    PlainSerializer,
    WithJsonSchema,
)
from pydantic.alias_generators import to_camel
from pydantic.config import JsonDict

GROUP = "tokenfleet.io"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"

# "HH:MM" on a 24-hour clock; "24:00" is allowed as the end of a window that runs to midnight.
TIME_OF_DAY_PATTERN = r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"
# IANA names ("Asia/Shanghai", "UTC", "Etc/GMT-8"); existence is checked by a CEL rule.
TIME_ZONE_PATTERN = r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$"


class Model(BaseModel):
    """Base of every API model: camelCase on the wire, snake_case in Python, no unknown fields."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        use_enum_values=False,
    )

    def to_wire(self) -> dict[str, Any]:
        """The object as the API server stores it: camelCase keys, unset optionals left out."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


MAX_MONEY = 1_000_000
"""The most a price may be (per million tokens, or per GPU-hour): far above any real one, far
below what would overflow a sum of a year of billions of tokens."""

# Money and prices travel as JSON numbers but are computed as Decimal so that sums of
# billions of tokens at fractions of a cent stay exact.
Money = Annotated[
    Decimal,
    Field(ge=0, le=MAX_MONEY),
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": MAX_MONEY}),
    PlainSerializer(float, return_type=float, when_used="json"),
]
Fraction = Annotated[float, Field(ge=0, le=1)]
# A Decimal factor (multiplier, percent) that travels as a JSON number.
Factor = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]


# Kubernetes' own name rules (k8s.io/apimachinery/pkg/util/validation), so that what would fail
# when the operator writes a Node, a pod or a label is refused when the object is applied.
DNS_LABEL_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
DNS_SUBDOMAIN_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
LABEL_VALUE_PATTERN = r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"
QUALIFIED_NAME_PATTERN = (
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$"
)
"""A label key or taint key: an optional DNS-subdomain prefix and '/', then a name of at most
63 characters."""
QUALIFIED_NAME_MAX = 253 + 1 + 63
LABEL_VALUE_MAX = 63
MAX_LABELS = 64
"""The most labels (or selector terms) one field may set."""
# A resource quantity as core/v1 writes it, without a sign: "96", "1500Gi", "64Gi", "0.5".
QUANTITY_PATTERN = (
    r"^(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))"
    r"(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
)
# An image reference as the container runtime parses it: [registry[:port]/]path[:tag][@digest].
IMAGE_PATTERN = (
    r"^([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*"
    r"(:[0-9]+)?/)?[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*(/[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*)*"
    r"(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
    r"(@[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$"
)
IMAGE_MAX = 512
PRINTABLE_PATTERN = r"^[!-~]+$"
"""Printable ASCII without spaces: model names, hub ids and paths."""
TEXT_MAX = 512
"""The longest model name, path or served name."""
ARG_MAX = 4096
"""The longest single engine argument or environment value."""
MAX_ARGS = 256
MAX_SECONDS = 86_400
"""The longest delay, timeout or interval a spec may ask for: a day."""


PREFIX_RULE: JsonDict = {
    "rule": "!self.contains('/') || self.indexOf('/') <= 253",
    "message": "the prefix before '/' must be at most 253 characters",
}


def _prefix_length(key: str) -> str:
    if len(key.rpartition("/")[0]) > 253:
        raise ValueError(PREFIX_RULE["message"])
    return key


QualifiedName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=QUALIFIED_NAME_MAX,
        pattern=QUALIFIED_NAME_PATTERN,
        json_schema_extra={"x-kubernetes-validations": [PREFIX_RULE]},
    ),
    AfterValidator(_prefix_length),
]
"""A label key or taint key, checked as Kubernetes checks one."""

LabelValue = Annotated[str, Field(max_length=LABEL_VALUE_MAX, pattern=LABEL_VALUE_PATTERN)]


def label_keys(labels: dict[str, str]) -> dict[str, str]:
    """The map, when every key is a Kubernetes label key (resource names are written alike)."""
    for key in labels:
        if not _valid_label_key(key):
            raise ValueError(
                f"label key {key!r} is not a Kubernetes label key (an optional DNS-subdomain "
                "prefix and '/', then 1-63 letters, digits, '-', '_' or '.', starting and "
                "ending with a letter or digit)"
            )
    return labels


def _valid_label_key(key: str) -> bool:
    prefix, _, _ = key.rpartition("/")
    return (
        len(key) <= QUALIFIED_NAME_MAX
        and len(prefix) <= 253
        and re.fullmatch(QUALIFIED_NAME_PATTERN[1:-1], key) is not None
    )


LABEL_KEYS_RULE: JsonDict = {
    "rule": f"self.all(k, size(k) <= {QUALIFIED_NAME_MAX} "
    f"&& k.matches(r'{QUALIFIED_NAME_PATTERN}') "
    "&& (!k.contains('/') || k.indexOf('/') <= 253))",
    "message": "every key must be a Kubernetes label key: an optional DNS-subdomain prefix and "
    "'/', then 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
}

RESOURCE_NAMES_RULE: JsonDict = {
    **LABEL_KEYS_RULE,
    "message": "every key must be a resource name: an optional DNS-subdomain prefix and '/', "
    "then 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
}

Labels = Annotated[
    dict[str, LabelValue],
    Field(max_length=MAX_LABELS, json_schema_extra={"x-kubernetes-validations": [LABEL_KEYS_RULE]}),
    AfterValidator(label_keys),
]
"""Node labels or a node selector: Kubernetes label keys and values, at most MAX_LABELS."""


class Weekday(enum.StrEnum):
    """Days of the week, as Kubernetes and cron users spell them."""

    MONDAY = "Mon"
    TUESDAY = "Tue"
    WEDNESDAY = "Wed"
    THURSDAY = "Thu"
    FRIDAY = "Fri"
    SATURDAY = "Sat"
    SUNDAY = "Sun"

    @classmethod
    def of(cls, day: dt.date) -> Weekday:
        return list(cls)[day.weekday()]


class LocalObjectReference(Model):
    """Names another object of the cluster."""

    name: str = Field(
        min_length=1,
        max_length=253,
        pattern=DNS_SUBDOMAIN_PATTERN,
        description="Name of the referenced object.",
    )


class ConditionStatus(enum.StrEnum):
    TRUE = "True"
    FALSE = "False"
    UNKNOWN = "Unknown"


class Condition(Model):
    """A metav1.Condition: the standard shape `kubectl wait --for=condition=...` understands."""

    type: str = Field(description="Condition type, e.g. Ready, Progressing, Degraded.")
    status: ConditionStatus = Field(description="True, False or Unknown.")
    reason: str = Field(default="", description="One CamelCase word for the last transition.")
    message: str = Field(default="", description="What happened, for a person.")
    last_transition_time: str | None = Field(
        default=None, description="When status last changed (RFC 3339)."
    )
    observed_generation: int | None = Field(
        default=None, description="metadata.generation the condition was computed from."
    )


def conditions_field() -> Any:
    """A status `conditions` list merged by type, so that several field managers (the unit
    reconciler, the autoscaler) each own their own conditions under server-side apply."""
    return Field(
        default_factory=list,
        description="Conditions, one per type.",
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]},
    )


class TimeWindow(Model):
    """A daily span of wall-clock time in a time zone; it may cross midnight (22:00–06:00)."""

    start: str = Field(
        pattern=TIME_OF_DAY_PATTERN,
        max_length=5,
        description="Start, inclusive, as HH:MM (24-hour clock).",
    )
    end: str = Field(
        pattern=TIME_OF_DAY_PATTERN,
        max_length=5,
        description="End, exclusive, as HH:MM; earlier than start crosses midnight.",
    )
    days: list[Weekday] | None = Field(
        default=None,
        max_length=7,
        description="Days on which the window starts (Mon..Sun); all days when unset.",
    )


WINDOW_RULES: list[JsonValue] = [
    {
        "rule": "self.start != self.end",
        "message": "start and end must differ: a window from HH:MM to the same HH:MM is empty "
        "(use 00:00 to 24:00 for a whole day)",
    },
    {
        "rule": "self.start != '24:00'",
        "message": "start must be 00:00..23:59; 24:00 is only an end",
    },
]

TIME_ZONE_RULE: JsonDict = {
    "rule": "self == 'UTC' || timestamp('2025-01-01T00:00:00Z').getHours(self) >= 0",
    "message": "timeZone must be an IANA time zone name such as UTC, Asia/Shanghai or "
    "America/New_York",
}

RoleName = Literal["prefill", "decode", "unified"]
