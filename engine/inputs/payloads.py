"""CloudWatch Logs archives and payloads as AWS writes them, read as a stream with bounded memory.

* ``export``: objects of ``aws logs create-export-task`` (``<prefix>/<task>/<stream>/000000.gz``):
  each event is ``2024-05-01T12:00:00.000Z <message>``; lines without that stamp continue the
  previous event's message. The stream name is the object's folder; the object names no log group.
* JSON documents, one or many back to back (with or without newlines, pretty-printed or not,
  whole or in gzip members one after the other, or as base64 lines): subscription payloads
  (``DATA_MESSAGE``; ``CONTROL_MESSAGE`` health checks are counted, not read as events), what a
  Lambda function receives (``{"awslogs": {"data": …}}``, gzip or zlib), Kinesis consumer events
  (``{"Records": [{"kinesis": {"data": …}}]}``), Firehose records (HTTP endpoint request bodies and
  transformation events, ``{"records": [{"data": …}]}``), CloudTrail log files and
  ``filter-log-events`` output. ``firehose`` names this family (a Firehose delivery to S3, raw or
  decompressed); messages written without their payloads (message extraction) are plain lines.

Memory is bounded whatever an input holds: a document of up to `MAX_DOCUMENT_BYTES` is parsed
whole; a larger one is walked record by record (each record of up to `MAX_DOCUMENT_BYTES`, a larger
one skipped and rejected with its index); compressed payload data is inflated in steps of at most
`CHUNK` bytes and refused past `MAX_PAYLOAD_BYTES`.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import os
import re
import zlib
from collections.abc import Iterable, Iterator
from typing import Any, Final

import orjson

from .decoding import MAX_PAYLOAD_BYTES, _decode, _is_zlib, _loads, _utf8_len, inflate
from .documents import _log_event, _record_event, _salvage, _where, read_document
from .lines import LINE_HANDLERS, _read_lines, _split_lines
from .opening import open_input, parse_input_spec
from .records import _BOM, CHUNK, GZIP_MAGIC, MAX_EVENT_BYTES, SNIFF_BYTES, InputError, InputEvent
from .sniffing import _is_cloudtrail_record, _shape, sniffed_value
from .timestamps import _iso_text_ms, _plain_ms

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "MAX_NESTING",
    "MAX_PAYLOAD_BYTES",
    "is_export_object",
    "read_documents",
    "read_export",
    "shape_hint",
]

# A JSON document (or one record of a larger one) up to this size is parsed whole.
MAX_DOCUMENT_BYTES: Final = 16 * 1024 * 1024
# Deeper nesting than this is not a log document (orjson's own limit is 1,024).
MAX_NESTING: Final = 1024
# After this many documents in a row that hold no event, the rest of an input is not read.
MAX_BAD_DOCUMENTS: Final = 1000

_WS: Final = b" \t\r\n"
_NON_WS_RE = re.compile(rb"[^ \t\r\n]")
_STRUCT_RE = re.compile(rb'["\[\]{}]')
_SCALAR_END_RE = re.compile(rb'[\s,\]}\[{"]')
# Base64 text of a record: gzip (`H4sI`), zlib (`eJ`, `eN`, `eF`, `eA`) or JSON (`ey`, `W3`).
_B64_LINE_RE = re.compile(rb"(?:H4sI|eJ|eN|eF|eA|eyJ|ewo|W3s)[A-Za-z0-9+/\r\n]*={0,2}")


# --------------------------------------------------------------------------- bounded inflation

def _string_stop(buf: bytes, i: int) -> int:
    """The offset of the next ``"`` or backslash from `i`, or -1."""
    quote = buf.find(b'"', i)
    slash = buf.find(b"\\", i, quote if quote >= 0 else len(buf))
    return slash if slash >= 0 else quote


def _unwrap(data: Any, where: str, sink: Any) -> bytes | None:
    """The bytes of a record's ``data``: base64 decoded, then inflated when compressed."""
    if isinstance(data, str):
        try:
            raw = base64.b64decode("".join(data.split()), validate=True)
        except (binascii.Error, ValueError) as exc:
            sink.problem(where, "bad-base64", f"data is not base64 ({exc})")
            return None
    elif isinstance(data, (bytes, bytearray)):
        raw = bytes(data)
    else:
        sink.problem(where, "wrong-shape", "data must be a base64 string")
        return None
    if raw[:2] == GZIP_MAGIC or _is_zlib(raw):
        inflated, kind, detail = inflate(raw)
        if inflated is None:
            sink.problem(where, kind, f"data {detail}")
            return None
        return inflated
    if len(raw) > MAX_PAYLOAD_BYTES:
        sink.problem(where, "oversize-payload", f"data of {len(raw):,} bytes, over {MAX_PAYLOAD_BYTES:,}: refused")
        return None
    return raw


