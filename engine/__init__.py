"""Matching, metric filters and alarms. Re-exports only."""

from .compiler import CompiledPattern, compile_pattern, compile_tree
from .events import LogEvent
from .testing import test_metric_filter

__all__ = ["CompiledPattern", "LogEvent", "compile_pattern", "compile_tree", "test_metric_filter"]
