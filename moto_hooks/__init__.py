"""CloudWatch Logs and CloudWatch alarms with the service's semantics inside moto's `mock_aws`.

moto answers FilterLogEvents with its own matcher (most patterns match every event), has no
TestMetricFilter, never turns log events into metric datapoints and never evaluates alarms.
`patch()` replaces those parts of moto's backends with cwfilter's engine::

    import boto3
    from moto import mock_aws
    import cwfilter.moto

    with mock_aws(), cwfilter.moto.patch(alarms=True) as cw:
        logs = boto3.client("logs", region_name="us-east-1")
        ...                                  # PutMetricFilter, PutLogEvents, FilterLogEvents ...
        cw.advance_to(now + 5 * 60_000)      # evaluate alarms at each minute boundary

What the patch changes:

* FilterLogEvents, StartLiveTail and PutSubscriptionFilter match with cwfilter; an invalid pattern
  raises ``InvalidParameterException`` with the service's text, even on an empty log group.
  Subscription filters forward only the events their pattern matches.
* TestMetricFilter answers as the service does (1 to 50 messages, ``extractedValues``).
* PutMetricFilter validates the pattern and the metric transformation, requires the log group
  and replaces a filter of the same name.
* Every accepted PutLogEvents batch runs the log group's metric filters and publishes to moto's
  CloudWatch backend what the service would: the value, the dimensions and unit, stamped with
  the event's timestamp, and the default value once per minute in which events arrived and none
  matched (DECISIONS M2). GetMetricStatistics and GetMetricData then return the datapoints.
* With ``alarms=True``, metric alarms start in INSUFFICIENT_DATA, and `MotoPatch.advance_to`
  evaluates them at every minute boundary with cwfilter's evaluator, writing state, reason,
  reason data and history back (DescribeAlarms, DescribeAlarmHistory). SetAlarmState is kept
  until the next evaluation computes another state. Alarms on metric math are not evaluated.

moto is imported only here: ``import cwfilter`` never needs it. Each hook point is checked when
the patch starts; a moto whose internals moved raises `MotoIncompatible` instead of silently
keeping moto's own behaviour.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import inspect
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Self

__all__ = ["EXTRA", "SUPPORTED_MOTO", "MotoIncompatible", "MotoPatch", "patch"]

#: The pip extra that installs a supported moto.
EXTRA = "cwfilter[moto]"
#: The moto versions the hooks are written and tested against.
SUPPORTED_MOTO = ">=5.0,<6"

MINUTE_MS = 60_000
_TEST_MESSAGES_MAX = 50


class MotoIncompatible(RuntimeError):
    """The installed moto lacks a part of its internals that `patch()` hooks into."""


def _import(name: str):
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise ImportError(
            f"cwfilter.moto needs moto ({SUPPORTED_MOTO}, with its logs and cloudwatch services): "
            f"pip install '{EXTRA}'"
        ) from exc


# --------------------------------------------------------------------------- service texts


def _pattern_error_text(exc: Exception, metric_api: bool) -> str:
    """The service's message for an invalid pattern (filter-patterns.md §10).

    The term check has a text of its own on every API; otherwise the metric filter APIs say
    "Invalid metric filter pattern" and FilterLogEvents / Live Tail / subscriptions "Invalid
    filter pattern".
    """
    message = getattr(exc, "message", str(exc))
    if message.startswith("Invalid character(s) in term"):
        return f"Invalid filter pattern: {message}"
    prefix = "Invalid metric filter pattern"
    if not metric_api and message.startswith(prefix):
        return "Invalid filter pattern" + message[len(prefix):]
    return message


def _compile(pattern: str | None, metric_api: bool = False):
    """cwfilter's compiled pattern, or moto's InvalidParameterException with the service's text."""
    from cwfilter.engine.matching.compiler import compile_pattern
    from cwfilter.grammar import PatternError

    try:
        return compile_pattern(pattern or "")
    except PatternError as exc:
        raise _moto().logs_exceptions.InvalidParameterException(
            _pattern_error_text(exc, metric_api)
        ) from None


class _Matcher:
    """Stands in for moto's `EventMessageFilter`: ``_Matcher(pattern).matches(message)``."""

    def __init__(self, pattern: str | None) -> None:
        self._compiled = _compile(pattern)

    def matches(self, message: str) -> bool:
        return self._compiled.matches(message)


# --------------------------------------------------------------------------- hook points


@dataclass
class _Moto:
    version: str
    logs_models: Any
    logs_responses: Any
    logs_exceptions: Any
    cw_models: Any
    cw_responses: Any
    alarm_cls: Any
    aware_timestamps: bool  # moto keeps metric timestamps timezone-aware (5.0) or naive UTC (5.1+)
    action_result: Any  # moto.core.responses.ActionResult, where moto serialises responses itself


