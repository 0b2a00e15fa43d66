"""Terminal output of the real console script: help texts at 80 columns, and, under a
pseudo-terminal (`script`), the compact run table, the progress bar and the stdin hint."""

from __future__ import annotations

import itertools
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CWFILTER = Path(sys.executable).parent / ("cwfilter.exe" if os.name == "nt" else "cwfilter")
COMMANDS = [[], ["test"], ["check"], ["run"], ["explain"], ["lint"], ["plot"], ["import"], ["unit"],
            ["validate-logs"], ["rules"], ["rules", "cis"]]
WIDTH = 80


def help_text(command: list[str]) -> str:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": str(WIDTH), "TERM": "dumb"}
    done = subprocess.run([str(CWFILTER), *command, "--help"], capture_output=True, check=False, env=env)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode("utf-8")


def description_paragraphs(text: str) -> list[list[str]]:
    """The lines of the help text above the first panel, grouped in paragraphs."""
    paragraphs: list[list[str]] = [[]]
    for line in text.splitlines()[3:]:  # blank, usage, blank
        if line.lstrip().startswith("╭"):
            break
        if line.strip():
            paragraphs[-1].append(line.strip())
        elif paragraphs[-1]:
            paragraphs.append([])
    return [p for p in paragraphs if p]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "cwfilter")
def test_help_sentences_are_not_broken_at_80_columns(command):
    text = help_text(command)
    assert all(len(line) <= WIDTH for line in text.splitlines())
    room = WIDTH - 2  # rich pads the text with one column on each side
    for paragraph in description_paragraphs(text):
        # Wrapped to the width, each line is as full as it can be: the next line's first word
        # would not have fit. A line broken earlier is a sentence cut in the middle.
        for line, following in itertools.pairwise(paragraph):
            assert len(line) + 1 + len(following.split()[0]) > room, (
                f"`cwfilter {' '.join(command)} --help` breaks a sentence after {line!r}")


@pytest.mark.parametrize(("command", "usage"), [
    (["test"], "cwfilter test [OPTIONS] PATTERN [FILE]..."),
    (["run"], "cwfilter run [OPTIONS] CONFIG [INPUT]..."),
    (["check"], "cwfilter check [OPTIONS] SOURCE..."),
    (["unit"], "cwfilter unit [OPTIONS] FILE..."),
    (["lint"], "cwfilter lint [OPTIONS] PATTERN"),
])
def test_usage_lines_show_repeatable_arguments(command, usage):
    line = next(line for line in help_text(command).splitlines() if "Usage:" in line)
    assert line.split("Usage:", 1)[1].strip() == usage
    assert "{" not in line


def test_option_help_has_no_hard_line_breaks():
    """Help of options and arguments is wrapped by the terminal's width, never by the source."""
    import typer
    from cwfilter.cli import app

    def walk(command):
        yield command
        for sub in getattr(command, "commands", {}).values():
            yield from walk(sub)

    for command in walk(typer.main.get_command(app)):
        for param in command.params:
            assert "\n" not in (getattr(param, "help", None) or ""), (command.name, param.name)


# --------------------------------------------------------------------------- under a pseudo-terminal

REPORT = Path(__file__).parent / "fixtures" / "report"
SCRIPT = shutil.which("script")
needs_pty = pytest.mark.skipif(SCRIPT is None or not sys.platform.startswith("linux"),
                               reason="needs util-linux `script` for a pseudo-terminal")
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def on_terminal(args: list[str], stdin: bytes = b"", columns: int = 100, timeout: int = 120) -> str:
    """Run the console script with stdin, stdout and stderr on a pseudo-terminal (`script`), and
    return what the terminal received, without escape sequences, with carriage returns as line ends."""
    env = {k: v for k, v in os.environ.items() if k not in {"NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE"}}
    env.update({"COLUMNS": str(columns), "LINES": "50", "TERM": "xterm-256color"})
    command = " ".join(shlex.quote(a) for a in [str(CWFILTER), *args])
    done = subprocess.run([SCRIPT, "-qec", command, "/dev/null"], input=stdin, capture_output=True,
                          check=False, env=env, timeout=timeout)
    assert done.returncode == 0, done.stdout.decode("utf-8", "replace") + done.stderr.decode("utf-8", "replace")
    text = done.stdout.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
    return ESCAPES.sub("", text)


