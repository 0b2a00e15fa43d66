"""Reliability: hostile patterns and logs, streams that end early, and every event accounted for.

Regression tests for crashes found by fuzzing are named after what crashed. The properties that
fuzz the grammar, the matchers and the config loader are in `test_fuzz.py`; streaming (`--follow`
through truncation and rotation) and bad inputs are also covered in `test_run_e2e.py` and
`test_inputs.py`, which the README's Reliability section lists.
"""

from __future__ import annotations

import gc
import gzip
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import cwfilter
import pytest
from cwfilter import PatternError
from cwfilter.engine.alarms.validation import validate_alarm
from cwfilter.engine.authoring.explain import explain
from cwfilter.engine.authoring.lint import lint_pattern
from cwfilter.engine.config.native import iter_config_issues, load_config
from cwfilter.engine.events import LogEvent
from cwfilter.engine.matching.interpret import interpret
from cwfilter.engine.metrics.pipeline import Datapoint, Engine
from cwfilter.engine.metrics.runner import RunOptions, RunResult, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CWFILTER = Path(sys.executable).parent / ("cwfilter.exe" if os.name == "nt" else "cwfilter")
T0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z
MAX_EVENT_BYTES = 1_048_576  # DECISIONS M6


def _environ() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "PY_COLORS", "TTY_COMPATIBLE"}}
    env.update({"COLUMNS": "200", "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"})
    return env


def _cli(*args, stdin: bytes = b"", timeout: float = 120) -> subprocess.CompletedProcess:
    assert CWFILTER.is_file(), f"console script not installed next to {sys.executable}"
    return subprocess.run([str(CWFILTER), *map(str, args)], input=stdin, capture_output=True, env=_environ(),
                          timeout=timeout)


def _filter(name: str, pattern: str, value: str = "1", group: str | None = None, **extra) -> dict:
    f = {"filterName": name, "filterPattern": pattern,
         "metricTransformations": [{"metricName": name, "metricNamespace": "Rel", "metricValue": value, **extra}]}
    if group is not None:
        f["logGroupName"] = group
    return f


