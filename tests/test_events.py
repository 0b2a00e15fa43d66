"""Tests of the per-event primitives in `cwfilter.engine.events`.

Each DECISIONS rule that the primitives implement has at least one row below: JSON decoding
(P9, P12, P21, P23), canonical number text (P9, A6), field splitting (P13) and the wildcard
algorithm (P8). Expected values are written by hand or computed with plain Python.
"""

from __future__ import annotations

import json
import math
import re
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import orjson
import pytest
from cwfilter.engine import events
from cwfilter.engine.events import (
    MISSING,
    NOT_JSON,
    LogEvent,
    compile_wildcard,
    decode_json,
    number_text,
    scalar_text,
    split_fields,
)
from hypothesis import assume, given, settings
from hypothesis import strategies as st

DATA = Path(__file__).parent / "data"


def same(got: Any, want: Any) -> bool:
    """Deep equality that also compares types (1 vs 1.0 vs True) and the sign of zero."""
    if type(got) is not type(want):
        return False
    if isinstance(want, dict):
        return list(got) == list(want) and all(same(got[k], want[k]) for k in want)
    if isinstance(want, list):
        return len(got) == len(want) and all(same(g, w) for g, w in zip(got, want))
    if isinstance(want, float):
        return got == want and math.copysign(1.0, got) == math.copysign(1.0, want)
    return got == want


def nested(depth: int, leaf: str = "1") -> str:
    """`depth` nested objects around `leaf`: {"a":{"a":...leaf...}}."""
    return '{"a":' * depth + leaf + "}" * depth


def depth_of(doc: Any) -> int:
    depth = 0
    while isinstance(doc, dict):
        doc = doc["a"]
        depth += 1
    return depth


# --------------------------------------------------------------------------- decode_json

