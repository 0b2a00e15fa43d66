"""Metric-alarm evaluation: missing data, M of N, cadence, percentiles, DynamoDB, reasons,
validation, the stateful evaluator and the three output shapes (history, EventBridge, SNS).

Expected values are written out by hand from alarms.md / DECISIONS.md, or copied from the real
payloads in tests/data/corpus/alarms.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cwfilter.engine.alarms.evaluate import (
    AlarmResult,
    Datapoint,
    evaluate_alarm,
    evaluation_periods,
    evaluation_range_size,
    evaluation_times,
    service_json,
)
from cwfilter.engine.alarms.evaluator import AlarmEvaluator
from cwfilter.engine.alarms.notifications import Transition, sns_message
from cwfilter.engine.alarms.validation import validate_alarm

DATA = Path(__file__).parent / "data"
UTC = UTC
T0 = datetime(2024, 1, 1, tzinfo=UTC)
INITIAL = "Unchecked: Initial alarm creation"


def at(minutes: float = 0, seconds: float = 0) -> datetime:
    return T0 + timedelta(minutes=minutes, seconds=seconds)


def ms(minutes: float = 0, seconds: float = 0) -> int:
    return int((at(minutes, seconds) - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() * 1000)


def alarm(**changes) -> dict:
    base = {"AlarmName": "errors", "Namespace": "App", "MetricName": "Errors", "Statistic": "Sum",
            "Period": 60, "EvaluationPeriods": 3, "Threshold": 1.0,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold"}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def minutes(values, first_minute: int = 0):
    """(timestamp, value) per minute starting at `first_minute`; None is a missing period."""
    return [(at(first_minute + i), v) for i, v in enumerate(values)]


# --------------------------------------------------------------------------- TreatMissingData


def test_no_data_missing_is_insufficient_data():
    result = evaluate_alarm(alarm(TreatMissingData="missing"), [], at(5), "OK")
    assert result.state == "INSUFFICIENT_DATA"
    assert result.reason == "Insufficient Data: 3 datapoints were unknown."
    assert result.reason_data == {
        "version": "1.0", "queryDate": "2024-01-01T00:05:00.000+0000", "statistic": "Sum",
        "period": 60, "recentDatapoints": [], "threshold": 1.0,
        "evaluatedDatapoints": [{"timestamp": "2024-01-01T00:04:00.000+0000"},
                                {"timestamp": "2024-01-01T00:03:00.000+0000"},
                                {"timestamp": "2024-01-01T00:02:00.000+0000"}]}


def test_no_data_ignore_keeps_the_prior_state_without_a_reason():
    assert evaluate_alarm(alarm(TreatMissingData="ignore"), [], at(5), "ALARM") == \
        AlarmResult("ALARM", None, None)
    assert evaluate_alarm(alarm(TreatMissingData="ignore"), [], at(5), "OK") == \
        AlarmResult("OK", None, None)


def test_kept_state_without_a_prior_state_is_the_initial_one():
    # DECISIONS A9 with A7.
    assert evaluate_alarm(alarm(TreatMissingData="ignore"), [], at(5)) == \
        AlarmResult("INSUFFICIENT_DATA", INITIAL, None)


def test_no_data_breaching_and_not_breaching():
    result = evaluate_alarm(alarm(TreatMissingData="breaching"), [], at(5), "OK")
    assert result.state == "ALARM"
    assert result.reason == ("Threshold Crossed: no datapoints were received for 3 periods and "
                             "3 missing datapoints were treated as [Breaching].")
    assert result.reason_data["evaluatedDatapoints"] == [
        {"timestamp": "2024-01-01T00:04:00.000+0000"},
        {"timestamp": "2024-01-01T00:03:00.000+0000"},
        {"timestamp": "2024-01-01T00:02:00.000+0000"}]
    assert "startDate" not in result.reason_data

    result = evaluate_alarm(alarm(TreatMissingData="notBreaching", EvaluationPeriods=1), [], at(5))
    assert result.state == "OK"
    assert result.reason == ("Threshold Crossed: no datapoints were received for 1 period and "
                             "1 missing datapoint was treated as [NonBreaching].")


def test_breaching_fill_short_form_as_decisions_a6_writes_it():
    # N = 2, DatapointsToAlarm unset: one real good point and one filled bad point -> 1 < 2 -> OK.
    result = evaluate_alarm(alarm(TreatMissingData="breaching", EvaluationPeriods=2),
                            [(at(4), 0.0)], at(5))
    assert result.state == "OK"
    assert result.reason == ("Threshold Crossed: 1 datapoint [0.0 (01/01/24 00:04:00)] was not "
                             "greater than or equal to the threshold (1.0) and 1 missing datapoint "
                             "was treated as [Breaching].")
    assert result.reason_data["recentDatapoints"] == [0.0]
    assert result.reason_data["startDate"] == "2024-01-01T00:04:00.000+0000"
    assert result.reason_data["evaluatedDatapoints"] == [
        {"timestamp": "2024-01-01T00:04:00.000+0000", "value": 0.0}]


def test_breaching_fill_can_raise_the_alarm_with_no_real_breaching_point():
    # N = 3, M = 2: the real point is good, the two filled (newest missing) periods are bad.
    result = evaluate_alarm(alarm(TreatMissingData="breaching", DatapointsToAlarm=2),
                            [(at(4), 0.0)], at(5))
    assert result.state == "ALARM"
    assert result.reason == ("Threshold Crossed: 0 out of the last 3 datapoints [] were greater "
                             "than or equal to the threshold (1.0) and 2 missing datapoints were "
                             "treated as [Breaching] (minimum 2 datapoints for OK -> ALARM "
                             "transition).")
    # Filled points carry only their period start and take the newest missing periods.
    assert result.reason_data["evaluatedDatapoints"] == [
        {"timestamp": "2024-01-01T00:03:00.000+0000"},
        {"timestamp": "2024-01-01T00:02:00.000+0000"}]


def test_not_breaching_fill_keeps_ok_when_too_few_points_breach():
    # N = M = 3, one real breaching point in the middle of the range, filled with good points.
    result = evaluate_alarm(alarm(TreatMissingData="notBreaching", DatapointsToAlarm=3),
                            [(at(3), 5.0)], at(5), "ALARM")
    assert result.state == "OK"
    assert result.reason == ("Threshold Crossed: 0 out of the last 3 datapoints [] were not "
                             "greater than or equal to the threshold (1.0) and 2 missing "
                             "datapoints were treated as [NonBreaching] (minimum 1 datapoint for "
                             "ALARM -> OK transition).")
    assert result.reason_data["evaluatedDatapoints"] == [
        {"timestamp": "2024-01-01T00:04:00.000+0000"}]


def test_missing_with_some_good_points_is_ok():
    # N = 4, M = 2, range 6: - X - 0 - -  (oldest left). One breach < M and not every point
    # breaches -> OK.
    data = minutes([None, 5.0, None, 0.0, None, None])
    result = evaluate_alarm(alarm(TreatMissingData="missing", EvaluationPeriods=4,
                                  DatapointsToAlarm=2), data, at(6))
    assert result.state == "OK"
    assert result.reason == ("Threshold Crossed: 1 out of the last 4 datapoints [0.0 (01/01/24 "
                             "00:03:00)] was not greater than or equal to the threshold (1.0) "
                             "(minimum 3 datapoints for ALARM -> OK transition).")
    assert result.reason_data["recentDatapoints"] == [5.0, 0.0]


@pytest.mark.parametrize("treatment, expected", [
    ("missing", "ALARM"),     # the premature-alarm rule: - - X - - with M = 3
    ("ignore", "OK"),         # prior state kept
    ("breaching", "ALARM"),
    ("notBreaching", "OK"),
])
def test_premature_alarm_rule_per_treatment(treatment, expected):
    data = minutes([None, None, 5.0, None, None])
    result = evaluate_alarm(alarm(TreatMissingData=treatment, DatapointsToAlarm=3), data, at(5),
                            "OK")
    assert result.state == expected


def test_too_early_to_tell_keeps_the_prior_state():
    # - - - X - with M = 3: the breaching point is only 2 periods old.
    data = minutes([None, None, None, 5.0, None])
    assert evaluate_alarm(alarm(TreatMissingData="missing", DatapointsToAlarm=3), data, at(5),
                          "OK") == AlarmResult("OK", None, None)
    assert evaluate_alarm(alarm(TreatMissingData="missing", DatapointsToAlarm=3), data, at(5),
                          "ALARM") == AlarmResult("ALARM", None, None)


# --------------------------------------------------------------------------- M of N


def test_three_of_five_alarm_lists_the_breaching_points_newest_first():
    # Range 7 (00:00..00:06); N = 5 newest real points 00:02..00:06 = 0 5 0 5 5 -> 3 breach.
    data = minutes([0.0, 5.0, 0.0, 5.0, 5.0], first_minute=2)
    result = evaluate_alarm(alarm(EvaluationPeriods=5, DatapointsToAlarm=3), data, at(7))
    assert result.state == "ALARM"
    assert result.reason == ("Threshold Crossed: 3 out of the last 5 datapoints [5.0 (01/01/24 "
                             "00:06:00), 5.0 (01/01/24 00:05:00), 5.0 (01/01/24 00:03:00)] were "
                             "greater than or equal to the threshold (1.0) (minimum 3 datapoints "
                             "for OK -> ALARM transition).")
    assert result.reason_data["recentDatapoints"] == [0.0, 5.0, 0.0, 5.0, 5.0]
    assert result.reason_data["startDate"] == "2024-01-01T00:02:00.000+0000"
    assert [e["timestamp"][11:16] for e in result.reason_data["evaluatedDatapoints"]] == \
        ["00:06", "00:05", "00:03"]


def test_older_real_points_beyond_n_do_not_count():
    # Two extra breaching points older than the N newest real ones change nothing.
    data = minutes([5.0, 5.0, 0.0, 0.0, 0.0, 5.0, 5.0])
    result = evaluate_alarm(alarm(EvaluationPeriods=5, DatapointsToAlarm=3), data, at(7))
    assert result.state == "OK"
    assert result.reason == ("Threshold Crossed: 3 out of the last 5 datapoints [0.0 (01/01/24 "
                             "00:04:00), 0.0 (01/01/24 00:03:00), 0.0 (01/01/24 00:02:00)] were "
                             "not greater than or equal to the threshold (1.0) (minimum 3 "
                             "datapoints for ALARM -> OK transition).")
    assert result.reason_data["recentDatapoints"] == [0.0, 0.0, 0.0, 5.0, 5.0]
    # OK lists the N - M + 1 newest non-breaching points.
    assert len(result.reason_data["evaluatedDatapoints"]) == 3


def test_m_of_n_uses_older_real_points_when_the_newest_are_missing():
    # Two of three, N = 3: newest two periods missing, but enough real points in the range.
    data = minutes([5.0, 0.0, 5.0, None, None])
    result = evaluate_alarm(alarm(DatapointsToAlarm=2, TreatMissingData="notBreaching"), data,
                            at(5))
    assert result.state == "ALARM"
    assert result.reason_data["recentDatapoints"] == [5.0, 0.0, 5.0]


# --------------------------------------------------------------------------- periods and cadence


def test_evaluation_range_size():
    assert [evaluation_range_size(n) for n in (1, 2, 3, 5, 6, 9, 20)] == [3, 4, 5, 7, 8, 12, 26]


def test_windows_end_at_the_minute_boundary_not_on_period_multiples():
    periods = evaluation_periods(alarm(Period=300, EvaluationPeriods=1),
                                 "2019-10-02T17:04:40.985Z")
    start = datetime(2019, 10, 2, 16, 59, tzinfo=UTC)
    first_ms = int(start.timestamp() * 1000)
    assert periods[0] == (first_ms, first_ms + 300_000)
    assert periods[1] == (first_ms - 300_000, first_ms)
    assert len(periods) == 3


def test_high_resolution_periods_align_to_ten_seconds():
    assert evaluation_periods(alarm(Period=10, EvaluationPeriods=2), at(0, 37)) == [
        (ms(0, 20), ms(0, 30)), (ms(0, 10), ms(0, 20)), (ms(0, 0), ms(0, 10)),
        (ms(0, -10), ms(0, 0))]
    assert evaluation_periods(alarm(Period=20, EvaluationPeriods=3), at(0, 65)) == [
        (ms(0, 40), ms(0, 60)), (ms(0, 20), ms(0, 40)), (ms(0, 0), ms(0, 20)),
        (ms(0, -20), ms(0, 0)), (ms(0, -40), ms(0, -20))]


def test_evaluation_cadence():
    assert list(evaluation_times(10, at(0, 5), at(0, 31))) == [
        ms(0, 10), ms(0, 20), ms(0, 30), ms(0, 40)]
    assert list(evaluation_times(alarm(Period=30), at(0, 10), at(0, 20))) == [
        ms(0, 10), ms(0, 20), ms(0, 30)]
    # Period 300 is still evaluated every minute; the last time is the first boundary after the
    # last event.
    assert list(evaluation_times(alarm(Period=300), at(0, 5), at(2))) == [ms(1), ms(2), ms(3)]


def test_ten_second_alarm_sees_only_closed_periods():
    a = alarm(Period=10, EvaluationPeriods=1, Threshold=2.0, ComparisonOperator="GreaterThanThreshold")
    # 00:00:25 lies in [20, 30), closed at 00:00:37; 00:00:31 is in the still-open period.
    result = evaluate_alarm(a, [(at(0, 25), 5.0), (at(0, 31), 0.0)], at(0, 37))
    assert result.state == "ALARM"
    assert result.reason == ("Threshold Crossed: 1 datapoint [5.0 (01/01/24 00:00:25)] was greater "
                             "than the threshold (2.0).")


def test_ten_second_evaluator_runs_every_ten_seconds():
    ev = AlarmEvaluator(alarm(Period=10, EvaluationPeriods=1, Threshold=2.0,
                              ComparisonOperator="GreaterThanThreshold",
                              TreatMissingData="notBreaching"), created_at=at(0, 0))
    ev.put_datapoint(at(0, 20), 5.0)
    ev.put_datapoint(at(0, 30), 1.0)
    changes = ev.advance(at(0, 50))
    assert [(t.timestamp, t.new_state) for t in changes] == [
        (ms(0, 0), "OK"), (ms(0, 30), "ALARM"), (ms(0, 40), "OK")]


def test_epoch_milliseconds_and_iso_text_are_the_same_time():
    a = alarm(EvaluationPeriods=1)
    by_datetime = evaluate_alarm(a, [(at(4), 5.0)], at(5))
    by_ms = evaluate_alarm(a, [(ms(4), 5.0)], ms(5))
    by_text = evaluate_alarm(a, [{"timestamp": "2024-01-01T00:04:00Z", "value": 5.0}],
                             "2024-01-01T00:05:00+00:00")
    assert by_datetime == by_ms == by_text


# --------------------------------------------------------------------------- datapoint input (A8)


def test_two_datapoints_in_one_period_are_an_error():
    with pytest.raises(ValueError, match="two datapoints in the period starting "
                                         "2024-01-01T00:04:00.000\\+0000"):
        evaluate_alarm(alarm(), [(at(4), 1.0), (at(4, 30), 2.0)], at(5))
    # A None value is a datapoint too.
    with pytest.raises(ValueError):
        evaluate_alarm(alarm(), [(at(4), None), (at(4, 30), 2.0)], at(5))


def test_datapoints_outside_the_range_are_ignored():
    a = alarm(EvaluationPeriods=1, TreatMissingData="missing")  # range of 3 periods: 00:02..00:04
    ignored = [(at(1, 59), 5.0), (at(5), 5.0), (at(6), 5.0)]  # too old, open period, future
    assert evaluate_alarm(a, ignored, at(5)).state == "INSUFFICIENT_DATA"


def test_datapoint_mappings_carry_sample_counts():
    result = evaluate_alarm(alarm(EvaluationPeriods=1),
                            [{"timestamp": at(4), "value": 3.0, "sampleCount": 3.0}], at(5))
    assert result.reason_data["evaluatedDatapoints"] == [
        {"timestamp": "2024-01-01T00:04:00.000+0000", "sampleCount": 3.0, "value": 3.0}]
    result = evaluate_alarm(alarm(EvaluationPeriods=1), [Datapoint(ms(4), 3.0)], at(5))
    assert result.state == "ALARM"


def test_bad_inputs():
    with pytest.raises(ValueError):
        evaluate_alarm(alarm(), [(at(4), "five")], at(5))
    with pytest.raises(ValueError):
        evaluate_alarm(alarm(), [], at(5), prior_state="PENDING")
    with pytest.raises(ValueError, match="Period must be 10, 20, 30 or a multiple of 60"):
        evaluate_alarm(alarm(Period=45), [], at(5))
    with pytest.raises(ValueError):
        evaluate_alarm(alarm(), [], "yesterday")
    # A comparison needs an operator only once a real point must be compared.
    no_op = alarm(ComparisonOperator=None)
    assert evaluate_alarm(no_op, [], at(5)).state == "INSUFFICIENT_DATA"
    with pytest.raises(ValueError, match="ComparisonOperator"):
        evaluate_alarm(no_op, [(at(4), 1.0)], at(5))


# --------------------------------------------------------------------------- percentiles (§5.6)


def p_alarm(stat: str, mode: str | None = "ignore") -> dict:
    return alarm(Statistic=None, ExtendedStatistic=stat, EvaluateLowSampleCountPercentile=mode,
                 EvaluationPeriods=1, Threshold=100.0, ComparisonOperator="GreaterThanThreshold")


@pytest.mark.parametrize("stat, too_few, enough", [
    ("p99", 999, 1000),     # 10 / (1 - 0.99) = 1000
    ("p50", 19, 20),        # 10 / (1 - 0.5) = 20
    ("p10", 99, 100),       # 10 / 0.1 = 100
    ("p90", 99, 100),       # 10 / (1 - 0.9) = 100
])
def test_low_sample_percentile_keeps_the_state(stat, too_few, enough):
    few = [{"timestamp": at(4), "value": 500.0, "sampleCount": float(too_few)}]
    many = [{"timestamp": at(4), "value": 500.0, "sampleCount": float(enough)}]
    assert evaluate_alarm(p_alarm(stat), few, at(5), "OK") == AlarmResult("OK", None, None)
    assert evaluate_alarm(p_alarm(stat), few, at(5)) == \
        AlarmResult("INSUFFICIENT_DATA", INITIAL, None)
    result = evaluate_alarm(p_alarm(stat), many, at(5), "OK")
    assert result.state == "ALARM"
    assert result.reason_data["statistic"] == stat


def test_low_sample_percentile_is_evaluated_by_default():
    few = [{"timestamp": at(4), "value": 500.0, "sampleCount": 3.0}]
    assert evaluate_alarm(p_alarm("p99", "evaluate"), few, at(5), "OK").state == "ALARM"
    assert evaluate_alarm(p_alarm("p99", None), few, at(5), "OK").state == "ALARM"
    # Not a percentile: the setting has no effect.
    assert evaluate_alarm(p_alarm("tm99"), few, at(5), "OK").state == "ALARM"


# --------------------------------------------------------------------------- DynamoDB (A11)


def test_dynamodb_alarms_ignore_missing_data_by_default():
    dynamo = alarm(Namespace="AWS/DynamoDB", MetricName="ConsumedWriteCapacityUnits")
    assert evaluate_alarm(dynamo, [], at(5), "ALARM") == AlarmResult("ALARM", None, None)
    # The premature-alarm rule does not raise an `ignore` alarm.
    gap = minutes([None, None, 5.0, None, None])
    assert evaluate_alarm(dynamo | {"DatapointsToAlarm": 3}, gap, at(5), "OK").state == "OK"
    assert evaluate_alarm(alarm(DatapointsToAlarm=3), gap, at(5), "OK").state == "ALARM"
    # An explicit TreatMissingData wins.
    explicit = dynamo | {"TreatMissingData": "missing"}
    assert evaluate_alarm(explicit, [], at(5), "ALARM").state == "INSUFFICIENT_DATA"


# --------------------------------------------------------------------------- reason details


def test_numbers_print_as_java_doubles():
    big = evaluate_alarm(alarm(EvaluationPeriods=1, Threshold=1e7), [(at(4), 12345678.9)], at(5))
    assert big.reason == ("Threshold Crossed: 1 datapoint [1.23456789E7 (01/01/24 00:04:00)] was "
                          "greater than or equal to the threshold (1.0E7).")
    small = evaluate_alarm(alarm(EvaluationPeriods=1, Threshold=0.001,
                                 ComparisonOperator="LessThanThreshold"), [(at(4), 0.0001)], at(5))
    assert small.reason == ("Threshold Crossed: 1 datapoint [1.0E-4 (01/01/24 00:04:00)] was less "
                            "than the threshold (0.001).")
    assert service_json([1.0, 63.0, 1e7, 1234567.0, 9999999.0, 1e-3, 1e-4, -2.5, 0.1, 1e21, -0.0,
                         100, True, None, "é"]) == \
        '[1.0,63.0,1.0E7,1234567.0,9999999.0,0.001,1.0E-4,-2.5,0.1,1.0E21,-0.0,100,true,null,"é"]'


def test_reason_data_key_order_with_a_unit():
    result = evaluate_alarm(alarm(EvaluationPeriods=1, Unit="Count"), [(at(4), 2.0)], at(5))
    assert list(result.reason_data) == ["version", "queryDate", "startDate", "unit", "statistic",
                                        "period", "recentDatapoints", "threshold",
                                        "evaluatedDatapoints"]
    assert result.reason_data["unit"] == "Count"


def test_less_than_or_equal_operator_words():
    result = evaluate_alarm(alarm(EvaluationPeriods=2, Threshold=3.0,
                                  ComparisonOperator="LessThanOrEqualToThreshold"),
                            minutes([3.0, 2.0], 3), at(5))
    assert result.reason == ("Threshold Crossed: 2 datapoints [2.0 (01/01/24 00:04:00), 3.0 "
                             "(01/01/24 00:03:00)] were less than or equal to the threshold (3.0).")


def anomaly_alarm(op: str) -> dict:
    return {"AlarmName": "band", "ThresholdMetricId": "ad1", "EvaluationPeriods": 1,
            "DatapointsToAlarm": 1, "ComparisonOperator": op,
            "Metrics": [{"Id": "m1", "ReturnData": True,
                         "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "Latency"},
                                        "Period": 60, "Stat": "Average"}},
                        {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)",
                         "ReturnData": True}]}


def test_anomaly_lower_band_only():
    point = [{"timestamp": at(4), "value": 0.25, "lower": 0.5, "upper": 2.0}]
    result = evaluate_alarm(anomaly_alarm("LessThanLowerThreshold"), point, at(5), "OK")
    assert result.state == "ALARM"
    assert result.reason == ("Thresholds Crossed: 1 out of the last 1 datapoints [0.25 (01/01/24 "
                             "00:04:00)] was less than the lower thresholds [0.5] (minimum 1 "
                             "datapoint for OK -> ALARM transition).")
    assert result.reason_data["recentLowerThresholds"] == [0.5]
    assert "recentUpperThresholds" not in result.reason_data
    assert "threshold" not in result.reason_data and "statistic" not in result.reason_data


def test_anomaly_upper_band_only_ok():
    point = [{"timestamp": at(4), "value": 1.5, "lower": 0.5, "upper": 2.0}]
    result = evaluate_alarm(anomaly_alarm("GreaterThanUpperThreshold"), point, at(5), "ALARM")
    assert result.state == "OK"
    assert result.reason == ("Thresholds Crossed: 1 out of the last 1 datapoints [1.5 (01/01/24 "
                             "00:04:00)] was not greater than the upper thresholds [2.0] (minimum "
                             "1 datapoint for ALARM -> OK transition).")
    assert result.reason_data["recentUpperThresholds"] == [2.0]
    assert "recentLowerThresholds" not in result.reason_data


def test_anomaly_datapoint_without_a_band_is_an_error():
    with pytest.raises(ValueError, match="anomaly band"):
        evaluate_alarm(anomaly_alarm("GreaterThanUpperThreshold"), [(at(4), 1.0)], at(5))


def test_metric_math_reason_data_has_no_statistic():
    math_alarm = {"AlarmName": "m", "EvaluationPeriods": 1, "Threshold": 10.0,
                  "ComparisonOperator": "GreaterThanThreshold",
                  "Metrics": [{"Id": "e1", "Expression": "m1 * 2", "ReturnData": True},
                              {"Id": "m1", "ReturnData": False,
                               "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "X"},
                                              "Period": 120, "Stat": "Sum"}}]}
    result = evaluate_alarm(math_alarm, [(at(2), 11.0)], at(5))
    assert result.state == "ALARM"
    assert "statistic" not in result.reason_data
    assert result.reason_data["period"] == 120


# --------------------------------------------------------------------------- validation (§1)


VALID = {"AlarmName": "errors", "Namespace": "App", "MetricName": "Errors", "Statistic": "Sum",
         "Period": 60, "EvaluationPeriods": 3, "Threshold": 1.0,
         "ComparisonOperator": "GreaterThanOrEqualToThreshold"}


def without(*keys: str, **changes) -> dict:
    return {k: v for k, v in VALID.items() if k not in keys} | changes


def test_valid_alarms_have_no_errors():
    assert validate_alarm(VALID) == []
    assert validate_alarm(VALID | {"Period": 10, "Unit": "Count/Second", "DatapointsToAlarm": 3,
                                   "TreatMissingData": "notBreaching", "AlarmActions": ["arn:x"],
                                   "Dimensions": [{"Name": "Host", "Value": "a"}]}) == []
    assert validate_alarm(without("Statistic", ExtendedStatistic="p99.9",
                                  EvaluateLowSampleCountPercentile="ignore")) == []
    assert validate_alarm(anomaly_alarm("LessThanLowerOrGreaterThanUpperThreshold")) == []


@pytest.mark.parametrize("period", [10, 20, 30, 60, 120, 3600])
def test_period_values_accepted(period):
    assert validate_alarm(VALID | {"Period": period, "EvaluationPeriods": 1}) == []


@pytest.mark.parametrize("period", [1, 5, 15, 45, 90, 61])
def test_period_values_rejected(period):
    assert validate_alarm(VALID | {"Period": period}) == [
        ("Period", "Period must be 10, 20, 30 or a multiple of 60")]


def test_period_must_be_a_whole_number():
    assert validate_alarm(VALID | {"Period": "60"}) == [
        ("Period", "Period must be a whole number of seconds (got '60')")]
    assert validate_alarm(without("Period")) == [("Period", "Period is required with MetricName")]


def test_one_day_limit_below_an_hour():
    assert validate_alarm(VALID | {"Period": 60, "EvaluationPeriods": 1440}) == []
    assert validate_alarm(VALID | {"Period": 60, "EvaluationPeriods": 1441}) == [
        ("EvaluationPeriods", "Metrics cannot be checked across more than a day "
                              "(EvaluationPeriods * Period must be <= 86400)")]
    assert validate_alarm(VALID | {"Period": 1800, "EvaluationPeriods": 49}) == [
        ("EvaluationPeriods", "Metrics cannot be checked across more than a day "
                              "(EvaluationPeriods * Period must be <= 86400)")]


def test_one_week_limit_from_an_hour():
    assert validate_alarm(VALID | {"Period": 3600, "EvaluationPeriods": 168}) == []
    assert validate_alarm(VALID | {"Period": 86400, "EvaluationPeriods": 8}) == [
        ("EvaluationPeriods", "Metrics cannot be checked across more than a week "
                              "(EvaluationPeriods * Period must be <= 604800) for alarms using "
                              "period >= 3600")]


def test_statistic_xor_extended_statistic():
    assert validate_alarm(VALID | {"ExtendedStatistic": "p99"}) == [
        ("ExtendedStatistic", "Specify either Statistic or ExtendedStatistic, but not both")]
    assert validate_alarm(without("Statistic")) == [
        ("Statistic", "Statistic or ExtendedStatistic is required with MetricName")]
    assert validate_alarm(VALID | {"Statistic": "Avg"}) == [
        ("Statistic", "Statistic must be one of SampleCount, Average, Sum, Minimum, Maximum "
                      "(got 'Avg')")]


@pytest.mark.parametrize("stat", ["p0.0", "p50", "p99.9999999999", "p100", "tm90", "tc10", "ts99",
                                  "wm50", "IQM", "TM(10%:90%)", "WM(25%:75%)", "PR(:300)",
                                  "PR(100:2000)", "PR(5:)"])
def test_extended_statistics_accepted(stat):
    assert validate_alarm(without("Statistic", ExtendedStatistic=stat)) == []


@pytest.mark.parametrize("stat", ["p101", "P99", "p99.12345678901", "TM(5%:95%)", "TM(90%:10%)",
                                  "tm(10:90)", "PR(:)", "PR(300:100)", "median"])
def test_extended_statistics_rejected(stat):
    assert validate_alarm(without("Statistic", ExtendedStatistic=stat)) == [
        ("ExtendedStatistic", f"ExtendedStatistic {stat!r} is not valid for an alarm: use pNN, "
                              "tmNN, tcNN, tsNN, wmNN, IQM, PR(n:m) or TM/WM/TC/TS(X%:X%) with X "
                              "from 10 to 90")]


def test_datapoints_to_alarm_at_most_evaluation_periods():
    assert validate_alarm(VALID | {"DatapointsToAlarm": 4}) == [
        ("DatapointsToAlarm", "DatapointsToAlarm must be less than or equal to EvaluationPeriods")]
    assert validate_alarm(VALID | {"DatapointsToAlarm": 0}) == [
        ("DatapointsToAlarm", "DatapointsToAlarm must be a whole number of at least 1 (got 0)")]
    assert validate_alarm(without("EvaluationPeriods")) == [
        ("EvaluationPeriods", "EvaluationPeriods is required")]
    assert validate_alarm(VALID | {"EvaluationPeriods": 0}) == [
        ("EvaluationPeriods", "EvaluationPeriods must be a whole number of at least 1 (got 0)")]


def test_comparison_operators():
    assert validate_alarm(without("ComparisonOperator")) == [
        ("ComparisonOperator", "ComparisonOperator is required")]
    assert validate_alarm(VALID | {"ComparisonOperator": "GreaterThan"}) == [
        ("ComparisonOperator", "ComparisonOperator must be one of GreaterThanOrEqualToThreshold, "
                               "GreaterThanThreshold, LessThanThreshold, "
                               "LessThanOrEqualToThreshold, "
                               "LessThanLowerOrGreaterThanUpperThreshold, LessThanLowerThreshold, "
                               "GreaterThanUpperThreshold (got 'GreaterThan')")]
    assert validate_alarm(VALID | {"ComparisonOperator": "LessThanLowerThreshold"}) == [
        ("ComparisonOperator", "LessThanLowerThreshold is only valid for an anomaly detection "
                               "alarm (with ThresholdMetricId)")]
    band = anomaly_alarm("GreaterThanThreshold")
    assert validate_alarm(band) == [
        ("ComparisonOperator", "An anomaly detection alarm (with ThresholdMetricId) needs one of "
                               "LessThanLowerOrGreaterThanUpperThreshold, LessThanLowerThreshold, "
                               "GreaterThanUpperThreshold (got GreaterThanThreshold)")]


def test_threshold_rules():
    assert validate_alarm(without("Threshold")) == [
        ("Threshold", "Threshold is required for a static threshold alarm")]
    assert validate_alarm(anomaly_alarm("LessThanLowerThreshold") | {"Threshold": 1.0}) == [
        ("Threshold", "Threshold cannot be combined with ThresholdMetricId")]
    band = anomaly_alarm("LessThanLowerThreshold")
    band["ThresholdMetricId"] = "m1"   # not the band expression (ad1 is then the returned query)
    assert validate_alarm(band) == [
        ("ThresholdMetricId", "ThresholdMetricId 'm1' must be the Id of an ANOMALY_DETECTION_BAND "
                              "expression in Metrics")]


def test_treat_missing_data_values():
    for value in ("breaching", "notBreaching", "ignore", "missing"):
        assert validate_alarm(VALID | {"TreatMissingData": value}) == []
    assert validate_alarm(VALID | {"TreatMissingData": "Missing"}) == [
        ("TreatMissingData", "TreatMissingData must be one of breaching, notBreaching, ignore, "
                             "missing (got 'Missing')")]


def test_evaluate_low_sample_count_percentile_values():
    assert validate_alarm(VALID | {"EvaluateLowSampleCountPercentile": "skip"}) == [
        ("EvaluateLowSampleCountPercentile", "EvaluateLowSampleCountPercentile must be evaluate "
                                             "or ignore (got 'skip')")]


def test_unit_values():
    assert validate_alarm(VALID | {"Unit": "Requests"}) == [
        ("Unit", "Unit must be one of the CloudWatch standard units (Seconds, Microseconds, "
                 "Milliseconds, Bytes, Kilobytes, Megabytes, Gigabytes, Terabytes, Bits, Kilobits, "
                 "Megabits, Gigabits, Terabits, Percent, Count, Bytes/Second, Kilobytes/Second, "
                 "Megabytes/Second, Gigabytes/Second, Terabytes/Second, Bits/Second, "
                 "Kilobits/Second, Megabits/Second, Gigabits/Second, Terabits/Second, "
                 "Count/Second, None); got 'Requests'")]


def test_metric_name_xor_metrics():
    math_alarm = anomaly_alarm("LessThanLowerThreshold")
    assert validate_alarm(math_alarm | {"MetricName": "X", "Period": 60}) == [
        ("Metrics", "Exactly one of MetricName and Metrics must be specified"),
        ("MetricName", "MetricName cannot be combined with Metrics"),
        ("Period", "Period cannot be combined with Metrics")]
    assert validate_alarm(without("MetricName", "Namespace", "Statistic", "Period")) == [
        ("MetricName", "Exactly one of MetricName and Metrics must be specified")]
    assert validate_alarm(without("Namespace")) == [
        ("Namespace", "Namespace is required with MetricName")]
    assert validate_alarm(VALID | {"Namespace": ":App"}) == [
        ("Namespace", "Namespace must not start with ':'")]


def test_names_actions_and_unknown_keys():
    assert validate_alarm(without("AlarmName")) == [("AlarmName", "AlarmName is required")]
    assert validate_alarm(VALID | {"AlarmName": "x" * 256}) == [
        ("AlarmName", "AlarmName must be 1 to 255 characters long (got 256)")]
    assert validate_alarm(VALID | {"AlarmName": "a\tb"}) == [
        ("AlarmName", "AlarmName must not contain ASCII control characters")]
    assert validate_alarm(VALID | {"AlarmActions": ["arn:a"] * 6}) == [
        ("AlarmActions", "AlarmActions can hold at most 5 actions (got 6)")]
    assert validate_alarm(VALID | {"Statistics": "Sum"}) == [
        ("Statistics", ('Unknown parameter in input: "Statistics", must be one of: AlarmName, '
                        "AlarmDescription, ActionsEnabled, OKActions, AlarmActions, InsufficientDataActions, "
                        "MetricName, Namespace, Statistic, ExtendedStatistic, Dimensions, Period, Unit, "
                        "EvaluationPeriods, DatapointsToAlarm, Threshold, ComparisonOperator, TreatMissingData, "
                        "EvaluateLowSampleCountPercentile, Metrics, Tags, ThresholdMetricId, "
                        'EvaluationCriteria, EvaluationInterval; did you mean "Statistic"?'))]


def test_every_error_is_listed():
    bad = VALID | {"Period": 45, "DatapointsToAlarm": 9, "TreatMissingData": "skip",
                   "ComparisonOperator": None}
    paths = [path for path, _ in validate_alarm(bad)]
    assert paths == ["Period", "DatapointsToAlarm", "ComparisonOperator", "TreatMissingData"]


def test_exactly_one_returned_query():
    band = anomaly_alarm("LessThanLowerThreshold")
    band["Metrics"] = band["Metrics"] + [{"Id": "e2", "Expression": "m1 * 2"}]  # ReturnData defaults to true
    assert validate_alarm(band) == [
        ("Metrics", "Exactly one metric query must have ReturnData set to true (got 2)")]


def test_metric_query_rules():
    queries = [{"Id": "E1", "Expression": "m1", "ReturnData": True},
               {"Id": "m1", "MetricStat": {"Metric": {"MetricName": "X", "Namespace": "App"},
                                           "Period": 60, "Stat": "Sum"}, "Expression": "m1",
                "ReturnData": False}]
    bad = {"AlarmName": "m", "EvaluationPeriods": 1, "Threshold": 1.0,
           "ComparisonOperator": "GreaterThanThreshold", "Metrics": queries}
    assert validate_alarm(bad) == [
        ("Metrics[0].Id", "Id must start with a lower-case letter and hold only letters, digits "
                          "and underscores"),
        ("Metrics[1]", "A metric query needs exactly one of MetricStat and Expression")]


# --------------------------------------------------------------------------- AlarmEvaluator


def two_of_two() -> AlarmEvaluator:
    ev = AlarmEvaluator(alarm(EvaluationPeriods=2), created_at=at(0))
    for minute, value in enumerate([0.0, 0.0, 5.0, 5.0, 0.0]):
        ev.put_datapoint(at(minute), value)
    return ev


def test_evaluator_starts_insufficient_and_records_transitions():
    ev = two_of_two()
    assert (ev.state, ev.reason, ev.reason_data) == ("INSUFFICIENT_DATA", INITIAL, None)
    changes = ev.advance(at(6))
    assert [(t.timestamp, t.old_state, t.new_state) for t in changes] == [
        (ms(1), "INSUFFICIENT_DATA", "OK"), (ms(4), "OK", "ALARM"), (ms(5), "ALARM", "OK")]
    assert ev.transitions == changes
    assert ev.state == "OK"
    assert changes[1].new_reason == ("Threshold Crossed: 2 datapoints [5.0 (01/01/24 00:03:00), "
                                     "5.0 (01/01/24 00:02:00)] were greater than or equal to the "
                                     "threshold (1.0).")
    assert changes[1].old_reason == changes[0].new_reason
    assert changes[1].old_timestamp == ms(1)
    # At 00:06 the newest period is missing and 00:04 / 00:03 decide: 0, 5 -> still OK.
    assert ev.last_result.state == "OK"
    assert ev.last_result.reason_data["recentDatapoints"] == [5.0, 0.0]


def test_evaluator_history_items():
    ev = two_of_two()
    ev.advance(at(6))
    items = ev.history_items()
    assert [i["HistorySummary"] for i in items] == [
        "Alarm updated from ALARM to OK", "Alarm updated from OK to ALARM",
        "Alarm updated from INSUFFICIENT_DATA to OK"]
    assert items[1]["Timestamp"] == "2024-01-01T00:04:00.000Z"
    assert items[1]["AlarmName"] == "errors"
    assert items[1]["AlarmType"] == "MetricAlarm"
    assert items[1]["HistoryItemType"] == "StateUpdate"
    first_reason = ("Threshold Crossed: 1 datapoint [0.0 (01/01/24 00:00:00)] was not greater than "
                    "or equal to the threshold (1.0).")
    assert ev.transitions[0].new_reason == first_reason
    assert items[1]["HistoryData"] == (
        '{"version":"1.0","oldState":{"stateValue":"OK","stateReason":"' + first_reason + '"},'
        '"newState":{"stateValue":"ALARM","stateReason":"Threshold Crossed: 2 datapoints [5.0 '
        '(01/01/24 00:03:00), 5.0 (01/01/24 00:02:00)] were greater than or equal to the threshold '
        '(1.0).","stateReasonData":{"version":"1.0","queryDate":"2024-01-01T00:04:00.000+0000",'
        '"startDate":"2024-01-01T00:02:00.000+0000","statistic":"Sum","period":60,'
        '"recentDatapoints":[5.0,5.0],"threshold":1.0,"evaluatedDatapoints":[{"timestamp":'
        '"2024-01-01T00:03:00.000+0000","value":5.0},{"timestamp":"2024-01-01T00:02:00.000+0000",'
        '"value":5.0}]}}}')
    initial = json.loads(items[2]["HistoryData"])
    assert initial["oldState"] == {"stateValue": "INSUFFICIENT_DATA", "stateReason": INITIAL}


def test_evaluator_with_datapoints_per_evaluation_and_set_alarm_state():
    ev = AlarmEvaluator(alarm(EvaluationPeriods=1))
    assert ev.evaluate(at(5), [(at(4), 0.0)]).new_state == "OK"
    assert ev.evaluate(at(6), [(at(5), 0.0)]) is None   # same state: no transition
    manual = ev.set_alarm_state("ALARM", "testing", at(6, 30))
    assert (manual.new_state, manual.new_reason, manual.new_reason_data) == ("ALARM", "testing", None)
    back = ev.evaluate(at(7), [(at(6), 0.0)])           # the next evaluation computes OK again
    assert (back.old_state, back.old_reason, back.new_state) == ("ALARM", "testing", "OK")
    with pytest.raises(ValueError, match="must not go backwards"):
        ev.evaluate(at(6))


def test_evaluator_kept_state_is_not_a_transition():
    ev = AlarmEvaluator(alarm(EvaluationPeriods=1, TreatMissingData="ignore"))
    assert ev.evaluate(at(5), [(at(4), 5.0)]).new_state == "ALARM"
    assert ev.evaluate(at(10), []) is None
    assert ev.last_result == AlarmResult("ALARM", None, None)
    assert len(ev.transitions) == 1


# --------------------------------------------------------------------------- EventBridge shape


EVENTS = json.loads((DATA / "corpus" / "alarms" / "aws-docs-eventbridge-alarm-events.json")
                    .read_text(encoding="utf-8"))
_SERVICE_TS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000")


def _event(alarm_name: str) -> dict:
    return next(e["event"] for e in EVENTS if e["event"]["detail"]["alarmName"] == alarm_name
                and e["event"]["detail-type"] == "CloudWatch Alarm State Change")


def _with_evaluated(reason_data: str, evaluated: str) -> str:
    """A 2019 reasonData string plus the evaluatedDatapoints key the service adds since 2021."""
    assert reason_data.endswith("}")
    return reason_data[:-1] + ',"evaluatedDatapoints":' + evaluated + "}"


def test_eventbridge_single_metric_event_matches_the_documented_one():
    sample = _event("ServerCpuTooHigh")
    cpu = {"AlarmName": "ServerCpuTooHigh",
           "AlarmDescription": "Goes into alarm when server CPU utilization is too high!",
           "Namespace": "AWS/EC2", "MetricName": "CPUUtilization",
           "Dimensions": [{"Name": "InstanceId", "Value": "i-12345678901234567"}],
           "Period": 300, "Statistic": "Average", "EvaluationPeriods": 1, "DatapointsToAlarm": 1,
           "ComparisonOperator": "GreaterThanThreshold", "Threshold": 50.0}
    ev = AlarmEvaluator(cpu)
    ev.evaluate("2019-10-01T13:56:40.985Z", [("2019-10-01T13:46:00Z", 0.0666851903306472)])
    transition = ev.evaluate("2019-10-02T17:04:40.985Z",
                             [("2019-10-02T16:59:00Z", 99.50160229693434)])
    event = ev.eventbridge_event(transition)
    detail, expected = event["detail"], sample["detail"]

    assert {k: event[k] for k in ("version", "detail-type", "source", "account", "time", "region",
                                  "resources")} == \
        {k: sample[k] for k in ("version", "detail-type", "source", "account", "time", "region",
                                "resources")}
    assert detail["alarmName"] == expected["alarmName"]
    assert detail["state"]["value"] == "ALARM"
    assert detail["state"]["reason"] == expected["state"]["reason"]
    assert detail["state"]["reasonData"] == _with_evaluated(
        expected["state"]["reasonData"],
        '[{"timestamp":"2019-10-02T16:59:00.000+0000","value":99.50160229693434}]')
    assert detail["state"]["timestamp"] == "2019-10-02T17:04:40.985+0000"
    assert detail["previousState"]["value"] == "OK"
    assert detail["previousState"]["reason"] == expected["previousState"]["reason"]
    assert detail["previousState"]["reasonData"] == _with_evaluated(
        expected["previousState"]["reasonData"],
        '[{"timestamp":"2019-10-01T13:46:00.000+0000","value":0.0666851903306472}]')
    assert _SERVICE_TS.fullmatch(detail["previousState"]["timestamp"])
    got_metrics = [dict(m) for m in detail["configuration"]["metrics"]]
    want_metrics = [dict(m) for m in expected["configuration"]["metrics"]]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                        got_metrics[0].pop("id"))
    want_metrics[0].pop("id")
    assert got_metrics == want_metrics
    assert detail["configuration"]["description"] == expected["configuration"]["description"]


def test_eventbridge_metric_math_event_matches_the_documented_one():
    expected = _event("TotalNetworkTrafficTooHigh")["detail"]
    dims = [{"Name": "InstanceId", "Value": "i-12345678901234567"}]
    math_alarm = {
        "AlarmName": "TotalNetworkTrafficTooHigh",
        "AlarmDescription": "Goes into alarm if total network traffic exceeds 10Kb",
        "EvaluationPeriods": 1, "DatapointsToAlarm": 1, "Threshold": 10000.0,
        "ComparisonOperator": "GreaterThanThreshold",
        "Metrics": [
            {"Id": "e1", "Expression": "SUM(METRICS())", "Label": "Total Network Traffic",
             "ReturnData": True},
            {"Id": "m1", "ReturnData": False, "MetricStat": {
                "Metric": {"Namespace": "AWS/EC2", "MetricName": "NetworkIn", "Dimensions": dims},
                "Period": 300, "Stat": "Maximum"}},
            {"Id": "m2", "ReturnData": False, "MetricStat": {
                "Metric": {"Namespace": "AWS/EC2", "MetricName": "NetworkOut", "Dimensions": dims},
                "Period": 300, "Stat": "Maximum"}}]}
    assert validate_alarm(math_alarm) == []
    ev = AlarmEvaluator(math_alarm, created_at="2019-10-02T17:20:03.642Z")
    transition = ev.evaluate("2019-10-02T17:20:48.551Z", [("2019-10-02T17:10:00Z", 45628.0)])
    detail = ev.eventbridge_event(transition)["detail"]
    assert detail["previousState"] == expected["previousState"]
    assert detail["configuration"] == expected["configuration"]
    assert detail["state"]["reason"] == expected["state"]["reason"]
    assert detail["state"]["reasonData"] == _with_evaluated(
        expected["state"]["reasonData"],
        '[{"timestamp":"2019-10-02T17:10:00.000+0000","value":45628.0}]')


def test_eventbridge_anomaly_event_matches_the_documented_one():
    expected = _event("EC2 CPU Utilization Anomaly")["detail"]
    band = {"AlarmName": "EC2 CPU Utilization Anomaly",
            "AlarmDescription": "Goes into alarm if CPU Utilization is out of band",
            "EvaluationPeriods": 1, "DatapointsToAlarm": 1, "ThresholdMetricId": "ad1",
            "ComparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold",
            "Metrics": [
                {"Id": "m1", "ReturnData": True, "MetricStat": {
                    "Metric": {"Namespace": "AWS/EC2", "MetricName": "CPUUtilization",
                               "Dimensions": [{"Name": "InstanceId",
                                               "Value": "i-12345678901234567"}]},
                    "Period": 60, "Stat": "Average"}},
                {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 0.8)",
                 "Label": "CPUUtilization (expected)", "ReturnData": True}]}
    assert validate_alarm(band) == []
    ev = AlarmEvaluator(band)
    ev.evaluate("2019-10-03T15:59:04.670Z", [{"timestamp": "2019-10-03T15:57:00Z",
                                              "value": 0.166666666664241,
                                              "lower": 0.0206719426210418,
                                              "upper": 0.30076870222143803}])
    transition = ev.evaluate("2019-10-03T16:00:04.650Z", [{"timestamp": "2019-10-03T15:58:00Z",
                                                           "value": 0.0,
                                                           "lower": 0.020599444741798756,
                                                           "upper": 0.3006915352732461}])
    detail = ev.eventbridge_event(transition)["detail"]
    assert detail["configuration"] == expected["configuration"]
    for which, stamp, value in (("state", "2019-10-03T15:58:00.000+0000", "0.0"),
                                ("previousState", "2019-10-03T15:57:00.000+0000",
                                 "0.166666666664241")):
        assert detail[which]["value"] == expected[which]["value"]
        assert detail[which]["reason"] == expected[which]["reason"]
        assert detail[which]["reasonData"] == _with_evaluated(
            expected[which]["reasonData"], f'[{{"timestamp":"{stamp}","value":{value}}}]')


# --------------------------------------------------------------------------- SNS shape


def test_sns_message_reproduces_a_real_notification():
    # OBS 46314339023: a real SNS message (account masked by its publisher), written out here.
    waf = {"AlarmName": "AlarmForRBRule_project-general-alb-project_alb-project-wafbase-rate-"
                        "limit-rule_BLOCK",
           "AlarmDescription": "Alarm for Rate-based rule events detected on Rule "
                               "alb-project-wafbase-rate-limit-rule",
           "AlarmActions": ["arn:aws:sns:eu-west-1:XXXXXXXXXXX:aws-alerts"], "OKActions": [],
           "Namespace": "AWS/WAFV2", "MetricName": "BlockedRequests", "Statistic": "Sum",
           "Dimensions": [{"Name": "WebACL", "Value": "project-general-alb-project"},
                          {"Name": "Region", "Value": "eu-west-1"},
                          {"Name": "Rule", "Value": "alb-project-wafbase-rate-limit-rule"}],
           "Period": 60, "EvaluationPeriods": 20, "DatapointsToAlarm": 1, "Threshold": 1.0,
           "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching"}
    ev = AlarmEvaluator(waf, created_at="2023-02-23T12:07:38.685+0000", account_id="XXXXXXXXXXX",
                        region="eu-west-1")
    ev.set_alarm_state("OK", "quiet", "2024-03-16T12:00:00Z")
    transition = ev.evaluate("2024-03-16T12:16:45.770Z", [("2024-03-16T12:15:00Z", 613.0)])
    message = ev.sns_message(transition)
    real = json.loads(
        '{"AlarmName":"AlarmForRBRule_project-general-alb-project_alb-project-wafbase-rate-limit-'
        'rule_BLOCK","AlarmDescription":"Alarm for Rate-based rule events detected on Rule '
        'alb-project-wafbase-rate-limit-rule","AWSAccountId":"XXXXXXXXXXX",'
        '"AlarmConfigurationUpdatedTimestamp":"2023-02-23T12:07:38.685+0000","NewStateValue":'
        '"ALARM","NewStateReason":"Threshold Crossed: 1 out of the last 20 datapoints [613.0 '
        '(16/03/24 12:15:00)] was greater than or equal to the threshold (1.0) and 19 missing '
        'datapoints were treated as [NonBreaching] (minimum 1 datapoint for OK -> ALARM '
        'transition).","StateChangeTime":"2024-03-16T12:16:45.770+0000","Region":"EU (Ireland)",'
        '"AlarmArn":"arn:aws:cloudwatch:eu-west-1:XXXXXXXXXXX:alarm:AlarmForRBRule_project-general-'
        'alb-project_alb-project-wafbase-rate-limit-rule_BLOCK","OldStateValue":"OK","OKActions":'
        '[],"AlarmActions":["arn:aws:sns:eu-west-1:XXXXXXXXXXX:aws-alerts"],'
        '"InsufficientDataActions":[],"Trigger":{"MetricName":"BlockedRequests","Namespace":'
        '"AWS/WAFV2","StatisticType":"Statistic","Statistic":"SUM","Unit":null,"Dimensions":'
        '[{"value":"project-general-alb-project","name":"WebACL"},{"value":"eu-west-1","name":'
        '"Region"},{"value":"alb-project-wafbase-rate-limit-rule","name":"Rule"}],"Period":60,'
        '"EvaluationPeriods":20,"DatapointsToAlarm":1,"ComparisonOperator":'
        '"GreaterThanOrEqualToThreshold","Threshold":1.0,"TreatMissingData":"notBreaching",'
        '"EvaluateLowSampleCountPercentile":""}}')
    assert message == real
    assert list(message) == list(real)
    assert list(message["Trigger"]) == list(real["Trigger"])
    assert service_json(message["Trigger"]["Threshold"]) == "1.0"


def _corpus_sns(name: str) -> dict:
    payload = json.loads((DATA / "corpus" / "alarms" / name).read_text(encoding="utf-8"))
    return json.loads(payload["Records"][0]["Sns"]["Message"])


def _fixture_transition(reason: str) -> Transition:
    return Transition(alarm_name="EXAMPLE", timestamp=1433353407123, old_state="INSUFFICIENT_DATA",
                      old_reason=INITIAL, old_reason_data=None, old_timestamp=None,
                      new_state="ALARM", new_reason=reason, new_reason_data=None)


def test_sns_trigger_single_metric_matches_the_aws_lambda_go_payload():
    real = _corpus_sns("aws-lambda-go-cloudwatch-alarm-sns-payload-single-metric.json")
    config = {"AlarmName": "EXAMPLE", "AlarmDescription": "EXAMPLE", "MetricName": "NetworkOut",
              "Namespace": "AWS/EC2", "Statistic": "Average", "Unit": "Bytes",
              "Dimensions": [{"Name": "InstanceId", "Value": "TestInstance"}], "Period": 60,
              "EvaluationPeriods": 1, "ComparisonOperator": "GreaterThanThreshold",
              "Threshold": 0}
    message = sns_message(config, _fixture_transition(real["NewStateReason"]),
                          account_id="123456789012", region="EXAMPLE")
    assert message["Trigger"] == real["Trigger"]
    assert list(message["Trigger"]) == list(real["Trigger"])
    for key in ("AlarmName", "AlarmDescription", "AWSAccountId", "NewStateValue",
                "NewStateReason", "StateChangeTime", "Region", "OldStateValue"):
        assert message[key] == real[key], key


def test_sns_trigger_metric_math_matches_the_aws_lambda_go_payload():
    real = _corpus_sns("aws-lambda-go-cloudwatch-alarm-sns-payload-multiple-metrics.json")
    config = {"AlarmName": "EXAMPLE", "AlarmDescription": "EXAMPLE", "EvaluationPeriods": 1,
              "ComparisonOperator": "GreaterThanThreshold", "Threshold": 0.0,
              "Metrics": [{"Expression": "m1*1", "Id": "e1", "Label": "Expression1",
                           "ReturnData": True},
                          {"Id": "m1", "MetricStat": {
                              "Metric": {"Dimensions": [{"Name": "InstanceId",
                                                         "Value": "TestInstance"}],
                                         "MetricName": "NetworkOut", "Namespace": "AWS/EC2"},
                              "Period": 60, "Stat": "Average"}, "ReturnData": False}]}
    message = sns_message(config, _fixture_transition(real["NewStateReason"]), region="EXAMPLE")
    assert message["Trigger"] == real["Trigger"]
    assert message["StateChangeTime"] == real["StateChangeTime"]
