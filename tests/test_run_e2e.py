"""`cwfilter run` and `cwfilter check`, end to end: the installed console script as a subprocess.

Every expected metric is computed here with plain Python over the parsed input (json, gzip,
base64, a space-delimited splitter written from DECISIONS P13, the wildcard rule of P8 and the
missing-field rule of P10), never by asking cwfilter. Metrics are compared per metric and
dimension set: SampleCount and Sum over all periods (per period where the event time is plain).
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import math
import os
import queue
import random
import re
import signal
import subprocess
import sys
import threading
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).parent / "data"
CORPUS = DATA / "corpus"
CONFORMANCE = DATA / "conformance"
FIXTURES = Path(__file__).parent / "fixtures"
OTRF = CORPUS / "cloudtrail" / "otrf-ec2_proxy_s3_exfiltration_2020-09-14011940.jsonl"
ENVELOPES = CORPUS / "cloudtrail" / "aws-docs-log-file-envelopes.json"
PANTHER = CORPUS / "cloudtrail" / "panther-analysis-cloudtrail-rule-tests.jsonl"
APACHE_REAL = CORPUS / "apache" / "elastic-examples-apache_logs.log"
APACHE_DOCS = CORPUS / "apache" / "aws-docs-filter-pattern-examples.log"
VPC_DEFAULT = CORPUS / "vpcflow" / "aws-docs-default-format.log"
SUBSCRIPTION = CORPUS / "subscription" / "aws-lambda-go-cloudwatch-logs-event.json"
CWFILTER = Path(sys.executable).parent / ("cwfilter.exe" if os.name == "nt" else "cwfilter")

# Far more than the spread of event times in any corpus file (1970 to now is ~1.8e9 s), so no
# period closes before the end of input and every sample counts, whatever the order of events.
NO_LATENESS_LIMIT = "3000000000"
T0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z in epoch ms
MINUTE = 60_000
MAX_EVENT_BYTES = 1_048_576  # DECISIONS M6


# --------------------------------------------------------------------------- running the CLI


def _environ() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "PY_COLORS", "TTY_COMPATIBLE"}}
    env.update({"COLUMNS": "200", "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"})
    return env


def cli(*args: Any, stdin: bytes = b"", timeout: float = 60) -> subprocess.CompletedProcess:
    """Run the console script to completion; stdout and stderr as text."""
    assert CWFILTER.is_file(), f"console script not installed next to {sys.executable}"
    done = subprocess.run(
        [str(CWFILTER), *map(str, args)], input=stdin, capture_output=True, env=_environ(), timeout=timeout
    )
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")
    )


def run_json(config: Path, *args: Any, stdin: bytes = b"", expect_exit: int = 0) -> dict:
    """`cwfilter run CONFIG ARGS --output json`; returns the parsed document."""
    done = cli("run", config, *args, "--output", "json", stdin=stdin)
    assert done.returncode == expect_exit, done.stderr
    return json.loads(done.stdout)


def write_config(path: Path, filters: list[dict]) -> Path:
    path.write_text(json.dumps({"metricFilters": filters}, indent=1), encoding="utf-8")
    return path


def metric_filter(name: str, pattern: str, metric: str, value: str = "1", namespace: str = "Test",
                  group: str | None = None, **transformation: Any) -> dict:
    mf: dict = {
        "filterName": name,
        "filterPattern": pattern,
        "metricTransformations": [
            {"metricName": metric, "metricNamespace": namespace, "metricValue": value, **transformation}
        ],
    }
    if group is not None:
        mf["logGroupName"] = group
    return mf


SeriesKey = tuple  # (namespace, metric name, ((dimension, value), ...))


def series_key(metric: dict) -> SeriesKey:
    dims = tuple(sorted((d["Name"], d["Value"]) for d in metric["Dimensions"]))
    return metric["Namespace"], metric["MetricName"], dims


def totals(doc: dict) -> dict[SeriesKey, tuple[float, int]]:
    """(Sum, SampleCount) over all periods, per metric and dimension set."""
    out: dict[SeriesKey, tuple[float, int]] = {}
    for metric in doc["metrics"]:
        key = series_key(metric)
        assert key not in out, f"series {key} reported twice"
        out[key] = (
            math.fsum(p["Sum"] for p in metric["Datapoints"]),
            sum(int(p["SampleCount"]) for p in metric["Datapoints"]),
        )
    return out


def per_period(doc: dict) -> dict[tuple[SeriesKey, str], tuple[float, int]]:
    """(Sum, SampleCount) per metric, dimension set and period start."""
    return {
        (series_key(m), p["Timestamp"]): (p["Sum"], int(p["SampleCount"]))
        for m in doc["metrics"]
        for p in m["Datapoints"]
    }


def filter_summary(doc: dict, name: str) -> dict:
    [found] = [f for f in doc["summary"]["filters"] if f["filterName"] == name]
    return found


def iso_minute(ms: int, period_ms: int = MINUTE) -> str:
    start = ms - ms % period_ms
    return dt.datetime.fromtimestamp(start / 1000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def assert_accounting(doc: dict) -> None:
    """Every event read is delivered or rejected; every filter's read is matched + unmatched + rejected."""
    inputs = doc["summary"]["inputs"]
    total = inputs["total"]
    assert total["read"] == total["delivered"] + total["rejected"]
    for source in inputs["sources"]:
        assert source["read"] == source["delivered"] + source["rejected"], source
        assert source["rejected"] == sum(source["rejections"].values()), source
    for f in doc["summary"]["filters"]:
        assert f["read"] == f["matched"] + f["unmatched"] + f["rejected"], f


# --------------------------------------------------------------------------- plain-Python oracles

MISSING = object()
_NUMBER_RE = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")  # DECISIONS P9


def select(record: Any, path: str) -> Any:
    """`$.a.b.c` over parsed JSON: the value, or MISSING when a step finds nothing."""
    value = record
    for step in path.removeprefix("$.").split("."):
        if not isinstance(value, dict) or step not in value:
            return MISSING
        value = value[step]
    return value


def scalar_text(value: Any) -> str | None:
    """The text a JSON scalar compares as (DECISIONS P9, P10); None for missing, null, objects, arrays."""
    if value is MISSING or value is None or isinstance(value, (dict, list)):
        return None  # P10: every comparison on these is false
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    # Java's Double.toString: not needed by the corpus fields used here, so refuse to guess.
    raise AssertionError(f"float field in an oracle comparison: {value!r}")


def wildcard(value: str, pattern: str) -> bool:
    """DECISIONS P8: split at `*`; prefix, then leftmost occurrences with no backtracking."""
    pieces = pattern.split("*")
    if not value.startswith(pieces[0]):
        return False
    pos = len(pieces[0])
    for piece in pieces[1:]:
        found = value.find(piece, pos)
        if found < 0:
            return False
        pos = found + len(piece)
    return pattern.endswith("*") or pos == len(value)


def eq(record: dict, path: str, literal: str) -> bool:
    text = scalar_text(select(record, path))
    return text is not None and wildcard(text, literal)


def ne(record: dict, path: str, literal: str) -> bool:
    text = scalar_text(select(record, path))
    return text is not None and not wildcard(text, literal)  # P10: false on missing and null


def name_in(record: dict, *names: str) -> bool:
    return any(eq(record, "$.eventName", n) for n in names)


