"""Deciding from a plain line's text alone whether any filter of a route can match it.

A batch run over plain lines counts the lines no filter matches without building them as
events (`Engine.sieve`, `engine.inputs.lines`); the few others are fed one by one. The decision
is exact: the same as asking each pattern (`CompiledPattern.matches`) in turn.

Space-delimited patterns with the same fields (no ``...``, the same number of slots) share one
full-line regex: the line's fields are read once (DECISIONS P13), whatever the number of
filters, and each pattern's conditions are tested on the captured fields. A field every pattern
conditions is narrowed in that regex to the texts some condition may accept, so most lines fail
there; a condition's answer is remembered by the field's text (a status or a method repeats
across lines).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from ...grammar import nodes
from .compiler import _FIELD_CAPTURE, _FIELD_SKIP, CompiledPattern, _folded_field, _slot_predicate

#: Answers remembered per condition before they are forgotten (a field of unique values, such as
#: a byte count, must not grow memory).
MEMO_SIZE = 4096


class TextSieve:
    """Whether any of a few text patterns (terms, regex, space-delimited) matches a line.

    `may_match` is exact: true exactly when some pattern's `CompiledPattern.matches` is. `count`
    counts bytes in bytes (SIMD, stringzilla), for the reader's scans of whole reads.
    """

    __slots__ = ("may_match", "count")

    def __init__(self, patterns: Sequence[CompiledPattern]) -> None:
        import stringzilla  # only batch runs over plain lines scan whole reads

        self.count = stringzilla.count
        self.may_match = shared_fields_test(patterns) or _any_of(tuple(p.matches for p in patterns))


def _any_of(tests: tuple[Callable[[str], Any], ...]) -> Callable[[str], Any]:
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        a, b = tests
        return lambda m: a(m) or b(m)
    return lambda m: any(t(m) for t in tests)


def _layout(pattern: CompiledPattern) -> tuple[nodes.Slot, ...] | None:
    """The slots of a space-delimited pattern without ``...``, else None."""
    tree = pattern.tree
    if pattern.kind != "delimited" or not isinstance(tree, nodes.DelimitedPattern) or not tree.slots:
        return None
    if not all(isinstance(s, nodes.Slot) for s in tree.slots):
        return None
    return tree.slots  # type: ignore[return-value]


def _memo(pred: Callable[[str], Any]) -> tuple[Callable, Callable]:
    """A condition's remembered answers: (lookup, compute and remember)."""
    cache: dict[str, bool] = {}

    def fill(v: str) -> bool:
        if len(cache) >= MEMO_SIZE:
            cache.clear()
        r = cache[v] = bool(pred(v))
        return r

    return cache.get, fill


def shared_fields_test(patterns: Sequence[CompiledPattern]) -> Callable[[str], bool] | None:
    """Whether any of `patterns` matches a message, with one regex reading the fields for all of
    them; None unless all are space-delimited without ``...`` with the same number of slots,
    and some slot has a condition.

    A field every pattern conditions is narrowed in the regex to the texts one of the conditions
    may accept (`compiler._folded_field`, as one pattern's own regex is), so that most lines fail
    there; the conditions run on the captures."""
    layouts = [_layout(p) for p in patterns]
    if not layouts or any(s is None for s in layouts) or len({len(s) for s in layouts}) != 1:  # type: ignore[arg-type]
        return None
    n = len(layouts[0])  # type: ignore[arg-type]
    conditioned = sorted({i for slots in layouts for i, s in enumerate(slots) if s.condition is not None})  # type: ignore[union-attr]
    if not conditioned:
        return None  # every pattern only counts fields: its own regex is as good
    fields = []
    for i in range(n):
        if i not in conditioned:
            fields.append(_FIELD_SKIP)
            continue
        conditions = [slots[i].condition for slots in layouts]  # type: ignore[index]
        folded = _folded_field(conditions) if all(c is not None for c in conditions) else None  # type: ignore[arg-type]
        fields.append(folded or _FIELD_CAPTURE)
    # The regex of `_line_regex`, with every field a pattern conditions captured.
    regex = "".join([r"[ \t]*+", *fields, r"\Z"])
    env: dict[str, Any] = {"match": re.compile(regex, re.DOTALL).match}
    lines = ["def may_match(m):", "    found = match(m)", "    if found is None:", "        return False"]
    names = ", ".join(f"q{i}, b{i}, p{i}" for i in conditioned)
    lines.append(f"    {names} = found.groups()")
    for i in conditioned:  # the field's text, whichever of its three forms held it
        lines.append(f"    v{i} = q{i} if q{i} is not None else b{i} if b{i} is not None else p{i}")
    for k, (pattern, slots) in enumerate(zip(patterns, layouts)):
        checks = [(i, s.condition) for i, s in enumerate(slots) if s.condition is not None]  # type: ignore[union-attr]
        pad = "    "
        for c, (i, condition) in enumerate(checks):
            get, fill = _memo(_slot_predicate(condition, pattern.text))
            env[f"get{k}_{c}"], env[f"fill{k}_{c}"] = get, fill
            lines.append(f"{pad}r = get{k}_{c}(v{i})")
            lines.append(f"{pad}if r is None:")
            lines.append(f"{pad}    r = fill{k}_{c}(v{i})")
            lines.append(f"{pad}if r:")
            pad += "    "
        lines.append(f"{pad}return True")
    lines.append("    return False")
    exec("\n".join(lines), env)  # noqa: S102 - built above from slot positions and counters
    return env["may_match"]
