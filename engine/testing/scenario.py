"""Scenario files: alert rules as unit tests, run through the real `Engine` on a simulated clock.

A scenario file (YAML) names the configuration to test (config files, an inline config, or a
bundled rule pack), then lists tests. Each test feeds log events, given literally, in a compact
repeat notation or read from log files, and states what must come out: which messages a filter
matches and what it extracts, the datapoints of a metric per period and statistic, the state (and
reason) of an alarm at given times, and which transitions must not happen. It is the log-based
counterpart of ``promtool test rules``::

    config: ../errors.yaml            # or a list of files, or {metricFilters: [...], MetricAlarms: [...]}
    start: 2024-05-01T12:00:00Z       # offsets below count from here
    tests:
      - name: a burst of errors pages the on-call
        events:
          - {message: "2024-05-01T12:00:00Z ERROR boom", every: 10s, count: 30}  # to 12:04:50
          - gap: 15m                                          # nothing until 12:20:00
        datapoints:
          - {metric: Checkout/Errors, statistic: Sum, values: {0m: 6, 4m: 6}}
        alarms:
          - {alarm: checkout-errors-high, at: 3m, state: ALARM}
          - {alarm: checkout-errors-high, between: [0m, 1m], no_transition_to: ALARM}

`load_scenario` reads and checks a file, reporting every problem with its YAML path and line
(`ScenarioError`); `run_test` runs one test and returns a `TestResult` whose `Failure`\\ s carry the
expected and the actual values as data (lines prefixed ``-`` for expected and ``+`` for actual),
so that the command line, the pytest plugin and JUnit XML render the same diff. `Simulation` is the
same machinery for Python tests: feed events, then ask for a metric's value or an alarm's state at
a time.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import json
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence
from xml.etree import ElementTree

import yaml

from ...grammar import PatternError
from ..alarms.evaluate import INITIAL_REASON, INSUFFICIENT_DATA, STATES
from ..matching.compiler import compile_pattern
from ..config import reading
from ..config.native import Config, MetricFilter, iter_config_issues, render_path
from ..errors import ConfigError, ConfigIssue
from ..events import number_text
from ..inputs.readers import FORMATS, InputStats, read_events
from ..metrics.pipeline import AlarmChange, Datapoint, Engine, iso
from ..metrics.series import parse_statistic

__all__ = [
    "Failure",
    "Scenario",
    "ScenarioError",
    "ScenarioFailure",
    "ScenarioTest",
    "Simulation",
    "TestResult",
    "expand_values",
    "junit_xml",
    "load_scenario",
    "parse_duration",
    "run_scenario",
    "run_test",
]

SECOND = 1000
MINUTE = 60 * SECOND
DEFAULT_PERIOD = 60
DEFAULT_STATISTIC = "Sum"
# Where offsets count from when a scenario gives no start (as promtool's tests start at 0).
DEFAULT_START_MS = 0
# Datapoint values are compared with this relative tolerance (sums of fractions are exact in the
# series store, but a user writes 0.1 + 0.2 as 0.3).
RELATIVE_TOLERANCE = 1e-9
# A file read by `events: [{file: ...}]` may hold at most this many events: scenario events are
# meant to be few, and a large corpus belongs to `cwfilter run`.
MAX_FILE_EVENTS = 100_000
# Input problems that lose events; any of them makes the scenario invalid (no silent loss).
_LOSING_PROBLEMS = frozenset({
    "oversize", "oversize-payload", "malformed-json", "malformed-event", "not-json", "wrong-shape", "bad-base64",
    "truncated-gzip", "corrupt-gzip", "binary", "missing", "is-a-directory", "unreadable",
})


class ScenarioError(ConfigError):
    """A scenario file that cannot be run; `issues` lists every problem with its path and line."""


class ScenarioFailure(AssertionError):
    """Raised by the `Simulation.assert_*` helpers; `failure` holds the diff as data."""

    def __init__(self, failure: Failure) -> None:
        self.failure = failure
        super().__init__("\n".join(failure.lines()))


# --------------------------------------------------------------------------- times


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_DURATION_RE = re.compile(r"[+-]?(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+")
_UNIT_MS = {"ms": 1, "s": SECOND, "m": MINUTE, "h": 60 * MINUTE, "d": 24 * 60 * MINUTE}


def parse_duration(value: Any) -> int:
    """A duration in milliseconds: ``90s``, ``1m30s``, ``1h``, ``500ms``, ``2d``, or a number of seconds.

    Raises:
        ValueError: not a duration.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a duration such as 30s, 5m or 1h30m, got {value!r}")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ValueError(f"expected a duration such as 30s, 5m or 1h30m, got {value!r}")
        return round(value * SECOND)
    if isinstance(value, _dt.timedelta):
        return value // _dt.timedelta(milliseconds=1)
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"[+-]?\d+(?:\.\d+)?", text):
            return round(float(text) * SECOND)
        if _DURATION_RE.fullmatch(text):
            sign = -1 if text.startswith("-") else 1
            total = sum(float(n) * _UNIT_MS[u] for n, u in _DURATION_PART.findall(text))
            return sign * round(total)
    raise ValueError(f"expected a duration such as 30s, 5m or 1h30m, got {value!r}")


def _parse_instant(value: Any) -> int | None:
    """Epoch ms of an absolute time (a YAML timestamp or ISO-8601 text); None when it is not one."""
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        return (value - _EPOCH) // _dt.timedelta(milliseconds=1)
    if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        return _parse_instant(_dt.datetime(value.year, value.month, value.day))
    if isinstance(value, str) and re.match(r"\s*\d{4}-\d\d-\d\d", value):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            return _parse_instant(_dt.datetime.fromisoformat(text))
        except ValueError:
            return None
    return None


_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


class Instant(int):
    """Epoch milliseconds marked as an absolute time (a plain number is an offset in seconds)."""


def _to_time(value: Any, start_ms: int) -> int:
    """An absolute time, or an offset from `start_ms` (``90s``, ``5m``, a number of seconds)."""
    if isinstance(value, Instant):
        return int(value)
    instant = _parse_instant(value)
    if instant is not None:
        return instant
    if isinstance(value, str) and re.match(r"\s*\d{4}-\d\d-\d\d", value):
        raise ValueError(f"{value!r} is not an ISO-8601 time")
    try:
        return start_ms + parse_duration(value)
    except ValueError:
        raise ValueError(f"expected a time: an offset from the start such as 90s or 5m, or an "
                         f"ISO-8601 time, got {value!r}") from None


def _span(ms: int) -> str:
    """A duration in the notation scenario files use: ``1h2m3s``, ``500ms``, ``0s``."""
    sign = "-" if ms < 0 else "+"
    ms = abs(ms)
    parts = []
    for unit, size in (("d", 24 * 60 * MINUTE), ("h", 60 * MINUTE), ("m", MINUTE), ("s", SECOND)):
        if ms >= size:
            parts.append(f"{ms // size}{unit}")
            ms %= size
    if ms:
        parts.append(f"{ms}ms")
    return sign + ("".join(parts) or "0s")


def _when(ms: int, start_ms: int) -> str:
    """``2024-05-01T12:03:00Z (+3m)``: an absolute time with its offset from the test's start."""
    return f"{iso(ms)} ({_span(ms - start_ms)})"


# --------------------------------------------------------------------------- values


_EXPAND_RE = re.compile(r"(?P<a>[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|_)"
                        r"(?:(?P<op>[+-])(?P<b>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?))?"
                        r"(?:x(?P<n>\d+))?")


def expand_values(text: Any) -> list[float | None]:
    """Values in promtool's expanding notation; ``None`` stands for a missing value (``_``).

    ``a+bxn`` is ``a, a+b, …, a+n·b`` (n + 1 values), ``a-bxn`` counts down, ``axn`` repeats
    ``a`` n + 1 times, ``_`` is one missing value and ``_xn`` n of them. Tokens are separated by
    spaces; a YAML list of numbers (and ``_`` or null) is accepted too.

    Raises:
        ValueError: a token that is none of these.
    """
    if isinstance(text, (list, tuple)):
        out: list[float | None] = []
        for item in text:
            if item is None or item == "_":
                out.append(None)
            elif isinstance(item, (int, float)) and not isinstance(item, bool):
                out.append(float(item))
            elif isinstance(item, str):
                out.extend(expand_values(item))
            else:
                raise ValueError(f"expected a number or _, got {item!r}")
        return out
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return [float(text)]
    if not isinstance(text, str):
        raise ValueError(f"expected values such as '1 2 3', '0+10x5' or '_x3', got {text!r}")
    out = []
    for token in text.split():
        m = _EXPAND_RE.fullmatch(token)
        if m is None:
            raise ValueError(f"{token!r} is not a value: use a number, _, a+bxN, a-bxN, axN or _xN")
        a, op, b, n = m.group("a", "op", "b", "n")
        if a == "_":
            if op:
                raise ValueError(f"{token!r}: a missing value (_) cannot be stepped")
            out.extend([None] * (int(n) if n else 1))
            continue
        start = float(a)
        if n is None:
            if op:
                raise ValueError(f"{token!r}: a step needs a count, as in {token}x5")
            out.append(start)
            continue
        step = 0.0 if b is None else float(b) * (-1 if op == "-" else 1)
        out.extend(start + i * step for i in range(int(n) + 1))
    return out


def _num(value: float) -> str:
    """A number as a user wrote it: ``6``, ``0.5``."""
    if value is None:
        return "no datapoint"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-12)