# The 14 Security Hub controls, each written as a Python condition over the record dict.
SECURITY_HUB: dict[str, Callable[[dict], bool]] = {
    "CloudWatch.1": lambda r: (
        eq(r, "$.userIdentity.type", "Root")
        and select(r, "$.userIdentity.invokedBy") is MISSING
        and ne(r, "$.eventType", "AwsServiceEvent")
    ),
    "CloudWatch.2": lambda r: (
        eq(r, "$.errorCode", "*UnauthorizedOperation") or eq(r, "$.errorCode", "AccessDenied*")
    ),
    "CloudWatch.3": lambda r: (
        eq(r, "$.eventName", "ConsoleLogin")
        and ne(r, "$.additionalEventData.MFAUsed", "Yes")
        and eq(r, "$.userIdentity.type", "IAMUser")
        and eq(r, "$.responseElements.ConsoleLogin", "Success")
    ),
    "CloudWatch.4": lambda r: name_in(
        r, "DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy", "PutRolePolicy",
        "PutUserPolicy", "CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion",
        "AttachRolePolicy", "DetachRolePolicy", "AttachUserPolicy", "DetachUserPolicy", "AttachGroupPolicy",
        "DetachGroupPolicy",
    ),
    "CloudWatch.5": lambda r: name_in(r, "CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"),
    "CloudWatch.6": lambda r: (
        eq(r, "$.eventName", "ConsoleLogin") and eq(r, "$.errorMessage", "Failed authentication")
    ),
    "CloudWatch.7": lambda r: (
        eq(r, "$.eventSource", "kms.amazonaws.com") and name_in(r, "DisableKey", "ScheduleKeyDeletion")
    ),
    "CloudWatch.8": lambda r: eq(r, "$.eventSource", "s3.amazonaws.com") and name_in(
        r, "PutBucketAcl", "PutBucketPolicy", "PutBucketCors", "PutBucketLifecycle", "PutBucketReplication",
        "DeleteBucketPolicy", "DeleteBucketCors", "DeleteBucketLifecycle", "DeleteBucketReplication",
    ),
    "CloudWatch.9": lambda r: eq(r, "$.eventSource", "config.amazonaws.com") and name_in(
        r, "StopConfigurationRecorder", "DeleteDeliveryChannel", "PutDeliveryChannel", "PutConfigurationRecorder",
    ),
    "CloudWatch.10": lambda r: name_in(
        r, "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
        "RevokeSecurityGroupEgress", "CreateSecurityGroup", "DeleteSecurityGroup",
    ),
    "CloudWatch.11": lambda r: name_in(
        r, "CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl", "DeleteNetworkAclEntry",
        "ReplaceNetworkAclEntry", "ReplaceNetworkAclAssociation",
    ),
    "CloudWatch.12": lambda r: name_in(
        r, "CreateCustomerGateway", "DeleteCustomerGateway", "AttachInternetGateway", "CreateInternetGateway",
        "DeleteInternetGateway", "DetachInternetGateway",
    ),
    "CloudWatch.13": lambda r: name_in(
        r, "CreateRoute", "CreateRouteTable", "ReplaceRoute", "ReplaceRouteTableAssociation", "DeleteRouteTable",
        "DeleteRoute", "DisassociateRouteTable",
    ),
    "CloudWatch.14": lambda r: name_in(
        r, "CreateVpc", "DeleteVpc", "ModifyVpcAttribute", "AcceptVpcPeeringConnection",
        "CreateVpcPeeringConnection", "DeleteVpcPeeringConnection", "RejectVpcPeeringConnection",
        "AttachClassicLinkVpc", "DetachClassicLinkVpc", "DisableVpcClassicLink", "EnableVpcClassicLink",
    ),
}


def split_fields(line: str) -> list[str]:
    """Space-delimited fields as DECISIONS P13 describes them, written independently of cwfilter.

    Runs of spaces or tabs separate fields; a `"` or `[` at the start of a field opens a group that
    ends at the first matching closer (delimiters removed); text right after the closer starts a
    new field; an unbalanced opener runs to the end.
    """
    fields: list[str] = []
    i, n = 0, len(line)
    while i < n:
        if line[i] in " \t":
            i += 1
            continue
        if line[i] in '"[':
            closer = '"' if line[i] == '"' else "]"
            end = line.find(closer, i + 1)
            if end < 0:
                fields.append(line[i + 1:])
                break
            fields.append(line[i + 1:end])
            i = end + 1
            continue
        start = i
        while i < n and line[i] not in " \t":
            i += 1
        fields.append(line[start:i])
    return fields


def number(text: str) -> float | None:
    """A field's text as a number when it is one by DECISIONS P9 (M3: numeric strings count)."""
    return float(text) if _NUMBER_RE.fullmatch(text.strip()) else None


# --------------------------------------------------------------------------- (a) Security Hub over CloudTrail


def _security_hub_config(path: Path) -> Path:
    entries = json.loads((CONFORMANCE / "cis-patterns.json").read_text(encoding="utf-8"))
    hub = [e for e in entries if e["id"].startswith("securityhub:")]
    assert sorted(e["control"] for e in hub) == sorted(SECURITY_HUB)
    filters = [
        metric_filter(e["control"], e["pattern"], e["control"].replace(".", ""), namespace="SecurityHub")
        for e in hub
    ]
    return write_config(path, filters)


def _expected_counts(records: list[dict]) -> dict[SeriesKey, tuple[float, int]]:
    out = {}
    for control, condition in SECURITY_HUB.items():
        hits = sum(1 for r in records if condition(r))
        if hits:  # a metric with no sample publishes no datapoint
            out[("SecurityHub", control.replace(".", ""), ())] = (float(hits), hits)
    return out


@pytest.fixture(scope="module")
def cloudtrail_inputs(tmp_path_factory) -> dict:
    """The CloudTrail corpus as inputs: the OTRF jsonl as is, each docs envelope as an S3 log
    file, and the Panther test logs as one `{"Records": [...]}` file, plain and gzipped."""
    tmp = tmp_path_factory.mktemp("cloudtrail")
    otrf = [json.loads(line) for line in OTRF.read_text(encoding="utf-8").splitlines() if line.strip()]
    envelope_files, envelope_records = [], []
    for i, item in enumerate(json.loads(ENVELOPES.read_text(encoding="utf-8"))):
        path = tmp / f"111122223333_CloudTrail_us-east-1_20240101T00{i:02d}Z_docs{i}.json"
        path.write_text(json.dumps(item["envelope"], indent=2), encoding="utf-8")
        envelope_files.append(path)
        envelope_records.extend(item["envelope"]["Records"])
    panther = [json.loads(line)["log"] for line in PANTHER.read_text(encoding="utf-8").splitlines() if line.strip()]
    panther_file = tmp / "panther-records.json"
    panther_file.write_text(json.dumps({"Records": panther}), encoding="utf-8")
    # S3 delivery name, but gzip is to be recognised by its magic bytes, not by the name.
    panther_gz = tmp / "123456789012_CloudTrail_us-west-2_20240101T0000Z_Panther.json.gz"
    panther_gz.write_bytes(gzip.compress(panther_file.read_bytes()))
    panther_gz_unnamed = tmp / "panther-records-gzip.json"
    panther_gz_unnamed.write_bytes(panther_gz.read_bytes())
    return {
        "config": _security_hub_config(tmp / "security-hub.json"),
        "otrf": otrf,
        "envelope_files": envelope_files,
        "envelope_records": envelope_records,
        "panther": panther,
        "panther_file": panther_file,
        "panther_gz": panther_gz,
        "panther_gz_unnamed": panther_gz_unnamed,
    }


def test_security_hub_filters_over_the_cloudtrail_corpus(cloudtrail_inputs):
    ct = cloudtrail_inputs
    records = ct["otrf"] + ct["envelope_records"] + ct["panther"]
    doc = run_json(ct["config"], OTRF, *ct["envelope_files"], ct["panther_file"], "--lateness", NO_LATENESS_LIMIT)

    expected = _expected_counts(records)
    assert totals(doc) == expected
    # The corpus exercises most controls; a filter engine that matched nothing would fail above,
    # but make sure the comparison is not vacuous.
    assert len(expected) >= 10

    summary = doc["summary"]
    assert summary["inputs"]["total"]["read"] == len(records)
    assert summary["inputs"]["total"]["delivered"] == len(records)
    formats = {Path(s["source"]).name: s["format"] for s in summary["inputs"]["sources"]}
    assert formats[OTRF.name] == "jsonl"
    assert formats[ct["panther_file"].name] == "cloudtrail"
    assert all(formats[p.name] == "cloudtrail" for p in ct["envelope_files"])
    for control, condition in SECURITY_HUB.items():
        f = filter_summary(doc, control)
        assert f["read"] == len(records)
        assert f["matched"] == sum(1 for r in records if condition(r)), control
    assert summary["losses"] == []
    assert_accounting(doc)


