"""Terminal charts of a run's picture: a bar per period, the threshold line, ALARM time shaded.

`terminal_chart` and `sparkline` draw plain text, each character with a style name, so that the
command line may colour it (and only on a terminal); `metric_grid` lays a metric's statistic out
on the chart's periods. They read a `RunPicture` (`engine.report.picture`).
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Sequence

from .picture import _HIGH_RES, MINUTE_MS, TEN_SECONDS_MS, AlarmView, MetricSeries, _num, _point_stat

__all__ = [
    "default_statistic",
    "metric_grid",
    "sparkline",
    "terminal_chart",
]


# --------------------------------------------------------------------------- text helpers




def _clock(ms: int, with_date: bool) -> str:
    t = _dt.datetime.fromtimestamp(ms / 1000, tz=_dt.UTC)
    if with_date:
        return t.strftime("%Y-%m-%d %H:%M")
    return t.strftime("%H:%M:%S") if t.second else t.strftime("%H:%M")


def _iso(ms: int) -> str:
    t = _dt.datetime.fromtimestamp(ms / 1000, tz=_dt.UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


_BLOCKS = " ▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float | None], width: int | None = None) -> str:
    """A one-line chart of `values` with the eighth blocks ``▁``…``█``; a blank for None.

    With `width`, consecutive values are grouped into at most `width` characters (each shows
    the largest value of its group).
    """
    vals = list(values)
    if width is not None and width > 0 and len(vals) > width:
        size = math.ceil(len(vals) / width)
        vals = [_most([v for v in vals[i:i + size] if v is not None], True) for i in range(0, len(vals), size)]
    present = [v for v in vals if v is not None]
    if not present:
        return " " * len(vals)
    lo, hi = min(present), max(present)
    out = []
    for v in vals:
        if v is None:
            out.append(" ")
        elif hi == lo:
            out.append("▄")
        else:
            out.append(_BLOCKS[1 + min(7, int((v - lo) / (hi - lo) * 8))])
    return "".join(out)


def metric_grid(metric: MetricSeries, statistic: str, start_ms: int, end_ms: int) -> list[float | None]:
    """The metric's statistic for every period from `start_ms` to `end_ms`, None where it has
    no datapoint (so that a sparkline shows the gaps)."""
    if not metric.points:
        return []
    period = metric.points[0].period * 1000
    by_start = {p.start_ms: _point_stat(p, statistic) for p in metric.points}
    first = min(start_ms - start_ms % period, metric.points[0].start_ms)
    return [by_start.get(t) for t in range(first, max(end_ms, metric.points[-1].end_ms), period)]


def default_statistic(metric: MetricSeries) -> str:
    """The statistic a metric is best drawn with: Sum for counts, Average for measurements."""
    return "Sum" if metric.unit in ("Count", "None", "") else "Average"


def _most(values: list[float], high: bool) -> float | None:
    if not values:
        return None
    return max(values) if high else min(values)


_MARKS = "123456789abcdefghijklmnopqrstuvwxyz"

Segment = tuple[str, "str | None"]


def terminal_chart(alarm: AlarmView, start_ms: int, end_ms: int, width: int = 80, height: int = 8) -> list[list[Segment]]:
    """Draw one alarm as lines of ``(text, style)`` segments.

    A bar per column shows the evaluated statistic of the period starting there; the threshold is
    a dotted line; the time the alarm spent in ALARM is shaded (``░``); a state strip (``▓`` ALARM,
    ``─`` OK, ``·`` INSUFFICIENT_DATA) and numbered transition marks run under the axis, with a
    legend. Styles: ``title``, ``axis``, ``bar``, ``bar.alarm``, ``shade``, ``threshold``,
    ``state.ALARM``, ``state.OK``, ``state.INSUFFICIENT_DATA``, ``mark``, ``dim`` or None.
    """
    lines: list[list[Segment]] = [[(alarm.name, "title"), (f"  {alarm.describe()}", "dim")]]
    values = [v for _, v in alarm.points if v is not None]
    limits = values + ([alarm.threshold] if alarm.threshold is not None else [])
    lo = min([0.0, *limits]) if limits else 0.0
    hi = max([*limits, lo]) if limits else 1.0
    if hi == lo:
        hi = lo + 1.0
    labels = {height - 1: _num(hi), 0: _num(lo)}
    threshold_row = None
    if alarm.threshold is not None:
        threshold_row = min(height - 1, max(0, int((alarm.threshold - lo) / (hi - lo) * height)))
        labels[threshold_row] = _num(alarm.threshold)
    gutter = max(len("state"), *(len(s) for s in labels.values())) + 1
    plot_width = max(10, width - gutter - 2)

    # Columns are equal slices of time; each shows the most breaching value that starts in it.
    step = TEN_SECONDS_MS if (alarm.period or 60) in _HIGH_RES else MINUTE_MS
    slots = max(1, math.ceil((end_ms - start_ms) / step))
    gaps: set[int] = set()
    if slots <= plot_width:
        per_column = max(1, min(12, plot_width // slots))
        columns = slots * per_column
        bounds = [(start_ms + (c // per_column) * step, start_ms + (c // per_column + 1) * step) for c in range(columns)]
        if per_column >= 3:
            gaps = {c for c in range(columns) if c % per_column == per_column - 1}  # a gap between bars
    else:
        group = math.ceil(slots / plot_width)
        columns = math.ceil(slots / group)
        bounds = [(start_ms + c * group * step, min(end_ms, start_ms + (c + 1) * group * step)) for c in range(columns)]
    column_values: list[float | None] = []
    for c, (a, b) in enumerate(bounds):
        inside = [v for t, v in alarm.points if a <= t < b and v is not None]
        column_values.append(None if c in gaps else _most(inside, alarm.breaches_high))
    column_states = [_span_state(alarm, a, b) for a, b in bounds]

    # Composite alarms (and alarms that were not simulated) have states but no values to draw.
    rows = range(height - 1, -1, -1) if alarm.kind == "metric" else range(0)
    for row in rows:
        label = labels.get(row, "")
        axis = "┼" if row == threshold_row else "┤"
        segs: list[Segment] = [(label.rjust(gutter - 1) + " ", "axis"), (axis, "axis")]
        for value, state in zip(column_values, column_states, strict=True):
            char, style = _cell(value, row, lo, hi, height)
            shaded = state == "ALARM"
            if char == " ":
                if row == threshold_row:
                    char, style = "┄", "threshold"
                elif shaded:
                    char, style = "░", "shade"
            elif shaded:
                style = "bar.alarm"
            segs.append((char, style))
        lines.append(_merge(segs))
    if alarm.kind == "metric":
        lines.append([(" " * gutter + "└" + "─" * columns, "axis")])
    strip: list[Segment] = [("state".rjust(gutter - 1) + "  ", "dim")]
    for state in column_states:
        strip.append(({"ALARM": "▓", "OK": "─"}.get(state, "·"), f"state.{state}"))
    lines.append(_merge(strip))
    marks = [" "] * columns
    legend: list[Segment] = []
    # A chart that spans days dates its times, in the legend as on the axis.
    with_date = end_ms - start_ms >= 86_400_000 or _iso(start_ms)[:10] != _iso(max(start_ms, end_ms - 1))[:10]
    for i, t in enumerate(alarm.transitions):
        mark = _MARKS[i] if i < len(_MARKS) else "+"
        column = next((c for c, (a, b) in enumerate(bounds) if a <= t.timestamp_ms < b), columns - 1)
        marks[column] = mark
        legend.append((f"{mark} {_clock(t.timestamp_ms, with_date)} {t.old_state} → {t.new_state}", "mark"))
    lines.append([(" " * (gutter + 1), None), ("".join(marks), "mark")])
    first, last = _clock(start_ms, with_date), _clock(end_ms, with_date)
    lines.append([(" " * (gutter + 1) + first + last.rjust(max(1, columns - len(first))), "dim")])
    lines.extend(_wrap(legend, gutter + 1, width, "   "))
    key = ["▓ ALARM", "─ OK", "· INSUFFICIENT_DATA"] + (["░ in ALARM", "┄ threshold"] if alarm.kind == "metric" else [])
    lines.extend(_wrap([(k, "dim") for k in key], gutter + 1, width, "  "))
    if alarm.note:
        lines.append([(" " * (gutter + 1) + "note: " + alarm.note, "dim")])
    return lines


def _wrap(items: list[Segment], indent: int, width: int, sep: str) -> list[list[Segment]]:
    """Items on lines of at most `width` characters (an item longer than a line gets its own)."""
    lines: list[list[Segment]] = []
    row: list[Segment] = []
    used = indent
    for item in items:
        if row and used + len(sep) + len(item[0]) > width:
            lines.append(row)
            row, used = [], indent
        row.append((sep if row else " " * indent, None))
        row.append(item)
        used += (len(sep) if len(row) > 2 else 0) + len(item[0])
    if row:
        lines.append(row)
    return lines


def _span_state(alarm: AlarmView, a: int, b: int) -> str:
    """ALARM when the alarm was in ALARM at any time in [a, b), else the state at `a`."""
    seen = [s.state for s in alarm.states if s.start_ms < b and s.end_ms > a]
    if "ALARM" in seen:
        return "ALARM"
    return alarm.state_at(a)


def _cell(value: float | None, row: int, lo: float, hi: float, height: int) -> tuple[str, str | None]:
    if value is None:
        return " ", None
    eighths = max(1, round((value - lo) / (hi - lo) * height * 8))
    filled = eighths - row * 8
    if filled <= 0:
        return " ", None
    return _BLOCKS[min(8, filled)], "bar"


def _merge(segs: list[Segment]) -> list[Segment]:
    out: list[Segment] = []
    for text, style in segs:
        if out and out[-1][1] == style:
            out[-1] = (out[-1][0] + text, style)
        else:
            out.append((text, style))
    return out


