"""cwfilter.spark on a real local[2] Spark session: each result equals `cwfilter run -o json` on the same files.

The CloudTrail files are built from the corpus's CloudTrail records (the AWS documentation's examples,
Panther's rule tests and the OTRF exfiltration capture), placed within one day (their own times span
years, and the alarms are evaluated minute by minute), wrapped in the `{"Records": [...]}` envelope
CloudTrail writes to S3, split over many files, some gzipped, and given to each run in another order.
Without pyspark these tests skip locally and fail under CI.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "corpus" / "cloudtrail"
CWFILTER = Path(sys.executable).with_name("cwfilter")
T0 = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
SPARK_ENV = {"PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable,
             "PYSPARK_SUBMIT_ARGS": "--master local[2] --conf spark.ui.enabled=false "
                                    "--conf spark.sql.shuffle.partitions=4 pyspark-shell"}


def _pyspark():
    try:
        import pyspark  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("pyspark is not installed: CI installs '.[test,spark]' with pyspark 3.5.x")
        pytest.skip("pyspark is not installed (pip install 'cwfilter[spark]' 'pyspark>=3.5,<3.6')")


@pytest.fixture(scope="module")
def spark():
    _pyspark()
    os.environ.update(SPARK_ENV)
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("cwfilter-tests")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4").getOrCreate())
    yield session
    session.stop()


def _records() -> list[dict]:
    recs = []
    for line in (CORPUS / "aws-docs-cloudtrail-examples.jsonl").read_text().splitlines():
        recs.append(json.loads(line)["event"])
    for line in (CORPUS / "panther-analysis-cloudtrail-rule-tests.jsonl").read_text().splitlines():
        log = json.loads(line).get("log")
        if isinstance(log, dict) and "eventName" in log:
            recs.append(log)
    for line in (CORPUS / "otrf-ec2_proxy_s3_exfiltration_2020-09-14011940.jsonl").read_text().splitlines():
        recs.append(json.loads(line))
    rng = random.Random(19)
    out = []
    for rec in recs:
        # Within one day, seconds apart, some minutes empty (for default values and missing data).
        at = T0 + dt.timedelta(seconds=rng.randrange(0, 4 * 3600), milliseconds=rng.randrange(1000))
        out.append(dict(rec, eventTime=at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"))
    return out


@pytest.fixture(scope="module")
def trail(tmp_path_factory) -> list[str]:
    """CloudTrail log files as S3 holds them (`*.json.gz`, a few plain), in a shuffled order."""
    folder = tmp_path_factory.mktemp("AWSLogs")
    recs = _records()
    rng = random.Random(7)
    rng.shuffle(recs)
    paths = []
    for i in range(24):
        body = json.dumps({"Records": recs[i::24]}).encode()
        path = folder / f"111122223333_CloudTrail_us-east-1_20240301T{i:04d}Z_{i:04x}.json{'.gz' if i % 5 else ''}"
        path.write_bytes(gzip.compress(body) if i % 5 else body)
        paths.append(str(path))
    rng.shuffle(paths)
    return paths


@pytest.fixture(scope="module")
def configs(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("configs")
    cis = folder / "cis.yaml"
    cis.write_text(subprocess.run([str(CWFILTER), "rules", "cis"], capture_output=True, text=True,
                                  check=True).stdout)
    dims = folder / "dims.yaml"
    dims.write_text(json.dumps({
        "metricFilters": [
            {"filterName": "calls", "logGroupName": "trail", "filterPattern": "{ $.eventSource = * }",
             "metricTransformations": [{"metricNamespace": "Trail", "metricName": "Calls", "metricValue": "1",
                                        "dimensions": {"Source": "$.eventSource", "Region": "$.awsRegion"}}]},
            {"filterName": "results", "logGroupName": "trail", "filterPattern": "{ $.requestParameters.MaxResults > 0 }",
             "metricTransformations": [{"metricNamespace": "Trail", "metricName": "MaxResults",
                                        "metricValue": "$.requestParameters.MaxResults", "unit": "Count"}]},
        ],
        "MetricAlarms": [
            {"AlarmName": "max-results-p90", "Namespace": "Trail", "MetricName": "MaxResults",
             "ExtendedStatistic": "p90", "Period": 300, "EvaluationPeriods": 2, "DatapointsToAlarm": 1,
             "Threshold": 50, "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "missing"},
            {"AlarmName": "ec2-calls", "Namespace": "Trail", "MetricName": "Calls", "Statistic": "SampleCount",
             "Dimensions": [{"Name": "Region", "Value": "us-east-1"}, {"Name": "Source", "Value": "ec2.amazonaws.com"}],
             "Period": 60, "EvaluationPeriods": 3, "DatapointsToAlarm": 2, "Threshold": 2,
             "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching"},
        ],
    }))
    defaults = folder / "defaults.yaml"
    defaults.write_text(json.dumps({
        "metricFilters": [
            {"filterName": "assume-role", "logGroupName": "trail", "filterPattern": '{ $.eventName = "AssumeRole" }',
             "metricTransformations": [{"metricNamespace": "Trail", "metricName": "AssumeRole", "metricValue": "1",
                                        "defaultValue": 0}]},
            {"filterName": "errors", "logGroupName": "trail", "filterPattern": "{ $.errorCode = * }",
             "metricTransformations": [{"metricNamespace": "Trail", "metricName": "Errors", "metricValue": "1",
                                        "defaultValue": 0}]},
        ],
        "MetricAlarms": [
            {"AlarmName": "no-assume-role", "Namespace": "Trail", "MetricName": "AssumeRole", "Statistic": "Average",
             "Period": 60, "EvaluationPeriods": 5, "Threshold": 0, "ComparisonOperator": "LessThanOrEqualToThreshold",
             "TreatMissingData": "breaching"},
        ],
    }))
    return {"cis": cis, "dims": dims, "defaults": defaults}


_LOCAL: dict[tuple, str] = {}


def _local(config: Path, paths: list[str], *extra: str) -> dict:
    """`cwfilter run -o json` on the files (each run once per module: the tests share them)."""
    key = (str(config), tuple(sorted(paths)), extra)
    if key not in _LOCAL:
        _LOCAL[key] = _run_local(config, paths, *extra)
    return json.loads(_LOCAL[key])


def _run_local(config: Path, paths: list[str], *extra: str) -> str:
    done = subprocess.run([str(CWFILTER), "run", str(config), *sorted(paths), "-o", "json", "-q", *extra],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("name, statistics", [("cis", []), ("dims", ["p90", "p50"]), ("defaults", [])])
def test_spark_run_equals_the_local_run(spark, trail, configs, name, statistics):
    from cwfilter import spark as cwspark

    stats = [a for s in statistics for a in ("-s", s)]
    local = _local(configs[name], trail, *stats)
    got = json.loads(json.dumps(cwspark.run(spark, str(configs[name]), trail, statistics=statistics, partitions=5)))
    assert got == local
    assert local["metrics"], "the config publishes metrics over the corpus"
    assert local["summary"]["events"] == len(_records())
    if name != "cis":
        assert local["alarmHistory"]


def test_datapoints_on_the_executors_and_events_from_a_table(spark, trail, configs):
    from cwfilter import spark as cwspark
    from cwfilter.engine.inputs.readers import read_events

    local = _local(configs["defaults"], trail)
    want = {(m["MetricName"], p["Timestamp"]): (p["SampleCount"], p["Sum"]) for m in local["metrics"]
            for p in m["Datapoints"]}
    rows = [(ev.message, ev.timestamp, "trail") for path in trail for ev in read_events(path)]
    rows.append(("AssumeRole without a time", None, "trail"))
    df = spark.createDataFrame(rows, "message string, timestamp long, group string")
    aggs = cwspark.aggregates_from_events(df, str(configs["defaults"]), log_group="group")
    points = cwspark.datapoints(aggs, str(configs["defaults"]))
    got = {(r.MetricName, r.Timestamp): (r.SampleCount, r.Sum) for r in points.collect()}
    assert got == want
    five = cwspark.datapoints(aggs, str(configs["defaults"]), period=300).collect()
    assert sum(r.SampleCount for r in five) == sum(v[0] for v in want.values())
    assert {r.Period for r in five} == {300}
    done = cwspark.outcome(aggs, str(configs["defaults"]))
    assert done.summary["refused"] == {"noTimestamp": 1}
    assert done.summary["events"] == local["summary"]["events"] + 1


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(CWFILTER), "run", *args], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, **SPARK_ENV), check=False)


def test_cli_engine_spark_aggregates_out_and_from_aggregates(spark, trail, configs, tmp_path):
    from cwfilter import spark as cwspark

    config = str(configs["dims"])
    local = _local(configs["dims"], trail, "-s", "p90", "-s", "p50")
    half = len(trail) // 2
    out1, out2 = tmp_path / "day1.parquet", tmp_path / "day2.parquet"
    done = _cli("--engine", "spark", config, *trail[:half], "-o", "json", "-q", "-s", "p90", "-s", "p50",
                "--aggregates-out", str(out1))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == _local(configs["dims"], trail[:half], "-s", "p90", "-s", "p50")
    # The other half by the API, into the same format.
    cwspark.aggregates(spark, config, trail[half:]).write.parquet(str(out2))
    # Two days' aggregates merged into one run, without reading the logs again.
    done = _cli("--from-aggregates", f"{out1},{out2}", config, "-o", "json", "-q", "-s", "p90", "-s", "p50")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == local


@pytest.mark.parametrize("args, message", [
    (["--engine", "spark", "--follow"], "--follow runs on the wall clock"),
    (["--engine", "spark", "--timestamps", "now"], "--timestamps now and --start"),
    (["--aggregates-out", "x.parquet"], "add --engine spark"),
    (["--engine", "flink"], "--engine is local or spark"),
])
def test_cli_refuses_what_a_distributed_run_cannot_do(configs, trail, args, message):
    done = _cli(str(configs["defaults"]), trail[0], *args)
    assert done.returncode == 2
    assert message in done.stderr
