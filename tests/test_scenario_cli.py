"""`cwfilter unit` through the real console script: every bundled scenario file, the diff of a
failing one, exit codes, --run, --junit-xml, --output json, and the example project's CI and
pre-commit commands."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import yaml

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "scenarios"
EXAMPLE = REPO / "examples" / "orders-api"
CWFILTER = Path(sys.executable).parent / ("cwfilter.exe" if os.name == "nt" else "cwfilter")

PASSING = [
    FIXTURES / "checkout.yaml",
    FIXTURES / "json_api.yaml",
    *sorted((EXAMPLE / "monitoring" / "tests").glob("test_*.cwfilter.yaml")),
    *sorted((REPO / "engine" / "testing" / "cis_data" / "scenarios").glob("*.yaml")),
]


def run(*args: str | os.PathLike, cwd: Path = REPO) -> tuple[int, str, str]:
    """Run the console script; returns (exit code, stdout, stderr)."""
    assert CWFILTER.is_file(), f"console script not installed next to {sys.executable}"
    env = {k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "PY_COLORS", "TTY_COMPATIBLE"}}
    env.update({"NO_COLOR": "1", "COLUMNS": "200"})
    done = subprocess.run([str(CWFILTER), *map(str, args)], capture_output=True, env=env, cwd=cwd)
    return done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")


def scenario_test_names(path: Path) -> list[str]:
    """The test names of a scenario file, read with plain YAML (not with the code under test)."""
    return [t["name"] for t in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]]




def test_every_bundled_scenario_passes():
    code, out, err = run("unit", *[p.relative_to(REPO) for p in PASSING])
    expected = sum(len(scenario_test_names(p)) for p in PASSING)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[-1] == f"{expected} passed, 0 failed"
    assert len([line for line in lines if line.startswith("PASS  ")]) == expected
    assert not any(line.startswith("FAIL") for line in lines)


def test_there_is_a_scenario_for_every_cis_control():
    topics = {e["topic"] for e in json.loads((REPO / "engine" / "testing" / "cis_data" / "cis-patterns.json").read_text())
              if e["topic"]}
    files = {p.stem for p in (REPO / "engine" / "testing" / "cis_data" / "scenarios").glob("*.yaml")}
    assert files == topics and len(topics) == 15


FAILING_OUTPUT = """\
PASS  tests/fixtures/scenarios/failing.yaml:5: this one passes
FAIL  tests/fixtures/scenarios/failing.yaml:9: wrong on purpose
  matches[0], line 14: filter checkout-errors on "2024-05-01T12:05:00Z WARN slow"
    - match
    + no match
  matches[1], line 15: filter checkout-errors on "2024-05-01T12:05:00Z ERROR boom": extracted values
    - $3 (not extracted)
    + $3 = boom
  datapoints[0], line 17: Checkout/Errors Sum, period 60 s, no dimensions
    - 2024-05-01T12:06:00Z (+6m): 5
    + 2024-05-01T12:06:00Z (+6m): 6
    - 2024-05-01T12:08:00Z (+8m): 6
    + 2024-05-01T12:08:00Z (+8m): no datapoint
      period from +6m: checkout-errors saw 6 events, matched 6
      period from +8m: no events reached the filter
      published Sum: +5m 6, +6m 6, +7m 6
  alarms[0], line 19: checkout-errors-high at 2024-05-01T12:02:00Z (+2m)
    - ALARM
    + INSUFFICIENT_DATA (initial state)
      reason: Unchecked: Initial alarm creation
      no transitions
  alarms[1], line 20: checkout-errors-high transitions from 2024-05-01T12:00:00Z (+0s) to 2024-05-01T12:09:00Z (+9m)
    - 2024-05-01T12:06:00Z (+6m) -> ALARM
    + 2024-05-01T12:07:00Z (+7m) -> ALARM
      transitions: 2024-05-01T12:05:00Z (+5m) -> OK, 2024-05-01T12:07:00Z (+7m) -> ALARM