_MOTO: _Moto | None = None


def _moto() -> _Moto:
    global _MOTO
    if _MOTO is None:
        _MOTO = _load_moto()
    return _MOTO


def _load_moto() -> _Moto:
    moto = _import("moto")
    logs_models = _import("moto.logs.models")
    logs_responses = _import("moto.logs.responses")
    logs_exceptions = _import("moto.logs.exceptions")
    cw_models = _import("moto.cloudwatch.models")
    cw_responses = _import("moto.cloudwatch.responses")
    core_responses = _import("moto.core.responses")
    version = getattr(moto, "__version__", "unknown")
    missing: list[str] = []

    def need(owner: Any, name: str, where: str) -> Any:
        value = getattr(owner, name, None)
        if value is None:
            missing.append(f"{where}.{name}")
        return value

    def uses(function: Any, names: set[str], where: str) -> None:
        found: set[str] = set()
        todo = [getattr(function, "__code__", None)]
        while todo:  # the function and the functions defined inside it
            code = todo.pop()
            if code is not None:
                found.update(code.co_names, code.co_varnames)
                todo.extend(c for c in code.co_consts if inspect.iscode(c))
        for name in sorted(names - found):
            missing.append(f"{where} using {name}")

    def params(function: Any, names: list[str], where: str) -> None:
        try:
            have = list(inspect.signature(function).parameters)
        except (TypeError, ValueError):
            have = []
        for name in names:
            if name not in have:
                missing.append(f"parameter {name!r} of {where}")

    lm = "moto.logs.models"
    need(logs_models, "EventMessageFilter", lm)
    need(logs_models, "logs_backends", lm)
    stream = need(logs_models, "LogStream", lm)
    group = need(logs_models, "LogGroup", lm)
    backend = need(logs_models, "LogsBackend", lm)
    if stream is not None:
        f = need(stream, "filter_log_events", f"{lm}.LogStream")
        if f is not None:
            uses(f, {"EventMessageFilter"}, f"{lm}.LogStream.filter_log_events")
        f = need(stream, "put_log_events", f"{lm}.LogStream")
        if f is not None:
            params(f, ["log_events"], f"{lm}.LogStream.put_log_events")
            uses(f, {"subscription_filters", "_send_log_events"}, f"{lm}.LogStream.put_log_events")
        f = need(stream, "_send_log_events", f"{lm}.LogStream")
        if f is not None:
            params(f, ["filter_name", "log_events"], f"{lm}.LogStream._send_log_events")
        init = need(stream, "__init__", f"{lm}.LogStream")
        uses(init, {"log_group"}, f"{lm}.LogStream.__init__")
    if group is not None:
        init = need(group, "__init__", f"{lm}.LogGroup")
        uses(init, {"account_id", "region", "subscription_filters"}, f"{lm}.LogGroup.__init__")
    if backend is not None:
        for name, args in (
            ("filter_log_events", ["log_group_name", "filter_pattern"]),
            ("put_metric_filter", ["filter_name", "filter_pattern", "log_group_name", "metric_transformations"]),
            ("put_subscription_filter", ["log_group_name", "filter_name", "filter_pattern"]),
        ):
            f = need(backend, name, f"{lm}.LogsBackend")
            if f is not None:
                params(f, args, f"{lm}.LogsBackend.{name}")
        uses(backend.__init__, {"groups", "filters"}, f"{lm}.LogsBackend.__init__")
        live = getattr(backend, "start_live_tail", None)  # moto 5.1 and later
        if live is not None:
            params(live, ["log_event_filter_pattern"], f"{lm}.LogsBackend.start_live_tail")
            uses(live, {"EventMessageFilter"}, f"{lm}.LogsBackend.start_live_tail")
    filters = _import("moto.logs.metric_filters")
    mf = need(filters, "MetricFilters", "moto.logs.metric_filters")
    if mf is not None:
        need(mf, "delete_filter", "moto.logs.metric_filters.MetricFilters")
        uses(mf.__init__, {"metric_filters"}, "moto.logs.metric_filters.MetricFilters.__init__")
    response = need(logs_responses, "LogsResponse", "moto.logs.responses")
    if response is not None:
        need(response, "_get_param", "moto.logs.responses.LogsResponse")
    need(logs_exceptions, "InvalidParameterException", "moto.logs.exceptions")
    need(logs_exceptions, "ResourceNotFoundException", "moto.logs.exceptions")

    cm = "moto.cloudwatch.models"
    need(cw_models, "cloudwatch_backends", cm)
    datum = need(cw_models, "MetricDatum", cm)
    if datum is not None:
        params(datum.__init__, ["namespace", "name", "value", "dimensions", "timestamp", "unit"],
               f"{cm}.MetricDatum")
    cwb = need(cw_models, "CloudWatchBackend", cm)
    if cwb is not None:
        uses(cwb.__init__, {"metric_data", "alarms"}, f"{cm}.CloudWatchBackend.__init__")
        need(cwb, "put_metric_alarm", f"{cm}.CloudWatchBackend")
        need(cwb, "set_alarm_state", f"{cm}.CloudWatchBackend")
        f = need(cwb, "get_metric_statistics", f"{cm}.CloudWatchBackend")
        if f is not None:
            params(f, ["start_time", "period", "stats"], f"{cm}.CloudWatchBackend.get_metric_statistics")
    statistics = need(cw_models, "Statistics", cm)
    if statistics is not None:
        params(statistics.__init__, ["stats", "dt"], f"{cm}.Statistics")
        uses(statistics.__init__, {"metric_data", "unit"}, f"{cm}.Statistics.__init__")
    alarm = getattr(cw_models, "Alarm", None) or getattr(cw_models, "FakeAlarm", None)  # FakeAlarm in 5.0
    if alarm is None:
        missing.append(f"{cm}.Alarm (or FakeAlarm)")
    else:
        f = need(alarm, "update_state", f"{cm}.Alarm")
        if f is not None:
            params(f, ["reason", "reason_data", "state_value"], f"{cm}.Alarm.update_state")
        uses(alarm.__init__, {"state_value", "state_reason", "state_reason_data", "state_updated_timestamp",
                              "metric_name", "namespace", "dimensions", "period", "evaluation_periods",
                              "datapoints_to_alarm", "threshold", "comparison_operator", "statistic",
                              "extended_statistic", "treat_missing_data", "unit", "metric_data_queries",
                              "rule"}, f"{cm}.Alarm.__init__")
    cw_response = need(cw_responses, "CloudWatchResponse", "moto.cloudwatch.responses")
    aware = True
    action_result = getattr(core_responses, "ActionResult", None)
    if cw_response is not None:
        # moto 5.1+ parses request parameters itself (`automated_parameter_parsing`) and keeps
        # metric timestamps as naive UTC datetimes; 5.0 parses query strings with dateutil and
        # keeps them timezone-aware. Mixing the two kinds breaks GetMetricStatistics.
        try:
            automated = bool(getattr(cw_response(), "automated_parameter_parsing", False))
        except Exception as exc:  # noqa: BLE001 - any failure means the hook point moved
            missing.append(f"moto.cloudwatch.responses.CloudWatchResponse() ({exc})")
            automated = False
        if automated:
            if action_result is None:
                missing.append("moto.core.responses.ActionResult")
            aware = False
        else:
            action_result = None
            need(cw_response, "response_template", "moto.cloudwatch.responses.CloudWatchResponse")
    if missing:
        raise MotoIncompatible(
            f"cwfilter.moto supports moto {SUPPORTED_MOTO} ({EXTRA}); moto {version} lacks: "
            + "; ".join(missing)
        )
    return _Moto(version, logs_models, logs_responses, logs_exceptions, cw_models, cw_responses,
                 alarm, aware, action_result)


