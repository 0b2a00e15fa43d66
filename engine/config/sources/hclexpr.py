"""Static evaluation of Terraform (HCL2) expressions, as python-hcl2 hands them over.

python-hcl2 parses the file structure and leaves each expression as text: ``"\\"a ${var.x}\\""`` for
a quoted template, ``"${var.x == \\"p\\" ? 5 : 10}"`` for a bare expression. This module evaluates
that text: literals, templates with interpolation, ``var.*``, ``local.*``, ``each.*``,
``count.index``, resource attributes (through a callback), indexing, conditionals, arithmetic,
comparisons and the pure functions a filter or alarm definition plausibly uses. Anything that
depends on the world (data sources, module outputs, ``for`` expressions, unknown functions) is
an `Unresolved` marker with the reason.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from .model import Unresolved

_TOKEN_RE = re.compile(r"""
    (?P<ws>\s+|\#[^\n]*|//[^\n]*|/\*.*?\*/)
  | (?P<number>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
  | (?P<op>==|!=|<=|>=|&&|\|\||=>|\.\.\.|[-+*/%<>!?:.,()\[\]{}=])
  | (?P<ident>[A-Za-z_][A-Za-z0-9_-]*)
""", re.VERBOSE | re.DOTALL)

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


class _Fail(Exception):
    """An expression that cannot be evaluated statically (carries the reason)."""

    def __init__(self, reason: str, hint: Mapping[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = dict(hint or {})


def decode_template(body: str) -> list[tuple[str, str]]:
    """Split a template's body (no surrounding quotes) into ``("text", s)`` and ``("expr", e)``.

    HCL escapes (``\\n``, ``\\"``, ``\\uNNNN``) are decoded; ``$${`` and ``%%{`` are literal.
    """
    parts: list[tuple[str, str]] = []
    text: list[str] = []
    i, n = 0, len(body)
    while i < n:
        c = body[i]
        if c == "\\" and i + 1 < n:
            nxt = body[i + 1]
            if nxt in _ESCAPES:
                text.append(_ESCAPES[nxt])
                i += 2
                continue
            if nxt == "u" and i + 6 <= n:
                text.append(chr(int(body[i + 2:i + 6], 16)))
                i += 6
                continue
            if nxt == "U" and i + 10 <= n:
                text.append(chr(int(body[i + 2:i + 10], 16)))
                i += 10
                continue
            text.append(c)
            i += 1
            continue
        if body.startswith("$${", i) or body.startswith("%%{", i):
            text.append(body[i + 1:i + 3])
            i += 3
            continue
        if body.startswith("${", i) or body.startswith("%{", i):
            end = _matching_brace(body, i + 1)
            if text:
                parts.append(("text", "".join(text)))
                text = []
            inner = body[i + 2:end].strip()
            inner = inner.removeprefix("~")
            inner = inner.removesuffix("~")
            parts.append(("expr" if c == "$" else "directive", inner.strip()))
            i = end + 1
            continue
        text.append(c)
        i += 1
    if text:
        parts.append(("text", "".join(text)))
    return parts


def _matching_brace(text: str, open_at: int) -> int:
    """Index of the ``}`` closing the ``{`` at `open_at`, skipping quoted strings."""
    depth, i, n = 0, open_at, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise _Fail("an unterminated ${ ... } interpolation")


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] == '"':
            j = i + 1
            while j < n and text[j] != '"':
                if text[j] == "\\":
                    j += 2
                elif text.startswith("${", j) or text.startswith("%{", j):
                    j = _matching_brace(text, j + 1) + 1
                else:
                    j += 1
            out.append(("string", text[i + 1:j]))
            i = j + 1
            continue
        m = _TOKEN_RE.match(text, i)
        if m is None:
            raise _Fail(f"cannot read the expression at {text[i:i + 20]!r}")
        i = m.end()
        kind = m.lastgroup
        if kind != "ws":
            out.append((kind, m.group(kind)))
    out.append(("end", ""))
    return out


class Scope:
    """What names mean while evaluating: variables, locals, ``each``, ``count`` and resources.

    Args:
        variables: ``var.*`` values (`Unresolved` for a variable without a default).
        local: a function giving ``local.NAME`` (lazy, so locals may refer to each other).
        resource: a function ``(type, name) -> value`` for resource references.
        each: ``{"key": ..., "value": ...}`` inside a ``for_each`` resource.
        count_index: ``count.index`` inside a ``count`` resource.
    """

    def __init__(self, variables: Mapping[str, Any], local: Callable[[str], Any],
                 resource: Callable[[str, str], Any], each: Mapping[str, Any] | None = None,
                 count_index: int | None = None) -> None:
        self.variables = variables
        self.local = local
        self.resource = resource
        self.each = each
        self.count_index = count_index

    def child(self, *, each: Mapping[str, Any] | None = None, count_index: int | None = None) -> Scope:
        return Scope(self.variables, self.local, self.resource, each, count_index)


class _Parser:
    def __init__(self, text: str, scope: Scope) -> None:
        self.toks = _tokens(text)
        self.pos = 0
        self.scope = scope

    def take(self) -> tuple[str, str]:
        tok = self.toks[self.pos]
        self.pos += 1
        return tok

    def expect(self, value: str) -> None:
        k, v = self.take()
        if v != value or k in ("string", "end"):
            raise _Fail(f"expected {value!r}")

    def at(self, value: str) -> bool:
        k, v = self.toks[self.pos]
        return k in ("op", "ident") and v == value

    def parse(self) -> Any:
        value = self.expr()
        if self.toks[self.pos][0] != "end":
            raise _Fail(f"unexpected {self.toks[self.pos][1]!r}")
        return value

    def expr(self) -> Any:
        cond = self.binary(0)
        if self.at("?"):
            self.take()
            then = self.expr()
            self.expect(":")
            otherwise = self.expr()
            return then if _truthy(cond) else otherwise
        return cond

    _LEVELS = (("||",), ("&&",), ("==", "!="), ("<", ">", "<=", ">="), ("+", "-"), ("*", "/", "%"))

    def binary(self, level: int) -> Any:
        if level == len(self._LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while self.toks[self.pos][0] == "op" and self.toks[self.pos][1] in self._LEVELS[level]:
            op = self.take()[1]
            right = self.binary(level + 1)
            left = _apply(op, left, right)
        return left

    def unary(self) -> Any:
        if self.at("!"):
            self.take()
            return not _truthy(self.unary())
        if self.at("-"):
            self.take()
            return -_number(self.unary())
        return self.postfix(self.primary())

    def postfix(self, value: Any) -> Any:
        while True:
            if self.at("."):
                self.take()
                k, v = self.take()
                if v == "*":
                    raise _Fail("splat expressions are not evaluated")
                value = _index(value, int(v) if k == "number" else v)
            elif self.at("["):
                self.take()
                if self.at("*"):
                    raise _Fail("splat expressions are not evaluated")
                key = self.expr()
                self.expect("]")
                value = _index(value, key)
            else:
                return value

    def primary(self) -> Any:
        kind, value = self.take()
        if kind == "number":
            number = float(value)
            return int(number) if number.is_integer() and "." not in value and "e" not in value.lower() else number
        if kind == "string":
            return render_template(value, self.scope)
        if kind == "op" and value == "(":
            inner = self.expr()
            self.expect(")")
            return inner
        if kind == "op" and value == "[":
            if self.at("for"):
                raise _Fail("for expressions are not evaluated")
            items = []
            while not self.at("]"):
                items.append(self.expr())
                if self.at(","):
                    self.take()
            self.take()
            return items
        if kind == "op" and value == "{":
            if self.at("for"):
                raise _Fail("for expressions are not evaluated")
            obj: dict = {}
            while not self.at("}"):
                k_kind, k_value = self.toks[self.pos]
                if k_kind == "ident" and self.toks[self.pos + 1][1] in ("=", ":"):
                    self.take()
                    key: Any = k_value
                else:
                    key = self.expr()
                if not (self.at("=") or self.at(":")):
                    raise _Fail("expected '=' in an object")
                self.take()
                obj[_text(key)] = self.expr()
                if self.at(","):
                    self.take()
            self.take()
            return obj
        if kind == "ident":
            if value in ("true", "false"):
                return value == "true"
            if value == "null":
                return None
            if self.at("("):
                return self.call(value)
            return self.reference(value)
        raise _Fail(f"unexpected {value!r}")

    def call(self, name: str) -> Any:
        self.take()  # (
        args = []
        while not self.at(")"):
            if name == "try":
                start = self.pos
                try:
                    args.append(self.expr())
                except _Fail:
                    self.pos = start
                    self._skip_argument()
                    args.append(_FAILED)
            else:
                args.append(self.expr())
            if self.at("..."):
                self.take()
                args = args[:-1] + list(args[-1])
            if self.at(","):
                self.take()
        self.take()
        if name == "try":
            for arg in args:
                if arg is not _FAILED:
                    return arg
            raise _Fail("no argument of try() could be evaluated")
        func = FUNCTIONS.get(name)
        if func is None:
            raise _Fail(f"the function {name}() is not evaluated statically")
        try:
            return func(*args)
        except _Fail:
            raise
        except (TypeError, ValueError, KeyError, IndexError) as exc:
            raise _Fail(f"{name}() failed: {exc}") from None

    def _skip_argument(self) -> None:
        depth = 0
        while True:
            kind, value = self.toks[self.pos]
            if kind == "end":
                return
            if kind == "op" and value in "([{":
                depth += 1
            elif kind == "op" and value in ")]}":
                if depth == 0:
                    return
                depth -= 1
            elif kind == "op" and value == "," and depth == 0:
                return
            self.pos += 1

    def reference(self, root: str) -> Any:
        scope = self.scope
        if root in ("var", "local", "each", "count", "data", "module", "path", "terraform", "self"):
            if not self.at("."):
                raise _Fail(f"'{root}' alone is not a value")
            self.take()
            name = self.take()[1]
            if root == "var":
                if name not in scope.variables:
                    raise _Fail(f"the module declares no variable {name}")
                got = scope.variables[name]
            elif root == "local":
                got = scope.local(name)
            elif root == "each":
                if scope.each is None or name not in ("key", "value"):
                    raise _Fail(f"each.{name} outside a for_each resource")
                got = scope.each[name]
            elif root == "count":
                if scope.count_index is None or name != "index":
                    raise _Fail(f"count.{name} outside a count resource")
                got = scope.count_index
            elif root == "data":
                rest = self.take()[1] if self.at(".") and self.take() else ""
                raise _Fail(f"data.{name}.{rest} is read from AWS at plan time")
            elif root == "module":
                raise _Fail(f"module.{name} outputs are not read (run cwfilter on the module's directory, "
                            "or on `terraform show -json` output)")
            else:
                raise _Fail(f"{root}.{name} is not evaluated statically")
            if isinstance(got, Unresolved):
                raise _Fail(got.reason, got.hint)
            return got
        if self.at("."):
            self.take()
            name = self.take()[1]
            got = scope.resource(root, name)
            if isinstance(got, Unresolved):
                raise _Fail(got.reason, got.hint)
            return got
        raise _Fail(f"unknown name {root!r}")


_FAILED = object()


def _known(value: Any) -> Any:
    if isinstance(value, Unresolved):
        raise _Fail(value.reason, value.hint)
    return value


def _truthy(value: Any) -> bool:
    _known(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    raise _Fail(f"a condition must be a bool, not {value!r}")


def _number(value: Any) -> float | int:
    _known(value)
    if isinstance(value, bool) or value is None:
        raise _Fail(f"a number is required, not {value!r}")
    if isinstance(value, (int, float)):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _Fail(f"a number is required, not {value!r}") from None
    return int(number) if number.is_integer() else number


def _apply(op: str, a: Any, b: Any) -> Any:
    if op == "||":
        return _truthy(a) or _truthy(b)
    if op == "&&":
        return _truthy(a) and _truthy(b)
    if op == "==":
        return _equal(a, b)
    if op == "!=":
        return not _equal(a, b)
    x, y = _number(a), _number(b)
    if op == "<":
        return x < y
    if op == ">":
        return x > y
    if op == "<=":
        return x <= y
    if op == ">=":
        return x >= y
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    if op == "/":
        if y == 0:
            raise _Fail("division by zero")
        result = x / y
        return int(result) if float(result).is_integer() else result
    return math.fmod(x, y)


def _equal(a: Any, b: Any) -> bool:
    _known(a), _known(b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) \
            and not isinstance(b, bool):
        return float(a) == float(b)
    return type(a) is type(b) and a == b


def _index(value: Any, key: Any) -> Any:
    _known(value)
    if isinstance(value, Mapping):
        k = _text(key)
        if k not in value:
            raise _Fail(f"no key {k!r}")
        return _known(value[k])
    if isinstance(value, (list, tuple)):
        i = int(_number(key))
        if not 0 <= i < len(value):
            raise _Fail(f"index {i} out of range")
        return _known(value[i])
    raise _Fail(f"cannot index {type(value).__name__}")


def _text(value: Any) -> str:
    _known(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        raise _Fail("null in a string template")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, dict)):
        raise _Fail("a list or object in a string template")
    return str(value)


def render_template(body: str, scope: Scope) -> Any:
    """A quoted template's value; a template that is one interpolation keeps its type."""
    parts = decode_template(body)
    if len(parts) == 1 and parts[0][0] == "expr":
        return _Parser(parts[0][1], scope).parse()
    out = []
    for kind, text in parts:
        if kind == "text":
            out.append(text)
        elif kind == "expr":
            out.append(_text(_Parser(text, scope).parse()))
        else:
            raise _Fail("template directives (%{ ... }) are not evaluated")
    return "".join(out)


def evaluate(raw: Any, scope: Scope) -> Any:
    """The value of one attribute as python-hcl2 gives it; `Unresolved` where it cannot be known.

    Lists and objects are evaluated item by item, so one unknown element does not hide the rest.
    """
    if isinstance(raw, list):
        return [evaluate(item, scope) for item in raw]
    if isinstance(raw, dict):
        return {_key(k): evaluate(v, scope) for k, v in raw.items() if not str(k).startswith("__")}
    if not isinstance(raw, str):
        return raw
    text = raw
    try:
        if text.startswith('"') and text.endswith('"') and len(text) >= 2:
            return render_template(text[1:-1], scope)
        if text.startswith("${") and text.endswith("}"):
            return _Parser(text[2:-1], scope).parse()
        return text
    except _Fail as exc:
        return Unresolved(shown(text), exc.reason, exc.hint)
    except RecursionError:
        return Unresolved(shown(text), "the expression refers to itself")


def _key(key: Any) -> str:
    k = str(key)
    return k[1:-1] if len(k) >= 2 and k.startswith('"') and k.endswith('"') else k


def shown(raw: str) -> str:
    """An expression as the user wrote it (``var.threshold``, ``"/app/${var.env}"``)."""
    if raw.startswith("${") and raw.endswith("}"):
        return raw[2:-1].strip()
    return raw


# --------------------------------------------------------------------------- functions


def _format(fmt: str, *args: Any) -> str:
    values = iter(args)

    def one(m: re.Match) -> str:
        verb = m.group(2)
        if verb == "%":
            return "%"
        value = next(values)
        if verb == "d":
            return str(int(_number(value)))
        if verb == "q":
            return json.dumps(_text(value))
        if verb == "f":
            return ("%" + (m.group(1) or "") + "f") % float(_number(value))
        if verb in ("s", "v"):
            return _text(value) if not isinstance(value, (list, dict)) else json.dumps(value)
        raise _Fail(f"format verb %{verb} is not evaluated")
    return re.sub(r"%([-+#0 ]*\d*(?:\.\d+)?)?([sdvqf%])", one, fmt)


def _replace(text: str, search: str, replacement: str) -> str:
    if len(search) > 1 and search.startswith("/") and search.endswith("/"):
        return re.sub(search[1:-1], re.sub(r"\$(\d+)", r"\\\1", replacement), text)
    return text.replace(search, replacement)


def _lookup(mapping: Mapping, key: Any, *default: Any) -> Any:
    k = _text(key)
    if k in mapping:
        return mapping[k]
    if default:
        return default[0]
    raise _Fail(f"lookup: no key {k!r}")


def _coalesce(*args: Any) -> Any:
    for arg in args:
        if arg is not None and arg != "":
            return arg
    raise _Fail("coalesce: every argument is null or empty")


def _flatten(items: list) -> list:
    out: list = []
    for item in items:
        out.extend(_flatten(item) if isinstance(item, list) else [item])
    return out


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "format": _format,
    "join": lambda sep, items: sep.join(_text(i) for i in items),
    "split": lambda sep, text: text.split(sep),
    "lower": lambda s: _text(s).lower(),
    "upper": lambda s: _text(s).upper(),
    "title": lambda s: _text(s).title(),
    "trimspace": lambda s: _text(s).strip(),
    "trimprefix": lambda s, p: _text(s).removeprefix(p),
    "trimsuffix": lambda s, p: _text(s)[:-len(p)] if p and _text(s).endswith(p) else _text(s),
    "replace": _replace,
    "substr": lambda s, off, n: _text(s)[int(off):] if int(n) < 0 else _text(s)[int(off):int(off) + int(n)],
    "tostring": lambda v: _text(v),
    "tonumber": lambda v: _number(v),
    "tobool": lambda v: _truthy(v),
    "tolist": lambda v: list(v),
    "toset": lambda v: list(dict.fromkeys(v)),
    "tomap": lambda v: dict(v),
    "jsonencode": lambda v: json.dumps(v, separators=(",", ":"), ensure_ascii=False),
    "jsondecode": lambda v: json.loads(v),
    "length": lambda v: len(v),
    "lookup": _lookup,
    "merge": lambda *ms: {k: v for m in ms for k, v in m.items()},
    "concat": lambda *ls: [x for seq in ls for x in seq],
    "coalesce": _coalesce,
    "compact": lambda items: [i for i in items if i not in (None, "")],
    "element": lambda items, i: items[int(_number(i)) % len(items)],
    "contains": lambda items, v: v in items,
    "keys": lambda m: sorted(m),
    "values": lambda m: [m[k] for k in sorted(m)],
    "flatten": _flatten,
    "distinct": lambda items: list(dict.fromkeys(items)),
    "min": lambda *xs: min(_number(x) for x in xs),
    "max": lambda *xs: max(_number(x) for x in xs),
    "abs": lambda x: abs(_number(x)),
    "floor": lambda x: math.floor(_number(x)),
    "ceil": lambda x: math.ceil(_number(x)),
}
