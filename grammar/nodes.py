"""Typed syntax tree of a CloudWatch Logs filter pattern.

Every node is a frozen, slotted dataclass. Each keeps the `Span` of the pattern text it came from,
but spans are left out of equality (``compare=False``) so that two trees compare equal when they
mean the same thing, wherever they were written. That is what makes ``parse(unparse(t)) == t``
a meaningful round-trip check.

The four kinds of pattern (DECISIONS P16):

* `TermPattern`: unstructured terms (``ERROR -DEBUG``, ``?a ?b``, ``"exact phrase"``);
* `RegexPattern`: a standalone ``%regex%``;
* `JsonPattern`: ``{ selector op value && ... }``;
* `DelimitedPattern`: space-delimited ``[a, b=1*, ..., c > 5]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal as _Lit


@dataclass(frozen=True, slots=True)
class Span:
    """Half-open range ``[start, end)`` of code-point offsets into the pattern text."""

    start: int
    end: int


NO_SPAN = Span(0, 0)

# DECISIONS P9: the only spelling of a number. `.5`, `5.`, `0x10` are text.
NUMBER_RE = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


def is_number_text(text: str) -> bool:
    """Return True when `text` is a number literal by DECISIONS P9."""
    return NUMBER_RE.fullmatch(text) is not None


# DECISIONS P23: whitespace is space, tab, CR and LF; not the wider set of `str.strip()` and
# `str.isspace()` (form feed, vertical tab, U+001C-U+001F, U+0085, U+00A0, U+2028 ...).
WHITESPACE = " \t\r\n"


def is_blank(text: str) -> bool:
    """Return True when `text` is empty or made only of whitespace by DECISIONS P23."""
    return not text.strip(WHITESPACE)


# --------------------------------------------------------------------------- terms

TermKind = _Lit["include", "optional", "exclude"]


@dataclass(frozen=True, slots=True)
class Term:
    """One unstructured term: ``ERROR``, ``?ERROR``, ``-DEBUG``, ``"a phrase"``.

    `text` is the decoded text searched for (quotes removed, DECISIONS P5 escapes applied).
    """

    text: str
    kind: TermKind = "include"
    quoted: bool = False
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class TermPattern:
    """A pattern of unstructured terms. No terms at all (empty pattern) matches every event."""

    terms: tuple[Term, ...]
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


# --------------------------------------------------------------------------- values

@dataclass(frozen=True, slots=True)
class Regex:
    """A regular expression written between ``%`` signs; `source` excludes the ``%`` delimiters."""

    source: str
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Literal:
    """A comparison value other than a regex.

    `text` is the decoded value (quotes removed, P5 escapes applied). An unquoted literal that
    spells a number (P9) is numeric; every other literal is text. A ``*`` anywhere in the text is a
    wildcard (P8), quoted or not.
    """

    text: str
    quoted: bool = False
    span: Span = field(default=NO_SPAN, compare=False, repr=False)

    @property
    def is_number(self) -> bool:
        return not self.quoted and is_number_text(self.text)

    @property
    def has_wildcard(self) -> bool:
        return "*" in self.text


Value = Literal | Regex

# Comparison operators exactly as written in patterns.
CompareOp = _Lit["=", "!=", "<", "<=", ">", ">="]
NUMERIC_OPS = frozenset({"<", "<=", ">", ">="})


# --------------------------------------------------------------------------- JSON

@dataclass(frozen=True, slots=True)
class Key:
    """Object member step: ``.name`` (`bracket` False) or ``['name']`` / ``.['name']``."""

    name: str
    bracket: bool = False


@dataclass(frozen=True, slots=True)
class Index:
    """Array element step ``[n]``."""

    index: int


@dataclass(frozen=True, slots=True)
class AnyMember:
    """Wildcard step ``.*``: every member value of an object, one level (DECISIONS P20)."""


@dataclass(frozen=True, slots=True)
class AnyElement:
    """Wildcard step ``[*]``: every element of an array (DECISIONS P20)."""


Step = Key | Index | AnyMember | AnyElement


@dataclass(frozen=True, slots=True)
class Selector:
    """A property selector such as ``$.a.b[0]``.

    `text` is the selector as written; it keys `extractedValues` (DECISIONS M7).
    """

    text: str
    steps: tuple[Step, ...]
    span: Span = field(default=NO_SPAN, compare=False, repr=False)

    @property
    def wildcards(self) -> int:
        return sum(isinstance(s, (AnyMember, AnyElement)) for s in self.steps)


@dataclass(frozen=True, slots=True)
class JsonCompare:
    """``selector op value``."""

    selector: Selector
    op: CompareOp
    value: Value
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class JsonIs:
    """``selector IS NULL`` / ``IS TRUE`` / ``IS FALSE``."""

    selector: Selector
    what: _Lit["NULL", "TRUE", "FALSE"]
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class JsonNotExists:
    """``selector NOT EXISTS``."""

    selector: Selector
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class JsonAnd:
    """Conjunction of two or more expressions (``&&``); nested conjunctions are flattened."""

    items: tuple[JsonExpr, ...]
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class JsonOr:
    """Disjunction of two or more expressions (``||``); nested disjunctions are flattened."""

    items: tuple[JsonExpr, ...]
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


JsonCondition = JsonCompare | JsonIs | JsonNotExists
JsonExpr = JsonCompare | JsonIs | JsonNotExists | JsonAnd | JsonOr


@dataclass(frozen=True, slots=True)
class JsonPattern:
    """``{ expr }``."""

    expr: JsonExpr
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


# --------------------------------------------------------------------------- space-delimited

@dataclass(frozen=True, slots=True)
class SlotCompare:
    """One condition on a slot's own field: ``status = 4*``, ``bytes > 1000``, ``w1 = %WARN%``."""

    op: CompareOp
    value: Value
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class SlotAnd:
    items: tuple[SlotExpr, ...]
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class SlotOr:
    items: tuple[SlotExpr, ...]
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


SlotExpr = SlotCompare | SlotAnd | SlotOr


@dataclass(frozen=True, slots=True)
class Slot:
    """One position of a space-delimited pattern.

    `name` is None for the unnamed last slot a trailing comma adds (DECISIONS P13);
    `condition` is None when the slot only names its field.
    """

    name: str | None
    condition: SlotExpr | None = None
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Rest:
    """The ellipsis ``...``: any number of fields, reported positionally."""

    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class DelimitedPattern:
    """``[slot, slot, ...]``. No slots at all (``[]``) behaves as ``[...]`` (DECISIONS P13)."""

    slots: tuple[Slot | Rest, ...]
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


# --------------------------------------------------------------------------- regex

@dataclass(frozen=True, slots=True)
class RegexPattern:
    """A standalone ``%regex%`` pattern."""

    regex: Regex
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


Pattern = TermPattern | RegexPattern | JsonPattern | DelimitedPattern
Node = (
    Pattern | Term | Literal | Regex | Selector | JsonCompare | JsonIs | JsonNotExists | JsonAnd | JsonOr
    | Slot | Rest | SlotCompare | SlotAnd | SlotOr
)


def iter_conditions(expr: JsonExpr):
    """Yield the leaf conditions of a JSON expression, left to right."""
    if isinstance(expr, (JsonAnd, JsonOr)):
        for item in expr.items:
            yield from iter_conditions(item)
    else:
        yield expr


def iter_slot_compares(expr: SlotExpr):
    """Yield the `SlotCompare` leaves of a slot condition, left to right."""
    if isinstance(expr, (SlotAnd, SlotOr)):
        for item in expr.items:
            yield from iter_slot_compares(item)
    else:
        yield expr
