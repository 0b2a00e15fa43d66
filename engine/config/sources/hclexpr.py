"""Static evaluation of Terraform (HCL2) expressions, as python-hcl2 hands them over.

python-hcl2 parses the file structure and leaves each expression as text: ``"\\"a ${var.x}\\""`` for
a quoted template, ``"${var.x == \\"p\\" ? 5 : 10}"`` for a bare expression. This module evaluates
that text: literals, templates with interpolation, ``var.*``, ``local.*``, ``each.*``,
``count.index``, resource attributes (through a callback), indexing, conditionals, arithmetic,
comparisons, ``for`` expressions, splat expressions and function calls (the pure functions are
in `hclfuncs`, the value conversions and bounds in `hclvalues`; ``file`` and ``templatefile``
are here). Anything that depends on the world (data sources read from AWS, unknown functions) is
an `Unresolved` marker with the reason.

An expression is compiled once into a tree of closures, then evaluated, so that only the branch a
conditional takes is evaluated (as Terraform does) and a ``for`` body runs once per element.
Evaluation is bounded: every value a function or expression builds is limited in size
(`MAX_STRING`, `MAX_ITEMS`) and every attribute in work (`MAX_STEPS`); past a bound the value
is unresolved with the reason, never a hang or an exhausted memory. Terraform's regex functions
run on RE2 (the syntax Terraform's Go regexp implements), in linear time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import re2

from .hclfuncs import FUNCTIONS
from .hclvalues import (
    MAX_STEPS,
    MAX_STRING,
    MAX_TEMPLATE_FILE,
    _apply,
    _Bound,
    _bounded,
    _bounded_list,
    _bounded_map,
    _check_items,
    _check_known,
    _Fail,
    _index,
    _known,
    _number,
    _text,
    _truthy,
    _type_name,
)
from .model import Unresolved

_TOKEN_RE = re.compile(r"""
    (?P<ws>\s+|\#[^\n]*|//[^\n]*|/\*.*?\*/)
  | (?P<number>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
  | (?P<op>==|!=|<=|>=|&&|\|\||=>|\.\.\.|[-+*/%<>!?:.,()\[\]{}=])
  | (?P<ident>[A-Za-z_][A-Za-z0-9_-]*)
""", re.VERBOSE | re.DOTALL)

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


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


class Budget:
    """Evaluation steps left, shared by every scope of one module (`MAX_STEPS`)."""

    __slots__ = ("left",)

    def __init__(self, steps: int = MAX_STEPS) -> None:
        self.left = steps

    def spend(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise _Bound(f"evaluation needs more than {MAX_STEPS:,} steps")


def _no_module(name: str) -> Any:
    return Unresolved(f"module.{name}", f"module.{name} outputs are not read")


def _no_data(kind: str, name: str) -> Any:
    return Unresolved(f"data.{kind}.{name}", f"data.{kind}.{name} is read from AWS at plan time")


class Scope:
    """What names mean while evaluating: variables, locals, ``each``, ``count`` and resources.

    Args:
        variables: ``var.*`` values (`Unresolved` for a variable without a default).
        local: a function giving ``local.NAME`` (lazy, so locals may refer to each other).
        resource: a function ``(type, name) -> value`` for resource references.
        each: ``{"key": ..., "value": ...}`` inside a ``for_each`` resource.
        count_index: ``count.index`` inside a ``count`` resource.
        names: names bound by ``for`` expressions and template variables.
        module: a function ``name -> outputs`` for ``module.NAME``.
        data: a function ``(type, name) -> value`` for ``data.TYPE.NAME``.
        path: the module's directory (``path.module``); `root` is ``path.root``.
        budget: the evaluation steps left (shared).
    """

    def __init__(self, variables: Mapping[str, Any], local: Callable[[str], Any],
                 resource: Callable[[str, str], Any], each: Mapping[str, Any] | None = None,
                 count_index: int | None = None, *, names: Mapping[str, Any] | None = None,
                 module: Callable[[str], Any] | None = None, data: Callable[[str, str], Any] | None = None,
                 path: str = ".", root: str | None = None, budget: Budget | None = None) -> None:
        self.variables = variables
        self.local = local
        self.resource = resource
        self.each = each
        self.count_index = count_index
        self.names = dict(names or {})
        self.module = module or _no_module
        self.data = data or _no_data
        self.path = path
        self.root = root if root is not None else path
        self.budget = budget or Budget()
        self.in_template = False

    def _copy(self, **changes: Any) -> Scope:
        new = Scope.__new__(Scope)
        new.__dict__.update(self.__dict__)
        new.__dict__.update(changes)
        return new

    def child(self, *, each: Mapping[str, Any] | None = None, count_index: int | None = None) -> Scope:
        return self._copy(each=each, count_index=count_index)

    def bind(self, names: Mapping[str, Any]) -> Scope:
        return self._copy(names={**self.names, **names})


Node = Callable[[Scope], Any]

_LEVELS = (("||",), ("&&",), ("==", "!="), ("<", ">", "<=", ">="), ("+", "-"), ("*", "/", "%"))


def _const(value: Any) -> Node:
    return lambda scope: value


class _Parser:
    """Compiles an expression's tokens into a `Node` (a function of the `Scope`)."""

    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.pos = 0

    def take(self) -> tuple[str, str]:
        tok = self.toks[self.pos]
        if tok[0] != "end":
            self.pos += 1
        return tok

    def expect(self, value: str) -> None:
        k, v = self.take()
        if v != value or k in ("string", "end"):
            raise _Fail(f"expected {value!r}")

    def at(self, value: str) -> bool:
        k, v = self.toks[self.pos]
        return k in ("op", "ident") and v == value

    def parse(self) -> Node:
        node = self.expr()
        if self.toks[self.pos][0] != "end":
            raise _Fail(f"unexpected {self.toks[self.pos][1]!r}")
        return node

    def expr(self) -> Node:
        cond = self.binary(0)
        if self.at("?"):
            self.take()
            then = self.expr()
            self.expect(":")
            otherwise = self.expr()
            # Only the branch taken is evaluated, so only its diagnostics count (as Terraform).
            return lambda scope: then(scope) if _truthy(cond(scope)) else otherwise(scope)
        return cond

    def binary(self, level: int) -> Node:
        if level == len(_LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while self.toks[self.pos][0] == "op" and self.toks[self.pos][1] in _LEVELS[level]:
            op = self.take()[1]
            right = self.binary(level + 1)
            left = _binary_node(op, left, right)
        return left

    def unary(self) -> Node:
        if self.at("!"):
            self.take()
            inner = self.unary()
            return lambda scope: not _truthy(inner(scope))
        if self.at("-"):
            self.take()
            inner = self.unary()
            return lambda scope: -_number(inner(scope))
        return self.postfix(self.primary())

    def traversal(self) -> Callable[[Any, Scope], Any] | None:
        """One ``.name``, ``.0`` or ``[key]`` step, as a function of (value, scope); None if none."""
        if self.at(".") and self.toks[self.pos + 1][1] != "*":
            self.take()
            k, v = self.take()
            key: Any = int(v) if k == "number" else v
            return lambda value, scope: _index(value, key)
        if self.at("[") and self.toks[self.pos + 1][1] != "*":
            self.take()
            key_node = self.expr()
            self.expect("]")
            return lambda value, scope: _index(value, key_node(scope))
        return None

    def postfix(self, node: Node) -> Node:
        while True:
            if (self.at(".") or self.at("[")) and self.toks[self.pos + 1][1] == "*":
                full = self.take()[1] == "["
                self.take()
                if full:
                    self.expect("]")
                steps = []
                while True:
                    step = self.traversal() if full or self.at(".") else None
                    if step is None:
                        break
                    steps.append(step)
                node = _splat_node(node, steps)
                continue
            step = self.traversal()
            if step is None:
                return node
            node = _step_node(node, step)

    def primary(self) -> Node:
        kind, value = self.take()
        if kind == "number":
            number = float(value)
            return _const(int(number) if number.is_integer() and "." not in value and "e" not in value.lower()
                          else number)
        if kind == "string":
            return compile_template(value)
        if kind == "op" and value == "(":
            inner = self.expr()
            self.expect(")")
            return inner
        if kind == "op" and value == "[":
            if self.at("for"):
                return self.for_expr("]")
            items = []
            while not self.at("]"):
                if self.toks[self.pos][0] == "end":
                    raise _Fail("expected ']'")
                items.append(self.expr())
                if self.at(","):
                    self.take()
            self.take()
            return lambda scope: _bounded_list([item(scope) for item in items])
        if kind == "op" and value == "{":
            if self.at("for"):
                return self.for_expr("}")
            pairs: list[tuple[Node, Node]] = []
            while not self.at("}"):
                if self.toks[self.pos][0] == "end":
                    raise _Fail("expected '}'")
                k_kind, k_value = self.toks[self.pos]
                if k_kind == "ident" and self.toks[self.pos + 1][1] in ("=", ":"):
                    self.take()
                    key: Node = _const(k_value)
                else:
                    key = self.expr()
                if not (self.at("=") or self.at(":")):
                    raise _Fail("expected '=' in an object")
                self.take()
                pairs.append((key, self.expr()))
                if self.at(","):
                    self.take()
            self.take()
            return lambda scope: _bounded_map({_text(k(scope)): v(scope) for k, v in pairs})
        if kind == "ident":
            if value in ("true", "false"):
                return _const(value == "true")
            if value == "null":
                return _const(None)
            if self.at("("):
                return self.call(value)
            return self.reference(value)
        raise _Fail(f"unexpected {value!r}")

    def for_expr(self, close: str) -> Node:
        self.take()  # for
        first = self.take()
        if first[0] != "ident":
            raise _Fail("expected a name after 'for'")
        names = [first[1]]
        if self.at(","):
            self.take()
            second = self.take()
            if second[0] != "ident":
                raise _Fail("expected a name after ','")
            names.append(second[1])
        self.expect("in")
        collection = self.expr()
        self.expect(":")
        key_node: Node | None = None
        group = False
        if close == "}":
            key_node = self.expr()
            self.expect("=>")
        value_node = self.expr()
        if close == "}" and self.at("..."):
            self.take()
            group = True
        cond: Node | None = None
        if self.at("if"):
            self.take()
            cond = self.expr()
        self.expect(close)

        def run(scope: Scope) -> Any:
            source = _known(collection(scope))
            if isinstance(source, Mapping):
                pairs = [(k, source[k]) for k in sorted(source)]
            elif isinstance(source, (list, tuple)):
                pairs = list(enumerate(source))
            else:
                raise _Fail(f"a for expression needs a list or a map, not {_type_name(source)}")
            out_list: list = []
            out_map: dict = {}
            for k, v in pairs:
                scope.budget.spend()
                inner = scope.bind({names[0]: v} if len(names) == 1 else {names[0]: k, names[1]: v})
                if cond is not None and not _truthy(cond(inner)):
                    continue
                if key_node is None:
                    out_list.append(value_node(inner))
                    _check_items(out_list)
                    continue
                key = _text(key_node(inner))
                if group:
                    out_map.setdefault(key, []).append(value_node(inner))
                elif key in out_map:
                    raise _Fail(f"two elements of a for expression have the key {key!r} (use ... to group)")
                else:
                    out_map[key] = value_node(inner)
                _check_items(out_map)
            return out_list if key_node is None else out_map
        return run

    def call(self, name: str) -> Node:
        self.take()  # (
        args: list[Node] = []
        expand = False
        while not self.at(")"):
            if self.toks[self.pos][0] == "end":
                raise _Fail(f"expected ')' after the arguments of {name}()")
            args.append(self.expr())
            if self.at("..."):
                self.take()
                expand = True
            if self.at(","):
                self.take()
        self.take()
        if name in ("try", "can"):
            def attempt(scope: Scope) -> Any:
                for arg in args:
                    try:
                        value = arg(scope)
                        _check_known(value)
                    except _Bound:
                        raise
                    except _Fail:
                        continue
                    return True if name == "can" else value
                if name == "can":
                    return False
                raise _Fail("no argument of try() could be evaluated")
            return attempt
        if name in _SCOPED:
            scoped = _SCOPED[name]
            return lambda scope: _bounded(scoped(scope, *[_known(a(scope)) for a in args]))
        func = FUNCTIONS.get(name)
        if func is None:
            raise _Fail(f"the function {name}() is not evaluated statically")

        def invoke(scope: Scope) -> Any:
            values = [a(scope) for a in args]
            if expand:
                values = values[:-1] + list(_known(values[-1]))
            for v in values:
                _known(v)
            scope.budget.spend()
            try:
                return _bounded(func(*values))
            except _Fail:
                raise
            except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError,
                    ZeroDivisionError, re2.error) as exc:
                raise _Fail(f"{name}() failed: {exc}") from None
        return invoke

    def reference(self, root: str) -> Node:
        if root in ("var", "local", "each", "count", "data", "module", "path", "terraform", "self"):
            if not self.at("."):
                raise _Fail(f"'{root}' alone is not a value")
            self.take()
            name = self.take()[1]
            if root == "data":
                self.expect(".")
                data_name = self.take()[1]
                return lambda scope: _got(scope.data(name, data_name))
            if root == "module":
                return lambda scope: _got(scope.module(name))
            if root == "path" and name in ("module", "root", "cwd"):
                return lambda scope: scope.path if name == "module" else scope.root
            return lambda scope: _reference(scope, root, name)
        if self.at("."):
            self.take()
            name = self.take()[1]
            return lambda scope: _names_or_resource(scope, root, name)
        return lambda scope: _name(scope, root)


def _got(value: Any) -> Any:
    if isinstance(value, Unresolved):
        raise _Fail(value.reason, value.hint)
    return value


def _reference(scope: Scope, root: str, name: str) -> Any:
    if root == "var":
        if name not in scope.variables:
            raise _Fail(f"the module declares no variable {name}")
        return _got(scope.variables[name])
    if root == "local":
        return _got(scope.local(name))
    if root == "each":
        if scope.each is None or name not in ("key", "value"):
            raise _Fail(f"each.{name} outside a for_each resource")
        return _got(scope.each[name])
    if root == "count":
        if scope.count_index is None or name != "index":
            raise _Fail(f"count.{name} outside a count resource")
        return scope.count_index
    raise _Fail(f"{root}.{name} is not evaluated statically")


def _names_or_resource(scope: Scope, root: str, name: str) -> Any:
    if root in scope.names:
        return _index(scope.names[root], name)
    return _got(scope.resource(root, name))


def _name(scope: Scope, root: str) -> Any:
    if root in scope.names:
        return _got(scope.names[root])
    raise _Fail(f"unknown name {root!r}")


def _step_node(node: Node, step: Callable[[Any, Scope], Any]) -> Node:
    return lambda scope: step(node(scope), scope)


def _splat_node(node: Node, steps: list[Callable[[Any, Scope], Any]]) -> Node:
    def run(scope: Scope) -> Any:
        value = _known(node(scope))
        if value is None:
            items: list = []
        elif isinstance(value, (list, tuple)):
            items = list(value)
        else:
            items = [value]  # a splat on a single value makes a one-element list (HCL spec)
        out = []
        for item in items:
            scope.budget.spend()
            for step in steps:
                item = step(item, scope)
            out.append(item)
        return out
    return run


def _binary_node(op: str, left: Node, right: Node) -> Node:
    if op == "||":
        return lambda scope: _truthy(left(scope)) or _truthy(right(scope))
    if op == "&&":
        return lambda scope: _truthy(left(scope)) and _truthy(right(scope))
    return lambda scope: _apply(op, left(scope), right(scope))


def compile_template(body: str) -> Node:
    """A quoted template as a `Node`; a template that is one interpolation keeps its type."""
    parts = decode_template(body)
    if len(parts) == 1 and parts[0][0] == "expr":
        return _Parser(parts[0][1]).parse()
    return _compile_parts(parts, 0)[0]


def _compile_parts(parts: list[tuple[str, str]], i: int, stop: tuple[str, ...] = ()) -> tuple[Node, int]:
    """Template parts from `i` as a node that renders them; stops at a directive in `stop`."""
    pieces: list[Node] = []
    while i < len(parts):
        kind, text = parts[i]
        if kind == "text":
            pieces.append(_const(text))
            i += 1
        elif kind == "expr":
            node = _Parser(text).parse()
            pieces.append(lambda scope, _n=node: _text(_n(scope)))
            i += 1
        else:
            word = text.split(None, 1)[0] if text.split() else ""
            if word in stop:
                break
            if word == "if":
                cond = _Parser(text[2:]).parse()
                then, i = _compile_parts(parts, i + 1, ("else", "endif"))
                otherwise: Node = _const("")
                if i < len(parts) and parts[i][1].split()[0] == "else":
                    otherwise, i = _compile_parts(parts, i + 1, ("endif",))
                if i >= len(parts):
                    raise _Fail("%{if} without %{endif}")
                i += 1
                pieces.append(lambda scope, c=cond, t=then, o=otherwise: t(scope) if _truthy(c(scope)) else o(scope))
            elif word == "for":
                m = re.fullmatch(r"for\s+([A-Za-z_]\w*)(?:\s*,\s*([A-Za-z_]\w*))?\s+in\s+(.+)", text, re.DOTALL)
                if m is None:
                    raise _Fail("cannot read the %{for} directive")
                coll = _Parser(m.group(3)).parse()
                body, i = _compile_parts(parts, i + 1, ("endfor",))
                if i >= len(parts):
                    raise _Fail("%{for} without %{endfor}")
                i += 1
                pieces.append(_template_for(m.group(1), m.group(2), coll, body))
            else:
                raise _Fail(f"the template directive %{{{word}}} is not evaluated")

    def render(scope: Scope) -> str:
        out: list[str] = []
        size = 0
        for piece in pieces:
            text = piece(scope)
            size += len(text)
            if size > MAX_STRING:
                raise _Bound(f"a string of more than {MAX_STRING:,} characters")
            out.append(text)
        return "".join(out)
    return render, i


def _template_for(first: str, second: str | None, coll: Node, body: Node) -> Node:
    def run(scope: Scope) -> str:
        source = _known(coll(scope))
        pairs = [(k, source[k]) for k in sorted(source)] if isinstance(source, Mapping) else list(enumerate(source))
        out, size = [], 0
        for k, v in pairs:
            scope.budget.spend()
            text = body(scope.bind({first: v} if second is None else {first: k, second: v}))
            size += len(text)
            if size > MAX_STRING:
                raise _Bound(f"a string of more than {MAX_STRING:,} characters")
            out.append(text)
        return "".join(out)
    return run


def render_template(body: str, scope: Scope) -> Any:
    """A quoted template's value; a template that is one interpolation keeps its type."""
    return compile_template(body)(scope)


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
            return _Parser(text[2:-1]).parse()(scope)
        return text
    except _Fail as exc:
        return Unresolved(shown(text), exc.reason, exc.hint)
    except RecursionError:
        return Unresolved(shown(text), "the expression is nested too deeply, or refers to itself")
    except MemoryError:
        return Unresolved(shown(text), "evaluating the expression exceeds the memory available")


def _key(key: Any) -> str:
    k = str(key)
    return k[1:-1] if len(k) >= 2 and k.startswith('"') and k.endswith('"') else k


def shown(raw: str) -> str:
    """An expression as the user wrote it (``var.threshold``, ``"/app/${var.env}"``)."""
    if raw.startswith("${") and raw.endswith("}"):
        return raw[2:-1].strip()
    return raw


# --------------------------------------------------------------------------- functions


def _read_file(scope: Scope, path: Any) -> str:
    from pathlib import Path

    name = Path(_text(path))
    candidates = [name] if name.is_absolute() else [Path(scope.root) / name, Path(scope.path) / name, name]
    for candidate in candidates:
        if candidate.is_file():
            if candidate.stat().st_size > MAX_TEMPLATE_FILE:
                raise _Bound(f"{candidate} is larger than {MAX_TEMPLATE_FILE:,} bytes")
            try:
                return candidate.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise _Fail(f"cannot read {candidate}: {exc}") from None
    raise _Fail(f"no file {name} (paths are relative to the root module, {scope.root})")


def _templatefile(scope: Scope, path: Any, variables: Any = None) -> Any:
    """Terraform's templatefile(): the file rendered with only `variables` in scope."""
    if scope.in_template:
        raise _Fail("templatefile() cannot be called from a template")  # as Terraform
    if variables is not None and not isinstance(variables, Mapping):
        raise _Fail("templatefile: the variables must be a map")
    text = _read_file(scope, path)
    template_scope = Scope({}, lambda n: Unresolved(f"local.{n}", "locals are not visible in a template"),
                           lambda t, n: Unresolved(f"{t}.{n}", "resources are not visible in a template"),
                           names=dict(variables or {}), path=scope.path, root=scope.root, budget=scope.budget)
    template_scope.in_template = True
    return compile_template(text)(template_scope)


_SCOPED: dict[str, Callable[..., Any]] = {
    "templatefile": _templatefile,
    "file": _read_file,
    "fileexists": lambda scope, path: _file_exists(scope, path),
}


def _file_exists(scope: Scope, path: Any) -> bool:
    try:
        _read_file(scope, path)
    except _Bound:
        return True
    except _Fail:
        return False
    return True


