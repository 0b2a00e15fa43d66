"""Parse filter-pattern text into the typed tree of `nodes`, or raise a `PatternError`.

Lark stays behind `parse()`: its exceptions are translated here into our own errors, which carry
the pattern and the offending column. The grammar lives in ``filter_pattern.lark``.
"""

from __future__ import annotations

import functools
import re

from lark import Lark, Token, Transformer_NonRecursive, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from . import fastpath, nodes
from .checks import check_pattern, check_regex
from .errors import (
    INVALID_PATTERN,
    PatternError,
    PatternLimitError,
    PatternSyntaxError,
    PatternUnsupportedError,
)
from .hints import hint_for
from .loader import load_grammar
from .nodes import Span

MAX_PATTERN_LENGTH = 1024
MAX_INDEX = 2**31 - 1  # DECISIONS P19: an array index is a Java int.


@functools.cache
def _lark() -> Lark:
    return load_grammar(
        __package__,
        "filter_pattern.lark",
        lexer="contextual",
        start=["term_pattern", "json_pattern", "delimited_pattern"],
        propagate_positions=True,
        maybe_placeholders=False,
    )


def parse(text: str) -> nodes.Pattern:
    """Parse a filter pattern.

    Args:
        text: the pattern exactly as it would be given to PutMetricFilter.

    Returns:
        A `TermPattern`, `RegexPattern`, `JsonPattern` or `DelimitedPattern`.

    Raises:
        PatternError: a subclass naming what is wrong, with the column of the fault.
    """
    if not isinstance(text, str):
        raise TypeError(f"a filter pattern is a str, not {type(text).__name__}")
    try:
        return _parse_cached(text)
    except PatternError as exc:
        if exc.hint is None:
            exc.hint = hint_for(exc)
        raise


# The trees are immutable, so a pattern seen again (a config checked, linted and wired; many
# filters with one pattern) is parsed once. Errors are not cached: they are raised again.
@functools.lru_cache(maxsize=16384)
def _parse_cached(text: str) -> nodes.Pattern:
    _check_length(text)
    first = text[:1]
    # DECISIONS P16: the first character decides the kind, with no trimming.
    if first == "{":
        _require_last(text, "}")
        pattern = _parse_with(text, "json_pattern")
    elif first == "[":
        _require_last(text, "]")
        pattern = _parse_with(text, "delimited_pattern")
    elif first == "%":
        if len(text) < 2 or not text.endswith("%"):
            raise PatternSyntaxError(
                "If a filter pattern starts with '%' it must end with '%'", text, len(text)
            )
        regex = nodes.Regex(text[1:-1], span=Span(0, len(text)))
        check_regex(regex, text)
        pattern = nodes.RegexPattern(regex, span=Span(0, len(text)))
    else:
        pattern = _parse_with(text, "term_pattern")
    check_pattern(pattern, text)
    return pattern


def _check_length(text: str) -> None:
    # DECISIONS P15: counted in UTF-16 code units, before anything else.
    units = len(text.encode("utf-16-le", "surrogatepass")) // 2  # a lone surrogate is one unit
    if units <= MAX_PATTERN_LENGTH:
        return
    # Find the first code point that takes the count past the limit, for the caret.
    count = 0
    for i, ch in enumerate(text):  # noqa: B007 - i is the caret's position after the loop
        count += 2 if ord(ch) > 0xFFFF else 1
        if count > MAX_PATTERN_LENGTH:
            break
    raise PatternLimitError(
        f"1 validation error detected: Value '{text}' at 'filterPattern' failed to satisfy "
        f"constraint: Member must have length less than or equal to {MAX_PATTERN_LENGTH}",
        text,
        i,
        len(text),
    )


def _require_last(text: str, closer: str) -> None:
    if not text.endswith(closer) or len(text) < 2:
        opener = text[0]
        raise PatternSyntaxError(
            f"If a filter pattern starts with '{opener}' it must end with '{closer}'",
            text,
            len(text),
        )


