"""Log inputs: open files, pipes and stdin, recognise their format, and turn them into events.

`read_events` turns one input into `InputEvent`s, the messages CloudWatch Logs would store, each with
its timestamp, its log group and where it came from (``line 12``, ``Records[3]``, ``logEvents[4]``).
`InputStats` accounts for everything read: for every input and in total, ``read = delivered +
rejected``, and every problem (invalid UTF-8, oversize events, malformed JSON, a cut gzip stream, a
missing file...) is counted with the input's name and the position, while reading goes on.

Formats (`FORMATS`; ``auto`` sniffs each input with `sniff_format`):

* line formats, read as a stream (each event is yielded as soon as its line is complete, so a
  growing file or a pipe works): ``lines`` (plain text), ``jsonl`` (one JSON value per line),
  ``vpcflow`` (VPC Flow Logs), ``cloudfront`` (CloudFront standard logs), ``lambda`` (Lambda lines);
* ``export``: CloudWatch Logs export objects (stamped lines, unstamped lines continuing them);
* document formats, read as a stream of documents and records with bounded memory
  (`engine.inputs.payloads`): ``cloudtrail`` (``{"Records": [...]}`` log files),
  ``subscription`` (CloudWatch Logs subscription payloads, base64-gzip or decoded, one or several,
  and the Lambda, Kinesis and Firehose events that carry them), ``firehose`` (the same as Firehose
  writes them to S3) and ``filter-log-events`` (``aws logs filter-log-events`` / ``get-log-events``
  output).

Gzip is recognised by its magic bytes, not by the file name, and decompressed on the fly.

Imports the standard library and orjson only.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import io
import json
import os
import re
import stat
import sys
import time
import zlib
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import chain
from typing import Any, BinaryIO, Final

import orjson

from ..links import cite
from .cloudtrail_validate import is_digest_document, is_digest_path

__all__ = [
    "DOCUMENT_FORMATS",
    "FORMATS",
    "LINE_FORMATS",
    "MAX_EVENT_BYTES",
    "PROBLEM_KINDS",
    "SNIFF_BYTES",
    "TIMESTAMP_MODES",
    "InputError",
    "InputEvent",
    "InputStats",
    "OpenedInput",
    "Problem",
    "SourceStats",
    "open_input",
    "parse_input_spec",
    "read_events",
    "sniff_format",
]

FORMATS: Final = (
    "auto", "lines", "jsonl", "cloudtrail", "subscription", "filter-log-events",
    "vpcflow", "cloudfront", "lambda", "export", "firehose",
)
LINE_FORMATS: Final = ("lines", "jsonl", "vpcflow", "cloudfront", "lambda", "export")
DOCUMENT_FORMATS: Final = ("cloudtrail", "subscription", "filter-log-events", "firehose")
TIMESTAMP_MODES: Final = ("event", "now")
# The format of a CloudTrail digest file (by path or by its keys): not log events, skipped;
# `cwfilter validate-logs` checks them.
DIGEST_FORMAT: Final = "cloudtrail-digest"

# DECISIONS M6: an event whose message is over this many bytes of UTF-8 is rejected, never cut.
MAX_EVENT_BYTES: Final = 1_048_576
# How much of an input `sniff_format` looks at, at most.
SNIFF_BYTES: Final = 4096
# Size of one read from an input (and of one decompressed block).
CHUNK: Final = 64 * 1024
# Stored `Problem` details per kind; the counts stay exact beyond it.
MAX_DETAILS_PER_KIND: Final = 100

GZIP_MAGIC: Final = b"\x1f\x8b"
_BOM: Final = b"\xef\xbb\xbf"

# Every kind of problem, with what happens to the data. `rejects` says whether the kind can reject
# an event (count it as read but not delivered); the others concern an input or a document.
PROBLEM_KINDS: Final[dict[str, str]] = {
    "invalid-utf8": "bytes that are not UTF-8: decoded with U+FFFD replacement, the event is still delivered",
    "oversize": f"event over 1,048,576 bytes of UTF-8: rejected ({cite('M6')})",
    "malformed-json": "a line or document that is not valid JSON: a jsonl line is rejected, "
                      "a payload line skipped",
    "malformed-event": "a record or log event of the wrong shape (not an object, no string message): "
                       "rejected",
    "not-json": "a document format's input that is not JSON at all: the input is skipped",
    "wrong-shape": "JSON that is not what the format expects (no Records array, no logEvents, ...): skipped",
    "bad-base64": "a subscription payload whose awslogs.data is not base64: the payload is skipped",
    "truncated-gzip": "gzip data cut before its end: the events before the cut are delivered, "
                      "a partial one rejected",
    "corrupt-gzip": "gzip data that does not decompress: the events before the damage are delivered",
    "binary": "an input that looks binary (NUL bytes) under --format auto: the input is skipped",
    "oversize-payload": "compressed payload data that inflates past the most a real payload holds, or a "
                        "JSON value too big to be a log document: skipped (engine.inputs.payloads)",
    "no-log-group": "an export read with no log group given (FILE@GROUP, --log-group): nothing is lost",
    "missing": "the input does not exist",
    "is-a-directory": "the input is a directory",
    "unreadable": "the input cannot be opened or read (permissions, I/O error)",
}


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class InputEvent:
    """One log event as CloudWatch Logs would store it.

    Attributes:
        message: what a filter pattern sees (the line without its terminator, the CloudTrail record
            as compact JSON, the ``message`` field of a subscription or filter-log-events event).
        timestamp: epoch milliseconds (UTC). `read_events` always fills it in; `timestamp_origin`
            says where it came from.
        log_group: the log group the event belongs to, None when neither the input nor the caller
            names one.
        source: the input's name (its path, or ``<stdin>``).
        position: where the event sits in the input: ``line 12``, ``Records[3]``,
            ``line 2: logEvents[4]``.
        timestamp_origin: ``event`` (the event's own stamp, DECISIONS M1), ``previous`` (the stamp
            of the event before it in the input: a stack-trace or wrapped line), ``next`` (a line
            before the input's first stamped event takes that event's stamp), ``start``
            (``start_ms + i * step_ms``) or ``read`` (the time of reading).
    """

    message: str
    timestamp: int | None
    log_group: str | None
    source: str
    position: str
    timestamp_origin: str = "event"
    #: The message already decoded as a JSON object by orjson, when reading needed that (JSON
    #: lines, CloudTrail records); the engine reuses it instead of decoding the text again.
    doc: Any = field(default=None, compare=False, repr=False)
    #: The log stream, when the input names it (a payload's ``logStream``, an export's folder).
    log_stream: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with an input, and where: ``kind`` is a key of `PROBLEM_KINDS`."""

    source: str
    position: str
    kind: str
    detail: str
    #: For a rejected event, the log group it belonged to (None when the input names none).
    log_group: str | None = None

    def __str__(self) -> str:
        return f"{self.source}: {self.position}: {self.kind}: {self.detail}"


