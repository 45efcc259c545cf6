"""The cost model: pure functions from GPU-seconds, tokens and prices to cost, revenue and margin.

Nothing here reads the time or talks to a cluster: every instant is an argument, every amount of
money a `Decimal`. The operator's exporter, the PricingPlan controller and the simulator call the
same functions, so a margin on a dashboard and a margin in a simulation report mean the same thing.

Modules: `tokens` (counts by class), `windows` (daily time windows in a time zone), `pricing`
(the prices in force at an instant and when they next change), `revenue`, `cost` (GPU-seconds to
money, committed and on-demand apart), `idle` (what nodes and units that serve nothing cost) and
`unit_economics` (cost per million tokens, margin).
"""
