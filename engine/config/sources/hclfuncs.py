"""Terraform's built-in functions that a filter or alarm definition plausibly uses, evaluated statically.

String, collection, encoding and hash functions behave as Terraform documents them; the regex
functions (`regex`, `regexall`, `replace` with ``/.../``) run on RE2, the syntax of Go's regexp
that Terraform uses, in linear time. Every result is bounded (`engine.config.sources.hclvalues`).
Functions that read files or need the evaluation scope (`file`, `templatefile`) live with the
evaluator in `hclexpr`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import re2

from .hclvalues import MAX_RANGE, MAX_STRING, _Bound, _check_items, _check_known, _Fail, _number, _text, _truthy

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
