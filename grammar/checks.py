"""Static checks that run after parsing: the service's limits and the rules the grammar can't express.

* DECISIONS P6, P18: the regex character set, escapes and repetition rules. RE2 (default options)
  is the reference for which regexes are errors; the checks here reproduce its verdicts on the
  characters the service accepts, with RE2's own wording, so that `parse()` alone rejects them.
* DECISIONS P7: at most two regexes in one JSON or space-delimited pattern.
* DECISIONS P20, P23: at most one wildcard step per selector and three per pattern.
* DECISIONS P22: `<`, `<=`, `>`, `>=` need a number literal.
"""

from __future__ import annotations

import re

from . import nodes
from .errors import INVALID_PATTERN, PatternLimitError, PatternRegexError, PatternSyntaxError

MAX_REGEXES_PER_PATTERN = 2
MAX_WILDCARDS_PER_SELECTOR = 1
MAX_WILDCARDS_PER_PATTERN = 3
MAX_REPEAT = 1000

# DECISIONS P6: alphanumerics; the symbols : _ # = @ / ; , - and space; the operators
# ^ $ ? [ ] { } | \ * + .
REGEX_ALLOWED = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    ":_#=@/;,- "
    "^$?[]{}|\\*+."
)
# DECISIONS P18: escapes that keep their regex meaning.
_CLASS_ESCAPES = frozenset("dDwWsS")
_ASSERT_ESCAPES = frozenset("bB")
_CONTROL_ESCAPES = frozenset("ntrfv")
_POSIX_CLASSES = frozenset(
    ["alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct", "space", "upper", "word", "xdigit"]
)
# A repeat count as RE2's integer reader takes it (parse.cc, ParseInteger): no leading zero, and
# at most 9 digits (it gives up before a 10th digit, to avoid overflow). A brace whose count it
# cannot read is literal text: `x{01}`, `x{1234567890}`, `x{}`, `x{,}`, `x{1,2`.
_COUNT = "(0|[1-9][0-9]{0,8})"
# `{n}`, `{n,}`, `{n,m}` (RE2's MaybeParseRepeat) and `{,m}`, which DECISIONS P18 reads as `{0,m}`.
_REPEAT_RE = re.compile(r"\{(?:" + _COUNT + r"(?:(,)" + _COUNT + r"?)?|," + _COUNT + r")\}")
_HEX2 = re.compile(r"[0-9A-Fa-f]{2}")


def check_pattern(pattern: nodes.Pattern, text: str) -> None:
    """Run every static check on a parsed pattern; raise the first `PatternError` found."""
    if isinstance(pattern, nodes.JsonPattern):
        _check_json(pattern, text)
    elif isinstance(pattern, nodes.DelimitedPattern):
        _check_delimited(pattern, text)


def _check_json(pattern: nodes.JsonPattern, text: str) -> None:
    regexes: list[nodes.Regex] = []
    wildcard_steps = 0
    for cond in nodes.iter_conditions(pattern.expr):
        sel = cond.selector
        if sel.wildcards > MAX_WILDCARDS_PER_SELECTOR:
            raise PatternLimitError(
                f"{INVALID_PATTERN}: a property selector can hold at most "
                f"{MAX_WILDCARDS_PER_SELECTOR} wildcard ('.*' or '[*]')",
                text, sel.span.start, sel.span.end,
            )
        wildcard_steps += sel.wildcards
        if wildcard_steps > MAX_WILDCARDS_PER_PATTERN:
            raise PatternLimitError(
                f"{INVALID_PATTERN}: a pattern can hold at most {MAX_WILDCARDS_PER_PATTERN} "
                "wildcard selectors",
                text, sel.span.start, sel.span.end,
            )
        if isinstance(cond, nodes.JsonCompare):
            _check_operand(cond.op, cond.value, text)
            if isinstance(cond.value, nodes.Regex):
                regexes.append(cond.value)
    _check_regexes(regexes, text)


def _check_delimited(pattern: nodes.DelimitedPattern, text: str) -> None:
    regexes: list[nodes.Regex] = []
    for slot in pattern.slots:
        if isinstance(slot, nodes.Slot) and slot.condition is not None:
            for cmp in nodes.iter_slot_compares(slot.condition):
                _check_operand(cmp.op, cmp.value, text)
                if isinstance(cmp.value, nodes.Regex):
                    regexes.append(cmp.value)
    _check_regexes(regexes, text)


def _check_operand(op: str, value: nodes.Value, text: str) -> None:
    # DECISIONS P22: numeric operators take only number literals (quoted text is never one, P9).
    if op in nodes.NUMERIC_OPS and not (isinstance(value, nodes.Literal) and value.is_number):
        raise PatternSyntaxError(
            f"{INVALID_PATTERN}: the operator '{op}' needs an unquoted number, not "
            f"{_describe(value)}",
            text, value.span.start, value.span.end,
        )


def _describe(value: nodes.Value) -> str:
    if isinstance(value, nodes.Regex):
        return "a regex"
    if value.quoted:
        return "a quoted string"
    return f"the text '{value.text}'"


def _check_regexes(regexes: list[nodes.Regex], text: str) -> None:
    if len(regexes) > MAX_REGEXES_PER_PATTERN:
        extra = regexes[MAX_REGEXES_PER_PATTERN]
        raise PatternLimitError(
            f"{INVALID_PATTERN}: a pattern can hold at most {MAX_REGEXES_PER_PATTERN} regular "
            "expressions",
            text, extra.span.start, extra.span.end,
        )
    for regex in regexes:
        check_regex(regex, text)