@dataclass(slots=True)
class SourceStats:
    """The accounting of one input (or, from `InputStats.total`, of all of them).

    Attributes:
        read: events read (lines that are events, CloudTrail records, log events of payloads).
        delivered: events handed to the caller.
        rejected: events read but not delivered; always ``read - delivered``.
        skipped: lines that are not events (blank lines, ``#`` headers, VPC Flow Logs field lists).
        control_messages: subscription ``CONTROL_MESSAGE`` payloads (they carry no events).
        problems: kind -> number of problems of that kind (exact, never capped).
        rejections: kind -> number of events rejected for that kind.
        timestamp_origins: origin (``event``, ``start``, ``read``) -> delivered events.
    """

    source: str
    format: str | None = None
    read: int = 0
    delivered: int = 0
    rejected: int = 0
    skipped: int = 0
    control_messages: int = 0
    problems: Counter[str] = field(default_factory=Counter)
    rejections: Counter[str] = field(default_factory=Counter)
    timestamp_origins: Counter[str] = field(default_factory=Counter)

    @property
    def balanced(self) -> bool:
        """True when every event read was either delivered or rejected."""
        return self.read == self.delivered + self.rejected and self.rejected == sum(self.rejections.values())

    def add(self, other: SourceStats) -> None:
        """Add `other`'s counts to this one's."""
        self.read += other.read
        self.delivered += other.delivered
        self.rejected += other.rejected
        self.skipped += other.skipped
        self.control_messages += other.control_messages
        self.problems.update(other.problems)
        self.rejections.update(other.rejections)
        self.timestamp_origins.update(other.timestamp_origins)

    def as_dict(self) -> dict[str, Any]:
        """Plain data (for JSON output of a run summary)."""
        return {
            "source": self.source,
            "format": self.format,
            "read": self.read,
            "delivered": self.delivered,
            "rejected": self.rejected,
            "skipped": self.skipped,
            "control_messages": self.control_messages,
            "problems": dict(sorted(self.problems.items())),
            "rejections": dict(sorted(self.rejections.items())),
            "timestamp_origins": dict(sorted(self.timestamp_origins.items())),
        }


class InputStats:
    """Accounting of every input of a run: counts per input and in total, and the problems found.

    Pass one instance to every `read_events` call of a run. Counts are exact; the stored `Problem`
    details are capped at `max_details_per_kind` per kind (`details_dropped` counts the rest).
    `on_problem`, when given, is called with each problem as it is found (for live reporting).
    """

    __slots__ = ("sources", "problems", "details_dropped", "max_details_per_kind", "on_problem", "_stored",
                 "rejected_by_group")

    def __init__(
        self,
        max_details_per_kind: int = MAX_DETAILS_PER_KIND,
        on_problem: Callable[[Problem], None] | None = None,
    ) -> None:
        self.sources: dict[str, SourceStats] = {}
        self.problems: list[Problem] = []
        self.details_dropped = 0
        self.max_details_per_kind = max_details_per_kind
        self.on_problem = on_problem
        self._stored: Counter[str] = Counter()
        #: Rejected events by the log group they belonged to (None: the input names none).
        self.rejected_by_group: Counter[str | None] = Counter()

    def source(self, name: str) -> SourceStats:
        """The `SourceStats` of input `name`, created on first use."""
        stats = self.sources.get(name)
        if stats is None:
            stats = self.sources[name] = SourceStats(name)
        return stats

    def add_problem(self, problem: Problem, *, rejects_event: bool = False) -> None:
        """Count `problem`; with `rejects_event`, also count one event read and rejected for it."""
        stats = self.source(problem.source)
        stats.problems[problem.kind] += 1
        if rejects_event:
            stats.read += 1
            stats.rejected += 1
            stats.rejections[problem.kind] += 1
            self.rejected_by_group[problem.log_group] += 1
        if self._stored[problem.kind] < self.max_details_per_kind:
            self._stored[problem.kind] += 1
            self.problems.append(problem)
        else:
            self.details_dropped += 1
        if self.on_problem is not None:
            self.on_problem(problem)

    @property
    def total(self) -> SourceStats:
        """The sum over every input."""
        total = SourceStats("total")
        for stats in self.sources.values():
            total.add(stats)
        return total

    @property
    def read(self) -> int:
        """Events read, over every input."""
        return sum(s.read for s in self.sources.values())

    @property
    def delivered(self) -> int:
        """Events delivered, over every input."""
        return sum(s.delivered for s in self.sources.values())

    @property
    def rejected(self) -> int:
        """Events rejected, over every input."""
        return sum(s.rejected for s in self.sources.values())

    @property
    def problem_counts(self) -> Counter[str]:
        """Problems per kind, over every input (exact)."""
        counts: Counter[str] = Counter()
        for stats in self.sources.values():
            counts.update(stats.problems)
        return counts

    @property
    def balanced(self) -> bool:
        """True when, for every input, every event read was delivered or rejected."""
        return all(s.balanced for s in self.sources.values())

    def as_dict(self) -> dict[str, Any]:
        """Plain data: totals, per-input counts and the stored problems."""
        return {
            "total": self.total.as_dict(),
            "sources": [s.as_dict() for s in self.sources.values()],
            "problems": [
                {"source": p.source, "position": p.position, "kind": p.kind, "detail": p.detail}
                for p in self.problems
            ],
            "details_dropped": self.details_dropped,
        }


class InputError(Exception):
    """An input that cannot be opened: `kind` is ``missing``, ``is-a-directory`` or ``unreadable``."""

    def __init__(self, source: str, kind: str, detail: str) -> None:
        super().__init__(f"{source}: {detail}")
        self.source = source
        self.kind = kind
        self.detail = detail


# --------------------------------------------------------------------------- opening inputs

# AWS log group names: 1-512 characters of `a-z A-Z 0-9 _ - / . #` (CreateLogGroup API reference).
# A spec `path@group` is split only when `group` is such a name, so `user@host:file` stays a path.
_LOG_GROUP_RE = re.compile(r"[A-Za-z0-9_\-/.#]{1,512}")
STDIN_NAME: Final = "<stdin>"


def parse_input_spec(spec: str) -> tuple[str, str | None]:
    """Split an input spec into its path and the log group it is bound to.

    ``-`` is stdin; ``path@group`` binds the input to a log group. An existing file whose name
    contains ``@`` is taken whole, and so is a spec whose part after the last ``@`` is not a valid
    log group name.

    Returns:
        ``(path, group)``, `group` None when the spec names none.
    """
    if spec == "-" or "@" not in spec or os.path.lexists(spec):
        return spec, None
    path, _, group = spec.rpartition("@")
    if path and _LOG_GROUP_RE.fullmatch(group):
        return path, group
    return spec, None


def _read_function(stream: Any) -> Callable[[int], bytes]:
    """A function reading at most `n` bytes, returning as soon as some are available."""
    if isinstance(stream, io.TextIOBase):
        buffer = getattr(stream, "buffer", None)
        if buffer is None:
            raise TypeError("a binary stream is needed (text streams without .buffer are not supported)")
        stream = buffer
    read1 = getattr(stream, "read1", None)
    return read1 if read1 is not None else stream.read


class _Prefixed(io.RawIOBase):
    """A raw stream that first returns bytes already read (to look for the gzip magic), then the rest."""

    def __init__(self, prefix: bytes, read: Callable[[int], bytes]) -> None:
        super().__init__()
        self._prefix = prefix
        self._offset = 0
        self._read = read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._offset < len(self._prefix):
            n = min(len(buffer), len(self._prefix) - self._offset)
            buffer[:n] = self._prefix[self._offset:self._offset + n]
            self._offset += n
            return n
        data = self._read(len(buffer))
        n = len(data)
        buffer[:n] = data
        return n


