"""A `hint:` line for the mistakes people make most, under the exact error and its caret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cwfilter import PatternError, parse

CWFILTER = Path(sys.executable).parent / ("cwfilter.exe" if os.name == "nt" else "cwfilter")

CASES = [
    ('{ $.level == "ERROR" }', "compare with a single '=' (there is no '=='): $.level = \"ERROR\""),
    ('{ $.a = 1 AND $.b = 2 }', "join conditions with '&&' and '||': write '&&' for 'AND'"),
    ('{ $.a = 1 or $.b = 2 }', "join conditions with '&&' and '||': write '||' for 'or'"),
    ("[ip, status = 5* OR bytes > 10]", "join conditions with '&&' and '||': write '||' for 'OR'"),
    ('{ level = "ERROR" }', "a JSON field is written as a selector starting with '$.': $.level"),
    ("ERROR|WARN", "to match any of several terms write ?ERROR ?WARN (or a regex: %ERROR|WARN%)"),
    ("ERROR|WARN|FATAL", "to match any of several terms write ?ERROR ?WARN ?FATAL (or a regex: %ERROR|WARN|FATAL%)"),
    ("%(ERROR|WARN)%", "a regex cannot hold parentheses: %ERROR|WARN% needs none"),
    ("%a(b)c%", r"a regex cannot hold parentheses: write \x28 and \x29 for literal ones"),
    ("{ $.eventName = 'Console Login' }",
     "quote values with double quotes: \"Console Login\" (single quotes are not quotes in filter patterns)"),
]


@pytest.mark.parametrize(("pattern", "hint"), CASES)
def test_hint_names_the_intended_pattern(pattern, hint):
    with pytest.raises(PatternError) as caught:
        parse(pattern)
    assert caught.value.hint == hint
    lines = str(caught.value).splitlines()
    assert lines[1] == f"  {pattern}" and set(lines[2].strip()) == {"^"}  # the caret stays as it was
    assert lines[3] == f"hint: {hint}"


@pytest.mark.parametrize("pattern", ['{ $.a = }', "[a, b", '{ $.["a"] = 1 }', "%[%", '""'])
def test_no_hint_where_no_common_mistake_fits(pattern):
    with pytest.raises(PatternError) as caught:
        parse(pattern)
    assert caught.value.hint is None
    assert "hint:" not in str(caught.value)


def test_a_bracketed_key_is_not_taken_for_a_single_quoted_value():
    with pytest.raises(PatternError) as caught:
        parse("{ $.['a.b'] == 1 }")
    assert caught.value.hint.startswith("compare with a single '='")


@pytest.mark.parametrize(("pattern", "hint"), CASES[:1] + CASES[4:6])
def test_the_cli_prints_the_hint_under_the_caret(pattern, hint):
    done = subprocess.run([str(CWFILTER), "test", pattern], input=b"", capture_output=True, check=False)
    assert done.returncode == 2
    err = done.stderr.decode().splitlines()
    assert f"hint: {hint}" in err
    assert err.index(f"hint: {hint}") == next(i for i, line in enumerate(err) if set(line.strip()) == {"^"}) + 1
