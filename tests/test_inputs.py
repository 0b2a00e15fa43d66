"""Input readers: every format over the real corpus files, timestamps, bad input and its accounting.

Expected counts and values are computed here with plain Python over the files (line counts, the
number of Records, `datetime` for times) or checked by hand, never by the code under test.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import sys
import threading
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cwfilter.engine.inputs.readers import (
    FORMATS,
    MAX_EVENT_BYTES,
    InputError,
    InputEvent,
    InputStats,
    open_input,
    parse_input_spec,
    read_events,
    sniff_format,
)

DATA = Path(__file__).parent / "data"
CORPUS = DATA / "corpus"


# --------------------------------------------------------------------------- helpers

def read_all(spec, **kwargs) -> tuple[list[InputEvent], InputStats]:
    stats = kwargs.pop("stats", None) or InputStats()
    events = list(read_events(spec, stats=stats, **kwargs))
    return events, stats


def assert_accounted(stats: InputStats, events: list[InputEvent]) -> None:
    """read = delivered + rejected for every input and in total; delivered = events seen."""
    for name, src in stats.sources.items():
        assert src.read == src.delivered + src.rejected, name
        assert src.rejected == sum(src.rejections.values()), name
        assert src.delivered == sum(1 for e in events if e.source == name), name
    assert stats.read == stats.delivered + stats.rejected
    assert stats.delivered == len(events)


def text_lines(path: Path) -> list[str]:
    """The lines of a file without terminators, as plain Python reads them."""
    return path.read_bytes().decode("utf-8").split("\n")


def non_blank(lines: list[str]) -> list[str]:
    return [line.removesuffix("\r") for line in lines if line.strip()]


def utc_ms(*fields: int) -> int:
    return int(datetime(*fields, tzinfo=UTC).timestamp() * 1000)


def line_numbers(lines: list[str], keep) -> list[int]:
    return [i for i, line in enumerate(lines, start=1) if keep(line)]


# --------------------------------------------------------------------------- constants

def test_formats_tuple():
    assert FORMATS == ("auto", "lines", "jsonl", "cloudtrail", "subscription", "filter-log-events",
                       "vpcflow", "cloudfront", "lambda", "export", "firehose")


# --------------------------------------------------------------------------- line formats on the corpus

LINE_CORPUS = [
    ("apache/elastic-examples-apache_logs.log", "lines"),
    ("apache/aws-docs-filter-pattern-examples.log", "lines"),
    ("vpcflow/aws-docs-default-format.log", "vpcflow"),
    ("lambda/aws-docs-lambda-lines-tab-separated.txt", "lambda"),
    ("lambda/aws-docs-lambda-lines-console-rendered.txt", "lambda"),
    ("cloudtrail/aws-docs-cloudtrail-examples.jsonl", "jsonl"),
    ("cloudtrail/otrf-ec2_proxy_s3_exfiltration_2020-09-14011940.jsonl", "jsonl"),
    ("cloudtrail/panther-analysis-cloudtrail-rule-tests.jsonl", "jsonl"),
    ("vpcflow/panther-analysis-vpcflow-rule-tests.jsonl", "jsonl"),
]


@pytest.mark.parametrize(("rel", "fmt"), LINE_CORPUS, ids=[r for r, _ in LINE_CORPUS])
def test_line_corpus_auto(rel, fmt):
    path = CORPUS / rel
    lines = text_lines(path)
    expected = non_blank(lines)
    events, stats = read_all(str(path), start_ms=0)
    src = stats.source(str(path))
    assert src.format == fmt
    assert [e.message for e in events] == expected
    assert [e.position for e in events] == [f"line {n}" for n in line_numbers(lines, str.strip)]
    assert {e.source for e in events} == {str(path)}
    assert src.problems == {}
    assert_accounted(stats, events)


@pytest.mark.parametrize(("rel", "fmt"), LINE_CORPUS, ids=[r for r, _ in LINE_CORPUS])
def test_line_corpus_forced_format_gives_same_messages(rel, fmt):
    path = CORPUS / rel
    events, stats = read_all(str(path), fmt=fmt, start_ms=0)
    assert [e.message for e in events] == non_blank(text_lines(path))
    assert_accounted(stats, events)


def test_apache_timestamps_all_lines():
    path = CORPUS / "apache/elastic-examples-apache_logs.log"
    events, _ = read_all(str(path))
    assert len(events) == 10_000
    assert events[0].timestamp == 1431857103000  # [17/May/2015:10:05:03 +0000], checked with date(1)
    for event in events:
        stamp = event.message[event.message.index("[") + 1:event.message.index("]")]
        want = int(datetime.strptime(stamp, "%d/%b/%Y:%H:%M:%S %z").timestamp() * 1000)
        assert event.timestamp == want
        assert event.timestamp_origin == "event"


def test_apache_doc_lines_with_offset():
    events, _ = read_all(str(CORPUS / "apache/aws-docs-filter-pattern-examples.log"))
    by_text = {e.message: e.timestamp for e in events}
    # 10/Oct/2000:13:55:36 -0700 is 2000-10-10T20:55:36Z = 971211336 s (date -u -d).
    assert by_text['127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 404 2326'] \
        == 971211336000
    assert by_text['127.0.0.1 - - [24/Sep/2013:11:49:52 -0700] "GET /index.html HTTP/1.1" 404 287'] \
        == 1380048592000


def test_cloudfront_corpus():
    path = CORPUS / "cloudfront/aws-docs-standard-log-example.tsv"
    lines = text_lines(path)
    records = [line for line in lines if line.strip() and not line.startswith("#")]
    headers = [line for line in lines if line.startswith("#")]
    events, stats = read_all(str(path))
    src = stats.source(str(path))
    assert src.format == "cloudfront"
    assert len(events) == len(records) == 6
    assert src.skipped == len(headers) == 2
    assert [e.message for e in events] == records
    assert all("\t" in e.message for e in events)  # tabs kept: the message is the line
    for event in events:
        d, t = event.message.split("\t")[:2]
        when = datetime.strptime(f"{d} {t}", "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        want = int(when.timestamp()) * 1000
        assert event.timestamp == want
    assert events[0].timestamp == 1575493351000  # 2019-12-04 21:02:31 UTC
    assert events[-1].timestamp == 1576276622000  # 2019-12-13 22:37:02 UTC
    assert_accounted(stats, events)


def test_cloudfront_fields_header_reorders_columns(tmp_path):
    path = tmp_path / "cf.log"
    path.write_text("#Version: 1.0\n#Fields: x-edge-location time date sc-status\n"
                    "LAX1\t21:02:31\t2019-12-04\t200\n")
    events, _ = read_all(str(path))
    assert [e.timestamp for e in events] == [1575493351000]


def test_vpcflow_default_corpus():
    path = CORPUS / "vpcflow/aws-docs-default-format.log"
    events, _ = read_all(str(path))
    assert len(events) == 7
    assert events[0].timestamp == 1418530010000
    assert [e.timestamp for e in events] == [int(e.message.split()[10]) * 1000 for e in events]
    assert {e.timestamp_origin for e in events} == {"event"}


def test_vpcflow_custom_formats_corpus():
    path = CORPUS / "vpcflow/aws-docs-custom-format-examples.txt"
    lines = text_lines(path)
    # The field lists in this file are the lines naming `srcaddr` with no digit in them.
    headers = [line for line in lines if "srcaddr" in line and not any(c.isdigit() for c in line)]
    assert len(headers) == 4
    events, stats = read_all(str(path), fmt="vpcflow", start_ms=0)
    src = stats.source(str(path))
    assert len(events) == len(non_blank(lines)) - len(headers)
    assert src.skipped == len(headers)
    stamped = {e.message: e.timestamp for e in events if e.timestamp_origin == "event"}
    # "Service name..." section: `start` is the 7th field of its list.
    service = [line for line in lines if line.startswith("5 ")]
    assert len(service) == 2
    for line in service:
        assert stamped[line] == 1616729292000
    # "TCP flag sequence": `start` is the 17th field.
    tcp = [line for line in lines if line.startswith("3 vpc-")]
    for line in tcp:
        assert stamped[line] == int(line.split()[16]) * 1000
    # The NAT gateway field list has no `start`: those records carry no time of their own.
    nat = [e for e in events if e.message.startswith("- eni-")]
    assert nat and all(e.timestamp_origin == "start" for e in nat)
    assert_accounted(stats, events)


def test_vpcflow_header_then_records(tmp_path):
    path = tmp_path / "flow.log"
    path.write_text(
        "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes"
        " start end action log-status\n"
        "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249"
        " 1418530010 1418530070 ACCEPT OK\n"
    )
    events, stats = read_all(str(path))
    assert stats.source(str(path)).format == "vpcflow"
    assert [e.timestamp for e in events] == [1418530010000]
    assert stats.source(str(path)).skipped == 1


def test_lambda_lines_without_stamps_use_start_and_step():
    path = CORPUS / "lambda/aws-docs-lambda-lines-tab-separated.txt"
    events, _ = read_all(str(path), start_ms=1_000, step_ms=500)
    assert len(events) == 11
    assert [e.timestamp for e in events] == [1_000 + 500 * i for i in range(11)]
    assert {e.timestamp_origin for e in events} == {"start"}
    assert events[0].message.endswith("\t")  # the trailing tab of REPORT lines is kept


def test_lambda_runtime_lines(tmp_path):
    path = tmp_path / "lambda.log"
    path.write_text(
        "START RequestId: 1c8df7d3-xmpl-46da-9778-518e6eca8125 Version: $LATEST\n"
        "2019-06-07T19:11:20.562Z\t1c8df7d3-xmpl-46da-9778-518e6eca8125\tINFO\thello\n"
        "[INFO]\t2020-01-31T22:12:58.534Z\t1c8df7d3-xmpl-46da-9778-518e6eca8125\t## EVENT\n"
    )
    events, stats = read_all(str(path), start_ms=7)
    assert stats.source(str(path)).format == "lambda"
    assert [e.timestamp for e in events] == [7, 1559934680562, 1580508778534]
    assert [e.timestamp_origin for e in events] == ["start", "event", "event"]


def test_jsonl_otrf_timestamps():
    path = CORPUS / "cloudtrail/otrf-ec2_proxy_s3_exfiltration_2020-09-14011940.jsonl"
    events, _ = read_all(str(path))
    assert len(events) == 103
    assert events[0].timestamp == 1600044263000  # "@timestamp": "2020-09-14T00:44:23.000Z"
    for event in events:
        record = json.loads(event.message)
        want = datetime.fromisoformat(record["@timestamp"].replace("Z", "+00:00"))
        assert event.timestamp == int(want.timestamp() * 1000)


# --------------------------------------------------------------------------- CloudTrail files

ENVELOPES = json.loads((CORPUS / "cloudtrail/aws-docs-log-file-envelopes.json").read_text())


def compact(record) -> str:
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)


def event_time_ms(record) -> int:
    return int(datetime.fromisoformat(record["eventTime"].replace("Z", "+00:00")).timestamp() * 1000)


@pytest.mark.parametrize("index", range(len(ENVELOPES)))
@pytest.mark.parametrize("layout", ["compact-gz", "pretty"])
def test_cloudtrail_envelopes(tmp_path, index, layout):
    envelope = ENVELOPES[index]["envelope"]
    records = envelope["Records"]
    if layout == "compact-gz":
        path = tmp_path / "111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz"
        path.write_bytes(gzip.compress(compact(envelope).encode()))
    else:
        path = tmp_path / "trail.json"
        path.write_text(json.dumps(envelope, indent=2))
    events, stats = read_all(str(path))
    assert stats.source(str(path)).format == "cloudtrail"
    assert len(events) == len(records)
    assert [e.message for e in events] == [compact(r) for r in records]
    assert [e.timestamp for e in events] == [event_time_ms(r) for r in records]
    assert [e.position for e in events] == [f"Records[{i}]" for i in range(len(records))]
    assert_accounted(stats, events)


def test_cloudtrail_first_envelope_time_by_hand(tmp_path):
    path = tmp_path / "t.json"
    path.write_text(json.dumps(ENVELOPES[0]["envelope"]))
    events, _ = read_all(str(path))
    assert events[0].timestamp == 1668097474000  # "2022-11-10T16:24:34Z"


def otrf_records() -> list[dict]:
    path = CORPUS / "cloudtrail/otrf-ec2_proxy_s3_exfiltration_2020-09-14011940.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_cloudtrail_big_file_forced_format(tmp_path):
    records = otrf_records()
    path = tmp_path / "big.json.gz"
    path.write_bytes(gzip.compress(json.dumps({"Records": records}).encode()))
    events, stats = read_all(str(path), fmt="cloudtrail")
    assert len(events) == len(records) == 103
    assert [e.message for e in events] == [compact(r) for r in records]
    assert_accounted(stats, events)


# --------------------------------------------------------------------------- subscription payloads

SUB = CORPUS / "subscription"
LAMBDA_GO_MESSAGES = ["[ERROR] First test message", "[ERROR] Second test message"]
# The base64(gzip(json)) string of a real-format subscription delivery.
AWSLOGS_DATA = json.loads((SUB / "aws-lambda-go-cloudwatch-logs-event.json").read_text())["awslogs"]["data"]


@pytest.mark.parametrize("name", ["aws-lambda-go-cloudwatch-logs-event.json",
                                  "aws-lambda-go-cloudwatch-logs-event.decoded.json"])
def test_subscription_corpus(name):
    path = SUB / name
    events, stats = read_all(str(path), log_group="ignored-default")
    assert stats.source(str(path)).format == "subscription"
    assert [e.message for e in events] == LAMBDA_GO_MESSAGES
    assert [e.timestamp for e in events] == [1440442987000, 1440442987001]
    assert {e.log_group for e in events} == {"testLogGroup"}
    assert [e.position for e in events] == ["logEvents[0]", "logEvents[1]"]
    assert_accounted(stats, events)


def doc_payloads() -> list[dict]:
    doc = json.loads((SUB / "aws-docs-decoded-payloads.json").read_text())
    return [p["payload"] for p in doc["decoded_payloads"]]


def test_subscription_several_payloads_one_per_line(tmp_path):
    payloads = doc_payloads()
    path = tmp_path / "payloads.ndjson"
    path.write_text("".join(json.dumps(p) + "\n" for p in payloads))
    events, stats = read_all(str(path))
    expected = [(p["logGroup"], ev["message"], ev["timestamp"]) for p in payloads for ev in p["logEvents"]]
    assert len(events) == len(expected) == 6
    assert [(e.log_group, e.message, e.timestamp) for e in events] == expected
    assert events[3].position == "line 2: logEvents[0]"
    assert_accounted(stats, events)


def test_subscription_array_of_payloads_and_base64_lines(tmp_path):
    payloads = doc_payloads()
    array = tmp_path / "array.json"
    array.write_text(json.dumps(payloads, indent=1))
    events, _ = read_all(str(array))
    assert len(events) == sum(len(p["logEvents"]) for p in payloads)
    assert events[0].position == "[0].logEvents[0]"

    lines = tmp_path / "kinesis.txt"
    lines.write_text(f"{AWSLOGS_DATA}\n{AWSLOGS_DATA}\n")
    events, stats = read_all(str(lines))
    assert [e.message for e in events] == LAMBDA_GO_MESSAGES * 2
    assert_accounted(stats, events)


def test_subscription_gzip_record(tmp_path):
    # A Kinesis / Firehose record body: the gzip'd JSON itself, no base64.
    decoded = (SUB / "aws-lambda-go-cloudwatch-logs-event.decoded.json").read_bytes()
    path = tmp_path / "record.bin"
    path.write_bytes(gzip.compress(decoded))
    events, _ = read_all(str(path))
    assert [e.message for e in events] == LAMBDA_GO_MESSAGES


def test_subscription_control_message(tmp_path):
    health = "CWL CONTROL MESSAGE: Checking health of destination Kinesis stream."
    control = {"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "", "logStream": "",
               "subscriptionFilters": [], "logEvents": [{"id": "", "timestamp": 1432826855000, "message": health}]}
    delivery = (SUB / "aws-lambda-go-cloudwatch-logs-event.json").read_text().replace("\n", "")
    path = tmp_path / "mixed.ndjson"
    path.write_text(json.dumps(control) + "\n" + delivery + "\n")
    events, stats = read_all(str(path))
    src = stats.source(str(path))
    assert [e.message for e in events] == LAMBDA_GO_MESSAGES
    assert src.control_messages == 1
    assert src.read == 2
    assert_accounted(stats, events)


def test_subscription_bad_events_and_lines(tmp_path):
    good = {"messageType": "DATA_MESSAGE", "logGroup": "g", "logEvents": [
        {"id": "1", "timestamp": 1, "message": "ok"}, {"id": "2", "timestamp": 2}, 42]}
    path = tmp_path / "bad.ndjson"
    not_base64 = json.dumps({"awslogs": {"data": "!!not base64!!"}})
    path.write_text(json.dumps(good) + "\n{not json\n" + not_base64 + "\n")
    events, stats = read_all(str(path), fmt="subscription")
    src = stats.source(str(path))
    assert [e.message for e in events] == ["ok"]
    assert src.rejections == {"malformed-event": 2}
    assert src.problems["malformed-json"] == 1
    assert src.problems["bad-base64"] == 1
    positions = {(p.position, p.kind) for p in stats.problems}
    assert ("line 1: logEvents[1]", "malformed-event") in positions
    assert ("line 1: logEvents[2]", "malformed-event") in positions
    assert ("line 2", "malformed-json") in positions
    assert ("line 3", "bad-base64") in positions
    assert_accounted(stats, events)


# --------------------------------------------------------------------------- filter-log-events

FLE_PAGE = {  # log-formats.md §2.7
    "events": [{"logStreamName": "app-stream", "timestamp": 1768669577785,
                "message": "DB_CONNECTION_FAILURE: (1045, …)", "ingestionTime": 1768669637857,
                "eventId": "39442649594576023236271119525355883329689685131857100800"}],
    "searchedLogStreams": [], "nextToken": "…",
}


def test_filter_log_events_output(tmp_path):
    path = tmp_path / "fle.json"
    path.write_text(json.dumps(FLE_PAGE, indent=4, ensure_ascii=False))
    events, stats = read_all(str(path), log_group="/app/prod")
    assert stats.source(str(path)).format == "filter-log-events"
    assert [(e.message, e.timestamp, e.log_group, e.position) for e in events] == [
        ("DB_CONNECTION_FAILURE: (1045, …)", 1768669577785, "/app/prod", "events[0]")]


def test_get_log_events_output_and_bare_array(tmp_path):
    page = {"events": [{"timestamp": 1000, "message": "a", "ingestionTime": 2000},
                       {"timestamp": 3000, "message": "b", "ingestionTime": 4000}],
            "nextForwardToken": "f/1", "nextBackwardToken": "b/1"}
    path = tmp_path / "gle.json"
    path.write_text(json.dumps(page))
    events, _ = read_all(str(path))
    assert [(e.message, e.timestamp, e.log_group) for e in events] == [("a", 1000, None), ("b", 3000, None)]

    bare = tmp_path / "events.json"  # `--query events`
    bare.write_text(json.dumps(page["events"], indent=2))
    events, stats = read_all(str(bare))
    assert stats.source(str(bare)).format == "filter-log-events"
    assert [e.position for e in events] == ["[0]", "[1]"]


def test_filter_log_events_log_group_name_is_used(tmp_path):
    page = {"logGroupName": "/from/output", "events": [
        {"timestamp": 1, "message": "x"}, {"timestamp": 2, "message": "y", "logGroupName": "/per/event"}]}
    path = tmp_path / "fle.json"
    path.write_text(json.dumps(page))
    events, _ = read_all(str(path), log_group="/cli/default")
    assert [e.log_group for e in events] == ["/from/output", "/per/event"]


# --------------------------------------------------------------------------- every corpus file accounted for

ALL_CORPUS = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "README.md")


@pytest.mark.parametrize("path", ALL_CORPUS, ids=[str(p.relative_to(CORPUS)) for p in ALL_CORPUS])
def test_every_corpus_file_reads_and_balances(path):
    events, stats = read_all(str(path), start_ms=0)
    assert_accounted(stats, events)
    src = stats.source(str(path))
    assert src.delivered > 0 or src.problems  # nothing disappears without a trace


def test_wrapper_documents_are_reported_not_guessed():
    for rel in ("subscription/aws-docs-decoded-payloads.json",
                "alarms/aws-lambda-go-cloudwatch-alarm-sns-payload-single-metric.json"):
        events, stats = read_all(str(CORPUS / rel))
        assert events == []
        assert stats.problem_counts == {"wrong-shape": 1}


# --------------------------------------------------------------------------- sniffing

@pytest.mark.parametrize(("head", "fmt"), [
    (b"", "lines"),
    (b"hello world\n", "lines"),
    (b"#Version: 1.0\n#Fields: date time\n", "cloudfront"),
    (b"2019-12-04\t21:02:31\tLAX1\t392\n", "cloudfront"),
    (b"2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249"
     b" 1418530010 1418530070 ACCEPT OK\n", "vpcflow"),
    (b"version account-id interface-id srcaddr dstaddr start end\n", "vpcflow"),
    (b"START RequestId: 8f507cfc-xmpl-4697-b07a-ac58fc914c95 Version: $LATEST\n", "lambda"),
    (b"2019-06-07T19:11:20.562Z\t8f507cfc\tINFO\thi\n", "lambda"),
    (b'{"level": "info", "msg": "x"}\n{"level": "warn"}\n', "jsonl"),
    (b'{"Records":[{"eventVersion":"1.08","eventTime":"2024-01-01T00:00:00Z"}]}', "cloudtrail"),
    (b'{\n  "Records": [\n    {\n      "eventVersion": "1.05",\n', "cloudtrail"),
    (b'{"awslogs": {"data": "H4sIAAAAAAAAAHWPwQqCQBCGX0X"}}\n', "subscription"),
    (b'{\n  "messageType": "DATA_MESSAGE",\n  "owner": "1",\n', "subscription"),
    (b'{\n    "events": [\n        {\n', "filter-log-events"),
    (AWSLOGS_DATA.encode() + b"\n", "subscription"),
])
def test_sniff_format(head, fmt):
    assert sniff_format(head) == fmt


def test_sniff_format_looks_through_gzip():
    line = b"2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA\n"
    assert sniff_format(gzip.compress(line * 50)) == "vpcflow"


@pytest.mark.parametrize(("rel", "fmt"), [
    ("cloudfront/aws-docs-standard-log-example.tsv", "cloudfront"),
    ("vpcflow/aws-docs-default-format.log", "vpcflow"),
    ("lambda/aws-docs-lambda-lines-tab-separated.txt", "lambda"),
    ("apache/elastic-examples-apache_logs.log", "lines"),
    ("subscription/aws-lambda-go-cloudwatch-logs-event.json", "subscription"),
    ("subscription/aws-lambda-go-cloudwatch-logs-event.decoded.json", "subscription"),
    ("cloudtrail/otrf-ec2_proxy_s3_exfiltration_2020-09-14011940.jsonl", "jsonl"),
])
def test_sniff_corpus_heads(rel, fmt):
    assert sniff_format((CORPUS / rel).read_bytes()[:4096]) == fmt


def test_jsonl_with_a_long_first_line_is_not_taken_for_a_document(tmp_path):
    path = tmp_path / "big.jsonl"
    first = json.dumps({"msg": "x" * 10_000, "timestamp": 1704067200000})
    path.write_text(first + "\n" + json.dumps({"msg": "y"}) + "\n")
    events, stats = read_all(str(path), start_ms=0)
    assert stats.source(str(path)).format == "jsonl"
    assert [e.message for e in events] == [first, '{"msg": "y"}']
    assert events[0].timestamp == 1704067200000


# --------------------------------------------------------------------------- timestamps

PLAIN_STAMPS = [
    ("2024-01-01T00:00:00Z boot", 1704067200000),
    ("2024-01-01 00:00:00,123 INFO x", 1704067200123),
    ("2024-01-01T02:00:00+02:00 two hours east", 1704067200000),
    ("2024-01-01T00:00:00.5-0100 one hour west", 1704070800500),
    ("2023-12-31 19:00:00 -05:00 spaced offset", 1704067200000),
    ("2024-01-01 00:00:00 no zone means UTC", 1704067200000),
    ("[2024-01-01 00:00:00] bracketed", 1704067200000),
    ('127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 404 2326', 971211336000),
    ("x" * 99 + " [10/Oct/2000:13:55:36 -0700] starts at column 100", None),
    ("x" * 98 + " [10/Oct/2000:13:55:36 -0700] starts at column 99", 971211336000),
    ("2024-13-01T00:00:00Z month 13", None),
    ("2024-02-30T00:00:00Z 30 February", None),
    ("2024-01-01T24:00:00Z hour 24", None),
    ("up since 2024-01-01T00:00:00Z (not leading)", None),
    ("2024-01-01T00:00:001 (more digits)", None),
]


@pytest.mark.parametrize(("line", "want"), PLAIN_STAMPS, ids=[s[0][:40] for s in PLAIN_STAMPS])
def test_plain_line_timestamps(tmp_path, line, want):
    path = tmp_path / "one.log"
    path.write_text(line + "\n")
    events, _ = read_all(str(path), fmt="lines", start_ms=5)
    assert len(events) == 1
    if want is None:
        assert (events[0].timestamp, events[0].timestamp_origin) == (5, "start")
    else:
        assert (events[0].timestamp, events[0].timestamp_origin) == (want, "event")


def test_iso_stamps_agree_with_datetime():
    assert utc_ms(2024, 1, 1) == 1704067200000  # the constant used above, checked with date(1) too


JSONL_STAMPS = [
    ('{"timestamp": 1704067200123, "m": 1}', 1704067200123),
    ('{"timestamp": "2024-01-01T00:00:00Z"}', 1704067200000),
    ('{"timestamp": "1704067200123"}', 1704067200123),
    ('{"@timestamp": "2024-01-01T00:00:00.250Z"}', 1704067200250),
    ('{"time": 1704067200}', 1704067200000),
    ('{"time": 1704067200.5}', 1704067200500),
    ('{"eventTime": "2024-01-01T00:00:00Z"}', 1704067200000),
    ('{"timestamp": "soon", "time": 1704067200}', 1704067200000),
    ('{"timestamp": true}', None),
    ('{"message": "no time"}', None),
    ("[1, 2, 3]", None),
]


@pytest.mark.parametrize(("line", "want"), JSONL_STAMPS, ids=[s[0] for s in JSONL_STAMPS])
def test_jsonl_timestamps(tmp_path, line, want):
    path = tmp_path / "one.jsonl"
    path.write_text(line + "\n")
    events, _ = read_all(str(path), fmt="jsonl", start_ms=5)
    assert [e.message for e in events] == [line]
    assert events[0].timestamp == (5 if want is None else want)


def test_timestamps_now_uses_time_of_reading():
    path = CORPUS / "vpcflow/aws-docs-default-format.log"
    before = time.time_ns() // 1_000_000
    events, stats = read_all(str(path), timestamps="now")
    after = time.time_ns() // 1_000_000
    assert len(events) == 7
    assert all(before <= e.timestamp <= after and e.timestamp_origin == "read" for e in events)
    assert stats.source(str(path)).timestamp_origins == {"read": 7}


def test_no_stamp_and_no_start_falls_back_to_time_of_reading(tmp_path):
    path = tmp_path / "plain.log"
    path.write_text("no time here\n")
    before = time.time_ns() // 1_000_000
    events, _ = read_all(str(path))
    after = time.time_ns() // 1_000_000
    assert before <= events[0].timestamp <= after
    assert events[0].timestamp_origin == "read"


def test_synthetic_index_counts_rejected_events(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text('{"a": 1}\n{broken\n{"a": 3}\n')
    events, _ = read_all(str(path), start_ms=100, step_ms=10)
    assert [e.timestamp for e in events] == [100, 120]


@pytest.mark.parametrize("kwargs", [
    {"fmt": "csv"}, {"timestamps": "ingest"}, {"timestamps": "now", "start_ms": 0},
])
def test_bad_arguments_raise_at_call(kwargs):
    with pytest.raises(ValueError):
        read_events(str(CORPUS / "vpcflow/aws-docs-default-format.log"), **kwargs)


# --------------------------------------------------------------------------- bad input

def test_invalid_utf8_is_replaced_counted_and_delivered(tmp_path):
    path = tmp_path / "bad.log"
    path.write_bytes(b"first ok\n\xff\xfe bad bytes\nthird ok\n")
    events, stats = read_all(str(path))
    src = stats.source(str(path))
    assert [e.message for e in events] == ["first ok", "\ufffd\ufffd bad bytes", "third ok"]
    assert src.problems == {"invalid-utf8": 1}
    assert src.rejected == 0
    assert [(p.position, p.kind) for p in stats.problems] == [("line 2", "invalid-utf8")]
    assert_accounted(stats, events)


def test_oversize_lines_are_rejected_with_position(tmp_path):
    path = tmp_path / "big.log"
    at_limit = b"a" * MAX_EVENT_BYTES
    over = b"b" * (MAX_EVENT_BYTES + 1)
    path.write_bytes(b"small\n" + over + b"\n" + at_limit + b"\n" + b"c" * 3_000_000 + b"\nlast\n")
    events, stats = read_all(str(path))
    src = stats.source(str(path))
    assert [len(e.message) for e in events] == [5, 1_048_576, 4]
    assert src.read == 5
    assert src.rejections == {"oversize": 2}
    assert [p.position for p in stats.problems] == ["line 2", "line 4"]
    assert_accounted(stats, events)


def test_oversize_counts_utf8_bytes_not_characters(tmp_path):
    path = tmp_path / "wide.log"
    # 524,289 × "é" (2 bytes each) = 1,048,578 bytes; 524,288 × "é" = exactly the limit.
    path.write_text("é" * 524_289 + "\n" + "é" * 524_288 + "\n", encoding="utf-8")
    events, stats = read_all(str(path))
    assert [len(e.message) for e in events] == [524_288]
    assert stats.source(str(path)).rejections == {"oversize": 1}
    # 400,000 invalid bytes decode to 400,000 × U+FFFD = 1,200,000 bytes of UTF-8: over the limit.
    inflated = tmp_path / "inflated.log"
    inflated.write_bytes(b"\xff" * 400_000 + b"\nok\n")
    events, stats = read_all(str(inflated), fmt="lines")
    assert [e.message for e in events] == ["ok"]
    assert stats.source(str(inflated)).problems == {"invalid-utf8": 1, "oversize": 1}
    assert_accounted(stats, events)


def test_oversize_records_and_messages(tmp_path):
    big = "x" * (MAX_EVENT_BYTES + 1)
    payload = {"messageType": "DATA_MESSAGE", "logGroup": "g",
               "logEvents": [{"id": "1", "timestamp": 1, "message": big},
                             {"id": "2", "timestamp": 2, "message": "ok"}]}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(payload))
    events, stats = read_all(str(path))
    assert [e.message for e in events] == ["ok"]
    assert [(p.position, p.kind) for p in stats.problems] == [("logEvents[0]", "oversize")]
    trail = tmp_path / "t.json"
    trail.write_text(json.dumps({"Records": [{"eventVersion": "1.08", "blob": big},
                                             {"eventVersion": "1.08"}]}))
    events, stats = read_all(str(trail))
    assert [e.message for e in events] == ['{"eventVersion":"1.08"}']
    assert [(p.position, p.kind) for p in stats.problems] == [("Records[0]", "oversize")]
    assert_accounted(stats, events)


def test_malformed_json_lines_are_counted_and_skipped(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text('{"ok": 1}\n{"ok": }\n{"ok": 3}\nNaN\n{"ok": 5}\n')
    events, stats = read_all(str(path), fmt="jsonl")
    src = stats.source(str(path))
    assert [json.loads(e.message)["ok"] for e in events] == [1, 3, 5]
    assert src.rejections == {"malformed-json": 2}
    assert [p.position for p in stats.problems] == ["line 2", "line 4"]
    assert_accounted(stats, events)


def test_problem_details_are_capped_but_counts_exact(tmp_path):
    path = tmp_path / "junk.jsonl"
    path.write_text("{bad\n" * 150 + '{"fine": true}\n')
    events, stats = read_all(str(path), fmt="jsonl")
    assert len(events) == 1
    assert stats.problem_counts == {"malformed-json": 150}
    assert len(stats.problems) == 100
    assert stats.details_dropped == 50
    assert stats.rejected == 150
    assert_accounted(stats, events)


APACHE = CORPUS / "apache/elastic-examples-apache_logs.log"


def complete_lines_before_cut(blob: bytes) -> list[bytes]:
    """Whole lines the standard library's gzip reader gives before it notices the cut."""
    got = []
    with gzip.GzipFile(fileobj=io.BytesIO(blob)) as f:
        try:
            for line in f:
                if line.endswith(b"\n"):
                    got.append(line[:-1])
        except EOFError:
            pass
    return got


