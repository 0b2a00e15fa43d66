"""cwfilter: an offline engine for CloudWatch Logs filter patterns, metric filters and alarms.

    >>> import cwfilter
    >>> cwfilter.compile_pattern('{ $.errorCode = "AccessDenied*" }').matches('{"errorCode": "AccessDeniedException"}')
    True
"""

__version__ = "0.1.0"

from .engine import CompiledPattern, LogEvent, compile_pattern, test_metric_filter
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

__all__ = [
    "CompiledPattern",
    "LogEvent",
    "PatternError",
    "PatternLimitError",
    "PatternRegexError",
    "PatternSyntaxError",
    "PatternUnsupportedError",
    "__version__",
    "compile_pattern",
    "nodes",
    "parse",
    "test_metric_filter",
    "unparse",
]
