"""The sieve (a partial decode of JSON lines by msgspec) against the full path it lets `cwfilter run`
skip: a line it rules out must be one the full path delivers, stamps the same way and matches with
no filter; every other line takes the full path unchanged.

Generated lines mix CloudTrail-like records with the JSON the full path treats specially: invalid
JSON, duplicate members, NaN and Infinity, lone surrogates, big integers, bad escapes, control
characters, invalid UTF-8, a BOM, CRLF, wrong shapes on the anchor paths, deep nesting.
"""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import stringzilla
from cwfilter.engine.config.native import load_config
from cwfilter.engine.inputs.decoding import _loads
from cwfilter.engine.inputs.lines import _line_blocks, _SieveStamps, _split_lines
from cwfilter.engine.inputs.readers import InputStats, RuledOut, read_events
from cwfilter.engine.inputs.records import MAX_EVENT_BYTES
from cwfilter.engine.inputs.timestamps import JSONL_TIMESTAMP_FIELDS, _jsonl_ms
from cwfilter.engine.metrics.pipeline import Engine
from cwfilter.engine.metrics.runner import RunResult, run, run_summary
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

DATA = Path(__file__).resolve().parent / "data"


def _security_hub(tmp: Path) -> Path:
    entries = json.loads((DATA / "conformance" / "cis-patterns.json").read_text(encoding="utf-8"))
    config = {"metricFilters": [
        {"filterName": e["id"].replace(":", "-"), "logGroupName": "trail", "filterPattern": e["pattern"],
         "metricTransformations": [{"metricName": e["control"].replace(".", ""), "metricNamespace": "SH",
                                    "metricValue": "1"}]}
        for e in entries if e["id"].startswith("securityhub:")
    ]}
    path = tmp / "securityhub.json"
    path.write_text(json.dumps(config))
    return path


class Unsieved(Engine):
    """The engine with every event fed one by one (the path the sieve bypasses)."""

    def sieve(self, log_group, extra=(), **kw):
        return None


KEYS = ["eventName", "eventSource", "errorCode", "userIdentity", "type", "invokedBy", "eventType",
        "eventTime", "timestamp", "@timestamp", "time", "additionalEventData", "MFAUsed",
        "responseElements", "ConsoleLogin", "errorMessage", "x"]
VALUES = ["DeleteTrail", "ConsoleLogin", "Root", "IAMUser", "AccessDeniedException", "Client.UnauthorizedOperation",
          "kms.amazonaws.com", "s3.amazonaws.com", "PutBucketAcl", "DisableKey", "DescribeInstances", "Success",
          "Yes", "Failed authentication", "AwsServiceEvent", "2024-01-01T00:00:00Z", "2024-01-01T00:00:07.123Z",
          "2024-01-01T00:01:00+01:00", "1704067200", " 1704067260123 ", "not a time", "Dél", ""]

scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(VALUES) | st.text(max_size=4))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.sampled_from(KEYS), inner, max_size=4), max_leaves=10)
records = st.dictionaries(st.sampled_from(KEYS), values, max_size=8)
INSERTS = ['"', "\\", "{", "}", "[", "]", ",", ":", "\t", "\x00", " ", "é", "x", "\\q", "\\ud800", "NaN", "1e999"]


