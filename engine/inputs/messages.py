"""Numbered messages for the commands that try a pattern on events (`cwfilter test`, `explain`).

The events are the ones `read_events` finds for `cwfilter run`: each input is opened with
`open_input` (gzip by its magic bytes), its format sniffed the same way (or forced with `fmt`), a
CloudTrail file yields its records, a subscription payload or ``filter-log-events`` output its log
events, and the same problems are counted with the same positions (``line 12``, ``Records[3]``).

Line input (``lines``, ``jsonl``) takes a faster road with the same result: one event per
non-empty line, read in blocks as they arrive (so a pipe that stays open streams), and, with a
compiled pattern's `block_filter`, whole blocks that cannot hold a match are counted without being
split or decoded (the way grep rules lines out). Events are numbered from 1 across every input, as
TestMetricFilter numbers its messages (DECISIONS M7).
"""

from __future__ import annotations

import codecs
import io
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import Final

from stringzilla import find as _find
from stringzilla import find_first_of as _find_first_of

from .opening import STDIN_NAME, OpenedInput, _Prefixed, open_input
from .records import CHUNK, FORMATS, MAX_EVENT_BYTES, InputError, InputStats, Problem
from .sniffing import _read_head, _sniff

__all__ = [
    "FORMATS",
    "MessageInputError",
    "MessageStats",
    "check_readable",
    "read_json_messages",
    "read_messages",
]

UTF8_BOM: Final = b"\xef\xbb\xbf"
# Positions of oversize events kept for messages; the count stays exact beyond it.
MAX_POSITIONS_SHOWN: Final = 5
# Problems other than oversize and invalid UTF-8 kept for messages; the count stays exact.
MAX_PROBLEMS_SHOWN: Final = 10
# Half the event limit: a block (a carried-over line part + a read) stays under the limit.
READ_CHUNK: Final = 1 << 19
# A line's CR, or a byte that is not ASCII: the bytes that make a block need a closer look.
_CR_OR_NOT_ASCII: Final = b"\r" + bytes(range(0x80, 0x100))
# Line formats whose every non-empty line is one event, read by the block reader.
BLOCK_FORMATS: Final = ("lines", "jsonl")
# Problems after which an input's remaining bytes cannot be read: the command fails on them.
FATAL_PROBLEMS: Final = ("truncated-gzip", "corrupt-gzip", "unreadable", "missing", "is-a-directory")


# (data, start, cut) -> the number of lines in data[start:cut]: a consumer of whole blocks of line
# input, each a run of lines that end with a line break and are events as they stand (valid UTF-8,
# no CR, none empty or oversize). What lies outside the block holds no line break of it.
PlainBlock = Callable[[bytes, int, int], int]


class MessageInputError(Exception):
    """An input that cannot be read to its end; the command stops with an error."""


@dataclass(slots=True)
class MessageStats:
    """What reading saw besides the events themselves."""

    events: int = 0
    skipped_empty: int = 0
    skipped_other: int = 0  # lines that are no event: headers, field lists, blank lines of a format
    invalid_utf8: int = 0
    oversize: int = 0
    oversize_at: list[str] = field(default_factory=list)
    problems: int = 0
    problems_shown: list[str] = field(default_factory=list)

    def reject_oversize(self, position: str) -> None:
        self.oversize += 1
        if len(self.oversize_at) < MAX_POSITIONS_SHOWN:
            self.oversize_at.append(position)

    def problem(self, text: str) -> None:
        self.problems += 1
        if len(self.problems_shown) < MAX_PROBLEMS_SHOWN:
            self.problems_shown.append(text)


def display(name: str) -> str:
    """How an input is named in messages."""
    return "standard input" if name in ("-", STDIN_NAME) else name


def check_readable(names: Iterable[str]) -> None:
    """Fail before any output when a named input is missing, a directory or not readable."""
    for name in names:
        if name == "-":
            continue
        if not os.path.exists(name):
            raise MessageInputError(f"no such file: {name}")
        if os.path.isdir(name):
            raise MessageInputError(f"is a directory: {name}")
        if not os.access(name, os.R_OK):
            raise MessageInputError(f"permission denied: {name}")


def _open(name: str) -> OpenedInput:
    try:
        return open_input(name)
    except InputError as exc:
        raise MessageInputError(f"cannot read {display(name)}: {exc.detail}") from None


# --------------------------------------------------------------------------- every format


