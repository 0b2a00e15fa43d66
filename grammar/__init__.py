"""The filter-pattern language: parse, check and print patterns. Re-exports only."""

from . import nodes
from .errors import (
    PatternError,
    PatternLimitError,
    PatternRegexError,
    PatternSyntaxError,
    PatternUnsupportedError,
)
from .parser import MAX_PATTERN_LENGTH, parse, parse_selector
from .printer import unparse

__all__ = [
    "MAX_PATTERN_LENGTH",
    "PatternError",
    "PatternLimitError",
    "PatternRegexError",
    "PatternSyntaxError",
    "PatternUnsupportedError",
    "nodes",
    "parse",
    "parse_selector",
    "unparse",
]
