"""`engine.pipeline.Engine`: events in, closed datapoints out, with every statistic and counter.

Expected values are worked out by hand in the comments (nearest rank, DECISIONS A5) or with plain
Python over the events fed; the engine only ever produces the actual values.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from cwfilter.engine.config.native import load_config
from cwfilter.engine.metrics.pipeline import Datapoint, Engine

T0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z
SECOND = 1000
MINUTE = 60 * SECOND


def transformation(metric: str, value: str = "1", **extra: Any) -> list[dict]:
    return [{"metricName": metric, "metricNamespace": "Test", "metricValue": value, **extra}]


def engine_for(tmp_path: Path, filters: list[dict], **options: Any) -> Engine:
    """An Engine over a config file written with `filters` (loaded and validated as `run` does)."""
    path = tmp_path / f"config-{len(list(tmp_path.iterdir()))}.json"
    path.write_text(json.dumps({"metricFilters": filters}), encoding="utf-8")
    return Engine(load_config([path]), **options)


def value_engine(tmp_path: Path, **options: Any) -> Engine:
    return engine_for(tmp_path, [{
        "filterName": "Values", "filterPattern": "{ $.v >= 0 || $.v < 0 }",
        "metricTransformations": transformation("Values", "$.v"),
    }], **options)


def feed_values(engine: Engine, stamped: list[tuple[int, float]]) -> list[Datapoint]:
    out: list[Datapoint] = []
    for ts, v in stamped:
        out += engine.feed(json.dumps({"v": v}), ts)
    return out


def summary_of(engine: Engine, name: str) -> dict:
    [found] = [f for f in engine.summary()["filters"] if f["filterName"] == name]
    return found


# --------------------------------------------------------------------------- statistics


def test_every_statistic_on_one_period(tmp_path):
    engine = value_engine(tmp_path)
    values = [10 * k for k in range(1, 21)]  # 10, 20, ..., 200
    random.Random(3).shuffle(values)
    assert feed_values(engine, [(T0 + i * SECOND, v) for i, v in enumerate(values)]) == []
    [dp] = engine.close()
    assert dp.timestamp_ms == T0 and dp.period == 60
    expected = {
        "SampleCount": 20.0,
        "Sum": 2100.0,  # 10 * (1 + ... + 20)
        "Average": 105.0,
        "Minimum": 10.0,
        "Maximum": 200.0,
        "p0": 10.0,  # rank max(1, 0)
        "p50": 100.0,  # rank 10
        "p90": 180.0,  # rank 18
        "p99": 200.0,  # rank ceil(19.8) = 20
        "p100": 200.0,
        "tm80": 85.0,  # ranks 1..16: 10 * 136 / 16
        "IQM": 105.0,  # ranks (5, 15]: 60..150 -> 1050 / 10
        "TM(10%:90%)": 105.0,  # ranks (2, 18]: 30..180 -> 1680 / 16
        "TC(50:150)": 10.0,  # 50 < x <= 150: 60..150
        "TS(50:150)": 1050.0,
        "PR(0:100)": 50.0,  # 10..100: 10 of 20
        "PR(:50)": 25.0,  # x <= 50: 5 of 20
        "WM(10%:90%)": 105.0,  # 10, 20 -> 30 and 190, 200 -> 180: 2100 + 30 - 30
    }
    assert {name: dp.statistic(name) for name in expected} == expected


def test_statistics_with_repeated_values(tmp_path):
    engine = value_engine(tmp_path)
    feed_values(engine, [(T0 + i * SECOND, v) for i, v in enumerate([2, 1, 2, 1, 1, 2, 2, 1])])
    [dp] = engine.close()
    assert dp.statistic("SampleCount") == 8.0
    assert dp.statistic("Sum") == 12.0
    assert dp.statistic("p25") == 1.0  # rank 2 of 1 1 1 1 2 2 2 2
    assert dp.statistic("p75") == 2.0  # rank 6
    assert dp.statistic("IQM") == 1.5  # ranks 3..6: 1 1 2 2
    assert dp.aggregate.values_counts() == ([1.0, 2.0], [4, 4])


def test_extended_statistics_do_not_exist_with_a_negative_sample(tmp_path):
    engine = value_engine(tmp_path)
    feed_values(engine, [(T0, -1), (T0 + SECOND, 5)])
    [dp] = engine.close()
    assert (dp.statistic("Sum"), dp.statistic("Minimum")) == (4.0, -1.0)
    assert dp.statistic("p50") is None
    assert dp.statistic("IQM") is None


def test_datapoint_json_and_emf(tmp_path):
    engine = engine_for(tmp_path, [{
        "filterName": "Lat", "filterPattern": "{ $.v >= 0 }",
        "metricTransformations": transformation("Lat", "$.v", unit="Seconds", dimensions={"Host": "$.h"}),
    }])
    for i in range(250):
        engine.feed(json.dumps({"v": i % 7, "h": "web-1"}), T0 + i * 100)
    [dp] = engine.close()
    doc = dp.to_json(["p50"])
    assert doc["Namespace"] == "Test" and doc["MetricName"] == "Lat"
    assert doc["Dimensions"] == [{"Name": "Host", "Value": "web-1"}]
    assert (doc["Timestamp"], doc["Period"], doc["Unit"]) == ("2024-01-01T00:00:00Z", 60, "Seconds")
    assert doc["SampleCount"] == 250
    assert doc["Sum"] == float(sum(i % 7 for i in range(250)))
    assert doc["ExtendedStatistics"] == {"p50": sorted(i % 7 for i in range(250))[124]}
    emf = list(dp.to_emf())
    assert [len(d["Lat"]) for d in emf] == [100, 100, 50]
    assert sorted(v for d in emf for v in d["Lat"]) == sorted(float(i % 7) for i in range(250))
    for d in emf:
        assert d["Host"] == "web-1"
        assert d["_aws"]["Timestamp"] == T0
        assert d["_aws"]["CloudWatchMetrics"] == [
            {"Namespace": "Test", "Dimensions": [["Host"]], "Metrics": [{"Name": "Lat", "Unit": "Seconds"}]}
        ]


# --------------------------------------------------------------------------- batch and live periods


def test_batch_counts_every_sample_in_its_period_whatever_the_order(tmp_path):
    # Batch mode: nothing is emitted while feeding, and no sample is ever too late (CloudWatch
    # keeps every event in its period however late it arrives).
    engine = value_engine(tmp_path)
    closed = feed_values(engine, [
        (T0 + 30 * SECOND, 1),
        (T0 + 4 * MINUTE, 2),
        (T0 + 10 * SECOND, 4),
        (T0 + 60 * MINUTE, 8),
        (T0 + 50 * SECOND, 16),  # an hour behind the newest event: still minute 0
    ])
    assert closed == []
    closed = engine.close()
    assert [(d.timestamp_ms, d.statistic("Sum"), d.statistic("SampleCount"), d.revision) for d in closed] == [
        (T0, 21.0, 3.0, 0), (T0 + 4 * MINUTE, 2.0, 1.0, 0), (T0 + 60 * MINUTE, 8.0, 1.0, 0),
    ]
    f = summary_of(engine, "Values")
    assert (f["matched"], f["samples"]) == (5, 5)
    assert "late" not in f


def test_periods_longer_than_a_minute(tmp_path):
    engine = value_engine(tmp_path, period=300, lateness=0)
    closed = feed_values(engine, [(T0 + m * MINUTE, m) for m in range(12)])
    closed += engine.close()
    assert [(d.timestamp_ms, d.period, d.statistic("Sum"), d.statistic("SampleCount")) for d in closed] == [
        (T0, 300, 0.0 + 1 + 2 + 3 + 4, 5.0),
        (T0 + 5 * MINUTE, 300, 5.0 + 6 + 7 + 8 + 9, 5.0),
        (T0 + 10 * MINUTE, 300, 10.0 + 11, 2.0),
    ]


class Clock:
    """A settable clock for live-mode engines (epoch ms)."""

    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def test_live_emits_after_lateness_and_re_emits_a_corrected_period(tmp_path):
    clock = Clock(T0 + 61 * SECOND)
    engine = value_engine(tmp_path, lateness=5, live=True, clock=clock)
    assert feed_values(engine, [(T0 + 10 * SECOND, 1)]) == []  # 1:01: minute 0 is due at 1:05
    clock.now = T0 + 65 * SECOND
    [dp] = engine.tick()
    assert (dp.timestamp_ms, dp.statistic("Sum"), dp.revision) == (T0, 1.0, 1)
    clock.now = T0 + 10 * MINUTE
    # Nine minutes late: merged into minute 0, which is emitted again with every sample so far.
    [again] = feed_values(engine, [(T0 + 30 * SECOND, 4)])
    assert (again.timestamp_ms, again.statistic("Sum"), again.statistic("SampleCount"), again.revision) == (
        T0, 5.0, 2.0, 2)
    assert dp.statistic("Sum") == 1.0  # what was emitted before does not change
    assert again.to_json()["Revision"] == 2
    assert summary_of(engine, "Values")["samples"] == 2


def test_live_refuses_events_outside_the_put_log_events_window(tmp_path):
    clock = Clock(T0 + 30 * 86_400_000)
    engine = value_engine(tmp_path, live=True, clock=clock)
    feed_values(engine, [
        (clock.now - 15 * 86_400_000, 1),  # more than 14 days old
        (clock.now + 3 * 3_600_000, 2),  # more than 2 hours ahead
        (clock.now - 13 * 86_400_000, 4),  # within 14 days: counted
    ])
    summary = engine.summary()
    assert summary["refused"] == {"tooOld": 1, "tooNew": 1}
    f = summary_of(engine, "Values")
    assert (f["read"], f["rejected"], f["matched"], f["samples"]) == (3, 2, 1, 1)


def test_batch_memory_is_series_times_periods_and_live_memory_is_bounded(tmp_path):
    transformation_ = transformation("Lat", "$.v", dimensions={"Host": "$.h"})
    config = [{"filterName": "Lat", "filterPattern": "{ $.v >= 0 }", "metricTransformations": transformation_}]
    engine = engine_for(tmp_path, config, keep_values=False)
    for i in range(6000):  # one event every 2 s over 200 minutes, 4 hosts
        engine.feed(json.dumps({"v": i % 13, "h": f"h{i % 4}"}), T0 + i * 2 * SECOND)
    assert len(engine.table) == 4 * 200  # one compact aggregate per series and period
    assert engine.table.value_entries() == 4 * 200
    assert len(engine.close()) == 4 * 200

    # Live, over 30 days of one event a minute: periods older than 14 days (+ a period) go.
    clock = Clock(T0)
    engine = engine_for(tmp_path, config, live=True, clock=clock, keep_values=False)
    most = 0
    for m in range(0, 30 * 1440, 7):
        clock.now = T0 + m * MINUTE + 1
        engine.feed(json.dumps({"v": 1, "h": "h"}), T0 + m * MINUTE)
        most = max(most, len(engine.table))
    assert most <= 14 * 1440 // 7 + 3


# --------------------------------------------------------------------------- defaultValue (M2)


def default_engine(tmp_path: Path, **options: Any) -> Engine:
    return engine_for(tmp_path, [{
        "filterName": "Errors", "filterPattern": "ERROR",
        "metricTransformations": transformation("Errors", "10", defaultValue=1),
    }], **options)


def test_default_value_per_quiet_minute_inside_longer_periods(tmp_path):
    engine = default_engine(tmp_path, period=300)
    for ts, message in [
        (T0 + 5 * SECOND, "INFO"), (T0 + 20 * SECOND, "INFO"),  # minute 0: quiet -> 1 default
        (T0 + 70 * SECOND, "INFO"),  # minute 1: quiet -> 1 default
        # minute 2: no events -> nothing
        (T0 + 190 * SECOND, "ERROR"), (T0 + 200 * SECOND, "INFO"),  # minute 3: a match, no default
        (T0 + 250 * SECOND, "DEBUG"),  # minute 4: quiet -> 1 default
    ]:
        engine.feed(message, ts)
    [dp] = engine.close()
    assert (dp.timestamp_ms, dp.statistic("SampleCount"), dp.statistic("Sum")) == (T0, 4.0, 13.0)
    f = summary_of(engine, "Errors")
    assert (f["samples"], f["defaultSamples"], f["matched"], f["unmatched"]) == (1, 3, 1, 5)


def test_default_value_per_unmatched_event(tmp_path):
    engine = default_engine(tmp_path, default_value_mode="event")
    for ts, message in [(T0, "INFO"), (T0 + SECOND, "INFO"), (T0 + 2 * SECOND, "ERROR")]:
        engine.feed(message, ts)
    [dp] = engine.close()
    assert (dp.statistic("SampleCount"), dp.statistic("Sum")) == (3.0, 12.0)


def test_default_value_mode_is_checked(tmp_path):
    with pytest.raises(ValueError):
        default_engine(tmp_path, default_value_mode="hour")


def test_default_value_with_periods_shorter_than_a_minute(tmp_path):
    engine = default_engine(tmp_path, period=10, lateness=0)
    closed = []
    for ts in (T0 + 5 * SECOND, T0 + 30 * SECOND, T0 + 65 * SECOND):  # minutes 0 and 1: quiet
        closed += engine.feed("INFO", ts)
    closed += engine.close()
    # DECISIONS M2: one default per minute that saw events and no match: minutes 0 and 1.
    assert sum(d.statistic("SampleCount") for d in closed) == 2


# --------------------------------------------------------------------------- metric values and dimensions


def test_space_delimited_value_and_dimension(tmp_path):
    engine = engine_for(tmp_path, [{
        "filterName": "Bytes", "filterPattern": "[ip, user, status, bytes]",
        "metricTransformations": transformation("Bytes", "$bytes", dimensions={"Status": "$status"}),
    }])
    lines = ["1.1.1.1 - 200 100", "1.1.1.2 bob 404 -", "1.1.1.3 - 200 50", "1.1.1.4 - 500 7", "a b c"]
    for i, line in enumerate(lines):
        engine.feed(line, T0 + i * SECOND)
    got = {d.key.dimensions: (d.statistic("Sum"), d.statistic("SampleCount")) for d in engine.close()}
    assert got == {(("Status", "200"),): (150.0, 2.0), (("Status", "500"),): (7.0, 1.0)}
    f = summary_of(engine, "Bytes")
    # "a b c" has three fields for four slots: no match (DECISIONS P13); `-` is not a number (M3).
    assert (f["matched"], f["unmatched"], f["valueNotNumeric"], f["samples"]) == (4, 1, 1, 3)


def test_missing_dimension_and_non_numeric_value_are_counted(tmp_path):
    engine = engine_for(tmp_path, [{
        "filterName": "Lat", "filterPattern": '{ $.kind = "req" }',
        "metricTransformations": transformation("Lat", "$.ms", dimensions={"Route": "$.route"}),
    }])
    events = [
        {"kind": "req", "route": "/a", "ms": 3},
        {"kind": "req", "route": "/a", "ms": "4"},  # M3: a numeric string counts
        {"kind": "req", "ms": 5},  # M4: no route
        {"kind": "req", "route": "/b", "ms": "slow"},  # M3
        {"kind": "other", "route": "/b", "ms": 1},
    ]
    for i, ev in enumerate(events):
        engine.feed(json.dumps(ev), T0 + i * SECOND)
    [dp] = engine.close()
    assert (dp.key.dimensions, dp.statistic("Sum"), dp.statistic("SampleCount")) == ((("Route", "/a"),), 7.0, 2.0)
    f = summary_of(engine, "Lat")
    assert (f["matched"], f["unmatched"], f["samples"], f["dimensionMissing"], f["valueNotNumeric"]) == (4, 1, 2, 1, 1)


def test_system_field_dimensions(tmp_path):
    engine = engine_for(tmp_path, [{
        "filterName": "Hits", "filterPattern": "GET",
        "emitSystemFieldDimensions": ["@aws.region"],
        "metricTransformations": transformation("Hits"),
    }], region="ap-south-1")
    engine.feed("GET /", T0)
    [dp] = engine.close()
    assert dp.key.dimensions == (("@aws.region", "ap-south-1"),)


# --------------------------------------------------------------------------- routing and accounting


def routed_engine(tmp_path: Path, with_anywhere: bool = True) -> Engine:
    filters = [
        {"filterName": "A", "logGroupName": "app-a", "filterPattern": "", "metricTransformations": transformation("A")},
        {"filterName": "B", "logGroupName": "app-b", "filterPattern": "", "metricTransformations": transformation("B")},
    ]
    if with_anywhere:
        filters.append({"filterName": "All", "filterPattern": "", "metricTransformations": transformation("All")})
    return engine_for(tmp_path, filters)


def test_events_go_to_the_filters_of_their_log_group(tmp_path):
    engine = routed_engine(tmp_path)
    assert engine.log_groups == ["app-a", "app-b"]
    assert engine.default_log_group() is None
    feed = [("x", T0, "app-a"), ("x", T0 + 1, "app-a"), ("x", T0 + 2, "app-b"), ("x", T0 + 3, "app-c"), ("x", T0 + 4)]
    assert list(engine.feed_many(feed)) == []
    counts = {d.key.name: d.statistic("SampleCount") for d in engine.close()}
    assert counts == {"A": 2.0, "B": 1.0, "All": 5.0}
    summary = engine.summary()
    assert (summary["events"], summary["unrouted"]) == (5, 0)


def test_events_of_a_group_without_filters_are_unrouted(tmp_path):
    engine = routed_engine(tmp_path, with_anywhere=False)
    engine.feed("x", T0, "app-c")
    engine.feed("x", T0, "app-a")
    assert engine.summary()["unrouted"] == 1
    assert [d.key.name for d in engine.close()] == ["A"]


def test_a_single_log_group_takes_unbound_events(tmp_path):
    engine = engine_for(tmp_path, [
        {"filterName": "Solo", "logGroupName": "solo", "filterPattern": "", "metricTransformations": transformation("S")},
    ])
    assert engine.default_log_group() == "solo"
    engine.feed("x", T0)
    assert summary_of(engine, "Solo")["read"] == 1


def test_rejected_events_are_read_but_never_matched(tmp_path):
    engine = routed_engine(tmp_path)
    engine.feed("x", T0, "app-a")
    engine.reject("app-a", 3)
    engine.reject("app-b")
    a, b, everywhere = (summary_of(engine, n) for n in ("A", "B", "All"))
    assert (a["read"], a["matched"], a["rejected"]) == (4, 1, 3)
    assert (b["read"], b["matched"], b["rejected"]) == (1, 0, 1)
    assert (everywhere["read"], everywhere["rejected"]) == (5, 4)
    for f in engine.summary()["filters"]:
        assert f["read"] == f["matched"] + f["unmatched"] + f["rejected"]
    assert engine.summary()["events"] == 5