class _Gunzip(io.RawIOBase):
    """Streaming gzip decompression that keeps what it decoded when the data is cut or damaged.

    Several gzip members in a row are read as one stream (as `gzip` does); NUL padding after the
    last member is ignored. A stream that ends inside a member sets `error` to
    ``("truncated-gzip", detail)``, data that does not decompress to ``("corrupt-gzip", detail)``;
    either way the stream then ends normally after the last bytes that could be decoded.
    """

    def __init__(self, read: Callable[[int], bytes]) -> None:
        super().__init__()
        self._read = read
        self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._pending = b""
        self._offset = 0
        self._done = False
        self.compressed_bytes = 0
        self.error: tuple[str, str] | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while self._offset >= len(self._pending) and not self._done:
            self._pending, self._offset = self._step(), 0
        n = min(len(buffer), len(self._pending) - self._offset)
        buffer[:n] = self._pending[self._offset:self._offset + n]
        self._offset += n
        return n

    def _input(self) -> bytes:
        data = self._read(CHUNK)
        self.compressed_bytes += len(data)
        return data

    def _step(self) -> bytes:
        z = self._z
        if z.eof:
            rest = z.unused_data
            while True:
                if not rest:
                    rest = self._input()
                    if not rest:
                        self._done = True
                        return b""
                if rest.startswith(GZIP_MAGIC[:1]):  # the next member (maybe split after 1 byte)
                    self._z = z = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    data = rest
                    break
                if rest.strip(b"\0"):
                    return self._fail("corrupt-gzip", "data after the end of the gzip stream is not gzip")
                rest = b""  # NUL padding after the last member (gzip(1) accepts it): ignored
        else:
            data = z.unconsumed_tail or self._input()
            if not data:
                tail = z.flush()
                self._done = True
                self.error = (
                    "truncated-gzip",
                    f"the gzip stream ends before its end marker, "
                    f"after {self.compressed_bytes} compressed bytes",
                )
                return tail
        saved = z.copy()
        try:
            return z.decompress(data, CHUNK)
        except zlib.error as exc:
            # The failed call's output is lost: decode the same bytes again one at a time from the
            # state before it, to keep everything up to the damaged byte.
            self._z, kept = saved, []
            for i in range(len(data)):
                try:
                    kept.append(saved.decompress(data[i:i + 1]))
                except zlib.error:
                    break
            self._fail("corrupt-gzip", f"gzip data does not decompress after "
                                       f"{self.compressed_bytes} compressed bytes ({exc})")
            return b"".join(kept)

    def _fail(self, kind: str, detail: str) -> bytes:
        self._done = True
        self.error = (kind, detail)
        return b""


@dataclass(slots=True)
class OpenedInput:
    """An input ready to read: its name, the log group its spec binds it to, and its bytes.

    `stream` yields the decompressed bytes when the input is gzip. Close it with `close` (or use it
    as a context manager); stdin and streams passed in by the caller are left open.
    """

    source: str
    stream: BinaryIO
    log_group: str | None = None
    compressed: bool = False
    _gunzip: _Gunzip | None = field(default=None, repr=False)
    _owned: Any = field(default=None, repr=False)
    _base: Any = field(default=None, repr=False)  # the _Prefixed under `stream` (not gzip)

    def read_blocks(self, size: int) -> Iterator[bytes]:
        """The input's bytes in reads of up to `size`, each yielded as soon as it is available.

        Plain input is read without the buffering layer; from a pipe, bytes already waiting are
        gathered into one block (a writer that stops for a while still gets each line through).
        """
        stream, base = self.stream, self._base
        if base is None:
            yield from iter(lambda: stream.read1(size), b"")
            return
        data = stream.read1(size)  # what the buffer holds (or the bytes read to sniff)
        if data:
            yield data
        if base._offset < len(base._prefix):
            rest, base._offset = base._prefix[base._offset:], len(base._prefix)
            yield rest
        read = base._read
        waiting = _waiting(getattr(read, "__self__", None))
        while True:
            data = read(size)
            if not data:
                return
            if waiting is not None and len(data) < size and waiting():
                parts, n = [data], len(data)
                while n < size and waiting():
                    more = read(size - n)
                    if not more:
                        break
                    parts.append(more)
                    n += len(more)
                data = b"".join(parts)
            yield data

    @property
    def decompress_error(self) -> tuple[str, str] | None:
        """``(kind, detail)`` when the gzip data was cut or damaged, else None."""
        return None if self._gunzip is None else self._gunzip.error

    def position(self) -> int | None:
        """Bytes read so far from the file under the input (its compressed bytes for gzip), for
        progress against the file's size; None for stdin and for streams passed in."""
        try:
            return self._owned.tell() if self._owned is not None else None
        except (OSError, ValueError):
            return None

    def close(self) -> None:
        """Close the underlying file when this object opened it."""
        if self._owned is not None:
            self._owned.close()
            self._owned = None

    def __enter__(self) -> OpenedInput:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_input(spec: str | os.PathLike[str] | BinaryIO, *, source: str | None = None) -> OpenedInput:
    """Open one input: ``-`` for stdin, a path, ``path@group``, or an already open binary stream.

    Gzip data is recognised by its magic bytes (whatever the file is called) and decompressed on
    the fly. Opening reads the first bytes of the input, so on a pipe it waits until some arrive.

    Args:
        spec: the input spec, or a binary stream (left open by `OpenedInput.close`).
        source: the name to report for a stream (default: its ``name`` attribute or ``<stream>``).

    Returns:
        The `OpenedInput`.

    Raises:
        InputError: the input is missing, a directory, or cannot be read.
    """
    group = None
    owned = None
    if isinstance(spec, (str, os.PathLike)):
        path, group = parse_input_spec(os.fspath(spec))
        if path == "-":
            name, raw = STDIN_NAME, sys.stdin.buffer
        else:
            name = path
            try:
                raw = owned = open(path, "rb")  # noqa: SIM115 -- closed by OpenedInput.close
            except FileNotFoundError:
                raise InputError(name, "missing", "no such file") from None
            except IsADirectoryError:
                raise InputError(name, "is-a-directory", "is a directory, not a log file") from None
            except OSError as exc:
                raise InputError(name, "unreadable", exc.strerror or str(exc)) from None
            if os.path.isdir(path):  # platforms where open() of a directory succeeds
                owned.close()
                raise InputError(name, "is-a-directory", "is a directory, not a log file")
    else:
        raw = spec
        name = source or str(getattr(spec, "name", "") or "<stream>")
    try:
        read = _read_function(raw)
        prefix = b""
        while len(prefix) < len(GZIP_MAGIC):
            data = read(CHUNK)
            if not data:
                break
            prefix += data
    except OSError as exc:
        if owned is not None:
            owned.close()
        kind = "is-a-directory" if isinstance(exc, IsADirectoryError) else "unreadable"
        raise InputError(name, kind, exc.strerror or str(exc)) from None
    base = _Prefixed(prefix, read)
    if prefix.startswith(GZIP_MAGIC):
        gunzip = _Gunzip(base.read)
        return OpenedInput(name, io.BufferedReader(gunzip, CHUNK), group, True, gunzip, owned)
    return OpenedInput(name, io.BufferedReader(base, CHUNK), group, False, None, owned, base)


def _waiting(stream: Any) -> Callable[[], bool] | None:
    """For a pipe or terminal, a test for bytes ready to read at once; None for a regular file."""
    try:
        fd = stream.fileno()
        if stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        import select

        select.select([fd], [], [], 0)
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None
    return lambda: bool(select.select([fd], [], [], 0)[0])


# --------------------------------------------------------------------------- timestamps

_EPOCH_ORDINAL: Final = 719163  # date(1970, 1, 1).toordinal()


def _epoch_ms(y: int, mo: int, d: int, h: int, mi: int, s: int, ms: int = 0, offset_s: int = 0) -> int | None:
    """Epoch milliseconds of a UTC-offset civil time, or None when the fields are out of range."""
    if h > 23 or mi > 59 or s > 60:  # a leap second 60 rolls into the next minute
        return None
    try:
        days = date(y, mo, d).toordinal() - _EPOCH_ORDINAL
    except ValueError:
        return None
    return (((days * 24 + h) * 60 + mi) * 60 + s - offset_s) * 1000 + ms


