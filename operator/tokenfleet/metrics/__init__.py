"""The operator's own Prometheus exporter: cost per token, revenue, margin, units, nodes.

`names` holds every metric and label name; `ledger` keeps the books (priced with the pure
cost model in `economics`), `window` and `figures` the last hour's cost per million tokens and
margin; `collector` turns the books into metrics at scrape time and `exporter.FleetLedger` is
what controllers call. `engine_tokens` turns SGLang/vLLM token counters into tokens served by
billing class, `decisions` a planner decision into label values.
"""