def _parse_with(text: str, start: str) -> nodes.Pattern:
    # The common shapes are read directly, into the same tree (tests/test_fastpath.py holds them
    # to the grammar); anything else, errors included, goes through Lark.
    tree = fastpath.read(text, start)
    if tree is not None:
        return tree
    return _parse_lark(text, start)


def _parse_lark(text: str, start: str) -> nodes.Pattern:
    try:
        tree = _lark().parse(text, start=start)
        return _ToNodes(text).transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, PatternError):
            raise exc.orig_exc from None
        raise
    except UnexpectedInput as exc:
        raise _translate(exc, text, start) from None


# --------------------------------------------------------------------------- tree -> nodes

def _span(meta) -> Span:
    return Span(meta.start_pos, meta.end_pos)


def _tok_span(tok: Token) -> Span:
    return Span(tok.start_pos, tok.end_pos)


def decode_quoted(raw: str) -> str:
    """Decode a double-quoted string token: DECISIONS P5 (`\\"` and `\\\\` only)."""
    body = raw[1:-1]
    if "\\" not in body:
        return body
    return re.sub(r'\\(["\\])', r"\1", body)


class _ToNodes(Transformer_NonRecursive):
    """Builds `nodes` from the Lark tree. Rule names match node names (json_compare -> JsonCompare).

    Non-recursive, so that a pattern nested as deeply as its 1024 characters allow (about 500
    parentheses) is not a `RecursionError` (the recursive `Transformer` takes two frames a level).
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    # ------------------------------------------------------------ terms
    @v_args(meta=True)
    def term_pattern(self, meta, children):
        return nodes.TermPattern(tuple(children), span=Span(0, len(self.text)))

    @v_args(meta=True)
    def term(self, meta, children):
        kind = "include"
        if len(children) == 2:
            kind = "optional" if children[0] == "?" else "exclude"
        tok = children[-1]
        if tok.type == "QUOTED":
            value = decode_quoted(str(tok))
            if value == "":
                # DECISIONS P4, P23: an empty quoted term is refused, wherever it stands.
                raise PatternSyntaxError(
                    "Invalid character(s) in term '\"\"'", self.text, tok.start_pos, tok.end_pos
                )
            return nodes.Term(value, kind, True, span=_span(meta))
        return nodes.Term(str(tok), kind, False, span=_span(meta))

    # ------------------------------------------------------------ JSON
    @v_args(meta=True)
    def json_pattern(self, meta, children):
        return nodes.JsonPattern(children[1], span=Span(0, len(self.text)))

    @v_args(meta=True)
    def json_or(self, meta, children):
        items = [c for c in children if not isinstance(c, Token)]
        return nodes.JsonOr(_flatten(items, nodes.JsonOr), span=_span(meta))

    @v_args(meta=True)
    def json_and(self, meta, children):
        items = [c for c in children if not isinstance(c, Token)]
        return nodes.JsonAnd(_flatten(items, nodes.JsonAnd), span=_span(meta))

    @v_args(meta=True)
    def json_group(self, meta, children):
        return children[1]

    @v_args(meta=True)
    def json_compare(self, meta, children):
        sel, op, value = children
        return nodes.JsonCompare(
            self._selector(sel), str(op), self._value(value), span=_span(meta)
        )

    @v_args(meta=True)
    def json_is(self, meta, children):
        sel, _, what = children
        return nodes.JsonIs(self._selector(sel), str(what), span=_span(meta))

    @v_args(meta=True)
    def json_not_exists(self, meta, children):
        return nodes.JsonNotExists(self._selector(children[0]), span=_span(meta))

    @v_args(meta=True)
    def json_is_not(self, meta, children):
        # DECISIONS P11
        is_tok = children[1]
        raise PatternUnsupportedError(
            f"{INVALID_PATTERN}: 'IS NOT' is not supported by CloudWatch Logs "
            "(use '!=' or NOT EXISTS)",
            self.text,
            is_tok.start_pos,
            children[-1].end_pos,
        )

    @v_args(meta=True)
    def json_exists(self, meta, children):
        # DECISIONS P11
        tok = children[1]
        raise PatternUnsupportedError(
            f"{INVALID_PATTERN}: 'EXISTS' is not supported by CloudWatch Logs "
            "(use '= *' to test that a property exists, or NOT EXISTS)",
            self.text,
            tok.start_pos,
            tok.end_pos,
        )

    def _value(self, tok: Token) -> nodes.Value:
        span = _tok_span(tok)
        if tok.type == "REGEX":
            return nodes.Regex(str(tok)[1:-1], span=span)
        if tok.type == "QUOTED":
            return nodes.Literal(decode_quoted(str(tok)), True, span=span)
        return nodes.Literal(str(tok), False, span=span)

    def _selector(self, tok: Token) -> nodes.Selector:
        return parse_selector(str(tok), self.text, tok.start_pos)

    # ------------------------------------------------------------ space-delimited
    @v_args(meta=True)
    def delimited_pattern(self, meta, children):
        slots = children[1] if len(children) == 3 else ()
        return nodes.DelimitedPattern(tuple(slots), span=Span(0, len(self.text)))

    @v_args(meta=True)
    def slot_list(self, meta, children):
        slots = [c for c in children if not isinstance(c, Token)]
        if children and isinstance(children[-1], Token) and children[-1].type == "TRAILING_COMMA":
            tok = children[-1]
            slots.append(nodes.Slot(None, None, span=Span(tok.start_pos, tok.end_pos)))
        rests = [s for s in slots if isinstance(s, nodes.Rest)]
        if len(rests) > 1:
            raise PatternSyntaxError(
                f"{INVALID_PATTERN}: only one '...' is allowed in a space-delimited pattern",
                self.text,
                rests[1].span.start,
                rests[1].span.end,
            )
        return slots

    @v_args(meta=True)
    def rest_slot(self, meta, children):
        return nodes.Rest(span=_tok_span(children[0]))

    @v_args(meta=True)
    def bare_slot(self, meta, children):
        tok = children[0]
        return nodes.Slot(self._slot_name(tok), None, span=_tok_span(tok))

    @v_args(meta=True)
    def condition_slot(self, meta, children):
        (expr,) = children
        names = list(_slot_names(expr))
        name, first = names[0]
        for other, tok in names[1:]:
            if other != name:
                # DECISIONS P14: a slot's conditions may only test its own field.
                raise PatternUnsupportedError(
                    f"{INVALID_PATTERN}: a condition in the slot of '{name}' tests another "
                    f"field, '{other}'; each slot can only test its own field",
                    self.text,
                    tok.start_pos,
                    tok.end_pos,
                )
        self._slot_name(first)
        return nodes.Slot(name, _strip_names(expr), span=_span(meta))

    @v_args(meta=True)
    def slot_or(self, meta, children):
        items = [c for c in children if not (isinstance(c, Token) and c.type == "OR")]
        return ("or", items, meta)

    @v_args(meta=True)
    def slot_and(self, meta, children):
        items = [c for c in children if not (isinstance(c, Token) and c.type == "AND")]
        return ("and", items, meta)

    @v_args(meta=True)
    def slot_compare(self, meta, children):
        name, op, value = children
        return ("cmp", name, nodes.SlotCompare(str(op), self._value(value), span=_span(meta)))

    def _slot_name(self, tok: Token) -> str:
        name = str(tok)
        if name.isdigit():
            # DECISIONS P23: digit-only names would clash with the positional keys $1, $2 ...
            raise PatternSyntaxError(
                f"{INVALID_PATTERN}: a field name cannot be only digits ('{name}' would clash "
                f"with the positional name ${name})",
                self.text,
                tok.start_pos,
                tok.end_pos,
            )
        return name


def _flatten(items, cls) -> tuple:
    out = []
    for item in items:
        if isinstance(item, cls):
            out.extend(item.items)
        else:
            out.append(item)
    return tuple(out)


def _slot_names(expr):
    kind = expr[0]
    if kind == "cmp":
        yield str(expr[1]), expr[1]
    else:
        for item in expr[1]:
            yield from _slot_names(item)


def _strip_names(expr) -> nodes.SlotExpr:
    kind = expr[0]
    if kind == "cmp":
        return expr[2]
    items = tuple(_strip_names(i) for i in expr[1])
    cls = nodes.SlotOr if kind == "or" else nodes.SlotAnd
    return cls(_flatten(items, cls), span=_span(expr[2]))


# --------------------------------------------------------------------------- selectors

_NAME_RE = re.compile(r"[A-Za-z0-9_-]+")
_INDEX_RE = re.compile(r"\[([0-9]+)\]")


def parse_selector(sel: str, text: str = "", offset: int = 0) -> nodes.Selector:
    """Split a selector such as ``$.a['b.c'][0].*`` into steps (DECISIONS P19, P20).

    Args:
        sel: the selector text, starting with ``$``.
        text: the whole pattern, for error messages.
        offset: where `sel` starts in `text`.
    """
    text = text or sel

    def fail(pos: int, what: str, end: int | None = None) -> PatternSyntaxError:
        return PatternSyntaxError(
            f"{INVALID_PATTERN}: {what}", text, offset + pos, None if end is None else offset + end
        )

    steps: list[nodes.Step] = []
    pos = 1
    if not sel.startswith("$."):
        raise fail(0, "a property selector must start with '$.'", len(sel))
    while pos < len(sel):
        rest = sel[pos:]
        first = not steps
        if rest.startswith(".['") or (not first and rest.startswith("['")):
            start = pos + (2 if rest[0] == "." else 1)
            close = sel.find("']", start + 1)
            if close < 0:
                raise fail(pos, "unterminated ['key'] in selector")
            steps.append(nodes.Key(sel[start + 1 : close], bracket=True))
            pos = close + 2
        elif rest.startswith(".*"):
            steps.append(nodes.AnyMember())
            pos += 2
        elif rest.startswith("."):
            m = _NAME_RE.match(sel, pos + 1)
            if not m:
                raise fail(pos + 1, "expected a property name (letters, digits, '_' or '-') after '.'")
            steps.append(nodes.Key(m.group(0)))
            pos = m.end()
        elif first:
            raise fail(pos, "a property selector must start with '$.'")
        elif rest.startswith("[*]"):
            steps.append(nodes.AnyElement())
            pos += 3
        elif (m := _INDEX_RE.match(sel, pos)) is not None:
            index = int(m.group(1))
            if index > MAX_INDEX:
                raise fail(pos + 1, f"array index {index} is too large (at most {MAX_INDEX})", m.end() - 1)
            steps.append(nodes.Index(index))
            pos = m.end()
        else:
            raise fail(pos, f"unexpected {sel[pos]!r} in property selector")
    if not steps:
        raise fail(1, "expected a property name after '$.'")
    return nodes.Selector(sel, tuple(steps), span=Span(offset, offset + len(sel)))


# --------------------------------------------------------------------------- errors

# Terminal names -> words for "expected ..." (Lark's names never reach the user).
_WORDS = {
    "TERM_OP": "'?' or '-'",
    "WORD": "a term",
    "QUOTED": "a quoted string",
    "REGEX": "a %regex%",
    "SELECTOR": "a property selector ($.name)",
    "JSON_UNQUOTED": "a value",
    "SLOT_UNQUOTED": "a value",
    "COMPARE": "a comparison operator (= != < <= > >=)",
    "IS": "IS",
    "NOT": "NOT",
    "EXISTS": "EXISTS",
    "IS_WHAT": "NULL, TRUE or FALSE",
    "ELLIPSIS": "'...'",
    "SLOT_NAME": "a field name",
    "TRAILING_COMMA": "','",
    "COMMA": "','",
    "AND": "'&&'",
    "OR": "'||'",
    "LPAR": "'('",
    "RPAR": "')'",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "LSQB": "'['",
    "RSQB": "']'",
    "$END": "the end of the pattern",
}
_KEYWORDS = ("IS", "NOT", "EXISTS", "NULL", "TRUE", "FALSE")


def _expected(names) -> str:
    words = sorted({_WORDS.get(n, n) for n in names})
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _term_chunk(text: str, pos: int) -> tuple[int, int]:
    """The whitespace-delimited chunk of a term pattern around `pos`, quotes kept together."""
    # Walk from the start so that quoted phrases with spaces stay one chunk.
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \t\r\n":
            i += 1
        start = i
        while i < n and text[i] not in " \t\r\n":
            if text[i] == '"':
                j = i + 1
                while j < n and text[j] != '"':
                    j += 2 if text[j] == "\\" else 1
                i = min(j + 1, n)
            else:
                i += 1
        if start <= pos < i or (pos >= n and i >= n):
            return start, i
    return max(0, min(pos, n - 1)), n


def _keyword_case(text: str, pos: int) -> PatternError | None:
    """DECISIONS P19: keywords are upper case only; name the fix when one is written otherwise."""
    word = re.match(r"[A-Za-z]+", text[pos:])
    if word and word.group(0).upper() in _KEYWORDS and word.group(0) != word.group(0).upper():
        kw = word.group(0)
        return PatternSyntaxError(
            f"{INVALID_PATTERN}: keywords are upper case: write {kw.upper()} instead of {kw}",
            text, pos, pos + len(kw),
        )
    return None


def _translate(exc: UnexpectedInput, text: str, start: str) -> PatternError:
    pos = exc.pos_in_stream if exc.pos_in_stream is not None else len(text)
    if isinstance(exc, UnexpectedToken) and exc.token.type == "$END":
        pos = len(text)
    if start == "term_pattern":
        # DECISIONS P17: the service names the offending term.
        a, b = _term_chunk(text, min(pos, max(len(text) - 1, 0)))
        term = text[a:b]
        return PatternSyntaxError(f"Invalid character(s) in term '{term}'", text, a, b)

    if isinstance(exc, UnexpectedCharacters):
        ch = text[pos] if pos < len(text) else ""
        expected = _expected(exc.allowed or ())
        if (bad := _keyword_case(text, pos)) is not None:
            return bad
        if ch == '"':
            return PatternSyntaxError(
                f"{INVALID_PATTERN}: unterminated quoted string", text, pos, len(text)
            )
        if ch == "%":
            return PatternSyntaxError(
                f"{INVALID_PATTERN}: unterminated %regex% (a regex ends with '%')", text, pos, len(text)
            )
        if ch in "()" and start == "delimited_pattern":
            return PatternUnsupportedError(
                f"{INVALID_PATTERN}: parentheses are not supported in space-delimited patterns",
                text, pos,
            )
        shown = repr(ch) if ch else "end of pattern"
        msg = f"{INVALID_PATTERN}: unexpected {shown}"
        if expected:
            msg += f"; expected {expected}"
        return PatternSyntaxError(msg, text, pos)

    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        expected = _expected(exc.accepts or exc.expected or ())
        if tok.type != "$END":
            if (bad := _keyword_case(text, pos)) is not None:
                return bad
            if start == "delimited_pattern" and text[pos] == ",":
                return PatternSyntaxError(
                    f"{INVALID_PATTERN}: empty field in a space-delimited pattern "
                    "(only the last field may be left empty, by a trailing comma)",
                    text, pos,
                )
            if tok.type == "QUOTED":
                return PatternSyntaxError(
                    f"{INVALID_PATTERN}: unexpected quoted string; expected {expected} "
                    "(is a '\"' missing or extra before it?)",
                    text, pos,
                )
        if tok.type == "$END":
            shown = "end of pattern"
            end = None
        else:
            value = str(tok)
            if tok.type in ("LPAR", "RPAR") and start == "delimited_pattern":
                return PatternUnsupportedError(
                    f"{INVALID_PATTERN}: parentheses are not supported in space-delimited patterns",
                    text, pos,
                )
            shown = repr(value if len(value) <= 40 else value[:37] + "...")
            end = tok.end_pos
        msg = f"{INVALID_PATTERN}: unexpected {shown}"
        if expected:
            msg += f"; expected {expected}"
        return PatternSyntaxError(msg, text, pos, end)

    if isinstance(exc, UnexpectedEOF):  # pragma: no cover - LALR reports $END as UnexpectedToken
        return PatternSyntaxError(f"{INVALID_PATTERN}: incomplete pattern", text, len(text))
    return PatternSyntaxError(f"{INVALID_PATTERN}: {exc}", text, pos)  # pragma: no cover