# --------------------------------------------------------------------------- payload shapes

def _payload_kind(doc: Any) -> str | None:
    """``awslogs``, ``kinesis``, ``firehose`` or ``subscription`` for the payload shapes, else None."""
    if not isinstance(doc, dict):
        return None
    if "awslogs" in doc:
        return "awslogs"
    records = doc.get("Records")
    if isinstance(records, list) and records and _is_kinesis_record(records[0]):
        return "kinesis"
    records = doc.get("records")
    if isinstance(records, list) and (not records or (isinstance(records[0], dict) and "data" in records[0])):
        return "firehose"
    if isinstance(doc.get("logEvents"), list) or doc.get("messageType") in ("DATA_MESSAGE", "CONTROL_MESSAGE"):
        return "subscription"
    return None


def _is_kinesis_record(rec: Any) -> bool:
    """A record of a Lambda Kinesis event (``kinesis.data``) or of ``aws kinesis get-records`` (``Data``)."""
    return isinstance(rec, dict) and (isinstance(rec.get("kinesis"), dict)
                                      or (isinstance(rec.get("Data"), str) and "SequenceNumber" in rec))


def subscription_doc(doc: Any, prefix: str, sink: Any) -> Iterator[InputEvent]:
    """The events of one payload-shaped document (see `_payload_kind`)."""
    where = _where(prefix)
    kind = _payload_kind(doc)
    if kind == "awslogs":
        awslogs = doc["awslogs"]
        data = awslogs.get("data") if isinstance(awslogs, dict) else awslogs
        if not isinstance(data, str):
            sink.problem(where, "wrong-shape", "awslogs.data must be a base64 string")
            return
        yield from _record_data(data, prefix, sink, "awslogs.data")
    elif kind == "kinesis":
        for i, rec in enumerate(doc["Records"]):
            yield from _kinesis_record(rec, f"{prefix}Records[{i}]", sink)
    elif kind == "firehose":
        for i, rec in enumerate(doc["records"]):
            yield from _firehose_record(rec, f"{prefix}records[{i}]", sink)
    elif kind == "subscription":
        yield from _payload(doc, prefix, sink)
    else:
        sink.problem(where, "wrong-shape", "not a subscription payload: no logEvents array")


def _kinesis_record(rec: Any, pos: str, sink: Any) -> Iterator[InputEvent]:
    if isinstance(rec, dict) and isinstance(rec.get("kinesis"), dict):
        data = rec["kinesis"].get("data")
    elif isinstance(rec, dict):
        data = rec.get("Data")
    else:
        data = None
    if not isinstance(data, str):
        sink.problem(pos, "wrong-shape", "a Kinesis record without kinesis.data")
        return
    yield from _record_data(data, f"{pos}.", sink, "kinesis.data")


def _firehose_record(rec: Any, pos: str, sink: Any) -> Iterator[InputEvent]:
    data = rec.get("data") if isinstance(rec, dict) else None
    if not isinstance(data, str):
        sink.problem(pos, "wrong-shape", "a Firehose record without data")
        return
    yield from _record_data(data, f"{pos}.", sink, "data")


def _record_data(data: str, prefix: str, sink: Any, name: str) -> Iterator[InputEvent]:
    """The payload(s) a record's base64 data holds: JSON documents, or (message extraction) lines."""
    where = _where(prefix)
    raw = _unwrap(data, where, sink)
    if raw is None:
        return
    body = raw.lstrip(_WS + b"\xef\xbb\xbf")
    if body[:1] in (b"{", b"["):
        yield from _documents(_Scanner(iter((raw,))), None, sink, None, prefix)
        return
    # Firehose message extraction: the messages themselves, one per line (no timestamps).
    text, bad_at = _decode(raw)
    if bad_at is not None:
        sink.problem(where, "invalid-utf8", f"invalid UTF-8 at byte {bad_at} of {name}")
    for n, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        if line.strip():
            event = sink.deliver(line, _plain_ms(line), f"{prefix}line {n}")
            if event is not None:
                yield event


def _payload(doc: dict, prefix: str, sink: Any) -> Iterator[InputEvent]:
    if doc.get("messageType") == "CONTROL_MESSAGE":
        # CloudWatch Logs sends these to check that a destination is reachable: no log events.
        sink.st.control_messages += 1
        return
    events = doc.get("logEvents")
    if not isinstance(events, list):
        sink.problem(_where(prefix), "wrong-shape", "not a subscription payload: no logEvents array")
        return
    group = doc.get("logGroup") if isinstance(doc.get("logGroup"), str) and doc.get("logGroup") else None
    stream = doc.get("logStream") if isinstance(doc.get("logStream"), str) else None
    for i, ev in enumerate(events):
        event = _log_event(ev, f"{prefix}logEvents[{i}]", sink, group)
        if event is not None:
            yield _with_stream(event, stream)


