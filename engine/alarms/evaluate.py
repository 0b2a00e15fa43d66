"""CloudWatch metric-alarm and composite-alarm evaluation: states, reasons, history and events.

The core is pure: `evaluate_alarm` takes a PutMetricAlarm-shaped alarm, the datapoints of its
evaluation periods and an evaluation time, and returns the state with the service's exact
StateReason text and StateReasonData (alarms.md §4–§6, DECISIONS A2–A11). `validate_alarm` lists
every configuration error of alarms.md §1. `evaluate_composite` decides a composite alarm's state
from an AlarmRule (parsed by ``cwfilter.grammar.alarm_rule``) and its children's states.

Around the core sit two small stateful evaluators for the streaming engine: `AlarmEvaluator` keeps
a metric alarm's state and its transitions, and `CompositeAlarmEvaluator` does the same for a
composite alarm, with action suppression. Transitions render as a DescribeAlarmHistory item, an
EventBridge "CloudWatch Alarm State Change" event and an SNS notification message.

Times are accepted as timezone-aware `datetime`, epoch milliseconds or ISO-8601 strings, and kept
internally as integer epoch milliseconds (UTC).
"""

from __future__ import annotations

import json
import math
import operator
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from ...grammar.alarm_rule import (
    AlarmRef,
    AlarmRule,
    And,
    AtLeast,
    Constant,
    Expr,
    Not,
    Or,
    StateCheck,
    alarm_name_of,
    iter_alarm_refs,
    parse_alarm_rule,
)
from ..errors import unknown_keys, unknown_parameter
from ..events import number_text

__all__ = [
    "ALARM",
    "INITIAL_REASON",
    "INSUFFICIENT_DATA",
    "OK",
    "STATES",
    "ActionRecord",
    "AlarmEvaluator",
    "AlarmResult",
    "CompositeAlarmEvaluator",
    "CompositeCycleError",
    "Datapoint",
    "Transition",
    "composite_evaluation_order",
    "evaluate_alarm",
    "evaluate_composite",
    "evaluate_composites",
    "evaluation_periods",
    "evaluation_range_size",
    "evaluation_times",
    "eventbridge_detail",
    "eventbridge_event",
    "history_item",
    "service_json",
    "sns_message",
    "validate_alarm",
]

# --------------------------------------------------------------------------- tables

OK = "OK"
ALARM = "ALARM"
INSUFFICIENT_DATA = "INSUFFICIENT_DATA"
STATES = (OK, ALARM, INSUFFICIENT_DATA)

# DECISIONS A7: the state and reason of a new alarm, before its first evaluation.
INITIAL_REASON = "Unchecked: Initial alarm creation"

DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"

# Static-threshold operators: the statistic is the left operand (alarms.md §5.3), and the words the
# reason text uses for each (alarms.md §6).
COMPARISON_OPERATORS: dict[str, tuple[Callable[[float, float], bool], str]] = {
    "GreaterThanOrEqualToThreshold": (operator.ge, "greater than or equal to"),
    "GreaterThanThreshold": (operator.gt, "greater than"),
    "LessThanThreshold": (operator.lt, "less than"),
    "LessThanOrEqualToThreshold": (operator.le, "less than or equal to"),
}

# Anomaly-detection operators compare with the band of each period: (uses lower, uses upper).
ANOMALY_OPERATORS: dict[str, tuple[bool, bool]] = {
    "LessThanLowerOrGreaterThanUpperThreshold": (True, True),
    "LessThanLowerThreshold": (True, False),
    "GreaterThanUpperThreshold": (False, True),
}

TREAT_MISSING_DATA = ("breaching", "notBreaching", "ignore", "missing")
# How the reason text names a filled point (alarms.md §6).
_FILL_WORD = {"breaching": "Breaching", "notBreaching": "NonBreaching"}

STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
# SNS notifications spell the statistic as the Java enum constant (OBS 46314339023: "SUM").
_SNS_STATISTIC = {"SampleCount": "SAMPLE_COUNT", "Average": "AVERAGE", "Sum": "SUM",
                  "Minimum": "MINIMUM", "Maximum": "MAXIMUM"}

STANDARD_UNITS = (
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
    "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
    "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second",
    "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second",
    "Count/Second", "None",
)

# SNS notifications name the Region in words (OBS 46314339023: "EU (Ireland)").
REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)", "us-west-2": "US West (Oregon)",
    "af-south-1": "Africa (Cape Town)", "ap-east-1": "Asia Pacific (Hong Kong)",
    "ap-south-1": "Asia Pacific (Mumbai)", "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-northeast-2": "Asia Pacific (Seoul)", "ap-northeast-3": "Asia Pacific (Osaka)",
    "ap-southeast-1": "Asia Pacific (Singapore)", "ap-southeast-2": "Asia Pacific (Sydney)",
    "ca-central-1": "Canada (Central)", "eu-central-1": "EU (Frankfurt)",
    "eu-west-1": "EU (Ireland)", "eu-west-2": "EU (London)", "eu-west-3": "EU (Paris)",
    "eu-north-1": "EU (Stockholm)", "eu-south-1": "EU (Milan)",
    "me-south-1": "Middle East (Bahrain)", "sa-east-1": "South America (Sao Paulo)",
}

# The SNS Trigger shows this text, not "missing", when the alarm leaves TreatMissingData unset
# (aws-lambda-go testdata cloudwatch-alarm-sns-payload-*.json, copied in tests/data/corpus/alarms).
_SNS_DEFAULT_TREAT_MISSING = "- TreatMissingData:                    missing"

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")

_HIGH_RESOLUTION_PERIODS = (10, 20, 30)
_MINUTE_MS = 60_000
_TEN_SECONDS_MS = 10_000


# --------------------------------------------------------------------------- numbers and JSON


def _java_double(value: float) -> str:
    """A double as Java's ``Double.toString`` prints it, DECISIONS A6 (see `events.number_text`)."""
    return number_text(float(value))


