"""Reading configuration documents within stated bounds: size, nesting, aliases, numbers.

Every reader of a YAML or JSON document that cwfilter did not write (configs, templates, agent
configs, plans, scenario files) goes through here, so that each command refuses the same hostile
documents with the same message:

- a file larger than `MAX_DOCUMENT_BYTES` is refused before it is read whole;
- a document nested deeper than `MAX_DEPTH` is refused (JSON and YAML alike, aliases expanded);
- a YAML alias that refers to its own anchor (a loop) is refused, naming the anchor;
- a YAML document whose aliases would expand to more than `ALIAS_BUDGET` nodes is refused,
  naming the anchor (go-yaml refuses "excessive aliasing" the same way); the document is never
  expanded: every node is visited once;
- an integer too long for Python's integer conversion (more than `MAX_INTEGER_DIGITS` digits) is
  read as an `OversizedNumber`, which the field checks then report with the field's path.
"""

from __future__ import annotations

import contextlib
import gc
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, Self

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

try:
    from yaml.cyaml import CParser as _CParser
except ImportError:  # PyYAML built without libyaml
    _CParser = None

MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 200
ALIAS_BUDGET = 100_000
# Python refuses to convert longer digit strings to int (sys.get_int_max_str_digits()).
MAX_INTEGER_DIGITS = 4300


