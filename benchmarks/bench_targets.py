"""The hot matching path against the floor Python itself sets, as ratios measured in one run.

Baselines (same events, same process, best of interleaved rounds):

* ``F_sub``: a bare loop doing one ``in`` substring test per message;
* ``F_json``: a bare loop decoding every message with orjson (the decoder cwfilter uses);
* ``F_split``: a bare loop doing ``message.split()``.

``pytest benchmarks --benchmark-only`` runs the full sizes and asserts every target. With
``--benchmark-disable`` (the normal test run) each case runs once on small inputs and only its
correctness checks apply, so the file cannot rot.
"""

from __future__ import annotations

import re

import cwfilter
import orjson
import pytest
from cwfilter.engine.events import LogEvent, split_fields
from cwfilter.engine.metrics.pipeline import Engine
from workloads import (
    APACHE_PATTERN,
    ROOT_USAGE,
    apache_lines,
    best_of,
    cloudtrail_messages,
    over,
    record,
    root_usage_config,
    security_hub_config,
    synthetic_trail,
)

ROUNDS = 7


# --------------------------------------------------------------------------- terms


@pytest.mark.benchmark(group="match-terms")
@pytest.mark.parametrize(
    "pattern,expected",
    [
        ("Googlebot", lambda m: "Googlebot" in m),
        ("?Googlebot ?bingbot ?YandexBot", lambda m: "Googlebot" in m or "bingbot" in m or "YandexBot" in m),
        ("GET -Googlebot -bingbot", lambda m: "GET" in m and "Googlebot" not in m and "bingbot" not in m),
    ],
    ids=["single", "three-optional", "three-with-exclusions"],
)
def test_terms_vs_substring_floor(benchmark, full, pattern, expected):
    data = apache_lines() * (10 if full else 1)
    matches = cwfilter.compile_pattern(pattern).matches
    hits = benchmark.pedantic(over(data, matches), rounds=1, iterations=1)
    assert hits == sum(1 for m in data if expected(m))
    if full:
        f_sub, ours = best_of(ROUNDS, over(data, lambda m: "Googlebot" in m), over(data, matches))
        ratio = f_sub / ours
        record(benchmark, events=len(data), events_per_s=len(data) / ours, ratio_vs_F_sub=ratio)
        assert ratio >= 0.35


# --------------------------------------------------------------------------- JSON


@pytest.mark.benchmark(group="match-json")
def test_selective_json_vs_decoding_everything(benchmark, full):
    """Security Hub CloudWatch.1 (root usage): ruled out from the raw text for most records."""
    data = cloudtrail_messages() * (40 if full else 1)
    matches = cwfilter.compile_pattern(ROOT_USAGE).matches
    hits = benchmark.pedantic(over(data, matches), rounds=1, iterations=1)

    def root_usage(m: str) -> bool:  # the condition written in plain Python
        r = orjson.loads(m)
        ui = r.get("userIdentity")
        return (
            isinstance(ui, dict) and ui.get("type") == "Root" and "invokedBy" not in ui
            and r.get("eventType") != "AwsServiceEvent"
        )

    assert 0 < hits == sum(1 for m in data if root_usage(m))
    if full:
        f_json, ours = best_of(ROUNDS, over(data, orjson.loads), over(data, matches))
        ratio = f_json / ours
        record(benchmark, events=len(data), events_per_s=len(data) / ours, ratio_vs_F_json=ratio)
        assert ratio >= 2.0


@pytest.mark.benchmark(group="match-json")
def test_non_selective_json_vs_decoding_everything(benchmark, full):
    data = cloudtrail_messages() * (40 if full else 1)
    matches = cwfilter.compile_pattern("{ $.eventVersion = * }").matches
    hits = benchmark.pedantic(over(data, matches), rounds=1, iterations=1)
    assert hits == sum(1 for m in data if orjson.loads(m).get("eventVersion") is not None)
    if full:
        f_json, ours = best_of(ROUNDS, over(data, orjson.loads), over(data, matches))
        ratio = f_json / ours
        record(benchmark, events=len(data), events_per_s=len(data) / ours, ratio_vs_F_json=ratio)
        assert ratio >= 0.8


# --------------------------------------------------------------------------- many filters


def _engine_loop(config, data, docs=None):
    """Feed every event; with `docs`, also the record each was decoded into, as the CloudTrail and
    JSON-lines readers hand it over in `cwfilter run`."""

    def loop() -> int:
        engine = Engine(config, lateness=10**9)
        t0 = 1_700_000_000_000
        if docs is None:
            for i, m in enumerate(data):
                engine.feed(m, t0 + i, "trail")
        else:
            for i, (m, d) in enumerate(zip(data, docs)):
                engine.feed(m, t0 + i, "trail", d)
        engine.close()
        return sum(f.counters.matched for f in engine.filters)

    return loop


