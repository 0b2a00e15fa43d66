"""Fuzzing: the grammar, the matchers and the config loader never fail with anything but their
documented errors.

* any text given as a pattern parses, or raises `PatternError` with a position inside the pattern;
* any message (random bytes decoded, deep JSON, huge numbers, NaN, surrogates, NUL, long lines)
  given to any valid pattern is matched or not, and the compiled matcher, the reference
  interpreter and `explain` agree, without raising;
* any mutation of a valid config gives reported issues (`ConfigIssue`, `ConfigError`), never an
  exception of another kind; so does any mutation of its YAML structure (anchors and aliases,
  alias bombs and loops, nesting, tags, huge scalars).

The normal run uses a few hundred examples per property. The same properties run with many more
examples under the `long` marker (`pytest -m long tests/test_fuzz.py`), or through
`python tests/fuzz_long.py --long`, which also prints the figures.
"""

from __future__ import annotations

import copy
import json
import os
import sys
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
import cwfilter  # noqa: E402
import strategies as S  # noqa: E402
from cwfilter import PatternError  # noqa: E402
from cwfilter.engine.authoring.explain import explain  # noqa: E402
from cwfilter.engine.config.native import ConfigError, check_config, iter_config_issues, load_config  # noqa: E402
from cwfilter.engine.config.sources import load_sources  # noqa: E402
from cwfilter.engine.errors import ConfigIssue  # noqa: E402
from cwfilter.engine.events import LogEvent  # noqa: E402
from cwfilter.engine.matching.interpret import interpret  # noqa: E402
from cwfilter.grammar import MAX_PATTERN_LENGTH  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(__file__).parent.parent / "examples"

FAST = int(os.environ.get("CWFILTER_FUZZ_FAST", "300"))
LONG = int(os.environ.get("CWFILTER_FUZZ_LONG", "20000"))
_QUIET = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large, HealthCheck.large_base_example]


