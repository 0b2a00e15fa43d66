"""Why a filter pattern does or does not match an event: a per-clause trace with hints.

`explain(pattern, message)` walks the pattern tree over one event and returns an `Explanation`:
the tree of clauses, each marked ``matched``, ``not matched`` or ``not evaluated``, with the value
each selector or slot resolved to, the first reason the event fails, and hints for the usual
mistakes (a prefix before the JSON, a field count that differs from the slot count, a term that
differs only in case, ``?`` terms ignored (DECISIONS P2), a hyphenated term split into exclusions
(P3), a quoted number compared as text (P9)).

Every clause is evaluated, not only up to the first failure, so that one run shows every part
that needs fixing; ``not evaluated`` marks what the service never looks at for this event (the
conditions of a JSON pattern on an event that is not JSON, the slots of a space-delimited
pattern whose field count does not fit, ``?`` terms mixed with other terms, fields under
``...``). The verdict follows DECISIONS exactly; it is what `CompiledPattern.matches` answers.

The evaluation uses the per-event primitives of `engine.events` (JSON decoding, canonical text,
field splitting, the ``*`` algorithm) and the RE2 regexes of `engine.regex`, as the compiled
matchers do; the comparison rules are written out again here, so that each result can say why.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ...grammar import nodes, parse, unparse
from ...grammar.printer import quote
from ..events import NOT_JSON, compile_wildcard, decode_json, number_text, scalar_text, split_fields
from ..links import cite
from ..matching.regex import compile_regex

__all__ = [
    "MATCHED",
    "NOT_EVALUATED",
    "NOT_MATCHED",
    "Clause",
    "Explanation",
    "Hint",
    "explain",
    "explain_many",
    "pattern_kind",
]

MATCHED = "matched"
NOT_MATCHED = "not matched"
NOT_EVALUATED = "not evaluated"

_MARK = {MATCHED: "✓", NOT_MATCHED: "✗", NOT_EVALUATED: "·"}

# DECISIONS P23: whitespace between tokens (and around JSON bodies, P21).
_WS = " \t\r\n"
_SHOW_MAX = 60  # characters of a value shown in a reason


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Hint:
    """Advice about a likely mistake. `id` is stable (``not-json-prefix``, ``field-count``,
    ``case``, ``optional-ignored``, ``hyphen-split``, ``quoted-number``, ``number-vs-string``);
    `text` says what happened and what to write instead."""

    id: str
    text: str

    def to_json(self) -> dict:
        return {"id": self.id, "text": self.text}


@dataclass(slots=True)
class Clause:
    """One clause of the pattern as evaluated on one event.

    Attributes:
        kind: ``terms``, ``term``, ``regex``, ``json``, ``and``, ``or``, ``compare``, ``is``,
            ``not-exists``, ``delimited``, ``fields``, ``slot``, ``rest`` or ``all-events``.
        text: the clause as pattern text (canonical spacing), or a label for ``fields``.
        status: ``matched``, ``not matched`` or ``not evaluated``.
        span: ``(start, end)`` offsets of the clause in the pattern text, when known.
        resolved: what the clause looked at: for a JSON condition the values its selector
            reached (each ``{"type", "text"}``), for a slot its field (``{"position", "text"}``),
            for a term the offset where it occurs (or None), for ``fields`` the event's fields.
        reason: why the clause did not match, or why it was not evaluated; None when it matched.
        children: sub-clauses, in pattern order.
    """

    kind: str
    text: str
    status: str = NOT_EVALUATED
    span: tuple[int, int] | None = None
    resolved: Any = None
    reason: str | None = None
    children: list[Clause] = field(default_factory=list)

    @property
    def matched(self) -> bool:
        return self.status == MATCHED

    def first_failure(self) -> Clause | None:
        """The first clause, depth first, that decided a failure (the deepest one with a reason)."""
        if self.status != NOT_MATCHED:
            return None
        if self.kind == "or" or (self.kind == "terms" and self.reason is not None):
            return self  # its own reason sums up its failing alternatives
        for child in self.children:
            found = child.first_failure()
            if found is not None:
                return found
        return self

    def to_json(self) -> dict:
        out: dict[str, Any] = {"kind": self.kind, "clause": self.text, "status": self.status}
        if self.span is not None:
            out["span"] = list(self.span)
        if self.resolved is not None:
            out["resolved"] = self.resolved
        if self.reason is not None:
            out["reason"] = self.reason
        if self.children:
            out["children"] = [c.to_json() for c in self.children]
        return out


@dataclass(slots=True)
class Explanation:
    """The explanation of one event.

    Attributes:
        pattern: the pattern text.
        kind: ``terms``, ``regex``, ``json`` or ``delimited``.
        message: the event message.
        matched: the verdict (what `CompiledPattern.matches` answers).
        tree: the root `Clause`.
        reason: the first reason the event fails (None when it matches).
        hints: advice about likely mistakes, in the order found.
        extracted: the TestMetricFilter ``extractedValues`` when the event matches, else None.
    """

    pattern: str
    kind: str
    message: str
    matched: bool
    tree: Clause
    reason: str | None
    hints: list[Hint]
    extracted: dict[str, str] | None

    def to_json(self, event_number: int | None = None) -> dict:
        """The explanation as data (the shape ``cwfilter explain --output json`` prints per event)."""
        out: dict[str, Any] = {}
        if event_number is not None:
            out["eventNumber"] = event_number
        out["eventMessage"] = self.message
        out["matched"] = self.matched
        out["reason"] = self.reason
        out["hints"] = [h.to_json() for h in self.hints]
        if self.extracted is not None:
            out["extractedValues"] = self.extracted
        out["clauses"] = self.tree.to_json()
        return out

    def render(self, event_number: int | None = None, width: int = 100) -> str:
        """Plain text: a verdict line, the message, the clause tree, the reason and the hints."""
        head = "match" if self.matched else "no match"
        label = f"event {event_number}" if event_number is not None else "event"
        lines = [f"{label}: {head}", "  " + _clip(_one_line(self.message), max(20, width - 2))]
        _render_clause(self.tree, 1, lines)
        if self.reason is not None:
            lines.append(f"  reason: {self.reason}")
        for hint in self.hints:
            lines.append(f"  hint: {hint.text}")
        if self.extracted:
            lines.append("  extracted: " + ", ".join(f"{k} = {v}" for k, v in self.extracted.items()))
        return "\n".join(lines)


def _render_clause(clause: Clause, depth: int, lines: list[str]) -> None:
    children = clause.children
    if len(children) == 1 and ((clause.kind == "json" and children[0].kind in ("and", "or"))
                               or (clause.kind == "terms" and children[0].text == clause.text)):
        # `{ a && b }` over `a && b`, or a one-term pattern over its term: show the pattern line
        # once, with the sub-clauses right under it.
        children = children[0].children or []
    note = ""
    if clause.resolved is not None and clause.kind in ("compare", "is", "not-exists", "slot"):
        note = f"  ({_resolved_note(clause)})"
    elif clause.status == NOT_EVALUATED and clause.reason and clause.kind != "json":
        note = f"  ({clause.reason})"
    lines.append("  " * depth + f"{_MARK[clause.status]} {clause.text}{note}")
    for child in children:
        _render_clause(child, depth + 1, lines)


def _resolved_note(clause: Clause) -> str:
    if clause.kind == "slot":
        r = clause.resolved
        return f"field {r['position']}: {_show_text(r['text'])}"
    sel = clause.text.split(" ", 1)[0]
    values = clause.resolved
    if not values:
        return f"{sel} is missing"
    shown = ", ".join(v["shown"] if "shown" in v else v["text"] for v in values[:5])
    if len(values) > 5:
        shown += f", … ({len(values)} values)"
    return f"{sel} → {shown}"


# --------------------------------------------------------------------------- API


def explain(pattern: str, message: str) -> Explanation:
    """Explain why `pattern` does or does not match the event `message`.

    Args:
        pattern: the filter pattern text.
        message: the event message.

    Returns:
        An `Explanation` whose `matched` is the verdict of DECISIONS (the one
        `compile_pattern(pattern).matches(message)` gives).

    Raises:
        PatternError: the pattern is invalid.
    """
    tree = _parse(pattern)
    walker = _Walker(pattern, message)
    root = walker.pattern(tree)
    matched = root.status == MATCHED
    reason = None
    if not matched:
        failing = root.first_failure()
        reason = failing.reason if failing is not None else None
    extracted = None
    if matched:
        from ..matching.compiler import compile_pattern

        extracted = compile_pattern(pattern).extract(message)
    return Explanation(
        pattern=pattern, kind=_KINDS[type(tree)], message=message, matched=matched, tree=root,
        reason=reason, hints=walker.hints_in_order(), extracted=extracted,
    )


def explain_many(pattern: str, messages: Iterable[str]) -> Iterator[Explanation]:
    """`explain` for each message, in order (the pattern is parsed once).

    Raises:
        PatternError: the pattern is invalid (raised at once, before any message is read).
    """
    _parse(pattern)
    return (explain(pattern, message) for message in messages)


def pattern_kind(pattern: str) -> str:
    """``terms``, ``regex``, ``json`` or ``delimited``.

    Raises:
        PatternError: the pattern is invalid.
    """
    return _KINDS[type(_parse(pattern))]


@functools.lru_cache(maxsize=256)
def _parse(pattern: str) -> nodes.Pattern:
    return parse(pattern)


_KINDS = {
    nodes.TermPattern: "terms",
    nodes.RegexPattern: "regex",
    nodes.JsonPattern: "json",
    nodes.DelimitedPattern: "delimited",
}


# --------------------------------------------------------------------------- helpers


def _span(node: Any) -> tuple[int, int] | None:
    span = getattr(node, "span", None)
    if span is None or (span.start == 0 and span.end == 0):
        return None
    return (span.start, span.end)


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")


def _clip(text: str, limit: int = _SHOW_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _show_text(text: str) -> str:
    """A string value as shown in reasons: JSON-quoted, clipped."""
    return _clip(json.dumps(text, ensure_ascii=False))


def _describe(value: Any) -> dict:
    """A reached JSON value as data: its type and its text (canonical for numbers, P9)."""
    if isinstance(value, dict):
        return {"type": "object", "text": _clip(json.dumps(value, ensure_ascii=False), 120)}
    if isinstance(value, list):
        return {"type": "array", "text": _clip(json.dumps(value, ensure_ascii=False), 120)}
    if value is None:
        return {"type": "null", "text": "null"}
    if value is True or value is False:
        return {"type": "boolean", "text": scalar_text(value)}
    if isinstance(value, str):
        return {"type": "string", "text": value, "shown": _show_text(value)}
    return {"type": "number", "text": number_text(value)}


def _shown(value: Any) -> str:
    """A reached JSON value as written in a reason: strings quoted, others as JSON text."""
    if isinstance(value, str):
        return _show_text(value)
    if isinstance(value, (dict, list)):
        return _clip(json.dumps(value, ensure_ascii=False), 40)
    return scalar_text(value)


def _literal_shown(value: nodes.Value) -> str:
    return unparse(value)


def _is_json_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_NUMBER_OPS: dict[str, Callable[[float, float], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _text_op(op: str, equal: bool) -> bool:
    """`=` / `!=` from a text test; numeric operators are false on text (DECISIONS P9)."""
    if op == "=":
        return equal
    if op == "!=":
        return not equal
    return False


# Prefixes that runtimes put before a JSON log line (DECISIONS P12: such a line is not JSON).
_PREFIX_KINDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\d{4}-\d\d-\d\dT[0-9:.]+Z?\t[0-9a-fA-F-]{36}\t[A-Z]+\t"),
     "a Lambda prefix: time, request id, level"),
    (re.compile(r"\S+ (?:stdout|stderr) [FP] "), "a container runtime prefix: time, stream, tag"),
    (re.compile(r"<\d{1,3}>"), "a syslog header"),
    (re.compile(r"[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d "), "a syslog header"),
    (re.compile(r"\d{4}-\d\d-\d\d[T ][0-9:.,]+(?:Z|[+-]\d\d:?\d\d)?\s"), "a timestamp"),
)


def _prefix_kind(prefix: str) -> str:
    for regex, label in _PREFIX_KINDS:
        if regex.match(prefix):
            return label
    return "text before the JSON"


# --------------------------------------------------------------------------- the walker


class _Walker:
    """Evaluates one pattern over one event, building clauses and collecting hints."""

    def __init__(self, pattern_text: str, message: str) -> None:
        self.text = pattern_text
        self.message = message
        self.hints: dict[tuple[str, str], Hint] = {}

    def hint(self, hint_id: str, text: str) -> None:
        self.hints.setdefault((hint_id, text), Hint(hint_id, text))

    def hints_in_order(self) -> list[Hint]:
        return list(self.hints.values())

    # ------------------------------------------------------------------ patterns

    def pattern(self, tree: nodes.Pattern) -> Clause:
        if isinstance(tree, nodes.TermPattern):
            return self.terms(tree)
        if isinstance(tree, nodes.RegexPattern):
            return self.regex_pattern(tree)
        if isinstance(tree, nodes.JsonPattern):
            return self.json_pattern(tree)
        if isinstance(tree, nodes.DelimitedPattern):
            return self.delimited(tree)
        raise TypeError(f"not a pattern node: {type(tree).__name__}")

    # ------------------------------------------------------------------ terms

    def terms(self, tree: nodes.TermPattern) -> Clause:
        root = Clause("terms", unparse(tree) or "(empty pattern)", span=_span(tree))
        if not tree.terms:
            # DECISIONS P4: the empty (or all-whitespace) pattern matches every event.
            root.kind = "all-events"
            root.status = MATCHED
            return root
        self._hyphen_hints(tree)
        includes = [t for t in tree.terms if t.kind == "include"]
        excludes = [t for t in tree.terms if t.kind == "exclude"]
        optionals = [t for t in tree.terms if t.kind == "optional"]
        mixed = bool(includes or excludes)
        if mixed and optionals:
            # DECISIONS P2: mixed with plain or `-` terms, every `?` term is ignored.
            names = " and ".join(unparse(t) for t in optionals) if len(optionals) <= 2 else \
                ", ".join(unparse(t) for t in optionals[:-1]) + " and " + unparse(optionals[-1])
            verb = "is" if len(optionals) == 1 else "are"
            self.hint("optional-ignored",
                      f"{names} {verb} ignored: when a pattern mixes ? terms with plain or - terms, "
                      f"every ? term is ignored ({cite('P2')}); to match any of several terms, give "
                      "each a ? and nothing else")
        any_optional = False
        for term in tree.terms:
            clause = Clause("term", unparse(term), span=_span(term))
            root.children.append(clause)
            present, offset = self._term_present(term)
            clause.resolved = {"offset": offset} if offset is not None else None
            if term.kind == "optional":
                if mixed:
                    clause.reason = f"ignored: ? terms count only when every term has a ? ({cite('P2')})"
                    continue
                clause.status = MATCHED if present else NOT_MATCHED
                if present:
                    any_optional = True
                else:
                    clause.reason = f"the term {unparse(term)} does not occur in the event"
                    self._case_hint_term(term)
            elif term.kind == "include":
                clause.status = MATCHED if present else NOT_MATCHED
                if not present:
                    clause.reason = f"the term {unparse(term)} does not occur in the event"
                    self._case_hint_term(term)
            else:
                clause.status = NOT_MATCHED if present else MATCHED
                if present:
                    if offset is None:
                        clause.reason = f"the excluded term {unparse(term)} is present in every event"
                    else:
                        clause.reason = f"the excluded term {unparse(term)} occurs in the event"
        if mixed:
            ok = all(c.status == MATCHED for c, t in zip(root.children, tree.terms, strict=True) if t.kind != "optional")
            root.status = MATCHED if ok else NOT_MATCHED
        else:
            root.status = MATCHED if any_optional else NOT_MATCHED
            if not any_optional:
                root.reason = "none of the ? terms occurs in the event"
                # The children carry their own reasons; the pattern-level one is the summary.
                for child in root.children:
                    child.status = NOT_MATCHED
        return root

    def _term_present(self, term: nodes.Term) -> tuple[bool, int | None]:
        # DECISIONS P17 / P4: a quoted term made only of whitespace is present in every event.
        if term.quoted and nodes.is_blank(term.text):
            return True, None
        offset = self.message.find(term.text)  # DECISIONS P1: substring, case-sensitive
        return offset >= 0, (offset if offset >= 0 else None)

    def _case_hint_term(self, term: nodes.Term) -> None:
        if not term.text:
            return
        found = self.message.lower().find(term.text.lower())
        if found < 0 or len(self.message.lower()) != len(self.message):
            return
        actual = self.message[found : found + len(term.text)]
        if actual != term.text:
            self.hint("case", f"the event contains {_show_text(actual)}, which differs from the term "
                              f"{unparse(term)} only in case: terms are case-sensitive ({cite('P1')})")

    def _hyphen_hints(self, tree: nodes.TermPattern) -> None:
        for run in hyphen_runs(tree, self.text):
            raw, parts = run
            self.hint("hyphen-split",
                      f"{raw} is read as {' '.join(unparse(t) for t in parts)}: a - or ? inside an "
                      f"unquoted term starts a new term ({cite('P3')}); write {quote(raw)} to search "
                      "for the text")

    # ------------------------------------------------------------------ regex

    def regex_pattern(self, tree: nodes.RegexPattern) -> Clause:
        root = Clause("regex", unparse(tree), span=_span(tree))
        search = compile_regex(tree.regex, self.text)
        if search(self.message):
            root.status = MATCHED
        else:
            root.status = NOT_MATCHED
            root.reason = f"the regex {unparse(tree.regex)} finds nothing in the event"
        return root

    # ------------------------------------------------------------------ JSON

    def json_pattern(self, tree: nodes.JsonPattern) -> Clause:
        root = Clause("json", unparse(tree), span=_span(tree))
        doc = decode_json(self.message)
        if doc is NOT_JSON:
            # DECISIONS P12: an event that is not a JSON object never matches, and is no error.
            root.status = NOT_MATCHED
            root.reason = self._not_json_reason()
            root.children.append(self._not_evaluated(tree.expr, "the event is not a JSON object"))
            return root
        child = self.json_expr(tree.expr, doc)
        root.children.append(child)
        root.status = child.status
        return root

    def _not_json_reason(self) -> str:
        message = self.message
        stripped = message.strip(_WS)
        brace = message.find("{")
        if brace > 0 and message[:brace].strip(_WS):
            body = decode_json(message[brace:])
            if body is not NOT_JSON:
                prefix = message[:brace]
                label = _prefix_kind(prefix)
                self.hint("not-json-prefix",
                          f"the event is not JSON because of the {len(prefix)}-character prefix "
                          f"before the '{{' ({label}): {_show_text(prefix)}; a JSON pattern matches "
                          f"only events that are one JSON object from start to end ({cite('P12')}); "
                          "log the JSON alone, or match the line with a space-delimited pattern")
                return "the event is not a JSON object: text comes before the '{'"
        if stripped.startswith("["):
            return "the event is a JSON array or text in brackets, not a JSON object"
        if stripped.startswith("{"):
            return f"the event starts like a JSON object but is not valid JSON ({cite('P21')})"
        return "the event is not a JSON object"

    def _not_evaluated(self, node: Any, reason: str) -> Clause:
        """A clause (and its sub-clauses) that the service never evaluates for this event."""
        if isinstance(node, (nodes.JsonAnd, nodes.JsonOr)):
            kind = "and" if isinstance(node, nodes.JsonAnd) else "or"
            clause = Clause(kind, unparse(node), span=_span(node), reason=reason)
            clause.children = [self._not_evaluated(item, reason) for item in node.items]
            return clause
        if isinstance(node, (nodes.SlotAnd, nodes.SlotOr)):
            kind = "and" if isinstance(node, nodes.SlotAnd) else "or"
            return Clause(kind, "", span=_span(node), reason=reason)
        kind = {nodes.JsonCompare: "compare", nodes.JsonIs: "is", nodes.JsonNotExists: "not-exists"}
        return Clause(kind.get(type(node), "clause"), unparse(node), span=_span(node), reason=reason)

    def json_expr(self, expr: nodes.JsonExpr, doc: Any) -> Clause:
        if isinstance(expr, (nodes.JsonAnd, nodes.JsonOr)):
            is_and = isinstance(expr, nodes.JsonAnd)
            clause = Clause("and" if is_and else "or", unparse(expr), span=_span(expr))
            clause.children = [self.json_expr(item, doc) for item in expr.items]
            results = [c.status == MATCHED for c in clause.children]
            ok = all(results) if is_and else any(results)
            clause.status = MATCHED if ok else NOT_MATCHED
            if not ok:
                if is_and:
                    clause.reason = next(c.reason for c in clause.children if c.status != MATCHED)
                else:
                    first = clause.children[0].first_failure()
                    detail = first.reason if first is not None else clause.children[0].reason
                    clause.reason = f"none of the {len(clause.children)} alternatives holds; the first: {detail}"
            return clause
        return self.json_condition(expr, doc)

    def json_condition(self, cond: nodes.JsonCondition, doc: Any) -> Clause:
        kind = "compare" if isinstance(cond, nodes.JsonCompare) else "is" if isinstance(cond, nodes.JsonIs) \
            else "not-exists"
        clause = Clause(kind, unparse(cond), span=_span(cond))
        selector = cond.selector
        reached = reach(selector, doc)
        clause.resolved = [_describe(v) for v in reached]
        sel = selector.text
        if isinstance(cond, nodes.JsonNotExists):
            # DECISIONS P10, P20: true only when nothing is reached.
            if not reached:
                clause.status = MATCHED
            else:
                clause.status = NOT_MATCHED
                clause.reason = f"{sel} exists (its value is {_shown(reached[0])})"
            return clause
        if not reached:
            clause.status = NOT_MATCHED
            clause.reason = (f"{sel} reaches no value" if selector.wildcards
                             else f"{sel} is missing, and every test but NOT EXISTS is false on a "
                                  f"missing field ({cite('P10')})")
            self._case_hint_selector(selector, doc)
            return clause
        outcomes = [self._value_test(cond, v) for v in reached]
        if any(ok for ok, _ in outcomes):
            clause.status = MATCHED  # DECISIONS P20: some reached value satisfies it
            return clause
        clause.status = NOT_MATCHED
        if len(reached) == 1:
            clause.reason = outcomes[0][1]
        else:
            clause.reason = (f"none of the {len(reached)} values {sel} reaches satisfies the test; "
                             f"the first: {outcomes[0][1]}")
        return clause

    def _value_test(self, cond: nodes.JsonCompare | nodes.JsonIs, value: Any) -> tuple[bool, str]:
        """Does one reached value pass? Returns (result, reason when it does not)."""
        sel = cond.selector.text
        if isinstance(value, (dict, list)):
            what = "an object" if isinstance(value, dict) else "an array"
            return False, (f"{sel} is {what}, and a selector that lands on an object or array never "
                           f"matches ({cite('P10')})")
        if isinstance(cond, nodes.JsonIs):
            # DECISIONS P10: IS NULL only for null; IS TRUE / IS FALSE only for JSON booleans.
            want = {"NULL": None, "TRUE": True, "FALSE": False}[cond.what]
            if value is want:
                return True, ""
            if isinstance(value, str) and value in ("true", "false", "null"):
                return False, (f"{sel} is the string {_show_text(value)}, not the JSON value "
                               f"{cond.what.lower()}")
            return False, f"{sel} is {_shown(value)}, not {cond.what.lower()}"
        op, want = cond.op, cond.value
        if value is None:
            return False, f"{sel} is null, which satisfies only IS NULL ({cite('P10')})"
        text = scalar_text(value)
        if isinstance(want, nodes.Regex):
            found = compile_regex(want, self.text)(text)
            ok = _text_op(op, found)
            if ok:
                return True, ""
            if op == "=":
                return False, f"{sel} is {_shown(value)}, in which the regex {unparse(want)} finds nothing"
            return False, f"{sel} is {_shown(value)}, in which the regex {unparse(want)} finds a match"
        if want.has_wildcard:
            fits = compile_wildcard(want.text)(text)  # DECISIONS P8, on the value's text (P9)
            ok = _text_op(op, fits)
            if ok:
                return True, ""
            if op == "=":
                return False, f"{sel} is {_shown(value)}, which does not fit the wildcard {_literal_shown(want)}"
            return False, f"{sel} is {_shown(value)}, which fits the wildcard {_literal_shown(want)}"
        if want.is_number:
            if _is_json_number(value):
                ok = _NUMBER_OPS[op](float(value), float(want.text))  # DECISIONS P9: doubles
                if ok:
                    return True, ""
                return False, f"{sel} is {_shown(value)}, which is not {op} {want.text}"
            # DECISIONS P9, P10: an unquoted number never equals a string or a boolean.
            ok = _text_op(op, False)
            if ok:
                return True, ""
            if isinstance(value, str):
                if op == "=" and value == want.text or nodes.is_number_text(value):
                    self.hint("number-vs-string",
                              f"{sel} is the string {_show_text(value)}: an unquoted number never "
                              f"equals a string ({cite('P9')}); write {quote(want.text)} to compare "
                              "text")
                if op in nodes.NUMERIC_OPS:
                    return False, f"{sel} is the string {_show_text(value)}, and {op} compares numbers only"
                return False, f"{sel} is the string {_show_text(value)}, which never equals the number {want.text}"
            if op in nodes.NUMERIC_OPS:
                return False, f"{sel} is {_shown(value)}, and {op} compares numbers only"
            return False, f"{sel} is {_shown(value)}, which never equals the number {want.text}"
        # A quoted literal or unquoted text compares as text: a number's canonical text (P9), a
        # boolean's JSON word (P10).
        equal = text == want.text
        ok = _text_op(op, equal)
        if want.quoted and nodes.is_number_text(want.text) and _is_json_number(value):
            numeric = _NUMBER_OPS[op](float(value), float(want.text))
            if numeric != ok:
                self.hint("quoted-number",
                          f"{_literal_shown(want)} is quoted, so it is compared as text with {text}, "
                          f"the text of the JSON number ({cite('P9')}); unquoted, {want.text} "
                          "compares as a number")
        if ok:
            return True, ""
        if op == "=":
            if isinstance(value, str) and value.lower() == want.text.lower():
                self.hint("case", f"{sel} is {_show_text(value)}, which differs from "
                                  f"{_literal_shown(want)} only in case: comparisons are case-sensitive")
            return False, f"{sel} is {_shown(value)}, which is not equal to {_literal_shown(want)}"
        return False, f"{sel} is {_shown(value)}, which equals {_literal_shown(want)}"

    def _case_hint_selector(self, selector: nodes.Selector, doc: Any) -> None:
        """A member name that differs only in case from one the event has."""
        current = [doc]
        for step in selector.steps:
            if not isinstance(step, nodes.Key):
                return
            nxt = []
            for value in current:
                if not isinstance(value, dict):
                    continue
                if step.name in value:
                    nxt.append(value[step.name])
                    continue
                for key in value:
                    if isinstance(key, str) and key.lower() == step.name.lower():
                        self.hint("case", f"the event has the member {_show_text(key)}, which differs "
                                          f"from {_show_text(step.name)} in {selector.text} only in "
                                          "case: member names are case-sensitive")
                        return
            if not nxt:
                return
            current = nxt

    # ------------------------------------------------------------------ space-delimited

    def delimited(self, tree: nodes.DelimitedPattern) -> Clause:
        root = Clause("delimited", unparse(tree), span=_span(tree))
        fields = split_fields(self.message)  # DECISIONS P13
        slots = tree.slots
        count = Clause("fields", "", resolved=list(fields))
        root.children.append(count)
        rests = [i for i, s in enumerate(slots) if isinstance(s, nodes.Rest)]
        binding: list[Any]
        if not slots:
            # DECISIONS P13: `[]` means `[...]`: every event, every field extracted.
            count.text = f"{len(fields)} fields, any number allowed"
            count.status = MATCHED
            root.status = MATCHED
            return root
        named = [s for s in slots if isinstance(s, nodes.Slot)]
        if not rests:
            count.text = f"{len(fields)} fields for {len(slots)} slots"
            fits = len(fields) == len(slots)  # DECISIONS P13: equal counts without `...`
            binding = [(slot, i) for i, slot in enumerate(slots)]
        else:
            count.text = f"{len(fields)} fields for {len(named)} slots and ..."
            fits = len(fields) >= len(named)
            at = rests[0]
            before, after = slots[:at], slots[at + 1 :]
            binding = [(s, i) for i, s in enumerate(before)]
            binding.append((slots[at], None))
            binding.extend((s, len(fields) - len(after) + j) for j, s in enumerate(after))
        if not fits:
            count.status = NOT_MATCHED
            if rests:
                count.reason = (f"the event has {len(fields)} fields, and the pattern needs at least "
                                f"{len(named)}")
            else:
                count.reason = f"the event has {len(fields)} fields, and the pattern has {len(slots)} slots"
            self._field_count_hint(len(fields), len(slots), bool(rests))
        else:
            count.status = MATCHED
        ok = fits
        for slot, position in binding:
            if isinstance(slot, nodes.Rest):
                covered = len(fields) - len(named)
                clause = Clause("rest", "...", span=_span(slot),
                                reason=f"covers {max(covered, 0)} fields, with no condition")
                if fits:
                    clause.status = MATCHED
                    clause.reason = None
                    clause.resolved = {"count": covered}
                root.children.append(clause)
                continue
            name = f"${slot.name}" if slot.name is not None else f"${position + 1}"
            clause = Clause("slot", unparse(slot) or name, span=_span(slot))
            root.children.append(clause)
            if not fits:
                clause.reason = "the field count does not fit"
                continue
            text = fields[position]
            clause.resolved = {"position": position + 1, "text": text}
            if slot.condition is None:
                clause.status = MATCHED
                continue
            passed, reason = self.slot_expr(slot.condition, text, name)
            clause.status = MATCHED if passed else NOT_MATCHED
            if not passed:
                clause.reason = reason
                ok = False
        root.status = MATCHED if ok else NOT_MATCHED
        return root

    def _field_count_hint(self, have: int, slots: int, rest: bool) -> None:
        if rest:
            text = (f"the event has {have} fields but the pattern needs at least {slots - 1}: a line "
                    f"with fewer fields never matches ({cite('P13')})")
        elif have > slots:
            text = (f"the event has {have} fields but the pattern has {slots} slots: without '...' "
                    f"the counts must be equal ({cite('P13')}); end the pattern with '...' to allow "
                    "more fields, or quote a value that holds spaces")
        else:
            text = (f"the event has {have} fields but the pattern has {slots} slots: without '...' "
                    f"the counts must be equal ({cite('P13')})")
        self.hint("field-count", text)

    def slot_expr(self, expr: nodes.SlotExpr, text: str, name: str) -> tuple[bool, str]:
        if isinstance(expr, nodes.SlotAnd):
            results = [self.slot_expr(item, text, name) for item in expr.items]
            for ok, reason in results:
                if not ok:
                    return False, reason
            return True, ""
        if isinstance(expr, nodes.SlotOr):
            results = [self.slot_expr(item, text, name) for item in expr.items]
            if any(ok for ok, _ in results):
                return True, ""
            return False, f"none of the {len(results)} alternatives holds; the first: {results[0][1]}"
        return self._field_test(expr, text, name)

    def _field_test(self, cmp: nodes.SlotCompare, text: str, name: str) -> tuple[bool, str]:
        op, want = cmp.op, cmp.value
        shown = _show_text(text)
        if isinstance(want, nodes.Regex):
            found = compile_regex(want, self.text)(text)
            if _text_op(op, found):
                return True, ""
            return False, (f"{name} is {shown}, in which the regex {unparse(want)} finds "
                           + ("nothing" if op == "=" else "a match"))
        if want.has_wildcard:
            fits = compile_wildcard(want.text)(text)  # DECISIONS P8
            if _text_op(op, fits):
                return True, ""
            return False, (f"{name} is {shown}, which " + ("does not fit" if op == "=" else "fits")
                           + f" the wildcard {_literal_shown(want)}")
        if want.is_number:
            # DECISIONS P9: numeric when the field's text is a number by the same rule.
            if nodes.is_number_text(text):
                if _NUMBER_OPS[op](float(text), float(want.text)):
                    return True, ""
                return False, f"{name} is {text}, which is not {op} {want.text}"
            if _text_op(op, False):
                return True, ""
            return False, f"{name} is {shown}, which is not a number, so {op} {want.text} is false"
        equal = text == want.text
        ok = _text_op(op, equal)
        if want.quoted and nodes.is_number_text(want.text) and nodes.is_number_text(text):
            numeric = _NUMBER_OPS[op](float(text), float(want.text))
            if numeric != ok:
                self.hint("quoted-number",
                          f"{_literal_shown(want)} is quoted, so it is compared as text with {shown} "
                          f"({cite('P9')}); unquoted, {want.text} compares as a number")
        if ok:
            return True, ""
        if op == "=":
            if text.lower() == want.text.lower():
                self.hint("case", f"{name} is {shown}, which differs from {_literal_shown(want)} only "
                                  "in case: comparisons are case-sensitive")
            return False, f"{name} is {shown}, which is not equal to {_literal_shown(want)}"
        return False, f"{name} is {shown}, which equals {_literal_shown(want)}"


# --------------------------------------------------------------------------- shared with lint


def reach(selector: nodes.Selector, doc: Any) -> list[Any]:
    """Every value `selector` reaches in a decoded event (DECISIONS P20); empty when none."""
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
                if isinstance(value, dict):
                    reached.extend(value.values())  # DECISIONS P20: one level of members
            elif isinstance(step, nodes.AnyElement):
                if isinstance(value, list):
                    reached.extend(value)  # DECISIONS P20: the elements of an array
        current = reached
    return current


def hyphen_runs(tree: nodes.TermPattern, text: str) -> list[tuple[str, list[nodes.Term]]]:
    """Words split by a ``-`` or ``?`` written inside them (DECISIONS P3, P17).

    Returns:
        For each such word, its text as written (``ORDER-ITEM-1``) and the terms it became.
    """
    runs: list[tuple[str, list[nodes.Term]]] = []
    current: list[nodes.Term] = []
    for term in tree.terms:
        span = _span(term)
        if current and span is not None and _span(current[-1]) is not None \
                and span[0] == _span(current[-1])[1] and term.kind != "include":
            current.append(term)
            continue
        if len(current) > 1:
            runs.append(_run(current, text))
        current = [term]
    if len(current) > 1:
        runs.append(_run(current, text))
    return runs


def _run(terms: list[nodes.Term], text: str) -> tuple[str, list[nodes.Term]]:
    start, end = _span(terms[0])[0], _span(terms[-1])[1]
    raw = text[start:end]
    if terms[0].kind != "include":
        raw = raw[1:]  # the leading operator belongs to the first term, not to the word
    return raw, list(terms)
