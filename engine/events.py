"""Per-event data shared by every matcher: the log event, its JSON body and its delimited fields.

A `LogEvent` decodes its message lazily and at most once: the first matcher that needs the JSON
body (`LogEvent.json`) or the space-delimited fields (`LogEvent.fields`) pays for it, every later
matcher of the same event reuses the result. The functions below are the primitives the compiled
matchers and the reference interpreter share, so that both read an event the same way:

* `decode_json`: the message as a JSON object, or `NOT_JSON` (DECISIONS P12, P21, P9, P23);
* `number_text` / `scalar_text`: the canonical text of a decoded JSON value (DECISIONS P9, M7);
* `split_fields`: space-delimited splitting (DECISIONS P13);
* `compile_wildcard`: the service's ``*`` matching algorithm (DECISIONS P8).

Imports the standard library and orjson only.
"""

from __future__ import annotations

import enum
import json.decoder
import math
import re
from collections.abc import Callable
from fractions import Fraction
from typing import Any, Final

import orjson

__all__ = [
    "MISSING",
    "NOT_JSON",
    "LogEvent",
    "MissingType",
    "NotJsonType",
    "compile_wildcard",
    "decode_json",
    "number_text",
    "scalar_text",
    "split_fields",
]


# --------------------------------------------------------------------------- sentinels

class NotJsonType(enum.Enum):
    """Type of `NOT_JSON`. An enum so that the sentinel is a singleton that survives pickling."""

    NOT_JSON = "NOT_JSON"

    def __repr__(self) -> str:
        return "NOT_JSON"

    __str__ = __repr__


class MissingType(enum.Enum):
    """Type of `MISSING`."""

    MISSING = "MISSING"

    def __repr__(self) -> str:
        return "MISSING"

    __str__ = __repr__


#: The message is not a JSON object event (DECISIONS P12, P21). Compare with ``is``.
NOT_JSON: Final = NotJsonType.NOT_JSON
#: A selector reached nothing. Compare with ``is``.
MISSING: Final = MissingType.MISSING

JsonDoc = dict[str, Any]


# --------------------------------------------------------------------------- the event

class LogEvent:
    """One log event: its message text and, optionally, its timestamp in epoch milliseconds.

    `json` and `fields` are computed on first use and cached on the instance, so any number of
    filters can examine the same event for the price of one decode.
    """

    __slots__ = ("message", "timestamp", "_json", "_fast", "_fields")

    def __init__(self, message: str, timestamp: int | None = None, decoded: JsonDoc | None = None) -> None:
        """Args:
            message: the event's text.
            timestamp: event time, epoch milliseconds.
            decoded: the message already decoded by orjson into a dict (what `decode_json_fast`
                gives), when the reader had to decode it anyway: it is not decoded again.
        """
        self.message = message
        self.timestamp = timestamp
        # None means "not computed yet": decode_json never returns None.
        self._json: JsonDoc | NotJsonType | None = None
        self._fast: JsonDoc | NotJsonType | None = decoded
        self._fields: tuple[str, ...] | None = None

    @property
    def json(self) -> JsonDoc | NotJsonType:
        """The message decoded by `decode_json` (a dict, or `NOT_JSON`); computed once."""
        doc = self._json
        if doc is None:
            doc = self._json = decode_json(self.message)
        return doc

    @property
    def fast_json(self) -> JsonDoc | NotJsonType:
        """The message decoded by `decode_json_fast`; computed once.

        Equal to `json` except that an integer token outside [-2**63, 2**64) reads as a float
        (of magnitude >= 2**63). Readers that meet such a float use `json` instead.
        """
        doc = self._fast
        if doc is None:
            doc = self._json if self._json is not None else decode_json_fast(self.message)
            self._fast = doc
        return doc

    @property
    def fields(self) -> tuple[str, ...]:
        """The message split by `split_fields`; computed once."""
        fields = self._fields
        if fields is None:
            fields = self._fields = split_fields(self.message)
        return fields

    def __repr__(self) -> str:
        return f"LogEvent(message={self.message!r}, timestamp={self.timestamp!r})"


# --------------------------------------------------------------------------- JSON decoding

# JSON's own whitespace (RFC 8259): space, tab, LF, CR. DECISIONS P21 allows it around the body.
_WS_RUN = re.compile(r"[ \t\r\n]*")
_WS_CHARS = " \t\r\n"