def _units(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


# --------------------------------------------------------------------------- the grammar

#: Pieces of the pattern language, and characters that break it.
PIECES = list('{}[]()%$.*"\'\\&|!=<> ,?-_aZ09\t\n') + [
    "IS", "NOT", "EXISTS", "NULL", "TRUE", "&&", "||", "...", "$.a", "$.a[0]", "['k']", "\ud800", "\x00", "é", "😀",
]
pieces = st.sampled_from(PIECES)


@st.composite
def mutated_patterns(draw) -> str:
    """A valid pattern (printed from a generated tree) with 1 to 4 characters inserted, deleted or cut."""
    text = cwfilter.unparse(draw(S.patterns))
    for _ in range(draw(st.integers(1, 4))):
        op, i = draw(st.integers(0, 2)), draw(st.integers(0, len(text)))
        if op == 0:
            text = text[:i] + draw(pieces) + text[i:]
        elif op == 1:
            text = text[:i] + text[i + 1:]
        else:
            j = draw(st.integers(0, len(text)))
            text = text[:i] + text[j:] if j > i else text
    return text


pattern_texts = st.one_of(
    st.text(max_size=60),
    st.lists(pieces, max_size=40).map("".join),
    mutated_patterns(),
    st.builds(lambda head, body, tail: head + body + tail, st.sampled_from(["{", "[", "%", ""]),
              st.lists(pieces, max_size=40).map("".join), st.sampled_from(["}", "]", "%", ""])),
    S.patterns.map(cwfilter.unparse),
)


def check_pattern_text(text: str) -> str:
    """Parse `text`: a tree, or a `PatternError` whose span lies inside the pattern. Returns the outcome."""
    try:
        tree = cwfilter.parse(text)
    except PatternError as exc:
        assert 0 <= exc.start <= len(text), (text, exc.start)
        assert exc.start < exc.end, (text, exc.start, exc.end)
        assert exc.pattern == text
        assert str(exc)  # renders with its caret
        return "error"
    cwfilter.compile_pattern(text)
    printed = cwfilter.unparse(tree)
    if _units(printed) <= MAX_PATTERN_LENGTH:
        assert cwfilter.parse(printed) == tree, (text, printed)
    return "valid"


@settings(max_examples=FAST * 3, deadline=None, suppress_health_check=_QUIET)
@given(pattern_texts)
def test_any_text_parses_or_raises_pattern_error_inside_it(text):
    check_pattern_text(text)


@pytest.mark.long
@settings(max_examples=LONG, deadline=None, suppress_health_check=_QUIET)
@given(pattern_texts)
def test_long_any_text_parses_or_raises_pattern_error_inside_it(text):
    check_pattern_text(text)


# --------------------------------------------------------------------------- the matchers

HOSTILE_MESSAGES = [
    "{" * 10_000 + "}" * 10_000,
    '{"a":' * 10_000 + "1" + "}" * 10_000,
    '{"a":' + "[" * 10_000 + "1" + "]" * 10_000 + "}",
    '{"a": 1e999999}', '{"a": -1e400}', '{"a": NaN}', '{"a": Infinity}', '{"a": -Infinity}', '{"a": "NaN"}',
    '{"a": ' + "9" * 5000 + "}", '{"a": 1' + "0" * 400 + '.5}', '{"a": 0.' + "0" * 400 + "1}",
    '{"a": 1, "a": 2, "a": "x"}', '{"a": "\\ud800"}', '{"\\udc00": 1}', '{"a": "\ud800"}', "\ud800 ERROR",
    '{"a": "\x00"}', "\x00\x00\x00", "a\x00b ERROR", '{"a":"\\u0000"}', '{"a":1}\x00', '{"a":1',
    "x" * 2_000_000, "a " * 300_000, '{"a": "' + "x" * 1_000_000 + '"}', "[" * 5000, '"' * 5000,
    '{"a":"' + "\\" * 5001 + '"}', '{"a": 1e308, "b": -0.0, "n": 1E+2}', "", " ", "\t", "\r\n", "\ufeff{}",
]

FIXED_PATTERNS = [
    "ERROR", "%a%", "%^$%", "{ $.a = 1 }", "{ $.a[*] = 1 }", '{ $.* = "x" }', "{ $.a NOT EXISTS }",
    "{ $.a IS NULL }", "{ $.a > 0 }", "[a, b]", "[...]", "[a = 1, ...]", "", '" "',
]


@st.composite
def hostile_messages(draw) -> str:
    kind = draw(st.integers(0, 6))
    if kind == 0:
        return draw(st.binary(max_size=300)).decode("utf-8", "replace")
    if kind == 1:
        return draw(st.text(max_size=200))
    if kind == 2:
        return draw(st.sampled_from(HOSTILE_MESSAGES[6:]))  # the 10,000-level ones have their own test
    if kind == 3:
        depth = draw(st.integers(1, 3000))
        return '{"a":' + draw(st.sampled_from(["[", '{"b":'])) * depth + "1" + "]" * depth + "}"
    if kind == 4:
        return draw(S.messages)
    if kind == 5:
        message = draw(S.json_messages())
        i = draw(st.integers(0, len(message)))
        cut = draw(st.sampled_from(["\ud800", "\x00", "NaN", "1e999", "\\", '"', "{", "}", "]", "\\u12", "-"]))
        return message[:i] + cut + message[i:]
    return draw(st.characters(codec="utf-8")) * draw(st.integers(1, 5000))


def check_message(text: str, message: str) -> bool:
    """Match `message` with `text` every way cwfilter can; they must agree, and none may raise."""
    compiled = cwfilter.compile_pattern(text)
    matched = compiled.matches(message)
    assert compiled.match_event(LogEvent(message)) == matched
    extracted = compiled.extract(message)
    assert (extracted is not None) == matched
    if len(message) <= 100_000:  # the reference interpreter and explain are slow on megabytes
        assert interpret(cwfilter.parse(text), LogEvent(message)) == matched, (text, message[:200])
        why = explain(text, message)
        assert why.matched == matched
        why.render(1, 80)
        json.dumps(why.to_json(1))
    return matched


@pytest.mark.parametrize("message", HOSTILE_MESSAGES, ids=lambda m: repr(m[:24]) + f"..{len(m)}")
def test_hostile_messages_never_raise(message):
    for text in FIXED_PATTERNS:
        check_message(text, message)


def _valid_text(tree) -> str | None:
    text = cwfilter.unparse(tree)
    try:
        cwfilter.compile_pattern(text)
    except PatternError:
        return None  # a generated tree over a service limit (regex count, wildcards)
    return text


@settings(max_examples=FAST, deadline=None, suppress_health_check=_QUIET)
@given(S.patterns, hostile_messages())
def test_any_message_against_any_pattern_never_raises(tree, message):
    if (text := _valid_text(tree)) is not None:
        check_message(text, message)


@pytest.mark.long
@settings(max_examples=LONG // 4, deadline=None, suppress_health_check=_QUIET)
@given(S.patterns, hostile_messages())
def test_long_any_message_against_any_pattern_never_raises(tree, message):
    if (text := _valid_text(tree)) is not None:
        check_message(text, message)


# --------------------------------------------------------------------------- the config loader

BASE_CONFIGS = [
    json.loads((FIXTURES / "config" / "describe-metric-filters.json").read_text(encoding="utf-8")),
    json.loads((FIXTURES / "config" / "describe-alarms.json").read_text(encoding="utf-8")),
    yaml.safe_load((EXAMPLES / "errors.yaml").read_text(encoding="utf-8")),
    json.loads((FIXTURES / "sources" / "cloudtrail-alarms.json").read_text(encoding="utf-8")),
]
WEIRD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(), st.text(max_size=30),
    st.just("x" * 3000), st.just([]), st.just({}), st.just("{ $.a = "), st.just("\ud800"), st.just("$.a"),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


def _paths(node, here=()):
    yield here
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, here + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, here + (i,))


@st.composite
def mutated_configs(draw):
    """A valid config with 1 to 4 values replaced, keys deleted or renamed, or list items repeated."""
    doc = copy.deepcopy(draw(st.sampled_from(BASE_CONFIGS)))
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(list(_paths(doc))))
        if not path:
            if draw(st.integers(0, 5)) == 0:
                doc = draw(WEIRD_VALUES)
            continue
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        op = draw(st.integers(0, 3))
        if op == 0:
            parent[path[-1]] = draw(WEIRD_VALUES)
        elif op == 1:
            del parent[path[-1]]
        elif op == 2 and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[path[-1]]))
        elif op == 3 and isinstance(parent, dict):
            parent[draw(st.text(max_size=8))] = parent.pop(path[-1])
    return doc


