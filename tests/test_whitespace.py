"""Whitespace in patterns is space, tab, CR and LF, nothing else (DECISIONS P23, with P4, P17, P19).

Python's `str.strip()`, `str.split()` and `str.isspace()` know many more characters; each of them
here must be an ordinary character: a quoted term made of one is present only in events that
contain it, and it never separates tokens.
"""

from __future__ import annotations

import json
import sys

import cwfilter
import pytest
from cwfilter.engine.events import LogEvent
from cwfilter.engine.matching.interpret import interpret

# Every character Python calls whitespace that P23 does not: form feed, vertical tab,
# U+001C-U+001F, U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000.
OTHER_SPACE = [c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace() and c not in " \t\r\n"]


def _id(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def test_the_characters_under_test():
    for ch in "\x0c\x0b\x1c\x1d\x1e\x1f\x85\xa0\u2028":
        assert ch in OTHER_SPACE
    assert len(OTHER_SPACE) == 25


def _agree(pattern: str, message: str) -> bool:
    compiled = cwfilter.compile_pattern(pattern)
    got = compiled.matches(message)
    assert compiled.match_event(LogEvent(message)) is got
    assert interpret(compiled.tree, LogEvent(message)) is got, (pattern, message)
    return got


@pytest.mark.parametrize("ch", OTHER_SPACE, ids=_id)
def test_quoted_term(ch):
    pattern = f'"{ch}"'
    assert _agree(pattern, f"a{ch}b")
    assert not _agree(pattern, "ERROR without it")
    assert not _agree(pattern, "tab\tand space ")


@pytest.mark.parametrize("ch", OTHER_SPACE, ids=_id)
def test_optional_term(ch):
    pattern = f'?"{ch}" ?NEVER'
    assert _agree(pattern, f"x{ch}")
    assert not _agree(pattern, "no such character")


@pytest.mark.parametrize("ch", OTHER_SPACE, ids=_id)
def test_exclude_term(ch):
    pattern = f'ERROR -"{ch}"'
    assert _agree(pattern, "ERROR plain")
    assert not _agree(pattern, f"ERROR with{ch}it")


@pytest.mark.parametrize("ch", OTHER_SPACE, ids=_id)
def test_quoted_term_with_p23_whitespace_around_it(ch):
    # " \f " is not all whitespace either: it needs the whole text, spaces included.
    pattern = f'" {ch} "'
    assert _agree(pattern, f"a {ch} b")
    assert not _agree(pattern, f"a{ch}b")


@pytest.mark.parametrize("ch", OTHER_SPACE, ids=_id)
def test_whole_pattern_of_the_character_is_an_invalid_term(ch):
    for pattern in (ch, f"ERROR{ch}", f"ERROR {ch}", f"{ch}ERROR"):
        with pytest.raises(cwfilter.PatternError) as info:
            cwfilter.parse(pattern)
        assert "Invalid character(s) in term" in info.value.message


@pytest.mark.parametrize("ch", OTHER_SPACE, ids=_id)
def test_not_a_separator_between_tokens(ch):
    for pattern in (f"{{{ch}$.a = 1 }}", f"{{ $.a{ch}= 1 }}", f"[a,{ch}b]", f"[a{ch}, b]", f"{ch}[a]"):
        with pytest.raises(cwfilter.PatternError):
            cwfilter.parse(pattern)
    # After an operator it starts the value instead: `={ch}1` compares with the text "{ch}1".
    assert _agree(f"{{ $.a ={ch}1 }}", json.dumps({"a": f"{ch}1"}, ensure_ascii=False))
    assert not _agree(f"{{ $.a ={ch}1 }}", '{"a": 1}')


@pytest.mark.parametrize("ch", OTHER_SPACE, ids=_id)
def test_part_of_an_unquoted_value(ch):
    # DECISIONS P19: an unquoted value runs to whitespace (P23) or a delimiter.
    json_pattern = f"{{ $.a = x{ch}y }}"
    assert _agree(json_pattern, json.dumps({"a": f"x{ch}y"}, ensure_ascii=False))
    assert not _agree(json_pattern, '{"a": "x"}')
    delimited = f"[a = x{ch}y, ...]"
    assert _agree(delimited, f"x{ch}y rest")
    assert not _agree(delimited, "x rest")


@pytest.mark.parametrize("ws", [" ", "\t", "\r", "\n", " \t\r\n"], ids=repr)
def test_p23_whitespace_still_matches_every_event(ws):
    assert _agree(f'"{ws}"', "anything")
    assert _agree(f'"{ws}" ERROR', "ERROR here")
    assert not _agree(f'-"{ws}"', "anything")
    assert _agree(f"{ws}ERROR{ws}", "ERROR")
    assert _agree(f"{{{ws}$.a{ws}={ws}1{ws}}}", '{"a": 1}')


def test_regression_form_feed_term_from_the_differential_fuzzer():
    compiled = cwfilter.compile_pattern('"\x0c"')
    assert cwfilter.test_metric_filter('"\x0c"', ["plain event", "page\x0cbreak"]) == {
        "matches": [{"eventNumber": 2, "eventMessage": "page\x0cbreak", "extractedValues": {}}]
    }
    assert not compiled.matches(" ")


def test_lint_and_explain_do_not_call_the_character_blank():
    findings = cwfilter.lint_pattern('"\x0c"')
    assert not any(f.code == "CWF103" for f in findings)
    assert any(f.code == "CWF103" for f in cwfilter.lint_pattern('" "'))
    explanation = cwfilter.explain('"\x0c"', "plain event")
    assert not explanation.matched
