"""`cwfilter test`, run as a real subprocess through the installed console script.

Expected matches are computed here with plain Python (substring tests, `str.split`, `json.loads`)
on patterns whose meaning is plain (DECISIONS P1 terms, exact-count space-delimited slots, a JSON
equality), never by asking cwfilter. Only the `--output json` shape is compared with
`cwfilter.test_metric_filter`, because the command promises to print exactly what it returns.
The README's ``console`` examples run here as written, and its Python examples as doctests.
"""

from __future__ import annotations

import doctest
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import cwfilter
import pytest

DATA = Path(__file__).parent / "data"
CORPUS = DATA / "corpus"
APACHE_DOCS = CORPUS / "apache" / "aws-docs-filter-pattern-examples.log"
APACHE_REAL = CORPUS / "apache" / "elastic-examples-apache_logs.log"
CLOUDTRAIL_REAL = CORPUS / "cloudtrail" / "otrf-ec2_proxy_s3_exfiltration_2020-09-14011940.jsonl"
CWFILTER = Path(sys.executable).parent / ("cwfilter.exe" if os.name == "nt" else "cwfilter")

APACHE_PATTERN = "[ip, id, user, timestamp, request, status_code = 4*, size]"
CARET_LINE = re.compile(r"^\s*\^+\s*$", re.MULTILINE)


def run(*args: str | os.PathLike, stdin: bytes = b""):
    """Run the console script; returns (exit code, stdout text, stderr text)."""
    assert CWFILTER.is_file(), f"console script not installed next to {sys.executable}"
    environ = {k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "PY_COLORS", "TTY_COMPATIBLE"}}
    environ.update({"COLUMNS": "200", "NO_COLOR": "1"})
    done = subprocess.run([str(CWFILTER), *map(str, args)], input=stdin, capture_output=True, env=environ)
    return done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")


