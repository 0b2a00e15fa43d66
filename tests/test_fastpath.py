"""The direct reader of common pattern shapes (`grammar.fastpath`) against the grammar (Lark).

For any text, the direct reader either declines (None) or returns exactly the tree the grammar
builds: the same node types, values and spans. Texts come from the pattern trees of
`strategies` printed with `unparse`, from the same with whitespace and characters changed, from
free text over the language's special characters, and from the conformance and CIS patterns.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from cwfilter.grammar import PatternError, fastpath, parser, unparse
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import patterns

DATA = Path(__file__).parent / "data"
START = {"{": "json_pattern", "[": "delimited_pattern"}


def _start(text: str) -> str:
    return START.get(text[:1], "term_pattern")


def _full(value: object) -> object:
    """A node as nested tuples of every field, spans included (they are left out of ==)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, *((f.name, _full(getattr(value, f.name))) for f in dataclasses.fields(value)))
    if isinstance(value, tuple):
        return tuple(_full(v) for v in value)
    return value


def _lark(text: str, start: str) -> object:
    try:
        return _full(parser._parse_lark(text, start))
    except PatternError as exc:
        return ("error", type(exc).__name__, str(exc))


def _agrees(text: str) -> bool:
    """Assert the direct reader agrees with the grammar on `text`; True when it read it."""
    start = _start(text)
    fast = fastpath.read(text, start)
    if fast is None:
        return False
    assert _full(fast) == _lark(text, start), text
    return True


# Whitespace of the language (DECISIONS P23) and characters it does not count as whitespace.
_SPACES = st.sampled_from([" ", "  ", "\t", "\n", "\r\n", "", "", "\x0c", "\xa0"])
_SPECIAL = st.sampled_from(list(' \t\n"\\%$.[]{}()&|=!<>?-,*\'_aZ09') + ["&&", "||", "...", "IS", "NULL",
                                                                          "NOT EXISTS", "EXISTS", "\u00e9"])


@st.composite
def _respaced(draw) -> str:
    """A printed pattern with the whitespace around its tokens changed."""
    text = unparse(draw(patterns))
    out = []
    for ch in text:
        if ch == " ":
            out.append(draw(_SPACES))
        else:
            out.append(ch)
            if ch in "{([,&|=<>" and draw(st.booleans()):
                out.append(draw(_SPACES))
    return "".join(out)


@st.composite
def _mutated(draw) -> str:
    """A printed pattern with a few characters inserted, deleted or replaced."""
    text = unparse(draw(patterns))
    for _ in range(draw(st.integers(1, 3))):
        pos = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = draw(_SPECIAL)
        if action == "insert":
            text = text[:pos] + piece + text[pos:]
        elif action == "delete":
            text = text[:pos] + text[pos + 1:]
        else:
            text = text[:pos] + piece + text[pos + 1:]
    return text


_free = st.lists(_SPECIAL, max_size=14).map("".join)


def test_the_direct_reader_builds_the_grammars_tree_or_declines():
    read = []

    @settings(max_examples=600, deadline=None)
    @given(st.one_of(patterns.map(unparse), _respaced(), _mutated()))
    def check(text):
        if _agrees(text):
            read.append(text)

    check()
    assert len(read) >= 60, len(read)  # the comparison was made, not declined every time


def test_the_direct_reader_on_free_text():
    read = []

    @settings(max_examples=400, deadline=None)
    @given(st.one_of(_free, _free.map(lambda t: "{" + t + "}"), _free.map(lambda t: "[" + t + "]"),
                     _free.map(lambda t: "{ $.a = " + t + " }"), _free.map(lambda t: "[a, b = " + t + "]")))
    def check(text):
        if _agrees(text):
            read.append(text)

    check()
    assert read, "the direct reader declined every generated text"


def _known_patterns() -> list[str]:
    texts = [json.loads(line)["pattern"] for line in
             (DATA / "conformance" / "filter-patterns.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    cis = json.loads((DATA / "conformance" / "cis-patterns.json").read_text(encoding="utf-8"))
    stack = [cis]
    while stack:  # every string in the CIS file that reads as a pattern kind
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and item[:1] in "{[":
            texts.append(item)
    return sorted(set(texts))


def test_the_direct_reader_on_the_conformance_and_cis_patterns():
    texts = _known_patterns()
    read = [t for t in texts if _agrees(t)]
    # It must take the common shapes, or it saves nothing.
    assert len(read) >= len(texts) // 3, (len(read), len(texts))


@pytest.mark.parametrize("text", [
    'ERROR -DEBUG ?"a \\" b"', "ORDER-ITEM-1", "",
    '{ $.code = "x1" }', '{ ($.level = "ERROR") && ($.id = "k") }', "{$.a>=1||($.b=%x+%&&$.c[0].d != *)}",
    "[ip, user, status = 5*, size > 2, req = r1]", "[...]", "[]", "[a, ..., b = \"q\"]",
    "{ $.a IS NULL }", "{ $.a NOT EXISTS }", "{($.a IS TRUE)||$.b[0] IS\tFALSE&&$.c NOT  EXISTS}",
    '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}',
])
def test_the_direct_reader_reads_the_common_shapes(text):
    assert _agrees(text)


@pytest.mark.parametrize("text", [
    '""', "- a", "{ $.a IS NOT NULL }", "{ $.a IS NOT EXISTS }", "{ $.a EXISTS }", "{ $.a IS null }",
    "{ $.a IS NULLS }", "{ $.a NOT EXISTSx }", "{ $.a ISNULL }", "{ $.a = }", "{ $x = 1 }",
    "[a, b,]", "[a = 1 && a < 3]", "[1, b]", "[..., ...]", "[a b]", "ERROR\x0cX",
])
def test_the_direct_reader_declines_the_rest(text):
    assert fastpath.read(text, _start(text)) is None
    _lark(text, _start(text))  # the grammar reads it (or refuses it) as before


def test_deep_parentheses_go_to_the_grammar():
    deep = "{ " + "(" * 60 + "$.a = 1" + ")" * 60 + " }"
    assert fastpath.read(deep, "json_pattern") is None
    shallow = "{ " + "(" * 40 + "$.a = 1" + ")" * 40 + " }"
    assert _agrees(shallow)
