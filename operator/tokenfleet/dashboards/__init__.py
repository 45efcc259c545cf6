"""Dashboards and alerts as code: the Grafana JSON and PrometheusRule groups the chart ships.

`model` describes panels as data (PromQL plus the quantity it measures), `catalog` holds the
dashboards, `promql` and `slo` the shared expressions, `grafana` builds Grafana's JSON with
grafana-foundation-sdk, `alerts` the rule groups, and `files` writes them into the chart and
checks them for drift (`tokenfleet dashboards`). `tokenfleet report` draws the same panels.
"""