# --------------------------------------------------------------------------- time


def _ms(value: Any) -> int:
    """Epoch milliseconds from ms, seconds-as-float, a datetime (naive = UTC) or ISO text."""
    if isinstance(value, bool):
        raise TypeError("a time is epoch milliseconds, a datetime or ISO-8601 text")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        value = _dt.datetime.fromisoformat(value)
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.UTC)
        return round(value.timestamp() * 1000)
    raise TypeError("a time is epoch milliseconds, a datetime or ISO-8601 text")


def _metric_time(ms: int) -> _dt.datetime:
    """A metric timestamp of the kind the running moto keeps."""
    t = _dt.datetime.fromtimestamp(ms / 1000, tz=_dt.UTC)
    return t if _moto().aware_timestamps else t.replace(tzinfo=None)


def _now_ms() -> int:
    return int(_dt.datetime.now(_dt.UTC).timestamp() * 1000)


# --------------------------------------------------------------------------- metric filters


@dataclass
class _FilterState:
    runtime: Any  # engine.metrics.transform.RuntimeFilter
    # DECISIONS M2: per minute with events, the defaultValue datum published while no event of
    # the minute matched (None once one did).
    minutes: dict


def _runtime_filters(backend, group_name: str) -> list[_FilterState]:
    """The metric filters of a log group, compiled once per PutMetricFilter."""
    from cwfilter.engine.config.native import MetricFilter
    from cwfilter.engine.metrics.transform import build_filter

    cache: dict = backend.__dict__.setdefault("_cwfilter_filters", {})
    out = []
    for raw in backend.filters.metric_filters:
        if raw.get("logGroupName") != group_name:
            continue
        state = cache.get(id(raw))
        if state is None or state[0] is not raw:
            mf = MetricFilter.model_validate(_filter_document(raw))
            runtime = build_filter(mf, account=backend.account_id, region=_region(backend))
            state = cache[id(raw)] = (raw, _FilterState(runtime, {}))
        out.append(state[1])
    return out


