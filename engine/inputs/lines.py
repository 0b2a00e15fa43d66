"""Line formats, read as a stream: plain lines, JSON lines, VPC Flow Logs, CloudFront, Lambda.

Each event is yielded as soon as its line is complete, so a pipe or a growing file works. A line
over the event-size limit is counted and skipped without being held; ``multi_line_start`` joins
continuation lines to the event they belong to, as the CloudWatch agent does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from itertools import compress, count
from typing import Any, Final

import orjson

from .decoding import _decode, _loads, _utf8_len
from .opening import OpenedInput
from .records import _BOM, MAX_EVENT_BYTES, InputEvent, RuledOut
from .sink import _Reject, _RuledOutStamps, _Sink
from .sniffing import VPC_DEFAULT_FIELDS, _is_vpc_header
from .timestamps import (
    _CLF_WINDOW,
    JSONL_TIMESTAMP_FIELDS,
    _epoch_ms,
    _jsonl_ms,
    _lambda_ms,
    _plain_ms_cached,
    _value_ms,
)

__all__ = [
    "LINE_HANDLERS",
]


_SKIP: Final = object()  # a line handler's answer for a line that is not an event (a header)


class _PlainLines:
    """``lines``: any text; the stamp is a leading ISO-8601, a Lambda or an Apache time."""

    __slots__ = ("stamps",)

    def __init__(self) -> None:
        self.stamps: dict[str, int | None] = {}  # stamp text -> epoch ms, for `_plain_ms_cached`

    def stamp(self, text: str) -> Any:
        return _plain_ms_cached(text, self.stamps)


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


_LINE_LIMIT: Final = MAX_EVENT_BYTES + 1  # room for a `\r` before the `\n`


def _split_lines(chunks: Iterable[bytes]) -> Iterator[tuple[int, bytes | None, bool, int]]:
    """Lines of a byte stream as soon as each is complete: ``(number, bytes, terminated, size)``.

    The bytes exclude the ``\\n``; they are None for a line too long to be an event (its bytes are
    dropped while reading, so an endless line costs no memory). The last line may lack its ``\\n``
    (`terminated` False). `_line_blocks` flattened.
    """
    limit = _LINE_LIMIT
    for item in _line_blocks(chunks):
        if len(item) == 2:
            lineno, piece = item
            for line in piece.split(b"\n"):
                yield lineno, (None if len(line) > limit else line), True, len(line)
                lineno += 1
        else:
            yield item


def _line_blocks(chunks: Iterable[bytes], count: Callable[[bytes, bytes], int] = bytes.count
                 ) -> Iterator[tuple[int, bytes] | tuple[int, bytes | None, bool, int]]:
    """`_split_lines` by the block: the complete lines of a read that lie wholly inside it come
    as ``(first line number, their bytes without the last line break)``; a line carried over from
    one read to the next, or the last one, comes as `_split_lines` yields it. Flattened, the
    same lines with the same numbers and sizes (tests/test_sieve.py checks it). `count` counts
    the occurrences of bytes in bytes (`bytes.count`, or a faster equivalent)."""
    limit = _LINE_LIMIT
    lineno = 0
    pending = bytearray()
    dropped = -1  # bytes of the current line dropped so far, -1 when not dropping
    for chunk in chunks:
        start, n = 0, len(chunk)
        if pending or dropped >= 0:  # finish the line carried over, as `_split_lines` does
            nl = chunk.find(b"\n")
            if nl < 0:
                if dropped >= 0:
                    dropped += n
                else:
                    pending += chunk
                    if len(pending) > limit:
                        dropped = len(pending)
                        pending.clear()
                continue
            lineno += 1
            if dropped >= 0:
                size, dropped = dropped + nl, -1
                yield lineno, None, True, size
            else:
                pending += memoryview(chunk)[:nl]
                line = bytes(pending)
                pending.clear()
                yield lineno, (None if len(line) > limit else line), True, len(line)
            start = nl + 1
        end = chunk.rfind(b"\n")
        if end >= start:
            piece = chunk[start:end]
            yield lineno + 1, piece
            lineno += count(piece, b"\n") + 1
            start = end + 1
        if start < n:
            pending += memoryview(chunk)[start:]
            if len(pending) > limit:
                dropped = len(pending)
                pending.clear()
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


_NOT_CACHED: Final = object()
# The integers orjson decodes as integers; it reads the others as floats (the full path's values).
_ORJSON_INTS: Final = range(-(2**63), 2**64)


class _SieveStamps:
    """The stamp of a JSON line from the values of its timestamp fields as the sieve decoded them
    (`JSONL_TIMESTAMP_FIELDS`, absent ones `unset`): as `_jsonl_ms` on the full decode, the first
    field whose value is a stamp. None when there is none, or when the full decode could read the
    value differently (an integer orjson reads as a float). Texts are cached (a trail repeats them)."""

    __slots__ = ("unset", "cache")

    def __init__(self, unset: Any) -> None:
        self.unset = unset
        self.cache: dict[str, int | None] = {}

    def __call__(self, values: Iterable[Any]) -> int | None:
        for v in values:
            if v is self.unset:
                continue
            if type(v) is str:
                ms = self.cache.get(v, _NOT_CACHED)
                if ms is _NOT_CACHED:
                    if len(self.cache) >= 65536:
                        self.cache.clear()
                    ms = self.cache[v] = _value_ms(v)
            elif type(v) is int and v not in _ORJSON_INTS:
                return None
            else:
                ms = _value_ms(v)
            if ms is not None:
                return ms
        return None


def _read_lines(chunks: Iterable[bytes], handler: Any, sink: _Sink, inp: OpenedInput,
                multi_line_start: Any = None, sieve_for: Callable[..., Any] | None = None
                ) -> Iterator[InputEvent | RuledOut]:
    lines = _split_lines(chunks)
    if multi_line_start is not None:
        lines = _join_lines(lines, multi_line_start)
    sieve = None
    if sieve_for is not None and type(handler) is _JsonLines and multi_line_start is None and not sink.now_mode:
        group = sink.bound_group or sink.default_group
        sieve = sieve_for(group, JSONL_TIMESTAMP_FIELDS)
    elif sieve_for is not None and type(handler) is _PlainLines and multi_line_start is None and not sink.now_mode:
        text_sieve = sieve_for(sink.bound_group or sink.default_group, text=True)
        if text_sieve is not None:
            yield from _read_plain_sieved(chunks, handler, sink, inp, text_sieve)
            return
    if sieve is None:
        yield from _read_each_line(lines, handler, sink, inp)
        return
    # JSON lines with a sieve: an ASCII line (valid UTF-8, its size its length) that decodes into
    # the sieve's struct, that no filter can match and that carries its own stamp is only counted;
    # every other line takes the full path below, exactly as without a sieve.
    decode, ruled_out, extra_values, unset = sieve.decode, sieve.ruled_out, sieve.extra_values, sieve.UNSET
    decode_lines, count = sieve.decode_lines, sieve.count
    ruled = _RuledOutStamps(sink, group)
    stamps = ruled.stamps
    stamp_of = _SieveStamps(unset)

    def sieved(raw: bytes) -> bool:
        """Whether the complete line `raw` was ruled out (and its stamp kept)."""
        if raw.isascii() and len(raw) <= MAX_EVENT_BYTES and not raw.endswith(b"\r"):
            try:
                obj = decode(raw)
            except Exception:  # not JSON, not of the struct's shape, too deep: the full path decides
                return False
            if ruled_out(obj):
                ms = stamp_of(extra_values(obj))
                if ms is not None:
                    stamps.append(ms)
                    return True
        return False

    def read_block(first: int, piece: bytes) -> Iterator[InputEvent | RuledOut]:
        block = piece.split(b"\n")
        # Lines that each are one object (every line break sits between `}` and `{`, never
        # within a JSON value) are decoded in one call; anything else line by line.
        objs = None
        if (piece.isascii() and piece.startswith(b"{") and piece.endswith(b"}")
                and len(piece) <= MAX_EVENT_BYTES and len(block) - 1 == count(piece, b"}\n{")):
            try:
                objs = decode_lines(piece)
            except Exception:  # a line the struct refuses: each is decoded on its own below
                objs = None
        if objs is not None and len(objs) == len(block):
            for k, obj in enumerate(objs):
                if ruled_out(obj):
                    ms = stamp_of(extra_values(obj))
                    if ms is not None:
                        stamps.append(ms)
                        continue
                yield from _full_line(ruled, first + k, block[k], handler, sink, inp)
            return
        for lineno, raw in enumerate(block, first):
            if raw.isascii() and len(raw) <= MAX_EVENT_BYTES and not raw.endswith(b"\r"):
                try:
                    obj = decode(raw)
                except Exception:  # not JSON, not of the struct's shape, too deep: the full path decides
                    obj = None
                if obj is not None and ruled_out(obj):
                    ms = stamp_of(extra_values(obj))
                    if ms is not None:
                        stamps.append(ms)
                        continue
            yield from _full_line(ruled, lineno, raw, handler, sink, inp)

    yield from _read_sieved(chunks, count, handler, sink, inp, ruled, read_block, sieved)


def _full_line(ruled: _RuledOutStamps, lineno: int, raw: bytes, handler: Any, sink: _Sink,
               inp: OpenedInput) -> Iterator[InputEvent | RuledOut]:
    """A complete line of a sieved read on the full path, after the ruled-out lines before it are
    counted (and handed over first when one of them holds the input's first stamp)."""
    if len(ruled.stamps) > ruled.counted and ruled.settle():
        yield ruled.flush()  # events waiting for the input's first stamp take this one
    size = len(raw)
    yield from _read_each_line([(lineno, None if size > _LINE_LIMIT else raw, True, size)], handler, sink, inp,
                               report_cut=False)


def _read_sieved(chunks: Iterable[bytes], count: Callable[[bytes, bytes], int], handler: Any, sink: _Sink,
                 inp: OpenedInput, ruled: _RuledOutStamps,
                 read_block: Callable[[int, bytes], Iterator[InputEvent | RuledOut]],
                 one_line: Callable[[bytes], bool]) -> Iterator[InputEvent | RuledOut]:
    """What the sieved readers share: each read of complete lines goes to `read_block` (which
    keeps the stamps of the lines it rules out in `ruled`), and what it ruled out reaches the
    engine before the next read, which may wait on a pipe; a line carried over from one read to
    the next is ruled out by `one_line`, or takes the full path."""
    stamps = ruled.stamps
    last = 0
    cut_reported = False
    try:
        for item in _line_blocks(chunks, count):
            if len(item) == 2:  # complete lines, read in one piece
                first, piece = item
                yield from read_block(first, piece)
                last = first + count(piece, b"\n")
                if stamps:
                    yield ruled.flush()
                continue
            lineno, raw, terminated, _ = item
            last = lineno
            if raw is not None and (terminated or inp.decompress_error is None) and one_line(raw):
                yield ruled.flush()
                continue
            if len(stamps) > ruled.counted and ruled.settle():
                yield ruled.flush()
            yield from _read_each_line([item], handler, sink, inp, report_cut=False)
            if not terminated and inp.decompress_error is not None:
                cut_reported = True  # the line the data ends in was rejected as cut
    except OSError:
        if stamps:
            yield ruled.flush()
        raise
    if stamps:
        yield ruled.flush()
    cut = inp.decompress_error
    if cut is not None and not cut_reported:
        sink.problem(f"after line {last}", cut[0], cut[1])


# Per line of a block without `\r`, the text `_plain_ms_cached` looks its stamp up by when the line
# can only hold an Apache stamp (no `-` at offset 4, no leading `[`): from the first `[` within
# `_CLF_WINDOW` to the first `]` 26 to 28 characters after it; else '' (the line is read in full).
# One C call for a whole block instead of a lookup by line.
_stamp_keys = re.compile(
    rf"^(?:(?!.{{4}}-)(?!\[)[^\[\n]{{0,{_CLF_WINDOW - 1}}}(\[.{{25,27}}?\]))?.*", re.MULTILINE
).findall


def _read_plain_sieved(chunks: Iterable[bytes], handler: _PlainLines, sink: _Sink, inp: OpenedInput,
                       sieve: Any) -> Iterator[InputEvent | RuledOut]:
    """Plain lines with a `TextSieve`: an ASCII line (valid UTF-8, its size its length) that no
    filter matches (`sieve.may_match` on the text the full path would match) and that carries its
    own stamp is only counted; every other line (a candidate, a line without a stamp, a blank,
    oversize or invalid line, the cut end of a gzip stream) takes the full path, exactly as
    without a sieve. Reads are decoded and split once, not line by line."""
    may_match, cache = sieve.may_match, handler.stamps
    cached = cache.get
    ruled = _RuledOutStamps(sink, sink.bound_group or sink.default_group)
    stamps = ruled.stamps
    append = stamps.append
    stamp_of = _plain_ms_cached

    def full(lineno: int, raw: bytes) -> Iterator[InputEvent | RuledOut]:
        return _full_line(ruled, lineno, raw, handler, sink, inp)

    def ruled_out(raw: bytes) -> bool:
        """Whether the complete line `raw` was ruled out (and its stamp kept)."""
        if raw.isascii() and len(raw) <= MAX_EVENT_BYTES:
            text = raw.decode("ascii")
            if text.endswith("\r"):
                text = text[:-1]
            if not may_match(text):
                ms = stamp_of(text, cache)
                if ms is not None:
                    append(ms)
                    return True
        return False

    def read_block(first: int, piece: bytes) -> Iterator[InputEvent | RuledOut]:
        if not (piece.isascii() and len(piece) <= MAX_EVENT_BYTES):  # else a line may be oversize
            for k, raw in enumerate(piece.split(b"\n")):
                if not ruled_out(raw):
                    yield from full(first + k, raw)
            return
        block = piece.decode("ascii")
        texts = block.split("\n")
        crlf = b"\r" in piece
        keys = None if crlf else _stamp_keys(block)
        if keys is not None and len(keys) == len(texts):
            # The lines some filter may match, and every line's stamp, each in one pass of C
            # loops; a stamp not cached ('' is never a key) is read from its line.
            hits = list(compress(count(), map(may_match, texts)))
            mss = list(map(cached, keys))
            if None in mss:
                for k, ms in enumerate(mss):
                    if ms is None:
                        mss[k] = stamp_of(texts[k], cache)
                if None in mss:  # lines without a stamp take the full path too
                    hits = sorted({*hits, *(k for k, ms in enumerate(mss) if ms is None)})
            at = 0
            for k in hits:
                stamps.extend(mss[at:k])
                at = k + 1
                yield from full(first + k, texts[k].encode("ascii"))
            stamps.extend(mss[at:])
            return
        for k, line in enumerate(texts):
            text = line[:-1] if crlf and line.endswith("\r") else line
            if not may_match(text):
                ms = stamp_of(text, cache)
                if ms is not None:
                    append(ms)
                    continue
            yield from full(first + k, line.encode("ascii"))

    yield from _read_sieved(chunks, sieve.count, handler, sink, inp, ruled, read_block, ruled_out)


def _read_each_line(lines: Iterable[tuple[int, bytes | None, bool, int]], handler: Any, sink: _Sink,
                    inp: OpenedInput, report_cut: bool = True) -> Iterator[InputEvent]:
    st = sink.st
    last = 0
    cut_reported = False
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
    if cut is not None and not cut_reported and report_cut:
        sink.problem(f"after line {last}", cut[0], cut[1])


