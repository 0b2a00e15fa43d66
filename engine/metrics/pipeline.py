"""The evaluator: log events in, metric datapoints and alarm transitions out.

`Engine` is fed events one at a time (message, event time in epoch milliseconds, log group). Each
event is decoded at most once (`LogEvent`) and offered to the metric filters of its log group;
matches become samples in per-series, per-period partial aggregates (`PartialAggregates`), by
event time (DECISIONS M1), whatever the order of events. A batch run reports every period at the
end and evaluates the alarms over the merged history (`AlarmBank`); a live run (`--follow`)
emits periods as the wall clock passes them, and again with a revision when late samples change
them. Memory grows with series x periods, never with events.
"""

from __future__ import annotations

import datetime as _dt
import functools
import heapq
import math
import operator
import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sortedcontainers import SortedDict

from ..matching.routing import Route
from .cardinality import CardinalityGuard
from .series import STANDARD_STATISTICS, STATISTICS, Aggregate, PartialAggregates, parse_statistic
from .transform import NO_VALUE, MetricKey, RuntimeFilter, build_filter

MINUTE_MS = 60_000
MAX_EVENT_BYTES = 1_048_576  # DECISIONS M6
_NEVER = 1 << 62  # an evaluation time later than any event
# The standard statistics, parsed once: (name, function, parsed statistic).
_STANDARD = tuple((name, STATISTICS[parse_statistic(name).kind], parse_statistic(name)) for name in STANDARD_STATISTICS)


@functools.lru_cache(maxsize=4096)  # the period starts of a run repeat across its series
def iso(ms: int) -> str:
    """Epoch milliseconds as ISO-8601 UTC text (``2024-01-01T00:00:00Z``)."""
    t = _dt.datetime.fromtimestamp(ms / 1000, tz=_dt.UTC)
    text = t.isoformat(timespec="milliseconds" if ms % 1000 else "seconds")
    return text.replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Datapoint:
    """The samples of one series in one closed period."""

    key: MetricKey
    timestamp_ms: int  # period start
    period: int  # seconds
    aggregate: Aggregate = field(repr=False)
    #: Live mode: 1 the first time the period is emitted, 2 and up when late samples changed it
    #: (each revision holds every sample so far). 0 in batch mode, where each period comes once.
    revision: int = 0

    def statistic(self, name: str) -> float | None:
        return self.aggregate.statistic(name)

    def to_json(self, extended: Iterable[str] = ()) -> dict:
        """The GetMetricStatistics datapoint shape, with the metric's identity alongside."""
        agg = self.aggregate
        out: dict = {
            "Namespace": self.key.namespace,
            "MetricName": self.key.name,
            "Dimensions": self.key.dimensions_json(),
            "Timestamp": iso(self.timestamp_ms),
            "Period": self.period,
        }
        for name, fn, stat in _STANDARD:
            out[name] = fn(agg, stat)
        out["Unit"] = self.key.unit or "None"
        ext = {name: agg.statistic(name) for name in extended}
        if ext:
            out["ExtendedStatistics"] = ext
        if self.revision:
            out["Revision"] = self.revision
        return out

    def to_emf(self) -> Iterator[dict]:
        """CloudWatch Embedded Metric Format documents that publish these samples again.

        EMF carries values, not counts, and at most 100 values a document, so repeated values
        are expanded and long lists split over several documents.
        """
        agg = self.aggregate
        if agg.is_compact and agg.minimum == agg.maximum:
            values, counts = [agg.minimum], [agg.sample_count]  # every sample is the same value
        else:
            values, counts = agg.values_counts()
        flat: list[float] = []
        for v, c in zip(values, counts):
            flat.extend([v] * c)
        dims = [k for k, _ in self.key.dimensions]
        for i in range(0, max(len(flat), 1), 100):
            metric: dict = {"Name": self.key.name}
            if self.key.unit:
                metric["Unit"] = self.key.unit
            doc: dict = {
                "_aws": {
                    "Timestamp": self.timestamp_ms,
                    "CloudWatchMetrics": [
                        {"Namespace": self.key.namespace, "Dimensions": [dims], "Metrics": [metric]}
                    ],
                }
            }
            for k, v in self.key.dimensions:
                doc[k] = v
            doc[self.key.name] = flat[i : i + 100]
            yield doc


