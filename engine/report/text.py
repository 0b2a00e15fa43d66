"""Plain-text renderings for the terminal: input notes, run summaries, metric groups, number formats.

The command line prints these lines; colour and tables (rich) are added there, on a terminal only.
"""

from __future__ import annotations

from typing import Any

from ..inputs.readers import MAX_EVENT_BYTES


def plural(count: int, noun: str) -> str:
    """``1 event``, ``2 events``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def input_notes(stats: Any) -> list[str]:
    """What reading the input of `cwfilter test` / `explain` saw besides the events (`MessageStats`)."""
    notes = []
    if stats.skipped_empty:
        notes.append(
            f"skipped {plural(stats.skipped_empty, 'empty line')} "
            "(TestMetricFilter needs messages of at least 1 character)"
        )
    if stats.skipped_other:
        notes.append(f"skipped {plural(stats.skipped_other, 'line')} that hold no event (headers, field lists)")
    if stats.invalid_utf8:
        notes.append(
            f"{plural(stats.invalid_utf8, 'event')} with invalid UTF-8, "
            "decoded with U+FFFD replacement characters"
        )
    if stats.oversize:
        more = ", ..." if stats.oversize > len(stats.oversize_at) else ""
        notes.append(
            f"rejected {plural(stats.oversize, 'event')} over {MAX_EVENT_BYTES:,} bytes "
            f"({', '.join(stats.oversize_at)}{more})"
        )
    notes.extend(stats.problems_shown)
    if stats.problems > len(stats.problems_shown):
        notes.append(f"... and {stats.problems - len(stats.problems_shown):,} more problems")
    return notes
