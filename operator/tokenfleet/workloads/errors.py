"""The one exception renderers raise: the spec cannot become valid objects."""

from __future__ import annotations


class RenderError(ValueError):
    """The InferenceDeployment (or its pool) cannot be rendered; the message says how to fix it.

    Handlers turn it into a status condition and an event rather than a crash loop: it needs a
    spec change, so retrying the same spec would fail the same way.
    """