# orjson reads integer tokens outside [-2**63, 2**64 - 1] as floats, but DECISIONS P9 wants every
# integer token as an exact integer. Such a token has at least 19 digits and, in valid JSON, is
# preceded by `[`, `:` or `,` (plus whitespace). A run of 19 digits is found in about 2 µs for a
# CloudTrail record by mapping every digit byte to `0` (`bytes.translate`) and searching for 19
# zeros; only then the (slower) regex looks for such a token out of orjson's range. A hit, even
# inside a string, merely costs a slower, exact decode.
_DIGITS_TO_ZERO = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x78 for byte in range(256))
_NINETEEN_DIGITS = b"0" * 19
_LONG_INT_TOKEN = re.compile(r"[\[:,][ \t\r\n]*(-?[0-9]{19,})")
_ORJSON_INT_RANGE = range(-(2**63), 2**64)


def _has_big_int(data: bytes, message: str) -> bool:
    """True when `message` may hold an integer token that orjson would not read exactly."""
    if _NINETEEN_DIGITS not in data.translate(_DIGITS_TO_ZERO):
        return False
    for match in _LONG_INT_TOKEN.finditer(message):
        token = match.group(1)
        if len(token) > 21 or int(token) not in _ORJSON_INT_RANGE:
            return True
    return False


# orjson accepts at most 1024 nested containers; the exact decoder enforces the same limit so that
# the answer never depends on which decoder ran.
MAX_DEPTH: Final = 1024

_NUMBER_TOKEN = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_SURROGATE = re.compile("[\ud800-\udfff]")
_scanstring = json.decoder.scanstring


class _Invalid(Exception):
    """Raised inside the exact decoder when the text is not a JSON object by our rules."""


def decode_json(message: str) -> JsonDoc | NotJsonType:
    """Decode an event message as a JSON object, by the rules of DECISIONS P9, P12, P21 and P23.

    Args:
        message: the event's message text.

    Returns:
        A dict when the message, apart from leading and trailing JSON whitespace, is one JSON
        object; otherwise `NOT_JSON`. Integer tokens (no fraction, no exponent) decode to `int`,
        other numbers to `float`; `true`/`false` to `bool`, `null` to None; with duplicate keys
        the last one wins. `NaN`/`Infinity`, a number that overflows a double, a top-level value
        that is not an object, and nesting deeper than `MAX_DEPTH` all give `NOT_JSON`. Lone
        surrogates in decoded strings (and keys) are replaced by U+FFFD. Never raises for any
        `str` input.
    """
    start = _WS_RUN.match(message).end()
    # DECISIONS P12: the body must be an object; most non-JSON events stop here, unparsed.
    if not message.startswith("{", start):
        return NOT_JSON
    end = len(message)
    while message[end - 1] in _WS_CHARS:
        end -= 1
    if message[end - 1] != "}":
        return NOT_JSON
    try:
        data = message.encode("utf-8")
    except UnicodeEncodeError:
        data = None  # surrogate code points in the str itself: only the exact decoder copes
    if data is not None and not _has_big_int(data, message):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            # Invalid JSON, but also what orjson rejects and we must judge ourselves: escaped lone
            # surrogates (replaced, P23), nesting beyond 1024, 1e400 and NaN (NOT_JSON, P21).
            pass
    try:
        return _decode_exact(message)
    except (_Invalid, ValueError, RecursionError):
        return NOT_JSON


#: A float at least this large (in magnitude) may stand for an integer token that
#: `decode_json_fast` could not read exactly.
INEXACT_FLOAT: Final = 9.2e18


def decode_json_fast(message: str) -> JsonDoc | NotJsonType:
    """`decode_json` without the scan for integer tokens beyond 64 bits (the hot path).

    The result equals `decode_json`'s except that such a token reads as a float of magnitude at
    least `INEXACT_FLOAT`; a reader that meets a float that large asks `decode_json` for the
    exact value. Every other rule (P9, P12, P21, P23) is the same.
    """
    if message.startswith("{"):
        try:
            doc = orjson.loads(message)
        except orjson.JSONDecodeError:
            pass  # invalid, or a case the exact decoder judges (surrogates, NaN, depth, 1e400)
        else:
            if type(doc) is dict:
                return doc
    return decode_json(message)


