"""The compiled matchers agree with the plain tree-walking interpreter, on generated patterns and events.

The interpreter (`cwfilter.engine.matching.interpret`) implements DECISIONS directly and slowly; the
compiler adds specialised closures and escape-aware prefilters. Any disagreement is a bug in one
of them. Patterns are printed with `unparse` and parsed back, so the printer is exercised too.
"""

from __future__ import annotations

import os

import cwfilter
import pytest
from cwfilter.engine.events import LogEvent
from cwfilter.engine.matching.interpret import interpret, interpret_extract
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from strategies import json_messages, line_messages, messages, patterns
from strategies import json_patterns as json_patterns_strategy_


def json_patterns_strategy():
    return json_patterns_strategy_

# At least 2,000 generated examples in every run (CI included); CWFILTER_FUZZ_EXAMPLES raises it.
EXAMPLES = int(os.environ.get("CWFILTER_FUZZ_EXAMPLES", "2000"))


def _compile(tree):
    text = cwfilter.unparse(tree)
    try:
        compiled = cwfilter.compile_pattern(text)
    except cwfilter.PatternError:
        assume(False)  # a generated tree over a service limit (regex or wildcard quota)
    assert compiled.tree == tree, text
    return compiled


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=patterns, events=st.lists(st.one_of(messages, json_messages(), line_messages()), min_size=1, max_size=6))
def test_compiled_agrees_with_interpreter(tree, events):
    compiled = _compile(tree)
    for message in events:
        expected = interpret(compiled.tree, LogEvent(message))
        assert compiled.match_event(LogEvent(message)) is expected, (compiled.text, message)
        assert compiled.matches(message) is expected
        got = compiled.extract(message)
        want = interpret_extract(compiled.tree, LogEvent(message))
        assert got == want, (compiled.text, message)


