"""Compile pattern trees into matcher closures, value extractors and cheap prefilters.

A `CompiledPattern` works on a `LogEvent`, which decodes the JSON body and splits the
space-delimited fields lazily and at most once, however many patterns look at the event.

Each pattern also derives a *prefilter* from its tree: literals that must occur in the raw
message text for the pattern to have any chance of matching. It rules events out before their
JSON is decoded. It is escape-aware: JSON can spell a character as ``\\u0052``, so a message that
holds a backslash is never ruled out by it.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from ...grammar import nodes, parse
from ..events import (
    INEXACT_FLOAT,
    MISSING,
    NOT_JSON,
    LogEvent,
    compile_wildcard,
    decode_json,
    decode_json_fast,
    number_text,
    scalar_text,
)
from .regex import compile_regex, literal_search

Predicate = Callable[[Any], bool]
EventMatcher = Callable[[LogEvent], bool]

# DECISIONS P9: numbers compare as IEEE doubles.
NUMERIC_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}

_SCALARS = (str, int, float, bool)


def _true(_: Any) -> bool:
    return True


def _false(_: Any) -> bool:
    return False


# --------------------------------------------------------------------------- public object

@dataclass(frozen=True, slots=True)
class CompiledPattern:
    """A filter pattern ready to run.

    Attributes:
        text: the pattern as given.
        kind: ``"terms"``, ``"regex"``, ``"json"`` or ``"delimited"``.
        tree: the parsed pattern.
        match_event: event -> bool; the whole pattern, prefilter included.
        extract_event: event -> extractedValues dict, or None when the event does not match.
        prefilter: raw message text -> False when the event surely does not match.
        needs_json: whether matching decodes the event's JSON.
        needs_fields: whether matching splits the event's fields.
    """

    text: str
    kind: str
    tree: nodes.Pattern = field(repr=False)
    match_event: EventMatcher = field(repr=False)
    extract_event: Callable[[LogEvent], dict[str, str] | None] = field(repr=False)
    prefilter: Callable[[str], bool] = field(repr=False)
    #: message -> bool: whether the pattern matches one log event message. The fastest path for
    #: one pattern and one message (an attribute, not a method, to save a call on the hot path).
    matches: Callable[[str], bool] = field(default=None, repr=False)  # type: ignore[assignment]
    needs_json: bool = False
    needs_fields: bool = False
    #: For JSON patterns: groups of atoms with paths such that every matching event satisfies one
    #: atom of every group; a filter index files the pattern under one of them. Empty: the
    #: pattern must be tried on every event.
    anchors: tuple[tuple[Atom, ...], ...] = field(default=(), repr=False)
    #: event -> bool without the prefilter, for callers that have already ruled on the raw text.
    decide: EventMatcher | None = field(default=None, repr=False)
    #: UTF-8 bytes -> False when no line of that block (many events, one per line) can match;
    #: None when the pattern gives no such test. Lets a reader skip whole blocks, as grep does.
    block_filter: Callable[[bytes], bool] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.decide is None:
            object.__setattr__(self, "decide", self.match_event)
        if self.matches is None:
            match_event = self.match_event
            object.__setattr__(self, "matches", lambda message: match_event(LogEvent(message)))

    def extract(self, message: str) -> dict[str, str] | None:
        """The TestMetricFilter `extractedValues` for `message`, or None when it does not match."""
        return self.extract_event(LogEvent(message))


@functools.lru_cache(maxsize=4096)
def compile_pattern(text: str) -> CompiledPattern:
    """Parse and compile a filter pattern (cached by its text).

    Raises:
        PatternError: the pattern is invalid.
    """
    return compile_tree(parse(text), text)


def compile_tree(tree: nodes.Pattern, text: str) -> CompiledPattern:
    """Compile an already parsed pattern; `text` is used in error messages."""
    if isinstance(tree, nodes.TermPattern):
        return _compile_terms(tree, text)
    if isinstance(tree, nodes.RegexPattern):
        search = compile_regex(tree.regex, text)
        return CompiledPattern(
            text, "regex", tree,
            match_event=lambda ev: search(ev.message),
            extract_event=lambda ev: {} if search(ev.message) else None,
            prefilter=_true,
            matches=search,
        )
    if isinstance(tree, nodes.JsonPattern):
        return _compile_json(tree, text)
    if isinstance(tree, nodes.DelimitedPattern):
        return _compile_delimited(tree, text)
    raise TypeError(f"no compiler for {type(tree).__name__}")


# --------------------------------------------------------------------------- terms

def _compile_terms(tree: nodes.TermPattern, text: str) -> CompiledPattern:
    # DECISIONS P17: a quoted term that is all whitespace is present in every event.
    def present_always(t: nodes.Term) -> bool:
        return t.quoted and nodes.is_blank(t.text)

    optional = [t for t in tree.terms if t.kind == "optional"]
    include = [t for t in tree.terms if t.kind == "include"]
    exclude = [t for t in tree.terms if t.kind == "exclude"]

    match: Callable[[str], bool]
    if not tree.terms:
        match = _true  # DECISIONS P4: the empty pattern matches every event
    elif not include and not exclude:
        # Only `?` terms: any one of them.
        if any(present_always(t) for t in optional):
            match = _true
        else:
            match = _any_of(tuple(dict.fromkeys(t.text for t in optional)))
    else:
        # DECISIONS P2: mixed with include or exclude terms, every `?` term is ignored.
        if any(present_always(t) for t in exclude):
            match = _false
        else:
            inc = tuple(t.text for t in include if not present_always(t))
            exc = tuple(t.text for t in exclude)
            match = _all_none(inc, exc)

    # A block of lines can hold a match only if it holds every include term (or, with only `?`
    # terms, one of them): terms never span a line break, so the test is sound per block.
    block: Callable[[bytes], bool] | None = None
    if tree.terms and not any(present_always(t) for t in include + optional):
        if include:
            block = _block_scan(tuple((t.text,) for t in include))
        elif optional and not exclude:
            block = _block_scan((tuple(t.text for t in optional),))
    return CompiledPattern(
        text, "terms", tree,
        match_event=lambda ev: match(ev.message),
        extract_event=lambda ev: {} if match(ev.message) else None,  # M7: {} for terms
        prefilter=_true,
        matches=match,
        block_filter=block,
    )


def _any_of(words: tuple[str, ...]) -> Callable[[str], bool]:
    """Any of the words occurs (`?a ?b ?c`), specialised for up to three words."""
    if len(words) == 1:
        (a,) = words
        return lambda m: a in m
    if len(words) == 2:
        a, b = words
        return lambda m: a in m or b in m
    if len(words) == 3:
        a, b, c = words
        return lambda m: a in m or b in m or c in m

    def match(m: str) -> bool:
        for w in words:
            if w in m:
                return True
        return False

    return match


def _all_none(inc: tuple[str, ...], exc: tuple[str, ...]) -> Callable[[str], bool]:
    # DECISIONS P1: substring, case-sensitive. Specialised for the common shapes.
    inc, exc = tuple(dict.fromkeys(inc)), tuple(dict.fromkeys(exc))
    shapes: dict[tuple[int, int], Callable[..., Callable[[str], bool]]] = {
        (1, 0): lambda a: lambda m: a in m,
        (2, 0): lambda a, b: lambda m: a in m and b in m,
        (3, 0): lambda a, b, c: lambda m: a in m and b in m and c in m,
        (0, 1): lambda x: lambda m: x not in m,
        (1, 1): lambda a, x: lambda m: a in m and x not in m,
        (1, 2): lambda a, x, y: lambda m: a in m and x not in m and y not in m,
        (2, 1): lambda a, b, x: lambda m: a in m and b in m and x not in m,
    }
    shape = shapes.get((len(inc), len(exc)))
    if shape is not None:
        return shape(*inc, *exc)

    def match(m: str) -> bool:
        for w in inc:
            if w not in m:
                return False
        for w in exc:
            if w in m:
                return False
        return True

    return match


# --------------------------------------------------------------------------- JSON

class _Inexact(Exception):
    """A value read from the fast decode may be an integer token it could not read exactly."""


def _compile_json(tree: nodes.JsonPattern, text: str) -> CompiledPattern:
    body = _json_expr(tree.expr, text, guard=True)
    exact_body = _json_expr(tree.expr, text, guard=False)
    extract_selectors = _extraction_selectors(tree.expr)
    required = _required(tree.expr)
    needles = _needle_groups(required)
    prefilter = _make_prefilter(needles)

    def decide(ev: LogEvent) -> bool:
        obj = ev.fast_json
        if obj is NOT_JSON:  # DECISIONS P12: no match, never an error
            return False
        try:
            return body(obj)
        except _Inexact:
            # A huge float was read: decode exactly (DECISIONS P9) and decide on that.
            return exact_body(ev.json)

    loads = orjson.loads

    def decide_text(m: str) -> bool:
        # One message, one pattern: no LogEvent to share, so decode directly (the fast path of
        # decode_json_fast, inlined; anything unusual goes through it).
        obj = None
        if m.startswith("{"):
            try:
                obj = loads(m)
            except orjson.JSONDecodeError:
                pass
        if type(obj) is not dict:
            obj = decode_json_fast(m)
            if obj is NOT_JSON:
                return False
        try:
            return body(obj)
        except _Inexact:
            return exact_body(decode_json(m))

    if prefilter is _true:
        match_event = decide
        match_text = decide_text
    else:
        match_event = lambda ev: prefilter(ev.message) and decide(ev)  # noqa: E731
        match_text = lambda m: prefilter(m) and decide_text(m)  # noqa: E731
    fused = _fused_condition(tree.expr, needles, text, decide_text)
    if fused is not None:
        match_text = fused

    def extract_event(ev: LogEvent) -> dict[str, str] | None:
        if not match_event(ev):
            return None
        obj = ev.json
        out: dict[str, str] = {}
        # DECISIONS M7: every non-wildcard selector that reaches one scalar.
        for key, get in extract_selectors:
            value = get(obj)
            if value is MISSING or isinstance(value, (dict, list)):
                continue
            out[key] = scalar_text(value)
        return out

    return CompiledPattern(
        text, "json", tree, match_event, extract_event, prefilter, match_text, needs_json=True,
        anchors=index_anchors(required), decide=decide,
        # Prefilter literals hold no line break, so a block without them holds no match.
        block_filter=_block_scan(needles, escapes=True) if needles else None,
    )


def _fused_condition(expr: nodes.JsonExpr, needles: tuple[tuple[str, ...], ...], text: str,
                     decide_text: Callable[[str], bool]) -> Callable[[str], bool] | None:
    """`matches` for a pattern of one condition on a selector of member names, as one generated
    function: prefilter, decode, lookup and test inline (each a call less per event). Anything
    unusual (not an object, invalid JSON, a huge float) goes to `decide_text`, the general path.
    None for other patterns."""
    if not isinstance(expr, (nodes.JsonCompare, nodes.JsonIs)):
        return None
    steps = expr.selector.steps
    if expr.selector.wildcards or not steps or not all(isinstance(s, nodes.Key) for s in steps):
        return None
    if isinstance(expr, nodes.JsonIs):
        want = {"NULL": None, "TRUE": True, "FALSE": False}[expr.what]
        pred: Predicate = lambda v: v is want  # noqa: E731
        test = "pred(v)"
    else:
        pred = value_predicate(expr.op, expr.value, text)
        value = expr.value
        star = not isinstance(value, nodes.Regex) and value.has_wildcard and value.text.strip("*") == ""
        # DECISIONS P8: `= *` holds for any present scalar, never for null.
        test = "v is not None and type(v) is not dict and type(v) is not list" if star and expr.op == "=" else "pred(v)"
    env: dict[str, Any] = {"loads": orjson.loads, "JSONDecodeError": orjson.JSONDecodeError, "MISSING": MISSING,
                           "INEXACT": INEXACT_FLOAT, "pred": pred, "general": decide_text, "BS": "\\", "BSU": "\\u"}
    lines = ["def matches(m):"]
    for gi, group in enumerate(needles):
        names = []
        for ni, needle in enumerate(group):
            env[f"n{gi}_{ni}"] = needle
            names.append(f"n{gi}_{ni} in m")
        # Absent as written; a \u escape could still spell it: the decoder decides.
        lines.append(f"    if not ({' or '.join(names)}) and not (BS in m and BSU in m):")
        lines.append("        return False")
    lines += [
        "    if not m.startswith('{'):",
        "        return general(m)",
        "    try:",
        "        v = loads(m)",
        "    except JSONDecodeError:",
        "        return general(m)",
    ]
    for i, step in enumerate(steps):
        env[f"k{i}"] = step.name
        if i:
            lines.append("    if type(v) is not dict:")
            lines.append("        return False")
        lines.append(f"    v = v.get(k{i}, MISSING)")
    lines += [
        "    if v is MISSING:",
        "        return False",
        "    if type(v) is float and (v >= INEXACT or v <= -INEXACT):",
        "        return general(m)",  # decided on the exact decode (DECISIONS P9)
        f"    return {test}",
    ]
    exec("\n".join(lines), env)  # noqa: S102 - the source is built above from names and constants
    return env["matches"]


def _json_expr(expr: nodes.JsonExpr, text: str, guard: bool) -> Predicate:
    if isinstance(expr, nodes.JsonAnd):
        parts = tuple(_json_expr(i, text, guard) for i in expr.items)
        if len(parts) == 2:
            a, b = parts
            return lambda o: a(o) and b(o)

        def all_(o) -> bool:
            for p in parts:
                if not p(o):
                    return False
            return True

        return all_
    if isinstance(expr, nodes.JsonOr):
        parts = tuple(_json_expr(i, text, guard) for i in expr.items)
        if len(parts) == 2:
            a, b = parts
            return lambda o: a(o) or b(o)

        def any_(o) -> bool:
            for p in parts:
                if p(o):
                    return True
            return False

        return any_
    return _json_condition(expr, text, guard)


def _check_exact(v: Any) -> Any:
    if type(v) is float and (v >= INEXACT_FLOAT or v <= -INEXACT_FLOAT):
        raise _Inexact
    return v


def _json_condition(cond: nodes.JsonCondition, text: str, guard: bool) -> Predicate:
    sel = cond.selector
    if isinstance(cond, nodes.JsonNotExists):
        if sel.wildcards:
            reach = _reacher(sel.steps)
            return lambda o: not reach(o)
        get = getter(sel.steps)
        return lambda o: get(o) is MISSING

    if isinstance(cond, nodes.JsonIs):
        # DECISIONS P10: IS TRUE/FALSE only for JSON booleans, IS NULL only for a present null.
        want = {"NULL": None, "TRUE": True, "FALSE": False}[cond.what]
        pred: Predicate = lambda v: v is want  # noqa: E731
    else:
        pred = value_predicate(cond.op, cond.value, text)

    if sel.wildcards:
        # DECISIONS P20: the condition holds when some reached value satisfies it.
        reach = _reacher(sel.steps)

        def some(o) -> bool:
            for v in reach(o):
                if guard and type(v) is float:
                    _check_exact(v)
                if pred(v):
                    return True
            return False

        return some
    get = getter(sel.steps)

    if not guard:

        def one(o) -> bool:
            v = get(o)
            return v is not MISSING and pred(v)

        return one

    def one_guarded(o) -> bool:
        v = get(o)
        if v is MISSING:
            return False
        if type(v) is float and (v >= INEXACT_FLOAT or v <= -INEXACT_FLOAT):
            raise _Inexact
        return pred(v)

    return one_guarded


def value_predicate(op: str, value: nodes.Value, text: str) -> Predicate:
    """The test a JSON value must pass for ``selector op value`` (DECISIONS P8, P9, P10).

    The predicate receives a present value (never MISSING).
    """
    negate = op == "!="
    if isinstance(value, nodes.Regex):
        search = compile_regex(value, text)
        return _on_scalar_text(search, negate)
    if value.is_number:
        want = float(value.text)
        cmp = NUMERIC_COMPARE[op]

        def numeric(v) -> bool:
            t = type(v)
            if t is float:
                return cmp(v, want)
            if t is int:
                return cmp(float(v), want)  # DECISIONS P9: as IEEE doubles, even beyond 2**53
            if t is str or t is bool:
                # DECISIONS P9/P10: a number never equals a string or a boolean.
                return negate
            return False  # null, object, array

        return numeric
    if value.has_wildcard:
        if value.text.strip("*") == "":
            # DECISIONS P8: `= *` holds for any present scalar ("" included), never for null.
            if negate:
                return _false
            return lambda v: v is not None and type(v) is not dict and type(v) is not list
        return _on_scalar_text(compile_wildcard(value.text), negate)
    want_text = value.text

    def text_equal(v) -> bool:
        t = type(v)
        if t is str:
            return (v == want_text) != negate
        if t is int or t is float:
            return (number_text(v) == want_text) != negate
        if t is bool:
            return (("true" if v else "false") == want_text) != negate
        return False

    return text_equal


def _on_scalar_text(test: Callable[[str], bool], negate: bool) -> Predicate:
    def pred(v) -> bool:
        t = type(v)
        if t is str:
            return test(v) != negate
        if t is int or t is float:
            return test(number_text(v)) != negate
        if t is bool:
            return test("true" if v else "false") != negate
        return False  # DECISIONS P10: null, objects and arrays satisfy nothing

    return pred


def getter(steps: tuple[nodes.Step, ...]) -> Callable[[Any], Any]:
    """A function from the decoded event object to the one value a selector reaches, or MISSING."""
    if all(isinstance(s, nodes.Key) for s in steps):
        keys = tuple(s.name for s in steps)
        if len(keys) == 1:
            (k,) = keys
            return lambda o: o.get(k, MISSING)
        if len(keys) == 2:
            k1, k2 = keys

            def get2(o):
                v = o.get(k1, MISSING)
                if type(v) is not dict:
                    return MISSING
                return v.get(k2, MISSING)

            return get2

    return _path_getter(steps)


def _path_getter(steps: tuple[nodes.Step, ...]) -> Callable[[Any], Any]:
    """Like `getter`, for a start value of any type (not only the event's top-level object)."""
    plan = tuple((s.name, True) if isinstance(s, nodes.Key) else (s.index, False) for s in steps)

    def get(o):
        for k, is_key in plan:
            if is_key:
                if type(o) is not dict:
                    return MISSING
                o = o.get(k, MISSING)
                if o is MISSING:
                    return MISSING
            else:
                if type(o) is not list or k >= len(o):
                    return MISSING
                o = o[k]
        return o

    return get


def _reacher(steps: tuple[nodes.Step, ...]) -> Callable[[Any], list]:
    """A function from the event object to every value a wildcard selector reaches."""
    at = next(i for i, s in enumerate(steps) if isinstance(s, (nodes.AnyMember, nodes.AnyElement)))
    before = getter(steps[:at]) if at else (lambda o: o)
    after = _path_getter(steps[at + 1 :]) if at + 1 < len(steps) else None
    members = isinstance(steps[at], nodes.AnyMember)

    def reach(o) -> list:
        c = before(o)
        if members:
            if type(c) is not dict:
                return []
            items = c.values()
        else:
            if type(c) is not list:
                return []
            items = c
        if after is None:
            return list(items)
        out = []
        for item in items:
            v = after(item)
            if v is not MISSING:
                out.append(v)
        return out

    return reach


def _extraction_selectors(expr: nodes.JsonExpr) -> tuple[tuple[str, Callable], ...]:
    seen: dict[str, Callable] = {}
    for cond in nodes.iter_conditions(expr):
        sel = cond.selector
        if sel.wildcards or sel.text in seen:
            continue
        seen[sel.text] = getter(sel.steps)
    return tuple(seen.items())


# --------------------------------------------------------------------------- prefilter
# A requirement is a tuple of (rank, group) pairs; each group is a tuple of `Atom`s of which at
# least one must occur in the raw message. Rank 0 is a value (selective: checked first), rank 1
# a member name (present in most events). () means "no requirement".


@dataclass(frozen=True, slots=True)
class Atom:
    """A piece of text that must occur in the raw JSON of any event the pattern can match.

    `kind` says where the text sits: ``exact``, ``prefix``, ``suffix`` or ``contains`` in a
    string value; ``bare`` (`true`, `false`) or ``member`` (a member name) anywhere. `path` holds
    the selector steps of the value, when the selector has no wildcard step: then the event's
    value at `path` must be a string that satisfies the atom (`holds_for`).
    """

    kind: str
    text: str
    path: tuple | None = None

    @property
    def needle(self) -> str:
        """The substring the raw message must contain (JSON strings stand between quotes)."""
        if self.kind in ("exact", "member"):
            return f'"{self.text}"'
        if self.kind == "prefix":
            return '"' + self.text
        if self.kind == "suffix":
            return self.text + '"'
        return self.text

    def holds_for(self, value: str) -> bool:
        """Whether a raw string value of `key` satisfies this atom."""
        if self.kind == "exact":
            return value == self.text
        if self.kind == "prefix":
            return value.startswith(self.text)
        if self.kind == "suffix":
            return value.endswith(self.text)
        return self.text in value


Requirement = tuple[tuple[int, tuple[Atom, ...]], ...]
_NUMBERISH = frozenset("0123456789.eE+-")


def _literal_ok(s: str) -> bool:
    """Whether `s` occurs verbatim in any raw JSON text whose decoded string contains it.

    True for text that JSON writes unescaped (a `\\uXXXX` escape aside, which the prefilter
    checks for) and that can't come from a number's canonical text, which may differ from the
    raw token (`1e3` reads as `1000.0`).
    """
    if not s or all(c in _NUMBERISH for c in s):
        return False
    # JSON can also write `/` as `\\/`; every other character of such a literal only as `\\uXXXX`.
    return all(c >= " " and c not in '"\\/' for c in s)


def _required(expr: nodes.JsonExpr) -> Requirement:
    if isinstance(expr, nodes.JsonAnd):
        groups: list[tuple[int, tuple[Atom, ...]]] = []
        for item in expr.items:
            groups.extend(_required(item))
        return tuple(dict.fromkeys(groups))
    if isinstance(expr, nodes.JsonOr):
        # At least one branch holds: for a group, take one atom every branch must contain.
        picks: list[tuple[int, Atom]] = []
        for item in expr.items:
            singles = [(rank, g[0]) for rank, g in _required(item) if len(g) == 1]
            if not singles:
                return ()  # a branch that needs nothing: the disjunction needs nothing
            # the most selective: a value before a member name, a keyed exact value, the longest
            picks.append(min(singles, key=lambda p: (p[0], p[1].path is None, p[1].kind != "exact", -len(p[1].text))))
        rank = max(r for r, _ in picks)
        return ((rank, tuple(dict.fromkeys(a for _, a in picks))),)
    return _condition_required(expr)


def _condition_required(cond: nodes.JsonCondition) -> Requirement:
    if isinstance(cond, nodes.JsonNotExists):
        return ()
    steps = cond.selector.steps
    path = None if cond.selector.wildcards else steps
    groups: list[tuple[int, tuple[Atom, ...]]] = []
    if isinstance(cond, nodes.JsonIs):
        if cond.what != "NULL":
            groups.append((0, (Atom("bare", cond.what.lower()),)))
    elif cond.op == "=" and isinstance(cond.value, nodes.Literal) and not cond.value.is_number:
        text = cond.value.text
        # Only a JSON string can show text that is neither a number nor true/false/null, and a
        # string stands between quotes: the quotes join the literal where it touches an end.
        if text in ("true", "false", "null"):
            groups.append((0, (Atom("bare", text),)))
        elif cond.value.has_wildcard:
            pieces = text.split("*")
            for i, piece in enumerate(pieces):
                if not _literal_ok(piece):
                    continue
                # DECISIONS P8: the first piece is a prefix; without a trailing `*` the last
                # piece ends the value.
                kind = "prefix" if i == 0 else "suffix" if i == len(pieces) - 1 else "contains"
                groups.append((0, (Atom(kind, piece, path),)))
        elif _literal_ok(text):
            groups.append((0, (Atom("exact", text, path),)))
    # Every member name on the path must occur as a quoted JSON member name.
    for step in steps:
        if isinstance(step, nodes.Key) and _literal_ok(step.name):
            groups.append((1, (Atom("member", step.name),)))
    return tuple(groups)


def index_anchors(req: Requirement) -> tuple[tuple[Atom, ...], ...]:
    """The groups a filter index can file the pattern under: rank-0 groups whose every atom has
    a path. Empty when none qualifies; then the pattern is tried on every event.
    """
    return tuple(g for rank, g in req if rank == 0 and all(a.path is not None for a in g))


def _needle_groups(req: Requirement) -> tuple[tuple[str, ...], ...]:
    """The substrings a raw message must hold: one of each group, in the order worth testing."""
    if not req:
        return ()
    # Values first (rarer than member names), longest first: the likeliest to be absent.
    ranked = sorted(req, key=lambda rg: (rg[0], -min(len(a.needle) for a in rg[1])))
    if ranked[0][0] == 1:
        ranked = ranked[:1]  # only member names: one (the longest) rules out foreign events
    return tuple(tuple(dict.fromkeys(a.needle for a in g)) for _, g in ranked)


def _make_prefilter(groups: tuple[tuple[str, ...], ...]) -> Callable[[str], bool]:
    if not groups:
        return _true
    if len(groups) == 1 and len(groups[0]) == 1:
        (only,) = groups[0]
        return lambda m: only in m or ("\\" in m and "\\u" in m)

    def prefilter(m: str) -> bool:
        for group in groups:
            for s in group:
                if s in m:
                    break
            else:
                # Absent as written; a \\u escape could still spell it: let the decoder decide.
                # (The one-character test runs at memchr speed and settles most events.)
                return "\\" in m and "\\u" in m
        return True

    return prefilter


# --------------------------------------------------------------------------- space-delimited

def _compile_delimited(tree: nodes.DelimitedPattern, text: str) -> CompiledPattern:
    slots = tree.slots
    rest_at = next((i for i, s in enumerate(slots) if isinstance(s, nodes.Rest)), None)
    if not slots:
        before, after = (), ()
        rest_at = 0
    elif rest_at is None:
        before, after = slots, ()
    else:
        before, after = slots[:rest_at], slots[rest_at + 1 :]
    n_before, n_after = len(before), len(after)
    exact = rest_at is None

    checks_before = tuple(
        (i, _slot_predicate(s.condition, text)) for i, s in enumerate(before) if s.condition is not None
    )
    checks_after = tuple(
        (i - n_after, _slot_predicate(s.condition, text))
        for i, s in enumerate(after)
        if s.condition is not None
    )
    checks = checks_before + checks_after
    required = _delimited_required(slots)
    prefilter = _make_plain_prefilter(required)

    def bind_ok(fields: tuple[str, ...]) -> bool:
        n = len(fields)
        if exact:
            return n == n_before  # DECISIONS P13: without `...` the counts must be equal
        return n >= n_before + n_after

    def match_event(ev: LogEvent) -> bool:
        if prefilter is not _true and not prefilter(ev.message):
            return False
        fields = ev.fields
        if not bind_ok(fields):
            return False
        for idx, pred in checks:
            if not pred(fields[idx]):
                return False
        return True

    def extract_event(ev: LogEvent) -> dict[str, str] | None:
        if not match_event(ev):
            return None
        fields = ev.fields
        n = len(fields)
        out: dict[str, str] = {}
        bound: dict[int, nodes.Slot] = {i: s for i, s in enumerate(before)}
        for j, s in enumerate(after):
            bound[n - n_after + j] = s
        for pos in range(n):
            slot = bound.get(pos)
            if slot is not None and slot.name is not None:
                out[f"${slot.name}"] = fields[pos]  # a repeated name: the later one wins
            else:
                out[f"${pos + 1}"] = fields[pos]  # covered by `...` or the unnamed last slot
        return out

    line = _line_regex(before, after, exact)
    if line is None:
        match_text = None
    else:
        matcher, captured = line
        line_checks = tuple((k, pred) for (_, pred), k in zip(checks, captured))

        def match_text(m: str) -> bool:
            if prefilter is not _true and not prefilter(m):
                return False
            found = matcher(m)
            if found is None:
                return False
            g = found.groups()
            for k, pred in line_checks:
                value = g[k]
                if value is None:
                    value = g[k + 1]
                    if value is None:
                        value = g[k + 2]
                if not pred(value):
                    return False
            return True

        if len(line_checks) == 1 and prefilter is _true:
            match_text = _one_check_matcher(matcher, *line_checks[0])

    return CompiledPattern(
        text, "delimited", tree, match_event, extract_event, prefilter, match_text, needs_fields=True,
        block_filter=_block_scan(required) if required else None,
    )


def _one_check_matcher(matcher, k: int, pred: Callable[[str], bool]) -> Callable[[str], bool]:
    """`match_text` for a pattern with one conditioned slot and no literal to look for first:
    the slot's three capture groups (quoted, bracketed, plain) are read directly."""
    groups = (k + 1, k + 2, k + 3)

    def match_one(m: str) -> bool:
        found = matcher(m)
        if found is None:
            return False
        quoted, bracketed, plain = found.group(*groups)
        return pred(quoted if quoted is not None else bracketed if bracketed is not None else plain)

    return match_one


# One field of DECISIONS P13 with the separators after it: a `"` group (to the next `"`, or to
# the end when unbalanced), a `[` group (likewise with `]`), or a plain run of non-separators.
# After a group the next field may follow at once; after a plain field a separator or the end
# must. Possessive quantifiers (Python 3.11+) keep each field to one reading: no backtracking.
_FIELD_CAPTURE = r'(?:"([^"]*+)(?:"[ \t]*+|\Z)|\[([^\]]*+)(?:\][ \t]*+|\Z)|([^ \t"\[][^ \t]*+)(?:[ \t]++|\Z))'
_FIELD_SKIP = r'(?:"[^"]*+(?:"[ \t]*+|\Z)|\[[^\]]*+(?:\][ \t]*+|\Z)|[^ \t"\[][^ \t]*+(?:[ \t]++|\Z))'


def _line_regex(before, after, exact: bool):
    """A regex that matches exactly the messages whose fields fit the slots (DECISIONS P13).

    Returns (match function, group index of each conditioned slot's first capture), or None when
    there is nothing to gain (`[]` matches everything).
    """
    if exact and not before:
        return None
    parts = [r"[ \t]*+"]
    captured: list[int] = []
    group = 0

    def field(slot) -> str:
        nonlocal group
        if isinstance(slot, nodes.Slot) and slot.condition is not None:
            captured.append(group)
            group += 3
            return _folded_field([slot.condition]) or _FIELD_CAPTURE
        return _FIELD_SKIP

    parts.extend(field(s) for s in before)
    if not exact:
        parts.append(f"(?:{_FIELD_SKIP})*?")  # `...`: as few fields as the slots after it leave
    parts.extend(field(s) for s in after)
    parts.append(r"\Z")
    return re.compile("".join(parts), re.DOTALL).match, captured


# Number texts (DECISIONS P9) with a fraction or an exponent: any of them may equal an integer.
_DECIMAL = r"[+-]?[0-9]+(?:\.[0-9]+(?:[eE][+-]?[0-9]+)?|[eE][+-]?[0-9]+)"


def _shapes(expr: nodes.SlotExpr) -> tuple[list[str], list[str], list[str]] | None:
    """Regexes of the field texts a slot condition may accept, in each form of a field (quoted,
    bracketed, plain; an empty list: never in that form), or None when any text may pass.

    ``= text`` and ``= pre*`` accept the text, or texts that start with `pre` (DECISIONS P8), as
    a single pattern's regex folds them; a number ``= N`` with N an integer accepts the integer texts of
    N (signs and leading zeros aside) and any text with a fraction or an exponent (``4.04e2``,
    ``403.99999999999999999`` read as a double, DECISIONS P9). A superset: the condition itself
    still runs on the field."""
    if isinstance(expr, nodes.SlotAnd):  # any conjunct narrows the field
        return next((f for f in map(_shapes, expr.items) if f is not None), None)
    if isinstance(expr, nodes.SlotOr):
        parts = [_shapes(item) for item in expr.items]
        if any(part is None for part in parts):
            return None
        return tuple([x for part in parts for x in part[form]] for form in range(3))  # type: ignore[return-value,index]
    if not isinstance(expr, nodes.SlotCompare) or expr.op != "=" or not isinstance(expr.value, nodes.Literal):
        return None
    value = expr.value
    if value.is_number:
        want = float(value.text)
        if not want.is_integer() or abs(want) >= 2**53:
            return None
        n = int(want)
        integer = r"[+-]?0+" if n == 0 else rf"\+?0*{n}" if n > 0 else rf"-0*{-n}"
        shape = f"{integer}|{_DECIMAL}"
        return [shape], [shape], [shape]
    whole = not value.has_wildcard
    prefix = value.text.split("*", 1)[0]
    if not prefix and not whole:
        return None
    lit = re.escape(prefix)
    quoted = [lit + ("" if whole else r'[^"]*+')] if '"' not in prefix else []
    bracketed = [lit + ("" if whole else r"[^\]]*+")] if "]" not in prefix else []
    plain = ([lit + ("" if whole else r"[^ \t]*+")]
             if prefix and prefix[0] not in '"[' and " " not in prefix and "\t" not in prefix else [])
    return quoted, bracketed, plain


def _folded_field(conditions: list[nodes.SlotExpr]) -> str | None:
    """`_FIELD_CAPTURE` narrowed to the field texts any of `conditions` may accept (each form
    keeps its one capture group), or None when one of them may accept any text."""
    shapes = [_shapes(c) for c in conditions]
    if any(s is None for s in shapes):
        return None
    # A form no condition may take never matches (an empty literal, `= ""`, is a shape all the same).
    quoted, bracketed, plain = ([x for s in shapes for x in s[form]] for form in range(3))  # type: ignore[index]
    never = "(?!)()"
    return "(?:{}|{}|{})".format(
        f'"((?:{"|".join(quoted)}))(?:"[ \\t]*+|\\Z)' if quoted else never,
        f"\\[((?:{'|'.join(bracketed)}))(?:\\][ \\t]*+|\\Z)" if bracketed else never,
        f"((?:{'|'.join(plain)}))(?:[ \\t]++|\\Z)" if plain else never,
    )


def _slot_predicate(expr: nodes.SlotExpr, text: str) -> Callable[[str], bool]:
    if isinstance(expr, (nodes.SlotAnd, nodes.SlotOr)):
        parts = tuple(_slot_predicate(i, text) for i in expr.items)
        if isinstance(expr, nodes.SlotAnd):
            return lambda f: all(p(f) for p in parts)
        return lambda f: any(p(f) for p in parts)
    return field_predicate(expr.op, expr.value, text)


def field_predicate(op: str, value: nodes.Value, text: str) -> Callable[[str], bool]:
    """The test a space-delimited field's text must pass (DECISIONS P8, P9)."""
    negate = op == "!="
    if isinstance(value, nodes.Regex):
        search = compile_regex(value, text)
        return (lambda f: not search(f)) if negate else search
    if value.is_number:
        want = float(value.text)
        cmp = NUMERIC_COMPARE[op]
        is_num = nodes.NUMBER_RE.fullmatch

        def numeric(f: str) -> bool:
            if is_num(f) is None:
                return negate  # not a number: `=` false, `!=` true, `<`... false
            return cmp(float(f), want)

        return numeric
    if value.has_wildcard:
        w = compile_wildcard(value.text)
        return (lambda f: not w(f)) if negate else w
    want_text = value.text
    return (lambda f: f != want_text) if negate else (lambda f: f == want_text)


def _delimited_required(slots) -> tuple[tuple[str, ...], ...]:
    groups: list[tuple[str, ...]] = []
    for s in slots:
        if not isinstance(s, nodes.Slot) or s.condition is None:
            continue
        if isinstance(s.condition, nodes.SlotCompare):
            c = s.condition
            if c.op == "=" and isinstance(c.value, nodes.Literal) and not c.value.is_number:
                pieces = c.value.text.split("*") if c.value.has_wildcard else [c.value.text]
                for p in pieces:
                    if p:
                        groups.append((p,))
    return tuple(groups)


def _block_scan(groups: tuple[tuple[str, ...], ...], escapes: bool = False) -> Callable[[bytes], bool]:
    """A block test from needle groups: every group has a needle somewhere in the block.

    With `escapes` (JSON), a block holding a ``\\u`` escape is never ruled out, as for one
    message. Each needle is searched in the block's bytes by RE2 (see `literal_search`).
    """
    searches = tuple(tuple(literal_search(s) for s in dict.fromkeys(g)) for g in groups)
    has_escape = literal_search("\\u") if escapes else _false

    def scan(block: bytes) -> bool:
        for group in searches:
            for found in group:
                if found(block):
                    break
            else:
                return has_escape(block)
        return True

    return scan


def _make_plain_prefilter(req) -> Callable[[str], bool]:
    # Fields are substrings of the message (only their `"`/`[` delimiters are removed).
    if not req:
        return _true
    words = tuple(g[0] for g in req)
    if len(words) == 1:
        word = words[0]
        return lambda m: word in m
    return lambda m: all(w in m for w in words)
