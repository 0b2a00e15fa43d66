"""Hostile and oversized input: every output format of every command, config-document bombs, JUnit XML
with control characters, and --agent-root escapes.

Every input is generated at test time. Every CLI case runs the installed console script as a real
subprocess under a 2 GB address-space limit (set in the child) and a timeout: it must end with exit
status 2 and a message naming the input, or with the bad part counted and the rest read; never a
traceback.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from cwfilter.engine.codes import REGISTRY
from cwfilter.engine.config import reading
from cwfilter.engine.links import DOCS_URL

REPO = Path(__file__).resolve().parent.parent
SCHEMA = Path(__file__).parent / "data" / "sarif" / "sarif-schema-2.1.0.json"
CWFILTER = Path(sys.executable).parent / "cwfilter"
ADDRESS_SPACE = 2 * 1024 ** 3


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def cli(*args: Any, cwd: Path, timeout: float = 60, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """The console script under the address-space limit; never a traceback, whatever it says."""
    env = {k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "PY_COLORS"}}
    env.update({"NO_COLOR": "1", "COLUMNS": "200"})
    done = subprocess.run([str(CWFILTER), *map(str, args)], capture_output=True, env=env, cwd=cwd,
                          timeout=timeout, check=False, preexec_fn=_limit, input=stdin)
    done.stdout = done.stdout.decode("utf-8", "replace")
    done.stderr = done.stderr.decode("utf-8", "replace")
    assert "Traceback" not in done.stderr and "Error:" not in done.stderr.split("cwfilter")[0], done.stderr
    return done


# --------------------------------------------------------------------------- every kind of finding

_T = "metricTransformations: [{metricName: %s, metricNamespace: App, metricValue: '1'%s}]"


def _filter(name: str, group: str, pattern: str, metric: str = "L", extra: str = "") -> str:
    return (f"- {{filterName: {json.dumps(name)}, logGroupName: {group}, filterPattern: {json.dumps(pattern)}, "
            + _T % (metric, extra) + "}")


FILTERS = "\n".join([
    "metricFilters:",
    _filter("l101", "app", "ERROR ?failed"),
    _filter("l102", "app", "ORDER-ITEM-1"),
    _filter("l103", "app", '" "'),
    _filter("l104", "app", "{ $.a != 1 }"),
    _filter("l105", "app", "{ $.code = 4* }"),
    _filter("l107", "app", '{ $.code = "812" }'),
    _filter("l108", "app", "{ $.a[*].b != 1 }"),
    _filter("l109", "app", '"{ $.a = 1 }"'),
    _filter("c205", "app", "ERROR", "D", ", dimensions: {s: $.status}"),
    _filter("c206", "app", "{ $.s = 1 }", "D", ", defaultValue: 0, dimensions: {s: $.status}"),
    ("- {filterName: c207, logGroupName: app, filterPattern: '{ $.s = 1 }', metricTransformations: "
    "[{metricName: D, metricNamespace: App, metricValue: 'abc'}]}"),
    _filter("c212", "app", '{ $.level = "ERROR" }', "Req", ", dimensions: {req: $.requestId}"),
    _filter("r0", "rx", "%ERROR%", "R"),
    *[_filter(f"r{i}", "rx", f"%a{i}+b%", "R") for i in range(1, 6)],
    "- {filterName: sv, logGroupName: app, filterPattern: x, metricTransformations: [{metricNamespace: App, metricValue: '1'}]}",
    _filter("root\x1b[31m", "trail", '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS}',
            "RootUsage").replace("App", "CIS"),
    "MetricAlarms:",
    ("- {AlarmName: a201, MetricName: Missing, Namespace: App, Statistic: Sum, Period: 60, EvaluationPeriods: 1, "
    "Threshold: 1, ComparisonOperator: GreaterThanThreshold}"),
    ("- {AlarmName: a203, MetricName: L, Namespace: App, Statistic: Average, Period: 60, EvaluationPeriods: 1, "
    "Threshold: 1, ComparisonOperator: GreaterThanThreshold}"),
    ("- {AlarmName: a204, MetricName: R, Namespace: App, Statistic: Sum, Period: 30, EvaluationPeriods: 1, "
    "Threshold: 1, ComparisonOperator: GreaterThanThreshold}"),
]) + "\n"

TEMPLATE = """\
Parameters:
  Threshold: {Type: Number}
