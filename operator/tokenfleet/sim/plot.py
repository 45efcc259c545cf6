"""One picture of a replay: per policy, each role's demand against its serving capacity, and the
nodes paid for, over time. Drawn with matplotlib's Agg renderer into a PNG; no display needed."""

from __future__ import annotations

import pathlib

import numpy as np
from matplotlib.figure import Figure

from tokenfleet.sim import run

DEMAND = "#444444"
CAPACITY = "#1f77b4"
LATE = "#d62728"
NODES = "#2ca02c"
ORACLE = "#999999"


def draw(outcome: run.Outcome, path: pathlib.Path) -> None:
    """Write the plot of `outcome` to `path` (PNG)."""
    trace, cfg = outcome.trace, outcome.cfg
    names = [result.policy for result in outcome.results]
    roles = list(cfg.roles)
    hours = trace.starts / 3600
    fig = Figure(figsize=(5 * (len(roles) + 1), 2.6 * len(names) + 0.6), layout="constrained")
    axes = fig.subplots(len(names), len(roles) + 1, squeeze=False, sharex=True)
    oracle_nodes = None
    if "oracle" in outcome.timelines:
        oracle_nodes = outcome.timelines["oracle"].nodes
    for row, result in enumerate(outcome.results):
        timeline = outcome.timelines[result.policy]
        for col, role in enumerate(roles):
            ax = axes[row][col]
            demand = trace.demand(role.name) / 1e6
            capacity = timeline.ready[role.name] * role.unit_capacity / 1e6
            ax.plot(hours, demand, color=DEMAND, linewidth=0.7, label="demand")
            ax.step(hours, capacity, where="post", color=CAPACITY, linewidth=0.9, label="capacity")
            ax.fill_between(
                hours,
                capacity,
                demand,
                where=demand > capacity,
                color=LATE,
                alpha=0.5,
                step="post",
                label="late",
            )
            ax.set_title(f"{result.policy}: {role.name}", fontsize=9)
            ax.set_ylabel("M tok/s", fontsize=8)
            ax.tick_params(labelsize=7)
            if row == 0:
                ax.legend(fontsize=7, loc="upper right")
        ax = axes[row][len(roles)]
        ax.step(hours, timeline.nodes, where="post", color=NODES, linewidth=0.9, label="nodes")
        if oracle_nodes is not None and result.policy != "oracle":
            ax.step(
                hours,
                oracle_nodes,
                where="post",
                color=ORACLE,
                linewidth=0.6,
                linestyle="--",
                label="oracle",
            )
        ax.set_title(
            f"{result.policy}: {result.node_hours:,.0f} node-hours, "
            f"{result.late_token_fraction:.2%} late",
            fontsize=9,
        )
        ax.set_ylabel("nodes", fontsize=8)
        ax.set_ylim(bottom=0, top=max(1.0, float(np.max(timeline.nodes)) * 1.1))
        ax.tick_params(labelsize=7)
        if row == 0:
            ax.legend(fontsize=7, loc="upper right")
    for ax in axes[-1]:
        ax.set_xlabel("hours from start", fontsize=8)
    fig.suptitle(f"{trace.name} on {cfg.pool}", fontsize=11)
    fig.savefig(path, dpi=110)
