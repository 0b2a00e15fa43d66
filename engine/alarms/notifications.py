"""Alarm transitions as the service reports them: a DescribeAlarmHistory item, an EventBridge
"CloudWatch Alarm State Change" event and an SNS notification message.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from .evaluate import (
    _SNS_DEFAULT_TREAT_MISSING,
    _SNS_STATISTIC,
    DEFAULT_ACCOUNT_ID,
    DEFAULT_REGION,
    REGION_NAMES,
    _alarm_period,
    _fmt_api_time,
    _fmt_service_time,
    _json_string,
    _Reason,
    _time_parts,
    _to_ms,
    _utc,
    service_json,
)

__all__ = [
    "Transition",
    "eventbridge_detail",
    "eventbridge_event",
    "history_item",
    "history_item_texts",
    "sns_message",
]


# --------------------------------------------------------------------------- transitions


_FIELDS = ("alarm_name", "timestamp", "old_state", "old_reason", "old_reason_data", "old_timestamp",
           "new_state", "new_reason", "new_reason_data", "alarm_type", "actions_suppressed_by",
           "actions_suppressed_reason")
_make = object.__new__


class Transition(_Reason):
    """One state change of an alarm, at `timestamp` (epoch ms).

    `old_timestamp` is when the old state was entered (None if unknown). For composite alarms
    `actions_suppressed_by` is ``Alarm``, ``WaitPeriod`` or ``ExtensionPeriod`` when the
    suppressor held back the actions of this transition.

    Read-only, compared and hashed by its fields like a frozen dataclass. The new state's reason
    of a metric alarm's evaluation is rendered when first read (the transition is its own
    `_Reason`; the old one is the previous transition's), the same text and data an eager
    evaluation gives.
    """

    __slots__ = ("_alarm_name", "_timestamp", "_old_state", "_old", "_old_timestamp", "_new_state",
                 "_alarm_type", "_suppressed_by", "_suppressed_reason")
    __match_args__ = _FIELDS

    def __init__(self, alarm_name: str, timestamp: int, old_state: str, old_reason: str | None,
                 old_reason_data: dict | None, old_timestamp: int | None, new_state: str,
                 new_reason: str, new_reason_data: dict | None, alarm_type: str = "MetricAlarm",
                 actions_suppressed_by: str | None = None,
                 actions_suppressed_reason: str | None = None) -> None:
        _Reason.__init__(self, new_reason, new_reason_data)
        self._alarm_name, self._timestamp, self._old_state = alarm_name, timestamp, old_state
        self._old, self._old_timestamp = _Reason(old_reason, old_reason_data), old_timestamp
        self._new_state, self._alarm_type = new_state, alarm_type
        self._suppressed_by, self._suppressed_reason = actions_suppressed_by, actions_suppressed_reason

    @classmethod
    def _of(cls, alarm_name: str, timestamp: int, old_state: str, old: _Reason, old_timestamp: int | None,
            new_state: str, spec: Any, decision: tuple | None, points: tuple | None) -> Transition:
        """A metric alarm's transition at `timestamp` whose reason is rendered when read, from its
        evaluation's `decision` or placed `points` (see `_Reason`); `old` is the reason of the
        state it leaves (the previous transition, or a given `_Reason`)."""
        self = _make(cls)
        self._alarm_name, self._timestamp, self._old_state = alarm_name, timestamp, old_state
        self._old, self._old_timestamp, self._new_state = old, old_timestamp, new_state
        self._alarm_type = "MetricAlarm"
        self._suppressed_by = self._suppressed_reason = None
        self._spec, self._at, self._decision, self._points = spec, timestamp, decision, points
        return self

    alarm_name = property(lambda self: self._alarm_name)
    timestamp = property(lambda self: self._timestamp)
    old_state = property(lambda self: self._old_state)
    old_timestamp = property(lambda self: self._old_timestamp)
    new_state = property(lambda self: self._new_state)
    alarm_type = property(lambda self: self._alarm_type)
    actions_suppressed_by = property(lambda self: self._suppressed_by)
    actions_suppressed_reason = property(lambda self: self._suppressed_reason)

    @property
    def old_reason(self) -> str | None:
        return self._old._rendered()[0]

    @property
    def old_reason_data(self) -> dict | None:
        return self._old._rendered()[1]

    @property
    def new_reason(self) -> str:
        return self._rendered()[0]

    @property
    def new_reason_data(self) -> dict | None:
        return self._rendered()[1]

    @property
    def time(self) -> datetime:
        """The transition time as a UTC `datetime`."""
        return _utc(self.timestamp)

    def _values(self) -> tuple:
        return (self._alarm_name, self._timestamp, self._old_state, *self._old._rendered(), self._old_timestamp,
                self._new_state, *self._rendered(), self._alarm_type, self._suppressed_by, self._suppressed_reason)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        return "Transition(" + ", ".join(f"{name}={value!r}" for name, value in zip(_FIELDS, self._values())) + ")"

    def __reduce__(self) -> tuple:
        return (Transition, self._values())


def _alarm_arn(name: str, account_id: str, region: str) -> str:
    return f"arn:aws:cloudwatch:{region}:{account_id}:alarm:{name}"


def history_item(transition: Transition) -> dict:
    """The DescribeAlarmHistory ``StateUpdate`` item for a transition (alarms.md §6)."""
    old_state, new_state = transition.old_state, transition.new_state
    old_reason = transition.old_reason
    new_reason, new_data = transition._rendered()
    # `service_json` of {"version": "1.0", "oldState": {"stateValue", "stateReason" unless None},
    # "newState": {"stateValue", "stateReason", "stateReasonData" unless None}}, written directly.
    history = ['{"version":"1.0","oldState":{"stateValue":', _value_json(old_state)]
    if old_reason is not None:
        history += ',"stateReason":', _value_json(old_reason)
    history += '},"newState":{"stateValue":', _value_json(new_state), ',"stateReason":', _value_json(new_reason)
    if new_data is not None:
        history += ',"stateReasonData":', service_json(new_data)
    history.append("}}")
    return {
        "AlarmName": transition.alarm_name,
        "AlarmType": transition.alarm_type,
        "Timestamp": _fmt_api_time(transition.timestamp),
        "HistoryItemType": "StateUpdate",
        "HistorySummary": f"Alarm updated from {old_state} to {new_state}",
        "HistoryData": "".join(history),
    }


def _escaped(text: str) -> str:
    """`text` as it reads inside a JSON string (what `_json_string` writes between the quotes).
    Escaping goes character by character, so the escaped parts of a text make the escaped text."""
    return _json_string(text)[1:-1]


_OLD_REASON = _escaped(',"stateReason":')
_NEW_DATA = _escaped(',"stateReasonData":')
_CLOSE = _escaped("}}")


def history_item_texts(transitions: Iterable[Transition], margin: str = "") -> Iterator[str]:
    """The `history_item` of each transition as ``json.dumps(item, indent=4, ensure_ascii=False)``
    writes it, every line after the first prefixed by `margin` (an item in a document's list):
    the same text, written directly.

    The HistoryData string is written escaped part by part: the parts that name the states once
    per pair of states, and a reason kept as placed points without rendering its data
    (`_Reason._texts`), remembered until it is read as the next transition's old reason.
    """
    enc = _json_string
    inner = ",\n" + margin + "    "
    tail = "\n" + margin + "}"
    heads: dict[tuple, str] = {}    # the text before the Timestamp, by alarm name and type
    states: dict[tuple, tuple] = {}  # the texts that name the states, by old and new state
    written: dict[int, tuple[Transition, str]] = {}  # by id(): escaped reasons written, not kept
    for tr in transitions:
        name, kind, old_state, new_state = tr._alarm_name, tr._alarm_type, tr._old_state, tr._new_state
        if (type(name) is not str or type(kind) is not str or type(old_state) is not str
                or type(new_state) is not str or type(tr._timestamp) is not int):
            text = json.dumps(history_item(tr), indent=4, ensure_ascii=False)
            yield text.replace("\n", "\n" + margin) if margin else text
            continue
        head = heads.get((name, kind))
        if head is None:
            head = heads[name, kind] = (f'{{\n{margin}    "AlarmName": {enc(name)}{inner}"AlarmType": {enc(kind)}'
                                        f'{inner}"Timestamp": ')
        named = states.get((old_state, new_state))
        if named is None:
            named = states[old_state, new_state] = (
                f'{inner}"HistoryItemType": "StateUpdate"{inner}"HistorySummary": '
                f'{enc(f"Alarm updated from {old_state} to {new_state}")}{inner}"HistoryData": "' +
                _escaped('{"version":"1.0","oldState":{"stateValue":' + enc(old_state)),
                _escaped('},"newState":{"stateValue":' + enc(new_state) + ',"stateReason":'))
        old = tr._old
        hit = written.pop(id(old), None)
        if hit is not None and hit[0] is old:
            old_text = hit[1]
        else:
            old_reason = old._rendered()[0]
            old_text = "" if old_reason is None else _OLD_REASON + _escaped(_value_json(old_reason))
        new_reason, data = tr._texts()
        new_text = _escaped(_value_json(new_reason))
        if tr._spec is not None:
            written[id(tr)] = (tr, _OLD_REASON + new_text)
        date, clock = _time_parts(tr._timestamp)  # (digits and separators: nothing to escape)
        if data is None:
            yield f'{head}"{date[0]}{clock[0]}Z"{named[0]}{old_text}{named[1]}{new_text}{_CLOSE}"{tail}'
        else:
            yield (f'{head}"{date[0]}{clock[0]}Z"{named[0]}{old_text}{named[1]}{new_text}{_NEW_DATA}'
                   f'{_escaped(data)}{_CLOSE}"{tail}')


def _value_json(value: Any) -> str:
    return _json_string(value) if type(value) is str else service_json(value)


def _event_state(value: str, reason: _Reason, timestamp: int | None) -> dict:
    state: dict[str, Any] = {"value": value}
    text, data = reason._texts()  # (the data as its JSON text)
    if text is not None:
        state["reason"] = text
    if data is not None:
        state["reasonData"] = data
    if timestamp is not None:
        state["timestamp"] = _fmt_service_time(timestamp)
    return state


def _dims_map(dims: Any) -> dict:
    if isinstance(dims, Mapping):
        return dict(dims)
    return {d["Name"]: d["Value"] for d in dims or () if isinstance(d, Mapping)}


def _dims_sns(dims: Any) -> list:
    return [{"value": v, "name": k} for k, v in _dims_map(dims).items()]


def _event_metric_stat(stat: Mapping) -> dict:
    metric = stat.get("Metric") or {}
    out: dict[str, Any] = {"metric": {}}
    if metric.get("Dimensions"):
        out["metric"]["dimensions"] = _dims_map(metric["Dimensions"])
    out["metric"]["name"] = metric.get("MetricName")
    out["metric"]["namespace"] = metric.get("Namespace")
    out["period"] = stat.get("Period")
    out["stat"] = stat.get("Stat")
    if stat.get("Unit") is not None:
        out["unit"] = stat["Unit"]
    return out


def _event_configuration(alarm: Mapping) -> dict:
    """The ``configuration`` object of an alarm state-change event (UG-EB samples)."""
    config: dict[str, Any] = {}
    if alarm.get("AlarmDescription") is not None:
        config["description"] = alarm["AlarmDescription"]
    if "AlarmRule" in alarm:
        config["alarmRule"] = alarm["AlarmRule"]
        for key in ("ActionsSuppressor", "ActionsSuppressorWaitPeriod",
                    "ActionsSuppressorExtensionPeriod"):
            if alarm.get(key) is not None:
                config[key[0].lower() + key[1:]] = alarm[key]
        return config
    metrics = []
    if alarm.get("Metrics") is not None:
        for query in alarm["Metrics"]:
            item: dict[str, Any] = {"id": query.get("Id")}
            if query.get("Expression") is not None:
                item["expression"] = query["Expression"]
            if query.get("Label") is not None:
                item["label"] = query["Label"]
            if query.get("MetricStat") is not None:
                item["metricStat"] = _event_metric_stat(query["MetricStat"])
            item["returnData"] = query.get("ReturnData", True)
            if query.get("Period") is not None:
                item["period"] = query["Period"]
            metrics.append(item)
    else:
        stat = {"Metric": {"MetricName": alarm.get("MetricName"), "Namespace": alarm.get("Namespace"),
                           "Dimensions": alarm.get("Dimensions")},
                "Period": alarm.get("Period"),
                "Stat": alarm.get("Statistic") or alarm.get("ExtendedStatistic"),
                "Unit": alarm.get("Unit")}
        # The service gives the single metric a generated UUID id; this one is derived from the
        # alarm name so that output is reproducible.
        metric_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"cwfilter:alarm:{alarm.get('AlarmName')}"))
        metrics.append({"id": metric_id, "metricStat": _event_metric_stat(stat), "returnData": True})
    config["metrics"] = metrics
    return config


def eventbridge_detail(alarm: Mapping, transition: Transition) -> dict:
    """The ``detail`` of a "CloudWatch Alarm State Change" event (alarms.md §6, UG-EB samples).

    `alarm` is the PutMetricAlarm- or PutCompositeAlarm-shaped configuration.
    """
    state = _event_state(transition.new_state, transition, transition.timestamp)
    if transition.actions_suppressed_by is not None:
        state["actionsSuppressedBy"] = transition.actions_suppressed_by
        state["actionsSuppressedReason"] = transition.actions_suppressed_reason
    previous = _event_state(transition.old_state, transition._old, transition.old_timestamp)
    return {"alarmName": transition.alarm_name, "state": state, "previousState": previous,
            "configuration": _event_configuration(alarm)}


def eventbridge_event(alarm: Mapping, transition: Transition, *,
                      account_id: str = DEFAULT_ACCOUNT_ID, region: str = DEFAULT_REGION) -> dict:
    """The whole EventBridge event around `eventbridge_detail` (id derived, not random)."""
    arn = _alarm_arn(transition.alarm_name, account_id, region)
    event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{arn}@{transition.timestamp}")
    return {
        "version": "0",
        "id": str(event_id),
        "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch",
        "account": account_id,
        "time": _utc(transition.timestamp).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [arn],
        "detail": eventbridge_detail(alarm, transition),
    }


def _sns_trigger(alarm: Mapping) -> dict:
    trigger: dict[str, Any] = {}
    spec_period = _alarm_period(alarm)
    if alarm.get("Metrics") is None:
        trigger["MetricName"] = alarm.get("MetricName")
        trigger["Namespace"] = alarm.get("Namespace")
        if alarm.get("ExtendedStatistic") is not None:
            trigger["StatisticType"] = "ExtendedStatistic"
            trigger["Statistic"] = alarm["ExtendedStatistic"]
        else:
            trigger["StatisticType"] = "Statistic"
            stat = alarm.get("Statistic")
            trigger["Statistic"] = _SNS_STATISTIC.get(stat, stat)
        trigger["Unit"] = alarm.get("Unit")
        trigger["Dimensions"] = _dims_sns(alarm.get("Dimensions"))
    trigger["Period"] = spec_period
    trigger["EvaluationPeriods"] = alarm.get("EvaluationPeriods")
    if alarm.get("DatapointsToAlarm") is not None:
        trigger["DatapointsToAlarm"] = alarm["DatapointsToAlarm"]
    trigger["ComparisonOperator"] = alarm.get("ComparisonOperator")
    threshold = alarm.get("Threshold")
    trigger["Threshold"] = None if threshold is None else float(threshold)
    if alarm.get("ThresholdMetricId") is not None:
        trigger["ThresholdMetricId"] = alarm["ThresholdMetricId"]
    trigger["TreatMissingData"] = alarm.get("TreatMissingData") or _SNS_DEFAULT_TREAT_MISSING
    trigger["EvaluateLowSampleCountPercentile"] = alarm.get("EvaluateLowSampleCountPercentile") or ""
    if alarm.get("Metrics") is not None:
        metrics = []
        for query in alarm["Metrics"]:
            item = dict(query)
            stat = item.get("MetricStat")
            if isinstance(stat, Mapping):
                stat = dict(stat)
                metric = dict(stat.get("Metric") or {})
                if "Dimensions" in metric:
                    metric["Dimensions"] = _dims_sns(metric["Dimensions"])
                stat["Metric"] = metric
                item["MetricStat"] = stat
            metrics.append(item)
        trigger["Metrics"] = metrics
    return trigger


def sns_message(alarm: Mapping, transition: Transition, *, account_id: str = DEFAULT_ACCOUNT_ID,
                region: str = DEFAULT_REGION, configuration_updated: Any = None) -> dict:
    """The alarm notification an SNS action publishes (the JSON in ``Sns.Message``), alarms.md §6.

    Keys follow the service's order (OBS 46314339023). `configuration_updated` fills
    ``AlarmConfigurationUpdatedTimestamp`` and is left out when None.
    """
    message: dict[str, Any] = {
        "AlarmName": transition.alarm_name,
        "AlarmDescription": alarm.get("AlarmDescription"),
        "AWSAccountId": account_id,
    }
    if configuration_updated is not None:
        message["AlarmConfigurationUpdatedTimestamp"] = _fmt_service_time(
            _to_ms(configuration_updated, "configuration_updated"))
    message.update({
        "NewStateValue": transition.new_state,
        "NewStateReason": transition.new_reason,
        "StateChangeTime": _fmt_service_time(transition.timestamp),
        "Region": REGION_NAMES.get(region, region),
        "AlarmArn": _alarm_arn(transition.alarm_name, account_id, region),
        "OldStateValue": transition.old_state,
        "OKActions": list(alarm.get("OKActions") or []),
        "AlarmActions": list(alarm.get("AlarmActions") or []),
        "InsufficientDataActions": list(alarm.get("InsufficientDataActions") or []),
    })
    if "AlarmRule" in alarm:
        message["AlarmRule"] = alarm["AlarmRule"]
    else:
        message["Trigger"] = _sns_trigger(alarm)
    return message


