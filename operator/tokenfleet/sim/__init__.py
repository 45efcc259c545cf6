"""Virtual-time replay of a demand trace against a fleet, with the operator's own planner.

`trace` reads the CSV, `fleet` the custom resources, `policies` decides units per row (ours, the
oracle and the baselines), `replay` plays units through provisioning delays, `report` turns the
result into node-hours, late tokens and money, `plot` draws it.
"""
