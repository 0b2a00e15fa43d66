"""Reference interpreter: a plain tree walker over `grammar.nodes`, used only by the tests.

It states the matching rules of DECISIONS as directly as possible, one small function per rule,
so that it can be read against the decision table line by line. The compiled matchers
(`engine.compiler`) are tested against it. It shares only the per-event primitives of
`engine.events` with them (JSON decoding, canonical text, field splitting, the ``*`` algorithm),
never comparison logic. Speed is not a goal here.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable
from typing import Any

import re2

from ...grammar import nodes
from ..events import NOT_JSON, LogEvent, compile_wildcard, scalar_text
from ..links import cite

__all__ = ["interpret", "interpret_extract"]


def interpret(pattern: nodes.Pattern, event: LogEvent) -> bool:
    """Return True when `pattern` matches `event`.

    Raises:
        TypeError: `pattern` is not one of the four pattern nodes.
        ValueError: the tree is malformed (two ``...`` in one space-delimited pattern) or a regex
            does not compile.
    """
    if isinstance(pattern, nodes.TermPattern):
        return _terms_match(pattern, event.message)
    if isinstance(pattern, nodes.RegexPattern):
        return _regex_found(pattern.regex, event.message)
    if isinstance(pattern, nodes.JsonPattern):
        doc = event.json
        if doc is NOT_JSON:
            return False  # DECISIONS P12: a JSON pattern never matches a non-JSON event
        return _json_expr_holds(pattern.expr, doc)
    if isinstance(pattern, nodes.DelimitedPattern):
        return _delimited_bind(pattern, event.fields) is not None
    raise TypeError(f"not a pattern node: {type(pattern).__name__}")


def interpret_extract(pattern: nodes.Pattern, event: LogEvent) -> dict[str, str] | None:
    """The TestMetricFilter ``extractedValues`` for `event`, or None when `pattern` does not match.

    Term and regex patterns extract nothing (``{}``). JSON patterns report every selector without
    a wildcard step that reaches one scalar (DECISIONS M7, P20). Space-delimited patterns report
    named slots as ``$name`` and every other field as ``$<1-based position>`` (DECISIONS P13).
    """
    if not interpret(pattern, event):
        return None
    if isinstance(pattern, nodes.JsonPattern):
        return _json_extract(pattern.expr, event.json)
    if isinstance(pattern, nodes.DelimitedPattern):
        return _delimited_extract(pattern, event.fields)
    return {}


# --------------------------------------------------------------------------- terms

# DECISIONS P23: whitespace is space, tab, CR and LF.
_WHITESPACE = " \t\r\n"


def _term_present(term: nodes.Term, message: str) -> bool:
    # DECISIONS P17 / P4: a quoted term made only of whitespace (`" "`) is present in every event.
    if term.quoted and term.text.strip(_WHITESPACE) == "":
        return True
    # DECISIONS P1: substring, case-sensitive (`ERROR` is present in `ERRORCODE`).
    return term.text in message


def _terms_match(pattern: nodes.TermPattern, message: str) -> bool:
    terms = pattern.terms
    if not terms:
        return True  # DECISIONS P4: the empty pattern matches every event
    includes = [term for term in terms if term.kind == "include"]
    excludes = [term for term in terms if term.kind == "exclude"]
    optionals = [term for term in terms if term.kind == "optional"]
    if includes or excludes:
        # DECISIONS P2: with any include or exclude term, every `?` term is ignored.
        return all(_term_present(term, message) for term in includes) and not any(
            _term_present(term, message) for term in excludes
        )
    return any(_term_present(term, message) for term in optionals)


# --------------------------------------------------------------------------- regexes

# `{,n}` outside a character class and not escaped. DECISIONS P18: it means `{0,n}`, although
# RE2 alone would read it as literal text. Only a count that RE2 reads (no leading zero, at most
# 9 digits) makes a repetition; `{,01}` and `{,1234567890}` stay literal, as in `{0,01}`.
_EMPTY_MIN_REPEAT = re.compile(r"\{,(0|[1-9][0-9]{0,8})\}")


def _rewrite_regex(source: str) -> str:
    """Rewrite `{,n}` to `{0,n}` where it is a repetition (DECISIONS P18); keep the rest as is."""
    out: list[str] = []
    i, n = 0, len(source)
    in_class = False
    while i < n:
        char = source[i]
        if char == "\\":
            out.append(source[i : i + 2])  # an escape is never a repetition or a class bracket
            i += 2
            continue
        if in_class:
            if source.startswith("[:", i):  # POSIX class such as [:alpha:] inside a bracket
                close = source.find(":]", i + 2)
                if close >= 0:
                    out.append(source[i : close + 2])
                    i = close + 2
                    continue
            if char == "]":
                in_class = False
            out.append(char)
            i += 1
            continue
        if char == "[":
            in_class = True
            out.append(char)
            i += 1
            # `]` right after `[` or `[^` is a literal member, not the end of the class.
            if source.startswith("^", i):
                out.append("^")
                i += 1
            if source.startswith("]", i):
                out.append("]")
                i += 1
            continue
        match = _EMPTY_MIN_REPEAT.match(source, i)
        if match is not None:
            out.append("{0," + match.group(1) + "}")
            i = match.end()
            continue
        out.append(char)
        i += 1
    return "".join(out)


@functools.lru_cache(maxsize=256)
def _compile_regex(source: str) -> Any:
    """Compile a pattern regex with RE2 (DECISIONS P6, P18): default options, errors not logged.

    Raises:
        ValueError: RE2 rejects the expression.
    """
    options = re2.Options()
    options.log_errors = False
    try:
        return re2.compile(_rewrite_regex(source), options)
    except re2.error as exc:
        raise ValueError(f"regex does not compile: {source!r}: {exc}") from None


def _regex_found(regex: nodes.Regex, text: str) -> bool:
    """RE2 search (not full match) of `regex` anywhere in `text` (DECISIONS P6)."""
    compiled = _compile_regex(regex.source)
    try:
        return compiled.search(text) is not None
    except UnicodeEncodeError:
        # RE2 reads UTF-8, which cannot hold a lone surrogate; read it as U+FFFD (as P23 does).
        fixed = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
        return compiled.search(fixed) is not None


# --------------------------------------------------------------------------- JSON

def _reach(selector: nodes.Selector, doc: Any) -> list[Any]:
    """Every value `selector` reaches in `doc` (DECISIONS P20). Empty when it reaches nothing."""
    current = [doc]
    for step in selector.steps:
        reached: list[Any] = []
        for value in current:
            if isinstance(step, nodes.Key):
                if isinstance(value, dict) and step.name in value:
                    reached.append(value[step.name])
            elif isinstance(step, nodes.Index):
                if isinstance(value, list) and 0 <= step.index < len(value):
                    reached.append(value[step.index])
            elif isinstance(step, nodes.AnyMember):
                # DECISIONS P20: `.*` walks the members of an object, one level only.
                if isinstance(value, dict):
                    reached.extend(value.values())
            elif isinstance(step, nodes.AnyElement):
                # DECISIONS P20: `[*]` walks the elements of an array.
                if isinstance(value, list):
                    reached.extend(value)
            else:
                raise TypeError(f"not a selector step: {type(step).__name__}")
        current = reached
    return current


def _is_json_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _apply_text(op: str, equal: bool) -> bool:
    """`=` / `!=` from a text comparison; every numeric operator is false on text."""
    if op == "=":
        return equal
    if op == "!=":
        return not equal
    return False


# DECISIONS P9: numbers compare as IEEE doubles, with every operator.
_NUMBER_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _apply_number(op: str, left: float, right: float) -> bool:
    """Compare two IEEE doubles (DECISIONS P9)."""
    return _NUMBER_COMPARE[op](left, right)


def _json_value_satisfies(value: Any, op: str, want: nodes.Value) -> bool:
    """Does one reached JSON value satisfy ``op want``? (DECISIONS P8, P9, P10)."""
    if isinstance(value, (dict, list)):
        return False  # DECISIONS P10: an object or array never matches, whatever the operator
    if value is None:
        return False  # DECISIONS P10: a present null satisfies only IS NULL
    if isinstance(want, nodes.Regex):
        # DECISIONS P9, P10: a regex searches the value's text (a number's canonical text,
        # `true`/`false` for booleans).
        return _apply_text(op, _regex_found(want, scalar_text(value)))
    if want.has_wildcard:
        # DECISIONS P8, P9: a wildcard sees the text of strings, numbers and booleans.
        return _apply_text(op, compile_wildcard(want.text)(scalar_text(value)))
    if want.is_number:
        if _is_json_number(value):
            return _apply_number(op, float(value), float(want.text))  # DECISIONS P9: doubles
        # DECISIONS P9, P10: an unquoted number against a string or a boolean is never equal
        # (`=` false, `!=` true), and numeric operators are false.
        return _apply_text(op, False)
    # A quoted literal, or unquoted text: compare as text. Against a number that is the number's
    # canonical text (DECISIONS P9: `= "123"` matches 123, `!= "123.0"` matches 123); against a
    # boolean its JSON word (DECISIONS P10: `= "true"` and `= true` match true).
    return _apply_text(op, scalar_text(value) == want.text)


def _json_condition_holds(condition: nodes.JsonCondition, doc: Any) -> bool:
    reached = _reach(condition.selector, doc)
    if isinstance(condition, nodes.JsonNotExists):
        # DECISIONS P10, P20: true only when nothing is reached (a null, an object is "reached").
        return not reached
    if isinstance(condition, nodes.JsonIs):
        # DECISIONS P10: IS NULL only for null; IS TRUE / IS FALSE only for JSON booleans.
        if condition.what == "NULL":
            return any(value is None for value in reached)
        if condition.what == "TRUE":
            return any(value is True for value in reached)
        if condition.what == "FALSE":
            return any(value is False for value in reached)
        raise ValueError(f"unknown IS test {condition.what!r}")
    if isinstance(condition, nodes.JsonCompare):
        # DECISIONS P20: the condition holds when SOME reached value satisfies it; a missing
        # field reaches nothing, so every comparison on it is false (DECISIONS P10).
        return any(
            _json_value_satisfies(value, condition.op, condition.value) for value in reached
        )
    raise TypeError(f"not a JSON condition: {type(condition).__name__}")


def _json_expr_holds(expr: nodes.JsonExpr, doc: Any) -> bool:
    if isinstance(expr, nodes.JsonAnd):
        return all(_json_expr_holds(item, doc) for item in expr.items)
    if isinstance(expr, nodes.JsonOr):
        return any(_json_expr_holds(item, doc) for item in expr.items)
    return _json_condition_holds(expr, doc)


def _json_extract(expr: nodes.JsonExpr, doc: Any) -> dict[str, str]:
    """DECISIONS M7, P20: every wildcard-free selector named anywhere in the pattern (a losing
    `||` branch, a NOT EXISTS test included) that reaches one scalar, keyed as written."""
    extracted: dict[str, str] = {}
    for condition in nodes.iter_conditions(expr):
        selector = condition.selector
        if selector.wildcards:
            continue
        reached = _reach(selector, doc)
        if len(reached) == 1 and not isinstance(reached[0], (dict, list)):
            extracted[selector.text] = scalar_text(reached[0])
    return extracted


# --------------------------------------------------------------------------- space-delimited

def _field_satisfies(text: str, op: str, want: nodes.Value) -> bool:
    """Does one field's text satisfy ``op want``? (DECISIONS P8, P9)."""
    if isinstance(want, nodes.Regex):
        return _apply_text(op, _regex_found(want, text))
    if want.has_wildcard:
        return _apply_text(op, compile_wildcard(want.text)(text))  # DECISIONS P8
    if want.is_number:
        # DECISIONS P9: numeric when the field's text is a number by the same rule as literals;
        # otherwise `=` false, `!=` true, numeric operators false (Apache's `-` bytes).
        if nodes.is_number_text(text):
            return _apply_number(op, float(text), float(want.text))
        return _apply_text(op, False)
    # DECISIONS P9: a quoted literal (or unquoted text) compares as text with the field.
    return _apply_text(op, text == want.text)