def _region(backend) -> str:
    return getattr(backend, "region_name", None) or getattr(backend, "region", None)


def _filter_document(raw: dict) -> dict:
    doc = {
        "filterName": raw.get("filterName"),
        "filterPattern": raw.get("filterPattern") or "",
        "logGroupName": raw.get("logGroupName"),
        "metricTransformations": [_transformation(t) for t in raw.get("metricTransformations") or []],
    }
    return doc


def _transformation(t: Any) -> Any:
    if not isinstance(t, dict):
        return t
    out = dict(t)
    if isinstance(out.get("defaultValue"), int) and not isinstance(out.get("defaultValue"), bool):
        out["defaultValue"] = float(out["defaultValue"])
    if isinstance(out.get("defaultValue"), str):  # a query-string moto hands numbers over as text
        try:
            out["defaultValue"] = float(out["defaultValue"])
        except ValueError:
            pass
    return out


def _publish(stream, log_events: list[dict]) -> None:
    """Run the log group's metric filters over an accepted batch; publish to moto's CloudWatch."""
    from cwfilter.engine.events import LogEvent
    from cwfilter.engine.metrics.transform import NO_VALUE

    m = _moto()
    group = stream.log_group
    backend = m.logs_models.logs_backends[group.account_id][group.region]
    states = _runtime_filters(backend, group.name)
    if not states or not log_events:
        return
    cw = m.cw_models.cloudwatch_backends[group.account_id][group.region]
    datum_cls = m.cw_models.MetricDatum

    def put(f, dims, value: float, ts: int):
        datum = datum_cls(
            namespace=f.namespace, name=f.metric_name, value=float(value),
            dimensions=[{"Name": k, "Value": v} for k, v in dims], timestamp=_metric_time(ts), unit=f.unit,
        )
        cw.metric_data.append(datum)
        return datum

    for item in log_events:
        ts = int(item["timestamp"])
        ev = LogEvent(item["message"])  # decoded at most once, whatever the number of filters
        minute = ts - ts % MINUTE_MS
        for state in states:
            f = state.runtime
            matched = f.compiled.match_event(ev)
            if f.default_value is not None:
                if matched:
                    earlier = state.minutes.get(minute)
                    if earlier is not None:  # the minute has a match after all: no default
                        with contextlib.suppress(ValueError):
                            cw.metric_data.remove(earlier)
                    state.minutes[minute] = None
                elif minute not in state.minutes:
                    # Stamped in the minute's last millisecond, as `cwfilter run` does.
                    state.minutes[minute] = put(f, (), f.default_value, minute + MINUTE_MS - 1)
            if not matched:
                continue
            value = f.value_of(ev)
            if value is NO_VALUE:
                continue  # DECISIONS M3
            dims = f.dimensions_of(ev)
            if dims is NO_VALUE:
                continue  # DECISIONS M4
            put(f, dims, value, ts)


def _check_metric_filter(backend, filter_name, filter_pattern, log_group_name, transformations) -> None:
    from cwfilter.engine.config.native import iter_config_issues

    m = _moto()
    _compile(filter_pattern, metric_api=True)
    doc = {"metricFilters": [{
        "filterName": filter_name, "filterPattern": filter_pattern or "", "logGroupName": log_group_name,
        "metricTransformations": [_transformation(t) for t in transformations or []],
    }]}
    for issue in iter_config_issues(doc):
        if issue.is_error:
            raise m.logs_exceptions.InvalidParameterException(issue.message)
    if log_group_name not in backend.groups:
        raise m.logs_exceptions.ResourceNotFoundException("The specified log group does not exist.")


# --------------------------------------------------------------------------- TestMetricFilter


def _test_metric_filter_action(response) -> str:
    from cwfilter.engine.testing.metric_filter import test_metric_filter

    m = _moto()
    pattern = response._get_param("filterPattern")
    messages = response._get_param("logEventMessages")
    invalid = m.logs_exceptions.InvalidParameterException
    if pattern is None:
        raise invalid("1 validation error detected: Value null at 'filterPattern' failed to satisfy "
                      "constraint: Member must not be null")
    if len(pattern) > 1024:
        raise invalid(constraint="Member must have length less than or equal to 1024",
                      parameter="filterPattern", value=pattern)
    if not isinstance(messages, list) or not 1 <= len(messages) <= _TEST_MESSAGES_MAX:
        size = len(messages) if isinstance(messages, list) else 0
        bound = ("greater than or equal to 1" if size < 1
                 else f"less than or equal to {_TEST_MESSAGES_MAX}")
        raise invalid(constraint=f"Member must have length {bound}", parameter="logEventMessages",
                      value=messages)
    for message in messages:
        if not isinstance(message, str) or not message:
            raise invalid(constraint="Member must satisfy constraint: [Member must have length "
                                     "greater than or equal to 1]",
                          parameter="logEventMessages", value=messages)
    _compile(pattern, metric_api=True)
    return json.dumps(test_metric_filter(pattern, messages))


