"""Tokens served by class from SGLang's and vLLM's counters, read as the engines write them.

Readings are real expositions from the engine simulator parsed by signals: SGLang's
prompt/generation/cached counters and vLLM's prompt/generation/prefix-cache-hit counters (new
and old names). Covered: input and cache hits from the prefilling role only, output from the
decoding role only, a unified role both; a counter that drops (engine restart) counts what it
shows since; no rounding drift on fractional counters; a restarted pod's cache counter cannot
exceed its prompt counter. The tracker: the first round is a baseline, a missed scrape loses
nothing, a pod first read after the baseline counts from zero (whole), a vanished pod keeps
what was read of it, a forgotten pod that comes back is new.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from tokenfleet.economics import tokens
from tokenfleet.enginesim import exposition as sim_exposition
from tokenfleet.enginesim import fleet
from tokenfleet.metrics import engine_tokens
from tokenfleet.signals import exposition, snapshot

SHAPES = [
    sim_exposition.Shape("sglang"),
    sim_exposition.Shape("sglang", ranks_per_pod=2, old_names=True),
    sim_exposition.Shape("vllm", ranks_per_pod=2),
    sim_exposition.Shape("vllm", old_names=True),
]
IDS = ["sglang", "sglang-old-names", "vllm", "vllm-old-names"]


def reading(
    shape: sim_exposition.Shape,
    role: str,
    prompt: float,
    cached: float,
    generated: float,
) -> exposition.PodReading:
    pod = fleet.SimPod("ns", f"dsv3-{role}-0-0", "dsv3", role)
    state = fleet.PodState(
        pod, prompt_tokens=prompt, cached_tokens=cached, generation_tokens=generated
    )
    return exposition.read(sim_exposition.engine_metrics(state, shape))


@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
def test_prefill_counts_input_and_cache_hits_but_not_output(shape: sim_exposition.Shape) -> None:
    before = reading(shape, "prefill", 1_000, 400, 50)
    after = reading(shape, "prefill", 3_500, 1_400, 90)
    got = engine_tokens.served("prefill", before, after)
    assert got == tokens.TokenCounts(input_cache_hit=1_000, input_cache_miss=1_500, output=0)


@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
def test_decode_counts_output_only_though_it_sees_every_prompt(
    shape: sim_exposition.Shape,
) -> None:
    before = reading(shape, "decode", 1_000, 0, 200)
    after = reading(shape, "decode", 3_500, 0, 1_200)
    assert engine_tokens.served("decode", before, after) == tokens.TokenCounts(output=1_000)


@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
def test_a_unified_role_counts_every_class(shape: sim_exposition.Shape) -> None:
    before = reading(shape, "unified", 100, 20, 30)
    after = reading(shape, "unified", 300, 70, 90)
    assert engine_tokens.served("unified", before, after) == tokens.TokenCounts(50, 150, 60)


def test_a_pod_seen_for_the_first_time_counts_nothing() -> None:
    first = reading(SHAPES[0], "prefill", 10**9, 10**8, 0)
    assert engine_tokens.served("prefill", None, first) == tokens.TokenCounts()


@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
def test_a_restarted_engine_counts_what_it_shows_since_the_restart(
    shape: sim_exposition.Shape,
) -> None:
    before = reading(shape, "prefill", 90_000, 30_000, 0)
    restarted = reading(shape, "prefill", 2_000, 500, 0)
    assert engine_tokens.served("prefill", before, restarted) == tokens.TokenCounts(500, 1_500, 0)


def test_cache_hits_never_exceed_prompt_tokens_after_a_restart_of_one_counter() -> None:
    # The prompt counter grew by 100 while the cache counter restarted at 300.
    before = exposition.PodReading(prompt_tokens=1_000, cached_tokens=900)
    after = exposition.PodReading(prompt_tokens=1_100, cached_tokens=300)
    got = engine_tokens.served("prefill", before, after)
    assert got == tokens.TokenCounts(input_cache_hit=100, input_cache_miss=0)


def test_fractional_counters_add_up_to_the_whole_without_drift() -> None:
    values = [0.4 + 0.7 * i for i in range(1_000)]
    readings = [exposition.PodReading(generation_tokens=v) for v in values]
    counted = sum(
        engine_tokens.served("decode", a, b).output for a, b in itertools.pairwise(readings)
    )
    assert counted == round(values[-1]) - round(values[0])


def test_a_pod_that_exports_no_token_counters_counts_nothing() -> None:
    empty = exposition.PodReading()
    assert engine_tokens.served("unified", empty, empty) == tokens.TokenCounts()


def key(role: str, pod: str) -> snapshot.PodKey:
    return snapshot.PodKey("ns", "dsv3", role, pod)


def test_the_tracker_sums_pods_per_role_and_a_missed_scrape_loses_nothing() -> None:
    tracker = engine_tokens.Tracker()
    a, b = key("decode", "a"), key("decode", "b")
    role = snapshot.RoleKey("ns", "dsv3", "decode")

    def out(n: float) -> exposition.PodReading:
        return exposition.PodReading(generation_tokens=n)

    assert tracker.observe({a: out(100), b: out(10)}) == {role: tokens.TokenCounts()}
    assert tracker.observe({a: out(150), b: out(30)})[role].output == 70
    assert tracker.observe({a: out(170)})[role].output == 20  # b missed this round
    assert tracker.observe({a: out(180), b: out(60)})[role].output == 40


def out(n: float) -> exposition.PodReading:
    return exposition.PodReading(generation_tokens=n)


def test_a_forgotten_pod_that_comes_back_is_a_new_pod_counted_from_zero() -> None:
    tracker = engine_tokens.Tracker()
    pod = key("decode", "a")
    tracker.observe({pod: out(100)})
    tracker.forget(set())
    again = tracker.observe({pod: out(150)})
    assert again[pod.role_key].output == 150


def test_the_first_round_is_a_baseline_and_new_pods_after_it_count_whole() -> None:
    tracker = engine_tokens.Tracker()
    a, b = key("decode", "a"), key("decode", "b")
    role = a.role_key
    assert tracker.observe({a: out(10**9)}) == {role: tokens.TokenCounts()}
    # b started after the baseline: all it shows was served since.
    assert tracker.observe({a: out(10**9 + 5), b: out(700)})[role].output == 705


def test_a_new_prefill_pod_counts_its_whole_prompt_and_cache_counters() -> None:
    tracker = engine_tokens.Tracker()
    old, new = key("prefill", "old"), key("prefill", "new")
    tracker.observe({old: exposition.PodReading(prompt_tokens=50, cached_tokens=10)})
    got = tracker.observe(
        {
            old: exposition.PodReading(prompt_tokens=80, cached_tokens=20),
            new: exposition.PodReading(prompt_tokens=1_000, cached_tokens=400),
        }
    )
    assert got[old.role_key] == tokens.TokenCounts.of(input=1_030, cached_input=410)


def test_a_first_round_that_finds_no_pod_opens_the_books() -> None:
    tracker = engine_tokens.Tracker()
    assert tracker.observe({}) == {}
    pod = key("decode", "a")
    assert tracker.observe({pod: out(300)})[pod.role_key].output == 300


def test_a_pod_running_at_the_baseline_that_did_not_answer_takes_its_first_reading_as_base() -> (
    None
):
    tracker = engine_tokens.Tracker()
    up, down, new = key("decode", "up"), key("decode", "down"), key("decode", "new")
    assert tracker.observe({up: out(10)}, live={up, down}) == {up.role_key: tokens.TokenCounts()}
    # down may have served its 10**6 before the books opened; new started after them.
    got = tracker.observe({up: out(15), down: out(10**6), new: out(40)}, live={up, down, new})
    assert got[up.role_key].output == 45
    assert tracker.observe({down: out(10**6 + 9)}, live={up, down, new})[up.role_key].output == 9


def test_a_vanished_pod_keeps_what_was_read_and_the_rest_of_its_role_counts_on() -> None:
    tracker = engine_tokens.Tracker()
    a, b = key("decode", "a"), key("decode", "b")
    tracker.observe({a: out(100), b: out(100)})
    assert tracker.observe({a: out(160), b: out(130)})[a.role_key].output == 90
    # b is gone: what it served after its last reading is lost, nothing else is.
    assert tracker.observe({a: out(200)}, live={a})[a.role_key].output == 40
    tracker.forget({a})
    assert tracker.observe({a: out(260)}, live={a})[a.role_key].output == 60


def test_resets_and_gaps_of_one_pod_add_up_to_what_it_served() -> None:
    """One pod through a run of readings: 50 -> 150 (100), a gap, -> 400 (250), a restart
    (-> 30: 30), -> 60 (30), a gap with a restart inside it (-> 20: 20, as `increase()` reads
    it: what it served between 60 and the restart is not in any reading), -> 95 (75)."""
    tracker = engine_tokens.Tracker()
    pod = key("decode", "a")
    rounds: list[dict[snapshot.PodKey, exposition.PodReading]] = [
        {pod: out(50)},
        {pod: out(150)},
        {},
        {pod: out(400)},
        {pod: out(30)},
        {pod: out(60)},
        {},
        {pod: out(20)},
        {pod: out(95)},
    ]
    counted = [tracker.observe(r).get(pod.role_key, tokens.TokenCounts()).output for r in rounds]
    assert counted == [0, 100, 0, 250, 30, 30, 0, 20, 75]


def test_a_real_interval_of_simulated_engine_counters_is_what_the_trace_fed() -> None:
    """Counters the simulator integrated over an hour come back as exactly that hour."""
    rate_in, rate_cached, rate_out = 50_000.0, 20_000.0, 4_000.0
    state = fleet.PodState(fleet.SimPod("ns", "p", "dsv3", "unified"))
    shape = sim_exposition.Shape("vllm")
    readings = []
    for _ in range(121):  # every 30 s for an hour
        readings.append(exposition.read(sim_exposition.engine_metrics(state, shape)))
        state.prompt_tokens += rate_in * 30
        state.cached_tokens += rate_cached * 30
        state.generation_tokens += rate_out * 30
    total = sum(
        (engine_tokens.served("unified", a, b) for a, b in itertools.pairwise(readings)),
        tokens.TokenCounts(),
    )
    hour = dt.timedelta(hours=1).total_seconds()
    assert total == tokens.TokenCounts.of(
        input=int(rate_in * hour), cached_input=int(rate_cached * hour), output=int(rate_out * hour)
    )