def lines_of(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def apache_4xx(lines: list[str]) -> list[str]:
    """Lines of the docs' Apache sample whose status (second-to-last word) starts with 4."""
    return [line for line in lines if line.split()[-2].startswith("4")]


# --------------------------------------------------------------------------- exit codes, text output


def test_version_matches_pyproject():
    with (Path(__file__).parent.parent / "pyproject.toml").open("rb") as f:
        version = tomllib.load(f)["project"]["version"]
    assert run("--version") == (0, f"cwfilter {version}\n", "")


def test_match_exits_0_and_prints_matching_lines():
    code, out, err = run("test", APACHE_PATTERN, APACHE_DOCS)
    expected = apache_4xx(lines_of(APACHE_DOCS))
    assert len(expected) == 4  # lines 1, 3, 5 and 6 of the sample carry 404
    assert (code, out.splitlines()) == (0, expected)
    assert "Traceback" not in err


def test_no_match_exits_1_with_empty_stdout():
    assert run("test", "NoSuchTermAnywhere", APACHE_DOCS)[:2] == (1, "")


def test_default_output_off_a_terminal_is_text():
    assert run("test", APACHE_PATTERN, APACHE_DOCS) == run("test", "--output", "text", APACHE_PATTERN, APACHE_DOCS)


@pytest.mark.parametrize("pattern", ['ERROR ""', "{ $.level = ERROR", "a.b", "%(x)%", "[a, b"])
def test_invalid_pattern_exits_2_with_caret_and_no_traceback(pattern):
    code, out, err = run("test", pattern, APACHE_DOCS)
    assert (code, out) == (2, "")
    assert "Traceback" not in err
    assert f"  {pattern}\n" in err
    assert CARET_LINE.search(err)
    with pytest.raises(cwfilter.PatternError) as caught:
        cwfilter.compile_pattern(pattern)
    assert err == str(caught.value) + "\n"


def test_pattern_starting_with_minus_after_double_dash():
    code, out, _ = run("test", "--", "-frank", APACHE_DOCS)
    expected = [line for line in lines_of(APACHE_DOCS) if "frank" not in line]
    assert (code, out.splitlines()) == (0, expected)


def test_substring_terms_on_ten_thousand_real_lines():
    code, out, _ = run("test", '"GET /favicon.ico"', APACHE_REAL)
    expected = [line for line in lines_of(APACHE_REAL) if "GET /favicon.ico" in line]
    assert expected
    assert (code, out.splitlines()) == (0, expected)


def test_json_pattern_on_real_cloudtrail_events():
    code, out, _ = run("test", '{ $.eventName = "GetObject" }', CLOUDTRAIL_REAL)
    expected = [line for line in lines_of(CLOUDTRAIL_REAL) if json.loads(line).get("eventName") == "GetObject"]
    assert expected
    assert (code, out.splitlines()) == (0, expected)


# --------------------------------------------------------------------------- JSON output


def test_json_output_is_the_test_metric_filter_response():
    code, out, _ = run("test", "--output", "json", APACHE_PATTERN, APACHE_DOCS)
    assert code == 0
    got = json.loads(out)
    assert got == cwfilter.test_metric_filter(APACHE_PATTERN, lines_of(APACHE_DOCS))
    assert list(got) == ["matches"]
    assert [m["eventNumber"] for m in got["matches"]] == [1, 3, 5, 6]  # 1-based, DECISIONS M7
    assert [m["eventMessage"] for m in got["matches"]] == apache_4xx(lines_of(APACHE_DOCS))
    assert got["matches"][0]["extractedValues"] == {
        "$ip": "127.0.0.1",
        "$id": "-",
        "$user": "-",
        "$timestamp": "24/Sep/2013:11:49:52 -0700",
        "$request": "GET /index.html HTTP/1.1",
        "$status_code": "404",
        "$size": "287",
    }


def test_json_output_with_no_match_is_an_empty_list():
    code, out, _ = run("test", "-o", "json", "NoSuchTermAnywhere", APACHE_DOCS)
    assert (code, json.loads(out)) == (1, {"matches": []})


def test_line_endings_stripped_and_empty_lines_skipped_from_numbering():
    code, out, err = run("test", "-o", "json", "ERROR", stdin=b"a ERROR\r\n\r\n\nINFO x\nERROR b")
    assert code == 0
    assert json.loads(out) == {
        "matches": [
            {"eventNumber": 1, "eventMessage": "a ERROR", "extractedValues": {}},
            {"eventNumber": 3, "eventMessage": "ERROR b", "extractedValues": {}},
        ]
    }
    assert "skipped 2 empty lines" in err


# --------------------------------------------------------------------------- inputs


@pytest.mark.parametrize("args", [(), ("-",)], ids=["no-file", "dash"])
def test_stdin_input(args):
    code, out, _ = run("test", APACHE_PATTERN, *args, stdin=APACHE_DOCS.read_bytes())
    assert (code, out.splitlines()) == (0, apache_4xx(lines_of(APACHE_DOCS)))


def test_several_files_are_one_stream_of_events(tmp_path):
    first = tmp_path / "first.log"
    first.write_text("ERROR one\nok\n", encoding="utf-8")
    code, out, _ = run("test", "-o", "json", APACHE_PATTERN, first, APACHE_DOCS)
    assert code == 0
    assert [m["eventNumber"] for m in json.loads(out)["matches"]] == [3, 5, 7, 8]


def test_gzip_file_is_read_transparently(tmp_path):
    packed = tmp_path / "access.log.gz"
    packed.write_bytes(gzip.compress(APACHE_DOCS.read_bytes()))
    code, out, _ = run("test", APACHE_PATTERN, packed)
    assert (code, out.splitlines()) == (0, apache_4xx(lines_of(APACHE_DOCS)))


def test_gzip_on_stdin_is_recognised_by_its_magic_bytes():
    code, out, _ = run("test", APACHE_PATTERN, stdin=gzip.compress(APACHE_DOCS.read_bytes()))
    assert (code, out.splitlines()) == (0, apache_4xx(lines_of(APACHE_DOCS)))


def test_corrupt_gzip_exits_2(tmp_path):
    packed = tmp_path / "broken.gz"
    packed.write_bytes(gzip.compress(APACHE_DOCS.read_bytes())[:40])
    code, _, err = run("test", "GET", packed)
    assert code == 2
    assert "broken.gz" in err and "Traceback" not in err


def test_invalid_utf8_is_replaced_counted_and_the_run_goes_on(tmp_path):
    log = tmp_path / "mixed.log"
    log.write_bytes(b"ERROR caf\xe9 latin-1\r\nERROR fine\n\nINFO \xff\xfe\nERROR again\n")
    code, out, err = run("test", "ERROR", log)
    assert (code, out.splitlines()) == (0, ["ERROR caf\ufffd latin-1", "ERROR fine", "ERROR again"])
    assert re.search(r"\b2 events with invalid UTF-8\b", err)
    assert "skipped 1 empty line " in err


def test_byte_order_mark_at_the_start_of_a_file_is_dropped(tmp_path):
    log = tmp_path / "bom.log"
    log.write_bytes(b'\xef\xbb\xbf{"level": "ERROR"}\r\n{"level": "INFO"}\r\n')
    code, out, _ = run("test", '{ $.level = "ERROR" }', log)
    assert (code, out) == (0, '{"level": "ERROR"}\n')


def test_events_over_one_mebibyte_are_rejected_with_their_position(tmp_path):
    limit = 1_048_576  # DECISIONS M6
    log = tmp_path / "big.log"
    log.write_bytes(b"ERROR small\n" + b"ERROR " + b"x" * (limit - 5) + b"\n" + b"x" * limit + b"\nERROR end\n")
    code, out, err = run("test", "-o", "json", "ERROR", log)
    assert code == 0
    # Line 2 is one byte over the limit and is neither matched nor numbered; line 3 is exactly at it.
    assert [(m["eventNumber"], m["eventMessage"]) for m in json.loads(out)["matches"]] == [
        (1, "ERROR small"),
        (3, "ERROR end"),
    ]
    assert "rejected 1 event over 1,048,576 bytes" in err and f"{log} line 2" in err


def test_events_json_holds_multi_line_events(tmp_path):
    events = tmp_path / "events.json"
    messages = ["ERROR first\n  at frame 2", "INFO fine", "", '{\n  "level": "ERROR",\n  "n": 3\n}']
    events.write_text(json.dumps(messages), encoding="utf-8")
    code, out, err = run("test", "-o", "json", "--events-json", events, "ERROR")
    assert code == 0
    got = json.loads(out)["matches"]
    # The empty message is skipped, so the JSON event is event 3.
    assert [(m["eventNumber"], m["eventMessage"]) for m in got] == [(1, messages[0]), (3, messages[3])]
    assert "skipped 1 empty line" in err
    code, out, _ = run("test", "-o", "json", "--events-json", events, '{ $.level = "ERROR" }')
    assert code == 0
    assert [m["eventMessage"] for m in json.loads(out)["matches"]] == [messages[3]]


@pytest.mark.parametrize(
    ("content", "complaint"),
    [('{"a": 1}', "array"), ('["ok", 3]', "element 1"), ("[not json", "not valid JSON")],
)
def test_events_json_must_be_an_array_of_strings(tmp_path, content, complaint):
    events = tmp_path / "events.json"
    events.write_text(content, encoding="utf-8")
    code, out, err = run("test", "--events-json", events, "ERROR")
    assert (code, out) == (2, "")
    assert complaint in err and "Traceback" not in err


def test_events_json_and_files_together_is_a_usage_error(tmp_path):
    events = tmp_path / "events.json"
    events.write_text('["ERROR"]', encoding="utf-8")
    assert run("test", "--events-json", events, "ERROR", APACHE_DOCS)[0] == 2


def test_missing_file_exits_2_before_any_output(tmp_path):
    missing = tmp_path / "nope.log"
    code, out, err = run("test", "GET", APACHE_DOCS, missing)
    assert (code, out) == (2, "")
    assert str(missing) in err and "Traceback" not in err


def test_missing_events_json_exits_2(tmp_path):
    code, _, err = run("test", "--events-json", tmp_path / "none.json", "GET")
    assert code == 2 and "none.json" in err


# --------------------------------------------------------------------------- table output


def test_table_output_lists_matches_and_summarises_on_stderr():
    code, out, err = run("test", "--output", "table", APACHE_PATTERN, APACHE_DOCS)
    assert code == 0
    assert "\x1b[" not in out  # no colour off a terminal
    for number in ("1", "3", "5", "6"):
        assert re.search(rf"^\W*{number}\W", out, re.MULTILINE), number
    assert "$status_code = 404" in out and "$user = frank" in out
    assert "[24/Sep/2013:11:49:52" in out  # brackets are text, not rich markup
    assert err.strip().splitlines()[-1] == "4 of 6 events matched"


def test_table_output_with_no_match():
    code, out, err = run("test", "-o", "table", "NoSuchTermAnywhere", APACHE_DOCS)
    assert (code, out) == (1, "")
    assert err.strip() == "0 of 6 events matched"


# --------------------------------------------------------------------------- start-up


def test_cli_does_not_import_rich_until_a_table_is_rendered():
    code = "import sys, cwfilter.cli; print('rich' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (0, "False\n"), done.stderr


# --------------------------------------------------------------------------- examples in the docs

README = Path(__file__).parent.parent / "README.md"
REPO = README.parent
# The README and every page of the documentation site: their examples run as written from the
# repository's root.
DOCS = [README, *sorted((REPO / "docs").rglob("*.md"))]
SHELL = shutil.which("bash") or shutil.which("sh")


@dataclass(frozen=True, slots=True)
class ConsoleExample:
    """One ``$ command`` of a ``console`` block in the docs and the output shown under it."""

    command: str
    output: str
    line: int
    file: str = "README.md"


def console_examples(path: Path = README) -> list[ConsoleExample]:
    """Every command of the ``console`` blocks of `path` (commands continue over lines ending in ``\\``)."""
    examples = []
    name = path.relative_to(REPO).as_posix()
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip() != "```console":
            i += 1
            continue
        i += 1
        command: list[str] | None = None
        output: list[str] = []
        start = i
        while lines[i].strip() != "```":
            line = lines[i]
            if line.startswith("$ ") and (command is None or not command[-1].endswith("\\")):
                if command is not None:
                    examples.append(ConsoleExample("\n".join(command), "".join(o + "\n" for o in output), start + 1, name))
                command, output, start = [line[2:]], [], i
            elif command is not None and command[-1].endswith("\\"):
                command.append(line)
            else:
                output.append(line)
            i += 1
        if command is not None:
            examples.append(ConsoleExample("\n".join(command), "".join(o + "\n" for o in output), start + 1, name))
        i += 1
    return examples


def readme_console_examples() -> list[ConsoleExample]:
    return console_examples(README)


def docs_console_examples() -> list[ConsoleExample]:
    return [e for path in DOCS for e in console_examples(path)]


def run_console_example(example: ConsoleExample) -> str:
    """Stdout and stderr together, as on a terminal of 80 columns without colour."""
    env = {k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "PY_COLORS", "TTY_COMPATIBLE"}}
    env.update({"PATH": f"{CWFILTER.parent}{os.pathsep}{env.get('PATH', '')}", "NO_COLOR": "1", "COLUMNS": "80"})
    done = subprocess.run(
        [SHELL, "-c", example.command], cwd=REPO, env=env,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    return done.stdout.decode("utf-8")


@pytest.mark.skipif(SHELL is None, reason="no POSIX shell to run the docs' examples")
@pytest.mark.parametrize("example", docs_console_examples(), ids=lambda e: f"{e.file}:{e.line}")
def test_docs_console_example(example):
    """The command prints what the page shows."""
    assert run_console_example(example) == example.output


def test_docs_have_console_examples():
    assert len(docs_console_examples()) >= 40
    assert 3 <= len(readme_console_examples()) <= 15  # a one-minute tour, not the manual


@pytest.mark.parametrize("path", [p for p in DOCS if ">>> " in p.read_text(encoding="utf-8")],
                         ids=lambda p: p.relative_to(REPO).as_posix())
def test_docs_python_examples(path):
    """Each page's Python examples run as a doctest, on their own (in the page's order)."""
    failures, attempted = doctest.testfile(str(path), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert attempted > 0 and failures == 0


def test_docs_python_examples_exist():
    assert sum(">>> " in p.read_text(encoding="utf-8") for p in DOCS) >= 2


_NAMED_FILE_RE = re.compile(r"^(?:examples|tests)/\S+$|^[\w./-]+\.(?:ya?ml|json|jsonl|log|tf|sh|gz)$")


def named_files(command: str) -> list[str]:
    """The repository files a shell command names (arguments that look like paths), output
    redirections left out."""
    import shlex

    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        words = list(lexer)
    except ValueError:
        return []
    found = []
    for before, word in zip(["", *words], words):
        if before in {">", ">>"} or word.startswith(("-", "$", "<", "http")):
            continue
        word = word.split("@", 1)[0].split("=", 1)[-1]
        if _NAMED_FILE_RE.match(word):
            found.append(word)
    return found


def _shell_commands(path: Path) -> list[tuple[int, str]]:
    """The commands of the ``sh`` and ``console`` blocks of a page."""
    out = []
    for m in re.finditer(r"```(sh|console)\n(.*?)\n```", path.read_text(encoding="utf-8"), re.DOTALL):
        line = path.read_text(encoding="utf-8")[:m.start()].count("\n") + 2
        for offset, text in enumerate(m.group(2).splitlines()):
            if m.group(1) == "console" and not text.startswith("$ "):
                continue
            out.append((line + offset, text.removeprefix("$ ")))
    return out


def test_docs_name_only_files_that_exist():
    """Every file a command in the docs names is in the repository (examples/, tests/ ...),
    except the files the commands themselves write."""
    written = {"cwfilter-config.schema.json", "cwfilter-scenario.schema.json", "cwfilter.yaml", "cis.yaml",
               "report.html", "results.json", "cwfilter.sarif", "env.tar.gz"}
    missing = []
    for path in DOCS:
        for line, command in _shell_commands(path):
            for name in named_files(command):
                if name not in written and not (REPO / name).exists():
                    missing.append(f"{path.relative_to(REPO)}:{line}: {name}")
    assert missing == []


def test_named_files_finds_paths():
    assert named_files("cwfilter run examples/errors.yaml app.log@/g -o json > out.json") == [
        "examples/errors.yaml", "app.log"]


def test_decisions_page_lists_every_decision_with_an_anchor():
    from cwfilter.engine.links import decision_url

    text = (REPO / "docs" / "reference" / "decisions.md").read_text(encoding="utf-8")
    ids = [f"P{i}" for i in range(1, 24)] + [f"M{i}" for i in range(1, 8)] + [f"A{i}" for i in range(1, 14)]
    listed = re.findall(r'^\* <a id="([pma]\d+)"></a>\*\*([PMA]\d+)\*\* \S', text, re.MULTILINE)
    assert [b for _, b in listed] == ids
    assert all(a == b.lower() for a, b in listed)
    assert all(decision_url(i).endswith(f"reference/decisions/#{i.lower()}") for i in ids)


# --------------------------------------------------------------------------- large inputs


def test_large_input_read_in_blocks_numbers_events_exactly(tmp_path):
    """Several megabytes: blocks without a match are skipped whole, yet every event is counted and
    numbered as TestMetricFilter would number it, across block boundaries."""
    lines = []
    for i in range(60_000):
        lines.append(f"10.0.{i % 250}.{i % 7} - - [10/Oct/2000:13:55:36 -0700] \"GET /item/{i} HTTP/1.0\" 200 {i}")
        if i in (7, 29_999, 30_000, 59_999):
            lines.append(f"ERROR payment {i} failed")
        if i == 45_000:
            lines += ["", "caf\u00e9 ERROR with accents", "ERROR windows line\r"]
    lines.insert(20_000, "x" * 1_100_000)  # oversize, inside a block: rejected, not numbered
    path = tmp_path / "big.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert path.stat().st_size > 3 * (1 << 20)
    code, out, err = run("test", "-o", "json", "ERROR", str(path))
    assert code == 0, err
    events = [l.rstrip("\r") for l in lines if l and len(l.encode()) <= 1_048_576]
    expected = cwfilter.test_metric_filter("ERROR", events)
    assert json.loads(out) == expected
    # 8 lines, then ERROR 7 is event 9; ERROR 29999 follows 30,000 lines and one ERROR: 30,002.
    assert [m["eventNumber"] for m in expected["matches"]][:2] == [9, 30_002]
    assert "line 20001" in err  # the oversize line, by its position in the file
    code, out, _ = run("test", "-o", "text", "ERROR", str(path))
    assert out.splitlines() == [m["eventMessage"] for m in expected["matches"]]


def test_blocks_skipped_whole_still_account_for_every_line(tmp_path):
    """Multi-byte characters cut by the reads, an empty line, invalid UTF-8 and a CRLF line, each in
    a block without a match: skipping blocks whole must count each as one line by line would."""
    lines = [f"caf\u00e9 \u2615 request {i} served".encode() for i in range(200_000)]
    lines[50_000] = b""
    lines[90_000] = b"bad \xff byte"
    lines[120_000] = b"windows line\r"
    lines[199_990] = b"ERROR at the end \xe2\x98\x95"
    path = tmp_path / "mixed.log"
    path.write_bytes(b"\n".join(lines) + b"\n")
    assert path.stat().st_size > 5 * (1 << 20)
    code, out, err = run("test", "-o", "json", "ERROR", str(path))
    assert code == 0, err
    events = [l.rstrip(b"\r").decode("utf-8", "replace") for l in lines if l]
    assert json.loads(out) == cwfilter.test_metric_filter("ERROR", events)
    assert json.loads(out)["matches"][0]["eventNumber"] == 199_990  # one empty line before it
    assert "skipped 1 empty line" in err and "1 event with invalid UTF-8" in err
    code, _, err = run("test", "-o", "table", "ERROR", str(path))
    assert code == 0 and "1 of 199999 events matched" in err


def test_pattern_with_undecodable_bytes_from_argv(tmp_path):
    """A quoted term given as bytes that are not UTF-8 (read as a lone surrogate) runs without a
    traceback: the same bytes in a log line decode to U+FFFD, so nothing matches (exit 1)."""
    path = tmp_path / "bytes.log"
    path.write_bytes(b"a\xffb\n" + b"plain line\n" * 100_000)
    code, out, err = run("test", "-o", "text", '"\udcff"', path)
    assert (code, out) == (1, "") and "Traceback" not in err, err
    assert "1 event with invalid UTF-8" in err


def _setup_commands() -> list[str]:
    """The ``sh`` commands of the README's Set-up section, in order."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Set-up"):]
    section = section[:section.index("\n## ", 1)]
    return re.findall(r"```sh\n(.*?)\n```", section, re.DOTALL)


def test_readme_first_command_installs_and_runs_the_main_job():
    """One line: install, then `cwfilter run` over the bundled example with metric filters and an
    alarm, printing datapoints and alarm transitions."""
    first = _setup_commands()[0]
    assert "\n" not in first
    install, run_part = first.split(" && .venv/bin/cwfilter ", 1)
    assert install == "python3 -m venv .venv && .venv/bin/pip install ."
    assert run_part.startswith("run ")
    env = {k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "PY_COLORS", "TTY_COMPATIBLE"}}
    env.update({"NO_COLOR": "1", "COLUMNS": "80"})
    done = subprocess.run(
        [SHELL, "-c", f'"$CWFILTER" {run_part}'], cwd=README.parent, env=env | {"CWFILTER": str(CWFILTER)},
        stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "checkout-errors-high  OK -> ALARM" in done.stdout
    assert "checkout-errors-high  ALARM -> OK" in done.stdout
    rows = re.findall(r"│ (2024-05-01T12:0\dZ) │ +(\d+) │", done.stdout.replace(":00Z", "Z"))
    assert rows == [("2024-05-01T12:00Z", "1"), ("2024-05-01T12:01Z", "6"), ("2024-05-01T12:02Z", "7"),
                    ("2024-05-01T12:03Z", "1")]
    config = (README.parent / run_part.split()[1]).read_text(encoding="utf-8")
    assert "metricFilters:" in config and "MetricAlarms:" in config
