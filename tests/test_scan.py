"""Term patterns over line input scanned a block at a time give what per-line evaluation gives.

`cwfilter test -o text` with a term pattern searches whole blocks of line input for the longest
include term and writes the matching lines as they stand (`engine.inputs.scan`). The reference
here is per-line evaluation: every event `read_messages` yields, tested with the compiled
pattern's `matches` and written as text. Both must give the same bytes on stdout and the same
accounting (events, empty lines, invalid UTF-8, oversize lines with their positions), whatever
the reads' sizes, on lines near a read's edge, CRLF, invalid UTF-8 and oversize lines.

The console script's own reading of plain-word patterns (`cwfilter.__main__`, which runs without
the parser) must read each pattern as the parser does.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cwfilter import compile_pattern, parse
from cwfilter.engine.inputs import messages
from cwfilter.engine.inputs.messages import MAX_EVENT_BYTES, MessageStats, read_messages
from cwfilter.engine.inputs.scan import TermScan, bytes_beneath, line_terms, plain_terms, scan_inputs
from cwfilter.engine.report.text import input_notes
from cwfilter.grammar import PatternError, nodes
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

DATA = Path(__file__).parent / "data"
CORPUS = DATA / "corpus"
CWFILTER = Path(sys.executable).parent / ("cwfilter.exe" if os.name == "nt" else "cwfilter")

PATTERNS = (
    "ERROR", "ERROR -WARN", "ERR WARN", "?ERROR", "?ERROR ?WARN", "WARN ?x", '"R x"', '"é"', '"ERROR x" -"é"',
    '" " ERROR', "-WARN", '"ab\ufffd"', '"ERROR\r"', '"a\nb"', "x", '"\t"', "ab -R",
)
PIECES = (b"ERROR", b"ERR", b"WARN", b"x", b" ", b"R x", "é".encode(), b"\xff", b"\xc3", b"ab", b"\r", b"\t")
CLEAN_PIECES = tuple(p for p in PIECES if p not in (b"\xff", b"\xc3", b"\r"))
CHUNK_SIZES = st.one_of(st.integers(1, 40), st.sampled_from([61, 256, 4096, 65_536, messages.READ_CHUNK]))


@st.composite
def line_inputs(draw) -> bytes:
    """Lines of term-like pieces: empty lines, CRLF, invalid UTF-8, a BOM, oversize lines."""
    out = [b"\xef\xbb\xbf"] if draw(st.booleans()) and draw(st.booleans()) else []
    # Mostly clean input (blocks the scan takes whole), else anything.
    clean = draw(st.integers(0, 3)) > 0
    pieces = CLEAN_PIECES if clean else PIECES
    kinds = ["line"] * 20 + ["empty", "crlf", "big"] if clean else ["line"] * 8 + ["empty", "crlf", "big"]
    for _ in range(draw(st.integers(0, 30))):
        kind = draw(st.sampled_from(kinds))
        if kind == "empty":
            out.append(b"\n")
            continue
        line = b"".join(draw(st.lists(st.sampled_from(pieces), min_size=1 if clean else 0, max_size=8)))
        if kind == "big":  # at the limit (DECISIONS M6), one byte more or less
            line = b"ERROR " + b"a" * (MAX_EVENT_BYTES - 6 + draw(st.integers(-2, 2)))
        out.append(line + (b"\r\n" if kind == "crlf" else b"\n"))
    if draw(st.booleans()):
        out.append(b"".join(draw(st.lists(st.sampled_from(PIECES), max_size=4))))  # no line break at the end
    return b"".join(out)


def per_line(data_chunks: list[bytes], pattern: str) -> tuple[bytes, MessageStats, int]:
    """The reference: every event tested on its own, written as a text stdout would."""
    compiled = compile_pattern(pattern)
    stats = MessageStats()
    out = []
    for _, message in messages._line_messages(data_chunks, _NoDecompressError(), "in.log", stats, None):
        if compiled.matches(message):
            out.append((message + "\n").encode("utf-8", "backslashreplace"))
    return b"".join(out), stats, len(out)


def scanned(data_chunks: list[bytes], terms: tuple, line_buffered: bool) -> tuple[bytes, MessageStats, int]:
    out = io.BytesIO()
    scan = TermScan(*terms, out=out, line_buffered=line_buffered)
    stats = MessageStats()
    for _, message in messages._line_messages(data_chunks, _NoDecompressError(), "in.log", stats, None, scan.block):
        if scan.matches(message):
            scan.write(message)
    scan.flush()
    return out.getvalue(), stats, scan.matched


class _NoDecompressError:
    """What `_line_messages` asks of its input at the end: whether gzip data was cut short (no)."""

    decompress_error = None


def chunked(data: bytes, size: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(pattern=st.sampled_from(PATTERNS), data=line_inputs(), size=CHUNK_SIZES, line_buffered=st.booleans())
@example(pattern="ERROR", data=b"a ERROR\nERROR b\r\nERROR\n\nxERRORx\n", size=3, line_buffered=False)
@example(pattern="ERROR -WARN", data=b"ERROR WARN\nERROR\n" * 5000, size=messages.READ_CHUNK, line_buffered=False)
def test_block_scan_equals_per_line_evaluation(pattern, data, size, line_buffered):
    terms = line_terms(parse(pattern))
    assume(terms is not None)
    if len(data) > MAX_EVENT_BYTES:
        size = max(size, 4096)  # reads of a few bytes over a 1 MiB line: quadratic, and not the point
    chunks = chunked(data, size)
    assert scanned(chunks, terms, line_buffered) == per_line(chunks, pattern)


def test_patterns_the_scan_cannot_run_are_left_to_per_line_matching():
    # Nothing to search for (exclude terms alone, several `?` terms, the empty pattern, a term
    # that is everywhere), a term spanning lines, a lone surrogate: no scan.
    for pattern in ("-WARN", "?a ?b", "", '" "', '?" " ?a', 'a -" "', '"a\nb"', '"\ud800"'):
        assert line_terms(parse(pattern)) is None, pattern
    assert line_terms(parse('" " ERROR -x ?y')) == (("ERROR",), ("x",))
    assert line_terms(parse("?a ?a")) == (("a",), ())
    assert line_terms(parse('"request failed" 503 503')) == (("request failed", "503"), ())
    assert line_terms(parse("[a, b]")) is None and line_terms(parse("{ $.a = 1 }")) is None


def test_a_large_file_in_many_reads_with_bad_lines_on_the_edges(tmp_path):
    """Whole reads of a real file (several 512 KB blocks), bad lines placed on the reads' edges."""
    lines = (CORPUS / "apache" / "elastic-examples-apache_logs.log").read_bytes().splitlines(keepends=True)
    body = bytearray()
    inserted = i = 0
    while inserted < 5:
        line = lines[i % len(lines)]
        line = (b"ERROR " + line) if i % 29 == 0 else line
        if len(body) % messages.READ_CHUNK + len(line) >= messages.READ_CHUNK:
            # The next line would cross a read's edge: bad lines there instead.
            body += b"ERROR near an edge \xff\xfe\r\n\nERROR " + b"z" * (MAX_EVENT_BYTES + 1) + b"\n"
            inserted += 1
        body += line
        i += 1
    path = tmp_path / "big.log"
    path.write_bytes(bytes(body))
    gz = tmp_path / "big.log.gz"
    gz.write_bytes(gzip.compress(bytes(body)))
    for name in (path, gz):
        compiled = compile_pattern("ERROR -Googlebot")
        ref_stats = MessageStats()
        expected = b"".join((m + "\n").encode() for _, m in read_messages([str(name)], ref_stats) if compiled.matches(m))
        out = io.BytesIO()
        stats = MessageStats()
        scan = TermScan(("ERROR",), ("Googlebot",), out=out)
        assert scan_inputs(scan, [str(name)], stats) == expected.count(b"\n") > 50
        assert out.getvalue() == expected
        assert stats == ref_stats and stats.invalid_utf8 == 5 and stats.oversize == 5 and stats.skipped_empty == 5