def test_truncated_gzip_delivers_events_before_the_cut_and_reading_goes_on(tmp_path):
    blob = gzip.compress(APACHE.read_bytes())
    cut = tmp_path / "cut.log.gz"
    cut.write_bytes(blob[: len(blob) // 2])
    expected = complete_lines_before_cut(blob[: len(blob) // 2])
    assert 0 < len(expected) < 10_000
    stats = InputStats()
    events = list(read_events(str(cut), stats=stats))
    src = stats.source(str(cut))
    assert [e.message.encode() for e in events] == expected
    assert src.problems["truncated-gzip"] == 1
    assert src.rejected <= 1  # the partial last line, when the cut falls inside one
    # the run goes on with the next input
    more = list(read_events(str(CORPUS / "apache/aws-docs-filter-pattern-examples.log"), stats=stats))
    assert len(more) == 6
    assert_accounted(stats, events + more)


def test_corrupt_gzip_checksum_keeps_all_data(tmp_path):
    raw = (CORPUS / "vpcflow/aws-docs-default-format.log").read_bytes()
    blob = bytearray(gzip.compress(raw))
    blob[-8] ^= 0xFF  # the CRC-32 of the member
    path = tmp_path / "crc.gz"
    path.write_bytes(bytes(blob))
    events, stats = read_all(str(path))
    assert [e.message for e in events] == non_blank(raw.decode().split("\n"))
    assert stats.problem_counts == {"corrupt-gzip": 1}
    assert_accounted(stats, events)


def test_corrupt_gzip_in_the_middle_is_counted(tmp_path):
    blob = bytearray(gzip.compress(APACHE.read_bytes()))
    blob[len(blob) // 2: len(blob) // 2 + 64] = b"\xff" * 64
    path = tmp_path / "damaged.gz"
    path.write_bytes(bytes(blob))
    events, stats = read_all(str(path))
    assert stats.problem_counts["corrupt-gzip"] == 1
    assert events[0].message == APACHE.read_text().split("\n")[0]
    assert_accounted(stats, events)


def test_truncated_cloudtrail_gzip_delivers_whole_records(tmp_path):
    records = otrf_records()
    text = compact({"Records": records})
    blob = gzip.compress(text.encode())
    cut_blob = blob[: len(blob) * 6 // 10]
    prefix = zlib.decompressobj(31).decompress(cut_blob).decode("utf-8", "replace")
    # Whole records in the decoded prefix: the largest k with '{"Records":[' + r0,r1,...,r(k-1) in it.
    k = 0
    while k < len(records) and len('{"Records":[' + ",".join(map(compact, records[: k + 1]))) <= len(prefix):
        k += 1
    assert 0 < k < len(records)
    path = tmp_path / "trail.json.gz"
    path.write_bytes(cut_blob)
    events, stats = read_all(str(path))
    assert [e.message for e in events] == [compact(r) for r in records[:k]]
    assert stats.problem_counts == {"truncated-gzip": 1}
    assert_accounted(stats, events)


def test_cloudtrail_file_that_is_not_json_then_next_input(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("this is not json\nat all\n")
    no_records = tmp_path / "norecords.json"
    no_records.write_text('{"Events": []}')
    good = tmp_path / "good.json"
    good.write_text(json.dumps(ENVELOPES[7]["envelope"]))
    stats = InputStats()
    events = []
    for path in (bad, no_records, good):
        events += read_events(str(path), fmt="cloudtrail", stats=stats)
    assert stats.source(str(bad)).problems == {"not-json": 1}
    assert stats.source(str(no_records)).problems == {"wrong-shape": 1}
    assert len(events) == len(ENVELOPES[7]["envelope"]["Records"]) == 2
    assert {e.source for e in events} == {str(good)}
    gz = tmp_path / "bad.json.gz"
    gz.write_bytes(gzip.compress(b"<html>not a trail</html>"))
    assert list(read_events(str(gz), fmt="cloudtrail", stats=stats)) == []
    assert stats.source(str(gz)).problems == {"not-json": 1}
    assert_accounted(stats, events)


def test_cloudtrail_record_of_wrong_type(tmp_path):
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"Records": [{"eventVersion": "1.0"}, "oops", None]}))
    events, stats = read_all(str(path))
    assert len(events) == 1
    assert stats.source(str(path)).rejections == {"malformed-event": 2}
    assert_accounted(stats, events)


def test_missing_directory_binary_then_next_input(tmp_path):
    binary = tmp_path / "image.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    stats = InputStats()
    events = []
    for spec in (str(tmp_path / "nope.log"), str(tmp_path), str(binary),
                 str(CORPUS / "vpcflow/aws-docs-default-format.log")):
        events += read_events(spec, stats=stats)
    assert stats.source(str(tmp_path / "nope.log")).problems == {"missing": 1}
    assert stats.source(str(tmp_path)).problems == {"is-a-directory": 1}
    assert stats.source(str(binary)).problems == {"binary": 1}
    assert len(events) == 7
    assert stats.read == 7
    assert_accounted(stats, events)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path):
    path = tmp_path / "secret.log"
    path.write_text("x\n")
    path.chmod(0)
    events, stats = read_all(str(path))
    assert events == []
    assert stats.problem_counts == {"unreadable": 1}


@pytest.mark.skipif(not os.path.exists("/proc/self/mem"), reason="needs Linux /proc")
def test_input_that_fails_to_read(tmp_path):
    # Reading /proc/self/mem at offset 0 fails with EIO, for root too: a real I/O error.
    stats = InputStats()
    events = list(read_events("/proc/self/mem", stats=stats))
    events += read_events(str(CORPUS / "apache/aws-docs-filter-pattern-examples.log"), stats=stats)
    assert stats.source("/proc/self/mem").problems == {"unreadable": 1}
    assert len(events) == 6
    assert_accounted(stats, events)


def test_open_input_raises_input_error(tmp_path):
    with pytest.raises(InputError) as info:
        open_input(str(tmp_path / "missing.log"))
    assert info.value.kind == "missing"
    with pytest.raises(InputError) as info:
        open_input(str(tmp_path))
    assert info.value.kind == "is-a-directory"


# --------------------------------------------------------------------------- gzip and line details

def test_gzip_detected_by_magic_not_by_name(tmp_path):
    raw = (CORPUS / "vpcflow/aws-docs-default-format.log").read_bytes()
    disguised = tmp_path / "flow.log"
    disguised.write_bytes(gzip.compress(raw))
    fake = tmp_path / "flow.log.gz"
    fake.write_bytes(raw)
    for path in (disguised, fake):
        events, stats = read_all(str(path))
        assert len(events) == 7, path
        assert stats.problem_counts == {}
    with open_input(str(disguised)) as opened:
        assert opened.compressed
        assert opened.stream.read() == raw
    with open_input(str(fake)) as opened:
        assert not opened.compressed
        assert opened.stream.read() == raw


def test_multi_member_gzip_and_padding(tmp_path):
    path = tmp_path / "two.gz"
    path.write_bytes(gzip.compress(b"one\ntwo\n") + gzip.compress(b"three\n") + b"\0" * 512)
    events, stats = read_all(str(path))
    assert [e.message for e in events] == ["one", "two", "three"]
    assert stats.problem_counts == {}


def test_crlf_bom_blank_lines_and_missing_final_newline(tmp_path):
    path = tmp_path / "win.log"
    path.write_bytes(b"\xef\xbb\xbfone\r\ntwo\r\n\r\n   \nthree")
    events, stats = read_all(str(path))
    assert [e.message for e in events] == ["one", "two", "three"]
    assert [e.position for e in events] == ["line 1", "line 2", "line 5"]
    assert stats.source(str(path)).skipped == 2


# --------------------------------------------------------------------------- specs and log groups

def test_parse_input_spec(tmp_path):
    assert parse_input_spec("logs/app.log@/aws/lambda/fn") == ("logs/app.log", "/aws/lambda/fn")
    assert parse_input_spec("-") == ("-", None)
    assert parse_input_spec("-@my-group") == ("-", "my-group")
    assert parse_input_spec("user@host:file") == ("user@host:file", None)
    assert parse_input_spec("file@") == ("file@", None)
    real = tmp_path / "icon@2x.log"
    real.write_text("x\n")
    assert parse_input_spec(str(real)) == (str(real), None)


def test_log_group_binding_and_precedence(tmp_path):
    plain = CORPUS / "vpcflow/aws-docs-default-format.log"
    events, _ = read_all(f"{plain}@/vpc/flow")
    assert {e.log_group for e in events} == {"/vpc/flow"}
    assert {e.source for e in events} == {str(plain)}
    events, _ = read_all(str(plain), log_group="/default")
    assert {e.log_group for e in events} == {"/default"}
    events, _ = read_all(str(plain))
    assert {e.log_group for e in events} == {None}
    sub = SUB / "aws-lambda-go-cloudwatch-logs-event.json"
    events, _ = read_all(str(sub), log_group="/default")
    assert {e.log_group for e in events} == {"testLogGroup"}  # the payload names its group
    events, _ = read_all(f"{sub}@bound", log_group="/default")
    assert {e.log_group for e in events} == {"bound"}  # an explicit binding wins


def test_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"2024-01-01T00:00:00Z a\nb\n")))
    events, stats = read_all("-@piped", start_ms=0)
    assert [(e.message, e.source, e.log_group) for e in events] == [
        ("2024-01-01T00:00:00Z a", "<stdin>", "piped"), ("b", "<stdin>", "piped")]
    assert events[0].timestamp == 1704067200000
    assert_accounted(stats, events)


