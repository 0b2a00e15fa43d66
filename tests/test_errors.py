"""Error messages: each error class once with its full rendered text, and where each rule points."""

from __future__ import annotations

import cwfilter
import pytest
from cwfilter import (
    PatternError,
    PatternLimitError,
    PatternRegexError,
    PatternSyntaxError,
    PatternUnsupportedError,
)


def _error(text: str) -> PatternError:
    with pytest.raises(PatternError) as info:
        cwfilter.compile_pattern(text)
    return info.value


def test_pattern_error_is_a_value_error():
    assert issubclass(PatternError, ValueError)
    for cls in (PatternSyntaxError, PatternUnsupportedError, PatternRegexError, PatternLimitError):
        assert issubclass(cls, PatternError)


def test_syntax_error_full_text():
    err = _error("{ $.eventName = ConsoleLogin")
    assert type(err) is PatternSyntaxError
    assert str(err) == (
        "If a filter pattern starts with '{' it must end with '}' (column 29)\n"
        "  { $.eventName = ConsoleLogin\n"
        "                              ^"
    )


def test_term_error_full_text():
    err = _error("ERROR user@example.com")
    assert type(err) is PatternSyntaxError
    assert str(err) == (
        "Invalid character(s) in term 'user@example.com' (column 7)\n"
        "  ERROR user@example.com\n"
        "        ^^^^^^^^^^^^^^^^"
    )
    assert (err.start, err.end) == (6, 22)


def test_unsupported_error_full_text():
    err = _error("{ $.a IS NOT NULL }")
    assert type(err) is PatternUnsupportedError
    assert str(err) == (
        "Invalid metric filter pattern: 'IS NOT' is not supported by CloudWatch Logs "
        "(use '!=' or NOT EXISTS) (column 7)\n"
        "  { $.a IS NOT NULL }\n"
        "        ^^^^^^^^^^^"
    )


def test_regex_error_full_text():
    err = _error("%status(5..)%")
    assert type(err) is PatternRegexError
    assert str(err) == (
        "Invalid character(s) in term '%status(5..)%' (column 8)\n"
        "  %status(5..)%\n"
        "         ^\n"
        "hint: a regex cannot hold parentheses: write \\x28 and \\x29 for literal ones"
    )


def test_limit_error_full_text():
    err = _error("{ $.a = %x% && $.b = %y% && $.c = %z% }")
    assert type(err) is PatternLimitError
    assert str(err) == (
        "Invalid metric filter pattern: a pattern can hold at most 2 regular expressions (column 35)\n"
        "  { $.a = %x% && $.b = %y% && $.c = %z% }\n"
        "                                    ^^^"
    )


def test_length_limit_uses_the_service_text_and_utf16_units():
    ok = "a" * 1024
    cwfilter.parse(ok)
    err = _error("a" * 1025)
    assert type(err) is PatternLimitError
    assert err.message.startswith("1 validation error detected: Value '")
    assert err.message.endswith(
        "' at 'filterPattern' failed to satisfy constraint: Member must have length less than or equal to 1024"
    )
    assert err.start == 1024
    # DECISIONS P15: a character outside the BMP counts twice.
    err = _error("\"" + "\U0001F600" * 512 + "\"")
    assert type(err) is PatternLimitError


