"""`cwfilter check`, `import` and `run` over CloudFormation, CDK, Terraform and the CloudWatch agent config.

The installed console script runs as a subprocess, as a user or a pre-commit hook runs it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
SOURCES = Path(__file__).parent / "fixtures" / "sources"
CFN_YAML = SOURCES / "cloudtrail-alarms.yaml"
TF_MODULE = SOURCES / "terraform"
AGENT = SOURCES / "agent"
TRAIL = Path(__file__).parent / "data" / "corpus" / "cloudtrail" / "otrf-ec2_proxy_s3_exfiltration_2020-09-14011940.jsonl"
CWFILTER = Path(sys.executable).parent / ("cwfilter.exe" if os.name == "nt" else "cwfilter")


def cli(*args: Any, cwd: Path | None = None) -> subprocess.CompletedProcess:
    assert CWFILTER.is_file(), f"console script not installed next to {sys.executable}"
    env = {k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "PY_COLORS"}}
    env.update({"NO_COLOR": "1", "COLUMNS": "200"})
    return subprocess.run([str(CWFILTER), *map(str, args)], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=120, check=False)


BROKEN = """\
Parameters:
  Threshold: {Type: Number}
Resources:
  ErrorsFilter:
    Type: AWS::Logs::MetricFilter
    Properties:
      FilterName: errors
      LogGroupName: /app
      FilterPattern: '{ $.level = "ERROR" }'
      MetricTransformations:
        - {MetricName: Errors, MetricNamespace: App, MetricValue: "1"}
  ErrorsAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmName: errors-high
      Namespace: App
      MetricName: Error
      Statistic: Sum
      Period: 60
      EvaluationPeriods: 1
      Threshold: !Ref Threshold
      ComparisonOperator: GreaterThanOrEqualToThreshold
