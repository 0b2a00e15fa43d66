"""Pictures of a run: what its metrics and alarms did, period by period, for charts and reports.

`build_picture` turns the results of ``cwfilter run`` (the document ``--output json`` prints,
with the run's metric filters and alarms) into a `RunPicture`: per metric its datapoints, per
alarm the statistic it evaluated at each evaluation time against its threshold, the periods it
spent in each state and its transitions, plus the run's input accounting and filters. Two
renderers read it: terminal charts (`engine.report.chart`) and the HTML report
(`engine.report.html_report`).

The alarm's statistic is recomputed for each evaluation time as the alarm computes it: the
newest period ends at the minute boundary (the 10-second boundary for 10, 20 and 30 s periods,
DECISIONS A1, A2), so periods longer than a minute slide with the minute. With the run's own
aggregates every statistic is exact; from a results file, the statistics that merge (SampleCount,
Sum, Minimum, Maximum, Average) always are, and an extended statistic only when the run reported
it for periods equal to the alarm's.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AlarmView",
    "FilterView",
    "MetricSeries",
    "Point",
    "RunPicture",
    "StateSpan",
    "TransitionRow",
    "build_picture",
]



MINUTE_MS = 60_000
TEN_SECONDS_MS = 10_000
_HIGH_RES = (10, 20, 30)
_MERGEABLE = ("SampleCount", "Sum", "Minimum", "Maximum", "Average")
_STATES = ("ALARM", "OK", "INSUFFICIENT_DATA")
_OPERATORS = {
    "GreaterThanOrEqualToThreshold": ">=",
    "GreaterThanThreshold": ">",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
    "LessThanLowerOrGreaterThanUpperThreshold": "outside band",
    "LessThanLowerThreshold": "< lower",
    "GreaterThanUpperThreshold": "> upper",
}


# --------------------------------------------------------------------------- the model


@dataclass(slots=True)
class Point:
    """One closed period of a metric: its start, length and statistics."""

    start_ms: int
    period: int  # seconds
    stats: dict[str, float | None]
    aggregate: Any = field(default=None, repr=False)  # engine.series.Aggregate, when known

    @property
    def end_ms(self) -> int:
        return self.start_ms + self.period * 1000


@dataclass(slots=True)
class MetricSeries:
    """The datapoints of one metric, dimension set and unit, oldest first."""

    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...]
    unit: str
    points: list[Point]

    @property
    def label(self) -> str:
        dims = ", ".join(f"{k}={v}" for k, v in self.dimensions)
        return f"{self.namespace} / {self.name}" + (f" [{dims}]" if dims else "")

    def values(self, statistic: str) -> list[tuple[int, float | None]]:
        return [(p.start_ms, _point_stat(p, statistic)) for p in self.points]


@dataclass(frozen=True, slots=True)
class StateSpan:
    """An alarm's state from `start_ms` (inclusive) to `end_ms` (exclusive)."""

    start_ms: int
    end_ms: int
    state: str


@dataclass(frozen=True, slots=True)
class TransitionRow:
    """One alarm state change, as DescribeAlarmHistory reports it."""

    timestamp_ms: int
    alarm: str
    old_state: str
    new_state: str
    reason: str
    composite: bool = False


@dataclass(slots=True)
class AlarmView:
    """What a chart of one alarm shows.

    Attributes:
        name: AlarmName.
        kind: ``metric``, ``composite`` or ``not simulated`` (metric math, anomaly detection).
        statistic, period, threshold, operator: from the alarm (None where they do not apply).
        evaluation_periods, datapoints_to_alarm: N and M.
        metric: the watched metric as ``Namespace / MetricName [dims]``.
        points: ``(period start, value)`` of the newest period at each evaluation time; value
            None when the period had no data (or could not be recomputed, see `note`).
        states: the state spans over the picture's time range.
        transitions: this alarm's transitions, oldest first.
        state: the final state.
        note: why some values are unknown, if any are.
    """

    name: str
    kind: str
    statistic: str | None = None
    period: int | None = None
    threshold: float | None = None
    operator: str | None = None
    evaluation_periods: int | None = None
    datapoints_to_alarm: int | None = None
    metric: str | None = None
    rule: str | None = None
    points: list[tuple[int, float | None]] = field(default_factory=list)
    states: list[StateSpan] = field(default_factory=list)
    transitions: list[TransitionRow] = field(default_factory=list)
    state: str = "INSUFFICIENT_DATA"
    note: str | None = None

    @property
    def breaches_high(self) -> bool:
        """Whether a high value breaches (Greater* operators); for bucketing and shading."""
        return not (self.operator or "").startswith("Less")

    def describe(self) -> str:
        """One line: what the alarm watches and when it goes to ALARM."""
        if self.kind == "composite":
            return f"composite alarm: {self.rule}"
        if self.kind != "metric":
            return "metric math or anomaly detection: states only (not simulated)"
        sign = _OPERATORS.get(self.operator or "", self.operator or "?")
        m = self.datapoints_to_alarm or self.evaluation_periods
        return (f"{self.statistic} of {self.metric} per {self.period} s; ALARM when {sign} "
                f"{_num(self.threshold)} in {m} of {self.evaluation_periods} periods")

    def state_at(self, t_ms: int) -> str:
        for span in self.states:
            if span.start_ms <= t_ms < span.end_ms:
                return span.state
        return self.states[-1].state if self.states and t_ms >= self.states[-1].end_ms else "INSUFFICIENT_DATA"