def json_run(args: list[str]) -> dict:
    done = subprocess.run([str(CWFILTER), *args, "-o", "json", "-q"], capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(done.stdout)


def table_rows(text: str, title: str) -> list[list[str]]:
    """The body rows of the rich table under `title` (cells stripped; wrapped cells joined)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == title)
    rows: list[list[str]] = []
    for line in lines[start + 4:]:  # title, top rule, header, header rule
        if not line.startswith("│"):
            break
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        if cells[0] or not rows:
            rows.append(cells)
        else:  # a wrapped first cell continues on the next line
            rows[-1] = [f"{a} {b}".strip() for a, b in zip(rows[-1], cells, strict=True)]
    return rows


@needs_pty
def test_run_on_a_terminal_prints_a_row_per_metric_and_per_alarm():
    log = REPORT / "api.jsonl"
    errors = sum(1 for line in log.read_text(encoding="utf-8").splitlines()
                 if line.startswith("{") and line.endswith("}") and json.loads(line).get("level") == "ERROR")
    results = json_run(["run", str(REPORT / "config.yaml"), str(log)])
    text = on_terminal(["run", str(REPORT / "config.yaml"), str(log)])
    metrics = table_rows(text, "metrics")
    assert [row[0] for row in metrics] == ["App / Errors", "App / Latency"]
    samples, total = metrics[0][1], metrics[0][2]
    assert int(samples) == errors and int(total) == errors  # one sample of 1 per ERROR line
    assert metrics[0][5].endswith(" sum") and metrics[1][5].endswith(" avg")  # the sparkline column
    assert set(metrics[0][5].removesuffix(" sum")) <= set(" ▁▂▃▄▅▆▇█")
    alarms = {row[0]: row for row in table_rows(text, "alarms")}
    assert set(alarms) == {a["alarmName"] for a in results["summary"]["alarms"]}
    for alarm in results["summary"]["alarms"]:
        row = alarms[alarm["alarmName"]]
        assert int(row[1]) == alarm["transitions"] and row[3] == alarm["stateValue"]
    # Not every datapoint: no period start appears as a row of its own.
    periods = [p["Timestamp"] for m in results["metrics"] for p in m["Datapoints"]]
    assert len(periods) > 4
    assert not any(line.startswith(("│ " + p, p)) for p in periods for line in text.splitlines())
    assert len(text.splitlines()) < 30
    assert re.search(r"^read [\d,]+ events from 1 input", text, re.MULTILINE)


@needs_pty
def test_run_with_an_explicit_table_on_a_terminal_prints_every_datapoint():
    results = json_run(["run", str(REPORT / "config.yaml"), str(REPORT / "api.jsonl")])
    text = on_terminal(["run", str(REPORT / "config.yaml"), str(REPORT / "api.jsonl"), "-o", "table", "-q"], columns=160)
    for metric in results["metrics"]:
        for point in metric["Datapoints"]:
            assert f"│ {point['Timestamp']} " in text


@needs_pty
def test_progress_bar_on_a_terminal_with_percentage_rate_and_time_left(tmp_path):
    lines = (REPORT / "api.jsonl").read_bytes().splitlines(keepends=True)
    big = tmp_path / "big.jsonl"
    with big.open("wb") as out:
        for _ in range(1500):  # ~75,000 events: a run long enough for the bar to be drawn
            out.writelines(lines)
    text = on_terminal(["run", str(REPORT / "config.yaml"), str(big), "-o", "json"], columns=120)
    bars = [line for line in text.splitlines() if line.startswith("cwfilter: reading")]
    assert bars, text[-2000:]
    percentages = [int(m.group(1)) for line in bars for m in [re.search(r"\s(\d{1,3})%\s", line)] if m]
    assert percentages and all(0 <= p <= 100 for p in percentages)
    assert percentages == sorted(percentages)
    assert any(re.search(r"[\d.]+ [kMG]?B/s", line) for line in bars)  # the rate
    assert any(re.search(r"\d+:\d\d:\d\d\s*$", line) for line in bars)  # the time left
    assert any(re.search(r"[\d,]+ events", line) for line in bars)
    # Results still go out whole, after the bar.
    assert '"metrics"' in text


def test_no_progress_bar_when_stderr_is_not_a_terminal(tmp_path):
    big = tmp_path / "big.jsonl"
    big.write_bytes((REPORT / "api.jsonl").read_bytes() * 300)
    done = subprocess.run([str(CWFILTER), "run", str(REPORT / "config.yaml"), str(big), "-o", "json"],
                          capture_output=True, check=False)
    assert done.returncode == 0
    stderr = done.stderr.decode()
    assert "cwfilter: reading" not in stderr and "events read" not in stderr and "\r" not in stderr
    assert not re.search(r"\d%", stderr)


@needs_pty
def test_run_says_it_reads_standard_input_on_a_terminal():
    event = b'{"timestamp": "2024-05-01T12:00:00Z", "level": "ERROR", "path": "/a", "latency": 5}\n'
    text = on_terminal(["run", str(REPORT / "config.yaml"), "-g", "/app/api"], stdin=event + b"\x04")
    hint = next(line for line in text.splitlines() if line.startswith("cwfilter: reading log events from standard input"))
    assert "Ctrl-D" in hint and "cwfilter run CONFIG FILE..." in hint
    assert "read 1 event from 1 input" in text  # the event typed was read, and counted in the singular
    assert "; 1 sample" in text


def test_no_stdin_note_when_stdin_is_a_pipe():
    event = b'{"timestamp": "2024-05-01T12:00:00Z", "level": "ERROR", "path": "/a", "latency": 5}\n'
    done = subprocess.run([str(CWFILTER), "run", str(REPORT / "config.yaml"), "-g", "/app/api", "-o", "json"],
                          input=event, capture_output=True, check=False)
    assert done.returncode == 0
    assert "standard input" not in done.stderr.decode()


def test_short_numbers_for_the_compact_table():
    from cwfilter.engine.report.text import short_number

    assert [short_number(v) for v in (None, 0, 3.0, 99_999, 0.25, 1234.5)] == ["-", "0", "3", "99,999", "0.25", "1,234.5"]
    assert [short_number(v) for v in (100_000, 2_747_282_740.0, 69_192_717, -1.5e12)] == ["100k", "2.75G", "69.2M", "-1.5T"]
