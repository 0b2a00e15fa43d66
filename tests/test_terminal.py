"""Terminal output of the real console script: help texts at 80 columns, and, under a
pseudo-terminal (`script`), the compact run table, the progress bar and the stdin hint."""

from __future__ import annotations

import itertools
import os
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
