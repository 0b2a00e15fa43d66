"""unparse(): a pattern tree back to pattern text, in one canonical spacing.

``parse(unparse(t)) == t`` holds for every tree `parse` returns: quoting, selectors as written and
operators are kept; only whitespace and redundant parentheses change.
"""

from __future__ import annotations

from functools import singledispatch

from . import nodes

_TERM_PREFIX = {"include": "", "optional": "?", "exclude": "-"}


def quote(text: str) -> str:
    """Quote `text` so that the parser decodes it back unchanged (DECISIONS P5)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def unparse(node: nodes.Node) -> str:
    """Render a pattern (or any node of one) as filter-pattern text."""
    return _render(node)


@singledispatch
def _render(node) -> str:
    raise TypeError(f"cannot print {type(node).__name__}")


@_render.register
def _(node: nodes.TermPattern) -> str:
    return " ".join(_render(t) for t in node.terms)


@_render.register
def _(node: nodes.Term) -> str:
    body = quote(node.text) if node.quoted else node.text
    return _TERM_PREFIX[node.kind] + body


@_render.register
def _(node: nodes.RegexPattern) -> str:
    return _render(node.regex)


@_render.register
def _(node: nodes.Regex) -> str:
    return f"%{node.source}%"


@_render.register
def _(node: nodes.Literal) -> str:
    return quote(node.text) if node.quoted else node.text


@_render.register
def _(node: nodes.JsonPattern) -> str:
    return "{ " + _render(node.expr) + " }"


@_render.register
def _(node: nodes.JsonOr) -> str:
    return " || ".join(_render(i) for i in node.items)


@_render.register
def _(node: nodes.JsonAnd) -> str:
    # && binds tighter than ||, so only a disjunction needs parentheses here.
    return " && ".join(
        f"({_render(i)})" if isinstance(i, nodes.JsonOr) else _render(i) for i in node.items
    )


@_render.register
def _(node: nodes.JsonCompare) -> str:
    return f"{node.selector.text} {node.op} {_render(node.value)}"


@_render.register
def _(node: nodes.JsonIs) -> str:
    return f"{node.selector.text} IS {node.what}"


@_render.register
def _(node: nodes.JsonNotExists) -> str:
    return f"{node.selector.text} NOT EXISTS"


@_render.register
def _(node: nodes.Selector) -> str:
    return node.text


@_render.register
def _(node: nodes.DelimitedPattern) -> str:
    if not node.slots:
        return "[]"
    parts = [_render(s) for s in node.slots]
    trailing = isinstance(node.slots[-1], nodes.Slot) and node.slots[-1].name is None
    if trailing:
        parts.pop()
        return "[" + ", ".join(parts) + ",]"
    return "[" + ", ".join(parts) + "]"


@_render.register
def _(node: nodes.Rest) -> str:
    return "..."


@_render.register
def _(node: nodes.Slot) -> str:
    if node.condition is None:
        return node.name or ""
    return _slot_expr(node.name or "", node.condition)


def _slot_expr(name: str, expr: nodes.SlotExpr) -> str:
    if isinstance(expr, nodes.SlotOr):
        return " || ".join(_slot_expr(name, i) for i in expr.items)
    if isinstance(expr, nodes.SlotAnd):
        return " && ".join(_slot_expr(name, i) for i in expr.items)
    return f"{name} {expr.op} {_render(expr.value)}"
