"""Batch runs give the same, exact datapoints and alarm transitions whatever the order of events
and files (CloudWatch keeps every event in its period however late it arrives).

Real inputs are the measure: a CloudTrail archive in the S3 delivery layout built from the corpus
(records re-stamped over a day in three regions, unsorted inside files, delivered up to 15 minutes
late) read in glob order, reversed and shuffled; an Apache log repeated (time going back); a log
with stack-trace lines; and a property over random event sets and permutations.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import random
import tempfile
from collections import Counter
from pathlib import Path

import pytest
import yaml
from cwfilter.engine.config.native import load_config
from cwfilter.engine.metrics.pipeline import Engine
from hypothesis import given, settings
from hypothesis import strategies as st
from test_run_e2e import APACHE_REAL, ENVELOPES, OTRF, PANTHER, SECURITY_HUB, cli, split_fields

DAY0 = int(dt.datetime(2024, 3, 1, tzinfo=dt.UTC).timestamp() * 1000)
MINUTE = 60_000
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]
ACCOUNT = "123456789012"


def _iso(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _period_start(ms: int, period_s: int) -> str:
    return _iso(ms - ms % (period_s * 1000))


def _corpus_records() -> list[dict]:
    records = [json.loads(line) for line in OTRF.read_text(encoding="utf-8").splitlines() if line.strip()]
    for item in json.loads(ENVELOPES.read_text(encoding="utf-8")):
        records.extend(item["envelope"]["Records"])
    records += [json.loads(line)["log"] for line in PANTHER.read_text(encoding="utf-8").splitlines() if line.strip()]
    return records


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> dict:
    """`AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/*.json.gz`, as CloudTrail delivers."""
    rng = random.Random(15)
    root = tmp_path_factory.mktemp("s3")
    records = _corpus_records()
    stamped: list[tuple[int, dict]] = []
    files: dict[tuple[str, int], list[dict]] = {}
    for _ in range(3):  # the corpus three times over, so that most periods hold several records
        for rec in records:
            rec = dict(rec)
            ms = DAY0 + rng.randrange(86_400) * 1000
            region = rng.choice(REGIONS)
            rec["eventTime"], rec["awsRegion"] = _iso(ms), region
            delivered = ms + rng.randrange(15 * 60) * 1000  # up to 15 minutes of delivery lag
            window = delivered - delivered % (5 * MINUTE)
            files.setdefault((region, window), []).append(rec)
            stamped.append((ms, rec))
    paths = []
    for (region, window), recs in files.items():
        rng.shuffle(recs)  # records inside a CloudTrail file are not sorted
        when = dt.datetime.fromtimestamp(window / 1000, dt.UTC)
        folder = root / "AWSLogs" / ACCOUNT / "CloudTrail" / region / when.strftime("%Y/%m/%d")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{ACCOUNT}_CloudTrail_{region}_{when:%Y%m%dT%H%MZ}_{rng.getrandbits(40):x}.json.gz"
        path.write_bytes(gzip.compress(json.dumps({"Records": recs}).encode()))
        paths.append(path)
    pack = root / "cis.yaml"
    done = cli("rules", "cis")
    assert done.returncode == 0, done.stderr
    pack.write_text(done.stdout, encoding="utf-8")
    return {"root": root, "records": stamped, "pack": pack}


def _glob_order(root: Path) -> list[Path]:
    # What the shell's AWSLogs/*/CloudTrail/*/*/*/*/*.json.gz gives: region by region.
    return sorted(root.glob("AWSLogs/*/CloudTrail/*/*/*/*/*.json.gz"))


def _pack_controls(pack: Path) -> dict[str, str]:
    """Pack metric name -> Security Hub control, by the pack's order (CloudWatch.1 to .14)."""
    filters = yaml.safe_load(pack.read_text(encoding="utf-8"))["metricFilters"]
    assert len(filters) == 14
    return {f["metricTransformations"][0]["metricName"]: f"CloudWatch.{i + 1}" for i, f in enumerate(filters)}


def _datapoints(doc: dict) -> dict[tuple[str, str], tuple[float, int]]:
    return {(m["MetricName"], p["Timestamp"]): (p["Sum"], int(p["SampleCount"]))
            for m in doc["metrics"] for p in m["Datapoints"]}


def _transitions(doc: dict) -> list[tuple]:
    return [(h["AlarmName"], h["Timestamp"], h["HistorySummary"]) for h in doc.get("alarmHistory", [])]


