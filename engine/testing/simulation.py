"""A simulated clock for alert rules: feed log events to the real `Engine`, then ask for a metric's
value or an alarm's state at a time.

`Simulation` is the Python API (and what the pytest plugin's fixture hands out); scenario files
(`scenario`) build one per test. Times are given as instants (``2024-05-01T12:00:00Z``) or offsets
from the start (``90s``, ``3m``); values in the compact repeat notation of `expand_values`.
`TestResult` and `Failure` carry expected and actual values as data, so that the command line, the
pytest plugin and JUnit XML render the same diff.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..alarms.evaluate import INITIAL_REASON, INSUFFICIENT_DATA, STATES
from ..config.native import Config, MetricFilter, iter_config_issues
from ..errors import ConfigError
from ..events import number_text
from ..inputs.readers import FORMATS, InputStats, read_events
from ..metrics.pipeline import AlarmChange, Datapoint, Engine, iso
from ..metrics.series import parse_statistic

__all__ = [
    "Failure",
    "ScenarioError",
    "ScenarioFailure",
    "Simulation",
    "TestResult",
    "expand_values",
    "parse_duration",
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
            value = value.replace(tzinfo=_dt.UTC)
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


_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)


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
