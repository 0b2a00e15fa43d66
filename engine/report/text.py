"""Plain-text renderings for the terminal: input notes, run summaries, metric groups, number formats.

The command line prints these lines; colour and tables (rich) are added there, on a terminal only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..inputs.records import MAX_EVENT_BYTES


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``1 event``, ``2 events``, ``1,000 events``; `many` for plurals that are not noun + s."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {many or noun + 's'}"


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


def shape_hint_notes(names: list[str]) -> list[str]:
    """For `cwfilter test` with a JSON or space-delimited pattern that matched nothing: a note
    for each input (of the first 20 named) that looks like an export or like Firehose payloads."""
    from ..inputs.payloads import HINT_TEXT, input_head, shape_hint

    notes = []
    for name in names[:20]:
        head = input_head(name)
        hint = shape_hint(head[1], "lines") if head is not None else None
        if hint is not None:
            notes.append(f"{name}: no event matched, and {HINT_TEXT[hint]}: JSON and space-delimited patterns "
                         f"cannot match its lines as they are; read it with `cwfilter run -f {hint}`")
    return notes


def group_metrics(datapoints: list[Any], statistics: list[str]) -> list[dict]:
    """GetMetricStatistics-shaped results, one entry per metric and dimension set.

    A live run emits a period again when late samples change it: only its newest revision counts.
    """
    return list(iter_metrics(datapoints, statistics))


def iter_metrics(datapoints: list[Any], statistics: list[str]) -> Iterator[dict]:
    """`group_metrics` one entry at a time, so that a writer holds one metric's datapoints."""
    for key, points in grouped_datapoints(datapoints):
        items = []
        for dp in points:
            item = dp.to_json(statistics)
            for drop in ("Namespace", "MetricName", "Dimensions"):
                item.pop(drop)
            items.append(item)
        yield {
            "Namespace": key.namespace,
            "MetricName": key.name,
            "Dimensions": key.dimensions_json(),
            "Label": key.name,
            "Datapoints": items,
        }


def grouped_datapoints(datapoints: list[Any]) -> Iterator[tuple[Any, list[Any]]]:
    """(series, its datapoints by time) in the order of `iter_metrics`.

    A live run emits a period again when late samples change it: only its newest revision counts.
    """
    if any(dp.revision for dp in datapoints):
        latest: dict[tuple, Any] = {}
        for dp in datapoints:
            seen = latest.get((dp.key, dp.timestamp_ms))
            if seen is None or dp.revision > seen.revision:
                latest[(dp.key, dp.timestamp_ms)] = dp
        datapoints = list(latest.values())
    # Series by (namespace, name, dimensions, unit), in that order (no unit sorts as ""; the last
    # item keeps a unit of "" apart from none).
    groups: dict[tuple, Any] = {}
    for dp in datapoints:
        k = dp.key
        series = (k.namespace, k.name, k.dimensions, k.unit or "", k.unit is None)
        group = groups.get(series)
        if group is None:
            groups[series] = dp  # most series of a high-cardinality run have one datapoint
        elif type(group) is list:
            group.append(dp)
        else:
            groups[series] = [group, dp]
    for series in sorted(groups):
        group = groups[series]
        if type(group) is list:
            yield group[0].key, sorted(group, key=lambda d: d.timestamp_ms)
        else:
            yield group.key, [group]


def number(value: Any) -> str:
    """A statistic for a table cell: ``-`` for none, whole floats without ``.0``, else 6 digits."""
    if value is None:
        return "-"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def short_number(value: float | None) -> str:
    """A total for a narrow table cell: every digit below 100,000 (``12,345``, ``0.25``), else
    three significant digits and a unit prefix (``2.75G``, ``692k``); ``-`` for none."""
    if value is None:
        return "-"
    size = abs(value)
    if size < 100_000:
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.6g}"
    for limit, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if size >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}"  # pragma: no cover -- every size >= 100,000 has a prefix above


def digests_skipped(count: int) -> str:
    """The note for CloudTrail digest files among the inputs, which hold no log events."""
    return f"{plural(count, 'CloudTrail digest file')} skipped; `cwfilter validate-logs` checks them"


