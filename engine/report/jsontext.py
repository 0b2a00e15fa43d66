"""Datapoints as JSON text, written straight from the aggregates.

A run with a series per event writes one datapoint per event. Building the ``to_json`` dict of
each and handing it to `json.dumps` costs more than reading and matching the event did, so the
run's writers use these functions instead. Each returns, byte for byte, the text the dict path
gives (`Datapoint.to_json` through `json.dumps`, which stays the reference and is what the tests
compare against):

* `datapoint_line`: ``json.dumps(dp.to_json(statistics), ensure_ascii=False)``, one line of
  ``-o jsonl``;
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
from collections.abc import Iterable, Iterator
from json.encoder import encode_basestring as _string
from typing import Any

from ..metrics.pipeline import iso
from .text import grouped_datapoints

__all__ = ["datapoint_line", "metric_texts"]

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


def datapoint_line(dp: Any, statistics: Iterable[str] = ()) -> str:
    """One datapoint as ``-o jsonl`` writes it (without the newline)."""
    key = dp.key
    agg = dp.aggregate
    dims = ", ".join(f'{{"Name": {_scalar(k)}, "Value": {_scalar(v)}}}' for k, v in key.dimensions)
    count, average, total, low, high = agg.standard_statistics()
    text = (f'{{"Namespace": {_scalar(key.namespace)}, "MetricName": {_scalar(key.name)}, '
            f'"Dimensions": [{dims}], "Timestamp": {_time(dp.timestamp_ms)}, "Period": {_number(dp.period)}, '
            f'"SampleCount": {_number(count)}, "Average": {_number(average)}, "Sum": {_number(total)}, '
            f'"Minimum": {_number(low)}, "Maximum": {_number(high)}, "Unit": {_scalar(key.unit or "None")}')
    if statistics:
        ext = _extended(agg, statistics)
        if ext:
            text += ', "ExtendedStatistics": {' + ", ".join(
                f"{_string(name)}: {_number(value)}" for name, value in ext.items()) + "}"
    if dp.revision:
        text += f', "Revision": {_number(dp.revision)}'
    return text + "}"


def _point_text(dp: Any, statistics: Iterable[str], nl: str) -> str:
    """One entry of a metric's ``Datapoints`` at the indentation `nl` (newline and margin) opens."""
    agg = dp.aggregate
    inner = nl + "    "
    count, average, total, low, high = agg.standard_statistics()
    text = (f'{{{inner}"Timestamp": {_time(dp.timestamp_ms)},{inner}"Period": {_number(dp.period)},'
            f'{inner}"SampleCount": {_number(count)},{inner}"Average": {_number(average)},'
            f'{inner}"Sum": {_number(total)},{inner}"Minimum": {_number(low)},'
            f'{inner}"Maximum": {_number(high)},{inner}"Unit": {_scalar(dp.key.unit or "None")}')
    if statistics:
        ext = _extended(agg, statistics)
        if ext:
            deeper = inner + "    "
            text += f',{inner}"ExtendedStatistics": {{' + ",".join(
                f"{deeper}{_string(name)}: {_number(value)}" for name, value in ext.items()) + f"{inner}}}"
    if dp.revision:
        text += f',{inner}"Revision": {_number(dp.revision)}'
    return text + nl + "}"


def metric_texts(datapoints: list[Any], statistics: list[str], margin: str = "") -> Iterator[str]:
    """Each metric of `iter_metrics` as ``json.dumps(metric, indent=4)`` writes it, every line
    after the first starting with `margin`."""
    nl = "\n" + margin
    i1, i2, i3 = nl + "    ", nl + "        ", nl + "            "
    for key, points in grouped_datapoints(datapoints):
        if key.dimensions:
            dims = "[" + ",".join(f'{i2}{{{i3}"Name": {_scalar(k)},{i3}"Value": {_scalar(v)}{i2}}}'
                                  for k, v in key.dimensions) + i1 + "]"
        else:
            dims = "[]"
        body = ",".join(i2 + _point_text(dp, statistics, i2) for dp in points)
        name = _scalar(key.name)
        yield (f'{{{i1}"Namespace": {_scalar(key.namespace)},{i1}"MetricName": {name},{i1}"Dimensions": {dims},'
               f'{i1}"Label": {name},{i1}"Datapoints": ' + (f"[{body}{i1}]" if points else "[]") + f"{nl}}}")
