"""Config files to documents: YAML or JSON, bounded, with the line of every path.

Files are read through `engine.config.reading` (size, nesting, alias and number bounds); each
document keeps a map from its paths to their lines so that a `ConfigIssue` names
``file:line: metricFilters[3].filterPattern``.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from json.decoder import scanstring
from pathlib import Path

from ..errors import ERROR, ConfigIssue
from . import reading
from .checks import PathT
from .collect import _Document

__all__ = []


class _SyntaxProblem(Exception):
    def __init__(self, message: str, line: int | None, column: int | None) -> None:
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


def _read_text(name: str | Path) -> tuple[str, str]:
    """(source name, text) of a file, or of standard input for ``-``."""
    source = "<stdin>" if str(name) == "-" else str(name)
    try:
        data = reading.stdin_bytes() if str(name) == "-" else reading.read_document_bytes(name)
        return source, data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _SyntaxProblem(f"The file is not UTF-8 text (byte {exc.start + 1})", None, None) from None
    except reading.DocumentProblem as exc:
        raise _SyntaxProblem(exc.message, exc.line, exc.column) from None


def _parse_documents(text: str, source: str) -> list[_Document]:
    """Parse YAML or JSON, told apart by the content, with the line of every path.

    Text that starts with ``{`` or ``[`` is read as JSON first; when that fails it is read as YAML,
    except in a ``.json`` file, where the JSON syntax error is reported.
    """
    with reading.collector_paused():
        return _parse_text(text, source)


def _parse_text(text: str, source: str) -> list[_Document]:
    looks_json = text.lstrip()[:1] in ("{", "[")
    json_error: _SyntaxProblem | None = None
    if looks_json:
        try:
            data = reading.loads_json(text)
        except json.JSONDecodeError as exc:
            json_error = _SyntaxProblem(f"Invalid JSON: {exc.msg}", exc.lineno, exc.colno)
        except reading.DocumentProblem as exc:
            raise _SyntaxProblem(exc.message, exc.line, exc.column) from None
        else:
            return [_Document(source, data, _JsonLines(text))]
        if source.lower().endswith(".json"):
            raise json_error  # a .json file that looks like JSON: its JSON error is the answer
    # YAML, or JSON-like text that only YAML accepts (YAML flow style is a superset of JSON).
    try:
        return _yaml_documents(text, source)
    except _SyntaxProblem as yaml_error:
        raise (json_error or yaml_error) from None


def _yaml_documents(text: str, source: str) -> list[_Document]:
    import yaml

    from .yamlread import ConfigLoader, yaml_lines_under

    loader = ConfigLoader(text)
    docs: list[_Document] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            loader.check_composed(node, text)
            data = loader.construct_document(node)
            lines: dict[PathT, int] = {}
            yaml_lines_under(node, (), lines)
            docs.append(_Document(source, data, lines))
    except reading.DocumentProblem as exc:
        raise _SyntaxProblem(exc.message, exc.line, exc.column) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = ", ".join(p for p in (exc.context, exc.problem) if p)
        raise _SyntaxProblem(f"Invalid YAML: {what}", mark.line + 1 if mark else None,
                             mark.column + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise _SyntaxProblem(f"Invalid YAML: {exc}", None, None) from None
    finally:
        loader.dispose()
    return docs or [_Document(source, None, {})]


_JSON_WS = re.compile(r"[ \t\n\r]*")
_JSON_SCALAR = re.compile(r"-?(?:Infinity|[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)|true|false|null|NaN")


def _json_lines(text: str) -> dict[PathT, int]:
    """The line of each key (and array element) of a JSON text that `json.loads` accepted."""
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    lines: dict[PathT, int] = {}

    def line_of(pos: int) -> int:
        return bisect.bisect_right(starts, pos)

    def ws(pos: int) -> int:
        return _JSON_WS.match(text, pos).end()

    def value(pos: int, path: PathT) -> int:
        pos = ws(pos)
        lines.setdefault(path, line_of(pos))
        char = text[pos]
        if char == "{":
            pos = ws(pos + 1)
            if text[pos] == "}":
                return pos + 1
            while True:
                pos = ws(pos)
                key, end = scanstring(text, pos + 1)
                lines[(*path, key)] = line_of(pos)  # a repeated key: the last one wins, as in json
                pos = ws(end) + 1  # past ':'
                pos = ws(value(pos, (*path, key)))
                if text[pos] == "}":
                    return pos + 1
                pos += 1  # past ','
        if char == "[":
            pos = ws(pos + 1)
            if text[pos] == "]":
                return pos + 1
            index = 0
            while True:
                pos = ws(value(pos, (*path, index)))
                index += 1
                if text[pos] == "]":
                    return pos + 1
                pos += 1
        if char == '"':
            return scanstring(text, pos + 1)[1]
        return _JSON_SCALAR.match(text, pos).end()

    try:
        value(0, ())
    except (IndexError, AttributeError, ValueError, RecursionError):
        pass  # only positions are lost; json.loads has accepted the text
    return lines


class _Ambiguous(Exception):
    """A repeated key on the way to a path: `_json_lines` decides which line wins."""


# Skips one JSON value of a text `json.loads` accepted (numbers kept as text: no length limit).
_SKIP = json.JSONDecoder(parse_float=str, parse_int=str, parse_constant=str).raw_decode


class _JsonLines(Mapping):
    """`_json_lines(text)`, worked out for the paths asked for only.

    A check names a few paths of a large document (often none): each `get` walks from the root
    to its path, indexing the keys or elements of each object or array on the way once (the
    values in between are skipped by the C JSON scanner), and gives the line `_json_lines` gives.
    A repeated key on the way, anything unexpected, and any use of the whole mapping build the
    full map instead.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._full: dict[PathT, int] | None = None
        self._starts: list[int] | None = None
        self._objects: dict[int, dict[str, tuple[int, int, int]]] = {}  # start -> key -> (count, key, value)
        self._arrays: dict[int, list[int]] = {}                          # start -> element positions

    def _all(self) -> dict[PathT, int]:
        if self._full is None:
            self._full = _json_lines(self._text)
        return self._full

    def get(self, path: PathT, default: object = None) -> object:
        if self._full is None:
            try:
                return self._find(path)
            except _Ambiguous:
                pass
            except (IndexError, AttributeError, ValueError, RecursionError):
                pass  # the full walk decides, as it always did
        return self._all().get(path, default)

    def __getitem__(self, path: PathT) -> int:
        return self._all()[path]

    def __iter__(self) -> Iterator[PathT]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def __bool__(self) -> bool:
        return True  # the root's line at least

    def _line(self, pos: int) -> int:
        if self._starts is None:
            self._starts = [0] + [m.end() for m in re.finditer("\n", self._text)]
        return bisect.bisect_right(self._starts, pos)

    def _ws(self, pos: int) -> int:
        return _JSON_WS.match(self._text, pos).end()

    def _find(self, path: PathT) -> int | None:
        text = self._text
        pos = self._ws(0)
        line = self._line(pos)
        for step in path:
            char = text[pos]
            if char == "{":
                if not isinstance(step, str):
                    return None
                hit = self._object(pos).get(step)
                if hit is None:
                    return None
                count, key_pos, pos = hit
                if count > 1:
                    raise _Ambiguous
                line = self._line(key_pos)
            elif char == "[":
                if not isinstance(step, int) or step < 0:
                    return None
                elements = self._array(pos)
                if step >= len(elements):
                    return None
                pos = elements[step]
                line = self._line(pos)
            else:
                return None
        return line

    def _object(self, start: int) -> dict[str, tuple[int, int, int]]:
        index = self._objects.get(start)
        if index is not None:
            return index
        text, index = self._text, {}
        pos = self._ws(start + 1)
        if text[pos] != "}":
            while True:
                key, end = scanstring(text, pos + 1)
                value = self._ws(self._ws(end) + 1)  # past ':'
                seen = index.get(key)
                index[key] = (1 if seen is None else seen[0] + 1, pos, value)
                pos = self._ws(_SKIP(text, value)[1])
                if text[pos] == "}":
                    break
                pos = self._ws(pos + 1)
        self._objects[start] = index
        return index

    def _array(self, start: int) -> list[int]:
        elements = self._arrays.get(start)
        if elements is not None:
            return elements
        text, elements = self._text, []
        pos = self._ws(start + 1)
        if text[pos] != "]":
            while True:
                elements.append(pos)
                pos = self._ws(_SKIP(text, pos)[1])
                if text[pos] == "]":
                    break
                pos = self._ws(pos + 1)
        self._arrays[start] = elements
        return elements


def _load_documents(paths: Sequence[str | Path], parsed: Mapping[str, Sequence[_Document]] | None = None
                    ) -> tuple[list[_Document], list[ConfigIssue]]:
    """The documents of `paths`, and the problems of the files that cannot be read.

    `parsed` holds the documents of files already read exactly as this reader reads them (file
    name -> its documents), so that a file is not read and parsed again.
    """
    docs: list[_Document] = []
    problems: list[ConfigIssue] = []
    for name in paths:
        source = "<stdin>" if str(name) == "-" else str(name)
        if parsed is not None and source in parsed and source != "<stdin>":
            docs.extend(parsed[source])
            continue
        try:
            source, text = _read_text(name)
            docs.extend(_parse_documents(text, source))
        except OSError as exc:
            problems.append(ConfigIssue("", f"Cannot read the file: {exc.strerror or exc}", source))
        except _SyntaxProblem as exc:
            problems.append(ConfigIssue("", exc.message, source, exc.line, ERROR, exc.column))
    return docs, problems


