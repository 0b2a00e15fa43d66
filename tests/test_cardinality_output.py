"""The datapoint writers of `cwfilter run` write what `json.dumps` of the datapoint dicts writes.

`-o jsonl` and `-o json` write datapoints straight from the aggregates (engine/report/jsontext.py)
instead of building a dict per datapoint. Two checks that the bytes are the same as before:

* in process, against the dict path that stays in the code (`Datapoint.to_json` and `iter_metrics`
  through `json.dumps`), over a high-cardinality run, the corpus, and aggregates chosen for their
  edges (sums past the double range, negative samples, empty periods, revisions, names that need
  escaping);
* `indented` (the rest of the `-o json` document) against `json.dumps(..., indent=4)` over
  random JSON-like values and odd strings;
* end to end, on real runs of the CLI: every jsonl line is `json.dumps` of what it parses to, and the
  whole json document is `json.dumps(..., indent=4)` of what it parses to.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from cwfilter.engine.config.sources import load_sources
from cwfilter.engine.metrics.pipeline import Datapoint, Engine
from cwfilter.engine.metrics.runner import RunOptions, run
from cwfilter.engine.metrics.series import STANDARD_STATISTICS, Aggregate
from cwfilter.engine.metrics.transform import MetricKey
from cwfilter.engine.report.jsontext import datapoint_line, indented, metric_texts
from cwfilter.engine.report.text import iter_metrics
from hypothesis import given, settings
from hypothesis import strategies as st

CWFILTER = Path(sys.executable).parent / "cwfilter"
CORPUS = Path(__file__).parent / "data" / "corpus"
APACHE = CORPUS / "apache" / "elastic-examples-apache_logs.log"
CLOUDTRAIL = CORPUS / "cloudtrail" / "panther-analysis-cloudtrail-rule-tests.jsonl"
T0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z
EXTENDED = ["p99", "tm90", "IQM", "PR(:300)", "p99", "TC(0.5:)"]
ODD = ["plain", "quote\"back\\slash", "tab\tnew\nline", "bell\x07esc\x1b", "é ü 日本 😀", "line\u2028sep", "del\x7f",
       "slash/</script>", ""]


def _events(path: Path) -> Path:
    """A run with a series per request (3,000), a few series with many samples, odd dimension values."""
    with path.open("w", encoding="utf-8") as out:
        for i in range(3_000):
            if i % 7:
                req, latency = f"req-{i:06d}", [0.25, 12345.678, 0.1, 7, -2.5, 1e-300][i % 6]
            else:  # a few series with several samples a minute, whose sums leave the double range
                req, latency = ODD[i // 7 % len(ODD)], [1e308, 1.7976931348623157e308, -3.5][i // 63 % 3]
            out.write(json.dumps({"timestamp": T0 + i * 300, "requestId": req, "latency": latency,
                                  "status": 200 + i % 3}, ensure_ascii=False) + "\n")
    return path


def _config(path: Path) -> Path:
    path.write_text(json.dumps({"metricFilters": [
        {"filterName": "latency", "logGroupName": "app", "filterPattern": "{ $.latency = * }",
         "metricTransformations": [{"metricName": "Latency", "metricNamespace": "App \"ns\"", "metricValue": "$.latency",
                                    "unit": "Milliseconds", "dimensions": {"req": "$.requestId"}}]},
        {"filterName": "status", "logGroupName": "app", "filterPattern": "{ $.status = * }",
         "metricTransformations": [{"metricName": "Status", "metricNamespace": "App", "metricValue": "1",
                                    "dimensions": {"status": "$.status", "req": "$.requestId"}}]},
        {"filterName": "all", "logGroupName": "app", "filterPattern": "",
         "metricTransformations": [{"metricName": "Events", "metricNamespace": "App", "metricValue": "1"}]},
    ]}), encoding="utf-8")
    return path


def _apache_config(path: Path) -> Path:
    path.write_text(json.dumps({"metricFilters": [
        {"filterName": "bytes", "logGroupName": "web",
         "filterPattern": "[ip, id, user, timestamp, request, status, bytes, referrer, agent]",
         "metricTransformations": [{"metricName": "Bytes", "metricNamespace": "Apache", "metricValue": "$bytes",
                                    "unit": "Bytes", "dimensions": {"ip": "$ip", "agent": "$agent"}}]},
    ]}), encoding="utf-8")
    return path


def _cloudtrail_config(path: Path) -> Path:
    path.write_text(json.dumps({"metricFilters": [
        {"filterName": "calls", "logGroupName": "trail", "filterPattern": "{ $.eventName = * }",
         "metricTransformations": [{"metricName": "Calls", "metricNamespace": "CloudTrail", "metricValue": "1",
                                    "dimensions": {"event": "$.eventName", "source": "$.sourceIPAddress"}}]},
    ]}), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> list[tuple[Path, Path, str]]:
    """(config, input, log group) of each run compared."""
    tmp = tmp_path_factory.mktemp("cardinality-output")
    return [(_config(tmp / "app.json"), _events(tmp / "app.jsonl"), "app"),
            (_apache_config(tmp / "apache.json"), APACHE, "web"),
            (_cloudtrail_config(tmp / "trail.json"), _records(tmp / "records.json"), "trail")]


def _records(path: Path) -> Path:
    """The Panther test records as one CloudTrail log file."""
    records = [json.loads(line)["log"] for line in CLOUDTRAIL.read_text(encoding="utf-8").splitlines() if line.strip()]
    path.write_text(json.dumps({"Records": records}), encoding="utf-8")
    return path


def _datapoints(config: Path, events: Path, group: str, keep_values: bool) -> list[Datapoint]:
    engine = Engine(load_sources([str(config)], {}).config, cardinality_guard="off", keep_values=keep_values)
    return list(run(engine, [f"{events}@{group}"], RunOptions(fmt="auto")))


def _reference_line(dp: Datapoint, statistics: list[str]) -> str:
    return json.dumps(dp.to_json(statistics), ensure_ascii=False)


def _reference_metrics(datapoints: list[Datapoint], statistics: list[str], margin: str) -> list[str]:
    return [json.dumps(m, indent=4, ensure_ascii=False).replace("\n", "\n" + margin)
            for m in iter_metrics(datapoints, statistics)]


@pytest.mark.parametrize("statistics", [[], EXTENDED], ids=["standard", "extended"])
def test_writers_match_the_dict_path_on_real_runs(runs, statistics):
    for config, events, group in runs:
        datapoints = _datapoints(config, events, group, keep_values=bool(statistics))
        assert len(datapoints) >= 50
        for dp in datapoints:
            assert datapoint_line(dp, statistics) == _reference_line(dp, statistics)
        for margin in ("", "        "):
            assert list(metric_texts(datapoints, statistics, margin)) == _reference_metrics(datapoints, statistics,
                                                                                           margin)


def test_the_high_cardinality_run_has_what_the_comparison_needs(runs):
    """The edges the comparison is meant to cover are in the generated run."""
    config, events, group = runs[0]
    datapoints = _datapoints(config, events, group, keep_values=True)
    values = [v for dp in datapoints for v in dp.to_json(["p99"]).values() if isinstance(v, float)]
    assert math.inf in values  # a Sum past the double range
    assert any(dp.to_json(["p99"])["ExtendedStatistics"]["p99"] is None for dp in datapoints)  # negative samples
    dimension_values = {v for dp in datapoints for _, v in dp.key.dimensions}
    for needs_escape in ('"', "\\", "\n", "\x1b", "\x7f", "日", "\u2028"):
        assert any(needs_escape in v for v in dimension_values), needs_escape
    assert any(dp.aggregate.sample_count > 1 for dp in datapoints if dp.key.dimensions)


def _aggregate(values: list[float], compact: bool) -> Aggregate:
    agg = Aggregate.compact() if compact else Aggregate()
    for v in values:
        agg.add(v)
    return agg


EDGE_VALUES = [[], [1.0], [0.1, 0.2, 0.7], [-0.0, 5e-324], [-3.5, 2.0], [1e308, 1e308], [-1e308, -1e308, 1.0],
               [1.7976931348623157e308] * 3, [123456789.123, 1e-7, 42]]


@pytest.mark.parametrize("compact", [True, False], ids=["compact", "values"])
def test_writers_match_the_dict_path_on_edge_aggregates(compact):
    keys = [MetricKey("App", "M"), MetricKey("A\"pp\\", "é\n\t\x00", (("a", ODD[3]), ("b", ODD[4])), "Bytes/Second"),
            MetricKey("App", "M", tuple((f"d{i}", odd) for i, odd in enumerate(ODD)), "None")]
    statistics = [] if compact else EXTENDED
    datapoints = []
    for i, values in enumerate(EDGE_VALUES):
        agg = _aggregate(values, compact)
        expected = tuple(agg.statistic(name) for name in STANDARD_STATISTICS)
        assert list(map(repr, agg.standard_statistics())) == list(map(repr, expected))
        for key in keys:
            for revision in (0, 1, 3):
                dp = Datapoint(key, T0 + 60_000 * i + 7 * (i % 2), 60, agg, revision)
                assert datapoint_line(dp, statistics) == _reference_line(dp, statistics)
                datapoints.append(dp)
    for margin in ("", "    "):
        assert list(metric_texts(datapoints, statistics, margin)) == _reference_metrics(datapoints, statistics, margin)
    assert list(metric_texts([], statistics)) == []


def _cli(*args: object) -> bytes:
    done = subprocess.run([str(CWFILTER), "run", *map(str, args), "--cardinality-guard", "off"],
                          capture_output=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("statistics", [[], ["-s", "p99", "-s", "tm90"]], ids=["standard", "extended"])
def test_cli_output_is_json_dumps_of_its_own_content(runs, statistics):
    for config, events, group in runs:
        spec = f"{events}@{group}"
        lines = _cli(config, spec, "-o", "jsonl", *statistics).decode("utf-8").split("\n")
        assert lines.pop() == ""
        assert len(lines) >= 50
        for line in lines:
            assert line == json.dumps(json.loads(line), ensure_ascii=False)
        text = _cli(config, spec, "-o", "json", *statistics).decode("utf-8")
        doc = json.loads(text)
        assert text == json.dumps(doc, indent=4, ensure_ascii=False) + "\n"
        # Not a terminal: json is the default output.
        assert _cli(config, spec, *statistics).decode("utf-8") == text
        # The same datapoints either way.
        from_jsonl = sorted(json.dumps(json.loads(line), sort_keys=True) for line in lines)
        from_json = sorted(json.dumps({"Namespace": m["Namespace"], "MetricName": m["MetricName"],
                                       "Dimensions": m["Dimensions"], **p}, sort_keys=True)
                           for m in doc["metrics"] for p in m["Datapoints"])
        assert from_jsonl == from_json


_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), st.sampled_from(ODD), st.text(),
    st.sampled_from([1e-05, 1e16, 1e22, 0.1, -0.0, 5e-324, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.tuples(inner, inner),
        st.dictionaries(st.one_of(st.text(max_size=6), st.sampled_from(ODD), st.integers()), inner, max_size=4),
    ),
    max_leaves=24,
)


@settings(max_examples=1500, deadline=None)
@given(_VALUES)
def test_indented_is_json_dumps_with_indent_4(value):
    try:
        want = json.dumps(value, indent=4, ensure_ascii=False)
    except (TypeError, ValueError):  # a lone surrogate key and the like: nothing to compare with
        return
    assert indented(value) == want


def test_indented_takes_the_fast_path_on_a_run_document():
    from cwfilter.engine.report import jsontext

    doc = {"summary": {"events": 3, "inputs": {"a.log": {"read": 3, "share": 0.25}}}, "metrics": [],
           "names": ODD}
    assert jsontext._orjson_writes_as_json(doc)
    assert not jsontext._orjson_writes_as_json({"x": [1e-05]})
    assert not jsontext._orjson_writes_as_json({1: "int key"})
    assert indented(doc) == json.dumps(doc, indent=4, ensure_ascii=False)
