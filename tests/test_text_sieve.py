"""The text sieve (plain lines no filter can match, only counted) against the full path it lets
`cwfilter run` skip: the same datapoints and the same summary (per-filter counters, inputs,
timestamp origins, problems, losses) over lines of every kind the reader treats specially.

Generated inputs mix Apache lines that match and that do not, lines without a stamp (stack
traces), blank and whitespace lines, CRLF endings, invalid UTF-8, non-ASCII text, ISO-stamped
lines, unbalanced quotes and brackets, tabs, lines longer than a read, oversize lines and gzip
streams cut short, under configs of term, regex and space-delimited filters, with and without a
defaultValue.
"""

from __future__ import annotations

import gzip
import io
import json
import random
from pathlib import Path

import pytest
from cwfilter import compile_pattern
from cwfilter.engine.config.native import load_config
from cwfilter.engine.inputs import sink
from cwfilter.engine.inputs.readers import InputStats, RuledOut, read_events
from cwfilter.engine.inputs.records import MAX_EVENT_BYTES
from cwfilter.engine.matching.textsieve import shared_fields_test
from cwfilter.engine.metrics.pipeline import Engine
from cwfilter.engine.metrics.runner import RunOptions, RunResult, run, run_summary
from cwfilter.grammar.errors import PatternError
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

CORPUS = Path(__file__).resolve().parent / "data" / "corpus" / "apache"
APACHE = (CORPUS / "elastic-examples-apache_logs.log").read_text(encoding="utf-8").splitlines()
DOCS = CORPUS / "aws-docs-filter-pattern-examples.log"

COMBINED = "[ip, id, user, ts, request, status{}, bytes{}, referrer, agent]"
# Filter sets, each on the log group `web`: (pattern, metricValue, defaultValue or None).
CONFIGS = {
    "two delimited, one layout": [
        (COMBINED.format(" = 5*", ""), "$bytes", None),
        (COMBINED.format(" = 404", ""), "1", None),
    ],
    "three delimited, defaults": [
        (COMBINED.format(" = 404 || status = 410", ""), "1", 0),
        (COMBINED.format(" = 2*", " > 5000"), "$bytes", None),
        ('[ip, id, user, ts, request = "GET /favicon*", status, bytes, referrer, agent]', "1", 0),
    ],
    "delimited with ..., terms, regex": [
        ("[ip, ..., status = 5*, bytes]", "$bytes", 0),
        ('?ERROR ?"Traceback"', "1", None),
        ("%GET /[a-z]+/%", "1", 0),
    ],
    "one delimited, docs layout": [
        ("[ip, user, username, timestamp, request, status_code = 404, bytes]", "$bytes", None),
    ],
    "four filters (no sieve)": [
        (COMBINED.format(" = 5*", ""), "$bytes", None),
        (COMBINED.format(" = 404", ""), "1", None),
        ("ERROR", "1", 0),
        ("[...]", "1", None),
    ],
}


def _config(tmp: Path, name: str) -> Path:
    filters = []
    for i, (pattern, value, default) in enumerate(CONFIGS[name]):
        transformation = {"metricName": f"M{i}", "metricNamespace": "Web", "metricValue": value}
        if default is not None:
            transformation["defaultValue"] = default
        filters.append({"filterName": f"f{i}", "logGroupName": "web", "filterPattern": pattern,
                        "metricTransformations": [transformation]})
    path = tmp / "config.json"
    path.write_text(json.dumps({"metricFilters": filters}))
    return path


class Unsieved(Engine):
    """The engine with every event fed one by one (the path the sieve bypasses)."""

    def sieve(self, log_group, extra=(), **kw):
        return None


def _run(engine: Engine, path: Path, options: RunOptions | None = None) -> tuple[list, dict, dict, tuple]:
    result = RunResult()
    points = list(run(engine, [f"{path}@web"], options, result=result))
    # The run's time span, which alarms and live runs read, and the events of each route.
    span = (engine.first_event_ms, engine.watermark, engine.events,
            sorted((str(k), r.events) for k, r in engine._routes.items() if r.events))
    return points, run_summary(engine, result), result.stats.as_dict(), span