def test_cloudtrail_datapoints_take_each_record_event_time(cloudtrail_inputs):
    ct = cloudtrail_inputs
    doc = run_json(ct["config"], *ct["envelope_files"], "--lateness", NO_LATENESS_LIMIT)
    expected: Counter = Counter()
    for record in ct["envelope_records"]:
        # DECISIONS M1: the datapoint time is the event's own time (`eventTime`, UTC).
        ms = int(dt.datetime.strptime(record["eventTime"], "%Y-%m-%dT%H:%M:%S%z").timestamp() * 1000)
        for control, condition in SECURITY_HUB.items():
            if condition(record):
                expected[(("SecurityHub", control.replace(".", ""), ()), iso_minute(ms))] += 1
    assert expected
    assert per_period(doc) == {k: (float(n), n) for k, n in expected.items()}
    assert doc["summary"]["inputs"]["total"]["timestamp_origins"] == {"event": len(ct["envelope_records"])}


@pytest.mark.parametrize("which", ["panther_gz", "panther_gz_unnamed"])
def test_security_hub_filters_over_gzipped_records(cloudtrail_inputs, which):
    ct = cloudtrail_inputs
    doc = run_json(ct["config"], ct[which], "--lateness", NO_LATENESS_LIMIT)
    assert totals(doc) == _expected_counts(ct["panther"])
    [source] = doc["summary"]["inputs"]["sources"]
    assert source["format"] == "cloudtrail"
    assert source["read"] == source["delivered"] == len(ct["panther"])
    assert source["problems"] == {}


# --------------------------------------------------------------------------- (b) Apache combined log


def _apache_time_ms(field: str) -> int:
    return int(dt.datetime.strptime(field, "%d/%b/%Y:%H:%M:%S %z").timestamp() * 1000)


def test_apache_4xx_5xx_bytes_with_status_dimension(tmp_path):
    config = write_config(tmp_path / "apache.json", [
        # Combined format has 9 fields: `...` takes the referrer and the user agent.
        metric_filter("ErrorBytes",
                      "[ip, id, user, timestamp, request, status_code = 4* || status_code = 5*, bytes, ...]",
                      "ErrorBytes", "$bytes", namespace="Apache", dimensions={"StatusCode": "$status_code"},
                      unit="Bytes"),
        # The right slot count works as well.
        metric_filter("ServerErrors",
                      "[ip, id, user, timestamp, request, status_code = 5*, bytes, referrer, agent]",
                      "ServerErrors", namespace="Apache"),
        # Seven slots and no `...`: a 9-field line never matches (DECISIONS P13).
        metric_filter("CommonFormatOnly", "[ip, id, user, timestamp, request, status_code, bytes]",
                      "CommonFormatOnly", namespace="Apache"),
    ])
    doc = run_json(config, APACHE_REAL)

    lines = APACHE_REAL.read_text(encoding="utf-8").splitlines()
    expected_total: dict = defaultdict(lambda: [0.0, 0])
    expected_period: dict = defaultdict(lambda: [0.0, 0])

    def sample(series: SeriesKey, minute: str, value: float) -> None:
        for table, key in ((expected_total, series), (expected_period, (series, minute))):
            table[key][0] += value
            table[key][1] += 1

    matched = not_numeric = server_errors = 0
    for line in lines:
        fields = split_fields(line)
        if len(fields) < 7 or fields[5][:1] not in ("4", "5"):  # DECISIONS P8: `4*` is a prefix
            continue
        matched += 1
        minute = iso_minute(_apache_time_ms(fields[3]))
        if len(fields) == 9 and fields[5].startswith("5"):
            server_errors += 1
            sample(("Apache", "ServerErrors", ()), minute, 1.0)
        value = number(fields[6])
        if value is None:
            not_numeric += 1  # DECISIONS M3: Apache's `-` bytes
        else:
            sample(("Apache", "ErrorBytes", (("StatusCode", fields[5]),)), minute, value)

    assert totals(doc) == {k: (s, c) for k, (s, c) in expected_total.items()}
    assert per_period(doc) == {k: (s, c) for k, (s, c) in expected_period.items()}
    units = {m["MetricName"]: {p["Unit"] for p in m["Datapoints"]} for m in doc["metrics"]}
    assert units == {"ErrorBytes": {"Bytes"}, "ServerErrors": {"None"}}

    error_bytes = filter_summary(doc, "ErrorBytes")
    assert (error_bytes["read"], error_bytes["matched"]) == (len(lines), matched)
    assert error_bytes["valueNotNumeric"] == not_numeric > 0
    assert error_bytes["samples"] == matched - not_numeric
    assert filter_summary(doc, "ServerErrors")["matched"] == server_errors > 0
    assert filter_summary(doc, "CommonFormatOnly")["matched"] == 0
    assert [loss["count"] for loss in doc["summary"]["losses"]] == [not_numeric]
    assert_accounting(doc)


# --------------------------------------------------------------------------- (c) VPC Flow Logs


def test_vpc_flow_rejects_per_source_address(tmp_path):
    config = write_config(tmp_path / "vpc.json", [metric_filter(
        "Rejects",
        "[version, account, eni, source, destination, srcport, destport, protocol, packets, bytes, "
        "windowstart, windowend, action = REJECT, flowlogstatus]",
        "RejectedFlows", namespace="VPC", dimensions={"SourceAddress": "$source"}, unit="Count",
    )])
    doc = run_json(config, VPC_DEFAULT)

    lines = [line for line in VPC_DEFAULT.read_text(encoding="utf-8").splitlines() if line.strip()]
    expected_total: Counter = Counter()
    expected_period: Counter = Counter()
    for line in lines:
        fields = line.split()
        if len(fields) == 14 and fields[12] == "REJECT":
            series = ("VPC", "RejectedFlows", (("SourceAddress", fields[3]),))
            expected_total[series] += 1
            # The event time of a flow record is its `start` (epoch seconds), DECISIONS M1.
            expected_period[(series, iso_minute(int(fields[10]) * 1000))] += 1
    assert len(expected_total) >= 2
    assert totals(doc) == {k: (float(n), n) for k, n in expected_total.items()}
    assert per_period(doc) == {k: (float(n), n) for k, n in expected_period.items()}
    [source] = doc["summary"]["inputs"]["sources"]
    assert source["format"] == "vpcflow"
    assert filter_summary(doc, "Rejects")["matched"] == sum(expected_total.values())
    assert_accounting(doc)


# --------------------------------------------------------------------------- (d) subscription payload


def test_subscription_payload_base64_gzip(tmp_path):
    config = write_config(tmp_path / "sub.json", [
        metric_filter("Errors", "ERROR", "Errors", group="testLogGroup"),
        metric_filter("Second", '"Second test"', "Second", group="testLogGroup"),
        metric_filter("Elsewhere", "", "Elsewhere", group="someOtherGroup"),
    ])
    doc = run_json(config, SUBSCRIPTION)

    outer = json.loads(SUBSCRIPTION.read_text(encoding="utf-8"))
    payload = json.loads(gzip.decompress(base64.b64decode(outer["awslogs"]["data"])))
    assert payload["logGroup"] == "testLogGroup"
    events = payload["logEvents"]
    expected: Counter = Counter()
    for ev in events:
        minute = iso_minute(ev["timestamp"])
        if "ERROR" in ev["message"]:  # DECISIONS P1: a term is a case-sensitive substring
            expected[(("Test", "Errors", ()), minute)] += 1
        if "Second test" in ev["message"]:
            expected[(("Test", "Second", ()), minute)] += 1
    assert expected
    assert per_period(doc) == {k: (float(n), n) for k, n in expected.items()}
    [source] = doc["summary"]["inputs"]["sources"]
    assert source["format"] == "subscription"
    assert source["read"] == source["delivered"] == len(events)
    assert filter_summary(doc, "Errors")["read"] == len(events)
    # The payload names its log group: a filter of another group never sees these events.
    assert filter_summary(doc, "Elsewhere")["read"] == 0
    assert_accounting(doc)


