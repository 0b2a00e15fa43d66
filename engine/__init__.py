"""Matching, metric filters and alarms. Re-exports only.

Names are imported on first use (PEP 562), so a command that only matches patterns never pays
for pydantic, the alarm engine or the input readers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "AlarmResult": "alarms",
    "evaluate_alarm": "alarms",
    "evaluate_composite": "alarms",
    "validate_alarm": "alarms",
    "CompiledPattern": "compiler",
    "compile_pattern": "compiler",
    "compile_tree": "compiler",
    "Config": "config",
    "MetricFilter": "config",
    "MetricTransformation": "config",
    "check_config": "config",
    "load_config": "config",
    "ConfigError": "errors",
    "ConfigIssue": "errors",
    "EngineError": "errors",
    "LogEvent": "events",
    "Explanation": "explain",
    "FilterPattern": "builder",
    "FilterPatternError": "builder",
    "Finding": "lint",
    "lint_pattern": "lint",
    "AlarmChange": "pipeline",
    "Datapoint": "pipeline",
    "Engine": "pipeline",
    "test_metric_filter": "testing",
    "Simulation": "scenario",
    "load_scenario": "scenario",
    "run_scenario": "scenario",
    "load_sources": "sources",
    "check_sources": "sources",
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
    from .alarms import AlarmResult, evaluate_alarm, evaluate_composite, validate_alarm
    from .builder import FilterPattern, FilterPatternError
    from .compiler import CompiledPattern, compile_pattern, compile_tree
    from .config import Config, MetricFilter, MetricTransformation, check_config, load_config
    from .errors import ConfigError, ConfigIssue, EngineError
    from .events import LogEvent
    from .explain import Explanation
    from .lint import Finding, lint_pattern
    from .pipeline import AlarmChange, Datapoint, Engine
    from .scenario import Simulation, load_scenario, run_scenario
    from .sources import check_sources, load_sources
    from .testing import test_metric_filter
