"""Every configuration error of a metric alarm (alarms.md §1), with the service's texts: `validate_alarm`."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import unknown_keys, unknown_parameter
from .evaluate import (
    _HIGH_RESOLUTION_PERIODS,
    ANOMALY_OPERATORS,
    COMPARISON_OPERATORS,
    STANDARD_UNITS,
    STATISTICS,
    TREAT_MISSING_DATA,
    _is_finite_number,
    _is_int,
)

__all__ = [
    "validate_alarm",
]


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
    elif not _is_finite_number(alarm["Threshold"]):
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