def _config(path: Path, filters: list[dict]) -> Path:
    path.write_text(json.dumps({"metricFilters": filters}), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- crashes found by fuzzing


def test_lone_surrogate_in_pattern_is_a_pattern_error_not_unicode_encode_error():
    # Found by test_fuzz: counting UTF-16 units (P15) encoded without surrogatepass and raised
    # UnicodeEncodeError. A pattern given on the command line holds one for each byte of invalid
    # UTF-8 (Python's surrogateescape).
    with pytest.raises(PatternError) as info:
        cwfilter.parse("\ud800")
    assert info.value.start == 0
    assert cwfilter.parse('"\ud800"') == cwfilter.parse('"\ud800"')  # quoted: a valid term
    with pytest.raises(PatternError) as info:
        cwfilter.parse("\ud800" * 1025)  # one UTF-16 unit each: over the limit
    assert type(info.value).__name__ == "PatternLimitError"
    done = _cli("test", os.fsencode("\udcff").decode("utf-8", "surrogateescape"), stdin=b"x\n")
    assert done.returncode == 2
    assert b"Traceback" not in done.stderr and b"Invalid character(s) in term" in done.stderr


def _nested_parens(depth: int) -> str:
    return "{ " + "(" * depth + "$.a = 1" + ")" * depth + " }"


def _alternating(limit: int = 1024) -> tuple[str, int]:
    """`$.a=1 && ($.a=1 || ($.a=1 && (...)))` as deep as `limit` characters allow."""
    body, depth = "$.a=1", 0
    while True:
        nxt = f"$.a=1{'&&' if depth % 2 == 0 else '||'}({body})"
        if len(nxt) + 2 > limit:
            return "{" + body + "}", depth
        body, depth = nxt, depth + 1


def test_deep_parentheses_parse_instead_of_recursion_error():
    # Found by hand, then by test_fuzz: the recursive Lark transformer took two frames per
    # parenthesis and raised RecursionError at about 500 levels, which 1024 characters allow.
    text = _nested_parens(506)
    assert len(text) <= 1024
    tree = cwfilter.parse(text)
    assert tree == cwfilter.parse("{ $.a = 1 }")
    compiled = cwfilter.compile_pattern(text)
    assert compiled.matches('{"a": 1}') and not compiled.matches('{"a": 2}')
    assert explain(text, '{"a": 1}').matched
    lint_pattern(text)
    # Alternating && and || cannot be flattened: the tree is as deep as the text allows.
    text, depth = _alternating()
    assert depth > 100
    tree = cwfilter.parse(text)
    assert cwfilter.parse(cwfilter.unparse(tree)) == tree if len(cwfilter.unparse(tree)) <= 1024 else True
    compiled = cwfilter.compile_pattern(text)
    for message in ('{"a": 1}', '{"a": 2}', "{}", "not json"):
        want = interpret(tree, LogEvent(message))
        assert compiled.matches(message) == want == explain(text, message).matched
    assert compiled.matches('{"a": 1}')


def test_deep_parentheses_past_the_length_limit_are_a_limit_error():
    with pytest.raises(PatternError) as info:
        cwfilter.parse(_nested_parens(600))
    assert type(info.value).__name__ == "PatternLimitError"


def test_list_as_comparison_operator_is_reported_not_type_error():
    # Found by test_fuzz (mutated configs): a list or mapping as ComparisonOperator was looked up
    # in a dict and raised "TypeError: unhashable type".
    alarm = {"AlarmName": "a", "MetricName": "M", "Namespace": "N", "Statistic": "Sum", "Period": 60,
             "EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": ["GreaterThanThreshold"]}
    assert [p for p, _ in validate_alarm(alarm)] == ["ComparisonOperator"]
    issues = list(iter_config_issues({"MetricAlarms": [alarm]}, "x.yaml"))
    assert [i.path for i in issues if i.severity == "error"] == ["MetricAlarms[0].ComparisonOperator"]


def test_list_as_cloudformation_resource_type_is_reported_not_type_error(tmp_path):
    # Found by test_fuzz (mutated configs): a `Ref` to a resource whose Type was a list looked the
    # Type up in a dict and raised "TypeError: unhashable type".
    from cwfilter.engine.config.sources import load_sources

    template = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {
        "Group": {"Type": ["AWS::Logs::LogGroup"], "Properties": {"LogGroupName": "/app"}},
        "Filter": {"Type": "AWS::Logs::MetricFilter", "Properties": {
            "LogGroupName": {"Ref": "Group"}, "FilterPattern": "ERROR",
            "MetricTransformations": [{"MetricName": "E", "MetricNamespace": "N", "MetricValue": "1"}]}},
    }}
    path = tmp_path / "template.json"
    path.write_text(json.dumps(template), encoding="utf-8")
    from cwfilter.engine.errors import ConfigError

    try:
        load_sources([str(path)], {})
    except ConfigError as exc:  # reported with its path
        assert "not a cwfilter configuration" not in str(exc)
    done = _cli("check", path)
    assert done.returncode in (0, 2) and b"Traceback" not in done.stderr


# --------------------------------------------------------------------------- limits and linear time


def test_json_nested_10000_levels_is_not_json_and_not_an_error():
    deep_object = '{"a":' * 10_000 + "1" + "}" * 10_000
    deep_array = '{"a":' + "[" * 10_000 + "1" + "]" * 10_000 + "}"
    for message in (deep_object, deep_array):
        # DECISIONS P12: beyond the decoder's depth the event is not JSON, so JSON patterns fail.
        assert not cwfilter.compile_pattern("{ $.a = * }").matches(message)
        assert cwfilter.compile_pattern('"{\\"a\\":"').matches(message)  # a term still searches the text
        assert cwfilter.compile_pattern("[first]").matches(message)


