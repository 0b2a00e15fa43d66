"""Many small files whose events span years finish quickly, with exact alarm histories.

An archive of small CloudTrail files in the S3 layout whose records lie years apart (real archives
mix old test events with new ones) used to run for hours: the batch alarm evaluation walked every
minute of the timeline. A run must end in seconds, and the alarm transitions must be those a
minute-by-minute evaluation gives, computed here independently from the records.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import random
from pathlib import Path

import pytest
import yaml
from test_order_independence import ACCOUNT, REGIONS, _corpus_records, _iso
from test_run_e2e import SECURITY_HUB, cli

YEAR_MS = 365 * 86_400_000
MINUTE = 60_000
FILES = 300
BURSTS = [int(dt.datetime(y, 1 + y % 12, 3, tzinfo=dt.UTC).timestamp() * 1000) for y in (2016, 2019, 2022, 2024)]


def _archive(root: Path) -> list[tuple[int, dict]]:
    """FILES small files, each a few records within minutes, in bursts years apart."""
    rng = random.Random(8)
    records = _corpus_records()
    stamped = []
    for i in range(FILES):
        burst = BURSTS[i % len(BURSTS)]
        base = burst + (i // len(BURSTS)) * 2 * MINUTE  # a burst's files two minutes apart
        region = REGIONS[i % len(REGIONS)]
        recs = []
        for _ in range(4):
            rec = dict(rng.choice(records))
            ms = base + rng.randrange(60) * 1000
            rec["eventTime"], rec["awsRegion"] = _iso(ms), region
            recs.append(rec)
            stamped.append((ms, rec))
        rng.shuffle(recs)
        when = dt.datetime.fromtimestamp(base / 1000, dt.UTC)
        folder = root / "AWSLogs" / ACCOUNT / "CloudTrail" / region / when.strftime("%Y/%m/%d")
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{ACCOUNT}_CloudTrail_{region}_{when:%Y%m%dT%H%MZ}_{i:04x}.json.gz"
        (folder / name).write_bytes(gzip.compress(json.dumps({"Records": recs}).encode()))
    return stamped


def _alarm_runs(minutes: list[int], range_min: int) -> int:
    """How many times a 1-of-1 `>= 1` Sum alarm (missing data not breaching) enters ALARM when
    evaluated every minute: it is in ALARM while a match lies in its evaluation range (the
    `range_min` minutes before), so once per run of matched minutes at most a range apart."""
    runs, last = 0, None
    for m in sorted(set(minutes)):
        if last is None or m - last > range_min:
            runs += 1
        last = m
    return runs


def test_small_files_years_apart_run_quickly_with_exact_alarms(tmp_path: Path):
    stamped = _archive(tmp_path)
    pack = tmp_path / "cis.yaml"
    done = cli("rules", "cis")
    assert done.returncode == 0, done.stderr
    pack.write_text(done.stdout, encoding="utf-8")
    files = sorted(tmp_path.glob("AWSLogs/*/CloudTrail/*/*/*/*/*.json.gz"))
    assert len(files) == FILES
    span_years = (max(ms for ms, _ in stamped) - min(ms for ms, _ in stamped)) / YEAR_MS
    assert span_years > 7

    done = cli("run", pack, *files, "-o", "json", timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    doc = json.loads(done.stdout)
    assert doc["summary"]["events"] == FILES * 4

    config = yaml.safe_load(pack.read_text(encoding="utf-8"))
    filters = config["metricFilters"]
    alarms = {a["MetricName"]: a for a in config["MetricAlarms"]}
    entered: dict[str, int] = {}
    for h in doc["alarmHistory"]:
        if h["HistorySummary"].endswith(" to ALARM"):
            entered[h["AlarmName"]] = entered.get(h["AlarmName"], 0) + 1
    checked = 0
    for i, f in enumerate(filters):
        metric = f["metricTransformations"][0]["metricName"]
        alarm = alarms[metric]
        assert (alarm["EvaluationPeriods"], alarm["Statistic"], alarm["Threshold"]) == (1, "Sum", 1.0)
        assert alarm["TreatMissingData"] == "notBreaching"
        matched = [ms // MINUTE for ms, rec in stamped if SECURITY_HUB[f"CloudWatch.{i + 1}"](rec)]
        n = alarm["EvaluationPeriods"]
        expected = _alarm_runs(matched, alarm["Period"] // 60 * (n + max(n // 3, 2)))  # DECISIONS A3
        assert entered.get(alarm["AlarmName"], 0) == expected, alarm["AlarmName"]
        checked += bool(expected)
    assert checked >= 5  # most controls alarm at least once, in bursts years apart


@pytest.mark.parametrize("years", [1, 9])
def test_a_sparse_timeline_costs_its_data_not_its_span(tmp_path: Path, years: int):
    """Two events `years` apart: the run ends well within the timeout either way."""
    recs = [json.loads(line) for line in (Path(__file__).parent / "data" / "corpus" / "cloudtrail"
                                         / "aws-docs-cloudtrail-examples.jsonl").read_text().splitlines()
            if line.strip()][:2]
    first = int(dt.datetime(2015, 6, 1, tzinfo=dt.UTC).timestamp() * 1000)
    recs[0]["eventTime"], recs[1]["eventTime"] = _iso(first), _iso(first + years * YEAR_MS)
    path = tmp_path / "two.json.gz"
    path.write_bytes(gzip.compress(json.dumps({"Records": recs}).encode()))
    pack = tmp_path / "cis.yaml"
    pack.write_text(cli("rules", "cis").stdout, encoding="utf-8")
    done = cli("run", pack, path, "-o", "json", timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(json.loads(done.stdout)["alarmHistory"]) >= 14  # every alarm left INSUFFICIENT_DATA