def _same_runs(config: Path, path: Path, options: RunOptions | None = None) -> tuple[list, dict, dict, tuple]:
    sieved = _run(Engine(load_config([config]), lateness=10**9), path, options)
    plain = _run(Unsieved(load_config([config]), lateness=10**9), path, options)
    assert sieved[0] == plain[0]  # datapoints
    assert sieved[1] == plain[1]  # the summary: filters' counters, inputs, problems, losses
    assert sieved[2] == plain[2]
    assert sieved[3] == plain[3]
    return sieved


STATUSES = ["200", "404", "500", "503", "301", "-", "404.0", "4.04e2", "5", "410", '"404"', "[500]"]
OTHER = [
    "", " ", "\t", "  \t ", "\x1c", "\x0b",
    "\tat com.example.Handler.handle(Handler.java:42)",
    "Traceback (most recent call last):",
    "ERROR without a stamp",
    "2024-01-01T00:00:05Z ERROR database timeout 500",
    "2015-05-17T10:05:03.123+02:00 GET /x HTTP/1.1\" 404 12",
    "2024-01-01 00:00:07,123 INFO started",
    '1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1 404 12',
    "1.2.3.4 - - [17/May/2015:10:05:03 +0000 \"GET / HTTP/1.1\" 500 12 \"-\" \"x\"",
    '1.2.3.4\t-\t-\t[17/May/2015:10:06:03 +0000]\t"GET / HTTP/1.1"\t503\t99\t"-"\t"agent"',
    '[17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 500',
    "café [17/May/2015:10:07:03 +0000] ERROR",
    "abcd-e [17/May/2015:10:08:03 +0000] \"GET / HTTP/1.1\" 404 5 \"-\" \"x\"",  # `-` at offset 4
    "1.2.3.4 [not a stamp, but just as long!] [17/May/2015:10:09:03 +0000] \"GET / HTTP/1.1\" 404 5",
    "x" * 100 + " [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 500 5 \"-\" \"x\"",  # `[` past the window
    "[17/May/2015:10:11:03 +0000] - - [17/May/2015:10:11:03 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"x\"",
    "1.2.3.4 - - [17/Feb/2015:10:12:03 +9999] \"GET / HTTP/1.1\" 200 5 \"-\" \"x\"",
    "1.2.3.4 - - [30/Feb/2015:10:12:03 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"x\"",
    "2024-01-01T00:00:09Z [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 5",  # the ISO stamp counts
]


# Placeholders (short in a failing example's repr) for a line over the event-size limit and for
# 70,000 bytes that make a line longer than a read.
OVERSIZE, LONG = b"<oversize line>", b"<70,000 bytes>"


def _expand(data: bytes) -> bytes:
    return data.replace(OVERSIZE, b'9.9.9.9 - - [17/May/2015:10:05:03 +0000] "GET /' + b"x" * MAX_EVENT_BYTES
                        + b'" 500 1').replace(LONG, b"a" * 70_000)


@st.composite
def lines(draw) -> bytes:
    """One line as a log might hold it, sometimes damaged or unusual."""
    kind = draw(st.sampled_from(["apache"] * 8 + ["other"] * 3 + ["long", "oversize", "bad utf-8", "crlf", "docs"]))
    if kind == "other":
        return draw(st.sampled_from(OTHER)).encode()
    if kind == "oversize":
        return OVERSIZE
    if kind == "docs":
        return draw(st.sampled_from(DOCS.read_bytes().splitlines()))
    line = draw(st.sampled_from(APACHE[:300]))
    fields = line.split('" ', 2)
    if len(fields) == 3 and (kind == "crlf" or draw(st.booleans())):  # another status and size
        rest = fields[2].split(" ", 2)
        if len(rest) == 3:
            rest[0] = draw(st.sampled_from(STATUSES))
            rest[1] = draw(st.sampled_from(["-", "0", "12345", "987654"]))
            line = '" '.join(fields[:2] + [" ".join(rest)])
    raw = line.encode()
    if kind == "long":  # longer than a read: carried over from one read to the next
        raw = raw.replace(b"GET /", b"GET /" + LONG, 1)
    elif kind == "bad utf-8":
        raw += b" \xff"
    elif kind == "crlf":
        raw += b"\r"
    return raw


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(st.sampled_from(sorted(CONFIGS)), st.lists(lines(), min_size=1, max_size=30), st.booleans(),
       st.none() | st.floats(0.05, 0.95), st.sampled_from([None, None, 1_600_000_000_000]))
