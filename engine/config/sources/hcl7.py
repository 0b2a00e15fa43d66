"""Reading a ``.tf`` file with python-hcl2 7 into the shape python-hcl2 8 gives, which `hclexpr` reads.

python-hcl2 8 keeps every value as its source text: a quoted string as written (``"\\"a ${var.x}\\""``),
any other expression as ``${...}`` around its text, heredocs as the quoted string of their value;
literal lists, objects, numbers, booleans and null as Python values. The dictionaries python-hcl2 7
builds lose information on the way: strings are unquoted and their escapes decoded in the wrong
order (``"\\\\n"`` becomes a backslash and a newline), strings nested in an expression lose their
quotes (``[for g in ["a"] : g]`` becomes ``[for g in [a] : g]``), nested calls are wrapped in
``${...}`` again, objects in arguments are written as JSON, and heredocs have their escapes decoded.
So the file is parsed with python-hcl2 7's own parser and each attribute's value is taken from the
source text by the parse tree's positions, which gives exactly what version 8 gives.

Heredocs follow the HCL specification: the value is every line up to the closing marker, each with
its newline; ``<<-`` removes the smallest indentation (spaces and tabs) of the lines that are not
blank. python-hcl2 8.1 drops the last newline; for a filter pattern it makes no difference, since the
provider trims the pattern.
"""

from __future__ import annotations

import re
from typing import Any

from .hclexpr import _matching_brace
from .hclvalues import _Fail

_HEREDOC_OPEN_RE = re.compile(r"<<(-?)([A-Za-z][A-Za-z0-9._-]*)[ \t]*\n?")
_STRING_RULES = ("string", "string_with_interpolation")  # the rule's name differs across 7.x
_TYPE_KEYWORDS = ("bool", "number", "string")
MAX_DEPTH = 1_000  # levels of the parse tree of one expression


def loads(text: str) -> dict:
    """The body of an HCL file as python-hcl2 8 shapes it.

    Raises:
        lark's exceptions for invalid HCL (as python-hcl2 does), ValueError for an attribute
        defined twice, RecursionError for expressions nested too deeply.
    """
    from hcl2.parser import parser  # python-hcl2 7's parser (Lark, LALR, positions kept)

    source = text + "\n"  # as python-hcl2 7: the grammar needs every line to end in a newline
    tree = parser().parse(source)
    body = next(c for c in tree.children if _is(c, "body"))
    return _body(body, source)


def _is(node: Any, *names: str) -> bool:
    return getattr(node, "data", None) in names


def _trees(node: Any) -> list:
    """The children of a parse tree node that are rules, without newlines and comments."""
    return [c for c in node.children if hasattr(c, "data") and c.data != "new_line_or_comment"]


def _text(node: Any, source: str) -> str:
    if hasattr(node, "data"):
        return source[node.meta.start_pos:node.meta.end_pos]
    return str(node)


def _body(node: Any, source: str) -> dict:
    out: dict[str, Any] = {}
    attributes: set[str] = set()
    for child in _trees(node):
        if child.data == "attribute":
            key = _unquote(_text(child.children[0], source))
            if key in out:
                raise ValueError(f"{key} already defined")
            out[key] = _value(child.children[-1], source)
            attributes.add(key)
        elif child.data == "block":
            kind, *labels = [c for c in child.children if not _is(c, "new_line_or_comment", "body")]
            inner: Any = _body(next(c for c in child.children if _is(c, "body")), source)
            for label in reversed(labels):
                inner = {_unquote(_text(label, source)): inner}
            key = _text(kind, source)
            if key in attributes:
                raise ValueError(f"{key} already defined")
            out.setdefault(key, []).append(inner)
    return out


def _unquote(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] == '"' and text[-1] == '"' else text