Resources:
  Trail:
    Type: AWS::CloudTrail::Trail
    Properties:
      IsLogging: true
      S3BucketName: b
      CloudWatchLogsLogGroupArn: arn:aws:logs:us-east-1:111122223333:log-group:real-trail:*
      CloudWatchLogsRoleArn: arn:aws:iam::111122223333:role/r
  Alarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmName: a200
      MetricName: RootUsage
      Namespace: CIS
      Statistic: Sum
      Period: 300
      EvaluationPeriods: 1
      Threshold: !Ref Threshold
      ComparisonOperator: GreaterThanOrEqualToThreshold
"""

# A registry module cannot be read offline (CWF211).
MODULE = """\
module "labels" {
  source = "example/labels/aws"
}
"""

SOURCES = ("filters.yaml", "template.yaml", "main.tf")
EVERY_CODE = set(REGISTRY)


@pytest.fixture
def everything(tmp_path: Path) -> Path:
    (tmp_path / "filters.yaml").write_text(FILTERS, encoding="utf-8")
    (tmp_path / "template.yaml").write_text(TEMPLATE, encoding="utf-8")
    (tmp_path / "main.tf").write_text(MODULE, encoding="utf-8")
    return tmp_path


def _lines_of(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_check_json_has_every_code(everything):
    done = cli("check", *SOURCES, "-o", "json", cwd=everything)
    assert done.returncode == 2
    findings = json.loads(done.stdout)
    assert {f["code"] or "service-validation" for f in findings} == EVERY_CODE
    for f in findings:
        assert f["file"] in SOURCES and isinstance(f["line"], int)


def test_check_text_has_every_code(everything):
    done = cli("check", *SOURCES, cwd=everything)
    assert done.returncode == 2
    codes = set(re.findall(r"\b(CWF\d{3})\b", done.stdout))
    assert codes == EVERY_CODE - {"service-validation"}
    assert re.search(r"\d+ errors, \d+ warnings", done.stderr)


def test_check_sarif_is_valid_against_the_published_schema(everything):
    jsonschema = pytest.importorskip("jsonschema")
    done = cli("check", *SOURCES, "-o", "sarif", cwd=everything)
    assert done.returncode == 2
    log = json.loads(done.stdout)
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(log), key=str)
    assert errors == []
    [run] = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(REGISTRY)
    for rule in rules:
        assert rule["helpUri"] == f"{DOCS_URL}reference/findings/#{rule['id'].lower()}"
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
    assert {r["ruleId"] for r in run["results"]} == EVERY_CODE
    for r in run["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        region = r["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1


def test_a_broken_sarif_log_fails_the_schema():
    """The schema check can fail: a result without a message is refused."""
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    bad = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"ruleId": "a"}]}]}
    assert list(jsonschema.Draft4Validator(schema).iter_errors(bad))


_ANNOTATION = re.compile(r"^::(error|warning|notice) ((?:[a-z]+=[^,:]*,?)+)::(.*)$")


def _annotations(stdout: str) -> list[tuple[str, dict[str, str], str]]:
    out = []
    for line in stdout.splitlines():
        m = _ANNOTATION.match(line)
        assert m, line
        props = dict(p.split("=", 1) for p in m.group(2).split(","))
        out.append((m.group(1), props, m.group(3)))
    return out


def test_check_github_annotations_point_at_the_filter(everything):
    done = cli("check", *SOURCES, "-o", "github", cwd=everything)
    assert done.returncode == 2
    notes = _annotations(done.stdout)
    assert {props["title"] for _, props, _ in notes} == EVERY_CODE
    lines = FILTERS.splitlines()
    for _kind, props, message in notes:
        assert props["file"] in SOURCES
        assert int(props["line"]) >= 1
        assert "\n" not in message
        if props["file"] == "filters.yaml" and props["title"].startswith("CWF10"):
            # a lint finding sits on the line of its filter
            assert "filterPattern" in lines[int(props["line"]) - 1]
    by_title = {props["title"]: (kind, props) for kind, props, _ in notes}
    assert by_title["CWF104"][0] == "warning" and by_title["service-validation"][0] == "error"
    line = int(by_title["CWF104"][1]["line"])
    assert "l104" in lines[line - 1]


def test_lint_every_output(tmp_path):
    text = cli("lint", "{ $.a != 1 }", cwd=tmp_path)
    as_json = cli("lint", "{ $.a != 1 }", "-o", "json", cwd=tmp_path)
    github = cli("lint", "{ $.a != 1 }", "-o", "github", cwd=tmp_path)
    assert text.returncode == as_json.returncode == github.returncode == 1
    assert "CWF104" in text.stdout
    assert [f["code"] for f in json.loads(as_json.stdout)["findings"]] == ["CWF104"]
    [(kind, props, message)] = _annotations(github.stdout)
    assert (kind, props) == ("warning", {"title": "CWF104"}) and "column 3" in message
    clean = cli("lint", "ERROR", "-o", "github", cwd=tmp_path)
    assert clean.returncode == 0 and clean.stdout == ""


# --------------------------------------------------------------------------- unit: outputs and JUnit XML

SCENARIO_CONFIG = """\
metricFilters:
  - filterName: errors
    logGroupName: app
    filterPattern: ERROR
    metricTransformations: [{metricName: Errors, metricNamespace: App, metricValue: "1"}]