@st.composite
def lines(draw) -> bytes:
    """One JSON line as a writer might produce it, sometimes damaged or unusual."""
    obj = draw(records | values)
    text = json.dumps(obj, ensure_ascii=draw(st.booleans()), allow_nan=True,
                      separators=draw(st.sampled_from([(",", ":"), (", ", ": ")])))
    how = draw(st.sampled_from(["as is"] * 6 + ["insert", "cut", "duplicate", "surrogate", "deep", "bom",
                                                "crlf", "latin1", "blank", "spaces"]))
    if how == "insert":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(INSERTS)) + text[at:]
    elif how == "cut":
        text = text[: draw(st.integers(0, max(0, len(text) - 1)))]
    elif how == "duplicate" and text.endswith("}") and len(text) > 2:
        key = draw(st.sampled_from(KEYS))
        dup = json.dumps(draw(values), allow_nan=True)
        text = text[:-1] + f',"{key}":{dup}' + "}"
    elif how == "surrogate" and text.endswith("}") and len(text) > 2:
        text = text[:-1] + f',"{draw(st.sampled_from(KEYS))}":"\\ud83d"' + "}"
    elif how == "deep" and text.endswith("}") and len(text) > 2:
        depth = draw(st.sampled_from([10, 600, 990, 1000, 1030, 2000]))
        text = text[:-1] + ',"x":' + "[" * depth + "]" * depth + "}"
    elif how == "blank":
        text = ""
    elif how == "spaces":
        text = "  " + text + " "
    raw = text.encode("utf-8", "surrogatepass")
    if how == "bom":
        raw = b"\xef\xbb\xbf" + raw
    elif how == "crlf":
        raw += b"\r"
    elif how == "latin1":
        raw = raw.replace(b"\xc3\xa9", b"\xe9") + b"\xff"  # invalid UTF-8
    return raw


ROUTINE = b'{"eventVersion":"1.08","eventTime":"2024-01-01T00:00:00Z","eventName":"DescribeInstances","x":1}'


def _engine(path: Path, cls=Engine) -> Engine:
    return cls(load_config([path]), lateness=10**9)


def _run(engine: Engine, trail: Path) -> tuple[list, dict, InputStats]:
    result = RunResult()
    points = list(run(engine, [f"{trail}@trail"], result=result))
    summary = run_summary(engine, result)
    return points, summary, result.stats


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(lines() | st.just(ROUTINE), min_size=1, max_size=25), st.booleans())
@example([b"\xef\xbb\xbf" + ROUTINE, ROUTINE, b"", ROUTINE + b"\r", b'{"eventTime":"2024-01-01T00:00:00Z",'], True)
@example([b'{"userIdentity":null,"eventTime":"2024-01-01T00:00:00Z"}',
          b'{"eventTime":"2024-01-01T00:00:00Z","eventName":"DescribeInstances","eventName":"DeleteTrail"}',
          b'{"eventTime":"2024-01-01T00:00:00Z","x":"\\ud800"}', b'{"eventTime":"2024-01-01T00:00:00Z","x":NaN}',
          b'{"eventTime":"2024-01-01T00:00:00Z","x":"\xff"}', b'{"time":1e999,"eventTime":"2024-01-01T00:00:00Z"}',
          b'{"eventTime":"2024-01-01T00:00:00Z","x":12345678901234567890123}'], False)
@example([ROUTINE + b" " + ROUTINE, ROUTINE, b'{"eventTime":"2024-01-01T00:00:00Z",', b'"eventName":"DeleteTrail"}',
          ROUTINE + b"\t", ROUTINE], True)  # two values on a line, one value over two lines
def test_a_run_with_the_sieve_is_the_run_without(tmp_path, batch, final_newline):
    config = _security_hub(tmp_path)
    trail = tmp_path / "trail.jsonl"
    trail.write_bytes(b"\n".join(batch) + (b"\n" if final_newline else b""))
    sieved = _run(_engine(config), trail)
    plain = _run(_engine(config, Unsieved), trail)
    assert sieved[0] == plain[0]  # datapoints
    assert sieved[1] == plain[1]  # the summary: filters' counters, inputs, problems, losses
    assert sieved[2].as_dict() == plain[2].as_dict()


def _sieve_and_index(tmp: Path):
    engine = _engine(_security_hub(tmp))
    route = engine.route("trail")
    return engine.sieve("trail", JSONL_TIMESTAMP_FIELDS), route.index


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines())
def test_partial_decode_decides_as_the_full_decode(tmp_path, raw):
    """Where msgspec decodes an ASCII line into the sieve's struct, the full path decodes it too,
    to an object whose anchors and stamp the struct holds: ruled out exactly when the index on the
    full decode finds no candidate."""
    sieve, index = _sieve_and_index(tmp_path)
    assert sieve is not None
    if not raw.isascii():
        return  # the reader gives the sieve ASCII lines only
    try:
        obj = sieve.decode(raw)
    except Exception:
        return  # left to the full path
    doc = _loads(raw.decode())  # must not raise: the full path accepts what the sieve decoded
    assert type(doc) is dict
    assert sieve.ruled_out(obj) == (not index.candidates_doc(doc))
    ms = _SieveStamps(sieve.UNSET)(sieve.extra_values(obj))
    if ms is not None:  # else the line takes the full path
        assert ms == _jsonl_ms(doc)