def test_deep_json_first_line_taken_for_a_document_lost_every_event(tmp_path):
    # Found by this file: a first line nested 10,000 levels deep failed to decode, so format
    # sniffing took the file for a pretty-printed JSON document, which was then "not JSON": the
    # file was reported, but none of its events were read or counted.
    config = _config(tmp_path / "c.json", [_filter("A", "{ $.a = * }")])
    log = tmp_path / "deep.log"
    log.write_text('{"a":' * 10_000 + "1" + "}" * 10_000 + '\n{"a": 1}\n', encoding="utf-8")
    done = _cli("run", config, log, "--output", "json", "--start", "2024-01-01T00:00:00Z")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    [f] = doc["summary"]["filters"]
    # The deep line is a JSON line no decoder reads: rejected with its reason; the next one counts.
    assert (f["read"], f["matched"], f["unmatched"], f["rejected"]) == (2, 1, 0, 1)
    assert doc["summary"]["inputs"]["total"]["problems"] == {"malformed-json": 1}
    assert b"line 1: malformed-json: depth limit exceeded" in done.stderr
    # As plain lines, the deep line is an event like any other, and is not JSON (DECISIONS P12).
    done = _cli("run", config, log, "--output", "json", "--format", "lines", "--start", "2024-01-01T00:00:00Z")
    [f] = json.loads(done.stdout)["summary"]["filters"]
    assert (f["read"], f["matched"], f["unmatched"], f["rejected"]) == (2, 1, 1, 0)


def _ratio(run, small: int, large: int, repeat: int = 7) -> float:
    """Best time of `run(large)` over best time of `run(small)`.

    The two sizes take turns, so a slow spell of a shared machine falls on both, and the garbage
    collector is off, as `timeit` does: in a process that holds a whole test session's objects,
    one full collection can take longer than the call being timed.
    """
    best = {small: float("inf"), large: float("inf")}
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):
            for n in (small, large):
                t = time.perf_counter()
                run(n)
                best[n] = min(best[n], time.perf_counter() - t)
    finally:
        if was_enabled:
            gc.enable()
    return best[large] / max(best[small], 1e-6)


@pytest.mark.parametrize("family", ["terms", "json", "delimited", "regex"])
def test_parse_time_is_linear_in_pattern_length(family):
    def build(count: int) -> str:
        if family == "terms":
            return " ".join(f"w{i % 10}" for i in range(count))
        if family == "json":
            return "{ " + " && ".join(f"$.k{i % 10} = {i % 10}" for i in range(count)) + " }"
        if family == "delimited":
            return "[" + ", ".join(f"f{i % 10}" for i in range(count)) + ", ...]"
        return "%" + "a" * count + "%"

    def pattern(n: int) -> str:  # the longest pattern of the family with at most n characters
        count = 1
        while len(build(count + 1)) <= n:
            count += 1
        return build(count)

    assert 220 <= len(pattern(250)) <= 250 and 950 <= len(pattern(1000)) <= 1000
    # Four times the text: linear is about 4x, quadratic 16x. 9x leaves room for timer noise.
    texts = {n: pattern(n) for n in (250, 1000)}  # built outside the timing
    assert _ratio(lambda n: cwfilter.parse(texts[n]), 250, 1000) < 9


HOSTILE_REGEXES = [  # catastrophic for a backtracking engine on "aaaa…"; no groups in the service's syntax
    "%a*a*a*a*a*a*a*a*c%",
    "%[a-z]*[a-z]*[a-z]*[a-z]*0%",
    "%.*.*.*.*=.*x%",
    "%a{0,30}a{0,30}a{0,30}c%",
]


@pytest.mark.parametrize("regex", HOSTILE_REGEXES)
@pytest.mark.parametrize("kind", ["regex", "json", "delimited"])
def test_hostile_regexes_match_in_linear_time(regex, kind):
    text = {"regex": regex, "json": "{ $.a = " + regex + " }", "delimited": "[a = " + regex + "]"}[kind]
    compiled = cwfilter.compile_pattern(text)

    def message(n: int) -> str:
        body = "a" * n
        return {"regex": body, "json": json.dumps({"a": body}), "delimited": body}[kind]

    messages = {n: message(n) for n in (50_000, 200_000)}
    assert not any(compiled.matches(m) for m in messages.values())
    # Four times the input: linear is about 4x; a backtracking engine would not finish.
    assert _ratio(lambda n: compiled.matches(messages[n]), 50_000, 200_000) < 12


def test_wildcard_values_match_in_linear_time():
    # DECISIONS P8: leftmost match of each piece, no backtracking.
    compiled = cwfilter.compile_pattern("{ $.a = *a*a*a*a*a*a*b }")
    doc = lambda n: json.dumps({"a": "a" * n})  # noqa: E731
    docs = {n: doc(n) for n in (1000, 50_000, 200_000)}
    assert not any(compiled.matches(d) for d in docs.values())
    assert _ratio(lambda n: compiled.matches(docs[n]), 50_000, 200_000) < 12


