"""Ruling out CloudTrail records from the decoded record, against the full path it lets a batch
`cwfilter run` skip: a record the engine's index rules out for every filter of its log group, that
carries its own stamp and fits the event-size limit, is only counted; every other record takes the
full path unchanged. A run with the record sieve must be the run without it: the same datapoints,
summary, accounting and problems.

Generated archives mix real CloudTrail records (the corpus) with what the full path treats
specially: records without a stamp or with an unreadable one (they take the stamp of the record
before them, or wait for the first one), records that are not objects, records at the event-size
limit (compact JSON of 262,143 to 262,145 bytes, some of it non-ASCII), files cut short (salvaged
record by record), files without a Records array, gzip or not, several files.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from cwfilter.engine.config.native import load_config
from cwfilter.engine.inputs.readers import InputStats, RuledOut, read_events
from cwfilter.engine.inputs.records import MAX_EVENT_BYTES
from cwfilter.engine.metrics.pipeline import Engine
from cwfilter.engine.metrics.runner import RunResult, run, run_summary
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

DATA = Path(__file__).resolve().parent / "data"
CORPUS = DATA / "corpus" / "cloudtrail"
# Real records: the test cases of panther-analysis (under "log"), AWS's documented examples (under
# "event") and a Mordor capture (Elasticsearch documents, without eventTime: they take the stamp
# of the record before them).
RECORDS = [rec for name, key in (("panther-analysis-cloudtrail-rule-tests.jsonl", "log"),
                                 ("aws-docs-cloudtrail-examples.jsonl", "event"),
                                 ("otrf-ec2_proxy_s3_exfiltration_2020-09-14011940.jsonl", None))
           for line in (CORPUS / name).read_text(encoding="utf-8").splitlines() if line.strip()
           for rec in [json.loads(line) if key is None else json.loads(line).get(key)] if isinstance(rec, dict)]


def _config(tmp: Path) -> Path:
    """The 14 Security Hub filters on log group `trail`, two with a defaultValue."""
    entries = json.loads((DATA / "conformance" / "cis-patterns.json").read_text(encoding="utf-8"))
    filters = []
    for k, e in enumerate(e for e in entries if e["id"].startswith("securityhub:")):
        transformation = {"metricName": e["control"].replace(".", ""), "metricNamespace": "SH", "metricValue": "1"}
        if k < 2:
            transformation["defaultValue"] = 0
        filters.append({"filterName": e["id"].replace(":", "-"), "logGroupName": "trail",
                        "filterPattern": e["pattern"], "metricTransformations": [transformation]})
    path = tmp / "securityhub.json"
    path.write_text(json.dumps({"metricFilters": filters}))
    return path


class Unsieved(Engine):
    """The engine with every event fed one by one (the path the sieves bypass)."""

    def sieve(self, log_group, extra=(), **kinds):
        return None


def _sized(record: dict, size: int, filler: str) -> dict:
    """`record` with a member padded so that its compact JSON is `size` bytes of UTF-8."""
    out = dict(record, padding="")
    base = len(json.dumps(out, separators=(",", ":"), ensure_ascii=False).encode())
    unit = len(filler.encode())
    n, rest = divmod(size - base, unit)
    out["padding"] = filler * n + "x" * rest
    return out


@st.composite
def records(draw) -> object:
    base = dict(draw(st.sampled_from(RECORDS)))
    how = draw(st.sampled_from(["as is"] * 8 + ["no stamp", "bad stamp", "offset stamp", "not an object",
                                                "at the limit", "non-ASCII"]))
    if how == "no stamp":
        base.pop("eventTime", None)
    elif how == "bad stamp":
        base["eventTime"] = draw(st.sampled_from(["", "yesterday", 1704067200, None, "2024-13-01T00:00:00Z"]))
    elif how == "offset stamp":
        base["eventTime"] = "2024-01-01T01:00:00+01:00"
    elif how == "not an object":
        return draw(st.sampled_from(["a string", 7, None, [base], True]))
    elif how == "at the limit":
        return _sized(base, MAX_EVENT_BYTES + draw(st.sampled_from([-1, 0, 1])), draw(st.sampled_from(["a", "é"])))
    elif how == "non-ASCII":
        base["userAgent"] = "Dél 😀 \u2028"
    return base


@st.composite
def archives(draw) -> list[tuple[str, bytes]]:
    """Files of an archive: (name, bytes)."""
    files = []
    for k in range(draw(st.integers(1, 4))):
        recs = draw(st.lists(records(), max_size=12))
        body = json.dumps({"Records": recs}, ensure_ascii=draw(st.booleans())).encode()
        shape = draw(st.sampled_from(["whole"] * 6 + ["cut", "no records", "array of files"]))
        if shape == "cut":
            body = body[: draw(st.integers(1, max(1, len(body) - 1)))]
        elif shape == "no records":
            body = b'{"Events": []}'
        elif shape == "array of files":
            body = json.dumps([{"Records": recs}, {"Records": recs[:1]}]).encode()
        if draw(st.booleans()):
            files.append((f"f{k}.json.gz", gzip.compress(body, mtime=0)))
        else:
            files.append((f"f{k}.json", body))
    return files


def _run(engine: Engine, paths: list[Path]) -> tuple[list, dict, dict]:
    result = RunResult()
    points = list(run(engine, [f"{p}@trail" for p in paths], result=result))
    return points, run_summary(engine, result), result.stats.as_dict()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow,
                                                                  HealthCheck.data_too_large])
@given(archives())
def test_a_run_with_the_record_sieve_is_the_run_without(tmp_path, files):
    config = _config(tmp_path)
    paths = []
    for name, data in files:
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(path)
    sieved = _run(Engine(load_config([config]), lateness=10**9), paths)
    plain = _run(Unsieved(load_config([config]), lateness=10**9), paths)
    assert sieved[0] == plain[0]  # datapoints, default-value samples included
    assert sieved[1] == plain[1]  # the summary: filters' counters, minutes seen, inputs, problems
    assert sieved[2] == plain[2]


def test_ruled_out_records_come_together_and_are_accounted(tmp_path):
    """The corpus envelopes: records no filter can match come as `RuledOut` batches, the others
    as events, and every record is accounted for."""
    engine = Engine(load_config([_config(tmp_path)]))
    path = tmp_path / "day.json.gz"
    stamped = [r for r in RECORDS if isinstance(r.get("eventTime"), str)]
    path.write_bytes(gzip.compress(json.dumps({"Records": stamped}).encode()))
    stats = InputStats()
    items = list(read_events(f"{path}@trail", fmt="auto", stats=stats, sieve=engine.sieve))
    ruled = [t for item in items if type(item) is RuledOut for t in item.timestamps]
    events = [item for item in items if type(item) is not RuledOut]
    assert ruled and events  # both paths taken
    assert len(ruled) + len(events) == len(stamped) == stats.total.delivered
    route = engine.route("trail")
    # On the full path: the records a filter may match, and those whose eventTime is not a time.
    assert all(route.index.candidates_doc(ev.doc) or ev.timestamp_origin != "event" for ev in events)


def test_records_before_the_first_stamp_take_it_from_a_ruled_out_record(tmp_path):
    """A record without a stamp waits for the input's first stamp (DECISIONS M1: it takes the
    next one). When that stamp is a ruled-out record's, the waiting record takes it, not the
    stamp of a record the full path delivers later."""
    config = _config(tmp_path)
    path = tmp_path / "f.json"
    path.write_text(json.dumps({"Records": [
        {"eventName": "DeleteTrail", "eventSource": "cloudtrail.amazonaws.com"},  # matches, no stamp
        {"eventName": "DescribeInstances", "eventTime": "2024-01-01T00:00:00Z"},  # ruled out
        {"eventName": "StopLogging", "eventTime": "2024-01-01T00:05:00Z"},  # matches
    ]}))
    sieved = _run(Engine(load_config([config]), lateness=10**9), [path])
    plain = _run(Unsieved(load_config([config]), lateness=10**9), [path])
    assert sieved == plain
    times = sorted(dp.timestamp_ms for dp in plain[0] if dp.statistic("Sum"))
    assert times == [1_704_067_200_000, 1_704_067_500_000]  # the first record took 00:00, not 00:05