def _replace_lone_surrogates(text: str) -> str:
    """Replace every unpaired surrogate code point by U+FFFD (DECISIONS P23).

    A surrogate pair written as two code points is joined into its character, as a UTF-16 (Java)
    reader would see it.
    """
    if _SURROGATE.search(text) is None:
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _decode_exact(text: str) -> JsonDoc:
    """Decode `text` as one JSON object without recursion. Slow path of `decode_json`.

    Raises:
        _Invalid or ValueError: the text is not a JSON object by the rules of `decode_json`.
    """
    skip = _WS_RUN.match
    n = len(text)
    i = skip(text, 0).end()
    if not text.startswith("{", i):
        raise _Invalid("top level is not an object")
    root: JsonDoc = {}
    stack: list[Any] = [root]        # open containers, innermost last
    keys: list[str | None] = [None]  # the key awaiting its value, for each open container
    i += 1
    # What may come next: "first" a member or the closer, "next" a member, "after" `,` or closer.
    expect = "first"
    while True:
        i = skip(text, i).end()
        top = stack[-1]
        is_obj = type(top) is dict
        char = text[i : i + 1]
        if expect == "after":
            if char == ",":
                i += 1
                expect = "next"
                continue
            if char != ("}" if is_obj else "]"):
                raise _Invalid(f"expected ',' or a closer at {i}")
            i += 1
            stack.pop()
            keys.pop()
            if not stack:
                break
            continue
        if expect == "first" and char == ("}" if is_obj else "]"):
            i += 1
            stack.pop()
            keys.pop()
            if not stack:
                break
            expect = "after"
            continue
        if is_obj:
            if char != '"':
                raise _Invalid(f"expected a key at {i}")
            key, i = _scanstring(text, i + 1)
            keys[-1] = _replace_lone_surrogates(key)
            i = skip(text, i).end()
            if not text.startswith(":", i):
                raise _Invalid(f"expected ':' at {i}")
            i = skip(text, i + 1).end()
            char = text[i : i + 1]
        value: Any
        if char == "{" or char == "[":
            if len(stack) >= MAX_DEPTH:
                raise _Invalid("nesting too deep")
            value = {} if char == "{" else []
            i += 1
        else:
            value, i = _decode_scalar(text, i)
        if is_obj:
            top[keys[-1]] = value  # DECISIONS P21: with duplicate keys the last one wins
        else:
            top.append(value)
        if char == "{" or char == "[":
            stack.append(value)
            keys.append(None)
            expect = "first"
        else:
            expect = "after"
    if skip(text, i).end() != n:
        raise _Invalid("text after the object")
    return root


def _decode_scalar(text: str, i: int) -> tuple[Any, int]:
    """Decode the string, literal or number starting at `text[i]`; return it and the next index."""
    char = text[i : i + 1]
    if char == '"':
        value, i = _scanstring(text, i + 1)
        return _replace_lone_surrogates(value), i
    for word, value in (("true", True), ("false", False), ("null", None)):
        if text.startswith(word, i):
            return value, i + len(word)
    match = _NUMBER_TOKEN.match(text, i)
    if match is None:
        raise _Invalid(f"expected a value at {i}")  # also NaN, Infinity (DECISIONS P21)
    token = match.group()
    if match.group(1) is None and match.group(2) is None:
        # DECISIONS P9: no fraction and no exponent make an integer (`-0` is the integer 0).
        # Without leading zeros, more than 309 digits is at least 1e309: past the largest double
        # (and past the length Python's int() accepts by default).
        if len(token) > 310:
            raise _Invalid("integer overflows a double")
        number = int(token)
        try:
            float(number)
        except OverflowError:
            raise _Invalid("integer overflows a double") from None  # DECISIONS P9, P21
        return number, match.end()
    value = float(token)  # correctly rounded; underflow gives 0.0 or -0.0 (DECISIONS P9)
    if math.isinf(value):
        raise _Invalid("number overflows a double")  # DECISIONS P9, P21
    return value, match.end()


# --------------------------------------------------------------------------- canonical text

_MIN_NORMAL: Final = 2.2250738585072014e-308


def number_text(value: int | float) -> str:
    """The canonical text of a JSON number (DECISIONS P9).

    Integers print in plain decimal. Floats print as Java's ``Double.toString`` prints them in
    JDK 19 and later, the service being a Java program: the shortest digits that round-trip;
    plain notation with at least one digit after the point when 1e-3 <= |x| < 1e7 (``12.0``,
    ``1000.0``, ``0.001``); otherwise ``d.dddE±n`` (``1.0E7``, ``1.2345E-4``); ``0.0``/``-0.0``.

    Raises:
        TypeError: `value` is not an int or a float (a bool is not a number here).
    """
    if type(value) is int:
        return str(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"number_text() needs an int or a float, not {type(value).__name__}")
    if isinstance(value, int):
        return str(int(value))
    value = float(value)
    if value != value:
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0.0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    sign = "-" if value < 0 else ""
    magnitude = -value if value < 0 else value
    digits, point = _java_digits(magnitude)  # magnitude == 0.<digits> * 10**point
    if 1e-3 <= magnitude < 1e7:
        if point <= 0:
            return f"{sign}0.{'0' * -point}{digits}"
        if point >= len(digits):
            return f"{sign}{digits}{'0' * (point - len(digits))}.0"
        return f"{sign}{digits[:point]}.{digits[point:]}"
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{point - 1}"


def _java_digits(x: float) -> tuple[str, int]:
    """Significant digits (no leading or trailing zeros) and point position of ``Double.toString``.

    For positive `x` returns ``(digits, point)`` with ``x ≈ 0.digits × 10**point``.
    """
    mantissa, _, exponent = repr(x).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    point = len(whole) + (int(exponent) if exponent else 0)
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    if len(digits) == 1 and x < _MIN_NORMAL:
        return _java_two_digits(x, point)
    return digits, point


