"""The grammar's reader: ``filter_pattern.lark`` through Lark, its tree turned into `nodes`.

`parser.parse` comes here for the patterns `fastpath` does not read, every error included:
Lark's exceptions are translated into our own errors, which carry the pattern and the offending
column, with the service's wording.
"""

from __future__ import annotations

import functools
import re

from lark import Lark, Token, Transformer_NonRecursive, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from . import nodes
from .errors import (
    INVALID_PATTERN,
    PatternError,
    PatternSyntaxError,
    PatternUnsupportedError,
)
from .fastpath import _flatten
from .loader import load_grammar
from .nodes import Span
from .parser import decode_quoted, parse_selector


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


def parse_lark(text: str, start: str) -> nodes.Pattern:
    try:
        tree = _lark().parse(text, start=start)
        return _ToNodes(text).transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, PatternError):
            raise exc.orig_exc from None
        raise
    except UnexpectedInput as exc:
        raise _translate(exc, text, start) from None


def _span(meta) -> Span:
    return Span(meta.start_pos, meta.end_pos)


def _tok_span(tok: Token) -> Span:
    return Span(tok.start_pos, tok.end_pos)


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
