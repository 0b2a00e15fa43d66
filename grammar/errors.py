"""Errors about a user's filter pattern, each rendering the pattern with a caret under the fault."""

from __future__ import annotations

# The service's own wording. TestMetricFilter / PutMetricFilter answer an invalid pattern with
# "Invalid metric filter pattern" (filter-patterns.md §10); the term check has a text of its own.
INVALID_PATTERN = "Invalid metric filter pattern"


class TextError(ValueError):
    """An error about a piece of user-written text, rendered with a caret under the fault.

    Attributes:
        message: the error text, without position.
        text: the whole text (a pattern, an alarm rule).
        start: 0-based code-point offset of the first offending character.
        end: offset just past the offending text (always > start for rendering).
        hint: one line naming what the writer most likely meant, or None.
    """

    hint: str | None = None

    def __init__(self, message: str, text: str, start: int, end: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.text = text
        self.start = max(0, min(start, len(text)))
        end = self.start + 1 if end is None else end
        self.end = max(self.start + 1, end)

    @property
    def column(self) -> int:
        """1-based column of the fault."""
        return self.start + 1

    def caret_lines(self) -> tuple[str, str]:
        """The text (control characters shown as spaces) and the caret line under it."""
        shown = "".join(" " if c in "\t\r\n" else c for c in self.text)
        width = max(1, min(self.end, len(self.text) + 1) - self.start)
        return shown, " " * self.start + "^" * width

    def __str__(self) -> str:
        shown, marks = self.caret_lines()
        rendered = f"{self.message} (column {self.column})\n  {shown}\n  {marks}"
        return rendered + (f"\nhint: {self.hint}" if self.hint else "")

    def __reduce__(self):  # keep pickling (multiprocessing) working with the extra arguments
        return (type(self), (self.message, self.text, self.start, self.end))


class PatternError(TextError):
    """Base for every error about a user's filter pattern; `pattern` is the whole pattern text."""

    kind = "invalid"

    @property
    def pattern(self) -> str:
        return self.text


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