DECODE_CASES = [
    # (id, message, expected)
    ("plain", '{"a":1}', {"a": 1}),
    ("empty-object", "{}", {}),
    # DECISIONS P21: leading and trailing whitespace or newlines
    ("leading-trailing-ws", ' \t\r\n{"a":1}\n\n \t', {"a": 1}),
    ("pretty-printed", '\n{\n    "a": [\n        1,\n        2\n    ]\n}\n    ', {"a": [1, 2]}),
    # DECISIONS P12: the top level must be an object
    ("empty-message", "", NOT_JSON),
    ("only-whitespace", "  \n ", NOT_JSON),
    ("text", "ERROR disk full", NOT_JSON),
    ("top-array", "[1, 2]", NOT_JSON),
    ("top-string", '"s"', NOT_JSON),
    ("top-number", "12", NOT_JSON),
    ("top-true", "true", NOT_JSON),
    ("top-null", "null", NOT_JSON),
    ("lambda-prefix", '2024-01-01T00:00:00Z\tabc\tINFO\t{"a":1}', NOT_JSON),
    ("trailing-text", '{"a":1} trailing', NOT_JSON),
    ("two-objects", '{"a":1}{"b":2}', NOT_JSON),
    ("two-objects-braces", '{"a":1} {"b":2}', NOT_JSON),
    # DECISIONS P21: NaN and Infinity make the event non-JSON
    ("nan", '{"a":NaN}', NOT_JSON),
    ("infinity", '{"a":Infinity}', NOT_JSON),
    ("minus-infinity", '{"a":-Infinity}', NOT_JSON),
    # DECISIONS P21: with duplicate keys the last one wins
    ("duplicate-keys", '{"a":1,"a":2}', {"a": 2}),
    ("duplicate-nested", '{"o":{"k":"x","k":"y"},"o2":1}', {"o": {"k": "y"}, "o2": 1}),
    ("duplicate-object-then-scalar", '{"a":{"b":1},"a":3}', {"a": 3}),
    # DECISIONS P9: integer tokens are int, every other number token is float
    ("int", '{"a":10}', {"a": 10}),
    ("negative-int", '{"a":-7}', {"a": -7}),
    ("minus-zero-int", '{"a":-0}', {"a": 0}),
    ("minus-zero-float", '{"a":-0.0}', {"a": -0.0}),
    ("float-with-fraction", '{"a":1.0}', {"a": 1.0}),
    ("float-exponent", '{"a":1e2}', {"a": 100.0}),
    ("float-exponent-upper-plus", '{"a":1E+2}', {"a": 100.0}),
    ("float-exponent-negative", '{"a":25e-1}', {"a": 2.5}),
    ("int-u64-max", '{"a":18446744073709551615}', {"a": 2**64 - 1}),
    ("int-past-u64", '{"a":18446744073709551616}', {"a": 2**64}),
    ("int-i64-min", '{"a":-9223372036854775808}', {"a": -(2**63)}),
    ("int-past-i64-min", '{"a":-9223372036854775809}', {"a": -(2**63) - 1}),
    ("int-30-digits", '{"a":[1,123456789012345678901234567890]}', {"a": [1, 123456789012345678901234567890]}),
    ("int-1e308", '{"a":1' + "0" * 308 + "}", {"a": 10**308}),
    ("int-largest-finite", '{"a":' + str(2**1024 - 2**970 - 1) + "}", {"a": 2**1024 - 2**970 - 1}),
    # DECISIONS P9/P21: a token that overflows a double makes the event non-JSON
    ("int-rounds-to-infinity", '{"a":' + str(2**1024 - 2**970) + "}", NOT_JSON),
    ("int-1e309", '{"a":1' + "0" * 309 + "}", NOT_JSON),
    ("int-5000-digits", '{"a":' + "9" * 5000 + "}", NOT_JSON),
    ("float-1e400", '{"a":1e400}', NOT_JSON),
    ("float-minus-1e400", '{"a":-1e400}', NOT_JSON),
    ("float-just-past-max", '{"a":1.7976931348623159e308}', NOT_JSON),
    ("float-max", '{"a":1.7976931348623157e308}', {"a": sys.float_info.max}),
    # DECISIONS P9: underflow reads as 0.0 / -0.0
    ("underflow", '{"a":1e-400}', {"a": 0.0}),
    ("underflow-negative", '{"a":-1e-400}', {"a": -0.0}),
    ("subnormal", '{"a":5e-324}', {"a": 5e-324}),
    # booleans stay bool, null is None
    ("literals", '{"t":true,"f":false,"n":null}', {"t": True, "f": False, "n": None}),
    # DECISIONS P23: a lone surrogate in a decoded string (or key) becomes U+FFFD
    ("lone-high-surrogate", '{"a":"\\ud800"}', {"a": "\ufffd"}),
    ("lone-low-surrogate", '{"a":"x\\udc00y"}', {"a": "x\ufffdy"}),
    ("lone-surrogate-in-key", '{"\\udc00":1}', {"\ufffd": 1}),
    ("lone-surrogate-in-list", '{"a":["\\ud83d", "ok"]}', {"a": ["\ufffd", "ok"]}),
    ("reversed-pair", '{"a":"\\ude00\\ud83d"}', {"a": "\ufffd\ufffd"}),
    ("valid-pair", '{"a":"\\ud83d\\ude00"}', {"a": "\U0001F600"}),
    ("raw-lone-surrogate", '{"a":"\ud800"}', {"a": "\ufffd"}),
    ("raw-surrogate-key-and-big-int", '{"\udfff":18446744073709551616}', {"\ufffd": 2**64}),
    ("escapes", '{"a":"q\\"b\\\\s\\/n\\nu\\u00e9"}', {"a": 'q"b\\s/n\nu\u00e9'}),
    ("non-ascii", '{"clé":"värde ✓"}', {"clé": "värde ✓"}),
    # invalid JSON in an object's clothes
    ("trailing-comma", '{"a":1,}', NOT_JSON),
    ("single-quotes", "{'a':1}", NOT_JSON),
    ("bare-key", "{a:1}", NOT_JSON),
    ("leading-zero", '{"a":01}', NOT_JSON),
    ("leading-dot", '{"a":.5}', NOT_JSON),
    ("trailing-dot", '{"a":5.}', NOT_JSON),
    ("plus-sign", '{"a":+1}', NOT_JSON),
    ("hex", '{"a":0x10}', NOT_JSON),
    ("missing-value", '{"a"}', NOT_JSON),
    ("missing-colon", '{"a" 1}', NOT_JSON),
    ("unterminated-string", '{"a":"x}', NOT_JSON),
    ("raw-control-char", '{"a":"x\ty"}', NOT_JSON),
    ("bad-escape", '{"a":"\\x41"}', NOT_JSON),
    ("truncated-literal", '{"a":tru}', NOT_JSON),
    ("literal-with-suffix", '{"a":truex}', NOT_JSON),
    ("unclosed-array", '{"a":[1,2}', NOT_JSON),
    ("comment", '{"a":1 /* c */}', NOT_JSON),
    # Choice: only JSON's own whitespace may surround the body (not a BOM, not \v or \f).
    ("byte-order-mark", '\ufeff{"a":1}', NOT_JSON),
    ("vertical-tab", '\x0b{"a":1}', NOT_JSON),
    ("form-feed", '{"a":1}\x0c', NOT_JSON),
]