def _value(node: Any, source: str) -> Any:
    """One expression in python-hcl2 8's shape."""
    if _is(node, "expr_term"):
        term = node.children[0] if len(node.children) == 1 else None  # else ( expression )
        if _is(term, *_STRING_RULES) or getattr(term, "type", "") == "STRING_LIT":  # a token before 7.2
            return _text(term, source)
        if _is(term, "int_lit"):
            return int(_text(term, source))
        if _is(term, "float_lit"):
            number = _text(term, source)
            return "${" + number + "}" if "e" in number.lower() else float(number)
        if _is(term, "identifier"):
            name = _text(term, source)
            if name in ("true", "false"):
                return name == "true"
            if name == "null":
                return None
            return name if name in _TYPE_KEYWORDS else "${" + name + "}"
        if _is(term, "tuple"):
            return [_value(item, source) for item in _trees(term)]
        if _is(term, "object"):
            return dict(_element(elem, source) for elem in _trees(term))
        if _is(term, "heredoc_template", "heredoc_template_trim"):
            return quoted_heredoc(str(term.children[0]))
    return "${" + _expression_text(node, source) + "}"


def _element(node: Any, source: str) -> tuple[str, Any]:
    """An object's ``key = value``: the key as python-hcl2 8 writes it, the value in its shape."""
    key_node = next(c for c in node.children if _is(c, "object_elem_key"))
    value = _value(node.children[-1], source)
    key = key_node.children[0] if len(key_node.children) == 1 else None
    if _is(key, "identifier"):
        return _text(key, source), value
    if _is(key, "int_lit", "float_lit"):
        return _text(key, source), value
    if _is(key, *_STRING_RULES) or getattr(key, "type", "") == "STRING_LIT":
        return _text(key, source), value
    # An expression as the key: ``(var.name)`` or ``a.b`` (python-hcl2 7.1 keeps the parentheses
    # outside the key's rule).
    start = node.meta.start_pos
    end = next(c for c in node.children if getattr(c, "type", "") in ("EQ", "COLON")).start_pos
    return "${" + source[start:end].strip() + "}", value


def _expression_text(node: Any, source: str) -> str:
    """The source text of an expression, its heredocs written as quoted strings."""
    start, end = node.meta.start_pos, node.meta.end_pos
    heredocs = []
    stack = [(node, 0)]
    while stack:
        current, depth = stack.pop()
        if depth > MAX_DEPTH:
            # As deep as python-hcl2's own (recursive) transformer could not go either.
            raise RecursionError(f"an expression nested more than {MAX_DEPTH:,} levels deep")
        if _is(current, "heredoc_template", "heredoc_template_trim"):
            token = current.children[0]
            heredocs.append((token.start_pos, token.end_pos, quoted_heredoc(str(token))))
        elif hasattr(current, "data"):
            stack.extend((child, depth + 1) for child in current.children)
    out, at = [], start
    for first, last, text in sorted(heredocs):
        out += [source[at:first], text, " "]  # the heredoc's token ends with the marker line's newline
        at = last
    out.append(source[at:end])
    return "".join(out).strip()


def heredoc_value(token: str) -> str:
    """The template text of a heredoc token (``<<EOT\\n...\\nEOT\\n``), per the HCL specification."""
    m = _HEREDOC_OPEN_RE.match(token)
    if m is None:
        raise ValueError(f"invalid heredoc: {token[:40]!r}")
    lines = token[m.end():].split("\n")
    lines = lines[:-2]  # the token ends with the closing marker's line and its newline
    if m.group(1) == "-":
        indents = [len(line) - len(line.lstrip(" \t")) for line in lines if line.strip(" \t")]
        cut = min(indents, default=0)
        lines = [line[cut:] for line in lines]
    return "".join(line + "\n" for line in lines)


def quoted_heredoc(token: str) -> str:
    """A heredoc as the quoted template with the same value: ``\\``, ``"`` and newlines escaped
    outside its interpolations and directives (a heredoc has no escapes of its own)."""
    return quote_template(heredoc_value(token))


def quote_template(text: str) -> str:
    """Template text (``a "${var.x}"``) as a quoted template (``"a \\"${var.x}\\""``)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text.startswith(("$${", "%%{"), i):
            out.append(text[i:i + 3])
            i += 3
            continue
        if text.startswith(("${", "%{"), i):
            end = _interpolation_end(text, i + 1)
            out.append(text[i:end])
            i = end
            continue
        c = text[i]
        out.append({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(c, c))
        i += 1
    return '"' + "".join(out) + '"'


def _interpolation_end(text: str, open_at: int) -> int:
    """The index after the ``}`` closing the ``{`` at `open_at` (quoted strings skipped), else the end."""
    try:
        return _matching_brace(text, open_at) + 1
    except _Fail:
        return len(text)
