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

import os
from collections.abc import Callable, Iterator
from itertools import chain
from typing import Any, BinaryIO

from . import payloads
from .cloudtrail_validate import is_digest_path
from .lines import LINE_HANDLERS, _read_lines
from .opening import OpenedInput, open_input, parse_input_spec
from .records import (
    CHUNK,
    DIGEST_FORMAT,
    DOCUMENT_FORMATS,
    FORMATS,
    LINE_FORMATS,
    MAX_EVENT_BYTES,
    PROBLEM_KINDS,
    SNIFF_BYTES,
    TIMESTAMP_MODES,
    InputError,
    InputEvent,
    InputStats,
    Problem,
    RuledOut,
    SourceStats,
)
from .sink import _settle_stamps, _Sink
from .sniffing import _gunzip_head, _read_head, _sniff, sniff_format

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
    "RuledOut",
    "SourceStats",
    "open_input",
    "parse_input_spec",
    "read_events",
    "sniff_format",
]


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
    sieve: Callable[..., Any] | None = None,
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
        sieve: JSON lines: given a log group and the timestamp fields, a `Sieve` of the filters
            of that log group, or None (`Engine.sieve`). Events it rules out are yielded together
            as `RuledOut` items instead of one `InputEvent` each.

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
                   timestamps, start_ms, step_ms, source, multi_line_start, lookahead, sieve)


def _events(spec: Any, fmt: str, log_group: str | None, stats: InputStats, timestamps: str,
            start_ms: int | None, step_ms: int, source: str | None, multi_line_start: Any = None,
            lookahead: int = 0, sieve: Any = None) -> Iterator[InputEvent]:
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
        yield from _settle_stamps(_read_input(inp, fmt, sink, multi_line_start, sieve), sink, lookahead)
    except OSError as exc:
        sink.problem(f"after {sink.ordinal} events", "unreadable", exc.strerror or str(exc))
    finally:
        if owned:
            inp.close()


def _read_input(inp: OpenedInput, fmt: str, sink: _Sink, multi_line_start: Any = None,
                sieve: Any = None) -> Iterator[InputEvent]:
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
        if sieve is not None and not sink.now_mode:
            sink.record_sieve = sieve(sink.bound_group or sink.default_group, records=True)
        yield from payloads.read_documents(chain((head,), more), None if auto else fmt, sink, inp)
    else:
        yield from _read_lines(chain((head,), more), LINE_HANDLERS[fmt](), sink, inp, multi_line_start, sieve)

