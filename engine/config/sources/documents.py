"""Reading YAML and JSON documents with the line of every path, CloudFormation's short tags included.

CloudFormation templates in YAML use short-form intrinsic functions (``!Ref X``, ``!Sub '...'``,
``!GetAtt A.B``); they are read as the long form (``{"Ref": "X"}``, ``{"Fn::Sub": ...}``,
``{"Fn::GetAtt": ["A", "B"]}``), as CloudFormation itself does. JSON is read with `json` (the
values) and its lines are taken from PyYAML's node marks (YAML's flow style reads JSON).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import reading
from ..loading import _JsonLines

PathT = tuple


class DocumentError(Exception):
    """A file that is not valid YAML or JSON; carries the line and column when known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


@dataclass(slots=True)
class Document:
    """One parsed document and the 1-based line of each path in it."""

    source: str
    data: Any
    lines: Mapping[PathT, int] = field(default_factory=dict)
    text: str = ""
    # True when a CloudFormation short tag (``!Ref``) was read as its long form: the config reader,
    # which does not know these tags, would read the text differently.
    short_tags: bool = False

    def line(self, path: PathT) -> int | None:
        """The line of `path`, else of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            hit = self.lines.get(tuple(path[:end]))
            if hit is not None:
                return hit
        return None


# Short-form intrinsic function tags -> long-form keys (CloudFormation User Guide, "Intrinsic
# function reference"). `!GetAtt A.B` in scalar form splits at the first dot.
_SHORT_TAGS = {
    "Ref": "Ref", "Condition": "Condition",
    **{name: f"Fn::{name}" for name in (
        "Base64", "Cidr", "FindInMap", "GetAtt", "GetAZs", "ImportValue", "Join", "Select", "Split",
        "Sub", "Transform", "And", "Equals", "If", "Not", "Or", "ToJsonString", "Length",
        "ForEach",
    )},
}


@functools.cache
def _loader() -> type:
    """The config loader (YAML 1.2 numbers) with CloudFormation's short tags added (PyYAML is
    imported here, on the first YAML document)."""
    import yaml

    from ..yamlread import ConfigLoader

    class _Loader(ConfigLoader):
        yaml_constructors = dict(ConfigLoader.yaml_constructors)  # the tags stay off ConfigLoader
        cwf_short_tags = False  # set when a short tag is constructed

    def tag_constructor(short: str, long: str):
        def construct(loader: yaml.Loader, node: yaml.Node) -> dict:
            loader.cwf_short_tags = True
            if isinstance(node, yaml.ScalarNode):
                value: Any = loader.construct_scalar(node)
                if short == "GetAtt" and isinstance(value, str):
                    value = value.split(".", 1) if "." in value else [value]
            elif isinstance(node, yaml.SequenceNode):
                value = loader.construct_sequence(node, deep=True)
            else:
                value = loader.construct_mapping(node, deep=True)
            return {long: value}
        return construct

    for short, long in _SHORT_TAGS.items():
        _Loader.add_constructor(f"!{short}", tag_constructor(short, long))
    return _Loader


def parse_yaml(text: str, source: str) -> list[Document]:
    """Every document of a YAML text, with lines."""
    import yaml

    from ..yamlread import yaml_lines_under

    loader = _loader()(text)
    docs: list[Document] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            loader.check_composed(node, text)
            loader.cwf_short_tags = False
            data = loader.construct_document(node)
            lines: dict[PathT, int] = {}
            if node is not None:
                yaml_lines_under(node, (), lines)
            docs.append(Document(source, data, lines, text, loader.cwf_short_tags))
    except reading.DocumentProblem as exc:
        raise DocumentError(exc.message, exc.line, exc.column) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = ", ".join(p for p in (exc.context, exc.problem) if p)
        raise DocumentError(f"Invalid YAML: {what}", mark.line + 1 if mark else None,
                            mark.column + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise DocumentError(f"Invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    return docs


def json_lines(text: str) -> Mapping[PathT, int]:
    """The line of each key of a JSON text that `json.loads` accepted (worked out when asked for)."""
    return _JsonLines(text)


def parse_text(text: str, source: str, *, want_lines: bool = True) -> list[Document]:
    """YAML or JSON, told apart by the content: text starting with ``{`` or ``[`` is JSON first.

    Raises:
        DocumentError: neither reads it.
    """
    with reading.collector_paused():
        return _parse_text(text, source, want_lines)


def _parse_text(text: str, source: str, want_lines: bool) -> list[Document]:
    try:
        reading.check_text_size(text)
    except reading.DocumentProblem as exc:
        raise DocumentError(exc.message) from None
    if text.lstrip()[:1] in ("{", "["):
        try:
            data = reading.loads_json(text)
        except reading.DocumentProblem as exc:
            raise DocumentError(exc.message, exc.line, exc.column) from None
        except json.JSONDecodeError as exc:
            if source.lower().endswith(".json"):
                raise DocumentError(f"Invalid JSON: {exc.msg}", exc.lineno, exc.colno) from None
        else:
            return [Document(source, data, json_lines(text) if want_lines else {}, text)]
    return parse_yaml(text, source)
