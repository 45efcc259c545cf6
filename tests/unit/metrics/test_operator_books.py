"""The operator's books over several steps, through the path the autoscaling loop runs.

`controllers.accounting.Accountant` is stepped as `Autoscaler.step` steps it: a round of the
deployment's pod counters read by `signals.counters.Reader` (from the direct scrape of the pods,
or from Prometheus), the deployment's status, the clock's now. The engines' counters go
through a restart, a missed scrape, new pods, a pod that vanishes and a failed Prometheus
query; the tokens booked must equal, exactly, what the pods served as their readings show.
The same steps posted directly with `metrics.accounting.post` give the same exposition: the
operator and the tests share one bookkeeping path.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import pathlib
from collections.abc import Sequence
from typing import Any

import httpx
from prometheus_api_client import exceptions
from prometheus_client import CollectorRegistry

from tokenfleet import clock as clocks
from tokenfleet.controllers import accounting as operator_books
from tokenfleet.economics import tokens
from tokenfleet.metrics import accounting, exporter
from tokenfleet.signals import counters, exposition, scrape, snapshot
from tokenfleet.sim import fleet
from tokenfleet.workloads import naming

from . import books

SAMPLE = pathlib.Path(__file__).parents[3] / "manifests" / "samples" / "deepseek-v3.yaml"
STEP = 30.0
DOWN = "down"
"""A pod that runs but does not answer this round."""


@dataclasses.dataclass(frozen=True)
class Pod:
    role: str
    prompt: float = 0
    cached: float = 0
    generated: float = 0


Round = dict[str, Pod | str]
"""Pods by name in one step: their counters, or DOWN."""

# Prefill p0 restarts at step 2; p1 misses step 2; p2 starts at step 3; decode d0 vanishes
# after step 2 (what it served after its last reading is not in any reading) and d1 starts.
# Decode pods see every prompt too: their prompt counters must not count.
ROUNDS: list[Round] = [
    {
        "p0": Pod("prefill", 1_000, 400),
        "p1": Pod("prefill", 500, 100),
        "d0": Pod("decode", 1_500, 0, 300),
    },
    {
        "p0": Pod("prefill", 2_000, 900),
        "p1": Pod("prefill", 800, 200),
        "d0": Pod("decode", 2_800, 0, 700),
    },
    {"p0": Pod("prefill", 250, 50), "p1": DOWN, "d0": Pod("decode", 3_050, 0, 900)},
    {
        "p0": Pod("prefill", 250, 50),
        "p1": Pod("prefill", 1_100, 260),
        "p2": Pod("prefill", 700, 300),
        "d1": Pod("decode", 1_000, 0, 150),
    },
    {
        "p0": Pod("prefill", 450, 100),
        "p1": Pod("prefill", 1_100, 260),
        "p2": Pod("prefill", 900, 350),
        "d1": Pod("decode", 1_900, 0, 400),
    },
]
# Per step, by the readings: the first round is the baseline; p0's restart counts what it shows;
# p1's gap is counted when it answers again; p2 and d1 count whole from zero.
SERVED = [
    {"prefill": tokens.TokenCounts(), "decode": tokens.TokenCounts()},
    {
        "prefill": tokens.TokenCounts.of(input=1_300, cached_input=600),
        "decode": tokens.TokenCounts(output=400),
    },
    {
        "prefill": tokens.TokenCounts.of(input=250, cached_input=50),
        "decode": tokens.TokenCounts(output=200),
    },
    {
        "prefill": tokens.TokenCounts.of(input=1_000, cached_input=360),
        "decode": tokens.TokenCounts(output=150),
    },
    {
        "prefill": tokens.TokenCounts.of(input=400, cached_input=100),
        "decode": tokens.TokenCounts(output=250),
    },
]
TOTAL = tokens.TokenCounts.of(input=2_950, cached_input=1_110, output=1_000)
STATUS = {
    "roles": {
        "prefill": {"desiredUnits": 2, "readyUnits": 2},
        "decode": {"desiredUnits": 1, "readyUnits": 1},
    }
}
UNITS = {"prefill": accounting.Units(2, 2), "decode": accounting.Units(1, 1)}


def reference() -> accounting.Deployment:
    loaded = fleet.load(SAMPLE)
    return accounting.Deployment(
        books.NS,
        loaded.deployment_name,
        loaded.deployment,
        loaded.pool_name,
        loaded.pool.model_copy(update={"committed_nodes": 10}),
        loaded.plan_name,
        loaded.plan,
    )


DEPLOYMENT = reference()
LABEL = naming.label_value(DEPLOYMENT.name)


def sglang(pod: Pod) -> str:
    return (
        "# TYPE sglang:prompt_tokens_total counter\n"
        f'sglang:prompt_tokens_total{{model_name="m"}} {pod.prompt}\n'
        "# TYPE sglang:cached_tokens_total counter\n"
        f'sglang:cached_tokens_total{{model_name="m"}} {pod.cached}\n'
        "# TYPE sglang:generation_tokens_total counter\n"
        f'sglang:generation_tokens_total{{model_name="m"}} {pod.generated}\n'
    )


def target(name: str, pod: Pod | str, role: str | None = None) -> scrape.Target:
    role = role or (pod.role if isinstance(pod, Pod) else "prefill")
    return scrape.Target(f"http://{name}:30000/metrics", books.NS, LABEL, role, name)


def step_all(
    reads: Sequence[counters.Round | None],
) -> tuple[exporter.FleetLedger, list[Any]]:
    """Steps an Accountant through `reads`, STEP clock seconds apart."""
    clock = clocks.FakeClock(books.START)
    ledger = books.ledger(clock)
    accountant = operator_books.Accountant(ledger, DEPLOYMENT.namespace, DEPLOYMENT.name)
    figures = []
    for i, read in enumerate(reads):
        if i:
            clock.advance(STEP)
        figures.append(step(accountant, clock.now(), read))
    return ledger, figures


def step(
    accountant: operator_books.Accountant, at: dt.datetime, read: counters.Round | None
) -> Any:
    """One step of the sample deployment, as `Autoscaler.step` posts it."""
    return accountant.step(
        at,
        DEPLOYMENT.spec,
        DEPLOYMENT.pool_name,
        DEPLOYMENT.pool,
        DEPLOYMENT.plan_name,
        DEPLOYMENT.plan,
        STATUS,
        read,
        None,
    )


def booked(ledger: exporter.FleetLedger) -> tokens.TokenCounts:
    text = ledger.text()

    def count(role: str, token_class: str) -> int:
        value = books.value(text, "tokenfleet_tokens_total", role=role, token_class=token_class)
        return round(value or 0)

    return tokens.TokenCounts(
        input_cache_hit=count("prefill", "input_cache_hit"),
        input_cache_miss=count("prefill", "input_cache_miss"),
        output=count("decode", "output"),
    )


async def scraped_rounds() -> list[counters.Round | None]:
    """Each step's round as the operator reads it without Prometheus."""
    now: Round = {}

    def handler(request: httpx.Request) -> httpx.Response:
        name = request.url.host
        pod = now.get(name)
        if not isinstance(pod, Pod):
            return httpx.Response(503)
        return httpx.Response(200, text=sglang(pod))

    roles = {name: p.role for r in ROUNDS for name, p in r.items() if isinstance(p, Pod)}
    out: list[counters.Round | None] = []
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        source = scrape.ScrapeSource(
            lambda: [target(name, pod, roles[name]) for name, pod in now.items()],
            clocks.FakeClock(books.START),
            client=client,
        )
        reader = counters.Reader(books.NS, LABEL)
        for pods in ROUNDS:
            now.clear()
            now.update(pods)
            await source.sample()
            out.append(await reader.read(None, source))
    return out


