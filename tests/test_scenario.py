"""Scenario files and the `Simulation` API: time notation, loading errors with path and line,
event expansion, expectations and their failures as data, JUnit XML.

Expected values are worked out by hand from the events (counts per minute, DECISIONS A3/A4 for
alarm states); none is computed by the code under test.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from xml.etree import ElementTree

import pytest
from cwfilter.engine.testing.scenario import (
    Failure,
    ScenarioError,
    ScenarioFailure,
    Simulation,
    TestResult,
    expand_values,
    junit_xml,
    load_scenario,
    parse_duration,
    run_scenario,
    run_test,
)

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "scenarios"
ERRORS = REPO / "examples" / "errors.yaml"        # [ts, level = ERROR, ...] -> Checkout/Errors
CHECKOUT_LOG = REPO / "examples" / "checkout.log"  # ERROR lines: 12:00 1, 12:01 6, 12:02 7, 12:03 1
START = "2024-05-01T12:00:00Z"
T0 = 1714564800000  # 2024-05-01T12:00:00Z
MIN = 60_000


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def issues_of(path: Path) -> list[tuple[int | None, str, str]]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return [(i.line, i.path, i.message) for i in info.value.issues]


# --------------------------------------------------------------------------- notation


@pytest.mark.parametrize(("text", "ms"), [
    ("90s", 90_000), ("1m30s", 90_000), ("1h", 3_600_000), ("500ms", 500), ("2d", 172_800_000),
    ("1.5m", 90_000), (45, 45_000), ("0", 0), ("-5m", -300_000), ("+5m", 300_000), (" 10s ", 10_000),
])
def test_durations(text, ms):
    assert parse_duration(text) == ms


@pytest.mark.parametrize("text", ["10 s", "5 minutes", "m", "", True, None, "1h-5m", float("nan")])
def test_bad_durations(text):
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(text)


@pytest.mark.parametrize(("text", "values"), [
    ("1+1x3", [1, 2, 3, 4]),            # promtool: a+bxn is n+1 values
    ("5-2x2", [5, 3, 1]),
    ("7x2", [7, 7, 7]),
    ("_x3", [None, None, None]),
    ("1 _ 3", [1, None, 3]),
    ("0.5+0.25x2 _", [0.5, 0.75, 1.0, None]),
    ([1, "_", None, "2x1"], [1, None, None, 2, 2]),
    (4, [4]),
])
def test_expanding_notation(text, values):
    assert expand_values(text) == values


@pytest.mark.parametrize("text", ["1+x3", "a", "_+1x2", "1+1", "1,2", {"a": 1}])
def test_bad_expanding_notation(text):
    with pytest.raises(ValueError):
        expand_values(text)


# --------------------------------------------------------------------------- loading errors


def test_invalid_fixture_reports_every_problem_with_path_and_line():
    assert issues_of(FIXTURES / "invalid.yaml") == [
        (6, "tests[0].evnets", "unknown key 'evnets' (did you mean 'events'?)"),
        (8, "tests[0].events[0].every", "expected a duration such as 30s, 5m or 1h30m, got '10 s'"),
        (9, "tests[0].events[1]", "a gap takes no other keys (got count)"),
        (11, "tests[0].datapoints[0].metric",
         "no metric filter publishes 'Checkout/Error' (the config's metrics: Checkout/Errors)"),
        (13, "tests[0].alarms[0].alarm",
         "the config has no alarm 'checkout-errors-hi' (its alarms: checkout-errors-high)"),
        (14, "tests[0].alarms[1].state", "state is one of OK, ALARM, INSUFFICIENT_DATA, not 'alarm'"),
    ]


def test_yaml_syntax_error_has_line_and_column(tmp_path):
    path = write(tmp_path, "tests:\n  - name: x\n    events: [\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    (issue,) = info.value.issues
    assert (issue.line, issue.column) == (4, 1)
    assert issue.message.startswith("Invalid YAML:")
    assert str(issue).startswith(f"{path}:4:1: Invalid YAML")


def test_unreadable_and_empty_files(tmp_path):
    assert issues_of(tmp_path / "nope.yaml")[0][2].startswith("Cannot read the file")
    assert issues_of(write(tmp_path, "")) == [(None, "", "The scenario file is empty")]
    assert issues_of(write(tmp_path, "- a\n")) == [(1, "", "A scenario file must be a mapping, not a list")]


def test_config_problems_are_reported(tmp_path):
    path = write(tmp_path, f"""\
        config: {REPO / 'examples' / 'broken.yaml'}
        tests:
          - name: t
            matches: [{{pattern: ERROR, message: ERROR}}]
        """)
    issues = issues_of(path)
    assert all(line == 1 and where == "config" for line, where, _ in issues)
    assert any("broken.yaml:5: metricFilters[0].filterPattern" in message for _, _, message in issues)
    assert len(issues) == 4  # the four problems `cwfilter check examples/broken.yaml` reports


def test_inline_config_problems_keep_their_line(tmp_path):
    path = write(tmp_path, """\
        start: 2024-05-01T12:00:00Z
        metricFilters:
          - filterName: a
            filterPattern: '{ $.a = '
            metricTransformations: [{metricName: M, metricNamespace: N, metricValue: "1"}]
        tests:
          - name: t
            matches: [{pattern: x, message: x}]
        """)
    ((line, where, message),) = issues_of(path)
    assert (line, where) == (4, "metricFilters[0].filterPattern")
    assert message.startswith("If a filter pattern starts with '{' it must end with '}'")


def test_inline_config_under_config_key_gets_the_prefix(tmp_path):
    path = write(tmp_path, """\
        config:
          metricFilters:
            - filterName: a
              filterPattern: ERROR
              metricTransformations: [{metricName: M, metricNamespace: N, metricValue: $x}]
        tests:
          - name: t
            matches: [{pattern: x, message: x}]
        """)
    ((line, where, _),) = issues_of(path)
    assert (line, where) == (5, "config.metricFilters[0].metricTransformations[0].metricValue")


@pytest.mark.parametrize(("body", "expected"), [
    ("    events: [{message: x, values: '1 2', every: 1s}]\n    matches: [{pattern: x, message: x}]\n",
     (8, "tests[0].events[0].values", "values need a ${value} placeholder in the message")),
    ("    events: [{message: x, count: 3}]\n    matches: [{pattern: x, message: x}]\n",
     (8, "tests[0].events[0]", "count, until and values need every (the time between events)")),
    ("    events: [{message: x, gap: 1m}]\n    matches: [{pattern: x, message: x}]\n",
     (8, "tests[0].events[0]", "an event item needs exactly one of message, messages, gap or file (got message, gap)")),
    ("    events: [{file: missing.log}]\n    matches: [{pattern: x, message: x}]\n",
     (8, "tests[0].events[0].file", "no such file: {tmp}/missing.log")),
    ("    events: [{message: x, every: 1s, count: 2}]\n    matches: [{filter: checkout-errors, event: 0}]\n",
     (9, "tests[0].matches[0].event",
      "event must be the index of an item of events that has one message, got 0")),
    ("    matches: [{pattern: 'a.b', message: x}]\n",
     (8, "tests[0].matches[0].pattern", "Invalid character(s) in term 'a.b' (column 1)\n  a.b\n  ^^^")),
    ("    matches: [{filter: checkout-errors, message: x, match: false, extracted: {a: b}}]\n",
     (8, "tests[0].matches[0].extracted", "extracted values are only given for a message that matches")),
    ("    datapoints: [{metric: Errors, statistic: p101, values: {0m: 1}}]\n",
     (8, "tests[0].datapoints[0].statistic", "invalid statistic 'p101': percentile 101 is above 100")),
    ("    datapoints: [{metric: Errors, period: 0, values: {0m: 1}}]\n",
     (8, "tests[0].datapoints[0].period", "period must be a whole number of seconds, not 0")),
    ("    datapoints: [{metric: Errors}]\n",
     (8, "tests[0].datapoints[0]", "give values (period start -> value) or absent: true")),
    ("    alarms: [{alarm: checkout-errors-high, state: OK}]\n",
     (8, "tests[0].alarms[0]", "a state expectation needs at (when)")),
    ("    alarms: [{alarm: checkout-errors-high, no_transition_to: ALARM}]\n",
     (8, "tests[0].alarms[0]", "no_transition_to needs between: [from, to]")),
    ("    alarms: [{alarm: checkout-errors-high, at: soon, state: OK}]\n",
     (8, "tests[0].alarms[0].at",
      "expected a time: an offset from the start such as 90s or 5m, or an ISO-8601 time, got 'soon'")),
    ("    alarms: [{alarm: checkout-errors-high, transitions: [{at: 1m}]}]\n",
     (8, "tests[0].alarms[0].transitions[0]", "missing required key 'to'")),
])
def test_one_problem(tmp_path, body, expected):
    header = f"config: {ERRORS}\nstart: {START}\ntests:\n  - name: t\n" + "    # filler\n" * 3
    path = write(tmp_path, header + body)
    line, where, message = expected
    assert issues_of(path) == [(line, where, message.replace("{tmp}", str(tmp_path)))]


def test_start_must_be_absolute_and_tests_are_required(tmp_path):
    path = write(tmp_path, f"config: {ERRORS}\nstart: 5m\n")
    assert issues_of(path) == [
        (1, "", "missing required key 'tests'"),
        (2, "start", "start must be an absolute time such as 2024-05-01T12:00:00Z, got '5m'"),
    ]


def test_log_group_is_required_when_the_filters_name_several(tmp_path):
    path = write(tmp_path, """\
        metricFilters:
          - {filterName: a, logGroupName: one, filterPattern: A, metricTransformations: [{metricName: A, metricNamespace: N, metricValue: "1"}]}
          - {filterName: b, logGroupName: two, filterPattern: B, metricTransformations: [{metricName: B, metricNamespace: N, metricValue: "1"}]}
        tests:
          - name: t
            events: [{message: A}, {message: B, log_group: two}]
            datapoints: [{metric: N/A, values: {0m: 1}}]
        """)
    assert issues_of(path) == [(6, "tests[0].events[0]", "which log group do these events belong to? "
                                                         "The filters name one, two: give log_group here or for the test")]


# --------------------------------------------------------------------------- events and the cursor


def make_sim(**options) -> Simulation:
    return Simulation(ERRORS, start=START, **options)


def times(sim: Simulation) -> list[int]:
    return [(e.timestamp_ms - T0) // 1000 for e in sim.events]


def test_cursor_moves_with_each_item():
    sim = make_sim()
    sim.feed("a ERROR x")                                  # at the cursor: 0 s
    sim.repeat("b ERROR x", every="10s", count=3)          # 0, 10, 20; cursor 30
    sim.gap("1m")                                          # cursor 90
    sim.feed("c ERROR x")                                  # 90
    sim.repeat(["d INFO", "e ERROR"], every="5s", count=3)  # 90 d, 95 e, 100 d; cursor 105
    sim.feed("f ERROR", at="10m")                          # 600
    sim.repeat("g ERROR", every="1m", until="13m")         # 600 (cursor), 660, 720; cursor 780
    assert times(sim) == [0, 0, 10, 20, 90, 90, 95, 100, 600, 600, 660, 720]
    assert [e.message[0] for e in sim.events] == list("abbbcdedfggg")
    assert sim.cursor_ms == T0 + 780_000


def test_values_fill_a_template_and_skip_missing_slots():
    sim = make_sim()
    added = sim.repeat("x ERROR n=${value} #${i}", every="1m", values="1+1x2 _ 9")
    assert added == 4
    assert [m.message for m in sim.events] == ["x ERROR n=1 #1", "x ERROR n=2 #2", "x ERROR n=3 #3", "x ERROR n=9 #5"]
    assert times(sim) == [0, 60, 120, 240]
    assert sim.cursor_ms == T0 + 300_000


def test_file_timestamps_own_shift_and_cursor():
    own = make_sim()
    assert own.feed_file(CHECKOUT_LOG) == 77
    assert times(own)[:3] == [0, 10, 20]       # the lines' own times, 12:00:00 onward
    shifted = Simulation(ERRORS, start="2030-01-01T00:00:00Z")
    shifted.feed_file(CHECKOUT_LOG, timestamps="shift", at="1h")
    first = shifted.events[0].timestamp_ms
    assert first == shifted.start_ms + 3_600_000
    assert [e.timestamp_ms - first for e in shifted.events[:3]] == [0, 10_000, 20_000]
    cursor = make_sim()
    cursor.feed_file(CHECKOUT_LOG, timestamps="cursor", every="1m")
    assert times(cursor)[:3] == [0, 60, 120]
    assert cursor.cursor_ms == T0 + 77 * 60_000
    assert cursor.events[4].origin == f"{CHECKOUT_LOG} line 5"


def test_file_with_lost_events_is_an_error(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"timestamp": "2024-05-01T12:00:00Z", "msg": "ERROR"}\n{not json\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 2: malformed-json"):
        make_sim().feed_file(bad, fmt="jsonl")


def test_unknown_names_are_errors_not_silent_misses():
    sim = make_sim()
    with pytest.raises(ValueError, match="no metric filter publishes 'Checkout/Error'"):
        sim.metric("Checkout/Error", at="0m")
    with pytest.raises(ValueError, match="the config has no alarm 'nope'"):
        sim.alarm_state("nope", at="0m")


def test_metric_math_alarms_are_refused():
    config = {
        "metricFilters": [{"filterName": "f", "filterPattern": "ERROR", "metricTransformations": [
            {"metricName": "E", "metricNamespace": "N", "metricValue": "1"}]}],
        "MetricAlarms": [{"AlarmName": "math", "EvaluationPeriods": 1, "Threshold": 1,
                          "ComparisonOperator": "GreaterThanThreshold",
                          "Metrics": [{"Id": "e", "MetricStat": {"Metric": {"Namespace": "N", "MetricName": "E"},
                                                                  "Period": 60, "Stat": "Sum"}, "ReturnData": False},
                                      {"Id": "x", "Expression": "e * 2", "ReturnData": True}]}],
    }
    sim = Simulation(config, start=START)
    with pytest.raises(ValueError, match="metric-math or anomaly-detection alarm"):
        sim.alarm_state("math", at="1m")


# --------------------------------------------------------------------------- queries and asserts


def incident() -> Simulation:
    sim = make_sim()
    sim.feed_file(CHECKOUT_LOG)
    return sim


def test_metric_and_series():
    sim = incident()
    assert [sim.metric("Checkout/Errors", at=f"{m}m") for m in range(6)] == [1, 6, 7, 1, None, None]
    assert sim.metric("Errors", at="1m59s", statistic="SampleCount") == 6
    assert sim.series("Errors", period=300) == {T0: 15.0}
    assert sim.metric("Errors", at="0m", dimensions={"a": "b"}) is None


def test_alarm_states_and_transitions():
    sim = incident()
    # DECISIONS A4 with N=3, M=2: 2 of 3 at 12:03 (6 and 7), then only 1 real breaching point
    # left in the range at 12:07.
    assert [sim.alarm_state("checkout-errors-high", at=f"{m}m") for m in range(9)] == \
        ["OK", "OK", "OK", "ALARM", "ALARM", "ALARM", "ALARM", "OK", "OK"]
    changes = sim.transitions("checkout-errors-high")
    assert [((t.timestamp - T0) // MIN, t.new_state) for t in changes] == [(0, "OK"), (3, "ALARM"), (7, "OK")]
    assert sim.alarm_state("checkout-errors-high", at="-1m") == "INSUFFICIENT_DATA"
    assert sim.alarm_reason("checkout-errors-high", at="-1m") == "Unchecked: Initial alarm creation"


def test_clock_runs_as_far_as_the_question():
    sim = make_sim()
    sim.repeat("x ERROR", every="10s", count=18)   # 6 a minute at 12:00, 12:01, 12:02
    # The range is 5 periods (DECISIONS A3). At 12:06 it holds 12:01 and 12:02: 2 real breaching
    # points, the third filled as not breaching: ALARM. At 12:07 only 12:02 is left: OK.
    assert sim.alarm_state("checkout-errors-high", at="5m") == "ALARM"
    assert sim.alarm_state("checkout-errors-high", at="6m") == "ALARM"
    assert sim.alarm_state("checkout-errors-high", at="7m") == "OK"
    assert sim.alarm_state("checkout-errors-high", at="2h") == "OK"


def test_asserts_raise_with_the_diff():
    sim = incident()
    sim.assert_metric("Checkout/Errors", "2m", 7)
    sim.assert_alarm("checkout-errors-high", "3m", "ALARM", reason_contains="2 out of the last 3 datapoints")
    sim.assert_no_transition("checkout-errors-high", "ALARM", ("0m", "2m59s"))
    with pytest.raises(ScenarioFailure) as info:
        sim.assert_metric("Checkout/Errors", "2m", 6)
    assert isinstance(info.value, AssertionError)
    assert str(info.value).splitlines()[:3] == [
        "assert_metric: Checkout/Errors Sum, period 60 s, no dimensions",
        "  - 2024-05-01T12:02:00Z (+2m): 6",
        "  + 2024-05-01T12:02:00Z (+2m): 7",
    ]
    with pytest.raises(ScenarioFailure) as info:
        sim.assert_no_transition("checkout-errors-high", "ALARM", ("0m", "10m"))
    failure = info.value.failure
    assert failure.expected == ()
    (got,) = failure.got
    assert got.startswith("2024-05-01T12:03:00Z (+3m): OK -> ALARM: Threshold Crossed: 2 out of the last 3")


def test_failure_lines_pair_expected_and_got():
    paired = Failure("alarms[0]", 12, "title", ("ALARM", "reason: a"), ("OK", "reason: b"), ("note",))
    assert paired.lines() == ["alarms[0], line 12: title", "  - ALARM", "  + OK", "  - reason: a",
                              "  + reason: b", "    note"]
    grouped = Failure("x", None, "t", ("a",), ("b", "c"))
    assert grouped.lines() == ["x: t", "  - a", "  + b", "  + c"]
    assert json.loads(json.dumps(paired.to_json()))["expected"] == ["ALARM", "reason: a"]


# --------------------------------------------------------------------------- running files


def test_failing_fixture_failures_as_data():
    scenario = load_scenario(FIXTURES / "failing.yaml")
    passed, failed = run_scenario(scenario)
    assert passed.passed and not failed.passed
    assert [(f.where, f.line) for f in failed.failures] == [
        ("matches[0]", 14), ("matches[1]", 15), ("datapoints[0]", 17), ("alarms[0]", 19), ("alarms[1]", 20)]
    datapoints = failed.failures[2]
    assert datapoints.expected == ("2024-05-01T12:06:00Z (+6m): 5", "2024-05-01T12:08:00Z (+8m): 6")
    assert datapoints.got == ("2024-05-01T12:06:00Z (+6m): 6", "2024-05-01T12:08:00Z (+8m): no datapoint")
    assert failed.events == 18


def test_run_selected_tests_only():
    scenario = load_scenario(FIXTURES / "checkout.yaml")
    results = run_scenario(scenario, lambda name: "trickle" in name)
    assert [r.name for r in results] == ["a steady trickle of errors never pages"]


def test_junit_xml_one_case_per_test_and_an_error_per_invalid_file():
    results = run_scenario(load_scenario(FIXTURES / "failing.yaml"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(FIXTURES / "invalid.yaml")
    root = ElementTree.fromstring(junit_xml(results, {"invalid.yaml": info.value.issues}))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", "1", "1")
    good, bad = root.findall("testsuite")
    cases = good.findall("testcase")
    assert [c.get("name") for c in cases] == ["this one passes", "wrong on purpose"]
    assert cases[0].find("failure") is None
    failure = cases[1].find("failure")
    assert failure.get("message") == "5 expectations failed"
    assert "  - 2024-05-01T12:06:00Z (+6m): 5" in failure.text
    (error,) = bad.iter("error")
    assert "tests[0].evnets: unknown key 'evnets'" in error.text


def test_test_result_json():
    result = TestResult("f.yaml", "n", 3, [Failure("x", 1, "t", ("a",), ("b",))], events=2, seconds=0.5)
    data = result.to_json()
    assert data["passed"] is False and data["failures"][0]["got"] == ["b"]
    assert run_test(load_scenario(FIXTURES / "checkout.yaml").tests[1]).passed


def test_scenario_yaml_reads_numbers_as_json_and_times_as_text():
    """`1e3` is a number (YAML 1.2, JSON), a time stays text for the checks to report with its
    line, and an over-long integer is kept for its field's check, as in a config."""
    import yaml
    from cwfilter.engine.config.reading import OversizedNumber
    from cwfilter.engine.config.yamlread import ConfigLoader
    from cwfilter.engine.testing.scenario import _YamlLoader

    text = "a: 1e3\nb: 2024-01-01\nc: 12\nd: " + "9" * 5000
    data = yaml.load(text, Loader=_YamlLoader)
    assert data["a"] == 1000.0 and data["b"] == "2024-01-01" and data["c"] == 12
    assert isinstance(data["d"], OversizedNumber)
    config = yaml.load(text, Loader=ConfigLoader)
    assert config["a"] == 1000.0 and isinstance(config["d"], OversizedNumber)
