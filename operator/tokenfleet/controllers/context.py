"""What every controller needs, built once at start-up and passed to each `register` call."""

from __future__ import annotations

import dataclasses

from tokenfleet import clock as clock_mod
from tokenfleet.controllers import settings as settings_mod
from tokenfleet.kube import client as kube_client
from tokenfleet.metrics import exporter


@dataclasses.dataclass
class Context:
    """Dependencies of the handlers: the one clock, the Kubernetes client, the settings, and
    the fleet's books that /metrics exports."""

    clock: clock_mod.Clock
    kube: kube_client.Kube
    settings: settings_mod.Settings
    ledger: exporter.FleetLedger

    def interval(self, clock_seconds: float) -> float:
        """Real seconds to wait for `clock_seconds` of the process clock to pass."""
        return max(
            self.settings.reconcile.min_real_interval, self.clock.real_seconds(clock_seconds)
        )

    def now_rfc3339(self) -> str:
        return clock_mod.rfc3339(self.clock.now())