@pytest.mark.parametrize(
    "text,cls,start,fragment",
    [
        # P16: the type is decided by the first character, without trimming
        (" {$.ThisFlag IS TRUE} ", PatternSyntaxError, 1, "Invalid character(s) in term '{$.ThisFlag'"),
        ("[a, b", PatternSyntaxError, 5, "must end with ']'"),
        ("%abc", PatternSyntaxError, 4, "must end with '%'"),
        ("%", PatternSyntaxError, 1, "must end with '%'"),
        # P4, P23: empty quoted terms
        ('""', PatternSyntaxError, 0, "Invalid character(s) in term '\"\"'"),
        ('ERROR ""', PatternSyntaxError, 6, "Invalid character(s) in term '\"\"'"),
        # P17: characters outside quotes, dangling and doubled operators, a regex among terms
        ("ERROR -", PatternSyntaxError, 6, "Invalid character(s) in term '-'"),
        ("--x", PatternSyntaxError, 0, "Invalid character(s) in term '--x'"),
        ("ERROR %x%", PatternSyntaxError, 6, "Invalid character(s) in term '%x%'"),
        ("\u201cERROR\u201d", PatternSyntaxError, 0, "Invalid character(s) in term"),
        ("caf\u00e9", PatternSyntaxError, 0, "Invalid character(s) in term 'caf\u00e9'"),
        # P11
        ("{ $.a EXISTS }", PatternUnsupportedError, 6, "'EXISTS' is not supported"),
        ("{ $.a IS NOT TRUE }", PatternUnsupportedError, 6, "'IS NOT' is not supported"),
        # P19: selectors and keyword case
        ("{ status = 1 }", PatternSyntaxError, 2, "expected '(' or a property selector"),
        ("{ $['k'] = 1 }", PatternSyntaxError, 2, "must start with '$.'"),
        ('{ $.["k"] = 1 }', PatternSyntaxError, 4, "unexpected '['"),
        ("{ $.a[2147483648] = 1 }", PatternSyntaxError, 6, "array index 2147483648 is too large"),
        ("{ $.a[2147483647] = 1 }", None, None, None),
        ("{ $.a is null }", PatternSyntaxError, 6, "keywords are upper case: write IS instead of is"),
        ("{ $.a IS null }", PatternSyntaxError, 9, "write NULL instead of null"),
        ("{ $. = 1 }", PatternSyntaxError, 4, "expected a property name"),
        ("{ $.a. = 1 }", PatternSyntaxError, 6, "expected a property name"),
        ("{ $.a = }", PatternSyntaxError, 8, "expected a %regex%, a quoted string or a value"),
        ('{ $.a = "abc }', PatternSyntaxError, 8, "unterminated quoted string"),
        ("{}", PatternSyntaxError, 1, "unexpected '}'"),
        # P20, P23: wildcard selectors
        ("{ $.a[*].* = 1 }", PatternLimitError, 2, "at most 1 wildcard"),
        ("{ $.a[*] = 1 && $.a[*] = 2 && $.b.* = 1 && $.c.* = 1 }", PatternLimitError, 43, "at most 3 wildcard"),
        ("{ $.a[*] = 1 && $.a[*] = 2 && $.b.* = 1 }", None, None, None),
        # P22: numeric operators
        ("{ $.a > abc }", PatternSyntaxError, 8, "needs an unquoted number, not the text 'abc'"),
        ('{ $.a <= "123" }', PatternSyntaxError, 9, "not a quoted string"),
        ("{ $.a >= 1* }", PatternSyntaxError, 9, "not the text '1*'"),
        ("{ $.a < %1% }", PatternSyntaxError, 8, "not a regex"),
        ("[a, b > x]", PatternSyntaxError, 8, "needs an unquoted number"),
        ("{ $.a > .5 }", PatternSyntaxError, 8, "not the text '.5'"),
        # P13, P14, P23: space-delimited
        ("[a,,b]", PatternSyntaxError, 3, "empty field"),
        ("[,a]", PatternSyntaxError, 1, "empty field"),
        ("[..., a, ...]", PatternSyntaxError, 9, "only one '...'"),
        ("[w1=ERROR || W1=WARN, w2]", PatternUnsupportedError, 13, "tests another field, 'W1'"),
        ("[a = 1 && b > 2]", PatternUnsupportedError, 10, "tests another field, 'b'"),
        ("[12, a]", PatternSyntaxError, 1, "cannot be only digits"),
        ("[a=(1)]", PatternUnsupportedError, 3, "parentheses are not supported"),
        ("[(a=1)]", PatternUnsupportedError, 1, "parentheses are not supported"),
        # P6, P18: regexes
        ("%something!%", PatternRegexError, 10, "Invalid character(s) in term '%something!%'"),
        ("%a\tb%", PatternRegexError, 2, "Invalid character(s)"),
        ("%\u00e9%", PatternRegexError, 1, "Invalid character(s)"),
        ("%a**%", PatternRegexError, 3, "bad repetition operator: **"),
        ("%a*+%", PatternRegexError, 3, "bad repetition operator: *+"),
        ("%a{2}{3}%", PatternRegexError, 5, "bad repetition operator"),
        ("%*a%", PatternRegexError, 1, "no argument for repetition operator: *"),
        ("%a{1001}%", PatternRegexError, 2, "invalid repetition size: {1001}"),
        ("%a{3,2}%", PatternRegexError, 2, "invalid repetition size: {3,2}"),
        ("%\\A%", PatternRegexError, 1, "invalid escape sequence: \\A"),
        ("%\\z%", PatternRegexError, 1, "invalid escape sequence: \\z"),
        ("%\\pL%", PatternRegexError, 1, "invalid escape sequence: \\p"),
        ("%\\Q%", PatternRegexError, 1, "invalid escape sequence: \\Q"),
        ("%\\x4%", PatternRegexError, 1, "invalid escape sequence"),
        ("%[a%", PatternRegexError, 1, "missing ]"),
        ("%[z-a]%", PatternRegexError, 2, "invalid character class range: z-a"),
        ("%[[:nope:]]%", PatternRegexError, 2, "invalid character class range: [:nope:]"),
        ("%a\\%", PatternRegexError, 2, "trailing backslash"),
        # accepted regex forms (P18)
        ("%a{,3}b%", None, None, None),
        ("%a*?b%", None, None, None),
        ("%[[:alpha:]]+%", None, None, None),
        ("%\\x28\\d\\s\\b\\.%", None, None, None),
        ("%a{1000}%", None, None, None),
        ("%%", None, None, None),
        # P7
        ("[a=%x%, b=%y%, c=%z%]", PatternLimitError, 17, "at most 2 regular expressions"),
    ],
)
def test_rejections(text, cls, start, fragment):
    if cls is None:
        cwfilter.compile_pattern(text)
        return
    err = _error(text)
    assert type(err) is cls, str(err)
    assert err.start == start, str(err)
    assert fragment in err.message, str(err)
    assert err.pattern == text


def test_errors_are_raised_from_parse_without_lark_in_the_chain():
    with pytest.raises(PatternError) as info:
        cwfilter.parse("{ $.a = }")
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__


def test_integers_beyond_2_53_compare_as_doubles():
    """Regression: the compiler compared a JSON integer with a number literal exactly, where
    DECISIONS P9 says numbers compare as IEEE doubles (9007199254740993 reads as ...992)."""
    from cwfilter.engine.events import LogEvent
    from cwfilter.engine.matching.interpret import interpret

    pattern = cwfilter.compile_pattern("{ $.n = 9007199254740992 }")
    message = '{"n": 9007199254740993}'
    assert pattern.matches(message) is True
    assert interpret(pattern.tree, LogEvent(message)) is True
    assert cwfilter.compile_pattern("{ $.n > 9007199254740992 }").matches(message) is False
