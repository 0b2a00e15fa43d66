"""cwfilter: an offline engine for CloudWatch Logs filter patterns, metric filters and alarms.

    >>> import cwfilter
    >>> cwfilter.compile_pattern('{ $.errorCode = "AccessDenied*" }').matches('{"errorCode": "AccessDeniedException"}')
    True

The pattern language lives in `cwfilter.grammar`, matching, metrics and alarms in
`cwfilter.engine`; the names below are re-exported from them and imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Imported on first use, so that a command that needs neither (`cwfilter test ERROR app.log`)
# starts without loading Lark.
_GRAMMAR = (
    "PatternError", "PatternLimitError", "PatternRegexError", "PatternSyntaxError", "PatternUnsupportedError",
    "nodes", "parse", "unparse",
)
_ENGINE = (
    "AlarmResult", "CompiledPattern", "Config", "ConfigError", "Datapoint", "Engine", "LogEvent",
    "check_config", "compile_pattern", "evaluate_alarm", "evaluate_composite", "load_config",
    "test_metric_filter", "FilterPattern", "explain", "lint_pattern", "Simulation", "load_sources",
)

__all__ = sorted(
    [
        "PatternError", "PatternLimitError", "PatternRegexError", "PatternSyntaxError",
        "PatternUnsupportedError", "__version__", "nodes", "parse", "unparse", *_ENGINE,
    ]
)


def __getattr__(name: str) -> Any:
    if name == "explain":
        # Not re-exported by `cwfilter.engine`, where `explain` is also the name of a submodule.
        from .engine.authoring.explain import explain

        globals()[name] = explain
        return explain
    if name in _GRAMMAR:
        from . import grammar

        value = getattr(grammar, name)
        globals()[name] = value
        return value
    if name in _ENGINE:
        from . import engine

        value = getattr(engine, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # pragma: no cover
    from .engine import (
        AlarmResult,
        CompiledPattern,
        Config,
        ConfigError,
        Datapoint,
        Engine,
        FilterPattern,
        LogEvent,
        Simulation,
        check_config,
        compile_pattern,
        evaluate_alarm,
        evaluate_composite,
        lint_pattern,
        load_config,
        load_sources,
        test_metric_filter,
    )
    from .engine.authoring.explain import explain
    from .grammar import (
        PatternError,
        PatternLimitError,
        PatternRegexError,
        PatternSyntaxError,
        PatternUnsupportedError,
        nodes,
        parse,
        unparse,
    )
