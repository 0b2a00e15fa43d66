"""Tests of the reference interpreter `cwfilter.engine.matching.interpret`.

The syntax trees are built by hand from `cwfilter.grammar.nodes` (never by the parser), so these
tests check the interpreter alone: first against a sample of the conformance cases, then against
edge cases of DECISIONS P1-P4, P8-P10, P12-P14, P17, P18, P20, P21 and M7, with expectations
written by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cwfilter.engine.events import LogEvent
from cwfilter.engine.matching.interpret import interpret, interpret_extract
from cwfilter.grammar import nodes as n

DATA = Path(__file__).parent / "data"

# --------------------------------------------------------------------------- builders


def terms(*items: str) -> n.TermPattern:
    """`"?ERROR"` optional, `"-X"` exclude, `'"a b"'` quoted (no operator inside the quotes)."""
    out = []
    for item in items:
        kind = "include"
        if item[:1] == "?":
            kind, item = "optional", item[1:]
        elif item[:1] == "-":
            kind, item = "exclude", item[1:]
        quoted = item[:1] == '"'
        out.append(n.Term(item[1:-1] if quoted else item, kind, quoted))
    return n.TermPattern(tuple(out))


def K(name: str, bracket: bool = False) -> n.Key:
    return n.Key(name, bracket)


def I(index: int) -> n.Index:  # noqa: E743
    return n.Index(index)


STAR = n.AnyMember()
ALL = n.AnyElement()


def sel(text: str, *steps: n.Step) -> n.Selector:
    return n.Selector(text, tuple(steps))


def lit(text: str) -> n.Literal:
    return n.Literal(text, quoted=False)


def q(text: str) -> n.Literal:
    return n.Literal(text, quoted=True)


def rx(source: str) -> n.Regex:
    return n.Regex(source)


def cmp(selector: n.Selector, op: str, value: n.Value) -> n.JsonCompare:
    return n.JsonCompare(selector, op, value)  # type: ignore[arg-type]


def is_(selector: n.Selector, what: str) -> n.JsonIs:
    return n.JsonIs(selector, what)  # type: ignore[arg-type]


def not_exists(selector: n.Selector) -> n.JsonNotExists:
    return n.JsonNotExists(selector)


def AND(*items: n.JsonExpr) -> n.JsonAnd:
    return n.JsonAnd(tuple(items))


def OR(*items: n.JsonExpr) -> n.JsonOr:
    return n.JsonOr(tuple(items))


def js(expr: n.JsonExpr) -> n.JsonPattern:
    return n.JsonPattern(expr)


def slot(name: str | None, condition: n.SlotExpr | None = None) -> n.Slot:
    return n.Slot(name, condition)


def sc(op: str, value: n.Value) -> n.SlotCompare:
    return n.SlotCompare(op, value)  # type: ignore[arg-type]


def sand(*items: n.SlotExpr) -> n.SlotAnd:
    return n.SlotAnd(tuple(items))


def sor(*items: n.SlotExpr) -> n.SlotOr:
    return n.SlotOr(tuple(items))


REST = n.Rest()


def sd(*slots: n.Slot | n.Rest) -> n.DelimitedPattern:
    return n.DelimitedPattern(tuple(slots))


def names(*slot_names: str) -> tuple[n.Slot, ...]:
    return tuple(slot(name) for name in slot_names)


def regex_pattern(source: str) -> n.RegexPattern:
    return n.RegexPattern(rx(source))


def run(pattern: n.Pattern, message: str) -> tuple[bool, dict[str, str] | None]:
    event = LogEvent(message)
    return interpret(pattern, event), interpret_extract(pattern, event)


# --------------------------------------------------------------------------- conformance sample

S_SOURCE = sel("$.sourceIPAddress", K("sourceIPAddress"))
S_SOME_STRING = sel("$.someString", K("someString"))
S_SOME_INT = sel("$.someInt", K("someInt"))
S_SOME_FLOAT = sel("$.someFloat", K("someFloat"))
S_SOME_OBJECT = sel("$.someObject", K("someObject"))
S_EVENT_TYPE = sel("$.eventType", K("eventType"))
S_FOO = sel("$.foo", K("foo"))
APACHE7 = ("ip", "id", "user", "timestamp", "request")

# Conformance case id -> the pattern's syntax tree, written by hand from the case's pattern text.
CONFORMANCE_TREES: dict[str, n.Pattern] = {
    # terms (P1, P2, P4, P17)
    "unstr-001": terms("ERROR"),
    "unstr-005": terms("ERROR", "ARGUMENTS"),
    "unstr-007": terms("ERROR", "ARGUMENTS"),
    "unstr-009": terms("?ERROR", "?ARGUMENTS"),
    "unstr-013": terms('"INTERNAL SERVER ERROR"'),
    "unstr-015": terms("ERROR", "-ARGUMENTS"),
    "unstr-016": terms("ERROR", "-ARGUMENTS"),
    "unstr-020": terms("?ERROR", "?ARGUMENTS", "REQUEST"),
    "unstr-023": terms('" "'),
    "unstr-026": terms(),
    "unstr-029": terms('"[ERROR]"'),
    "unstr-032": terms('"[ERROR]"'),
    "unstr-037": terms('"[ERROR]"', "Exception"),
    "unstr-039": terms("ERROR"),
    "unstr-044": terms("?Error", "?fatal"),
    "unstr-046": terms("ERROR"),
    "unstr-047": terms("ERROR", "-Exiting"),
    "unstr-049": terms('"ERROR"', '"Exception"'),
    "unstr-054": terms("Failed", "to", "process", "the", "request"),
    "unstr-069": terms("ERROR"),
    # standalone regexes (P6, P18)
    "regex-001": regex_pattern("AUTHORIZED"),
    "regex-005": regex_pattern("^[hc]at"),
    "regex-006": regex_pattern("[hc]at$"),
    "regex-022": regex_pattern("a{3,5}"),
    "regex-023": regex_pattern("gra|ey"),
    "regex-028": regex_pattern("^starting|^initializing|^shutting down"),
    "regex-031": regex_pattern("abcc|ab[^c]$"),
    "regex-036": regex_pattern(r"\[.\]"),
    "regex-040": regex_pattern("10.10.0.1"),
    "regex-059": regex_pattern(r"\D"),
    "regex-069": regex_pattern(r"\x28"),
    "regex-070": regex_pattern(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}"),
    # JSON (P8-P10, P12, P20)
    "json-002": js(cmp(S_SOURCE, "!=", lit("123.123.*"))),
    "json-003": js(cmp(sel("$.arrayKey[0]", K("arrayKey"), I(0)), "=", q("value"))),
    "json-004": js(cmp(sel("$.objectList[1].id", K("objectList"), I(1), K("id")), "=", lit("2"))),
    "json-005": js(is_(sel("$.SomeObject", K("SomeObject")), "NULL")),
    "json-006": js(not_exists(sel("$.SomeOtherObject", K("SomeOtherObject")))),
    "json-007": js(cmp(sel("$.['cluster.name']", K("cluster.name", bracket=True)), "=", q("c"))),
    "json-008": js(cmp(S_EVENT_TYPE, "=", rx("Trail"))),
    "json-011": js(is_(sel("$.ThisFlag", K("ThisFlag")), "TRUE")),
    "json-014": js(is_(S_EVENT_TYPE, "NULL")),
    "json-015": js(not_exists(S_EVENT_TYPE)),
    "json-017": js(cmp(sel("$.objectList[1].id", K("objectList"), I(1), K("id")), "=", lit("2"))),
    "json-018": js(cmp(sel("$.users", K("users")), "=", lit("1"))),
    "json-019": js(cmp(sel("$.users", K("users")), "!=", lit("1"))),
    "json-020": js(cmp(S_FOO, "=", lit("bar"))),
    "json-021": js(cmp(S_FOO, "=", lit("bar"))),
    "json-024": js(OR(cmp(S_FOO, "=", lit("bar")), cmp(S_FOO, "=", lit("baz")))),
    "json-028": js(
        AND(
            OR(
                cmp(sel("$.user.email", K("user"), K("email")), "=", q("John.Stiles@example.com")),
                cmp(sel("$.coordinates[0][1]", K("coordinates"), I(0), I(1)), "=", q("nonmatch")),
            ),
            cmp(sel("$.actions[2]", K("actions"), I(2)), "=", q("nonmatch")),
        )
    ),
    "json-029": js(
        OR(
            AND(
                cmp(sel("$.user.id", K("user"), K("id")), "=", lit("2")),
                cmp(sel("$.users[0].email", K("users"), I(0), K("email")), "=", q("nonmatch")),
            ),
            cmp(sel("$.actions[2]", K("actions"), I(2)), "=", q("GET")),
        )
    ),
    "json-030": js(AND(cmp(S_EVENT_TYPE, "=", q("*")), cmp(S_SOURCE, "!=", lit("123.123.*")))),
    "json-032": js(cmp(sel("$.eventName", K("eventName")), "=", lit("*Event"))),
    "json-036": js(cmp(sel("$.bandwidth", K("bandwidth")), ">", lit("75"))),
    "json-038": js(cmp(sel("$.refreshRate", K("refreshRate")), ">=", lit("60"))),
    "json-043": js(cmp(sel("$.errorCode", K("errorCode")), "!=", lit("500"))),
    "json-044": js(cmp(sel("$.number[0]", K("number"), I(0)), "=", lit("1e+3"))),
    "json-045": js(cmp(sel("$.number[0]", K("number"), I(0)), "!=", lit("1e-3"))),
    "json-048": js(cmp(sel("$.numbers[0]", K("numbers"), I(0)), "<", lit("10e-3"))),
    "json-051": js(cmp(S_EVENT_TYPE, "=", q("UpdateTrail"))),
    "emp-002": js(cmp(S_SOME_STRING, "!=", lit("111*111"))),
    "emp-004": js(cmp(sel("$.emptyString", K("emptyString")), "=", q("*"))),
    "emp-010": js(cmp(S_SOME_INT, "=", q("123"))),
    "emp-016": js(cmp(S_SOME_INT, "=", q("*123"))),
    "emp-024": js(cmp(S_SOME_INT, "!=", q("*1"))),
    "emp-034": js(cmp(S_SOME_FLOAT, "=", q("*2.34"))),
    "emp-039": js(cmp(S_SOME_FLOAT, "!=", q("4*1"))),
    "emp-053": js(cmp(S_SOME_STRING, "=", lit("*.111.111.111"))),
    "emp-055": js(cmp(S_SOME_STRING, "!=", lit("222"))),
    "emp-059": js(cmp(S_SOME_INT, "=", lit("123.0"))),
    "emp-072": js(cmp(S_SOME_INT, "!=", lit("*1"))),
    "emp-078": js(cmp(S_SOME_FLOAT, "=", lit("12.*"))),
    "emp-099": js(cmp(S_SOME_STRING, ">=", lit("123"))),
    "emp-103": js(cmp(S_SOME_STRING, "=", q("123"))),
    "emp-105": js(cmp(S_SOME_OBJECT, "!=", lit("123"))),
    "emp-110": js(cmp(S_SOME_OBJECT, "=", q("123"))),
    "emp-134": js(cmp(S_SOME_FLOAT, ">", lit("1.0"))),
    "emp-143": js(cmp(sel("$.objectList[1].number", K("objectList"), I(1), K("number")), "=", lit("2"))),
    "emp-146": js(
        OR(
            cmp(sel("$.user.email", K("user"), K("email")), "=", q("John.Stiles@example.com")),
            AND(
                cmp(sel("$.coordinates[0][1]", K("coordinates"), I(0), I(1)), "=", lit("nonmatch")),
                cmp(sel("$.actions[2]", K("actions"), I(2)), "=", lit("nomatch")),
            ),
        )
    ),
    "emp-148": js(
        AND(
            OR(
                cmp(sel("$.user.email", K("user"), K("email")), "=", q("John.Stiles@example.com")),
                cmp(sel("$.coordinates[0][1]", K("coordinates"), I(0), I(1)), "=", lit("nonmatch")),
            ),
            cmp(sel("$.actions[2]", K("actions"), I(2)), "=", lit("nomatch")),
        )
    ),
    "mv-001": js(cmp(sel("$.latency", K("latency")), "=", lit("*"))),
    # space-delimited (P9, P13)
    "sd-003": sd(
        REST,
        slot("request", sc("=", lit("*.html*"))),
        slot("status_code", sc("=", lit("4*"))),
        slot("bytes"),
    ),
    "sd-006": sd(
        *names("ip", "user", "username", "timestamp", "request"),
        slot("status_code", sc("=", lit("200"))),
        slot("bytes"),
    ),
    "sd-008": sd(
        *names("logLevel", "date", "time", "method"),
        slot("url", sc("=", rx("/service/resource/[0-9]+$"))),
        slot("response_time"),
    ),
    "sd-011": sd(
        *names("logLevel", "date", "time", "method"),
        slot("url", sc("=", rx("/service/resource/[0-9]+/part/[0-9]+$"))),
        slot("response_time"),
    ),
    "sd-012": sd(slot("w1", sc("=", lit("ERROR"))), slot("w2")),
    "sd-013": sd(slot("w1", sc("=", lit("ERROR"))), slot("w2")),
    "sd-015": sd(slot("w1", sor(sc("=", lit("ERROR")), sc("=", lit("WARN")))), slot("w2")),
    "sd-017": sd(slot("w1", sand(sc("!=", lit("ERROR")), sc("!=", lit("WARNING")))), slot("w2")),
    "sd-020": sd(slot("w1", sor(sc("=", lit("ERROR")), sc("=", lit("WARNING")))), slot("w2")),
    "sd-024": sd(*names("ip", "identity", "user_id", "timestamp", "request", "status_code", "size")),
    "sd-025": sd(REST, slot("size")),
    "sd-027": sd(REST, slot("status_code", sc("=", lit("200"))), slot("size")),
    "sd-032": sd(),
    "sd-033": sd(REST, slot("status_code", sc("=", lit("200"))), slot("size")),
    "sd-036": sd(
        REST,
        slot("request", sc("=", lit("*.html*"))),
        slot("status_code", sc("=", lit("4*"))),
        slot(None),
    ),
    "sd-038": sd(*names(*APACHE7), slot("status_code", sc("=", lit("404"))), slot("size")),
    "sd-041": sd(*names(*APACHE7), slot("status_code", sc("=", lit("4*"))), slot("size")),
    "sd-042": sd(*names(*APACHE7), slot("status_code", sc("=", lit("4*"))), slot("size")),
    "mv-002": sd(*names(*APACHE7), slot("status_code"), slot("size")),
    "mv-003": terms("Error"),
}


def _conformance() -> dict[str, dict]:
    with open(DATA / "conformance" / "filter-patterns.jsonl", encoding="utf-8") as fh:
        return {case["id"]: case for case in map(json.loads, fh)}


CONFORMANCE = _conformance()


def test_sample_is_large_and_covers_every_kind() -> None:
    assert len(CONFORMANCE_TREES) >= 30
    kinds = {case_id.split("-")[0] for case_id in CONFORMANCE_TREES}
    assert {"unstr", "regex", "json", "emp", "sd"} <= kinds
    matches = [CONFORMANCE[case_id]["match"] for case_id in CONFORMANCE_TREES]
    assert matches.count(True) >= 10 and matches.count(False) >= 10
    for case_id in CONFORMANCE_TREES:
        assert "error" not in CONFORMANCE[case_id], case_id


@pytest.mark.parametrize("case_id", sorted(CONFORMANCE_TREES))
def test_conformance_case(case_id: str) -> None:
    case = CONFORMANCE[case_id]
    matched, extracted = run(CONFORMANCE_TREES[case_id], case["event"])
    assert matched is case["match"]
    if not case["match"]:
        assert extracted is None
    elif isinstance(case["extracted"], dict):
        assert extracted == case["extracted"]


# --------------------------------------------------------------------------- terms

@pytest.mark.parametrize(
    ("pattern", "message", "expected"),
    [
        (terms("ERROR"), "ERRORCODE 1", True),                       # P1: substring
        (terms("ERROR"), "error", False),                            # P1: case-sensitive
        (terms("?a", "?b"), "xbx", True),                            # only `?` terms: any one
        (terms("?a", "?b"), "xyz", False),
        (terms("?a", "?b", "c"), "abx", False),                      # P2: `?` ignored, `c` needed
        (terms("?a", "?b", "c"), "zzc", True),
        (terms("?a", "-z"), "a", True),                              # P2: `-z` alone decides
        (terms("?a", "-z"), "q", True),
        (terms("?a", "-z"), "az", False),
        (terms("-DEBUG"), "INFO ok", True),                          # only an exclude term
        (terms("-DEBUG"), "DEBUG ok", False),
        (terms('" "', "ERROR"), "ERROR", True),                      # P17: `" " ERROR` is `ERROR`
        (terms('" "', "ERROR"), "WARN", False),
        (terms('"\t \r\n"'), "x", True),                             # P23 whitespace, all kinds
        (terms('" "'), "", True),                                    # P4: present in every event
        (terms('-" "'), "anything", False),                          # ... so excluding it fails
        (terms('"a b"'), "xa by", True),
        (terms('"a b"'), "a  b", False),
        (terms(), "", True),                                         # P4: no terms matches all
        (terms("ERROR", "ERROR"), "ERROR", True),
    ],
)
def test_terms(pattern: n.TermPattern, message: str, expected: bool) -> None:
    matched, extracted = run(pattern, message)
    assert matched is expected
    assert extracted == ({} if expected else None)


# --------------------------------------------------------------------------- regexes

@pytest.mark.parametrize(
    ("source", "message", "expected"),
    [
        ("a{,2}b", "xb", True),            # P18: {,n} means {0,n}
        ("^a{,2}b$", "aab", True),
        ("^a{,2}b$", "aaab", False),
        ("^a{,2}b$", "a{,2}b", False),     # ... not the literal text RE2 alone would see
        (r"^a\{,2}$", "a{,2}", True),      # an escaped brace is not a repetition
        (r"^a\{,2}$", "aa", False),
        ("^[{,2}]$", "{", True),           # inside a class `{,2}` are members, not a repetition
        ("^[{,2}]$", "0", False),
        ("^[]{,2}]$", "0", False),         # `]` first in a class is a member
        ("^[]{,2}]$", "]", True),
        ("^[[:alpha:]{,2}]+$", "ab{,", True),
        ("^[[:alpha:]{,2}]+$", "0", False),
        ("^x[^]]{,1}y$", "xy", True),
        ("abc$", "abc\n", False),          # P18: `$` only at the very end (RE2, not Python re)
        ("abc$", "abc", True),
        ("b", "abc", True),                # P6: search, not full match
        ("^b", "abc", False),
        ("[0-9]{3}", "ab\ud800 123", True),  # a lone surrogate in the text does not break RE2
        ("x", "", False),
    ],
)
def test_regex_patterns(source: str, message: str, expected: bool) -> None:
    matched, extracted = run(regex_pattern(source), message)
    assert matched is expected
    assert extracted == ({} if expected else None)


def test_regex_that_does_not_compile() -> None:
    with pytest.raises(ValueError):
        interpret(regex_pattern("a(b"), LogEvent("ab"))


# --------------------------------------------------------------------------- JSON

A = sel("$.a", K("a"))
B = sel("$.b", K("b"))

JSON_CASES = [
    # (id, pattern, message, matches)
    # P9: unquoted number vs JSON number: IEEE doubles, all six operators
    ("num-eq-int-float", js(cmp(A, "=", lit("123"))), '{"a": 123.0}', True),
    ("num-eq-float-int", js(cmp(A, "=", lit("12.0"))), '{"a": 12}', True),
    ("num-eq-exp", js(cmp(A, "=", lit("1e3"))), '{"a": 1000}', True),
    ("num-eq-plus", js(cmp(A, "=", lit("+5"))), '{"a": 5}', True),
    ("num-ne-equal", js(cmp(A, "!=", lit("5"))), '{"a": 5.0}', False),
    ("num-lt", js(cmp(A, "<", lit("5"))), '{"a": 4.999}', True),
    ("num-le-equal", js(cmp(A, "<=", lit("5"))), '{"a": 5}', True),
    ("num-gt-false", js(cmp(A, ">", lit("5"))), '{"a": 5}', False),
    ("num-ge-negative", js(cmp(A, ">=", lit("-1.5e0"))), '{"a": -1.5}', True),
    ("num-doubles", js(cmp(A, "=", lit("9007199254740993"))), '{"a": 9007199254740992}', True),
    ("num-big-int", js(cmp(A, ">", lit("1e19"))), '{"a": 18446744073709551616}', True),
    # P9: unquoted number vs string / boolean: never equal, numeric operators false
    ("num-vs-numeric-string-eq", js(cmp(A, "=", lit("123"))), '{"a": "123"}', False),
    ("num-vs-numeric-string-ne", js(cmp(A, "!=", lit("123"))), '{"a": "123"}', True),
    ("num-vs-string-gt", js(cmp(A, ">", lit("1"))), '{"a": "5"}', False),
    ("num-vs-string-lt", js(cmp(A, "<", lit("9"))), '{"a": "5"}', False),
    ("num-vs-true-eq", js(cmp(A, "=", lit("1"))), '{"a": true}', False),
    ("num-vs-true-ne", js(cmp(A, "!=", lit("1"))), '{"a": true}', True),
    ("num-vs-true-gt", js(cmp(A, ">", lit("0"))), '{"a": true}', False),
    # P9: quoted literal vs number: text against the canonical text
    ("quoted-int", js(cmp(A, "=", q("123"))), '{"a": 123}', True),
    ("quoted-int-ne-float-text", js(cmp(A, "!=", q("123.0"))), '{"a": 123}', True),
    ("quoted-float-12.0", js(cmp(A, "=", q("12.0"))), '{"a": 12.0}', True),
    ("quoted-float-ne-12", js(cmp(A, "!=", q("12"))), '{"a": 12.0}', True),
    ("quoted-1e3", js(cmp(A, "=", q("1000.0"))), '{"a": 1e3}', True),
    ("quoted-1e3-as-written", js(cmp(A, "=", q("1e3"))), '{"a": 1e3}', False),
    ("quoted-1.50", js(cmp(A, "=", q("1.5"))), '{"a": 1.50}', True),
    ("quoted-1e7", js(cmp(A, "=", q("1.0E7"))), '{"a": 10000000.0}', True),
    ("quoted-minus-zero-int", js(cmp(A, "=", q("0"))), '{"a": -0}', True),
    ("quoted-minus-zero-float", js(cmp(A, "=", q("-0.0"))), '{"a": -0.0}', True),
    ("quoted-underflow", js(cmp(A, "=", q("0.0"))), '{"a": 1e-400}', True),
    ("unquoted-text-vs-number", js(cmp(A, "=", lit("abc"))), '{"a": 123}', False),
    ("unquoted-text-vs-number-ne", js(cmp(A, "!=", lit("abc"))), '{"a": 123}', True),
    ("unquoted-text-vs-string", js(cmp(A, "=", lit("abc"))), '{"a": "abc"}', True),
    ("quoted-number-vs-string", js(cmp(A, "=", q("123"))), '{"a": "123"}', True),
    ("quoted-number-vs-other-string", js(cmp(A, "=", q("123"))), '{"a": "123.0"}', False),
    # P8/P9: wildcards on the text of strings, numbers and booleans
    ("wild-number-text", js(cmp(A, "=", lit("1000*"))), '{"a": 1e3}', True),
    ("wild-number-exponent", js(cmp(A, "=", lit("*E7"))), '{"a": 1e7}', True),
    ("wild-bool", js(cmp(A, "=", lit("tr*"))), '{"a": true}', True),
    ("wild-star-empty", js(cmp(A, "=", lit("*"))), '{"a": ""}', True),
    ("wild-star-null", js(cmp(A, "=", lit("*"))), '{"a": null}', False),
    ("wild-star-missing", js(cmp(A, "=", lit("*"))), '{"b": 1}', False),
    ("wild-star-object", js(cmp(A, "=", lit("*"))), '{"a": {}}', False),
    ("wild-ne", js(cmp(A, "!=", lit("x*"))), '{"a": "yx"}', True),
    ("wild-ne-null", js(cmp(A, "!=", lit("x*"))), '{"a": null}', False),
    ("wild-no-backtrack", js(cmp(A, "=", lit("a*c"))), '{"a": "abcbc"}', False),
    # P9/P10: regexes on the text of numbers and booleans
    ("regex-number", js(cmp(A, "=", rx(r"^1\.0E7$"))), '{"a": 1e7}', True),
    ("regex-int", js(cmp(A, "=", rx("^12$"))), '{"a": 12}', True),
    ("regex-bool", js(cmp(A, "=", rx("^tru"))), '{"a": true}', True),
    ("regex-ne", js(cmp(A, "!=", rx("^tru"))), '{"a": false}', True),
    ("regex-null", js(cmp(A, "=", rx(".*"))), '{"a": null}', False),
    ("regex-null-ne", js(cmp(A, "!=", rx("x"))), '{"a": null}', False),
    ("regex-object", js(cmp(A, "=", rx(".*"))), '{"a": {"b": 1}}', False),
    ("regex-missing-ne", js(cmp(A, "!=", rx("x"))), '{}', False),
    # P10: booleans by their JSON text
    ("bool-eq-unquoted", js(cmp(A, "=", lit("true"))), '{"a": true}', True),
    ("bool-eq-quoted", js(cmp(A, "=", q("true"))), '{"a": true}', True),
    ("bool-ne-false", js(cmp(A, "!=", lit("false"))), '{"a": true}', True),
    ("bool-eq-false", js(cmp(A, "=", lit("false"))), '{"a": true}', False),
    ("bool-eq-TRUE", js(cmp(A, "=", lit("TRUE"))), '{"a": true}', False),
    ("string-true-eq", js(cmp(A, "=", lit("true"))), '{"a": "true"}', True),
    ("is-true", js(is_(A, "TRUE")), '{"a": true}', True),
    ("is-true-on-false", js(is_(A, "TRUE")), '{"a": false}', False),
    ("is-false", js(is_(A, "FALSE")), '{"a": false}', True),
    ("is-true-on-string", js(is_(A, "TRUE")), '{"a": "true"}', False),
    ("is-true-on-1", js(is_(A, "TRUE")), '{"a": 1}', False),
    ("is-false-on-null", js(is_(A, "FALSE")), '{"a": null}', False),
    # P10: null satisfies only IS NULL
    ("null-is-null", js(is_(A, "NULL")), '{"a": null}', True),
    ("null-eq-null", js(cmp(A, "=", lit("null"))), '{"a": null}', False),
    ("null-eq-quoted-null", js(cmp(A, "=", q("null"))), '{"a": null}', False),
    ("null-ne", js(cmp(A, "!=", q("x"))), '{"a": null}', False),
    ("null-gt", js(cmp(A, ">", lit("0"))), '{"a": null}', False),
    ("null-not-exists", js(not_exists(A)), '{"a": null}', False),
    ("string-null-is-null", js(is_(A, "NULL")), '{"a": "null"}', False),
    # P10: missing fields
    ("missing-eq", js(cmp(A, "=", lit("1"))), '{"b": 1}', False),
    ("missing-ne", js(cmp(A, "!=", lit("1"))), '{"b": 1}', False),
    ("missing-ne-quoted", js(cmp(A, "!=", q("x"))), '{"b": 1}', False),
    ("missing-lt", js(cmp(A, "<", lit("1"))), '{"b": 1}', False),
    ("missing-is-null", js(is_(A, "NULL")), '{"b": 1}', False),
    ("missing-is-true", js(is_(A, "TRUE")), '{"b": 1}', False),
    ("missing-not-exists", js(not_exists(A)), '{"b": 1}', True),
    ("missing-deep-not-exists", js(not_exists(sel("$.a.b.c", K("a"), K("b"), K("c")))),
     '{"a": {"b": 1}}', True),
    ("index-on-bool", js(cmp(sel("$.a[0]", K("a"), I(0)), "=", lit("true"))), '{"a": true}', False),
    ("index-out-of-range", js(not_exists(sel("$.a[3]", K("a"), I(3)))), '{"a": [1, 2, 3]}', True),
    ("key-on-list", js(not_exists(sel("$.a.b", K("a"), K("b")))), '{"a": [{"b": 1}]}', True),
    # P10: an object or an array never matches, whatever the operator
    ("array-eq", js(cmp(A, "=", lit("1"))), '{"a": [1]}', False),
    ("array-ne", js(cmp(A, "!=", lit("1"))), '{"a": [1]}', False),
    ("object-ne-quoted", js(cmp(A, "!=", q("x"))), '{"a": {}}', False),
    ("empty-array-lt", js(cmp(A, "<", lit("1"))), '{"a": []}', False),
    ("object-is-null", js(is_(A, "NULL")), '{"a": {}}', False),
    ("object-not-exists", js(not_exists(A)), '{"a": {}}', False),
    # P20: wildcard selectors: some reached value satisfies the condition
    ("any-elem-eq", js(cmp(sel("$.a[*]", K("a"), ALL), "=", lit("2"))), '{"a": [1, 2, 3]}', True),
    ("any-elem-eq-none", js(cmp(sel("$.a[*]", K("a"), ALL), "=", lit("4"))), '{"a": [1, 2, 3]}', False),
    ("any-elem-ne-all-same", js(cmp(sel("$.a[*]", K("a"), ALL), "!=", lit("1"))), '{"a": [1, 1]}', False),
    ("any-elem-ne-some-differ", js(cmp(sel("$.a[*]", K("a"), ALL), "!=", lit("1"))), '{"a": [1, 2]}', True),
    ("any-elem-empty-not-exists", js(not_exists(sel("$.a[*]", K("a"), ALL))), '{"a": []}', True),
    ("any-elem-not-exists", js(not_exists(sel("$.a[*]", K("a"), ALL))), '{"a": [null]}', False),
    ("any-elem-skips-objects", js(cmp(sel("$.a[*]", K("a"), ALL), "=", lit("*"))), '{"a": [{}, []]}', False),
    ("any-elem-is-null", js(is_(sel("$.a[*]", K("a"), ALL), "NULL")), '{"a": [1, null]}', True),
    ("any-elem-on-object", js(not_exists(sel("$.a[*]", K("a"), ALL))), '{"a": {"x": 1}}', True),
    ("any-elem-then-key", js(cmp(sel("$.a[*].id", K("a"), ALL, K("id")), "=", lit("2"))),
     '{"a": [{"id": 1}, {"id": 2}]}', True),
    ("any-elem-regex", js(cmp(sel("$.a[*]", K("a"), ALL), "=", rx("val.{2}"))),
     '{"a": ["x", "value"]}', True),
    ("any-member-top", js(cmp(sel("$.*", STAR), "=", rx(r"111\.111\.111\.1[0-9]{1,2}"))),
     '{"ip": "111.111.111.111"}', True),
    ("any-member-one-level", js(cmp(sel("$.*", STAR), "=", lit("x"))), '{"a": {"b": "x"}}', False),
    ("any-member-nested", js(cmp(sel("$.a.*", K("a"), STAR), "=", lit("x"))), '{"a": {"b": "x"}}', True),
    ("any-member-on-list", js(not_exists(sel("$.a.*", K("a"), STAR))), '{"a": ["x"]}', True),
    ("any-member-empty", js(not_exists(sel("$.*", STAR))), "{}", True),
    ("any-member-ne", js(cmp(sel("$.*", STAR), "!=", lit("1"))), '{"a": 1, "b": 2}', True),
    ("any-member-gt", js(cmp(sel("$.*", STAR), ">", lit("1"))), '{"a": 1, "b": "9"}', False),
    ("index-then-any", js(cmp(sel("$.a[1][*]", K("a"), I(1), ALL), "=", lit("5"))),
     '{"a": [[5], [4, 5]]}', True),
    # keys: bracket keys with any character, empty key, duplicate keys (P21, P23)
    ("bracket-dot-key", js(cmp(sel("$.['a.b']", K("a.b", True)), "=", lit("1"))),
     '{"a.b": 1, "a": {"b": 2}}', True),
    ("empty-key", js(cmp(sel("$.['']", K("", True)), "=", lit("1"))), '{"": 1}', True),
    ("duplicate-last-wins", js(cmp(A, "=", lit("2"))), '{"a": 1, "a": 2}', True),
    ("surrogate-replaced", js(cmp(A, "=", q("x\ufffd"))), '{"a": "x\\ud800"}', True),
    # P12/P21: non-JSON events never match
    ("not-json-text", js(not_exists(A)), "ERROR no json here", False),
    ("not-json-array", js(not_exists(A)), "[1, 2]", False),
    ("not-json-lambda-prefix", js(not_exists(A)), 'INFO {"b": 1}', False),
    ("not-json-nan", js(not_exists(A)), '{"b": NaN}', False),
    ("not-json-overflow", js(not_exists(A)), '{"b": 1e400}', False),
    ("json-with-newlines", js(cmp(A, "=", lit("1"))), '\n  {"a": 1}\n', True),
    # && / ||
    ("and-both", js(AND(cmp(A, "=", lit("1")), cmp(B, "=", lit("2")))), '{"a": 1, "b": 2}', True),
    ("and-one", js(AND(cmp(A, "=", lit("1")), cmp(B, "=", lit("3")))), '{"a": 1, "b": 2}', False),
    ("or-second", js(OR(cmp(A, "=", lit("9")), cmp(B, "=", lit("2")))), '{"a": 1, "b": 2}', True),
    ("or-neither", js(OR(cmp(A, "=", lit("9")), cmp(B, "=", lit("9")))), '{"a": 1, "b": 2}', False),
]


@pytest.mark.parametrize(
    ("pattern", "message", "expected"), [c[1:] for c in JSON_CASES], ids=[c[0] for c in JSON_CASES]
)
def test_json(pattern: n.JsonPattern, message: str, expected: bool) -> None:
    matched, extracted = run(pattern, message)
    assert matched is expected
    assert (extracted is not None) is expected


# M7: extractedValues of JSON patterns
EXTRACT_CASES = [
    # (id, pattern, message, extractedValues)
    ("simple", js(cmp(A, "=", lit("1"))), '{"a": 1, "b": 2}', {"$.a": "1"}),
    ("losing-or-branch", js(OR(cmp(A, "=", lit("1")), cmp(B, "=", lit("9")))),
     '{"a": 1, "b": "x"}', {"$.a": "1", "$.b": "x"}),
    ("not-exists-missing", js(AND(cmp(A, "=", lit("1")), not_exists(B))), '{"a": 1}', {"$.a": "1"}),
    ("not-exists-present-in-or", js(OR(cmp(A, "=", lit("1")), not_exists(B))),
     '{"a": 1, "b": true}', {"$.a": "1", "$.b": "true"}),
    ("null-value", js(is_(A, "NULL")), '{"a": null}', {"$.a": "null"}),
    ("false-value", js(is_(A, "FALSE")), '{"a": false}', {"$.a": "false"}),
    ("float-canonical", js(cmp(A, "=", lit("1e3"))), '{"a": 1e3}', {"$.a": "1000.0"}),
    ("float-sci", js(cmp(A, ">", lit("0"))), '{"a": 12345678.9}', {"$.a": "1.23456789E7"}),
    ("big-int", js(cmp(A, ">", lit("0"))), '{"a": 18446744073709551616}', {"$.a": "18446744073709551616"}),
    ("string-decoded", js(cmp(A, "=", lit("*"))), '{"a": "q\\"\\u00e9"}', {"$.a": 'q"\u00e9'}),
    ("object-not-reported", js(AND(cmp(B, "=", lit("2")), is_(sel("$.c", K("c")), "NULL"))),
     '{"b": 2, "c": null, "d": {}}', {"$.b": "2", "$.c": "null"}),
    ("object-reached-not-reported", js(OR(cmp(B, "=", lit("2")), not_exists(sel("$.d", K("d"))))),
     '{"b": 2, "d": {}}', {"$.b": "2"}),
    ("array-not-reported", js(OR(cmp(B, "=", lit("2")), cmp(A, "=", lit("1")))),
     '{"a": [1], "b": 2}', {"$.b": "2"}),
    ("wildcard-not-reported",
     js(AND(cmp(sel("$.a[*]", K("a"), ALL), "=", lit("1")), cmp(B, "=", lit("2")))),
     '{"a": [1], "b": 2}', {"$.b": "2"}),
    ("member-wildcard-not-reported", js(cmp(sel("$.*", STAR), "=", lit("1"))), '{"a": 1}', {}),
    ("nested-and-index", js(cmp(sel("$.a.b[1]", K("a"), K("b"), I(1)), "=", q("y"))),
     '{"a": {"b": ["x", "y"]}}', {"$.a.b[1]": "y"}),
    ("bracket-key-as-written", js(cmp(sel("$.['x.y']", K("x.y", True)), "=", lit("1"))),
     '{"x.y": 1}', {"$.['x.y']": "1"}),
    ("same-field-two-spellings",
     js(AND(cmp(A, "=", lit("1")), cmp(sel("$.['a']", K("a", True)), "=", lit("1")))),
     '{"a": 1}', {"$.a": "1", "$.['a']": "1"}),
    ("repeated-selector", js(OR(cmp(A, "=", lit("1")), cmp(A, "=", lit("2")))), '{"a": 2}', {"$.a": "2"}),
]


@pytest.mark.parametrize(
    ("pattern", "message", "expected"), [c[1:] for c in EXTRACT_CASES], ids=[c[0] for c in EXTRACT_CASES]
)
def test_json_extracted_values(pattern: n.JsonPattern, message: str, expected: dict) -> None:
    matched, extracted = run(pattern, message)
    assert matched
    assert extracted == expected


def test_json_does_not_extract_when_not_matching() -> None:
    assert interpret_extract(js(cmp(A, "=", lit("2"))), LogEvent('{"a": 1}')) is None


# --------------------------------------------------------------------------- space-delimited

APACHE = '127.0.0.1 - frank [10/Oct/2000:13:50:35 -0700] "GET /apache_pb.gif HTTP/1.0" 200 4355'
APACHE_DASH_BYTES = '127.0.0.1 - - [10/Oct/2000:13:50:35 -0700] "GET /x HTTP/1.0" 304 -'
A_OR_B_NOT_BX = sor(sc("=", lit("A")), sand(sc("=", lit("B*")), sc("!=", lit("BX"))))

SD_CASES = [
    # (id, pattern, message, extractedValues or None when no match)
    ("exact-count", sd(*names("a", "b")), "x y", {"$a": "x", "$b": "y"}),
    ("too-many-fields", sd(*names("a", "b")), "x y z", None),          # P13: no `...`: exact count
    ("too-few-fields", sd(*names("a", "b")), "x", None),
    ("rest-first", sd(REST, slot("last")), "a b c", {"$1": "a", "$2": "b", "$last": "c"}),
    ("rest-last", sd(slot("first"), REST), "a b c", {"$first": "a", "$2": "b", "$3": "c"}),
    ("rest-middle", sd(slot("x"), REST, slot("z")), "a b c d", {"$x": "a", "$2": "b", "$3": "c", "$z": "d"}),
    ("rest-empty", sd(slot("x"), REST, slot("z")), "a d", {"$x": "a", "$z": "d"}),
    ("rest-too-few", sd(slot("x"), REST, slot("z")), "a", None),
    ("rest-alone", sd(REST), "a b", {"$1": "a", "$2": "b"}),
    ("rest-alone-empty-event", sd(REST), "", {}),
    ("empty-pattern", sd(), "  a  [b c] ", {"$1": "a", "$2": "b c"}),   # P13: `[]` is `[...]`
    ("empty-pattern-empty-event", sd(), "", {}),
    ("trailing-unnamed", sd(slot("a"), slot(None)), "x y", {"$a": "x", "$2": "y"}),
    ("rest-and-trailing-unnamed", sd(REST, slot("s", sc("=", lit("4*"))), slot(None)),
     "a b 404 9", {"$1": "a", "$2": "b", "$s": "404", "$4": "9"}),
    ("repeated-name-later-wins", sd(slot("w"), slot("w")), "x y", {"$w": "y"}),
    ("names-case-sensitive", sd(slot("w"), slot("W")), "x y", {"$w": "x", "$W": "y"}),
    # P9 in fields: numbers, text, wildcards, regexes
    ("num-eq", sd(slot("s", sc("=", lit("404")))), "404", {"$s": "404"}),
    ("num-eq-float-text", sd(slot("s", sc("=", lit("404")))), "404.0", {"$s": "404.0"}),
    ("num-eq-exp-text", sd(slot("s", sc("=", lit("1e3")))), "1000", {"$s": "1000"}),
    ("num-gt", sd(slot("b", sc(">", lit("1000")))), "1534", {"$b": "1534"}),
    ("num-gt-false", sd(slot("b", sc(">", lit("1000")))), "999", None),
    ("num-gt-dash", sd(slot("b", sc(">", lit("1000")))), "-", None),        # Apache's `-` bytes
    ("num-eq-dash", sd(slot("b", sc("=", lit("0")))), "-", None),
    ("num-ne-dash", sd(slot("b", sc("!=", lit("0")))), "-", {"$b": "-"}),
    ("num-lt-text", sd(slot("b", sc("<", lit("5")))), "abc", None),
    ("num-vs-hex-text", sd(slot("b", sc("=", lit("16")))), "0x10", None),    # P9: 0x10 is text
    ("num-vs-dot-five", sd(slot("b", sc("=", lit("0.5")))), ".5", None),
    ("num-vs-plus", sd(slot("b", sc("=", lit("5")))), "+5", {"$b": "+5"}),
    ("quoted-text-eq", sd(slot("s", sc("=", q("404")))), "404", {"$s": "404"}),
    ("quoted-text-vs-float-text", sd(slot("s", sc("=", q("404")))), "404.0", None),  # text, not number
    ("quoted-ne", sd(slot("s", sc("!=", q("404")))), "404.0", {"$s": "404.0"}),
    ("text-eq", sd(slot("w", sc("=", lit("ERROR")))), "ERROR", {"$w": "ERROR"}),
    ("text-eq-substring", sd(slot("w", sc("=", lit("ERROR")))), "ERRORS", None),
    ("quoted-wildcard", sd(slot("s", sc("=", q("4*")))), "404", {"$s": "404"}),  # P8: quoted or not
    ("wildcard-no-backtrack", sd(slot("s", sc("=", lit("a*c")))), "abcbc", None),
    ("wildcard-ne", sd(slot("s", sc("!=", lit("4*")))), "200", {"$s": "200"}),
    ("regex-in-field", sd(slot("u", sc("=", rx("^/a/[0-9]+$")))), "/a/12", {"$u": "/a/12"}),
    ("regex-ne-in-field", sd(slot("u", sc("!=", rx("WARN")))), "WARNING", None),
    ("regex-dollar-end", sd(slot("u", sc("=", rx("b$")))), '"a\nb\n"', None),   # `$` only at the end
    ("slot-or", sd(slot("w", sor(sc("=", lit("A")), sc("=", lit("B"))))), "B", {"$w": "B"}),
    ("slot-and", sd(slot("n", sand(sc(">", lit("1")), sc("<", lit("3"))))), "2", {"$n": "2"}),
    ("slot-and-false", sd(slot("n", sand(sc(">", lit("1")), sc("<", lit("3"))))), "3", None),
    # `w = A || w = B* && w != BX` reads as `A || (B* && != BX)` (P13: && binds tighter)
    ("and-binds-tighter", sd(slot("w", A_OR_B_NOT_BX)), "BX", None),
    ("and-binds-tighter-2", sd(slot("w", A_OR_B_NOT_BX)), "BY", {"$w": "BY"}),
    ("and-binds-tighter-3", sd(slot("w", A_OR_B_NOT_BX)), "A", {"$w": "A"}),
    # whole lines
    ("apache-7", sd(*names("ip", "identity", "user", "ts", "request", "status", "size")), APACHE,
     {"$ip": "127.0.0.1", "$identity": "-", "$user": "frank", "$ts": "10/Oct/2000:13:50:35 -0700",
      "$request": "GET /apache_pb.gif HTTP/1.0", "$status": "200", "$size": "4355"}),
    ("apache-dash-bytes", sd(REST, slot("size", sc(">", lit("0")))), APACHE_DASH_BYTES, None),
    ("apache-dash-bytes-ne",
     sd(REST, slot("status", sc("=", lit("304"))), slot("size", sc("!=", lit("0")))),
     APACHE_DASH_BYTES,
     {"$1": "127.0.0.1", "$2": "-", "$3": "-", "$4": "10/Oct/2000:13:50:35 -0700", "$5": "GET /x HTTP/1.0",
      "$status": "304", "$size": "-"}),
    ("tabs", sd(*names("a", "b", "c")), "START\tid\t1\t", {"$a": "START", "$b": "id", "$c": "1"}),
]


@pytest.mark.parametrize(
    ("pattern", "message", "expected"), [c[1:] for c in SD_CASES], ids=[c[0] for c in SD_CASES]
)
def test_space_delimited(pattern: n.DelimitedPattern, message: str, expected: dict | None) -> None:
    matched, extracted = run(pattern, message)
    assert matched is (expected is not None)
    assert extracted == expected


def test_two_ellipses_are_malformed() -> None:
    with pytest.raises(ValueError):
        interpret(sd(REST, slot("a"), REST), LogEvent("x y z"))


def test_not_a_pattern() -> None:
    with pytest.raises(TypeError):
        interpret(n.Term("x"), LogEvent("x"))  # type: ignore[arg-type]


def test_event_is_decoded_once_for_many_patterns() -> None:
    """Interpreting several patterns reuses the event's cached JSON and fields."""
    event = LogEvent('{"a": 1}')
    assert interpret(js(cmp(A, "=", lit("1"))), event)
    doc = event.json
    assert interpret(js(not_exists(B)), event)
    assert event.json is doc
    assert interpret(sd(), event)
    fields = event.fields
    assert interpret(sd(slot("x"), slot("y")), event)  # fields: `{"a":` and `1}`
    assert event.fields is fields
