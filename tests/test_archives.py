"""CloudWatch Logs archives and payload fixtures, end to end with the real CLI.

One log group's events (JSON application logs, some with stack traces, plain multi-line
tracebacks, three streams) are written at test time in every layout AWS writes them, and every
layout must give the same per-minute datapoints as the events themselves, counted here in plain
Python. Sources of the layouts (no licensed public sample of a whole archive was found):

* CreateExportTask: objects ``<prefix>/<task>/<stream>/000000.gz``, lines
  ``2024-05-01T12:00:00.000Z <message>``, chunks not sorted by time (CloudWatch Logs API
  reference, CreateExportTask; log-formats.md §2.9).
* Subscription -> Firehose -> S3: objects ``YYYY/MM/DD/HH/<stream>-1-<date>-<uuid>``, gzip members
  back to back, one subscription payload each, ``CONTROL_MESSAGE`` health checks among them; with
  decompression the payload JSON (optionally newline-delimited); with message extraction the bare
  messages (Firehose developer guide, "Decompress CloudWatch Logs"; log-formats.md §2.10).
* Payloads as forwarders save them in their tests: the Lambda event ``{"awslogs": {"data":
  base64(gzip(json))}}`` (CloudWatch Logs user guide, SubscriptionFilters), zlib instead of gzip,
  the Kinesis consumer event ``{"Records": [{"kinesis": {"data": ...}}]}`` (Lambda developer
  guide, Kinesis event), the Firehose HTTP endpoint request body ``{"requestId", "timestamp",
  "records": [{"data": ...}]}`` (Firehose developer guide, HTTP endpoint delivery request
  format) and the Firehose transformation event ``{"invocationId", "records": [{"recordId",
  "data"}]}``.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import os
import random
import subprocess
import sys
import uuid
import zlib
from collections import Counter
from pathlib import Path

import pytest
from cwfilter.engine.inputs.payloads import _Scanner, shape_hint
from cwfilter.engine.inputs.readers import InputStats, read_events
from hypothesis import given, settings
from hypothesis import strategies as st

CWFILTER = Path(sys.executable).parent / "cwfilter"
GROUP = "/app/prod"
T0 = 1_714_564_800_000  # 2024-05-01T12:00:00Z
STREAMS = ("i-0aaa/app", "i-0bbb/app", "i-0ccc/app")
PATTERN = '{ $.level = "ERROR" }'


def make_events(n: int = 600, seed: int = 7) -> list[tuple[str, int, str]]:
    """``(stream, timestamp ms, message)``: JSON lines, some with a stack trace, plain tracebacks."""
    rng = random.Random(seed)
    events = []
    for i in range(n):
        ts = T0 + rng.randrange(0, 45 * 60_000)
        level = rng.choice(["INFO", "INFO", "WARN", "ERROR"])
        kind = rng.random()
        if kind < 0.1:
            message = (f"Traceback (most recent call last):\n  File \"app.py\", line {i}, in handler\n"
                       f"    raise ValueError('bad {i}')\nValueError: bad {i}")
        else:
            body = {"level": level, "msg": f"request {i}", "latency": rng.randrange(1, 900)}
            if level == "ERROR" and kind < 0.5:
                body["stack"] = "java.lang.IllegalStateException: x\n\tat a.B.c(B.java:1)\n\tat d.E.f(E.java:2)"
            message = json.dumps(body, separators=(",", ":"))
        events.append((STREAMS[i % 3], ts, message))
    return events


def expected_per_minute(events: list[tuple[str, int, str]]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for _, ts, message in events:
        try:
            doc = json.loads(message)
        except ValueError:
            continue
        if isinstance(doc, dict) and doc.get("level") == "ERROR":
            minute = ts - ts % 60_000
            counts[dt.datetime.fromtimestamp(minute / 1000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")] += 1
    return dict(counts)


def payload(stream: str, batch: list[tuple[str, int, str]]) -> dict:
    return {"messageType": "DATA_MESSAGE", "owner": "111122223333", "logGroup": GROUP, "logStream": stream,
            "subscriptionFilters": ["to-firehose"],
            "logEvents": [{"id": str(37_000_000_000_000_000 + ts), "timestamp": ts, "message": m}
                          for _, ts, m in batch]}


CONTROL = {"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "", "logStream": "",
           "subscriptionFilters": [], "logEvents": [{"id": "", "timestamp": T0,
                                                     "message": "CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}


def payloads(events: list[tuple[str, int, str]], size: int = 25) -> list[dict]:
    """Payloads per stream in batches, shuffled (Firehose batches arrive in any order), with
    CONTROL_MESSAGE health checks among them."""
    out = []
    for stream in STREAMS:
        mine = [e for e in events if e[0] == stream]
        out += [payload(stream, mine[i:i + size]) for i in range(0, len(mine), size)]
    rng = random.Random(3)
    rng.shuffle(out)
    out.insert(0, CONTROL)
    out.insert(len(out) // 2, CONTROL)
    return out


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def gz(doc: dict) -> bytes:
    return gzip.compress(json.dumps(doc, separators=(",", ":")).encode(), 6)


# --------------------------------------------------------------------------- the layouts

def write_export(root: Path, events: list) -> list[str]:
    """CreateExportTask objects: per stream, chunks of events not sorted by time."""
    specs = []
    task = root / "exportedlogs" / "0b2a4f3c-1111-2222-3333-444455556666"
    rng = random.Random(5)
    for stream in STREAMS:
        mine = [e for e in events if e[0] == stream]
        rng.shuffle(mine)
        folder = task / stream.replace("/", "-")
        folder.mkdir(parents=True)
        for k in range(0, len(mine), 80):
            lines = []
            for _, ts, message in mine[k:k + 80]:
                stamp = dt.datetime.fromtimestamp(ts / 1000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
                lines.append(f"{stamp}Z {message}\n")
            path = folder / f"{k // 80:06d}.gz"
            path.write_bytes(gzip.compress("".join(lines).encode()))
            specs.append(str(path))
    return specs


def firehose_name(root: Path, k: int) -> Path:
    folder = root / "2024" / "05" / "01" / "12"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"cwl-archive-1-2024-05-01-12-{k:02d}-00-{uuid.UUID(int=k)}"


def write_firehose_raw(root: Path, events: list) -> list[str]:
    docs = payloads(events)
    half = len(docs) // 2
    specs = []
    for k, part in enumerate((docs[:half], docs[half:])):
        path = firehose_name(root, k)
        path.write_bytes(b"".join(gz(p) for p in part))
        specs.append(str(path))
    return specs


def write_firehose_newline(root: Path, events: list) -> list[str]:
    path = firehose_name(root, 0)
    path.write_bytes(gzip.compress(b"".join(json.dumps(p).encode() + b"\n" for p in payloads(events))))
    return [str(path)]


def write_firehose_back_to_back(root: Path, events: list) -> list[str]:
    path = firehose_name(root, 0)
    path.write_bytes(b"".join(json.dumps(p, separators=(",", ":")).encode() for p in payloads(events)))
    return [str(path)]


def write_pretty(root: Path, events: list) -> list[str]:
    path = root / "payloads.json"
    path.write_text("\n".join(json.dumps(p, indent=4) for p in payloads(events)))
    return [str(path)]


def write_lambda_events(root: Path, events: list) -> list[str]:
    specs = []
    for k, p in enumerate(payloads(events)):
        raw = json.dumps(p).encode()
        data = zlib.compress(raw) if k % 2 else gzip.compress(raw)
        path = root / f"lambda-event-{k}.json"
        path.write_text(json.dumps({"awslogs": {"data": b64(data)}}, indent=2))
        specs.append(str(path))
    return specs


def write_kinesis_event(root: Path, events: list) -> list[str]:
    records = [{"kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": "p", "sequenceNumber": str(k),
                            "data": b64(gz(p)), "approximateArrivalTimestamp": 1714564800.5},
                "eventSource": "aws:kinesis", "eventVersion": "1.0", "eventID": f"shardId-000000000000:{k}",
                "eventName": "aws:kinesis:record", "awsRegion": "us-east-1",
                "eventSourceARN": "arn:aws:kinesis:us-east-1:111122223333:stream/cwl"}
               for k, p in enumerate(payloads(events))]
    path = root / "kinesis-event.json"
    path.write_text(json.dumps({"Records": records}))
    return [str(path)]


def write_firehose_http(root: Path, events: list) -> list[str]:
    body = {"requestId": "ed4acda5-034f-9f42-bba1-f29aea6d7d8f", "timestamp": 1714568400000,
            "records": [{"data": b64(gz(p))} for p in payloads(events)]}
    path = root / "firehose-http-body.json"
    path.write_text(json.dumps(body))
    return [str(path)]


def write_firehose_transformation(root: Path, events: list) -> list[str]:
    body = {"invocationId": "inv", "deliveryStreamArn": "arn:aws:firehose:us-east-1:111122223333:deliverystream/d",
            "region": "us-east-1",
            "records": [{"recordId": str(k), "approximateArrivalTimestamp": 1714568400000, "data": b64(gz(p))}
                        for k, p in enumerate(payloads(events))]}
    path = root / "firehose-transformation-event.json"
    path.write_text(json.dumps(body, indent=2))
    return [str(path)]


LAYOUTS = {
    "export": write_export,
    "firehose-raw": write_firehose_raw,
    "firehose-newline": write_firehose_newline,
    "firehose-back-to-back": write_firehose_back_to_back,
    "pretty-payloads": write_pretty,
    "lambda-events": write_lambda_events,
    "kinesis-event": write_kinesis_event,
    "firehose-http": write_firehose_http,
    "firehose-transformation": write_firehose_transformation,
}


def run(root: Path, *args: str) -> tuple[int, dict, str]:
    cfg = root / "cfg.json"
    cfg.write_text(json.dumps({"metricFilters": [{
        "filterName": "errors", "logGroupName": GROUP, "filterPattern": PATTERN,
        "metricTransformations": [{"metricName": "Errors", "metricNamespace": "App", "metricValue": "1"}]}]}))
    done = subprocess.run([str(CWFILTER), "run", str(cfg), *args, "--output", "json", "--lateness", "3000000000"],
                          check=False, capture_output=True, timeout=120, env={**os.environ, "NO_COLOR": "1"})
    stderr = done.stderr.decode()
    assert "Traceback (most recent call last):\n  File \"/" not in stderr, stderr
    return done.returncode, json.loads(done.stdout), stderr


def datapoints(doc: dict) -> dict[str, int]:
    return {p["Timestamp"]: int(p["SampleCount"]) for m in doc["metrics"] for p in m["Datapoints"]}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_every_layout_gives_the_events_own_datapoints(tmp_path, layout):
    events = make_events()
    expected = expected_per_minute(events)
    assert sum(expected.values()) > 100
    specs = LAYOUTS[layout](tmp_path, events)
    args = [f"{s}@{GROUP}" for s in specs] if layout == "export" else specs
    code, doc, stderr = run(tmp_path, *args)
    assert code == 0, stderr
    assert datapoints(doc) == expected
    total = doc["summary"]["inputs"]["total"]
    assert total["read"] == total["delivered"] == len(events)
    if layout != "export":
        assert total["control_messages"] == 2
        assert "2 control messages" in stderr


def test_layouts_by_name(tmp_path):
    events = make_events(120)
    expected = expected_per_minute(events)
    export = write_export(tmp_path / "e", events)
    renamed = []
    for k, spec in enumerate(export):  # copies that are not named like export objects
        target = tmp_path / f"chunk-{k}.txt.gz"
        target.write_bytes(Path(spec).read_bytes())
        renamed.append(str(target))
    code, doc, _ = run(tmp_path, "-f", "export", "--log-group", GROUP, *renamed)
    assert code == 0
    assert datapoints(doc) == expected
    raw = write_firehose_raw(tmp_path / "f", events)
    code, doc, _ = run(tmp_path, "-f", "firehose", *raw)
    assert datapoints(doc) == expected


def test_export_lines_and_streams(tmp_path):
    events = make_events(60)
    specs = write_export(tmp_path, events)
    stats = InputStats()
    got = [e for s in specs for e in read_events(s, stats=stats)]
    assert {e.log_stream for e in got} == {s.replace("/", "-") for s in STREAMS}
    assert sorted((e.timestamp, e.message) for e in got) == sorted((ts, m) for _, ts, m in events)
    assert all(e.log_group is None for e in got)
    assert {stats.source(s).format for s in specs} == {"export"}


def test_export_without_a_log_group_is_said(tmp_path):
    specs = write_export(tmp_path, make_events(30))
    code, _, stderr = run(tmp_path, specs[0])
    assert code == 0
    assert "names no log group" in stderr


def test_firehose_message_extraction_is_plain_lines(tmp_path):
    # Decompression with message extraction writes only the messages: their times are lost.
    events = [e for e in make_events(200) if "\n" not in e[2]]
    path = firehose_name(tmp_path, 0)
    path.write_bytes(gzip.compress("".join(m + "\n" for _, _, m in events).encode()))
    code, doc, _ = run(tmp_path, f"{path}@{GROUP}")
    assert code == 0
    assert sum(datapoints(doc).values()) == sum(expected_per_minute(events).values())
    code, doc, _ = run(tmp_path, "-f", "firehose", f"{path}@{GROUP}")
    assert sum(datapoints(doc).values()) == sum(expected_per_minute(events).values())


def test_payload_positions_streams_and_control_messages(tmp_path):
    events = make_events(60)
    [spec] = write_firehose_raw(tmp_path, events)[:1]
    stats = InputStats()
    got = list(read_events(spec, stats=stats))
    src = stats.source(spec)
    assert src.control_messages == 1
    assert src.read == len(got)
    assert {e.log_group for e in got} == {GROUP}
    assert {e.log_stream for e in got} <= set(STREAMS)
    assert got[0].position.endswith("logEvents[0]")


def test_kinesis_event_is_not_cloudtrail_and_get_records_output(tmp_path):
    events = make_events(30)
    [spec] = write_kinesis_event(tmp_path, events)
    got = list(read_events(spec))
    assert len(got) == 30
    assert got[0].position.startswith("Records[")
    # `aws kinesis get-records` output: base64 Data, capitalised.
    records = {"Records": [{"SequenceNumber": str(k), "ApproximateArrivalTimestamp": 1714564800.0,
                            "Data": b64(gz(p)), "PartitionKey": "p"} for k, p in enumerate(payloads(events))],
               "NextShardIterator": "AAAA", "MillisBehindLatest": 0}
    path = tmp_path / "get-records.json"
    path.write_text(json.dumps(records, indent=4))
    assert len(list(read_events(str(path)))) == 30


def test_gzip_and_zlib_awslogs_and_plain_base64(tmp_path):
    p = payload("s", [("s", T0, "hello"), ("s", T0 + 1, "world")])
    raw = json.dumps(p).encode()
    for k, data in enumerate((gzip.compress(raw), zlib.compress(raw), zlib.compress(raw, 9), raw)):
        path = tmp_path / f"event-{k}.json"
        path.write_text(json.dumps({"awslogs": {"data": b64(data)}}))
        assert [e.message for e in read_events(str(path))] == ["hello", "world"], k


# --------------------------------------------------------------------------- the shape hint

def test_shape_hint():
    export = b'2024-05-01T12:00:00.000Z {"level":"ERROR"}\n2024-05-01T12:00:01.000Z {"level":"INFO"}\n'
    assert shape_hint(export, "lines") == "export"
    assert shape_hint(export, "export") is None
    b2b = json.dumps(payload("s", [("s", T0, "x")])).encode() * 2
    assert shape_hint(b2b, "jsonl") == "firehose"
    assert shape_hint(b2b, "subscription") is None
    assert shape_hint(b'{"level":"ERROR"}\n', "jsonl") is None
    assert shape_hint(b"plain text\nmore text\n", "lines") is None


def test_run_and_test_say_which_format_when_the_shape_is_why_nothing_matched(tmp_path):
    events = make_events(60)
    lines = "".join(
        dt.datetime.fromtimestamp(ts / 1000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z " + m + "\n"
        for _, ts, m in events if "\n" not in m)
    path = tmp_path / "export-copy.log"
    path.write_text(lines)
    code, doc, stderr = run(tmp_path, f"{path}@{GROUP}")
    assert code == 0 and datapoints(doc) == {}
    assert "-f export" in stderr
    done = subprocess.run([str(CWFILTER), "test", PATTERN, str(path)], capture_output=True, timeout=60, check=False)
    assert done.returncode == 1
    assert b"-f export" in done.stderr
    # A pattern that matches stays quiet.
    done = subprocess.run([str(CWFILTER), "test", "ERROR", str(path)], capture_output=True, timeout=60, check=False)
    assert done.returncode == 0
    assert b"-f export" not in done.stderr


# --------------------------------------------------------------------------- the value scanner

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet=st.sampled_from('ab"\\{}[],: \n\u00e9')),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=100, deadline=None)
@given(docs=st.lists(st.dictionaries(st.text(max_size=3), _JSON, max_size=4) | st.lists(_JSON, max_size=4),
                     min_size=1, max_size=4),
       indent=st.sampled_from([None, 2]), sep=st.sampled_from(["", "\n", " \r\n"]),
       size=st.integers(1, 9))
def test_scanner_finds_every_value_whatever_the_chunking(docs, indent, sep, size):
    text = sep.join(json.dumps(d, indent=indent) for d in docs).encode()
    chunks = iter([text[i:i + size] for i in range(0, len(text), size)])
    scanner = _Scanner(chunks)
    found = []
    while scanner.peek() is not None:
        end = scanner.end_of(None)
        found.append(json.loads(scanner.take(end)))
    assert found == docs
