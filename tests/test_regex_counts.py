"""Repeat counts in braces: `parse()`, the compiled regex and RE2 itself agree (DECISIONS P18).

RE2 reads `{n}`, `{n,}` and `{n,m}` with an integer reader that refuses a leading zero and gives
up before a 10th digit; a brace it cannot read is literal text. Only a count it did read that is
over 1000 is an error. The reference here is the `re2` binding itself, never a copy of the rule.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import cwfilter
import pytest
import re2
from cwfilter.engine.events import LogEvent
from cwfilter.engine.matching.interpret import interpret
from hypothesis import given, settings
from hypothesis import strategies as st

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False


def re2_verdict(source: str) -> str | None:
    """RE2's error text for `source`, or None when it compiles."""
    try:
        re2.compile(source, _OPTIONS)
    except re2.error as exc:
        detail = exc.args[0]
        return detail.decode() if isinstance(detail, bytes) else str(detail)
    return None


def our_verdict(source: str) -> str | None:
    """The regex error `parse()` raises for ``%source%``, without the prefix, or None."""
    try:
        cwfilter.parse(f"%{source}%")
    except cwfilter.PatternError as exc:
        prefix = f"invalid regex %{source}%: "
        assert prefix in exc.message, exc.message
        return exc.message.split(prefix, 1)[1]
    return None


@pytest.mark.parametrize(
    ("source", "error", "matches", "misses"),
    [
        ("x{1000}", None, "x" * 1000, "x" * 999),
        ("x{1001}", "invalid repetition size: {1001}", None, None),
        ("x{123456789}", "invalid repetition size: {123456789}", None, None),
        ("x{1234567890}", None, "x{1234567890}", "xx"),
        ("a{99999999999}", None, "a{99999999999}", "aa"),
        # leading zeros: RE2 reads the brace as text
        ("x{01}", None, "x{01}", "x"),
        ("x{00,}", None, "x{00,}", "x"),
        ("x{1,01}", None, "x{1,01}", "x"),
        ("x{0}", None, "", None),
        ("x{0000000001}", None, "x{0000000001}", "x"),
        # missing parts
        ("x{}", None, "x{}", "x"),
        ("x{,}", None, "x{,}", "x"),
        ("x{2,3", None, "x{2,3", "xx"),
        ("x{ 2}", None, "x{ 2}", "xx"),
        # DECISIONS P18: `{,n}` is `{0,n}` when RE2 can read n, else literal as `{0,n}` would be
        ("^x{,2}$", None, "xx", "x{,2}"),
        ("^x{,02}$", None, "x{,02}", "xx"),
        ("^x{,1234567890}$", None, "x{,1234567890}", "x"),
        ("x{,1001}", "invalid repetition size: {,1001}", None, None),
        ("x{,123456789}", "invalid repetition size: {,123456789}", None, None),
        # RE2's order and wording: the `?` belongs to the operator; stacking first; then counts
        ("x{1001}?", "invalid repetition size: {1001}?", None, None),
        ("x*{1001}", "bad repetition operator: *{1001}", None, None),
        ("x{2}{3}", "bad repetition operator: {2}{3}", None, None),
        ("x*?{2}", "bad repetition operator: *?{2}", None, None),
        ("x{2}??", "bad repetition operator: {2}??", None, None),
        ("{1001}", "invalid repetition size: {1001}", None, None),
        ("{2}?", "no argument for repetition operator: {2}?", None, None),
        ("x|{2}", "no argument for repetition operator: {2}", None, None),
        ("x*{1234567890}", None, "x{1234567890}", None),
    ],
)
def test_brace_counts_as_re2_reads_them(source, error, matches, misses):
    assert our_verdict(source) == error
    oracle = _p18_oracle(source)
    want = re2_verdict(oracle)
    assert (want is None) == (error is None)
    if error is not None:
        assert want == error.replace("{,", "{0,")
        return
    compiled = cwfilter.compile_pattern(f"%{source}%")
    for text, expected in ((matches, True), (misses, False)):
        if text is not None:
            assert compiled.matches(text) is expected, text
            assert (re2.compile(oracle, _OPTIONS).search(text) is not None) is expected
            assert interpret(compiled.tree, LogEvent(text)) is expected


def test_cli_accepts_a_count_re2_reads_as_text(tmp_path):
    log = tmp_path / "app.log"
    log.write_text("x{1234567890}\nxx\n", encoding="utf-8")
    exe = Path(sys.executable).parent / "cwfilter"
    done = subprocess.run([str(exe), "test", "-o", "text", "%x{1234567890}%", str(log)],
                          check=False, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "x{1234567890}\n"
    done = subprocess.run([str(exe), "test", "-o", "text", "%x{1001}%", str(log)], check=False, capture_output=True, text=True)
    assert done.returncode == 2
    assert "invalid repetition size: {1001}" in done.stderr


# --------------------------------------------------------------------------- generated brace forms

_DIGITS = st.text("0123456789", min_size=1, max_size=12)
_PART = st.one_of(st.just(""), _DIGITS, st.sampled_from(["0", "00", "1", "2", "1000", "1001", "999999999"]))
_BEFORE = st.sampled_from(["x", "", "x|", "x*", "x+?", "x{2}", "[ab]", "\\d", "^", "x{"])
_AFTER = st.sampled_from(["", "?", "??", "*", "{2}", "x", "}", "{,3}"])


@st.composite
def brace_forms(draw) -> str:
    low = draw(_PART)
    comma = draw(st.booleans())
    high = draw(_PART) if comma else ""
    close = draw(st.sampled_from(["}", "}", "}", ""]))
    return draw(_BEFORE) + "{" + low + ("," if comma else "") + high + close + draw(_AFTER)


def _p18_oracle(source: str) -> str:
    """`source` with each `{,m}` that RE2 reads as a repetition once written `{0,m}` (DECISIONS P18).

    Whether RE2 reads it is asked of RE2: `x{0,m}` as a repetition does not match its own text.
    """
    def rewrite(match: re.Match) -> str:
        candidate = "x{0," + match.group(1) + "}"
        try:
            literal = re2.compile(candidate, _OPTIONS).fullmatch(candidate) is not None
        except re2.error:
            literal = False  # read, and over the limit
        return match.group(0) if literal else "{0," + match.group(1) + "}"

    return re.sub(r"\{,([0-9]+)\}", rewrite, source)


@settings(max_examples=1500, deadline=None)
@given(source=brace_forms(), extra=st.sampled_from(["", "x", "xx", "xxx"]))
def test_generated_brace_forms_agree_with_re2(source, extra):
    oracle = _p18_oracle(source)
    ours, theirs = our_verdict(source), re2_verdict(oracle)
    assert (ours is None) == (theirs is None), (source, ours, theirs)
    if ours is not None:
        assert ours.replace("{,", "{0,") == theirs.replace("{,", "{0,"), (source, ours, theirs)
        return
    compiled = cwfilter.compile_pattern(f"%{source}%")
    reference = re2.compile(oracle, _OPTIONS)
    for text in (source, extra, source + extra, source.replace("{,", "{0,")):
        expected = reference.search(text) is not None
        assert compiled.matches(text) is expected, (source, text)
        assert interpret(compiled.tree, LogEvent(text)) is expected, (source, text)
