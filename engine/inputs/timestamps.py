"""Event timestamps: the stamps log lines and JSON records carry, read as epoch milliseconds.

ISO 8601 (with or without zone and fraction), Common Log Format, Lambda's runtime lines, epoch
seconds or milliseconds as numbers, and the fields a JSON line names its time with. A stamp that
does not name a real instant gives None, never an exception.
"""

from __future__ import annotations

import datetime
import re
from datetime import date
from typing import Any, Final

__all__ = []


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