def test_ruled_out_events_come_together_and_are_accounted(tmp_path):
    """On a trail of routine calls the reader yields `RuledOut` items, and every line is counted."""
    engine = _engine(_security_hub(tmp_path))
    trail = tmp_path / "trail.jsonl"
    wanted = b'{"eventTime":"2024-01-01T00:00:00Z","eventName":"DeleteTrail"}'
    trail.write_bytes(b"\n".join([ROUTINE] * 10 + [wanted, b"{bad", ROUTINE]) + b"\n")
    stats = InputStats()
    items = list(read_events(str(trail), fmt="jsonl", log_group="trail", stats=stats, sieve=engine.sieve))
    ruled = [i for i in items if type(i) is RuledOut]
    events = [i for i in items if type(i) is not RuledOut]
    assert sum(len(r.timestamps) for r in ruled) == 11
    assert [e.message for e in events] == [wanted.decode()]
    st_ = stats.as_dict()["total"]
    assert (st_["read"], st_["delivered"], st_["rejected"]) == (13, 12, 1)
    assert _jsonl_ms(orjson.loads(ROUTINE)) == ruled[0].timestamps[0] == 1_704_067_200_000


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b"", b"\n", b"ab", b"{}\n", b"x" * 70_000, b"y\n" * 3, b"\r\n",
                                 b"z" * (MAX_EVENT_BYTES - 2), b"w" * (MAX_EVENT_BYTES + 5)]), max_size=8),
       st.lists(st.integers(1, 200_000), min_size=1, max_size=6))
def test_line_blocks_are_split_lines(pieces, cuts):
    """The block splitter gives the lines, numbers and sizes of the line splitter, however the
    input is cut into reads (lines carried over reads, over the event-size limit, unterminated)."""
    data = b"".join(pieces)
    chunks, at, i = [], 0, 0
    while at < len(data):
        size = cuts[i % len(cuts)]
        chunks.append(data[at:at + size])
        at, i = at + size, i + 1
    for count in (bytes.count, stringzilla.count):
        flat = []
        for item in _line_blocks(iter(chunks), count):
            if len(item) == 2:
                first, piece = item
                flat += [(first + k, line, True, len(line)) for k, line in enumerate(piece.split(b"\n"))]
            else:
                flat.append(item)
        assert flat == list(_split_lines(iter(chunks)))


def test_inputs_of_one_log_group_share_the_sieve(tmp_path):
    """Several JSON-lines inputs: the sieve is built once, and the run is the run without it."""
    config = _security_hub(tmp_path)
    wanted = b'{"eventTime":"2024-01-01T00:02:00Z","eventName":"DeleteTrail"}'
    paths = []
    for i in range(3):
        path = tmp_path / f"part{i}.jsonl"
        path.write_bytes(b"\n".join([ROUTINE] * (5 + i) + [wanted, b"{bad"]) + b"\n")
        paths.append(f"{path}@trail")
    sieved, plain = _engine(config), _engine(config, Unsieved)
    first = sieved.sieve("trail", JSONL_TIMESTAMP_FIELDS)
    assert first is not None and sieved.sieve("trail", JSONL_TIMESTAMP_FIELDS) is first
    results = []
    for engine in (sieved, plain):
        result = RunResult()
        points = list(run(engine, paths, result=result))
        results.append((points, run_summary(engine, result)))
    assert results[0] == results[1]
    assert results[0][1]["inputs"]["total"]["read"] == 3 * 7 + 3
