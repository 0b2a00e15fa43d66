"""Alarms end to end: config + log events through the real `cwfilter run`, on the simulated clock."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data" / "conformance"
CWFILTER = str(Path(sys.executable).with_name("cwfilter"))


def _ms(value) -> int:
    if isinstance(value, (int, float)):
        return int(value)
    return int(dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)


def _run(tmp_path: Path, config: dict, events: list[tuple[int, str]], *args: str, group: str = "app"):
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps(config))
    log = tmp_path / "events.json"
    # `aws logs filter-log-events` output: the timestamps are where AWS puts them.
    log.write_text(json.dumps({"events": [{"timestamp": ts, "message": m} for ts, m in events]}))
    return subprocess.run(
        [CWFILTER, "run", str(cfg), f"{log}@{group}", "--quiet", *args],
        capture_output=True, text=True, timeout=60,
    )


def _jsonl(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def _transitions(stdout: str) -> list[dict]:
    return [d for d in _jsonl(stdout) if "alarmName" in d]


E2E = [json.loads(l) for l in open(DATA / "alarms.jsonl", encoding="utf-8") if '"kind": "e2e"' in l]


@pytest.mark.parametrize("case", E2E, ids=lambda c: c["id"])
def test_conformance_e2e(tmp_path, case):
    mf = dict(case["metric_filter"], filterName="filter", logGroupName="app")
    alarm = dict(case["alarm"], AlarmName="alarm")
    events = []
    for e in case["log_events"]:
        ts = e["timestamp_epoch_s"] * 1000 if "timestamp_epoch_s" in e else _ms(e["timestamp"])
        events.append((ts, e["message"]))
    proc = _run(tmp_path, {"metricFilters": [mf], "MetricAlarms": [alarm]}, events, "-o", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    filters = doc["summary"]["filters"]
    assert filters[0]["matched"] == sum(case["expected_filter_match"])
    (final,) = doc["summary"]["alarms"]
    if case["expected_state"] == "NOT_ALARM":
        assert final["stateValue"] != "ALARM"
    else:
        assert final["stateValue"] == case["expected_state"], final
    for want in case.get("expected_datapoints", []):
        stamps = [p for m in doc["metrics"] for p in m["Datapoints"]]
        minute = want["period_start_contains"][:16]
        assert any(p["Timestamp"][:16] <= minute and p["Sum"] == want["Sum"] for p in stamps), stamps


T0 = _ms("2024-01-01T00:00:00Z")
ERRORS = {
    "metricFilters": [
        {
            "filterName": "errors",
            "logGroupName": "app",
            "filterPattern": "ERROR",
            "metricTransformations": [
                {"metricName": "Errors", "metricNamespace": "App", "metricValue": "1"}
            ],
        }
    ]
}


def _alarm(**overrides) -> dict:
    alarm = {
        "AlarmName": "too-many-errors",
        "MetricName": "Errors",
        "Namespace": "App",
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 3,
        "DatapointsToAlarm": 2,
        "Threshold": 5.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching",
        "AlarmActions": ["arn:aws:sns:us-east-1:123456789012:pager"],
        "OKActions": ["arn:aws:sns:us-east-1:123456789012:pager"],
    }
    alarm.update(overrides)
    return alarm


def _burst(minute: int, count: int) -> list[tuple[int, str]]:
    base = T0 + minute * 60_000
    return [(base + i * (60_000 // max(count, 1)), f"ERROR request {i} failed") for i in range(count)]


def test_m_of_n_alarm_then_recovery_with_until(tmp_path):
    # Minutes 0-2: 6 errors each (breaching, threshold 5); then silence. M=2 of N=3, range 5 (A3).
    # 00:00 no data, notBreaching -> OK (A4 case 1). 00:01 one breaching point, gap filled with
    # good points -> OK. 00:02 two breaching -> ALARM. Until 00:06 the range still holds >= 2
    # breaching points; at 00:07 it holds only minute 2's -> 1 of 3 after filling -> OK.
    events = _burst(0, 6) + _burst(1, 6) + _burst(2, 6)
    config = dict(ERRORS, MetricAlarms=[_alarm()])
    proc = _run(tmp_path, config, events, "-o", "jsonl", "--until", "2024-01-01T00:15:00Z")
    assert proc.returncode == 0, proc.stderr
    states = [(t["state"]["timestamp"][:19], t["previousState"]["value"], t["state"]["value"]) for t in _transitions(proc.stdout)]
    assert states == [
        ("2024-01-01T00:00:00", "INSUFFICIENT_DATA", "OK"),
        ("2024-01-01T00:02:00", "OK", "ALARM"),
        ("2024-01-01T00:07:00", "ALARM", "OK"),
    ]
    # Without --until the run stops at the first boundary after the last event: still in ALARM.
    proc = _run(tmp_path, config, events, "-o", "json", "--fail-on-alarm")
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["summary"]["alarms"][0]["stateValue"] == "ALARM"


def test_fail_on_alarm_ever_versus_end(tmp_path):
    events = _burst(0, 6) + _burst(1, 6)
    config = dict(ERRORS, MetricAlarms=[_alarm()])
    until = ("--until", "2024-01-01T00:20:00Z")
    assert _run(tmp_path, config, events, "-o", "json", *until, "--fail-on-alarm").returncode == 0
    assert _run(tmp_path, config, events, "-o", "json", *until, "--fail-on-alarm=ever").returncode == 1


def test_transition_reason_and_detail_shape(tmp_path):
    events = _burst(0, 6) + _burst(1, 7)
    proc = _run(tmp_path, dict(ERRORS, MetricAlarms=[_alarm()]), events, "-o", "jsonl")
    (alarm,) = [t for t in _transitions(proc.stdout) if t["state"]["value"] == "ALARM"]
    assert alarm["alarmName"] == "too-many-errors"
    assert alarm["state"]["reason"] == (
        "Threshold Crossed: 2 out of the last 3 datapoints [7.0 (01/01/24 00:01:00), "
        "6.0 (01/01/24 00:00:00)] were greater than or equal to the threshold (5.0) "
        "and 1 missing datapoint was treated as [NonBreaching] "
        "(minimum 2 datapoints for OK -> ALARM transition)."
    )
    data = json.loads(alarm["state"]["reasonData"])
    assert data["recentDatapoints"] == [6.0, 7.0]
    assert data["threshold"] == 5.0


def test_datapoints_and_transitions_share_the_jsonl_stream(tmp_path):
    proc = _run(tmp_path, dict(ERRORS, MetricAlarms=[_alarm()]), _burst(0, 6) + _burst(1, 6), "-o", "jsonl")
    lines = _jsonl(proc.stdout)
    assert {"MetricName", "Timestamp", "Sum"} <= set(lines[0])
    assert any("alarmName" in line for line in lines)


@pytest.mark.parametrize(
    "treat,expected",
    [("missing", "INSUFFICIENT_DATA"), ("notBreaching", "OK"), ("breaching", "ALARM"), ("ignore", "ALARM")],
)
def test_treat_missing_data_after_the_events_stop(tmp_path, treat, expected):
    """One breaching minute, then 10 empty minutes evaluated with --until."""
    alarm = _alarm(EvaluationPeriods=1, DatapointsToAlarm=1, TreatMissingData=treat)
    proc = _run(tmp_path, dict(ERRORS, MetricAlarms=[alarm]), _burst(0, 6), "-o", "json", "--until", "2024-01-01T00:11:00Z")
    assert json.loads(proc.stdout)["summary"]["alarms"][0]["stateValue"] == expected


def test_high_resolution_alarm_is_evaluated_every_ten_seconds(tmp_path):
    alarm = _alarm(Period=10, EvaluationPeriods=1, DatapointsToAlarm=1, Threshold=3.0)
    events = [(T0 + 20_000 + i * 1000, "ERROR x") for i in range(4)]
    proc = _run(tmp_path, dict(ERRORS, MetricAlarms=[alarm]), events, "-o", "jsonl", "--until", "2024-01-01T00:01:00Z")
    stamps = [(t["state"]["timestamp"][11:19], t["state"]["value"]) for t in _transitions(proc.stdout)]
    # Evaluated every 10 s from the first event. The 00:00:20-00:00:30 period holds 4 errors:
    # ALARM at 00:00:30. The range is N + 2 = 3 periods (A3), so that point decides until
    # 00:00:50; at 00:01:00 the range is empty and notBreaching gives OK.
    assert stamps == [("00:00:20", "OK"), ("00:00:30", "ALARM"), ("00:01:00", "OK")]


def test_period_longer_than_the_cadence_slides_by_the_minute(tmp_path):
    # Period 300 s evaluated every minute: the window [t-5min, t) slides (DECISIONS A2).
    alarm = _alarm(Period=300, EvaluationPeriods=1, DatapointsToAlarm=1, Threshold=6.0)
    events = _burst(3, 3) + _burst(4, 3)
    proc = _run(tmp_path, dict(ERRORS, MetricAlarms=[alarm]), events, "-o", "jsonl", "--until", "2024-01-01T00:12:00Z")
    stamps = [(t["state"]["timestamp"][11:19], t["state"]["value"]) for t in _transitions(proc.stdout)]
    # 00:03 (first event) no data -> OK. 00:05: window [00:00, 00:05) holds all 6 -> ALARM, and
    # so do the windows ending 00:06-00:08. 00:09: [00:04, 00:09) holds 3 -> OK. 00:10: the
    # newest window [00:05, 00:10) is empty and the range (3 periods, A3) steps back by the
    # Period to [00:00, 00:05), which holds 6: the newest real point decides (A4) -> ALARM.
    assert stamps == [("00:03:00", "OK"), ("00:05:00", "ALARM"), ("00:09:00", "OK"), ("00:10:00", "ALARM")]


def test_on_transition_runs_the_command_with_the_sns_message(tmp_path):
    out = tmp_path / "notified.jsonl"
    script = tmp_path / "notify.sh"
    script.write_text(f'#!/bin/sh\necho "$CWFILTER_ALARM_STATE $(cat)" >> {out}\n')
    script.chmod(0o755)
    proc = _run(
        tmp_path, dict(ERRORS, MetricAlarms=[_alarm()]), _burst(0, 6) + _burst(1, 6), "-o", "json",
        "--until", "2024-01-01T00:10:00Z", "--on-transition", str(script),
    )
    assert proc.returncode == 0, proc.stderr
    lines = out.read_text().splitlines()
    # OKActions run on the first evaluation too (INSUFFICIENT_DATA -> OK), as in CloudWatch.
    assert [l.split(" ", 1)[0] for l in lines] == ["OK", "ALARM", "OK"]
    message = json.loads(lines[1].split(" ", 1)[1])
    assert message["AlarmName"] == "too-many-errors"
    assert message["NewStateValue"] == "ALARM"
    assert message["Trigger"]["MetricName"] == "Errors"


def test_actions_disabled_runs_nothing(tmp_path):
    out = tmp_path / "notified"
    proc = _run(
        tmp_path, dict(ERRORS, MetricAlarms=[_alarm(ActionsEnabled=False)]), _burst(0, 6) + _burst(1, 6),
        "-o", "json", "--on-transition", f"touch {out}",
    )
    assert proc.returncode == 0
    assert not out.exists()


def test_composite_alarm_with_suppressor(tmp_path):
    config = dict(
        ERRORS,
        MetricAlarms=[
            _alarm(AlarmName="errors-high", EvaluationPeriods=1, DatapointsToAlarm=1),
            _alarm(AlarmName="maintenance", EvaluationPeriods=1, DatapointsToAlarm=1, Threshold=1000.0),
        ],
        CompositeAlarms=[
            {
                "AlarmName": "page-me",
                "AlarmRule": 'ALARM("errors-high") AND NOT ALARM(maintenance)',
                "AlarmActions": ["arn:aws:sns:us-east-1:123456789012:pager"],
                "ActionsSuppressor": "maintenance",
                "ActionsSuppressorWaitPeriod": 60,
                "ActionsSuppressorExtensionPeriod": 60,
            }
        ],
    )
    proc = _run(tmp_path, config, _burst(0, 6), "-o", "jsonl", "--until", "2024-01-01T00:05:00Z")
    assert proc.returncode == 0, proc.stderr
    comp = [t for t in _transitions(proc.stdout) if t["alarmName"] == "page-me"]
    # First evaluation (children OK) -> OK; errors-high goes ALARM at 00:01 -> ALARM; the range of
    # errors-high (3 periods) empties at 00:04 -> OK.
    assert [(t["state"]["timestamp"][11:19], t["state"]["value"]) for t in comp] == [
        ("00:00:00", "OK"), ("00:01:00", "ALARM"), ("00:04:00", "OK")]


def test_unknown_alarm_in_composite_rule_is_a_config_error(tmp_path):
    config = dict(ERRORS, CompositeAlarms=[{"AlarmName": "c", "AlarmRule": "ALARM(nope)"}])
    proc = _run(tmp_path, config, _burst(0, 1), "-o", "json")
    assert proc.returncode == 2
    assert "CompositeAlarms[0].AlarmRule" in proc.stderr