def _slot_expr_holds(expr: nodes.SlotExpr, text: str) -> bool:
    if isinstance(expr, nodes.SlotAnd):
        return all(_slot_expr_holds(item, text) for item in expr.items)
    if isinstance(expr, nodes.SlotOr):
        return any(_slot_expr_holds(item, text) for item in expr.items)
    if isinstance(expr, nodes.SlotCompare):
        return _field_satisfies(text, expr.op, expr.value)
    raise TypeError(f"not a slot condition: {type(expr).__name__}")


def _delimited_bind(
    pattern: nodes.DelimitedPattern, fields: tuple[str, ...]
) -> list[nodes.Slot | None] | None:
    """Bind fields to slots, check the slots' conditions.

    Returns:
        None when the event does not match; else one entry per field: the `Slot` it is bound to,
        or None for a field covered by ``...``.
    """
    slots = pattern.slots
    rests = [i for i, slot in enumerate(slots) if isinstance(slot, nodes.Rest)]
    if len(rests) > 1:
        raise ValueError(f"a space-delimited pattern holds at most one '...' ({cite('P13')})")
    if not slots:
        return [None] * len(fields)  # DECISIONS P13: `[]` means `[...]`
    if not rests:
        # DECISIONS P13: without `...` the number of fields must equal the number of slots.
        if len(fields) != len(slots):
            return None
        binding: list[Any] = list(slots)
    else:
        rest = rests[0]
        before, after = slots[:rest], slots[rest + 1 :]
        if len(fields) < len(before) + len(after):
            return None
        covered = len(fields) - len(before) - len(after)
        binding = list(before) + [None] * covered + list(after)
    for slot, text in zip(binding, fields):
        if slot is not None and slot.condition is not None:
            if not _slot_expr_holds(slot.condition, text):
                return None
    return binding


def _delimited_extract(
    pattern: nodes.DelimitedPattern, fields: tuple[str, ...]
) -> dict[str, str]:
    binding = _delimited_bind(pattern, fields)
    assert binding is not None, "called only for a matching event"
    extracted: dict[str, str] = {}
    for position, (slot, text) in enumerate(zip(binding, fields), start=1):
        if slot is not None and slot.name is not None:
            extracted["$" + slot.name] = text  # DECISIONS P13: a repeated name, the later wins
        else:
            extracted[f"${position}"] = text  # under `...`, or the unnamed trailing slot
    return extracted