# --------------------------------------------------------------------------- statistics and lateness


def _jsonl(events: list[dict]) -> bytes:
    return "".join(json.dumps(e) + "\n" for e in events).encode()


def _value_config(tmp_path: Path, **transformation: Any) -> Path:
    return write_config(tmp_path / "values.json", [
        metric_filter("Values", "{ $.value >= 0 }", "Values", "$.value", namespace="Stats", **transformation)
    ])


def test_every_statistic_through_the_cli(tmp_path):
    # Ten samples in one minute, fed out of order; sorted: 0 3 7 9 15 42 64 100 120 250.
    values = [120, 15, 0, 42, 7, 100, 250, 3, 64, 9]
    events = [{"timestamp": T0 + 1000 * i, "value": v} for i, v in enumerate(values)]
    extended = ["p50", "p90", "p99", "tm80", "IQM", "PR(0:100)", "TC(0:100)", "TS(0:100)", "wm80"]
    args = [a for name in extended for a in ("-s", name)]
    doc = run_json(_value_config(tmp_path), "-", *args, stdin=_jsonl(events))

    [metric] = doc["metrics"]
    [point] = metric["Datapoints"]
    assert point["Timestamp"] == "2024-01-01T00:00:00Z"
    assert point["Period"] == 60
    # By hand (DECISIONS A5, nearest rank: rank(q) = ceil(q/100 * 10)):
    assert point["SampleCount"] == 10
    assert point["Sum"] == 610.0  # 0+3+7+9+15+42+64+100+120+250
    assert point["Average"] == 61.0
    assert point["Minimum"] == 0.0
    assert point["Maximum"] == 250.0
    assert point["ExtendedStatistics"] == {
        "p50": 15.0,  # rank 5
        "p90": 120.0,  # rank 9
        "p99": 250.0,  # rank ceil(9.9) = 10
        "tm80": 30.0,  # ranks 1..8: (0+3+7+9+15+42+64+100) / 8 = 240 / 8
        "IQM": 46.0,  # TM(25%:75%): ranks (ceil(2.5), ceil(7.5)] = 4..8: (9+15+42+64+100) / 5
        "PR(0:100)": 70.0,  # 0 < x <= 100: 3 7 9 15 42 64 100 -> 7 of 10
        "TC(0:100)": 7.0,
        "TS(0:100)": 240.0,  # 3+7+9+15+42+64+100
        "wm80": 44.0,  # 120 and 250 clamped to 100 (rank 8): (240 + 100 + 100) / 10
    }


def test_out_of_order_events_all_count_in_their_periods_in_a_batch_run(tmp_path):
    # Batch runs count every event in its period however late it comes (CloudWatch keeps late
    # events); --lateness only applies to --follow, so it changes nothing here.
    minute = lambda m, s=0: T0 + m * MINUTE + s * 1000  # noqa: E731
    events = [
        {"timestamp": minute(0, 10), "value": 1},
        {"timestamp": minute(3), "value": 10},
        {"timestamp": minute(0, 20), "value": 2},
        {"timestamp": minute(70), "value": 100},
        {"timestamp": minute(0, 30), "value": 4},  # 70 minutes behind the newest event
        {"timestamp": minute(3, 30), "value": 20},
    ]
    expected = {
        (("Stats", "Values", ()), "2024-01-01T00:00:00Z"): (7.0, 3),
        (("Stats", "Values", ()), "2024-01-01T00:03:00Z"): (30.0, 2),
        (("Stats", "Values", ()), "2024-01-01T01:10:00Z"): (100.0, 1),
    }
    for extra in ([], ["--lateness", "0"]):
        doc = run_json(_value_config(tmp_path), "-", *extra, stdin=_jsonl(events))
        assert per_period(doc) == expected
        f = filter_summary(doc, "Values")
        assert (f["matched"], f["samples"]) == (6, 6)
        assert doc["summary"]["losses"] == []
        assert doc["summary"]["mode"] == "batch"


# --------------------------------------------------------------------------- bad input