@pytest.mark.parametrize("period", [60, 300])
def test_cloudtrail_archive_gives_exact_datapoints_in_any_file_order(archive, period):
    files = _glob_order(archive["root"])
    assert len(files) > 500
    shuffled = list(files)
    random.Random(period).shuffle(shuffled)
    controls = _pack_controls(archive["pack"])

    expected: Counter = Counter()
    for ms, rec in archive["records"]:
        for metric, control in controls.items():
            if SECURITY_HUB[control](rec):
                expected[(metric, _period_start(ms, period))] += 1
    assert len(expected) > 100  # most controls match something, in many periods

    results = []
    for order in (files, files[::-1], shuffled):
        done = cli("run", archive["pack"], *order, "--output", "json", "--period", str(period), timeout=300)
        assert done.returncode == 0, done.stderr
        doc = json.loads(done.stdout)
        assert doc["summary"]["losses"] == []
        assert doc["summary"]["inputs"]["total"]["read"] == len(archive["records"])
        results.append(doc)
    for doc in results:
        assert _datapoints(doc) == {k: (float(n), n) for k, n in expected.items()}
    first = _transitions(results[0])
    assert first, "the pack's alarms must move on this archive"
    assert all(_transitions(doc) == first for doc in results[1:])
    # One alarm per control, each ending in a state decided by the data (not INSUFFICIENT_DATA).
    assert len(results[0]["summary"]["alarms"]) == 14


def _apache_expected(lines: list[str]) -> Counter:
    out: Counter = Counter()
    for line in lines:
        fields = split_fields(line)
        if len(fields) == 9 and fields[5][:1] in ("4", "5"):
            ms = int(dt.datetime.strptime(fields[3], "%d/%b/%Y:%H:%M:%S %z").timestamp() * 1000)
            out[("ServerErrors", _period_start(ms, 60))] += 1
    return out


def test_apache_log_repeated_counts_every_copy(tmp_path):
    lines = APACHE_REAL.read_text(encoding="utf-8").splitlines()
    config = tmp_path / "apache.json"
    config.write_text(json.dumps({"metricFilters": [{
        "filterName": "ServerErrors", "filterPattern": "[ip, id, user, timestamp, request, status_code = 4* || status_code = 5*, bytes, referrer, agent]",
        "metricTransformations": [{"metricName": "ServerErrors", "metricNamespace": "Apache", "metricValue": "1"}],
    }]}), encoding="utf-8")
    once = _apache_expected(lines)
    assert sum(once.values()) > 10
    repeated = tmp_path / "repeated.log"
    repeated.write_text("\n".join(lines * 3) + "\n", encoding="utf-8")  # time goes back twice
    backwards = tmp_path / "backwards.log"
    backwards.write_text("\n".join(lines[::-1] * 3) + "\n", encoding="utf-8")
    for path in (repeated, backwards):
        done = cli("run", config, path, "--output", "json")
        assert done.returncode == 0, done.stderr
        doc = json.loads(done.stdout)
        assert _datapoints(doc) == {k: (3.0 * n, 3 * n) for k, n in once.items()}


STACK_LOG = """\
2024-03-01T10:00:05Z INFO starting
2024-03-01T10:00:59Z ERROR request failed
java.lang.IllegalStateException: boom
    at com.example.Handler.handle(Handler.java:42)
    at com.example.Server.run(Server.java:7)
2024-03-01T10:01:30Z INFO recovered
2024-03-01T09:58:10Z ERROR replayed from an older buffer
Caused by: java.io.IOException: disk full
    at com.example.Disk.write(Disk.java:9)
2024-03-01T10:03:00Z INFO done
"""


def _exception_config(path: Path) -> Path:
    path.write_text(json.dumps({"metricFilters": [{
        "filterName": "Exceptions", "filterPattern": "Exception",
        "metricTransformations": [{"metricName": "Exceptions", "metricNamespace": "App", "metricValue": "1"}],
    }]}), encoding="utf-8")
    return path


