"""`cwfilter.FilterPattern`: CDK-shaped builders whose text always parses, means what it says, and
refuses at build time what the service refuses at deploy time.

Round-trip: every built pattern (hypothesis) prints and parses back to the same tree and text.
Meaning: matches are checked against plain Python oracles (substring tests, `json.loads`,
float comparisons, `str.split`), never against cwfilter's own answers.
"""

from __future__ import annotations

import json
import math

import cwfilter
import pytest
from cwfilter import FilterPattern as F
from cwfilter.engine.authoring.builder import FilterPatternError
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

# --------------------------------------------------------------------------- strategies

FIELDS = ["$.a", "$.b", "$.n", "$.a.b", "$.arr[0]", "$.arr[*]", "$.obj.*", "$.['k-1']", "$.['dotted.key']", "$.k-1"]
REGEXES = ["ERR", "^a", "b$", "[0-9]+", "\\d{2,3}", "ERR|WARN", "a{,2}b", "\\.", "%x y%"]
TEXT = st.text(alphabet=st.sampled_from(list('abAB 09_-.:*"\\\'/é\t')), max_size=8)
NUMBERS = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False, width=64))

fields = st.sampled_from(FIELDS)
string_ops = st.sampled_from(["=", "!=", "=="])
number_ops = st.sampled_from(["=", "!=", "<", "<=", ">", ">=", "=="])

json_leaves = st.one_of(
    st.builds(F.string_value, fields, string_ops, TEXT.filter(lambda v: not (len(v) >= 2 and v[0] == v[-1] == "%"))),
    st.builds(F.number_value, fields, number_ops, NUMBERS),
    st.builds(F.regex_value, fields, string_ops, st.sampled_from(REGEXES)),
    st.builds(F.boolean_value, fields, st.booleans()),
    st.builds(F.is_null, fields),
    st.builds(F.not_exists, fields),
    st.builds(F.exists, fields),
)


def _combine(children):
    return st.one_of(
        st.lists(children, min_size=1, max_size=3).map(lambda ps: F.all_(*ps)),
        st.lists(children, min_size=1, max_size=3).map(lambda ps: F.any_(*ps)),
    )


@st.composite
def json_patterns(draw):
    """A JSON pattern within the service's limits (at most 2 regexes, 3 wildcard selectors)."""
    leaves = st.recursive(json_leaves, _combine, max_leaves=6)
    pattern = draw(leaves)
    return pattern


terms = TEXT.filter(lambda t: t != "")
text_patterns = st.one_of(
    st.lists(terms, min_size=1, max_size=4).map(lambda ts: F.all_terms(*ts)),
    st.lists(terms, min_size=1, max_size=4).map(lambda ts: F.any_term(*ts)),
    st.lists(st.lists(terms, min_size=1, max_size=1), min_size=1, max_size=3).map(lambda gs: F.any_term_group(*gs)),
    st.just(F.all_events()),
)

COLUMNS = ["ip", "user", "status", "size", "w-1", "x_2"]


@st.composite
def delimited_patterns(draw):
    columns = draw(st.lists(st.sampled_from(COLUMNS), min_size=0, max_size=5, unique=True))
    if draw(st.booleans()):
        columns.insert(draw(st.integers(0, len(columns))), "...")
    pattern = F.space_delimited(*columns)
    named = [c for c in columns if c != "..."]
    for _ in range(draw(st.integers(0, 3)) if named else 0):
        column = draw(st.sampled_from(named))
        if draw(st.booleans()):
            pattern = pattern.where_string(column, draw(string_ops), draw(TEXT.filter(lambda v: v != "")))
        else:
            pattern = pattern.where_number(column, draw(number_ops), draw(NUMBERS))
    return pattern


def build_or_limit(strategy):
    """Draw a built pattern; the service's quotas (regexes, wildcards) may refuse it."""

    @st.composite
    def draw_one(draw):
        try:
            return draw(strategy)
        except cwfilter.PatternLimitError:
            assume(False)

    return draw_one()


built_patterns = st.one_of(build_or_limit(json_patterns()), text_patterns, delimited_patterns())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(built_patterns)
def test_built_patterns_round_trip_through_parse_and_unparse(pattern):
    tree = cwfilter.parse(pattern.text)
    assert tree == pattern.tree
    assert cwfilter.unparse(tree) == pattern.text
    assert cwfilter.parse(cwfilter.unparse(tree)) == tree
    assert pattern.log_pattern_string == pattern.text == str(pattern)
    cwfilter.compile_pattern(pattern.text)  # and it compiles


# --------------------------------------------------------------------------- meaning (plain-Python oracles)


