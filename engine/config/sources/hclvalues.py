"""Values of statically evaluated Terraform expressions: the bounds, the failures, the conversions.

Terraform converts between strings, numbers and booleans where an operator or a function needs it;
these helpers do it the same way (`_text`, `_number`, `_truthy`), apply the operators, index lists
and maps, and hold every value a function or expression builds within the bounds (`MAX_STRING`,
`MAX_ITEMS`): past one, `_Bound` is raised and the value is unresolved with the reason.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .model import Unresolved

# Bounds on what evaluation may build (README, "Limits"). Terraform's own range() refuses more
# than 1,024 elements; the other bounds are far above any metric filter or alarm definition.
MAX_STRING = 1 << 20       # characters of any string built
MAX_ITEMS = 10_000         # elements of any list or map built
MAX_RANGE = 1_024          # elements of range(), as Terraform
MAX_STEPS = 2_000_000      # evaluation steps per module
MAX_TEMPLATE_FILE = 1 << 20  # bytes of a templatefile()/file() file


class _Fail(Exception):
    """An expression that cannot be evaluated statically (carries the reason)."""

    def __init__(self, reason: str, hint: Mapping[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = dict(hint or {})


class _Bound(_Fail):
    """A value or a computation past one of the evaluation bounds."""


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
