"""TestMetricFilter, offline: the response shape of the CloudWatch Logs API, without its 50-message cap."""

from __future__ import annotations

from typing import Iterable

from ..matching.compiler import compile_pattern
from ..events import LogEvent


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