_CONFIG_DIR = Path(tempfile.mkdtemp(prefix="cwfilter-fuzz-"))


def check_config_document(doc, as_yaml: bool, cut: int | None) -> int:
    """Every way of loading `doc` reports issues, or loads; nothing else. Returns the issue count."""
    issues = list(iter_config_issues(doc, "doc"))
    assert all(isinstance(i, ConfigIssue) and str(i) for i in issues)
    try:
        text = yaml.safe_dump(doc, allow_unicode=True) if as_yaml else json.dumps(doc)
    except (ValueError, yaml.YAMLError):
        return len(issues)  # a value with no spelling in that format (NaN in JSON, a lone surrogate)
    if cut is not None:
        text = text[: cut % (len(text) + 1)]  # a file cut short
    path = _CONFIG_DIR / ("config.yaml" if as_yaml else "config.json")
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    found = check_config([str(path)])
    assert all(isinstance(i, ConfigIssue) and str(i) for i in found)
    try:
        load_config([str(path)])
    except ConfigError as exc:
        assert exc.issues and str(exc)
    try:
        load_sources([str(path)], {})  # what `cwfilter run` and `check` call
    except ConfigError as exc:
        assert str(exc)
    except ValueError as exc:  # reported by the CLI as a usage error
        assert str(exc)
    return len(issues)


