"""Offered demand: what arrives at a role, not only what it manages to serve. Pure.

An engine's token counters grow by what it serves, and it serves at most its capacity; what
arrives beyond that waits in its queue or, after waiting too long, is aborted. Sized on served
tokens alone, a saturated role looks exactly full however far demand exceeds it, and grows by
no more than its target utilisation's headroom a step. Every request that arrives is served,
still waiting, or aborted, so over a signal window

    arrived = served + (queued now - queued a window ago) + aborted,

and per second, in tokens: served tokens/s + tokens per request x (queue growth/s + aborted/s).
Tokens per request is the ratio of the role's served token and request counters over the same
window (prompt tokens for prefill, generated tokens for decode and unified), since engines
count waiting and aborted work in requests only.

Why the queue's growth and not its size drained over a horizon (served + queued / H): a
backlog's size says how much arrived too much in the past, not how much arrives now. While a
scale-up drains it, the role serves at full capacity, so served + queued / H stays above
what the role has and keeps asking for more until the queue is empty, however low demand has
fallen; and a queue held down by the clients' timeout holds about d x timeout (first come,
first served, the server reaches each request just as it times out), so the estimate would
depend on a timeout the operator cannot know. The planner remembers demand to forecast
the next days from it, and `tokenfleet simulate` plans on arrivals: the growth form gives it
the arrival rate, above capacity for as long as demand is, and equal to demand while a backlog
drains. Draining is paid for by the target utilisation's headroom, as in `simulate`.
"""

from __future__ import annotations

from collections.abc import Iterable


def tokens_per_second(
    served: float | None,
    requests: float | None,
    queue_growth: float | None,
    aborted: float | None,
) -> float | None:
    """Offered tokens/s from served tokens/s and requests/s, the queue's growth in requests/s
    and aborted requests/s. None without a served rate; the served rate itself when there is
    nothing to convert requests with (no request served in the window) or nothing to add."""
    if served is None:
        return None
    extra = (queue_growth or 0.0) + (aborted or 0.0)
    if not requests or requests <= 0 or extra == 0:
        return served
    return max(0.0, served + served / requests * extra)


def queue_growth(pods: Iterable[tuple[float | None, float | None, float | None]]) -> float | None:
    """Growth per second of a role's summed queue from one scrape of each pod to the next.

    Each pod is (depth at its previous scrape, None if first seen; depth now; seconds since
    its previous scrape). The role's sum now less its sum then, over the pods' mean interval:
    a pod seen for the first time grew from zero. None when no pod was scraped twice or none
    reports a depth.
    """
    now = then = seconds = 0.0
    paired = 0
    reported = False
    for previous, current, interval in pods:
        if current is None:
            continue
        reported = True
        now += current
        if previous is not None and interval is not None and interval > 0:
            then += previous
            seconds += interval
            paired += 1
    if not reported or not paired:
        return None
    return (now - then) / (seconds / paired)