def _with_stream(event: InputEvent, stream: str | None) -> InputEvent:
    return event if not stream else dataclasses.replace(event, log_stream=stream)


def _read_doc(doc: Any, prefix: str, fmt: str | None, sink: Any) -> Iterator[InputEvent]:
    """One parsed document: payload shapes here, CloudTrail / filter-log-events by the line readers."""
    if fmt in (None, "subscription", "firehose") and _payload_kind(doc) is not None:
        if fmt is None and sink.st.format != "firehose":
            sink.st.format = "firehose" if _payload_kind(doc) == "firehose" else "subscription"
        yield from subscription_doc(doc, prefix, sink)
        return
    if isinstance(doc, list) and doc and fmt in (None, "subscription", "firehose") \
            and _payload_kind(next((d for d in doc if isinstance(d, dict)), None)) is not None:
        for k, el in enumerate(doc):
            yield from subscription_doc(el, f"{prefix}[{k}].", sink)
        return
    yield from read_document(doc, prefix, "subscription" if fmt == "firehose" else fmt, sink)


# --------------------------------------------------------------------------- the scanner

class _Incomplete(Exception):
    """The input ends inside a JSON value."""


class _Deep(Exception):
    """A JSON value nested deeper than `MAX_NESTING`."""


class _Scanner:
    """JSON values of a byte stream, found by their structure (strings skipped at C speed).

    `buf[pos:]` is what is not consumed yet; `line` counts the newlines consumed before it.
    """

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.buf = bytearray()
        self.pos = 0
        self.line = 1
        self.eof = False
        self.read_ahead = False  # reading the rest of the input never waits (see `whole_value`)

    def _more(self) -> bool:
        if self.eof:
            return False
        for chunk in self.chunks:
            if chunk:
                if self.pos:
                    self.line += self.buf.count(b"\n", 0, self.pos)
                    del self.buf[:self.pos]
                    self.pos = 0
                self.buf += chunk  # a bytearray: appending is amortised O(1)
                return True
        self.eof = True
        return False

    def peek(self) -> int | None:
        """The next non-blank byte (consuming the blanks before it), or None at the end."""
        while True:
            m = _NON_WS_RE.search(self.buf, self.pos)
            if m is not None:
                self.pos = m.start()
                return self.buf[self.pos]
            self.pos = len(self.buf)
            if not self._more():
                return None

    def line_at_pos(self) -> int:
        return self.line + self.buf.count(b"\n", 0, self.pos)

    def byte(self) -> int | None:
        return self.buf[self.pos] if self.pos < len(self.buf) or self._more() else None

    def advance(self, n: int = 1) -> None:
        self.pos += n

    def whole_value(self, limit: int) -> tuple[Any] | None:
        """``(value,)`` when the rest of the input is one JSON value of at most `limit` bytes,
        blanks around it; the rest is then consumed. Otherwise None, and nothing is consumed.

        The rest is read only when `read_ahead` allows it. orjson decides at C speed what
        `end_of` finds byte by byte (one value, its end, nesting within `MAX_NESTING`, as
        orjson's own limit): a CloudTrail log file is parsed once, without the scan.
        """
        if not self.read_ahead:
            return None
        while not self.eof and len(self.buf) - self.pos <= limit:
            self._more()
        if len(self.buf) - self.pos > limit:
            return None
        raw = bytes(self.buf[self.pos:])
        value = sniffed_value(raw)
        if value is None:
            try:
                value = (orjson.loads(raw),)
            except orjson.JSONDecodeError:
                return None
        self.pos = len(self.buf)
        return value

    def end_of(self, limit: int | None) -> int | None:
        """The offset in `buf` just after the value at `pos`, reading more as needed; nothing is consumed.

        Returns None when the value is longer than `limit` bytes (`buf` then holds at least
        `limit` bytes of it). Raises `_Incomplete` at the end of input, `_Deep` past `MAX_NESTING`.
        """
        if self.byte() is None:
            raise _Incomplete
        if self.buf[self.pos] not in b'{["':
            i = self.pos
            while True:
                m = _SCALAR_END_RE.search(self.buf, i)
                if m is not None:
                    return m.start()
                i = len(self.buf)
                if limit is not None and i - self.pos > limit:
                    return None
                before = self.pos
                if not self._more():
                    return len(self.buf)
                i -= before - self.pos
        depth = 0
        in_string = False
        i = self.pos
        while True:
            buf = self.buf
            if in_string:
                k = _string_stop(buf, i)
                if k >= 0:
                    if buf[k] == 0x5C:  # a backslash: skip the escaped byte
                        if k + 1 < len(buf):
                            i = k + 2
                            continue
                        i = k
                    else:
                        i = k + 1
                        in_string = False
                        if depth == 0:
                            return i
                        continue
                else:
                    i = len(buf)
            else:
                m = _STRUCT_RE.search(buf, i)
                if m is not None:
                    c = buf[m.start()]
                    i = m.end()
                    if c == 0x22:
                        in_string = True
                    elif c in (0x5B, 0x7B):
                        depth += 1
                        if depth > MAX_NESTING:
                            raise _Deep
                    else:
                        depth -= 1
                        if depth <= 0:
                            return i
                    continue
                i = len(buf)
            if limit is not None and i - self.pos > limit:
                return None
            before = self.pos
            if not self._more():
                raise _Incomplete
            i -= before - self.pos  # `buf` was shifted by the consumed prefix

    def skip_value(self) -> int:
        """Consume the value at `pos` however long it is, keeping little of it; its size in bytes."""
        end = self.end_of(CHUNK * 4)
        if end is not None:
            size = end - self.pos
            self.pos = end
            return size
        return self._skip_long()

    def _skip_long(self) -> int:
        depth = 0
        in_string = False
        size = 0
        first = self.buf[self.pos]
        if first not in b'{["':
            while True:
                m = _SCALAR_END_RE.search(self.buf, self.pos)
                if m is not None:
                    size += m.start() - self.pos
                    self.pos = m.start()
                    return size
                size += len(self.buf) - self.pos
                self.pos = len(self.buf)
                if not self._more():
                    return size
        while True:
            buf, i = self.buf, self.pos
            while True:
                if in_string:
                    k = _string_stop(buf, i)
                    if k < 0:
                        i = len(buf)
                        break
                    if buf[k] == 0x5C:
                        if k + 1 >= len(buf):
                            i = k
                            break
                        i = k + 2
                        continue
                    i = k + 1
                    in_string = False
                    if depth == 0:
                        size += i - self.pos
                        self.pos = i
                        return size
                else:
                    m = _STRUCT_RE.search(buf, i)
                    if m is None:
                        i = len(buf)
                        break
                    c = buf[m.start()]
                    i = m.end()
                    if c == 0x22:
                        in_string = True
                    elif c in (0x5B, 0x7B):
                        depth += 1
                        if depth > MAX_NESTING:
                            raise _Deep
                    else:
                        depth -= 1
                        if depth <= 0:
                            size += i - self.pos
                            self.pos = i
                            return size
            size += i - self.pos
            self.pos = i
            if not self._more():
                raise _Incomplete

    def take(self, end: int) -> bytes:
        data = bytes(self.buf[self.pos:end])
        self.pos = end
        return data

    def skip_line(self) -> None:
        """Consume up to and including the next newline."""
        while True:
            nl = self.buf.find(b"\n", self.pos)
            if nl >= 0:
                self.pos = nl + 1
                return
            self.pos = len(self.buf)
            if not self._more():
                return

    def line_end(self, limit: int) -> int | None:
        """The offset of the end of the current line (before its newline), or None past `limit` bytes."""
        i = self.pos
        while True:
            nl = self.buf.find(b"\n", i)
            if nl >= 0:
                return nl
            i = len(self.buf)
            if i - self.pos > limit:
                return None
            before = self.pos
            if not self._more():
                return len(self.buf)
            i -= before - self.pos


