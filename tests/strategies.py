"""Hypothesis strategies: grammar-aware pattern trees and events that exercise them.

Patterns are generated as trees of `cwfilter.nodes` and printed with `unparse`, so every
generated text is valid by construction (trees that break a service limit are discarded by the
tests). Events are drawn from the same small vocabulary, so that matches are frequent.
"""

from __future__ import annotations

import json

from cwfilter import nodes
from hypothesis import strategies as st

WORDS = ["ERROR", "WARN", "a", "b", "ab", "123", "1", "12.0", "true", "null", "x_y", "Err"]
KEYS = ["a", "b", "n", "arr", "obj", "k-1"]
NUMBERS = ["0", "1", "-1", "12", "12.0", "1e3", "123", "+5", "0.5", "9007199254740992", "18446744073709551616"]
TEXTS = ["ERROR", "a", "ab", "123", "12.0", "true", "false", "null", "", "x y", 'q"t', "b\\c", "1000.0"]
WILDCARDS = ["*", "a*", "*b", "1*", "*3", "a*b", "*.0", "E*R", "**"]
REGEXES = ["a", "^a", "b$", "[0-9]+", "\\d", "ERR|WARN", "a{,2}b", "\\.", "tr?ue", "^$", ""]


# --------------------------------------------------------------------------- patterns

terms = st.builds(
    nodes.Term,
    text=st.sampled_from(WORDS + ["x y", " ", "[ERROR]", 'say "hi"']),
    kind=st.sampled_from(["include", "optional", "exclude"]),
    quoted=st.booleans(),
).map(lambda t: t if t.quoted or t.text.isidentifier() or t.text.isalnum() else nodes.Term(t.text, t.kind, True))

term_patterns = st.builds(nodes.TermPattern, st.lists(terms, max_size=4).map(tuple))

regexes = st.builds(nodes.Regex, st.sampled_from(REGEXES))

regex_patterns = st.builds(nodes.RegexPattern, regexes)

literals = st.one_of(
    st.builds(nodes.Literal, st.sampled_from(NUMBERS), st.just(False)),
    st.builds(nodes.Literal, st.sampled_from(NUMBERS + TEXTS), st.just(True)),
    st.builds(nodes.Literal, st.sampled_from(["ERROR", "a", "ab", "true", "false", "x_y", "1.5.6"]), st.just(False)),
    st.builds(nodes.Literal, st.sampled_from(WILDCARDS), st.booleans()),
)

SELECTORS = [
    "$.a", "$.b", "$.n", "$.a.b", "$.arr[0]", "$.arr[1]", "$.arr[*]", "$.obj.*", "$.obj.a",
    "$.['k-1']", "$.k-1", "$.arr[0].a", "$.obj.*.a", "$.arr[*][0]", "$.*",
]
selectors = st.sampled_from(SELECTORS).map(lambda s: nodes.Selector(s, _steps(s)))


def _steps(text: str):
    from cwfilter.grammar import parse_selector

    return parse_selector(text).steps


def _compare(sel, op, value):
    if op in nodes.NUMERIC_OPS:
        value = value if isinstance(value, nodes.Literal) and value.is_number else nodes.Literal("1")
    return nodes.JsonCompare(sel, op, value)


json_conditions = st.one_of(
    st.builds(_compare, selectors, st.sampled_from(["=", "!=", "<", "<=", ">", ">="]),
              st.one_of(literals, regexes)),
    st.builds(nodes.JsonIs, selectors, st.sampled_from(["NULL", "TRUE", "FALSE"])),
    st.builds(nodes.JsonNotExists, selectors),
)


def _flat(cls, items):
    """Build an n-ary node the way the parser does: nested nodes of the same kind are merged."""
    out = []
    for item in items:
        out.extend(item.items if isinstance(item, cls) else (item,))
    return cls(tuple(out))


def _combine(children):
    return st.one_of(
        st.builds(lambda items: _flat(nodes.JsonAnd, items), st.lists(children, min_size=2, max_size=3)),
        st.builds(lambda items: _flat(nodes.JsonOr, items), st.lists(children, min_size=2, max_size=3)),
    )


