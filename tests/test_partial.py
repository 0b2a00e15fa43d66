"""Partial run aggregates: any split of the events, merged in any order or tree, gives one Engine's run."""

from __future__ import annotations

import json
import random

from cwfilter.engine.config.native import Config
from cwfilter.engine.metrics.partial import ROW_FIELDS, RunAggregate, merge_rows, row_key
from cwfilter.engine.metrics.pipeline import Engine
from cwfilter.engine.report.document import run_definitions, run_document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

T0 = 1_717_200_000_000  # 2024-06-01T00:00:00Z
GROUP = "app"


@st.composite
def configs(draw):
    filters = []
    for i in range(draw(st.integers(1, 3))):
        pattern = draw(st.sampled_from(['{ $.level = "ERROR" }', '{ $.latency > 100 }', "", "ERROR",
                                        '{ $.svc = "a*" }']))
        transformation = {"metricNamespace": "App", "metricName": f"m{i}",
                          "metricValue": draw(st.sampled_from(["1", "$.latency", "2.5"]))}
        dims = draw(st.booleans())
        if dims:
            transformation["dimensions"] = {"Service": "$.svc"}
        elif draw(st.booleans()):
            transformation["defaultValue"] = draw(st.sampled_from([0, 1.5]))
        if draw(st.booleans()):
            transformation["unit"] = "Milliseconds"
        filters.append({"filterName": f"f{i}", "logGroupName": GROUP, "filterPattern": pattern,
                        "metricTransformations": [transformation]})
    alarms = []
    for j in range(draw(st.integers(0, 2))):
        f = draw(st.sampled_from(filters))["metricTransformations"][0]
        alarm = {"AlarmName": f"a{j}", "Namespace": "App", "MetricName": f["metricName"],
                 "Period": draw(st.sampled_from([10, 60, 120])), "EvaluationPeriods": draw(st.integers(1, 3)),
                 "Threshold": draw(st.sampled_from([1.0, 3.0, 150.0])),
                 "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                 "TreatMissingData": draw(st.sampled_from(["missing", "notBreaching", "breaching"]))}
        if "dimensions" in f:
            alarm["Dimensions"] = [{"Name": "Service", "Value": draw(st.sampled_from(["a1", "b2"]))}]
        if draw(st.booleans()):
            alarm["ExtendedStatistic"] = draw(st.sampled_from(["p90", "p50", "tm80"]))
        else:
            alarm["Statistic"] = draw(st.sampled_from(["Sum", "SampleCount", "Average", "Maximum"]))
        alarm["DatapointsToAlarm"] = draw(st.integers(1, alarm["EvaluationPeriods"]))
        alarms.append(alarm)
    return Config.model_validate({"metricFilters": filters, "MetricAlarms": alarms})


events = st.lists(
    st.tuples(st.sampled_from(["ERROR", "INFO"]), st.one_of(st.integers(0, 400), st.just(0.1), st.none()),
              st.sampled_from(["a1", "b2", None]), st.integers(0, 900_000)),
    max_size=60,
)


def _message(level, latency, svc) -> str:
    doc = {"level": level}
    if latency is not None:
        doc["latency"] = latency
    if svc is not None:
        doc["svc"] = svc
    return json.dumps(doc)


def _feed(engine, evs) -> None:
    for level, latency, svc, offset in evs:
        engine.feed(_message(level, latency, svc), T0 + offset, GROUP)


def _document(items, summary, cfg) -> dict:
    from cwfilter.engine.metrics.pipeline import AlarmChange

    changes = [i for i in items if isinstance(i, AlarmChange)]
    points = [i for i in items if not isinstance(i, AlarmChange)]
    doc = run_document(points, changes, summary, ["p90", "tm80"], run_definitions(cfg))
    return json.loads(json.dumps(doc))


def _whole(cfg, evs, until_ms) -> dict:
    engine = Engine(cfg, until_ms=until_ms, keep_values=True)
    _feed(engine, evs)
    items = engine.close()
    summary = engine.summary()
    summary.pop("mode")
    return _document(items, summary, cfg)


def _merged(cfg, evs, parts, seed, until_ms, through_rows) -> dict:
    rng = random.Random(seed)
    buckets = [[] for _ in range(parts)]
    for ev in evs:
        buckets[rng.randrange(parts)].append(ev)
    aggs = []
    for bucket in buckets:
        engine = Engine(cfg, keep_values=True)
        _feed(engine, bucket)
        aggs.append(engine.partial())
    if through_rows:  # rows of every part, shuffled, reduced pairwise by key in a random tree
        rows = [r for a in aggs for r in a.to_rows()]
        rng.shuffle(rows)
        by_key: dict = {}
        for r in rows:
            by_key.setdefault(row_key(r), []).append(r)
        reduced = []
        for group in by_key.values():
            while len(group) > 1:
                i = rng.randrange(len(group) - 1)
                group[i:i + 2] = [merge_rows(group[i], group[i + 1])]
            reduced.append(group[0])
        whole = RunAggregate.from_rows(reduced)
    else:  # a random merge tree of the aggregates themselves
        while len(aggs) > 1:
            i = rng.randrange(len(aggs) - 1)
            aggs[i:i + 2] = [aggs[i].merge(aggs[i + 1])]
        whole = aggs[0]
    done = whole.finish(cfg, until_ms=until_ms)
    done.summary.pop("mode")
    return _document(done.items(), done.summary, cfg)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs(), events, st.integers(1, 5), st.integers(0, 10**6), st.booleans(),
       st.sampled_from([None, T0 + 1_500_000]))
def test_any_split_and_merge_tree_equals_one_engine(cfg, evs, parts, seed, through_rows, until_ms):
    assert _merged(cfg, evs, parts, seed, until_ms, through_rows) == _whole(cfg, evs, until_ms)