def _java_two_digits(x: float, point: int) -> tuple[str, int]:
    """``Double.toString`` for a subnormal whose shortest round-trip form has one digit.

    JDK 19+ picks, among the decimals of length 1 *or 2* that round to `x`, the one closest to
    `x` (even last digit on a tie). For normal doubles that is always the shortest form Python's
    `repr` gives, but subnormals are coarse enough for a closer 2-digit decimal to exist:
    ``Double.MIN_VALUE`` prints as ``4.9E-324`` where `repr` gives ``5e-324``.
    """
    exact = Fraction(x)
    best: tuple[Fraction, int, int] | None = None  # (distance, coefficient, exponent)
    for exp10 in (point - 3, point - 2, point - 1):
        for coefficient in range(1, 100):
            if float(f"{coefficient}e{exp10}") != x:
                continue
            distance = abs(Fraction(coefficient) * Fraction(10) ** exp10 - exact)
            key = (distance, coefficient % 2, coefficient)
            if best is None or key < (best[0], best[1] % 2, best[1]):
                best = (distance, coefficient, exp10)
    assert best is not None, "repr's own digits always round-trip"
    _, coefficient, exp10 = best
    text = str(coefficient)
    return text.rstrip("0"), exp10 + len(text)


def scalar_text(value: str | int | float | bool | None) -> str:
    """The text a JSON scalar shows to quoted literals, wildcards and regexes (DECISIONS P9, P10).

    A string is itself; ``true``/``false``/``null`` are their JSON words; numbers use
    `number_text`. This is also the text reported in ``extractedValues`` (DECISIONS M7).

    Raises:
        TypeError: `value` is a dict, a list or anything else that is not a JSON scalar.
    """
    if type(value) is str:
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return str(value)
    return number_text(value)


# --------------------------------------------------------------------------- space-delimited fields

# DECISIONS P13. At the start of a field, `"` or `[` opens a group that ends at the first matching
# closer (no nesting, no escapes) or, unbalanced, at the end of the event; otherwise a field runs
# to the next space or tab (newlines belong to the field). `finditer` skips the separators, and a
# match ends right after a closer, so text after it starts a new field.
_FIELD = re.compile(r'"([^"]*)"?|\[([^\]]*)\]?|([^ \t]+)')
_PLAIN_FIELD = re.compile(r"[^ \t]+")


def split_fields(message: str) -> tuple[str, ...]:
    """Split a message into space-delimited fields (DECISIONS P13).

    Fields are separated by runs of spaces or tabs (not newlines); leading and trailing
    separators make no empty fields. A field that starts with ``"`` or ``[`` is grouped up to the
    first ``"`` or ``]`` (delimiters removed, so ``""`` is an empty field); an unbalanced opener
    runs to the end of the message.
    """
    if '"' not in message and "[" not in message:
        return tuple(_PLAIN_FIELD.findall(message))
    return tuple(match.group(match.lastindex) for match in _FIELD.finditer(message))


# --------------------------------------------------------------------------- wildcards

def compile_wildcard(text: str) -> Callable[[str], bool]:
    """Compile a value containing ``*`` into a predicate on a value's text (DECISIONS P8).

    The algorithm observed on the live service: split at ``*``; the first piece must be a prefix;
    each later piece is found at its leftmost occurrence after the previous one, without
    backtracking; unless `text` ends with ``*``, that leftmost occurrence of the last piece must
    end the value. So ``111*111`` does not match ``111.111.111.111`` (the leftmost ``111`` after
    the prefix ends at offset 7), while ``*.111.111.111`` does. ``*`` matches every text, ``""``
    included. A text without ``*`` matches only itself.
    """
    pieces = text.split("*")
    first, last = pieces[0], pieces[-1]
    if len(pieces) == 1:
        return text.__eq__
    middle = tuple(piece for piece in pieces[1:-1] if piece)  # an empty piece always matches
    if not middle:
        if not last:
            if not first:
                return _match_anything
            return lambda value: value.startswith(first)
        size_first, size_last = len(first), len(last)

        def match_two(value: str) -> bool:
            if not value.startswith(first):
                return False
            found = value.find(last, size_first)
            return found >= 0 and found + size_last == len(value)

        return match_two

    def match_many(value: str) -> bool:
        if not value.startswith(first):
            return False
        position = len(first)
        for piece in middle:
            found = value.find(piece, position)
            if found < 0:
                return False
            position = found + len(piece)
        if not last:
            return True
        found = value.find(last, position)
        return found >= 0 and found + len(last) == len(value)

    return match_many


def _match_anything(value: str) -> bool:
    return True