async def test_the_operators_books_count_exactly_what_the_pods_served() -> None:
    ledger, _ = step_all(await scraped_rounds())
    assert booked(ledger) == TOTAL


async def test_the_operator_and_the_tests_post_through_the_same_path() -> None:
    operator_ledger, figures = step_all(await scraped_rounds())
    clock = clocks.FakeClock(books.START)
    direct = books.ledger(clock)
    since = clock.now()
    for i, served in enumerate(SERVED):
        if i:
            clock.advance(STEP)
        accounting.post(
            direct,
            DEPLOYMENT,
            served,
            UNITS,
            since,
            clock.now(),
            committed={"prefill": 8, "decode": 2},
        )
        since = clock.now()
    assert operator_ledger.text() == direct.text()
    assert figures[-1] == direct.figures(DEPLOYMENT.namespace, DEPLOYMENT.name, clock.now())


async def test_nodes_are_paid_for_every_step_and_the_leased_slots_go_in_spec_order() -> None:
    ledger, _ = step_all(await scraped_rounds())
    text = ledger.text()
    gpu_seconds = "tokenfleet_gpu_seconds_total"
    held = STEP * (len(ROUNDS) - 1) * 8  # GPUs per node
    # 10 leased slots: prefill's 2 units of 4 nodes take 8, decode's unit of 18 the other 2.
    assert books.value(text, gpu_seconds, role="prefill", commitment="committed") == 8 * held
    assert books.value(text, gpu_seconds, role="prefill", commitment="on_demand") == 0
    assert books.value(text, gpu_seconds, role="decode", commitment="committed") == 2 * held
    assert books.value(text, gpu_seconds, role="decode", commitment="on_demand") == 16 * held


