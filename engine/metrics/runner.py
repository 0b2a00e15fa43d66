"""`cwfilter run` without the terminal: inputs -> Engine -> datapoints, with every event accounted for."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from ..inputs.cloudtrail_validate import ArchiveReport, Hashed, HashingStream, is_archive_log, validate_archive
from ..inputs.readers import (
    InputError,
    InputStats,
    OpenedInput,
    Problem,
    RuledOut,
    open_input,
    parse_input_spec,
    read_events,
)
from ..links import cite
from .pipeline import Datapoint, Engine


@dataclass(slots=True)
class RunOptions:
    """How inputs are read (see `engine.inputs.read_events`)."""

    fmt: str = "auto"
    timestamps: str = "event"
    start_ms: int | None = None
    step_ms: int = 1000
    log_group: str | None = None
    #: Validate the CloudTrail log files read against the digest files among the inputs.
    validate: bool = False
    #: A line this regex matches begins an event; other lines join it (the agent's grouping).
    multi_line_start: str | None = None
    #: Following live streams: unstamped lines take the time of reading at once.
    live: bool = False


@dataclass(slots=True)
class RunResult:
    """What a run read and produced, for the summary."""

    stats: InputStats = field(default_factory=InputStats)
    datapoints: int = 0
    #: With `RunOptions.validate`: the check of the CloudTrail archive the run read.
    validation: ArchiveReport | None = None


def run(
    engine: Engine,
    inputs: Sequence[str],
    options: RunOptions | None = None,
    result: RunResult | None = None,
    on_event: Callable[[int], None] | None = None,
    on_input: Callable[[str, Callable[[], int | None] | None], None] | None = None,
) -> Iterator[Datapoint]:
    """Read every input in turn, feed the engine, and yield datapoints as their periods close.

    Args:
        engine: the metric-filter engine.
        inputs: input specs (`path`, `path@log-group`, `-` for stdin); none means stdin.
        options: reading options.
        result: filled with the input accounting as the run goes.
        on_event: called with the running event count every 1,000 events (progress display).
        on_input: called as each input starts with its name and, for a file, a function that
            returns the bytes read from it so far (progress against the inputs' sizes).

    Raises:
        UnboundInputError: an input belongs to no log group while the filters name several.
    """
    options = options or RunOptions()
    result = result if result is not None else RunResult()
    with long_lived_heap():
        yield from _run(engine, inputs, options, result, on_event, on_input)


# Full passes of the cyclic collector at most every 7,000,000 allocations of containers (700 x 10 x
# 1,000) instead of every 70,000: a run keeps every series' key and aggregate until its end, so
# each full pass walks them all again: with a series per event the passes cost as much as the
# series themselves. The young generations, where short-lived cycles die, are collected as often
# as before; a cycle that lives longer waits for the next full pass.
_FULL_COLLECTION_EVERY = 1000


@contextmanager
def long_lived_heap() -> Iterator[None]:
    """Full passes of the cyclic garbage collector seldom, for as long as the block runs: for a
    run (`run` itself) and for writing its results, whose objects (series, transitions) all live
    until the end, so that a full pass would walk them all and free none of them."""
    threshold = gc.get_threshold()
    gc.set_threshold(threshold[0], threshold[1], max(threshold[2], _FULL_COLLECTION_EVERY))
    try:
        yield
    finally:
        if gc.get_threshold()[2] == max(threshold[2], _FULL_COLLECTION_EVERY):
            gc.set_threshold(*threshold)


def _run(
    engine: Engine,
    inputs: Sequence[str],
    options: RunOptions,
    result: RunResult,
    on_event: Callable[[int], None] | None,
    on_input: Callable[[str, Callable[[], int | None] | None], None] | None,
) -> Iterator[Datapoint]:
    stats = result.stats
    count = 0
    hashes: dict[str, Hashed] = {}
    paths: list[str] = []
    for spec in inputs or ["-"]:
        tee, label = None, spec
        if isinstance(spec, str):
            path, bound = parse_input_spec(spec)
            source = None
            if options.validate and path != "-":
                paths.append(path)
                if is_archive_log(path):
                    # Hash the log file with the bytes the reader reads (decompressed), as it reads them.
                    try:
                        opened = open_input(spec)
                    except InputError as exc:
                        stats.add_problem(Problem(exc.source, "input", exc.kind, exc.detail))
                        continue
                    tee = HashingStream(opened.stream)
                    opened.stream = tee  # type: ignore[assignment]
                    spec = opened
            if on_input is not None and tee is None and path != "-":
                try:
                    spec = open_input(spec)
                except InputError as exc:
                    stats.add_problem(Problem(exc.source, "input", exc.kind, exc.detail))
                    continue
        else:  # an open stream, such as a FollowStream
            bound = getattr(spec, "log_group", None)
            source = getattr(spec, "name", None)
        if on_input is not None:
            on_input(label, spec.position if isinstance(spec, OpenedInput) else None)
        group = bound or options.log_group or engine.default_log_group()
        before = dict(stats.rejected_by_group)
        for ev in read_events(
            spec,
            source=source,
            fmt=options.fmt,
            log_group=group,
            stats=stats,
            timestamps=options.timestamps,
            start_ms=options.start_ms,
            step_ms=options.step_ms,
            multi_line_start=options.multi_line_start,
            lookahead=0 if options.live else 1000,
            sieve=None if options.live else engine.sieve,
        ):
            if type(ev) is RuledOut:  # events no filter can match, counted together
                engine.count_ruled_out(ev.log_group, ev.timestamps)
                before_count, count = count, count + len(ev.timestamps)
                if on_event is not None and count // 1000 > before_count // 1000:
                    on_event(count - count % 1000)
                continue
            if ev.log_group is None and len(engine.log_groups) > 1:
                raise UnboundInputError(label, engine.log_groups)
            for dp in engine.feed(ev.message, ev.timestamp, ev.log_group, ev.doc):
                result.datapoints += 1
                yield dp
            count += 1
            if on_event is not None and count % 1000 == 0:
                on_event(count)
        if tee is not None:
            tee.drain()
            bad = spec.decompress_error is not None or not spec.compressed
            hashes[spec.source] = Hashed(None, "invalid format") if bad else Hashed(tee.sha.hexdigest())
            spec.close()
        elif on_input is not None and isinstance(spec, OpenedInput):
            spec.close()
        if bound is None and options.log_group is None and isinstance(label, str):
            path = parse_input_spec(label)[0]
            if stats.sources.get(path) is not None and stats.sources[path].format == "export":
                # An export object names its stream (the folder) but not its log group.
                stats.add_problem(Problem(path, "input", "no-log-group",
                                          f"an export names no log group: its events were read as "
                                          f"{group or 'belonging to no log group'}; give {label}@GROUP "
                                          f"or --log-group GROUP"))
        # Rejected events count for the filters of the log group they belonged to (a payload's
        # own logGroup, else the input's binding), so per filter read = matched + unmatched + rejected.
        for log_group, rejected in stats.rejected_by_group.items():
            delta = rejected - before.get(log_group, 0)
            if delta:
                engine.reject(log_group or group, delta)
    if options.validate:
        result.validation = validate_archive(paths, known_hashes=hashes, keep_valid=False)
    for dp in engine.close():
        result.datapoints += 1
        yield dp


def run_summary(engine: Engine, result: RunResult) -> dict:
    """The run's summary: the engine's accounting, the inputs', and every loss (see `losses`)."""
    summary = engine.summary()
    summary["inputs"] = result.stats.as_dict()
    summary["losses"] = losses(summary)
    return summary


def losses(summary: dict) -> list[dict]:
    """Everything read that did not become a sample, by reason, with the count and the fix.

    Args:
        summary: a run summary (`run_summary`) without its ``losses``.

    Returns:
        ``{"reason", "count", "fix", "filters"}`` items; empty when nothing was lost.
    """
    out: list[dict] = []

    def per_filter(field: str, reason: str, fix: str) -> None:
        hit = {f["filterName"]: f[field] for f in summary.get("filters", []) if f.get(field)}
        if hit:
            out.append({"reason": reason, "count": sum(hit.values()), "fix": fix, "filters": hit})

    per_filter("valueNotNumeric", "value not numeric: the metricValue field is missing, null or not a "
               f"number in matched events ({cite('M3')})",
               "make the pattern match only events where the field is a number (`{ $.latency >= 0 }`), "
               "or correct metricValue")
    per_filter("dimensionMissing", "dimension missing: a dimension's field is absent from matched events "
               f"({cite('M4')})", "make the pattern require every dimension field, or drop the dimension")
    refused = summary.get("refused") or {}
    if refused.get("tooOld"):
        out.append({"reason": "refused: events more than 14 days older than the clock, as PutLogEvents "
                    "refuses them", "count": refused["tooOld"],
                    "fix": "run without --follow to count old events"})
    if refused.get("tooNew"):
        out.append({"reason": "refused: events more than 2 hours ahead of the clock, as PutLogEvents "
                    "refuses them", "count": refused["tooNew"],
                    "fix": "check the clock or time zone of the writer, or run without --follow"})
    if refused.get("noTimestamp"):
        out.append({"reason": "refused: events without a timestamp of their own, which a distributed run "
                    "cannot place in time reproducibly", "count": refused["noTimestamp"],
                    "fix": "give the events their time (or run locally with --start TIME --step SECONDS)"})
    inputs = summary.get("inputs") or {}
    rejected = (inputs.get("total") or {}).get("rejected", 0)
    if rejected:
        out.append({"reason": "events rejected while reading (oversize, malformed, cut short)",
                    "count": rejected, "fix": "see the input problems listed above (--output json "
                    "lists them all) and repair or exclude those inputs"})
    return out


class UnboundInputError(ValueError):
    """An input's events belong to no log group, and the config's filters name several."""

    def __init__(self, spec: str, groups: Sequence[str]) -> None:
        self.spec = spec
        self.groups = list(groups)
        super().__init__(
            f"{spec}: which log group do these events belong to? The filters name "
            f"{', '.join(groups)}; bind the input with {spec}@GROUP or --log-group GROUP"
        )
