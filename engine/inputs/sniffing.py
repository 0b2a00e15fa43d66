"""Recognising an input's format from its first bytes (``--format auto``).

`sniff_format` looks at up to `SNIFF_BYTES` of an input (inflated when it is gzip) and names one
of `FORMATS`: a JSON document (CloudTrail, subscription payload, filter-log-events output), JSON
lines, VPC Flow Logs, CloudFront, Lambda or plain lines.
"""

from __future__ import annotations

import re
import zlib
from typing import Any, Final

from .records import _BOM, CHUNK, DIGEST_FORMAT, GZIP_MAGIC, MAX_EVENT_BYTES, SNIFF_BYTES

__all__ = [
    "sniff_format",
]


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


_JSON_BLANKS: Final = " \t\r\n"
# The document `_sniff` parsed last, whole: (its text without trailing blanks, the value). A
# CloudTrail log file is one line: the reader takes the value instead of parsing the text again.
_sniffed: list[tuple[str, Any] | None] = [None]


def sniffed_value(raw: bytes) -> tuple[Any] | None:
    """``(value,)`` when `raw` (blanks at its end aside) is the text `_sniff` parsed last as a
    document; once (the value is the reader's from then on)."""
    entry, _sniffed[0] = _sniffed[0], None
    if entry is None:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return (entry[1],) if text.rstrip(_JSON_BLANKS) == entry[0] else None


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
        # Imported here: a text log (the common input of `cwfilter test`) needs no JSON decoder.
        import orjson

        from .cloudtrail_validate import is_digest_document
        from .decoding import _loads

        try:
            try:
                obj, by_orjson = orjson.loads(first), True
            except orjson.JSONDecodeError:
                obj, by_orjson = _loads(first), False
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
            if shape is not None and by_orjson:  # (what the reader's own orjson parse would give)
                _sniffed[0] = (first.rstrip(_JSON_BLANKS), obj)
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
    import json

    from .decoding import _STRICT_DECODER

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
    import orjson

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