# --------------------------------------------------------------------------- plain words without the parser

WORDS = st.text(alphabet="ab_Z09", min_size=1, max_size=4)
SPACE = st.text(alphabet=" \t\r\n", max_size=2)


@st.composite
def word_patterns(draw) -> str:
    parts = [draw(SPACE)]
    for _ in range(draw(st.integers(0, 5))):
        parts.append(draw(st.sampled_from(["", "", "?", "-", "--", "?-"])) + draw(WORDS))
        parts.append(draw(st.sampled_from([" ", "\t", "", "  ", "-", "?", "\n"])))
    parts.append(draw(SPACE))
    return "".join(parts)


@settings(max_examples=500, deadline=None)
@given(text=st.one_of(word_patterns(), st.text(alphabet='ab ?-"%{[*\t', max_size=12)))
@example(text="ORDER-ITEM-1")
@example(text="a?b")
@example(text="a- b")
@example(text="a" * 1025)
def test_plain_words_are_read_as_the_parser_reads_them(text):
    fast = plain_terms(text)
    try:
        tree = parse(text)
    except PatternError:
        assert fast is None
        return
    if fast is not None:
        assert isinstance(tree, nodes.TermPattern)
        assert fast == line_terms(tree)
        assert not any(t.quoted for t in tree.terms)


