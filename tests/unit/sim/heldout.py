"""The reference fleet for generated days (`tokenfleet.sim.shapes`), with the pool's
provisioning delay replaced when a test asks. `make bench` replays every shape."""

from __future__ import annotations

import dataclasses
import pathlib

from tokenfleet.sim import fleet

SAMPLE = pathlib.Path(__file__).parents[3] / "manifests" / "samples" / "deepseek-v3.yaml"


def reference(delay: int | None = None) -> fleet.Fleet:
    """The sample fleet, with the pool's provisioning delay replaced when `delay` is given."""
    loaded = fleet.load(SAMPLE)
    if delay is None:
        return loaded
    pool = loaded.pool.model_copy(update={"provisioning_delay_seconds": delay})
    return dataclasses.replace(loaded, pool=pool)
