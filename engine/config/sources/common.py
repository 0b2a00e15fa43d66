"""What the source readers share: type coercion of AWS fields and settling unresolved values.

CloudFormation and Terraform pass numbers and booleans as text as often as not (a parameter's
value is always a string); the service converts them. `coerce_fields` does the same for the
fields whose API type is a number or a boolean, and leaves anything else for validation to
report. `settle` turns each `Unresolved` left in an item into a CWF200 finding, except in the
fields that nothing cwfilter computes depends on (actions, descriptions, tags), which keep the
expression as written, and except names known only after deployment (a log group name, a namespace
or a metric name that is an attribute of another resource): those stand for themselves, so that
two items naming the same expression are wired together.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .model import COMPOSITE_ALARM, ERROR, FILTER, METRIC_ALARM, NOTE, Finding, SourceItem, Unresolved, item_finding

# Fields that no computation of cwfilter depends on: an unresolved value there keeps its text.
PASSIVE_FIELDS = frozenset({
    "AlarmActions", "OKActions", "InsufficientDataActions", "AlarmDescription", "Tags", "Label",
    "AccountId",
})

# Names that may stand for themselves when they are known only after deployment.
SYMBOLIC_FIELDS = frozenset({"logGroupName", "metricNamespace", "metricName", "Namespace", "MetricName"})

_INT_FIELDS = frozenset({
    "Period", "EvaluationPeriods", "DatapointsToAlarm", "ActionsSuppressorWaitPeriod",
    "ActionsSuppressorExtensionPeriod",
})
_FLOAT_FIELDS = frozenset({"Threshold", "defaultValue"})
_BOOL_FIELDS = frozenset({"ActionsEnabled", "ReturnData", "applyOnTransformedLogs"})
_NUMBER_RE = re.compile(r"\s*[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?\s*")


def to_number(value: Any, *, integer: bool) -> Any:
    """A numeric string as a number (``"60"`` -> 60); anything else unchanged."""
    if isinstance(value, str) and _NUMBER_RE.fullmatch(value):
        number = float(value)
        if integer and number.is_integer():
            return int(number)
        return number if not integer else value
    if integer and isinstance(value, float) and value.is_integer():
        return int(value)
    if not integer and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def to_bool(value: Any) -> Any:
    """``"true"`` / ``"false"`` (any case) as booleans; anything else unchanged."""
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def coerce_fields(value: Any) -> Any:
    """Numbers and booleans given as text, converted where the API field takes a number or bool."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            item = coerce_fields(item)
            if key in _INT_FIELDS:
                item = to_number(item, integer=True)
            elif key in _FLOAT_FIELDS:
                item = to_number(item, integer=False)
            elif key in _BOOL_FIELDS:
                item = to_bool(item)
            out[key] = item
        return out
    if isinstance(value, list):
        return [coerce_fields(v) for v in value]
    return value


def _unresolved(value: Any, path: tuple) -> Iterator[tuple[tuple, Unresolved]]:
    if isinstance(value, Unresolved):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _unresolved(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _unresolved(item, (*path, i))


def _replace(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {k: (_replace(v, rest, new) if k == head else v) for k, v in value.items()}
    if isinstance(value, list):
        return [(_replace(v, rest, new) if i == head else v) for i, v in enumerate(value)]
    return value


_WHAT = {FILTER: "metric filter", METRIC_ALARM: "alarm", COMPOSITE_ALARM: "composite alarm"}


def settle(item: SourceItem) -> tuple[bool, list[Finding]]:
    """Replace or report every `Unresolved` value of an item.

    Returns:
        (usable, findings): `usable` is False when a value that matters is unresolved; each such
        value is a CWF200 error naming the item, the field and the reason.
    """
    findings: list[Finding] = []
    usable = True
    for path, marker in list(_unresolved(item.data, ())):
        if any(isinstance(p, str) and p in PASSIVE_FIELDS for p in path):
            # Keep the expression as written; a whole action list becomes a list of one.
            keep: Any = [marker.text] if len(path) == 1 and path[0].endswith("Actions") else marker.text
            if path == ("Tags",):
                keep = []
            item.data = _replace(item.data, path, keep)
            continue
        if "symbol" in marker.hint and isinstance(path[-1], str) and path[-1] in SYMBOLIC_FIELDS:
            symbol = marker.hint.get("partial") or (
                marker.hint["symbol"] if marker.text.startswith(("!GetAtt", "!Ref")) else marker.text)
            item.data = _replace(item.data, path, symbol)
            field = ".".join(str(p) for p in path)
            bind = f" (bind inputs with FILE@{symbol})" if path[-1] == "logGroupName" else ""
            findings.append(item_finding(
                item, path,
                f"{_WHAT[item.kind]} {item.origin.resource}: {field} is {marker.text}, known only after "
                f"deployment ({marker.reason}); cwfilter calls it '{symbol}'{bind}",
                NOTE, "CWF200"))
            continue
        usable = False
        field = ".".join(str(p) for p in path)
        findings.append(item_finding(
            item, path,
            f"{_WHAT[item.kind]} {item.origin.resource}: {field} is {marker.text}, which cannot be "
            f"resolved without deploying: {marker.reason}",
            ERROR, "CWF200"))
    return usable, findings