def test_bad_inputs_are_counted_and_the_run_goes_on(tmp_path):
    config = write_config(tmp_path / "errors.json", [metric_filter("Errors", "ERROR", "Errors")])
    delivered: list[str] = []  # every message the engine should see, in order
    read = rejected = 0

    bad_utf8 = tmp_path / "bad-utf8.log"
    bad_utf8.write_bytes(b"ERROR one\nERROR \xff\xfe two\nINFO three\n")
    delivered += ["ERROR one", "ERROR \ufffd\ufffd two", "INFO three"]
    read += 3

    big = tmp_path / "big.log"
    exact = b"ERROR " + b"y" * (MAX_EVENT_BYTES - 6)  # exactly the limit: still an event
    big.write_bytes(b"ERROR small\n" + b"ERROR " + b"x" * MAX_EVENT_BYTES + b"\n" + exact + b"\nINFO after\n")
    delivered += ["ERROR small", exact.decode(), "INFO after"]
    read, rejected = read + 4, rejected + 1

    jsonl = tmp_path / "events.jsonl"
    jsonl.write_text('{"msg": "ERROR a"}\n{"msg": \n{"msg": "ok"}\n', encoding="utf-8")
    delivered += ['{"msg": "ERROR a"}', '{"msg": "ok"}']
    read, rejected = read + 3, rejected + 1

    rng = random.Random(7)
    text = "".join(f"ERROR {i:05d} {rng.getrandbits(128):032x}\n" for i in range(2000)).encode()
    packed = gzip.compress(text)
    cut = tmp_path / "cut.log.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    z = zlib.decompressobj(16 + zlib.MAX_WBITS)
    salvaged = z.decompress(packed[: len(packed) // 2]) + z.flush()
    whole, _, partial = salvaged.rpartition(b"\n")
    assert 0 < whole.count(b"\n") + 1 < 2000
    delivered += whole.decode().split("\n")
    read += whole.count(b"\n") + 1 + (1 if partial else 0)
    rejected += 1 if partial else 0

    # A CloudTrail log file broken inside its Records array: the record before the damage counts.
    broken_trail = tmp_path / "broken-trail.json"
    good_record = {"eventVersion": "1.08", "eventName": "ConsoleLogin", "errorMessage": "ERROR x"}
    broken_trail.write_text('{\n  "Records": [\n    ' + json.dumps(good_record)
                            + ',\n    {"eventVersion": "1.08", "eventName": oops}\n  ]\n}\n', encoding="utf-8")
    delivered.append(json.dumps(good_record, separators=(",", ":")))
    read, rejected = read + 2, rejected + 1

    # A CloudTrail log file that is not JSON at all: skipped, with a problem, no events.
    not_json = tmp_path / "not-json-trail.json"
    not_json.write_text('{\n  "eventVersion": "1.08",\n  "Records": [ {"eventName": "x"} ] this is not JSON\n',
                        encoding="utf-8")

    good = tmp_path / "good.log"
    good.write_text("ERROR good 1\nERROR good 2\nINFO good 3\n", encoding="utf-8")
    delivered += ["ERROR good 1", "ERROR good 2", "INFO good 3"]
    read += 3

    inputs = [bad_utf8, big, jsonl, cut, broken_trail, not_json, good]
    doc = run_json(config, *inputs, "--start", "2024-01-01T00:00:00Z", "--lateness", NO_LATENESS_LIMIT)

    inputs_summary = doc["summary"]["inputs"]
    total = inputs_summary["total"]
    assert (total["read"], total["delivered"], total["rejected"]) == (read, len(delivered), rejected)
    assert total["problems"]["invalid-utf8"] == 1
    assert total["problems"]["oversize"] == 1
    assert total["problems"]["malformed-json"] == 2
    assert total["problems"]["truncated-gzip"] == 1
    assert total["problems"]["not-json"] == 1
    by_name = {Path(s["source"]).name: s for s in inputs_summary["sources"]}
    assert by_name["good.log"]["delivered"] == 3
    assert by_name["not-json-trail.json"]["read"] == 0
    assert by_name["broken-trail.json"]["format"] == "cloudtrail"
    oversize = [p for p in inputs_summary["problems"] if p["kind"] == "oversize"]
    assert [(Path(p["source"]).name, p["position"]) for p in oversize] == [("big.log", "line 2")]

    f = filter_summary(doc, "Errors")
    hits = sum(1 for m in delivered if "ERROR" in m)
    assert (f["read"], f["matched"], f["unmatched"], f["rejected"]) == (read, hits, len(delivered) - hits, rejected)
    assert totals(doc) == {("Test", "Errors", ()): (float(hits), hits)}
    assert_accounting(doc)


def _oversize_inputs(tmp_path: Path) -> dict[str, Path]:
    """One input per format, each with an event of 524,289 two-byte characters (1,048,578 bytes of
    UTF-8 but fewer characters than the limit) and one small event."""
    wide = "\u00e9" * (MAX_EVENT_BYTES // 2 + 1)
    lines = tmp_path / "wide.log"
    lines.write_text(f"ok\n{wide}\n", encoding="utf-8")
    trail = tmp_path / "wide-trail.json"
    trail.write_text(json.dumps({"Records": [
        {"eventVersion": "1.08", "eventTime": "2024-01-01T00:00:00Z", "eventName": "A", "errorMessage": wide},
        {"eventVersion": "1.08", "eventTime": "2024-01-01T00:00:01Z", "eventName": "B"},
    ]}, ensure_ascii=False), encoding="utf-8")
    payload = tmp_path / "wide-payload.json"
    payload.write_text(json.dumps({"messageType": "DATA_MESSAGE", "logGroup": "g", "logEvents": [
        {"id": "1", "timestamp": T0, "message": wide}, {"id": "2", "timestamp": T0, "message": "ok"},
    ]}), encoding="utf-8")  # ASCII JSON: the message is long only once decoded
    return {"lines": lines, "cloudtrail": trail, "subscription": payload}


@pytest.mark.parametrize("fmt", ["lines", "cloudtrail", "subscription"])
def test_event_size_limit_counts_utf8_bytes(tmp_path, fmt):
    config = write_config(tmp_path / "all.json", [metric_filter("All", "", "All")])
    doc = run_json(config, _oversize_inputs(tmp_path)[fmt])
    total = doc["summary"]["inputs"]["total"]
    # DECISIONS M6: over 1,048,576 bytes of UTF-8 is rejected, whatever the character count.
    assert (total["read"], total["delivered"], total["rejected"], total["problems"]) == (2, 1, 1, {"oversize": 1})
    assert totals(doc) == {("Test", "All", ()): (1.0, 1)}
    assert_accounting(doc)


def test_cloudtrail_format_forced_on_a_text_file(tmp_path):
    config = write_config(tmp_path / "c.json", [metric_filter("Logins", '{ $.eventName = "ConsoleLogin" }', "Logins")])
    text = tmp_path / "trail.json"
    text.write_text("this is a plain text line, not a CloudTrail log file\n", encoding="utf-8")
    good = tmp_path / "good-trail.json"
    records = [{"eventVersion": "1.08", "eventTime": f"2024-01-01T00:00:0{i}Z", "eventName": n}
               for i, n in enumerate(["ConsoleLogin", "GetObject", "ConsoleLogin"])]
    good.write_text(json.dumps({"Records": records}), encoding="utf-8")
    doc = run_json(config, text, good, "--format", "cloudtrail")
    total = doc["summary"]["inputs"]["total"]
    assert total["problems"] == {"not-json": 1}
    assert (total["read"], total["delivered"]) == (3, 3)
    assert totals(doc) == {("Test", "Logins", ()): (2.0, 2)}
    assert_accounting(doc)


# --------------------------------------------------------------------------- streaming


class Process:
    """A running `cwfilter` whose stdout lines are collected by a thread, read with a timeout."""

    def __init__(self, *args: Any, stdin: int | None = subprocess.PIPE) -> None:
        assert CWFILTER.is_file(), f"console script not installed next to {sys.executable}"
        self.proc = subprocess.Popen(
            [str(CWFILTER), *map(str, args)], stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=_environ(),
        )
        self.lines: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        for raw in self.proc.stdout:
            self.lines.put(raw.decode("utf-8"))
        self.lines.put(None)

    def next_line(self, timeout: float = 15) -> str:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no output line within {timeout} s") from None
        assert line is not None, "stdout ended"
        return line

    def write(self, data: bytes) -> None:
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def finish(self, timeout: float = 30) -> tuple[int, list[str], str]:
        """Wait for the exit; returns (status, the remaining stdout lines, stderr)."""
        try:
            status = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        self._thread.join(timeout=10)
        rest = []
        while (line := self.lines.get(timeout=5)) is not None:
            rest.append(line)
        return status, rest, self.proc.stderr.read().decode("utf-8")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture
def processes():
    started: list[Process] = []
    yield started
    for p in started:  # never leave a child behind, even when an assertion failed
        p.kill()


def _stamp(ms: int) -> bytes:
    return iso_minute(ms - ms % 1000, 1000).encode()


def test_follow_with_a_writer_ten_minutes_behind_counts_every_sample_and_re_emits(tmp_path, processes):
    # The writer's events are stamped ten minutes in the past (a lagging shipper). CloudWatch
    # keeps each in its period; cwfilter --follow emits the period, emits it again with the next
    # Revision when more late samples arrive, and the alarm sees them in its next evaluation.
    alarm = {
        "AlarmName": "errors-in-the-last-13-minutes", "Namespace": "App", "MetricName": "Errors",
        "Statistic": "Sum", "Period": 10, "EvaluationPeriods": 60, "DatapointsToAlarm": 1,
        "Threshold": 4, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching",
    }
    config = tmp_path / "live.json"
    config.write_text(json.dumps({"metricFilters": [metric_filter("Errors", "ERROR", "Errors", namespace="App")],
                                  "MetricAlarms": [alarm]}), encoding="utf-8")
    p = Process("run", str(config), "-", "--follow", "--output", "jsonl", "--lateness", "0")
    processes.append(p)
    now = int(time.time() * 1000)
    lagging = now - 10 * MINUTE
    minute = lagging - lagging % MINUTE
    p.write(b"".join(_stamp(minute + i * 1000) + b" ERROR lagging %d\n" % i for i in range(3)))
    # The period ended long ago: it is emitted at once, and again as each late line arrives
    # (the three lines may be read together or one by one).
    seen = [_next_record(p, lambda r: "MetricName" in r)]
    while seen[-1]["SampleCount"] < 3:
        seen.append(_next_record(p, lambda r: "MetricName" in r))
    assert {r["Timestamp"] for r in seen} == {iso_minute(minute)}
    assert [r["Revision"] for r in seen] == list(range(1, len(seen) + 1))
    p.write(_stamp(minute + 3_000) + b" ERROR one more for the same minute\n")
    again = _next_record(p, lambda r: "MetricName" in r)
    assert (again["Timestamp"], again["SampleCount"], again["Sum"], again["Revision"]) == (
        iso_minute(minute), 4, 4.0, len(seen) + 1)
    # That 10-second period now sums to 4: the next evaluation (every 10 s) moves the alarm to ALARM.
    change = _next_record(p, lambda r: r.get("state", {}).get("value") == "ALARM", timeout=40)
    assert "4.0" in change["state"]["reason"]
    p.proc.stdin.close()
    status, _, stderr = p.finish()
    assert status == 0, stderr
    assert "Errors (any log group): read 4 = matched 4 + unmatched 0 + rejected 0; 4 samples" in stderr
    assert "CWF201" not in stderr and "not counted" not in stderr


def test_run_warns_about_an_alarm_on_a_metric_no_filter_publishes(tmp_path):
    alarm = {
        "AlarmName": "errors", "Namespace": "App", "MetricName": "Errors", "Statistic": "Sum",
        "Period": 60, "EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    }
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"metricFilters": [metric_filter("Errors", "ERROR", "Errors", namespace="Test")],
                                  "MetricAlarms": [alarm]}), encoding="utf-8")
    done = cli("run", config, "-", "--output", "json", stdin=b"2024-01-01T00:00:00Z ERROR\n")
    assert done.returncode == 0, done.stderr
    warning = [line for line in done.stderr.splitlines() if "CWF201" in line]
    assert len(warning) == 1
    assert "App/Errors" in warning[0] and "Test/Errors" in warning[0]
    doc = json.loads(done.stdout)
    assert [a["stateValue"] for a in doc["summary"]["alarms"]] == ["INSUFFICIENT_DATA"]


def _next_record(p: Process, wanted, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        record = json.loads(p.next_line(timeout=max(0.1, deadline - time.monotonic())))
        if wanted(record):
            return record


def test_stdin_without_follow_is_a_batch_input(tmp_path, processes):
    config = write_config(tmp_path / "s.json", [metric_filter("Errors", "ERROR", "Errors")])
    p = Process("run", config, "--output", "jsonl")
    processes.append(p)
    p.write(b"2024-01-01T00:10:00Z ERROR third\n2024-01-01T00:00:05Z ERROR first\n2024-01-01T00:00:35Z INFO quiet\n")
    time.sleep(1.0)
    assert p.lines.empty(), "a batch run writes its periods at the end of input"
    p.write(b"2024-01-01T00:00:50Z ERROR second, ten minutes behind\n")
    p.proc.stdin.close()
    status, rest, stderr = p.finish()
    assert status == 0, stderr
    assert [(d["Timestamp"], d["SampleCount"]) for d in map(json.loads, rest)] == [
        ("2024-01-01T00:00:00Z", 2), ("2024-01-01T00:10:00Z", 1)]
    assert "read 4 events" in stderr
    assert "matched 3 + unmatched 1 + rejected 0" in stderr


def test_follow_a_file_through_truncation_until_sigint(tmp_path, processes):
    config = write_config(tmp_path / "f.json", [metric_filter("Errors", "ERROR", "Errors")])
    log = tmp_path / "app.log"
    log.write_bytes(b"INFO starting\n")
    # Lines carry no time: they are stamped when read; one-second periods and no lateness let the
    # wall clock close each period about a second later (DECISIONS A1, follow mode).
    p = Process("run", config, f"{log}", "--follow", "--output", "jsonl", "--period", "1", "--lateness", "0",
                stdin=subprocess.DEVNULL)
    processes.append(p)

    with log.open("ab") as f:
        f.write(b"ERROR one\nERROR two\n")
    seen = [json.loads(p.next_line())]
    while sum(d["SampleCount"] for d in seen) < 2:
        seen.append(json.loads(p.next_line()))
    assert sum(d["Sum"] for d in seen) == 2.0

    log.write_bytes(b"")  # truncated in place, as `> app.log` does
    time.sleep(1.0)
    # Shorter than what was read before the truncation, so the follower sees the file shrank
    # even if it only looks after this write.
    with log.open("ab") as f:
        f.write(b"ERROR three\n")
    after = json.loads(p.next_line())
    assert (after["MetricName"], after["SampleCount"]) == ("Errors", 1)

    p.proc.send_signal(signal.SIGINT)
    status, rest, stderr = p.finish()
    assert status == 130
    assert all(json.loads(line)["MetricName"] == "Errors" for line in rest)
    assert "read 4 events from 1 input" in stderr
    assert "Errors (any log group): read 4 = matched 3 + unmatched 1 + rejected 0" in stderr


def test_follow_a_rotated_file(tmp_path, processes):
    config = write_config(tmp_path / "f.json", [metric_filter("Errors", "ERROR", "Errors")])
    log = tmp_path / "app.log"
    log.write_bytes(b"ERROR before\n")
    p = Process("run", config, f"{log}", "--follow", "--output", "jsonl", "--period", "1", "--lateness", "0",
                stdin=subprocess.DEVNULL)
    processes.append(p)
    assert json.loads(p.next_line())["SampleCount"] == 1

    log.rename(tmp_path / "app.log.1")  # rotated away; a new file takes the name
    log.write_bytes(b"ERROR after 1\nERROR after 2\n")
    seen = [json.loads(p.next_line())]
    while sum(d["SampleCount"] for d in seen) < 2:
        seen.append(json.loads(p.next_line()))

    p.proc.send_signal(signal.SIGINT)
    status, _, stderr = p.finish()
    assert status == 130
    assert "Errors (any log group): read 3 = matched 3 + unmatched 0 + rejected 0" in stderr


# --------------------------------------------------------------------------- metric transformations


def _lines_at(*stamped: tuple[int, str]) -> bytes:
    """Log lines that start with their ISO-8601 time: (epoch ms, text)."""
    return "".join(f"{iso_minute(ms, 1000)} {text}\n" for ms, text in stamped).encode()


DEFAULT_VALUE_EVENTS = _lines_at(
    (T0 + 5_000, "ERROR a"), (T0 + 10_000, "INFO b"),  # minute 0: one match
    (T0 + 60_000, "INFO c"), (T0 + 90_000, "INFO d"),  # minute 1: events, no match
    # minute 2: no events at all
    (T0 + 195_000, "INFO e"),  # minute 3: one event, no match
)


def test_default_value_once_per_quiet_minute(tmp_path):
    config = write_config(tmp_path / "d.json", [metric_filter("Errors", "ERROR", "Errors", "10", defaultValue=2)])
    doc = run_json(config, "-", stdin=DEFAULT_VALUE_EVENTS)
    series = ("Test", "Errors", ())
    # DECISIONS M2: one defaultValue per minute with events and no match; none for minute 2.
    assert per_period(doc) == {
        (series, "2024-01-01T00:00:00Z"): (10.0, 1),
        (series, "2024-01-01T00:01:00Z"): (2.0, 1),
        (series, "2024-01-01T00:03:00Z"): (2.0, 1),
    }
    f = filter_summary(doc, "Errors")
    assert (f["matched"], f["unmatched"], f["samples"], f["defaultSamples"]) == (1, 4, 1, 2)


def test_default_value_once_per_unmatched_event(tmp_path):
    config = write_config(tmp_path / "d.json", [metric_filter("Errors", "ERROR", "Errors", "10", defaultValue=2)])
    doc = run_json(config, "-", "--default-value-mode", "event", stdin=DEFAULT_VALUE_EVENTS)
    series = ("Test", "Errors", ())
    assert per_period(doc) == {
        (series, "2024-01-01T00:00:00Z"): (12.0, 2),
        (series, "2024-01-01T00:01:00Z"): (4.0, 2),
        (series, "2024-01-01T00:03:00Z"): (2.0, 1),
    }
    assert filter_summary(doc, "Errors")["defaultSamples"] == 4


def test_dimensions_unit_and_a_missing_dimension(tmp_path):
    config = write_config(tmp_path / "dim.json", [metric_filter(
        "Latency", "{ $.latency > 0 }", "Latency", "$.latency", namespace="App",
        dimensions={"Service": "$.svc"}, unit="Milliseconds",
    )])
    events = [
        {"timestamp": T0 + 1000, "svc": "a", "latency": 10},
        {"timestamp": T0 + 2000, "svc": "b", "latency": 20},
        {"timestamp": T0 + 3000, "svc": "a", "latency": 30},
        {"timestamp": T0 + 4000, "latency": 40},  # DECISIONS M4: no Service, no sample
    ]
    doc = run_json(config, "-", stdin=_jsonl(events))
    assert totals(doc) == {
        ("App", "Latency", (("Service", "a"),)): (40.0, 2),
        ("App", "Latency", (("Service", "b"),)): (20.0, 1),
    }
    assert {p["Unit"] for m in doc["metrics"] for p in m["Datapoints"]} == {"Milliseconds"}
    f = filter_summary(doc, "Latency")
    assert (f["matched"], f["samples"], f["dimensionMissing"]) == (4, 3, 1)


def test_metric_value_not_numeric_is_counted(tmp_path):
    config = write_config(tmp_path / "v.json", [
        metric_filter("Values", '{ $.kind = "m" }', "Values", "$.v", namespace="App"),
    ])
    events = [
        {"timestamp": T0 + 1000, "kind": "m", "v": 5},
        {"timestamp": T0 + 2000, "kind": "m", "v": "42"},  # DECISIONS M3: a numeric string counts
        {"timestamp": T0 + 3000, "kind": "m", "v": "abc"},
        {"timestamp": T0 + 4000, "kind": "m", "v": None},
        {"timestamp": T0 + 5000, "kind": "m", "v": True},
        {"timestamp": T0 + 6000, "kind": "m"},
        {"timestamp": T0 + 7000, "kind": "other", "v": 1000},
    ]
    doc = run_json(config, "-", stdin=_jsonl(events))
    assert totals(doc) == {("App", "Values", ()): (47.0, 2)}
    f = filter_summary(doc, "Values")
    assert (f["matched"], f["unmatched"], f["samples"], f["valueNotNumeric"]) == (6, 1, 2, 4)


def _system_dimension_config(tmp_path: Path) -> Path:
    mf = metric_filter("Hits", '{ $.svc = * }', "Hits", namespace="App", dimensions={"Service": "$.svc"})
    mf["emitSystemFieldDimensions"] = ["@aws.account", "@aws.region"]
    return write_config(tmp_path / "sys.json", [mf])


def test_system_field_dimensions_take_account_and_region(tmp_path):
    events = [{"timestamp": T0 + 1000, "svc": "a"}, {"timestamp": T0 + 2000, "svc": "a"}]
    doc = run_json(_system_dimension_config(tmp_path), "-", "--account", "123456789012", "--region", "eu-west-1",
                   stdin=_jsonl(events))
    assert totals(doc) == {
        ("App", "Hits", (("@aws.account", "123456789012"), ("@aws.region", "eu-west-1"), ("Service", "a"))): (2.0, 2)
    }


def test_system_field_dimensions_without_account_is_an_error(tmp_path):
    done = cli("run", _system_dimension_config(tmp_path), "-", "--region", "eu-west-1", "--output", "json",
               stdin=_jsonl([{"timestamp": T0, "svc": "a"}]))
    assert done.returncode == 2
    assert "--account" in done.stderr


def _validate_emf(doc: dict) -> None:
    """The Embedded Metric Format specification's rules for one document."""
    meta = doc["_aws"]
    assert isinstance(meta["Timestamp"], int)
    assert isinstance(meta["CloudWatchMetrics"], list) and meta["CloudWatchMetrics"]
    for directive in meta["CloudWatchMetrics"]:
        assert isinstance(directive["Namespace"], str) and directive["Namespace"]
        assert isinstance(directive["Dimensions"], list)
        for dimension_set in directive["Dimensions"]:
            assert len(dimension_set) <= 30
            for name in dimension_set:
                assert isinstance(doc[name], str), f"dimension {name} is not a top-level string member"
        assert 1 <= len(directive["Metrics"]) <= 100
        for metric in directive["Metrics"]:
            value = doc[metric["Name"]]
            values = value if isinstance(value, list) else [value]
            assert 1 <= len(values) <= 100
            assert all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def test_emf_output(tmp_path):
    config = write_config(tmp_path / "emf.json", [metric_filter(
        "Latency", "{ $.latency >= 0 }", "Latency", "$.latency", namespace="App",
        dimensions={"Service": "$.svc"}, unit="Milliseconds",
    )])
    events = [{"timestamp": T0 + 100 * i, "svc": "big", "latency": i} for i in range(150)]
    events.append({"timestamp": T0 + 61_000, "svc": "small", "latency": 7.5})
    done = cli("run", config, "-", "--output", "emf", stdin=_jsonl(events))
    assert done.returncode == 0, done.stderr
    docs = [json.loads(line) for line in done.stdout.splitlines()]
    for doc in docs:
        _validate_emf(doc)
        [directive] = doc["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "App"
        assert directive["Dimensions"] == [["Service"]]
        assert directive["Metrics"] == [{"Name": "Latency", "Unit": "Milliseconds"}]
    values: dict[tuple[str, int], list[float]] = defaultdict(list)
    for doc in docs:
        values[(doc["Service"], doc["_aws"]["Timestamp"])].extend(doc["Latency"])
    assert {k: sorted(v) for k, v in values.items()} == {
        ("big", T0): [float(i) for i in range(150)],  # 150 values: split over two documents
        ("small", T0 + MINUTE): [7.5],
    }
    assert len(docs) == 3


# --------------------------------------------------------------------------- log groups


def _two_group_config(tmp_path: Path) -> Path:
    return write_config(tmp_path / "groups.json", [
        metric_filter("A", "ERROR", "A", group="app-a"),
        metric_filter("B", "ERROR", "B", group="app-b"),
        metric_filter("Any", "ERROR", "Any"),
    ])


def _errors_log(tmp_path: Path, name: str, n: int) -> Path:
    path = tmp_path / name
    path.write_text("".join(f"2024-01-01T00:00:{i:02d}Z ERROR {i}\n" for i in range(n)), encoding="utf-8")
    return path


def test_inputs_bound_to_log_groups(tmp_path):
    config = _two_group_config(tmp_path)
    first, second = _errors_log(tmp_path, "first.log", 3), _errors_log(tmp_path, "second.log", 5)
    doc = run_json(config, f"{first}@app-a", f"{second}@app-b")
    assert totals(doc) == {("Test", "A", ()): (3.0, 3), ("Test", "B", ()): (5.0, 5), ("Test", "Any", ()): (8.0, 8)}
    assert (filter_summary(doc, "A")["read"], filter_summary(doc, "B")["read"]) == (3, 5)

    doc = run_json(config, "--log-group", "app-b", first)
    assert totals(doc) == {("Test", "B", ()): (3.0, 3), ("Test", "Any", ()): (3.0, 3)}
    assert filter_summary(doc, "A")["read"] == 0


def test_unbound_input_with_several_log_groups_is_an_error(tmp_path):
    config = _two_group_config(tmp_path)
    log = _errors_log(tmp_path, "app.log", 2)
    done = cli("run", config, log, "--output", "json")
    assert done.returncode == 2
    assert str(log) in done.stderr
    assert "app-a" in done.stderr and "app-b" in done.stderr
    assert "--log-group" in done.stderr


def test_unbound_input_goes_to_the_only_log_group(tmp_path):
    config = write_config(tmp_path / "one.json", [metric_filter("Solo", "ERROR", "Solo", group="solo")])
    doc = run_json(config, _errors_log(tmp_path, "app.log", 4))
    assert totals(doc) == {("Test", "Solo", ()): (4.0, 4)}


# --------------------------------------------------------------------------- check


def test_check_valid_config(tmp_path):
    config = _two_group_config(tmp_path)
    done = cli("check", config)
    assert done.returncode == 0, done.stdout + done.stderr
    assert str(config) in done.stderr and "valid" in done.stderr


def test_check_invalid_config_names_file_and_path(tmp_path):
    config = write_config(tmp_path / "bad.json", [
        metric_filter("Good", "ERROR", "Good"),
        metric_filter("BadPattern", "{ $.a = }", "Bad"),
        metric_filter("BadMetric", "ERROR", "Bad*Name"),
    ])
    done = cli("check", config)
    assert done.returncode == 2
    lines = done.stdout.splitlines()
    assert any(str(config) in line and "metricFilters[1].filterPattern" in line for line in lines), done.stdout
    assert any(str(config) in line and "metricFilters[2].metricTransformations[0].metricName" in line
               for line in lines), done.stdout

    done = cli("check", config, "--output", "json")
    assert done.returncode == 2
    issues = json.loads(done.stdout)
    paths = {i["path"] for i in issues if i["severity"] == "error"}
    assert {"metricFilters[1].filterPattern", "metricFilters[2].metricTransformations[0].metricName"} <= paths
    assert all(i["file"] == str(config) for i in issues)
    # And `run` refuses the same file with the same exit status.
    assert cli("run", config, "-", "--output", "json").returncode == 2


def test_check_reports_the_service_text_for_dimension_conflicts(tmp_path):
    with_default = metric_filter("WithDefault", "{ $.x = 1 }", "A", defaultValue=0, dimensions={"X": "$.x"})
    terms = metric_filter("Terms", "ERROR", "B", dimensions={"X": "$.x"})
    config = write_config(tmp_path / "m5.json", [with_default, terms])
    done = cli("check", config, "--output", "json")
    assert done.returncode == 2
    issues = {i["path"]: i["message"] for i in json.loads(done.stdout)}
    # DECISIONS M5, in the service's words.
    assert issues["metricFilters[0].metricTransformations[0].dimensions"] == (
        "Invalid metric transformation: dimensions and default value are mutually exclusive properties")
    assert issues["metricFilters[1].metricTransformations[0].dimensions"] == (
        "The specified filter pattern does not support dimensions")


# --------------------------------------------------------------------------- describe-metric-filters as config


@pytest.mark.parametrize("fixture", ["describe-metric-filters.json", "describe-metric-filters.yaml"])
def test_describe_metric_filters_output_runs_unchanged(tmp_path, fixture):
    config = FIXTURES / "config" / fixture
    described = json.loads((FIXTURES / "config" / "describe-metric-filters.json").read_text(encoding="utf-8"))
    groups = {mf["filterName"]: mf["logGroupName"] for mf in described["metricFilters"]}

    # CloudTrail: the docs' example records that carry a time, as one log file.
    records = [json.loads(line)["event"] for line in
               (CORPUS / "cloudtrail" / "aws-docs-cloudtrail-examples.jsonl").read_text(encoding="utf-8").splitlines()
               if line.strip()]
    records = [r for r in records if isinstance(r.get("eventTime"), str)]
    trail = tmp_path / "trail.json"
    trail.write_text(json.dumps({"Records": records}), encoding="utf-8")
    # Lambda: JSON lines in two minutes.
    lambda_events = [
        {"timestamp": T0 + 1000, "latency": 12, "requestType": "GET"},
        {"timestamp": T0 + 2000, "latency": 30, "requestType": "GET"},
        {"timestamp": T0 + 3000, "latency": 5, "requestType": "POST"},
        {"timestamp": T0 + 4000, "requestType": "GET", "error": "java.lang.NullPointerException"},
        {"timestamp": T0 + 61_000, "latency": None, "requestType": "GET"},
        {"timestamp": T0 + 62_000, "latency": 7, "requestType": "GET"},
    ]
    lambda_log = tmp_path / "lambda.jsonl"
    lambda_log.write_bytes(_jsonl(lambda_events))

    doc = run_json(
        config,
        f"{trail}@{groups['ConsoleSignInWithoutMfa']}",
        f"{APACHE_DOCS}@{groups['HTTP404Errors']}",
        f"{lambda_log}@{groups['LambdaLatency']}",
        "--region", "us-east-1", "--lateness", NO_LATENESS_LIMIT,
    )

    expected: dict = defaultdict(lambda: [0.0, 0])

    def add(series: SeriesKey, ms: int, value: float) -> None:
        expected[(series, iso_minute(ms))][0] += value
        expected[(series, iso_minute(ms))][1] += 1

    def with_defaults(series: SeriesKey, events: list[tuple[int, bool]], default: float) -> None:
        """Samples of 1 per match; DECISIONS M2: one `default` per minute with events and no match."""
        minutes: dict[int, int] = defaultdict(int)
        for ms, hit in events:
            minutes[ms - ms % MINUTE] += hit
        for minute, hits in minutes.items():
            for _ in range(hits):
                add(series, minute, 1.0)
            if not hits:
                add(series, minute, default)

    def cloudtrail_ms(record: dict) -> int:
        return int(dt.datetime.fromisoformat(record["eventTime"].replace("Z", "+00:00")).timestamp() * 1000)

    with_defaults(("CISBenchmark", "ConsoleSignInWithoutMfaCount", ()),
                  [(cloudtrail_ms(r), SECURITY_HUB["CloudWatch.3"](r)) for r in records], 0.0)

    for line in APACHE_DOCS.read_text(encoding="utf-8").splitlines():
        fields = split_fields(line)
        assert len(fields) == 7
        ms = _apache_time_ms(fields[3])
        if fields[5] == "404":
            add(("MyNamespace", "ApacheNotFoundErrorCount", (("Server", fields[0]),)), ms, 1.0)
        add(("MyNamespace", "BytesTransferred", ()), ms, float(fields[6]))  # every 7-field line matches

    for ev in lambda_events:
        latency = ev.get("latency", MISSING)
        # `= *` holds for any present value but null (DECISIONS P8).
        if latency is not MISSING and latency is not None and ev["requestType"] == "GET":
            add(("MyApp/Lambda", "Latency", (("@aws.region", "us-east-1"), ("RequestType", "GET"))),
                ev["timestamp"], float(latency))
    line_of = {ev["timestamp"]: json.dumps(ev) for ev in lambda_events}
    with_defaults(("MyApp", "ErrorCount", ()),
                  [(ms, "ERROR" in text or "Exception" in text) for ms, text in line_of.items()], 0.0)

    assert per_period(doc) == {k: (s, c) for k, (s, c) in expected.items()}
    units = {m["MetricName"]: {p["Unit"] for p in m["Datapoints"]} for m in doc["metrics"]}
    assert units["ApacheNotFoundErrorCount"] == {"Count"}
    assert units["BytesTransferred"] == {"Bytes"}
    assert units["Latency"] == {"Milliseconds"}
    assert_accounting(doc)


# --------------------------------------------------------------------------- accounting by log group


def test_missing_input_fails_the_run_but_the_others_are_read(tmp_path):
    config = write_config(tmp_path / "m.json", [metric_filter("Errors", "ERROR", "Errors")])
    good = _errors_log(tmp_path, "good.log", 3)
    done = cli("run", config, tmp_path / "nope.log", good, "--output", "json")
    assert done.returncode == 2
    doc = json.loads(done.stdout)
    assert doc["summary"]["inputs"]["total"]["problems"] == {"missing": 1}
    assert totals(doc) == {("Test", "Errors", ()): (3.0, 3)}


def test_rejected_events_count_for_the_log_group_their_payload_names(tmp_path):
    config = write_config(tmp_path / "g.json", [
        metric_filter("One", "ERROR", "One", group="g1"),
        metric_filter("Two", "ERROR", "Two", group="g2"),
    ])
    payload = {
        "messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "g1", "logStream": "s",
        "subscriptionFilters": ["f"],
        "logEvents": [
            {"id": "1", "timestamp": T0, "message": "ERROR a"},
            {"id": "2", "timestamp": T0 + 1000, "message": 42},  # not a string: rejected
            {"id": "3", "timestamp": T0 + 2000, "message": "INFO b"},
        ],
    }
    path = tmp_path / "payload.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    doc = run_json(config, path)
    total = doc["summary"]["inputs"]["total"]
    assert (total["read"], total["delivered"], total["rejected"]) == (3, 2, 1)
    one = filter_summary(doc, "One")
    assert (one["read"], one["matched"], one["unmatched"], one["rejected"]) == (3, 1, 1, 1)
    assert filter_summary(doc, "Two")["read"] == 0