@settings(max_examples=max(500, EXAMPLES // 4), deadline=None)
@given(tree=patterns, message=st.one_of(json_messages(), line_messages()))
def test_prefilter_never_rejects_a_match(tree, message):
    compiled = _compile(tree)
    if interpret(compiled.tree, LogEvent(message)):
        assert compiled.prefilter(message), (compiled.text, message)


def _escape_some(text: str, data) -> str:
    """Spell some letters of JSON strings (keys and values) as \\u escapes."""
    from strategies import _in_string

    flags = data.draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(
        f"\\u{ord(c):04x}" if c.isalpha() and flag and _in_string(text, i) else c
        for i, (c, flag) in enumerate(zip(text, flags))
    )


_KEY = st.text(alphabet="abcdefXYZ_", min_size=1, max_size=6)
_VALUE = st.text(alphabet="abcdefXYZ _:/.", min_size=1, max_size=12)


@settings(max_examples=max(500, EXAMPLES // 4), deadline=None)
@given(path=st.lists(_KEY, min_size=1, max_size=3), value=_VALUE, form=st.integers(0, 3), data=st.data())
def test_escaped_json_still_matches(path, value, form, data):
    """An event holding the value a pattern asks for matches however JSON escapes its text."""
    obj: object = value
    for key in reversed(path):
        obj = {key: obj, "other": 1}
    import json

    message = _escape_some(json.dumps(obj), data)
    selector = "$." + ".".join(path)
    quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    pattern = {
        0: f"{{ {selector} = {quoted} }}",
        1: f"{{ {selector} = \"{value[:1]}*\" }}",
        2: f"{{ {selector} = \"*{value}\" && {selector} != \"zz\" }}",
        3: f"{{ $.nothing = 1 || {selector} = {quoted} }}",
    }[form]
    compiled = cwfilter.compile_pattern(pattern)
    assert compiled.matches(message), (pattern, message)
    assert interpret(compiled.tree, LogEvent(message))


@settings(max_examples=max(500, EXAMPLES // 2), deadline=None)
@given(
    message=st.text(alphabet='ab"[] \t\n5', max_size=24),
    before=st.integers(0, 4),
    rest=st.booleans(),
    after=st.integers(0, 2),
    conditioned=st.integers(0, 6),
)
def test_line_regex_agrees_with_field_splitting(message, before, rest, after, conditioned):
    """The full-line regex behind `matches` for space-delimited patterns counts and reads fields
    exactly as `split_fields` (DECISIONS P13) does, quotes, brackets and newlines included."""
    from cwfilter.engine.events import split_fields

    if not rest:
        after = 0
        if before == 0:
            before = 1
    names = [f"f{i}" for i in range(before + after)]
    slots = [f"{n} = *a*" if i == conditioned else n for i, n in enumerate(names)]
    if rest:
        slots.insert(before, "...")
    pattern = "[" + ", ".join(slots) + "]"
    compiled = cwfilter.compile_pattern(pattern)
    fields = split_fields(message)
    fits = len(fields) == before if not rest else len(fields) >= before + after
    if fits and conditioned < len(names):
        # The conditioned slot reads the field at its own position (counted from the end after `...`).
        at = conditioned if conditioned < before else len(fields) - (before + after - conditioned)
        fits = "a" in fields[at]
    assert compiled.matches(message) is fits, (pattern, message, fields)
    assert compiled.match_event(LogEvent(message)) is fits


@settings(max_examples=max(500, EXAMPLES // 4), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees=st.lists(json_patterns_strategy(), min_size=3, max_size=8), messages=st.lists(json_messages(), min_size=1, max_size=5))
def test_filter_index_never_drops_a_matching_filter(trees, messages):
    """The engine's literal index (engine/matching/routing.py) may offer extra filters, never miss one."""
    from types import SimpleNamespace

    from cwfilter.engine.matching.routing import FilterIndex

    filters = []
    for tree in trees:
        try:
            filters.append(SimpleNamespace(compiled=cwfilter.compile_pattern(cwfilter.unparse(tree))))
        except cwfilter.PatternError:
            continue
    assume(filters)
    index = FilterIndex(filters)
    for message in messages:
        offered = set(index.candidates(message))
        for i, f in enumerate(filters):
            if interpret(f.compiled.tree, LogEvent(message)):
                assert i in offered, (f.compiled.text, message)
                assert f.compiled.decide(LogEvent(message))


@settings(max_examples=max(500, EXAMPLES // 4), deadline=None)
@given(path=st.lists(_KEY, min_size=1, max_size=3), value=_VALUE, form=st.integers(0, 2), data=st.data())
def test_filter_index_offers_escaped_matches(path, value, form, data):
    """Filters filed in the index are offered for events that spell their value with escapes."""
    import json
    from types import SimpleNamespace

    from cwfilter.engine.matching.routing import FilterIndex

    obj: object = value
    for key in reversed(path):
        obj = {key: obj, "other": 1}
    message = _escape_some(json.dumps(obj), data)
    selector = "$." + ".".join(path)
    quoted = '"' + value.replace("\\\\", "\\\\\\\\").replace('"', '\\\\"') + '"'
    wanted = {0: f"{{ {selector} = {quoted} }}", 1: f'{{ {selector} = "{value[:1]}*" }}',
              2: f'{{ {selector} = "*{value}" }}'}[form]
    texts = [wanted, '{ $.other = "zzz" }', '{ $.eventName = "DeleteTrail" || $.eventName = "StopLogging" }',
             '{ $.userIdentity.type = "Root" }']
    filters = [SimpleNamespace(compiled=cwfilter.compile_pattern(t)) for t in texts]
    assert 0 in FilterIndex(filters).candidates(message), (wanted, message)


@settings(max_examples=max(500, EXAMPLES // 4), deadline=None)
@given(tree=patterns, lines=st.lists(st.one_of(json_messages(), line_messages(), messages), min_size=1, max_size=8))
def test_block_filter_never_hides_a_matching_line(tree, lines):
    """A block that `block_filter` rules out holds no line the pattern matches (grep-style skip)."""
    compiled = _compile(tree)
    # One event per line, as a reader hands them over (invalid UTF-8 already replaced).
    lines = [line.replace("\n", " ").replace("\r", " ").encode("utf-8", "replace").decode() for line in lines]
    block = ("\n".join(lines) + "\n").encode("utf-8")
    if compiled.block_filter is not None and not compiled.block_filter(block):
        assert not any(interpret(compiled.tree, LogEvent(line)) for line in lines), (compiled.text, lines)


@pytest.mark.parametrize("pattern, line", [
    ('{ $.userIdentity.type = "Root" }', r'{"userIdentity":{"type":"\u0052oot"}}'),
    ('{ $.eventName = "Delete*" }', r'{"eventName":"Dele\u0074eTrail"}'),
    ('{ $.a = "caf\u00e9" }', r'{"a":"caf\u00e9"}'),
    ('{ $.a = "caf\u00e9*" }', '{"a":"caf\u00e9 cr\u00e8me"}'),
])
def test_block_filter_keeps_a_block_whose_match_is_spelled_with_escapes(pattern, line):
    compiled = cwfilter.compile_pattern(pattern)
    assert compiled.matches(line)
    block = ("noise line\n" * 3 + line + "\n").encode("utf-8")
    assert compiled.block_filter is not None and compiled.block_filter(block)
    assert not compiled.block_filter(b"noise line\n" * 4)


@pytest.mark.parametrize("pattern, message", [
    ('"a\udcffb"', "x a\udcffb x"),
    ('{ $.a = "x\udcff" }', None),  # JSON text cannot hold a lone surrogate: nothing to match
    ('[a = "x\udcff*", ...]', "x\udcffy rest"),
    ('?"\udcffq" ?zz', "\udcffq"),
])
def test_block_filter_of_a_pattern_with_a_lone_surrogate(pattern, message):
    """A pattern given as undecodable bytes (argv's surrogateescape) compiles; its needle never
    occurs in UTF-8 text, whose invalid bytes a reader turns into U+FFFD."""
    compiled = cwfilter.compile_pattern(pattern)
    if message is None:
        message = '{"a": "x\udcff"}'
    else:
        assert compiled.matches(message)  # text from a caller, as given
    line = message.replace("\udcff", "\ufffd")  # as a reader decodes the same bytes
    assert not compiled.matches(line)
    assert not compiled.block_filter((line + "\n").encode())
    if pattern.startswith("?"):
        assert compiled.block_filter(b"zz\n")