@pytest.mark.parametrize(
    ("message", "expected"), [c[1:] for c in DECODE_CASES], ids=[c[0] for c in DECODE_CASES]
)
def test_decode_json(message: str, expected: Any) -> None:
    got = decode_json(message)
    if expected is NOT_JSON:
        assert got is NOT_JSON
    else:
        assert same(got, expected), got


@pytest.mark.parametrize(
    ("message", "expected"), [c[1:] for c in DECODE_CASES], ids=[c[0] for c in DECODE_CASES]
)
def test_exact_decoder_agrees_on_every_case(message: str, expected: Any) -> None:
    """The slow path alone gives the same answers as `decode_json` (which mostly uses orjson)."""
    try:
        got = events._decode_exact(message)
    except (events._Invalid, ValueError):
        got = NOT_JSON
    if expected is NOT_JSON:
        assert got is NOT_JSON
    else:
        assert same(got, expected), got


@pytest.mark.parametrize(
    ("depth", "leaf", "decoded"),
    [
        (1024, "1", True),           # orjson's own limit: 1024 nested containers
        (1025, "1", False),
        (1023, "[]", True),          # an empty array counts as a container
        (1024, "[]", False),
        (200_000, "1", False),       # far too deep: no RecursionError, just NOT_JSON
    ],
)
def test_deep_nesting(depth: int, leaf: str, decoded: bool) -> None:
    message = nested(depth, leaf)
    got = decode_json(message)
    assert (got is not NOT_JSON) == decoded
    if decoded:
        assert depth_of(got) == depth


@pytest.mark.parametrize(("depth", "decoded"), [(1024, True), (1025, False), (100_000, False)])
def test_deep_nesting_on_the_exact_path(depth: int, decoded: bool) -> None:
    """A big integer forces the exact decoder; it applies the same depth limit as orjson."""
    message = '{"big":18446744073709551616,"a":' * depth + "1" + "}" * depth
    got = decode_json(message)
    assert (got is not NOT_JSON) == decoded
    if decoded:
        assert got["big"] == 2**64 and type(got["big"]) is int
        assert depth_of(got) == depth


def test_deep_array_nesting() -> None:
    assert decode_json('{"a":' + "[" * 300_000 + "]" * 300_000 + "}") is NOT_JSON
    doc = events._decode_exact('{"a":' + "[" * 1023 + "]" * 1023 + "}")
    depth, value = 0, doc["a"]
    while value:
        value, depth = value[0], depth + 1
    assert value == [] and depth == 1022  # 1 object + 1023 arrays = 1024 containers
    with pytest.raises(events._Invalid):
        events._decode_exact('{"a":' + "[" * 1024 + "]" * 1024 + "}")