def answer(pods: Round) -> list[dict[str, Any]]:
    """Prometheus's answer to the counters query for the pods of one round (DOWN pods show
    their last scraped value, as `last_over_time` gives it)."""
    out: list[dict[str, Any]] = []
    for name, pod in pods.items():
        if not isinstance(pod, Pod):
            continue
        labels: dict[str, str] = {
            "namespace": books.NS,
            "tokenfleet_io_deployment": LABEL,
            "tokenfleet_io_role": pod.role,
            "pod": name,
        }
        for counter, value in (
            ("prompt", pod.prompt),
            ("cached", pod.cached),
            ("generation", pod.generated),
        ):
            out.append(
                {"metric": {**labels, "tokenfleet_counter": counter}, "value": [0, str(value)]}
            )
    return out


class Scripted:
    """Answers the counters query from a list, one answer per call."""

    def __init__(self, answers: list[Any]) -> None:
        self.answers = answers

    def custom_query(self, query: str, params: dict[str, str] | None = None) -> Any:
        if query.startswith("max(timestamp("):
            return []  # the newest sample's instant: unknown here
        assert query == counters.query(books.NS, LABEL)
        got = self.answers.pop(0)
        if isinstance(got, Exception):
            raise got
        return got


async def test_from_prometheus_a_failed_query_loses_nothing() -> None:
    # Prometheus keeps p1's last value while it does not answer; the query fails at step 3,
    # so step 4 books steps 3 and 4 together.
    rounds = [dict(r) for r in ROUNDS]
    rounds[2]["p1"] = ROUNDS[1]["p1"]
    script: list[Any] = [answer(r) for r in rounds]
    script.insert(3, exceptions.PrometheusApiClientException("HTTP 503"))
    client = Scripted(script)
    ticks = itertools.count(0.0, counters.MIN_READ_SECONDS)  # a step per scrape
    reader = counters.Reader(
        books.NS,
        LABEL,
        connect=lambda url: counters.PrometheusCounters(url, books.NS, LABEL, client=client),
        monotonic=lambda: next(ticks),
    )
    reads = [await reader.read("http://prometheus", None) for _ in range(len(script))]
    assert reads[3] is None
    ledger, _ = step_all(reads)
    assert booked(ledger) == TOTAL


def test_a_step_without_a_round_books_no_tokens_and_the_next_books_them_all() -> None:
    def single(prompt: float) -> counters.Round:
        key = snapshot.PodKey(books.NS, LABEL, "prefill", "p0")
        return counters.Round(
            {key: exposition.PodReading(prompt_tokens=prompt, cached_tokens=0)},
            frozenset({key}),
        )

    ledger, _ = step_all([single(100), single(160), None, None, single(400)])
    assert booked(ledger) == tokens.TokenCounts(input_cache_miss=300)


