"""Per-pod token counters for the books: the PromQL, its answer, and the direct scrape's round.

The real Prometheus path is covered in tests/prometheus; here a stand-in client answers the
query, to pin what is asked (every engine's names, per pod, one deployment, last sample within
the lookback, one evaluation), how the answer is read, and which source a step's round comes
from.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import httpx
import pytest
from prometheus_api_client import exceptions

from tokenfleet import clock as clocks
from tokenfleet.signals import counters, engines, exposition, scrape, snapshot

START = dt.datetime(2025, 1, 6, tzinfo=dt.UTC)
POD = {
    "namespace": "ns",
    "tokenfleet_io_deployment": "dsv3",
    "tokenfleet_io_role": "prefill",
    "pod": "dsv3-prefill-0-0",
}
KEY = snapshot.PodKey("ns", "dsv3", "prefill", "dsv3-prefill-0-0")


def series(counter: str, value: str, **labels: str) -> dict[str, Any]:
    return {
        "metric": {**POD, "tokenfleet_counter": counter, **labels},
        "value": [1736121600.0, value],
    }


def test_the_query_asks_for_every_engine_name_of_every_counter() -> None:
    text = counters.query("ns", "dsv3")
    every = [
        name
        for engine in engines.ENGINES
        for name in (*engine.prompt_tokens, *engine.cached_tokens, *engine.generation_tokens)
    ]
    asked = re.findall(r"last_over_time\(([a-z_:]+)\{", text)
    assert sorted(asked) == sorted(every)


def test_the_query_is_per_pod_of_one_deployment_over_the_lookback() -> None:
    text = counters.query("ns", 'we"ird', lookback_seconds=90)
    by_pod = "sum by (namespace, tokenfleet_io_deployment, tokenfleet_io_role, pod, node)"
    assert text.count(by_pod) == 7
    assert text.count('namespace="ns",tokenfleet_io_deployment="we\\"ird"') == 7
    assert text.count("[90s]") == 7
    for counter in counters.Counter:
        assert f'"tokenfleet_counter", "{counter.value}", "", ""' in text


def test_newer_names_come_first_so_an_engine_with_both_is_counted_once() -> None:
    text = counters.counter_query(counters.Counter.CACHED)
    assert text.index("vllm:prefix_cache_hits_total") < text.index(
        "vllm:gpu_prefix_cache_hits_total"
    )


def test_an_answer_becomes_one_reading_per_pod() -> None:
    other = {"pod": "dsv3-prefill-1-0"}
    answer = [
        series("prompt", "1200"),
        series("cached", "300"),
        series("generation", "7"),
        series("prompt", "50", **other),
    ]
    assert counters.parse(answer) == {
        KEY: exposition.PodReading(prompt_tokens=1200, cached_tokens=300, generation_tokens=7),
        snapshot.PodKey("ns", "dsv3", "prefill", "dsv3-prefill-1-0"): exposition.PodReading(
            prompt_tokens=50
        ),
    }


def test_series_without_a_pod_with_an_unknown_counter_or_not_a_number_are_dropped() -> None:
    no_pod = series("prompt", "5")
    del no_pod["metric"]["pod"]
    answer = [
        no_pod,
        series("queue", "5"),
        series("prompt", "NaN"),
        series("cached", "oops"),
        series("generation", "9"),
    ]
    assert counters.parse(answer) == {KEY: exposition.PodReading(generation_tokens=9)}


class Answers:
    """Answers the counters query with `answer`; an exception is raised instead."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.asked: list[str] = []

    def custom_query(self, query: str, params: dict[str, str] | None = None) -> Any:
        self.asked.append(query)
        if isinstance(self.answer, Exception):
            raise self.answer
        if query.startswith("max(timestamp("):
            return [{"metric": {}, "value": [0, "1000.0"]}]  # the newest sample's instant
        return self.answer


def test_a_round_from_prometheus_cannot_tell_which_pods_are_gone() -> None:
    answers = Answers([series("prompt", "10")])
    reader = counters.PrometheusCounters("http://unused", "ns", "dsv3", client=answers)
    got = reader.read(at=1010.0)
    assert got == counters.Round(
        {KEY: exposition.PodReading(prompt_tokens=10)},
        live=None,
        read_at=1010.0,
        sampled_at=1000.0,
    )
    assert answers.asked[0] == counters.query("ns", "dsv3")
    assert answers.asked[1] == (
        'max(timestamp({__name__=~"sglang:prompt_tokens_total|vllm:prompt_tokens_total",'
        'tokenfleet_io_role!="",namespace="ns",tokenfleet_io_deployment="dsv3"}))'
    )


@pytest.mark.parametrize(
    "failure",
    [exceptions.PrometheusApiClientException("HTTP 422"), ConnectionError("refused")],
)
def test_a_failed_query_is_no_round(failure: Exception) -> None:
    reader = counters.PrometheusCounters("http://u", "ns", "dsv3", client=Answers(failure))
    assert reader.read() is None