def test_stream_argument_is_not_closed():
    stream = io.BytesIO(b'{"a": 1}\n')
    events, stats = read_all(stream, source="mem")
    assert [e.source for e in events] == ["mem"]
    assert stats.source("mem").format == "jsonl"
    assert not stream.closed


# --------------------------------------------------------------------------- streaming

def next_within(gen, seconds: float = 5.0):
    """`next(gen)` run in a thread; fails instead of hanging when the reader waits for more input."""
    box: dict[str, object] = {}

    def take() -> None:
        try:
            box["value"] = next(gen)
        except BaseException as exc:  # StopIteration included
            box["error"] = exc

    thread = threading.Thread(target=take, daemon=True)
    thread.start()
    thread.join(seconds)
    return thread.is_alive(), box


@pytest.mark.parametrize("fmt", ["auto", "lines", "jsonl"])
def test_line_reader_yields_before_the_stream_is_closed(fmt):
    r, w = os.pipe()
    reader = os.fdopen(r, "rb")
    try:
        first = b"2024-01-01T00:00:00Z first\n" if fmt == "lines" else b'{"n": 1, "timestamp": 1704067200000}\n'
        os.write(w, first)
        stats = InputStats()
        gen = read_events(reader, fmt=fmt, stats=stats, source="pipe")
        waiting, box = next_within(gen)
        assert not waiting, "the first event was not yielded while the writer kept the pipe open"
        assert box["value"].message == first.decode().rstrip("\n")
        assert box["value"].timestamp == 1704067200000
        os.write(w, b'{"n": 2}\n')
        waiting, box = next_within(gen)
        assert not waiting
        assert box["value"].message == '{"n": 2}'
        os.close(w)
        w = -1
        waiting, box = next_within(gen)
        assert not waiting and isinstance(box.get("error"), StopIteration)
        assert stats.source("pipe").delivered == 2
    finally:
        if w >= 0:
            os.close(w)
        reader.close()