def test_ten_thousand_filters_load_and_run(tmp_path):
    # 100 log groups of 100 filters (the service's quota per log group), of every kind.
    filters = []
    for k in range(10_000):
        pattern = [f"{{ $.code = {k} }}", f'"svc{k}"', f"[ip, status = {k}, size]", f'{{ $.user = "u{k}" }}'][k % 4]
        filters.append(_filter(f"f{k}", pattern, group=f"/g/{k // 100}"))
    config = _config(tmp_path / "many.json", filters)
    log = tmp_path / "app.log"
    lines = [json.dumps({"code": k}) for k in (0, 4, 104)] + ["svc1 up", "svc101 up", "1.2.3.4 2 5", "1.2.3.4 102 5",
                                                              json.dumps({"user": "u3"})]
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    started = time.perf_counter()
    done = _cli("run", config, f"{log}@/g/0", f"{log}@/g/1", "--output", "json", "--format", "lines",
                "--start", "2024-01-01T00:00:00Z", timeout=300)
    elapsed = time.perf_counter() - started
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(done.stdout)["summary"]
    assert len(summary["filters"]) == 10_000
    matched = {f["filterName"]: f["matched"] for f in summary["filters"] if f["matched"]}
    # In /g/0: codes 0 and 4 (f0, f4), svc1 (f1, a substring of svc101 too: P1), status 2 (f2),
    # u3 (f3); in /g/1: code 104, svc101, status 102.
    assert matched == {"f0": 1, "f4": 1, "f1": 2, "f2": 1, "f3": 1, "f104": 1, "f101": 1, "f102": 1}
    for f in summary["filters"]:
        assert f["read"] == f["matched"] + f["unmatched"] + f["rejected"]
        assert f["read"] == (8 if f["logGroupName"] in ("/g/0", "/g/1") else 0)
    assert elapsed < 120


# --------------------------------------------------------------------------- streams