# --------------------------------------------------------------------------- alarms


_local = threading.local()


def _alarm_document(alarm) -> dict | None:
    """The PutMetricAlarm shape of a moto alarm, or None for metric math and composite alarms."""
    if getattr(alarm, "rule", None) or getattr(alarm, "metric_data_queries", None) or not alarm.metric_name:
        return None
    doc: dict[str, Any] = {
        "AlarmName": alarm.name,
        "Namespace": alarm.namespace,
        "MetricName": alarm.metric_name,
        "Dimensions": [{"Name": d.name, "Value": d.value} for d in alarm.dimensions or ()],
        "Period": int(alarm.period),
        "EvaluationPeriods": int(alarm.evaluation_periods),
        "Threshold": float(alarm.threshold),
        "ComparisonOperator": alarm.comparison_operator,
    }
    if alarm.datapoints_to_alarm not in (None, ""):
        doc["DatapointsToAlarm"] = int(alarm.datapoints_to_alarm)
    if alarm.statistic:
        doc["Statistic"] = alarm.statistic
    if alarm.extended_statistic:
        doc["ExtendedStatistic"] = alarm.extended_statistic
    if alarm.treat_missing_data:
        doc["TreatMissingData"] = alarm.treat_missing_data
    if alarm.unit:
        doc["Unit"] = alarm.unit
    low = getattr(alarm, "evaluate_low_sample_count_percentile", None)
    if low:
        doc["EvaluateLowSampleCountPercentile"] = low
    return doc


def _alarm_datapoints(cw, doc: dict, periods: list[tuple[int, int]]) -> list[dict]:
    """The alarm statistic of each evaluation period, from moto's stored metric data."""
    from cwfilter.engine.metrics.series import Aggregate

    dims = sorted((d["Name"], d["Value"]) for d in doc["Dimensions"])
    oldest = min(s for s, _ in periods)
    newest = max(e for _, e in periods)
    values: dict[int, Aggregate] = {}
    stats: dict[int, list] = {}
    unit = doc.get("Unit")
    for datum in list(cw.metric_data):
        if datum.namespace != doc["Namespace"] or datum.name != doc["MetricName"]:
            continue
        if sorted((d.name, d.value) for d in datum.dimensions) != dims:
            continue
        if unit and datum.unit != unit:
            continue
        ts = _ms(datum.timestamp)
        if not oldest <= ts < newest:
            continue
        start = next((s for s, e in periods if s <= ts < e), None)
        if start is None:
            continue
        if hasattr(datum, "value"):
            values.setdefault(start, Aggregate()).add(float(datum.value))
        else:  # a StatisticValues set
            stats.setdefault(start, []).append(datum)
    stat = doc.get("Statistic") or doc.get("ExtendedStatistic")
    out = []
    for start, _ in periods:
        agg = values.get(start)
        sets = stats.get(start)
        if sets:
            out.append(_with_statistic_sets(agg, sets, stat, start))
        elif agg is not None and agg.sample_count:
            out.append({"timestamp": start, "value": agg.statistic(stat), "sampleCount": agg.sample_count})
    return [p for p in out if p is not None]


def _with_statistic_sets(agg, sets: list, stat: str, start: int) -> dict | None:
    count = float(agg.sample_count) if agg is not None else 0.0
    total = float(agg.sum) if agg is not None and agg.sample_count else 0.0
    low = agg.minimum if agg is not None else float("inf")
    high = agg.maximum if agg is not None else float("-inf")
    for s in sets:
        count += float(s.sample_count)
        total += float(s.sum)
        low = min(low, float(s.min))
        high = max(high, float(s.max))
    value = {"SampleCount": count, "Sum": total, "Minimum": low, "Maximum": high,
             "Average": total / count if count else None}.get(stat)
    if value is None:
        return None  # percentiles need the values, which a statistic set does not carry
    return {"timestamp": start, "value": value, "sampleCount": count}


