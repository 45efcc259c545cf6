"""`make demo`: the real operator on the embedded local cluster, a day of demand on a fast clock.

`stack` starts and stops what the demo runs on (control plane, Prometheus, engine-metrics
simulator), `driver` runs the day, `late` keeps the late-token account, `summary` reads the
final figures back from Prometheus.
"""
