"""Live signals: demand and utilisation per (namespace, deployment, role), for the planner.

Two sources behind one protocol (`source.SignalSource`): Prometheus (`prometheus.PrometheusSource`,
PromQL from `promql`) when a Prometheus URL is configured, else a direct scrape of the engine
pods' `/metrics` (`scrape.ScrapeSource`). Both return a `snapshot.Snapshot`.
"""