json_exprs = st.recursive(json_conditions, _combine, max_leaves=6)
json_patterns = st.builds(nodes.JsonPattern, json_exprs)

SLOT_NAMES = ["a", "b", "c", "w1", "status", "x-y"]


def _slot_compare(op, value):
    if op in nodes.NUMERIC_OPS:
        value = value if isinstance(value, nodes.Literal) and value.is_number else nodes.Literal("5")
    return nodes.SlotCompare(op, value)


slot_compares = st.builds(
    _slot_compare, st.sampled_from(["=", "!=", "<", "<=", ">", ">="]), st.one_of(literals, regexes)
)
slot_exprs = st.one_of(
    slot_compares,
    st.builds(lambda items: nodes.SlotAnd(tuple(items)), st.lists(slot_compares, min_size=2, max_size=2)),
    st.builds(
        lambda items: _flat(nodes.SlotOr, items),
        st.lists(st.one_of(slot_compares, st.builds(lambda i: nodes.SlotAnd(tuple(i)), st.lists(slot_compares, min_size=2, max_size=2))), min_size=2, max_size=3),
    ),
)
slots = st.builds(nodes.Slot, st.sampled_from(SLOT_NAMES), st.one_of(st.none(), slot_exprs))


@st.composite
def delimited_patterns(draw):
    items = draw(st.lists(slots, max_size=4))
    if draw(st.booleans()):
        items.insert(draw(st.integers(0, len(items))), nodes.Rest())
    if items and draw(st.integers(0, 4)) == 0:
        items.append(nodes.Slot(None))
    return nodes.DelimitedPattern(tuple(items))


patterns = st.one_of(term_patterns, regex_patterns, json_patterns, delimited_patterns())


# --------------------------------------------------------------------------- events

json_scalars = st.one_of(
    st.sampled_from(TEXTS + WORDS),
    st.integers(-5, 1500),
    st.sampled_from([0.5, 12.0, 1000.0, -1.0, 1e21, 12.34]),
    # beyond 2**53 (compared as doubles, P9) and beyond 64 bits (orjson reads them as floats)
    st.sampled_from([9007199254740993, 2**63 + 5, 2**64 + 1, -(2**64) - 3]),
    st.booleans(),
    st.none(),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(KEYS), inner, max_size=3),
    ),
    max_leaves=6,
)
json_objects = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=5)


@st.composite
def json_messages(draw):
    obj = draw(json_objects)
    style = draw(st.integers(0, 3))
    if style == 0:
        return json.dumps(obj)
    if style == 1:
        # \u escapes everywhere: the prefilter must not rule these out.
        text = json.dumps(obj)
        return "".join(f"\\u{ord(c):04x}" if c.isalpha() and draw(st.booleans()) and _in_string(text, i) else c
                       for i, c in enumerate(text))
    if style == 2:
        return "\n  " + json.dumps(obj, indent=2) + "\n"
    return "START " + json.dumps(obj)  # a prefix: not JSON (P12)


def _in_string(text: str, pos: int) -> bool:
    """Whether text[pos] lies inside a JSON string literal (so a \\u escape is legal there)."""
    inside = False
    i = 0
    while i < pos:
        c = text[i]
        if c == "\\" and inside:
            i += 2
            continue
        if c == '"':
            inside = not inside
        i += 1
    return inside


field_texts = st.one_of(
    st.sampled_from(WORDS + ["-", "5", "404", "1000", "12.5", "a1b", "x-y"]),
    st.sampled_from(['"GET / HTTP/1.1"', "[10/Oct/2000:13:55:36 -0700]", '"unterminated', "[open"]),
)


@st.composite
def line_messages(draw):
    fields = draw(st.lists(field_texts, min_size=0, max_size=7))
    seps = [draw(st.sampled_from([" ", "  ", "\t", " \t"])) for _ in fields]
    return "".join(f + s for f, s in zip(fields, seps)).strip(" ") if fields else draw(st.sampled_from(["", " "]))


messages = st.one_of(json_messages(), line_messages(), st.sampled_from(WORDS), st.text(max_size=20))
