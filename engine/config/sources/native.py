"""Native configurations (describe-metric-filters / describe-alarms shapes) as `SourceItem`s.

`engine.config` validates and loads these files; this module only finds each item's origin (its
document path and line), so that the wiring checks and ``cwfilter import`` can name it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..checks import _key, render_path
from ..model import COLLECTIONS, FILTER_FIELDS, FILTERS_PER_LOG_GROUP, TRANSFORMATION_FIELDS
from .documents import Document
from .model import COMPOSITE_ALARM, FILTER, METRIC_ALARM, Origin, SourceItem

_KIND = {"metricFilters": FILTER, "MetricAlarms": METRIC_ALARM, "CompositeAlarms": COMPOSITE_ALARM}
_FILTER_ALIAS = {name: alias for alias, name in FILTER_FIELDS.items()}
_TRANSFORMATION_ALIAS = {name: alias for alias, name in TRANSFORMATION_FIELDS.items()}


def _aws_filter(raw: Mapping) -> dict:
    """A filter with AWS's key spelling (the config also accepts snake_case attribute names)."""
    out = {_FILTER_ALIAS.get(k, k): v for k, v in raw.items()}
    transformations = out.get("metricTransformations")
    if isinstance(transformations, list):
        out["metricTransformations"] = [
            {_TRANSFORMATION_ALIAS.get(k, k): v for k, v in t.items()} if isinstance(t, Mapping) else t
            for t in transformations]
    return out


def _past_quota(raw: Any, per_group: dict[str, int] | None) -> bool:
    if per_group is None or not isinstance(raw, Mapping):
        return False
    group = raw.get(_key(raw, "logGroupName"))
    if not isinstance(group, str):
        return False
    per_group[group] = per_group.get(group, 0) + 1
    return per_group[group] > FILTERS_PER_LOG_GROUP


def _item(doc: Document, kind: str, path: tuple, raw: Any) -> SourceItem | None:
    if not isinstance(raw, Mapping):
        return None
    data = _aws_filter(raw) if kind == FILTER else dict(raw)
    where = render_path(path) or "the document"
    origin = Origin(doc.source, doc.line(path), where, "native", render_path(path),
                    _Fields(doc, kind, path, raw))
    return SourceItem(kind, data, origin)


class _Fields(Mapping):
    """`Origin.fields` of a native item: AWS field path -> (document path, line), worked out when
    first asked for (most items are never named by a finding)."""

    __slots__ = ("_args", "_map")

    def __init__(self, doc: Document, kind: str, path: tuple, raw: Mapping) -> None:
        self._args: tuple | None = (doc, kind, path, raw)
        self._map: dict = {}

    def _fields(self) -> dict:
        if self._args is None:
            return self._map
        doc, kind, path, raw = self._args
        fields = self._map

        def walk(value: Any, aws: tuple, src: tuple) -> None:
            fields[aws] = (render_path((*path, *src)), doc.line((*path, *src)))
            if isinstance(value, Mapping):
                for k, v in value.items():
                    walk(v, (*aws, k), (*src, k))
            elif isinstance(value, list):
                for i, v in enumerate(value):
                    walk(v, (*aws, i), (*src, i))

        for key, value in raw.items():
            aws_key = _FILTER_ALIAS.get(key, key) if kind == FILTER else key
            walk(value, (aws_key,), (key,))
        self._args = None
        return fields

    def __getitem__(self, key: Any) -> Any:
        return self._fields()[key]

    def __iter__(self) -> Iterator:
        return iter(self._fields())

    def __len__(self) -> int:
        return len(self._fields())


def read(doc: Document, per_group: dict[str, int] | None = None) -> list[SourceItem]:
    """The metric filters and alarms of one native document (shapes as `engine.config` reads them).

    With `per_group` (log group -> filters seen, shared by the documents of one configuration),
    the metric filters past a log group's quota are left out before any work is done on them: the
    config check reports the quota and leaves them unchecked.
    """
    data = doc.data
    items: list[SourceItem] = []
    if isinstance(data, list):
        for i, raw in enumerate(data):
            if _past_quota(raw, per_group):
                continue
            item = _item(doc, FILTER, (i,), raw)
            if item is not None:
                items.append(item)
        return items
    if not isinstance(data, Mapping):
        return items
    present = False
    for alias, name in COLLECTIONS.items():
        key = alias if alias in data else name if name in data else None
        if key is None:
            continue
        present = True
        for i, raw in enumerate(data[key] if isinstance(data[key], list) else []):
            if _KIND[alias] == FILTER and _past_quota(raw, per_group):
                continue
            item = _item(doc, _KIND[alias], (key, i), raw)
            if item is not None:
                items.append(item)
    if not present and any(k in data for k in (*FILTER_FIELDS, *FILTER_FIELDS.values())):
        item = _item(doc, FILTER, (), data)
        if item is not None:
            items.append(item)
    return items