def read_messages(
    names: Iterable[str],
    stats: MessageStats,
    fmt: str = "auto",
    block_filter: Callable[[bytes], bool] | None = None,
    plain_block: PlainBlock | None = None,
) -> Iterator[tuple[int, str]]:
    """Yield ``(event number, message)`` for every event of the inputs, in order.

    Args:
        names: paths, ``-`` for stdin.
        stats: filled as the inputs are read; `stats.events` is the number of the last event.
        fmt: one of `FORMATS`; ``auto`` sniffs each input as `cwfilter run` does.
        block_filter: a compiled pattern's test for a block of lines that may hold a match.
        plain_block: takes over each block of line input whose lines are events as they stand
            (see `PlainBlock`); those events are then not yielded.

    Raises:
        ValueError: an unknown `fmt`.
        MessageInputError: an input cannot be opened, or its gzip data is cut or damaged.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    for name in names:
        inp = _open(name)
        try:
            yield from _input_messages(inp, name, fmt, stats, block_filter, plain_block)
        except OSError as exc:
            raise MessageInputError(f"cannot read {display(name)}: {exc.strerror or exc}") from None
        finally:
            inp.close()


def _input_messages(inp: OpenedInput, name: str, fmt: str, stats: MessageStats,
                    block_filter: Callable[[bytes], bool] | None,
                    plain_block: PlainBlock | None = None) -> Iterator[tuple[int, str]]:
    head = b""
    blocks = fmt in BLOCK_FORMATS
    if fmt == "auto":
        head = _read_head(inp.stream)
        if b"\0" not in head:  # binary input: the shared reader says so and skips it
            chosen, document = _sniff(head)
            blocks = chosen in BLOCK_FORMATS and not document
    if blocks:
        chunks = chain((head,), inp.read_blocks(READ_CHUNK))
        yield from _line_messages(chunks, inp, name, stats, block_filter, plain_block)
        return
    replay = OpenedInput(inp.source, io.BufferedReader(_Prefixed(head, inp.stream.read1), CHUNK),
                         None, inp.compressed, inp._gunzip)
    where = display(name)

    def on_problem(problem: Problem) -> None:
        if problem.kind in FATAL_PROBLEMS:
            raise MessageInputError(f"cannot read {where}: {problem.position}: {problem.detail}")
        if problem.kind == "oversize":
            stats.reject_oversize(f"{where} {problem.position}")
        elif problem.kind == "invalid-utf8":
            stats.invalid_utf8 += 1
        else:
            stats.problem(f"{where}: {problem.position}: {problem.kind}: {problem.detail}")

    # Here, not at the top: line input (the common case of `cwfilter test`) needs no other reader.
    from .readers import read_events

    shared = InputStats(on_problem=on_problem)
    # The times are not looked at; "now" spares the clock for events that carry none.
    for event in read_events(replay, fmt=fmt, stats=shared, timestamps="now"):
        stats.events += 1
        yield stats.events, event.message
    stats.skipped_other += shared.total.skipped


# --------------------------------------------------------------------------- lines, in blocks


def _line_messages(chunks: Iterable[bytes], inp: OpenedInput, name: str, stats: MessageStats,
                   block_filter: Callable[[bytes], bool] | None,
                   plain_block: PlainBlock | None = None) -> Iterator[tuple[int, str]]:
    """One event per non-empty line; see the module docstring.

    The line ending (``\\n`` or ``\\r\\n``) is removed, and so is a UTF-8 byte-order mark at the
    start of the input. Empty lines are skipped and counted: TestMetricFilter only accepts messages
    of at least one character. Lines over `MAX_EVENT_BYTES` are skipped and counted with their
    position (DECISIONS M6). Invalid UTF-8 is decoded with U+FFFD replacement characters and
    counted.
    """
    where = display(name)
    line_no = 0  # lines of this input consumed so far (for positions)
    pending = b""
    discarding = False  # inside a line already known to be oversize
    first = True
    for data in chunks:
        if not data:
            continue
        if discarding:
            cut = data.find(b"\n")
            if cut < 0:
                continue
            data, discarding = data[cut + 1 :], False
            line_no += 1
        start = 0
        if pending and not first and (nl := data.find(b"\n")) >= 0:
            # The line begun in the previous read ends here: settle it on its own, and leave the
            # read as it is (no copy of it with the line's start in front).
            line_no += 1
            message = _line_message(pending + data[:nl], where, line_no, stats)
            if message is not None:
                yield stats.events, message
            pending, start = b"", nl + 1
        elif pending:
            data = pending + data
        cut = data.rfind(b"\n") + 1
        if cut <= start:
            data = data[start:]
            cut = 0
        if cut == 0:
            if len(data) > MAX_EVENT_BYTES + 2:  # a line this long is rejected (M6)
                stats.reject_oversize(f"{where} line {line_no + 1}")
                pending, discarding = b"", True
            else:
                pending = data
            continue
        if first:
            first = False
            if data.startswith(UTF8_BOM):
                data, cut = data[len(UTF8_BOM):], cut - len(UTF8_BOM)
        # The block is data[start:cut]. The tests below run on all of `data`, not on a copy of
        # the block: what lies outside it holds no empty line and no line break of the block,
        # and can only make the block look like it may match (then its lines are split and
        # tested one by one).
        plain = cut - start <= MAX_EVENT_BYTES and _plain_lines(data, start)
        if plain and plain_block is not None:
            lines = plain_block(data, start, cut)
            stats.events += lines
            line_no += lines
            pending = data[cut:]
            continue
        if plain and block_filter is not None and not block_filter(data):
            # No line of the block can match: count its events without splitting it.
            lines = data.count(b"\n", start)
            stats.events += lines
            line_no += lines
            pending = data[cut:]
            continue
        block, pending = data[start:cut], data[cut:]
        if plain:
            # Valid UTF-8, no empty line, no CR, none oversize: one line, one event.
            messages = block.decode("utf-8").split("\n")
            messages.pop()  # the block ends with a line break
            for message in messages:
                stats.events += 1
                yield stats.events, message
            line_no += len(messages)
            continue
        raws = block.split(b"\n")
        raws.pop()  # the block ends with a line break
        for raw in raws:
            line_no += 1
            message = _line_message(raw, where, line_no, stats)
            if message is not None:
                yield stats.events, message
    cut_short = inp.decompress_error
    if cut_short is not None:
        # gzip data cut or damaged: what follows the last whole line is not a whole event.
        raise MessageInputError(f"cannot read {where}: {cut_short[1]}")
    if pending and not discarding:
        if first and pending.startswith(UTF8_BOM):
            pending = pending[len(UTF8_BOM):]
        message = _line_message(pending, where, line_no + 1, stats)
        if message is not None:
            yield stats.events, message


def _plain_lines(data: bytes, start: int = 0) -> bool:
    """Whether each line of `data` from `start` is one event as it stands: no CR to strip, no
    empty line, valid UTF-8 (a character cut off at the very end is allowed: the next read
    completes it). The searches are SIMD scans (stringzilla); CRs and empty lines are looked for
    in all of `data`, which can only say no more often."""
    if data.startswith(b"\n", start) or _find(data, b"\n\n") >= 0:
        return False
    if _find_first_of(data, _CR_OR_NOT_ASCII) < 0:
        return True  # ASCII, no CR
    if b"\r" in data:
        return False
    try:
        codecs.utf_8_decode(memoryview(data)[start:], "strict", False)
    except UnicodeDecodeError:
        return False
    return True


def _line_message(raw: bytes, where: str, line_no: int, stats: MessageStats) -> str | None:
    """One line's event, or None when it is empty or oversize (both counted)."""
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    if not raw:
        stats.skipped_empty += 1
        return None
    if len(raw) > MAX_EVENT_BYTES:
        stats.reject_oversize(f"{where} line {line_no}")
        return None
    stats.events += 1
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        stats.invalid_utf8 += 1
        return raw.decode("utf-8", errors="replace")