# A JSON value tree: what json.dumps writes and both decoders must read back identically.
# Lone surrogates are left out here: `decode_json` replaces them on purpose (tested above).
json_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)))
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | json_text
)
json_keys = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(json_keys, children, max_size=4),
    max_leaves=30,
)
json_objects = st.dictionaries(json_keys, json_values, max_size=6)


@settings(max_examples=300, deadline=None)
@given(doc=json_objects, indent=st.sampled_from([None, 2]), ascii_only=st.booleans())
def test_exact_decoder_matches_orjson(doc: dict, indent: int | None, ascii_only: bool) -> None:
    text = json.dumps(doc, indent=indent, ensure_ascii=ascii_only)
    want = orjson.loads(text)
    assert same(events._decode_exact(text), want)
    assert same(decode_json(text), want)


@settings(max_examples=300, deadline=None)
@given(doc=st.dictionaries(st.text(max_size=4), st.integers(), max_size=4))
def test_any_integer_is_exact(doc: dict) -> None:
    """Integers of any size within a double's range come back exact (DECISIONS P9)."""
    assume(all(abs(v) < 2**1000 for v in doc.values()))
    text = json.dumps(doc)
    assert same(decode_json(text), json.loads(text))


@settings(max_examples=500, deadline=None)
@given(body=st.text(alphabet='{}[]":,0123456789eE.+- \ntrufalsn', max_size=40))
def test_exact_decoder_rejects_what_orjson_rejects(body: str) -> None:
    """Random near-JSON text: both decoders accept the same texts, with the same result."""
    text = "{" + body + "}"
    assume(not re.search("[0-9]{19}", text))  # orjson reads huge integers as floats
    try:
        want: Any = orjson.loads(text)
    except orjson.JSONDecodeError:
        want = NOT_JSON
    try:
        got: Any = events._decode_exact(text)
    except (events._Invalid, ValueError):
        got = NOT_JSON
    if want is NOT_JSON or got is NOT_JSON:
        assert got is want
    else:
        assert same(got, want)


def _cloudtrail_messages() -> list[str]:
    """Every CloudTrail record of the corpus, as an event message."""
    base = DATA / "corpus" / "cloudtrail"
    messages = []
    def lines(name: str) -> list[str]:
        return (base / name).read_text(encoding="utf-8").splitlines()

    for line in lines("aws-docs-cloudtrail-examples.jsonl"):
        messages.append(json.dumps(json.loads(line)["event"]))
    for line in lines("panther-analysis-cloudtrail-rule-tests.jsonl"):
        messages.append(json.dumps(json.loads(line)["log"], separators=(",", ":")))
    for line in lines("otrf-ec2_proxy_s3_exfiltration_2020-09-14011940.jsonl"):
        if line.strip():
            messages.append(line)  # byte for byte, as delivered
    for item in json.loads((base / "aws-docs-log-file-envelopes.json").read_text(encoding="utf-8")):
        for record in item["envelope"]["Records"]:
            messages.append(json.dumps(record, indent=2))
    return messages