@example("two delimited, one layout", [b"\tat x", APACHE[0].encode(), b"", APACHE[1].encode() + b"\r",
                                       APACHE[2].encode().replace(b" 200 ", b" 503 ")], True, None, None)
@example("three delimited, defaults", [APACHE[i].encode() for i in range(20)], False, 0.5, None)
@example("two delimited, one layout", [b"\tat x", *(APACHE[i].encode() for i in range(5)), b"\tat y", APACHE[5].encode()],
         True, None, 1_600_000_000_000)
@example("two delimited, one layout", [APACHE[0].encode(), *(line.encode() for line in OTHER[-7:])] * 2, True, None,
         None)
@example("two delimited, one layout", [APACHE[0].encode(), APACHE[2].encode().replace(b" 200 ", b" 404 ") + b"\r",
                                       b"\r", b" \r", APACHE[3].encode().replace(b" 200 ", b" 500 ") + b"\r"], False,
         None, None)
@example("two delimited, one layout", ["café".encode(), APACHE[2].encode().replace(b" 200 ", b" 404 ") + b"\r"], True,
         None, None)  # a read with a non-ASCII line
def test_a_run_with_the_text_sieve_is_the_run_without(tmp_path, monkeypatch, name, batch, final_newline, gzip_cut,
                                                     start_ms):
    # Events before any stamp take the time of reading: the same instant for both runs.
    monkeypatch.setattr(sink, "_now_ms", lambda: 1_700_000_000_000)
    config = _config(tmp_path, name)
    data = _expand(b"\n".join(batch) + (b"\n" if final_newline else b""))
    if gzip_cut is None:
        path = tmp_path / "access.log"
        path.write_bytes(data)
    else:  # a gzip stream cut short: its last line is incomplete, and the cut is reported
        packed = gzip.compress(data)
        path = tmp_path / "access.log.gz"
        path.write_bytes(packed[: max(20, int(len(packed) * gzip_cut))])
    engine = Engine(load_config([config]), lateness=10**9)
    offered = engine.sieve("web", text=True)
    assert (offered is None) == (name == "four filters (no sieve)")
    # With `--start`, unstamped lines take start + i * step: i counts the ruled-out lines too.
    _same_runs(config, path, RunOptions(start_ms=start_ms))


def test_the_sieve_rules_lines_out_and_counts_them(tmp_path):
    """On Apache lines, most lines come as `RuledOut`, and every line is counted once."""
    config = _config(tmp_path, "two delimited, one layout")
    engine = Engine(load_config([config]), lateness=10**9)
    path = tmp_path / "access.log"
    body = APACHE[:2000]
    path.write_text("\n".join(["stack trace line, no stamp", *body, ""]) + "\n")
    stats = InputStats()
    items = list(read_events(str(path), fmt="lines", log_group="web", stats=stats, sieve=engine.sieve,
                              lookahead=1000))
    ruled = sum(len(i.timestamps) for i in items if type(i) is RuledOut)
    events = [i for i in items if type(i) is not RuledOut]
    patterns = [compile_pattern(p) for p, _, _ in CONFIGS["two delimited, one layout"]]
    candidates = [m for m in body if any(p.matches(m) for p in patterns)]
    assert 0 < len(candidates) < len(body) // 10
    assert ruled == len(body) - len(candidates)
    assert [e.message for e in events] == ["stack trace line, no stamp", *candidates]
    assert events[0].timestamp_origin == "next"  # waited for the first stamp, a ruled-out line's
    total = stats.as_dict()["total"]
    assert (total["read"], total["delivered"], total["skipped"]) == (len(body) + 1, len(body) + 1, 1)


