"""Line formats, read as a stream: plain lines, JSON lines, VPC Flow Logs, CloudFront, Lambda.

Each event is yielded as soon as its line is complete, so a pipe or a growing file works. A line
over the event-size limit is counted and skipped without being held; ``multi_line_start`` joins
continuation lines to the event they belong to, as the CloudWatch agent does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Final

import orjson

from .decoding import _decode, _loads, _utf8_len
from .opening import OpenedInput
from .records import _BOM, MAX_EVENT_BYTES, InputEvent
from .sink import _Reject, _Sink
from .sniffing import VPC_DEFAULT_FIELDS, _is_vpc_header
from .timestamps import _epoch_ms, _jsonl_ms, _lambda_ms, _plain_ms

__all__ = [
    "LINE_HANDLERS",
]


_SKIP: Final = object()  # a line handler's answer for a line that is not an event (a header)


class _PlainLines:
    """``lines``: any text; the stamp is a leading ISO-8601, a Lambda or an Apache time."""

    __slots__ = ()

    def stamp(self, text: str) -> Any:
        return _plain_ms(text)


class _LambdaLines:
    """``lambda``: Lambda platform and runtime lines; only runtime lines carry a stamp."""

    __slots__ = ()

    def stamp(self, text: str) -> Any:
        return _lambda_ms(text)


class _JsonLines:
    """``jsonl``: one JSON value per line; the message is the line itself.

    `doc` holds the last line's object when orjson decoded it (what the engine's own decoding
    would give), so that the engine does not decode the line a second time.
    """

    __slots__ = ("doc",)

    def __init__(self) -> None:
        self.doc = None

    def stamp(self, text: str) -> Any:
        try:
            obj = orjson.loads(text)
            self.doc = obj if type(obj) is dict else None
        except orjson.JSONDecodeError:
            self.doc = None
            try:
                obj = _loads(text)
            except ValueError as exc:
                raise _Reject("malformed-json", str(exc)) from None
        return _jsonl_ms(obj)


class _VpcFlow:
    """``vpcflow``: space-separated records; `start` (epoch seconds) is the event time.

    Without a field list the default format is assumed (14 fields, `start` the 11th). A line made
    only of field names (as S3 delivery writes first) is a field list: it is not an event, and the
    records after it are read by its names.
    """

    __slots__ = ("fields", "start_at")

    def __init__(self) -> None:
        self.fields: tuple[str, ...] | None = None
        self.start_at: int | None = VPC_DEFAULT_FIELDS.index("start")

    def stamp(self, text: str) -> Any:
        tokens = text.split()
        if _is_vpc_header(tokens):
            self.fields = tuple(t.removeprefix("${").removesuffix("}") for t in tokens)
            self.start_at = self.fields.index("start") if "start" in self.fields else None
            return _SKIP
        if self.start_at is None or (self.fields is None and len(tokens) != len(VPC_DEFAULT_FIELDS)):
            return None
        if self.start_at < len(tokens) and tokens[self.start_at].isdigit():
            return int(tokens[self.start_at]) * 1000
        return None


_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_TIME_RE = re.compile(r"(\d{2}):(\d{2}):(\d{2})")


class _CloudFront:
    """``cloudfront``: tab-separated records, ``#`` header lines; `date` + `time` (UTC) is the stamp.

    The ``#Fields:`` header names the columns; without one the documented order (date first, time
    second) is assumed.
    """

    __slots__ = ("date_at", "time_at")

    def __init__(self) -> None:
        self.date_at: int | None = 0
        self.time_at: int | None = 1

    def stamp(self, text: str) -> Any:
        if text.startswith("#"):
            if text.startswith("#Fields:"):
                names = text[len("#Fields:"):].split()
                self.date_at = names.index("date") if "date" in names else None
                self.time_at = names.index("time") if "time" in names else None
            return _SKIP
        if self.date_at is None or self.time_at is None:
            return None
        cols = text.split("\t")
        if max(self.date_at, self.time_at) >= len(cols):
            return None
        d = _DATE_RE.fullmatch(cols[self.date_at])
        t = _TIME_RE.fullmatch(cols[self.time_at])
        if d is None or t is None:
            return None
        return _epoch_ms(*(int(x) for x in d.groups()), *(int(x) for x in t.groups()))


LINE_HANDLERS: Final[dict[str, Callable[[], Any]]] = {
    "lines": _PlainLines,
    "jsonl": _JsonLines,
    "vpcflow": _VpcFlow,
    "cloudfront": _CloudFront,
    "lambda": _LambdaLines,
}


def _split_lines(chunks: Iterable[bytes]) -> Iterator[tuple[int, bytes | None, bool, int]]:
    """Lines of a byte stream as soon as each is complete: ``(number, bytes, terminated, size)``.

    The bytes exclude the ``\\n``; they are None for a line too long to be an event (its bytes are
    dropped while reading, so an endless line costs no memory). The last line may lack its ``\\n``
    (`terminated` False).
    """
    limit = MAX_EVENT_BYTES + 1  # room for a `\r` before the `\n`
    lineno = 0
    pending = bytearray()
    dropped = -1  # bytes of the current line dropped so far, -1 when not dropping
    for chunk in chunks:
        start, n = 0, len(chunk)
        while start < n:
            nl = chunk.find(b"\n", start)
            if nl < 0:
                if dropped >= 0:
                    dropped += n - start
                else:
                    pending += memoryview(chunk)[start:]
                    if len(pending) > limit:
                        dropped = len(pending)
                        pending.clear()
                break
            lineno += 1
            if dropped >= 0:
                size, dropped = dropped + nl - start, -1
                yield lineno, None, True, size
            else:
                if pending:
                    pending += memoryview(chunk)[start:nl]
                    line = bytes(pending)
                    pending.clear()
                else:
                    line = chunk[start:nl]
                yield lineno, (None if len(line) > limit else line), True, len(line)
            start = nl + 1
    if dropped >= 0:
        yield lineno + 1, None, False, dropped
    elif pending:
        yield lineno + 1, bytes(pending), False, len(pending)


def _join_lines(lines: Iterable[tuple[int, bytes | None, bool, int]], start: Any
                ) -> Iterator[tuple[int, bytes | None, bool, int]]:
    """The CloudWatch agent's multi-line grouping of `_split_lines` output: a line in which
    `start` finds a match begins an event, every other line joins the event before it with a
    ``\\n`` (a first line that does not match begins one too). An event is yielded when the next
    one begins, or at the end of input, numbered by its first line."""
    group: list[Any] | None = None  # [first line number, parts (None: too long), terminated, size]
    for lineno, raw, terminated, size in lines:
        line = None if raw is None else raw.removesuffix(b"\r")
        begins = line is not None and start.search(line.decode("utf-8", "replace")) is not None
        if group is not None and not begins:
            group[3] += 1 + size
            if group[1] is not None:
                if line is None or group[3] > MAX_EVENT_BYTES:
                    group[1] = None
                else:
                    group[1].append(line)
            group[2] = terminated
            continue
        if group is not None:
            yield group[0], None if group[1] is None else b"\n".join(group[1]), group[2], group[3]
        group = [lineno, None if line is None else [line], terminated, size]
    if group is not None:
        yield group[0], None if group[1] is None else b"\n".join(group[1]), group[2], group[3]


def _read_lines(chunks: Iterable[bytes], handler: Any, sink: _Sink, inp: OpenedInput,
                multi_line_start: Any = None) -> Iterator[InputEvent]:
    st = sink.st
    last = 0
    cut_reported = False
    lines = _split_lines(chunks)
    if multi_line_start is not None:
        lines = _join_lines(lines, multi_line_start)
    for lineno, raw, terminated, size in lines:
        last = lineno
        position = f"line {lineno}"
        if not terminated and (cut := inp.decompress_error) is not None:
            # The gzip data ends inside this line: what was decoded of it is not a whole event.
            sink.reject(position, cut[0], f"{cut[1]}; this last line is incomplete")
            cut_reported = True
            continue
        if raw is None:
            sink.reject(position, "oversize", f"line of {size} bytes, over the limit of {MAX_EVENT_BYTES}")
            continue
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if lineno == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM):]
        if not raw.strip():
            st.skipped += 1  # an empty line is no event (PutLogEvents needs a message of 1+ bytes)
            continue
        text, bad_at = _decode(raw)
        if bad_at is not None:
            sink.problem(position, "invalid-utf8",
                         f"invalid UTF-8 at byte {bad_at + 1} of the line; decoded with U+FFFD")
            size = _utf8_len(text)
        else:
            size = len(raw)
        if size > MAX_EVENT_BYTES:  # DECISIONS M6
            sink.reject(position, "oversize", f"{size} bytes of UTF-8, over the limit of {MAX_EVENT_BYTES}")
            continue
        try:
            stamp = handler.stamp(text)
        except _Reject as rej:
            sink.reject(position, rej.kind, rej.detail)
            continue
        if stamp is _SKIP:
            st.skipped += 1
            continue
        event = sink.deliver(text, stamp, position, size=size, doc=getattr(handler, "doc", None))
        if event is not None:
            yield event
    cut = inp.decompress_error
    if cut is not None and not cut_reported:
        sink.problem(f"after line {last}", cut[0], cut[1])