def test_fast_path_is_taken_for_cloudtrail(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ordinary CloudTrail records are decoded by orjson alone: the exact decoder never runs."""
    calls: list[str] = []
    real = events._decode_exact

    def counting(text: str) -> Any:
        calls.append(text)
        return real(text)

    monkeypatch.setattr(events, "_decode_exact", counting)
    messages = _cloudtrail_messages()
    assert len(messages) > 550
    for message in messages:
        assert same(decode_json(message), orjson.loads(message))
    assert calls == []
    # The counter does see the exact path when it must run (so the assertion above can fail).
    assert decode_json('{"n": 18446744073709551616}') == {"n": 2**64}
    assert len(calls) == 1


# --------------------------------------------------------------------------- number_text

# Outputs of Java's Double.toString (JDK 19+), written from the Java documentation and well-known
# constants (Double.MAX_VALUE, MIN_NORMAL, MIN_VALUE "4.9E-324", Math.PI, Math.E, Long.MAX_VALUE).
JAVA_DOUBLE_TO_STRING = [
    (1.0, "1.0"),
    (0.0, "0.0"),
    (-0.0, "-0.0"),
    (12.0, "12.0"),
    (1e3, "1000.0"),
    (1.50, "1.5"),
    (-1.5, "-1.5"),
    (12.34, "12.34"),
    (0.1, "0.1"),
    (100.0, "100.0"),
    (0.001, "0.001"),
    (0.002, "0.002"),
    (0.0001, "1.0E-4"),
    (1.2345e-4, "1.2345E-4"),
    (1e-5, "1.0E-5"),
    (9999999.0, "9999999.0"),
    (1234567.5, "1234567.5"),
    (1e7, "1.0E7"),
    (12345678.0, "1.2345678E7"),
    (123456789.0, "1.23456789E8"),
    (-1e10, "-1.0E10"),
    (1e21, "1.0E21"),
    (0.1 + 0.2, "0.30000000000000004"),
    (1 / 3, "0.3333333333333333"),
    (2 / 3, "0.6666666666666666"),
    (100 / 3, "33.333333333333336"),
    (math.pi, "3.141592653589793"),
    (math.e, "2.718281828459045"),
    (float(2**63 - 1), "9.223372036854776E18"),
    (sys.float_info.max, "1.7976931348623157E308"),
    (-sys.float_info.max, "-1.7976931348623157E308"),
    (sys.float_info.min, "2.2250738585072014E-308"),
    (5e-324, "4.9E-324"),  # Double.MIN_VALUE: JDK 19+ picks the closer 2-digit decimal
    (-5e-324, "-4.9E-324"),
    (float("inf"), "Infinity"),
    (float("-inf"), "-Infinity"),
    (float("nan"), "NaN"),
]


@pytest.mark.parametrize(("value", "text"), JAVA_DOUBLE_TO_STRING, ids=[t for _, t in JAVA_DOUBLE_TO_STRING])
def test_number_text_matches_java(value: float, text: str) -> None:
    assert number_text(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(0, "0"), (123, "123"), (-7, "-7"), (2**64, "18446744073709551616"), (10**30, "1" + "0" * 30)],
)
def test_number_text_of_integers(value: int, text: str) -> None:
    assert number_text(value) == text


@pytest.mark.parametrize("value", [True, False, None, "1", [1]])
def test_number_text_rejects_non_numbers(value: Any) -> None:
    with pytest.raises(TypeError):
        number_text(value)


def java_text_oracle(x: float) -> str:
    """An independent rendering of Java's format from `repr` digits, via `Decimal` (normal doubles)."""
    sign, digits, exponent = Decimal(repr(x)).normalize().as_tuple()
    text = "".join(map(str, digits))
    sci = exponent + len(text) - 1  # x = d.ddd × 10**sci
    prefix = "-" if sign else ""
    if 1e-3 <= abs(x) < 1e7:
        plain = format(Decimal(repr(abs(x))), "f")
        if "." not in plain:
            plain += ".0"
        return prefix + plain
    return f"{prefix}{text[0]}.{text[1:] or '0'}E{sci}"


@settings(max_examples=2000, deadline=None)
@given(
    st.floats(allow_nan=False, allow_infinity=False).filter(
        lambda v: v == 0 or abs(v) >= sys.float_info.min
    )
)
def test_number_text_of_normal_doubles(value: float) -> None:
    text = number_text(value)
    assert float(text) == value  # round-trips
    if value != 0:
        assert text == java_text_oracle(value)
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        assert re.fullmatch(r"-?[0-9]+\.[0-9]+", text)
    else:
        assert re.fullmatch(r"-?[1-9]\.[0-9]+E-?[1-9][0-9]*", text)


def java_subnormal_oracle(x: float) -> str:
    """JDK 19+ rule, computed by brute force: the decimal of length 1 or 2 (if the shortest is 1)
    that rounds to x and is closest to it; else the shortest. Positive subnormals only."""
    exact = Fraction(x)
    for length in range(1, 18):
        found = []
        for exp10 in range(-345, -300):
            low = math.ceil(exact / Fraction(10) ** exp10) - 2
            for coefficient in range(max(low, 10 ** (length - 1)), min(low + 5, 10**length)):
                decimal = Fraction(coefficient) * Fraction(10) ** exp10
                if float(decimal) == x:
                    found.append((abs(decimal - exact), coefficient, exp10))
        if found:
            if length == 1:
                continue  # JDK 19+: when the shortest has 1 digit, 2-digit decimals compete too
            best = min(found, key=lambda f: (f[0], f[1] % 2))
            _, coefficient, exp10 = best
            digits = str(coefficient).rstrip("0")
            point = exp10 + len(str(coefficient))
            return f"{digits[0]}.{digits[1:] or '0'}E{point - 1}"
    raise AssertionError("unreachable")


@pytest.mark.parametrize("multiple", [1, 2, 3, 4, 5, 6, 7, 10, 20, 99, 1000, 12345])
def test_number_text_of_subnormals(multiple: int) -> None:
    value = 5e-324 * multiple
    text = number_text(value)
    assert float(text) == value
    assert text == java_subnormal_oracle(value)


# --------------------------------------------------------------------------- scalar_text

@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("abc", "abc"),
        ("", ""),
        ("true", "true"),
        (True, "true"),
        (False, "false"),
        (None, "null"),
        (123, "123"),
        (0, "0"),
        (12.0, "12.0"),
        (1e3, "1000.0"),
        (1e7, "1.0E7"),
        (-0.0, "-0.0"),
    ],
)
def test_scalar_text(value: Any, text: str) -> None:
    assert scalar_text(value) == text