def test_a_long_word_is_read_in_linear_time():
    assert plain_terms("a" * 1024) == (("a" * 1024,), ())
    assert plain_terms("a" * 1000 + "!") is None and plain_terms("ab " * 400) is None


def test_bytes_beneath_a_text_stream():
    utf8 = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    assert bytes_beneath(utf8) is utf8.buffer
    assert bytes_beneath(io.TextIOWrapper(io.BytesIO(), encoding="latin-1")) is None
    assert bytes_beneath(io.StringIO()) is None


# --------------------------------------------------------------------------- the console script

def run(*args, stdin: bytes = b"", env: dict | None = None):
    environ = {k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "PY_COLORS", "TTY_COMPATIBLE"}}
    environ.update({"COLUMNS": "200", "NO_COLOR": "1", **(env or {})})
    done = subprocess.run([str(CWFILTER), *map(str, args)], input=stdin, capture_output=True, env=environ)
    return done.returncode, done.stdout, done.stderr.decode("utf-8")


def reference(names: list[str], pattern: str, stdin: bytes = b"") -> tuple[int, bytes, str]:
    """Exit code, stdout and stderr of per-line evaluation, computed in this process."""
    compiled = compile_pattern(pattern)
    stats = MessageStats()
    out = b"".join((m + "\n").encode("utf-8", "backslashreplace")
                   for _, m in read_messages(names, stats) if compiled.matches(m))
    notes = "".join(f"cwfilter: {line}\n" for line in input_notes(stats))
    return (0 if out else 1), out, notes


@pytest.mark.parametrize("pattern", ["ERROR", "ERROR -Googlebot", '"ERROR"', "Mozilla -Googlebot ?x", "nothing_here"])
def test_console_script_gives_per_line_results(tmp_path, pattern):
    lines = (CORPUS / "apache" / "elastic-examples-apache_logs.log").read_bytes().splitlines(keepends=True)
    body = b"".join((b"ERROR \xff " + l) if i % 7 == 0 else (b"\r\n" if i % 13 == 0 else l)
                    for i, l in enumerate(lines * 3))
    path = tmp_path / "app.log"
    path.write_bytes(body)
    code, out, err = run("test", pattern, path)
    assert (code, out, err) == reference([str(path)], pattern)
    # From standard input, and with `-o text --line-buffered`, the same.
    assert run("test", "-o", "text", "--line-buffered", "--", pattern, stdin=body) == (code, out, err)
    # PYTHONUNBUFFERED does not change what is written.
    assert run("test", pattern, path, env={"PYTHONUNBUFFERED": "1"}) == (code, out, err)


def test_console_script_reads_a_cloudtrail_document_by_records(tmp_path):
    records = [json.loads(line)["event"] for line in
               (CORPUS / "cloudtrail" / "aws-docs-cloudtrail-examples.jsonl").read_text(encoding="utf-8").splitlines()
               if line.strip()]
    doc = tmp_path / "trail.json"
    doc.write_text(json.dumps({"Records": records}, indent=2), encoding="utf-8")
    expected = reference([str(doc)], "eventName")
    assert run("test", "eventName", stdin=doc.read_bytes()) == expected
    assert run("test", "eventName", doc) == expected
    # One record a line, not the document's lines.
    assert expected[1].count(b"\n") == sum("eventName" in json.dumps(r) for r in records) > 1


def test_console_script_exit_codes_and_errors(tmp_path):
    path = tmp_path / "a.log"
    path.write_bytes(b"one ERROR\ntwo\n")
    assert run("test", "ERROR", path) == (0, b"one ERROR\n", "")
    assert run("test", "WARN", path) == (1, b"", "")
    code, out, err = run("test", "ERROR", tmp_path / "missing.log")
    assert (code, out) == (2, b"") and "no such file" in err
    # A gzip file cut short: the lines before the cut are written, then the error, exit 2.
    cut = tmp_path / "cut.log.gz"
    cut.write_bytes(gzip.compress(b"ERROR one\n" * 20_000)[:-40])
    code, out, err = run("test", "ERROR", cut)
    assert code == 2 and out.startswith(b"ERROR one\n") and "cannot read" in err
    # `| head -1`: the reader goes away; no traceback, exit 0.
    big = tmp_path / "big.log"
    big.write_bytes(b"ERROR line\n" * 300_000)
    for args in ("ERROR", "-o text --line-buffered ERROR", "'{ $.a = 1 }' -f lines"):
        done = subprocess.run(f"'{CWFILTER}' test {args} '{big}' | head -1; echo ${{PIPESTATUS[0]}} >&2", shell=True,
                              capture_output=True, executable="/bin/bash")
        assert done.stdout == (b"ERROR line\n" if "ERROR" in args else b"")
        assert done.stderr in (b"0\n", b"141\n") if "ERROR" in args else done.stderr == b"1\n", done.stderr


