"""The generated single-condition JSON matcher (`matches` of `{ $.a.b = * }` and the like: prefilter,
decode, lookup and test in one function) against the general path it replaces: the prefilter and
the pattern decided on the event (`match_event`), over generated conditions and messages."""

from __future__ import annotations

import cwfilter
from cwfilter import nodes
from cwfilter.engine.events import LogEvent
from cwfilter.grammar import parse_selector
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import json_conditions, json_messages, messages

KEY_ONLY = ["$.a", "$.b", "$.n", "$.a.b", "$.obj.a", "$.['k-1']", "$.a.b.a"]
key_selectors = st.sampled_from(KEY_ONLY).map(lambda s: nodes.Selector(s, parse_selector(s).steps))
conditions = st.one_of(
    st.builds(nodes.JsonCompare, key_selectors, st.sampled_from(["=", "!="]),
              st.sampled_from([nodes.Literal("*", False), nodes.Literal("**", True), nodes.Literal("a", True)])),
    st.builds(nodes.JsonIs, key_selectors, st.sampled_from(["NULL", "TRUE", "FALSE"])),
    json_conditions,
)
# Messages: what the strategies draw, plus big numbers (huge floats go to the exact decode),
# non-objects and damaged JSON.
more = st.one_of(json_messages(), messages, st.sampled_from([
    '{"a": 1e400}', '{"a": 18446744073709551617}', '{"a": {"b": -18446744073709551617}}', '{"a": NaN}',
    '["a"]', '{"a": "\\ud800"}', '{"a": 1', '{"a":null}', '{"a":{"b":null}}', '{"a":{"b":[]}}', '{"a":{}}',
    '{"\\u0061": "x"}', '{"obj": {"a": "1"}}', ' {"a": 1}', '{"a":1,"a":{"b":2}}',
]))


def _general(c):
    return lambda m: c.match_event(LogEvent(m))


@settings(max_examples=600, deadline=None)
@given(conditions, st.lists(more, min_size=1, max_size=8))
def test_fused_matcher_is_the_general_one(cond, batch):
    text = cwfilter.unparse(nodes.JsonPattern(cond))
    c = cwfilter.compile_pattern(text)
    general = _general(c)
    for m in batch:
        assert c.matches(m) == general(m), (text, m)


def test_single_key_conditions_are_fused():
    """The patterns the fused path is for get it; others keep the general one."""
    for text in ("{ $.eventVersion = * }", '{ $.a.b = "x" }', "{ $.a IS NULL }", "{ $.n > 3 }"):
        assert cwfilter.compile_pattern(text).matches.__name__ == "matches", text
    for text in ("{ $.a[0] = 1 }", "{ $.a = 1 && $.b = 2 }", "{ $.* = 1 }", "{ $.a NOT EXISTS }"):
        assert cwfilter.compile_pattern(text).matches.__name__ != "matches", text
    star = cwfilter.compile_pattern("{ $.eventVersion = * }").matches
    assert star('{"eventVersion": ""}') and star('{"eventVersion": 0}')
    assert not star('{"eventVersion": null}') and not star('{"eventVersion": {}}') and not star("{}")
