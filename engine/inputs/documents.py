"""Document formats once parsed: CloudTrail log files, subscription payloads, filter-log-events output.

Each function turns one parsed JSON document into events (a CloudTrail record's compact JSON is its
message, ``eventTime`` its stamp; a log event keeps its message and timestamp), and `_salvage`
recovers the complete records of a document cut short. Streaming the documents out of an input
is `engine.inputs.payloads`.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Generator, Iterator
from typing import Any, Final

import orjson

from .decoding import _STRICT_DECODER, _compact, _decode, _loads, inflate
from .records import GZIP_MAGIC, MAX_EVENT_BYTES, InputEvent, RuledOut
from .sink import _RuledOutStamps, _Sink
from .sniffing import _shape
from .timestamps import _exact_ms, _iso_text_ms

__all__ = [
    "DOCUMENT_READERS",
    "read_document",
]


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


def _cloudtrail_doc(doc: Any, prefix: str, sink: _Sink) -> Iterator[InputEvent | RuledOut]:
    records = doc.get("Records") if isinstance(doc, dict) else None
    if not isinstance(records, list):
        keys = ", ".join(list(doc)[:8]) if isinstance(doc, dict) else _kind(doc)
        sink.problem(_where(prefix), "wrong-shape",
                     f"not a CloudTrail log file: no Records array (found {keys or 'an empty object'})")
        return
    ruled_out = sink.record_sieve
    if ruled_out is None:
        for i, rec in enumerate(records):
            event = _record_event(rec, f"{prefix}Records[{i}]", sink)
            if event is not None:
                yield event
        return
    # A batch run: a record no filter can match (the engine's own test on the decoded record),
    # that carries its stamp and is within the event-size limit (its compact JSON, measured as
    # `_record_event` would make it) is only counted; its stamp goes to the engine in a
    # `RuledOut` with the others. Every other record takes `_record_event` as above, after the
    # ruled-out records before it are counted.
    ruled = _RuledOutStamps(sink, sink.bound_group or sink.default_group)
    stamps = ruled.stamps
    dumps = orjson.dumps
    for i, rec in enumerate(records):
        if type(rec) is dict and ruled_out(rec):
            stamp = rec.get("eventTime")
            ms = _iso_text_ms(stamp) if isinstance(stamp, str) else None
            if ms is not None:
                try:
                    size = len(dumps(rec))
                except TypeError:
                    size = MAX_EVENT_BYTES + 1  # not orjson's to write: the full path decides
                if size <= MAX_EVENT_BYTES:
                    stamps.append(ms)
                    continue
        if len(stamps) > ruled.counted and ruled.settle():
            yield ruled.flush()  # records waiting for the input's first stamp take this one
        event = _record_event(rec, f"{prefix}Records[{i}]", sink)
        if event is not None:
            yield event
    if stamps:
        yield ruled.flush()


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


def read_document(doc: Any, prefix: str, fmt: str | None, sink: _Sink) -> Iterator[InputEvent]:
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
