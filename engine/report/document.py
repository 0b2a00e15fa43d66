"""The JSON document of a batch run (`cwfilter run -o json`), built from what the run produced."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def run_definitions(config: Any) -> dict:
    """The run's filters and alarms as the document echoes them (so `cwfilter plot` needs nothing else)."""
    return {
        key: value for key, value in (
            ("metricFilters", [mf.model_dump(by_alias=True, exclude_none=True) for mf in config.metric_filters]),
            ("MetricAlarms", list(config.metric_alarms)), ("CompositeAlarms", list(config.composite_alarms)),
        ) if value
    }


def run_document(datapoints: Iterable[Any], changes: Iterable[Any], summary: dict, statistics: list[str],
                 definitions: dict, *, history: bool = True) -> dict:
    """``{"metrics", "summary", "alarmHistory", metricFilters, MetricAlarms, CompositeAlarms}``.

    Args:
        datapoints: the run's `Datapoint`s.
        changes: its alarm transitions (`AlarmChange`), in time order.
        summary: the run summary.
        statistics: the extended statistics each datapoint reports.
        definitions: `run_definitions` of the run's config.
        history: False leaves ``alarmHistory`` an empty list, for a caller that writes the
            items itself (`history_item_texts`).
    """
    from ..alarms.notifications import history_item
    from .text import group_metrics

    changes = list(changes)
    doc = {"metrics": group_metrics(list(datapoints), statistics), "summary": summary}
    if changes or summary.get("alarms"):
        doc["alarmHistory"] = [history_item(c.transition) for c in changes] if history else []
    doc.update(definitions)
    return doc
