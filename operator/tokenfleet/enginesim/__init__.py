"""Engine-metrics simulator: SGLang- or vLLM-shaped `/metrics` for simulated engine pods.

Demand (a trace or a fixed rate) is integrated over the clock's time into every pod's
counters, so a scaled clock replays a day in minutes; gauges follow load against capacity.
It makes the signals sources testable against a real Prometheus, and stands in for the
engines in the demo, where the pods are KWOK pods with nothing behind them.
"""