def service_json(value: Any) -> str:
    """Serialise to compact JSON the way the service writes StateReasonData and HistoryData.

    Floats are written as Java writes doubles (`1.0`, `63.0`, `1.0E7`), integers as integers,
    and non-ASCII text is left unescaped.
    """
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _java_double(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{json.dumps(str(k), ensure_ascii=False)}:{service_json(v)}"
                              for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(service_json(v) for v in value) + "]"
    raise TypeError(f"cannot serialise {type(value).__name__} to JSON")


# --------------------------------------------------------------------------- time


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _to_ms(value: Any, what: str = "timestamp") -> int:
    """Epoch milliseconds from a `datetime`, a number of epoch milliseconds or an ISO-8601 string.

    A naive `datetime`, or a string without an offset, is read as UTC.
    """
    if isinstance(value, bool):
        raise TypeError(f"{what}: expected a datetime, epoch milliseconds or ISO-8601 text, got bool")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{what}: {value!r} is not a time")
        return int(math.floor(value))
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{what}: {value!r} is not an ISO-8601 time") from None
        return _to_ms(parsed, what)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return (value - _EPOCH) // timedelta(milliseconds=1)
    raise TypeError(f"{what}: expected a datetime, epoch milliseconds or ISO-8601 text, "
                    f"got {type(value).__name__}")


def _utc(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


def _fmt_reason_time(ms: int) -> str:
    """``dd/MM/yy HH:mm:ss`` in UTC, as datapoints appear in StateReason."""
    return _utc(ms).strftime("%d/%m/%y %H:%M:%S")


def _fmt_service_time(ms: int) -> str:
    """``yyyy-MM-dd'T'HH:mm:ss.SSS+0000``, as in StateReasonData, events and SNS messages."""
    return _utc(ms).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}+0000"


def _fmt_api_time(ms: int) -> str:
    """``yyyy-MM-ddTHH:mm:ss.SSSZ``, as the API returns timestamps (DescribeAlarmHistory)."""
    return _utc(ms).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _fmt_composite_time(ms: int) -> str:
    """``Friday 22 July, 2022 15:57:45 UTC``, as composite-alarm reasons write times (UG-EB)."""
    dt = _utc(ms)
    return (f"{_WEEKDAYS[dt.weekday()]} {dt.day:02d} {_MONTHS[dt.month - 1]}, {dt.year} "
            f"{dt:%H:%M:%S} UTC")


# --------------------------------------------------------------------------- alarm shape


@dataclass(frozen=True, slots=True)
class _Spec:
    """What evaluation needs from a PutMetricAlarm-shaped mapping."""

    period: int
    n: int                      # EvaluationPeriods
    m: int                      # DatapointsToAlarm, or N when unset
    m_set: bool                 # DatapointsToAlarm given: changes the reason wording (alarms.md §6)
    threshold: float | None
    operator: str | None
    treatment: str
    statistic: str | None       # reason data "statistic" (absent for metric-math alarms)
    unit: str | None
    anomaly: bool
    low_sample_minimum: Fraction | None   # alarms.md §5.6, with EvaluateLowSampleCountPercentile=ignore


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _returned_query(metrics: Sequence[Mapping], threshold_id: str | None) -> Mapping | None:
    returned = [q for q in metrics if isinstance(q, Mapping) and q.get("ReturnData", True)
                and q.get("Id") != threshold_id]
    return returned[0] if returned else None


def _query_period(query: Mapping) -> Any:
    if query.get("Period") is not None:
        return query["Period"]
    stat = query.get("MetricStat")
    return stat.get("Period") if isinstance(stat, Mapping) else None


def _alarm_period(alarm: Mapping) -> Any:
    """Period of the alarm: top-level Period, else the period of its returned metric query."""
    if alarm.get("Period") is not None:
        return alarm["Period"]
    metrics = alarm.get("Metrics")
    if isinstance(metrics, Sequence) and not isinstance(metrics, str):
        chosen = _returned_query(metrics, alarm.get("ThresholdMetricId"))
        candidates = ([chosen] if chosen else []) + [q for q in metrics if isinstance(q, Mapping)]
        for query in candidates:
            period = _query_period(query)
            if period is not None:
                return period
    return None


_PERCENTILE_RE = re.compile(r"p(\d{1,3}(?:\.\d{1,10})?)")


def _low_sample_minimum(alarm: Mapping) -> Fraction | None:
    """Sample count below which a percentile alarm with ``ignore`` keeps its state (alarms.md §5.6)."""
    if alarm.get("EvaluateLowSampleCountPercentile") != "ignore":
        return None
    match = _PERCENTILE_RE.fullmatch(str(alarm.get("ExtendedStatistic") or ""))
    if not match:
        return None
    # Exact arithmetic: 10 / (1 - 0.9) must be 100, not 100.00000000000001.
    q = Fraction(match.group(1)) / 100
    # The docs define the minimum for 0 < p < 1 only: 10/(1-p) from p0.5 up, 10/p below.
    if Fraction(1, 2) <= q < 1:
        return 10 / (1 - q)
    if 0 < q < Fraction(1, 2):
        return 10 / q
    return None


def _spec(alarm: Mapping) -> _Spec:
    if not isinstance(alarm, Mapping):
        raise TypeError(f"an alarm must be a mapping, not {type(alarm).__name__}")
    period = _alarm_period(alarm)
    if not _is_int(period) or period < 1:
        raise ValueError(f"alarm Period must be a positive whole number of seconds, got {period!r}")
    if period not in _HIGH_RESOLUTION_PERIODS and period % 60:
        # DECISIONS A2: other periods are rejected.
        raise ValueError(f"Period must be 10, 20, 30 or a multiple of 60 (got {period})")
    n = alarm.get("EvaluationPeriods")
    if not _is_int(n) or n < 1:
        raise ValueError(f"alarm EvaluationPeriods must be a whole number of at least 1, got {n!r}")
    m_raw = alarm.get("DatapointsToAlarm")
    m = n if m_raw is None else m_raw
    if not _is_int(m) or not 1 <= m <= n:
        raise ValueError(f"DatapointsToAlarm must be a whole number from 1 to EvaluationPeriods "
                         f"({n}), got {m_raw!r}")
    op = alarm.get("ComparisonOperator")
    if op is not None and op not in COMPARISON_OPERATORS and op not in ANOMALY_OPERATORS:
        raise ValueError(f"unknown ComparisonOperator {op!r}")
    anomaly = op in ANOMALY_OPERATORS or alarm.get("ThresholdMetricId") is not None
    if anomaly and op in COMPARISON_OPERATORS:
        raise ValueError(f"an anomaly detection alarm (ThresholdMetricId) cannot use {op}")
    threshold = alarm.get("Threshold")
    if threshold is not None and not _is_number(threshold):
        raise ValueError(f"alarm Threshold must be a number, got {threshold!r}")
    treatment = alarm.get("TreatMissingData")
    if treatment is None:
        # DECISIONS A11: an AWS/DynamoDB alarm that sets no TreatMissingData behaves as `ignore`.
        is_math = alarm.get("Metrics") is not None
        treatment = "ignore" if alarm.get("Namespace") == "AWS/DynamoDB" and not is_math else "missing"
    elif treatment not in TREAT_MISSING_DATA:
        raise ValueError(f"unknown TreatMissingData {treatment!r}")
    # DECISIONS A10: Statistic, else ExtendedStatistic; absent for metric-math alarms.
    statistic = None
    if alarm.get("Metrics") is None:
        statistic = alarm.get("Statistic") or alarm.get("ExtendedStatistic")
    return _Spec(
        period=period, n=n, m=m, m_set=m_raw is not None,
        threshold=None if threshold is None else float(threshold),
        operator=op, treatment=treatment, statistic=statistic, unit=alarm.get("Unit"),
        anomaly=anomaly, low_sample_minimum=_low_sample_minimum(alarm),
    )


# --------------------------------------------------------------------------- periods


def evaluation_range_size(evaluation_periods: int) -> int:
    """Number of periods fetched for one evaluation: N + max(⌊N/3⌋, 2) (DECISIONS A3)."""
    return evaluation_periods + max(evaluation_periods // 3, 2)


def _step_ms(period: int) -> int:
    # DECISIONS A1/A2: 10-second cadence and boundaries for 10/20/30 s periods, else one minute.
    return _TEN_SECONDS_MS if period in _HIGH_RESOLUTION_PERIODS else _MINUTE_MS


def _period_of(alarm_or_period: Mapping | int) -> int:
    return alarm_or_period if _is_int(alarm_or_period) else _spec(alarm_or_period).period


def evaluation_periods(alarm: Mapping, at: Any) -> list[tuple[int, int]]:
    """The periods one evaluation at `at` looks at, newest first (DECISIONS A2, A3).

    Returns:
        ``(start_ms, end_ms)`` pairs, half-open. The newest ends at the minute boundary at or
        before `at` (the 10-second boundary for 10/20/30 s periods); each earlier one steps back by
        Period. There are ``evaluation_range_size(EvaluationPeriods)`` of them.
    """
    spec = _spec(alarm)
    return _periods(spec, _to_ms(at, "evaluation time"))


def _periods(spec: _Spec, at_ms: int) -> list[tuple[int, int]]:
    step = _step_ms(spec.period)
    end = at_ms - at_ms % step
    p = spec.period * 1000
    return [(end - i * p, end - (i - 1) * p) for i in range(1, evaluation_range_size(spec.n) + 1)]


def evaluation_times(alarm_or_period: Mapping | int, first: Any, last: Any) -> Iterator[int]:
    """Evaluation times (epoch ms) from the first event through the first boundary after the last.

    DECISIONS A1: every minute boundary, or every 10 seconds for 10/20/30 s periods; the first
    time is the first boundary at or after `first`, the last one the first boundary strictly after
    `last`.
    """
    step = _step_ms(_period_of(alarm_or_period))
    first_ms, last_ms = _to_ms(first, "first"), _to_ms(last, "last")
    t = -(-first_ms // step) * step
    stop = last_ms - last_ms % step + step
    while t <= stop:
        yield t
        t += step


# --------------------------------------------------------------------------- datapoints


@dataclass(frozen=True, slots=True)
class Datapoint:
    """The statistic of one period: its timestamp (epoch ms), value or None when missing.

    `sample_count` is reported in StateReasonData when known; `lower`/`upper` are the anomaly
    band of the period for anomaly-detection alarms.
    """

    timestamp: int
    value: float | None
    sample_count: float | None = None
    lower: float | None = None
    upper: float | None = None


def _opt_number(value: Any, what: str) -> float | None:
    if value is None:
        return None
    if not _is_number(value) or not math.isfinite(value):
        raise ValueError(f"datapoint {what} must be a finite number or None, got {value!r}")
    return float(value)


def _datapoint(item: Any) -> Datapoint:
    """Accept a `Datapoint`, a ``(timestamp, value)`` pair or a mapping (DECISIONS A8)."""
    if isinstance(item, Datapoint):
        return item
    if isinstance(item, Mapping):
        if "timestamp" not in item:
            raise ValueError(f"datapoint without a timestamp: {item!r}")
        sample_count = item.get("sampleCount", item.get("sample_count"))
        return Datapoint(_to_ms(item["timestamp"]), _opt_number(item.get("value"), "value"),
                         _opt_number(sample_count, "sampleCount"),
                         _opt_number(item.get("lower"), "lower"),
                         _opt_number(item.get("upper"), "upper"))
    if isinstance(item, Sequence) and not isinstance(item, str) and len(item) == 2:
        return Datapoint(_to_ms(item[0]), _opt_number(item[1], "value"))
    raise TypeError(f"a datapoint is a (timestamp, value) pair or a mapping, got {item!r}")


def _slot(points: Iterable[Datapoint], spec: _Spec, at_ms: int) -> dict[int, Datapoint]:
    """Place each datapoint in its evaluation period; position 1 is the newest (DECISIONS A8)."""
    periods = _periods(spec, at_ms)
    newest_end, oldest_start = periods[0][1], periods[-1][0]
    p = spec.period * 1000
    slots: dict[int, Datapoint] = {}
    for dp in points:
        if dp.timestamp >= newest_end or dp.timestamp < oldest_start:
            continue  # still-open period, after the evaluation time, or older than the range
        pos = (newest_end - dp.timestamp - 1) // p + 1
        if pos in slots:
            start = periods[pos - 1][0]
            raise ValueError(f"two datapoints in the period starting {_fmt_service_time(start)}: "
                             f"{_fmt_service_time(slots[pos].timestamp)} and "
                             f"{_fmt_service_time(dp.timestamp)}")
        slots[pos] = dp
    return slots


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True, slots=True)
class AlarmResult:
    """The outcome of one evaluation.

    `reason` is the exact StateReason text and `reason_data` the StateReasonData object, or both
    None when the alarm keeps its prior state (DECISIONS A9).
    """

    state: str
    reason: str | None
    reason_data: dict | None


@dataclass(frozen=True, slots=True)
class _Point:
    """A point the decision used: a real datapoint, or a filled one (dp is None)."""

    pos: int
    timestamp: int
    dp: Datapoint | None
    breaching: bool


def _breaches(spec: _Spec, dp: Datapoint) -> bool:
    value = dp.value
    if spec.anomaly:
        if spec.operator is None:
            raise ValueError("an anomaly-detection alarm needs a ComparisonOperator")
        uses_lower, uses_upper = ANOMALY_OPERATORS[spec.operator]
        if (uses_lower and dp.lower is None) or (uses_upper and dp.upper is None):
            raise ValueError(f"the datapoint at {_fmt_service_time(dp.timestamp)} has no anomaly "
                             f"band (lower/upper) for {spec.operator}")
        return (uses_lower and value < dp.lower) or (uses_upper and value > dp.upper)
    if spec.operator is None:
        raise ValueError("the alarm has no ComparisonOperator")
    if spec.threshold is None:
        raise ValueError("the alarm has no Threshold")
    return COMPARISON_OPERATORS[spec.operator][0](value, spec.threshold)


_KEEP = object()  # the A4 "prior state" outcome


def _decide(spec: _Spec, slots: dict[int, Datapoint], periods: list[tuple[int, int]]):
    """DECISIONS A4. Returns (state or _KEEP, real points used, filled points)."""
    n, m, treatment = spec.n, spec.m, spec.treatment
    real = [_Point(pos, dp.timestamp, dp, _breaches(spec, dp))
            for pos, dp in sorted(slots.items()) if dp.value is not None]  # newest first

    def fill(count: int, breaching: bool) -> list[_Point]:
        # Filled points occupy the newest missing periods (DECISIONS A10).
        taken = {pt.pos for pt in real}
        free = [pos for pos in range(1, len(periods) + 1) if pos not in taken][:count]
        return [_Point(pos, periods[pos - 1][0], None, breaching) for pos in free]

    # (1) No real datapoint in the range.
    if not real:
        if treatment == "missing":
            return INSUFFICIENT_DATA, [], []
        if treatment == "ignore":
            return _KEEP, [], []
        filled = fill(n, treatment == "breaching")
        return (ALARM if treatment == "breaching" else OK), [], filled
    # (2) At least N real points: the N newest decide; TreatMissingData is not used.
    if len(real) >= n:
        used = real[:n]
        return (ALARM if sum(pt.breaching for pt in used) >= m else OK), used, []
    # (3) Fewer than N, breaching/notBreaching: fill the gap to N with bad/good points.
    if treatment in ("breaching", "notBreaching"):
        filled = fill(n - len(real), treatment == "breaching")
        bad = sum(pt.breaching for pt in real) + sum(pt.breaching for pt in filled)
        return (ALARM if bad >= m else OK), real, filled
    # (4) Fewer than N, missing/ignore.
    bad = sum(pt.breaching for pt in real)
    if bad >= m:
        return ALARM, real, []
    if bad == len(real):
        if real[-1].pos >= m:
            # The documented premature-alarm rule: the oldest breaching point is at least M
            # periods old and everything newer is breaching or missing.
            return (ALARM if treatment == "missing" else _KEEP), real, []
        return _KEEP, real, []  # too early to tell
    return OK, real, []


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _was(count: int) -> str:
    return "was" if count == 1 else "were"


def _reason(spec: _Spec, state: str, real: list[_Point], filled: list[_Point]) -> str:
    """StateReason text, alarms.md §6 and DECISIONS A6."""
    n = spec.n
    if state == INSUFFICIENT_DATA:
        return f"Insufficient Data: {_plural(n, 'datapoint')} {_was(n)} unknown."
    if not real:
        word = _FILL_WORD[spec.treatment]
        return (f"Threshold Crossed: no datapoints were received for {_plural(n, 'period')} and "
                f"{_plural(n, 'missing datapoint')} {_was(n)} treated as [{word}].")
    alarm = state == ALARM
    # DECISIONS A6: only the evaluated real points of the resulting state's kind, newest first.
    listed = [pt for pt in real if pt.breaching == alarm]
    shown = ", ".join(f"{_java_double(pt.dp.value)} ({_fmt_reason_time(pt.timestamp)})"
                      for pt in listed)
    if spec.anomaly:
        uses_lower, uses_upper = ANOMALY_OPERATORS[spec.operator]
        neg = "" if alarm else "not "
        parts = []
        if uses_lower:
            lows = ", ".join(_java_double(pt.dp.lower) for pt in listed)
            parts.append(f"{neg}less than the lower thresholds [{lows}]")
        if uses_upper:
            ups = ", ".join(_java_double(pt.dp.upper) for pt in listed)
            parts.append(f"{neg}greater than the upper thresholds [{ups}]")
        prefix, condition = "Thresholds Crossed: ", " or ".join(parts)
    else:
        words = COMPARISON_OPERATORS[spec.operator][1]
        neg = "" if alarm else "not "
        prefix = "Threshold Crossed: "
        condition = f"{neg}{words} the threshold ({_java_double(spec.threshold)})"
    fill_text = ""
    if filled:
        k = len(filled)
        fill_text = (f" and {_plural(k, 'missing datapoint')} {_was(k)} treated as "
                     f"[{_FILL_WORD[spec.treatment]}]")
    count = len(listed)
    if not spec.m_set:
        # DatapointsToAlarm unset: the short form (OBS 11473015650, 19469654884).
        return (f"{prefix}{_plural(count, 'datapoint')} [{shown}] {_was(count)} {condition}"
                f"{fill_text}.")
    minimum = spec.m if alarm else spec.n - spec.m + 1  # alarms.md §5.4
    transition = "OK -> ALARM" if alarm else "ALARM -> OK"
    return (f"{prefix}{count} out of the last {n} datapoints [{shown}] {_was(count)} {condition}"
            f"{fill_text} (minimum {_plural(minimum, 'datapoint')} for {transition} transition).")


def _reason_data(spec: _Spec, state: str, at_ms: int, real: list[_Point], filled: list[_Point],
                 periods: list[tuple[int, int]]) -> dict:
    """StateReasonData, keys in the service's order (alarms.md §6, DECISIONS A10)."""
    oldest_first = list(reversed(real))
    data: dict[str, Any] = {"version": "1.0", "queryDate": _fmt_service_time(at_ms)}
    if oldest_first:
        data["startDate"] = _fmt_service_time(oldest_first[0].timestamp)
    if spec.unit is not None:
        data["unit"] = spec.unit
    if spec.statistic is not None:
        data["statistic"] = spec.statistic
    data["period"] = spec.period
    data["recentDatapoints"] = [pt.dp.value for pt in oldest_first]
    if spec.anomaly:
        uses_lower, uses_upper = ANOMALY_OPERATORS.get(spec.operator, (True, True))
        if uses_lower:
            data["recentLowerThresholds"] = [pt.dp.lower for pt in oldest_first]
        if uses_upper:
            data["recentUpperThresholds"] = [pt.dp.upper for pt in oldest_first]
    elif spec.threshold is not None:
        data["threshold"] = spec.threshold
    if state == INSUFFICIENT_DATA or not real:
        # The N newest period starts, timestamps only.
        evaluated = [{"timestamp": _fmt_service_time(periods[i][0])} for i in range(spec.n)]
    else:
        combined = sorted(real + filled, key=lambda pt: pt.pos)
        if state == ALARM:
            chosen = [pt for pt in combined if pt.breaching][: spec.m]
        else:
            chosen = [pt for pt in combined if not pt.breaching][: spec.n - spec.m + 1]
        evaluated = []
        for pt in chosen:
            entry: dict[str, Any] = {"timestamp": _fmt_service_time(pt.timestamp)}
            if pt.dp is not None:
                if pt.dp.sample_count is not None:
                    entry["sampleCount"] = pt.dp.sample_count
                entry["value"] = pt.dp.value
            evaluated.append(entry)
    data["evaluatedDatapoints"] = evaluated
    return data


def _check_state(state: str | None, what: str) -> None:
    if state is not None and state not in STATES:
        raise ValueError(f"{what} must be one of {', '.join(STATES)} or None, got {state!r}")


def _evaluate(spec: _Spec, points: Iterable[Datapoint], at_ms: int,
              prior_state: str | None) -> AlarmResult:
    periods = _periods(spec, at_ms)
    return _result(spec, _decision(spec, points, at_ms, periods), at_ms, periods, prior_state)


def _decision(spec: _Spec, points: Iterable[Datapoint], at_ms: int, periods: list[tuple[int, int]]):
    """The state one evaluation decides (or _KEEP), with the points its reason would cite."""
    slots = _slot(points, spec, at_ms)
    state, real, filled = _decide(spec, slots, periods)
    if state is not _KEEP and state != INSUFFICIENT_DATA and spec.low_sample_minimum is not None:
        # alarms.md §5.6: with EvaluateLowSampleCountPercentile=ignore, a percentile alarm keeps
        # its state while a datapoint it would judge on has too few samples.
        if any(pt.dp.sample_count is not None and pt.dp.sample_count < spec.low_sample_minimum
               for pt in real):
            state = _KEEP
    return state, real, filled


def _result(spec: _Spec, decision, at_ms: int, periods: list[tuple[int, int]],
            prior_state: str | None) -> AlarmResult:
    """The `AlarmResult` of a decision: reason text and data built here, and only here."""
    state, real, filled = decision
    if state is _KEEP:
        # DECISIONS A9: no reason; with no prior state, the initial state and reason (A7).
        if prior_state is None:
            return AlarmResult(INSUFFICIENT_DATA, INITIAL_REASON, None)
        return AlarmResult(prior_state, None, None)
    return AlarmResult(state, _reason(spec, state, real, filled),
                       _reason_data(spec, state, at_ms, real, filled, periods))


def evaluate_alarm(alarm: Mapping, datapoints: Iterable, at: Any,
                   prior_state: str | None = None) -> AlarmResult:
    """Evaluate a metric alarm once.

    Args:
        alarm: PutMetricAlarm-shaped mapping (PascalCase keys: Period or Metrics,
            EvaluationPeriods, DatapointsToAlarm, Threshold, ComparisonOperator, TreatMissingData,
            Statistic/ExtendedStatistic, Unit, Namespace, EvaluateLowSampleCountPercentile,
            ThresholdMetricId ...).
        datapoints: one per period: ``(timestamp, value)`` pairs, mappings with ``timestamp``,
            ``value`` and optionally ``sampleCount``, ``lower``, ``upper``, or `Datapoint`s. A
            None value is a missing period. Points outside the evaluation range are ignored.
        at: the evaluation time.
        prior_state: the state before this evaluation, or None for a new alarm.

    Returns:
        The `AlarmResult`: state, exact StateReason and StateReasonData (DECISIONS A2–A11).

    Raises:
        ValueError: two datapoints fall in one evaluation period (DECISIONS A8), the alarm lacks
            what evaluation needs (Period, EvaluationPeriods; an operator or threshold once a
            real point must be compared), or a value is not a number.
    """
    _check_state(prior_state, "prior_state")
    spec = _spec(alarm)
    return _evaluate(spec, [_datapoint(item) for item in datapoints],
                     _to_ms(at, "evaluation time"), prior_state)


# --------------------------------------------------------------------------- validation

# The members of each request section, in the API's order (what the AWS clients list for a key
# they do not know).
_METRIC_ALARM_KEYS = (
    "AlarmName", "AlarmDescription", "ActionsEnabled", "OKActions", "AlarmActions",
    "InsufficientDataActions", "MetricName", "Namespace", "Statistic", "ExtendedStatistic",
    "Dimensions", "Period", "Unit", "EvaluationPeriods", "DatapointsToAlarm", "Threshold",
    "ComparisonOperator", "TreatMissingData", "EvaluateLowSampleCountPercentile", "Metrics", "Tags",
    "ThresholdMetricId", "EvaluationCriteria", "EvaluationInterval",
)
_METRIC_STAT_KEYS = ("Metric", "Period", "Stat", "Unit")
_METRIC_KEYS = ("Namespace", "MetricName", "Dimensions")
_DIMENSION_KEYS = ("Name", "Value")
_TAG_KEYS = ("Key", "Value")
_METRICS_EXCLUDES = ("MetricName", "Namespace", "Dimensions", "Period", "Unit", "Statistic",
                     "ExtendedStatistic")
_QUERY_KEYS = ("Id", "MetricStat", "Expression", "Label", "ReturnData", "Period", "AccountId")


def _unknown(errors: list, section: Mapping, here: str, allowed: Sequence[str], what: str) -> None:
    for key in unknown_keys(section, allowed):
        path = f"{here}.{key}" if here else str(key)
        errors.append((path, unknown_parameter(here or "input", key, allowed, what)))
_QUERY_ID_RE = re.compile(r"[a-z][A-Za-z0-9_]*")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_EXTENDED_SHORT_RE = re.compile(r"(p|tm|tc|ts|wm)(\d{1,3}(?:\.\d{1,10})?)")
_EXTENDED_RANGE_RE = re.compile(r"(TM|WM|TC|TS)\((\d{1,3}(?:\.\d{1,10})?)%:(\d{1,3}(?:\.\d{1,10})?)%\)")
_PR_RE = re.compile(r"PR\(([-+]?\d+(?:\.\d+)?)?:([-+]?\d+(?:\.\d+)?)?\)")
_ANOMALY_BAND_RE = re.compile(r"\s*ANOMALY_DETECTION_BAND\s*\(")


def _extended_statistic_ok(text: str) -> bool:
    """Accepted forms for alarms: p90, tm90, tc90, ts90, wm90, IQM, PR(n:m), and
    TC/TM/TS/WM(X%:X%) with X from 10 to 90 (PutMetricAlarm API reference)."""
    if text == "IQM":
        return True
    if (short := _EXTENDED_SHORT_RE.fullmatch(text)) is not None:
        return 0 <= float(short.group(2)) <= 100
    if (ranged := _EXTENDED_RANGE_RE.fullmatch(text)) is not None:
        low, high = float(ranged.group(2)), float(ranged.group(3))
        return 10 <= low <= 90 and 10 <= high <= 90 and low < high
    if (pr := _PR_RE.fullmatch(text)) is not None:
        low, high = pr.group(1), pr.group(2)
        return (low is not None or high is not None) and (
            low is None or high is None or float(low) < float(high))
    return False


def _check_length(errors: list, path: str, value: Any, low: int, high: int) -> bool:
    if not isinstance(value, str):
        errors.append((path, f"{path} must be a string"))
        return False
    if not low <= len(value) <= high:
        errors.append((path, f"{path} must be {low} to {high} characters long (got {len(value)})"))
        return False
    return True


def _check_period_value(errors: list, path: str, period: Any) -> bool:
    if not _is_int(period) or period < 1:
        errors.append((path, f"{path} must be a whole number of seconds (got {period!r})"))
        return False
    if period not in _HIGH_RESOLUTION_PERIODS and period % 60:
        # The service's text ("Period must be 10, 30 or a multiple of 60"), with 20 since it was added.
        errors.append((path, "Period must be 10, 20, 30 or a multiple of 60"))
        return False
    return True


def _check_dimensions(errors: list, path: str, dims: Any) -> None:
    if not isinstance(dims, Sequence) or isinstance(dims, str):
        errors.append((path, f"{path} must be a list of {{Name, Value}}"))
        return
    if len(dims) > 30:
        errors.append((path, f"{path} can hold at most 30 dimensions (got {len(dims)})"))
    for i, dim in enumerate(dims):
        here = f"{path}[{i}]"
        if not isinstance(dim, Mapping):
            errors.append((here, f"{here} must be a {{Name, Value}} mapping"))
            continue
        _unknown(errors, dim, here, _DIMENSION_KEYS, "a dimension")
        _check_length(errors, f"{here}.Name", dim.get("Name"), 1, 255)
        _check_length(errors, f"{here}.Value", dim.get("Value"), 1, 1024)


def _check_metrics(errors: list, alarm: Mapping) -> list[int]:
    """Check a metric-math alarm's Metrics; return the periods its queries state."""
    metrics = alarm["Metrics"]
    periods: list[int] = []
    if not isinstance(metrics, Sequence) or isinstance(metrics, str):
        errors.append(("Metrics", "Metrics must be a list of metric queries"))
        return periods
    if not 1 <= len(metrics) <= 10:
        errors.append(("Metrics", f"Metrics must hold 1 to 10 queries (got {len(metrics)})"))
    for key in _METRICS_EXCLUDES:
        if key in alarm:
            errors.append((key, f"{key} cannot be combined with Metrics"))
    threshold_id = alarm.get("ThresholdMetricId")
    seen: set[str] = set()
    returned = 0
    for i, query in enumerate(metrics):
        here = f"Metrics[{i}]"
        if not isinstance(query, Mapping):
            errors.append((here, f"{here} must be a metric query mapping"))
            continue
        _unknown(errors, query, here, _QUERY_KEYS, "a metric query")
        qid = query.get("Id")
        if not isinstance(qid, str) or not _QUERY_ID_RE.fullmatch(qid) or len(qid) > 255:
            errors.append((f"{here}.Id", "Id must start with a lower-case letter and hold only "
                                         "letters, digits and underscores"))
        elif qid in seen:
            errors.append((f"{here}.Id", f"Id {qid!r} is used by more than one query"))
        else:
            seen.add(qid)
        has_stat, has_expr = "MetricStat" in query, "Expression" in query
        if has_stat == has_expr:
            errors.append((here, "A metric query needs exactly one of MetricStat and Expression"))
        if has_expr:
            _check_length(errors, f"{here}.Expression", query["Expression"], 1, 2048)
        if has_stat:
            stat = query["MetricStat"]
            if not isinstance(stat, Mapping):
                errors.append((f"{here}.MetricStat", "MetricStat must be a mapping"))
            else:
                _unknown(errors, stat, f"{here}.MetricStat", _METRIC_STAT_KEYS, "a MetricStat")
                metric = stat.get("Metric")
                if not isinstance(metric, Mapping):
                    errors.append((f"{here}.MetricStat.Metric", "MetricStat.Metric is required"))
                else:
                    _unknown(errors, metric, f"{here}.MetricStat.Metric", _METRIC_KEYS, "a Metric")
                    _check_length(errors, f"{here}.MetricStat.Metric.MetricName",
                                  metric.get("MetricName"), 1, 255)
                    if "Namespace" in metric:
                        _check_length(errors, f"{here}.MetricStat.Metric.Namespace",
                                      metric["Namespace"], 1, 255)
                    if "Dimensions" in metric:
                        _check_dimensions(errors, f"{here}.MetricStat.Metric.Dimensions",
                                          metric["Dimensions"])
                if "Stat" not in stat:
                    errors.append((f"{here}.MetricStat.Stat", "MetricStat.Stat is required"))
                if stat.get("Period") is None:
                    errors.append((f"{here}.MetricStat.Period", "MetricStat.Period is required"))
                elif _check_period_value(errors, f"{here}.MetricStat.Period", stat["Period"]):
                    periods.append(stat["Period"])
                if "Unit" in stat and stat["Unit"] not in STANDARD_UNITS:
                    errors.append((f"{here}.MetricStat.Unit", _unit_message(stat["Unit"])))
        if query.get("Period") is not None and _check_period_value(errors, f"{here}.Period",
                                                                   query["Period"]):
            periods.append(query["Period"])
        if "ReturnData" in query and not isinstance(query["ReturnData"], bool):
            errors.append((f"{here}.ReturnData", "ReturnData must be true or false"))
        if query.get("ReturnData", True) and qid != threshold_id:
            returned += 1
    if returned != 1:
        errors.append(("Metrics", f"Exactly one metric query must have ReturnData set to true "
                                  f"(got {returned})"))
    if len(set(periods)) > 1:
        errors.append(("Metrics", "All metric queries of an alarm must use the same period "
                                  f"(got {', '.join(str(p) for p in sorted(set(periods)))})"))
    return periods


def _unit_message(unit: Any) -> str:
    return (f"Unit must be one of the CloudWatch standard units ({', '.join(STANDARD_UNITS)}); "
            f"got {unit!r}")


def validate_alarm(alarm: Mapping) -> list[tuple[str, str]]:
    """List every configuration error of a PutMetricAlarm-shaped alarm (alarms.md §1).

    Returns:
        ``(path, message)`` pairs in a fixed order, for example
        ``("DatapointsToAlarm", "DatapointsToAlarm must be less than or equal to
        EvaluationPeriods")``; an empty list when the alarm is valid. Where the service's own
        wording is known (Period values, DatapointsToAlarm, the one-day and one-week windows) it
        is used verbatim.
    """
    errors: list[tuple[str, str]] = []
    if not isinstance(alarm, Mapping):
        return [("", f"An alarm must be a mapping, not {type(alarm).__name__}")]
    _unknown(errors, alarm, "", _METRIC_ALARM_KEYS, "an alarm")

    # Identity and actions.
    if "AlarmName" not in alarm:
        errors.append(("AlarmName", "AlarmName is required"))
    elif _check_length(errors, "AlarmName", alarm["AlarmName"], 1, 255):
        if _CONTROL_RE.search(alarm["AlarmName"]):
            errors.append(("AlarmName", "AlarmName must not contain ASCII control characters"))
    if "AlarmDescription" in alarm:
        _check_length(errors, "AlarmDescription", alarm["AlarmDescription"], 0, 1024)
    if "ActionsEnabled" in alarm and not isinstance(alarm["ActionsEnabled"], bool):
        errors.append(("ActionsEnabled", "ActionsEnabled must be true or false"))
    for key in ("OKActions", "AlarmActions", "InsufficientDataActions"):
        if key not in alarm:
            continue
        actions = alarm[key]
        if not isinstance(actions, Sequence) or isinstance(actions, str) or not all(
                isinstance(a, str) and 1 <= len(a) <= 1024 for a in actions):
            errors.append((key, f"{key} must be a list of action ARNs"))
        elif len(actions) > 5:
            errors.append((key, f"{key} can hold at most 5 actions (got {len(actions)})"))
    if "Tags" in alarm:
        tags = alarm["Tags"]
        if not isinstance(tags, Sequence) or isinstance(tags, str):
            errors.append(("Tags", "Tags must be a list of {Key, Value}"))
        elif len(tags) > 50:
            errors.append(("Tags", f"Tags can hold at most 50 tags (got {len(tags)})"))
        else:
            for i, tag in enumerate(tags):
                _unknown(errors, tag, f"Tags[{i}]", _TAG_KEYS, "a tag")

    # What the alarm watches: exactly one of MetricName and Metrics.
    if "EvaluationCriteria" in alarm or "EvaluationInterval" in alarm:
        key = "EvaluationCriteria" if "EvaluationCriteria" in alarm else "EvaluationInterval"
        errors.append((key, "PromQL alarms (EvaluationCriteria) are not supported"))
    has_name, has_metrics = "MetricName" in alarm, "Metrics" in alarm
    period: Any = None
    if has_name == has_metrics:
        errors.append(("Metrics" if has_metrics else "MetricName",
                       "Exactly one of MetricName and Metrics must be specified"))
    if has_metrics:
        periods = _check_metrics(errors, alarm)
        period = periods[0] if len(set(periods)) == 1 else None
    elif has_name:
        _check_length(errors, "MetricName", alarm["MetricName"], 1, 255)
        if "Namespace" not in alarm:
            errors.append(("Namespace", "Namespace is required with MetricName"))
        elif _check_length(errors, "Namespace", alarm["Namespace"], 1, 255) and \
                alarm["Namespace"].startswith(":"):
            errors.append(("Namespace", "Namespace must not start with ':'"))
        has_stat, has_ext = "Statistic" in alarm, "ExtendedStatistic" in alarm
        if has_stat and has_ext:
            errors.append(("ExtendedStatistic", "Specify either Statistic or ExtendedStatistic, "
                                                "but not both"))
        elif not has_stat and not has_ext:
            errors.append(("Statistic", "Statistic or ExtendedStatistic is required with "
                                        "MetricName"))
        if has_stat and alarm["Statistic"] not in STATISTICS:
            errors.append(("Statistic", f"Statistic must be one of {', '.join(STATISTICS)} "
                                        f"(got {alarm['Statistic']!r})"))
        if has_ext and not (isinstance(alarm["ExtendedStatistic"], str)
                            and _extended_statistic_ok(alarm["ExtendedStatistic"])):
            errors.append(("ExtendedStatistic",
                           f"ExtendedStatistic {alarm['ExtendedStatistic']!r} is not valid for an "
                           "alarm: use pNN, tmNN, tcNN, tsNN, wmNN, IQM, PR(n:m) or "
                           "TM/WM/TC/TS(X%:X%) with X from 10 to 90"))
        if "Dimensions" in alarm:
            _check_dimensions(errors, "Dimensions", alarm["Dimensions"])
        if "Period" not in alarm:
            errors.append(("Period", "Period is required with MetricName"))
        elif _check_period_value(errors, "Period", alarm["Period"]):
            period = alarm["Period"]
        if "Unit" in alarm and alarm["Unit"] not in STANDARD_UNITS:
            errors.append(("Unit", _unit_message(alarm["Unit"])))

    # Evaluation periods and M of N.
    n = alarm.get("EvaluationPeriods")
    n_ok = False
    if "EvaluationPeriods" not in alarm:
        errors.append(("EvaluationPeriods", "EvaluationPeriods is required"))
    elif not _is_int(n) or n < 1:
        errors.append(("EvaluationPeriods", f"EvaluationPeriods must be a whole number of at "
                                            f"least 1 (got {n!r})"))
    else:
        n_ok = True
    if "DatapointsToAlarm" in alarm:
        m = alarm["DatapointsToAlarm"]
        if not _is_int(m) or m < 1:
            errors.append(("DatapointsToAlarm", f"DatapointsToAlarm must be a whole number of at "
                                                f"least 1 (got {m!r})"))
        elif n_ok and m > n:
            errors.append(("DatapointsToAlarm", "DatapointsToAlarm must be less than or equal to "
                                                "EvaluationPeriods"))
    if n_ok and period is not None:
        # The service's texts (alarms.md §1 limits): one day below Period 3600, else one week.
        if period < 3600 and period * n > 86_400:
            errors.append(("EvaluationPeriods", "Metrics cannot be checked across more than a day "
                                                "(EvaluationPeriods * Period must be <= 86400)"))
        elif period >= 3600 and period * n > 604_800:
            errors.append(("EvaluationPeriods", "Metrics cannot be checked across more than a week "
                                                "(EvaluationPeriods * Period must be <= 604800) "
                                                "for alarms using period >= 3600"))

    # Threshold and operator.
    op = alarm.get("ComparisonOperator")
    threshold_id = alarm.get("ThresholdMetricId")
    if "ComparisonOperator" not in alarm:
        errors.append(("ComparisonOperator", "ComparisonOperator is required"))
    elif not isinstance(op, str) or (op not in COMPARISON_OPERATORS and op not in ANOMALY_OPERATORS):
        # (a list or mapping here is not hashable: test the type before looking it up)
        errors.append(("ComparisonOperator", "ComparisonOperator must be one of "
                       f"{', '.join([*COMPARISON_OPERATORS, *ANOMALY_OPERATORS])} (got {op!r})"))
    elif op in ANOMALY_OPERATORS and threshold_id is None:
        errors.append(("ComparisonOperator", f"{op} is only valid for an anomaly detection alarm "
                                             "(with ThresholdMetricId)"))
    elif op in COMPARISON_OPERATORS and threshold_id is not None:
        errors.append(("ComparisonOperator", "An anomaly detection alarm (with ThresholdMetricId) "
                       f"needs one of {', '.join(ANOMALY_OPERATORS)} (got {op})"))
    if threshold_id is not None:
        if "Threshold" in alarm:
            errors.append(("Threshold", "Threshold cannot be combined with ThresholdMetricId"))
        metrics = alarm.get("Metrics") if isinstance(alarm.get("Metrics"), Sequence) else []
        band = [q for q in metrics if isinstance(q, Mapping) and q.get("Id") == threshold_id
                and isinstance(q.get("Expression"), str)
                and _ANOMALY_BAND_RE.match(q["Expression"])]
        if not band:
            errors.append(("ThresholdMetricId", f"ThresholdMetricId {threshold_id!r} must be the Id "
                           "of an ANOMALY_DETECTION_BAND expression in Metrics"))
    elif "Threshold" not in alarm:
        errors.append(("Threshold", "Threshold is required for a static threshold alarm"))
    elif not _is_number(alarm["Threshold"]) or not math.isfinite(alarm["Threshold"]):
        errors.append(("Threshold", f"Threshold must be a number (got {alarm['Threshold']!r})"))

    # Missing data and percentiles.
    if "TreatMissingData" in alarm and alarm["TreatMissingData"] not in TREAT_MISSING_DATA:
        errors.append(("TreatMissingData", "TreatMissingData must be one of breaching, "
                       f"notBreaching, ignore, missing (got {alarm['TreatMissingData']!r})"))
    if "EvaluateLowSampleCountPercentile" in alarm and \
            alarm["EvaluateLowSampleCountPercentile"] not in ("evaluate", "ignore"):
        errors.append(("EvaluateLowSampleCountPercentile", "EvaluateLowSampleCountPercentile must "
                       f"be evaluate or ignore (got {alarm['EvaluateLowSampleCountPercentile']!r})"))
    return errors


# --------------------------------------------------------------------------- transitions


@dataclass(frozen=True, slots=True)
class Transition:
    """One state change of an alarm, at `timestamp` (epoch ms).

    `old_timestamp` is when the old state was entered (None if unknown). For composite alarms
    `actions_suppressed_by` is ``Alarm``, ``WaitPeriod`` or ``ExtensionPeriod`` when the
    suppressor held back the actions of this transition.
    """

    alarm_name: str
    timestamp: int
    old_state: str
    old_reason: str | None
    old_reason_data: dict | None
    old_timestamp: int | None
    new_state: str
    new_reason: str
    new_reason_data: dict | None
    alarm_type: str = "MetricAlarm"
    actions_suppressed_by: str | None = None
    actions_suppressed_reason: str | None = None

    @property
    def time(self) -> datetime:
        """The transition time as a UTC `datetime`."""
        return _utc(self.timestamp)


def _alarm_arn(name: str, account_id: str, region: str) -> str:
    return f"arn:aws:cloudwatch:{region}:{account_id}:alarm:{name}"


def history_item(transition: Transition) -> dict:
    """The DescribeAlarmHistory ``StateUpdate`` item for a transition (alarms.md §6)."""
    old_state = {"stateValue": transition.old_state}
    if transition.old_reason is not None:
        old_state["stateReason"] = transition.old_reason
    new_state: dict[str, Any] = {"stateValue": transition.new_state,
                                 "stateReason": transition.new_reason}
    if transition.new_reason_data is not None:
        new_state["stateReasonData"] = transition.new_reason_data
    data = {"version": "1.0", "oldState": old_state, "newState": new_state}
    return {
        "AlarmName": transition.alarm_name,
        "AlarmType": transition.alarm_type,
        "Timestamp": _fmt_api_time(transition.timestamp),
        "HistoryItemType": "StateUpdate",
        "HistorySummary": f"Alarm updated from {transition.old_state} to {transition.new_state}",
        "HistoryData": service_json(data),
    }


def _event_state(value: str, reason: str | None, reason_data: dict | None,
                 timestamp: int | None) -> dict:
    state: dict[str, Any] = {"value": value}
    if reason is not None:
        state["reason"] = reason
    if reason_data is not None:
        state["reasonData"] = service_json(reason_data)
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
    state = _event_state(transition.new_state, transition.new_reason, transition.new_reason_data,
                         transition.timestamp)
    if transition.actions_suppressed_by is not None:
        state["actionsSuppressedBy"] = transition.actions_suppressed_by
        state["actionsSuppressedReason"] = transition.actions_suppressed_reason
    previous = _event_state(transition.old_state, transition.old_reason,
                            transition.old_reason_data, transition.old_timestamp)
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


# --------------------------------------------------------------------------- metric alarm evaluator


class AlarmEvaluator:
    """A metric alarm's state over time, fed datapoints and evaluation times.

    The alarm starts in INSUFFICIENT_DATA with reason ``Unchecked: Initial alarm creation``
    (DECISIONS A7). Each `evaluate` runs `evaluate_alarm` with the current state as prior state
    and returns a `Transition` when the state changes. Datapoints are either stored with
    `put_datapoint` (one per period, stamped with the period start) or passed to `evaluate` for
    that evaluation only, which suits sliding windows whose statistic depends on the evaluation
    time (see `periods`).

    Attributes:
        alarm: the PutMetricAlarm-shaped configuration.
        name: AlarmName.
        state, reason, reason_data: the current state and the reason of the last state change.
        state_timestamp: epoch ms when the current state was entered (None before any change
            unless `created_at` was given).
        transitions: every state change, oldest first.
        last_result: the `AlarmResult` of the last evaluation.
    """

    def __init__(self, alarm: Mapping, *, created_at: Any = None,
                 account_id: str = DEFAULT_ACCOUNT_ID, region: str = DEFAULT_REGION) -> None:
        self.alarm = dict(alarm)
        self._spec = _spec(self.alarm)
        self.name: str = str(self.alarm.get("AlarmName", ""))
        self.account_id, self.region = account_id, region
        self.created_at = None if created_at is None else _to_ms(created_at, "created_at")
        self.state = INSUFFICIENT_DATA
        self.reason: str | None = INITIAL_REASON
        self.reason_data: dict | None = None
        self.state_timestamp: int | None = self.created_at
        self.transitions: list[Transition] = []
        self._points: dict[int, Datapoint] = {}
        self._last_at: int | None = None
        # The last evaluation, kept as its decision: the reason text and data are built only on
        # a transition, or when `last_result` is read (each costs time formatting and lists, and
        # a month of one-minute evaluations mostly keeps the state).
        self._last: tuple | None = None
        self._last_built: AlarmResult | None = None
        self._periods_at: tuple[int, list[tuple[int, int]]] | None = None
        # The decision over a range with no datapoint depends on the alarm alone (DECISIONS A4
        # case 1): made once.
        self._empty_state: Any = None

    @property
    def last_result(self) -> AlarmResult | None:
        """The `AlarmResult` of the last evaluation (None before any)."""
        if self._last_built is None and self._last is not None:
            decision, at_ms, periods, prior = self._last
            if periods is None:
                periods = _periods(self._spec, at_ms)
            self._last_built = _result(self._spec, decision, at_ms, periods, prior)
        return self._last_built

    def _periods_of(self, at_ms: int) -> list[tuple[int, int]]:
        cached = self._periods_at
        if cached is not None and cached[0] == at_ms:
            return cached[1]
        periods = _periods(self._spec, at_ms)
        self._periods_at = (at_ms, periods)
        return periods

    @property
    def arn(self) -> str:
        """The alarm ARN for the configured account and Region."""
        return _alarm_arn(self.name, self.account_id, self.region)

    @property
    def period(self) -> int:
        """The alarm period in seconds."""
        return self._spec.period

    def periods(self, at: Any) -> list[tuple[int, int]]:
        """The ``(start_ms, end_ms)`` evaluation periods at `at`, newest first (DECISIONS A2, A3)."""
        return list(self._periods_of(_to_ms(at, "evaluation time")))

    def evaluation_times(self, first: Any, last: Any) -> Iterator[int]:
        """The evaluation cadence between two event times (DECISIONS A1)."""
        return evaluation_times(self._spec.period, first, last)

    def put_datapoint(self, timestamp: Any, value: float | None, *, sample_count: float | None = None,
                      lower: float | None = None, upper: float | None = None) -> None:
        """Store the statistic of the period starting at `timestamp` (replacing an earlier one)."""
        dp = Datapoint(_to_ms(timestamp), _opt_number(value, "value"),
                       _opt_number(sample_count, "sampleCount"), _opt_number(lower, "lower"),
                       _opt_number(upper, "upper"))
        self._points[dp.timestamp] = dp

    def evaluate(self, at: Any, datapoints: Iterable | None = None) -> Transition | None:
        """Evaluate at `at`; return the transition if the state changed.

        Args:
            at: evaluation time; must not go back before the previous evaluation.
            datapoints: datapoints for this evaluation only (same forms as `evaluate_alarm`);
                when None, the stored ones are used.
        """
        at_ms = _to_ms(at, "evaluation time")
        if self._last_at is not None and at_ms < self._last_at:
            raise ValueError(f"evaluation times must not go backwards: {_fmt_service_time(at_ms)} "
                             f"after {_fmt_service_time(self._last_at)}")
        self._last_at = at_ms
        periods = self._periods_of(at_ms)
        oldest = periods[-1][0]
        if datapoints is None:
            points = [dp for ts, dp in self._points.items() if ts >= oldest]
            for ts in [ts for ts in self._points if ts < oldest]:
                del self._points[ts]  # later evaluations look even further ahead
        else:
            points = [_datapoint(item) for item in datapoints]
        prior = self.state
        if not points and self._empty_state is not None:
            state = self._empty_state
            decision = (state, [], [])
        else:
            decision = _decision(self._spec, points, at_ms, periods)
            state = decision[0]
            if not points:
                self._empty_state = state
        self._last = (decision, at_ms, periods, prior)
        self._last_built = None
        if state is _KEEP or state == prior:
            return None
        result = self.last_result
        transition = Transition(
            alarm_name=self.name, timestamp=at_ms, old_state=self.state, old_reason=self.reason,
            old_reason_data=self.reason_data, old_timestamp=self.state_timestamp,
            new_state=result.state, new_reason=result.reason, new_reason_data=result.reason_data)
        self._enter(transition)
        return transition

    def evaluate_quiet(self, at_ms: int) -> Transition | None:
        """`evaluate(at_ms, [])`: an evaluation whose range holds no datapoint, made cheap once the
        alarm's decision over an empty range is known (it depends on the alarm alone)."""
        state = self._empty_state
        if state is None or (self._last_at is not None and at_ms < self._last_at):
            return self.evaluate(at_ms, ())
        prior = self.state
        if state is not _KEEP and state != prior:
            return self.evaluate(at_ms, ())
        self._last_at = at_ms
        self._last = ((state, [], []), at_ms, None, prior)
        self._last_built = None
        return None

    def quiet_is_stable(self) -> bool:
        """True when an evaluation over an empty range is known to keep the current state."""
        state = self._empty_state
        return state is not None and (state is _KEEP or state == self.state)

    def advance(self, until: Any, *, start: Any = None) -> list[Transition]:
        """Evaluate at every cadence boundary after the last evaluation up to `until`.

        The first boundary is the one after the last evaluation, else the first at or after
        `start`, else the first at or after `created_at`; with none of these, only the boundary
        at or before `until` is evaluated.
        """
        until_ms = _to_ms(until, "until")
        step = _step_ms(self._spec.period)
        if self._last_at is not None:
            t = self._last_at - self._last_at % step + step
        else:
            origin = _to_ms(start, "start") if start is not None else self.created_at
            t = (-(-origin // step) * step) if origin is not None else until_ms - until_ms % step
        transitions = []
        while t <= until_ms:
            transition = self.evaluate(t)
            if transition is not None:
                transitions.append(transition)
            t += step
        return transitions

    def set_alarm_state(self, state: str, reason: str, at: Any,
                        reason_data: dict | None = None) -> Transition | None:
        """SetAlarmState: a temporary state, kept until the next evaluation computes another."""
        _check_state(state, "state")
        at_ms = _to_ms(at, "time")
        if state == self.state:
            self.reason, self.reason_data = reason, reason_data
            return None
        transition = Transition(
            alarm_name=self.name, timestamp=at_ms, old_state=self.state, old_reason=self.reason,
            old_reason_data=self.reason_data, old_timestamp=self.state_timestamp,
            new_state=state, new_reason=reason, new_reason_data=reason_data)
        self._enter(transition)
        return transition

    def _enter(self, transition: Transition) -> None:
        self.state = transition.new_state
        self.reason = transition.new_reason
        self.reason_data = transition.new_reason_data
        self.state_timestamp = transition.timestamp
        self.transitions.append(transition)

    def history_items(self) -> list[dict]:
        """DescribeAlarmHistory ``StateUpdate`` items, newest first as the API returns them."""
        return [history_item(t) for t in reversed(self.transitions)]

    def eventbridge_event(self, transition: Transition) -> dict:
        """The "CloudWatch Alarm State Change" event of one of this alarm's transitions."""
        return eventbridge_event(self.alarm, transition, account_id=self.account_id,
                                 region=self.region)

    def sns_message(self, transition: Transition) -> dict:
        """The SNS notification message of one of this alarm's transitions."""
        return sns_message(self.alarm, transition, account_id=self.account_id, region=self.region,
                           configuration_updated=self.created_at)


# --------------------------------------------------------------------------- composite alarms


def _state_table(child_states: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Group child states by alarm name: {name: {key as given: state}}."""
    table: dict[str, dict[str, str]] = {}
    for key, value in child_states.items():
        state = value[0] if isinstance(value, tuple) else value
        if state not in STATES:
            raise ValueError(f"alarm {key!r} has state {state!r}; expected one of {', '.join(STATES)}")
        table.setdefault(alarm_name_of(key), {})[key] = state
    return table


def _resolver(rule: AlarmRule, child_states: Mapping[str, Any]) -> Callable[[AlarmRef], str]:
    """Look up each referenced child's state, checking every reference first (DECISIONS A12)."""
    table = _state_table(child_states)
    resolved: dict[str, str] = {}
    for ref in iter_alarm_refs(rule.expr):
        entries = table.get(ref.name)
        if not entries:
            raise ValueError(f"the alarm rule names {ref.ref!r}, which is not a known alarm")
        states = set(entries.values())
        if len(states) > 1:
            given = ", ".join(f"{key!r} is {state}" for key, state in entries.items())
            raise ValueError(f"alarm {ref.name!r} is given by name and ARN with different states "
                             f"({given})")
        resolved[ref.name] = states.pop()
    return lambda ref: resolved[ref.name]


def _at_least_holds(node: AtLeast, hits: int) -> bool:
    # DECISIONS A12: hits >= n for a count, hits × 100 >= p × children for a percentage.
    if node.percent:
        return hits * 100 >= node.threshold * len(node.alarms)
    return hits >= node.threshold


def _explain(expr: Expr, state_of: Callable[[AlarmRef], str]) -> tuple[bool, list[AlarmRef]]:
    """The value of `expr` and the references that decide it (for ``triggeringAlarms``)."""
    match expr:
        case Constant(value=v):
            return v, []
        case StateCheck(state=s, alarm=ref):
            return state_of(ref) == s, [ref]
        case AtLeast(state=s, negated=neg, alarms=refs):
            hit = [r for r in refs if (state_of(r) == s) != neg]
            value = _at_least_holds(expr, len(hit))
            return value, hit if value else [r for r in refs if r not in hit]
        case Not(operand=inner):
            value, refs = _explain(inner, state_of)
            return not value, refs
        case And(operands=ops):
            parts = [_explain(op, state_of) for op in ops]
            if all(v for v, _ in parts):
                return True, [r for _, refs in parts for r in refs]
            return False, [r for v, refs in parts if not v for r in refs]
        case Or(operands=ops):
            parts = [_explain(op, state_of) for op in ops]
            if any(v for v, _ in parts):
                return True, [r for v, refs in parts if v for r in refs]
            return False, [r for _, refs in parts for r in refs]
    raise TypeError(f"not an AlarmRule node: {type(expr).__name__}")


def evaluate_composite(alarm_rule: str | AlarmRule, child_states: Mapping[str, str]) -> str:
    """The state a composite alarm's rule gives: ``ALARM`` when it holds, else ``OK``.

    Args:
        alarm_rule: AlarmRule text (or an already parsed `AlarmRule`).
        child_states: state of each child, keyed by alarm name or ARN.

    Raises:
        AlarmRuleError: the rule does not parse (a `ValueError`).
        ValueError: the rule names an alarm missing from `child_states`, or one alarm is given by
            name and by ARN with different states (DECISIONS A12), or a state is not a state.
    """
    rule = alarm_rule if isinstance(alarm_rule, AlarmRule) else parse_alarm_rule(alarm_rule)
    value, _ = _explain(rule.expr, _resolver(rule, child_states))
    return ALARM if value else OK


class CompositeCycleError(ValueError):
    """Composite alarms that depend on each other in a cycle. `cycle` lists it, first name repeated."""

    def __init__(self, cycle: Sequence[str]) -> None:
        self.cycle = tuple(cycle)
        super().__init__("composite alarms form a cycle: " + " -> ".join(self.cycle))


def composite_evaluation_order(rules: Mapping[str, str | AlarmRule]) -> list[str]:
    """Order composite alarms so that every composite comes after the composites it names.

    Args:
        rules: AlarmRule of each composite, keyed by name or ARN.

    Returns:
        The keys of `rules`, children first.

    Raises:
        CompositeCycleError: the rules reference each other in a cycle (the error names it).
        AlarmRuleError: a rule does not parse.
    """
    key_of = {alarm_name_of(key): key for key in rules}
    deps: dict[str, list[str]] = {}
    for key, rule in rules.items():
        parsed = rule if isinstance(rule, AlarmRule) else parse_alarm_rule(rule)
        deps[alarm_name_of(key)] = [n for n in parsed.alarm_names if n in key_of]
    order: list[str] = []
    done: set[str] = set()
    for root in deps:
        if root in done:
            continue
        stack: list[tuple[str, Iterator[str]]] = [(root, iter(deps[root]))]
        on_path = [root]
        while stack:
            name, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                on_path.pop()
                done.add(name)
                order.append(key_of[name])
            elif child in on_path:
                cycle = on_path[on_path.index(child):] + [child]
                raise CompositeCycleError(cycle)
            elif child not in done:
                stack.append((child, iter(deps[child])))
                on_path.append(child)
    return order


def evaluate_composites(rules: Mapping[str, str | AlarmRule],
                        states: Mapping[str, str]) -> dict[str, str]:
    """Evaluate a set of composite alarms that may name each other.

    Args:
        rules: AlarmRule of each composite, keyed by name or ARN.
        states: states of the metric alarms (and of anything else the rules name).

    Returns:
        The state of every composite, keyed as in `rules`.

    Raises:
        CompositeCycleError, ValueError: as `composite_evaluation_order` and `evaluate_composite`.
    """
    known = dict(states)
    result: dict[str, str] = {}
    for key in composite_evaluation_order(rules):
        result[key] = known[key] = evaluate_composite(rules[key], known)
    return result


@dataclass(frozen=True, slots=True)
class ActionRecord:
    """What happened to the actions of one composite-alarm transition.

    `status` is ``performed`` or ``suppressed``; `timestamp` is when the actions ran (after a
    WaitPeriod, the end of the wait) or when they were dropped.
    """

    alarm_name: str
    timestamp: int
    state: str
    actions: tuple[str, ...]
    status: str
    suppressed_by: str | None = None


_STATE_ACTIONS = {ALARM: "AlarmActions", OK: "OKActions", INSUFFICIENT_DATA: "InsufficientDataActions"}


class CompositeAlarmEvaluator:
    """A composite alarm's state over time, with action suppression (alarms.md §7).

    The state is INSUFFICIENT_DATA until the first `update`; afterwards ALARM while the rule
    holds, else OK. Every state change is a `Transition` whose reason is
    ``<composite ARN> was created and its alarm rule evaluates to <STATE>`` for the first
    evaluation and ``<child ARN> transitioned to <STATE> at <time>`` afterwards, with
    ``{"triggeringAlarms": [...]}`` as reason data (UG-EB samples).

    Suppression (``ActionsSuppressor`` with ``ActionsSuppressorWaitPeriod`` and
    ``ActionsSuppressorExtensionPeriod``, seconds): while the suppressor is in ALARM the actions
    are suppressed (``Alarm``); for ExtensionPeriod seconds after it leaves ALARM they still are
    (``ExtensionPeriod``); when the composite goes into ALARM while the suppressor is not, the
    actions wait up to WaitPeriod seconds for the suppressor (``WaitPeriod``) and run at the end of
    the wait unless the suppressor went into ALARM meanwhile. `actions` records the outcome.
    """

    def __init__(self, composite: Mapping, *, created_at: Any = None,
                 account_id: str = DEFAULT_ACCOUNT_ID, region: str = DEFAULT_REGION) -> None:
        self.alarm = dict(composite)
        if "AlarmRule" not in self.alarm:
            raise ValueError("a composite alarm needs an AlarmRule")
        self.rule = parse_alarm_rule(self.alarm["AlarmRule"])
        self.name = str(self.alarm.get("AlarmName", ""))
        self.account_id, self.region = account_id, region
        self.created_at = None if created_at is None else _to_ms(created_at, "created_at")
        self.suppressor: str | None = self.alarm.get("ActionsSuppressor")
        wait = self.alarm.get("ActionsSuppressorWaitPeriod")
        extension = self.alarm.get("ActionsSuppressorExtensionPeriod")
        if self.suppressor is not None:
            for key, value in (("ActionsSuppressorWaitPeriod", wait),
                               ("ActionsSuppressorExtensionPeriod", extension)):
                if not _is_int(value) or value < 0:
                    raise ValueError(f"{key} is required (whole seconds) with ActionsSuppressor")
        self._wait_ms = (wait or 0) * 1000
        self._extension_ms = (extension or 0) * 1000
        self.state = INSUFFICIENT_DATA
        self.reason: str | None = INITIAL_REASON
        self.reason_data: dict | None = None
        self.state_timestamp: int | None = self.created_at
        self.transitions: list[Transition] = []
        self.actions: list[ActionRecord] = []
        self._pending: tuple[Transition, int] | None = None   # (transition, wait deadline)
        self._children: dict[str, tuple[str, int]] = {}        # key -> (state, since)
        self._suppressor_state: str | None = None
        self._suppressor_alarm_since: int | None = None
        self._extension_until: int | None = None
        self._last_at: int | None = None

    @property
    def arn(self) -> str:
        """The composite alarm's ARN."""
        return _alarm_arn(self.name, self.account_id, self.region)

    def _child_arn(self, key: str) -> str:
        return key if key.startswith("arn:") else _alarm_arn(key, self.account_id, self.region)

    def _observe(self, states: Mapping[str, Any], at_ms: int) -> list[str]:
        """Record child states; return the keys whose state changed."""
        changed = []
        for key, value in states.items():
            state, since = (value[0], _to_ms(value[1])) if isinstance(value, tuple) else (value, at_ms)
            old = self._children.get(key)
            if old is None or old[0] != state:
                self._children[key] = (state, since)
                changed.append(key)
        return changed

    def _suppressor_entry(self, states: Mapping[str, Any], at_ms: int) -> tuple[str, int] | None:
        """The suppressor's (state, since) from `states`; None without a suppressor."""
        if self.suppressor is None:
            return None
        wanted = alarm_name_of(self.suppressor)
        for key, value in states.items():
            if alarm_name_of(key) == wanted:
                if isinstance(value, tuple):
                    return value[0], _to_ms(value[1], "since")
                return value, at_ms
        raise ValueError(f"the actions suppressor {self.suppressor!r} is not among the given "
                         "alarm states")

    def _suppressor_now(self, entry: tuple[str, int] | None) -> None:
        if entry is None:
            return
        state, since = entry
        if state == self._suppressor_state:
            return
        if state == ALARM:
            self._suppressor_alarm_since = since
            self._extension_until = None
        elif self._suppressor_state == ALARM:
            # ExtensionPeriod counts from the moment the suppressor leaves ALARM.
            self._extension_until = since + self._extension_ms
            self._suppressor_alarm_since = None
        self._suppressor_state = state

    def _resolve_pending(self, now_ms: int) -> None:
        """Settle actions waiting for the suppressor: dropped if it went into ALARM before the
        wait ended, run at the end of the wait otherwise."""
        if self._pending is None:
            return
        transition, deadline = self._pending
        since = self._suppressor_alarm_since
        if self._suppressor_state == ALARM and since is not None and since <= deadline:
            self._pending = None
            self.actions.append(self._record(transition, max(since, transition.timestamp),
                                             "suppressed", "Alarm"))
        elif deadline <= now_ms:
            self._pending = None
            self.actions.append(self._record(transition, deadline, "performed", None))

    def _record(self, transition: Transition, at_ms: int, status: str,
                by: str | None) -> ActionRecord:
        actions = tuple(self.alarm.get(_STATE_ACTIONS[transition.new_state]) or ())
        return ActionRecord(self.name, at_ms, transition.new_state, actions, status, by)

    def advance(self, at: Any) -> list[ActionRecord]:
        """Run the actions whose WaitPeriod has ended by `at`; return the new records."""
        at_ms = _to_ms(at, "time")
        before = len(self.actions)
        self._resolve_pending(at_ms)
        return self.actions[before:]

    def update(self, at: Any, states: Mapping[str, Any], changed: str | None = None) -> Transition | None:
        """Re-evaluate the rule at `at` with the current states of the alarms it names.

        Args:
            at: the time of the change.
            states: state of every alarm the rule names (and of the suppressor), keyed by name or
                ARN; a value may be a ``(state, since)`` pair giving when that state began.
            changed: the child whose change triggered this evaluation (for the reason text);
                by default the most recently changed child among those that decide the result.

        Returns:
            The transition when the composite's state changed, else None.

        Raises:
            ValueError: as `evaluate_composite`; the suppressor or `changed` is not in `states`;
                `at` goes back in time.
        """
        at_ms = _to_ms(at, "time")
        if self._last_at is not None and at_ms < self._last_at:
            raise ValueError("composite updates must not go back in time")
        if changed is not None and not any(alarm_name_of(k) == alarm_name_of(changed) for k in states):
            raise ValueError(f"the changed alarm {changed!r} is not among the given alarm states")
        state_of = _resolver(self.rule, states)
        suppressor = self._suppressor_entry(states, at_ms)
        self._last_at = at_ms
        self._suppressor_now(suppressor)
        self._resolve_pending(at_ms)
        moved = self._observe(states, at_ms)

        value, deciding = _explain(self.rule.expr, state_of)
        new_state = ALARM if value else OK
        if new_state == self.state:
            return None
        if not self.transitions:
            reason = f"{self.arn} was created and its alarm rule evaluates to {new_state}"
        else:
            trigger = self._key_for_name(alarm_name_of(changed), states) if changed else None
            if trigger is None:
                deciding_names = {ref.name for ref in deciding}
                pool = [k for k in moved if alarm_name_of(k) in deciding_names] or moved
                if pool:
                    trigger = max(pool, key=lambda k: self._children[k][1])
                elif deciding:
                    trigger = self._key_for_name(deciding[0].name, states)
            if trigger is None:
                reason = f"{self.arn} alarm rule evaluates to {new_state}"
            else:
                child_state, since = self._children[trigger]
                reason = (f"{self._child_arn(trigger)} transitioned to {child_state} at "
                          f"{_fmt_composite_time(since)}")
        reason_data = {"triggeringAlarms": self._triggering(deciding, states)}
        by, why = self._suppression(new_state, at_ms)
        transition = Transition(
            alarm_name=self.name, timestamp=at_ms, old_state=self.state, old_reason=self.reason,
            old_reason_data=self.reason_data, old_timestamp=self.state_timestamp,
            new_state=new_state, new_reason=reason, new_reason_data=reason_data,
            alarm_type="CompositeAlarm", actions_suppressed_by=by, actions_suppressed_reason=why)
        self.state, self.reason, self.reason_data = new_state, reason, reason_data
        self.state_timestamp = at_ms
        self.transitions.append(transition)
        self._schedule_actions(transition)
        return transition

    def _key_for_name(self, name: str, states: Mapping[str, Any]) -> str | None:
        for key in states:
            if alarm_name_of(key) == name:
                return key
        return None

    def _triggering(self, deciding: list[AlarmRef], states: Mapping[str, Any]) -> list:
        keys = dict.fromkeys(k for ref in deciding
                             if (k := self._key_for_name(ref.name, states)) is not None)
        # Newest change first (UG-EB composite sample).
        ordered = sorted(keys, key=lambda k: -self._children[k][1])
        return [{"arn": self._child_arn(k),
                 "state": {"value": self._children[k][0],
                           "timestamp": _fmt_service_time(self._children[k][1])}}
                for k in ordered]

    def _suppression(self, new_state: str, at_ms: int) -> tuple[str | None, str | None]:
        if self.suppressor is None:
            return None, None
        if self._suppressor_state == ALARM:
            by = "Alarm"
        elif self._extension_until is not None and at_ms < self._extension_until:
            by = "ExtensionPeriod"
        elif new_state == ALARM and self._wait_ms > 0:
            by = "WaitPeriod"
        else:
            return None, None
        return by, f"Actions suppressed by {by}"

    def _schedule_actions(self, transition: Transition) -> None:
        if self._pending is not None:
            # A newer state replaces actions still waiting for the suppressor.
            old, _ = self._pending
            self._pending = None
            self.actions.append(self._record(old, transition.timestamp, "suppressed", "WaitPeriod"))
        if self.alarm.get("ActionsEnabled", True) is False:
            return
        by = transition.actions_suppressed_by
        if by == "WaitPeriod":
            self._pending = (transition, transition.timestamp + self._wait_ms)
        elif by is not None:
            self.actions.append(self._record(transition, transition.timestamp, "suppressed", by))
        else:
            self.actions.append(self._record(transition, transition.timestamp, "performed", None))

    def history_items(self) -> list[dict]:
        """DescribeAlarmHistory ``StateUpdate`` items, newest first."""
        return [history_item(t) for t in reversed(self.transitions)]

    def eventbridge_event(self, transition: Transition) -> dict:
        """The "CloudWatch Alarm State Change" event of one of this alarm's transitions."""
        return eventbridge_event(self.alarm, transition, account_id=self.account_id,
                                 region=self.region)

