"""The streaming evaluator: log events in, closed metric datapoints out.

`Engine` is fed events one at a time or in batches (message, event time in epoch milliseconds,
log group). Each event is decoded at most once (`LogEvent`) and offered to the metric filters of
its log group; matches become samples, bucketed by event time into periods (DECISIONS M1). A
period closes once the watermark (the newest event time seen) is past its end by the lateness
window; closed periods are returned as `Datapoint`s, oldest first. Memory holds only open periods.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from sortedcontainers import SortedDict

from .events import LogEvent
from .metrics import NO_VALUE, MetricKey, RuntimeFilter, build_filter
from .series import STANDARD_STATISTICS, Aggregate, SeriesStore

MINUTE_MS = 60_000
MAX_EVENT_BYTES = 1_048_576  # DECISIONS M6


def iso(ms: int) -> str:
    """Epoch milliseconds as ISO-8601 UTC text (``2024-01-01T00:00:00Z``)."""
    t = _dt.datetime.fromtimestamp(ms / 1000, tz=_dt.timezone.utc)
    text = t.isoformat(timespec="milliseconds" if ms % 1000 else "seconds")
    return text.replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Datapoint:
    """The samples of one series in one closed period."""

    key: MetricKey
    timestamp_ms: int  # period start
    period: int  # seconds
    aggregate: Aggregate = field(repr=False)

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
        for name in STANDARD_STATISTICS:
            out[name] = agg.statistic(name)
        out["Unit"] = self.key.unit or "None"
        ext = {name: agg.statistic(name) for name in extended}
        if ext:
            out["ExtendedStatistics"] = ext
        return out

    def to_emf(self) -> Iterator[dict]:
        """CloudWatch Embedded Metric Format documents that publish these samples again.

        EMF carries values, not counts, and at most 100 values a document, so repeated values
        are expanded and long lists split over several documents.
        """
        values, counts = self.aggregate.values_counts()
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
    """Metric filters over a stream of log events.

    Args:
        config: a loaded `engine.config.Config`.
        period: output period in seconds (default 60).
        lateness: seconds after a period's end during which late events still count (default 300).
        account, region: values of the ``@aws.account`` / ``@aws.region`` system dimensions.
        default_value_mode: ``"minute"`` (DECISIONS M2) or ``"event"``.
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
    ) -> None:
        if default_value_mode not in ("minute", "event"):
            raise ValueError("default_value_mode is 'minute' or 'event'")
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
        self.store = SeriesStore(period, lateness)
        self.watermark: int | None = None
        self.first_event_ms: int | None = None
        self.events = 0
        self.unrouted = 0
        self._closed_minutes_end: int | None = None
        self._last_tick: int | None = None
        # DECISIONS M2: per filter with a defaultValue, minute start -> whether anything matched.
        self._minutes: dict[int, SortedDict] = {
            id(f): SortedDict() for f in self.filters if f.default_value is not None
        }

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

    # ------------------------------------------------------------------ feeding

    def feed(self, message: str, timestamp_ms: int, log_group: str | None = None) -> list[Datapoint]:
        """Offer one event to the filters of its log group.

        Returns:
            The datapoints of periods that closed because this event moved the watermark.
        """
        self.events += 1
        filters = self.filters_for(log_group)
        if not filters:
            self.unrouted += 1
        ev = LogEvent(message, timestamp_ms)
        for f in filters:
            c = f.counters
            c.read += 1
            if not f.compiled.match_event(ev):
                c.unmatched += 1
                if f.default_value is not None:
                    if self.default_value_mode == "event":
                        self._add(f, f.key(), timestamp_ms, f.default_value, default=True)
                    else:
                        self._seen_minute(f, timestamp_ms, matched=False)
                continue
            c.matched += 1
            if f.default_value is not None and self.default_value_mode == "minute":
                self._seen_minute(f, timestamp_ms, matched=True)
            value = f.value_of(ev)
            if value is NO_VALUE:
                c.value_not_numeric += 1  # DECISIONS M3
                continue
            dims = f.dimensions_of(ev)
            if dims is NO_VALUE:
                c.dimension_missing += 1  # DECISIONS M4
                continue
            self._add(f, f.key(dims) if dims else f.key(), timestamp_ms, value)
        if self.first_event_ms is None or timestamp_ms < self.first_event_ms:
            self.first_event_ms = timestamp_ms
        if self.watermark is None or timestamp_ms > self.watermark:
            self.watermark = timestamp_ms
            tick = timestamp_ms // 10_000
            if tick != self._last_tick:
                self._last_tick = tick
                return self.advance(timestamp_ms)
        return []

    def feed_many(self, events: Iterable[tuple[str, int] | tuple[str, int, str | None]]) -> Iterator[Datapoint]:
        """Feed (message, timestamp_ms[, log_group]) tuples; yield datapoints as periods close."""
        for item in events:
            yield from self.feed(*item)

    def reject(self, log_group: str | None, count: int = 1) -> None:
        """Account for events of a log group that were read but rejected before matching."""
        self.events += count
        for f in self.filters_for(log_group):
            f.counters.read += count
            f.counters.rejected += count

    def _add(self, f: RuntimeFilter, key: MetricKey, ts: int, value: float, default: bool = False) -> None:
        if self.store.add(key, ts, value):
            if default:
                f.counters.default_samples += 1
            else:
                f.counters.samples += 1
        else:
            f.counters.late += 1

    def _seen_minute(self, f: RuntimeFilter, ts: int, matched: bool) -> None:
        minute = ts - ts % MINUTE_MS
        if self._closed_minutes_end is not None and minute + MINUTE_MS <= self._closed_minutes_end:
            return  # that minute was already settled; the event is late for it
        table = self._minutes[id(f)]
        table[minute] = table.get(minute, False) or matched

    # ------------------------------------------------------------------ closing

    def advance(self, watermark_ms: int) -> list[Datapoint]:
        """Close every period (and default-value minute) that ends at least `lateness` before the watermark."""
        limit = watermark_ms - self.lateness * 1000
        self._settle_minutes(limit)
        return [self._datapoint(p) for p in self.store.advance(watermark_ms)]

    def close(self) -> list[Datapoint]:
        """End of input: settle every minute and close every open period."""
        self._settle_minutes(None)
        return [self._datapoint(p) for p in self.store.flush()]

    def _settle_minutes(self, limit: int | None) -> None:
        if limit is not None and (self._closed_minutes_end is None or limit > self._closed_minutes_end):
            self._closed_minutes_end = limit
        for f in self.filters:
            if f.default_value is None or self.default_value_mode != "minute":
                continue
            table = self._minutes.get(id(f))
            if not table:
                continue
            while table:
                minute, matched = table.peekitem(0)
                if limit is not None and minute + MINUTE_MS > limit:
                    break
                table.popitem(0)
                if not matched:
                    # DECISIONS M2: one defaultValue sample for a minute with events and no match.
                    self._add(f, f.key(), minute, f.default_value, default=True)

    def _datapoint(self, p) -> Datapoint:
        return Datapoint(p.key, p.start_ms, p.period_seconds, p.aggregate)

    # ------------------------------------------------------------------ reporting

    def summary(self) -> dict:
        """Per-filter accounting: read = matched + unmatched + rejected."""
        return {
            "events": self.events,
            "unrouted": self.unrouted,
            "lateSamples": self.store.late_samples,
            "filters": [
                {"filterName": f.name, "logGroupName": f.log_group, **f.counters.as_dict()}
                for f in self.filters
            ],
        }