1 passed, 1 failed
"""


def test_failing_scenario_prints_the_diff_and_exits_1():
    code, out, err = run("unit", "tests/fixtures/scenarios/failing.yaml")
    assert (code, err) == (1, "")
    assert out == FAILING_OUTPUT


def test_quiet_prints_only_failures():
    code, out, _ = run("unit", "--quiet", "tests/fixtures/scenarios/failing.yaml")
    assert code == 1
    assert out == "".join(line + "\n" for line in FAILING_OUTPUT.splitlines()[1:])


def test_invalid_file_exits_2_with_path_and_line():
    code, out, err = run("unit", "tests/fixtures/scenarios/invalid.yaml", "tests/fixtures/scenarios/checkout.yaml")
    assert code == 2
    name = "tests/fixtures/scenarios/invalid.yaml"
    assert err.splitlines() == [
        f"{name}:6: tests[0].evnets: unknown key 'evnets' (did you mean 'events'?)",
        f"{name}:8: tests[0].events[0].every: expected a duration such as 30s, 5m or 1h30m, got '10 s'",
        f"{name}:9: tests[0].events[1]: a gap takes no other keys (got count)",
        f"{name}:11: tests[0].datapoints[0].metric: no metric filter publishes 'Checkout/Error' "
        "(the config's metrics: Checkout/Errors)",
        f"{name}:13: tests[0].alarms[0].alarm: the config has no alarm 'checkout-errors-hi' "
        "(its alarms: checkout-errors-high)",
        f"{name}:14: tests[0].alarms[1].state: state is one of OK, ALARM, INSUFFICIENT_DATA, not 'alarm'",
    ]
    # The valid file still runs; the invalid one decides the exit status.
    assert out.splitlines()[-1] == "4 passed, 0 failed, 1 invalid file"


def test_run_selects_tests_by_regex():
    code, out, _ = run("unit", "--run", "trickle|quiet gap|passes", "tests/fixtures/scenarios/checkout.yaml",
                       "tests/fixtures/scenarios/failing.yaml")
    assert code == 0
    assert [line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("PASS")] == [
        "a steady trickle of errors never pages", "a burst after a quiet gap", "this one passes"]
    assert out.splitlines()[-1] == "3 passed, 0 failed"


def test_run_matching_nothing_or_invalid():
    code, out, err = run("unit", "--run", "no such test", "tests/fixtures/scenarios/checkout.yaml")
    assert (code, out, err) == (1, "0 passed, 0 failed\n", "cwfilter: no test matches --run 'no such test'\n")
    code, _, err = run("unit", "--run", "(", "tests/fixtures/scenarios/checkout.yaml")
    assert code == 2 and err.startswith("cwfilter: error: --run: invalid regular expression")


def test_junit_xml_is_valid_with_one_case_per_test(tmp_path):
    report = tmp_path / "junit.xml"
    files = ["tests/fixtures/scenarios/failing.yaml", "tests/fixtures/scenarios/checkout.yaml"]
    invalid = "tests/fixtures/scenarios/invalid.yaml"
    code, _, _ = run("unit", *files, invalid, "--junit-xml", report)
    assert code == 2
    root = ElementTree.parse(report).getroot()
    assert root.tag == "testsuites"
    *suites, bad = root.findall("testsuite")
    assert [s.get("name") for s in suites] == files
    for suite, name in zip(suites, files):
        cases = suite.findall("testcase")
        assert [c.get("name") for c in cases] == scenario_test_names(REPO / name)
        assert suite.get("tests") == str(len(cases))
        for case in cases:
            assert float(case.get("time")) >= 0 and case.get("classname")
    failures = [c for c in root.iter("testcase") if c.find("failure") is not None]
    assert [c.get("name") for c in failures] == ["wrong on purpose"]
    text = failures[0].find("failure").text
    assert "  - 2024-05-01T12:06:00Z (+6m): 5\n  + 2024-05-01T12:06:00Z (+6m): 6" in text
    # An invalid file is a suite with one errored case naming every problem.
    (case,) = bad.findall("testcase")
    assert bad.get("name") == invalid and bad.get("errors") == "1"
    assert "unknown key 'evnets'" in case.find("error").text
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("7", "1", "1")


def test_junit_xml_unwritable_path():
    code, _, err = run("unit", "tests/fixtures/scenarios/checkout.yaml", "--junit-xml", "/nonexistent/dir/x.xml")
    assert code == 2 and "cannot write /nonexistent/dir/x.xml" in err


def test_json_output():
    code, out, _ = run("unit", "-o", "json", "tests/fixtures/scenarios/failing.yaml", "tests/fixtures/scenarios/invalid.yaml")
    assert code == 2
    doc = json.loads(out)
    assert doc["summary"] == {"passed": 1, "failed": 1, "invalidFiles": 1}
    failed = [t for t in doc["tests"] if not t["passed"]]
    assert failed[0]["failures"][2]["expected"] == ["2024-05-01T12:06:00Z (+6m): 5", "2024-05-01T12:08:00Z (+8m): 6"]
    assert doc["errors"][0] == {"file": "tests/fixtures/scenarios/invalid.yaml", "line": 6, "path": "tests[0].evnets",
                                "message": "unknown key 'evnets' (did you mean 'events'?)"}


def test_a_bad_event_file_at_run_time_fails_the_test(tmp_path):
    log = tmp_path / "events.jsonl"
    log.write_text('{"timestamp": "2024-05-01T12:00:00Z", "m": "ERROR"}\nnot json\n', encoding="utf-8")
    scenario = tmp_path / "s.yaml"
    scenario.write_text(f"config: {REPO / 'examples' / 'errors.yaml'}\ntests:\n  - name: t\n"
                        "    events: [{file: events.jsonl, format: jsonl}]\n"
                        "    datapoints: [{metric: Errors, absent: true}]\n", encoding="utf-8")
    code, out, _ = run("unit", scenario)
    assert code == 1
    assert "  events, line 3: the events could not be read" in out
    assert "line 2: malformed-json" in out


# --------------------------------------------------------------------------- the example project


def workflow_commands() -> list[str]:
    doc = yaml.safe_load((EXAMPLE / ".github" / "workflows" / "alert-rules.yml").read_text(encoding="utf-8"))
    steps = doc["jobs"]["alert-rules"]["steps"]
    return [s["run"] for s in steps if "run" in s and s["run"].startswith("cwfilter ")]


def test_ci_workflow_commands_pass(tmp_path):
    commands = workflow_commands()
    assert [c.split()[1] for c in commands] == ["check", "unit"]
    env = dict(os.environ, PATH=f"{CWFILTER.parent}{os.pathsep}{os.environ.get('PATH', '')}", NO_COLOR="1")
    for command in commands:
        done = subprocess.run(["bash", "-c", command.replace("alert-rules.xml", str(tmp_path / "a.xml"))],
                              cwd=EXAMPLE, env=env, capture_output=True, text=True)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
    root = ElementTree.parse(tmp_path / "a.xml").getroot()
    assert root.get("failures") == "0" and int(root.get("tests")) >= 4


def test_pre_commit_hooks_pass():
    doc = yaml.safe_load((EXAMPLE / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = doc["repos"][0]["hooks"]
    assert {h["id"] for h in hooks} == {"alert-rules-check", "alert-rules-unit"}
    for hook in hooks:
        argv = shlex.split(hook["entry"]) + hook.get("args", [])
        assert argv[0] == "cwfilter" and hook["pass_filenames"] is False
        code, out, err = run(*argv[1:], cwd=EXAMPLE)
        assert code == 0, (hook["id"], out, err)