@pytest.mark.benchmark(group="multi-filter")
def test_fourteen_filters_cost_little_more_than_one(benchmark, full):
    """All 14 Security Hub filters through the engine vs the root-usage filter alone."""
    trail = synthetic_trail(60_000 if full else 2_000)
    all14, one = security_hub_config(), root_usage_config()
    matched = benchmark.pedantic(_engine_loop(all14, trail), rounds=1, iterations=1)
    # Every filter is also checked alone: the index never changes what matches.
    alone = 0
    for mf in all14.metric_filters:
        c = cwfilter.compile_pattern(mf.filter_pattern)
        alone += sum(1 for m in trail if c.matches(m))
    assert matched == alone > 0
    docs = [orjson.loads(m) for m in trail]
    assert _engine_loop(all14, trail, docs)() == matched  # the handed-over records change nothing
    if full:
        t1, t14, d1, d14 = best_of(
            5, _engine_loop(one, trail), _engine_loop(all14, trail),
            _engine_loop(one, trail, docs), _engine_loop(all14, trail, docs),
        )
        corpus = cloudtrail_messages() * 40
        c1, c14 = best_of(3, _engine_loop(one, corpus), _engine_loop(all14, corpus))
        record(benchmark, events=len(trail), ratio_14_vs_1=t14 / t1, events_per_s_14=len(trail) / t14,
                decoded_records_ratio_14_vs_1=d14 / d1, corpus_ratio_14_vs_1=c14 / c1)
        assert d14 / d1 <= 2.0  # records as `cwfilter run` reads them from CloudTrail or JSON lines
        # Raw text (subscription messages, plain lines): the index's scans run on SIMD substring
        # search (stringzilla); the one filter's prefilter is CPython's `in`.
        assert t14 / t1 <= 2.0


# --------------------------------------------------------------------------- space-delimited


@pytest.mark.benchmark(group="match-delimited")
def test_space_delimited_vs_split_floor(benchmark, full):
    data = apache_lines() * (10 if full else 1)
    matches = cwfilter.compile_pattern(APACHE_PATTERN).matches
    hits = benchmark.pedantic(over(data, matches), rounds=1, iterations=1)

    def expected(m: str) -> bool:  # seven fields exactly, status 5xx, bytes > 1000
        f = split_fields(m)
        return len(f) == 7 and f[5].startswith("5") and re.fullmatch(r"[0-9]+", f[6]) is not None and int(f[6]) > 1000

    assert hits == sum(1 for m in data if expected(m))
    # A pattern the combined-format lines do fit, so the matching side is measured too.
    wide = cwfilter.compile_pattern("[ip, id, user, ts, request, status = 5*, bytes, referrer, agent]").matches
    assert sum(1 for m in data if wide(m)) == sum(
        1 for m in data if len(f := split_fields(m)) == 9 and f[5].startswith("5")
    )
    if full:
        f_split, ours, ours_wide = best_of(ROUNDS, over(data, str.split), over(data, matches), over(data, wide))
        record(benchmark, events=len(data), ratio_vs_F_split=f_split / ours, wide_ratio_vs_F_split=f_split / ours_wide)
        assert f_split / ours >= 0.5


@pytest.mark.benchmark(group="match-delimited")
def test_eight_field_delimited_vs_split_floor(benchmark, full):
    """Eight slots against nine-field combined-format lines: the `status = 5*` prefix, written
    into the full-line regex, fails most lines at their sixth field."""
    data = apache_lines() * (10 if full else 1)
    pattern = "[ip, id, user, ts, request, status = 5*, bytes > 1000, level]"
    matches = cwfilter.compile_pattern(pattern).matches
    hits = benchmark.pedantic(over(data, matches), rounds=1, iterations=1)

    def expected(m: str) -> bool:  # eight fields exactly, status 5xx, bytes > 1000
        f = split_fields(m)
        return len(f) == 8 and f[5].startswith("5") and re.fullmatch(r"[0-9]+", f[6]) is not None and int(f[6]) > 1000

    assert hits == sum(1 for m in data if expected(m))
    # The same slots on lines cut to eight fields, so matches are counted too.
    cut = [" ".join(f'"{x}"' if " " in x or not x else x for x in split_fields(m)[:8]) for m in data]
    assert sum(1 for m in cut if matches(m)) == sum(1 for m in cut if expected(m))
    assert matches('1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 503 2048 "-"')
    if full:
        f_split, ours = best_of(ROUNDS, over(data, str.split), over(data, matches))
        record(benchmark, events=len(data), ratio_vs_F_split=f_split / ours)
        assert f_split / ours >= 0.5


