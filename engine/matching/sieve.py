"""Ruling out JSON lines from a partial decode: only the values a route's index files and the few
top-level members the reader needs (its timestamp fields) are decoded, by msgspec into a typed
struct, and the rest of the line is validated and skipped in C.

An event the index's anchors rule out for every filter of its route needs no full decode: it is
counted, and its time taken, from the struct. The sieve is only ever sure or silent: a line it
cannot decode into its struct (not JSON, not an object, a member of the wrong shape on an anchor
path, a lone surrogate, nesting past Python's recursion limit, ...) is left to the full path,
which decides exactly as before. msgspec validates the syntax of what it skips (escapes, numbers,
control characters) but not the UTF-8 of skipped strings: the reader hands it only ASCII lines.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any

import msgspec
import stringzilla

from ...grammar import nodes

UNSET = msgspec.UNSET


def _tree(paths: Sequence[tuple[str, ...]], extra: Sequence[str]) -> dict | None:
    """Member names as a tree: a leaf (a value read whole) is None. None when a name is both a
    leaf and an object on the way to another (the struct could not type it)."""
    root: dict = {}
    for path in [*paths, *((name,) for name in extra)]:
        node = root
        for i, name in enumerate(path):
            last = i == len(path) - 1
            if name in node:
                child = node[name]
                if (child is None) != last:
                    return None
                node = child
            else:
                node[name] = None if last else {}
                node = node[name]
            if node is None:
                break
    return root


def _struct(name: str, tree: dict) -> tuple[type, dict[str, str]]:
    """A struct type for `tree`; its attributes are `m0`, `m1`, ... (renamed to the member names).
    Returns the type and the attribute of each member name."""
    fields: list[tuple[str, Any, Any]] = []
    rename: dict[str, str] = {}
    attrs: dict[str, str] = {}
    for i, (member, child) in enumerate(tree.items()):
        attr = f"m{i}"
        rename[attr] = member
        attrs[member] = attr
        kind = Any if child is None else _struct(f"{name}_{i}", child)[0]
        fields.append((attr, kind, UNSET))
    # Without GC tracking: a struct decoded from JSON text cannot be part of a reference cycle.
    cls = msgspec.defstruct(name, fields, rename=rename, kw_only=True, gc=False)
    return cls, attrs


class Sieve:
    """Partial decoding of JSON lines for one route's index.

    Args:
        paths: the index's anchor paths with what their values are looked up in: ``(member
            names, exact values (a container), other atoms as (atom, position))``.
        extra: top-level members to decode as well (read with `extra_values`).

    Raises:
        ValueError: the paths cannot be typed as one struct.
    """

    #: The value of a member absent from the line.
    UNSET = UNSET

    def __init__(self, paths: Sequence[tuple[tuple[str, ...], Callable, tuple]], extra: Sequence[str]) -> None:
        tree = _tree([p for p, _, _ in paths], extra)
        if tree is None:
            raise ValueError("a member is both a value and an object on the anchor paths")
        cls, attrs = _struct("Partial", tree)
        decoder = msgspec.json.Decoder(cls)
        self.decode = decoder.decode
        #: Whitespace-separated values (several lines) in one call: a list of structs.
        self.decode_lines = decoder.decode_lines
        #: `bytes.count` with SIMD search (stringzilla), for the reader's scans of whole reads.
        self.count = stringzilla.count
        top = attrs
        readers = []
        for path, exact, other in paths:
            steps = []
            node_attrs, node_tree = top, tree
            for name in path:
                steps.append(node_attrs[name])
                child = node_tree[name]
                if child is not None:
                    node_tree = child
                    node_attrs = _struct_attrs(child)
            readers.append((tuple(steps), exact, other))
        self._readers = tuple(readers)
        self.extra_values = attrgetter(*(top[name] for name in extra)) if extra else (lambda o: ())
        if len(extra) == 1:
            one = self.extra_values
            self.extra_values = lambda o: (one(o),)
        self.ruled_out = _generated(self._readers)


def _generated(readers: Sequence[tuple[tuple[str, ...], Callable, tuple]]) -> Callable[[Any], bool]:
    """Whether no filter of the route can match the event a struct was decoded from: no anchor
    value is a string the index files (as `FilterIndex.candidates_doc` decides on the full decode).
    Generated as straight-line code: one attribute read per step, no loops."""
    env: dict[str, Any] = {"UNSET": UNSET}
    lines = ["def ruled_out(o):"]
    for r, (steps, exact, other) in enumerate(readers):
        env[f"exact{r}"] = exact
        env[f"other{r}"] = tuple(atom for atom, _ in other)
        pad = "    "
        lines.append(f"{pad}v = o.{steps[0]}")
        for attr in steps[1:]:
            lines.append(f"{pad}if v is not UNSET:")
            pad += "    "
            lines.append(f"{pad}v = v.{attr}")
        lines.append(f"{pad}if type(v) is str:")
        lines.append(f"{pad}    if v in exact{r}:")
        lines.append(f"{pad}        return False")
        if other:
            lines.append(f"{pad}    for atom in other{r}:")
            lines.append(f"{pad}        if atom.holds_for(v):")
            lines.append(f"{pad}            return False")
    lines.append("    return True")
    exec("\n".join(lines), env)  # noqa: S102 - built above from attribute names m0, m1, ...
    return env["ruled_out"]


def _struct_attrs(tree: dict) -> dict[str, str]:
    return {member: f"m{i}" for i, member in enumerate(tree)}


def key_path(path: tuple | None) -> tuple[str, ...] | None:
    """The member names of a selector path made only of member steps, else None."""
    if not path or not all(isinstance(s, nodes.Key) for s in path):
        return None
    return tuple(s.name for s in path)
