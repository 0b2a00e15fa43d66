"""The pytest plugin, through `pytester`: registration, opt-in collection of scenario files, the
diff of a failing scenario, collection errors, and the `cwfilter_simulation` fixture."""

from __future__ import annotations

import tomllib
from importlib.metadata import entry_points
from pathlib import Path

import pytest
import yaml

pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "scenarios"
ERRORS = REPO / "examples" / "errors.yaml"
EXAMPLE_TESTS = REPO / "examples" / "orders-api" / "monitoring" / "tests"
BUNDLED = [
    FIXTURES / "checkout.yaml",
    FIXTURES / "json_api.yaml",
    *sorted(EXAMPLE_TESTS.glob("test_*.cwfilter.yaml")),
    *sorted((REPO / "engine" / "testing" / "cis_data" / "scenarios").glob("*.yaml")),
]
# Run pytest on files outside pytester's directory without writing a cache into the repository,
# and without the hypothesis plugin, whose start-up costs seconds per in-process run.
NO_CACHE = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest")


def count_tests(path: Path) -> int:
    return len(yaml.safe_load(path.read_text(encoding="utf-8"))["tests"])


def scenario(config: Path = ERRORS, name: str = "counts errors") -> str:
    return (f"config: {config}\nstart: 2024-05-01T12:00:00Z\ntests:\n  - name: {name}\n"
            "    events: [{message: 'x ERROR y', every: 10s, count: 6}]\n"
            "    datapoints: [{metric: Checkout/Errors, values: {0m: 6}}]\n")


def test_plugin_is_registered_through_the_entry_point():
    with (REPO / "pyproject.toml").open("rb") as f:
        declared = tomllib.load(f)["project"]["entry-points"]["pytest11"]
    assert declared == {"cwfilter": "cwfilter.pytest_plugin"}
    installed = {e.name: e.value for e in entry_points(group="pytest11")}
    assert installed.get("cwfilter") == "cwfilter.pytest_plugin"


def test_collects_only_files_that_opt_in_by_name(pytester):
    pytester.makefile(".cwfilter.yaml", test_errors=scenario())
    pytester.makefile(".yaml", test_plain=scenario(name="not collected by default"))
    pytester.makefile(".yaml", other=scenario(name="nor this one"))
    result = pytester.runpytest("-v", *NO_CACHE)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*test_errors.cwfilter.yaml::counts errors PASSED*"])
    # The ini option widens the patterns.
    result = pytester.runpytest("-v", "-o", "cwfilter_scenarios=*.yaml", *NO_CACHE)
    result.assert_outcomes(passed=3)


def test_every_bundled_scenario_passes_through_the_plugin(pytester):
    result = pytester.runpytest(*map(str, BUNDLED), "-o", "cwfilter_scenarios=*.yaml", *NO_CACHE)
    result.assert_outcomes(passed=sum(count_tests(p) for p in BUNDLED))