@settings(max_examples=200, deadline=None)
@given(st.lists(terms, min_size=1, max_size=3), st.text(alphabet=st.sampled_from(list('abAB 09_-.*"\\')), max_size=12))
def test_all_terms_and_any_term_mean_substrings(words, message):
    assume(message)

    def present(word: str) -> bool:
        return word.strip() == "" or word in message  # a blank quoted term is in every event (P17)

    assert F.all_terms(*words).matches(message) == all(present(w) for w in words)
    assert F.any_term(*words).matches(message) == any(present(w) for w in words)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('abAB 09_-."\\é')), max_size=6),
       st.text(alphabet=st.sampled_from(list('abAB 09_-."\\é')), max_size=6))
def test_string_value_compares_decoded_text(want, got):
    message = json.dumps({"a": got})
    assert F.string_value("$.a", "=", want).matches(message) == (got == want)
    assert F.string_value("$.a", "!=", want).matches(message) == (got != want)
    assert not F.string_value("$.a", "!=", want).matches(json.dumps({"b": got}))  # missing: false (P10)


_PY_OPS = {"=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
           "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(list(_PY_OPS)), NUMBERS, NUMBERS)
def test_number_value_compares_doubles(op, want, got):
    message = json.dumps({"n": got})
    assert F.number_value("$.n", op, want).matches(message) == _PY_OPS[op](float(got), float(want))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(list(_PY_OPS)), st.integers(-999, 999),
       st.lists(st.sampled_from(["a", "-", "12", "7.5", "x1"]), min_size=2, max_size=2))
def test_space_delimited_where_number(op, want, others):
    line_fields = [others[0], str(want + 3), others[1]]
    line = " ".join(line_fields)
    pattern = F.space_delimited("a", "b", "c").where_number("b", op, want)
    assert pattern.matches(line) == _PY_OPS[op](float(line_fields[1]), float(want))
    assert not pattern.matches(line + " extra")  # DECISIONS P13: field count must equal slot count
    assert F.space_delimited("a", "...").where_string("a", "=", others[0]).matches(line)


def test_combinations_flatten_and_read_as_written():
    a, b, c = F.exists("$.a"), F.is_null("$.b"), F.boolean_value("$.c", False)
    assert F.all_(F.all_(a, b), c).text == '{ $.a = "*" && $.b IS NULL && $.c IS FALSE }'
    assert F.all_(F.any_(a, b), c).text == '{ ($.a = "*" || $.b IS NULL) && $.c IS FALSE }'
    assert F.any_(F.all_(a, b), c).json_pattern_string == '$.a = "*" && $.b IS NULL || $.c IS FALSE'
    pattern = F.all_(F.any_(a, b), c)
    assert pattern.matches('{"a": 1, "c": false}') and pattern.matches('{"b": null, "c": false}')
    assert not pattern.matches('{"a": 1, "c": true}') and not pattern.matches('{"a": null, "c": false}')


def test_text_shapes_follow_the_cdk():
    assert F.all_terms("ERROR", "disk full").text == '"ERROR" "disk full"'
    assert F.any_term("ERROR", "WARN").text == '?"ERROR" ?"WARN"'
    assert F.any_term_group(["ERROR"], ["WARN"]).text == '?"ERROR" ?"WARN"'
    assert F.any_term_group(["ERROR", "disk"]).text == '"ERROR" "disk"'
    assert F.all_events().text == ""
    assert F.literal("ERROR -DEBUG").text == "ERROR -DEBUG"
    assert F.string_value("$.user", "==", 'say "hi"').text == '{ $.user = "say \\"hi\\"" }'
    assert F.regex_value("$.level", "=", "%^WARN|ERROR$%").text == "{ $.level = %^WARN|ERROR$% }"
    assert F.number_value("$.ms", ">", 1.5e-7).text == "{ $.ms > 1.5e-07 }"
    delimited = F.space_delimited("ip", "...", "status", "size").where_string("status", "=", "4*") \
        .where_number("size", ">", 1000).where_number("size", "<=", 5000)
    assert delimited.text == '[ip, ..., status = "4*", size > 1000 && size <= 5000]'
    assert delimited.columns == ("ip", "...", "status", "size")
    assert delimited.matches('1.2.3.4 - - "GET /" 404 2048')
    assert delimited.extract('1.2.3.4 - - "GET /" 404 2048') == {
        "$ip": "1.2.3.4", "$2": "-", "$3": "-", "$4": "GET /", "$status": "404", "$size": "2048"}