@pytest.mark.parametrize("value", [{}, [], {"a": 1}, [1]])
def test_scalar_text_rejects_containers(value: Any) -> None:
    with pytest.raises(TypeError):
        scalar_text(value)


# --------------------------------------------------------------------------- split_fields

SPLIT_CASES = [
    ("a b c", ("a", "b", "c")),
    ("  a   b  ", ("a", "b")),                         # leading/trailing separators: no empty fields
    ("a\tb\t\tc\t", ("a", "b", "c")),                  # tabs separate too (Lambda REPORT lines)
    ("a \t b", ("a", "b")),
    ("a\nb c", ("a\nb", "c")),                         # a newline is not a separator
    ("a\r b", ("a\r", "b")),
    ("a\u00a0b c", ("a\u00a0b", "c")),                 # nor a no-break space
    ("", ()),
    ("   \t ", ()),
    ('"a b" c', ("a b", "c")),
    ("[a b] c", ("a b", "c")),
    ('x"a b"', ('x"a', 'b"')),                         # `"` opens a group only at a field's start
    ("a[b c]", ("a[b", "c]")),
    ('"a b"c d', ("a b", "c", "d")),                   # text right after the closer: a new field
    ('"a"[b]', ("a", "b")),
    ('[a]"b c"', ("a", "b c")),
    ('"" x', ("", "x")),                               # an empty group is an empty field
    ("[] x", ("", "x")),
    ('"unbalanced rest of line', ("unbalanced rest of line",)),
    ("a [unbalanced  rest", ("a", "unbalanced  rest")),
    ('a "b [c] d" e', ("a", "b [c] d", "e")),          # no nesting
    ('a [b "c" d] e', ("a", 'b "c" d', "e")),
    ("[a [b] c]", ("a [b", "c]")),                     # the first `]` closes
    ('"a \\" b"', ("a \\", 'b"')),                     # no escapes
    ('"a\tb"', ("a\tb",)),                             # separators inside a group stay
    ('"multi\nline" x', ("multi\nline", "x")),
    ('a\nb "c d"', ("a\nb", "c d")),
    ("[a]]", ("a", "]")),
    ('"', ("",)),
    ("[", ("",)),
    (
        '127.0.0.1 - frank [10/Oct/2000:13:50:35 -0700] "GET /apache_pb.gif HTTP/1.0" 200 4355',
        (
            "127.0.0.1", "-", "frank", "10/Oct/2000:13:50:35 -0700", "GET /apache_pb.gif HTTP/1.0",
            "200", "4355",
        ),
    ),
]


