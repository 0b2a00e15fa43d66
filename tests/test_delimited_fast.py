"""Fast paths of space-delimited matching against the general paths they bypass.

`CompiledPattern.matches` reads a line with one full-line regex in which a slot's ``=`` text
literal (or a wildcard's prefix) is written into the regex; `match_event` splits the fields
(`split_fields`, DECISIONS P13) and tests each slot's predicate. Both must agree, and agree with
the tree-walking interpreter, on lines with quotes, brackets, tabs, newlines, and too few or too
many fields.
"""

from __future__ import annotations

import cwfilter
from cwfilter import nodes
from cwfilter.engine.events import LogEvent, split_fields
from cwfilter.engine.matching.compiler import _folded_capture
from cwfilter.engine.matching.interpret import interpret
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

# Literal texts and lines share one small alphabet so that folded literals often meet fields
# that start like them, inside quotes, brackets or plain.
_ALPHABET = 'ab5"[] \t*'
_literal_texts = st.one_of(
    st.text(alphabet=_ALPHABET, max_size=4),
    st.sampled_from(["5*", "a*", "ab", "GET", "5", "*", "a*b", '"a', "[a", "a]", "a b", "x*y*z", ""]),
)
_conditions = st.builds(
    lambda op, text, quoted: nodes.SlotCompare(op, nodes.Literal(text, quoted)),
    st.sampled_from(["=", "=", "=", "!="]),
    _literal_texts,
    st.booleans(),
)
_slot_exprs = st.one_of(
    _conditions,
    st.builds(lambda a, b: nodes.SlotAnd((a, b)), _conditions, _conditions),
    st.builds(lambda a, b: nodes.SlotOr((a, b)), _conditions, _conditions),
)
_slots = st.builds(nodes.Slot, st.sampled_from(["a", "b", "status", "w1"]), st.one_of(st.none(), _slot_exprs))


@st.composite
def _patterns(draw):
    items = draw(st.lists(_slots, min_size=1, max_size=5))
    if draw(st.booleans()):
        items.insert(draw(st.integers(0, len(items))), nodes.Rest())
    return nodes.DelimitedPattern(tuple(items))


_fields = st.one_of(
    st.text(alphabet='ab5"[]*\n', min_size=1, max_size=5),
    st.sampled_from(['"GET / HTTP/1.1"', "[17/May/2015:10:05:03 +0000]", '"unterminated', "[open", "503",
                     "5xx", "-", "ab", '""', "[]", "a]b", 'a"b']),
)


@st.composite
def _lines(draw):
    if draw(st.integers(0, 4)) == 0:
        return draw(st.text(alphabet='ab5"[] \t\n*', max_size=30))
    fields = draw(st.lists(_fields, max_size=8))
    seps = [draw(st.sampled_from([" ", "  ", "\t", " \t", ""])) for _ in fields]
    lead = draw(st.sampled_from(["", " ", "\t"]))
    return lead + "".join(f + s for f, s in zip(fields, seps))


def _compile(tree):
    text = cwfilter.unparse(tree)
    try:
        return cwfilter.compile_pattern(text)
    except cwfilter.PatternError:
        assume(False)  # over a service limit (wildcard quota)


@settings(max_examples=1200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=_patterns(), lines=st.lists(_lines(), min_size=1, max_size=8))
def test_folded_line_regex_agrees_with_field_splitting(tree, lines):
    compiled = _compile(tree)
    for line in lines:
        event = LogEvent(line)
        general = compiled.match_event(event)
        assert compiled.matches(line) is general, (compiled.text, line, split_fields(line))
        assert interpret(compiled.tree, LogEvent(line)) is general, (compiled.text, line)


@settings(max_examples=400, deadline=None)
@given(text=_literal_texts, quoted=st.booleans(), fields=st.lists(_fields, min_size=1, max_size=3))
def test_one_folded_slot_reads_its_field(text, quoted, fields):
    """A lone `= literal` slot among plain ones: the folded regex sees the field split_fields gives."""
    literal = nodes.Literal(text, quoted)
    compare = nodes.SlotCompare("=", literal)
    if not literal.is_number and (text.split("*", 1)[0] or "*" not in text):
        assert _folded_capture(compare) is not None  # this case takes the fast path
    slots = [nodes.Slot(f"f{i}") for i in range(len(fields))]
    slots[-1] = nodes.Slot("last", compare)
    compiled = _compile(nodes.DelimitedPattern(tuple(slots)))
    line = " ".join(fields)
    assert compiled.matches(line) is compiled.match_event(LogEvent(line)), (compiled.text, line)
