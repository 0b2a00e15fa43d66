"""What reading produces and accounts for: events, problems, per-input and run statistics.

`InputEvent` is one message as CloudWatch Logs would store it, with its timestamp, log group and
position (``line 12``, ``Records[3]``); `InputStats` and `SourceStats` account for everything
read (``read = delivered + rejected``) and `Problem` records what went wrong and where. The
formats (`FORMATS`) and limits (`MAX_EVENT_BYTES`, DECISIONS M6) every reader shares live here.

"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from ..links import cite

__all__ = [
    "DOCUMENT_FORMATS",
    "FORMATS",
    "InputError",
    "InputEvent",
    "InputStats",
    "LINE_FORMATS",
    "MAX_EVENT_BYTES",
    "PROBLEM_KINDS",
    "Problem",
    "RuledOut",
    "SNIFF_BYTES",
    "SourceStats",
    "TIMESTAMP_MODES",
]



FORMATS: Final = (
    "auto", "lines", "jsonl", "cloudtrail", "subscription", "filter-log-events",
    "vpcflow", "cloudfront", "lambda", "export", "firehose",
)
LINE_FORMATS: Final = ("lines", "jsonl", "vpcflow", "cloudfront", "lambda", "export")
DOCUMENT_FORMATS: Final = ("cloudtrail", "subscription", "filter-log-events", "firehose")
TIMESTAMP_MODES: Final = ("event", "now")
# The format of a CloudTrail digest file (by path or by its keys): not log events, skipped;
# `cwfilter validate-logs` checks them.
DIGEST_FORMAT: Final = "cloudtrail-digest"

# DECISIONS M6: an event whose message is over this many bytes of UTF-8 is rejected, never cut.
MAX_EVENT_BYTES: Final = 1_048_576
# How much of an input `sniff_format` looks at, at most.
SNIFF_BYTES: Final = 4096
# Size of one read from an input (and of one decompressed block).
CHUNK: Final = 64 * 1024
# Stored `Problem` details per kind; the counts stay exact beyond it.
MAX_DETAILS_PER_KIND: Final = 100

GZIP_MAGIC: Final = b"\x1f\x8b"
_BOM: Final = b"\xef\xbb\xbf"

# Every kind of problem, with what happens to the data. `rejects` says whether the kind can reject
# an event (count it as read but not delivered); the others concern an input or a document.
PROBLEM_KINDS: Final[dict[str, str]] = {
    "invalid-utf8": "bytes that are not UTF-8: decoded with U+FFFD replacement, the event is still delivered",
    "oversize": f"event over 1,048,576 bytes of UTF-8: rejected ({cite('M6')})",
    "malformed-json": "a line or document that is not valid JSON: a jsonl line is rejected, "
                      "a payload line skipped",
    "malformed-event": "a record or log event of the wrong shape (not an object, no string message): "
                       "rejected",
    "not-json": "a document format's input that is not JSON at all: the input is skipped",
    "wrong-shape": "JSON that is not what the format expects (no Records array, no logEvents, ...): skipped",
    "bad-base64": "a subscription payload whose awslogs.data is not base64: the payload is skipped",
    "truncated-gzip": "gzip data cut before its end: the events before the cut are delivered, "
                      "a partial one rejected",
    "corrupt-gzip": "gzip data that does not decompress: the events before the damage are delivered",
    "binary": "an input that looks binary (NUL bytes) under --format auto: the input is skipped",
    "oversize-payload": "compressed payload data that inflates past the most a real payload holds, or a "
                        "JSON value too big to be a log document: skipped (engine.inputs.payloads)",
    "no-log-group": "an export read with no log group given (FILE@GROUP, --log-group): nothing is lost",
    "missing": "the input does not exist",
    "is-a-directory": "the input is a directory",
    "unreadable": "the input cannot be opened or read (permissions, I/O error)",
}


@dataclass(frozen=True, slots=True)
class InputEvent:
    """One log event as CloudWatch Logs would store it.

    Attributes:
        message: what a filter pattern sees (the line without its terminator, the CloudTrail record
            as compact JSON, the ``message`` field of a subscription or filter-log-events event).
        timestamp: epoch milliseconds (UTC). `read_events` always fills it in; `timestamp_origin`
            says where it came from.
        log_group: the log group the event belongs to, None when neither the input nor the caller
            names one.
        source: the input's name (its path, or ``<stdin>``).
        position: where the event sits in the input: ``line 12``, ``Records[3]``,
            ``line 2: logEvents[4]``.
        timestamp_origin: ``event`` (the event's own stamp, DECISIONS M1), ``previous`` (the stamp
            of the event before it in the input: a stack-trace or wrapped line), ``next`` (a line
            before the input's first stamped event takes that event's stamp), ``start``
            (``start_ms + i * step_ms``) or ``read`` (the time of reading).
    """

    message: str
    timestamp: int | None
    log_group: str | None
    source: str
    position: str
    timestamp_origin: str = "event"
    #: The message already decoded as a JSON object by orjson, when reading needed that (JSON
    #: lines, CloudTrail records); the engine reuses it instead of decoding the text again.
    doc: Any = field(default=None, compare=False, repr=False)
    #: The log stream, when the input names it (a payload's ``logStream``, an export's folder).
    log_stream: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class RuledOut:
    """Events read and delivered that no filter of their log group can match, counted together.

    Only a reader given a sieve (`read_events(sieve=...)`) yields these, between `InputEvent`s: the
    sieve decided from a partial decode that none of the filters can match them, so they are not
    built one by one. Each carried its own stamp (`timestamps`, epoch ms).
    """

    log_group: str | None
    timestamps: list[int]
    #: As an `InputEvent`'s: the first event's time, and where the times came from (the events').
    timestamp: int
    timestamp_origin: str = "event"


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with an input, and where: ``kind`` is a key of `PROBLEM_KINDS`."""

    source: str
    position: str
    kind: str
    detail: str
    #: For a rejected event, the log group it belonged to (None when the input names none).
    log_group: str | None = None

    def __str__(self) -> str:
        return f"{self.source}: {self.position}: {self.kind}: {self.detail}"


