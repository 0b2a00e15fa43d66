"""TestMetricFilter, offline: the response shape of the CloudWatch Logs API, without its 50-message cap."""

from __future__ import annotations

from collections.abc import Iterable

from ..events import LogEvent
from ..matching.compiler import CompiledPattern, compile_pattern


def test_metric_filter(pattern: str, messages: Iterable[str]) -> dict:
    """Run a pattern over messages as the TestMetricFilter API does.

    Args:
        pattern: the filter pattern.
        messages: the log event messages, in order.

    Returns:
        ``{"matches": [{"eventNumber", "eventMessage", "extractedValues"}]}`` listing only the
        matching events; `eventNumber` is 1-based (DECISIONS M7).

    Raises:
        PatternError: the pattern is invalid.
    """
    compiled = compile_pattern(pattern)
    matches = []
    for number, message in enumerate(messages, start=1):
        values = compiled.extract_event(LogEvent(message))
        if values is not None:
            matches.append(
                {"eventNumber": number, "eventMessage": message, "extractedValues": values}
            )
    return {"matches": matches}


test_metric_filter.__test__ = False  # not a pytest test, despite its name


def metric_filter_matches(compiled: CompiledPattern, numbered: Iterable[tuple[int, str]]) -> list[dict]:
    """The ``matches`` of a TestMetricFilter response for ``(event number, message)`` pairs.

    `numbered` may skip numbers (events ruled out without being decoded); each match keeps the
    number it was given.
    """
    extract = compiled.extract
    matches = []
    for number, message in numbered:
        values = extract(message)
        if values is not None:
            matches.append({"eventNumber": number, "eventMessage": message, "extractedValues": values})
    return matches