class DocumentProblem(ValueError):
    """A document refused by a bound, or not readable; carries the line and column when known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


class OversizedNumber(float):
    """An integer with more digits than any field takes, kept as its size so messages can name it."""

    digits: int

    def __new__(cls, text: str) -> Self:
        negative = text.lstrip().startswith("-")
        self = super().__new__(cls, "-inf" if negative else "inf")
        self.digits = sum(c.isdigit() for c in text)
        return self

    def __repr__(self) -> str:
        return f"a number of {self.digits:,} digits"

    __str__ = __repr__


def _size_message() -> str:
    return f"The file is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB, the most a configuration may be"


def read_document_bytes(name: str | Path, stream: BinaryIO | None = None) -> bytes:
    """The bytes of a document file (or of `stream`), refused past `MAX_DOCUMENT_BYTES`.

    Raises:
        OSError: the file cannot be read.
        DocumentProblem: the file is too large (``/dev/zero`` included: at most the bound is read).
    """
    if stream is not None:
        data = stream.read(MAX_DOCUMENT_BYTES + 1)
    else:
        with open(name, "rb") as handle:
            data = handle.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise DocumentProblem(_size_message())
    return data


def read_document_text(name: str | Path, stream: BinaryIO | None = None) -> str:
    """`read_document_bytes` decoded as UTF-8 (a leading BOM dropped).

    Raises:
        OSError, DocumentProblem: as `read_document_bytes`; DocumentProblem also for text that is
        not UTF-8.
    """
    data = read_document_bytes(name, stream)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentProblem(f"The file is not UTF-8 text (byte {exc.start + 1})") from None


def check_text_size(text: str) -> None:
    """Refuse text (already read, e.g. from standard input) past the size bound."""
    if len(text) > MAX_DOCUMENT_BYTES:
        raise DocumentProblem(_size_message())


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a document is read.

    Reading builds hundreds of thousands of small objects that all stay alive (events, nodes,
    values), and each pass of the collector walks every one of them again: about half the time of
    reading a large configuration. Reading makes no cyclic garbage worth collecting sooner (the
    document's size is bounded; reference counting frees the rest as usual).
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@contextlib.contextmanager
def documents_settled() -> Iterator[None]:
    """Everything alive now (the documents read) left out of the collector's passes until the end
    of the block (`gc.freeze`); what the block itself makes is collected as usual."""
    if gc.get_freeze_count():  # a caller has frozen objects already: leave them as they are
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


# --------------------------------------------------------------------------- JSON


def _parse_int(text: str) -> int | float:
    if len(text) > MAX_INTEGER_DIGITS:
        return OversizedNumber(text)
    return int(text)


def _depth_problem() -> DocumentProblem:
    return DocumentProblem(f"The document is nested more than {MAX_DEPTH} levels deep, "
                           "the most a configuration may be")


def loads_json(text: str) -> Any:
    """`json.loads` within the bounds: nesting depth and integer length.

    Raises:
        json.JSONDecodeError: not JSON.
        DocumentProblem: nested too deeply.
    """
    try:
        data = json.loads(text, parse_int=_parse_int)
    except RecursionError:
        raise _depth_problem() from None
    _check_data_depth(data)
    return data


def _check_data_depth(data: Any) -> None:
    stack = [(data, 1)]  # levels: each list or object is one
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _depth_problem()
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


# --------------------------------------------------------------------------- YAML


_LIBYAML_NESTING = "exceeded maximum nesting depth"


class BoundedComposer:
    """A mixin for a PyYAML loader with PyYAML's Python composer: refuses nesting past `MAX_DEPTH`
    while composing (the composer recurses once per level), before Python's own recursion limit is
    reached. libyaml's own nesting limit (deeper than this one) is reported the same way."""

    _cwf_depth = 0
    # What the last document composed holds: whether it defines an anchor, and its deepest level.
    _cwf_anchored = False
    _cwf_deepest = 0

    def check_node(self) -> bool:  # PyYAML's API
        return self._cwf_bounded(super().check_node)  # type: ignore[misc]

    def get_node(self) -> Any:  # PyYAML's API
        return self._cwf_bounded(super().get_node)  # type: ignore[misc]

    def get_single_node(self) -> Any:  # PyYAML's API
        return self._cwf_bounded(super().get_single_node)  # type: ignore[misc]

    @staticmethod
    def _cwf_bounded(call: Any) -> Any:
        try:
            return call()
        except yaml.MarkedYAMLError as exc:
            if _LIBYAML_NESTING not in (exc.problem or ""):
                raise
            mark = exc.problem_mark
            raise DocumentProblem(f"The document is nested more than {MAX_DEPTH} levels deep, the most "
                                  "a configuration may be", mark.line + 1 if mark else None,
                                  mark.column + 1 if mark else None) from None

    def compose_node(self, parent: Any, index: Any) -> Any:  # PyYAML's hook
        self._cwf_depth += 1
        if parent is None:  # a document's root: start counting again
            self._cwf_anchored, self._cwf_deepest = False, 0
        self._cwf_deepest = max(self._cwf_deepest, self._cwf_depth)
        try:
            if self._cwf_depth > MAX_DEPTH + 1:  # the scalars of the deepest collection are one more
                mark = self.peek_event().start_mark  # type: ignore[attr-defined]
                raise DocumentProblem(f"The document is nested more than {MAX_DEPTH} levels deep, the most "
                                      "a configuration may be", mark.line + 1, mark.column + 1)
            return super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            self._cwf_depth -= 1
            if parent is None:
                self._cwf_anchored = bool(self.anchors)  # type: ignore[attr-defined]

    def check_composed(self, node: Any, text: str | None = None) -> None:
        """`check_node_graph` of the document just composed, skipped when it cannot find anything:
        a document without anchors has no aliases (so no loop and nothing to expand), and one no
        deeper than `MAX_DEPTH` levels (scalars included) cannot be nested too deeply."""
        if self._cwf_anchored or self._cwf_deepest > MAX_DEPTH:
            check_node_graph(node, text)


if _CParser is not None:
    class SafeLoader(Composer, _CParser, SafeConstructor, Resolver):  # type: ignore[misc]
        """PyYAML's safe loader with libyaml's scanner and parser (several times faster on large
        configurations) under PyYAML's Python composer, so that `BoundedComposer` applies: the same
        nodes, marks and values as `yaml.SafeLoader`."""

        def __init__(self, stream: Any) -> None:
            _CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
else:  # PyYAML built without libyaml
    SafeLoader = yaml.SafeLoader  # type: ignore[misc, assignment]


def construct_int_bounded(loader: Any, node: yaml.ScalarNode) -> Any:
    """YAML's int constructor, reading an over-long integer as an `OversizedNumber`."""
    digits = sum(c.isdigit() for c in node.value)
    if digits > MAX_INTEGER_DIGITS:
        return OversizedNumber(node.value)
    return yaml.SafeLoader.construct_yaml_int(loader, node)


_ANCHOR = re.compile(r"&([^\s,\[\]{}]+)")