def _set_updated(alarm, at_ms: int) -> None:
    current = getattr(alarm, "state_updated_timestamp", None)
    t = _dt.datetime.fromtimestamp(at_ms / 1000, tz=_dt.UTC)
    if isinstance(current, str):  # moto 5.0 keeps ISO text with nanoseconds
        alarm.state_updated_timestamp = t.strftime("%Y-%m-%dT%H:%M:%S.%f000Z")
    elif isinstance(current, _dt.datetime) and current.tzinfo is not None:
        alarm.state_updated_timestamp = t
    else:
        alarm.state_updated_timestamp = t.replace(tzinfo=None)


def _history(alarm) -> list[dict]:
    return alarm.__dict__.setdefault("_cwfilter_history", [])


def _history_items(response) -> list[dict]:
    m = _moto()
    cw = m.cw_models.cloudwatch_backends[response.current_account][response.region]
    name = response._get_param("AlarmName")
    kind = response._get_param("HistoryItemType")
    start = response._get_param("StartDate")
    end = response._get_param("EndDate")
    scan = response._get_param("ScanBy") or "TimestampDescending"
    limit = response._get_param("MaxRecords")
    items: list[tuple[int, dict]] = []
    for alarm in list(cw.alarms.values()):
        if name and alarm.name != name:
            continue
        for ms, item in _history(alarm):
            if kind and item["HistoryItemType"] != kind:
                continue
            if start is not None and ms < _ms(start):
                continue
            if end is not None and ms > _ms(end):
                continue
            items.append((ms, item))
    items.sort(key=lambda p: p[0], reverse=scan != "TimestampAscending")
    if limit:
        items = items[: int(limit)]
    return [dict(item, Timestamp=_dt.datetime.fromtimestamp(ms / 1000, tz=_dt.UTC))
            for ms, item in items]


def _history_xml(items: list[dict]) -> str:
    from xml.sax.saxutils import escape

    members = []
    for item in items:
        fields = "".join(
            f"<{k}>{escape(v.strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3] + 'Z' if k == 'Timestamp' else str(v))}</{k}>"
            for k, v in item.items()
        )
        members.append(f"<member>{fields}</member>")
    return (
        '<DescribeAlarmHistoryResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">'
        f"<DescribeAlarmHistoryResult><AlarmHistoryItems>{''.join(members)}</AlarmHistoryItems>"
        "</DescribeAlarmHistoryResult>"
        f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
        "</DescribeAlarmHistoryResponse>"
    )


def _describe_alarm_history_action(response):
    m = _moto()
    items = _history_items(response)
    if m.action_result is not None:
        return m.action_result({"AlarmHistoryItems": items})
    return _history_xml(items)


# --------------------------------------------------------------------------- the patch