@pytest.mark.parametrize(("message", "fields"), SPLIT_CASES, ids=[repr(m) for m, _ in SPLIT_CASES])
def test_split_fields(message: str, fields: tuple[str, ...]) -> None:
    assert split_fields(message) == fields


def split_reference(message: str) -> tuple[str, ...]:
    """DECISIONS P13 restated as a character loop."""
    fields: list[str] = []
    i = 0
    while i < len(message):
        char = message[i]
        if char in " \t":
            i += 1
        elif char in '"[':
            closer = '"' if char == '"' else "]"
            end = message.find(closer, i + 1)
            if end < 0:
                end = len(message)
            fields.append(message[i + 1 : end])
            i = end + 1
        else:
            start = i
            while i < len(message) and message[i] not in " \t":
                i += 1
            fields.append(message[start:i])
    return tuple(fields)


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet='ab \t\n\r"[]', max_size=20))
def test_split_fields_against_reference(message: str) -> None:
    assert split_fields(message) == split_reference(message)


def _sd_cases_with_extracted() -> list[dict]:
    cases = []
    with open(DATA / "conformance" / "filter-patterns.jsonl", encoding="utf-8") as fh:
        for line in fh:
            case = json.loads(line)
            if case["id"].startswith("sd-") and isinstance(case.get("extracted"), dict):
                cases.append(case)
    return cases


SD_CASES = _sd_cases_with_extracted()


def test_there_are_sd_cases_with_extracted_values() -> None:
    assert {"sd-024", "sd-025", "sd-032"} <= {case["id"] for case in SD_CASES}


@pytest.mark.parametrize("case", SD_CASES, ids=[case["id"] for case in SD_CASES])
def test_split_fields_against_conformance_extracted_values(case: dict) -> None:
    """Each extracted value is one field (delimiters removed), positional keys at their position."""
    fields = split_fields(case["event"])
    extracted = case["extracted"]
    assert sorted(fields) == sorted(extracted.values())
    for key, value in extracted.items():
        if key[1:].isdigit():
            assert fields[int(key[1:]) - 1] == value


# --------------------------------------------------------------------------- compile_wildcard

WILDCARD_CASES = [
    # (wildcard, value, matches): DECISIONS P8 and the 2019 service observations
    ("111*111", "111.111.111.111", False),             # leftmost `111` after the prefix is not at the end
    ("*111.111.111", "111.111.111.111", False),
    ("*.111.111.111", "111.111.111.111", True),
    ("111*", "111.111.111.111", True),
    ("1*3", "123", True),
    ("1*4", "12.34", True),
    ("12.*", "12.34", True),
    ("12.3*", "12.34", True),
    ("12.34*", "12.34", True),                         # a trailing `*` may match nothing
    ("*2.34", "12.34", True),
    ("*.34", "12.34", True),
    ("*4", "12.34", True),
    ("4*1", "12.34", False),
    ("43.21*", "12.34", False),
    ("*3.21", "12.34", False),
    ("*21", "12.34", False),
    ("*1", "12.34", False),
    ("*1", "123", False),
    ("*123", "123", True),
    ("*23", "123", True),
    ("321*", "123", False),
    ("*Event", "PutEvent", True),
    ("*Event", "GetEvents", False),
    ("Event*", "EventName", True),
    ("Ev*ent", "Event", True),                         # the `*` may match nothing
    ("Ev*ent", "Ev*ent", True),
    ("Ev*ent", "Evident", True),
    ("Ev*ent", "Evidentent", False),                   # leftmost `ent` (offset 4) is not at the end
    ("*", "", True),                                   # `= *` matches "" (P8)
    ("*", "anything at all", True),
    ("**", "", True),
    ("a**b", "ab", True),
    ("a*", "", False),
    ("*a", "a", True),
    ("a*a", "a", False),                               # pieces may not overlap
    ("a*a", "aa", True),
    ("a*c", "abcbc", False),                           # no backtracking (a glob would match)
    ("a*b*c", "aXbYc", True),
    ("a*b*c", "abcbc", False),
    ("a*b*c", "acbc", True),
    ("*b*", "abc", True),
    ("*b*", "ac", False),
    ("1*2*", "1x2y", True),
    ("1*2*", "1xy", False),
    ("*x*y", "axbyy", False),                          # leftmost `y` after `x` is not the last char
    ("abc", "abc", True),                              # no `*`: the text itself only
    ("abc", "abcd", False),
    ("", "", True),
    ("", "x", False),
    ("*.html*", "GET /index.html HTTP/1.0", True),
    ("*.html*", "GET /apache_pb.gif HTTP/1.0", False),
    ("4*", "404", True),
    ("4*", "200", False),
]