@dataclass(slots=True)
class FilterView:
    """A metric filter of the run, with its accounting and lint warnings."""

    name: str
    log_group: str | None
    pattern: str
    metric: str
    value: str
    unit: str | None
    dimensions: dict[str, str]
    default_value: float | None
    counts: dict[str, int]
    warnings: list[str]
    #: Matched events that published no sample: (reason, fix, count), from the summary's losses.
    losses: list[tuple[str, str, int]] = field(default_factory=list)


@dataclass(slots=True)
class RunPicture:
    """Everything the pictures of one run show. Times are epoch milliseconds."""

    start_ms: int
    end_ms: int
    metrics: list[MetricSeries]
    alarms: list[AlarmView]
    transitions: list[TransitionRow]
    filters: list[FilterView]
    inputs: dict
    events: int
    title: str = "cwfilter run"


# --------------------------------------------------------------------------- building


def build_picture(
    results: Mapping[str, Any],
    *,
    metric_filters: Sequence[Any] | None = None,
    metric_alarms: Sequence[Mapping] | None = None,
    composite_alarms: Sequence[Mapping] | None = None,
    datapoints: Iterable[Any] | None = None,
    title: str = "cwfilter run",
) -> RunPicture:
    """Build the picture of a run.

    Args:
        results: the document ``cwfilter run --output json`` prints (``metrics``, ``summary``,
            ``alarmHistory``; ``metricFilters``, ``MetricAlarms`` and ``CompositeAlarms`` when
            it holds them).
        metric_filters: the run's metric filters (`MetricFilter` models or PutMetricFilter-shaped
            dicts); default: those of `results`.
        metric_alarms, composite_alarms: PutMetricAlarm / PutCompositeAlarm-shaped dicts;
            default: those of `results`.
        datapoints: the run's closed `engine.pipeline.Datapoint`s; with them every statistic of
            an alarm is recomputed exactly from the samples.
        title: the report's title.

    Raises:
        ValueError: `results` is not a run's results document.
    """
    if not isinstance(results, Mapping) or not isinstance(results.get("metrics"), list):
        raise ValueError("not the results of cwfilter run: expected a JSON object with a 'metrics' list "
                         "(the output of cwfilter run --output json)")
    filters_in = list(metric_filters if metric_filters is not None else results.get("metricFilters") or [])
    alarms_in = list(metric_alarms if metric_alarms is not None else results.get("MetricAlarms") or [])
    composites_in = list(composite_alarms if composite_alarms is not None else results.get("CompositeAlarms") or [])

    metrics = _metrics_of(results["metrics"])
    if datapoints is not None:
        _attach_aggregates(metrics, datapoints)
    transitions = _transitions_of(results.get("alarmHistory") or [])
    summary = results.get("summary") or {}

    times = [p.start_ms for m in metrics for p in m.points] + [t.timestamp_ms for t in transitions]
    # A minute past the last transition, so that the state it entered shows.
    ends = [p.end_ms for m in metrics for p in m.points] + [t.timestamp_ms + MINUTE_MS for t in transitions]
    if times:
        start = min(times) - min(times) % MINUTE_MS
        end = max(ends)
        end = end if end % MINUTE_MS == 0 else end - end % MINUTE_MS + MINUTE_MS
        end = max(end, start + MINUTE_MS)
    else:
        start, end = 0, MINUTE_MS

    alarms: list[AlarmView] = []
    final = {a.get("alarmName"): a.get("stateValue") for a in summary.get("alarms") or [] if isinstance(a, Mapping)}
    for alarm in alarms_in:
        alarms.append(_metric_alarm_view(alarm, metrics, transitions, start, end))
    for alarm in composites_in:
        view = AlarmView(name=str(alarm.get("AlarmName")), kind="composite", rule=str(alarm.get("AlarmRule")))
        _states(view, transitions, start, end)
        alarms.append(view)
    known = {a.name for a in alarms}
    for name in dict.fromkeys(t.alarm for t in transitions):
        if name not in known:  # history without a definition: states only
            view = AlarmView(name=name, kind="composite" if any(t.composite for t in transitions if t.alarm == name)
                             else "not simulated")
            view.note = "the results hold no definition of this alarm"
            _states(view, transitions, start, end)
            alarms.append(view)
    for view in alarms:
        if view.name in final and final[view.name]:
            view.state = final[view.name]

    filters = [_filter_view(f, summary) for f in filters_in]
    return RunPicture(start_ms=start, end_ms=end, metrics=metrics, alarms=alarms, transitions=transitions,
                      filters=filters, inputs=summary.get("inputs") or {}, events=int(summary.get("events") or 0),
                      title=title)