def check_regex(regex: nodes.Regex, text: str) -> None:
    """Check one regex against DECISIONS P6 and P18.

    Raises:
        PatternRegexError: with the caret on the offending character of the regex.
    """
    src = regex.source
    base = regex.span.start + 1  # the regex text starts after its opening '%'
    token = "%" + src + "%"

    for i, ch in enumerate(src):
        if ch not in REGEX_ALLOWED:
            # The service answers characters outside the set like a bad term (filter-patterns.md §3.2).
            raise PatternRegexError(
                f"Invalid character(s) in term '{token}'", text, base + i
            )

    def fail(msg: str, start: int, end: int) -> PatternRegexError:
        return PatternRegexError(
            f"{INVALID_PATTERN}: invalid regex {token}: {msg}", text, base + start, base + end
        )

    n = len(src)
    i = 0
    prev = "none"  # what the last item was: none (start, or after '|') | atom | repeat
    last_repeat = 0  # where the last repetition operator started, when prev == "repeat"
    while i < n:
        ch = src[i]
        if ch == "\\":
            i = _escape(src, i, fail, in_class=False)
            prev = "atom"
            continue
        if ch == "[":
            i = _char_class(src, i, fail)
            prev = "atom"
            continue
        counts = parse_repeat(src, i) if ch == "{" else None
        if ch in "*+?" or counts is not None:
            # RE2's order (parse.cc): the operator with its non-greedy `?`, then stacking, then
            # the counts, then the argument; each message quotes the operator as RE2 does.
            op_end = counts[2] if counts is not None else i + 1
            if op_end < n and src[op_end] == "?":
                op_end += 1
            if prev == "repeat":
                raise fail(f"bad repetition operator: {src[last_repeat:op_end]}", i, op_end)
            op = src[i:op_end]
            if counts is not None:
                low, high, _ = counts
                if low > MAX_REPEAT or (high is not None and (high > MAX_REPEAT or high < low)):
                    raise fail(f"invalid repetition size: {op}", i, op_end)
            if prev == "none":
                raise fail(f"no argument for repetition operator: {op}", i, op_end)
            prev, last_repeat = "repeat", i
            i = op_end
            continue
        if ch == "|":
            prev = "none"
        else:
            prev = "atom"  # literals, '.', '^', '$', a '{' that starts no repetition, ']'
        i += 1


def parse_repeat(src: str, i: int) -> tuple[int, int | None, int] | None:
    """Read a counted repetition at ``src[i] == '{'`` as RE2 reads it.

    Returns:
        ``(minimum, maximum or None when unbounded, index after the closing brace)``, or None
        when RE2 reads the brace as literal text (see `_COUNT`). ``{,m}`` is ``(0, m, ...)``
        (DECISIONS P18), under the same rule for ``m``.
    """
    m = _REPEAT_RE.match(src, i)
    if m is None:
        return None
    low, comma, high, only_high = m.groups()
    if only_high is not None:
        return 0, int(only_high), m.end()
    if comma is None:
        return int(low), int(low), m.end()
    return int(low), (int(high) if high is not None else None), m.end()


def _escape(src: str, i: int, fail, in_class: bool) -> int:
    """Validate the escape at src[i] == '\\'; return the index after it."""
    if i + 1 >= len(src):
        raise fail("trailing backslash", i, i + 1)
    c = src[i + 1]
    if c in _CLASS_ESCAPES or c in _CONTROL_ESCAPES:
        return i + 2
    if c in _ASSERT_ESCAPES and not in_class:
        return i + 2
    if c == "x":
        if _HEX2.fullmatch(src[i + 2 : i + 4]):
            return i + 4
        raise fail(f"invalid escape sequence: {src[i:i + 4]} (\\x takes two hex digits)", i, min(i + 4, len(src)))
    if not c.isalnum():  # escaped punctuation or space: the character itself
        return i + 2
    raise fail(f"invalid escape sequence: \\{c}", i, i + 2)


_CONTROL_CHARS = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v"}


def _class_member(src: str, i: int, fail) -> tuple[str | None, int]:
    """Read one member of a character class at src[i]: (the single character it stands for, or
    None for a class escape such as `\\d`; the index after it)."""
    if src[i] != "\\":
        return src[i], i + 1
    j = _escape(src, i, fail, in_class=True)
    esc = src[i + 1]
    if esc == "x":
        return chr(int(src[i + 2 : i + 4], 16)), j
    if not esc.isalnum():
        return esc, j
    return _CONTROL_CHARS.get(esc), j


def _char_class(src: str, i: int, fail) -> int:
    """Validate the character class starting at src[i] == '['; return the index after it."""
    start = i
    n = len(src)
    i += 1
    if i < n and src[i] == "^":
        i += 1
    first = True
    while True:
        if i >= n:
            raise fail(f"missing ]: {src[start:]}", start, n)
        if src[i] == "]" and not first:
            return i + 1
        first = False
        if src.startswith("[:", i):
            end = src.find(":]", i + 2)
            if end >= 0:
                if src[i + 2 : end].lstrip("^") not in _POSIX_CLASSES:
                    raise fail(f"invalid character class range: {src[i:end + 2]}", i, end + 2)
                i = end + 2
                continue
        lo, i = _class_member(src, i, fail)
        # A range `a-z`: the '-' neither first nor last in the class; after a class escape such
        # as `\\d`, or before a POSIX class, RE2 reads the '-' literally.
        if lo is None or i + 1 >= n or src[i] != "-" or src[i + 1] == "]" or src.startswith("[:", i + 1):
            continue
        hi, j = _class_member(src, i + 1, fail)
        if hi is not None:
            if hi < lo:
                shown = src[i - 1 : j] if src[i + 1] == "\\" else f"{lo}-{hi}"
                raise fail(f"invalid character class range: {shown}", i - 1, j)
            i = j
