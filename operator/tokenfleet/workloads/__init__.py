"""Pure renderers: an InferenceDeployment becomes Kubernetes objects, as plain dicts.

Nothing here talks to a cluster. Handlers call these functions and apply what they return with
server-side apply, so every rendered object is whole (no patches) and deterministic (the same
spec renders the same bytes, and a changed spec changes `tokenfleet.io/template-hash`).

- `units.unit_objects`: one expert-parallel unit as a StatefulSet and its headless Service.
- `lws.leaderworkerset`: every unit of a role as one LeaderWorkerSet, where LWS is installed.
- `router.router_objects`: the router in front of the units, which discovers the routable ones;
  `routing`: which leaders are routable, and when a leaving unit is drained.
- `args`, `launch`: the engine command lines and the per-rank part decided inside the pod.
- `naming`, `labels`: names, labels, selectors and hashes the controller shares with us.
"""