def _apache_run_config():
    return cwfilter.Config.model_validate({"metricFilters": [
        {"filterName": "server-errors", "logGroupName": "web",
         "filterPattern": "[ip, id, user, ts, request, status = 5*, bytes, referrer, agent]",
         "metricTransformations": [{"metricName": "ServerErrorBytes", "metricNamespace": "Web",
                                    "metricValue": "$bytes"}]},
        {"filterName": "not-found", "logGroupName": "web",
         "filterPattern": "[ip, id, user, ts, request, status = 404, bytes, referrer, agent]",
         "metricTransformations": [{"metricName": "NotFound", "metricNamespace": "Web", "metricValue": "1"}]},
    ]})


@pytest.mark.benchmark(group="run-delimited")
def test_apache_run_in_process(benchmark, full, tmp_path):
    """What `cwfilter run` does per line for two space-delimited filters (reading, stamps,
    matching, sums), against the same sums in a bare Python loop (`str.split`, as awk splits),
    and against the same run feeding every line as an event (the path the text sieve bypasses:
    it must stay at least twice as fast). The whole-process target (<= 8x mawk) is in
    compare_tools.py; this records the figures."""
    from cwfilter.engine.metrics.runner import RunResult, run

    corpus = apache_lines()
    log = tmp_path / "apache.log"
    log.write_text("\n".join(corpus * (10 if full else 1)) + "\n")
    config = _apache_run_config()

    class PerLine(Engine):
        def sieve(self, log_group, extra=(), **kw):
            return None

    def engine_run(engine_class=Engine):
        engine = engine_class(config, keep_values=False)
        list(run(engine, [f"{log}@web"], result=RunResult()))
        sums: dict[str, float] = {}
        for dp in engine.close():
            sums[dp.key.name] = sums.get(dp.key.name, 0) + dp.aggregate.statistic("Sum")
        return sums

    def awk_like():
        b = c = 0
        with open(log, encoding="utf-8") as fh:
            for line in fh:
                f = line.split()
                if len(f) > 9 and f[8].startswith("5") and f[9].isdigit():
                    b += int(f[9])
                elif len(f) > 8 and f[8] == "404":
                    c += 1
        return {"ServerErrorBytes": b, "NotFound": c}

    sums = benchmark.pedantic(engine_run, rounds=1, iterations=1)
    assert sums == awk_like() == engine_run(PerLine)
    if full:
        t_ours, t_awk, t_per_line = best_of(3, engine_run, awk_like, lambda: engine_run(PerLine))
        n = len(corpus) * 10
        record(benchmark, events=n, us_per_line=t_ours / n * 1e6, ratio_vs_python_split_loop=t_ours / t_awk,
               speedup_vs_per_line=t_per_line / t_ours)
        assert t_per_line / t_ours >= 2


# --------------------------------------------------------------------------- regex


@pytest.mark.benchmark(group="match-regex")
def test_pathological_regex_is_linear(benchmark, full):
    """`%a*a*a*a*a*b%` against a run of `a`: exponential for a backtracking engine, linear here."""
    matches = cwfilter.compile_pattern("%a*a*a*a*a*b%").matches
    small, large = ("a" * 50_000, "a" * 200_000) if full else ("a" * 5_000, "a" * 20_000)
    assert benchmark.pedantic(lambda: matches(large), rounds=1, iterations=1) is False
    assert matches(small + "b") is True
    if full:
        t_small, t_large = best_of(ROUNDS, lambda: matches(small), lambda: matches(large))
        record(benchmark, size_ratio=len(large) / len(small), time_ratio=t_large / t_small,
                ms_large=t_large * 1000)
        assert t_large / t_small <= 6.0  # 4x the text: linear ~4x; quadratic would be ~16x


# --------------------------------------------------------------------------- streaming


@pytest.mark.benchmark(group="streaming")
def test_streaming_security_hub_over_a_trail(benchmark, full):
    """Events per second through the whole engine: 14 filters, datapoints closing as time moves."""
    trail = synthetic_trail(100_000 if full else 2_000, seed=11)
    config = security_hub_config()

    def stream() -> int:
        engine = Engine(config)
        t0 = 1_700_000_000_000
        points = 0
        for i, m in enumerate(trail):
            points += len(engine.feed(m, t0 + i * 50, "trail"))
        points += len(engine.close())
        return points

    points = benchmark.pedantic(stream, rounds=1, iterations=1)
    assert points > 0
    if full:
        (t,) = best_of(3, stream)
        record(benchmark, events=len(trail), events_per_s=len(trail) / t)


def test_log_event_decodes_once_for_every_filter():
    """The per-event contract the figures rest on: one decode, one split, however many filters."""
    ev = LogEvent('{"eventName": "DeleteTrail"}')
    assert ev.json is ev.json and ev.fast_json is ev.fast_json
    ev2 = LogEvent("a b c")
    assert ev2.fields is ev2.fields
