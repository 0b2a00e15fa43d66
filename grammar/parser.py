"""Parse filter-pattern text into the typed tree of `nodes`, or raise a `PatternError`.

The common shapes of pattern are read directly (`fastpath`); everything else, every error
included, goes through the grammar in ``filter_pattern.lark`` (`larkparse`, which translates
Lark's exceptions into our own errors carrying the pattern and the offending column). Lark is
imported only then, so a run whose patterns all have the common shapes never loads it.
"""

from __future__ import annotations

import functools
import re

from . import fastpath, nodes
from .checks import check_pattern, check_regex
from .errors import (
    INVALID_PATTERN,
    PatternError,
    PatternLimitError,
    PatternSyntaxError,
)
from .hints import hint_for
from .nodes import Span

MAX_PATTERN_LENGTH = 1024
MAX_INDEX = 2**31 - 1  # DECISIONS P19: an array index is a Java int.


def parse(text: str) -> nodes.Pattern:
    """Parse a filter pattern.

    Args:
        text: the pattern exactly as it would be given to PutMetricFilter.

    Returns:
        A `TermPattern`, `RegexPattern`, `JsonPattern` or `DelimitedPattern`.

    Raises:
        PatternError: a subclass naming what is wrong, with the column of the fault.
    """
    if not isinstance(text, str):
        raise TypeError(f"a filter pattern is a str, not {type(text).__name__}")
    try:
        return _parse_cached(text)
    except PatternError as exc:
        if exc.hint is None:
            exc.hint = hint_for(exc)
        raise


# The trees are immutable, so a pattern seen again (a config checked, linted and wired; many
# filters with one pattern) is parsed once. Errors are not cached: they are raised again.
@functools.lru_cache(maxsize=16384)
def _parse_cached(text: str) -> nodes.Pattern:
    _check_length(text)
    first = text[:1]
    # DECISIONS P16: the first character decides the kind, with no trimming.
    if first == "{":
        _require_last(text, "}")
        pattern = _parse_with(text, "json_pattern")
    elif first == "[":
        _require_last(text, "]")
        pattern = _parse_with(text, "delimited_pattern")
    elif first == "%":
        if len(text) < 2 or not text.endswith("%"):
            raise PatternSyntaxError(
                "If a filter pattern starts with '%' it must end with '%'", text, len(text)
            )
        regex = nodes.Regex(text[1:-1], span=Span(0, len(text)))
        check_regex(regex, text)
        pattern = nodes.RegexPattern(regex, span=Span(0, len(text)))
    else:
        pattern = _parse_with(text, "term_pattern")
    check_pattern(pattern, text)
    return pattern


def _check_length(text: str) -> None:
    # DECISIONS P15: counted in UTF-16 code units, before anything else.
    units = len(text.encode("utf-16-le", "surrogatepass")) // 2  # a lone surrogate is one unit
    if units <= MAX_PATTERN_LENGTH:
        return
    # Find the first code point that takes the count past the limit, for the caret.
    count = 0
    for i, ch in enumerate(text):  # noqa: B007 - i is the caret's position after the loop
        count += 2 if ord(ch) > 0xFFFF else 1
        if count > MAX_PATTERN_LENGTH:
            break
    raise PatternLimitError(
        f"1 validation error detected: Value '{text}' at 'filterPattern' failed to satisfy "
        f"constraint: Member must have length less than or equal to {MAX_PATTERN_LENGTH}",
        text,
        i,
        len(text),
    )


def _require_last(text: str, closer: str) -> None:
    if not text.endswith(closer) or len(text) < 2:
        opener = text[0]
        raise PatternSyntaxError(
            f"If a filter pattern starts with '{opener}' it must end with '{closer}'",
            text,
            len(text),
        )


def _parse_with(text: str, start: str) -> nodes.Pattern:
    # The common shapes are read directly, into the same tree (tests/test_fastpath.py holds them
    # to the grammar); anything else, errors included, goes through Lark.
    tree = fastpath.read(text, start)
    if tree is not None:
        return tree
    return _parse_lark(text, start)


def _parse_lark(text: str, start: str) -> nodes.Pattern:
    """`text` read by the grammar through Lark (imported on first use)."""
    from .larkparse import parse_lark

    return parse_lark(text, start)


def decode_quoted(raw: str) -> str:
    """Decode a double-quoted string token: DECISIONS P5 (`\\"` and `\\\\` only)."""
    body = raw[1:-1]
    if "\\" not in body:
        return body
    return re.sub(r'\\(["\\])', r"\1", body)


# --------------------------------------------------------------------------- selectors

_NAME_RE = re.compile(r"[A-Za-z0-9_-]+")
_INDEX_RE = re.compile(r"\[([0-9]+)\]")


def parse_selector(sel: str, text: str = "", offset: int = 0) -> nodes.Selector:
    """Split a selector such as ``$.a['b.c'][0].*`` into steps (DECISIONS P19, P20).

    Args:
        sel: the selector text, starting with ``$``.
        text: the whole pattern, for error messages.
        offset: where `sel` starts in `text`.
    """
    text = text or sel

    def fail(pos: int, what: str, end: int | None = None) -> PatternSyntaxError:
        return PatternSyntaxError(
            f"{INVALID_PATTERN}: {what}", text, offset + pos, None if end is None else offset + end
        )

    steps: list[nodes.Step] = []
    pos = 1
    if not sel.startswith("$."):
        raise fail(0, "a property selector must start with '$.'", len(sel))
    while pos < len(sel):
        rest = sel[pos:]
        first = not steps
        if rest.startswith(".['") or (not first and rest.startswith("['")):
            start = pos + (2 if rest[0] == "." else 1)
            close = sel.find("']", start + 1)
            if close < 0:
                raise fail(pos, "unterminated ['key'] in selector")
            steps.append(nodes.Key(sel[start + 1 : close], bracket=True))
            pos = close + 2
        elif rest.startswith(".*"):
            steps.append(nodes.AnyMember())
            pos += 2
        elif rest.startswith("."):
            m = _NAME_RE.match(sel, pos + 1)
            if not m:
                raise fail(pos + 1, "expected a property name (letters, digits, '_' or '-') after '.'")
            steps.append(nodes.Key(m.group(0)))
            pos = m.end()
        elif first:
            raise fail(pos, "a property selector must start with '$.'")
        elif rest.startswith("[*]"):
            steps.append(nodes.AnyElement())
            pos += 3
        elif (m := _INDEX_RE.match(sel, pos)) is not None:
            index = int(m.group(1))
            if index > MAX_INDEX:
                raise fail(pos + 1, f"array index {index} is too large (at most {MAX_INDEX})", m.end() - 1)
            steps.append(nodes.Index(index))
            pos = m.end()
        else:
            raise fail(pos, f"unexpected {sel[pos]!r} in property selector")
    if not steps:
        raise fail(1, "expected a property name after '$.'")
    return nodes.Selector(sel, tuple(steps), span=Span(offset, offset + len(sel)))