def _parse_time(text: str) -> int:
    value = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.UTC)
    return round(value.timestamp() * 1000)


def _metrics_of(items: list) -> list[MetricSeries]:
    out: list[MetricSeries] = []
    for item in items:
        dims = tuple(sorted((d["Name"], d["Value"]) for d in item.get("Dimensions") or ()))
        by_unit: dict[str, list[Point]] = {}
        for dp in item.get("Datapoints") or ():
            stats: dict[str, float | None] = {k: dp.get(k) for k in _MERGEABLE}
            stats.update(dp.get("ExtendedStatistics") or {})
            point = Point(_parse_time(dp["Timestamp"]), int(dp.get("Period") or 60), stats)
            by_unit.setdefault(str(dp.get("Unit") or "None"), []).append(point)
        if not by_unit:
            by_unit["None"] = []
        for unit, points in by_unit.items():
            points.sort(key=lambda p: p.start_ms)
            out.append(MetricSeries(item["Namespace"], item["MetricName"], dims, unit, points))
    return out


def _attach_aggregates(metrics: list[MetricSeries], datapoints: Iterable[Any]) -> None:
    index = {(m.namespace, m.name, m.dimensions, m.unit): {p.start_ms: p for p in m.points} for m in metrics}
    for dp in datapoints:
        key = dp.key
        points = index.get((key.namespace, key.name, tuple(sorted(key.dimensions)), key.unit or "None"))
        if points is not None and dp.timestamp_ms in points:
            points[dp.timestamp_ms].aggregate = dp.aggregate


def _transitions_of(history: list) -> list[TransitionRow]:
    rows: list[TransitionRow] = []
    for item in history:
        if not isinstance(item, Mapping) or item.get("HistoryItemType", "StateUpdate") != "StateUpdate":
            continue
        try:
            data = json.loads(item["HistoryData"]) if isinstance(item.get("HistoryData"), str) else item["HistoryData"]
            rows.append(TransitionRow(
                timestamp_ms=_parse_time(item["Timestamp"]),
                alarm=str(item["AlarmName"]),
                old_state=data["oldState"]["stateValue"],
                new_state=data["newState"]["stateValue"],
                reason=data["newState"].get("stateReason", ""),
                composite=item.get("AlarmType") == "CompositeAlarm",
            ))
        except (KeyError, TypeError, ValueError):
            continue  # not a state update this picture can show
    rows.sort(key=lambda r: r.timestamp_ms)
    return rows


def _states(view: AlarmView, transitions: list[TransitionRow], start: int, end: int) -> None:
    """The alarm's state spans over [start, end): INSUFFICIENT_DATA until the first change (A7)."""
    mine = [t for t in transitions if t.alarm == view.name]
    view.transitions = mine
    spans: list[StateSpan] = []
    state, since = (mine[0].old_state if mine else "INSUFFICIENT_DATA"), start
    for t in mine:
        if t.timestamp_ms > since:
            spans.append(StateSpan(since, t.timestamp_ms, state))
        state, since = t.new_state, max(since, t.timestamp_ms)
    if end > since:
        spans.append(StateSpan(since, end, state))
    view.states = spans
    view.state = state


def _point_stat(point: Point, statistic: str) -> float | None:
    if point.aggregate is not None:
        return point.aggregate.statistic(statistic)
    return point.stats.get(statistic)