def test_pods_of_other_deployments_in_a_round_are_not_booked() -> None:
    mine = snapshot.PodKey(books.NS, LABEL, "decode", "d0")
    theirs = snapshot.PodKey(books.NS, "other", "decode", "d0")

    def both(value: float) -> counters.Round:
        reading = exposition.PodReading(generation_tokens=value)
        return counters.Round({mine: reading, theirs: reading}, frozenset({mine, theirs}))

    ledger, _ = step_all([both(10), both(25)])
    assert booked(ledger) == tokens.TokenCounts(output=15)


def test_the_first_step_opens_the_books_at_zero() -> None:
    ledger, figures = step_all([None])
    text = ledger.text()
    assert books.value(text, "tokenfleet_tokens_total", role="decode", token_class="output") is None
    assert books.value(text, "tokenfleet_cost_total", role="decode") == 0
    assert figures[0] is not None


def test_tokens_read_after_a_missed_step_are_spread_over_the_time_they_were_served_in() -> None:
    clock = clocks.FakeClock(books.START)
    ledger = exporter.FleetLedger(clock, CollectorRegistry(), span=dt.timedelta(seconds=45))
    accountant = operator_books.Accountant(ledger, DEPLOYMENT.namespace, DEPLOYMENT.name)
    key = snapshot.PodKey(books.NS, LABEL, "prefill", "p0")

    def single(prompt: float) -> counters.Round:
        reading = exposition.PodReading(prompt_tokens=prompt, cached_tokens=0)
        return counters.Round({key: reading}, frozenset({key}))

    for i, read in enumerate([single(100), None, single(400)]):
        if i:
            clock.advance(STEP)
        accountant.step(
            clock.now(),
            DEPLOYMENT.spec,
            DEPLOYMENT.pool_name,
            DEPLOYMENT.pool,
            None,
            None,
            STATUS,
            read,
            None,
        )
    window = ledger.books.deployment(DEPLOYMENT.namespace, DEPLOYMENT.name).window
    # 300 tokens served over the 60 s since the last reading; the last 45 s hold 3/4 of them.
    assert window.totals(clock.now()).served.input == 225


def test_a_pod_missing_from_prometheus_for_a_while_is_not_counted_twice() -> None:
    key = snapshot.PodKey(books.NS, LABEL, "decode", "d0")

    def answer_with(value: float | None) -> counters.Round:
        if value is None:
            return counters.Round({})  # Prometheus cannot tell gone from not answering
        return counters.Round({key: exposition.PodReading(generation_tokens=value)})

    ledger, _ = step_all(
        [answer_with(1_000), answer_with(None), answer_with(None), answer_with(1_100)]
    )
    assert booked(ledger) == tokens.TokenCounts(output=100)


def test_books_taken_up_after_a_restart_count_from_where_the_last_ones_stopped() -> None:
    """The previous operator booked up to its last round (read at some instant); the new one
    takes that round as its baseline, so its first step books exactly the increase since, and
    node time accrues from the previous operator's last scrape."""
    key = snapshot.PodKey(books.NS, LABEL, "decode", "d0")

    def at(value: float) -> counters.Round:
        return counters.Round({key: exposition.PodReading(generation_tokens=value)})

    clock = clocks.FakeClock(books.START)
    ledger = books.ledger(clock)
    accountant = operator_books.Accountant(ledger, DEPLOYMENT.namespace, DEPLOYMENT.name)
    assert not accountant.opened
    last_scrape = clock.now()
    accountant.take_up(at(5_000), last_scrape)
    assert accountant.opened
    clock.advance(STEP)
    step(accountant, clock.now(), at(5_042))
    assert booked(ledger) == tokens.TokenCounts(output=42)
    # The same books as an operator that had run on through both rounds: cost included.
    continued, _ = step_all([at(5_000), at(5_042)])
    for role in ("prefill", "decode"):
        cost = books.value(ledger.text(), "tokenfleet_cost_total", role=role)
        assert cost is not None and cost > 0
        assert cost == books.value(continued.text(), "tokenfleet_cost_total", role=role)
