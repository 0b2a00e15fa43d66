"""Errors of the engine: the base `EngineError`, and `ConfigError` with every `ConfigIssue` of a config.

Stdlib only, so that any layer (and the CLI) can catch these without importing pydantic.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

ERROR = "error"
WARNING = "warning"


def unknown_parameter(where: str, key: object, allowed: Sequence[str], what: str) -> str:
    """The AWS clients' (botocore's) text for a key that a section does not take, with a hint.

    Args:
        where: the section as botocore names it (``input``, ``metricTransformations[0]``).
        key: the unknown key.
        allowed: the section's keys, in the order the API lists them.
        what: the section in words (``a metric filter``), for the casing hint.

    Returns:
        ``Unknown parameter in metricTransformations[0]: "defaultVaule", must be one of: metricName,
        ...; did you mean "defaultValue"?``; when the key is a known key in the other casing
        (``FilterPattern``), the hint also says which casing the section takes.
    """
    shown = str(key)
    text = f'Unknown parameter in {where}: "{shown}", must be one of: {", ".join(allowed)}'
    folded = {name.lower(): name for name in allowed}
    close = difflib.get_close_matches(shown.lower(), list(folded), n=1)
    if not close:
        return text
    name = folded[close[0]]
    text += f'; did you mean "{name}"?'
    if shown[:1].swapcase() == name[:1] and shown[:1] != name[:1]:
        if len({k[:1].isupper() for k in allowed}) == 1:
            casing = "PascalCase" if name[:1].isupper() else "camelCase"
            text += f" ({what} takes {casing} keys, as the AWS API spells them)"
        else:
            text += " (keys are case-sensitive)"
    return text


def unknown_keys(section: object, allowed: Sequence[str], accepted: Iterable[str] = ()) -> list:
    """The keys of a mapping that are neither in `allowed` nor in `accepted`, in document order."""
    if not isinstance(section, Mapping):
        return []
    known = {*allowed, *accepted}
    return [key for key in section if key not in known]


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