# ISO-8601 / RFC 3339 date-time: `2024-01-01T00:00:00Z`, `2024-01-01 00:00:00,123`, `...+02:00`,
# `... -0700`. Without a zone the time is read as UTC (an offline run has no "local" zone to
# assume; the CloudWatch agent would use its host's zone by default).
_ISO_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?"
    r"(?:([Zz])|\s?([+-])(\d{2}):?(\d{2})|([+-])(\d{2}))?(?!\d)"
)
_MONTHS: Final = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1)}
# Apache / common log format: `[10/Oct/2000:13:55:36 -0700]`.
_CLF_RE = re.compile(
    r"\[(\d{1,2})/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)/(\d{4})"
    r":(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})\]"
)
# How far into a line the Apache stamp may start.
_CLF_WINDOW: Final = 100
# Lambda runtime lines that start with a level: `[INFO]\t2020-01-31T22:12:58.534Z\t<request id>\t...`.
_LAMBDA_LEVEL_RE = re.compile(r"\[[A-Z]+\]\t")


def _iso_ms(match: re.Match[str]) -> int | None:
    y, mo, d, h, mi, s, frac, _z, sign, oh, om, sign2, oh2 = match.groups()
    ms = int((frac + "00")[:3]) if frac else 0
    offset = 0
    if sign:
        if int(oh) > 23 or int(om) > 59:
            return None
        offset = (int(oh) * 60 + int(om)) * 60 * (-1 if sign == "-" else 1)
    elif sign2:
        if int(oh2) > 23:
            return None
        offset = int(oh2) * 3600 * (-1 if sign2 == "-" else 1)
    return _epoch_ms(int(y), int(mo), int(d), int(h), int(mi), int(s), ms, offset)


def _iso_prefix_ms(text: str, pos: int = 0) -> int | None:
    """The ISO-8601 date-time starting at `text[pos]`, as epoch ms, or None."""
    m = _ISO_RE.match(text, pos)
    return None if m is None else _iso_ms(m)


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_ONE_MS = datetime.timedelta(milliseconds=1)


def _iso_text_ms(text: str) -> int | None:
    """`text` as a whole ISO-8601 date-time (surrounding whitespace allowed), or None."""
    # The shape AWS writes (`2024-01-01T00:00:00Z`, `...00.123Z`) through the C parser first.
    if len(text) in (20, 24) and text[10] == "T" and text[-1] == "Z" and text[:4].isdigit():
        try:
            return (datetime.datetime.fromisoformat(text) - _EPOCH) // _ONE_MS
        except ValueError:
            pass
    m = _ISO_RE.fullmatch(text.strip())
    return None if m is None else _iso_ms(m)


def _clf_ms(text: str) -> int | None:
    """The Apache stamp starting within the first `_CLF_WINDOW` characters of `text`, or None."""
    m = _CLF_RE.search(text, 0, _CLF_WINDOW + 30)
    if m is None or m.start() >= _CLF_WINDOW:
        return None
    d, mon, y, h, mi, s, sign, oh, om = m.groups()
    offset = (int(oh) * 60 + int(om)) * 60 * (-1 if sign == "-" else 1)
    if int(oh) > 23 or int(om) > 59:
        return None
    return _epoch_ms(int(y), _MONTHS[mon], int(d), int(h), int(mi), int(s), 0, offset)


def _lambda_ms(text: str) -> int | None:
    """A Lambda line's stamp: leading ISO (`2019-06-07T19:11:20.562Z\\t<id>\\t...`) or after `[LEVEL]\\t`."""
    ms = _iso_prefix_ms(text)
    if ms is None:
        m = _LAMBDA_LEVEL_RE.match(text)
        if m is not None:
            ms = _iso_prefix_ms(text, m.end())
    return ms


def _plain_ms(text: str) -> int | None:
    """A plain line's stamp: leading ISO (also after one `[`), a Lambda stamp, or an Apache stamp."""
    ms = _lambda_ms(text)
    if ms is None and text.startswith("["):
        ms = _iso_prefix_ms(text, 1)
    if ms is None:
        ms = _clf_ms(text)
    return ms


# Below this magnitude a number is taken as epoch seconds, above as milliseconds: 1e11 ms is March
# 1973, 1e11 s the year 5138, so no stamp of a real log is ambiguous.
_SECONDS_BELOW: Final = 1e11


def _number_ms(value: float) -> int | None:
    if value != value or value in (float("inf"), float("-inf")):
        return None
    return int(round(value * 1000)) if abs(value) < _SECONDS_BELOW else int(value)


def _value_ms(value: Any) -> int | None:
    """A JSON field's value as epoch ms: a number (ms, or s when small), digits, or ISO-8601 text."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return _number_ms(value)
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit() and text.isascii():
            return _number_ms(int(text))
        return _iso_text_ms(text)
    return None


def _exact_ms(value: Any) -> int | None:
    """An API `timestamp` (epoch ms, a JSON integer) or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value == value and abs(value) < 1e18:
        return int(value)
    return None


# jsonl: the fields holding an event's time, in the order they are tried.
JSONL_TIMESTAMP_FIELDS: Final = ("timestamp", "@timestamp", "time", "eventTime")


def _jsonl_ms(obj: Any) -> int | None:
    if not isinstance(obj, dict):
        return None
    for key in JSONL_TIMESTAMP_FIELDS:
        if key in obj:
            ms = _value_ms(obj[key])
            if ms is not None:
                return ms
    return None


# --------------------------------------------------------------------------- JSON helpers

def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # DECISIONS P21: NaN and Infinity are not JSON


_STRICT_DECODER: Final = json.JSONDecoder(parse_constant=_no_constant)


