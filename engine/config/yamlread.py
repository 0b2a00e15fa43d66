"""YAML documents within the bounds of `engine.config.reading`: PyYAML's safe loader under a
composer that refuses deep nesting, the check of a composed node graph (loops, alias bombs), and
the line of every path.

Only readers of YAML import this module (and with it PyYAML): a run whose configuration is JSON
never does.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from .reading import ALIAS_BUDGET, MAX_DEPTH, MAX_INTEGER_DIGITS, DocumentProblem, OversizedNumber

try:
    from yaml.cyaml import CParser as _CParser
except ImportError:  # PyYAML built without libyaml
    _CParser = None

__all__ = ["BoundedComposer", "ConfigLoader", "SafeLoader", "check_node_graph", "construct_int_bounded",
           "read_numbers_as_json", "yaml_lines", "yaml_lines_under"]

PathT = tuple


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


class ConfigLoader(BoundedComposer, SafeLoader):
    """PyYAML's safe loader, reading `1e3` as a number as YAML 1.2 and JSON do, within the
    document bounds of `engine.config.reading` (nesting, aliases, integer length)."""


# YAML 1.2's floats (`1e3` is a number, as in JSON): PyYAML's own resolver wants a dot.
_FLOAT_RE = re.compile(r"""^(?:[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?
                  |[-+]?\.(?:inf|Inf|INF)
                  |\.(?:nan|NaN|NAN))$""", re.X)


def read_numbers_as_json(loader: type, untyped: tuple[str, ...] = ()) -> None:
    """Make a loader class read numbers as YAML 1.2 and JSON do (`1e3` a float, an over-long
    integer an `OversizedNumber`); the implicit tags in `untyped` are no longer resolved (their
    scalars stay strings)."""
    dropped = ("tag:yaml.org,2002:float", *untyped)
    loader.yaml_implicit_resolvers = {
        first: [r for r in resolvers if r[0] not in dropped]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    loader.add_constructor("tag:yaml.org,2002:int", construct_int_bounded)
    loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_RE, list("-+0123456789."))


read_numbers_as_json(ConfigLoader)


def yaml_lines_under(node: yaml.Node, path: PathT, lines: dict[PathT, int]) -> None:
    """The line of every path below `node` (each node visited once: aliases are not expanded)."""
    if path:
        sub: dict[PathT, int] = {}
        yaml_lines(node, sub)
        lines.update({(*path, *k): v for k, v in sub.items() if (*path, *k) not in lines})
    else:
        yaml_lines(node, lines)
