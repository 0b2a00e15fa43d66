"""The AlarmRule language of CloudWatch composite alarms: parser, typed syntax tree and printer.

`parse_alarm_rule` turns rule text such as ``ALARM(CPUHigh) AND NOT OK("disk check")`` into a tree of
frozen, slotted dataclasses (alarms.md §7, DECISIONS A12). The grammar lives in ``alarm_rule.lark``
and is parsed with Lark's LALR parser; the parser is built once. Every bad rule raises
`AlarmRuleError`, a `ValueError` that keeps the rule text and renders a caret under the fault.

The tree carries no semantics: deciding a composite alarm's state from its children's states is
the engine's job (``cwfilter.engine.alarms``). This module imports only Lark and the standard library.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError

from .errors import TextError
from .loader import load_grammar

__all__ = [
    "AlarmRef",
    "AlarmRule",
    "AlarmRuleError",
    "And",
    "AtLeast",
    "Constant",
    "Expr",
    "KEYWORDS",
    "MAX_CHILDREN",
    "MAX_ELEMENTS",
    "MAX_RULE_LENGTH",
    "Not",
    "Or",
    "STATES",
    "Span",
    "StateCheck",
    "alarm_name_of",
    "iter_alarm_refs",
    "parse_alarm_rule",
    "unparse_alarm_rule",
]

# PutCompositeAlarm limits (API reference, alarms.md §7).
MAX_RULE_LENGTH = 10240
MAX_CHILDREN = 100
MAX_ELEMENTS = 500

STATES = ("ALARM", "OK", "INSUFFICIENT_DATA")
KEYWORDS = frozenset({"AND", "OR", "NOT", "TRUE", "FALSE", "AT_LEAST", *STATES})

# An alarm ARN: arn:<partition>:cloudwatch:<region>:<account>:alarm:<name>. DECISIONS A12: a name and
# its ARN refer to the same alarm.
_ARN_RE = re.compile(r"arn:[^:]+:cloudwatch:[^:]*:[^:]*:alarm:(.+)", re.DOTALL)


def alarm_name_of(ref: str) -> str:
    """Return the alarm name that `ref` designates: the name itself, or the name part of an alarm ARN."""
    match = _ARN_RE.fullmatch(ref)
    return match.group(1) if match else ref


# --------------------------------------------------------------------------- nodes


@dataclass(frozen=True, slots=True)
class Span:
    """Half-open range ``[start, end)`` of code-point offsets into the rule text."""

    start: int
    end: int


NO_SPAN = Span(0, 0)


@dataclass(frozen=True, slots=True)
class AlarmRef:
    """A reference to a child alarm, by name or by ARN, exactly as decoded from the rule.

    `ref` is the decoded text (quotes removed, ``\\"`` and ``\\\\`` unescaped). Whether it was quoted
    does not change its meaning, so `quoted` is left out of equality.
    """

    ref: str
    quoted: bool = field(default=False, compare=False)
    span: Span = field(default=NO_SPAN, compare=False, repr=False)

    @property
    def name(self) -> str:
        """The alarm name (the last part of an ARN)."""
        return alarm_name_of(self.ref)

    @property
    def is_arn(self) -> bool:
        """True when the reference is an alarm ARN."""
        return _ARN_RE.fullmatch(self.ref) is not None


@dataclass(frozen=True, slots=True)
class StateCheck:
    """``ALARM(x)``, ``OK(x)`` or ``INSUFFICIENT_DATA(x)``: true when alarm `x` is in `state`."""

    state: str
    alarm: AlarmRef
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Constant:
    """``TRUE`` or ``FALSE``."""

    value: bool
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Not:
    """``NOT operand``."""

    operand: Expr
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class And:
    """``a AND b AND …``: two or more operands written in one chain."""

    operands: tuple[Expr, ...]
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Or:
    """``a OR b OR …``: two or more operands written in one chain."""

    operands: tuple[Expr, ...]
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class AtLeast:
    """``AT_LEAST(threshold, [NOT ]STATE, (a1, a2, …))``.

    `threshold` is a whole count when `percent` is False, else a percentage in (0, 100]. With
    `negated`, an alarm counts when it is *not* in `state`.
    """

    threshold: float
    percent: bool
    state: str
    negated: bool
    alarms: tuple[AlarmRef, ...]
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


Expr = StateCheck | Constant | Not | And | Or | AtLeast


@dataclass(frozen=True, slots=True)
class AlarmRule:
    """A parsed AlarmRule: its expression and the text it came from (left out of equality)."""

    expr: Expr
    text: str = field(default="", compare=False, repr=False)

    @property
    def alarm_refs(self) -> tuple[AlarmRef, ...]:
        """Every alarm reference, in the order written (repeats included)."""
        return tuple(iter_alarm_refs(self.expr))

    @property
    def alarm_names(self) -> tuple[str, ...]:
        """The distinct alarm names the rule depends on, in order of first mention."""
        return tuple(dict.fromkeys(ref.name for ref in iter_alarm_refs(self.expr)))


def iter_alarm_refs(expr: Expr) -> Iterator[AlarmRef]:
    """Yield every `AlarmRef` under `expr`, left to right."""
    match expr:
        case StateCheck(alarm=ref):
            yield ref
        case AtLeast(alarms=refs):
            yield from refs
        case Not(operand=inner):
            yield from iter_alarm_refs(inner)
        case And(operands=ops) | Or(operands=ops):
            for op in ops:
                yield from iter_alarm_refs(op)
        case Constant():
            return
        case _:
            raise TypeError(f"not an AlarmRule node: {type(expr).__name__}")


# --------------------------------------------------------------------------- errors


class AlarmRuleError(TextError):
    """A composite alarm's AlarmRule is malformed or exceeds a limit; `rule` is the rule text."""

    @property
    def rule(self) -> str:
        return self.text


class _Fault(Exception):
    """Raised inside transformer callbacks; `parse_alarm_rule` turns it into an `AlarmRuleError`."""

    def __init__(self, message: str, start: int, end: int) -> None:
        super().__init__(message)
        self.message, self.start, self.end = message, start, end


# What each terminal is called in error messages (Lark's own names would leak otherwise).
_TERMINAL_WORDS = {
    "LPAR": "'('",
    "RPAR": "')'",
    "COMMA": "','",
    "AND": "AND",
    "OR": "OR",
    "NOT": "NOT",
    "TRUE": "TRUE",
    "FALSE": "FALSE",
    "STATE": "ALARM, OK, INSUFFICIENT_DATA",
    "AT_LEAST": "AT_LEAST",
    "THRESHOLD": "a count or percentage",
    "NAME": "an alarm name",
    "QUOTED": "a quoted alarm name",
    "$END": "the end of the rule",
}
_WORD_ORDER = list(_TERMINAL_WORDS)


def _expected_words(expected: set[str] | frozenset[str]) -> str:
    names = sorted((n for n in expected if n in _TERMINAL_WORDS), key=_WORD_ORDER.index)
    words = [_TERMINAL_WORDS[n] for n in names]
    if not words:
        return "something else"
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


# --------------------------------------------------------------------------- parser


@functools.cache
def _lark() -> Lark:
    return load_grammar(__package__, "alarm_rule.lark", lexer="contextual", propagate_positions=True,
                        maybe_placeholders=False)


def _span(meta) -> Span:
    return Span(meta.start_pos, meta.end_pos)


def _tok_span(tok: Token) -> Span:
    return Span(tok.start_pos, tok.end_pos)


_QUOTED_ESCAPE = re.compile(r"\\([\"\\])")


class _ToNodes(Transformer):
    """Lark tree → `Expr` nodes. Rule names in the grammar match the methods below."""

    @v_args(inline=True)
    def alarm_ref(self, tok: Token) -> AlarmRef:
        if tok.type == "QUOTED":
            # DECISIONS A12: a quoted name accepts \" and \\; any other backslash stays literal.
            name = _QUOTED_ESCAPE.sub(r"\1", tok.value[1:-1])
            if not name:
                raise _Fault("An alarm name cannot be empty", tok.start_pos, tok.end_pos)
            return AlarmRef(name, quoted=True, span=_tok_span(tok))
        if tok.value in KEYWORDS:
            # DECISIONS A12: a keyword used as an alarm name must be quoted.
            raise _Fault(f"The keyword {tok.value} must be quoted to be used as an alarm name "
                         f"(\"{tok.value}\")", tok.start_pos, tok.end_pos)
        return AlarmRef(tok.value, quoted=False, span=_tok_span(tok))

    def alarm_list(self, children: list) -> tuple[AlarmRef, ...]:
        return tuple(c for c in children if isinstance(c, AlarmRef))

    def at_least_state(self, children: list[Token]) -> tuple[bool, str]:
        return (len(children) == 2, children[-1].value)

    @v_args(meta=True)
    def state_check(self, meta, children: list) -> StateCheck:
        state_tok, _, ref, _ = children
        return StateCheck(state_tok.value, ref, _span(meta))

    @v_args(meta=True)
    def constant(self, meta, children: list[Token]) -> Constant:
        return Constant(children[0].value == "TRUE", _span(meta))

    @v_args(meta=True)
    def negation(self, meta, children: list) -> Not:
        return Not(children[1], _span(meta))

    @v_args(meta=True)
    def group(self, meta, children: list) -> Expr:
        return children[1]  # parentheses only group; the node keeps its own span

    @v_args(meta=True)
    def and_expr(self, meta, children: list) -> And:
        return And(tuple(c for c in children if not isinstance(c, Token)), _span(meta))

    @v_args(meta=True)
    def or_expr(self, meta, children: list) -> Or:
        return Or(tuple(c for c in children if not isinstance(c, Token)), _span(meta))

    @v_args(meta=True)
    def at_least(self, meta, children: list) -> AtLeast:
        threshold_tok: Token = children[2]
        negated, state = children[4]
        refs: tuple[AlarmRef, ...] = children[7]
        text = threshold_tok.value
        where = (threshold_tok.start_pos, threshold_tok.end_pos)
        if text.endswith("%"):
            # DECISIONS A12: a percentage p with 0 < p <= 100, decimals allowed.
            value = float(text[:-1])
            if not 0 < value <= 100:
                raise _Fault(f"An AT_LEAST percentage must be greater than 0% and at most 100% "
                             f"(got {text})", *where)
            return AtLeast(value, True, state, negated, refs, _span(meta))
        # DECISIONS A12: a whole count from 1 to the number of listed alarms.
        if "." in text or not 1 <= int(text) <= len(refs):
            raise _Fault(f"An AT_LEAST count must be a whole number from 1 to the number of "
                         f"alarms listed ({len(refs)}) (got {text})", *where)
        return AtLeast(float(int(text)), False, state, negated, refs, _span(meta))


_TO_NODES = _ToNodes()


def _utf16_cut(text: str, limit: int) -> int:
    """Index of the first code point that takes the UTF-16 length of `text` past `limit`."""
    units = 0
    for i, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            return i
    return len(text)


def _syntax_error(exc: UnexpectedInput, rule: str) -> AlarmRuleError:
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        expected = _expected_words(exc.accepts or exc.expected)
        if tok.type == "$END":
            return AlarmRuleError(f"Incomplete alarm rule: expected {expected}", rule, len(rule))
        start = tok.start_pos if tok.start_pos is not None else len(rule)
        end = tok.end_pos if tok.end_pos is not None else start + 1
        if tok.type == "NAME" and tok.value.upper() in KEYWORDS and tok.value not in KEYWORDS:
            return AlarmRuleError(f"Keywords are upper case: write {tok.value.upper()} instead of "
                                  f"{tok.value}", rule, start, end)
        return AlarmRuleError(f"Unexpected '{tok.value}': expected {expected}", rule, start, end)
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream
        char = rule[pos] if pos < len(rule) else ""
        expected = _expected_words(exc.allowed or set())
        if char == '"':
            return AlarmRuleError("Unterminated quoted alarm name", rule, pos, len(rule))
        return AlarmRuleError(f"Unexpected character '{char}': expected {expected}", rule, pos)
    return AlarmRuleError("Invalid alarm rule", rule, getattr(exc, "pos_in_stream", 0) or 0)


def _check_limits(tree: Tree, rule: str) -> None:
    """PutCompositeAlarm limits: ≤ 100 child alarms and ≤ 500 elements.

    Elements are counted as the API text lists them: every alarm reference, every TRUE/FALSE and
    every pair of grouping parentheses (the parentheses of ``ALARM(x)`` belong to the reference).
    """
    elements: list[tuple[int, int]] = []
    first_mention: dict[str, tuple[int, int]] = {}
    for sub in tree.iter_subtrees():
        if sub.data in ("alarm_ref", "constant", "group"):
            elements.append((sub.meta.start_pos, sub.meta.end_pos))
        if sub.data == "alarm_ref":
            tok = sub.children[0]
            ref = _QUOTED_ESCAPE.sub(r"\1", tok.value[1:-1]) if tok.type == "QUOTED" else tok.value
            where = (sub.meta.start_pos, sub.meta.end_pos)
            name = alarm_name_of(ref)
            if name not in first_mention or where < first_mention[name]:
                first_mention[name] = where
    if len(first_mention) > MAX_CHILDREN:
        start, end = sorted(first_mention.values())[MAX_CHILDREN]
        raise AlarmRuleError(f"An alarm rule can name at most {MAX_CHILDREN} child alarms "
                             f"(this one names {len(first_mention)})", rule, start, end)
    if len(elements) > MAX_ELEMENTS:
        start, end = sorted(elements)[MAX_ELEMENTS]
        raise AlarmRuleError(f"An alarm rule can have at most {MAX_ELEMENTS} elements (child "
                             f"alarms, TRUE/FALSE, parentheses); this one has {len(elements)}",
                             rule, start, end)


@functools.lru_cache(maxsize=1024)
def parse_alarm_rule(rule: str) -> AlarmRule:
    """Parse a composite alarm's AlarmRule.

    Args:
        rule: the rule text, for example ``ALARM(a) OR (OK(b) AND NOT ALARM("c d"))``.

    Returns:
        The `AlarmRule`, whose `expr` is the typed expression tree.

    Raises:
        AlarmRuleError: the rule is empty or longer than 10240 characters (counted in UTF-16 code
            units, as the Java service counts), does not follow the grammar, quotes nothing, uses
            a keyword as an unquoted name, has an AT_LEAST threshold out of range, or names more
            than 100 alarms / has more than 500 elements.
    """
    if not isinstance(rule, str):
        raise TypeError(f"an alarm rule must be a string, not {type(rule).__name__}")
    units = len(rule.encode("utf-16-le")) // 2
    if units < 1:
        raise AlarmRuleError("An alarm rule must be 1 to 10240 characters long (got 0)", rule, 0)
    if units > MAX_RULE_LENGTH:
        cut = _utf16_cut(rule, MAX_RULE_LENGTH)
        raise AlarmRuleError(f"An alarm rule must be 1 to {MAX_RULE_LENGTH} characters long "
                             f"(got {units})", rule, cut, len(rule))
    try:
        tree = _lark().parse(rule)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, rule) from None
    try:
        expr = _TO_NODES.transform(tree)
    except VisitError as exc:
        orig = exc.orig_exc
        if isinstance(orig, _Fault):
            raise AlarmRuleError(orig.message, rule, orig.start, orig.end) from None
        raise orig from None
    _check_limits(tree, rule)
    return AlarmRule(expr, rule)


