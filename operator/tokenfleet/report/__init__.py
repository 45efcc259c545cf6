"""`tokenfleet report`: the dashboards drawn to PNG and one self-contained HTML page.

Grafana is not always at hand; a report draws the same panels (`dashboards.catalog`) from a
Prometheus (`prometheus`, running the panels' PromQL over a period) or from a simulation
(`simulated`, a trace replayed into the exporter's books, read back by `frames`), with a
summary table (`summary`). `render` draws a dashboard with matplotlib's Agg backend, `page`
writes the HTML with the pictures embedded.
"""