def test_built_patterns_are_immutable_values():
    base = F.space_delimited("a", "b")
    narrowed = base.where_string("b", "=", "x")
    assert base.text == "[a, b]" and narrowed.text == '[a, b = "x"]'
    assert F.exists("$.a") == F.exists("$.a")
    with pytest.raises(AttributeError):
        base.text = "[c]"  # type: ignore[misc]


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: F.string_value("status", "=", "x"), "must be a selector starting with '$.'"),
        (lambda: F.number_value("$status", ">", 1), "must be a selector starting with '$.'"),
        (lambda: F.string_value("$.level", "=", "%ERR%"), "use regex_value() for a regex"),
        (lambda: F.space_delimited("a").where_string("a", "=", "%x%"), "use regex_value() for a regex"),
        (lambda: F.string_value("$.a", "<", "x"), "invalid comparison '<'"),
        (lambda: F.number_value("$.a", "~", 1), "invalid comparison '~'"),
        (lambda: F.number_value("$.a", "=", math.nan), "not a number the service can compare"),
        (lambda: F.number_value("$.a", "=", True), "an int or a float"),
        (lambda: F.number_value("$.a", "=", "0x10"), "not a number by the pattern language's rule"),
        (lambda: F.any_term_group(["a", "b"], ["c"]), "?\"a\" \"b\" ?\"c\" \"d\" means \"b\" \"d\""),
        (lambda: F.all_terms(), "needs at least one term"),
        (lambda: F.all_terms(""), "an empty term is refused"),
        (lambda: F.all_(), "use all_events()"),
        (lambda: F.all_(F.exists("$.a"), F.all_terms("x")), "combines JSON patterns only"),
        (lambda: F.space_delimited("a", "...", "..."), "at most one '...'"),
        (lambda: F.space_delimited("a b"), "invalid column name 'a b'"),
        (lambda: F.space_delimited("42"), "made only of digits"),
        (lambda: F.space_delimited("a").where_number("b", "=", 1), "'b' is not a column"),
        (lambda: F.space_delimited("a", "...").where_number("...", "=", 1), "'...' takes no condition"),
        (lambda: F.boolean_value("$.a", "yes"), "takes True or False"),
    ],
)
def test_builder_refuses_what_the_service_would_refuse_or_misread(build, message):
    with pytest.raises(FilterPatternError) as info:
        build()
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("build", "error"),
    [
        (lambda: F.regex_value("$.a", "=", "(ERROR|WARN)"), cwfilter.PatternRegexError),
        (lambda: F.all_(*(F.regex_value(f"$.f{i}", "=", "x") for i in range(3))), cwfilter.PatternLimitError),
        (lambda: F.all_(*(F.exists(f"$.a{i}[*]") for i in range(4))), cwfilter.PatternLimitError),
        (lambda: F.all_terms("x" * 1100), cwfilter.PatternLimitError),
        (lambda: F.string_value("$.a b", "=", "x"), cwfilter.PatternSyntaxError),
        (lambda: F.literal("{ $.a = "), cwfilter.PatternSyntaxError),
    ],
)
def test_builder_runs_the_services_checks(build, error):
    with pytest.raises(error):
        build()


def test_metric_filter_request_and_deploy_time_checks(tmp_path):
    json_pattern = F.all_(F.string_value("$.level", "=", "ERROR"), F.exists("$.ms"))
    request = json_pattern.metric_filter(filter_name="slow", metric_name="Latency", metric_namespace="App",
                                         metric_value="$.ms", log_group_name="app",
                                         dimensions={"Level": "$.level"}, unit="Milliseconds")
    assert request == {
        "filterName": "slow", "filterPattern": json_pattern.text, "logGroupName": "app",
        "metricTransformations": [{"metricName": "Latency", "metricNamespace": "App", "metricValue": "$.ms",
                                   "dimensions": {"Level": "$.level"}, "unit": "Milliseconds"}],
    }
    config = tmp_path / "filters.json"
    config.write_text(json.dumps({"metricFilters": [request]}), encoding="utf-8")
    loaded = cwfilter.load_config([config])
    assert loaded.metric_filters[0].filter_pattern == json_pattern.text

    assert not F.all_terms("ERROR").supports_dimensions and json_pattern.supports_dimensions
    with pytest.raises(FilterPatternError, match="The specified filter pattern does not support dimensions"):
        F.any_term("ERROR", "WARN").metric_filter(filter_name="f", metric_name="m", metric_namespace="n",
                                                  dimensions={"a": "b"})
    with pytest.raises(FilterPatternError, match="dimensions and default value are mutually exclusive"):
        json_pattern.metric_filter(filter_name="f", metric_name="m", metric_namespace="n", default_value=0,
                                   dimensions={"Level": "$.level"})


def test_explain_through_the_builder():
    pattern = F.string_value("$.level", "=", "ERROR")
    assert pattern.explain('{"level": "WARN"}').reason == '$.level is "WARN", which is not equal to "ERROR"'
    assert pattern.kind == "json" and F.literal("%x%").kind == "regex"
