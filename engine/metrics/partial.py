"""Partial aggregates of a run: built from part of the events, merged exactly, finished once.

A `RunAggregate` holds everything a batch run needs to produce its results, and nothing that
depends on the order of events:

* the samples of every series in every period (`Aggregate`s: exact sums, value maps where a
  statistic needs the values), at the run's period;
* the samples of the series the alarms watch, at the alarms' cadence (60 s, or 10 s when an alarm
  has a 10, 20 or 30 second period), with the unit apart;
* for each filter with a ``defaultValue``, the minutes in which its log group had events and the
  minutes in which it matched (DECISIONS M2: the default samples are settled only when every part
  is in, since another part may hold the match of a minute);
* the per-filter counters, the event counters and the earliest and newest event times;
* the accounting of the inputs read.

Parts built from any split of the events (files, partitions of a Spark job, days of an archive)
merge, in any order and any tree, into the aggregate one `Engine` fed every event would have
built: `merge` is exact, percentiles included. `finish` turns the whole into datapoints, the
alarm history (evaluated from the earliest event, DECISIONS A1) and the run summary; a local
batch run is the one-part case (`Engine.close`).

`to_rows` / `from_rows` turn an aggregate into flat records and back, exactly (see `ROW_FIELDS`),
for storage (Parquet) and for distributed reduction (`row_key`, `merge_rows`).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from .series import Aggregate
from .transform import MetricKey

#: Version of the row format below; `from_rows` refuses rows of another version.
ROW_FORMAT_VERSION = 1

#: The fields of an aggregate row, in order. Every row has every field (None where unused).
#:
#: * ``format``: `ROW_FORMAT_VERSION`.
#: * ``kind``: ``metric`` (samples of a series in a period at the run's period), ``alarm``
#:   (samples of a series an alarm watches, at the alarms' cadence), ``minutes`` (a filter's
#:   default-value minutes), ``filter`` (a filter's counters), ``run`` (event counters and
#:   times) or ``inputs`` (the accounting of the inputs read).
#: * ``namespace``, ``metric``, ``dimensions`` (``[[name, value], ...]`` sorted by name), ``unit``
#:   (None for no unit): the series, for ``metric`` and ``alarm`` rows.
#: * ``period`` (seconds) and ``start`` (epoch milliseconds, the period start): the cell.
#: * ``sample_count``, ``minimum``, ``maximum``: the samples' count and extremes.
#: * ``values`` / ``counts``: the distinct values (ascending) and how often each occurs; None in a
#:   compact aggregate, which keeps the exact ``sum`` only.
#: * ``sum``: the exact sum of the samples as ``"N/2^K"`` (an integer numerator over a power of two,
#:   as every sum of doubles is), for compact aggregates; None with ``values``.
#: * ``filter``: the filter's index in the config's ``metricFilters`` (``minutes``, ``filter``
#:   rows); ``name``: its filterName.
#: * ``minutes``: epoch milliseconds of the minutes in which the filter's log group had events;
#:   ``matched``: those in which the filter matched (``minutes`` rows).
#: * ``counters``: name -> count (``filter`` and ``run`` rows; the ``run`` row also carries
#:   ``alarmPeriod``, the alarm cells' period, and ``firstEventMs`` and ``lastEventMs`` when
#:   events were read; its ``period`` is the metric cells' period).
#: * ``detail``: the inputs' accounting as JSON (``inputs`` rows).
ROW_FIELDS = (
    "format", "kind", "namespace", "metric", "dimensions", "unit", "period", "start",
    "sample_count", "minimum", "maximum", "values", "counts", "sum",
    "filter", "name", "minutes", "matched", "counters", "detail",
)

_FILTER_COUNTERS = ("events", "matched", "rejected", "samples", "defaultSamples",
                    "valueNotNumeric", "dimensionMissing")
_RUN_COUNTERS = ("events", "unrouted", "noTimestamp")


@dataclass
class RunAggregate:
    """A mergeable partial aggregate of a batch run (see the module docstring).

    Attributes:
        period: seconds of the ``metric`` cells.
        cells: (series, period start) -> samples at `period`.
        alarm_cells: (series, start) -> samples of watched series at the alarms' cadence.
        seen_minutes / matched_minutes: filter index -> minutes (epoch ms), for default values.
        filters: filter index -> (filterName, counters).
        counters: run counters: ``events``, ``unrouted``, ``noTimestamp`` (events refused for
            having no timestamp of their own).
        first_ms / last_ms: the earliest and newest event times, None without events.
        inputs: the inputs' accounting (`InputStats.as_dict` shape, merged), None if unknown.
    """

    period: int = 60
    cells: dict[tuple[MetricKey, int], Aggregate] = field(default_factory=dict)
    alarm_cells: dict[tuple[MetricKey, int], Aggregate] = field(default_factory=dict)
    alarm_period: int = 60
    seen_minutes: dict[int, set[int]] = field(default_factory=dict)
    matched_minutes: dict[int, set[int]] = field(default_factory=dict)
    filters: dict[int, tuple[str, dict[str, int]]] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_RUN_COUNTERS, 0))
    first_ms: int | None = None
    last_ms: int | None = None
    inputs: dict | None = None

    # ------------------------------------------------------------------ building

    @classmethod
    def from_engine(cls, engine: Any, inputs: Any = None, *, share: bool = False) -> RunAggregate:
        """The partial aggregate of a batch `Engine` fed part (or all) of the events.

        Args:
            engine: a batch-mode `Engine` that has not been closed.
            inputs: the `InputStats` of the inputs it was fed, if any.
            share: use the engine's table and aggregates themselves, not copies (the engine is done with them).
        """
        if engine.live:
            raise ValueError("a live engine has no partial aggregate: its periods are emitted as it runs")
        out = cls(period=engine.period)
        if share:
            out.cells = engine.table._cells
        else:
            out.cells = {cell: agg.copy() for cell, agg in engine.table._cells.items()}
        bank = engine.alarms
        if bank is not None:
            out.alarm_period = bank.base_seconds
            if engine._alarms_share_table:
                # The alarms kept no cells of their own: theirs are the table's, of their cadence.
                out.alarm_cells = _watched_cells(bank, engine.table._cells, share)
            for (namespace, name, dims), hist in bank._history.items():
                for (start, unit), agg in hist.items():
                    key = MetricKey(namespace, name, dims, None if unit == "None" else unit)
                    out.alarm_cells[(key, start)] = agg if share else agg.copy()
        index = {id(f): i for i, f in enumerate(engine.filters)}
        for route in engine._routes.values():
            if route.seen_minutes is None:
                continue
            for f in route.default_filters:
                out.seen_minutes.setdefault(index[id(f)], set()).update(route.seen_minutes.keys())
        for fid, minutes in engine._matched_minutes.items():
            if minutes:
                out.matched_minutes.setdefault(index[fid], set()).update(minutes)
        routed = engine._routed_events()
        for i, f in enumerate(engine.filters):
            c = f.counters
            out.filters[i] = (f.name, {
                "events": routed.get(id(f), 0), "matched": c.matched, "rejected": c.rejected,
                "samples": c.samples, "defaultSamples": c.default_samples,
                "valueNotNumeric": c.value_not_numeric, "dimensionMissing": c.dimension_missing,
            })
        out.counters["events"] = engine.events
        out.counters["unrouted"] = engine.unrouted
        out.first_ms, out.last_ms = engine.first_event_ms, engine.watermark
        if inputs is not None:
            out.inputs = inputs.as_dict()
        return out

    # ------------------------------------------------------------------ merging

    def merge(self, other: RunAggregate) -> RunAggregate:
        """Add `other` (built with the same config and period) to this aggregate, in place.

        Exact and order-free: any order or tree of merges gives the same aggregate.
        """
        if other.period != self.period or other.alarm_period != self.alarm_period:
            raise ValueError(f"cannot merge {other.period} s aggregates into {self.period} s ones")
        for mine, theirs in ((self.cells, other.cells), (self.alarm_cells, other.alarm_cells)):
            for cell, agg in theirs.items():
                have = mine.get(cell)
                if have is None:
                    mine[cell] = agg.copy()
                else:
                    have.merge_in(agg)
        for mine_m, theirs_m in ((self.seen_minutes, other.seen_minutes),
                                 (self.matched_minutes, other.matched_minutes)):
            for i, minutes in theirs_m.items():
                mine_m.setdefault(i, set()).update(minutes)
        for i, (name, counters) in other.filters.items():
            have = self.filters.get(i)
            if have is None:
                self.filters[i] = (name, dict(counters))
            else:
                for k, v in counters.items():
                    have[1][k] = have[1].get(k, 0) + v
        for k, v in other.counters.items():
            self.counters[k] = self.counters.get(k, 0) + v
        if other.first_ms is not None and (self.first_ms is None or other.first_ms < self.first_ms):
            self.first_ms = other.first_ms
        if other.last_ms is not None and (self.last_ms is None or other.last_ms > self.last_ms):
            self.last_ms = other.last_ms
        if other.inputs is not None:
            self.inputs = merge_inputs(self.inputs, other.inputs)
        return self

    # ------------------------------------------------------------------ rows

    def to_rows(self) -> Iterator[dict]:
        """The aggregate as rows (dicts with every field of `ROW_FIELDS`), in a stable order."""
        for kind, cells, period in (("metric", self.cells, self.period),
                                    ("alarm", self.alarm_cells, self.alarm_period)):
            for (key, start) in sorted(cells, key=lambda c: (c[1], _key_order(c[0]))):
                yield _cell_row(kind, key, start, period, cells[(key, start)])
        for i in sorted(set(self.seen_minutes) | set(self.matched_minutes)):
            name = self.filters.get(i, (None, {}))[0]
            yield _row("minutes", filter=i, name=name, minutes=sorted(self.seen_minutes.get(i, ())),
                       matched=sorted(self.matched_minutes.get(i, ())))
        for i in sorted(self.filters):
            name, counters = self.filters[i]
            yield _row("filter", filter=i, name=name, counters=dict(counters))
        run = dict(self.counters)
        run["alarmPeriod"] = self.alarm_period
        if self.first_ms is not None:
            run["firstEventMs"] = self.first_ms
            run["lastEventMs"] = self.last_ms
        yield _row("run", period=self.period, counters=run)
        if self.inputs is not None:
            yield _row("inputs", detail=json.dumps(self.inputs, sort_keys=True, separators=(",", ":")))

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping | Any]) -> RunAggregate:
        """Rebuild (and merge) an aggregate from rows of `to_rows`, in any order, any number of
        aggregates' rows together (Spark `Row`s are accepted)."""
        rows = [_as_dict(r) for r in rows]
        for row in rows:
            if row.get("format") != ROW_FORMAT_VERSION:
                raise ValueError(f"aggregate rows of format {row.get('format')!r}; this version reads "
                                 f"format {ROW_FORMAT_VERSION}")
        runs = [r for r in rows if r["kind"] == "run"]
        metric_periods = {int(r["period"]) for r in rows if r["kind"] == "metric"}
        alarm_periods = {int(r["period"]) for r in rows if r["kind"] == "alarm"}
        periods = {int(r["period"]) for r in runs} | metric_periods
        alarm = {int((r["counters"] or {}).get("alarmPeriod", 60)) for r in runs} | alarm_periods
        if len(periods) > 1 or len(alarm) > 1:
            raise ValueError(f"aggregate rows of different periods ({sorted(periods | alarm)} s) do not merge")
        out = cls(period=periods.pop() if periods else 60, alarm_period=alarm.pop() if alarm else 60)
        for row in rows:
            _add_row(out, row)
        return out

    # ------------------------------------------------------------------ finishing

    def default_samples(self, filters: list) -> Iterator[tuple[int, MetricKey, int, float]]:
        """DECISIONS M2: one sample of a filter's defaultValue for each minute in which its log group
        had events and it matched none, as (filter index, series, time, value).

        Args:
            filters: the `RuntimeFilter`s of the config, in its order.
        """
        from .pipeline import MINUTE_MS

        for i in sorted(self.seen_minutes):
            f = filters[i]
            if f.default_value is None:
                continue
            matched = self.matched_minutes.get(i, set())
            for minute in sorted(self.seen_minutes[i] - matched):
                # Stamped in the minute's last millisecond: inside its own period whatever its length.
                yield i, f.key(), minute + MINUTE_MS - 1, f.default_value

    def finish(self, config: Any, *, statistics: Iterable[str] = (), period: int | None = None,
               until_ms: int | None = None, account: str | None = None, region: str | None = None,
               filters: list | None = None) -> RunOutcome:
        """Datapoints, alarm transitions and summary of the whole run (this aggregate is not changed).

        Args:
            config: the run's `Config` (the same the parts were built with).
            statistics: extended statistics the datapoints report (for the caller's rendering).
            period: output period in seconds, a multiple of `period` (default: `period`).
            until_ms: evaluate alarms up to this time even past the newest event.
            account, region: the system dimension values, for the alarms' identity.
            filters: the `RuntimeFilter`s of the config, when the caller has them.
        """
        from .pipeline import AlarmBank, Datapoint
        from .transform import build_filter

        out_period = period or self.period
        if out_period % self.period:
            raise ValueError(f"the period {out_period} s is not a multiple of the aggregates' {self.period} s")
        if filters is None:
            filters = [build_filter(mf, account=account, region=region) for mf in config.metric_filters]
        cells = self.cells  # the table and its aggregates are copied before they change: this one stays as it is
        owned: set = set()
        metric_alarms = list(getattr(config, "metric_alarms", None) or [])
        composite_alarms = list(getattr(config, "composite_alarms", None) or [])
        bank = (AlarmBank(metric_alarms, composite_alarms, account=account, region=region)
                if metric_alarms or composite_alarms else None)
        alarm_ms = self.alarm_period * 1000
        if bank is not None:
            bank.add_aggregates(self.alarm_cells.items())
        default_samples: dict[int, int] = {}
        period_ms = self.period * 1000
        for i, key, ts, value in self.default_samples(filters):
            cell = (key, ts - ts % period_ms)
            if cells is self.cells:
                cells = dict(self.cells)
            agg = cells.get(cell)
            if agg is None:
                agg = cells[cell] = Aggregate()
                owned.add(cell)
            elif cell not in owned:
                agg = cells[cell] = agg.copy()
                owned.add(cell)
            agg.add(value)
            if bank is not None and bank.watches(key):
                one = Aggregate()
                one.add(value)
                bank.add_aggregate(key, ts - ts % alarm_ms, one)
            default_samples[i] = default_samples.get(i, 0) + 1
        out_ms = out_period * 1000
        merged: dict[tuple[MetricKey, int], Aggregate] = {}
        if out_period == self.period:
            merged = cells
        else:
            for (key, start), agg in cells.items():
                cell = (key, start - start % out_ms)
                have = merged.get(cell)
                if have is None:
                    merged[cell] = agg.copy()
                else:
                    have.merge_in(agg)
        datapoints = [Datapoint(k, s, out_period, agg) for (k, s), agg in sorted(merged.items(), key=_item_order)]
        changes: list = []
        if bank is not None:
            first = self.first_ms if self.first_ms is not None else until_ms
            if first is not None:
                last = self.last_ms if self.last_ms is not None else first
                changes = bank.close(last, first, until_ms)
        counters = {}
        for i, f in enumerate(filters):
            _, c = self.filters.get(i, (f.name, {}))
            events = c.get("events", 0)
            counters[i] = {
                "read": events + c.get("rejected", 0), "matched": c.get("matched", 0),
                "unmatched": events - c.get("matched", 0), "rejected": c.get("rejected", 0),
                "samples": c.get("samples", 0),
                "defaultSamples": c.get("defaultSamples", 0) + default_samples.get(i, 0),
                "valueNotNumeric": c.get("valueNotNumeric", 0), "dimensionMissing": c.get("dimensionMissing", 0),
            }
        summary: dict = {
            "mode": "batch",
            "events": self.counters.get("events", 0),
            "unrouted": self.counters.get("unrouted", 0),
            "alarms": bank.summary() if bank is not None else [],
            "filters": [{"filterName": f.name, "logGroupName": f.log_group, **counters[i]}
                        for i, f in enumerate(filters)],
        }
        if self.counters.get("noTimestamp"):
            summary["refused"] = {"noTimestamp": self.counters["noTimestamp"]}
        if self.inputs is not None:
            from .runner import losses

            inputs = dict(self.inputs)
            inputs["sources"] = sorted(inputs.get("sources", []), key=lambda s: s["source"])
            inputs["cloudtrail_digest_files"] = sum(s["format"] == "cloudtrail-digest" for s in inputs["sources"])
            summary["inputs"] = inputs
            summary["losses"] = losses(summary)
        return RunOutcome(datapoints, changes, summary, bank, default_samples, list(statistics))