@dataclass(slots=True)
class SourceStats:
    """The accounting of one input (or, from `InputStats.total`, of all of them).

    Attributes:
        read: events read (lines that are events, CloudTrail records, log events of payloads).
        delivered: events handed to the caller.
        rejected: events read but not delivered; always ``read - delivered``.
        skipped: lines that are not events (blank lines, ``#`` headers, VPC Flow Logs field lists).
        control_messages: subscription ``CONTROL_MESSAGE`` payloads (they carry no events).
        problems: kind -> number of problems of that kind (exact, never capped).
        rejections: kind -> number of events rejected for that kind.
        timestamp_origins: origin (``event``, ``start``, ``read``) -> delivered events.
    """

    source: str
    format: str | None = None
    read: int = 0
    delivered: int = 0
    rejected: int = 0
    skipped: int = 0
    control_messages: int = 0
    problems: Counter[str] = field(default_factory=Counter)
    rejections: Counter[str] = field(default_factory=Counter)
    timestamp_origins: Counter[str] = field(default_factory=Counter)

    @property
    def balanced(self) -> bool:
        """True when every event read was either delivered or rejected."""
        return self.read == self.delivered + self.rejected and self.rejected == sum(self.rejections.values())

    def add(self, other: SourceStats) -> None:
        """Add `other`'s counts to this one's."""
        self.read += other.read
        self.delivered += other.delivered
        self.rejected += other.rejected
        self.skipped += other.skipped
        self.control_messages += other.control_messages
        self.problems.update(other.problems)
        self.rejections.update(other.rejections)
        self.timestamp_origins.update(other.timestamp_origins)

    def as_dict(self) -> dict[str, Any]:
        """Plain data (for JSON output of a run summary)."""
        return {
            "source": self.source,
            "format": self.format,
            "read": self.read,
            "delivered": self.delivered,
            "rejected": self.rejected,
            "skipped": self.skipped,
            "control_messages": self.control_messages,
            "problems": dict(sorted(self.problems.items())),
            "rejections": dict(sorted(self.rejections.items())),
            "timestamp_origins": dict(sorted(self.timestamp_origins.items())),
        }


