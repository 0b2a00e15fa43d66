"""pytest plugin: cwfilter scenario files as test items, and a fixture for alert-rule tests in Python.

Installing cwfilter registers this plugin (entry point ``pytest11``); ``-p no:cwfilter`` turns it
off.

**Scenario files.** Files whose name matches one of the ``cwfilter_scenarios`` ini patterns
(default ``test_*.cwfilter.yaml`` and ``test_*.cwfilter.yml``, opt-in by name as other YAML-test
plugins do) are collected; each of their tests is one pytest item, named after the test. A
failing item shows the same diff as ``cwfilter unit``; an invalid file is a collection error that
names every problem with its YAML path and line.

**The fixture.** ``cwfilter_simulation(config, start=..., log_group=...)`` returns a
`cwfilter.engine.testing.simulation.Simulation`: feed events, then assert on metrics and alarm states::

    def test_burst_pages(cwfilter_simulation):
        sim = cwfilter_simulation("monitoring/errors.yaml", start="2024-05-01T12:00:00Z")
        sim.repeat("2024-05-01T12:01:00Z ERROR boom", every="10s", count=30, at="1m")
        assert sim.metric("Checkout/Errors", at="2m") == 6
        assert sim.alarm_state("checkout-errors-high", at="4m") == "ALARM"
        sim.assert_no_transition("checkout-errors-high", to="ALARM", between=("0m", "2m"))

**moto.** ``cwfilter_moto`` starts moto's ``mock_aws`` with `cwfilter.moto.patch` and yields the
`cwfilter.moto.MotoPatch` (``advance_to`` evaluates alarms); the ``cwfilter_moto`` marker passes
options: ``@pytest.mark.cwfilter_moto(alarms=False)``. Alarms are evaluated unless turned off.
Without moto (``pip install 'cwfilter[moto]'``) the tests using it are skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest

DEFAULT_PATTERNS = ["test_*.cwfilter.yaml", "test_*.cwfilter.yml"]

__all__ = ["DEFAULT_PATTERNS", "ScenarioFile", "ScenarioItem", "cwfilter_moto", "cwfilter_simulation"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "cwfilter_scenarios",
        type="linelist",
        default=list(DEFAULT_PATTERNS),
        help="file name patterns of cwfilter scenario files to collect (default: "
             + " ".join(DEFAULT_PATTERNS) + ")",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "cwfilter_moto(alarms=True): options of the cwfilter_moto fixture (moto with cwfilter's CloudWatch Logs)",
    )


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    patterns = parent.config.getini("cwfilter_scenarios")
    if any(fnmatch(file_path.name, p) for p in patterns):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    """A scenario file: one item per test."""

    def collect(self):
        from .engine.testing.scenario import ScenarioError, load_scenario

        try:
            scenario = load_scenario(self.path)
        except ScenarioError as exc:
            raise self.CollectError(
                f"invalid cwfilter scenario file ({len(exc.issues)} problem"
                f"{'s' if len(exc.issues) != 1 else ''}):\n" + "\n".join(str(i) for i in exc.issues)
            ) from None
        for test in scenario.tests:
            yield ScenarioItem.from_parent(self, name=test.name, test=test)


class ScenarioFailed(Exception):
    """A scenario test whose expectations did not all hold."""

    def __init__(self, result: Any) -> None:
        self.result = result
        super().__init__(result.report())


class ScenarioItem(pytest.Item):
    """One test of a scenario file."""

    def __init__(self, *, test: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.test = test

    def runtest(self) -> None:
        from .engine.testing.scenario import run_test

        result = run_test(self.test)
        if not result.passed:
            raise ScenarioFailed(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioFailed):
            result = excinfo.value.result
            count = len(result.failures)
            head = f"{count} expectation{'s' if count != 1 else ''} failed:"
            return "\n".join([head, result.report()])
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        line = self.test.line - 1 if self.test.line is not None else None
        return self.path, line, f"scenario: {self.name}"


@pytest.fixture
def cwfilter_simulation() -> Callable[..., Any]:
    """A factory of `Simulation`\\ s: ``cwfilter_simulation(config, start=None, log_group=None, ...)``.

    `config` is a config file path (relative paths are relative to the current directory), a list
    of paths, a mapping in the config file's shape, or a loaded `Config`.
    """
    from .engine.testing.simulation import Simulation

    def make(config: Any, **options: Any) -> Simulation:
        return Simulation(config, **options)

    return make


@pytest.fixture
def cwfilter_moto(request: pytest.FixtureRequest):
    """moto's ``mock_aws`` with CloudWatch Logs and CloudWatch patched by `cwfilter.moto`.

    Yields the `cwfilter.moto.MotoPatch`; ``cwfilter_moto.advance_to(time)`` evaluates the alarms.
    Options come from the ``cwfilter_moto`` marker (``alarms=True`` by default). Skipped when moto
    is not installed.
    """
    try:
        import moto  # noqa: F401 - only to know whether it is there
    except ImportError:
        pytest.skip("cwfilter_moto needs moto: pip install 'cwfilter[moto]'")
    from moto import mock_aws

    from . import moto as cwmoto

    marker = request.node.get_closest_marker("cwfilter_moto")
    options = {"alarms": True, **(marker.kwargs if marker is not None else {})}
    with mock_aws(), cwmoto.patch(**options) as patched:
        yield patched