@dataclass
class RunOutcome:
    """What `RunAggregate.finish` produces."""

    datapoints: list
    changes: list
    summary: dict
    alarms: Any = None
    #: filter index -> default-value samples settled at the end (DECISIONS M2).
    default_samples: dict[int, int] = field(default_factory=dict)
    statistics: list[str] = field(default_factory=list)

    def items(self) -> list:
        """Datapoints, then alarm transitions, as `Engine.close` returns them."""
        return list(self.datapoints) + list(self.changes)


# ---------------------------------------------------------------------------- rows


def row_key(row: Mapping | Any) -> tuple:
    """The identity of a row: rows with the same key merge into one (`merge_rows`)."""
    r = _as_dict(row)
    kind = r["kind"]
    if kind in ("metric", "alarm"):
        return (kind, r["namespace"], r["metric"], tuple(tuple(d) for d in r["dimensions"] or ()),
                r["unit"] or "", r["period"], r["start"])
    if kind in ("minutes", "filter"):
        return (kind, r["filter"])
    return (kind,)


def merge_rows(a: Mapping | Any, b: Mapping | Any) -> dict:
    """Two rows of the same `row_key` merged into one (exact; any order, any tree)."""
    rows = list(RunAggregate.from_rows([a, b]).to_rows())
    kind = _as_dict(a)["kind"]
    return next(r for r in rows if r["kind"] == kind)