# --------------------------------------------------------------------------- documents

class _Bad:
    """Counts documents in a row that held no event."""

    def __init__(self) -> None:
        self.run = 0


def read_documents(chunks: Iterable[bytes], fmt: str | None, sink: Any, inp: Any) -> Iterator[InputEvent]:
    """The events of a JSON document input: one document or many back to back (see the module doc).

    `fmt` None classifies each document by its shape; else it is read as that format.
    """
    scanner = _Scanner(iter(chunks))
    scanner.read_ahead = inp is not None and getattr(inp, "regular_file", False)
    first = scanner.peek()
    if first is not None and first == 0xEF and scanner.buf[scanner.pos:scanner.pos + 3] == _BOM:
        scanner.advance(3)
        first = scanner.peek()
    if first is None:
        cut = inp.decompress_error
        if cut is not None:
            sink.problem("document", cut[0], cut[1])
        return
    if fmt == "firehose":
        end = scanner.line_end(64 * 1024)
        head_line = bytes(scanner.buf[scanner.pos:scanner.pos + 64 * 1024 if end is None else end]).strip()
    if fmt == "firehose" and not _B64_LINE_RE.fullmatch(head_line) and not _payload_head(head_line, first):
        # Firehose with message extraction: plain messages, one per line.
        sink.st.format = "lines"
        rest = bytes(scanner.buf[scanner.pos:])
        yield from _read_lines(_chain_chunks(rest, scanner.chunks), LINE_HANDLERS["lines"](), sink, inp)
        return
    yield from _documents(scanner, fmt, sink, inp, "")