def _loads(text: str) -> Any:
    """Parse JSON text. orjson first; the standard library for what orjson refuses but JSON allows
    (lone surrogate escapes, DECISIONS P23). Raises ValueError for anything that is not JSON."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        try:
            return _STRICT_DECODER.decode(text)
        except (ValueError, RecursionError):
            raise exc from None


_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def _compact(obj: Any) -> str:
    """`obj` as compact JSON text, as orjson writes it."""
    try:
        return orjson.dumps(obj).decode()
    except TypeError:
        # Integers beyond 64 bits or lone surrogates, which orjson does not write.
        text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return _SURROGATE_RE.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


def _utf8_len(text: str) -> int:
    if text.isascii():
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


def _decode(raw: bytes) -> tuple[str, int | None]:
    """UTF-8 text of `raw` and the offset of its first invalid byte (None when valid)."""
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return raw.decode("utf-8", "replace"), exc.start


# --------------------------------------------------------------------------- sniffing

# VPC Flow Logs field names (VPC User Guide, versions 2-5; the ECS fields of versions 7-8 from
# general knowledge). A line made only of these names is a field list (a custom format header).
VPC_FLOW_FIELDS: Final = frozenset((
    "version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol",
    "packets", "bytes", "start", "end", "action", "log-status", "vpc-id", "subnet-id", "instance-id",
    "tcp-flags", "type", "pkt-srcaddr", "pkt-dstaddr", "region", "az-id", "sublocation-type",
    "sublocation-id", "pkt-src-aws-service", "pkt-dst-aws-service", "flow-direction", "traffic-path",
    "ecs-cluster-arn", "ecs-cluster-name", "ecs-container-instance-arn", "ecs-container-instance-id",
    "ecs-container-id", "ecs-second-container-id", "ecs-service-name", "ecs-task-definition-arn",
    "ecs-task-arn", "ecs-task-id", "reject-reason",
))
# The default format (version 2): 14 fields, `start` the 11th.
VPC_DEFAULT_FIELDS: Final = (
    "version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol",
    "packets", "bytes", "start", "end", "action", "log-status",
)
_VPC_DEFAULT_RE = re.compile(
    r"\d+ (?:\d{12}|-|unknown) (?:eni-[0-9a-f]+|-) (?:\S+ ){7}(?:\d+|-) (?:\d+|-) (?:ACCEPT|REJECT|-) "
    r"(?:OK|NODATA|SKIPDATA)\s*"
)
_CLOUDFRONT_ROW_RE = re.compile(r"\d{4}-\d{2}-\d{2}\t\d{2}:\d{2}:\d{2}\t")
_LAMBDA_LINE_RE = re.compile(
    r"(?:START|END|REPORT) RequestId: |INIT_START |INIT_REPORT |XRAY TraceId: "
    r"|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\t[^\t]+\t|\[[A-Z]+\]\t\d{4}-\d{2}-\d{2}T"
)
# A subscription payload as Kinesis stores it: base64 of gzip (base64 of `\x1f\x8b\x08` is `H4sI`).
_B64_GZIP_RE = re.compile(r"H4sI[A-Za-z0-9+/]*={0,2}")
_CLOUDTRAIL_HINT_RE = re.compile(r'"Records"\s*:\s*\[\s*(?:\]|\{)')
_CLOUDTRAIL_FIELD_RE = re.compile(r'"(?:eventVersion|eventTime|eventName|eventSource)"\s*:')
_SUBSCRIPTION_HINT_RE = re.compile(
    r'"(?:awslogs|logEvents)"\s*:|"messageType"\s*:\s*"(?:DATA|CONTROL)_MESSAGE"'
)
_FLE_HINT_RE = re.compile(r'"events"\s*:\s*\[|"(?:nextForwardToken|searchedLogStreams)"\s*:')
_FLE_LIST_HINT_RE = re.compile(r'^\[\s*\{[^{}]*"(?:message|timestamp)"\s*:')


def _is_vpc_header(tokens: list[str]) -> bool:
    return len(tokens) >= 2 and all(t.removeprefix("${").removesuffix("}") in VPC_FLOW_FIELDS for t in tokens)


# Keys that make a JSON object a CloudTrail record (an SNS `{"Records": [...]}` has none of them).
CLOUDTRAIL_RECORD_KEYS: Final = ("eventVersion", "eventTime", "eventName", "eventSource")


def _is_cloudtrail_record(obj: Any) -> bool:
    return isinstance(obj, dict) and any(k in obj for k in CLOUDTRAIL_RECORD_KEYS)


def _shape(obj: Any) -> str | None:
    """The document format a parsed JSON value has, or None."""
    if isinstance(obj, list):
        first = next((el for el in obj if isinstance(el, dict)), None)
        if first is None:
            return None
        if isinstance(first.get("message"), str):
            return "filter-log-events"  # `--query events`: a bare array of events
        return _shape(first)
    if not isinstance(obj, dict):
        return None
    records = obj.get("Records")
    if isinstance(records, list) and (not records or _is_cloudtrail_record(records[0])):
        return "cloudtrail"
    if isinstance(obj.get("awslogs"), dict) or isinstance(obj.get("logEvents"), list) \
            or obj.get("messageType") in ("DATA_MESSAGE", "CONTROL_MESSAGE"):
        return "subscription"
    events = obj.get("events")
    if isinstance(events, list) and (not events or (isinstance(events[0], dict) and "message" in events[0])):
        return "filter-log-events"
    return None


def _sniff(head: bytes) -> tuple[str, bool]:
    """``(format, is_json_document)`` for the first bytes of an input."""
    if head.startswith(GZIP_MAGIC):
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, SNIFF_BYTES)
        except zlib.error:
            return "lines", False
    text = head.decode("utf-8", "replace").removeprefix("\ufeff")
    body = text.lstrip()
    if not body:
        return "lines", False
    first = body.split("\n", 1)[0].rstrip("\r")  # whole, however long: a jsonl line can be big
    body = body[:SNIFF_BYTES]
    if body[0] in "{[":
        try:
            obj = _loads(first)
        except ValueError as exc:
            if str(exc).startswith("depth limit exceeded"):
                # A whole line nested deeper than JSON decoders go: JSON lines, not the start of
                # a pretty-printed document (whose first line is a lone bracket), so that every
                # line is read and accounted for instead of the file being one broken document.
                return "jsonl", False
            if not _json_prefix(first):
                # `[ERROR 400] ...`: text that starts with a bracket, not the start of a document.
                return _sniff_text(first)
            obj = None
        else:
            if is_digest_document(obj):
                return DIGEST_FORMAT, True
            shape = _shape(obj)
            return (shape, True) if shape is not None else ("jsonl", False)
        # A JSON document over several lines (pretty-printed): guess from the keys seen so far.
        if body[0] == "{" and '"digestS3Object"' in body and '"digestPublicKeyFingerprint"' in body:
            return DIGEST_FORMAT, True
        if body[0] == "{" and _CLOUDTRAIL_HINT_RE.search(body) and _CLOUDTRAIL_FIELD_RE.search(body):
            return "cloudtrail", True
        if _SUBSCRIPTION_HINT_RE.search(body):
            return "subscription", True
        if _FLE_HINT_RE.search(body) or _FLE_LIST_HINT_RE.match(body):
            return "filter-log-events", True
        if body[0] == "{" and _CLOUDTRAIL_HINT_RE.search(body):
            return "cloudtrail", True
        return "jsonl", True
    return _sniff_text(first)


def _json_prefix(line: str) -> bool:
    """Whether a first line that is no whole JSON value can begin one spread over lines: the
    decoder then fails only at its end (``{``, ``{"Records": [``), not inside it (``[ERROR]``)."""
    try:
        _STRICT_DECODER.decode(line)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":
            return True  # a whole value and more after it: documents back to back (Firehose)
        # A line cut inside a string fails where the string starts, or at an escape near the end.
        end = len(line.rstrip())
        return exc.pos >= end or exc.msg.startswith("Unterminated string") or (
            "escape" in exc.msg and exc.pos >= end - 6)
    except (ValueError, RecursionError):
        return True
    return True


def _sniff_text(first: str) -> tuple[str, bool]:
    """``(format, False)`` for a first line that is not JSON, or ``("subscription", True)``."""
    if _B64_GZIP_RE.fullmatch(first.strip()):
        return "subscription", True
    if first.startswith(("#Version:", "#Fields:")) or _CLOUDFRONT_ROW_RE.match(first):
        return "cloudfront", False
    if _is_vpc_header(first.split()) or _VPC_DEFAULT_RE.fullmatch(first):
        return "vpcflow", False
    if _LAMBDA_LINE_RE.match(first):
        return "lambda", False
    return "lines", False


def sniff_format(first_bytes: bytes) -> str:
    """Recognise an input's format from its first bytes.

    The first line is looked at whole; key hints for JSON documents only in the first
    `SNIFF_BYTES`. Gzip bytes are decompressed first. JSON whose first line is a whole value is classified by its
    keys (``Records`` -> cloudtrail, ``awslogs``/``logEvents`` -> subscription, ``events`` ->
    filter-log-events, anything else jsonl); a JSON document spread over several lines is guessed
    from the keys seen (`read_events` then checks the whole document). Text lines are recognised
    by their shape: ``#Version:``/``#Fields:`` or date-tab-time (cloudfront), a VPC Flow Logs field
    list or default-format record (vpcflow), a Lambda platform or runtime line (lambda); anything
    else is ``lines``.

    Returns:
        A name from `FORMATS`, never ``auto``.
    """
    return _sniff(first_bytes)[0]


def _head_need(head: bytes) -> str:
    """What sniffing still needs: ``line`` (the first line is not complete yet), ``more`` (the
    first line opens a JSON document spread over lines: a few KB of it help) or ``none``."""
    body = head.removeprefix(_BOM).lstrip()
    nl = body.find(b"\n")
    if nl < 0:
        return "line"
    if body[:1] not in (b"{", b"["):
        return "none"
    try:
        orjson.loads(body[:nl])
    except orjson.JSONDecodeError:
        return "more" if _json_prefix(body[:nl].decode("utf-8", "replace").rstrip("\r")) else "none"
    return "none"


def _gunzip_head(head: bytes) -> bytes:
    """`head`, decompressed as far as it goes when it is gzip."""
    if head.startswith(GZIP_MAGIC):
        try:
            return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, MAX_EVENT_BYTES)
        except zlib.error:
            return b""
    return head


def _read_head(stream: Any) -> bytes:
    """The first bytes of a stream, as few as sniffing needs (a pipe is not waited on for more)."""
    head = b""
    while True:
        data = stream.read1(CHUNK)
        if not data:
            return head
        head += data
        need = _head_need(head)
        if need == "none" or (need == "more" and len(head) >= SNIFF_BYTES) or len(head) > MAX_EVENT_BYTES + 2:
            return head


# --------------------------------------------------------------------------- the event sink

class _Reject(Exception):
    """Raised by a line handler for a line that is an event but cannot be delivered."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


class _Sink:
    """Counts, rejects and builds the events of one input."""

    __slots__ = ("stats", "st", "source", "bound_group", "default_group", "now_mode", "start_ms", "step_ms",
                 "ordinal", "last_stamp")

    def __init__(self, stats: InputStats, source: str, bound_group: str | None, default_group: str | None,
                 timestamps: str, start_ms: int | None, step_ms: int) -> None:
        self.stats = stats
        self.st = stats.source(source)
        self.source = source
        self.bound_group = bound_group
        self.default_group = default_group
        self.now_mode = timestamps == "now"
        self.start_ms = start_ms
        self.step_ms = step_ms
        self.ordinal = 0  # events read so far from this input: `i` in `start_ms + i * step_ms`
        self.last_stamp: int | None = None  # the stamp of the last event that carried one

    def problem(self, position: str, kind: str, detail: str) -> None:
        self.stats.add_problem(Problem(self.source, position, kind, detail))

    def reject(self, position: str, kind: str, detail: str, group: str | None = None) -> None:
        self.ordinal += 1
        log_group = self.bound_group or group or self.default_group
        self.stats.add_problem(Problem(self.source, position, kind, detail, log_group), rejects_event=True)

    def deliver(self, message: str, timestamp: int | None, position: str, group: str | None = None,
                size: int | None = None, doc: Any = None) -> InputEvent | None:
        """Count one event read; return it, or None when it is rejected for its size."""
        if size is None:
            size = _utf8_len(message)
        if size > MAX_EVENT_BYTES:  # DECISIONS M6: rejected and reported, never truncated
            self.reject(position, "oversize", f"{size} bytes of UTF-8, over the limit of {MAX_EVENT_BYTES}",
                        group)
            return None
        i = self.ordinal
        self.ordinal += 1
        st = self.st
        st.read += 1
        st.delivered += 1
        # DECISIONS M1: a datapoint takes its event's timestamp, so the event's own stamp comes first.
        if self.now_mode:
            timestamp, origin = _now_ms(), "read"
        elif timestamp is not None:
            origin = "event"
            self.last_stamp = timestamp
        elif self.start_ms is not None:
            timestamp, origin = self.start_ms + i * self.step_ms, "start"
        elif self.last_stamp is not None:
            # A line without a stamp (a stack trace, a wrapped message) belongs with the event
            # before it: it takes that event's time, as the CloudWatch agent gives it.
            timestamp, origin = self.last_stamp, "previous"
        else:
            timestamp, origin = None, "none"  # settled by `_settle_stamps`
        if timestamp is not None:
            st.timestamp_origins[origin] += 1
        log_group = self.bound_group or group or self.default_group
        return InputEvent(message, timestamp, log_group, self.source, position, origin, doc)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _settle_stamps(events: Iterator[InputEvent], sink: _Sink, lookahead: int) -> Iterator[InputEvent]:
    """Give a time to the events read before the input's first stamped event.

    Up to `lookahead` of them wait for the first stamp and take it (a header or a message cut
    from the first event, in a file whose events carry times); when no stamp comes within that
    many events, or before the end, they and later unstamped events take the time of reading.
    """
    pending: list[InputEvent] = []
    origins = sink.st.timestamp_origins

    def release(stamp: int | None, origin: str) -> Iterator[InputEvent]:
        for ev in pending:
            ts = _now_ms() if stamp is None else stamp
            origins[origin] += 1
            yield InputEvent(ev.message, ts, ev.log_group, ev.source, ev.position, origin, ev.doc)
        pending.clear()

    for ev in events:
        if ev.timestamp_origin != "none":
            if pending:
                yield from release(ev.timestamp, "next") if ev.timestamp_origin == "event" else release(None, "read")
            yield ev
            continue
        pending.append(ev)
        if len(pending) > lookahead:
            yield from release(None, "read")
    yield from release(None, "read")


# --------------------------------------------------------------------------- line formats

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


# --------------------------------------------------------------------------- document formats

def _record_event(rec: Any, position: str, sink: _Sink) -> InputEvent | None:
    """One CloudTrail record: its compact JSON is the message, `eventTime` the stamp."""
    if not isinstance(rec, dict):
        sink.reject(position, "malformed-event",
                    f"a CloudTrail record must be a JSON object, not {_kind(rec)}")
        return None
    stamp = rec.get("eventTime")
    try:
        message, doc = orjson.dumps(rec).decode(), rec  # orjson reads back exactly this record
    except TypeError:
        message, doc = _compact(rec), None
    return sink.deliver(message, _iso_text_ms(stamp) if isinstance(stamp, str) else None, position,
                        doc=doc)


def _log_event(ev: Any, position: str, sink: _Sink, group: str | None) -> InputEvent | None:
    """One event of a subscription payload or of filter-log-events output."""
    if not isinstance(ev, dict) or not isinstance(ev.get("message"), str):
        what = _kind(ev) if not isinstance(ev, dict) else "an object without a string message"
        own = ev.get("logGroupName") if isinstance(ev, dict) else None
        sink.reject(position, "malformed-event",
                    f"a log event must be an object with a string message, not {what}",
                    own if isinstance(own, str) else group)
        return None
    own = ev.get("logGroupName")
    return sink.deliver(ev["message"], _exact_ms(ev.get("timestamp")), position,
                        own if isinstance(own, str) else group)


def _where(prefix: str) -> str:
    """The position of a whole document from an event position prefix (``line 2: `` -> ``line 2``)."""
    return prefix.rstrip(": .") or "document"


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def _cloudtrail_doc(doc: Any, prefix: str, sink: _Sink) -> Iterator[InputEvent]:
    records = doc.get("Records") if isinstance(doc, dict) else None
    if not isinstance(records, list):
        keys = ", ".join(list(doc)[:8]) if isinstance(doc, dict) else _kind(doc)
        sink.problem(_where(prefix), "wrong-shape",
                     f"not a CloudTrail log file: no Records array (found {keys or 'an empty object'})")
        return
    for i, rec in enumerate(records):
        event = _record_event(rec, f"{prefix}Records[{i}]", sink)
        if event is not None:
            yield event


def _subscription_doc(doc: Any, prefix: str, sink: _Sink) -> Iterator[InputEvent]:
    where = _where(prefix)
    if isinstance(doc, dict) and "awslogs" in doc:
        doc = _decode_awslogs(doc["awslogs"], where, sink)
        if doc is None:
            return
    if not isinstance(doc, dict):
        sink.problem(where, "wrong-shape", f"a subscription payload must be a JSON object, not {_kind(doc)}")
        return
    if doc.get("messageType") == "CONTROL_MESSAGE":
        # CloudWatch Logs sends these to check that a destination is reachable: no log events.
        sink.st.control_messages += 1
        return
    events = doc.get("logEvents")
    if not isinstance(events, list):
        sink.problem(where, "wrong-shape", "not a subscription payload: no logEvents array")
        return
    group = doc.get("logGroup") if isinstance(doc.get("logGroup"), str) else None
    for i, ev in enumerate(events):
        event = _log_event(ev, f"{prefix}logEvents[{i}]", sink, group)
        if event is not None:
            yield event


def _decode_awslogs(awslogs: Any, where: str, sink: _Sink) -> Any:
    """The decoded payload of ``{"awslogs": {"data": base64(gzip(json))}}``, or None (problem counted)."""
    data = awslogs.get("data") if isinstance(awslogs, dict) else awslogs
    if not isinstance(data, str):
        sink.problem(where, "wrong-shape", "awslogs.data must be a base64 string")
        return None
    try:
        raw = base64.b64decode("".join(data.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        sink.problem(where, "bad-base64", f"awslogs.data is not base64 ({exc})")
        return None
    if raw.startswith(GZIP_MAGIC):
        from .payloads import inflate  # bounded: a payload never inflates past MAX_PAYLOAD_BYTES

        raw, kind, detail = inflate(raw)
        if raw is None:
            sink.problem(where, kind, f"awslogs.data {detail}")
            return None
    text, bad_at = _decode(raw)
    if bad_at is not None:
        sink.problem(where, "invalid-utf8", f"invalid UTF-8 at byte {bad_at} of the decoded payload")
    try:
        return _loads(text)
    except ValueError as exc:
        sink.problem(where, "malformed-json", f"the decoded awslogs.data is not JSON ({exc})")
        return None


def _fle_doc(doc: Any, prefix: str, sink: _Sink) -> Iterator[InputEvent]:
    if isinstance(doc, list):  # `--query events`: the bare array
        events, group, key = doc, None, ""
    elif isinstance(doc, dict) and isinstance(doc.get("events"), list):
        events, key = doc["events"], "events"
        group = doc.get("logGroupName") if isinstance(doc.get("logGroupName"), str) else None
    else:
        sink.problem(_where(prefix), "wrong-shape",
                     "not filter-log-events or get-log-events output: no events array")
        return
    for i, ev in enumerate(events):
        event = _log_event(ev, f"{prefix}{key}[{i}]", sink, group)
        if event is not None:
            yield event


DOCUMENT_READERS: Final[dict[str, Callable[[Any, str, _Sink], Iterator[InputEvent]]]] = {
    "cloudtrail": _cloudtrail_doc,
    "subscription": _subscription_doc,
    "filter-log-events": _fle_doc,
}


def _read_doc(doc: Any, prefix: str, fmt: str | None, sink: _Sink) -> Iterator[InputEvent]:
    """The events of one parsed document, by the forced format or, with `fmt` None, by its shape."""
    shape = fmt or _shape(doc)
    if shape is None:
        what = f"keys {', '.join(list(doc)[:8])}" if isinstance(doc, dict) and doc else _kind(doc)
        sink.problem(_where(prefix), "wrong-shape",
                     f"JSON ({what}) that is not a CloudTrail log file, a subscription payload or "
                     f"filter-log-events output")
        return
    if isinstance(doc, list) and not (shape == "filter-log-events" and _shape(doc) == shape):
        for k, el in enumerate(doc):
            yield from DOCUMENT_READERS[shape](el, f"{prefix}[{k}].", sink)
        return
    yield from DOCUMENT_READERS[shape](doc, prefix, sink)


# Arrays that can be read element by element when a document is cut short (the AWS writers put
# them first: CloudTrail files start with `{"Records":[`, the CLI's output with `{"events": [`).
_SALVAGE_RE = re.compile(r'\s*\{\s*"(Records|events)"\s*:\s*\[')
_SALVAGE_FORMATS: Final = {"Records": "cloudtrail", "events": "filter-log-events"}
_WS_RE = re.compile(r"\s*")


def _salvage(text: str, fmt: str | None, sink: _Sink, cut: tuple[str, str] | None
             ) -> Generator[InputEvent, None, bool]:
    """Deliver the whole elements of a broken document's leading Records/events array.

    Returns False (having done nothing) when the document does not start with such an array.
    """
    m = _SALVAGE_RE.match(text)
    if m is None or (fmt is not None and _SALVAGE_FORMATS[m[1]] != fmt):
        return False
    key = m[1]
    one = _record_event if key == "Records" else (lambda ev, pos, s: _log_event(ev, pos, s, None))
    pos, i = m.end(), 0
    while True:
        pos = _WS_RE.match(text, pos).end()
        if pos >= len(text):
            where = f"after {key}[{i - 1}]" if i else f"{key}[0]"
            if cut is not None:
                sink.problem(where, cut[0], f"{cut[1]}; the {i} whole elements before it were delivered")
            else:
                sink.problem(where, "malformed-json", f"the document ends inside the {key} array; "
                                                      f"the {i} whole elements before it were delivered")
            return True
        if text[pos] == "]":
            break
        try:
            el, end = _STRICT_DECODER.raw_decode(text, pos)
        except (ValueError, RecursionError) as exc:
            kind, detail = cut if cut is not None else ("malformed-json", str(exc))
            sink.reject(f"{key}[{i}]", kind, f"{detail}; the {i} elements before it were delivered, "
                                             f"the rest of the document was not read")
            return True
        event = one(el, f"{key}[{i}]", sink)
        if event is not None:
            yield event
        i += 1
        pos = _WS_RE.match(text, end).end()
        if text[pos:pos + 1] == ",":
            pos += 1
        elif pos < len(text) and text[pos] != "]":
            kind, detail = cut if cut is not None else ("malformed-json", f"expected ',' or ']' at char {pos}")
            sink.problem(f"after {key}[{i - 1}]", kind,
                         f"{detail}; the {i} elements before it were delivered, "
                         f"the rest of the document was not read")
            return True
    # The array is whole: what is broken comes after it.
    if cut is not None:
        sink.problem("document", cut[0], f"{cut[1]}; all {i} elements of {key} were delivered")
    else:
        sink.problem("document", "malformed-json", f"the JSON after the {key} array is broken; "
                                                   f"all {i} elements were delivered")
    return True


def _read_documents(data: bytes, fmt: str | None, sink: _Sink, inp: OpenedInput) -> Iterator[InputEvent]:
    """A document input: one JSON document, or several one per line (`fmt` None: classify each)."""
    cut = inp.decompress_error
    text, bad_at = _decode(data)
    if bad_at is not None:
        sink.problem(f"byte {bad_at}", "invalid-utf8", "invalid UTF-8 in the document; decoded with U+FFFD")
    text = text.removeprefix("\ufeff")
    if not text.strip():
        if cut is not None:
            sink.problem("document", cut[0], cut[1])
        return
    try:
        doc = _loads(text)
    except ValueError as whole_error:
        lines = text.split("\n")
        numbered = [(n, line) for n, line in enumerate(lines, start=1) if line.strip()]
        first = numbered[0][1].strip()
        try:
            _loads(first)
            several = True
        except ValueError:
            several = fmt in (None, "subscription") and _B64_GZIP_RE.fullmatch(first) is not None
        if several:
            yield from _read_several(numbered, fmt, sink, cut)
            return
        salvaged = yield from _salvage(text, fmt, sink, cut)
        if not salvaged:
            if cut is not None:
                sink.problem("document", cut[0],
                             f"{cut[1]}; the JSON before the cut is incomplete, no events read")
            else:
                sink.problem("document", "not-json", f"not JSON ({whole_error})")
        return
    yield from _read_doc(doc, "", fmt, sink)
    if cut is not None:
        sink.problem("document", cut[0], cut[1])


def _read_several(numbered: list[tuple[int, str]], fmt: str | None, sink: _Sink,
                  cut: tuple[str, str] | None) -> Iterator[InputEvent]:
    """Documents one per line (several subscription payloads, pages of CLI output, base64 records)."""
    last = numbered[-1][0]
    for n, line in numbered:
        body = line.strip()
        try:
            doc = _loads(body)
        except ValueError as exc:
            if fmt in (None, "subscription") and _B64_GZIP_RE.fullmatch(body):
                doc, fmt_line = {"awslogs": {"data": body}}, "subscription"
            elif cut is not None and n == last:
                sink.problem(f"line {n}", cut[0], f"{cut[1]}; this last line is incomplete")
                cut = None
                continue
            else:
                sink.problem(f"line {n}", "malformed-json", str(exc))
                continue
        else:
            fmt_line = fmt
        yield from _read_doc(doc, f"line {n}: ", fmt_line, sink)
    if cut is not None:
        sink.problem(f"after line {last}", cut[0], cut[1])


# --------------------------------------------------------------------------- reading


def read_events(
    spec_or_stream: str | os.PathLike[str] | BinaryIO | OpenedInput,
    fmt: str = "auto",
    log_group: str | None = None,
    stats: InputStats | None = None,
    timestamps: str = "event",
    start_ms: int | None = None,
    step_ms: int = 1000,
    *,
    source: str | None = None,
    multi_line_start: Any = None,
    lookahead: int = 0,
) -> Iterator[InputEvent]:
    """The events of one input, yielded as they are read; problems are counted in `stats`.

    An input that cannot be opened, or read as its format, yields nothing and its problem is
    counted: the caller goes on with the next input. Line formats are read as a stream (each event
    is yielded as soon as its line is complete); document formats are read one document (or, in a large one, one record) at a time.

    Log group of an event: the group a ``path@group`` spec binds the input to; else the one the
    input names (a subscription payload's ``logGroup``, a ``logGroupName`` in filter-log-events
    output); else `log_group`.

    Timestamp of an event, with ``timestamps="event"``: its own (DECISIONS M1); for an event that
    has none, ``start_ms + i * step_ms`` when `start_ms` is given (``i`` counts the events read from
    this input, from 0), else the stamp of the event before it in the input; events before the
    first stamped one wait for it (up to `lookahead` of them) and take its stamp; in an input where
    none carries a stamp, the time of reading. With ``timestamps="now"`` every event gets the time
    of reading.

    Args:
        spec_or_stream: ``-`` (stdin), a path, ``path@group``, an open binary stream or an
            `OpenedInput` (neither is closed here).
        fmt: one of `FORMATS`; ``auto`` sniffs the input.
        log_group: the group of events whose input names none.
        stats: the run's accounting (a private one when None).
        timestamps: one of `TIMESTAMP_MODES`.
        start_ms: epoch ms of the first event without a stamp (synthetic input).
        step_ms: spacing of such events.
        source: the name to report for a stream.
        multi_line_start: line formats: a regex (a pattern text, or compiled, with ``search``); a
            line it matches begins an event and the lines after it that it does not match join
            that event with ``\\n``, as the CloudWatch agent's ``multi_line_start_pattern``.
        lookahead: how many unstamped events may wait for the input's first stamp (a batch
            run's choice; 0, the default, keeps reading a stream event by event: they take the
            time of reading at once).

    Returns:
        An iterator of `InputEvent`.

    Raises:
        ValueError: an unknown `fmt` or `timestamps`, or `start_ms` with ``timestamps="now"``.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if timestamps not in TIMESTAMP_MODES:
        raise ValueError(f"unknown timestamps mode {timestamps!r}; "
                         f"expected one of {', '.join(TIMESTAMP_MODES)}")
    if start_ms is not None and timestamps == "now":
        raise ValueError("start_ms applies to timestamps='event' only (events without a stamp)")
    if isinstance(multi_line_start, str):
        import re2  # the agent's patterns are Go (RE2) regular expressions

        multi_line_start = re2.compile(multi_line_start)
    return _events(spec_or_stream, fmt, log_group, stats if stats is not None else InputStats(),
                   timestamps, start_ms, step_ms, source, multi_line_start, lookahead)


def _events(spec: Any, fmt: str, log_group: str | None, stats: InputStats, timestamps: str,
            start_ms: int | None, step_ms: int, source: str | None, multi_line_start: Any = None,
            lookahead: int = 0) -> Iterator[InputEvent]:
    if isinstance(spec, OpenedInput):
        inp, owned = spec, False
    else:
        try:
            inp = open_input(spec, source=source)
        except InputError as exc:
            stats.add_problem(Problem(exc.source, "input", exc.kind, exc.detail))
            return
        owned = True
    sink = _Sink(stats, inp.source, inp.log_group, log_group, timestamps, start_ms, step_ms)
    try:
        yield from _settle_stamps(_read_input(inp, fmt, sink, multi_line_start), sink, lookahead)
    except OSError as exc:
        sink.problem(f"after {sink.ordinal} events", "unreadable", exc.strerror or str(exc))
    finally:
        if owned:
            inp.close()


def _read_input(inp: OpenedInput, fmt: str, sink: _Sink, multi_line_start: Any = None) -> Iterator[InputEvent]:
    stream = inp.stream
    more = iter(lambda: stream.read1(CHUNK), b"")
    document = fmt in DOCUMENT_FORMATS
    head = b""
    if fmt in ("auto", "cloudtrail") and is_digest_path(inp.source):
        sink.st.format = DIGEST_FORMAT
        return
    if fmt == "auto":
        head = _read_head(stream)
        nul = head.find(b"\0", 0, SNIFF_BYTES)
        if nul >= 0:
            sink.problem(f"byte {nul}", "binary",
                         "NUL bytes: binary data, not a log (UTF-16 text?); input skipped")
            sink.st.format = "binary"
            return
        fmt, document = _sniff(head)
        if fmt == "lines" and payloads.is_export_object(inp.source, head):
            fmt = "export"
        elif fmt == "jsonl" and not document and payloads.is_payload_line(_gunzip_head(head)):
            fmt, document = "firehose", True
        sink.st.format = fmt
        if fmt == DIGEST_FORMAT:
            return
        auto = True
    else:
        sink.st.format = fmt
        auto = False
    if fmt == "export":
        yield from payloads.read_export(chain((head,), more), sink, inp)
    elif document:
        # Streamed, one document or record at a time (engine.inputs.payloads).
        yield from payloads.read_documents(chain((head,), more), None if auto else fmt, sink, inp)
    else:
        yield from _read_lines(chain((head,), more), LINE_HANDLERS[fmt](), sink, inp, multi_line_start)


from . import payloads  # noqa: E402 - payloads builds on the helpers above