def merge_inputs(a: dict | None, b: dict) -> dict:
    """Two inputs' accountings (`InputStats.as_dict` shape) as one; sources by name."""
    if a is None:
        return copy.deepcopy(b)
    total = _sum_counts(a.get("total") or {}, b.get("total") or {})
    sources: dict[str, dict] = {s["source"]: s for s in a.get("sources", [])}
    for s in b.get("sources", []):
        have = sources.get(s["source"])
        sources[s["source"]] = s if have is None else {**_sum_counts(have, s), "format": have.get("format")}
    problems = sorted(a.get("problems", []) + b.get("problems", []),
                      key=lambda p: (p["source"], p["position"], p["kind"], p["detail"]))
    out = dict(a)
    out.update(total=total, sources=[sources[k] for k in sorted(sources)], problems=problems,
               details_dropped=a.get("details_dropped", 0) + b.get("details_dropped", 0))
    return out


def _sum_counts(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        if isinstance(v, bool) or k in ("source", "format"):
            out.setdefault(k, v)
        elif isinstance(v, int):
            out[k] = out.get(k, 0) + v
        elif isinstance(v, dict):
            out[k] = dict(sorted(_sum_counts(out.get(k) or {}, v).items()))
    return out


def _row(kind: str, **fields: Any) -> dict:
    row = dict.fromkeys(ROW_FIELDS)
    row["format"] = ROW_FORMAT_VERSION
    row["kind"] = kind
    row.update(fields)
    return row


def _watched_cells(bank: Any, cells: dict[tuple[MetricKey, int], Aggregate], share: bool) -> dict:
    """The cells of the series `bank`'s alarms watch, as its own history would hold them: one per
    start and unit, a unit named "None" the same as none."""
    watched: dict[int, bool] = {}  # id of a series key -> kept as it is
    for key, _ in cells:
        if id(key) not in watched:
            watched[id(key)] = bank.watches(key) and key.unit != "None"
    if all(watched.values()):  # (the common case: every series has an alarm)
        return dict(cells) if share else {cell: agg.copy() for cell, agg in cells.items()}
    out: dict[tuple[MetricKey, int], Aggregate] = {}
    for cell, agg in cells.items():
        key = cell[0]
        if not watched[id(key)]:
            if not bank.watches(key):
                continue
            cell = (MetricKey(key.namespace, key.name, key.dimensions), cell[1])
        have = out.get(cell)
        out[cell] = (agg if share else agg.copy()) if have is None else have.merge(agg)
    return out


def _cell_row(kind: str, key: MetricKey, start: int, period: int, agg: Aggregate) -> dict:
    fields: dict = {"namespace": key.namespace, "metric": key.name, "dimensions": [list(d) for d in key.dimensions],
                    "unit": key.unit, "period": period, "start": start, "sample_count": agg.sample_count,
                    "minimum": agg.minimum, "maximum": agg.maximum}
    if agg.is_compact:
        exact = agg._exact_sum()
        fields["sum"] = f"{exact.numerator}/2^{exact.denominator.bit_length() - 1}"
    else:
        fields["values"], fields["counts"] = agg.values_counts()
    return _row(kind, **fields)


def _as_dict(row: Mapping | Any) -> dict:
    if isinstance(row, dict):
        return row
    if hasattr(row, "asDict"):  # a Spark Row
        return row.asDict(recursive=True)
    return dict(row)


def _aggregate(row: dict) -> Aggregate:
    if row.get("values") is not None:
        return Aggregate.of([float(v) for v in row["values"]], [int(c) for c in row["counts"]])
    numerator, _, shift = str(row["sum"]).partition("/2^")
    exact = Fraction(int(numerator), 1 << int(shift))
    agg = Aggregate(int(row["sample_count"]), float(row["minimum"]), float(row["maximum"]), None)
    agg._set_exact(exact)
    return agg


def _add_row(out: RunAggregate, row: dict) -> None:
    """Merge one row into `out`."""
    kind = row["kind"]
    if kind in ("metric", "alarm"):
        dims = tuple(sorted((str(d[0]), str(d[1])) for d in row["dimensions"] or ()))
        key = MetricKey(row["namespace"], row["metric"], dims, row["unit"])
        cells = out.cells if kind == "metric" else out.alarm_cells
        cell = (key, int(row["start"]))
        have = cells.get(cell)
        if have is None:
            cells[cell] = _aggregate(row)
        else:
            have.merge_in(_aggregate(row))
    elif kind == "minutes":
        i = int(row["filter"])
        if row["minutes"]:
            out.seen_minutes.setdefault(i, set()).update(int(m) for m in row["minutes"])
        if row["matched"]:
            out.matched_minutes.setdefault(i, set()).update(int(m) for m in row["matched"])
    elif kind == "filter":
        i = int(row["filter"])
        _, have = out.filters.setdefault(i, (row["name"], {}))
        for k, v in (row["counters"] or {}).items():
            have[k] = have.get(k, 0) + int(v)
    elif kind == "run":
        counters = {k: int(v) for k, v in (row["counters"] or {}).items()}
        first = counters.pop("firstEventMs", None)
        last = counters.pop("lastEventMs", None)
        counters.pop("alarmPeriod", None)
        for k, v in counters.items():
            out.counters[k] = out.counters.get(k, 0) + v
        if first is not None and (out.first_ms is None or first < out.first_ms):
            out.first_ms = first
        if last is not None and (out.last_ms is None or last > out.last_ms):
            out.last_ms = last
    elif kind == "inputs":
        out.inputs = merge_inputs(out.inputs, json.loads(row["detail"]))
    else:
        raise ValueError(f"unknown aggregate row kind {kind!r}")


def _key_order(key: MetricKey) -> tuple:
    return (key.namespace, key.name, key.dimensions, key.unit or "")


def _item_order(item: tuple) -> tuple:
    """A ((series, start), aggregate) item by period start, then `_key_order`, in one flat tuple."""
    key, start = item[0]
    return (start, key.namespace, key.name, key.dimensions, key.unit or "")


# ---------------------------------------------------------------------------- parts


def _part_engine(config: Any, period: int, account: str | None, region: str | None,
                 default_value_mode: str) -> Any:
    from .pipeline import Engine

    # The cardinality guard watches an hour of one stream of events; a part sees only some of them.
    return Engine(config, period=period, account=account, region=region,
                  default_value_mode=default_value_mode, cardinality_guard="off", keep_values=True)


def aggregate_files(config: Any, files: Iterable[tuple[str, bytes]], *, period: int = 60, fmt: str = "auto",
                    log_group: str | None = None, account: str | None = None, region: str | None = None,
                    default_value_mode: str = "minute") -> RunAggregate:
    """The partial aggregate of whole files, each read by cwfilter's readers (gzip included).

    The unit of work of a distributed run: each worker aggregates some files and the parts are
    merged. An event without a timestamp of its own (one that would take the time of reading) is
    refused and counted (``noTimestamp``), since no distributed run could reproduce it.

    Args:
        config: the run's `Config`.
        files: (name, content) pairs; a name may end in ``@LOG_GROUP`` to bind the file.
        period: the period of the metric cells, in seconds.
        fmt, log_group: as `cwfilter run --format` and `--log-group`.
    """
    import io

    from ..inputs.readers import InputStats, parse_input_spec, read_events

    engine = _part_engine(config, period, account, region, default_value_mode)
    stats = InputStats()
    refused = 0
    for name, content in files:
        path, bound = parse_input_spec(name)
        group = bound or log_group or engine.default_log_group()
        for ev in read_events(io.BytesIO(content), source=path, fmt=fmt, log_group=group, stats=stats,
                              lookahead=1000):
            if ev.timestamp_origin == "read":
                refused += 1
                engine.reject(ev.log_group)
                continue
            engine.feed(ev.message, ev.timestamp, ev.log_group, ev.doc)
        for grp, rejected in stats.rejected_by_group.items():
            if rejected:
                engine.reject(grp or group, rejected)
        stats.rejected_by_group.clear()
    part = engine.partial(stats)
    part.counters["noTimestamp"] = refused
    return part


def aggregate_events(config: Any, events: Iterable[tuple[str, int | None, str | None]], *, period: int = 60,
                     account: str | None = None, region: str | None = None,
                     default_value_mode: str = "minute") -> RunAggregate:
    """The partial aggregate of log events already apart: (message, epoch ms, log group) triples.

    Events without a time (None) are refused and counted (``noTimestamp``); messages over
    1,048,576 bytes are rejected as `cwfilter run` rejects them.
    """
    from .pipeline import MAX_EVENT_BYTES

    engine = _part_engine(config, period, account, region, default_value_mode)
    refused = 0
    for message, timestamp, log_group in events:
        group = log_group or engine.default_log_group()
        if timestamp is None:
            refused += 1
            engine.reject(group)
            continue
        if message is None or len(message.encode("utf-8", "surrogatepass")) > MAX_EVENT_BYTES:
            engine.reject(group)
            continue
        engine.feed(message, int(timestamp), group)
    part = engine.partial()
    part.counters["noTimestamp"] = refused
    return part
