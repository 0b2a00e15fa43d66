"""Static evaluation of Terraform (HCL2) expressions, as python-hcl2 hands them over.

python-hcl2 parses the file structure and leaves each expression as text: ``"\\"a ${var.x}\\""`` for
a quoted template, ``"${var.x == \\"p\\" ? 5 : 10}"`` for a bare expression. This module evaluates
that text: literals, templates with interpolation, ``var.*``, ``local.*``, ``each.*``,
``count.index``, resource attributes (through a callback), indexing, conditionals, arithmetic,
comparisons, ``for`` expressions, splat expressions, and the pure functions a filter or alarm
definition plausibly uses. Anything that depends on the world (data sources read from AWS,
unknown functions) is an `Unresolved` marker with the reason.

An expression is compiled once into a tree of closures, then evaluated, so that only the branch a
conditional takes is evaluated (as Terraform does) and a ``for`` body runs once per element.
Evaluation is bounded: every value a function or expression builds is limited in size
(`MAX_STRING`, `MAX_ITEMS`) and every attribute in work (`MAX_STEPS`); past a bound the value
is unresolved with the reason, never a hang or an exhausted memory. Terraform's regex functions
run on RE2 (the syntax Terraform's Go regexp implements), in linear time.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import re2

from .model import Unresolved

# Bounds on what evaluation may build (README, "Limits"). Terraform's own range() refuses more
# than 1,024 elements; the other bounds are far above any metric filter or alarm definition.
MAX_STRING = 1 << 20       # characters of any string built
MAX_ITEMS = 10_000         # elements of any list or map built
MAX_RANGE = 1_024          # elements of range(), as Terraform
MAX_STEPS = 2_000_000      # evaluation steps per module
MAX_TEMPLATE_FILE = 1 << 20  # bytes of a templatefile()/file() file

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


class _Bound(_Fail):
    """A value or a computation past one of the evaluation bounds."""


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


def _check_known(value: Any) -> None:
    """Raise for an `Unresolved` anywhere in `value` (try() and can() need the whole value)."""
    stack, seen = [value], 0
    while stack:
        v = stack.pop()
        seen += 1
        if seen > MAX_ITEMS * 10:
            raise _Bound(f"a value with more than {MAX_ITEMS * 10:,} elements")
        if isinstance(v, Unresolved):
            raise _Fail(v.reason, v.hint)
        if isinstance(v, Mapping):
            stack.extend(v.values())
        elif isinstance(v, (list, tuple)):
            stack.extend(v)


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    return type(value).__name__


def _check_items(collection: Any) -> None:
    if len(collection) > MAX_ITEMS:
        raise _Bound(f"a list or map of more than {MAX_ITEMS:,} elements")


def _bounded_list(items: list) -> list:
    _check_items(items)
    return items


def _bounded_map(items: dict) -> dict:
    _check_items(items)
    return items


def _bounded(value: Any) -> Any:
    """`value`, if within the bounds on strings and collections."""
    if isinstance(value, str) and len(value) > MAX_STRING:
        raise _Bound(f"a string of more than {MAX_STRING:,} characters")
    if isinstance(value, (list, dict)):
        _check_items(value)
    return value


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
        result = x + y
    elif op == "-":
        result = x - y
    elif op == "*":
        result = x * y
    elif op == "/":
        if y == 0:
            raise _Fail("division by zero")
        result = x / y
        return int(result) if float(result).is_integer() else result
    else:
        if y == 0:
            raise _Fail("division by zero")
        result = math.fmod(x, y)
    if isinstance(result, int) and abs(result) > 1 << 512:
        raise _Bound("a number beyond 512 bits")
    return result


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
    if value is None:
        raise _Fail(f"cannot index null with {key!r}")
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


_FORMAT_RE = re.compile(r"%([-+#0 ]*)(\d*)(?:\.(\d+))?([sdvqftbxXoeEgG%])")


def _format(fmt: str, *args: Any) -> str:
    values = iter(args)
    size = [len(fmt)]

    def one(m: re.Match) -> str:
        flags, width, precision, verb = m.groups()
        if verb == "%":
            return "%"
        if len(width) > 4 or (precision and len(precision) > 4):
            raise _Bound(f"format: the width or precision of %{m.group(0)[1:]} is beyond 9,999")
        size[0] += int(width or 0) + int(precision or 0)
        if size[0] > MAX_STRING:
            raise _Bound(f"format: a string of more than {MAX_STRING:,} characters")
        try:
            value = next(values)
        except StopIteration:
            raise _Fail("format: too few arguments") from None
        spec = "%" + flags + width + (f".{precision}" if precision else "")
        if verb == "d":
            return (spec + "d") % int(_number(value))
        if verb == "q":
            return json.dumps(_text(value), ensure_ascii=False)
        if verb in "feEgG":
            return (spec + verb) % float(_number(value))
        if verb in "xXo":
            return (spec + verb) % int(_number(value))
        if verb == "b":
            return format(int(_number(value)), "b")
        if verb == "t":
            return "true" if _truthy(value) else "false"
        text = _text(value) if not isinstance(value, (list, dict)) else json.dumps(value, ensure_ascii=False)
        return (spec + "s") % text
    return re.sub(_FORMAT_RE, one, fmt)


def _formatlist(fmt: str, *args: Any) -> list:
    lengths = {len(a) for a in args if isinstance(a, list)}
    if len(lengths) > 1:
        raise _Fail("formatlist: the lists have different lengths")
    n = lengths.pop() if lengths else 1
    return [_format(fmt, *[a[i] if isinstance(a, list) else a for a in args]) for i in range(n)]


_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # errors become reasons, never lines printed by the C++ library


def _re2(pattern: str) -> Any:
    """A regex in Terraform's (Go RE2) syntax, compiled by RE2: linear time, no backtracking."""
    try:
        return re2.compile(_text(pattern), _OPTIONS)
    except re2.error as exc:
        detail = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else exc
        raise _Fail(f"invalid regular expression {pattern!r}: {detail}") from None


