"""Datapoints as JSON text, written straight from the aggregates.

A run with a series per event writes one datapoint per event. Building the ``to_json`` dict of
each and handing it to `json.dumps` costs more than reading and matching the event did, so the
run's writers use these functions instead. Each returns, byte for byte, the text the dict path
gives (`Datapoint.to_json` through `json.dumps`, which stays the reference and is what the tests
compare against):

* `datapoint_line`: ``json.dumps(dp.to_json(statistics), ensure_ascii=False)``, one line of
  ``-o jsonl``;
* `indented`: ``json.dumps(obj, indent=4, ensure_ascii=False)``, for whole documents;
* `metric_texts`: ``json.dumps(metric, indent=4, ensure_ascii=False)`` for each metric of
  `iter_metrics`, with every line after the first indented by ``margin`` (the ``metrics`` list
  of ``-o json``).

Strings go through the encoder `json.dumps(..., ensure_ascii=False)` uses itself
(``json.encoder.encode_basestring``); numbers as `json` writes them (``repr`` of a float,
``NaN``/``Infinity`` for the non-finite ones, ``null`` for none).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator
from json.encoder import encode_basestring as _string
from typing import Any

from ..metrics.pipeline import iso
from .text import grouped_datapoints

__all__ = ["datapoint_line", "indented", "metric_texts"]

_INF = math.inf


def _number(value: Any) -> str:
    """A statistic or count as `json.dumps` writes it."""
    if type(value) is float:
        if value != value:
            return "NaN"
        if value == _INF:
            return "Infinity"
        if value == -_INF:
            return "-Infinity"
        return float.__repr__(value)
    if value is None:
        return "null"
    if type(value) is int:
        return int.__repr__(value)
    return json.dumps(value, ensure_ascii=False)


_LEADING = re.compile(r"(?m)^ +")
_INT64 = 2**63


def _orjson_writes_as_json(obj: Any) -> bool:
    """Whether orjson writes `obj` as `json.dumps` does, up to indentation: only dicts with str
    keys, lists, tuples, str, bool, None, 64-bit ints and finite floats whose ``repr`` has no
    exponent (`json` writes ``1e-05`` and ``NaN``, orjson ``1e-5`` and ``null``)."""
    stack = [obj]
    pop, extend = stack.pop, stack.extend
    while stack:
        v = pop()
        t = type(v)
        if t is str or v is None or t is bool:
            continue
        if t is dict:
            for k in v:
                if type(k) is not str:
                    return False
            extend(v.values())
        elif t is list or t is tuple:
            extend(v)
        elif t is int:
            if not -_INT64 <= v < _INT64:
                return False
        elif t is float:
            if v != v or v in (_INF, -_INF) or "e" in float.__repr__(v):
                return False
        else:
            return False
    return True


def indented(obj: Any) -> str:
    """``json.dumps(obj, indent=4, ensure_ascii=False)``, the same text.

    With `indent`, `json` falls back to its pure-Python encoder; orjson writes the same document
    (two-space indentation, widened here) several times faster. Anything orjson would write
    differently (see `_orjson_writes_as_json`), or cannot write (a lone surrogate), goes to `json`.
    """
    import orjson

    if _orjson_writes_as_json(obj):
        try:
            text = orjson.dumps(obj, option=orjson.OPT_INDENT_2).decode()
        except (TypeError, orjson.JSONEncodeError):
            pass
        else:
            # A JSON string holds no raw line break, so every leading run of spaces is indentation.
            return _LEADING.sub(lambda m: m.group() * 2, text)
    return json.dumps(obj, indent=4, ensure_ascii=False)


def _period(value: Any) -> str:
    return str(value) if type(value) is int else _number(value)


def _scalar(value: Any) -> str:
    return _string(value) if type(value) is str else _number(value)


_TIMES: dict[int, str] = {}


def _time(ms: int) -> str:
    text = _TIMES.get(ms)
    if text is None:
        if len(_TIMES) >= 4096:
            _TIMES.clear()
        text = _TIMES[ms] = _string(iso(ms))
    return text


def _extended(agg: Any, statistics: Iterable[str]) -> dict[str, Any]:
    # As `Datapoint.to_json`: a name given twice is one entry.
    return {name: agg.statistic(name) for name in statistics}


_NAMES: dict[tuple, tuple[str, str, str]] = {}


def _names(key: Any) -> tuple[str, str, str]:
    """The namespace, metric name and unit of a series as JSON strings (few per run: kept)."""
    ident = (key.namespace, key.name, key.unit)
    texts = _NAMES.get(ident)
    if texts is None:
        if len(_NAMES) >= 4096:
            _NAMES.clear()
        texts = _NAMES[ident] = (_scalar(key.namespace), _scalar(key.name), _scalar(key.unit or "None"))
    return texts


_FLOATS: dict[float, str] = {}


def _float(value: float) -> str:
    text = float.__repr__(value)
    if len(_FLOATS) >= 4096:
        _FLOATS.clear()
    _FLOATS[value] = text
    return text


def _statistics(agg: Any) -> tuple[str, str, str, str, str]:
    """The five standard statistics as JSON numbers.

    Writing a float (its shortest repr) is most of the cost of a datapoint, and a run's datapoints
    repeat few values (every period of a count metric is 1.0 five times): the texts of the last few
    thousand values are kept.
    """
    stats = agg.standard_statistics()  # floats, or None for an empty period
    try:
        # No zero anywhere (so no 0.0 and -0.0 to tell apart) and, as the sum is checked, nothing
        # but finite floats.
        kept = (stats[3] > 0.0 or stats[4] < 0.0) and stats[2] - stats[2] == 0.0
    except TypeError:
        kept = False
    if not kept:
        return tuple(map(_number, stats))  # type: ignore[return-value]
    count, average, total, low, high = stats
    get = _FLOATS.get
    return (get(count) or _float(count), get(average) or _float(average), get(total) or _float(total),
            get(low) or _float(low), get(high) or _float(high))


def _tail(dp: Any, statistics: Iterable[str], nl: str, sep: str) -> str:
    """What follows ``Unit``: the extended statistics and the revision, if any."""
    text = ""
    if statistics:
        ext = _extended(dp.aggregate, statistics)
        if ext:
            inner = nl + "    " if nl else ""
            text += f'{sep}{nl}"ExtendedStatistics": {{' + sep.join(
                f"{inner}{_string(name)}: {_number(value)}" for name, value in ext.items()) + f"{nl}}}"
    if dp.revision:
        text += f'{sep}{nl}"Revision": {_number(dp.revision)}'
    return text


def datapoint_line(dp: Any, statistics: Iterable[str] = ()) -> str:
    """One datapoint as ``-o jsonl`` writes it (without the newline)."""
    key = dp.key
    namespace, name, unit = _names(key)
    dims = key.dimensions
    if len(dims) == 1:
        (k, v), = dims
        dims_text = f'{{"Name": {_scalar(k)}, "Value": {_scalar(v)}}}'
    else:
        dims_text = ", ".join(f'{{"Name": {_scalar(k)}, "Value": {_scalar(v)}}}' for k, v in dims)
    time = _TIMES.get(dp.timestamp_ms) or _time(dp.timestamp_ms)
    count, average, total, low, high = _statistics(dp.aggregate)
    tail = _tail(dp, statistics, "", ", ") if statistics or dp.revision else ""
    return (f'{{"Namespace": {namespace}, "MetricName": {name}, "Dimensions": [{dims_text}], "Timestamp": {time}, '
            f'"Period": {_period(dp.period)}, "SampleCount": {count}, "Average": {average}, "Sum": {total}, '
            f'"Minimum": {low}, "Maximum": {high}, "Unit": {unit}{tail}}}')


def metric_texts(datapoints: list[Any], statistics: list[str], margin: str = "") -> Iterator[str]:
    """Each metric of `iter_metrics` as ``json.dumps(metric, indent=4)`` writes it, every line
    after the first starting with `margin`."""
    nl = "\n" + margin
    i1, i2, i3 = nl + "    ", nl + "        ", nl + "            "
    for key, points in grouped_datapoints(datapoints):
        namespace, name, unit = _names(key)
        dimensions = key.dimensions
        if len(dimensions) == 1:
            (k, v), = dimensions
            dims = f'[{i2}{{{i3}"Name": {_scalar(k)},{i3}"Value": {_scalar(v)}{i2}}}{i1}]'
        elif dimensions:
            dims = "[" + ",".join(f'{i2}{{{i3}"Name": {_scalar(k)},{i3}"Value": {_scalar(v)}{i2}}}'
                                  for k, v in dimensions) + i1 + "]"
        else:
            dims = "[]"
        texts = []
        for dp in points:
            time = _TIMES.get(dp.timestamp_ms) or _time(dp.timestamp_ms)
            count, average, total, low, high = _statistics(dp.aggregate)
            tail = _tail(dp, statistics, i3, ",") if statistics or dp.revision else ""
            texts.append(f'{i2}{{{i3}"Timestamp": {time},{i3}"Period": {_period(dp.period)},{i3}"SampleCount": {count},'
                         f'{i3}"Average": {average},{i3}"Sum": {total},{i3}"Minimum": {low},{i3}"Maximum": {high},'
                         f'{i3}"Unit": {unit}{tail}{i2}}}')
        body = f"[{','.join(texts)}{i1}]" if texts else "[]"
        yield (f'{{{i1}"Namespace": {namespace},{i1}"MetricName": {name},{i1}"Dimensions": {dims},'
               f'{i1}"Label": {name},{i1}"Datapoints": {body}{nl}}}')
