"""A direct reader for the common shapes of filter patterns, giving exactly the tree the grammar gives.

Checking a configuration of thousands of metric filters parses thousands of distinct patterns,
and most of them have one of a few simple shapes: a list of terms (``ERROR -DEBUG "a b"``), JSON
comparisons joined by ``&&`` / ``||`` with parentheses (``{ ($.level = "ERROR") && $.id = 1 }``),
or a space-delimited pattern of names and single comparisons (``[ip, user, status = 5*, ...]``).
`read` reads these with a few regular expressions, the same token spellings as
``filter_pattern.lark``, and returns the nodes (spans included) that `parser.parse` builds through
Lark. Anything else, every error included, returns None and goes to the grammar, which stays the
definition of the language: a property test holds this reader to it.
"""

from __future__ import annotations

import re

from . import nodes
from .errors import PatternError
from .nodes import Span

# The grammar's tokens (filter_pattern.lark), as they are spelled there.
_WS = re.compile(r"[ \t\r\n]*")
_QUOTED = r'"(?:[^"\\]|\\[\s\S])*"'
_REGEX = r"%[^%]*%"
_TERM = re.compile(rf"([?-]?)([A-Za-z0-9_]+|{_QUOTED})")
_SELECTOR = re.compile(r"\$(?:\['[^']*'\]|\[[^\] \t\r\n'\"]*\]|[^ \t\r\n(){}&|\"%<>=!'\[\]])*")
_COMPARE = re.compile(r"!=|<=|>=|=|<|>")
_JSON_VALUE = re.compile(rf"{_QUOTED}|{_REGEX}|[^ \t\r\n(){{}}&|\"%<>=!]+")
# `IS NULL` / `IS TRUE` / `IS FALSE` and `NOT EXISTS` after a selector, ending where a token
# could end (anything else, `IS NOT ...` and a bare `EXISTS` included, goes to the grammar).
_KEYWORDS = re.compile(r"(?:IS[ \t\r\n]+(NULL|TRUE|FALSE)|NOT[ \t\r\n]+EXISTS)(?=[ \t\r\n(){}&|]|\Z)")
_SLOT_NAME = re.compile(r"[A-Za-z0-9_-]+")
_SLOT_VALUE = re.compile(rf"{_QUOTED}|{_REGEX}|[^ \t\r\n(){{}}&|\"%<>=!,\[\]]+")


class _Miss(Exception):
    """Not one of the shapes read here: the grammar reads it."""


def read(text: str, start: str) -> nodes.Pattern | None:
    """The tree of `text` as ``parser._parse_with(text, start)`` builds it, or None when `text`
    is not one of the simple shapes (or is not valid: the grammar then says why)."""
    try:
        if start == "term_pattern":
            return _terms(text)
        if start == "json_pattern":
            return _JsonReader(text).pattern()
        if start == "delimited_pattern":
            return _delimited(text)
    except _Miss:
        return None
    return None


def _decode(raw: str) -> str:
    from .parser import decode_quoted  # one decoder of quoted strings (DECISIONS P5)

    return decode_quoted(raw)


def _value(raw: str, start: int, end: int) -> nodes.Value:
    span = Span(start, end)
    if raw[0] == "%":
        return nodes.Regex(raw[1:-1], span=span)
    if raw[0] == '"':
        return nodes.Literal(_decode(raw), True, span=span)
    return nodes.Literal(raw, False, span=span)


# --------------------------------------------------------------------------- terms


def _terms(text: str) -> nodes.TermPattern:
    terms = []
    pos = _WS.match(text, 0).end()
    while pos < len(text):
        m = _TERM.match(text, pos)
        if m is None:
            raise _Miss
        op, body = m.group(1), m.group(2)
        kind = "include" if not op else "optional" if op == "?" else "exclude"
        if body[0] == '"':
            value = _decode(body)
            if value == "":
                raise _Miss  # refused by the grammar's reader, with its message
            terms.append(nodes.Term(value, kind, True, span=Span(pos, m.end())))
        else:
            terms.append(nodes.Term(body, kind, False, span=Span(pos, m.end())))
        pos = _WS.match(text, m.end()).end()
    return nodes.TermPattern(tuple(terms), span=Span(0, len(text)))


# --------------------------------------------------------------------------- JSON


