"""Pure planning: signals in, desired units per role and a reason out.

`decide.plan(config, state, observation)` is the one entry point. It never reads the time (the
observation carries the instant) and keeps everything it learns in a frozen `PlannerState` that
it returns, so the operator's timer and the simulator's virtual-time replay call the same code
and a whole decision sequence can be replayed exactly.
"""
