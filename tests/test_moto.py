"""cwfilter.moto: moto's CloudWatch Logs and CloudWatch, through boto3, with the service's semantics.

Skipped when moto is not installed (``pip install 'cwfilter[moto]'``); test_moto_absent.py covers
cwfilter without moto.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

moto = pytest.importorskip("moto", reason="moto is not installed (pip install 'cwfilter[moto]')")
boto3 = pytest.importorskip("boto3")
import cwfilter
import cwfilter.moto
from botocore.exceptions import ClientError

DATA = Path(__file__).parent / "data"
CWFILTER = str(Path(sys.executable).with_name("cwfilter"))
pytest_plugins = ["pytester"]
REGION = "us-east-1"
MINUTE = 60_000


@pytest.fixture(autouse=True)
def _credentials(monkeypatch):
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_SESSION_TOKEN", "testing"), ("AWS_DEFAULT_REGION", REGION)):
        monkeypatch.setenv(name, value)


@pytest.fixture
def aws():
    with moto.mock_aws():
        yield


@pytest.fixture
def patched(aws):
    with cwfilter.moto.patch(alarms=True) as cw:
        yield cw


def _logs():
    return boto3.client("logs", region_name=REGION)


def _cloudwatch():
    return boto3.client("cloudwatch", region_name=REGION)


def _now_minute(minutes_ago: int = 60) -> int:
    now = int(time.time() * 1000)
    return now - now % MINUTE - minutes_ago * MINUTE


def _group(logs, name: str, stream: str = "s") -> None:
    logs.create_log_group(logGroupName=name)
    logs.create_log_stream(logGroupName=name, logStreamName=stream)


# --------------------------------------------------------------------------- conformance


def _cases():
    with open(DATA / "conformance" / "filter-patterns.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


CASES = _cases()
CARRIED = [c for c in CASES if len(c["event"]) >= 1]


def _expected(case):
    try:
        return cwfilter.test_metric_filter(case["pattern"], [case["event"]])["matches"]
    except cwfilter.PatternError:
        return None


def test_conformance_through_boto3(patched):
    """Every case the API can carry: FilterLogEvents and TestMetricFilter agree with cwfilter."""
    logs = _logs()
    at = _now_minute()
    checked = rejected = 0
    for i, case in enumerate(CARRIED):
        group = f"c{i}"
        _group(logs, group)
        expected = _expected(case)
        if expected is None:
            assert case.get("error"), case["id"]
            with pytest.raises(ClientError) as info:
                logs.filter_log_events(logGroupName=group, filterPattern=case["pattern"])
            assert info.value.response["Error"]["Code"] == "InvalidParameterException", case["id"]
            with pytest.raises(ClientError) as info:
                logs.test_metric_filter(filterPattern=case["pattern"], logEventMessages=[case["event"]])
            assert info.value.response["Error"]["Code"] == "InvalidParameterException", case["id"]
            rejected += 1
            continue
        logs.put_log_events(logGroupName=group, logStreamName="s",
                            logEvents=[{"timestamp": at, "message": case["event"]}])
        found = logs.filter_log_events(logGroupName=group, filterPattern=case["pattern"])["events"]
        assert bool(found) == bool(expected) == case["match"], case["id"]
        tested = logs.test_metric_filter(filterPattern=case["pattern"], logEventMessages=[case["event"]])
        assert tested["matches"] == expected, case["id"]
        checked += 1
    assert checked + rejected == len(CARRIED) and rejected >= 5
    assert len(CARRIED) >= 250


def test_without_the_patch_moto_matches_everything(aws):
    """The reason for the patch: moto alone matches a JSON pattern against every event."""
    logs = _logs()
    _group(logs, "g")
    logs.put_log_events(logGroupName="g", logStreamName="s",
                        logEvents=[{"timestamp": _now_minute(), "message": '{"level": "INFO"}'}])
    pattern = '{ $.level = "ERROR" }'
    assert len(logs.filter_log_events(logGroupName="g", filterPattern=pattern)["events"]) == 1
    with cwfilter.moto.patch():
        assert logs.filter_log_events(logGroupName="g", filterPattern=pattern)["events"] == []
    assert len(logs.filter_log_events(logGroupName="g", filterPattern=pattern)["events"]) == 1


def test_invalid_pattern_texts(patched):
    logs = _logs()
    logs.create_log_group(logGroupName="empty")
    with pytest.raises(ClientError) as info:
        logs.filter_log_events(logGroupName="empty", filterPattern="a.b")
    assert info.value.response["Error"]["Message"] == "Invalid filter pattern: Invalid character(s) in term 'a.b'"
    with pytest.raises(ClientError) as info:
        logs.filter_log_events(logGroupName="empty", filterPattern="{ $.a = 1")
    assert info.value.response["Error"]["Message"] == "If a filter pattern starts with '{' it must end with '}'"
    with pytest.raises(ClientError) as info:
        logs.test_metric_filter(filterPattern="{ $.a < b }", logEventMessages=["x"])
    assert info.value.response["Error"]["Message"].startswith("Invalid metric filter pattern")
    with pytest.raises(ClientError) as info:
        logs.put_metric_filter(logGroupName="empty", filterName="f", filterPattern="{ $.a < b }",
                               metricTransformations=[{"metricName": "m", "metricNamespace": "n",
                                                       "metricValue": "1"}])
    assert info.value.response["Error"]["Code"] == "InvalidParameterException"


def test_test_metric_filter_limits_and_shape(patched):
    logs = _logs()
    out = logs.test_metric_filter(filterPattern="[ip, user, status=4*]",
                                  logEventMessages=["1.2.3.4 bob 404", "1.2.3.4 bob 200", "5.6.7.8 al 403"])
    assert out["matches"] == [
        {"eventNumber": 1, "eventMessage": "1.2.3.4 bob 404",
         "extractedValues": {"$ip": "1.2.3.4", "$user": "bob", "$status": "404"}},
        {"eventNumber": 3, "eventMessage": "5.6.7.8 al 403",
         "extractedValues": {"$ip": "5.6.7.8", "$user": "al", "$status": "403"}},
    ]
    assert len(logs.test_metric_filter(filterPattern="x", logEventMessages=["x"] * 50)["matches"]) == 50
    with pytest.raises(ClientError) as info:
        logs.test_metric_filter(filterPattern="x", logEventMessages=["x"] * 51)
    assert info.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "less than or equal to 50" in info.value.response["Error"]["Message"]


def test_put_metric_filter_rules(patched):
    logs = _logs()
    t = [{"metricName": "m", "metricNamespace": "n", "metricValue": "1"}]
    with pytest.raises(ClientError) as info:
        logs.put_metric_filter(logGroupName="missing", filterName="f", filterPattern="ERROR",
                               metricTransformations=t)
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
    logs.create_log_group(logGroupName="g")
    with pytest.raises(ClientError) as info:
        logs.put_metric_filter(logGroupName="g", filterName="f", filterPattern="ERROR", metricTransformations=[
            {"metricName": "m", "metricNamespace": "n", "metricValue": "1", "dimensions": {"a": "$.a"}}])
    assert info.value.response["Error"]["Message"] == "The specified filter pattern does not support dimensions"
    logs.put_metric_filter(logGroupName="g", filterName="f", filterPattern="ERROR", metricTransformations=t)
    logs.put_metric_filter(logGroupName="g", filterName="f", filterPattern="WARN", metricTransformations=t)
    (only,) = logs.describe_metric_filters(logGroupName="g")["metricFilters"]
    assert only["filterPattern"] == "WARN"


def test_start_live_tail_uses_the_matcher(patched):
    logs = _logs()
    if not hasattr(logs, "start_live_tail") or not hasattr(moto.logs.models.LogsBackend, "start_live_tail"):
        pytest.skip("this moto has no StartLiveTail")
    _group(logs, "g")
    at = _now_minute()
    logs.put_log_events(logGroupName="g", logStreamName="s", logEvents=[
        {"timestamp": at, "message": '{"level": "ERROR"}'}, {"timestamp": at + 1, "message": '{"level": "INFO"}'}])
    arn = logs.describe_log_groups()["logGroups"][0]["logGroupArn"]
    stream = logs.start_live_tail(logGroupIdentifiers=[arn], logEventFilterPattern='{ $.level = "ERROR" }')
    messages = [r["message"] for e in stream["responseStream"] if "sessionUpdate" in e
                for r in e["sessionUpdate"]["sessionResults"]]
    assert messages == ['{"level": "ERROR"}']
    with pytest.raises(ClientError):
        logs.start_live_tail(logGroupIdentifiers=[arn], logEventFilterPattern="a.b")


def test_subscription_forwards_only_matches(patched):
    logs, kinesis = _logs(), boto3.client("kinesis", region_name=REGION)
    kinesis.create_stream(StreamName="sink", ShardCount=1)
    arn = kinesis.describe_stream(StreamName="sink")["StreamDescription"]["StreamARN"]
    _group(logs, "source")
    logs.put_subscription_filter(logGroupName="source", filterName="errors", filterPattern="ERROR",
                                 destinationArn=arn, roleArn="arn:aws:iam::123456789012:role/r")
    at = _now_minute()
    logs.put_log_events(logGroupName="source", logStreamName="s", logEvents=[
        {"timestamp": at, "message": "ERROR one"}, {"timestamp": at + 1, "message": "INFO two"}])
    logs.put_log_events(logGroupName="source", logStreamName="s", logEvents=[
        {"timestamp": at + 2, "message": "INFO three"}])
    shard = kinesis.describe_stream(StreamName="sink")["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(StreamName="sink", ShardId=shard,
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = kinesis.get_records(ShardIterator=iterator)["Records"]
    payloads = [json.loads(_gunzip(r["Data"])) for r in records]
    # One delivery, for the batch with a match, holding only the matching event.
    assert [[e["message"] for e in p["logEvents"]] for p in payloads] == [["ERROR one"]]
    with pytest.raises(ClientError) as info:
        logs.put_subscription_filter(logGroupName="source", filterName="bad", filterPattern="a.b",
                                     destinationArn=arn, roleArn="arn:aws:iam::123456789012:role/r")
    assert info.value.response["Error"]["Code"] == "InvalidParameterException"


def _gunzip(data: bytes) -> bytes:
    try:
        return gzip.decompress(data)
    except OSError:  # moto 5.0 base64-encodes the gzip payload once more
        return gzip.decompress(base64.b64decode(data))


# --------------------------------------------------------------------------- metrics


APACHE_FILTERS = [
    {
        "filterName": "not-found",
        "filterPattern": "[ip, identity, user, timestamp, request, status_code = 404, bytes, referrer, agent]",
        "metricTransformations": [{"metricName": "NotFound", "metricNamespace": "Web", "metricValue": "1",
                                   "defaultValue": 0}],
    },
    {
        "filterName": "bytes",
        "filterPattern": "[ip, identity, user, timestamp, request, status_code, bytes > 0, referrer, agent]",
        "metricTransformations": [{"metricName": "Bytes", "metricNamespace": "Web", "metricValue": "$bytes",
                                   "dimensions": {"StatusCode": "$status_code"}, "unit": "Bytes"}],
    },
]


def _apache_events(count: int, start: int) -> list[tuple[int, str]]:
    path = DATA / "corpus" / "apache" / "elastic-examples-apache_logs.log"
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()][:count]
    # Real lines at recent times (moto rejects events older than 14 days), a few seconds apart,
    # with a quiet gap so some minutes have no events at all.
    events, t = [], start
    for i, line in enumerate(lines):
        t += 7_000 if i % 40 else 190_000
        events.append((t, line))
    return events


def _run_cli(tmp_path, events, group="web"):
    config = {"metricFilters": [dict(f, logGroupName=group) for f in APACHE_FILTERS]}
    (tmp_path / "config.json").write_text(json.dumps(config))
    (tmp_path / "events.json").write_text(json.dumps({"events": [{"timestamp": t, "message": m} for t, m in events]}))
    proc = subprocess.run([CWFILTER, "run", str(tmp_path / "config.json"), f"{tmp_path / 'events.json'}@{group}",
                           "--quiet", "-o", "json"], check=False, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _put_in_batches(logs, group, events, size=37):
    for i in range(0, len(events), size):
        logs.put_log_events(logGroupName=group, logStreamName="s",
                            logEvents=[{"timestamp": t, "message": m} for t, m in events[i:i + size]])


def _statistics(cw, namespace, name, dims, start, end):
    out = cw.get_metric_statistics(
        Namespace=namespace, MetricName=name, Dimensions=dims,
        StartTime=dt.datetime.fromtimestamp(start / 1000, dt.UTC),
        EndTime=dt.datetime.fromtimestamp(end / 1000, dt.UTC), Period=60,
        Statistics=["Sum", "SampleCount", "Minimum", "Maximum"])["Datapoints"]
    return sorted((int(p["Timestamp"].timestamp() * 1000), p["Sum"], p["SampleCount"], p["Minimum"], p["Maximum"])
                  for p in out)


def test_metrics_equal_cwfilter_run(tmp_path, aws):
    start = _now_minute(180)
    events = _apache_events(600, start)
    doc = _run_cli(tmp_path, events)
    series = doc["metrics"]
    assert {m["MetricName"] for m in series} == {"NotFound", "Bytes"} and len(series) >= 3
    logs, cw = _logs(), _cloudwatch()
    end = events[-1][0] + 2 * MINUTE

    _group(logs, "web")
    for f in APACHE_FILTERS:
        logs.put_metric_filter(logGroupName="web", **f)
    _put_in_batches(logs, "web", events)
    # Without the patch moto publishes nothing.
    assert _statistics(cw, "Web", "NotFound", [], start, end) == []

    with cwfilter.moto.patch():
        _group(logs, "web2")
        for f in APACHE_FILTERS:
            logs.put_metric_filter(logGroupName="web2", **dict(f, filterName=f["filterName"]))
        _put_in_batches(logs, "web2", events)
        for m in series:
            want = sorted((_ms(p["Timestamp"]), p["Sum"], p["SampleCount"], p["Minimum"], p["Maximum"])
                          for p in m["Datapoints"])
            got = _statistics(cw, m["Namespace"], m["MetricName"], m["Dimensions"], start, end)
            assert got == want, m["MetricName"]
        # GetMetricData returns the same sums.
        (bytes_200,) = [m for m in series if m["Dimensions"] == [{"Name": "StatusCode", "Value": "200"}]]
        result = cw.get_metric_data(
            MetricDataQueries=[{"Id": "b", "MetricStat": {"Metric": {
                "Namespace": "Web", "MetricName": "Bytes", "Dimensions": bytes_200["Dimensions"]},
                "Period": 60, "Stat": "Sum"}}],
            StartTime=dt.datetime.fromtimestamp(start / 1000, dt.UTC),
            EndTime=dt.datetime.fromtimestamp(end / 1000, dt.UTC))["MetricDataResults"][0]
        got = sorted(zip((int(t.timestamp() * 1000) for t in result["Timestamps"]), result["Values"]))
        assert got == sorted((_ms(p["Timestamp"]), p["Sum"]) for p in bytes_200["Datapoints"])


def _ms(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).timestamp() * 1000)


def test_threads_publish_every_datapoint_once(patched):
    logs, cw = _logs(), _cloudwatch()
    logs.create_log_group(logGroupName="app")
    logs.put_metric_filter(logGroupName="app", filterName="errors", filterPattern='{ $.level = "ERROR" }',
                           metricTransformations=[{"metricName": "Errors", "metricNamespace": "App",
                                                   "metricValue": "1"}])
    at = _now_minute(30)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            client = _logs()
            client.create_log_stream(logGroupName="app", logStreamName=f"t{n}")
            for batch in range(10):
                client.put_log_events(logGroupName="app", logStreamName=f"t{n}", logEvents=[
                    {"timestamp": at + batch * 1000 + i, "message": json.dumps({"level": "ERROR", "n": n, "i": i})}
                    for i in range(50)])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    points = cw.get_metric_statistics(
        Namespace="App", MetricName="Errors", Statistics=["Sum", "SampleCount"], Period=3600,
        StartTime=dt.datetime.fromtimestamp((at - 3_600_000) / 1000, dt.UTC),
        EndTime=dt.datetime.fromtimestamp((at + 3_600_000) / 1000, dt.UTC))["Datapoints"]
    assert sum(p["Sum"] for p in points) == 4000
    assert sum(p["SampleCount"] for p in points) == 4000


# --------------------------------------------------------------------------- alarms


E2E = [json.loads(line) for line in (DATA / "conformance" / "alarms.jsonl").read_text(encoding="utf-8").splitlines()
       if '"kind": "e2e"' in line]


def _engine_transitions(tmp_path, case, events) -> list[dict]:
    mf = dict(case["metric_filter"], filterName="filter", logGroupName="app")
    alarm = dict(case["alarm"], AlarmName="alarm")
    (tmp_path / "config.json").write_text(json.dumps({"metricFilters": [mf], "MetricAlarms": [alarm]}))
    (tmp_path / "events.json").write_text(json.dumps({"events": [{"timestamp": t, "message": m} for t, m in events]}))
    proc = subprocess.run([CWFILTER, "run", str(tmp_path / "config.json"), f"{tmp_path / 'events.json'}@app",
                           "--quiet", "-o", "jsonl"], check=False, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return [d for d in map(json.loads, filter(str.strip, proc.stdout.splitlines())) if "alarmName" in d]


@pytest.mark.parametrize("case", E2E, ids=lambda c: c["id"])
def test_alarm_e2e_equals_engine(tmp_path, patched, case):
    # The case's events moved to recent days (moto takes events of the last 14 days), by whole days
    # so that every period and minute boundary stays where it was.
    raw = [(e["timestamp_epoch_s"] * 1000 if "timestamp_epoch_s" in e else _ms(e["timestamp"]), e["message"])
           for e in case["log_events"]]
    day = 86_400_000
    shift = ((_now_minute(0) - max(t for t, _ in raw)) // day - 1) * day
    events = sorted(((t + shift, m) for t, m in raw), key=lambda e: e[0])  # PutLogEvents wants order
    engine = _engine_transitions(tmp_path, case, events)
    assert engine, "the Engine reports at least one transition"

    logs, cw = _logs(), _cloudwatch()
    _group(logs, "app")
    logs.put_metric_filter(logGroupName="app", filterName="filter", **case["metric_filter"])
    cw.put_metric_alarm(AlarmName="alarm", **case["alarm"])
    assert cw.describe_alarms()["MetricAlarms"][0]["StateValue"] == "INSUFFICIENT_DATA"
    logs.put_log_events(logGroupName="app", logStreamName="s",
                        logEvents=[{"timestamp": t, "message": m} for t, m in events])
    first, last = events[0][0], events[-1][0]
    step = 10_000 if case["alarm"]["Period"] < 60 else MINUTE
    changes = patched.advance_to(last - last % step + step, start=first)

    history = cw.describe_alarm_history(AlarmName="alarm", HistoryItemType="StateUpdate",
                                        ScanBy="TimestampAscending")["AlarmHistoryItems"]
    assert [json.loads(h["HistoryData"])["newState"]["stateValue"] for h in history] == \
        [json.loads(c["HistoryData"])["newState"]["stateValue"] for c in changes]
    got = [(_ms(c["Timestamp"]), json.loads(c["HistoryData"])["newState"]) for c in changes]
    # The Engine reports EventBridge "Alarm State Change" details: same states, reasons, data, times.
    want = [(_ms(e["state"]["timestamp"].replace("+0000", "Z")), e["state"]) for e in engine]
    assert [(t, s["stateValue"], s["stateReason"], s.get("stateReasonData")) for t, s in got] == \
        [(t, s["value"], s["reason"], json.loads(s["reasonData"]) if "reasonData" in s else None) for t, s in want]
    final = cw.describe_alarms()["MetricAlarms"][0]
    assert final["StateValue"] == engine[-1]["state"]["value"]
    assert final["StateReason"] == engine[-1]["state"]["reason"]
    assert json.loads(final["StateReasonData"]) == json.loads(engine[-1]["state"]["reasonData"])
    if case["expected_state"] != "NOT_ALARM":
        assert final["StateValue"] == case["expected_state"]


def test_five_errors_raise_the_alarm_and_set_alarm_state_holds(patched):
    logs, cw = _logs(), _cloudwatch()
    logs.create_log_group(logGroupName="app")
    logs.create_log_stream(logGroupName="app", logStreamName="s")
    logs.put_metric_filter(logGroupName="app", filterName="errors", filterPattern='{ $.level = "ERROR" }',
                           metricTransformations=[{"metricName": "Errors", "metricNamespace": "App",
                                                   "metricValue": "1"}])
    cw.put_metric_alarm(AlarmName="errors", Namespace="App", MetricName="Errors", Statistic="Sum", Period=60,
                        EvaluationPeriods=1, Threshold=5, ComparisonOperator="GreaterThanOrEqualToThreshold",
                        TreatMissingData="notBreaching")
    at = _now_minute(10)
    logs.put_log_events(logGroupName="app", logStreamName="s", logEvents=[
        {"timestamp": at + i * 1000, "message": json.dumps({"level": "ERROR", "i": i})} for i in range(5)])
    patched.advance_to(at + MINUTE, start=at)
    alarm = cw.describe_alarms(AlarmNames=["errors"])["MetricAlarms"][0]
    assert alarm["StateValue"] == "ALARM"
    assert alarm["StateReason"].startswith("Threshold Crossed: 1 datapoint [5.0 (")
    cw.set_alarm_state(AlarmName="errors", StateValue="OK", StateReason="silenced by hand")
    assert cw.describe_alarms(AlarmNames=["errors"])["MetricAlarms"][0]["StateValue"] == "OK"
    history = cw.describe_alarm_history(AlarmName="errors")["AlarmHistoryItems"]
    # Newest first. At `at` the minute before had no data (notBreaching): OK, then ALARM.
    assert [h["HistorySummary"] for h in history] == [
        "Alarm updated from ALARM to OK", "Alarm updated from OK to ALARM",
        "Alarm updated from INSUFFICIENT_DATA to OK"]
    assert json.loads(history[0]["HistoryData"])["newState"]["stateReason"] == "silenced by hand"
    # SetAlarmState holds until the next evaluation, which still sees the five errors in its
    # evaluation range (the newest period is missing) and goes back to ALARM from OK.
    changes = patched.advance_to(at + 2 * MINUTE)
    assert [c["HistorySummary"] for c in changes] == ["Alarm updated from OK to ALARM"]
    assert cw.describe_alarms(AlarmNames=["errors"])["MetricAlarms"][0]["StateValue"] == "ALARM"


# --------------------------------------------------------------------------- server mode, versions


def test_threaded_moto_server(tmp_path):
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:  # a free port (moto 5.0 cannot report the one it chose)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        url = f"http://127.0.0.1:{port}"
        logs = boto3.client("logs", region_name=REGION, endpoint_url=url)
        with cwfilter.moto.patch():
            _group(logs, "g")
            at = _now_minute()
            logs.put_log_events(logGroupName="g", logStreamName="s", logEvents=[
                {"timestamp": at, "message": '{"level": "ERROR"}'}, {"timestamp": at + 1, "message": '{"level": "INFO"}'}])
            found = logs.filter_log_events(logGroupName="g", filterPattern='{ $.level = "ERROR" }')["events"]
            assert [e["message"] for e in found] == ['{"level": "ERROR"}']
            out = logs.test_metric_filter(filterPattern="[a, b]", logEventMessages=["x y"])
            assert out["matches"][0]["extractedValues"] == {"$a": "x", "$b": "y"}
    finally:
        server.stop()


def test_incompatible_moto_is_named(monkeypatch):
    monkeypatch.delattr(moto.logs.models.LogStream, "_send_log_events")
    monkeypatch.setattr(cwfilter.moto, "_MOTO", None)
    with pytest.raises(cwfilter.moto.MotoIncompatible) as info:
        cwfilter.moto.patch()
    text = str(info.value)
    assert f"moto {moto.__version__}" in text and "LogStream._send_log_events" in text
    monkeypatch.undo()
    cwfilter.moto._MOTO = None
    assert cwfilter.moto.patch() is not None


def test_patch_restores_moto(aws):
    before = moto.logs.models.EventMessageFilter
    with cwfilter.moto.patch():
        assert moto.logs.models.EventMessageFilter is not before
    assert moto.logs.models.EventMessageFilter is before
    assert not hasattr(moto.logs.responses.LogsResponse, "test_metric_filter")


README = Path(__file__).resolve().parent.parent / "docs" / "how-to" / "moto.md"


def _readme_example() -> str:
    blocks = README.read_text(encoding="utf-8").split("```python\n")
    (block,) = [b.split("```")[0] for b in blocks if "def test_five_errors_raise_the_alarm(cwfilter_moto)" in b]
    return block


def test_readme_example_runs_with_the_fixture(pytester):
    pytester.makepyfile(test_checkout_logs=_readme_example())
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=2)


def test_marker_passes_options(pytester):
    pytester.makepyfile(test_marker="""
import pytest

@pytest.mark.cwfilter_moto(alarms=False)
def test_no_alarms(cwfilter_moto):
    assert cwfilter_moto.alarms is False
    with pytest.raises(RuntimeError, match="alarms=True"):
        cwfilter_moto.advance_to(0)

def test_default(cwfilter_moto):
    assert cwfilter_moto.alarms is True
""")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", "--strict-markers")
    result.assert_outcomes(passed=2)