def _match_value(compiled: Any, m: Any) -> Any:
    if compiled.groups == 0:
        return m.group(0)
    if compiled.groupindex:
        return {name: m.group(index) for name, index in compiled.groupindex.items()}
    return list(m.groups())


def _regex(pattern: str, text: str) -> Any:
    compiled = _re2(pattern)
    m = compiled.search(_text(text))
    if m is None:
        raise _Fail("regex: the pattern does not match the string")
    return _match_value(compiled, m)


def _regexall(pattern: str, text: str) -> list:
    compiled = _re2(pattern)
    out = []
    for m in compiled.finditer(_text(text)):
        out.append(_match_value(compiled, m))
        _check_items(out)
    return out


_GO_TEMPLATE_RE = re.compile(r"\$(?:\{(\w+)\}|(\w+))|(\\)")


def _go_replacement(replacement: str) -> str:
    """Go's ``$1`` / ``${name}`` replacement syntax in the ``\\g<...>`` syntax of the Python binding."""
    def one(m: re.Match) -> str:
        if m.group(3):
            return "\\\\"
        name = m.group(1) or m.group(2)
        return f"\\g<{name}>"
    return _GO_TEMPLATE_RE.sub(one, replacement.replace("$$", "\0")).replace("\0", "$")


def _replace(text: str, search: str, replacement: str) -> str:
    text, search, replacement = _text(text), _text(search), _text(replacement)
    if len(search) > 1 and search.startswith("/") and search.endswith("/"):
        compiled = _re2(search[1:-1])
        out = compiled.sub(_go_replacement(replacement), text)
    else:
        if search and text.count(search) * max(len(replacement) - len(search), 0) + len(text) > MAX_STRING:
            raise _Bound(f"replace: a string of more than {MAX_STRING:,} characters")
        out = text.replace(search, replacement)
    return out


def _range(*args: Any) -> list:
    numbers = [_number(a) for a in args]
    if len(numbers) == 1:
        start, stop, step = 0, numbers[0], 1 if numbers[0] >= 0 else -1
    elif len(numbers) == 2:
        start, stop = numbers
        step = 1 if stop >= start else -1
    elif len(numbers) == 3:
        start, stop, step = numbers
    else:
        raise _Fail("range() takes 1 to 3 arguments")
    if step == 0:
        raise _Fail("range(): the step cannot be zero")
    count = max(0, math.ceil((stop - start) / step))
    if count > MAX_RANGE:
        # Terraform's own limit: "more than 1024 numbers generated" is an error in range().
        raise _Bound(f"range() would generate {count:,} numbers; the limit is {MAX_RANGE:,}")
    out = [start + i * step for i in range(count)]
    return [int(x) if isinstance(x, float) and x.is_integer() else x for x in out]


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
    stack = [iter(items)]
    while stack:
        for item in stack[-1]:
            if isinstance(item, list):
                stack.append(iter(item))
                break
            out.append(item)
            _check_items(out)
        else:
            stack.pop()
    return out


def _join(sep: str, *lists: Any) -> str:
    items = [_text(i) for seq in lists for i in seq]
    if sum(len(i) for i in items) + len(sep) * len(items) > MAX_STRING:
        raise _Bound(f"join: a string of more than {MAX_STRING:,} characters")
    return _text(sep).join(items)


def _json(value: Any) -> str:
    _check_known(value)  # bounds the walk too
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _yaml(text: str) -> Any:
    import yaml

    try:
        value = yaml.safe_load(text)  # aliases are shared, not copied; the walk below is bounded
    except yaml.YAMLError as exc:
        raise _Fail(f"yamldecode: {str(exc).splitlines()[0]}") from None
    _check_known(value)
    return value


def _element(items: list, i: Any) -> Any:
    if not items:
        raise _Fail("element: the list is empty")
    return items[int(_number(i)) % len(items)]