def _scalar_text(value: Any) -> str:
    """An expected extracted value written in YAML, as the service prints it (a string)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return number_text(value)
    return str(value)


# --------------------------------------------------------------------------- results as data


@dataclass(frozen=True, slots=True)
class Failure:
    """One expectation that did not hold, as data.

    Attributes:
        where: the expectation's path in the scenario (``alarms[0]``), or the helper's name.
        line: its line in the scenario file, when known.
        title: what was expected, in words (``checkout-errors-high at 2024-05-01T12:03:00Z (+3m)``).
        expected: the expected side, one line each (printed with ``-``).
        got: the actual side (printed with ``+``).
        notes: context for the reader (transitions so far, events in the period ...).
    """

    where: str
    line: int | None
    title: str
    expected: tuple[str, ...] = ()
    got: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        """The failure as readable text: a heading, ``- expected`` and ``+ got`` lines, notes."""
        head = self.where + (f", line {self.line}" if self.line is not None else "")
        out = [f"{head}: {self.title}"]
        if len(self.expected) == len(self.got):
            # Pairs (a period, a state and its reason): each expected line above what came instead.
            for want, got in zip(self.expected, self.got):
                out += [f"  - {want}", f"  + {got}"]
        else:
            out += [f"  - {text}" for text in self.expected]
            out += [f"  + {text}" for text in self.got]
        out += [f"    {text}" for text in self.notes]
        return out

    def to_json(self) -> dict:
        return {"where": self.where, "line": self.line, "title": self.title,
                "expected": list(self.expected), "got": list(self.got), "notes": list(self.notes)}


@dataclass(slots=True)
class TestResult:
    """The outcome of one scenario test."""

    __test__ = False  # not a pytest test class, despite its name

    file: str
    name: str
    line: int | None
    failures: list[Failure] = field(default_factory=list)
    events: int = 0
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.failures

    def report(self) -> str:
        """The failures as text (empty when the test passed)."""
        return "\n".join(line for f in self.failures for line in f.lines())

    def to_json(self) -> dict:
        return {"file": self.file, "name": self.name, "line": self.line, "passed": self.passed,
                "events": self.events, "seconds": round(self.seconds, 6),
                "failures": [f.to_json() for f in self.failures]}


# --------------------------------------------------------------------------- simulation


@dataclass(frozen=True, slots=True)
class SimEvent:
    """One log event of a simulation: its time, message, log group and where it came from."""

    timestamp_ms: int
    message: str
    log_group: str | None
    origin: str


@dataclass(slots=True)
class _Run:
    """What one pass of the engine produced."""

    datapoints: list[Datapoint]
    changes: list[AlarmChange]


class Simulation:
    """Log events on a simulated clock, run through the metric filters and alarms of a config.

    Events are added with `feed`, `repeat`, `gap` and `feed_file`; a cursor keeps the time of the
    next event. Queries (`metric`, `series`, `alarm_state`, `transitions` ...) run the events
    through a fresh `Engine`, in time order, and evaluate alarms up to the time asked about.
    The ``assert_*`` helpers raise `ScenarioFailure` (an `AssertionError`) with a readable diff.

    Times (`at`, `until`, `between`) are offsets from `start` (``"90s"``, ``"5m"``, a number of
    seconds) or absolute (ISO-8601 text, a `datetime`).

    Args:
        config: a `Config`, a config file path, a list of paths, or a mapping in the config
            file's shape (``{"metricFilters": [...], "MetricAlarms": [...]}``).
        start: where offsets count from (default 1970-01-01T00:00:00Z).
        log_group: the log group of events that name none.
        account, region: values of the ``@aws.account`` / ``@aws.region`` system dimensions.
        default_value_mode: ``"minute"`` (DECISIONS M2) or ``"event"``.
    """

    def __init__(self, config: Any, *, start: Any = None, log_group: str | None = None,
                 account: str | None = None, region: str | None = None,
                 default_value_mode: str = "minute") -> None:
        self.config: Config = _as_config(config)
        self.start_ms = DEFAULT_START_MS if start is None else _to_time(start, DEFAULT_START_MS)
        self.cursor_ms = self.start_ms
        self.log_group = log_group
        self.account, self.region = account, region
        self.default_value_mode = default_value_mode
        self.events: list[SimEvent] = []
        self._watched: set[str] | None = None
        self._runs: dict[int, _Run] = {}          # datapoints per period
        self._alarm_run: tuple[int | None, _Run] | None = None  # (until, run) of the latest alarm pass
        self._router = self._engine(DEFAULT_PERIOD, None)
        names = [a.get("AlarmName") for a in [*self.config.metric_alarms, *self.config.composite_alarms]]
        self.alarm_names = [n for n in names if isinstance(n, str)]
        self._unsupported = set(self._router.alarms.unsupported) if self._router.alarms else set()

    # ------------------------------------------------------------------ time

    def time(self, value: Any) -> int:
        """Epoch ms of an offset from the start or an absolute time (an `Instant` is used as is)."""
        return _to_time(value, self.start_ms)

    def when(self, ms: int) -> str:
        """``2024-05-01T12:03:00Z (+3m)``."""
        return _when(ms, self.start_ms)

    # ------------------------------------------------------------------ events

    def _group(self, log_group: str | None) -> str | None:
        group = log_group if log_group is not None else self.log_group
        if group is None and len(self._router.log_groups) > 1:
            raise ValueError("which log group does this event belong to? The filters name "
                             f"{', '.join(self._router.log_groups)}: give log_group")
        return group

    def _add(self, ts: int, message: str, group: str | None, origin: str) -> None:
        if not isinstance(message, str) or not message:
            raise ValueError(f"{origin}: a log event needs a non-empty message")
        self.events.append(SimEvent(ts, message, group, origin))
        self._runs.clear()
        self._alarm_run = None

    def feed(self, message: str, at: Any = None, *, log_group: str | None = None,
             origin: str | None = None) -> None:
        """Add one event at `at` (default: the cursor); the cursor moves to its time."""
        group = self._group(log_group)
        if at is not None:
            self.cursor_ms = self.time(at)
        self._add(self.cursor_ms, message, group, origin or f"event {len(self.events) + 1}")

    def repeat(self, message: str | Sequence[str], *, every: Any, count: int | None = None,
               until: Any = None, at: Any = None, values: Any = None,
               log_group: str | None = None, origin: str | None = None) -> int:
        """Add a message every `every`, `count` times (or up to, not including, `until`).

        `message` may be a list of messages, used in turn. With `values` (promtool notation such
        as ``"100+50x4 _ 900"``, or a list), one event per value, whose ``${value}`` placeholder
        is replaced by the value; ``_`` leaves its slot empty. ``${i}`` is replaced by the event's
        1-based number. The cursor ends one step after the last slot.

        Returns:
            The number of events added.
        """
        group = self._group(log_group)
        step = parse_duration(every)
        if step <= 0:
            raise ValueError(f"every must be a positive duration, got {every!r}")
        if at is not None:
            self.cursor_ms = self.time(at)
        messages = [message] if isinstance(message, str) else list(message)
        if not messages:
            raise ValueError("repeat needs at least one message")
        slots: list[float | None]
        if values is not None:
            slots = expand_values(values)
        else:
            if count is None and until is None:
                count = len(messages)
            if count is None:
                end = self.time(until)
                count = max(0, -(-(end - self.cursor_ms) // step))
            slots = [math.nan] * int(count)
        label = origin or f"event {len(self.events) + 1}"
        added = 0
        for i, value in enumerate(slots):
            ts = self.cursor_ms + i * step
            if value is None:
                continue
            text = messages[i % len(messages)].replace("${i}", str(i + 1))
            if not math.isnan(value):
                text = text.replace("${value}", _num(value))
            self._add(ts, text, group, f"{label} #{i + 1}")
            added += 1
        self.cursor_ms += len(slots) * step
        return added

    def gap(self, duration: Any) -> None:
        """Move the cursor forward: no events for `duration`."""
        self.cursor_ms += parse_duration(duration)

    def feed_file(self, path: str | Path, *, fmt: str = "auto", timestamps: str = "own",
                  every: Any = None, at: Any = None, log_group: str | None = None,
                  origin: str | None = None) -> int:
        """Add the events of a log file in any format `cwfilter run` reads.

        Args:
            timestamps: ``own`` keeps each event's own time (DECISIONS M1) and places events that
                have none at the cursor, `every` apart; ``shift`` moves the events so that the
                first lands on the cursor, keeping their spacing; ``cursor`` ignores their
                times and places them all at the cursor, `every` apart.
            every: spacing of events placed at the cursor (default 1s).

        Returns:
            The number of events added. The cursor ends at the latest event's time plus `every`.

        Raises:
            ValueError: the file cannot be read, or some of its events were lost (oversize,
                malformed), with every problem named.
        """
        if timestamps not in ("own", "shift", "cursor"):
            raise ValueError("timestamps is own, shift or cursor")
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
        step = parse_duration(every) if every is not None else SECOND
        if at is not None:
            self.cursor_ms = self.time(at)
        group = log_group if log_group is not None else self.log_group
        stats = InputStats()
        read = []
        for ev in read_events(str(path), fmt=fmt, log_group=group, stats=stats,
                              start_ms=self.cursor_ms, step_ms=step):
            read.append(ev)
            if len(read) > MAX_FILE_EVENTS:
                raise ValueError(f"{path}: more than {MAX_FILE_EVENTS:,} events; scenario events "
                                 "are meant to be few (use cwfilter run for a corpus)")
        losing = [p for p in stats.problems if p.kind in _LOSING_PROBLEMS]
        if losing:
            shown = "; ".join(f"{p.position}: {p.kind}: {p.detail}" for p in losing[:5])
            more = f" (and {len(losing) - 5} more)" if len(losing) > 5 else ""
            raise ValueError(f"{path}: {shown}{more}")
        if not read:
            return 0
        label = origin or str(path)
        if timestamps == "shift":
            shift = self.cursor_ms - read[0].timestamp
        times = []
        for i, ev in enumerate(read):
            if timestamps == "cursor":
                ts = self.cursor_ms + i * step
            elif timestamps == "shift":
                ts = ev.timestamp + shift
            else:
                ts = ev.timestamp
            if ev.log_group is None and len(self._router.log_groups) > 1:
                raise ValueError(f"{path}: which log group do these events belong to? The filters "
                                 f"name {', '.join(self._router.log_groups)}: give log_group")
            times.append(ts)
            self._add(ts, ev.message, ev.log_group, f"{label} {ev.position}")
        self.cursor_ms = max(times) + step
        return len(read)

    # ------------------------------------------------------------------ running

    def _engine(self, period: int, until_ms: int | None, alarms: bool = True) -> Engine:
        config = self.config
        if not alarms:
            config = config.model_copy(update={"metric_alarms": [], "composite_alarms": []})
        elif self._watched is not None:
            config = config.model_copy(update={
                "metric_alarms": [a for a in config.metric_alarms if a.get("AlarmName") in self._watched],
                "composite_alarms": [a for a in config.composite_alarms if a.get("AlarmName") in self._watched],
            })
        return Engine(config, period=period, account=self.account, region=self.region,
                      default_value_mode=self.default_value_mode, until_ms=until_ms)

    def watch_only(self, alarms: Iterable[str]) -> None:
        """Evaluate only these alarms (and the children of those that are composite alarms).

        Every alarm is evaluated by default; a config with many alarms runs faster when a test
        asks about a few of them. The others' results are unchanged by leaving them out.
        """
        from ...grammar.alarm_rule import parse_alarm_rule

        composites = {a.get("AlarmName"): a for a in self.config.composite_alarms}
        keep: set[str] = set()
        todo = list(alarms)
        while todo:
            name = todo.pop()
            if name in keep:
                continue
            keep.add(name)
            composite = composites.get(name)
            if composite is not None:
                todo.extend(parse_alarm_rule(composite["AlarmRule"]).alarm_names)
                if composite.get("ActionsSuppressor"):
                    todo.append(composite["ActionsSuppressor"])
        self._watched = keep
        self._alarm_run = None

    def cardinality_trips(self) -> list[str]:
        """The filters that pass 1,000 distinct dimension name/value pairs in an hour of event time."""
        engine = self._engine(DEFAULT_PERIOD, None, alarms=False)
        for ev in sorted(self.events, key=lambda e: e.timestamp_ms):
            engine.feed(ev.message, ev.timestamp_ms, ev.log_group)
        return sorted({t.filter_name for t in engine.guard.trips}) if engine.guard is not None else []

    def _pass(self, period: int, until_ms: int | None, alarms: bool = True) -> _Run:
        engine = self._engine(period, until_ms, alarms)
        items: list = []
        for ev in sorted(self.events, key=lambda e: e.timestamp_ms):
            items.extend(engine.feed(ev.message, ev.timestamp_ms, ev.log_group))
        items.extend(engine.close())
        return _Run([i for i in items if isinstance(i, Datapoint)],
                    [i for i in items if isinstance(i, AlarmChange)])

    def _run(self, period: int = DEFAULT_PERIOD) -> _Run:
        """The datapoints of one period length (they do not depend on how long alarms run)."""
        run = self._runs.get(period)
        if run is None:
            run = self._runs[period] = self._pass(period, None, alarms=False)
        return run

    def _alarms(self, until_ms: int | None) -> _Run:
        """A pass whose alarms were evaluated at least through `until_ms`.

        The clock is simulated (DECISIONS A1) and deterministic, so a pass that ran further gives
        the same transitions up to any earlier time: one pass through the latest time asked about
        serves every question.
        """
        cached = self._alarm_run
        if cached is not None:
            done, run = cached
            if until_ms is None or (done is not None and done >= until_ms):
                return run
            if done is not None:
                until_ms = max(until_ms, done)
        run = self._pass(DEFAULT_PERIOD, until_ms)
        self._alarm_run = (until_ms, run)
        return run

    def evaluate_through(self, until: Any) -> None:
        """Run the alarms through `until` now, so that later questions up to then reuse the pass."""
        self._alarms(self.time(until))

    # ------------------------------------------------------------------ metrics

    def metrics(self) -> list[tuple[str, str]]:
        """(namespace, metric name) of every metric the config's filters publish."""
        out = []
        for mf in self.config.metric_filters:
            t = mf.transformation
            if (t.metric_namespace, t.metric_name) not in out:
                out.append((t.metric_namespace, t.metric_name))
        return out

    def resolve_metric(self, metric: str, namespace: str | None = None) -> tuple[str, str]:
        """(namespace, name) of ``Namespace/Name`` (or a name that one filter alone publishes).

        Raises:
            ValueError: no metric filter of the config publishes it, or the name is ambiguous.
        """
        known = self.metrics()
        if namespace is not None:
            if (namespace, metric) in known:
                return namespace, metric
        else:
            for ns, name in known:
                if metric == f"{ns}/{name}":
                    return ns, name
            named = [(ns, name) for ns, name in known if name == metric]
            if len(named) == 1:
                return named[0]
            if len(named) > 1:
                raise ValueError(f"metric {metric!r} is published in several namespaces "
                                 f"({', '.join(ns for ns, _ in named)}): write Namespace/{metric}")
        listed = ", ".join(f"{ns}/{name}" for ns, name in known) or "none"
        shown = f"{namespace}/{metric}" if namespace is not None else metric
        raise ValueError(f"no metric filter publishes {shown!r} (the config's metrics: {listed})")

    def series(self, metric: str, *, dimensions: Mapping[str, str] | None = None,
               statistic: str = DEFAULT_STATISTIC, period: int = DEFAULT_PERIOD,
               namespace: str | None = None) -> dict[int, float | None]:
        """The datapoints of one metric and dimension set: period start (epoch ms) -> statistic.

        `dimensions` is the exact dimension set (none: the series without dimensions).
        """
        ns, name = self.resolve_metric(metric, namespace)
        parse_statistic(statistic)
        want = tuple(sorted((str(k), str(v)) for k, v in (dimensions or {}).items()))
        merged: dict[int, Any] = {}
        for dp in self._run(period).datapoints:
            key = dp.key
            if key.namespace != ns or key.name != name or tuple(sorted(key.dimensions)) != want:
                continue
            prev = merged.get(dp.timestamp_ms)
            merged[dp.timestamp_ms] = dp.aggregate if prev is None else prev.merge(dp.aggregate)
        return {ts: merged[ts].statistic(statistic) for ts in sorted(merged)}

    def dimension_sets(self, metric: str, *, period: int = DEFAULT_PERIOD,
                       namespace: str | None = None) -> list[dict[str, str]]:
        """Every dimension set the metric was published with."""
        ns, name = self.resolve_metric(metric, namespace)
        seen: list[dict[str, str]] = []
        for dp in self._run(period).datapoints:
            if dp.key.namespace == ns and dp.key.name == name:
                dims = dict(sorted(dp.key.dimensions))
                if dims not in seen:
                    seen.append(dims)
        return seen

    def metric(self, metric: str, at: Any, *, dimensions: Mapping[str, str] | None = None,
               statistic: str = DEFAULT_STATISTIC, period: int = DEFAULT_PERIOD,
               namespace: str | None = None) -> float | None:
        """The statistic of the period holding `at` (periods are aligned to the epoch); None when
        no datapoint was published for it."""
        at_ms = self.time(at)
        start = at_ms - at_ms % (period * SECOND)
        return self.series(metric, dimensions=dimensions, statistic=statistic, period=period,
                           namespace=namespace).get(start)

    def matching_events(self, namespace: str, name: str, start_ms: int, end_ms: int) -> dict[str, tuple[int, int]]:
        """Per metric filter publishing the metric: (events in [start, end) it saw, events it matched)."""
        out: dict[str, list[int]] = {}
        filters = [f for f in self._router.filters if f.namespace == namespace and f.metric_name == name]
        for f in filters:
            out[f.name] = [0, 0]
        for ev in self.events:
            if not start_ms <= ev.timestamp_ms < end_ms:
                continue
            routed = self._router.filters_for(ev.log_group)
            for f in filters:
                if f in routed:
                    out[f.name][0] += 1
                    out[f.name][1] += f.compiled.matches(ev.message)
        return {k: (seen, matched) for k, (seen, matched) in out.items()}

    # ------------------------------------------------------------------ alarms

    def _check_alarm(self, alarm: str) -> None:
        if alarm not in self.alarm_names:
            raise ValueError(f"the config has no alarm {alarm!r} (its alarms: "
                             f"{', '.join(self.alarm_names) or 'none'})")
        if alarm in self._unsupported:
            raise ValueError(f"alarm {alarm!r} is a metric-math or anomaly-detection alarm, which "
                             "metric filters alone cannot drive; it is not evaluated")

    def transitions(self, alarm: str | None = None, *, until: Any = None) -> list:
        """Alarm state changes (`engine.alarms.Transition`), oldest first, evaluated through
        `until` (default: the first boundary after the last event)."""
        if alarm is not None:
            self._check_alarm(alarm)
        until_ms = None if until is None else self.time(until)
        run = self._alarms(until_ms)
        return [c.transition for c in run.changes
                if (alarm is None or c.transition.alarm_name == alarm)
                and (until_ms is None or c.transition.timestamp <= until_ms)]

    def _state_at(self, alarm: str, at_ms: int) -> tuple[str, str, int | None]:
        state, reason, since = INSUFFICIENT_DATA, INITIAL_REASON, None
        for t in self.transitions(alarm, until=Instant(at_ms)):
            state, reason, since = t.new_state, t.new_reason, t.timestamp
        return state, reason, since

    def alarm_state(self, alarm: str, at: Any) -> str:
        """The alarm's state after every evaluation at or before `at`."""
        return self._state_at(alarm, self.time(at))[0]

    def alarm_reason(self, alarm: str, at: Any) -> str:
        """The StateReason of the alarm's state at `at`."""
        return self._state_at(alarm, self.time(at))[1]

    # ------------------------------------------------------------------ checks (data)

    def check_metric(self, metric: str, expected: Mapping[Any, float | None] | None = None, *,
                     dimensions: Mapping[str, str] | None = None, statistic: str = DEFAULT_STATISTIC,
                     period: int = DEFAULT_PERIOD, namespace: str | None = None, absent: bool = False,
                     where: str = "datapoints", line: int | None = None) -> Failure | None:
        """Compare datapoints with `expected` (time -> value, None for "no datapoint")."""
        ns, name = self.resolve_metric(metric, namespace)
        got = self.series(name, namespace=ns, dimensions=dimensions, statistic=statistic, period=period)
        dims = ", ".join(f"{k}={v}" for k, v in sorted((dimensions or {}).items())) or "no dimensions"
        title = f"{ns}/{name} {statistic}, period {period} s, {dims}"
        period_ms = period * SECOND
        if absent:
            if not got:
                return None
            return Failure(where, line, title, ("no datapoints",),
                           tuple(f"{self.when(ts)}: {_num(v)}" for ts, v in got.items()),
                           self._series_notes(ns, name, period, dimensions, statistic))
        exp_lines, got_lines, notes = [], [], []
        for at, value in (expected or {}).items():
            at_ms = self.time(at)
            start = at_ms - at_ms % period_ms
            actual = got.get(start)
            same = (value is None and start not in got) or (
                value is not None and actual is not None and _close(float(value), actual))
            if same:
                continue
            shown = "no datapoint" if start not in got else ("no value" if actual is None else _num(actual))
            exp_lines.append(f"{self.when(start)}: {_num(value)}")
            got_lines.append(f"{self.when(start)}: {shown}")
            counts = self.matching_events(ns, name, start, start + period_ms)
            said = "; ".join(f"{f} saw {_plural(seen, 'event')}, matched {matched}" for f, (seen, matched) in counts.items()
                             if seen)
            notes.append(f"period from {_span(start - self.start_ms)}: {said or 'no events reached the filter'}")
        if not exp_lines:
            return None
        notes.extend(self._series_notes(ns, name, period, dimensions, statistic, got))
        return Failure(where, line, title, tuple(exp_lines), tuple(got_lines), tuple(notes))

    def _series_notes(self, ns: str, name: str, period: int, dimensions: Mapping | None,
                      statistic: str, got: Mapping[int, Any] | None = None) -> list[str]:
        notes = []
        if got:
            shown = ", ".join(f"{_span(ts - self.start_ms)} {_num(v)}" for ts, v in list(got.items())[:12])
            more = ", ..." if len(got) > 12 else ""
            notes.append(f"published {statistic}: {shown}{more}")
        else:
            sets = self.dimension_sets(name, namespace=ns, period=period)
            want = dict(sorted((dimensions or {}).items()))
            others = [s for s in sets if s != want]
            if others:
                listed = "; ".join(", ".join(f"{k}={v}" for k, v in s.items()) or "no dimensions"
                                   for s in others[:5])
                notes.append(f"nothing published with these dimensions; published with: {listed}")
            else:
                notes.append(f"the metric {ns}/{name} got no datapoints at all")
        return notes

    def check_alarm(self, alarm: str, at: Any, state: str, *, reason: str | None = None,
                    reason_contains: str | None = None, where: str = "alarms",
                    line: int | None = None) -> Failure | None:
        """Compare the alarm's state (and reason) at `at` with the expected ones."""
        self._check_alarm(alarm)
        if state not in STATES:
            raise ValueError(f"state is one of {', '.join(STATES)}, not {state!r}")
        at_ms = self.time(at)
        got_state, got_reason, since = self._state_at(alarm, at_ms)
        exp, got = [], []
        if got_state != state:
            exp.append(state)
            got.append(got_state + (f" since {self.when(since)}" if since is not None else " (initial state)"))
        if reason is not None and got_reason != reason:
            exp.append(f"reason: {reason}")
            got.append(f"reason: {got_reason}")
        if reason_contains is not None and reason_contains not in got_reason:
            exp.append(f"reason containing: {reason_contains}")
            got.append(f"reason: {got_reason}")
        if not exp:
            return None
        notes = [f"reason: {got_reason}"] if reason is None and reason_contains is None else []
        notes += self._transition_notes(alarm, at_ms)
        return Failure(where, line, f"{alarm} at {self.when(at_ms)}", tuple(exp), tuple(got), tuple(notes))

    def _transition_notes(self, alarm: str, until_ms: int) -> list[str]:
        ts = self.transitions(alarm, until=Instant(until_ms))
        if not ts:
            return ["no transitions"]
        shown = [f"{_span(t.timestamp - self.start_ms)} {t.old_state} -> {t.new_state}" for t in ts[:10]]
        more = [f"... and {len(ts) - 10} more"] if len(ts) > 10 else []
        return ["transitions: " + ", ".join(shown + more)]

    def check_no_transition(self, alarm: str, to: str, between: tuple[Any, Any], *,
                            where: str = "alarms", line: int | None = None) -> Failure | None:
        """No transition of `alarm` into state `to` in [t1, t2]."""
        self._check_alarm(alarm)
        if to not in STATES:
            raise ValueError(f"no_transition_to is one of {', '.join(STATES)}, not {to!r}")
        t1, t2 = self.time(between[0]), self.time(between[1])
        bad = [t for t in self.transitions(alarm, until=Instant(t2)) if t1 <= t.timestamp and t.new_state == to]
        if not bad:
            return None
        title = f"{alarm}: no transition to {to} from {self.when(t1)} to {self.when(t2)}"
        got = tuple(f"{self.when(t.timestamp)}: {t.old_state} -> {t.new_state}: {t.new_reason}" for t in bad)
        return Failure(where, line, title, (), got)

    def check_transitions(self, alarm: str, expected: Sequence[tuple[Any, str]], *,
                          between: tuple[Any, Any] | None = None, where: str = "alarms",
                          line: int | None = None) -> Failure | None:
        """The alarm's transitions (time, new state), within `between` if given, are exactly these."""
        self._check_alarm(alarm)
        if between is not None:
            t1, t2 = self.time(between[0]), self.time(between[1])
        else:
            t1 = None
            t2 = max([self.time(at) for at, _ in expected], default=None)
        until = None if t2 is None else Instant(t2)
        actual = [t for t in self.transitions(alarm, until=until) if t1 is None or t.timestamp >= t1]
        want = [f"{self.when(self.time(at))} -> {state}" for at, state in expected]
        have = [f"{self.when(t.timestamp)} -> {t.new_state}" for t in actual]
        if want == have:
            return None
        scope = f" from {self.when(t1)} to {self.when(t2)}" if between is not None else ""
        exp, got = [], []
        for line_ in difflib.ndiff(want, have):
            if line_.startswith("- "):
                exp.append(line_[2:])
            elif line_.startswith("+ "):
                got.append(line_[2:])
        notes = [] if len(got) == len(have) else ["transitions: " + (", ".join(have) if have else "none")]
        return Failure(where, line, f"{alarm} transitions{scope}", tuple(exp), tuple(got), tuple(notes))

    # ------------------------------------------------------------------ asserts (pytest)

    def assert_metric(self, metric: str, at: Any, value: float | None, **options: Any) -> None:
        """Assert the statistic of the period holding `at` (None: no datapoint). Options as `metric`."""
        __tracebackhide__ = True  # pytest: show the failure, not this helper
        failure = self.check_metric(metric, {at: value}, where="assert_metric", **options)
        if failure is not None:
            raise ScenarioFailure(failure)

    def assert_series(self, metric: str, expected: Mapping[Any, float | None], **options: Any) -> None:
        """Assert several periods at once: ``{"0m": 1, "1m": 6, "2m": None}``."""
        __tracebackhide__ = True  # pytest: show the failure, not this helper
        failure = self.check_metric(metric, expected, where="assert_series", **options)
        if failure is not None:
            raise ScenarioFailure(failure)

    def assert_alarm(self, alarm: str, at: Any, state: str, *, reason: str | None = None,
                     reason_contains: str | None = None) -> None:
        """Assert the alarm's state (and reason) at `at`."""
        __tracebackhide__ = True  # pytest: show the failure, not this helper
        failure = self.check_alarm(alarm, at, state, reason=reason, reason_contains=reason_contains,
                                   where="assert_alarm")
        if failure is not None:
            raise ScenarioFailure(failure)

    def assert_no_transition(self, alarm: str, to: str, between: tuple[Any, Any]) -> None:
        """Assert that the alarm does not go into state `to` between the two times."""
        __tracebackhide__ = True  # pytest: show the failure, not this helper
        failure = self.check_no_transition(alarm, to, between, where="assert_no_transition")
        if failure is not None:
            raise ScenarioFailure(failure)