def test_corpus_apache_logs_give_the_same_run(tmp_path):
    """The corpus's Apache logs, under every config: the run with the sieve is the run without."""
    for name in CONFIGS:
        config = _config(tmp_path, name)
        matched = 0
        for path in (CORPUS / "elastic-examples-apache_logs.log", DOCS):
            points, summary, _, _ = _same_runs(config, path)
            assert summary["inputs"]["total"]["read"] == len(path.read_bytes().splitlines())
            matched += sum(f["matched"] for f in summary["filters"])
        assert matched, name  # some filter of each config matches a corpus line


def test_every_corpus_file_read_as_plain_lines_gives_the_same_run(tmp_path, monkeypatch):
    """Every file of the corpus (VPC Flow Logs, CloudFront, Lambda, CloudTrail, JSON documents,
    the README), read as plain lines: the run with the sieve is the run without."""
    monkeypatch.setattr(sink, "_now_ms", lambda: 1_700_000_000_000)  # for lines without a stamp
    corpus = CORPUS.parent
    paths = sorted(p for p in corpus.rglob("*") if p.is_file() and p.stat().st_size < 1_000_000)
    assert len(paths) > 10
    for name in CONFIGS:
        config = _config(tmp_path, name)
        for path in paths:
            _, summary, _, _ = _same_runs(config, path, RunOptions(fmt="lines"))
            assert summary["inputs"]["total"]["read"] + summary["inputs"]["total"]["skipped"] == len(
                path.read_bytes().splitlines()), path


FIELDS = ["1.2.3.4", "-", "frank", "[17/May/2015:10:05:03 +0000]", '"GET / HTTP/1.1"', "200", "404", "500",
          "503", "404.0", "5", "12345", "-", '"-"', '"Mozilla/5.0 (X11)"', '"unbalanced', "[open", "a]b",
          'x"y', "", "GET", "2*", "+404", "0404", "4.04e2", "40.4E+1", "403.99999999999999999", '"404"', "[404]",
          "-404", "-0", "0", "+0", "000", "-5", "-05", "-5.0", "5e0", "1e999", '""', "[]", '"5xx"', "[500]"]
CONDITIONS = ["", " = 5*", " = 404", " != 200", " > 1000", ' = "GET*"', " = %^[0-9]+$%", " = 404 || x = 500",
              " = *", " != 5*", " = 2*", " = 0", " = -5", " = 404.0", " = 4.04e2", " = 1.5", " = 404 && x != 4*",
              ' = ""', " = 5* || x = 404"]


@settings(max_examples=400, deadline=None)
@given(st.integers(2, 6), st.lists(st.lists(st.sampled_from(CONDITIONS), min_size=6, max_size=6), min_size=1,
                                   max_size=3),
       st.lists(st.lists(st.sampled_from(FIELDS), max_size=8), min_size=1, max_size=20),
       st.sampled_from([" ", "  ", "\t", " \t"]))
@example(3, [[" = 404", "", "", "", "", ""], [" = 5*", "", "", "", "", ""]],
         [["404.0", "x", "y"], ["4.04e2", "x", "y"], ["403.99999999999999999", "x", "y"], ["+0404", "x", "y"],
          ["-404", "x", "y"], ['"404"', "x", "y"], ["[5]", "x", "y"], ["200", "x", "y"]], " ")
@example(2, [[' = "GET*"', " = 5*", "", "", "", ""], [' = "GET*"', " = 404", "", "", "", ""]],
         [['"GET / HTTP/1.1"', '"5xx"'], ["[GET]", "[500]"], ["GET", "500"], ['"GET"', '"404"'], ["[GET /]", "404"],
          ['"POST /"', "500"]], " ")