def test_stack_trace_lines_take_the_time_of_the_event_before_them(tmp_path):
    config = _exception_config(tmp_path / "c.json")
    log = tmp_path / "app.log"
    log.write_text(STACK_LOG, encoding="utf-8")
    done = cli("run", config, log, "--output", "json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    # Each trace line is an event of its own, stamped like the line before it.
    assert _datapoints(doc) == {("Exceptions", "2024-03-01T10:00:00Z"): (1.0, 1),
                                ("Exceptions", "2024-03-01T09:58:00Z"): (1.0, 1)}
    [source] = doc["summary"]["inputs"]["sources"]
    assert source["timestamp_origins"] == {"event": 5, "previous": 5}
    assert "time of reading" not in done.stderr

    # With the agent's grouping, a trace joins its event: one event per timestamped line.
    done = cli("run", config, log, "--output", "json", "--multi-line-start", r"^\d{4}-\d{2}-\d{2}T")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert _datapoints(doc) == {("Exceptions", "2024-03-01T10:00:00Z"): (1.0, 1),
                                ("Exceptions", "2024-03-01T09:58:00Z"): (1.0, 1)}
    assert doc["summary"]["filters"][0]["read"] == 5
    assert doc["summary"]["inputs"]["sources"][0]["timestamp_origins"] == {"event": 5}


def test_an_input_without_any_timestamp_says_so_once_with_the_fix(tmp_path):
    config = _exception_config(tmp_path / "c.json")
    log = tmp_path / "plain.log"
    log.write_text("java.lang.IllegalStateException\nplain line\nanother Exception\n", encoding="utf-8")
    done = cli("run", config, log, "--output", "json")
    assert done.returncode == 0, done.stderr
    notes = [line for line in done.stderr.splitlines() if "time of reading" in line]
    assert len(notes) == 1 and "--start" in notes[0]
    done = cli("run", config, log, "--output", "json", "--start", "2024-03-01T00:00:00Z")
    assert "time of reading" not in done.stderr
    assert _datapoints(json.loads(done.stdout)) == {("Exceptions", "2024-03-01T00:00:00Z"): (2.0, 2)}


def test_losses_are_warned_about_and_strict_fails_on_them(tmp_path):
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"metricFilters": [{
        "filterName": "Latency", "filterPattern": "{ $.op = \"get\" }",
        "metricTransformations": [{"metricName": "Latency", "metricNamespace": "App", "metricValue": "$.ms"}],
    }]}), encoding="utf-8")
    events = b'{"op": "get", "ms": 12, "t": 1}\n{"op": "get", "ms": "slow"}\n{"op": "get"}\n'
    done = cli("run", config, "-", "--output", "json", "--start", "2024-03-01T00:00:00Z", stdin=events)
    assert done.returncode == 0, done.stderr
    [warning] = [line for line in done.stderr.splitlines() if "not counted" in line]
    assert "2 not counted: value not numeric" in warning and "fix:" in warning
    [loss] = json.loads(done.stdout)["summary"]["losses"]
    assert (loss["count"], loss["filters"]) == (2, {"Latency": 2})
    done = cli("run", config, "-", "--output", "json", "--strict", "--start", "2024-03-01T00:00:00Z", stdin=events)
    assert done.returncode == 1
    done = cli("run", config, "-", "--output", "json", "--strict", "--start", "2024-03-01T00:00:00Z",
               stdin=events.split(b"\n")[0] + b"\n")
    assert done.returncode == 0, done.stderr


# --------------------------------------------------------------------------- the property

_CONFIG_DIR = Path(tempfile.mkdtemp(prefix="cwfilter-order-"))
_CONFIG = _CONFIG_DIR / "config.json"
_CONFIG.write_text(json.dumps({
    "metricFilters": [
        {"filterName": "Errors", "filterPattern": "ERROR",
         "metricTransformations": [{"metricName": "Errors", "metricNamespace": "P", "metricValue": "1",
                                    "defaultValue": 0}]},
        {"filterName": "Values", "filterPattern": "[level, value]",
         "metricTransformations": [{"metricName": "Values", "metricNamespace": "P", "metricValue": "$value"}]},
    ],
    "MetricAlarms": [
        {"AlarmName": "errors", "Namespace": "P", "MetricName": "Errors", "Statistic": "Sum", "Period": 60,
         "EvaluationPeriods": 3, "DatapointsToAlarm": 2, "Threshold": 2,
         "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "missing"},
        {"AlarmName": "p90", "Namespace": "P", "MetricName": "Values", "ExtendedStatistic": "p90", "Period": 300,
         "EvaluationPeriods": 1, "Threshold": 0.5, "ComparisonOperator": "GreaterThanThreshold"},
    ],
}), encoding="utf-8")

events_strategy = st.lists(
    st.tuples(st.integers(0, 40 * 60_000), st.sampled_from(["ERROR x", "INFO 0.5", "WARN 1e-3", "ERROR 7",
                                                             "INFO 0.1", "DEBUG -2", "INFO 3.25"])),
    min_size=1, max_size=60)


def _batch(events: list[tuple[int, str]], period: int) -> tuple[list, list, dict]:
    engine = Engine(load_config([_CONFIG]), period=period)
    for ts, message in events:
        assert engine.feed(message, DAY0 + ts) == []
    out = engine.close()
    points = [d.to_json(["p90"]) for d in out if not hasattr(d, "transition")]
    changes = [(c.transition.alarm_name, c.transition.timestamp, c.transition.new_state, c.transition.new_reason)
               for c in out if hasattr(c, "transition")]
    return points, changes, engine.summary()


@settings(max_examples=60, deadline=None)
@given(events=events_strategy, seed=st.randoms(use_true_random=False), period=st.sampled_from([10, 60, 300]))
def test_batch_results_do_not_depend_on_the_order_of_events(events, seed, period):
    shuffled = list(events)
    seed.shuffle(shuffled)
    assert _batch(events, period) == _batch(shuffled, period)
