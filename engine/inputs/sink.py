"""Where readers hand events and problems: stamping, accounting and the event-size limit.

A reader calls `_Sink.deliver` with a message, its own stamp (or None) and its position; the sink
applies DECISIONS M6 (an oversize message is rejected, never cut), gives unstamped events their
time and counts everything in the input's `SourceStats`. `_settle_stamps` lets events that come
before an input's first stamp wait for it.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from typing import Any

from .decoding import _utf8_len
from .records import MAX_EVENT_BYTES, InputEvent, InputStats, Problem, RuledOut

__all__ = []


class _Reject(Exception):
    """Raised by a line handler for a line that is an event but cannot be delivered."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


class _Sink:
    """Counts, rejects and builds the events of one input."""

    __slots__ = ("stats", "st", "source", "bound_group", "default_group", "now_mode", "start_ms", "step_ms",
                 "ordinal", "last_stamp", "record_sieve")

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
        # Decoded records (CloudTrail's) that no filter can match: a test from the engine, in a
        # batch run (`Engine.sieve`), else None. See `documents._cloudtrail_doc`.
        self.record_sieve: Any = None

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
        return _make_event(message, timestamp, log_group, self.source, position, origin, doc)


def _event_maker() -> Any:
    """`InputEvent(message, timestamp, log_group, source, position, origin, doc)`, faster.

    A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__`` looked up
    per field; here each slot is set through its own descriptor, bound once. The object is the
    same (same class, same fields, equal to the one ``__init__`` builds).
    """
    names = tuple(f.name for f in dataclasses.fields(InputEvent))
    if names != ("message", "timestamp", "log_group", "source", "position", "timestamp_origin", "doc",
                 "log_stream"):
        return InputEvent  # the record changed: its own constructor
    m, t, g, s, p, o, d, ls = (getattr(InputEvent, n).__set__ for n in names)
    new = object.__new__

    def make(message: str, timestamp: int | None, log_group: str | None, source: str, position: str,
             origin: str, doc: Any) -> InputEvent:
        ev = new(InputEvent)
        m(ev, message)
        t(ev, timestamp)
        g(ev, log_group)
        s(ev, source)
        p(ev, position)
        o(ev, origin)
        d(ev, doc)
        ls(ev, None)
        return ev

    return make


_make_event = _event_maker()


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


class _RuledOutStamps:
    """The stamps of events a sieve ruled out (lines, CloudTrail records) since the last `flush`,
    and their accounting.

    Readers flush after each read (or document): the next one may wait on a pipe, and a run
    interrupted then must report every event read so far to the engine as well as in the input's
    accounting."""

    __slots__ = ("stamps", "counted", "sink", "group")

    def __init__(self, sink: _Sink, group: str | None) -> None:
        self.stamps: list[int] = []
        self.counted = 0  # how many of `stamps` the input's accounting holds
        self.sink = sink
        self.group = group

    def settle(self) -> bool:
        """Count the ruled-out events since the last call as read and delivered (before an event
        on the full path, whose accounting may depend on theirs); True for the input's first stamp."""
        sink, stamps = self.sink, self.stamps
        n = len(stamps) - self.counted
        first = sink.last_stamp is None
        sink.ordinal += n
        st = sink.st
        st.read += n
        st.delivered += n
        st.timestamp_origins["event"] += n
        sink.last_stamp = stamps[-1]
        self.counted = len(stamps)
        return first

    def flush(self) -> RuledOut:
        """The ruled-out events so far, for the engine (in a batch run their order is immaterial)."""
        stamps = self.stamps
        if len(stamps) > self.counted:
            self.settle()
        out = RuledOut(self.group, stamps.copy(), stamps[0])
        stamps.clear()
        self.counted = 0
        return out