def test_shared_fields_test_is_any_pattern_matching(n, conditions, messages, sep):
    """One regex for patterns of one layout (conditioned fields narrowed to what a condition may
    accept) decides as each pattern's own matcher, in turn."""
    patterns = []
    for conds in conditions:
        slots = []
        for i in range(n):
            cond = conds[i].replace("x = ", f"s{i} = ").replace("x != ", f"s{i} != ")
            slots.append(f"s{i}{cond}")
        try:
            patterns.append(compile_pattern("[" + ", ".join(slots) + "]"))
        except PatternError:  # over a limit of the service (two regexes a pattern)
            assume(False)
    test = shared_fields_test(patterns)
    if not any(c for conds in conditions for c in conds[:n]):
        assert test is None
        return
    assert test is not None
    for fields in messages:
        message = sep.join(fields)
        for m in (message, " " + message, message + " "):
            assert test(m) == any(p.matches(m) for p in patterns), m


def test_memo_stays_bounded_and_right():
    """A condition's answers are remembered by field text, up to a bound: unique byte counts
    neither grow memory nor change an answer."""
    patterns = [compile_pattern(COMBINED.format("", " > 5000")), compile_pattern(COMBINED.format(" = 404", ""))]
    test = shared_fields_test(patterns)
    rng = random.Random(7)
    for _ in range(10_000):
        size = rng.randrange(10_000)
        line = f'1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 {size} "-" "agent"'
        assert test(line) == (size > 5000)


class _Trickle(io.RawIOBase):
    """A pipe that hands over one piece at a time, and checks, before each read after the first,
    that every line of the earlier pieces reached the reader's consumer (`seen`)."""

    def __init__(self, pieces: list[bytes], seen: list[int]) -> None:
        self.pieces, self.seen, self.given = list(pieces), seen, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        assert self.seen[0] == self.given, "lines read earlier are still held back"
        if not self.pieces:
            return 0
        piece = self.pieces.pop(0)
        self.given += piece.count(b"\n")
        buffer[: len(piece)] = piece
        return len(piece)


JSON_FILTERS = {"metricFilters": [
    {"filterName": f"f{i}", "logGroupName": "web", "filterPattern": f"{{ $.eventName = {name} }}",
     "metricTransformations": [{"metricName": name, "metricNamespace": "Trail", "metricValue": "1"}]}
    for i, name in enumerate(["DeleteTrail", "StopLogging", "CreateTrail"])
]}


@pytest.mark.parametrize("fmt", ["lines", "jsonl"])
def test_lines_ruled_out_reach_the_engine_before_the_next_read(tmp_path, fmt):
    """A run over a pipe that is interrupted while waiting for input (Ctrl-C) accounts for every
    line read so far, ruled out or not, in the engine as in the input's accounting (plain lines
    with the text sieve, JSON lines with the partial decode)."""
    if fmt == "lines":
        config = _config(tmp_path, "two delimited, one layout")
        lines = APACHE[:70]
    else:
        config = tmp_path / "trail.json"
        config.write_text(json.dumps(JSON_FILTERS))
        lines = [json.dumps({"eventTime": f"2024-01-01T00:{i // 60:02d}:{i % 60:02d}Z",
                             "eventName": "DeleteTrail" if i % 9 == 0 else "DescribeInstances"}) for i in range(70)]
    engine = Engine(load_config([config]), lateness=10**9)
    pieces = ["\n".join(lines[i:i + 7]).encode() + b"\n" for i in range(0, 70, 7)]
    pieces[3:4] = [pieces[3][:40], pieces[3][40:]]  # a line carried over from one read to the next
    seen = [0]
    stream = io.BufferedReader(_Trickle(pieces, seen), buffer_size=1 << 16)
    ruled = 0
    for item in read_events(stream, fmt=fmt, log_group="web", sieve=engine.sieve, lookahead=1000):
        ruled += len(item.timestamps) if type(item) is RuledOut else 0
        seen[0] += len(item.timestamps) if type(item) is RuledOut else 1
    assert seen[0] == 70 and ruled > 50