@settings(max_examples=80, deadline=None)
@given(configs(), events)
def test_rows_round_trip_exactly(cfg, evs):
    engine = Engine(cfg, keep_values=bool(evs) and len(evs) % 2 == 0)  # compact and full aggregates
    _feed(engine, evs)
    agg = engine.partial()
    rows = list(agg.to_rows())
    assert all(tuple(r) == ROW_FIELDS for r in rows)
    again = RunAggregate.from_rows(json.loads(json.dumps(rows)))
    assert list(again.to_rows()) == rows

    def cells(a):
        return {kind: {c: (x.sample_count, x.minimum, x.maximum, x._exact_sum(), x.is_compact or x.values_counts())
                       for c, x in table.items()} for kind, table in (("m", a.cells), ("a", a.alarm_cells))}

    assert cells(again) == cells(agg)
    assert (again.seen_minutes, again.matched_minutes, again.filters, again.counters, again.first_ms,
            again.last_ms) == (agg.seen_minutes, agg.matched_minutes, agg.filters, agg.counters, agg.first_ms,
                               agg.last_ms)


def test_the_alarm_clock_starts_at_the_earliest_event_whatever_the_read_order():
    cfg = Config.model_validate({
        "metricFilters": [{"filterName": "errors", "logGroupName": GROUP, "filterPattern": "ERROR",
                           "metricTransformations": [{"metricNamespace": "App", "metricName": "Errors",
                                                      "metricValue": "1"}]}],
        "MetricAlarms": [{"AlarmName": "errors", "Namespace": "App", "MetricName": "Errors", "Period": 60,
                          "EvaluationPeriods": 1, "Threshold": 1, "Statistic": "Sum",
                          "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                          "TreatMissingData": "notBreaching"}],
    })
    evs = [("ERROR", None, None, 600_000), ("INFO", None, None, 0)]  # the earliest event is read last
    forward = _whole(cfg, evs, None)
    backward = _whole(cfg, list(reversed(evs)), None)
    assert forward == backward
    assert [(h["Timestamp"], h["HistorySummary"]) for h in forward["alarmHistory"]] == [
        ("2024-06-01T00:00:00.000Z", "Alarm updated from INSUFFICIENT_DATA to OK"),
        ("2024-06-01T00:11:00.000Z", "Alarm updated from OK to ALARM")]


def test_finishing_leaves_the_aggregate_as_it_was():
    """`finish` takes the part's aggregates into the alarms' history as they are, and copies one
    before it changes: here a defaultValue sample (DECISIONS M2) lands in a minute whose cell
    another filter of the same metric filled. Finishing twice gives the same run, and the part's
    rows are those it had before."""
    transformation = {"metricNamespace": "App", "metricName": "Hits", "metricValue": "1"}
    cfg = Config.model_validate({
        "metricFilters": [
            {"filterName": "errors", "logGroupName": GROUP, "filterPattern": "ERROR",
             "metricTransformations": [dict(transformation, defaultValue=0)]},
            {"filterName": "infos", "logGroupName": GROUP, "filterPattern": "INFO",
             "metricTransformations": [transformation]}],
        "MetricAlarms": [{"AlarmName": "hits", "Namespace": "App", "MetricName": "Hits", "Period": 60,
                          "EvaluationPeriods": 1, "Threshold": 2, "Statistic": "SampleCount",
                          "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                          "TreatMissingData": "notBreaching"}],
    })
    engine = Engine(cfg)
    _feed(engine, [("INFO", None, None, 0), ("ERROR", None, None, 120_000), ("INFO", None, None, 130_000)])
    agg = engine.partial()
    rows = list(agg.to_rows())
    first, again = agg.finish(cfg), agg.finish(cfg)
    assert list(agg.to_rows()) == rows
    assert [(c.transition.timestamp, c.transition.new_state) for c in first.changes] == \
        [(c.transition.timestamp, c.transition.new_state) for c in again.changes]
    # Minute 0 holds two samples, one the ERROR filter's default: ALARM from the first evaluation
    # that sees it (without the default, not before minute 2's two samples).
    assert [((c.transition.timestamp - T0) // 60_000, c.transition.new_state) for c in first.changes] == [
        (0, "OK"), (1, "ALARM")]


def test_rows_of_another_format_are_refused():
    row = dict.fromkeys(ROW_FIELDS)
    row.update(format=99, kind="run")
    try:
        RunAggregate.from_rows([row])
    except ValueError as exc:
        assert "format 99" in str(exc)
    else:
        raise AssertionError("rows of an unknown format were read")


def test_parts_refuse_and_count_events_without_a_timestamp():
    from cwfilter.engine.metrics.partial import aggregate_files

    cfg = Config.model_validate({"metricFilters": [{
        "filterName": "errors", "logGroupName": GROUP, "filterPattern": "ERROR",
        "metricTransformations": [{"metricNamespace": "App", "metricName": "Errors", "metricValue": "1"}]}]})
    stamped = b"2024-06-01T00:00:01Z ERROR one\n2024-06-01T00:00:02Z INFO two\n"
    part = aggregate_files(cfg, [("stamped.log", stamped), ("bare.log", b"ERROR three\nERROR four\n")])
    done = part.finish(cfg)
    assert done.summary["refused"] == {"noTimestamp": 2}
    assert [loss["count"] for loss in done.summary["losses"]] == [2]
    assert done.summary["filters"][0] | {"read": 4, "matched": 1, "unmatched": 1, "rejected": 2} == done.summary["filters"][0]
    assert [dp.aggregate.sample_count for dp in done.datapoints] == [1]