def _anchor_name(node: yaml.Node, text: str | None) -> str:
    mark = node.start_mark
    index = getattr(mark, "index", None)
    if text is not None and index is not None:
        hit = _ANCHOR.match(text, index)
        if hit:
            return "&" + hit.group(1)
    return "the anchor"


def check_node_graph(root: yaml.Node | None, text: str | None = None) -> None:
    """Check a composed YAML document before it is constructed or walked.

    Each node is visited once (an alias is the same node object as its anchor). Refuses a loop
    (an alias inside its own anchor), nesting past `MAX_DEPTH` with aliases expanded, and a
    document whose aliases would add more than `ALIAS_BUDGET` nodes when expanded.

    Raises:
        DocumentProblem: naming the anchor and its line.
    """
    if root is None:
        return
    size: dict[int, int] = {}    # id -> nodes in the expanded subtree
    height: dict[int, int] = {}  # id -> levels in the expanded subtree
    uses: dict[int, int] = {}    # id -> times the node is reached (more than once: an anchor)
    nodes: dict[int, yaml.Node] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            kids = _children(node)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            height[key] = 1 + max((height[id(k)] for k in kids), default=0) if _is_collection(node) else 0
            if height[key] > MAX_DEPTH:
                mark = node.start_mark
                raise DocumentProblem(f"The document is nested more than {MAX_DEPTH} levels deep (aliases "
                                      "expanded), the most a configuration may be", mark.line + 1, mark.column + 1)
            continue
        uses[key] = uses.get(key, 0) + 1
        if key in on_path:
            mark = node.start_mark
            raise DocumentProblem(f"An alias of {_anchor_name(node, text)} (line {mark.line + 1}) is inside "
                                  "the anchored value itself: the document would be infinite",
                                  mark.line + 1, mark.column + 1)
        if key in size:
            continue
        nodes[key] = node
        on_path.add(key)
        stack.append((node, True))
        for kid in reversed(_children(node)):
            if id(kid) in on_path:
                mark = kid.start_mark
                raise DocumentProblem(f"An alias of {_anchor_name(kid, text)} (line {mark.line + 1}) is inside "
                                      "the anchored value itself: the document would be infinite",
                                      mark.line + 1, mark.column + 1)
            stack.append((kid, False))
    expanded = size[id(root)]
    if expanded - len(nodes) > ALIAS_BUDGET:
        # The anchor whose aliases add the most.
        worst = max((k for k, n in uses.items() if n > 1), key=lambda k: (uses[k] - 1) * size[k])
        node = nodes[worst]
        mark = node.start_mark
        raise DocumentProblem(
            f"The aliases of {_anchor_name(node, text)} (line {mark.line + 1}) expand the document to "
            f"{expanded:,} nodes; aliases may add at most {ALIAS_BUDGET:,}", mark.line + 1, mark.column + 1)


def _is_collection(node: yaml.Node) -> bool:
    return isinstance(node, (yaml.MappingNode, yaml.SequenceNode))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def yaml_lines(root: yaml.Node | None, lines: dict[tuple, int], key_of: Any = None) -> None:
    """The 1-based line of every path of a composed document, each node visited once.

    A path reached through an alias gets the alias's line; the paths below it are not listed
    (lookups fall back to the nearest listed ancestor).
    """
    if root is None:
        return
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, tuple]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        lines.setdefault(path, node.start_mark.line + 1)
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            below = []
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    continue
                key = (key_of or _key)(key_node)
                lines[(*path, key)] = key_node.start_mark.line + 1  # a repeated key: the last one wins
                below.append((value_node, (*path, key)))
            stack.extend(reversed(below))
        elif isinstance(node, yaml.SequenceNode):
            for i in range(len(node.value) - 1, -1, -1):
                stack.append((node.value[i], (*path, i)))


def _key(key_node: yaml.ScalarNode) -> Any:
    if key_node.tag == "tag:yaml.org,2002:int" and len(key_node.value) <= MAX_INTEGER_DIGITS:
        try:
            return int(key_node.value)
        except ValueError:
            pass
    return key_node.value


def stdin_bytes() -> bytes:
    """Standard input's bytes, refused past the size bound."""
    stream = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else None
    if stream is None:
        text = sys.stdin.read(MAX_DOCUMENT_BYTES + 1)
        check_text_size(text)
        return text.encode("utf-8")
    return read_document_bytes("-", stream)