def _payload_head(line: bytes, first: int) -> bool:
    """Whether a Firehose object starts with payloads (not with extracted messages)."""
    if first not in b"{[":
        return False
    try:
        doc = orjson.loads(line)
    except orjson.JSONDecodeError:
        return True  # a document spread over lines, or payloads back to back
    return _payload_kind(doc) is not None or _shape(doc) is not None


def _chain_chunks(first: bytes, more: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from more


def _documents(scanner: _Scanner, fmt: str | None, sink: Any, inp: Any, outer: str) -> Iterator[InputEvent]:
    """Every top-level value of `scanner`. `outer` prefixes positions (a record's data)."""
    index = 0
    bad = _Bad()
    previous_line = 0
    while True:
        c = scanner.peek()
        if c is None:
            break
        line = scanner.line_at_pos()
        index += 1
        # Documents one per line are named by their line; back to back on one line (gzip members
        # of a Firehose object) by their line and their rank in the input.
        here = f"line {line}" if line != previous_line else f"line {line}, document {index}"
        previous_line = line
        if index > 1 or outer:
            prefix = f"{outer}{here}: " if not outer or index > 1 else outer
        else:
            prefix = ""
        before = sink.ordinal
        stop = yield from _one_document(scanner, c, fmt, sink, inp, prefix, line, index, outer)
        if sink.ordinal > before:
            bad.run = 0
        else:
            bad.run += 1
            if bad.run >= MAX_BAD_DOCUMENTS:
                sink.problem(f"{outer}line {line}", "wrong-shape",
                             f"{MAX_BAD_DOCUMENTS} documents in a row hold no log event: the rest is not read")
                return
        if stop:
            return
    cut = inp.decompress_error if inp is not None else None
    if cut is not None:
        sink.problem(f"after line {scanner.line_at_pos()}", cut[0], cut[1])


def _one_document(scanner: _Scanner, c: int, fmt: str | None, sink: Any, inp: Any, prefix: str, line: int,
                  index: int, outer: str) -> Iterator[InputEvent]:
    """Read one top-level value; returns True when the rest of the input cannot be read."""
    where = f"{outer}line {line}" if index > 1 or outer else "document"
    cut = inp.decompress_error if inp is not None else None
    if c not in b'{["':
        # A base64 record on its own line (Kinesis data as saved from the CLI), or not JSON at all.
        end = scanner.line_end(MAX_PAYLOAD_BYTES * 2)
        if end is None:
            scanner.skip_line()
            sink.problem(where, "oversize-payload", f"a line over {MAX_PAYLOAD_BYTES * 2:,} bytes: skipped")
            return False
        text = scanner.take(end).strip()
        if fmt in (None, "subscription", "firehose") and _B64_LINE_RE.fullmatch(text):
            if index == 1 and not outer and scanner.peek() is not None:
                prefix = f"line {line}: "
            yield from _record_data(text.decode("ascii"), prefix, sink, "the line")
            return False
        if index == 1 and not outer:
            if cut is not None:
                sink.problem("document", cut[0], f"{cut[1]}; the JSON before the cut is incomplete, no events read")
            else:
                sink.problem("document", "not-json", "not JSON")
            return True
        sink.problem(where, "malformed-json", "not JSON")
        scanner.skip_line()
        return False
    whole = scanner.whole_value(MAX_DOCUMENT_BYTES) if index == 1 and not outer else None
    if whole is not None:  # the input is this one document, valid JSON (so valid UTF-8)
        yield from _read_doc(whole[0], prefix, fmt, sink)
        return False
    try:
        end = scanner.end_of(MAX_DOCUMENT_BYTES)
    except _Deep:
        sink.problem(where, "malformed-json", f"nested deeper than {MAX_NESTING} levels: the rest is not read")
        return True
    except _Incomplete:
        if cut is None and (index > 1 or outer):
            sink.problem(where, "malformed-json", "not JSON, or the input ends inside a JSON document")
            scanner.skip_line()
            return False
        text, _ = _decode(scanner.buf[scanner.pos:])
        scanner.pos = len(scanner.buf)
        salvage_fmt = fmt if fmt in ("cloudtrail", "filter-log-events") else None
        salvaged = yield from _salvage(text, salvage_fmt, sink, cut)
        if not salvaged:
            if cut is not None:
                sink.problem(where, cut[0], f"{cut[1]}; the JSON before the cut is incomplete, no events read")
            else:
                sink.problem("document", "not-json", "not JSON (the input ends inside a value)")
        return True
    if end is None:
        try:
            yield from _big_document(scanner, fmt, sink, prefix)
        except _Incomplete:
            if cut is not None:
                sink.problem(where, cut[0], f"{cut[1]}; the records before the cut were read")
            else:
                sink.problem(where, "malformed-json", "the input ends inside the document; "
                                                      "the records before it were read")
            return True
        except _Deep:
            sink.problem(where, "malformed-json", f"nested deeper than {MAX_NESTING} levels: the rest is not read")
            return True
        except ValueError as exc:
            sink.problem(where, "malformed-json", f"{exc}: the rest is not read")
            return True
        return False
    data = scanner.take(end)
    text, bad_at = _decode(data)
    if bad_at is not None:
        sink.problem(where, "invalid-utf8", "invalid UTF-8 in the document; decoded with U+FFFD")
    try:
        doc = _loads(text)
    except (ValueError, RecursionError) as exc:
        # A CloudTrail file or CLI output broken inside its array: its whole elements count.
        salvage_fmt = fmt if fmt in ("cloudtrail", "filter-log-events") else None
        salvaged = yield from _salvage(text, salvage_fmt, sink, None)
        if salvaged:
            return False
        if index == 1 and not outer and scanner.peek() is None:
            sink.problem("document", "not-json", f"not JSON ({exc})")
            return True
        sink.problem(where, "malformed-json", str(exc))
        nl = data.find(b"\n")
        if nl >= 0:
            # Resynchronise on the line after the broken value's first line.
            scanner.buf = bytearray(data[nl + 1:]) + scanner.buf[scanner.pos:]
            scanner.pos = 0
            scanner.line = line + 1
        return False
    if index == 1 and not outer and scanner.peek() is not None and prefix == "":
        prefix = f"line {line}: "
    yield from _read_doc(doc, prefix, fmt, sink)
    return False


# --------------------------------------------------------------------------- documents too big to parse whole

_ARRAY_KEYS: Final = ("Records", "events", "logEvents", "records")


def _big_document(scanner: _Scanner, fmt: str | None, sink: Any, prefix: str) -> Iterator[InputEvent]:
    """A document over `MAX_DOCUMENT_BYTES`, walked record by record."""
    where = _where(prefix)
    if scanner.buf[scanner.pos] == 0x5B:  # a bare array: of events (`--query events`) or of payloads
        yield from _big_array(scanner, sink, lambda el, pos: _element_doc(el, pos, fmt, sink), prefix, "")
        return
    if scanner.buf[scanner.pos] != 0x7B:
        size = scanner.skip_value()
        sink.problem(where, "oversize-payload", f"a JSON value of {size:,} bytes: skipped")
        return
    scanner.advance()
    meta: dict[str, Any] = {}
    while True:
        c = scanner.peek()
        if c == 0x7D:
            scanner.advance()
            break
        if c == 0x2C:
            scanner.advance()
            continue
        if c != 0x22:
            raise _Incomplete if c is None else _bad(where)
        end = scanner.end_of(64 * 1024)
        if end is None:
            scanner.skip_value()
            key = None
        else:
            try:
                key = orjson.loads(scanner.take(end))
            except orjson.JSONDecodeError:
                key = None
        if scanner.peek() != 0x3A:
            raise _bad(where)
        scanner.advance()
        c = scanner.peek()
        if c is None:
            raise _Incomplete
        if key in _ARRAY_KEYS and c == 0x5B:
            end = scanner.end_of(MAX_DOCUMENT_BYTES)
            if end is not None:
                try:
                    meta[key] = _loads(_decode(scanner.take(end))[0])
                except ValueError as exc:
                    sink.problem(f"{prefix}{key}", "malformed-json", str(exc))
                continue
            yield from _big_array(scanner, sink, _element_handler(key, meta, fmt, sink), prefix, key)
            meta.setdefault("_streamed", True)
            continue
        end = scanner.end_of(MAX_DOCUMENT_BYTES)
        if end is None:
            size = scanner.skip_value()
            sink.problem(f"{prefix}{key}", "oversize-payload", f"a JSON value of {size:,} bytes: skipped")
            continue
        try:
            meta[key] = _loads(_decode(scanner.take(end))[0])
        except ValueError as exc:
            sink.problem(f"{prefix}{key}", "malformed-json", str(exc))
    if not meta.pop("_streamed", False):
        yield from _read_doc(meta, prefix, fmt, sink)


def _bad(where: str) -> Exception:
    return ValueError(f"{where}: malformed JSON")


def _element_handler(key: str, meta: dict, fmt: str | None, sink: Any) -> Any:
    state: dict[str, Any] = {}

    def handle(el: Any, pos: str) -> Iterator[InputEvent]:
        if key == "logEvents":
            if meta.get("messageType") == "CONTROL_MESSAGE":
                if not state:
                    sink.st.control_messages += 1
                    state["control"] = True
                return
            group = meta.get("logGroup") if isinstance(meta.get("logGroup"), str) else None
            event = _log_event(el, pos, sink, group)
            if event is not None:
                yield _with_stream(event, meta.get("logStream") if isinstance(meta.get("logStream"), str) else None)
        elif key == "events":
            group = meta.get("logGroupName") if isinstance(meta.get("logGroupName"), str) else None
            event = _log_event(el, pos, sink, group)
            if event is not None:
                yield event
        elif key == "records":
            yield from _firehose_record(el, pos, sink)
        else:  # Records: Kinesis records or CloudTrail records, by the first one
            if "kind" not in state:
                state["kind"] = "kinesis" if _is_kinesis_record(el) else (
                    "cloudtrail" if fmt == "cloudtrail" or _is_cloudtrail_record(el) else None)
                if state["kind"] is None:
                    sink.problem(pos, "wrong-shape", "not a CloudTrail record or a Kinesis record: "
                                                     "the Records array is not read")
            if state["kind"] == "kinesis":
                yield from _kinesis_record(el, pos, sink)
            elif state["kind"] == "cloudtrail":
                event = _record_event(el, pos, sink)
                if event is not None:
                    yield event
    return handle


def _element_doc(el: Any, pos: str, fmt: str | None, sink: Any) -> Iterator[InputEvent]:
    if isinstance(el, dict) and isinstance(el.get("message"), str):
        event = _log_event(el, pos, sink, None)
        if event is not None:
            yield event
        return
    yield from _read_doc(el, f"{pos}.", fmt, sink)


def _big_array(scanner: _Scanner, sink: Any, handle: Any, prefix: str, key: str) -> Iterator[InputEvent]:
    """Each element of the array at `pos`, parsed alone; an element over the bound is rejected."""
    scanner.advance()  # [
    i = 0
    while True:
        c = scanner.peek()
        if c is None:
            raise _Incomplete
        if c == 0x5D:
            scanner.advance()
            return
        if c == 0x2C:
            scanner.advance()
            continue
        pos = f"{prefix}{key}[{i}]"
        end = scanner.end_of(MAX_DOCUMENT_BYTES)
        if end is None:
            size = scanner.skip_value()
            sink.reject(pos, "oversize", f"a record of {size:,} bytes, over the limit of {MAX_EVENT_BYTES:,}")
        else:
            data = scanner.take(end)
            try:
                el = _loads(_decode(data)[0])
            except (ValueError, RecursionError) as exc:
                sink.reject(pos, "malformed-json", str(exc))
            else:
                yield from handle(el, pos)
        i += 1


# --------------------------------------------------------------------------- export objects

# `2024-05-01T12:00:00.000Z ` at the start of a line: an exported event's time, then its message.
_EXPORT_RE = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z) ")
_EXPORT_HEAD_RE = re.compile(rb"\s*\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z ")
_EXPORT_NAME_RE = re.compile(r"\d{6}(?:\.gz)?")