def _substr(s: Any, offset: Any, length: Any) -> str:
    text = _text(s)
    off, n = int(_number(offset)), int(_number(length))
    if off < 0:
        off += len(text)
    return text[off:] if n < 0 else text[off:off + n]


def _zipmap(keys: list, values: list) -> dict:
    if len(keys) != len(values):
        raise _Fail("zipmap: the lists have different lengths")
    return {_text(k): v for k, v in zip(keys, values, strict=True)}


def _one(items: list) -> Any:
    if len(items) > 1:
        raise _Fail("one: the list has more than one element")
    return items[0] if items else None


def _chunklist(items: list, size: Any) -> list:
    n = int(_number(size))
    if n <= 0:
        return [items]
    return [items[i:i + n] for i in range(0, len(items), n)]


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


def _sha(name: str) -> Callable[[Any], str]:
    import hashlib

    return lambda s: hashlib.new(name, _text(s).encode("utf-8")).hexdigest()


def _base64(decode: bool) -> Callable[[Any], str]:
    import base64

    if decode:
        return lambda s: base64.b64decode(_text(s)).decode("utf-8")
    return lambda s: base64.b64encode(_text(s).encode("utf-8")).decode("ascii")


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "format": _format,
    "formatlist": _formatlist,
    "join": _join,
    "split": lambda sep, text: _text(text).split(_text(sep)) if _text(sep) else list(_text(text)),
    "lower": lambda s: _text(s).lower(),
    "upper": lambda s: _text(s).upper(),
    "title": lambda s: _text(s).title(),
    "chomp": lambda s: _text(s).rstrip("\r\n"),
    "trimspace": lambda s: _text(s).strip(),
    "trim": lambda s, chars: _text(s).strip(_text(chars)),
    "trimprefix": lambda s, p: _text(s).removeprefix(_text(p)),
    "trimsuffix": lambda s, p: _text(s).removesuffix(_text(p)),
    "startswith": lambda s, p: _text(s).startswith(_text(p)),
    "endswith": lambda s, p: _text(s).endswith(_text(p)),
    "strcontains": lambda s, p: _text(p) in _text(s),
    "strrev": lambda s: _text(s)[::-1],
    "replace": _replace,
    "regex": _regex,
    "regexall": _regexall,
    "substr": _substr,
    "tostring": lambda v: _text(v),
    "tonumber": lambda v: None if v is None else _number(v),
    "tobool": lambda v: None if v is None else _truthy(v),
    "tolist": lambda v: list(v),
    "toset": lambda v: sorted(dict.fromkeys(v), key=lambda x: (str(type(x)), x)),
    "tomap": lambda v: dict(v),
    "jsonencode": _json,
    "jsondecode": lambda v: json.loads(_text(v)),
    "yamlencode": _json,
    "yamldecode": lambda v: _yaml(_text(v)),
    "list": lambda *items: list(items),
    "map": lambda *kv: {_text(kv[i]): kv[i + 1] for i in range(0, len(kv) - 1, 2)},
    "length": lambda v: len(v) if not isinstance(v, (int, float, bool)) and v is not None else len(_text(v)),
    "lookup": _lookup,
    "merge": lambda *ms: {k: v for m in ms if m is not None for k, v in m.items()},
    "concat": lambda *ls: [x for seq in ls for x in seq],
    "coalesce": _coalesce,
    "coalescelist": lambda *ls: next((seq for seq in ls if seq), []),
    "compact": lambda items: [i for i in items if i not in (None, "")],
    "element": _element,
    "index": lambda items, v: items.index(v),
    "contains": lambda items, v: v in items,
    "keys": lambda m: sorted(m),
    "values": lambda m: [m[k] for k in sorted(m)],
    "zipmap": _zipmap,
    "flatten": _flatten,
    "distinct": lambda items: list(dict.fromkeys(items)),
    "slice": lambda items, a, b: items[int(_number(a)):int(_number(b))],
    "reverse": lambda items: list(reversed(items)),
    "sort": lambda items: sorted(_text(i) for i in items),
    "chunklist": _chunklist,
    "one": _one,
    "range": _range,
    "sum": lambda items: sum(_number(x) for x in items),
    "alltrue": lambda items: all(_truthy(x) for x in items),
    "anytrue": lambda items: any(_truthy(x) for x in items),
    "min": lambda *xs: min(_number(x) for x in xs),
    "max": lambda *xs: max(_number(x) for x in xs),
    "abs": lambda x: abs(_number(x)),
    "floor": lambda x: math.floor(_number(x)),
    "ceil": lambda x: math.ceil(_number(x)),
    "sensitive": lambda v: v,
    "nonsensitive": lambda v: v,
    "base64encode": _base64(False),
    "base64decode": _base64(True),
    "md5": _sha("md5"),
    "sha1": _sha("sha1"),
    "sha256": _sha("sha256"),
}
