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
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, Self

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


def stdin_bytes() -> bytes:
    """Standard input's bytes, refused past the size bound."""
    stream = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else None
    if stream is None:
        text = sys.stdin.read(MAX_DOCUMENT_BYTES + 1)
        check_text_size(text)
        return text.encode("utf-8")
    return read_document_bytes("-", stream)