def _as_config(config: Any) -> Config:
    if isinstance(config, Config):
        return config
    if isinstance(config, (str, Path)):
        from ..config.sources import load_sources

        return load_sources([str(config)], {}).config
    if isinstance(config, Mapping):
        issues = [i for i in iter_config_issues(config) if i.is_error]
        if issues:
            raise ConfigError(issues)
        return _config_from(config)
    if isinstance(config, Sequence):
        from ..config.sources import load_sources

        return load_sources([str(c) for c in config], {}).config
    raise TypeError(f"config: expected a Config, a path, a list of paths or a mapping, "
                    f"not {type(config).__name__}")


def _config_from(data: Mapping) -> Config:
    """A `Config` from a checked mapping in the config file's shape."""
    filters = data.get("metricFilters") or []
    return Config(
        metric_filters=[MetricFilter.model_validate(f) for f in filters],
        metric_alarms=[dict(a) for a in data.get("MetricAlarms") or []],
        composite_alarms=[dict(a) for a in data.get("CompositeAlarms") or []],
    )


# --------------------------------------------------------------------------- the file format


@dataclass(frozen=True, slots=True)
class _EventItem:
    path: tuple
    line: int | None
    kind: str                      # "message", "file" or "gap"
    at: Any = None
    messages: tuple[str, ...] = ()
    every: Any = None
    count: int | None = None
    until: Any = None
    values: Any = None
    gap: Any = None
    file: Path | None = None
    fmt: str = "auto"
    timestamps: str = "own"
    log_group: str | None = None


