"""A document input read from a regular file is parsed whole when it is one JSON value.

The reader of JSON documents finds each top-level value by its structure, byte by byte. When the
input is a regular file (reading ahead never waits for a writer) and the rest of it is one JSON
value, orjson parses it whole instead, and the value `_sniff` already parsed is taken rather than
parsed again. Against the same bytes read from a stream (where neither applies), over random
inputs: valid documents, documents back to back, blanks around, invalid UTF-8, cut documents,
lone surrogate escapes, nesting at and past the limit, gzip or not, sniffed or not: the same
events, problems and formats.
"""

from __future__ import annotations

import gzip
import io
import json

from cwfilter.engine.inputs.readers import read_events
from cwfilter.engine.inputs.records import InputStats
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

records = st.lists(st.fixed_dictionaries({
    "eventTime": st.sampled_from(["2024-01-01T00:00:00Z", "2024-01-01T00:05:07Z", "not a time"]),
    "eventName": st.sampled_from(["ConsoleLogin", "CreateUser", "é\u2028", "\\\"q"]),
    "n": st.one_of(st.integers(-5, 2**70), st.floats(allow_nan=False, allow_infinity=False)),
}), max_size=4)


def _document(recs: list, extra: str) -> bytes:
    doc = json.dumps({"Records": recs}, ensure_ascii=extra != "ascii")
    if extra == "pretty":
        doc = json.dumps({"Records": recs}, indent=2)
    return doc.encode("utf-8")


def _mutate(data: bytes, how: str) -> bytes:
    return {
        "none": data,
        "blanks": b" \n\t" + data + b"\r\n  \n",
        "twice": data + b"\n" + data,
        "cut": data[: max(1, len(data) * 2 // 3)],
        "bad-utf8": data.replace(b"Records", b"Rec\xffords", 1),
        "surrogate": data.replace(b'"Records"', b'"x": "\\ud800", "Records"', 1),
        "deep": b'{"Records": [], "d": ' + b"[" * 1023 + b"]" * 1023 + b"}",
        "too-deep": b'{"Records": [], "d": ' + b"[" * 1024 + b"]" * 1024 + b"}",
        "trailing": data + b" x",
        "array": b"[" + data + b"]",
    }[how]


def _read(spec, fmt: str, name: str):
    stats = InputStats()
    events = [(e.message, e.timestamp) for e in read_events(spec, fmt=fmt, stats=stats, source=name,
                                                             timestamps="event", start_ms=0)]
    return events, stats.as_dict()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(recs=records, extra=st.sampled_from(["", "ascii", "pretty"]),
       how=st.sampled_from(["none", "blanks", "twice", "cut", "bad-utf8", "surrogate", "deep", "too-deep",
                            "trailing", "array"]),
       gz=st.booleans(), fmt=st.sampled_from(["auto", "cloudtrail"]))
def test_a_file_read_whole_equals_the_same_bytes_read_as_a_stream(tmp_path, recs, extra, how, gz, fmt):
    data = _mutate(_document(recs, extra), how)
    if gz:
        data = gzip.compress(data)
    path = tmp_path / ("trail.json.gz" if gz else "trail.json")
    path.write_bytes(data)
    from_file = _read(str(path), fmt, str(path))
    from_stream = _read(io.BytesIO(data), fmt, str(path))
    assert from_file == from_stream