"""

SCENARIO = """\
config: config.yaml
start: 2024-05-01T12:00:00Z
tests:
  - name: "passes \\x01 quietly"
    events:
      - {message: "ERROR one", every: 10s, count: 2}
    datapoints:
      - {metric: App/Errors, values: "2"}
  - name: "red \\e[31m fails \\uFFFE"
    events:
      - {message: "ERROR \\x02 control", every: 10s, count: 3}
    datapoints:
      - {metric: App/Errors, values: "1"}
"""


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    (tmp_path / "config.yaml").write_text(SCENARIO_CONFIG, encoding="utf-8")
    (tmp_path / "s.yaml").write_text(SCENARIO, encoding="utf-8")
    (tmp_path / "bad.yaml").write_text("config: config.yaml\ntests: [{name: x, evnets: []}]\n", encoding="utf-8")
    return tmp_path


def test_unit_every_output_and_strict_junit_xml(scenario):
    text = cli("unit", "s.yaml", cwd=scenario)
    assert text.returncode == 1 and "FAIL" in text.stdout and "PASS" in text.stdout
    as_json = cli("unit", "s.yaml", "-o", "json", cwd=scenario)
    doc = json.loads(as_json.stdout)
    assert doc["summary"] == {"passed": 1, "failed": 1, "invalidFiles": 0}
    github = cli("unit", "s.yaml", "bad.yaml", "-o", "github", "--junit-xml", "junit.xml", cwd=scenario)
    assert github.returncode == 2
    notes = _annotations(github.stdout)
    assert {props["file"] for _, props, _ in notes} == {"s.yaml", "bad.yaml"}
    failed = [props for _, props, _ in notes if props["file"] == "s.yaml"]
    assert len(failed) == 1 and failed[0]["line"] == "9"
    raw = (scenario / "junit.xml").read_bytes()
    # expat is strict: it refuses any character XML 1.0 cannot hold, escaped or not.
    root = ElementTree.fromstring(raw)
    names = [c.get("name") for c in root.iter("testcase")]
    assert "red \\x1b[31m fails \\ufffe" in names and "passes \\x01 quietly" in names
    failure = next(root.iter("failure"))
    assert "\x1b" not in failure.text and "\x02" not in raw.decode("utf-8")


def test_junit_xml_escapes_every_illegal_character():
    from cwfilter.engine.testing.junit import xml_text

    illegal = "".join(map(chr, [*range(9), 11, 12, *range(14, 32), 0xD800, 0xDFFF, 0xFFFE, 0xFFFF]))
    escaped = xml_text("a" + illegal + "\t\n\r\u00e9\U0001F600")
    ElementTree.fromstring(f"<x a={json.dumps(escaped)}>{escaped.replace('&', '&amp;').replace('<', '&lt;')}</x>"
                           .encode("utf-8", "surrogatepass"))
    assert escaped.startswith("a\\x00\\x01") and "\\ud800" in escaped and "\\uffff" in escaped
    assert escaped.endswith("\t\n\r\u00e9\U0001F600")


# --------------------------------------------------------------------------- config documents


def _alias_bomb(levels: int = 10, width: int = 10) -> str:
    lines = ['a0: &a0 ["lol"' + ', "lol"' * (width - 1) + "]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    lines.append(f"metricFilters: *a{levels - 1}")
    return "\n".join(lines) + "\n"


BOMBS = {
    "bomb.yaml": (_alias_bomb(), "&a9"),
    "loop.yaml": ("metricFilters: &x [*x]\n", "&x"),
    "deep.json": ("[" * 100_000 + "]" * 100_000, "nested more than"),
    "deep.yaml": ("metricFilters: " + "[" * 100_000 + "]" * 100_000 + "\n", "nested more than"),
    "deepmap.yaml": ("metricFilters:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 400)) + "  " * 400 + "x\n",
                     "nested more than"),
}


def _scenario_for(name: str) -> str:
    return f"config: {name}\ntests: [{{name: t, events: [{{message: x}}]}}]\n"


@pytest.mark.parametrize("name", sorted(BOMBS))
@pytest.mark.parametrize("command", ["check", "run", "import", "unit"])
def test_config_bombs_are_config_errors(tmp_path, name, command):
    text, expected = BOMBS[name]
    (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "good.log").write_text("ERROR x\n", encoding="utf-8")
    if command == "unit":
        (tmp_path / "s.yaml").write_text(_scenario_for(name), encoding="utf-8")
        args: tuple = ("unit", "s.yaml")
    elif command == "run":
        args = ("run", name, "good.log")
    else:
        args = (command, name)
    done = cli(*args, cwd=tmp_path, timeout=60)
    assert done.returncode == 2, done.stderr
    assert name in done.stdout + done.stderr
    assert expected in done.stdout + done.stderr


def test_a_scenario_file_that_is_a_bomb(tmp_path):
    (tmp_path / "s.yaml").write_text(_alias_bomb() .replace("metricFilters", "tests"), encoding="utf-8")
    done = cli("unit", "s.yaml", cwd=tmp_path)
    assert done.returncode == 2 and "&a9" in done.stderr and "s.yaml" in done.stderr


def test_aliases_within_the_budget_still_read(tmp_path):
    (tmp_path / "c.yaml").write_text(
        "metricFilters:\n"
        "  - {filterName: f0, logGroupName: app, filterPattern: ERROR, metricTransformations: "
        "&t [{metricName: Errors, metricNamespace: App, metricValue: '1'}]}\n"
        + "".join(f"  - {{filterName: f{i}, logGroupName: app, filterPattern: ERROR, metricTransformations: *t}}\n"
                  for i in range(1, 50)), encoding="utf-8")
    done = cli("check", "c.yaml", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, ""), done.stdout + done.stderr


@pytest.mark.parametrize("suffix", ["yaml", "json"])
def test_huge_integers_name_the_field(tmp_path, suffix):
    digits = "9" * 5000
    if suffix == "yaml":
        text = (f"MetricAlarms:\n- AlarmName: a\n  MetricName: m\n  Namespace: n\n  Statistic: Sum\n"
                f"  Period: {digits}\n  EvaluationPeriods: 1\n  Threshold: 1\n"
                "  ComparisonOperator: GreaterThanThreshold\n")
    else:
        text = json.dumps({"MetricAlarms": [{"AlarmName": "a", "MetricName": "m", "Namespace": "n", "Statistic": "Sum",
                                             "Period": 1, "EvaluationPeriods": 1, "Threshold": 1,
                                             "ComparisonOperator": "GreaterThanThreshold"}]}).replace(
            '"Period": 1', f'"Period": {digits}')
    (tmp_path / f"c.{suffix}").write_text(text, encoding="utf-8")
    for args in (("check", f"c.{suffix}"), ("run", f"c.{suffix}", "/dev/null")):
        done = cli(*args, cwd=tmp_path)
        assert done.returncode == 2
        out = done.stdout + done.stderr
        assert "MetricAlarms[0].Period" in out and "5,000 digits" in out
        assert "set_int_max_str_digits" not in out


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
@pytest.mark.parametrize("command", ["check", "import", "run"])
def test_an_endless_config_is_refused_at_the_size_bound(tmp_path, command):
    args = (command, "/dev/zero", "/dev/null") if command == "run" else (command, "/dev/zero")
    done = cli(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert "/dev/zero" in done.stdout + done.stderr and "16 MiB" in done.stdout + done.stderr


def test_stdin_past_the_size_bound_is_refused(tmp_path):
    done = cli("check", "-", cwd=tmp_path, stdin=b"#" * (reading.MAX_DOCUMENT_BYTES + 10))
    assert done.returncode == 2 and "16 MiB" in done.stdout + done.stderr


def test_filters_past_the_log_group_quota_are_not_compiled(tmp_path):
    filters = [{"filterName": f"f{i}", "logGroupName": "g", "filterPattern": "{ $.a = " + "(" * 0 + f'"{i}" }}',
                "metricTransformations": [{"metricName": "m", "metricNamespace": "n", "metricValue": "1"}]}
               for i in range(150)]
    filters[140]["filterPattern"] = "{ broken"  # past the quota: not compiled, so not reported
    (tmp_path / "c.json").write_text(json.dumps({"metricFilters": filters}), encoding="utf-8")
    done = cli("check", "c.json", "-o", "json", cwd=tmp_path)
    assert done.returncode == 2
    messages = [f["message"] for f in json.loads(done.stdout)]
    assert [m for m in messages if "Too many metric filters" in m] == [
        "Too many metric filters for log group 'g': 150 (at most 100 per log group)"]
    assert not [m for m in messages if "broken" in m or "must end with" in m]


def test_a_hundred_thousand_filters_on_one_log_group_are_refused_quickly(tmp_path):
    # Compact JSON under the document size bound; distinct patterns, so no cache helps.
    filters = [{"filterName": f"f{i}", "logGroupName": "g", "filterPattern": f'"e{i}"',
                "metricTransformations": [{"metricName": "m", "metricNamespace": "n", "metricValue": "1"}]}
               for i in range(100_000)]
    text = json.dumps({"metricFilters": filters}, separators=(",", ":"))
    assert len(text) < reading.MAX_DOCUMENT_BYTES
    (tmp_path / "c.json").write_text(text, encoding="utf-8")
    # Refused by the quota before any filter is checked: seconds on an idle machine (the timeout
    # leaves room for a loaded CI runner), within the 2 GB address-space limit.
    done = cli("check", "c.json", cwd=tmp_path, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stdout.count("Too many metric filters") == 1
    assert "c.json:1: metricFilters[100].logGroupName: Too many metric filters for log group 'g': 100000 (at most " \
        "100 per log group)" in done.stdout


def test_reader_bounds_directly():
    with pytest.raises(reading.DocumentProblem, match="nested more than"):
        reading.loads_json("[" * (reading.MAX_DEPTH + 1) + "]" * (reading.MAX_DEPTH + 1))
    assert reading.loads_json("[" * reading.MAX_DEPTH + "]" * reading.MAX_DEPTH) is not None
    import yaml
    from cwfilter.engine.config import yamlread

    for depth, ok in ((reading.MAX_DEPTH, True), (reading.MAX_DEPTH + 1, False)):
        text = "[" * depth + "1" + "]" * depth
        loader = yamlread.ConfigLoader(text)
        try:
            yamlread.check_node_graph(loader.get_single_node(), text)
            assert ok
        except reading.DocumentProblem:
            assert not ok
        finally:
            loader.dispose()
    with pytest.raises(reading.DocumentProblem, match="&x"):
        yamlread.check_node_graph(yaml.compose("a: &x [1, *x]"), "a: &x [1, *x]")
    number = reading.loads_json("1" * 5000)
    assert isinstance(number, reading.OversizedNumber) and str(number) == "a number of 5,000 digits"


# --------------------------------------------------------------------------- --agent-root


def _agent_setup(tmp_path: Path, file_path: str) -> None:
    (tmp_path / "cfg.yaml").write_text(
        "metricFilters:\n- {filterName: e, logGroupName: g, filterPattern: ERROR, metricTransformations: "
        "[{metricName: m, metricNamespace: n, metricValue: '1'}]}\n", encoding="utf-8")
    (tmp_path / "agent.json").write_text(json.dumps({"logs": {"logs_collected": {"files": {"collect_list": [
        {"file_path": file_path, "log_group_name": "g", "publish_multi_logs": True}]}}}}), encoding="utf-8")
    (tmp_path / "snap" / "var" / "log").mkdir(parents=True)
    (tmp_path / "snap" / "var" / "log" / "app.log").write_text("ERROR in the snapshot\n", encoding="utf-8")
    (tmp_path / "outside.log").write_text("ERROR outside\nERROR outside\n", encoding="utf-8")


def test_agent_root_dot_dot_stays_under_the_root(tmp_path):
    _agent_setup(tmp_path, "/../../../../../../" + str(tmp_path / "outside.log").lstrip("/"))
    done = cli("run", "cfg.yaml", "--agent-config", "agent.json", "--agent-root", "snap", "-o", "jsonl", cwd=tmp_path)
    assert "no file matches" in done.stderr and done.stdout == ""


def test_agent_root_relative_escape_is_an_error_naming_the_entry(tmp_path):
    _agent_setup(tmp_path, "../outside.log")
    done = cli("run", "cfg.yaml", "--agent-config", "agent.json", "--agent-root", "snap", cwd=tmp_path)
    assert done.returncode == 2
    assert "collect_list[0]" in done.stderr and "leaves --agent-root" in done.stderr


def test_agent_root_symlink_out_of_the_root_is_refused_with_a_note(tmp_path):
    _agent_setup(tmp_path, "/var/log/*.log")
    os.symlink(tmp_path / "outside.log", tmp_path / "snap" / "var" / "log" / "link.log")
    done = cli("run", "cfg.yaml", "--agent-config", "agent.json", "--agent-root", "snap", "-o", "jsonl", cwd=tmp_path)
    assert done.returncode == 0
    assert "link.log links to" in done.stderr and "outside --agent-root" in done.stderr
    [point] = [json.loads(line) for line in done.stdout.splitlines()]
    assert point["Sum"] == 1.0  # the snapshot's one event, not the two outside


# --------------------------------------------------------------------------- the registry


def test_every_code_has_an_anchor_on_the_findings_page():
    """The page of finding codes is generated from the registry, one anchor per code."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("docs_hooks", REPO / "docs" / "hooks.py")
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    table = hooks.findings_table()
    for code in REGISTRY.values():
        assert f'<span id="{code.anchor}"></span>`{code.id}`' in table, code.id
        assert code.help_uri.endswith(f"/reference/findings/#{code.anchor}")