def test_help_and_other_commands_are_the_full_command_line():
    code = FULL_CLI
    for args in (["test", "--help"], ["--help"], ["test"], ["test", "-o", "json", "x", "/nonexistent"],
                 ["--version"], ["test", "--bogus", "ERROR"]):
        direct = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, env={**os.environ, "COLUMNS": "100"})
        front = subprocess.run([str(CWFILTER), *args], capture_output=True, env={**os.environ, "COLUMNS": "100"})
        assert (front.returncode, front.stdout, front.stderr) == (direct.returncode, direct.stdout, direct.stderr), args


FULL_CLI = "import sys; from cwfilter.cli import main; sys.argv[0] = 'cwfilter'; main()"


@pytest.mark.parametrize("args", [
    ["{ $.level = \"ERROR\" }", "{export}"],  # no match, and the input looks like an export: a hint
    ["{ $.level = \"ERROR\" }", "{jsonl}"],
    ["-o", "text", "[ip, id, user, ts, request, status = 404, bytes]", "{apache}"],
    ["%GET /[a-z]+%", "{apache}"],
    ["\"Googlebot/2.1\" -bingbot", "{apache}", "{jsonl}"],
    ["{ $.level = }", "{jsonl}"],  # invalid: the CLI's caret
    ["ERROR", "{jsonl}", "{missing}"],
    ["--format", "jsonl", "--", "ERROR", "{jsonl}"],
    ["-f", "cloudtrail", "eventName", "{jsonl}"],
])
def test_front_and_full_command_line_agree(tmp_path, args):
    """The console script (its front) and `cli.main` alone give the same output, messages and exit code."""
    export = tmp_path / "export.log"
    export.write_bytes(b'2024-05-01T12:00:00.000Z {"level":"ERROR"}\n2024-05-01T12:00:01.000Z {"level":"INFO"}\n')
    jsonl = tmp_path / "app.jsonl"
    jsonl.write_bytes(b'{"level":"ERROR","msg":"one"}\n{"level":"INFO"}\n\n{"level":"ERROR","bad":"\xff"}\r\n')
    files = {"export": export, "jsonl": jsonl, "apache": CORPUS / "apache" / "aws-docs-filter-pattern-examples.log",
             "missing": tmp_path / "missing.log"}
    argv = ["test", *(str(files[a[1:-1]]) if a.startswith("{") and a[1:-1] in files else a for a in args)]
    environ = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1"}
    direct = subprocess.run([sys.executable, "-c", FULL_CLI, *argv], capture_output=True, env=environ)
    front = subprocess.run([str(CWFILTER), *argv], capture_output=True, env=environ)
    assert (front.returncode, front.stdout, front.stderr) == (direct.returncode, direct.stdout, direct.stderr)


def test_the_json_path_loads_no_cli(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"a": 1}\n{"a": 2}\n')
    code = ("import sys, runpy; sys.argv = ['cwfilter', 'test', '{ $.a = 2 }', sys.argv[1]]\n"
            "try:\n    runpy.run_module('cwfilter', run_name='__main__')\n"
            "except SystemExit as e:\n    assert e.code == 0, e.code\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in {'typer', 'click', 'pydantic', 'rich'}"
            " or m == 'cwfilter.cli'))")
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    assert done.stdout == '{"a": 2}\n[]\n'


def test_the_plain_word_path_loads_no_parser_or_cli(tmp_path):
    path = tmp_path / "a.log"
    path.write_bytes(b"one ERROR\n")
    code = ("import sys, runpy; sys.argv = ['cwfilter', 'test', 'ERROR', sys.argv[1]]\n"
            "try:\n    runpy.run_module('cwfilter', run_name='__main__')\n"
            "except SystemExit as e:\n    assert e.code == 0, e.code\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in {'lark', 'typer', 'click', 'pydantic', 'rich'}"
            " or m in {'cwfilter.cli', 'cwfilter.grammar'}))")
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    assert done.stdout == "one ERROR\n[]\n"