class _JsonReader:
    """``{ expr }`` where expr is comparisons, ``&&``, ``||`` and parentheses.

    Each method returns (node, start, end): the node as the grammar builds it, and the extent of
    its text (parentheses included), from which the enclosing ``&&`` / ``||`` take their spans.
    """

    # Deeper parentheses go to the grammar's non-recursive reader (this one recurses per level).
    MAX_DEPTH = 50

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.depth = 0

    def skip(self) -> None:
        self.pos = _WS.match(self.text, self.pos).end()

    def take(self, literal: str) -> bool:
        self.skip()
        if self.text.startswith(literal, self.pos):
            self.pos += len(literal)
            return True
        return False

    def pattern(self) -> nodes.JsonPattern:
        if not self.take("{"):
            raise _Miss
        expr, _, _ = self.or_()
        if not self.take("}"):
            raise _Miss
        self.skip()
        if self.pos != len(self.text):
            raise _Miss
        return nodes.JsonPattern(expr, span=Span(0, len(self.text)))

    def or_(self) -> tuple:
        first = self.and_()
        items = [first]
        while self.take("||"):
            items.append(self.and_())
        if len(items) == 1:
            return first
        return (nodes.JsonOr(_flatten([i[0] for i in items], nodes.JsonOr), span=Span(first[1], items[-1][2])),
                first[1], items[-1][2])

    def and_(self) -> tuple:
        first = self.atom()
        items = [first]
        while self.take("&&"):
            items.append(self.atom())
        if len(items) == 1:
            return first
        return (nodes.JsonAnd(_flatten([i[0] for i in items], nodes.JsonAnd), span=Span(first[1], items[-1][2])),
                first[1], items[-1][2])

    def atom(self) -> tuple:
        self.skip()
        start = self.pos
        if self.take("("):
            self.depth += 1
            if self.depth > self.MAX_DEPTH:
                raise _Miss
            inner, _, _ = self.or_()
            if not self.take(")"):
                raise _Miss
            self.depth -= 1
            return inner, start, self.pos
        sel = _SELECTOR.match(self.text, start)
        if sel is None:
            raise _Miss
        self.pos = sel.end()
        self.skip()
        op = _COMPARE.match(self.text, self.pos)
        if op is None:
            return self.keyword(sel, start)
        self.pos = op.end()
        self.skip()
        value = _JSON_VALUE.match(self.text, self.pos)
        if value is None:
            raise _Miss
        self.pos = value.end()
        selector = self.selector(sel, start)
        node = nodes.JsonCompare(selector, op.group(), _value(value.group(), value.start(), value.end()),
                                 span=Span(start, value.end()))
        return node, start, value.end()


    def keyword(self, sel: re.Match, start: int) -> tuple:
        """``selector IS NULL|TRUE|FALSE`` or ``selector NOT EXISTS``, the selector read."""
        if self.pos == sel.end():
            raise _Miss  # no whitespace after the selector: the grammar decides
        kw = _KEYWORDS.match(self.text, self.pos)
        if kw is None:
            raise _Miss  # `IS NOT`, `EXISTS` and errors: the grammar reads them, with its messages
        self.pos = end = kw.end()
        selector = self.selector(sel, start)
        what = kw.group(1)
        node = (nodes.JsonIs(selector, what, span=Span(start, end)) if what
                else nodes.JsonNotExists(selector, span=Span(start, end)))
        return node, start, end

    def selector(self, sel: re.Match, start: int) -> nodes.Selector:
        from .parser import parse_selector  # the grammar's own reading of a selector's steps

        try:
            return parse_selector(sel.group(), self.text, start)
        except PatternError:
            raise _Miss from None  # the grammar may find another fault first: it says which


def _flatten(items: list, cls: type) -> tuple:
    out: list = []
    for item in items:
        if isinstance(item, cls):
            out.extend(item.items)
        else:
            out.append(item)
    return tuple(out)


# --------------------------------------------------------------------------- space-delimited


def _delimited(text: str) -> nodes.DelimitedPattern:
    """``[slot, slot, ...]``: names, ``...`` and single comparisons (``status = 5*``)."""
    pos = _WS.match(text, 1).end() if text[:1] == "[" else -1
    if pos < 0:
        raise _Miss
    slots: list = []
    if text.startswith("]", pos):
        end = _WS.match(text, pos + 1).end()
        if end != len(text):
            raise _Miss
        return nodes.DelimitedPattern((), span=Span(0, len(text)))
    rests = 0
    while True:
        if text.startswith("...", pos):
            slots.append(nodes.Rest(span=Span(pos, pos + 3)))
            rests += 1
            end = pos + 3
        else:
            name = _SLOT_NAME.match(text, pos)
            if name is None or name.group().isdigit():
                raise _Miss  # digit-only names are refused by the grammar's reader
            after = _WS.match(text, name.end()).end()
            op = _COMPARE.match(text, after)
            if op is None:
                slots.append(nodes.Slot(name.group(), None, span=Span(pos, name.end())))
                end = name.end()
            else:
                vstart = _WS.match(text, op.end()).end()
                value = _SLOT_VALUE.match(text, vstart)
                if value is None:
                    raise _Miss
                end = value.end()
                compare = nodes.SlotCompare(op.group(), _value(value.group(), vstart, end), span=Span(pos, end))
                slots.append(nodes.Slot(name.group(), compare, span=Span(pos, end)))
        pos = _WS.match(text, end).end()
        if text.startswith(",", pos):
            # A comma before the closing bracket is the grammar's TRAILING_COMMA: not read here.
            pos = _WS.match(text, pos + 1).end()
            if text.startswith("]", pos):
                raise _Miss
            continue
        if text.startswith("]", pos) and _WS.match(text, pos + 1).end() == len(text):
            break
        raise _Miss  # `&&`, `||` in a slot, or anything else
    if rests > 1:
        raise _Miss
    return nodes.DelimitedPattern(tuple(slots), span=Span(0, len(text)))
