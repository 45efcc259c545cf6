"""Engine-metrics simulator: SGLang- or vLLM-shaped `/metrics` for simulated engine pods.

Demand (a trace or a fixed rate) arrives on the clock's time, so a scaled clock replays a day
in minutes; the pods serve it up to their capacity and queue the rest, as engines do, so their
counters show what was served and their queue gauges what waits (fleet.py).
It makes the signals sources testable against a real Prometheus, and stands in for the
engines in the demo, where the pods are KWOK pods with nothing behind them.
"""