@pytest.mark.parametrize(
    ("wildcard", "value", "matches"),
    WILDCARD_CASES,
    ids=[f"{w!r}~{v!r}" for w, v, _ in WILDCARD_CASES],
)
def test_compile_wildcard(wildcard: str, value: str, matches: bool) -> None:
    assert compile_wildcard(wildcard)(value) is matches


def leftmost_reference(wildcard: str, value: str) -> bool:
    """DECISIONS P8 restated with regular expressions: lazy (leftmost) gaps, never backtracked."""
    pieces = wildcard.split("*")
    if len(pieces) == 1:
        return value == wildcard
    if not value.startswith(pieces[0]):
        return False
    rest = value[len(pieces[0]) :]
    for piece in pieces[1:-1]:
        match = re.search(re.escape(piece), rest)
        if match is None:
            return False
        rest = rest[match.end() :]
    if pieces[-1] == "":
        return True
    match = re.search(re.escape(pieces[-1]), rest)
    return match is not None and match.end() == len(rest)


@settings(max_examples=1000, deadline=None)
@given(wildcard=st.text(alphabet="ab*", max_size=7), value=st.text(alphabet="ab", max_size=8))
def test_compile_wildcard_against_reference(wildcard: str, value: str) -> None:
    assert compile_wildcard(wildcard)(value) is leftmost_reference(wildcard, value)


# --------------------------------------------------------------------------- LogEvent

def test_log_event_decodes_at_most_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"json": 0, "fields": 0}
    real_decode, real_split = events.decode_json, events.split_fields

    def decode(message: str) -> Any:
        calls["json"] += 1
        return real_decode(message)

    def split(message: str) -> tuple[str, ...]:
        calls["fields"] += 1
        return real_split(message)

    monkeypatch.setattr(events, "decode_json", decode)
    monkeypatch.setattr(events, "split_fields", split)
    event = LogEvent('{"a": [1, 2]}', 1_700_000_000_000)
    first = event.json
    assert first == {"a": [1, 2]}
    assert event.json is first
    assert event.fields == ('{"a":', "1, 2", "}")  # `[1, 2]` is one grouped field
    assert event.fields is event.fields
    assert calls == {"json": 1, "fields": 1}
    assert event.timestamp == 1_700_000_000_000


def test_log_event_caches_not_json(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = events.decode_json
    monkeypatch.setattr(events, "decode_json", lambda m: calls.append(m) or real(m))
    event = LogEvent("ERROR disk full")
    assert event.json is NOT_JSON
    assert event.json is NOT_JSON
    assert len(calls) == 1
    assert event.timestamp is None
    assert event.fields == ("ERROR", "disk", "full")


def test_log_event_has_only_its_slots() -> None:
    event = LogEvent("x")
    with pytest.raises(AttributeError):
        event.other = 1  # type: ignore[attr-defined]


def test_sentinels() -> None:
    import pickle

    assert NOT_JSON is not MISSING
    assert repr(NOT_JSON) == "NOT_JSON" and repr(MISSING) == "MISSING"
    assert pickle.loads(pickle.dumps(NOT_JSON)) is NOT_JSON
    assert pickle.loads(pickle.dumps(MISSING)) is MISSING