@settings(max_examples=FAST // 2, deadline=None, suppress_health_check=_QUIET)
@given(mutated_configs(), st.booleans(), st.one_of(st.none(), st.integers(0, 10**6)))
def test_mutated_configs_give_only_reported_issues(doc, as_yaml, cut):
    check_config_document(doc, as_yaml, cut)


@pytest.mark.long
@settings(max_examples=LONG // 4, deadline=None, suppress_health_check=_QUIET)
@given(mutated_configs(), st.booleans(), st.one_of(st.none(), st.integers(0, 10**6)))
def test_long_mutated_configs_give_only_reported_issues(doc, as_yaml, cut):
    check_config_document(doc, as_yaml, cut)


# --------------------------------------------------------------------------- YAML structure

_TAGS = ("!Ref", "!GetAtt", "!Sub", "!!binary", "!!set", "!!omap", "!!timestamp", "!!int", "!!float", "!!str",
         "!!python/object/apply:os.system", "!!python/name:os.system", "!unknown", "tag:yaml.org,2002:map")


def _nodes(root):
    """Every node of a composed document, each once (the graph may already share nodes)."""
    seen, out, stack = set(), [], [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        out.append(node)
        if isinstance(node, yaml.MappingNode):
            stack.extend(v for pair in node.value for v in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return out


def _scalar(value: str, tag: str = "tag:yaml.org,2002:str") -> yaml.ScalarNode:
    return yaml.ScalarNode(tag, value)


@st.composite
def yaml_structure_texts(draw) -> str:
    """A valid config as YAML, its structure mutated: anchors and aliases (shared nodes, alias
    bombs, alias loops), nesting, tags (CloudFormation's, PyYAML's unsafe ones, unknown ones) and
    huge scalars (integers past Python's conversion limit, long strings, 1e999)."""
    doc = draw(st.sampled_from(BASE_CONFIGS))
    root = yaml.compose(yaml.safe_dump(doc))
    prefix = ""
    for _ in range(draw(st.integers(1, 4))):
        nodes = _nodes(root)
        collections = [n for n in nodes if isinstance(n, (yaml.MappingNode, yaml.SequenceNode)) and n.value]
        op = draw(st.integers(0, 5))
        if op == 0 and collections:  # alias: one slot refers to another node (maybe its own ancestor)
            parent = draw(st.sampled_from(collections))
            other = draw(st.sampled_from(nodes))
            i = draw(st.integers(0, len(parent.value) - 1))
            if isinstance(parent, yaml.MappingNode):
                parent.value[i] = (parent.value[i][0], other)
            else:
                parent.value[i] = other
        elif op == 1 and collections:  # an alias bomb in place of a value
            width, levels = draw(st.integers(2, 10)), draw(st.integers(1, 12))
            bomb = _scalar("lol")
            for _ in range(levels):
                bomb = yaml.SequenceNode("tag:yaml.org,2002:seq", [bomb] * width)
            parent = draw(st.sampled_from(collections))
            if isinstance(parent, yaml.MappingNode):
                parent.value[0] = (parent.value[0][0], bomb)
            else:
                parent.value[0] = bomb
        elif op == 2:  # a tag on any node
            node = draw(st.sampled_from(nodes))
            node.tag = draw(st.sampled_from(_TAGS))
        elif op == 3:  # a huge scalar
            scalars = [n for n in nodes if isinstance(n, yaml.ScalarNode)]
            if scalars:
                node = draw(st.sampled_from(scalars))
                kind = draw(st.integers(0, 3))
                digits = draw(st.sampled_from([4299, 4300, 4301, 10_000, 50_000]))
                node.value, node.tag = [
                    ("9" * digits, "tag:yaml.org,2002:int"), ("-" + "1" * digits, "tag:yaml.org,2002:int"),
                    ("x" * 100_000, "tag:yaml.org,2002:str"), ("1e999", "tag:yaml.org,2002:float"),
                ][kind]
        elif op == 4 and collections:  # nesting the serializer can still write
            depth = draw(st.sampled_from([1, 10, 150]))
            nested = draw(st.sampled_from(nodes))
            for _ in range(depth):
                nested = yaml.SequenceNode("tag:yaml.org,2002:seq", [nested])
            parent = draw(st.sampled_from(collections))
            if isinstance(parent, yaml.MappingNode):
                parent.value[-1] = (parent.value[-1][0], nested)
            else:
                parent.value[-1] = nested
        else:  # deep nesting written as text, flow or block style
            depth = draw(st.sampled_from([199, 200, 201, 202, 5000, 100_000]))
            if draw(st.booleans()):
                prefix = "deep: " + "[" * depth + "]" * depth + "\n"
            else:
                prefix = "deep:\n" + "".join(" " * i + "- \n" for i in range(1, min(depth, 2000)))
    try:
        text = yaml.serialize(root)
    except RecursionError:
        text = yaml.safe_dump(doc)
    return prefix + text


def check_yaml_text(text: str) -> str:
    """Every reader of a config file reports issues or loads; nothing else, within bounded memory."""
    path = _CONFIG_DIR / "structure.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    found = check_config([str(path)])
    assert all(isinstance(i, ConfigIssue) and str(i) for i in found)
    try:
        load_config([str(path)])
    except ConfigError as exc:
        assert exc.issues and str(exc)
    try:
        load_sources([str(path)], {})
    except (ConfigError, ValueError) as exc:
        assert str(exc)
    return "issues" if any(i.is_error for i in found) else "valid"


@settings(max_examples=FAST // 6, deadline=None, suppress_health_check=_QUIET)
@given(yaml_structure_texts())
def test_yaml_structure_mutations_give_only_reported_issues(text):
    check_yaml_text(text)


@pytest.mark.long
@settings(max_examples=LONG // 4, deadline=None, suppress_health_check=_QUIET)
@given(yaml_structure_texts())
def test_long_yaml_structure_mutations_give_only_reported_issues(text):
    check_yaml_text(text)