def test_failing_scenario_shows_the_diff(pytester):
    result = pytester.runpytest(str(FIXTURES / "failing.yaml"), "-o", "cwfilter_scenarios=failing.yaml", *NO_CACHE)
    result.assert_outcomes(passed=1, failed=1)
    block = "\n".join([
        "5 expectations failed:",
        'matches[0], line 14: filter checkout-errors on "2024-05-01T12:05:00Z WARN slow"',
        "  - match",
        "  + no match",
        'matches[1], line 15: filter checkout-errors on "2024-05-01T12:05:00Z ERROR boom": extracted values',
        "  - $3 (not extracted)",
        "  + $3 = boom",
        "datapoints[0], line 17: Checkout/Errors Sum, period 60 s, no dimensions",
        "  - 2024-05-01T12:06:00Z (+6m): 5",
        "  + 2024-05-01T12:06:00Z (+6m): 6",
        "  - 2024-05-01T12:08:00Z (+8m): 6",
        "  + 2024-05-01T12:08:00Z (+8m): no datapoint",
        "    period from +6m: checkout-errors saw 6 events, matched 6",
        "    period from +8m: no events reached the filter",
        "    published Sum: +5m 6, +6m 6, +7m 6",
        "alarms[0], line 19: checkout-errors-high at 2024-05-01T12:02:00Z (+2m)",
        "  - ALARM",
        "  + INSUFFICIENT_DATA (initial state)",
        "    reason: Unchecked: Initial alarm creation",
        "    no transitions",
        "alarms[1], line 20: checkout-errors-high transitions from 2024-05-01T12:00:00Z (+0s) to "
        "2024-05-01T12:09:00Z (+9m)",
        "  - 2024-05-01T12:06:00Z (+6m) -> ALARM",
        "  + 2024-05-01T12:07:00Z (+7m) -> ALARM",
        "    transitions: 2024-05-01T12:05:00Z (+5m) -> OK, 2024-05-01T12:07:00Z (+7m) -> ALARM",
    ])
    assert block in result.stdout.str()
    result.stdout.fnmatch_lines(["FAILED *failing.yaml::wrong on purpose*"])
    # No Python traceback for a scenario failure: the diff is the report.
    assert "Traceback" not in result.stdout.str() and "scenario.py" not in result.stdout.str()


def test_invalid_file_is_a_collection_error_with_every_problem(pytester):
    result = pytester.runpytest(str(FIXTURES / "invalid.yaml"), "-o", "cwfilter_scenarios=invalid.yaml", *NO_CACHE)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.assert_outcomes(errors=1)
    text = result.stdout.str()
    assert "invalid cwfilter scenario file (6 problems):" in text
    assert f"{FIXTURES / 'invalid.yaml'}:6: tests[0].evnets: unknown key 'evnets' (did you mean 'events'?)" in text
    assert f"{FIXTURES / 'invalid.yaml'}:14: tests[0].alarms[1].state:" in text


def test_the_fixture_in_a_python_test(pytester):
    pytester.makepyfile(test_cwfilter_fixture_demo=f"""
        CONFIG = {str(ERRORS)!r}

        def test_burst(cwfilter_simulation):
            sim = cwfilter_simulation(CONFIG, start="2024-05-01T12:00:00Z")
            sim.repeat("x ERROR boom", every="10s", count=18, at="1m")
            assert sim.metric("Checkout/Errors", at="2m") == 6
            assert sim.alarm_state("checkout-errors-high", at="3m") == "ALARM"
            sim.assert_no_transition("checkout-errors-high", to="ALARM", between=("0m", "2m59s"))

        def test_wrong_expectation(cwfilter_simulation):
            sim = cwfilter_simulation(CONFIG, start="2024-05-01T12:00:00Z")
            sim.repeat("x ERROR boom", every="10s", count=18, at="1m")
            sim.assert_metric("Checkout/Errors", "2m", 5)
    """)
    result = pytester.runpytest(*NO_CACHE)
    result.assert_outcomes(passed=1, failed=1)
    text = result.stdout.str()
    assert "assert_metric: Checkout/Errors Sum, period 60 s, no dimensions" in text
    result.stdout.fnmatch_lines(["E * - 2024-05-01T12:02:00Z (+2m): 5", "E * + 2024-05-01T12:02:00Z (+2m): 6"])
    assert "def assert_metric" not in text  # the helper's frame is hidden


def test_example_project_runs_under_pytest(pytester):
    result = pytester.runpytest(str(EXAMPLE_TESTS), *NO_CACHE)
    python_tests = sum(1 for line in (EXAMPLE_TESTS / "test_orders_alarms.py").read_text().splitlines()
                       if line.startswith("def test_"))
    yaml_tests = sum(count_tests(p) for p in EXAMPLE_TESTS.glob("test_*.cwfilter.yaml"))
    result.assert_outcomes(passed=python_tests + yaml_tests)