def summary_lines(summary: dict) -> list[str]:
    """The stderr summary of `cwfilter run`: input accounting, each filter's counts, alarm states."""
    inputs = summary["inputs"]
    total = inputs["total"]
    lines = [
        f"read {plural(total['read'], 'event')} from {plural(len(inputs['sources']), 'input')}: "
        f"{total['delivered']:,} delivered, {total['rejected']:,} rejected"
        + (f", {plural(total['skipped'], 'line')} skipped" if total["skipped"] else "")
        + (f", {plural(total['control_messages'], 'control message')} (not log events)"
           if total.get("control_messages") else "")
    ]
    if inputs.get("cloudtrail_digest_files"):
        lines.append(digests_skipped(inputs["cloudtrail_digest_files"]))
    archive = summary.get("archive")
    if archive is not None:
        lines.append(f"CloudTrail archive: {archive['status']}: " + "; ".join(archive["summary"]))
        lines.extend(f"  {line}" for line in archive["invalidLines"][:10])
        if len(archive["invalidLines"]) > 10:
            lines.append(f"  ... and {len(archive['invalidLines']) - 10:,} more (see cwfilter validate-logs)")
    for kind, count in sorted(total["problems"].items()):
        lines.append(f"  {kind}: {count:,}")
    for problem in inputs["problems"][:10]:
        lines.append(f"  {problem['source']}: {problem['position']}: {problem['kind']}: {problem['detail']}")
    if len(inputs["problems"]) > 10:
        lines.append(f"  ... and {len(inputs['problems']) - 10:,} more (see --output json)")
    for f in summary["filters"]:
        extra = [
            f"{f[k]:,} {label}" if k != "defaultSamples" else plural(f[k], label)
            for k, label in (
                ("valueNotNumeric", "value not numeric"),
                ("dimensionMissing", "dimension missing"),
                ("defaultSamples", "default sample"),
            )
            if f[k]
        ]
        lines.append(
            f"{f['filterName']} ({f['logGroupName'] or 'any log group'}): read {f['read']:,} = "
            f"matched {f['matched']:,} + unmatched {f['unmatched']:,} + rejected {f['rejected']:,}; "
            f"{plural(f['samples'], 'sample')}" + ("; " + ", ".join(extra) if extra else "")
        )
    lines.extend(f"alarm {a['alarmName']}: {a['stateValue']} ({a['stateReason']})" for a in summary.get("alarms", []))
    return lines


def metric_totals(datapoints: list[Any]) -> list[dict]:
    """One row per metric and dimension set over the whole run, for the compact terminal table.

    Each row holds the totals (periods with data, samples, sum, minimum, maximum) and `trend`:
    the per-period Sum (Average for metrics whose unit is not a count; `trendOf` says which), None for the periods
    without data between the run's first and last period, for a sparkline.
    """
    groups: dict[Any, list[Any]] = {}
    for dp in datapoints:
        groups.setdefault(dp.key, []).append(dp)
    if not groups:
        return []
    period_ms = min(dp.period for dp in datapoints) * 1000
    first = min(dp.timestamp_ms for dp in datapoints)
    last = max(dp.timestamp_ms for dp in datapoints)
    rows = []
    for key in sorted(groups, key=lambda k: (k.namespace, k.name, k.dimensions, k.unit or "")):
        points = groups[key]
        trend_of = "Sum" if (key.unit or "None") in ("Count", "None") else "Average"
        by_start = {dp.timestamp_ms: dp.statistic(trend_of) for dp in points}
        minima = [v for v in (dp.statistic("Minimum") for dp in points) if v is not None]
        maxima = [v for v in (dp.statistic("Maximum") for dp in points) if v is not None]
        rows.append({
            "namespace": key.namespace,
            "metric": key.name,
            "dimensions": dict(key.dimensions),
            "unit": key.unit or "None",
            "periods": len(points),
            "samples": sum(dp.statistic("SampleCount") or 0 for dp in points),
            "sum": sum(dp.statistic("Sum") or 0 for dp in points),
            "minimum": min(minima) if minima else None,
            "maximum": max(maxima) if maxima else None,
            "trendOf": trend_of,
            "trend": [by_start.get(t) for t in range(first, last + 1, period_ms)],
        })
    return rows
