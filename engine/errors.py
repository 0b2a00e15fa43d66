"""Errors of the engine: the base `EngineError`, and `ConfigError` with every `ConfigIssue` of a config.

Stdlib only, so that any layer (and the CLI) can catch these without importing pydantic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

ERROR = "error"
WARNING = "warning"


class EngineError(Exception):
    """Base for every error the engine raises about a user's input."""


def location(source: str | None, line: int | None, column: int | None = None) -> str:
    """Where a finding is, as editors and compilers print it: ``file:line:column`` (the parts
    that are known), or ``line N, column M`` when there is no file name; "" when nothing is."""
    if source is not None:
        where = source
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        return where
    if line is not None:
        return f"line {line}" + (f", column {column}" if column is not None else "")
    return ""


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One problem found in a configuration file.

    Attributes:
        path: where in the document, jsonschema-like with AWS key spelling
            (``metricFilters[3].filterPattern``); empty for the document itself.
        message: the service's wording where it is known; for a bad filter pattern the
            `PatternError` text with its caret lines.
        source: the file name (``<stdin>`` for standard input), when known.
        line: 1-based line of the offending key in that file, when known.
        severity: ``"error"`` or ``"warning"``.
        column: 1-based column, for syntax errors of the file itself.
        code: the wiring code (``CWF205`` ...) of a check that has one; not compared.
    """

    path: str
    message: str
    source: str | None = None
    line: int | None = None
    severity: str = ERROR
    column: int | None = None
    code: str | None = field(default=None, compare=False)

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def __str__(self) -> str:
        parts = [p for p in (location(self.source, self.line, self.column), self.path) if p]
        text = self.message if self.is_error else f"{self.severity}: {self.message}"
        return ": ".join([*parts, text])


class ConfigError(EngineError):
    """A configuration that cannot be used; holds every issue found, not just the first.

    Attributes:
        issues: the issues in the order they were found (errors, and any warnings reported
            with them).
    """

    def __init__(self, issues: Iterable[ConfigIssue]) -> None:
        self.issues: list[ConfigIssue] = list(issues)
        super().__init__(str(self))

    @property
    def errors(self) -> list[ConfigIssue]:
        """The issues of severity ``"error"``."""
        return [issue for issue in self.issues if issue.is_error]

    def __str__(self) -> str:
        return "\n".join(str(issue) for issue in self.issues)

    def __reduce__(self):  # keep pickling working: the constructor takes the issues
        return (type(self), (self.issues,))