class Engine:
    """Metric filters over log events, in one of two modes.

    Batch (the default, for finite inputs): every sample joins its period whatever the order in
    which events arrive; nothing is emitted while feeding. `close` returns every datapoint (the
    same for any permutation of the events) and evaluates the alarms afterwards over the whole
    timeline, minute by minute from the earliest event to the last (or `until_ms`), as CloudWatch
    would have had every event arrived on time (DECISIONS A1).

    Live (``live=True``, `cwfilter run --follow`): the wall clock (`clock`) drives the run. A
    period's datapoint is emitted once the clock is `lateness` seconds past its end; a sample
    that arrives later for an emitted period is merged into it and the corrected datapoint is
    emitted again with the next `Datapoint.revision`. Alarms are evaluated on the clock every
    minute on the data present then. Events more than 14 days old or more than 2 hours ahead of
    the clock are refused, as PutLogEvents refuses them, and counted. Periods older than the
    longest alarm range plus those 14 days are forgotten, so memory stays bounded.

    Args:
        config: a loaded `engine.config.Config`.
        period: output period in seconds (default 60).
        lateness: live mode only: seconds after a period's end before its datapoint is first
            emitted (default 300).
        account, region: values of the ``@aws.account`` / ``@aws.region`` system dimensions.
        default_value_mode: ``"minute"`` (DECISIONS M2) or ``"event"``.
        until_ms: batch mode: evaluate alarms up to this time even past the last event.
        live: follow the wall clock (see above).
        clock: epoch milliseconds now, for live mode (default: the system clock).
        keep_values: keep each period's value map, which extended statistics and EMF output
            need; without it aggregates are compact (count, minimum, maximum, exact sum).
    """

    def __init__(
        self,
        config,
        *,
        period: int = 60,
        lateness: int = 300,
        account: str | None = None,
        region: str | None = None,
        default_value_mode: str = "minute",
        until_ms: int | None = None,
        cardinality_guard: str = "warn",
        live: bool = False,
        clock: Callable[[], int] | None = None,
        keep_values: bool = True,
    ) -> None:
        if default_value_mode not in ("minute", "event"):
            raise ValueError("default_value_mode is 'minute' or 'event'")
        self.config = config
        self.account, self.region = account, region
        self.period = period
        self.lateness = lateness
        self.default_value_mode = default_value_mode
        self.filters: list[RuntimeFilter] = [
            build_filter(mf, account=account, region=region) for mf in config.metric_filters
        ]
        self.log_groups = sorted({f.log_group for f in self.filters if f.log_group})
        self._anywhere = [f for f in self.filters if not f.log_group]
        self._by_group: dict[str, list[RuntimeFilter]] = {}
        for group in self.log_groups:
            self._by_group[group] = [f for f in self.filters if f.log_group == group] + self._anywhere
        self.table = PartialAggregates(period, keep_values=keep_values)
        self.live = live
        self._clock = clock or _wall_clock_ms
        # The service may disable a filter with 1,000 distinct dimension pairs in an hour.
        self.guard = CardinalityGuard(cardinality_guard) if cardinality_guard != "off" else None
        self.watermark: int | None = None  # the newest event time seen
        self.first_event_ms: int | None = None
        self.events = 0
        self.unrouted = 0
        self.refused = {"tooOld": 0, "tooNew": 0}
        self._closed_minutes_end: int | None = None
        self._closed: list | None = None  # batch: what `close` returned
        # DECISIONS M2: per filter with a defaultValue, the minutes in which it matched; the
        # minutes with events are kept per route.
        self._matched_minutes: dict[int, set[int]] = {
            id(f): set() for f in self.filters if f.default_value is not None
        }
        self._routes: dict[str | None, Route] = {}
        self._sieves: dict[tuple, Any] = {}
        self.until_ms = until_ms
        metric_alarms = list(getattr(config, "metric_alarms", None) or [])
        composite_alarms = list(getattr(config, "composite_alarms", None) or [])
        self.alarms: AlarmBank | None = (
            AlarmBank(metric_alarms, composite_alarms, account=account, region=region)
            if metric_alarms or composite_alarms
            else None
        )
        # Period ends, default-value minutes and alarm evaluation boundaries all fall on this grid.
        # Batch runs whose table has the alarms' cadence: the alarms read the run's own per-period
        # aggregates at the end instead of keeping a second copy.
        # A batch run finishes through `RunAggregate`, which takes the alarm cells from the table
        # when it has the alarms' cadence and their compact aggregates (see `from_engine`).
        self._alarms_share_table = (not live and self.alarms is not None and self.alarms.base_seconds == period
                                    and not keep_values and not self.alarms.needs_values)
        self._grid_ms = math.gcd(period * 1000, MINUTE_MS, (self.alarms.base_seconds * 1000) if self.alarms else MINUTE_MS)
        # Live mode: cells changed since they were last emitted, and how often each was emitted.
        self._dirty: dict[tuple, None] = {}
        self._revisions: dict[tuple, int] = {}
        self._next_tick: int | None = None
        self._retention_ms = MAX_EVENT_AGE_MS + (self.alarms.range_ms() if self.alarms else 0) + period * 1000
        self.started_ms: int | None = self._clock() if live else None

    # ------------------------------------------------------------------ routing

    def default_log_group(self) -> str | None:
        """The log group an unbound input belongs to: the only one the filters name, if any."""
        return self.log_groups[0] if len(self.log_groups) == 1 else None

    def filters_for(self, log_group: str | None) -> list[RuntimeFilter]:
        if log_group is None:
            log_group = self.default_log_group()
            if log_group is None:
                return self.filters if not self.log_groups else self._anywhere
        return self._by_group.get(log_group, self._anywhere)

    def route(self, log_group: str | None) -> Route:
        """The route (filters and index) of a log group's events, built on first use."""
        route = self._routes.get(log_group)
        if route is None:
            route = self._routes[log_group] = Route.build(
                log_group, self.filters_for(log_group), self.default_value_mode == "minute"
            )
        return route

    # ------------------------------------------------------------------ feeding

    def feed(
        self, message: str, timestamp_ms: int, log_group: str | None = None, decoded: dict | None = None
    ) -> list[Datapoint | AlarmChange]:
        """Offer one event to the filters of its log group.

        The event is decoded at most once however many filters look at it (`LogEvent`), and the
        route's index settles, without decoding, which filters can match at all.

        Args:
            message: the event's text.
            timestamp_ms: event time, epoch milliseconds (DECISIONS M1).
            log_group: the log group the event belongs to.
            decoded: the message already decoded by orjson into a dict, if the reader had to.

        Returns:
            Batch mode: nothing (everything comes from `close`). Live mode: the datapoints and
            alarm transitions that fell due on the clock.
        """
        now = None
        if self.live:
            now = self._clock()
            # PutLogEvents refuses events over 14 days old or over 2 hours in the future.
            if timestamp_ms < now - MAX_EVENT_AGE_MS or timestamp_ms > now + MAX_EVENT_AHEAD_MS:
                self.refused["tooOld" if timestamp_ms < now else "tooNew"] += 1
                self.reject(log_group)
                return self.tick(now)
        self.events += 1
        route = self._routes.get(log_group) or self.route(log_group)
        route.events += 1
        if not route.filters:
            self.unrouted += 1
        if route.seen_minutes is not None:
            minute = timestamp_ms - timestamp_ms % MINUTE_MS
            if self._closed_minutes_end is None or minute + MINUTE_MS > self._closed_minutes_end:
                route.seen_minutes[minute] = True
        matched, ev = route.match(message, timestamp_ms, decoded)
        matched_here: list[RuntimeFilter] | None = None
        for f in matched:
            c = f.counters
            c.matched += 1
            if f.default_value is not None:
                if self.default_value_mode == "minute":
                    minute = timestamp_ms - timestamp_ms % MINUTE_MS
                    self._matched_minutes[id(f)].add(minute)
                else:
                    matched_here = (matched_here or []) + [f]
            value = f.value_of(ev)
            if value is NO_VALUE:
                c.value_not_numeric += 1  # DECISIONS M3
                continue
            dims = f.dimensions_of(ev)
            if dims is NO_VALUE:
                c.dimension_missing += 1  # DECISIONS M4
                continue
            if dims and self.guard is not None and not self.guard.admit(f, dims, timestamp_ms):
                continue  # --cardinality-guard disable: the filter passed the limit
            self._add(f, f.key(dims) if dims else f.key(), timestamp_ms, value)
        if self.default_value_mode == "event":
            # `--default-value-mode event`: one defaultValue sample per non-matching event.
            for f in route.default_filters:
                if matched_here is None or f not in matched_here:
                    self._add(f, f.key(), timestamp_ms, f.default_value, default=True)
        if self.first_event_ms is None or timestamp_ms < self.first_event_ms:
            self.first_event_ms = timestamp_ms
        if self.watermark is None or timestamp_ms > self.watermark:
            self.watermark = timestamp_ms
        if now is not None:
            return self.tick(now)
        return []

    def sieve(self, log_group: str | None, extra: Sequence[str] = (), *, text: bool = False,
              records: bool = False) -> Any:
        """A `Sieve` for the JSON-lines events of `log_group` in a batch run (see `count_ruled_out`), or
        None when the events must each be fed (live mode, no index, a defaultValue sample per
        event, or an unbound input while the filters name several log groups). With `text`, a
        `TextSieve` for plain lines instead, when every filter of the route decides on the raw text.
        With `records`, a test of records already decoded (CloudTrail records, as dicts) instead:
        true when no filter can match the record, as `Route.match` would decide it from the record."""
        if self.live or self.default_value_mode == "event":
            return None
        if log_group is None and len(self.log_groups) > 1:
            return None
        key = (log_group, tuple(extra), text, records)
        if key not in self._sieves:  # built once per log group, however many inputs it has
            route = self._routes.get(log_group) or self.route(log_group)
            index = route.index
            if text:
                self._sieves[key] = route.text_sieve()
            elif index is None:
                self._sieves[key] = None
            elif records:
                candidates = index.candidates_doc
                self._sieves[key] = None if index.always else (lambda doc: not candidates(doc))
            else:
                self._sieves[key] = index.sieve(extra)
        return self._sieves[key]

    def count_ruled_out(self, log_group: str | None, timestamps: Sequence[int]) -> None:
        """Count events of `log_group` that no filter of its route can match (a batch run's
        `sieve` ruled them out): the same accounting as feeding each of them, without matching."""
        if not timestamps:
            return
        n = len(timestamps)
        self.events += n
        route = self._routes.get(log_group) or self.route(log_group)
        route.events += n
        seen = route.seen_minutes
        if seen is not None:
            end = self._closed_minutes_end
            for ts in timestamps:
                minute = ts - ts % MINUTE_MS
                if end is None or minute + MINUTE_MS > end:
                    seen[minute] = True
        low, high = min(timestamps), max(timestamps)
        if self.first_event_ms is None or low < self.first_event_ms:
            self.first_event_ms = low
        if self.watermark is None or high > self.watermark:
            self.watermark = high

    def feed_many(self, events: Iterable[tuple[str, int] | tuple[str, int, str | None]]) -> Iterator[Datapoint]:
        """Feed (message, timestamp_ms[, log_group]) tuples; yield what falls due (live mode)."""
        for item in events:
            yield from self.feed(*item)

    def reject(self, log_group: str | None, count: int = 1) -> None:
        """Account for events of a log group that were read but rejected before matching."""
        self.events += count
        for f in self.filters_for(log_group):
            f.counters.rejected += count

    def _add(self, f: RuntimeFilter, key: MetricKey, ts: int, value: float, default: bool = False) -> None:
        alarms = self.alarms
        if alarms is not None and not self._alarms_share_table and alarms.watches(key):
            alarms.add(key, ts, value)
        cell = self.table.add(key, ts, value)
        if self.live:
            self._dirty[cell] = None
        if default:
            f.counters.default_samples += 1
        else:
            f.counters.samples += 1

    # ------------------------------------------------------------------ live clock

    def tick(self, now_ms: int | None = None) -> list[Datapoint | AlarmChange]:
        """Live mode: advance to the clock when it has crossed a period or evaluation boundary."""
        if not self.live:
            return []
        now = self._clock() if now_ms is None else now_ms
        if self._next_tick is not None and now < self._next_tick:
            return []
        # Next: a boundary (alarm evaluations) or a boundary plus lateness (datapoints due).
        g = self._grid_ms
        shift = self.lateness * 1000 % g
        self._next_tick = min((now // g + 1) * g, ((now - shift) // g + 1) * g + shift)
        return self.advance(now)

    def advance(self, now_ms: int) -> list[Datapoint | AlarmChange]:
        """Live mode: emit every changed period that ended `lateness` or more before `now_ms`
        (again, with the next revision, when late samples changed it), evaluate the alarms at
        every boundary up to `now_ms`, and forget what is older than the retention.

        Returns:
            Datapoints, oldest period first, then alarm transitions in time order.
        """
        limit = now_ms - self.lateness * 1000
        self._settle_minutes(limit)
        period_ms = self.period * 1000
        due = [c for c in self._dirty if c[1] + period_ms <= limit]
        out: list = self._emit(sorted(due, key=_cell_order))
        if self.alarms is not None:
            start = self.started_ms if self.started_ms is not None else now_ms
            out.extend(self.alarms.evaluate_until(now_ms, start))
        self._forget(now_ms - self._retention_ms)
        return out

    def _emit(self, cells: list[tuple]) -> list[Datapoint]:
        out = []
        for cell in cells:
            self._dirty.pop(cell, None)
            agg = self.table.get(*cell)
            if agg is None:
                continue
            revision = self._revisions[cell] = self._revisions.get(cell, 0) + 1
            out.append(Datapoint(cell[0], cell[1], self.period, agg.copy(), revision))
        return out

    def _forget(self, horizon_ms: int) -> None:
        if self.table.drop_before(horizon_ms):
            period_ms = self.period * 1000
            for cell in [c for c in self._revisions if c[1] + period_ms <= horizon_ms]:
                del self._revisions[cell]
            for cell in [c for c in self._dirty if c[1] + period_ms <= horizon_ms]:
                del self._dirty[cell]
        for minutes in self._matched_minutes.values():
            for m in [m for m in minutes if m < horizon_ms]:
                minutes.discard(m)

    # ------------------------------------------------------------------ closing

    def close(self) -> list[Datapoint | AlarmChange]:
        """End of input.

        Batch mode: every datapoint, by period start then series, then the alarm transitions of
        an evaluation at every boundary from the earliest event through the first boundary after
        the newest one, or `until_ms` (DECISIONS A1); closing again returns the same items (a run
        interrupted while it wrote them finishes with the rest). Live mode: the periods not yet
        emitted or changed since, and the alarms evaluated up to the clock.
        """
        if self.live:
            self._settle_minutes(None)
            now = self._clock()
            out: list = self._emit(sorted(self._dirty, key=_cell_order))
            if self.alarms is not None:
                out.extend(self.alarms.evaluate_until(now, self.started_ms if self.started_ms is not None else now))
            return out
        if self._closed is not None:
            return self._closed
        # A batch run is the one-part case of a partial aggregate (`RunAggregate`).
        from .partial import RunAggregate

        outcome = RunAggregate.from_engine(self, share=True).finish(self.config, until_ms=self.until_ms, account=self.account,
                                        region=self.region, filters=self.filters)
        for i, count in outcome.default_samples.items():
            self.filters[i].counters.default_samples += count
        self.alarms = outcome.alarms
        self._closed = outcome.items()
        return self._closed

    def partial(self, inputs=None):
        """Batch mode: the mergeable partial aggregate of the events fed so far (`RunAggregate`),
        with the accounting of `inputs` (an `InputStats`) when given."""
        from .partial import RunAggregate

        return RunAggregate.from_engine(self, inputs)

    def _settle_minutes(self, limit: int | None) -> None:
        """DECISIONS M2: for each minute now closed, one defaultValue sample per filter that saw
        events in it and matched none."""
        if limit is not None and (self._closed_minutes_end is None or limit > self._closed_minutes_end):
            self._closed_minutes_end = limit
        due: dict[int, tuple[RuntimeFilter, set[int]]] = {}
        for route in self._routes.values():
            seen = route.seen_minutes
            if not seen:
                continue
            while seen:
                minute = seen.peekitem(0)[0]
                if limit is not None and minute + MINUTE_MS > limit:
                    break
                seen.popitem(0)
                for f in route.default_filters:
                    due.setdefault(id(f), (f, set()))[1].add(minute)
        for f, minutes in due.values():
            matched = self._matched_minutes[id(f)]
            for minute in sorted(minutes):
                if minute in matched:
                    matched.discard(minute)
                else:
                    # Stamped in the minute's last millisecond: inside the minute's own period
                    # whatever the period length.
                    self._add(f, f.key(), minute + MINUTE_MS - 1, f.default_value, default=True)

    # ------------------------------------------------------------------ reporting

    def summary(self) -> dict:
        """Per-filter accounting: read = matched + unmatched + rejected."""
        out = {
            "mode": "live" if self.live else "batch",
            "events": self.events,
            "unrouted": self.unrouted,
            "alarms": self.alarms.summary() if self.alarms is not None else [],
            **({"cardinalityGuard": self.guard.summary()} if self.guard is not None and self.guard.trips else {}),
            "filters": [
                {"filterName": f.name, "logGroupName": f.log_group, **self._counters(f, routed).as_dict()}
                for routed in [self._routed_events()]
                for f in self.filters
            ],
        }
        if self.live:
            out["refused"] = dict(self.refused)
        return out

    def _routed_events(self) -> dict[int, int]:
        """Events offered to each filter (by id): the sum over the routes it is on."""
        routed: dict[int, int] = {}
        for r in self._routes.values():
            for f in r.filters:
                routed[id(f)] = routed.get(id(f), 0) + r.events
        return routed

    def _counters(self, f: RuntimeFilter, routed: dict[int, int]):
        """The filter's counters with read and unmatched derived from the routes it is on."""
        c = f.counters
        events = routed.get(id(f), 0)
        c.read = events + c.rejected
        c.unmatched = events - c.matched
        return c


MAX_EVENT_AGE_MS = 14 * 24 * 3600 * 1000  # PutLogEvents: "more than 14 days old" is refused
MAX_EVENT_AHEAD_MS = 2 * 3600 * 1000  # ... and "more than 2 hours in the future"


def _wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


def _key_order(key) -> tuple:
    """A sort key for series keys: the output order never depends on the order of events."""
    if isinstance(key, MetricKey):
        return (key.namespace, key.name, key.dimensions, key.unit or "")
    return (repr(key),)


def _cell_order(cell: tuple) -> tuple:
    return (cell[1], _key_order(cell[0]))


# --------------------------------------------------------------------------- alarms


class AlarmChange:
    """A state transition of a metric or composite alarm, at its simulated evaluation time.

    `alarm` is the alarm's configuration, `transition` the `engine.alarms.Transition`, `evaluator`
    the alarm's evaluator. Read-only, compared by its fields like a frozen dataclass (its repr
    leaves out `alarm` and `evaluator`). A batch run makes one per transition, so it is a plain
    class with slots: a frozen dataclass sets each field through `object.__setattr__`.
    """

    __slots__ = ("_alarm", "_transition", "_evaluator", "_composite")
    __match_args__ = ("alarm", "transition", "evaluator", "composite")

    def __init__(self, alarm: dict, transition: Any, evaluator: Any, composite: bool = False) -> None:
        self._alarm, self._transition, self._evaluator, self._composite = alarm, transition, evaluator, composite

    alarm = property(lambda self: self._alarm)
    transition = property(lambda self: self._transition)
    evaluator = property(lambda self: self._evaluator)
    composite = property(lambda self: self._composite)

    def _fields(self) -> tuple:
        return self._alarm, self._transition, self._evaluator, self._composite

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return f"AlarmChange(transition={self._transition!r}, composite={self._composite!r})"

    def __reduce__(self) -> tuple:
        return (AlarmChange, self._fields())

    @property
    def timestamp_ms(self) -> int:
        return self.transition.timestamp

    def detail(self) -> dict:
        """The EventBridge "CloudWatch Alarm State Change" detail."""
        from ..alarms.notifications import eventbridge_detail

        return eventbridge_detail(self.evaluator.alarm, self.transition)

    def sns_message(self) -> dict:
        """The notification message SNS would deliver for this transition."""
        return self.evaluator.sns_message(self.transition)

    def actions(self) -> list[str]:
        """The actions this transition runs (none when ActionsEnabled is false)."""
        if self.alarm.get("ActionsEnabled", True) is False:
            return []
        key = {"ALARM": "AlarmActions", "OK": "OKActions", "INSUFFICIENT_DATA": "InsufficientDataActions"}
        return list(self.alarm.get(key[self.transition.new_state]) or [])


# A range of at most this many cells is placed from its cells, not period by period (`_points`).
_FEW_CELLS = 8
_EXACT = 1 << 53  # integers up to this are doubles exactly

def _merged(cells: tuple, lo: int, hi: int, unit: str | None, stat: Any) -> tuple:
    """``(statistic, sample count)`` of the cells `lo` to `hi` (excluded) of an alarm's series
    merged in order, those of `unit` only when it is given; ``()`` when they hold no sample."""
    _, units, aggs = cells
    agg = None
    for i in range(lo, hi):
        if not unit or units[i] == unit:
            agg = aggs[i] if agg is None else agg.merge(aggs[i])
    return (agg.statistic(stat), agg.sample_count) if agg and agg.sample_count else ()


_CHANGE_TIME = operator.attrgetter("_transition._timestamp")


class AlarmBank:
    """The metric and composite alarms of a config, evaluated over the merged metric history.

    Samples of every series an alarm watches are merged, as they arrive and in any order, into
    per-minute aggregates (per 10 seconds when an alarm has a 10, 20 or 30 second period). At each
    evaluation time the alarm's periods (DECISIONS A2, A3) are built by merging those aggregates,
    so periods longer than the cadence slide with it as they do in CloudWatch, and late data counts
    in every later evaluation whose range covers its period.

    `evaluate_until` runs the evaluations at each cadence boundary up to a time: once at the end
    over the whole history (batch), or every minute on the wall clock (live).
    """

    def __init__(self, metric_alarms, composite_alarms, *, account: str | None = None,
                 region: str | None = None) -> None:
        from ..alarms.evaluator import AlarmEvaluator

        kw = {}
        if account:
            kw["account_id"] = account
        if region:
            kw["region"] = region
        self.evaluators = []
        self.unsupported: list[str] = []
        for alarm in metric_alarms:
            if "Metrics" in alarm or "MetricName" not in alarm:
                # Metric math and anomaly detection need other metrics than the filters publish.
                self.unsupported.append(str(alarm.get("AlarmName")))
                continue
            self.evaluators.append(AlarmEvaluator(alarm, **kw))
        by_name = {c["AlarmName"]: c for c in composite_alarms}
        self.composites = []
        if by_name:  # the AlarmRule grammar loads Lark: only for composite alarms
            from ..alarms.composite import CompositeAlarmEvaluator, composite_evaluation_order

            order = composite_evaluation_order({n: c["AlarmRule"] for n, c in by_name.items()})
            self.composites = [CompositeAlarmEvaluator(by_name[n], **kw) for n in order]
        self.high_res = any(ev.period < 60 for ev in self.evaluators)
        self.base_seconds = 10 if self.high_res else 60
        self._base_ms = self.base_seconds * 1000
        # (namespace, name, dims) -> evaluators watching it; alarm Unit narrows the match.
        self._watch: dict[tuple, list] = {}
        self._needs_values: set[tuple] = set()
        # Per evaluator: (watched series, period ms, range size in periods, cadence ms, unit,
        # statistic), what evaluating it takes.
        self._plans: list[tuple] = []
        for ev in self.evaluators:
            a = ev.alarm
            dims = tuple(sorted((d["Name"], d["Value"]) for d in a.get("Dimensions") or ()))
            watched = (a["Namespace"], a["MetricName"], dims)
            self._watch.setdefault(watched, []).append(ev)
            if a.get("ExtendedStatistic"):
                self._needs_values.add(watched)
            stat = a.get("Statistic") or a.get("ExtendedStatistic")
            self._plans.append((watched, ev.period * 1000, len(ev.periods(0)), 10_000 if ev.period < 60 else 60_000,
                                a.get("Unit"), parse_statistic(stat) if isinstance(stat, str) else stat))
        # (namespace, name, dims) -> SortedDict (base period start, unit) -> Aggregate
        self._history: dict[tuple, SortedDict] = {}
        self._keep_ms = max(
            [ev.period * 1000 * (ev.alarm["EvaluationPeriods"] + max(ev.alarm["EvaluationPeriods"] // 3, 2) + 1)
             for ev in self.evaluators] or [0]
        )
        self._horizon: int | None = None  # history before this instant is no longer evaluated
        # Ids of the history's aggregates that belong to the caller of `add_aggregates` (copied
        # before a change).
        self._borrowed: set[int] = set()
        self._next_t: int | None = None
        self._unreported: list[AlarmChange] = []  # transitions of an interrupted `evaluate_until`
        self.ever_alarm: set[str] = set()

    def range_ms(self) -> int:
        """The longest stretch of history an evaluation looks at (range plus a period)."""
        return self._keep_ms + self._base_ms

    def watches(self, key: MetricKey) -> bool:
        return (key.namespace, key.name, key.dimensions) in self._watch

    @property
    def needs_values(self) -> bool:
        """Whether an alarm's statistic needs the value maps (percentiles, trimmed means ...)."""
        return bool(self._needs_values)

    def add(self, key: MetricKey, ts: int, value: float) -> None:
        """Merge one sample into the history, whenever it arrives."""
        start = ts - ts % self._base_ms
        if self._horizon is not None and start < self._horizon:
            return  # no evaluation will look at it any more
        watched = (key.namespace, key.name, key.dimensions)
        hist = self._history.get(watched)
        if hist is None:
            hist = self._history[watched] = SortedDict()
        slot = (start, key.unit or "None")
        agg = hist.get(slot)
        if agg is None:
            agg = hist[slot] = Aggregate() if watched in self._needs_values else Aggregate.compact()
        elif self._borrowed and id(agg) in self._borrowed:
            agg = hist[slot] = agg.copy()
        agg.add(value)

    def add_aggregates(self, cells: Iterable[tuple[tuple[MetricKey, int], Aggregate]]) -> None:
        """`add_aggregate` for each ``((series, start), aggregate)`` of `cells`; into an empty
        history, at once: each series' cells sorted once, and an aggregate of the right kind
        taken as it is, copied only before the history would change it."""
        if self._history:
            for (key, start_ms), agg in cells:
                self.add_aggregate(key, start_ms, agg)
            return
        grouped: dict[tuple, dict] = {}
        targets: dict[int, tuple | None] = {}  # id of a series key -> (its cells, unit, keeps values)
        owned: set[int] = set()  # ids of the aggregates made here; every other one is the caller's
        base = self._base_ms
        for (key, start_ms), agg in cells:
            target = targets.get(id(key), False)
            if target is False:
                watched = (key.namespace, key.name, key.dimensions)
                target = targets[id(key)] = (
                    (grouped.setdefault(watched, {}), key.unit or "None", watched in self._needs_values)
                    if watched in self._watch else None)
            if target is None:
                continue
            slots, unit, full = target
            slot = (start_ms - start_ms % base, unit)
            have = slots.get(slot)
            if have is None:
                if agg.is_compact or full:
                    slots[slot] = agg  # what merging it into an empty aggregate makes
                    continue
                slots[slot] = have = Aggregate.compact()
                owned.add(id(have))
            elif id(have) not in owned:
                slots[slot] = have = have.copy()
                owned.add(id(have))
            have.merge_in(agg)
        borrowed = self._borrowed
        for watched, slots in grouped.items():
            self._history[watched] = SortedDict(slots)
            borrowed.update(map(id, slots.values()))
        borrowed -= owned

    def add_aggregate(self, key: MetricKey, start_ms: int, agg: Aggregate) -> None:
        """Merge the samples of one cadence period (`base_seconds`) of a series into the history."""
        watched = (key.namespace, key.name, key.dimensions)
        if watched not in self._watch:
            return
        hist = self._history.get(watched)
        if hist is None:
            hist = self._history[watched] = SortedDict()
        slot = (start_ms - start_ms % self._base_ms, key.unit or "None")
        have = hist.get(slot)
        if have is None:
            if agg.is_compact or watched in self._needs_values:
                hist[slot] = agg.copy()  # what merging it into an empty aggregate makes
                return
            hist[slot] = have = Aggregate.compact()
        elif self._borrowed and id(have) in self._borrowed:
            hist[slot] = have = have.copy()
        have.merge_in(agg)

    def _step(self) -> int:
        return self._base_ms

    def _cell_index(self) -> dict[tuple, tuple[list[int], list[str], list[Aggregate]]]:
        """Per watched series, its cells by start (then unit): starts, units and aggregates."""
        index = {}
        for watched, hist in self._history.items():
            if hist:
                keys = list(hist)
                index[watched] = ([k[0] for k in keys], [k[1] for k in keys], list(map(hist.__getitem__, keys)))
        return index

    @staticmethod
    def _points(cells, t: int, plan: tuple, periods: dict) -> tuple[tuple, ...]:
        """The datapoints of an evaluation at `t` (a cadence boundary): ``(position, period start,
        statistic, sample count)``, newest period first, each period's cells merged (a tuple: a
        transition keeps it as it is).

        `periods` keeps each period's ``(statistic, sample count)`` by its start: a period is
        merged once, not again at each later evaluation whose range holds it.
        """
        starts, units, aggs = cells
        _, p_ms, size, _, unit, stat = plan
        lo, hi = bisect_left(starts, t - size * p_ms), bisect_left(starts, t)
        if hi - lo == 1:  # the common case of sparse data: one cell in range
            agg = aggs[lo]
            if not agg.sample_count or (unit and units[lo] != unit):
                return ()
            pos = (t - starts[lo] - 1) // p_ms + 1
            return ((pos, t - pos * p_ms, agg.statistic(stat), agg.sample_count),)
        if lo == hi:
            return ()
        out = []
        for pos in range(1, size + 1):
            start = t - pos * p_ms
            known = periods.get(start)
            if known is None:
                known = periods[start] = _merged(cells, bisect_left(starts, start, lo, hi),
                                                 bisect_left(starts, start + p_ms, lo, hi), unit, stat)
            if known:
                out.append((pos, start, *known))
        return tuple(out)

    @staticmethod
    def _changes(starts: list[int], plan: tuple, moves: bool = True) -> list[int]:
        """The evaluation times at which a cell enters the range, moves to another period or
        leaves the range, ascending. Between two of them every evaluation places the same cells
        in the same periods, so it decides the same state.

        Without `moves` (an alarm whose state does not depend on the positions of its periods,
        only on their order: see `AlarmEvaluator.positions_matter`), only the moves of a cell
        less than a period from another one are evaluated: they decide whether the two share a
        period. The others are evaluated where they enter the range and where they leave it;
        in between, the range holds the same cells, one to a period, in the same order."""
        _, p_ms, size, step, _, _ = plan
        out = set()
        span = size * p_ms
        last = len(starts) - 1
        for j, c in enumerate(starts):
            if not moves and (j == 0 or c - starts[j - 1] >= p_ms) and (j == last or starts[j + 1] - c >= p_ms):
                out.add(c - c % step + step)
                out.add((c + span) - (c + span) % step + step)
                continue
            # A cell starting at c is in period k + 1 at the boundaries after c + k * Period
            # (through c + (k + 1) * Period), and out of range after c + size * Period.
            for x in range(c, c + (size + 1) * p_ms, p_ms):
                out.add(x - x % step + step)
        return sorted(out)

    def evaluate_until(self, limit_ms: int, first_ms: int, *, whole: bool = False) -> list[AlarmChange]:
        """Evaluate at every cadence boundary not yet evaluated, from the first boundary at or
        after `first_ms` (the alarms' creation, A7) up to `limit_ms` (DECISIONS A1).

        `whole`: the history is complete and evaluated in one call (batch, `close`); without
        composite alarms, each alarm is then evaluated on its own through its evaluation times."""
        if not self.evaluators and not self.composites:
            return []
        step = self._step()
        if self._next_t is None:
            self._next_t = -(-first_ms // step) * step
            for ev in self.evaluators:
                ev.state_timestamp = first_ms  # created with the first event (A7)
        changes = self._unreported
        t = self._next_t
        first_round = t == -(-first_ms // step) * step
        # An evaluation decides its state from the cells in its range and the period each falls
        # in; until a cell enters the range, moves to another period or leaves the range, the
        # next evaluations decide the same, so an alarm is evaluated only at those boundaries (a
        # timeline of years with a few events is evaluated in time bounded by its data).
        index = self._cell_index()
        plans = self._plans
        evaluators = self.evaluators
        changes_at: dict[tuple, list[int]] = {}
        merged: dict[tuple, dict] = {}  # per (series, period, unit, statistic): periods merged
        work = []  # per evaluator: (evaluator, plan, cells, periods merged, evaluation times)
        sweep = whole and not self.composites
        for ev, plan in zip(evaluators, plans):
            cells = index.get(plan[0])
            moves = ev.positions_matter()
            key = (*plan[:4], moves)
            # (A swept alarm decided by its flags finds its own evaluation times: `_flag_evaluations`.)
            if cells and key not in changes_at and not (sweep and ev._by_flags is not None):
                changes_at[key] = self._changes(cells[0], plan, moves)
            periods = merged.setdefault((plan[0], plan[1], plan[4], plan[5]), {})
            work.append((ev, plan, cells, periods, changes_at.get(key, [])))
        if sweep:
            return self._sweep(t, limit_ms, work)
        # (next evaluation time, evaluator): every alarm is evaluated at the first boundary.
        wake = [(t, i) for i in range(len(evaluators))]
        while t <= limit_ms:
            # Interrupted (Ctrl-C), the next call resumes here: no alarm has been evaluated after t.
            self._next_t = t
            changed: list[str] = []
            due = []
            while wake and wake[0][0] <= t:
                due.append(heapq.heappop(wake)[1])
            due.sort()  # evaluators in their order, as composites see their changes
            for i in due:
                ev, plan, cells, periods, later = work[i]
                if t % plan[3]:  # a one-minute alarm, at a 10-second boundary
                    heapq.heappush(wake, (t - t % plan[3] + plan[3], i))
                    continue
                tr = ev.evaluate_points(t, self._points(cells, t, plan, periods) if cells else [])
                j = bisect_right(later, t)
                if j < len(later):
                    heapq.heappush(wake, (later[j], i))
                if tr is not None:
                    changed.append(ev.name)
                    changes.append(AlarmChange(ev.alarm, tr, ev))
                    if tr.new_state == "ALARM":
                        self.ever_alarm.add(ev.name)
            if self.composites and (changed or first_round):
                states = {ev.name: (ev.state, ev.state_timestamp or t) for ev in self.evaluators}
                for comp in self.composites:
                    names = set(comp.rule.alarm_names) | ({comp.suppressor} if comp.suppressor else set())
                    if not (changed or first_round) or (not first_round and not names & set(changed)):
                        continue
                    child = [n for n in changed if n in names]
                    tr = comp.update(t, {n: states[n] for n in names if n in states}, changed=child[-1] if child else None)
                    states[comp.name] = (comp.state, comp.state_timestamp or t)
                    if tr is not None:
                        changed.append(comp.name)
                        changes.append(AlarmChange(comp.alarm, tr, comp, composite=True))
                        if tr.new_state == "ALARM":
                            self.ever_alarm.add(comp.name)
            for comp in self.composites:
                comp.advance(t)
            first_round = False
            nxt = wake[0][0] if wake else (_NEVER if evaluators else t + step)
            for comp in self.composites:
                if comp.waiting_until is not None:
                    nxt = min(nxt, comp.waiting_until)
            t = max(t + step, -(-min(nxt, limit_ms + 1) // step) * step)
        self._next_t = t
        self._prune(t)
        self._unreported = []
        return changes

    def _sweep(self, t: int, limit_ms: int, work: list[tuple]) -> list[AlarmChange]:
        """`evaluate_until` over a whole history without composite alarms: the metric alarms do
        not depend on each other, so each is evaluated through its own times (the first boundary,
        then its changes) without the shared clock, and the transitions are put in the order the
        clock gives them: by time, then alarm. (Not resumable half-way: a batch run interrupted
        here evaluates again from a new bank.)"""
        changes: list = []  # every alarm's, alarm by alarm, each alarm's in time order
        points_of = self._points
        new = object.__new__
        for ev, plan, cells, periods, later in work:
            cadence = plan[3]
            first = -(-t // cadence) * cadence  # a one-minute alarm, from a 10-second boundary
            if first > limit_ms:
                continue
            if cells and ev._by_flags is not None:
                transitions = self._sweep_flags(ev, plan, cells, periods, first, limit_ms)
            else:
                times = [first, *later[bisect_right(later, first):bisect_right(later, limit_ms)]]
                transitions = [tr for x in times
                               if (tr := ev.evaluate_points(x, points_of(cells, x, plan, periods) if cells else ()))]
            alarm = ev.alarm
            for tr in transitions:  # `AlarmChange(alarm, tr, ev)`, without the call
                change = new(AlarmChange)
                change._alarm, change._transition, change._evaluator, change._composite = alarm, tr, ev, False
                changes.append(change)
            if any(tr.new_state == "ALARM" for tr in transitions):
                self.ever_alarm.add(ev.name)
        changes.sort(key=_CHANGE_TIME)  # by time; at one time, in the alarms' order (a stable sort)
        self._unreported += changes
        changes = self._unreported
        step = self._step()
        self._next_t = t = max(t, limit_ms - limit_ms % step + step)
        self._prune(t)
        self._unreported = []
        return changes

    def _sweep_flags(self, ev, plan: tuple, cells: tuple, periods: dict, first: int, limit_ms: int) -> list:
        """`ev.evaluate_points` at the first boundary and every later one up to `limit_ms` where
        the range changes, for an alarm whose state follows from the breaching flags of its
        points in order (`AlarmEvaluator._by_flags`; the times are those of `_changes` without
        `moves`). An evaluation whose points are plain (finite doubles and integer counts) is
        decided here from its flags (`AlarmEvaluator._flag_state`), its transition made as
        `AlarmEvaluator._change` makes it, and the last evaluation recorded as `_kept` records
        it; any other goes through `evaluate_points` (`_settle`).

        The cells come in runs: cells less than a range apart. The times of a run follow those
        of the run before, the first of a run at most equal to the last of the one before, and
        then the range at that time is the later run's: the earlier run's time is left out. A run
        of one cell is evaluated from that cell alone where it enters (no other cell is in its
        ranges) and from an empty range where it leaves; the times of a longer run are those
        `_changes` gives it, each range placed from its cells (`_placed`)."""
        from ..alarms.evaluate import _KEEP
        from ..alarms.notifications import Transition

        make = Transition._of
        starts, units, aggs = cells
        _, p_ms, size, step, unit, stat = plan
        span = size * p_ms
        value_of = STATISTICS[stat.kind]
        compare, threshold, flag_state = ev._compare, ev._spec.threshold, ev._flag_state
        name, spec = ev.name, ev._spec
        # The states of a range holding one plain point, breaching or not, and of an empty range.
        on_true, on_false, on_empty = flag_state((True,)), flag_state((False,)), flag_state(())
        placed = self._placed
        alone: dict[int, tuple] = {}  # see `_placed`
        out: list = []
        append = out.append
        # The evaluator's state as decided here (`ev` is brought up to date at the end, and
        # before an evaluation `_settle` hands it), and the last evaluation decided here.
        state, why, since = ev.state, ev._why, ev.state_timestamp
        last_x = last_points = last_prior = None  # time, points, state before it
        synced = 0  # transitions of `out` already in `ev.transitions`
        n = len(starts)
        lo, hi = bisect_left(starts, first - span), bisect_left(starts, first)
        j = -1  # the last cell of the run evaluated (none yet: the first boundary, its range found above)
        end = following = 0  # the end of a run (excluded), and the first time of the next one
        times: Iterable[int] = (first,)
        while True:
            for x in times:  # a run of several cells (or the first boundary), through `_placed`
                if j >= 0:
                    if x > limit_ms:
                        break
                    if x <= first or x == following:
                        continue
                    while hi < end and starts[hi] < x:
                        hi += 1
                    while lo < hi and starts[lo] < x - span:
                        lo += 1
                flags, points = placed(cells, x, plan, periods, compare, threshold, alone, lo, hi)
                if flags is None:
                    synced, state, why, since = self._settle(ev, out, synced, state, why, since, last_x,
                                                             last_points, last_prior, x, cells, plan, periods)
                    last_x = None
                    continue
                new = flag_state(flags)
                last_x, last_points, last_prior = x, points, state
                if new is not _KEEP and new != state:
                    append(why := make(name, x, state, why, since, new, spec, None, points))
                    state, since = new, x
            if j >= n - 1:
                break
            j = lo = hi = j + 1
            c = starts[j]
            end = j + 1
            while end < n and starts[end] - starts[end - 1] < span:
                end += 1
            following = starts[end] - starts[end] % step + step if end < n else None
            if end > j + 1:
                times = self._changes(starts[j:end], plan, moves=False)
                j = end - 1
                continue
            times = ()
            # A cell alone in every range that holds it: the cell where it enters, none where it leaves.
            enter = c - c % step + step
            if enter > limit_ms:
                break
            if enter > first:
                agg = aggs[j]
                count = agg.sample_count
                if not count or (unit and units[j] != unit):
                    new, points = on_empty, ()
                else:
                    value = value_of(agg, stat)
                    pos = (enter - c - 1) // p_ms + 1
                    points = ((pos, enter - pos * p_ms, value, count),)
                    if type(value) is float and value - value == 0.0 and type(count) is int and 0 < count < _EXACT:
                        new = on_true if compare(value, threshold) else on_false
                    else:
                        new = None
                if new is None:
                    synced, state, why, since = self._settle(ev, out, synced, state, why, since, last_x,
                                                             last_points, last_prior, enter, cells, plan, periods)
                    last_x = None
                else:
                    last_x, last_points, last_prior = enter, points, state
                    if new is not _KEEP and new != state:
                        append(why := make(name, enter, state, why, since, new, spec, None, points))
                        state, since = new, enter
            leave = (c + span) - (c + span) % step + step
            if first < leave <= limit_ms and leave != following:
                last_x, last_points, last_prior = leave, (), state
                if on_empty is not _KEEP and on_empty != state:
                    append(why := make(name, leave, state, why, since, on_empty, spec, None, ()))
                    state, since = on_empty, leave
        self._settle(ev, out, synced, state, why, since, last_x, last_points, last_prior)
        return out

    def _settle(self, ev, out: list, synced: int, state: str, why: Any, since: int | None, last_x: int | None,
                last_points: tuple, last_prior: str, x: int | None = None, cells: tuple = (), plan: tuple = (),
                periods: dict | None = None) -> tuple:
        """Bring `ev` up to date with what `_sweep_flags` decided: its state, reason and since,
        the transitions of `out` after the first `synced`, and the last evaluation (`last_x`,
        its points and the state before it, recorded as `AlarmEvaluator._kept` records one);
        then, given a time `x`, evaluate there through `evaluate_points`. Returns the
        transitions of `out` now in `ev.transitions` and the evaluator's state, reason and since."""
        if synced < len(out):
            ev.transitions += out[synced:]
        ev.state, ev._why, ev.state_timestamp = state, why, since
        if last_x is not None:
            ev._last_at, ev._last, ev._last_built, ev._last_points = last_x, None, None, (last_x, last_points, last_prior)
        if x is not None and (tr := ev.evaluate_points(x, self._points(cells, x, plan, periods))) is not None:
            out.append(tr)
        return len(out), ev.state, ev._why, ev.state_timestamp

    @staticmethod
    def _placed(cells: tuple, x: int, plan: tuple, periods: dict, compare: Callable, threshold: float,
                alone: dict, lo: int, hi: int) -> tuple:
        """``(flags, points)`` of an evaluation at `x` whose range holds the cells `lo` to `hi`
        (excluded): `_points`, and the breaching flags of the points, or None when a point is not
        a plain one (a finite double and an integer count). A range of a few cells is placed from
        its cells, each period found from its newest cell, not period by period; `alone` keeps
        the statistic and count of a cell by its index, for a period that holds it alone (the
        period moves on with the clock, the cell stays)."""
        if hi - lo > _FEW_CELLS:
            points = AlarmBank._points(cells, x, plan, periods)
            flags = [compare(v, threshold) for _, _, v, c in points
                     if type(v) is float and v - v == 0.0 and type(c) is int and 0 < c < _EXACT]
            return (tuple(flags) if len(flags) == len(points) else None), points
        starts = cells[0]
        p_ms, unit, stat = plan[1], plan[4], plan[5]
        found = []
        flags = []
        plain = True
        j = hi - 1
        while j >= lo:  # newest first
            pos = (x - starts[j] - 1) // p_ms + 1
            start = x - pos * p_ms
            k = j
            while k > lo and starts[k - 1] >= start:
                k -= 1
            if k == j:
                known = alone.get(j)
                if known is None:
                    known = alone[j] = _merged(cells, j, j + 1, unit, stat)
            else:
                known = periods.get(start)
                if known is None:
                    known = periods[start] = _merged(cells, k, j + 1, unit, stat)
            if known:
                value, count = known
                found.append((pos, start, value, count))
                if type(value) is float and value - value == 0.0 and type(count) is int and 0 < count < _EXACT:
                    flags.append(compare(value, threshold))
                else:
                    plain = False
            j = k - 1
        return (tuple(flags) if plain else None), tuple(found)

    def _prune(self, now: int) -> None:
        horizon = now - self._keep_ms - self._step()
        self._horizon = horizon
        for hist in self._history.values():
            if hist and hist.peekitem(-1)[0][0] < horizon:
                hist.clear()
            elif hist and hist.peekitem(0)[0][0] < horizon:
                old = hist.bisect_left((horizon,))
                if old > 64:  # (a whole run's history at its end)
                    keep = hist.items()[old:]
                    hist.clear()
                    hist.update(keep)
                while hist and hist.peekitem(0)[0][0] < horizon:
                    hist.popitem(0)

    def close(self, last_event_ms: int, first_event_ms: int, until_ms: int | None) -> list[AlarmChange]:
        """Batch: evaluate from the first event through the first boundary after the last event,
        or through `until_ms` (DECISIONS A1)."""
        step = self._step()
        last = (last_event_ms // step + 1) * step
        if until_ms is not None:
            last = max(last, until_ms - until_ms % step)
        return self.evaluate_until(last, first_event_ms, whole=True)

    def summary(self) -> list[dict]:
        out = []
        for ev in list(self.evaluators) + list(self.composites):
            out.append({"alarmName": ev.name, "stateValue": ev.state, "stateReason": ev.reason,
                        "transitions": len(ev.transitions)})
        for name in self.unsupported:
            out.append({"alarmName": name, "stateValue": "INSUFFICIENT_DATA",
                        "stateReason": "not evaluated: metric-math and anomaly-detection alarms are not simulated",
                        "transitions": 0})
        return out
