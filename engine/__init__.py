"""Matching, metric filters and alarms. Re-exports only.

Names are imported on first use (PEP 562), so a command that only matches patterns never pays
for pydantic, the alarm engine or the input readers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "AlarmResult": "alarms.evaluate",
    "evaluate_alarm": "alarms.evaluate",
    "evaluate_composite": "alarms.composite",
    "validate_alarm": "alarms.validation",
    "CompiledPattern": "matching.compiler",
    "compile_pattern": "matching.compiler",
    "compile_tree": "matching.compiler",
    "Config": "config.native",
    "MetricFilter": "config.native",
    "MetricTransformation": "config.native",
    "check_config": "config.native",
    "load_config": "config.native",
    "ConfigError": "errors",
    "ConfigIssue": "errors",
    "EngineError": "errors",
    "LogEvent": "events",
    "Explanation": "authoring.explain",
    "FilterPattern": "authoring.builder",
    "FilterPatternError": "authoring.builder",
    "Finding": "authoring.lint",
    "lint_pattern": "authoring.lint",
    "AlarmChange": "metrics.pipeline",
    "Datapoint": "metrics.pipeline",
    "Engine": "metrics.pipeline",
    "test_metric_filter": "testing.metric_filter",
    "Simulation": "testing.simulation",
    "load_scenario": "testing.scenario",
    "run_scenario": "testing.scenario",
    "load_sources": "config.sources",
    "check_sources": "config.sources",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from .alarms.composite import evaluate_composite
    from .alarms.evaluate import AlarmResult, evaluate_alarm
    from .alarms.validation import validate_alarm
    from .authoring.builder import FilterPattern, FilterPatternError
    from .authoring.explain import Explanation
    from .authoring.lint import Finding, lint_pattern
    from .config.native import Config, MetricFilter, MetricTransformation, check_config, load_config
    from .config.sources import check_sources, load_sources
    from .errors import ConfigError, ConfigIssue, EngineError
    from .events import LogEvent
    from .matching.compiler import CompiledPattern, compile_pattern, compile_tree
    from .metrics.pipeline import AlarmChange, Datapoint, Engine
    from .testing.metric_filter import test_metric_filter
    from .testing.scenario import load_scenario, run_scenario
    from .testing.simulation import Simulation