def test_registry_is_the_only_source_of_codes():
    from cwfilter.engine.authoring.lint import RULES
    from cwfilter.engine.config.sources.model import CODES

    assert set(RULES) | set(CODES) | {"service-validation"} == set(REGISTRY)
    # Every code written anywhere in the shipped package (a finding carries its code as a literal).
    shipped = [*REPO.glob("*.py"), *(REPO / "grammar").rglob("*.py"), *(REPO / "engine").rglob("*.py"),
               *(REPO / "moto_hooks").rglob("*.py")]
    emitted = {code for path in shipped
               for code in re.findall(r"""["'](CWF\d{3})["']""", path.read_text(encoding="utf-8"))}
    assert {"CWF109", "CWF200", "CWF211", "CWF212"} <= emitted  # the scan finds them where they are emitted
    assert emitted <= set(REGISTRY), sorted(emitted - set(REGISTRY))


# --------------------------------------------------------------------------- the cardinality guard

GUARD_CONFIG = """\
metricFilters:
- filterName: by-request
  logGroupName: app
  filterPattern: '{ $.level = "ERROR" }'
  metricTransformations:
  - {metricName: Errors, metricNamespace: App, metricValue: '1', dimensions: {req: $.requestId}}
"""


def _requests(path: Path, count: int, hours: int = 1) -> None:
    with path.open("w", encoding="utf-8") as f:
        for i in range(count):
            h, rest = divmod(i * 3600 * hours // count, 3600)
            f.write(json.dumps({"level": "ERROR", "requestId": f"r{i}",
                                "time": f"2024-05-01T{h:02d}:{rest // 60:02d}:{rest % 60:02d}Z"}) + "\n")


@pytest.mark.parametrize(("mode", "samples"), [("warn", 1500), ("disable", 1000), ("off", 1500)])
def test_cardinality_guard_modes(tmp_path, mode, samples):
    (tmp_path / "c.yaml").write_text(GUARD_CONFIG, encoding="utf-8")
    _requests(tmp_path / "req.log", 1500)
    done = cli("run", "c.yaml", "req.log", "-o", "json", "--cardinality-guard", mode, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    [f] = doc["summary"]["filters"]
    assert f["samples"] == samples
    trips = doc["summary"].get("cardinalityGuard", [])
    if mode == "off":
        assert trips == [] and "distinct dimension" not in done.stderr
    else:
        assert [t["filterName"] for t in trips] == ["by-request"]
        assert "more than 1,000 distinct dimension name/value pairs" in done.stderr


def test_cardinality_guard_counts_per_hour(tmp_path):
    """1,800 request IDs over 2 hours of event time: 900 in each hour, never 1,000, no warning."""
    (tmp_path / "c.yaml").write_text(GUARD_CONFIG, encoding="utf-8")
    _requests(tmp_path / "req.log", 1800, hours=2)
    done = cli("run", "c.yaml", "req.log", "-o", "json", cwd=tmp_path)
    assert "cardinalityGuard" not in json.loads(done.stdout)["summary"]
    assert "distinct dimension" not in done.stderr


def test_cardinality_guard_bad_mode(tmp_path):
    (tmp_path / "c.yaml").write_text(GUARD_CONFIG, encoding="utf-8")
    done = cli("run", "c.yaml", "/dev/null", "--cardinality-guard", "maybe", cwd=tmp_path)
    assert done.returncode == 2 and "--cardinality-guard takes warn, disable or off" in done.stderr


def test_a_scenario_asserts_the_cardinality_guard(tmp_path):
    (tmp_path / "c.yaml").write_text(GUARD_CONFIG, encoding="utf-8")
    event = '{"level": "ERROR", "requestId": "r-${value}"}'
    (tmp_path / "s.yaml").write_text(f"""\
config: c.yaml
start: 2024-05-01T00:00:00Z
tests:
  - name: one request ID per event trips the guard
    events:
      - {{message: '{event}', every: 1s, values: "0+1x1000"}}  # 1,001 events
    cardinality_guard: [by-request]
  - name: a thousand do not
    events:
      - {{message: '{event}', every: 1s, values: "0+1x999"}}  # 1,000 events
    cardinality_guard: [by-request]
""", encoding="utf-8")
    done = cli("unit", "s.yaml", "-o", "json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    tests = json.loads(done.stdout)["tests"]
    assert [t["passed"] for t in tests] == [True, False]


def test_threshold_beyond_the_double_range_is_a_config_error(tmp_path):
    """An integer Threshold no double can hold is reported at its path, not raised as OverflowError."""
    cfg = tmp_path / "huge.yaml"
    cfg.write_text("MetricAlarms:\n- AlarmName: a\n  Namespace: N\n  MetricName: M\n  Statistic: Sum\n  Period: 60\n"
                   "  EvaluationPeriods: 1\n  ComparisonOperator: GreaterThanThreshold\n  Threshold: " + "9" * 400 + "\n")
    done = subprocess.run([str(CWFILTER), "check", str(cfg)], capture_output=True, timeout=60, check=False)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr.decode()
    assert "MetricAlarms[0].Threshold: Threshold must be a number" in done.stdout.decode() + done.stderr.decode()


def test_cloudformation_ref_cycles_and_expression_properties_are_reported(tmp_path):
    """A resource whose name refers back to itself, and Properties that are one expression, are
    config errors with their paths (found by the YAML-structure fuzzer), never a traceback."""
    template = tmp_path / "template.yaml"
    template.write_text(
        "Resources:\n  F:\n    Type: AWS::Logs::MetricFilter\n    Properties: !Ref\n      FilterName: x\n"
        "  G:\n    Type: AWS::Logs::MetricFilter\n    Properties:\n      FilterName: !Ref G\n      LogGroupName: !Ref G\n"
        "      FilterPattern: ERROR\n      MetricTransformations: [{MetricName: M, MetricNamespace: N, MetricValue: '1'}]\n")
    done = subprocess.run([str(CWFILTER), "check", str(template)], capture_output=True, timeout=60, check=False)
    out = done.stdout.decode() + done.stderr.decode()
    assert done.returncode == 2 and "Traceback" not in out, out
    assert "Resources.G.Properties.FilterName: CWF200" in out and "circular reference" in out
    assert 'Resources.F.Properties.filterPattern: Missing required parameter in input: "filterPattern"' in out