class MotoPatch(contextlib.ContextDecorator):
    """moto's CloudWatch Logs and CloudWatch backends with cwfilter's semantics (see the module).

    Use it as a context manager or a decorator, inside or around `moto.mock_aws` (or with moto's
    ``ThreadedMotoServer``): it changes moto's classes, so every backend of every account and
    Region is covered while it is active.

    Args:
        alarms: evaluate metric alarms with `advance_to` (they start in INSUFFICIENT_DATA).
    """

    def __init__(self, *, alarms: bool = False) -> None:
        self.alarms = alarms
        self._undo: list[Callable[[], None]] = []
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ activation

    def __enter__(self) -> Self:
        global _ACTIVE
        m = _moto()  # raises ImportError / MotoIncompatible before anything changes
        with _ACTIVE_LOCK:
            if _ACTIVE is not None:
                raise RuntimeError("cwfilter.moto.patch() is already active")
            _ACTIVE = self
        try:
            self._install(m)
        except BaseException:
            self._restore()
            with _ACTIVE_LOCK:
                _ACTIVE = None
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        global _ACTIVE
        self._restore()
        with _ACTIVE_LOCK:
            _ACTIVE = None

    def _set(self, owner: Any, name: str, value: Any) -> None:
        had = name in owner.__dict__
        old = owner.__dict__.get(name)
        setattr(owner, name, value)
        self._undo.append((lambda: setattr(owner, name, old)) if had else (lambda: delattr(owner, name)))

    def _restore(self) -> None:
        while self._undo:
            self._undo.pop()()

    def _install(self, m: _Moto) -> None:
        lm = m.logs_models
        lock = self._lock
        self._set(lm, "EventMessageFilter", _Matcher)

        backend = lm.LogsBackend
        original_filter = backend.filter_log_events

        @functools.wraps(original_filter)
        def filter_log_events(self, *args, **kwargs):
            bound = inspect.signature(original_filter).bind(self, *args, **kwargs)
            _compile(bound.arguments.get("filter_pattern"))  # even on an empty log group
            return original_filter(self, *args, **kwargs)

        self._set(backend, "filter_log_events", filter_log_events)

        original_live = getattr(backend, "start_live_tail", None)
        if original_live is not None:
            @functools.wraps(original_live)
            def start_live_tail(self, *args, **kwargs):
                bound = inspect.signature(original_live).bind(self, *args, **kwargs)
                _compile(bound.arguments.get("log_event_filter_pattern"))
                return original_live(self, *args, **kwargs)

            self._set(backend, "start_live_tail", start_live_tail)

        original_subscription = backend.put_subscription_filter

        @functools.wraps(original_subscription)
        def put_subscription_filter(self, *args, **kwargs):
            bound = inspect.signature(original_subscription).bind(self, *args, **kwargs)
            _compile(bound.arguments.get("filter_pattern"))
            return original_subscription(self, *args, **kwargs)

        self._set(backend, "put_subscription_filter", put_subscription_filter)

        original_put_filter = backend.put_metric_filter

        @functools.wraps(original_put_filter)
        def put_metric_filter(self, *args, **kwargs):
            bound = inspect.signature(original_put_filter).bind(self, *args, **kwargs)
            a = bound.arguments
            with lock:
                _check_metric_filter(self, a["filter_name"], a["filter_pattern"], a["log_group_name"],
                                     a["metric_transformations"])
                self.filters.delete_filter(a["filter_name"], a["log_group_name"])
                return original_put_filter(self, *args, **kwargs)

        self._set(backend, "put_metric_filter", put_metric_filter)

        stream = lm.LogStream
        original_put_events = stream.put_log_events

        @functools.wraps(original_put_events)
        def put_log_events(self, log_events, *args, **kwargs):
            with lock:  # one batch at a time: every datapoint is published exactly once
                token = original_put_events(self, log_events, *args, **kwargs)
                _publish(self, list(log_events))
                return token

        self._set(stream, "put_log_events", put_log_events)

        original_send = stream._send_log_events

        @functools.wraps(original_send)
        def _send_log_events(self, *args, **kwargs):
            bound = inspect.signature(original_send).bind(self, *args, **kwargs)
            a = bound.arguments
            subscription = self.log_group.subscription_filters.get(a["filter_name"])
            if subscription is not None:
                compiled = _compile(subscription.filter_pattern)
                kept = [e for e in a["log_events"] if compiled.matches(e["message"])]
                if not kept:
                    return None  # the service sends nothing for a batch without a match
                a["log_events"] = kept
            return original_send(*bound.args, **bound.kwargs)

        self._set(stream, "_send_log_events", _send_log_events)

        self._set(m.logs_responses.LogsResponse, "test_metric_filter", _test_metric_filter_action)

        cwb = m.cw_models.CloudWatchBackend
        original_statistics = cwb.get_metric_statistics
        statistics_cls = m.cw_models.Statistics

        @functools.wraps(original_statistics)
        def get_metric_statistics(self, *args, **kwargs):
            # moto starts its periods at the first datapoint; the service starts them at
            # StartTime rounded down to the minute (for data less than 15 days old).
            a = inspect.signature(original_statistics).bind(self, *args, **kwargs).arguments
            result = original_statistics(self, *args, **kwargs)
            data = [d for s in result for d in s.metric_data]
            if not data:
                return result
            base = a["start_time"].replace(second=0, microsecond=0)
            period = int(a["period"])
            buckets: dict[int, list] = {}
            for d in sorted(data, key=lambda d: d.timestamp):
                buckets.setdefault(int((d.timestamp - base).total_seconds()) // period, []).append(d)
            out = []
            for k in sorted(buckets):
                s = statistics_cls(a["stats"], base + _dt.timedelta(seconds=k * period))
                s.metric_data = buckets[k]
                s.unit = buckets[k][-1].unit
                out.append(s)
            return out

        self._set(cwb, "get_metric_statistics", get_metric_statistics)

        if self.alarms:
            self._install_alarms(m)

    def _install_alarms(self, m: _Moto) -> None:
        cwb = m.cw_models.CloudWatchBackend
        alarm_cls = m.alarm_cls
        original_put = cwb.put_metric_alarm
        lock = self._lock

        @functools.wraps(original_put)
        def put_metric_alarm(self, *args, **kwargs):
            bound = inspect.signature(original_put).bind(self, *args, **kwargs)
            name = bound.arguments.get("name")
            with lock:
                old = self.alarms.get(name)
                result = original_put(self, *args, **kwargs)
                new = self.alarms.get(name)
                if new is not None and new is not old:
                    if old is not None:  # an update keeps the state and history
                        for attr in ("state_value", "state_reason", "state_reason_data",
                                     "state_updated_timestamp", "_cwfilter_history", "_cwfilter_next"):
                            if attr in old.__dict__:
                                new.__dict__[attr] = old.__dict__[attr]
                    else:
                        new.state_value = "INSUFFICIENT_DATA"  # DECISIONS A7
                        new.__dict__["_cwfilter_created"] = _now_ms()
                return result

        self._set(cwb, "put_metric_alarm", put_metric_alarm)

        original_update = alarm_cls.update_state

        @functools.wraps(original_update)
        def update_state(self, reason, reason_data, state_value):
            from cwfilter.engine.alarms.notifications import Transition, history_item

            at = getattr(_local, "at", None)
            at_ms = _now_ms() if at is None else at
            old_state, old_reason = self.state_value, self.state_reason
            try:
                old_data = json.loads(self.state_reason_data) if self.state_reason_data else None
            except ValueError:
                old_data = None
            try:
                new_data = json.loads(reason_data) if reason_data else None
            except ValueError:
                new_data = None
            original_update(self, reason, reason_data, state_value)
            _set_updated(self, at_ms)
            if old_state != state_value:
                transition = Transition(
                    alarm_name=self.name, timestamp=at_ms, old_state=old_state, old_reason=old_reason,
                    old_reason_data=old_data, old_timestamp=None, new_state=state_value,
                    new_reason=reason, new_reason_data=new_data)
                _history(self).append((at_ms, history_item(transition)))

        self._set(alarm_cls, "update_state", update_state)
        self._set(m.cw_responses.CloudWatchResponse, "describe_alarm_history", _describe_alarm_history_action)

    # ------------------------------------------------------------------ alarms

    def advance_to(self, time: Any, *, start: Any = None) -> list[dict]:
        """Evaluate every metric alarm at each minute boundary up to `time` (DECISIONS A1).

        Each alarm continues from the boundary after its last evaluation. The first evaluation
        is at the first boundary at or after `start`, or else after the earlier of the alarm's
        creation and the oldest datapoint of its metric.

        Args:
            time: the last evaluation time: epoch milliseconds, a datetime (naive = UTC) or
                ISO-8601 text.
            start: where evaluations begin for alarms not evaluated yet.

        Returns:
            The DescribeAlarmHistory items of the state changes, oldest first.
        """
        if not self.alarms:
            raise RuntimeError("alarm evaluation is off: use cwfilter.moto.patch(alarms=True)")
        from cwfilter.engine.alarms.evaluate import evaluate_alarm, evaluation_periods, service_json

        m = _moto()
        until = _ms(time)
        begin = None if start is None else _ms(start)
        changes: list[tuple[int, dict]] = []
        with self._lock:
            for cw in _backends(m.cw_models.cloudwatch_backends):
                for alarm in list(cw.alarms.values()):
                    doc = _alarm_document(alarm)
                    if doc is None:
                        continue
                    step = 10_000 if doc["Period"] < 60 else MINUTE_MS
                    t = alarm.__dict__.get("_cwfilter_next")
                    if t is None:
                        origin = begin if begin is not None else self._origin(cw, alarm, doc)
                        t = -(-origin // step) * step
                    while t <= until:
                        periods = evaluation_periods(doc, t)
                        result = evaluate_alarm(doc, _alarm_datapoints(cw, doc, periods), t,
                                                prior_state=alarm.state_value)
                        if result.state != alarm.state_value:
                            before = len(_history(alarm))
                            _local.at = t
                            try:
                                alarm.update_state(result.reason, service_json(result.reason_data),
                                                   result.state)
                            finally:
                                _local.at = None
                            changes.extend(_history(alarm)[before:])
                        t += step
                    alarm.__dict__["_cwfilter_next"] = t
        changes.sort(key=lambda p: p[0])
        return [item for _, item in changes]

    @staticmethod
    def _origin(cw, alarm, doc: dict) -> int:
        created = alarm.__dict__.get("_cwfilter_created", _now_ms())
        times = [_ms(d.timestamp) for d in list(cw.metric_data)
                 if d.namespace == doc["Namespace"] and d.name == doc["MetricName"]]
        return min([created, *times])


def _backends(backend_dict) -> Iterator[Any]:
    """The backends moto has created, without creating the others."""
    for per_account in list(dict.values(backend_dict)):
        yield from list(dict.values(per_account))


_ACTIVE: MotoPatch | None = None
_ACTIVE_LOCK = threading.Lock()


def patch(*, alarms: bool = False) -> MotoPatch:
    """Make moto's CloudWatch Logs and CloudWatch behave like the service (see the module).

    Args:
        alarms: also evaluate metric alarms, with `MotoPatch.advance_to`.

    Returns:
        A `MotoPatch`, to use as a context manager or a decorator.

    Raises:
        ImportError: moto is not installed (install ``cwfilter[moto]``).
        MotoIncompatible: on entering, when the installed moto lacks a hook point.
    """
    _moto()
    return MotoPatch(alarms=alarms)
