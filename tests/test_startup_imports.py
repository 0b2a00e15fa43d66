"""What `cwfilter run` and `cwfilter check` load at start-up, by the kind of configuration.

A native configuration needs none of the infrastructure-as-code readers (CloudFormation, Terraform
with its HCL evaluator, the CloudWatch agent's configuration): each is imported only when a source
of its kind is given. A run whose patterns all have the common shapes loads no Lark. Each case runs the real console-script entry point in a fresh
interpreter and reads `sys.modules` when it exits.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data" / "corpus" / "cloudtrail"
EVENTS = DATA / "otrf-ec2_proxy_s3_exfiltration_2020-09-14011940.jsonl"
SOURCES = "cwfilter.engine.config.sources"
READERS = {
    "cloudformation": {f"{SOURCES}.cloudformation"},
    "terraform": {f"{SOURCES}.terraform", f"{SOURCES}.hcl7", f"{SOURCES}.hclexpr", f"{SOURCES}.hclfuncs"},
    "agent": {f"{SOURCES}.agent"},
}
ALL_READERS = set().union(*READERS.values())

# Runs the console-script entry point with the given arguments and writes, at exit, the cwfilter
# modules it imported (and Lark and PyYAML, when it did) to the file named first.
PROBE = """
import atexit, json, sys
out, sys.argv = sys.argv[1], ["cwfilter", *sys.argv[2:]]
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(m for m in sys.modules
                                                          if m.startswith("cwfilter") or m in ("lark", "yaml")))))
from cwfilter.__main__ import main
main()
"""


def _loaded(tmp_path: Path, *args: str | Path) -> tuple[int, set[str], str]:
    record = tmp_path / "modules.json"
    done = subprocess.run([sys.executable, "-c", PROBE, str(record), *map(str, args)],
                          capture_output=True, text=True, timeout=120)
    return done.returncode, set(json.loads(record.read_text())), done.stderr


@pytest.fixture(scope="module")
def cis(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cis") / "CIS.yaml"
    done = subprocess.run([sys.executable, "-m", "cwfilter", "rules", "cis"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    path.write_text(done.stdout)
    return path


@pytest.fixture
def one_event(tmp_path: Path) -> Path:
    path = tmp_path / "one-line.jsonl"
    path.write_text(EVENTS.read_text().splitlines()[0] + "\n")
    return path


def test_native_run_loads_no_infrastructure_as_code_reader(tmp_path, cis, one_event):
    code, modules, err = _loaded(tmp_path, "run", cis, one_event, "-o", "jsonl", "--quiet")
    assert code == 0, err
    assert f"{SOURCES}.kinds" in modules  # the configuration went through the source reader
    assert not modules & ALL_READERS, sorted(modules & ALL_READERS)
    # run's wiring check keeps to the alarms' metrics (CWF201): no CIS comparison, no CIS data.
    assert "cwfilter.engine.testing.cis" not in modules
    # Every CIS pattern has a shape the direct reader takes (NOT EXISTS included), and there is
    # no composite alarm: neither the pattern grammar nor the AlarmRule grammar loads Lark.
    assert not modules & {"lark", "cwfilter.grammar.larkparse", "cwfilter.grammar.alarm_rule"}


def test_a_json_configuration_loads_no_yaml_reader(tmp_path, cis, one_event):
    import yaml

    config = tmp_path / "cis.json"
    config.write_text(json.dumps(yaml.safe_load(cis.read_text())))
    code, modules, err = _loaded(tmp_path, "run", config, one_event, "-o", "json", "--quiet")
    assert code == 0, err
    assert not modules & {"yaml", "cwfilter.engine.config.yamlread"}
    code, modules, err = _loaded(tmp_path, "run", cis, one_event, "-o", "json", "--quiet")
    assert code == 0, err
    assert {"yaml", "cwfilter.engine.config.yamlread"} <= modules  # the same in YAML needs them


def test_native_check_loads_no_infrastructure_as_code_reader(tmp_path, cis):
    code, modules, err = _loaded(tmp_path, "check", cis)
    assert code == 0, err
    assert f"{SOURCES}.wiring" in modules  # check's wiring findings still run
    assert not modules & ALL_READERS, sorted(modules & ALL_READERS)


TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {
        "Errors": {
            "Type": "AWS::Logs::MetricFilter",
            "Properties": {
                "LogGroupName": "app",
                "FilterPattern": "ERROR",
                "MetricTransformations": [{"MetricName": "Errors", "MetricNamespace": "App", "MetricValue": "1"}],
            },
        },
    },
}
TERRAFORM = """\
resource "aws_cloudwatch_log_metric_filter" "errors" {
  name           = "Errors"
  log_group_name = "app"
  pattern        = "ERROR"
  metric_transformation {
    name      = "Errors"
    namespace = "App"
    value     = "1"
  }
}
"""
AGENT = {"logs": {"logs_collected": {"files": {"collect_list": [
    {"file_path": "/var/log/app.log", "log_group_name": "app"}]}}}}


@pytest.mark.parametrize("kind", ["cloudformation", "terraform", "agent"])
def test_each_reader_loads_with_a_source_of_its_kind(tmp_path, kind):
    # The probe sees the readers when they are used: the tests above cannot pass for want of it.
    if kind == "cloudformation":
        sources = [tmp_path / "stack.json"]
        sources[0].write_text(json.dumps(TEMPLATE))
    elif kind == "terraform":
        sources = [tmp_path / "main.tf"]
        sources[0].write_text(TERRAFORM)
    else:
        sources = [tmp_path / "filters.json", tmp_path / "agent.json"]
        sources[0].write_text(json.dumps({"metricFilters": [
            {"filterName": "Errors", "logGroupName": "app", "filterPattern": "ERROR", "metricTransformations": [
                {"metricName": "Errors", "metricNamespace": "App", "metricValue": "1"}]}]}))
        sources[1].write_text(json.dumps(AGENT))
    code, modules, err = _loaded(tmp_path, "check", *sources)
    assert code == 0, err
    assert READERS[kind] <= modules, sorted(READERS[kind] - modules)
    assert not modules & (ALL_READERS - READERS[kind] - READERS["cloudformation"]), kind