# --------------------------------------------------------------------------- a JSON array of messages


def read_json_messages(name: str, stats: MessageStats) -> Iterator[tuple[int, str]]:
    """Yield ``(event number, message)`` for a JSON array of strings (multi-line events).

    Empty messages are skipped and counted, as empty lines are.

    Raises:
        MessageInputError: the input cannot be read, or is not a JSON array of strings.
    """
    inp = _open(name)
    try:
        data = inp.stream.read()
    except OSError as exc:
        raise MessageInputError(f"cannot read {display(name)}: {exc.strerror or exc}") from None
    finally:
        inp.close()
    if inp.decompress_error is not None:
        raise MessageInputError(f"cannot read {display(name)}: {inp.decompress_error[1]}")
    data = data.removeprefix(UTF8_BOM)
    import json

    # surrogateescape keeps invalid UTF-8 visible per message, so it can be counted per event.
    try:
        messages = json.loads(data.decode("utf-8", errors="surrogateescape"))
    except ValueError as exc:
        raise MessageInputError(f"{display(name)} is not valid JSON: {exc}") from None
    if not isinstance(messages, list):
        raise MessageInputError(f"{display(name)} must hold a JSON array of strings")
    for i, message in enumerate(messages):
        if not isinstance(message, str):
            raise MessageInputError(f"{display(name)}: element {i} is not a string")
    for i, message in enumerate(messages):
        if not message:
            stats.skipped_empty += 1
            continue
        if any("\udc80" <= c <= "\udcff" for c in message):
            stats.invalid_utf8 += 1
            message = message.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        if len(message.encode("utf-8", "surrogatepass")) > MAX_EVENT_BYTES:
            stats.reject_oversize(f"{display(name)} element {i}")
            continue
        stats.events += 1
        yield stats.events, message
