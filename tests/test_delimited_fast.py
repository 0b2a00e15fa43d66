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
from cwfilter.engine.matching.compiler import _folded_field
from cwfilter.engine.matching.interpret import interpret
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

# Literal texts and lines share one small alphabet so that folded literals often meet fields
# that start like them, inside quotes, brackets or plain.
_ALPHABET = 'ab5"[] \t*'
_literal_texts = st.one_of(
    st.text(alphabet=_ALPHABET, max_size=4),
    st.sampled_from(["5*", "a*", "ab", "GET", "5", "*", "a*b", '"a', "[a", "a]", "a b", "x*y*z", ""]),
    st.sampled_from(["404", "-404", "0", "-0", "1e2", "404.5"]),  # numbers (DECISIONS P9)
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
    # Spellings of numbers equal to a literal or not (DECISIONS P9): a folded `= N` must keep them.
    st.sampled_from(["404", "0404", "+404", "-404", "4.04e2", "404.0", "403.99999999999999999", "4e2", '"404"',
                     "[404]", "0", "-0", "+00", "100", "1E2", "404.5", "4045", "40"]),
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
    if (not literal.is_number and (text.split("*", 1)[0] or "*" not in text)) or (
            literal.is_number and float(text).is_integer() and abs(float(text)) < 2**53):
        assert _folded_field([compare]) is not None  # this case takes the fast path
    slots = [nodes.Slot(f"f{i}") for i in range(len(fields))]
    slots[-1] = nodes.Slot("last", compare)
    compiled = _compile(nodes.DelimitedPattern(tuple(slots)))
    line = " ".join(fields)
    assert compiled.matches(line) is compiled.match_event(LogEvent(line)), (compiled.text, line)


# --------------------------------------------------------------------------- timestamps

_clf_stamps = st.builds(
    lambda d, mon, y, h, mi, s, sign, oh, om: f"[{d}/{mon}/{y}:{h}:{mi}:{s} {sign}{oh}{om}]",
    st.sampled_from(["1", "01", "17", "31", "32", "0", "123"]),
    st.sampled_from(["May", "Feb", "Dec", "Foo", "may"]),
    st.sampled_from(["2015", "2024", "999"]),
    st.sampled_from(["10", "00", "23", "24", "7"]),
    st.sampled_from(["05", "59", "60"]),
    st.sampled_from(["03", "60", "61"]),
    st.sampled_from(["+", "-", " "]),
    st.sampled_from(["00", "07", "24"]),
    st.sampled_from(["00", "30", "60"]),
)
_iso_stamps = st.sampled_from([
    "2024-01-01T00:00:00Z", "2024-01-01 00:00:00,123", "2024-02-30T00:00:00Z", "2024-01-01T25:00:00Z",
    "2019-06-07T19:11:20.562Z", "2024-01-01T00:00:00+02:00", "2024-01-01T00:00:00 -0700", "2024-01-01T00:00:00+99",
    "2024-01-01T00:00:001", "1234-", "[INFO]\t2020-01-31T22:12:58.534Z",
])
_prefixes = st.one_of(
    st.sampled_from(["", "83.149.9.216 - - ", "[", "a[b] ", "1.2.3.4 - [x] ", "[ERROR] ", "- - ", "12345 "]),
    st.text(alphabet="ab[] -5", max_size=110),
)


@st.composite
def _stamped_lines(draw):
    stamp = draw(st.one_of(_clf_stamps, _iso_stamps, st.text(alphabet="[]0123456789/:+- ", max_size=30)))
    return draw(_prefixes) + stamp + draw(st.sampled_from(["", " \"GET / HTTP/1.1\" 200 5", "]", "9"]))


@settings(max_examples=600, deadline=None)
@given(lines=st.lists(_stamped_lines(), min_size=1, max_size=12), repeat=st.booleans())
def test_stamp_cache_agrees_with_reading_every_stamp(lines, repeat):
    """`_plain_ms_cached` (one cache over many lines, as a reader keeps it) equals `_plain_ms`."""
    from cwfilter.engine.inputs.timestamps import _plain_ms, _plain_ms_cached

    cache: dict = {}
    for line in lines + (lines if repeat else []):
        assert _plain_ms_cached(line, cache) == _plain_ms(line), line


def test_stamp_cache_is_bounded():
    from cwfilter.engine.inputs.timestamps import STAMP_CACHE_SIZE, _plain_ms, _plain_ms_cached

    cache: dict = {}
    for s in range(STAMP_CACHE_SIZE + 500):
        line = f"1.2.3.4 - - [17/May/2015:{s // 3600 % 24:02d}:{s // 60 % 60:02d}:{s % 60:02d} +0000] x"
        assert _plain_ms_cached(line, cache) == _plain_ms(line) is not None
        assert len(cache) <= STAMP_CACHE_SIZE


# --------------------------------------------------------------------------- events read

@settings(max_examples=200, deadline=None)
@given(message=st.text(max_size=20), timestamp=st.one_of(st.none(), st.integers()),
       group=st.one_of(st.none(), st.text(max_size=5)), origin=st.sampled_from(["event", "previous", "read"]))
def test_fast_event_maker_builds_the_same_record(message, timestamp, group, origin):
    import dataclasses

    import pytest
    from cwfilter.engine.inputs.records import InputEvent
    from cwfilter.engine.inputs.sink import _make_event

    built = _make_event(message, timestamp, group, "src", "line 3", origin, None)
    want = InputEvent(message, timestamp, group, "src", "line 3", origin, None)
    assert type(built) is InputEvent and built == want and repr(built) == repr(want)
    assert dataclasses.astuple(built) == dataclasses.astuple(want)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.message = "x"  # type: ignore[misc]


# --------------------------------------------------------------------------- routes

@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees=st.lists(st.one_of(_patterns(), st.sampled_from(["ERROR", "?a ?b", "%a[b5]%", "5 -a"])),
                      min_size=1, max_size=3),
       lines=st.lists(_lines(), min_size=1, max_size=6))
def test_text_route_matches_the_filters_the_event_route_matches(trees, lines):
    """A route of a few text filters decides each on the raw text (`Route.by_text`); the same
    route deciding on a shared `LogEvent` (prefilter, then the event matcher) matches the same."""
    from types import SimpleNamespace

    from cwfilter.engine.matching.routing import Route

    compiled = []
    for tree in trees:
        text = tree if isinstance(tree, str) else cwfilter.unparse(tree)
        try:
            compiled.append(cwfilter.compile_pattern(text))
        except cwfilter.PatternError:
            assume(False)
    filters = [SimpleNamespace(compiled=c, default_value=None) for c in compiled]
    fast = Route.build("g", filters, track_minutes=False)
    assert fast.by_text
    slow = Route.build("g", filters, track_minutes=False)
    slow.by_text = False
    for line in lines:
        got, ev = fast.match(line, 5)
        want, _ = slow.match(line, 5)
        assert [id(f) for f in got] == [id(f) for f in want], (line, [c.text for c in compiled])
        assert (ev is None) == (not got)
        if ev is not None:
            assert ev.message == line and ev.timestamp == 5