def is_payload_line(head: bytes) -> bool:
    """Whether the first line of `head` is a whole JSON payload-shaped document (Firehose records,
    a Kinesis event, a Lambda ``awslogs`` event)."""
    first = head.lstrip(_WS + b"\xef\xbb\xbf").split(b"\n", 1)[0]
    if first[:1] != b"{":
        return False
    try:
        return _payload_kind(orjson.loads(first)) is not None
    except orjson.JSONDecodeError:
        return False


def is_export_object(source: str, head: bytes) -> bool:
    """Whether an input is an export object: named ``000000.gz`` (or without .gz), or under an
    ``exportedlogs`` folder (the default prefix), and its first line starts with the stamp an
    export writes."""
    name = os.path.basename(source)
    parts = source.replace(os.sep, "/").split("/")
    if not _EXPORT_NAME_RE.fullmatch(name) and "exportedlogs" not in parts[:-1]:
        return False
    if head[:2] == GZIP_MAGIC:
        try:
            head = zlib.decompressobj(47).decompress(head, SNIFF_BYTES)
        except zlib.error:
            return False
    return _EXPORT_HEAD_RE.match(head) is not None


def read_export(chunks: Iterable[bytes], sink: Any, inp: Any) -> Iterator[InputEvent]:
    """The events of an export object: stamped lines, unstamped lines continuing the message."""
    path = inp.source
    stream = None
    if _EXPORT_NAME_RE.fullmatch(os.path.basename(path)):
        stream = os.path.basename(os.path.dirname(path)) or None
    st = sink.st
    current: list[str] = []
    cur_size = 0
    cur_stamp: int | None = None
    cur_pos = ""
    cur_over = False
    last = 0

    def flush() -> Iterator[InputEvent]:
        if not cur_pos:
            return
        if cur_over:
            sink.reject(cur_pos, "oversize", f"a message over the limit of {MAX_EVENT_BYTES:,} bytes")
            return
        event = sink.deliver("\n".join(current), cur_stamp, cur_pos, size=cur_size)
        if event is not None:
            yield _with_stream(event, stream)

    for lineno, raw, terminated, size in _split_lines(chunks):
        last = lineno
        if not terminated and (cut := inp.decompress_error) is not None:
            yield from flush()
            cur_pos = ""
            sink.reject(f"line {lineno}", cut[0], f"{cut[1]}; this last line is incomplete")
            continue
        if raw is None:
            text = None
        else:
            if raw.endswith(b"\r"):
                raw = raw[:-1]
            if lineno == 1 and raw.startswith(_BOM):
                raw = raw[len(_BOM):]
            text, bad_at = _decode(raw)
            if bad_at is not None:
                sink.problem(f"line {lineno}", "invalid-utf8",
                             f"invalid UTF-8 at byte {bad_at + 1} of the line; decoded with U+FFFD")
        m = _EXPORT_RE.match(text) if text is not None else None
        if m is not None or text is None:
            yield from flush()
            cur_pos = f"line {lineno}"
            cur_over = text is None
            if text is None:
                current, cur_size, cur_stamp = [], size, None
                continue
            message = text[m.end():]
            current = [message]
            cur_size = _utf8_len(message)
            cur_stamp = _iso_text_ms(m[1])
            cur_over = cur_size > MAX_EVENT_BYTES
            continue
        if not cur_pos:
            if not text.strip():
                st.skipped += 1
                continue
            sink.reject(f"line {lineno}", "malformed-event",
                        "a line without the export's timestamp and no event before it to continue")
            continue
        if not cur_over:
            cur_size += 1 + _utf8_len(text)
            if cur_size > MAX_EVENT_BYTES:
                cur_over, current = True, []
            else:
                current.append(text)
    yield from flush()
    cut = inp.decompress_error
    if cut is not None:
        sink.problem(f"after line {last}", cut[0], cut[1])


