"""The operator's promised defaults, pinned: a change to one is a change users must read about.

Covered: the defaults of every settings group; `tokenfleet run` without flags or environment
gives exactly those settings (its flags add no defaults of their own); the environment and the
flags override them.
"""

from __future__ import annotations

import argparse
import dataclasses

import pytest

from tokenfleet.commands import run
from tokenfleet.controllers import settings


def test_the_promised_defaults() -> None:
    got = settings.Settings()
    assert (got.metrics_port, got.metrics_host, got.signal_window_seconds) == (8080, "0.0.0.0", 60)
    assert got.namespaces == () and got.pool_selector == () and got.prometheus_url is None
    assert got.carry_over_books is True and got.peering is None
    assert got.clock == settings.ClockSettings(start=None, speed=1.0, anchor=None)
    assert got.reconcile == settings.ReconcileSettings(
        inference_interval=30.0,
        pool_interval=30.0,
        pricing_interval=60.0,
        min_real_interval=0.05,
        max_real_wait=1.0,
    )
    assert got.kopf == settings.KopfSettings(watch_server_timeout=300, handler_workers=16)


def _parse(argv: list[str]) -> settings.Settings:
    parser = argparse.ArgumentParser()
    run.register(parser.add_subparsers())
    return run.settings_from(parser.parse_args(["run", *argv]))


def test_the_command_line_adds_no_defaults_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("METRICS_PORT", "METRICS_HOST", "SIGNAL_WINDOW", "CLOCK_SPEED", "KUBECONFIG"):
        monkeypatch.delenv(f"TOKENFLEET_{name}", raising=False)
    monkeypatch.delenv("KUBECONFIG", raising=False)
    got = _parse([])
    # The peering priority is drawn at random when not given, so two replicas differ.
    assert dataclasses.replace(got, peering_priority=0) == settings.Settings()


def test_environment_and_flags_override_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENFLEET_METRICS_PORT", "9100")
    monkeypatch.setenv("TOKENFLEET_CLOCK_SPEED", "")  # set but empty: the default
    got = _parse(["--signal-window", "4"])
    assert (got.metrics_port, got.signal_window_seconds, got.clock.speed) == (9100, 4.0, 1.0)
