"""The self-contained HTML report of a run: inline CSS and inline SVG, no script, nothing fetched.

`render_html` writes a `RunPicture` (`engine.report.picture`) as one file: the input accounting,
the filters, a chart per metric and per alarm with its threshold, states and numbered
transitions. Every text from the run is escaped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import Any

from .chart import _clock, _iso, default_statistic
from .picture import (
    _HIGH_RES,
    _MERGEABLE,
    MINUTE_MS,
    TEN_SECONDS_MS,
    AlarmView,
    FilterView,
    MetricSeries,
    RunPicture,
    StateSpan,
    TransitionRow,
    _num,
)

__all__ = [
    "render_html",
]


# --------------------------------------------------------------------------- HTML

_CSS = """
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --alarm: #cf222e; --ok: #1a7f37;
        --insufficient: #9a6700; --bar: #0969da; --bg: #ffffff; --panel: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif;
       color: var(--fg); background: var(--bg); }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 0; }
.muted { color: var(--muted); }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; margin: 0 0 14px; background: var(--bg); }
.card header { display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; margin-bottom: 6px; }
.badge { font-size: 12px; font-weight: 600; padding: 1px 8px; border-radius: 10px; color: #fff; }
.badge.ALARM { background: var(--alarm); } .badge.OK { background: var(--ok); }
.badge.INSUFFICIENT_DATA { background: var(--insufficient); }
svg.chart { display: block; width: 100%; height: auto; max-width: 1100px; }
svg text { font: 11px system-ui, sans-serif; fill: var(--muted); }
svg .grid { stroke: var(--line); stroke-width: 1; }
svg .axis { stroke: var(--muted); stroke-width: 1; }
svg .bar { fill: var(--bar); } svg .bar.breach { fill: var(--alarm); }
svg .line { fill: none; stroke: var(--bar); stroke-width: 2; } svg .dot { fill: var(--bar); }
svg .threshold { stroke: var(--alarm); stroke-width: 1.5; stroke-dasharray: 6 4; }
svg .threshold-label { fill: var(--alarm); font-weight: 600; }
svg .state-ALARM { fill: var(--alarm); fill-opacity: .13; }
svg .state-INSUFFICIENT_DATA { fill: var(--insufficient); fill-opacity: .08; }
svg .strip-ALARM { fill: var(--alarm); } svg .strip-OK { fill: var(--ok); }
svg .strip-INSUFFICIENT_DATA { fill: #d4a72c; }
svg .transition { stroke: var(--fg); stroke-width: 1; stroke-dasharray: 2 3; }
svg .mark { fill: var(--fg); } svg a:hover .mark { fill: var(--bar); } svg .mark-label { fill: #fff; font-weight: 700; font-size: 10px; }
table { border-collapse: collapse; margin: 4px 0 10px; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
td.time { white-space: nowrap; }
th { background: var(--panel); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; background: var(--panel); padding: 1px 4px;
       border-radius: 4px; word-break: break-all; }
.state-ALARM { color: var(--alarm); font-weight: 600; } .state-OK { color: var(--ok); font-weight: 600; }
.state-INSUFFICIENT_DATA { color: var(--insufficient); font-weight: 600; }
.warning { color: var(--insufficient); }
.legend { font-size: 12px; color: var(--muted); margin: 4px 0 0; }
.legend span { display: inline-block; margin-right: 14px; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: -1px; }
.summary { margin: 2px 0 6px; font-size: 13px; }
li:target { background: #fff8c5; }
ol.transitions-list { columns: 24em; column-gap: 24px; }
details summary { cursor: pointer; color: var(--muted); font-size: 13px; }
.scroll { overflow-x: auto; max-width: 100%; }
"""

_W, _H = 960, 240
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 16, 22, 46
_CHAR = 6.6  # width of one character of the 11px axis font, in viewBox units (a safe upper bound)
_MIN_SPELL = 4.0  # the narrowest a non-OK state spell is drawn, in viewBox units, so none vanishes
_DAY_MS = 86_400_000
_PER_DAY_AFTER_MS = 36 * 3_600_000  # runs longer than this also get one chart per UTC day


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def render_html(picture: RunPicture, *, version: str = "") -> str:
    """The report as one self-contained HTML document (inline CSS and SVG, no script)."""
    p = picture
    parts: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(p.title)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f'<h1 id="title">{_e(p.title)}</h1>',
        f'<p class="muted" id="range">{_e(_iso(p.start_ms))} to {_e(_iso(p.end_ms))} · '
        f"{_count(p.events, 'event')} · {_count(len(p.metrics), 'metric series', 'metric series')} · "
        f"{_count(len(p.alarms), 'alarm')} · {_count(len(p.transitions), 'transition')}"
        + (f" · cwfilter {_e(version)}" if version else "") + "</p>",
    ]
    parts.append('<section id="alarms"><h2>Alarms</h2>')
    if not p.alarms:
        parts.append('<p class="muted">The configuration has no alarms.</p>')
    for i, alarm in enumerate(p.alarms):
        parts.append(_alarm_card(alarm, p, i))
    parts.append("</section>")

    parts.append('<section id="metrics"><h2>Metrics</h2>')
    if not p.metrics:
        parts.append('<p class="muted">No datapoints: no event matched a filter.</p>')
    # A metric's chart shows the statistic of the first alarm (in the configuration's order) that
    # watches it and whose statistic merges, else its default statistic.
    watched = [(a.metric, a.statistic) for a in p.alarms if a.kind == "metric"]
    for i, metric in enumerate(p.metrics):
        statistic = next((s for label, s in watched if label == metric.label and s in _MERGEABLE),
                         default_statistic(metric))
        parts.append(_metric_card(metric, statistic, p, i))
    parts.append("</section>")

    parts.append('<section id="transitions"><h2>Transitions</h2>')
    parts.append(_transitions_table(p.transitions))
    parts.append("</section>")
    parts.append('<section id="inputs"><h2>Input accounting</h2>')
    parts.append(_inputs_tables(p.inputs))
    parts.append("</section>")
    parts.append('<section id="filters"><h2>Metric filters</h2>')
    parts.append(_filters_table(p.filters))
    parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _count(n: int, one: str, many: str | None = None) -> str:
    """``1 event``, ``2 events``: a count with its noun in the right number."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def _compact(value: float) -> str:
    """An axis number in few characters: ``950``, ``1.5k``, ``200M``, ``0.25``."""
    if value == 0:
        return "0"
    size = abs(value)
    for limit, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if size >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}"


def _exact(value: float) -> str:
    """A value for a hover title: every digit, with a thousands separator."""
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return repr(float(value))


def _days(start: int, end: int) -> list[tuple[int, int]]:
    """The UTC days a range touches, each clipped to the range."""
    out, day = [], start - start % _DAY_MS
    while day < end:
        out.append((max(start, day), min(end, day + _DAY_MS)))
        day += _DAY_MS
    return out


def _duration(ms: int) -> str:
    minutes = ms // 60_000
    if minutes < 60:
        return f"{minutes} min" if minutes else f"{ms // 1000} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


class _Frame:
    """Scales of one chart: time to x, value to y; the margins leave room for the axis labels."""

    def __init__(self, start: int, end: int, lo: float, hi: float, height: int = _H, *,
                 left: float = _LEFT, right: float = _RIGHT) -> None:
        self.start, self.end, self.lo, self.hi = start, end, lo, hi
        self.height = height
        self.x0, self.x1 = left, _W - right
        self.y0, self.y1 = height - _BOTTOM, _TOP  # bottom, top

    def x(self, t: int) -> float:
        return self.x0 + (t - self.start) / max(1, self.end - self.start) * (self.x1 - self.x0)

    def y(self, v: float) -> float:
        return self.y0 - (v - self.lo) / (self.hi - self.lo) * (self.y0 - self.y1)


def _value_frame(start: int, end: int, lo: float, hi: float, height: int = _H, right_label: str = "") -> _Frame:
    """A frame whose left margin fits the widest value label and whose right margin fits `right_label`."""
    widest = max((len(_compact(v)) for v in _nice_ticks(lo, hi)), default=1)
    left = max(36.0, widest * _CHAR + 14)
    right = max(float(_RIGHT), len(right_label) * _CHAR + 10) if right_label else _RIGHT
    return _Frame(start, end, lo, hi, height, left=left, right=right)


def _nice_ticks(lo: float, hi: float, count: int = 4) -> list[float]:
    span = hi - lo
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(lo / step) * step
    ticks = []
    v = first
    while v <= hi + step * 1e-9:
        ticks.append(round(v, 10))
        v += step
    return ticks


def _time_ticks(start: int, end: int, count: int = 6) -> list[int]:
    span = max(1, end - start)
    choices = [10_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000,
               7_200_000, 21_600_000, 43_200_000, 86_400_000, 172_800_000, 604_800_000]
    step = next((c for c in choices if span / c <= count), choices[-1])
    t = start - start % step
    if t < start:
        t += step
    out = []
    while t <= end:
        out.append(t)
        t += step
    return out


def _axes(frame: _Frame, out: list[str], values: bool = True) -> None:
    with_date = frame.end - frame.start >= _DAY_MS
    for v in _nice_ticks(frame.lo, frame.hi) if values else ():
        y = frame.y(v)
        out.append(f'<line class="grid" x1="{frame.x0:.1f}" x2="{frame.x1:.1f}" y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(f'<text class="value-label" x="{frame.x0 - 6:.1f}" y="{y + 4:.1f}" text-anchor="end">'
                   f"{_e(_compact(v))}<title>{_e(_exact(v))}</title></text>")
    ticks = _time_ticks(frame.start, frame.end)
    for _i, t in enumerate(ticks):
        x = frame.x(t)
        # The first and last labels are anchored inwards, so that no label leaves the picture.
        anchor = "start" if x - frame.x0 < 40 else "end" if frame.x1 - x < 40 else "middle"
        out.append(f'<line class="axis" x1="{x:.1f}" x2="{x:.1f}" y1="{frame.y0}" y2="{frame.y0 + 4}"/>')
        out.append(f'<text class="time-label" x="{x:.1f}" y="{frame.y0 + 16}" text-anchor="{anchor}">'
                   f"{_e(_clock(t, with_date))}</text>")
    out.append(f'<line class="axis" x1="{frame.x0:.1f}" x2="{frame.x1:.1f}" y1="{frame.y0}" y2="{frame.y0}"/>')
    if values:
        out.append(f'<line class="axis" x1="{frame.x0:.1f}" x2="{frame.x0:.1f}" y1="{frame.y1}" y2="{frame.y0}"/>')


def _range(values: list[float], extra: list[float]) -> tuple[float, float]:
    limits = values + extra
    if not limits:
        return 0.0, 1.0
    lo, hi = min([0.0, *limits]), max([0.0, *limits])
    if hi == lo:
        hi = lo + 1.0
    return lo, hi + (hi - lo) * 0.08


def _spells(alarm: AlarmView) -> dict[str, tuple[int, int]]:
    """Per state other than OK: how many spells, and the time spent in it."""
    out: dict[str, tuple[int, int]] = {}
    for span in alarm.states:
        if span.state != "OK":
            n, ms = out.get(span.state, (0, 0))
            out[span.state] = (n + 1, ms + span.end_ms - span.start_ms)
    return out


def _alarm_summary(alarm: AlarmView) -> str:
    """``in ALARM 13 times, 39 min in all · 26 transitions · now OK``."""
    spells = _spells(alarm)
    parts = []
    n, ms = spells.get("ALARM", (0, 0))
    parts.append(f"in ALARM {_count(n, 'time')}, {_duration(ms)} in all" if n else "never in ALARM")
    n, ms = spells.get("INSUFFICIENT_DATA", (0, 0))
    if n:
        parts.append(f"INSUFFICIENT_DATA {_count(n, 'time')}, {_duration(ms)} in all")
    parts.append(_count(len(alarm.transitions), "transition"))
    parts.append(f"final state {alarm.state}")
    return " · ".join(parts)


def _mark_width(label: str) -> float:
    return max(16.0, 6.2 * len(label) + 8)


def _clusters(xs: list[float]) -> list[tuple[int, int, float]]:
    """Group transitions whose markers would overlap: ``(first, last, x)`` per marker, left to right.

    Neighbouring markers merge until no two overlap; a merged marker sits at the mean of its
    transitions' positions and is labelled with the range of their numbers.
    """
    groups = [[i, i, x, x] for i, x in enumerate(xs)]  # first, last, sum of x, count... kept as floats

    def label(g: list) -> str:
        return str(g[0] + 1) if g[0] == g[1] else f"{g[0] + 1}–{g[1] + 1}"

    def centre(g: list) -> float:
        return sum(xs[g[0]:g[1] + 1]) / (g[1] - g[0] + 1)

    merged = True
    while merged and len(groups) > 1:
        merged = False
        out = [groups[0]]
        for g in groups[1:]:
            prev = out[-1]
            gap = centre(g) - centre(prev)
            if gap < (_mark_width(label(prev)) + _mark_width(label(g))) / 2 + 2:
                out[-1] = [prev[0], g[1], 0, 0]
                merged = True
            else:
                out.append(g)
        groups = out
    return [(g[0], g[1], centre(g)) for g in groups]


def _alarm_card(alarm: AlarmView, p: RunPicture, index: int) -> str:
    out = [f'<article class="card alarm" id="alarm-{index}" data-alarm="{_e(alarm.name)}" data-state="{_e(alarm.state)}">',
           f'<header><h3>{_e(alarm.name)}</h3><span class="badge {_e(alarm.state)}">{_e(alarm.state)}</span>'
           f'<span class="muted">{_e(alarm.describe())}</span></header>',
           f'<p class="summary" data-alarm-summary="{_e(alarm.name)}">{_e(_alarm_summary(alarm))}</p>']
    out.append(_alarm_svg(alarm, p.start_ms, p.end_ms, index))
    legend = ['<p class="legend">',
              '<span><i class="swatch" style="background:#cf222e;opacity:.35"></i>in ALARM</span>',
              '<span><i class="swatch" style="background:#9a6700;opacity:.2"></i>INSUFFICIENT_DATA</span>']
    if alarm.kind == "metric":
        legend.append('<span><i class="swatch" style="background:#0969da"></i>evaluated statistic</span>'
                      '<span><i class="swatch" style="background:#cf222e"></i>breaching value</span>'
                      '<span>- - threshold</span>')
    legend.append("</p>")
    out.extend(legend)
    if p.end_ms - p.start_ms > _PER_DAY_AFTER_MS:
        days = _days(p.start_ms, p.end_ms)
        out.append(f'<details class="per-day"><summary>One chart per day ({len(days)} days)</summary>')
        for start, end in days:
            out.append(f'<h4>{_e(_iso(start)[:10])}</h4>')
            out.append(_alarm_svg(alarm, start, end, index))
        out.append("</details>")
    if alarm.transitions:
        out.append('<ol class="legend transitions-list">' + "".join(
            f'<li id="alarm-{index}-t{n}" data-mark="{n}">{_e(_iso(t.timestamp_ms))} {_e(t.old_state)} → '
            f"{_e(t.new_state)}</li>" for n, t in enumerate(alarm.transitions, start=1)) + "</ol>")
    if alarm.note:
        out.append(f'<p class="muted note">{_e(alarm.note)}</p>')
    out.append("</article>")
    return "\n".join(out)


def _alarm_svg(alarm: AlarmView, start: int, end: int, index: int) -> str:
    """One alarm's chart over [start, end): state shading, bars, threshold, state strip, markers."""
    values = [v for t, v in alarm.points if v is not None and start <= t < end]
    lo, hi = _range(values, [alarm.threshold] if alarm.threshold is not None else [])
    metric = alarm.kind == "metric"
    height = _H if metric else 110  # states only: a band, the time axis and the strip
    threshold_label = f"threshold {_compact(alarm.threshold)}" if metric and alarm.threshold is not None else ""
    frame = _value_frame(start, end, lo, hi, height, threshold_label)
    svg = [f'<svg class="chart" viewBox="0 0 {_W} {height}" role="img" aria-label="{_e(alarm.name)}" '
           f'xmlns="http://www.w3.org/2000/svg">',
           f"<title>{_e(alarm.name)}: {_e(alarm.describe())}; {_e(_alarm_summary(alarm))}</title>"]

    def clipped(span: StateSpan) -> tuple[float, float] | None:
        a, b = max(span.start_ms, start), min(span.end_ms, end)
        if a >= b:
            return None
        x0, x1 = frame.x(a), frame.x(b)
        width = max(_MIN_SPELL if span.state != "OK" else 0.5, x1 - x0)
        return min(x0, frame.x1 - width), width

    for span in alarm.states:
        if span.state in ("ALARM", "INSUFFICIENT_DATA") and (box := clipped(span)):
            svg.append(f'<rect class="state-{span.state}" data-spell="{span.state}" x="{box[0]:.1f}" y="{frame.y1}" width="{box[1]:.1f}" '
                       f'height="{frame.y0 - frame.y1}"><title>{_e(span.state)} {_e(_iso(span.start_ms))} to '
                       f'{_e(_iso(span.end_ms))}</title></rect>')
    _axes(frame, svg, values=metric)
    if metric and alarm.period:
        # One bar per period start: the newest period of the evaluation at its end.
        length = alarm.period * 1000
        step = TEN_SECONDS_MS if alarm.period in _HIGH_RES else MINUTE_MS
        slot = frame.x(start + min(step, length)) - frame.x(start)
        width = max(1.2, slot * 0.8)
        base = frame.y(max(lo, 0.0)) if lo <= 0 <= hi else frame.y0
        for t, v in alarm.points:
            if v is None or not start <= t < end:
                continue
            x = frame.x(t) + (slot - width) / 2
            y = frame.y(v)
            top, tall = min(y, base), max(1.0, abs(base - y))
            breach = _breaches(alarm, v)
            svg.append(f'<rect class="bar{" breach" if breach else ""}" x="{x:.1f}" y="{top:.1f}" width="{width:.2f}" '
                       f'height="{tall:.1f}" data-time="{_e(_iso(t))}" data-value="{v!r}"><title>{_e(_iso(t))}: '
                       f"{_e(alarm.statistic)} {_e(_exact(v))}</title></rect>")
        if alarm.threshold is not None:
            y = frame.y(alarm.threshold)
            svg.append(f'<line class="threshold" x1="{frame.x0:.1f}" x2="{frame.x1:.1f}" y1="{y:.1f}" y2="{y:.1f}"/>')
            # In the right margin, beside the plot: never over the bars.
            svg.append(f'<text class="threshold-label" x="{frame.x1 + 5:.1f}" y="{y + 4:.1f}" text-anchor="start">'
                       f"{_e(threshold_label)}<title>threshold {_e(_exact(alarm.threshold))}</title></text>")
    # The state strip under the time axis: OK first, the other states over it at their minimum width.
    for span in sorted(alarm.states, key=lambda s: s.state != "OK"):
        if box := clipped(span):
            svg.append(f'<rect class="strip-{span.state}" x="{box[0]:.1f}" '
                       f'y="{height - 14}" width="{box[1]:.1f}" height="8"><title>{_e(span.state)} '
                       f"{_e(_iso(span.start_ms))} to {_e(_iso(span.end_ms))}</title></rect>")
    shown = [(n, t) for n, t in enumerate(alarm.transitions, start=1) if start <= t.timestamp_ms < end]
    for _, t in shown:
        x = frame.x(t.timestamp_ms)
        svg.append(f'<line class="transition" x1="{x:.1f}" x2="{x:.1f}" y1="{frame.y1}" y2="{frame.y0}"/>')
    xs = [frame.x(t.timestamp_ms) for _, t in shown]
    for first, last, x in _clusters(xs):
        numbers = [shown[k][0] for k in range(first, last + 1)]
        label = str(numbers[0]) if len(numbers) == 1 else f"{numbers[0]}–{numbers[-1]}"
        w = _mark_width(label)
        x = min(max(x, w / 2 + 1), _W - w / 2 - 1)
        titles = "; ".join(f"{n}. {_iso(shown[k][1].timestamp_ms)} {shown[k][1].old_state} → {shown[k][1].new_state}"
                           for n, k in zip(numbers, range(first, last + 1)))
        svg.append(f'<a href="#alarm-{index}-t{numbers[0]}"><g class="transition-mark" data-first="{numbers[0]}" '
                   f'data-last="{numbers[-1]}" data-time="{_e(_iso(shown[first][1].timestamp_ms))}" '
                   f'data-new-state="{_e(shown[first][1].new_state)}">'
                   f'<rect class="mark" x="{x - w / 2:.1f}" y="{frame.y1 - 17}" width="{w:.1f}" height="16" rx="8"/>'
                   f'<text class="mark-label" x="{x:.1f}" y="{frame.y1 - 5.5}" text-anchor="middle">{_e(label)}</text>'
                   f"<title>{_e(titles)}</title></g></a>")
    svg.append("</svg>")
    return "\n".join(svg)


def _breaches(alarm: AlarmView, value: float) -> bool:
    thr, op = alarm.threshold, alarm.operator
    if thr is None:
        return False
    return {
        "GreaterThanOrEqualToThreshold": value >= thr,
        "GreaterThanThreshold": value > thr,
        "LessThanThreshold": value < thr,
        "LessThanOrEqualToThreshold": value <= thr,
    }.get(op or "", False)


def _metric_card(metric: MetricSeries, statistic: str, p: RunPicture, index: int) -> str:
    out = [f'<article class="card metric" id="metric-{index}" data-metric="{_e(metric.label)}">',
           f'<header><h3>{_e(metric.label)}</h3><span class="muted">{_e(statistic)} per period · unit '
           f"{_e(metric.unit)} · {_count(len(metric.points), 'datapoint')}</span></header>",
           _metric_svg(metric, statistic, p.start_ms, p.end_ms)]
    if p.end_ms - p.start_ms > _PER_DAY_AFTER_MS:
        days = _days(p.start_ms, p.end_ms)
        out.append(f'<details class="per-day"><summary>One chart per day ({len(days)} days)</summary>')
        for start, end in days:
            out.append(f'<h4>{_e(_iso(start)[:10])}</h4>')
            out.append(_metric_svg(metric, statistic, start, end))
        out.append("</details>")
    rows = []
    for point in metric.points:
        cells = "".join(f'<td class="num">{_e(_num(point.stats.get(k)))}</td>' for k in _MERGEABLE)
        rows.append(f"<tr><td>{_e(_iso(point.start_ms))}</td><td class=\"num\">{point.period}</td>{cells}</tr>")
    out.append("<details><summary>Datapoints</summary><div class=\"scroll\"><table><thead><tr><th>period start (UTC)</th><th>period (s)</th>"
               + "".join(f"<th>{k}</th>" for k in _MERGEABLE) + "</tr></thead><tbody>" + "".join(rows)
               + "</tbody></table></div></details>")
    out.append("</article>")
    return "\n".join(out)


def _metric_svg(metric: MetricSeries, statistic: str, start: int, end: int) -> str:
    """One metric's line over [start, end): a dot per datapoint, broken where periods are missing."""
    pts = [(t, v) for t, v in metric.values(statistic) if start <= t < end]
    values = [v for _, v in pts if v is not None]
    lo, hi = _range(values, [])
    frame = _value_frame(start, end, lo, hi)
    out = [f'<svg class="chart" viewBox="0 0 {_W} {_H}" role="img" aria-label="{_e(metric.label)}" '
           f'xmlns="http://www.w3.org/2000/svg"><title>{_e(metric.label)}: {_e(statistic)}</title>']
    _axes(frame, out)
    half = (frame.x(start + (metric.points[0].period * 500 if metric.points else 30_000)) - frame.x(start))
    coords = [(frame.x(t) + half, frame.y(v), t, v) for t, v in pts if v is not None]
    if len(coords) > 1:
        # The line breaks where periods are missing: no data is not a straight line between data.
        gap = (metric.points[0].period * 1000) if metric.points else MINUTE_MS
        steps = []
        for i, (x, y, t, _) in enumerate(coords):
            joined = i > 0 and t - coords[i - 1][2] <= gap
            steps.append(f"{'L' if joined else 'M'}{x:.1f},{y:.1f}")
        out.append(f'<path class="line" d="{" ".join(steps)}"/>')
    radius = 3 if len(coords) < 400 else 1.5
    for x, y, t, v in coords:
        out.append(f'<circle class="dot" cx="{x:.1f}" cy="{y:.1f}" r="{radius}" data-time="{_e(_iso(t))}" data-value="{v!r}">'
                   f"<title>{_e(_iso(t))}: {_e(statistic)} {_e(_exact(v))}</title></circle>")
    out.append("</svg>")
    return "\n".join(out)


def _transitions_table(rows: list[TransitionRow]) -> str:
    if not rows:
        return '<p class="muted">No alarm changed state.</p>'
    body = "".join(
        f'<tr class="transition" data-alarm="{_e(r.alarm)}"><td class="time">{_e(_iso(r.timestamp_ms))}</td><td>{_e(r.alarm)}</td>'
        f'<td class="state-{_e(r.old_state)}">{_e(r.old_state)}</td><td class="state-{_e(r.new_state)}">{_e(r.new_state)}</td>'
        f"<td>{_e(r.reason)}</td></tr>"
        for r in rows)
    return ('<div class="scroll"><table id="transitions-table"><thead><tr><th>time (UTC)</th><th>alarm</th><th>from</th><th>to</th>'
            f"<th>reason</th></tr></thead><tbody>{body}</tbody></table></div>")


def _inputs_tables(inputs: Mapping) -> str:
    if not inputs:
        return '<p class="muted">The results hold no input accounting.</p>'
    keys = ("read", "delivered", "rejected", "skipped")
    rows = []
    for source in [*(inputs.get("sources") or []), inputs.get("total")]:
        if not isinstance(source, Mapping):
            continue
        problems = ", ".join(f"{k}: {v:,}" for k, v in sorted((source.get("problems") or {}).items()))
        rows.append(f'<tr class="input"><td>{_e(source.get("source"))}</td><td>{_e(source.get("format") or "")}</td>'
                    + "".join(f'<td class="num">{int(source.get(k) or 0):,}</td>' for k in keys)
                    + f"<td>{_e(problems)}</td></tr>")
    out = ['<div class="scroll"><table id="inputs-table"><thead><tr><th>input</th><th>format</th>'
           + "".join(f"<th>{k}</th>" for k in keys) + "<th>problems</th></tr></thead><tbody>"
           + "".join(rows) + "</tbody></table></div>",
           '<p class="muted">Per input, read = delivered + rejected.</p>']
    problems = inputs.get("problems") or []
    if problems:
        items = "".join(f"<li>{_e(pr.get('source'))}: {_e(pr.get('position'))}: {_e(pr.get('kind'))}: "
                        f"{_e(pr.get('detail'))}</li>" for pr in problems[:50])
        more = f"<li>… and {len(problems) - 50:,} more</li>" if len(problems) > 50 else ""
        out.append(f'<details open><summary>Problems</summary><ul id="input-problems">{items}{more}</ul></details>')
    return "\n".join(out)


def _filters_table(filters: list[FilterView]) -> str:
    if not filters:
        return '<p class="muted">The results hold no metric filter definitions.</p>'
    counts = ("read", "matched", "unmatched", "rejected", "samples")
    rows = []
    for f in filters:
        dims = ", ".join(f"{k}={v}" for k, v in f.dimensions.items())
        metric = f.metric + (f" [{dims}]" if dims else "")
        value = f.value + (f" (default {_num(f.default_value)})" if f.default_value is not None else "")
        warn = "".join(f'<div class="warning">{_e(w)}</div>' for w in f.warnings)
        rows.append(f'<tr class="filter" data-filter="{_e(f.name)}"><td>{_e(f.name)}</td><td>{_e(f.log_group or "any")}</td>'
                    f"<td><code>{_e(f.pattern)}</code>{warn}</td><td>{_e(metric)}</td><td>{_e(value)}</td>"
                    + "".join(f'<td class="num">{int(f.counts.get(k) or 0):,}</td>' for k in counts)
                    + _not_counted_cell(f.losses) + "</tr>")
    return ('<div class="scroll"><table id="filters-table"><thead><tr><th>filter</th><th>log group</th><th>pattern</th><th>metric</th>'
            "<th>value</th>" + "".join(f"<th>{k}</th>" for k in counts) + "<th>not counted</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table></div>"
            '<p class="muted">Per filter, read = matched + unmatched + rejected. Not counted: matched events that '
            "published no sample, and why.</p>")


def _not_counted_cell(losses: list[tuple[str, str, int]]) -> str:
    """The samples a filter did not count, each reason in short, in full with its fix on hover."""
    total = sum(n for _, _, n in losses)
    why = "".join(f'<div class="muted loss" title="{_e(reason + (". Fix: " + fix if fix else ""))}">'
                  f"{n:,} {_e(reason.split(':', 1)[0])}</div>" for reason, fix, n in losses)
    return f'<td class="num not-counted" data-not-counted="{total}">{total:,}{why}</td>'
