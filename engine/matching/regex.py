"""Regexes of filter patterns, run on RE2: linear time by construction (DECISIONS P6, P18)."""

from __future__ import annotations

import functools
from collections.abc import Callable

import re2

from ...grammar import nodes
from ...grammar.checks import parse_repeat
from ...grammar.errors import INVALID_PATTERN, PatternLimitError, PatternRegexError

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # errors are raised as PatternError, never printed by the C++ library


def to_re2(source: str) -> str:
    """Rewrite a service regex into RE2 syntax.

    The only difference in meaning is DECISIONS P18's `{,n}`, which the service reads as `{0,n}`
    and RE2 would read literally. A count RE2 could not read (`{,01}`, `{,1234567890}`) keeps the
    brace literal, as it does in `{0,01}`. Escapes and character classes are copied unchanged.
    """
    if "{," not in source:
        return source
    out: list[str] = []
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch == "\\":
            out.append(source[i : i + 2])
            i += 2
        elif ch == "[":
            j = _class_end(source, i)
            out.append(source[i:j])
            i = j
        elif source.startswith("{,", i) and (counts := parse_repeat(source, i)) is not None:
            out.append("{0," + source[i + 2 : counts[2]])
            i = counts[2]
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _class_end(src: str, i: int) -> int:
    n = len(src)
    j = i + 1
    if j < n and src[j] == "^":
        j += 1
    first = True
    while j < n:
        c = src[j]
        if c == "]" and not first:
            return j + 1
        first = False
        if c == "\\":
            j += 2
        elif src.startswith("[:", j) and (k := src.find(":]", j + 2)) >= 0:
            j = k + 2
        else:
            j += 1
    return n


@functools.lru_cache(maxsize=1024)
def _compile(source: str):
    return re2.compile(to_re2(source), _OPTIONS)


def compile_regex(regex: nodes.Regex, pattern_text: str) -> Callable[[str], bool]:
    """Compile a regex node into a search predicate on text.

    Raises:
        PatternLimitError: RE2 refuses the regex as too large.
        PatternRegexError: RE2 refuses it for another reason.
    """
    if regex.source == "":
        return _always  # DECISIONS P18: `%%` matches every event
    try:
        compiled = _compile(regex.source)
    except re2.error as exc:
        detail = exc.args[0] if exc.args else str(exc)
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        cls = PatternLimitError if "too large" in detail or "too big" in detail else PatternRegexError
        raise cls(
            f"{INVALID_PATTERN}: invalid regex %{regex.source}%: {detail}",
            pattern_text,
            regex.span.start,
            regex.span.end,
        ) from None
    search = compiled.search

    def matches(text: str) -> bool:
        try:
            return search(text) is not None
        except UnicodeEncodeError:  # lone surrogates in text from a caller: match on U+FFFD
            return search(text.encode("utf-8", "replace").decode("utf-8")) is not None

    return matches


def _always(text: str) -> bool:
    return True


def _never(block: bytes) -> bool:
    return False


def literal_search(needle: str) -> Callable[[bytes], bool]:
    """A test for whether UTF-8 `needle` occurs in a block of UTF-8 bytes.

    RE2 scans for a literal with memchr and compares only at candidate bytes, several times
    faster than `bytes.find` on large blocks of log text. ASCII bytes are written as ``\\xHH``
    escapes (so no character is special); other bytes stay as they are, because RE2 reads a
    pattern as UTF-8, where ``\\xHH`` would mean a code point, not a byte.
    """
    try:
        needle.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (a pattern given as undecodable bytes) never occurs in UTF-8 text.
        return _never
    pattern = "".join(f"\\x{ord(c):02x}" if c < "\x80" else c for c in needle)
    search = re2.compile(pattern.encode("utf-8"), _OPTIONS).search
    return lambda block: search(block) is not None
