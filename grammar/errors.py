"""Errors about a user's filter pattern, each rendering the pattern with a caret under the fault."""

from __future__ import annotations

# The service's own wording. TestMetricFilter / PutMetricFilter answer an invalid pattern with
# "Invalid metric filter pattern" (filter-patterns.md §10); the term check has a text of its own.
INVALID_PATTERN = "Invalid metric filter pattern"


class PatternError(ValueError):
    """Base for every error about a user's pattern.

    Attributes:
        message: the error text, without position.
        pattern: the whole pattern text.
        start: 0-based code-point offset of the first offending character.
        end: offset just past the offending text (always > start for rendering).
    """

    kind = "invalid"

    def __init__(self, message: str, pattern: str, start: int, end: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.pattern = pattern
        self.start = max(0, min(start, len(pattern)))
        end = self.start + 1 if end is None else end
        self.end = max(self.start + 1, end)

    @property
    def column(self) -> int:
        """1-based column of the fault."""
        return self.start + 1

    def caret_lines(self) -> tuple[str, str]:
        """The pattern (control characters shown as spaces) and the caret line under it."""
        shown = "".join(" " if c in "\t\r\n" else c for c in self.pattern)
        width = max(1, min(self.end, len(self.pattern) + 1) - self.start)
        return shown, " " * self.start + "^" * width

    def __str__(self) -> str:
        shown, marks = self.caret_lines()
        return f"{self.message} (column {self.column})\n  {shown}\n  {marks}"

    def __reduce__(self):  # keep pickling (multiprocessing) working with the extra arguments
        return (type(self), (self.message, self.pattern, self.start, self.end))


class PatternSyntaxError(PatternError):
    """The pattern does not follow the filter-pattern grammar."""

    kind = "syntax"


class PatternUnsupportedError(PatternError):
    """Valid-looking syntax the service refuses (``IS NOT``, ``EXISTS``, cross-field slots ...)."""

    kind = "unsupported"


class PatternRegexError(PatternError):
    """A ``%regex%`` outside the character set, escapes or repetition rules of the service."""

    kind = "regex"


class PatternLimitError(PatternError):
    """A quota or size limit: pattern length, regexes per pattern, wildcard selectors."""

    kind = "limit"