def _metric_alarm_view(alarm: Mapping, metrics: list[MetricSeries], transitions: list[TransitionRow],
                       start: int, end: int) -> AlarmView:
    name = str(alarm.get("AlarmName"))
    if "MetricName" not in alarm or "Metrics" in alarm:
        view = AlarmView(name=name, kind="not simulated")
        _states(view, transitions, start, end)
        return view
    statistic = alarm.get("Statistic") or alarm.get("ExtendedStatistic") or "Average"
    period = int(alarm.get("Period") or 60)
    dims = tuple(sorted((d["Name"], d["Value"]) for d in alarm.get("Dimensions") or ()))
    unit = alarm.get("Unit")
    watched = [m for m in metrics if m.namespace == alarm.get("Namespace") and m.name == alarm.get("MetricName")
               and m.dimensions == dims and (not unit or m.unit == unit)]
    label = MetricSeries(str(alarm.get("Namespace")), str(alarm.get("MetricName")), dims, unit or "", []).label
    view = AlarmView(
        name=name, kind="metric", statistic=statistic, period=period,
        threshold=_float(alarm.get("Threshold")), operator=alarm.get("ComparisonOperator"),
        evaluation_periods=alarm.get("EvaluationPeriods"), datapoints_to_alarm=alarm.get("DatapointsToAlarm"),
        metric=label,
    )
    _states(view, transitions, start, end)
    step = TEN_SECONDS_MS if period in _HIGH_RES else MINUTE_MS
    length = period * 1000
    points = [p for m in watched for p in m.points]
    unknown = 0
    t = start - start % step
    while t + length <= end:
        value, known = _window(points, t, t + length, statistic)
        unknown += not known
        view.points.append((t, value))
        t += step
    if unknown:
        view.note = (f"{statistic} could not be recomputed for {unknown} of {len(view.points)} periods "
                     "from the results (rerun with the alarm's period as --period, or draw the "
                     "pictures with cwfilter run --plot / --report)")
    return view


def _float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _window(points: list[Point], start: int, end: int, statistic: str) -> tuple[float | None, bool]:
    """The statistic over the samples of [start, end); (value, whether it could be computed).

    Only periods that lie inside the window count; a period reaching across its edge cannot be
    split, and makes the value unknown.
    """
    inside = [p for p in points if start <= p.start_ms and p.end_ms <= end and (p.stats.get("SampleCount") or 0) > 0]
    straddle = any(p.start_ms < end and p.end_ms > start and not (start <= p.start_ms and p.end_ms <= end)
                   for p in points)
    if straddle:
        return None, False
    if not inside:
        return None, True  # no data: a missing period
    if all(p.aggregate is not None for p in inside):
        merged = inside[0].aggregate
        for p in inside[1:]:
            merged = merged.merge(p.aggregate)
        return merged.statistic(statistic), True
    if statistic in _MERGEABLE:
        count = sum(p.stats.get("SampleCount") or 0 for p in inside)
        total = sum(p.stats.get("Sum") or 0.0 for p in inside)
        if statistic == "SampleCount":
            return float(count), True
        if statistic == "Sum":
            return total, True
        if statistic == "Average":
            return (total / count if count else None), True
        values = [p.stats.get(statistic) for p in inside if p.stats.get(statistic) is not None]
        if not values:
            return None, True
        return (min(values) if statistic == "Minimum" else max(values)), True
    if len(inside) == 1 and inside[0].start_ms == start and inside[0].end_ms == end and statistic in inside[0].stats:
        return inside[0].stats[statistic], True
    return None, False


def _filter_view(mf: Any, summary: Mapping) -> FilterView:
    if hasattr(mf, "model_dump"):
        mf = mf.model_dump(by_alias=True, exclude_none=True)
    name = str(mf.get("filterName"))
    group = mf.get("logGroupName")
    pattern = str(mf.get("filterPattern", ""))
    transformation = (mf.get("metricTransformations") or [{}])[0]
    counts = next((dict(f) for f in summary.get("filters") or []
                   if f.get("filterName") == name and f.get("logGroupName") == group), {})
    warnings: list[str] = []
    try:
        from ..authoring.lint import lint_pattern

        warnings = [f"{f.code} {f.message}" for f in lint_pattern(pattern)]
    except ValueError:
        warnings = []
    return FilterView(
        name=name, log_group=group, pattern=pattern,
        metric=f"{transformation.get('metricNamespace')} / {transformation.get('metricName')}",
        value=str(transformation.get("metricValue")), unit=transformation.get("unit"),
        dimensions=dict(transformation.get("dimensions") or {}),
        default_value=transformation.get("defaultValue"), counts=counts, warnings=warnings,
        losses=_filter_losses(name, counts, summary),
    )


# Per-filter loss counters, for results whose summary lists no `losses` (older versions).
_LOSS_COUNTERS = (("valueNotNumeric", "value not numeric"), ("dimensionMissing", "dimension missing"))


def _filter_losses(name: str, counts: Mapping, summary: Mapping) -> list[tuple[str, str, int]]:
    """The samples a filter did not count, by reason, with the fix the run summary names."""
    if "losses" in summary:
        return [(str(item.get("reason", "")), str(item.get("fix", "")), int(item["filters"][name]))
                for item in summary.get("losses") or [] if (item.get("filters") or {}).get(name)]
    return [(label, "", int(counts[key])) for key, label in _LOSS_COUNTERS if counts.get(key)]


def _num(value: float | None) -> str:
    """A number as people write it: integers without ``.0``, others with 4 significant digits."""
    if value is None:
        return "-"
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return str(value)
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}"