@dataclass(frozen=True, slots=True)
class _Expectation:
    kind: str                      # "match", "datapoints", "state", "no_transition", "transitions"
    path: tuple
    line: int | None
    spec: dict


@dataclass(slots=True)
class ScenarioTest:
    """One test of a scenario file, checked and ready to run."""

    __test__ = False

    name: str
    file: str
    line: int | None
    start_ms: int
    config: Config
    log_group: str | None
    account: str | None
    region: str | None
    default_value_mode: str
    events: list[_EventItem]
    expectations: list[_Expectation]


@dataclass(slots=True)
class Scenario:
    """A checked scenario file."""

    file: str
    tests: list[ScenarioTest]


# libyaml's parser when PyYAML has it (ten times faster on scenario files full of long JSON
# messages), else the pure-Python one; both give nodes with their line marks.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _YamlLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """The safe loader, reading ``1e3`` as a number as YAML 1.2 and JSON do, and times as text.

    Times stay strings so that a bad one (``2024-13-01``) is reported with its path and line by
    the checks, rather than failing inside the YAML library.
    """


_YamlLoader.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] not in ("tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_YamlLoader.add_constructor("tag:yaml.org,2002:int", reading.construct_int_bounded)
_YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"""^(?:[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?
                  |[-+]?\.(?:inf|Inf|INF)
                  |\.(?:nan|NaN|NAN))$""", re.X),
    list("-+0123456789."),
)


def _read_yaml(text: str) -> tuple[Any, dict[tuple, int]]:
    """Parse one YAML document; return it with the line of every path (keys and indexes)."""
    loader = _YamlLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        reading.check_node_graph(node, text)  # loops, alias bombs, nesting: before constructing
        data = loader.construct_document(node)
    finally:
        loader.dispose()
    lines: dict[tuple, int] = {}
    reading.yaml_lines(node, lines)
    return data, lines


class _Doc:
    """A scenario document being checked: collects every issue with its path and line."""

    def __init__(self, source: str, data: Any, lines: dict[tuple, int], base: Path) -> None:
        self.source, self.data, self.lines, self.base = source, data, lines, base
        self.issues: list[ConfigIssue] = []

    def line(self, path: tuple) -> int | None:
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None

    def error(self, path: tuple, message: str) -> None:
        self.issues.append(ConfigIssue(render_path(path), message, self.source, self.line(path)))

    def mapping(self, value: Any, path: tuple, what: str) -> bool:
        if isinstance(value, Mapping):
            return True
        self.error(path, f"{what} must be a mapping, not {_kind(value)}")
        return False

    def keys(self, value: Mapping, path: tuple, allowed: Iterable[str], required: Iterable[str] = ()) -> None:
        allowed = list(allowed)
        for key in value:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else f" (expected one of: {', '.join(allowed)})"
                self.error((*path, key), f"unknown key {key!r}{hint}")
        for key in required:
            if key not in value:
                self.error(path, f"missing required key {key!r}")

    def string(self, value: Any, path: tuple, what: str) -> str | None:
        if isinstance(value, str):
            return value
        self.error(path, f"{what} must be a string, not {_kind(value)}")
        return None

    def time(self, value: Any, path: tuple, start_ms: int) -> int | None:
        try:
            return Instant(_to_time(value, start_ms))
        except ValueError as exc:
            self.error(path, str(exc))
            return None

    def duration(self, value: Any, path: tuple, positive: bool = False) -> int | None:
        try:
            ms = parse_duration(value)
        except ValueError as exc:
            self.error(path, str(exc))
            return None
        if positive and ms <= 0:
            self.error(path, f"must be a positive duration, got {value!r}")
            return None
        return ms


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "a number",
            float: "a number"}.get(type(value), type(value).__name__)


_TOP_KEYS = ("config", "metricFilters", "MetricAlarms", "CompositeAlarms", "start", "log_group",
             "account", "region", "default_value_mode", "tests")
_TEST_KEYS = ("name", "config", "start", "log_group", "account", "region", "default_value_mode",
              "events", "matches", "datapoints", "alarms", "cardinality_guard")
_EVENT_KEYS = ("at", "message", "messages", "every", "count", "until", "values", "gap", "file",
               "format", "timestamps", "log_group")
_MATCH_KEYS = ("filter", "pattern", "message", "messages", "event", "match", "extracted")
_DATAPOINT_KEYS = ("metric", "namespace", "dimensions", "period", "statistic", "values", "from", "absent")
_ALARM_KEYS = ("alarm", "at", "state", "reason", "reason_contains", "between", "no_transition_to",
               "transitions")
_CONFIG_KEYS = ("metricFilters", "MetricAlarms", "CompositeAlarms")
_PACK_KEYS = ("rules", "version", "log_group", "namespace")


class _Configs:
    """Loads each configuration a scenario file names once; turns its problems into issues."""

    def __init__(self, doc: _Doc) -> None:
        self.doc = doc
        self.cache: dict[Any, Config | None] = {}

    def get(self, value: Any, path: tuple) -> Config | None:
        doc = self.doc
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list):
            if not value:
                doc.error(path, "config names no file")
                return None
            paths = []
            for i, item in enumerate(value):
                name = doc.string(item, (*path, i), "a config file name")
                if name is not None:
                    paths.append(str(doc.base / name))
            if len(paths) != len(value):
                return None
            key = ("files", tuple(paths))
            if key not in self.cache:
                try:
                    # Any source a config is accepted from (native, CloudFormation, CDK, Terraform).
                    from ..config.sources import load_sources

                    self.cache[key] = load_sources(paths, {}).config
                except ConfigError as exc:
                    for issue in exc.issues:
                        where = issue.source or ""
                        if issue.line is not None:
                            where += f":{issue.line}"
                        inner = ": ".join(p for p in (where, issue.path, issue.message) if p)
                        doc.error(path, f"in the config: {inner}")
                    self.cache[key] = None
            return self.cache[key]
        if isinstance(value, Mapping):
            if "rules" in value:
                return self._pack(value, path)
            return self._inline(value, path)
        doc.error(path, f"config must be a file name, a list of file names or a mapping, not {_kind(value)}")
        return None

    def _inline(self, value: Mapping, path: tuple) -> Config | None:
        doc = self.doc
        doc.keys(value, path, _CONFIG_KEYS)
        data = {k: value[k] for k in _CONFIG_KEYS if k in value}
        if not data:
            doc.error(path, "an inline config needs metricFilters, MetricAlarms or CompositeAlarms")
            return None
        n = len(path)
        lines = {p[n:]: line for p, line in doc.lines.items() if p[:n] == path}
        before = len(doc.issues)
        for issue in iter_config_issues(data, doc.source, lines=lines):
            if issue.is_error:
                full = f"{render_path(path)}.{issue.path}" if path and issue.path else (issue.path or render_path(path))
                doc.issues.append(ConfigIssue(full, issue.message, doc.source, issue.line))
        if len(doc.issues) > before:
            return None
        return _config_from(data)

    def _pack(self, value: Mapping, path: tuple) -> Config | None:
        from . import cis

        doc = self.doc
        doc.keys(value, path, _PACK_KEYS)
        rules = value.get("rules")
        if rules != "cis":
            doc.error((*path, "rules"), f"unknown rule pack {rules!r} (known: cis)")
            return None
        version = str(value.get("version", cis.DEFAULT_VERSION))
        if version not in cis.VERSIONS:
            doc.error((*path, "version"), f"unknown CIS version {version!r} (known: {', '.join(cis.VERSIONS)})")
            return None
        options = {k: value[k] for k in ("log_group", "namespace") if k in value}
        key = ("pack", version, tuple(sorted(options.items())))
        if key not in self.cache:
            self.cache[key] = _config_from(cis.build_config(version, **options))
        return self.cache[key]


def load_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario file.

    Every problem is found before anything runs: unknown keys (with a suggestion), wrong types,
    bad times and durations, invalid patterns and statistics, alarms, filters and metrics the
    config does not define, unreadable config and event files.

    Raises:
        ScenarioError: with every issue, each with the YAML path and line.
    """
    source = str(path)
    try:
        text = reading.read_document_bytes(path).decode("utf-8-sig")
    except reading.DocumentProblem as exc:
        raise ScenarioError([ConfigIssue("", exc.message, source)]) from None
    except OSError as exc:
        raise ScenarioError([ConfigIssue("", f"Cannot read the file: {exc.strerror or exc}", source)]) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError([ConfigIssue("", f"The file is not UTF-8 text (byte {exc.start + 1})", source)]) from None
    try:
        data, lines = _read_yaml(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = ", ".join(p for p in (exc.context, exc.problem) if p)
        raise ScenarioError([ConfigIssue("", f"Invalid YAML: {what}", source,
                                         mark.line + 1 if mark else None,
                                         column=mark.column + 1 if mark else None)]) from None
    except reading.DocumentProblem as exc:
        raise ScenarioError([ConfigIssue("", exc.message, source, exc.line, column=exc.column)]) from None
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        raise ScenarioError([ConfigIssue("", f"Invalid YAML: {exc}", source)]) from None
    doc = _Doc(source, data, lines, Path(path).parent)
    scenario = _check_file(doc)
    if doc.issues:
        raise ScenarioError(doc.issues)
    return scenario


def _check_file(doc: _Doc) -> Scenario:
    data = doc.data
    scenario = Scenario(doc.source, [])
    if data is None:
        doc.error((), "The scenario file is empty")
        return scenario
    if not doc.mapping(data, (), "A scenario file"):
        return scenario
    doc.keys(data, (), _TOP_KEYS, required=("tests",))
    configs = _Configs(doc)
    top_config: Config | None = None
    has_inline = any(k in data for k in _CONFIG_KEYS)
    if "config" in data and has_inline:
        doc.error(("config",), "give either config or an inline metricFilters/MetricAlarms, not both")
    elif "config" in data:
        top_config = configs.get(data["config"], ("config",))
    elif has_inline:
        top_config = configs._inline({k: data[k] for k in _CONFIG_KEYS if k in data}, ())
    start = DEFAULT_START_MS
    if "start" in data:
        instant = _parse_instant(data["start"])
        if instant is None:
            doc.error(("start",), f"start must be an absolute time such as 2024-05-01T12:00:00Z, "
                                  f"got {data['start']!r}")
        else:
            start = instant
    common = {k: data.get(k) for k in ("log_group", "account", "region")}
    for key, value in common.items():
        if value is not None:
            doc.string(value, (key,), key)
    mode = data.get("default_value_mode", "minute")
    if mode not in ("minute", "event"):
        doc.error(("default_value_mode",), f"default_value_mode is minute or event, not {mode!r}")
    tests = data.get("tests")
    if "tests" in data:
        if not isinstance(tests, list) or not tests:
            doc.error(("tests",), "tests must be a non-empty list")
            return scenario
        names: dict[str, int] = {}
        for i, raw in enumerate(tests):
            test = _check_test(doc, configs, raw, ("tests", i), top_config, start, common, mode,
                               has_config=top_config is not None or "config" in data or has_inline)
            if test is None:
                continue
            if test.name in names:
                doc.error(("tests", i, "name"), f"another test is named {test.name!r} (tests[{names[test.name]}])")
            names.setdefault(test.name, i)
            scenario.tests.append(test)
    return scenario


def _check_test(doc: _Doc, configs: _Configs, raw: Any, path: tuple, top_config: Config | None,
                top_start: int, common: dict, top_mode: str, has_config: bool) -> ScenarioTest | None:
    if not doc.mapping(raw, path, "A test"):
        return None
    doc.keys(raw, path, _TEST_KEYS)
    name = raw.get("name", f"test {path[-1] + 1}")
    if not isinstance(name, str) or not name.strip():
        doc.error((*path, "name"), "name must be a non-empty string")
        name = f"test {path[-1] + 1}"
    config = top_config
    if "config" in raw:
        config = configs.get(raw["config"], (*path, "config"))
    elif not has_config:
        doc.error(path, "no config: give config (files or inline) at the top of the file or in the test")
    start = top_start
    if "start" in raw:
        # An absolute time, or an offset from the file's start.
        given = doc.time(raw["start"], (*path, "start"), top_start)
        start = top_start if given is None else given
    settings = dict(common)
    for key in ("log_group", "account", "region"):
        if key in raw:
            settings[key] = doc.string(raw[key], (*path, key), key)
    mode = raw.get("default_value_mode", top_mode)
    if mode not in ("minute", "event"):
        doc.error((*path, "default_value_mode"), f"default_value_mode is minute or event, not {mode!r}")
    sim = None
    if config is not None:
        try:
            sim = Simulation(config, log_group=settings["log_group"], account=settings["account"],
                             region=settings["region"])
        except ValueError as exc:  # pragma: no cover - a checked config builds an engine
            doc.error(path, str(exc))
        needs = {d for mf in config.metric_filters for d in (mf.emit_system_field_dimensions or ())}
        for dim, key in (("@aws.account", "account"), ("@aws.region", "region")):
            if dim in needs and not settings[key]:
                doc.error(path, f"the config emits the {dim} dimension: give {key}")
    events = _check_events(doc, raw.get("events", []), (*path, "events"), sim, settings["log_group"])
    expectations: list[_Expectation] = []
    for key, checker in (("matches", _check_match), ("datapoints", _check_datapoints),
                         ("alarms", _check_alarm_item)):
        items = raw.get(key)
        if items is None:
            continue
        if not isinstance(items, list):
            doc.error((*path, key), f"{key} must be a list, not {_kind(items)}")
            continue
        for i, item in enumerate(items):
            exp = checker(doc, item, (*path, key, i), sim, start, events, config)
            if exp is not None:
                expectations.append(exp)
    if "cardinality_guard" in raw:
        # The filters expected to pass 1,000 distinct dimension pairs in an hour ([] for none).
        trips = raw["cardinality_guard"]
        known = {mf.filter_name for mf in config.metric_filters} if config is not None else set()
        if not isinstance(trips, list) or not all(isinstance(t, str) for t in trips):
            doc.error((*path, "cardinality_guard"), "cardinality_guard is a list of filter names ([] for none)")
        else:
            for i, filter_name in enumerate(trips):
                if config is not None and filter_name not in known:
                    doc.error((*path, "cardinality_guard", i), f"the config has no metric filter {filter_name!r}")
            expectations.append(_Expectation("cardinality", (*path, "cardinality_guard"),
                                             doc.line((*path, "cardinality_guard")), {"filters": sorted(set(trips))}))
    if not expectations and "matches" not in raw and "datapoints" not in raw and "alarms" not in raw \
            and "cardinality_guard" not in raw:
        doc.error(path, "the test expects nothing: give matches, datapoints or alarms")
    if config is None:
        return None
    return ScenarioTest(name=name.strip(), file=doc.source, line=doc.line(path), start_ms=start,
                        config=config, log_group=settings["log_group"], account=settings["account"],
                        region=settings["region"], default_value_mode=mode, events=events,
                        expectations=expectations)


def _check_events(doc: _Doc, raw: Any, path: tuple, sim: Simulation | None,
                  log_group: str | None) -> list[_EventItem]:
    if not isinstance(raw, list):
        doc.error(path, f"events must be a list, not {_kind(raw)}")
        return []
    groups = sim._router.log_groups if sim is not None else []
    out = []
    for i, item in enumerate(raw):
        here = (*path, i)
        line = doc.line(here)
        if isinstance(item, str):
            item = {"message": item}
        if not doc.mapping(item, here, "An event"):
            continue
        doc.keys(item, here, _EVENT_KEYS)
        kinds = [k for k in ("message", "messages", "gap", "file") if k in item]
        if len(kinds) != 1:
            doc.error(here, "an event item needs exactly one of message, messages, gap or file"
                            + (f" (got {', '.join(kinds)})" if kinds else ""))
            continue
        kind = kinds[0]
        group = item.get("log_group", log_group)
        if "log_group" in item:
            doc.string(item["log_group"], (*here, "log_group"), "log_group")
        if group is None and len(groups) > 1 and kind in ("message", "messages"):
            doc.error(here, f"which log group do these events belong to? The filters name "
                            f"{', '.join(groups)}: give log_group here or for the test")
        if "at" in item:
            doc.time(item["at"], (*here, "at"), 0)
        if kind == "gap":
            extra = [k for k in item if k not in ("gap",)]
            if extra:
                doc.error(here, f"a gap takes no other keys (got {', '.join(map(str, extra))})")
            gap = doc.duration(item["gap"], (*here, "gap"))
            if gap is not None and gap < 0:
                doc.error((*here, "gap"), f"a gap cannot go back in time (got {item['gap']!r}); use at to set the time")
            elif gap is not None:
                out.append(_EventItem(here, line, "gap", gap=item["gap"]))
            continue
        if kind == "file":
            name = doc.string(item["file"], (*here, "file"), "file")
            fmt = item.get("format", "auto")
            if fmt not in FORMATS:
                doc.error((*here, "format"), f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
            stamps = item.get("timestamps", "own")
            if stamps not in ("own", "shift", "cursor"):
                doc.error((*here, "timestamps"), f"timestamps is own, shift or cursor, not {stamps!r}")
            for key in ("count", "until", "values"):
                if key in item:
                    doc.error((*here, key), f"{key} does not apply to a file")
            if "every" in item:
                doc.duration(item["every"], (*here, "every"), positive=True)
            if name is None:
                continue
            file = doc.base / name
            if not file.is_file():
                doc.error((*here, "file"), f"no such file: {file}")
                continue
            out.append(_EventItem(here, line, "file", at=item.get("at"), file=file, fmt=fmt,
                                  timestamps=stamps, every=item.get("every"), log_group=item.get("log_group")))
            continue
        if kind == "message":
            messages = [item["message"]]
            mpath = (*here, "message")
        else:
            messages = item["messages"]
            mpath = (*here, "messages")
            if not isinstance(messages, list) or not messages:
                doc.error(mpath, "messages must be a non-empty list of strings")
                continue
        bad = False
        for j, m in enumerate(messages):
            p = mpath if kind == "message" else (*mpath, j)
            if isinstance(m, (Mapping, list)):
                m = json.dumps(m, ensure_ascii=False, separators=(",", ":"))
                messages[j] = m
            if not isinstance(m, str) or not m:
                doc.error(p, f"a message must be a non-empty string, not {_kind(m) if m != '' else 'empty'}")
                bad = True
        every = item.get("every")
        repeated = any(k in item for k in ("every", "count", "until", "values")) or kind == "messages"
        if repeated and every is None:
            if kind == "messages" and not any(k in item for k in ("count", "until", "values")):
                every = 0
            else:
                doc.error(here, "count, until and values need every (the time between events)")
                continue
        if "every" in item and doc.duration(every, (*here, "every"), positive=True) is None:
            continue
        if "count" in item and "until" in item:
            doc.error(here, "give count or until, not both")
        if "values" in item and ("count" in item or "until" in item):
            doc.error(here, "values sets the number of events: give no count or until with it")
        if "count" in item and (not isinstance(item["count"], int) or isinstance(item["count"], bool)
                                or item["count"] < 0):
            doc.error((*here, "count"), f"count must be a whole number, not {item['count']!r}")
        if "until" in item:
            doc.time(item["until"], (*here, "until"), 0)
        if "values" in item:
            try:
                expand_values(item["values"])
            except ValueError as exc:
                doc.error((*here, "values"), str(exc))
            if not any("${value}" in m for m in messages if isinstance(m, str)):
                doc.error((*here, "values"), "values need a ${value} placeholder in the message")
        if bad:
            continue
        out.append(_EventItem(here, line, "message", at=item.get("at"), messages=tuple(messages),
                              every=every if repeated else None, count=item.get("count"),
                              until=item.get("until"), values=item.get("values"),
                              log_group=item.get("log_group")))
    return out


def _check_match(doc: _Doc, raw: Any, path: tuple, sim: Simulation | None, start: int,
                 events: list[_EventItem], config: Config | None) -> _Expectation | None:
    if not doc.mapping(raw, path, "A match expectation"):
        return None
    doc.keys(raw, path, _MATCH_KEYS)
    ok = True
    pattern = None
    if ("filter" in raw) == ("pattern" in raw):
        doc.error(path, "give filter (a metric filter's name) or pattern, one of them")
        ok = False
    elif "filter" in raw:
        name = doc.string(raw["filter"], (*path, "filter"), "filter")
        if config is not None and name is not None:
            found = [mf for mf in config.metric_filters if mf.filter_name == name]
            if not found:
                known = ", ".join(mf.filter_name for mf in config.metric_filters) or "none"
                doc.error((*path, "filter"), f"the config has no metric filter {name!r} (its filters: {known})")
                ok = False
            else:
                pattern = found[0].filter_pattern
    else:
        pattern = doc.string(raw["pattern"], (*path, "pattern"), "pattern")
        if pattern is not None:
            try:
                compile_pattern(pattern)
            except PatternError as exc:
                doc.error((*path, "pattern"), str(exc))
                ok = False
    messages: list[str] = []
    sources = [k for k in ("message", "messages", "event") if k in raw]
    if len(sources) != 1:
        doc.error(path, "give message, messages or event (an index into the test's events), one of them")
        ok = False
    elif sources[0] == "message":
        m = raw["message"]
        if isinstance(m, (Mapping, list)):
            m = json.dumps(m, ensure_ascii=False, separators=(",", ":"))
        if doc.string(m, (*path, "message"), "message") is None:
            ok = False
        messages = [m]
    elif sources[0] == "messages":
        ms = raw["messages"]
        if not isinstance(ms, list) or not ms or not all(isinstance(m, str) for m in ms):
            doc.error((*path, "messages"), "messages must be a non-empty list of strings")
            ok = False
        else:
            messages = list(ms)
    else:
        index = raw["event"]
        item = None
        if isinstance(index, int) and not isinstance(index, bool):
            item = next((e for e in events if e.path[-1] == index), None)
        if item is None or item.kind != "message" or len(item.messages) != 1 or item.every is not None:
            doc.error((*path, "event"), f"event must be the index of an item of events that has one "
                                        f"message, got {index!r}")
            ok = False
        else:
            messages = [item.messages[0]]
    expect = raw.get("match", True)
    if not isinstance(expect, bool):
        doc.error((*path, "match"), f"match must be true or false, not {expect!r}")
        ok = False
    extracted = raw.get("extracted")
    if extracted is not None:
        if not doc.mapping(extracted, (*path, "extracted"), "extracted"):
            ok = False
        elif expect is False:
            doc.error((*path, "extracted"), "extracted values are only given for a message that matches")
            ok = False
        else:
            extracted = {str(k): _scalar_text(v) for k, v in extracted.items()}
    if not ok:
        return None
    label = f"filter {raw['filter']}" if "filter" in raw else f"pattern {pattern}"
    return _Expectation("match", path, doc.line(path), {"pattern": pattern, "label": label,
                                                         "messages": messages, "match": expect,
                                                         "extracted": extracted})


def _check_datapoints(doc: _Doc, raw: Any, path: tuple, sim: Simulation | None, start: int,
                      events: list[_EventItem], config: Config | None) -> _Expectation | None:
    if not doc.mapping(raw, path, "A datapoints expectation"):
        return None
    doc.keys(raw, path, _DATAPOINT_KEYS, required=("metric",))
    ok = "metric" in raw
    metric = doc.string(raw.get("metric"), (*path, "metric"), "metric") if "metric" in raw else None
    namespace = raw.get("namespace")
    if namespace is not None and doc.string(namespace, (*path, "namespace"), "namespace") is None:
        ok = False
    if sim is not None and metric is not None:
        try:
            namespace, metric = sim.resolve_metric(metric, namespace)
        except ValueError as exc:
            doc.error((*path, "metric"), str(exc))
            ok = False
    dims = raw.get("dimensions")
    if dims is not None:
        if not doc.mapping(dims, (*path, "dimensions"), "dimensions"):
            ok = False
        else:
            dims = {str(k): _scalar_text(v) for k, v in dims.items()}
    period = raw.get("period", DEFAULT_PERIOD)
    if not isinstance(period, int) or isinstance(period, bool) or period <= 0:
        ms = None
        try:
            ms = parse_duration(period)
        except ValueError:
            pass
        if ms is None or ms <= 0 or ms % SECOND:
            doc.error((*path, "period"), f"period must be a whole number of seconds, not {period!r}")
            ok = False
        else:
            period = ms // SECOND
    statistic = raw.get("statistic", DEFAULT_STATISTIC)
    try:
        parse_statistic(statistic)
    except ValueError as exc:
        doc.error((*path, "statistic"), str(exc))
        ok = False
    absent = raw.get("absent", False)
    if not isinstance(absent, bool):
        doc.error((*path, "absent"), "absent must be true or false")
        ok = False
    values = raw.get("values")
    expected: dict[Any, float | None] = {}
    if absent and values is not None:
        doc.error((*path, "values"), "give values or absent: true, not both")
        ok = False
    elif not absent and values is None:
        doc.error(path, "give values (period start -> value) or absent: true")
        ok = False
    elif isinstance(values, Mapping):
        if "from" in raw:
            doc.error((*path, "from"), "from goes with a list of values, not a mapping")
        for key, value in values.items():
            at = doc.time(key, (*path, "values", key), start)
            if value == "_":
                value = None
            if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool)):
                doc.error((*path, "values", key), f"a value must be a number, or _ for no datapoint, not {value!r}")
                ok = False
            elif at is not None:
                expected[at] = value
    elif values is not None:
        try:
            listed = expand_values(values)
        except ValueError as exc:
            doc.error((*path, "values"), str(exc))
            listed = []
            ok = False
        first = doc.time(raw.get("from", 0), (*path, "from"), start) if ok else None
        if first is not None and isinstance(period, int):
            first -= first % (period * SECOND)
            for i, value in enumerate(listed):
                expected[Instant(first + i * period * SECOND)] = value
    if not ok:
        return None
    return _Expectation("datapoints", path, doc.line(path), {
        "metric": metric, "namespace": namespace, "dimensions": dims, "period": period,
        "statistic": statistic, "values": expected, "absent": absent})


def _check_alarm_item(doc: _Doc, raw: Any, path: tuple, sim: Simulation | None, start: int,
                      events: list[_EventItem], config: Config | None) -> _Expectation | None:
    if not doc.mapping(raw, path, "An alarm expectation"):
        return None
    doc.keys(raw, path, _ALARM_KEYS, required=("alarm",))
    ok = "alarm" in raw
    alarm = doc.string(raw.get("alarm"), (*path, "alarm"), "alarm") if "alarm" in raw else None
    if sim is not None and alarm is not None:
        try:
            sim._check_alarm(alarm)
        except ValueError as exc:
            doc.error((*path, "alarm"), str(exc))
            ok = False
    forms = [k for k in ("state", "no_transition_to", "transitions") if k in raw]
    if len(forms) != 1:
        doc.error(path, "give one of: at + state, between + no_transition_to, or transitions")
        return None
    form = forms[0]
    between = None
    if "between" in raw:
        b = raw["between"]
        if not isinstance(b, list) or len(b) != 2:
            doc.error((*path, "between"), "between is a list of two times, [from, to]")
            ok = False
        else:
            t1 = doc.time(b[0], (*path, "between", 0), start)
            t2 = doc.time(b[1], (*path, "between", 1), start)
            if t1 is None or t2 is None:
                ok = False
            elif t2 < t1:
                doc.error((*path, "between"), "between ends before it starts")
                ok = False
            else:
                between = (t1, t2)
    if form == "state":
        for key in ("between", "transitions"):
            if key in raw:
                doc.error((*path, key), f"{key} does not go with state")
                ok = False
        if "at" not in raw:
            doc.error(path, "a state expectation needs at (when)")
            return None
        at = doc.time(raw["at"], (*path, "at"), start)
        state = raw["state"]
        if state not in STATES:
            doc.error((*path, "state"), f"state is one of {', '.join(STATES)}, not {state!r}")
            ok = False
        for key in ("reason", "reason_contains"):
            if key in raw:
                doc.string(raw[key], (*path, key), key)
        if at is None or not ok:
            return None
        return _Expectation("state", path, doc.line(path), {
            "alarm": alarm, "at": at, "state": state, "reason": raw.get("reason"),
            "reason_contains": raw.get("reason_contains")})
    for key in ("at", "reason", "reason_contains"):
        if key in raw:
            doc.error((*path, key), f"{key} goes with state")
            ok = False
    if form == "no_transition_to":
        to = raw["no_transition_to"]
        if to not in STATES:
            doc.error((*path, "no_transition_to"), f"no_transition_to is one of {', '.join(STATES)}, not {to!r}")
            ok = False
        if "between" not in raw:
            doc.error(path, "no_transition_to needs between: [from, to]")
            ok = False
        if not ok:
            return None
        return _Expectation("no_transition", path, doc.line(path), {"alarm": alarm, "to": to, "between": between})
    items = raw["transitions"]
    expected = []
    if not isinstance(items, list):
        doc.error((*path, "transitions"), "transitions is a list of {at, to}")
        return None
    for i, item in enumerate(items):
        here = (*path, "transitions", i)
        if not doc.mapping(item, here, "A transition"):
            ok = False
            continue
        doc.keys(item, here, ("at", "to"), required=("at", "to"))
        at = doc.time(item.get("at"), (*here, "at"), start) if "at" in item else None
        to = item.get("to")
        if "to" in item and to not in STATES:
            doc.error((*here, "to"), f"to is one of {', '.join(STATES)}, not {to!r}")
            ok = False
        if at is None or to not in STATES:
            ok = False
            continue
        expected.append((at, to))
    if not ok:
        return None
    return _Expectation("transitions", path, doc.line(path), {"alarm": alarm, "expected": expected, "between": between})


# --------------------------------------------------------------------------- running


def _simulate(test: ScenarioTest) -> Simulation:
    sim = Simulation(test.config, log_group=test.log_group, account=test.account,
                     region=test.region, default_value_mode=test.default_value_mode)
    sim.start_ms = sim.cursor_ms = test.start_ms
    for item in test.events:
        where = render_path(item.path)
        if item.kind == "gap":
            sim.gap(item.gap)
        elif item.kind == "file":
            sim.feed_file(item.file, fmt=item.fmt, timestamps=item.timestamps, every=item.every,
                          at=item.at, log_group=item.log_group, origin=where)
        elif item.every is None:
            sim.feed(item.messages[0], item.at, log_group=item.log_group, origin=where)
        elif item.every == 0:  # a list of messages at one instant
            if item.at is not None:
                sim.cursor_ms = sim.time(item.at)
            for j, message in enumerate(item.messages):
                sim._add(sim.cursor_ms, message, sim._group(item.log_group), f"{where} #{j + 1}")
        else:
            sim.repeat(list(item.messages), every=item.every, count=item.count, until=item.until,
                       at=item.at, values=item.values, log_group=item.log_group, origin=where)
    return sim


def _match_failures(exp: _Expectation) -> Iterator[Failure]:
    spec = exp.spec
    compiled = compile_pattern(spec["pattern"])
    where = render_path(exp.path[-2:])
    for message in spec["messages"]:
        shown = message if len(message) <= 120 else message[:117] + "..."
        title = f"{spec['label']} on {json.dumps(shown, ensure_ascii=False)}"
        got = compiled.extract(message)
        if spec["match"] is False:
            if got is not None:
                yield Failure(where, exp.line, title, ("no match",), ("match",),
                              tuple(f"extracted {k} = {v}" for k, v in got.items()))
            continue
        if got is None:
            yield Failure(where, exp.line, title, ("match",), ("no match",))
            continue
        want = spec["extracted"]
        if want is not None and want != got:
            keys = list(dict.fromkeys([*want, *got]))
            e = tuple(f"{k} = {want[k]}" if k in want else f"{k} (not extracted)" for k in keys
                      if want.get(k) != got.get(k))
            g = tuple(f"{k} = {got[k]}" if k in got else f"{k} (not extracted)" for k in keys
                      if want.get(k) != got.get(k))
            yield Failure(where, exp.line, title + ": extracted values", e, g)


def _times(exp: _Expectation) -> list[int]:
    """The times through which an alarm expectation needs the clock to run."""
    spec = exp.spec
    if exp.kind == "state":
        return [spec["at"]]
    if exp.kind in ("no_transition", "transitions"):
        times = [at for at, _ in spec.get("expected", ())]
        if spec.get("between") is not None:
            times.append(spec["between"][1])
        return times
    return []


def run_test(test: ScenarioTest) -> TestResult:
    """Run one checked test; every failing expectation becomes a `Failure`.

    A problem only found while running (a log file whose events cannot all be read) is reported
    as a failure of the test's events, never swallowed.
    """
    began = time.perf_counter()
    result = TestResult(test.file, test.name, test.line)
    try:
        sim = _simulate(test)
    except ValueError as exc:
        result.failures.append(Failure("events", test.line, "the events could not be read", (), (str(exc),)))
        result.seconds = time.perf_counter() - began
        return result
    result.events = len(sim.events)
    sim.watch_only({exp.spec["alarm"] for exp in test.expectations if "alarm" in exp.spec})
    horizon = [t for exp in test.expectations for t in _times(exp)]
    if horizon:
        sim.evaluate_through(Instant(max(horizon)))
    for exp in test.expectations:
        where = render_path(exp.path[-2:])
        spec = exp.spec
        try:
            if exp.kind == "match":
                result.failures.extend(_match_failures(exp))
                continue
            if exp.kind == "cardinality":
                got = sim.cardinality_trips()
                failure = None if got == spec["filters"] else Failure(
                    where, exp.line, "the filters that pass 1,000 distinct dimension pairs in an hour",
                    tuple(spec["filters"]) or ("(none)",), tuple(got) or ("(none)",))
                if failure is not None:
                    result.failures.append(failure)
                continue
            if exp.kind == "datapoints":
                failure = sim.check_metric(spec["metric"], spec["values"], namespace=spec["namespace"],
                                           dimensions=spec["dimensions"], statistic=spec["statistic"],
                                           period=spec["period"], absent=spec["absent"],
                                           where=where, line=exp.line)
            elif exp.kind == "state":
                failure = sim.check_alarm(spec["alarm"], spec["at"], spec["state"], reason=spec["reason"],
                                          reason_contains=spec["reason_contains"], where=where, line=exp.line)
            elif exp.kind == "no_transition":
                failure = sim.check_no_transition(spec["alarm"], spec["to"], spec["between"],
                                                  where=where, line=exp.line)
            else:
                failure = sim.check_transitions(spec["alarm"], spec["expected"], between=spec["between"],
                                                where=where, line=exp.line)
        except ValueError as exc:  # pragma: no cover - load_scenario checks what could raise
            failure = Failure(where, exp.line, "could not be checked", (), (str(exc),))
        if failure is not None:
            result.failures.append(failure)
    result.seconds = time.perf_counter() - began
    return result


def run_scenario(scenario: Scenario, select: Callable[[str], bool] | None = None) -> list[TestResult]:
    """Run the tests of a scenario (those whose name `select` accepts)."""
    return [run_test(t) for t in scenario.tests if select is None or select(t.name)]


# --------------------------------------------------------------------------- JUnit XML


def junit_xml(results: Sequence[TestResult], errors: Mapping[str, Sequence[ConfigIssue]] | None = None) -> str:
    """JUnit XML for CI systems: one ``<testsuite>`` per scenario file, one ``<testcase>`` per test.

    A file that could not be loaded is a suite with one ``<testcase>`` holding an ``<error>``
    with every issue.
    """
    errors = errors or {}
    files: dict[str, list[TestResult]] = {}
    for r in results:
        files.setdefault(r.file, []).append(r)
    for name in errors:
        files.setdefault(name, [])
    root = ElementTree.Element("testsuites", name="cwfilter unit")
    total = failed = errored = 0
    seconds = 0.0
    for name, items in files.items():
        issues = errors.get(name, ())
        suite = ElementTree.SubElement(root, "testsuite", name=name)
        classname = re.sub(r"\.ya?ml$", "", name).replace("/", ".").replace("\\", ".").strip(".")
        n_fail = sum(1 for r in items if not r.passed)
        time_s = sum(r.seconds for r in items)
        for r in items:
            case = ElementTree.SubElement(suite, "testcase", classname=classname, name=r.name,
                                          file=r.file, time=f"{r.seconds:.6f}")
            if r.line is not None:
                case.set("line", str(r.line))
            if not r.passed:
                count = len(r.failures)
                failure = ElementTree.SubElement(
                    case, "failure", type="AssertionError",
                    message=f"{count} expectation{'s' if count != 1 else ''} failed")
                failure.text = r.report()
        if issues:
            case = ElementTree.SubElement(suite, "testcase", classname=classname, name="(load)", file=name,
                                          time="0")
            error = ElementTree.SubElement(case, "error", type="ScenarioError",
                                           message=f"invalid scenario file ({len(issues)} problems)")
            error.text = "\n".join(str(i) for i in issues)
        suite.set("tests", str(len(items) + (1 if issues else 0)))
        suite.set("failures", str(n_fail))
        suite.set("errors", str(1 if issues else 0))
        suite.set("skipped", "0")
        suite.set("time", f"{time_s:.6f}")
        total += len(items) + (1 if issues else 0)
        failed += n_fail
        errored += 1 if issues else 0
        seconds += time_s
    root.set("tests", str(total))
    root.set("failures", str(failed))
    root.set("errors", str(errored))
    root.set("time", f"{seconds:.6f}")
    for element in root.iter():  # names, messages and events may hold anything
        element.text = xml_text(element.text) if element.text else element.text
        for key, value in element.attrib.items():
            element.set(key, xml_text(value))
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"


# Characters XML 1.0 cannot hold, even escaped (its Char production): C0 controls other than tab,
# LF and CR, lone surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """`text` with each character XML 1.0 cannot hold written as a visible escape (``\\x1b``,
    ``\\ufffe``), so that strict parsers (Jenkins, GitLab) read the file."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text)