"""


def test_check_reports_template_problems_with_file_line_and_resource(tmp_path):
    (tmp_path / "t.yaml").write_text(BROKEN, encoding="utf-8")
    done = cli("check", "t.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout.splitlines() == [
        "t.yaml:21: Resources.ErrorsAlarm.Properties.Threshold: CWF200 alarm ErrorsAlarm: Threshold is "
        "!Ref Threshold, which cannot be resolved without deploying: parameter Threshold has no Default; give "
        "--parameter Threshold=VALUE"]
    done = cli("check", "t.yaml", "--parameter", "Threshold=3", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout.splitlines() == [
        "t.yaml:17: Resources.ErrorsAlarm.Properties.MetricName: CWF201 alarm 'errors-high' (ErrorsAlarm, "
        "t.yaml:12) watches App/Error with no dimensions, which no metric filter publishes: filter 'errors' "
        "(ErrorsFilter, t.yaml:4) publishes App/Errors with no dimensions",
        "t.yaml:11: Resources.ErrorsFilter.Properties.MetricTransformations[0]: warning: CWF202 filter 'errors' "
        "(ErrorsFilter, t.yaml:4) publishes App/Errors with no dimensions, which no alarm in scope watches"]
    assert done.stderr == "1 error, 1 warning\n"


def test_check_json_and_sarif(tmp_path):
    (tmp_path / "t.yaml").write_text(BROKEN, encoding="utf-8")
    done = cli("check", "t.yaml", "-p", "Threshold=3", "--output", "json", cwd=tmp_path)
    findings = json.loads(done.stdout)
    assert [(f["code"], f["severity"], f["file"], f["line"], f["resource"]) for f in findings] == [
        ("CWF201", "error", "t.yaml", 17, "ErrorsAlarm"), ("CWF202", "warning", "t.yaml", 11, "ErrorsFilter")]

    done = cli("check", "t.yaml", "-p", "Threshold=3", "--output", "sarif", cwd=tmp_path)
    assert done.returncode == 2
    log = json.loads(done.stdout)
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    [run] = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert run["tool"]["driver"]["name"] == "cwfilter"
    assert {"service-validation", "CWF200", "CWF201", "CWF210"} <= {r["id"] for r in rules}
    results = run["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [("CWF201", "error"), ("CWF202", "warning")]
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    location = results[0]["locations"][0]
    assert location["physicalLocation"] == {"artifactLocation": {"uri": "t.yaml"}, "region": {"startLine": 17}}
    assert location["logicalLocations"] == [{"fullyQualifiedName": "Resources.ErrorsAlarm.Properties.MetricName",
                                             "name": "ErrorsAlarm"}]


def test_strict_makes_warnings_fail(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({
        "metricFilters": [{"filterName": f, "logGroupName": "app", "filterPattern": p,
                           "metricTransformations": [{"metricName": f, "metricNamespace": "App", "metricValue": "1"}]}
                          for f, p in (("Errors", "ERROR"), ("Warnings", "WARN"))],
        "MetricAlarms": [{"AlarmName": "errors", "Namespace": "App", "MetricName": "Errors", "Statistic": "Sum",
                          "Period": 60, "EvaluationPeriods": 1, "Threshold": 1,
                          "ComparisonOperator": "GreaterThanOrEqualToThreshold"}]}), encoding="utf-8")
    relaxed = cli("check", config)
    assert relaxed.returncode == 0 and "CWF202" in relaxed.stdout
    assert cli("check", config, "--strict").returncode == 2


def test_native_config_check_keeps_its_texts():
    done = cli("check", REPO / "examples" / "broken.yaml")
    lines = done.stdout.splitlines()
    assert done.returncode == 2
    assert any(line.endswith("metricFilters[1].metricTransformations[0].metricValue: Invalid metricValue '$bytes': "
                             "a term filter pattern extracts no fields; use a number, or a JSON or space-delimited "
                             "pattern") for line in lines)
    assert any(line.endswith("MetricAlarms[0].Period: Period must be 10, 20, 30 or a multiple of 60") for line in lines)


def _trail_counts() -> Counter:
    """Events per (source, name) in the CloudTrail corpus, read with json (not with cwfilter)."""
    rows = [json.loads(line) for line in TRAIL.read_text(encoding="utf-8").splitlines() if line.strip()]
    return Counter((r["eventSource"], r["eventName"]) for r in rows)


def _sums(doc: dict) -> dict:
    return {m["MetricName"]: sum(p["Sum"] for p in m["Datapoints"]) for m in doc["metrics"]}


@pytest.fixture(scope="module")
def terraform_run() -> subprocess.CompletedProcess:
    """`cwfilter run` over the Terraform module and the CloudTrail corpus (run once)."""
    return cli("run", TF_MODULE, TRAIL, "--output", "json", "--quiet")


def test_run_over_terraform_equals_run_over_the_imported_config(tmp_path, terraform_run):
    imported = cli("import", TF_MODULE)
    assert imported.returncode == 0, imported.stderr
    native = tmp_path / "cwfilter.yaml"
    native.write_text(imported.stdout, encoding="utf-8")
    assert "# aws_cloudwatch_metric_alarm.s3_exfiltration (" in imported.stdout
    assert cli("check", native, "--ignore", "CWF104").returncode == 0

    from_tf = terraform_run
    from_native = cli("run", native, TRAIL, "--output", "json", "--quiet")
    assert from_tf.returncode == from_native.returncode == 0, from_tf.stderr + from_native.stderr
    assert json.loads(from_tf.stdout) == json.loads(from_native.stdout)

    doc = json.loads(from_tf.stdout)
    counts = _trail_counts()
    sums = _sums(doc)
    assert sums["S3DataAccess"] == counts[("s3.amazonaws.com", "GetObject")] + counts[("s3.amazonaws.com", "ListObjects")]
    assert sums["AssumeRoleCalls"] == counts[("sts.amazonaws.com", "AssumeRole")]
    assert "RootAccountUsage" not in sums  # no root activity in this capture
    changes = [(h["AlarmName"], h["HistorySummary"]) for h in doc["alarmHistory"]]
    assert ("prod-s3-exfiltration", "Alarm updated from OK to ALARM") in changes
    assert ("prod-security-incident", "Alarm updated from OK to ALARM") in changes


@pytest.mark.parametrize("source", [CFN_YAML, SOURCES / "cdk.out", SOURCES / "terraform-plan.json"],
                         ids=lambda p: p.name)
def test_every_format_runs_to_the_same_metrics(source, terraform_run):
    reference = json.loads(terraform_run.stdout)
    done = cli("run", source, TRAIL, "--output", "json", "--quiet")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["metrics"] == reference["metrics"]


def test_run_with_agent_config(tmp_path):
    root = tmp_path / "root"
    shutil.copytree(AGENT / "root", root)
    old, new = time.time() - 7200, time.time() - 60
    os.utime(root / "var/log/checkout/app.log.1", (old, old))
    os.utime(root / "var/log/checkout/app.log", (new, new))
    done = cli("run", AGENT / "filters.yaml", "--agent-config", AGENT / "amazon-cloudwatch-agent.json",
               "--agent-root", root, "--output", "json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    got = {m["MetricName"]: [(p["Timestamp"], p["Sum"]) for p in m["Datapoints"]] for m in doc["metrics"]}
    # By hand from the fixture files: ERROR events (the healthcheck one dropped by the agent, the
    # rotated file not read) and 5xx lines (nginx times are +0200).
    assert got == {"Errors": [("2024-05-01T12:00:00Z", 2.0), ("2024-05-01T12:01:00Z", 1.0)],
                   "Http5xx": [("2024-05-01T12:00:00Z", 1.0), ("2024-05-01T12:01:00Z", 1.0)]}
    assert "the agent's filters drop 1 of 6 events" in done.stderr


def test_agent_config_refuses_a_format(tmp_path):
    done = cli("run", AGENT / "filters.yaml", "--agent-config", AGENT / "amazon-cloudwatch-agent.json",
               "--format", "lines")
    assert done.returncode == 2
    assert "--agent-config reads files as the agent does" in done.stderr


def test_import_refuses_unresolvable_sources(tmp_path):
    (tmp_path / "t.yaml").write_text(BROKEN, encoding="utf-8")
    done = cli("import", "t.yaml", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert "parameter Threshold has no Default" in done.stderr


def test_pre_commit_hooks_run_the_console_script(tmp_path):
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert {h["id"] for h in hooks} == {"cwfilter-check", "cwfilter-check-terraform"}
    for hook in hooks:
        program, *_ = hook["entry"].split()
        assert program in scripts and hook["language"] == "python"
    # What pre-commit runs for a change to the template and to main.tf.
    assert cli(*hooks[0]["entry"].split()[1:], CFN_YAML, "--ignore", "CWF104").returncode == 0
    assert cli(*hooks[1]["entry"].split()[1:], TF_MODULE / "main.tf").returncode == 0
