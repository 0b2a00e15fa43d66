"""CloudWatch metric-alarm evaluation, the pure core: states, exact reasons and reason data.

`evaluate_alarm` takes a PutMetricAlarm-shaped alarm, the datapoints of its evaluation periods
and an evaluation time, and returns the state with the service's exact StateReason text and
StateReasonData (alarms.md §4–§6, DECISIONS A2–A11). Around it: `validation` (configuration
errors), `notifications` (history items, EventBridge events, SNS messages), `evaluator` (the
stateful metric-alarm evaluator of the streaming engine) and `composite` (composite alarms).

Times are accepted as timezone-aware `datetime`, epoch milliseconds or ISO-8601 strings, and kept
internally as integer epoch milliseconds (UTC).
"""

from __future__ import annotations

import functools
import json
import math
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

from ..events import number_text

__all__ = [
    "ALARM",
    "AlarmResult",
    "Datapoint",
    "INITIAL_REASON",
    "INSUFFICIENT_DATA",
    "OK",
    "STATES",
    "evaluate_alarm",
    "evaluation_periods",
    "evaluation_range_size",
    "evaluation_times",
    "service_json",
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


# `json.dumps(text, ensure_ascii=False)` without the encoder set up on every call.
_json_string = json.encoder.encode_basestring
_JAVA_TEXT: dict[float, str] = {}


def _java_double(value: float) -> str:
    """A double as Java's ``Double.toString`` prints it, DECISIONS A6 (see `events.number_text`)."""
    value = float(value)
    if value > 0.0:  # (a cache keyed by value would confuse 0.0 and -0.0, which are equal)
        text = _JAVA_TEXT.get(value)
        if text is None:
            if len(_JAVA_TEXT) >= 4096:
                _JAVA_TEXT.clear()
            text = _JAVA_TEXT[value] = number_text(value)
        return text
    return number_text(value)


def service_json(value: Any) -> str:
    """Serialise to compact JSON the way the service writes StateReasonData and HistoryData.

    Floats are written as Java writes doubles (`1.0`, `63.0`, `1.0E7`), integers as integers,
    and non-ASCII text is left unescaped.
    """
    kind = type(value)
    # The shapes of reason and history data first (plain dicts, lists, text and doubles).
    if kind is str:
        return _json_string(value)
    if kind is dict:
        return "{" + ",".join([_json_string(k if type(k) is str else str(k)) + ":" + (
            _json_string(v) if (t := type(v)) is str else _java_double(v) if t is float
            else str(v) if t is int else service_json(v)) for k, v in value.items()]) + "}"
    if kind is list:
        return "[" + ",".join([_java_double(v) if type(v) is float else service_json(v) for v in value]) + "]"
    if kind is float:
        return _java_double(value)
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
        return _json_string(value)
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{_json_string(str(k))}:{service_json(v)}"
                              for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(service_json(v) for v in value) + "]"
    raise TypeError(f"cannot serialise {type(value).__name__} to JSON")


# --------------------------------------------------------------------------- time


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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
            value = value.replace(tzinfo=UTC)
        return (value - _EPOCH) // timedelta(milliseconds=1)
    raise TypeError(f"{what}: expected a datetime, epoch milliseconds or ISO-8601 text, "
                    f"got {type(value).__name__}")


def _utc(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


_DAY_MS = 86_400_000


@functools.lru_cache(maxsize=1024)
def _day_text(day: int, fmt: str) -> str:
    """The date part of the day `day` (days since the epoch) in a `strftime` format."""
    return _utc(day * _DAY_MS).strftime(fmt)


def _clock_text(ms: int) -> str:
    """``HH:mm:ss`` of the time of day of `ms` (UTC)."""
    return _clock_of(ms % _DAY_MS // 1000)


@functools.lru_cache(maxsize=4096)  # evaluation times and period starts fall on whole minutes
def _clock_of(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _fmt_reason_time(ms: int) -> str:
    """``dd/MM/yy HH:mm:ss`` in UTC, as datapoints appear in StateReason."""
    # The date through `strftime` once a day, the time of day by arithmetic: a month of
    # transitions formats many times a day.
    return _day_text(ms // _DAY_MS, "%d/%m/%y ") + _clock_text(ms)


def _fmt_service_time(ms: int) -> str:
    """``yyyy-MM-dd'T'HH:mm:ss.SSS+0000``, as in StateReasonData, events and SNS messages."""
    return f"{_day_text(ms // _DAY_MS, '%Y-%m-%dT')}{_clock_text(ms)}.{ms % 1000:03d}+0000"


def _fmt_api_time(ms: int) -> str:
    """``yyyy-MM-ddTHH:mm:ss.SSSZ``, as the API returns timestamps (DescribeAlarmHistory)."""
    return f"{_day_text(ms // _DAY_MS, '%Y-%m-%dT')}{_clock_text(ms)}.{ms % 1000:03d}Z"


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


def _is_finite_number(value: Any) -> bool:
    """A number a double holds: not NaN or infinite, and no integer beyond the double range."""
    if not _is_number(value):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a double
        return False


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
    if not _is_finite_number(value):
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


def _slot(points: Iterable[Datapoint], spec: _Spec, at_ms: int,
          periods: list[tuple[int, int]] | None = None) -> dict[int, Datapoint]:
    """Place each datapoint in its evaluation period; position 1 is the newest (DECISIONS A8).
    `periods` are those of `at_ms` when the caller has them."""
    if periods is None:
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


def _decide_state(spec: _Spec, real: list[tuple[int, bool, float | None]]):
    """The state `_decision` decides, from the real points alone: ``(position, breaching,
    sample count)`` of each period with a value, newest first (position 1 the newest).

    The same rules as `_decide` and the low-sample rule of `_decision`, without the points a
    reason would cite: the streaming evaluator decides most evaluations with it and builds those
    only on a transition.
    """
    n, m, treatment = spec.n, spec.m, spec.treatment
    if not real:
        if treatment == "missing":
            return INSUFFICIENT_DATA
        if treatment == "ignore":
            return _KEEP
        return ALARM if treatment == "breaching" else OK
    if len(real) >= n:
        real = real[:n]
        state = ALARM if sum(pt[1] for pt in real) >= m else OK
    elif treatment in ("breaching", "notBreaching"):
        # The gap to N is filled with bad or good points (range size > N: there is room).
        bad = sum(pt[1] for pt in real) + (n - len(real) if treatment == "breaching" else 0)
        state = ALARM if bad >= m else OK
    else:
        bad = sum(pt[1] for pt in real)
        if bad >= m:
            state = ALARM
        elif bad == len(real):
            # The premature-alarm rule (see `_decide`).
            if real[-1][0] < m or treatment != "missing":
                return _KEEP
            state = ALARM
        else:
            state = OK
    minimum = spec.low_sample_minimum
    if minimum is not None and any(pt[2] is not None and pt[2] < minimum for pt in real):
        return _KEEP
    return state


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
    slots = _slot(points, spec, at_ms, periods)
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


# --------------------------------------------------------------------------- reasons written directly


class _Fixed:
    """What the reasons of one plain threshold alarm share: its cadence, range and comparison,
    the decision over an empty range, and the texts that depend on the alarm alone (fragments of
    `_reason` and `_reason_data`)."""

    __slots__ = ("spec", "step", "p", "size", "compare", "empty", "met", "unmet", "fill_word",
                 "no_data", "head", "middle", "threshold")

    def __init__(self, spec: _Spec) -> None:
        n = spec.n
        self.spec, self.step, self.p, self.size = spec, _step_ms(spec.period), spec.period * 1000, evaluation_range_size(n)
        self.compare, words = COMPARISON_OPERATORS[spec.operator]
        self.empty = _decide_state(spec, [])
        self.met = f"{words} the threshold ({_java_double(spec.threshold)})"
        self.unmet = "not " + self.met
        self.fill_word = _FILL_WORD.get(spec.treatment)
        self.no_data = (f"Insufficient Data: {_plural(n, 'datapoint')} {_was(n)} unknown."
                        if self.empty == INSUFFICIENT_DATA else
                        f"Threshold Crossed: no datapoints were received for {_plural(n, 'period')} and "
                        f"{_plural(n, 'missing datapoint')} {_was(n)} treated as [{self.fill_word}].")
        self.head = f"Threshold Crossed: {{}} out of the last {n} datapoints ["  # (DatapointsToAlarm set)
        # The keys of the reason data between "startDate" and "recentDatapoints", and "threshold",
        # as `service_json` writes them.
        middle: dict[str, Any] = {}
        if spec.unit is not None:
            middle["unit"] = spec.unit
        if spec.statistic is not None:
            middle["statistic"] = spec.statistic
        middle["period"] = spec.period
        self.middle = '",' + service_json(middle)[1:-1] + ',"recentDatapoints":['
        self.threshold = "]," + service_json({"threshold": spec.threshold})[1:-1] + ',"evaluatedDatapoints":['


_FIXED: dict[int, _Fixed] = {}  # by id(spec), the spec kept in the entry
_DAYS: dict[int, tuple[str, str]] = {}
_CLOCKS: dict[int, tuple[str, str]] = {}


def _time_parts(ms: int) -> tuple[tuple[str, str], tuple[str, str]]:
    """The parts of the texts of a time, remembered by day and by time of day: ``((yyyy-MM-ddT,
    dd/MM/yy ), (HH:mm:ss.SSS, HH:mm:ss))``, the parts of `_fmt_service_time`, `_fmt_api_time`
    and `_fmt_reason_time`."""
    day, rest = divmod(ms, _DAY_MS)
    date = _DAYS.get(day)
    if date is None:
        if len(_DAYS) >= 4096:
            _DAYS.clear()
        date = _DAYS[day] = (_day_text(day, "%Y-%m-%dT"), _day_text(day, "%d/%m/%y "))
    clock = _CLOCKS.get(rest)
    if clock is None:
        if len(_CLOCKS) >= 4096:
            _CLOCKS.clear()
        text = _clock_of(rest // 1000)
        clock = _CLOCKS[rest] = (f"{text}.{rest % 1000:03d}", text)
    return date, clock


def _points_texts(spec: _Spec, at_ms: int, points: Iterable) -> tuple[str, str] | None:
    """The StateReason text and the `service_json` text of the StateReasonData of an evaluation
    at `at_ms` decided from placed points ``(position, period start, value, sample count)``,
    written directly: what `_reason` and `_reason_data` give for `_decision` of the same points,
    without `Datapoint`s, `_Point`s or the data's dict.

    Only for a threshold alarm (not anomaly detection) whose points each have a finite value and
    the position `_slot` gives them, one a period; None for anything else, which the general
    path renders (and where it raises, raises).
    """
    fixed = _FIXED.get(id(spec))
    if fixed is None or fixed.spec is not spec:
        if spec.anomaly or spec.operator is None or spec.threshold is None:
            return None
        if len(_FIXED) >= 1024:
            _FIXED.clear()
        fixed = _FIXED[id(spec)] = _Fixed(spec)
    if type(at_ms) is not int:
        return None
    p = fixed.p
    end = at_ms - at_ms % fixed.step
    parts = _time_parts
    date, clock = parts(at_ms)
    query = '{"version":"1.0","queryDate":"' + date[0] + clock[0] + "+0000"
    if not points:
        # DECISIONS A4 case 1, decided once per alarm; the N newest period starts evaluated.
        if fixed.empty is _KEEP:
            return None
        evaluated = []
        for start in range(end - p, end - (spec.n + 1) * p, -p):
            date, clock = parts(start)
            evaluated.append('{"timestamp":"' + date[0] + clock[0] + '+0000"}')
        return fixed.no_data, (query + fixed.middle + fixed.threshold + ",".join(evaluated) + "]}")
    oldest = end - fixed.size * p
    compare, threshold = fixed.compare, spec.threshold
    real = []
    try:
        for pos, start, value, count in points:
            if type(value) is not float or value - value != 0.0:
                value = _opt_number(value, "value")
                if value is None:
                    return None
            if type(count) is int:
                count = float(count)  # (what `_opt_number` gives; OverflowError where it raises)
            elif count is not None and (type(count) is not float or count - count != 0.0):
                count = _opt_number(count, "sampleCount")
            if type(start) is not int or not oldest <= start < end or (end - start - 1) // p + 1 != pos:
                return None
            date, clock = parts(start)
            real.append((pos, date, clock, value, count, compare(value, threshold)))
    except (TypeError, ValueError, OverflowError):
        return None
    n, m = spec.n, spec.m
    if len(real) > 1:
        real.sort(key=_first)
        if len({pt[0] for pt in real}) < len(real):
            return None
    if len(real) >= n:
        # DECISIONS A4 case 2, as `_decide_state` decides it: the N newest points.
        del real[n:]
        alarm = real[0][5] if n == 1 else sum([pt[5] for pt in real]) >= m
        minimum = spec.low_sample_minimum
        if minimum is not None and any(pt[4] is not None and pt[4] < minimum for pt in real):
            return None  # keeps the state: no transition renders this
        filled = ()
    else:
        state = _decide_state(spec, [(pt[0], pt[5], pt[4]) for pt in real])
        if state is _KEEP:
            return None
        alarm = state == ALARM
        filled = ()
        if fixed.fill_word is not None:
            # The gap to N filled with bad or good points, in the newest free periods (DECISIONS A10).
            taken = {pt[0] for pt in real}
            bad = spec.treatment == "breaching"
            filled = [(pos, *parts(end - pos * p), None, None, bad)
                      for pos in range(1, fixed.size + 1) if pos not in taken][: n - len(real)]
    # The points of the state's kind: all real ones in the text (DECISIONS A6), the first M (or
    # N-M+1) of the evaluated range, real or filled, in the data; newest first.
    java = _java_double
    shown = []
    entries = []
    for _, date, clock, value, sample_count, breaching in (sorted(real + filled, key=_first) if filled else real):
        if breaching is alarm:
            if value is None:
                entries.append(f'{{"timestamp":"{date[0]}{clock[0]}+0000"}}')
                continue
            value = java(value)
            shown.append(f"{value} ({date[1]}{clock[1]})")
            if sample_count is None:
                entries.append(f'{{"timestamp":"{date[0]}{clock[0]}+0000","value":{value}}}')
            else:
                entries.append(f'{{"timestamp":"{date[0]}{clock[0]}+0000","sampleCount":{java(sample_count)},'
                               f'"value":{value}}}')
    count = len(shown)
    condition = fixed.met if alarm else fixed.unmet
    fill_text = (f" and {_plural(len(filled), 'missing datapoint')} {_was(len(filled))} treated as "
                 f"[{fixed.fill_word}]" if filled else "")
    if not spec.m_set:
        text = (f"Threshold Crossed: {count} datapoint{'' if count == 1 else 's'} [{', '.join(shown)}] "
                f"{'was' if count == 1 else 'were'} {condition}{fill_text}.")
    else:
        minimum = m if alarm else n - m + 1  # alarms.md §5.4
        text = (f"{fixed.head.format(count)}{', '.join(shown)}] {'was' if count == 1 else 'were'} "
                f"{condition}{fill_text} (minimum {_plural(minimum, 'datapoint')} for "
                f"{'OK -> ALARM' if alarm else 'ALARM -> OK'} transition).")
    first = real[-1]  # the oldest real point
    recent = java(first[3]) if len(real) == 1 else ",".join([java(pt[3]) for pt in reversed(real)])
    evaluated = entries[0] if len(entries) == 1 else ",".join(entries[: m if alarm else n - m + 1])
    return text, (f'{query}","startDate":"{first[1][0]}{first[2][0]}+0000{fixed.middle}{recent}'
                  f'{fixed.threshold}{evaluated}]}}')


_first = operator.itemgetter(0)


class _Reason:
    """A StateReason text and its StateReasonData: given, or rendered when first read.

    A transition of the streaming evaluator keeps only what its reason cites: the alarm's spec
    (frozen), the evaluation time and either the decision (`_Point`s of frozen `Datapoint`s) or
    the placed values it was decided from (a tuple of tuples of numbers). The text and data are
    rendered by `_reason` and `_reason_data` when first read (`_rendered`), exactly as an eager
    evaluation would have rendered them then; a month of transitions mostly goes unread, or is
    read once to be written out. (`notifications.Transition` is one: its new state's reason.)
    """

    __slots__ = ("_text", "_data", "_spec", "_at", "_decision", "_points")

    def __init__(self, text: str | None, data: dict | None) -> None:
        self._text, self._data, self._spec = text, data, None

    def _rendered(self) -> tuple[str | None, dict | None]:
        """``(text, data)``, rendered on the first call."""
        spec = self._spec
        if spec is not None:
            at_ms = self._at
            periods = _periods(spec, at_ms)
            decision = self._decision
            if decision is None:
                decision = _decision(spec, [Datapoint(start, _opt_number(value, "value"),
                                                      _opt_number(count, "sampleCount"))
                                            for _, start, value, count in self._points], at_ms, periods)
            state, real, filled = decision
            self._text = _reason(spec, state, real, filled)
            self._data = _reason_data(spec, state, at_ms, real, filled, periods)
            self._spec = self._decision = self._points = None
        return self._text, self._data

    def _texts(self) -> tuple[str | None, str | None]:
        """``(text, service_json(data))``, the data None when there is none: what `_rendered`
        gives, written out. A reason kept as placed points is written directly (`_points_texts`)
        and stays unrendered; any other is rendered first."""
        if self._spec is not None and self._decision is None:
            texts = _points_texts(self._spec, self._at, self._points)
            if texts is not None:
                return texts
        text, data = self._rendered()
        return text, None if data is None else service_json(data)


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