async def test_the_reader_asks_prometheus_when_a_url_is_set_and_reconnects_when_it_changes() -> (
    None
):
    made: list[str] = []

    def connect(url: str) -> counters.PrometheusCounters:
        made.append(url)
        return counters.PrometheusCounters(
            url, "ns", "dsv3", client=Answers([series("generation", "3")])
        )

    reader = counters.Reader("ns", "dsv3", connect=connect)
    first = await reader.read("http://a", None)
    await reader.read("http://a", None)
    await reader.read("http://b", None)
    assert made == ["http://a", "http://b"]
    assert first is not None and first.readings == {KEY: exposition.PodReading(generation_tokens=3)}


def sglang(prompt: float, cached: float, generated: float) -> str:
    return (
        "# TYPE sglang:prompt_tokens_total counter\n"
        f'sglang:prompt_tokens_total{{model_name="m"}} {prompt}\n'
        "# TYPE sglang:cached_tokens_total counter\n"
        f'sglang:cached_tokens_total{{model_name="m"}} {cached}\n'
        "# TYPE sglang:generation_tokens_total counter\n"
        f'sglang:generation_tokens_total{{model_name="m"}} {generated}\n'
    )


async def test_without_prometheus_the_round_is_the_direct_scrapes_last_sample() -> None:
    up = scrape.Target("http://up:30000/metrics", "ns", "dsv3", "prefill", "up")
    down = scrape.Target("http://down:30000/metrics", "ns", "dsv3", "decode", "down")

    def handler(request: httpx.Request) -> httpx.Response:
        if str(request.url) == up.url:
            return httpx.Response(200, text=sglang(900, 300, 4))
        return httpx.Response(503)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        source = scrape.ScrapeSource(lambda: [up, down], clocks.FakeClock(START), client=client)
        reader = counters.Reader("ns", "dsv3")
        assert await reader.read(None, source) is None  # nothing sampled yet
        await source.sample()
        got = await reader.read(None, source)
    assert got == counters.Round(
        {
            up.pod_key: exposition.PodReading(
                prompt_tokens=900, cached_tokens=300, generation_tokens=4
            )
        },
        frozenset({up.pod_key, down.pod_key}),
    )


async def test_a_source_that_keeps_no_counters_gives_no_round() -> None:
    assert await counters.Reader("ns", "dsv3").read(None, object()) is None


def _reader(answers: Answers, now: list[float]) -> counters.Reader:
    """A reader of `answers` whose real (monotonic) time is `now[0]`."""
    return counters.Reader(
        "ns",
        "dsv3",
        connect=lambda url: counters.PrometheusCounters(url, "ns", "dsv3", client=answers),
        monotonic=lambda: now[0],
    )


async def test_the_lookback_spans_twice_the_real_time_since_prometheus_last_answered() -> None:
    now = [0.0]
    answers = Answers([series("generation", "3")])
    reader = _reader(answers, now)
    await reader.read("http://p", None)
    now[0] = 10.0
    await reader.read("http://p", None)  # a quick step: the shortest lookback
    now[0] = 400.0
    answers.answer = ConnectionError("refused")
    assert await reader.read("http://p", None) is None
    now[0] = 700.0
    answers.answer = []
    await reader.read("http://p", None)  # 690 s since the last answer
    counter_queries = [q for q in answers.asked if not q.startswith("max(timestamp(")]
    assert [re.findall(r"\[(\d+s)\]", q)[0] for q in counter_queries] == [
        "60s",
        "60s",
        "780s",
        "1380s",
    ]


def test_a_pod_started_again_on_another_node_is_a_pod_of_its_own_in_the_books() -> None:
    # The unit was removed and started again under the same pod names; the old series (node
    # n1) still answers within the lookback beside the new one (node n2): counted apart, the
    # old one's count is not added to the new one's.
    def on(node: str, value: str) -> dict[str, Any]:
        item = series("prompt", value)
        item["metric"]["node"] = node
        return item

    found = counters.parse([on("n1", "500"), on("n2", "20")])
    assert sorted(key.pod for key in found) == [f"{KEY.pod}@n1", f"{KEY.pod}@n2"]
    assert sorted(r.prompt_tokens or 0 for r in found.values()) == [20, 500]


async def test_prometheus_is_read_at_most_once_per_second_of_real_time() -> None:
    now = [0.0]
    answers = Answers([series("generation", "3")])
    reader = _reader(answers, now)
    assert await reader.read("http://p", None) is not None
    asked = len(answers.asked)
    now[0] = 0.6  # a step of a fast clock, before Prometheus scraped again
    assert await reader.read("http://p", None) is None
    assert len(answers.asked) == asked
    now[0] = 1.0
    assert await reader.read("http://p", None) is not None
    assert len(answers.asked) == 2 * asked