# --------------------------------------------------------------------------- printer


def _quote(ref: AlarmRef) -> str:
    text = ref.ref
    if ref.quoted or text in KEYWORDS or re.search(r'[\s(),"\\]', text) or not text:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def _percent_text(value: float) -> str:
    text = format(Decimal(repr(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text + "%"


def _unparse(expr: Expr, parent: int) -> str:
    # Binding strength: OR 1, AND 2, NOT 3, atoms 4. Parenthesise a child weaker than its parent.
    match expr:
        case Constant(value=v):
            return "TRUE" if v else "FALSE"
        case StateCheck(state=s, alarm=ref):
            return f"{s}({_quote(ref)})"
        case AtLeast(threshold=t, percent=p, state=s, negated=neg, alarms=refs):
            num = _percent_text(t) if p else str(int(t))
            state = f"NOT {s}" if neg else s
            return f"AT_LEAST({num}, {state}, ({', '.join(_quote(r) for r in refs)}))"
        case Not(operand=inner):
            text, own = "NOT " + _unparse(inner, 3), 3
        case And(operands=ops):
            text, own = " AND ".join(_unparse(op, 3) for op in ops), 2
        case Or(operands=ops):
            text, own = " OR ".join(_unparse(op, 2) for op in ops), 1
        case _:
            raise TypeError(f"not an AlarmRule node: {type(expr).__name__}")
    return f"({text})" if own < parent else text


def unparse_alarm_rule(node: AlarmRule | Expr) -> str:
    """Print a rule in canonical spacing, with only the parentheses that grouping needs.

    ``parse_alarm_rule(unparse_alarm_rule(t)) == t`` holds for every parsed rule `t`.
    """
    expr = node.expr if isinstance(node, AlarmRule) else node
    return _unparse(expr, 0)