# --------------------------------------------------------------------------- the shape hint

_PAYLOAD_HINT_RE = re.compile(r'"(?:logEvents|awslogs|messageType)"\s*:|\}\s*\{"messageType"')


def shape_hint(head: bytes, read_as: str | None = None) -> str | None:
    """The format an input's first bytes look like when they are not plain events, or None.

    ``export`` when most lines start with an export's timestamp, ``firehose`` when they are
    subscription payloads; None when the input was read as that format already (`read_as`).
    """
    text = head.decode("utf-8", "replace")
    lines = [line for line in text.split("\n")[:200] if line.strip()]
    if len(lines) > 1 and not text.endswith("\n"):
        lines.pop()  # cut by the sample
    if not lines:
        return None
    hint = None
    stamped = sum(1 for line in lines if _EXPORT_RE.match(line))
    if stamped * 2 > len(lines):
        hint = "export"
    elif lines[0].lstrip().startswith(("{", "[")) and _PAYLOAD_HINT_RE.search(text):
        hint = "firehose"
    if hint is None or read_as == hint or (hint == "firehose" and read_as in ("subscription", "cloudtrail")):
        return None
    return hint


def input_head(spec: str, size: int = 64 * 1024) -> tuple[str, bytes] | None:
    """The first (decompressed) bytes of a named input, or None for stdin or an unreadable one."""
    path, _ = parse_input_spec(spec)
    if path == "-":
        return None
    try:
        with open_input(path) as inp:
            out = b""
            while len(out) < size:
                data = inp.stream.read1(CHUNK)
                if not data:
                    break
                out += data
            return path, out[:size]
    except (InputError, OSError, EOFError):
        return None


HINT_TEXT: Final = {
    "export": "the lines start with a timestamp before the message, as CloudWatch Logs exports "
              "(CreateExportTask) write them",
    "firehose": "the input holds CloudWatch Logs subscription payloads (as Firehose delivers them to S3)",
}