class InputStats:
    """Accounting of every input of a run: counts per input and in total, and the problems found.

    Pass one instance to every `read_events` call of a run. Counts are exact; the stored `Problem`
    details are capped at `max_details_per_kind` per kind (`details_dropped` counts the rest).
    `on_problem`, when given, is called with each problem as it is found (for live reporting).
    """

    __slots__ = ("sources", "problems", "details_dropped", "max_details_per_kind", "on_problem", "_stored",
                 "rejected_by_group")

    def __init__(
        self,
        max_details_per_kind: int = MAX_DETAILS_PER_KIND,
        on_problem: Callable[[Problem], None] | None = None,
    ) -> None:
        self.sources: dict[str, SourceStats] = {}
        self.problems: list[Problem] = []
        self.details_dropped = 0
        self.max_details_per_kind = max_details_per_kind
        self.on_problem = on_problem
        self._stored: Counter[str] = Counter()
        #: Rejected events by the log group they belonged to (None: the input names none).
        self.rejected_by_group: Counter[str | None] = Counter()

    def source(self, name: str) -> SourceStats:
        """The `SourceStats` of input `name`, created on first use."""
        stats = self.sources.get(name)
        if stats is None:
            stats = self.sources[name] = SourceStats(name)
        return stats

    def add_problem(self, problem: Problem, *, rejects_event: bool = False) -> None:
        """Count `problem`; with `rejects_event`, also count one event read and rejected for it."""
        stats = self.source(problem.source)
        stats.problems[problem.kind] += 1
        if rejects_event:
            stats.read += 1
            stats.rejected += 1
            stats.rejections[problem.kind] += 1
            self.rejected_by_group[problem.log_group] += 1
        if self._stored[problem.kind] < self.max_details_per_kind:
            self._stored[problem.kind] += 1
            self.problems.append(problem)
        else:
            self.details_dropped += 1
        if self.on_problem is not None:
            self.on_problem(problem)

    @property
    def total(self) -> SourceStats:
        """The sum over every input."""
        total = SourceStats("total")
        for stats in self.sources.values():
            total.add(stats)
        return total

    @property
    def read(self) -> int:
        """Events read, over every input."""
        return sum(s.read for s in self.sources.values())

    @property
    def delivered(self) -> int:
        """Events delivered, over every input."""
        return sum(s.delivered for s in self.sources.values())

    @property
    def rejected(self) -> int:
        """Events rejected, over every input."""
        return sum(s.rejected for s in self.sources.values())

    @property
    def problem_counts(self) -> Counter[str]:
        """Problems per kind, over every input (exact)."""
        counts: Counter[str] = Counter()
        for stats in self.sources.values():
            counts.update(stats.problems)
        return counts

    @property
    def balanced(self) -> bool:
        """True when, for every input, every event read was delivered or rejected."""
        return all(s.balanced for s in self.sources.values())

    def as_dict(self) -> dict[str, Any]:
        """Plain data: totals, per-input counts and the stored problems."""
        return {
            "total": self.total.as_dict(),
            "sources": [s.as_dict() for s in self.sources.values()],
            "problems": [
                {"source": p.source, "position": p.position, "kind": p.kind, "detail": p.detail}
                for p in self.problems
            ],
            "details_dropped": self.details_dropped,
        }


class InputError(Exception):
    """An input that cannot be opened: `kind` is ``missing``, ``is-a-directory`` or ``unreadable``."""

    def __init__(self, source: str, kind: str, detail: str) -> None:
        super().__init__(f"{source}: {detail}")
        self.source = source
        self.kind = kind
        self.detail = detail


