"""Ctrl-C during a run with alarms.

A batch run interrupted while it writes its results (the alarms already evaluated) finishes
writing them: closing the engine again returns the same items, so nothing is written twice and
no alarm is evaluated again over a history the first evaluation already pruned. A live run
interrupted inside an alarm evaluation resumes where it stopped: no evaluation time goes back.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from cwfilter.engine.alarms.evaluator import AlarmEvaluator
from cwfilter.engine.metrics.pipeline import AlarmBank
from cwfilter.engine.metrics.transform import MetricKey
from cwfilter.engine.testing.cis import build_config, samples

CWFILTER = Path(sys.executable).parent / "cwfilter"
T0 = 1_704_067_200_000


def _sparse_days(tmp_path: Path, days: int, events: int) -> tuple[Path, Path]:
    """The CIS pack and `events` CIS sample events over `days` days, as JSON lines."""
    rng = random.Random(7)
    messages = [json.loads(s.message) for s in samples() if s.match]
    log = tmp_path / "days.jsonl"
    with log.open("w", encoding="utf-8") as fh:
        for ms in sorted(T0 + rng.randrange(days * 86_400_000) for _ in range(events)):
            record = dict(rng.choice(messages))
            record["eventTime"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms // 1000))
            fh.write(json.dumps(record) + "\n")
    config = tmp_path / "cis.json"
    config.write_text(json.dumps(build_config("securityhub")), encoding="utf-8")
    return config, log


def _env() -> dict[str, str]:
    # Standard output buffered, as it is for a user's pipe.
    return {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}


def test_ctrl_c_while_a_batch_run_writes_its_results_writes_the_rest_once(tmp_path):
    config, log = _sparse_days(tmp_path, 3, 1500)
    args = [str(CWFILTER), "run", "-o", "jsonl", str(config), f"{log}@CloudTrail/DefaultLogGroup"]
    full = subprocess.run(args, capture_output=True, env=_env(), timeout=120)
    assert full.returncode == 0, full.stderr.decode()
    assert len(full.stdout) > 1_000_000  # far more than a pipe holds
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
    # Results are written only once every alarm was evaluated. One byte read from the pipe itself:
    # communicate() reads the descriptor, so nothing may wait in the file object's buffer.
    first = os.read(proc.stdout.fileno(), 1)
    time.sleep(0.5)  # the pipe fills: the run waits in a write
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert b"Traceback" not in err and b"must not go backwards" not in err, err.decode()
    assert first + rest == full.stdout  # every datapoint and transition, none twice


def _bank(alarms):
    bank = AlarmBank(alarms, [])
    rng = random.Random(3)
    for _ in range(60):
        bank.add(MetricKey("ns", "m"), T0 + rng.randrange(6 * 3_600_000), 1.0)
    return bank


def test_an_alarm_evaluation_interrupted_resumes_where_it_stopped():
    alarms = [{"AlarmName": f"a{i}", "Namespace": "ns", "MetricName": "m", "Statistic": "Sum", "Period": 60 * (i + 1),
               "EvaluationPeriods": 2, "DatapointsToAlarm": 1, "Threshold": 1.0,
               "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching"}
              for i in range(3)]
    whole = _bank(alarms)
    want = whole.evaluate_until(T0 + 7 * 3_600_000, T0)
    interrupted = _bank(alarms)
    calls = 0
    evaluate = AlarmEvaluator.evaluate_points

    def ctrl_c_at_the_40th(self, at_ms, points):
        nonlocal calls
        calls += 1
        if calls == 40:
            raise KeyboardInterrupt
        return evaluate(self, at_ms, points)

    for ev in interrupted.evaluators:
        ev.evaluate_points = ctrl_c_at_the_40th.__get__(ev)
    try:
        interrupted.evaluate_until(T0 + 7 * 3_600_000, T0)
    except KeyboardInterrupt:
        pass
    else:
        raise AssertionError("the evaluation was not interrupted")
    assert calls == 40
    got = interrupted.evaluate_until(T0 + 7 * 3_600_000, T0)  # no "evaluation times must not go backwards"
    assert [(c.transition.timestamp, c.transition.alarm_name, c.transition.new_state, c.transition.new_reason)
            for c in got] == \
        [(c.transition.timestamp, c.transition.alarm_name, c.transition.new_state, c.transition.new_reason)
         for c in want]
    assert [(e.state, e.reason) for e in interrupted.evaluators] == [(e.state, e.reason) for e in whole.evaluators]