def _many_lines(n: int) -> bytes:
    return b"".join(b"2024-01-01T%02d:%02d:00Z ERROR %d\n" % (i // 60 % 24, i % 60, i) for i in range(n))


@pytest.mark.parametrize("argv", [
    ["run", "{config}", "{log}", "--output", "jsonl", "--lateness", "0"],
    ["run", "{config}", "{log}", "--output", "emf", "--lateness", "0"],
    ["test", "ERROR", "{log}"],
])
def test_reader_closing_the_pipe_ends_quietly(tmp_path, argv):
    config = _config(tmp_path / "c.json", [_filter("Errors", "ERROR")])
    log = tmp_path / "app.log"
    log.write_bytes(_many_lines(100_000))
    args = [a.format(config=config, log=log) for a in argv]
    # As `cwfilter ... | head -1`: read one line, then close the pipe.
    proc = subprocess.Popen([str(CWFILTER), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_environ())
    first = proc.stdout.readline()
    proc.stdout.close()
    try:
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert first
    assert proc.returncode in (0, -signal.SIGPIPE, 128 + signal.SIGPIPE), stderr.decode()
    assert b"Traceback" not in stderr and b"Error" not in stderr.replace(b"Errors", b"")


def test_sigint_flushes_the_partial_summary_and_every_period_then_exits_130(tmp_path):
    config = _config(tmp_path / "c.json", [_filter("Errors", "ERROR")])
    proc = subprocess.Popen([str(CWFILTER), "run", str(config), "--output", "jsonl"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_environ())
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout] + [lines.put(None)], daemon=True).start()
    try:
        # stdin without --follow is a batch input: periods come at its end, or at Ctrl-C.
        proc.stdin.write(b"2024-01-01T00:00:05Z ERROR a\n2024-01-01T00:00:10Z INFO b\n"
                         b"2024-01-01T00:10:00Z ERROR c\n2024-01-01T00:10:30Z ERROR d\n")
        proc.stdin.flush()
        time.sleep(2.0)  # let it take the four lines; it then waits for more input
        proc.send_signal(signal.SIGINT)  # the input is still open
        status = proc.wait(timeout=30)
        stderr = proc.stderr.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
    rest = []
    while (line := lines.get(timeout=10)) is not None:
        rest.append(json.loads(line))
    assert status == 130
    assert "Traceback" not in stderr
    # Every period is flushed as a datapoint, and the summary accounts for all four events.
    assert [(d["Timestamp"], d["SampleCount"]) for d in rest] == [
        ("2024-01-01T00:00:00Z", 1), ("2024-01-01T00:10:00Z", 2)]
    assert "read 4 events" in stderr
    assert "Errors (any log group): read 4 = matched 3 + unmatched 1 + rejected 0; 3 samples" in stderr


def test_directory_missing_binary_and_unreadable_inputs_are_reported_and_the_others_run(tmp_path):
    config = _config(tmp_path / "c.json", [_filter("Errors", "ERROR")])
    good = tmp_path / "good.log"
    good.write_text("ERROR 1\nINFO 2\nERROR 3\n", encoding="utf-8")
    binary = tmp_path / "image.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    inputs = [tmp_path / "missing.log", tmp_path, binary, good]
    if os.path.exists("/proc/self/mem"):
        inputs.insert(3, Path("/proc/self/mem"))  # fails with EIO when read, even for root
    done = _cli("run", config, *inputs, "--output", "json", "--start", "2024-01-01T00:00:00Z")
    assert done.returncode == 2  # an input could not be opened
    assert b"Traceback" not in done.stderr
    doc = json.loads(done.stdout)
    problems = doc["summary"]["inputs"]["total"]["problems"]
    want = {"missing": 1, "is-a-directory": 1, "binary": 1}
    if os.path.exists("/proc/self/mem"):
        want["unreadable"] = 1
    assert problems == want
    [f] = doc["summary"]["filters"]
    assert (f["read"], f["matched"], f["unmatched"]) == (3, 2, 1)
    stderr = done.stderr.decode()
    for kind in want:
        assert kind in stderr


# --------------------------------------------------------------------------- accounting


@st.composite
def input_files(draw):
    """(name, bytes) of an input: good lines, bad UTF-8, oversize events, malformed JSON lines,
    truncated gzip, events out of order, a directory or a missing file."""
    kind = draw(st.sampled_from(["lines", "jsonl", "gzip", "oversize", "missing", "directory", "binary"]))
    n = draw(st.integers(0, 30))
    stamps = [draw(st.integers(0, 20 * 60)) for _ in range(n)]  # seconds, in any order
    words = st.sampled_from(["ERROR", "WARN", "INFO", "ERROR code", "\xff\xfe", ""])
    if kind in ("lines", "oversize", "gzip"):
        body = b"".join(
            b"2024-01-01T00:%02d:%02dZ %s %d\n" % (s // 60, s % 60, draw(words).encode("latin-1"), draw(st.integers(0, 9)))
            for s in stamps)
        if kind == "oversize":
            body += b"ERROR " + b"x" * MAX_EVENT_BYTES + b"\n" + body
        if kind == "gzip":
            packed = gzip.compress(body)
            body = packed[: draw(st.integers(0, len(packed)))]
        return kind, body
    if kind == "jsonl":
        rows = []
        for s in stamps:
            row = {"timestamp": T0 + s * 1000, "level": draw(st.sampled_from(["ERROR", "INFO"])),
                   "ms": draw(st.one_of(st.integers(0, 999), st.just("x"), st.none()))}
            text = json.dumps(row)
            rows.append(text[: draw(st.integers(1, len(text)))] if draw(st.integers(0, 5)) == 0 else text)
        return kind, ("\n".join(rows) + "\n").encode() if rows else b""
    if kind == "binary":
        return kind, b"\x00\x01\x02\x89PNG" + bytes(range(256))
    return kind, b""


ACCOUNTING_FILTERS = [
    _filter("Errors", "ERROR"),
    _filter("Slow", "{ $.ms > 100 }", "$.ms"),
    _filter("Codes", "[time, level = ERROR*, code]", "$code"),
    _filter("Quiet", "ERROR", "1", defaultValue=0),
    _filter("All", ""),
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                   HealthCheck.function_scoped_fixture])
@given(files=st.lists(input_files(), min_size=1, max_size=5),
       chosen=st.lists(st.sampled_from(range(len(ACCOUNTING_FILTERS))), min_size=1, max_size=5, unique=True),
       lateness=st.sampled_from([0, 60, 300]), mode=st.sampled_from(["minute", "event"]))
def test_every_event_and_sample_is_accounted_for(tmp_path, files, chosen, lateness, mode):
    work = Path(tmp_path) / f"case{time.perf_counter_ns()}"
    work.mkdir()
    config = load_config([_config(work / "c.json", [ACCOUNTING_FILTERS[i] for i in chosen])])
    specs = []
    for i, (kind, data) in enumerate(files):
        path = work / f"in{i}{'.gz' if kind == 'gzip' else '.jsonl' if kind == 'jsonl' else '.log'}"
        if kind == "directory":
            path.mkdir()
        elif kind != "missing":
            path.write_bytes(data)
        specs.append(str(path))
    engine = Engine(config, lateness=lateness, default_value_mode=mode)
    result = RunResult()
    out = list(run(engine, specs, RunOptions(start_ms=T0), result))
    summary = engine.summary()
    stats = result.stats.as_dict()["total"]
    assert stats["read"] == stats["delivered"] + stats["rejected"]
    for f in summary["filters"]:
        # Every filter sees every event (one log group): read = matched + unmatched + rejected.
        assert f["read"] == stats["read"], f
        assert f["read"] == f["matched"] + f["unmatched"] + f["rejected"], f
    published = sum(d.statistic("SampleCount") for d in out if isinstance(d, Datapoint))
    emitted = sum(f["samples"] + f["defaultSamples"] for f in summary["filters"])
    assert published == emitted


# --------------------------------------------------------------------------- no network, no stray writes

_AUDIT = r"""
import os, sys
found = []
def hook(event, args):
    if event.startswith("socket.") and event != "socket.gethostname":
        found.append(f"{event} {args!r}")
    elif event == "open" and args[0] is not None and not isinstance(args[0], int):
        mode, flags = args[1] or "r", args[2] or 0
        writing = any(c in str(mode) for c in "wax+") or flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
        if writing:
            found.append(f"write {os.fsdecode(args[0])}")
    elif event in ("os.remove", "os.rename", "os.mkdir", "shutil.rmtree", "subprocess.Popen", "os.system"):
        found.append(f"{event} {args!r}")
sys.addaudithook(hook)
sys.argv = ["cwfilter", *sys.argv[1:]]
from cwfilter.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
sys.stderr.write("\nAUDIT " + repr(found) + "\n")
sys.exit(code)
"""


@pytest.mark.parametrize("argv", [
    ["test", "ERROR", "{log}", "-o", "json"],
    ["explain", "ERROR", "{log}"],
    ["lint", "ORDER-ITEM-1"],
    ["check", "{config}"],
    ["run", "{config}", "{log}", "-o", "json", "--report", "{report}", "--plot"],
])
def test_no_network_access_and_no_writes_outside_the_named_output_files(tmp_path, argv):
    config = _config(tmp_path / "c.json", [_filter("Errors", "ERROR")])
    log = tmp_path / "app.log"
    log.write_text("2024-01-01T00:00:00Z ERROR a\n2024-01-01T00:01:00Z INFO b\n", encoding="utf-8")
    report = tmp_path / "out" / "report.html"
    report.parent.mkdir()
    args = [a.format(config=config, log=log, report=report) for a in argv]
    # The one file written besides the named outputs: Lark's parser tables, cached in the user's
    # own cache folder (grammar/loader.py), like the bytecode PYTHONDONTWRITEBYTECODE turns off.
    cache = tmp_path / "cache"
    env = {**_environ(), "PYTHONDONTWRITEBYTECODE": "1", "XDG_CACHE_HOME": str(cache)}
    done = subprocess.run([sys.executable, "-c", _AUDIT, *args], capture_output=True, env=env, timeout=120,
                          cwd=tmp_path)
    assert b"Traceback" not in done.stderr, done.stderr.decode()[-3000:]
    audit = done.stderr.decode().rpartition("\nAUDIT ")[2].strip()
    found = eval(audit)  # noqa: S307 - the list repr written by the hook above
    cached = [f for f in found if f.startswith(("write " + str(cache), f"os.mkdir ('{cache}"))]
    assert all(f.endswith(".lark-cache") for f in cached if f.startswith("write")), cached
    found = [f for f in found if f not in cached]
    allowed = {f"write {report}"} if "--report" in argv else set()
    assert set(found) <= allowed, found
    if "--report" in argv:  # the hook sees writes: the named output file is among them
        assert f"write {report}" in found and report.stat().st_size > 0
