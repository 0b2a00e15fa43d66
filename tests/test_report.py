"""`cwfilter run --report FILE`: one self-contained HTML file, rendered in a real headless Chromium.

The run is a real subprocess over `tests/fixtures/report/` (an API's JSON log lines: errors and
latencies, two alarms and a composite). Chromium loads the file, the rendered DOM is dumped and
checked, the layout is measured in the browser, and a screenshot is decoded to check that the
charts' colours are really on screen. Expected values come from the fixture through plain Python
(`json.loads`, counting, nearest rank), not from cwfilter.

Chromium comes from the distribution's packages (`.ci/run` installs it); without it the browser
tests are skipped, except under CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "report"
CONFIG = FIXTURES / "config.yaml"
LOG = FIXTURES / "api.jsonl"
CWFILTER = Path(sys.executable).parent / ("cwfilter.exe" if os.name == "nt" else "cwfilter")


# --------------------------------------------------------------------------- oracle from the fixture


def fixture_events() -> list[dict]:
    events = []
    for line in LOG.read_text(encoding="utf-8").splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            continue  # the deliberately cut-off line
    return events


def minute_of(event: dict) -> str:
    t = dt.datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00"))
    return t.replace(second=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def errors_per_minute() -> dict[str, float]:
    return {k: float(v) for k, v in Counter(minute_of(e) for e in fixture_events() if e["level"] == "ERROR").items()}


def p90_per_minute() -> dict[str, float]:
    by_minute: dict[str, list[float]] = {}
    for e in fixture_events():
        if e["path"] != "/health":
            by_minute.setdefault(minute_of(e), []).append(float(e["latency"]))
    out = {}
    for minute, values in by_minute.items():
        values.sort()
        out[minute] = values[math.ceil(0.9 * len(values)) - 1]  # nearest rank (DECISIONS A5)
    return out


# --------------------------------------------------------------------------- the run


@pytest.fixture(scope="module")
def run_output(tmp_path_factory):
    """The report file and the run's JSON results, from one real run of the console script."""
    out = tmp_path_factory.mktemp("report")
    report = out / "report.html"
    done = subprocess.run(
        [str(CWFILTER), "run", str(CONFIG), str(LOG), "-o", "json", "--quiet", "--report", str(report)],
        capture_output=True, env={**os.environ, "NO_COLOR": "1"},
    )
    assert done.returncode == 0, done.stderr.decode()
    return report, json.loads(done.stdout)


def test_report_is_self_contained(run_output):
    report, _ = run_output
    text = report.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert "<script" not in text.lower() and "<link" not in text.lower() and "<img" not in text.lower()
    assert "url(" not in text and "@import" not in text and " src=" not in text
    # The only URL is the SVG namespace name, which is never fetched.
    # No resource is fetched; the only addresses are the SVG namespace and, as text in messages,
    # links to the documentation.
    from cwfilter.engine.links import DOCS_URL

    addresses = set(re.findall(r"https?://[^\s\"'<>]+", text))
    assert {a for a in addresses if not a.startswith(DOCS_URL)} == {"http://www.w3.org/2000/svg"}


def test_report_holds_every_transition_and_alarm(run_output):
    report, results = run_output
    text = report.read_text(encoding="utf-8")
    rows = re.findall(r'<tr class="transition" data-alarm="([^"]+)"><td class="time">([^<]+)</td><td>[^<]*</td>'
                      r'<td[^>]*>([A-Z_]+)</td><td[^>]*>([A-Z_]+)</td>', text)
    history = []
    for item in results["alarmHistory"]:
        data = json.loads(item["HistoryData"])
        history.append((item["AlarmName"], item["Timestamp"].replace(".000Z", "Z"),
                        data["oldState"]["stateValue"], data["newState"]["stateValue"]))
    assert sorted(rows) == sorted(history)
    assert len(rows) == 9


# --------------------------------------------------------------------------- the browser


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser():
    found = chromium()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed: .ci/run installs Debian's chromium package as root")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    return found


def headless(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--hide-scrollbars", "--no-first-run", f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, timeout=120)


# Appended to a copy of the report: measures the layout in the browser and writes it into the DOM.
LAYOUT_PROBE = """<script>
const box = e => { const r = e.getBoundingClientRect(); return {w: r.width, h: r.height, x: r.left}; };
const pre = document.body.appendChild(document.createElement('pre'));
pre.id = 'layout';
pre.textContent = JSON.stringify({
  viewport: window.innerWidth, scrollWidth: document.documentElement.scrollWidth,
  charts: [...document.querySelectorAll('svg.chart')].map(s => ({label: s.getAttribute('aria-label'), ...box(s)})),
  bars: [...document.querySelectorAll('article.alarm')].map(a => ({
    alarm: a.dataset.alarm, count: a.querySelectorAll('rect.bar').length,
    visible: [...a.querySelectorAll('rect.bar')].filter(r => box(r).h > 0 && box(r).w > 0).length})),
  font: getComputedStyle(document.body).fontFamily,
});
</script>"""


class Elements(HTMLParser):
    """Every start tag of a document, with its attributes, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, {k: v or "" for k, v in attrs}))

    def select(self, tag: str, cls: str | None = None, **attrs: str) -> list[dict[str, str]]:
        out = []
        for t, a in self.found:
            if t != tag or (cls is not None and cls not in a.get("class", "").split()):
                continue
            if all(a.get(k.replace("_", "-")) == v for k, v in attrs.items()):
                out.append(a)
        return out


@pytest.fixture(scope="module")
def rendered(run_output, browser, tmp_path_factory):
    """The DOM Chromium rendered (with the layout probe's measurements) and a screenshot."""
    report, results = run_output
    work = tmp_path_factory.mktemp("chromium")
    probed = work / "probed.html"
    probed.write_text(report.read_text(encoding="utf-8").replace("</body>", LAYOUT_PROBE + "</body>"), encoding="utf-8")
    dumped = headless(browser, work / "profile-dom", "--window-size=1280,2000", "--dump-dom", probed.as_uri())
    assert dumped.returncode == 0, dumped.stderr.decode(errors="replace")[-2000:]
    dom = dumped.stdout.decode("utf-8")
    narrow = headless(browser, work / "profile-narrow", "--window-size=760,2000", "--dump-dom", probed.as_uri())
    assert narrow.returncode == 0, narrow.stderr.decode(errors="replace")[-2000:]
    png = work / "report.png"
    # Half the device pixels: the same layout at a quarter of the pixels to decode.
    shot = headless(browser, work / "profile-shot", "--window-size=1280,2400", "--force-device-scale-factor=0.5",
                    f"--screenshot={png}", report.as_uri())
    assert shot.returncode == 0 and png.is_file(), shot.stderr.decode(errors="replace")[-2000:]
    return dom, png, results, narrow.stdout.decode("utf-8")


def layout_of(dom: str) -> dict:
    return json.loads(html.unescape(re.search(r'<pre id="layout">(.*?)</pre>', dom, re.DOTALL).group(1)))


def test_rendered_dom_has_a_chart_per_alarm_and_metric(rendered):
    dom, _, results, _ = rendered
    elements = Elements()
    elements.feed(dom)
    alarms = [a["data-alarm"] for a in elements.select("article", "alarm")]
    assert alarms == ["errors-high", "latency-p90-high", "api-degraded"]
    metrics = [m["data-metric"] for m in elements.select("article", "metric")]
    assert metrics == [f"{m['Namespace']} / {m['MetricName']}" for m in results["metrics"]]
    assert len(elements.select("svg", "chart")) == len(alarms) + len(metrics)
    assert len(elements.select("line", "threshold")) == 2  # the composite has none


def test_rendered_bars_are_the_alarms_statistics(rendered):
    dom, _, _, _ = rendered
    # Bars in document order: the errors-high chart first, then latency-p90-high.
    cards = re.split(r'<article class="card alarm"', dom)[1:]
    def bars(card: str) -> dict[str, float]:
        return {t: float(v) for t, v in re.findall(r'<rect class="bar[^"]*"[^>]*data-time="([^"]+)" data-value="([^"]+)"', card)}
    assert bars(cards[0]) == errors_per_minute()
    assert bars(cards[1]) == p90_per_minute()
    # Breaching bars are marked: Sum >= 3 and p90 > 500.
    breach0 = set(re.findall(r'<rect class="bar breach"[^>]*data-time="([^"]+)"', cards[0]))
    assert breach0 == {t for t, v in errors_per_minute().items() if v >= 3}
    breach1 = set(re.findall(r'<rect class="bar breach"[^>]*data-time="([^"]+)"', cards[1]))
    assert breach1 == {t for t, v in p90_per_minute().items() if v > 500}


def test_rendered_alarm_shading_covers_the_time_in_alarm(rendered):
    dom, _, results, _ = rendered
    cards = re.split(r'<article class="card alarm"', dom)[1:]
    for card, name in zip(cards, ["errors-high", "latency-p90-high", "api-degraded"]):
        shaded = re.findall(r'<rect class="state-ALARM"[^>]*><title>ALARM (\S+) to (\S+)</title>', card)
        changes = [(json.loads(i["HistoryData"])["newState"]["stateValue"], i["Timestamp"].replace(".000Z", "Z"))
                   for i in results["alarmHistory"] if i["AlarmName"] == name]
        expected = [(t, next(u for s, u in changes[k + 1:])) for k, (s, t) in enumerate(changes) if s == "ALARM"]
        assert shaded == expected, name
    # By hand from the fixture: 4 and 5 errors at 12:01 and 12:02 put errors-high in ALARM at 12:03
    # (2 of 2), and 1 error at 12:04 ends it at 12:05.
    assert re.search(r"ALARM 2024-05-01T12:03:00Z to 2024-05-01T12:05:00Z", cards[0])


def test_rendered_layout_fits_the_window(rendered):
    dom, _, _, narrow = rendered
    layout = layout_of(dom)
    assert layout["viewport"] == 1280
    assert layout["scrollWidth"] <= layout["viewport"]  # nothing overflows sideways
    assert len(layout["charts"]) == 5
    for chart in layout["charts"]:
        assert chart["w"] > 800, chart
        assert chart["h"] > 80, chart
    bars = {b["alarm"]: b for b in layout["bars"]}
    assert bars["errors-high"]["visible"] == bars["errors-high"]["count"] == len(errors_per_minute())
    assert bars["latency-p90-high"]["visible"] == len(p90_per_minute())
    small = layout_of(narrow)  # a narrow window: the charts shrink, wide tables scroll in place
    assert small["viewport"] == 760 and small["scrollWidth"] <= small["viewport"]
    assert all(300 < c["w"] < 760 for c in small["charts"])


def test_rendered_sections_and_accounting(rendered):
    dom, _, results, _ = rendered
    for section in ("alarms", "metrics", "transitions", "inputs", "filters"):
        assert f'<section id="{section}">' in dom
    total = results["summary"]["inputs"]["total"]
    row = re.search(r'<tr class="input"><td>total</td><td></td>((?:<td class="num">[^<]*</td>){4})', dom).group(1)
    assert re.findall(r">([^<]*)<", row)[::2] == [f"{total[k]:,}" for k in ("read", "delivered", "rejected", "skipped")]
    assert "malformed-json" in dom
    filters = re.findall(r'<tr class="filter" data-filter="([^"]+)">', dom)
    assert filters == ["api-errors", "api-latency"]
    assert "CWF104" in dom  # `$.path != "/health"` is false when path is missing: the lint shows


# --------------------------------------------------------------------------- the screenshot


def read_png(path: Path) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB or RGBA, non-interlaced PNG into rows of RGB bytes."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        previous = line
        rgb = bytes(line) if channels == 3 else bytes(b for i, b in enumerate(line) if i % 4 != 3)
        rows.append(rgb)
    return width, height, rows


def count_near(rows: list[bytes], colour: tuple[int, int, int], tolerance: int = 12) -> int:
    """How many pixels are within `tolerance` of `colour` in each channel."""
    colours: Counter = Counter()
    for row in rows:
        colours.update(zip(row[0::3], row[1::3], row[2::3]))
    r0, g0, b0 = colour
    return sum(n for (r, g, b), n in colours.items()
               if abs(r - r0) <= tolerance and abs(g - g0) <= tolerance and abs(b - b0) <= tolerance)


def test_screenshot_shows_the_charts(rendered):
    _, png, _, _ = rendered
    width, height, rows = read_png(png)
    assert (width, height) == (640, 1200)  # 1280 x 2400 CSS pixels at half scale
    top = rows[:550]  # the three alarm cards
    assert count_near(top, (0x09, 0x69, 0xDA)) > 1_200  # blue bars of the evaluated statistic
    assert count_near(top, (0xCF, 0x22, 0x2E)) > 1_200  # red breaching bars and ALARM strips
    # The translucent red over white where the alarms were in ALARM.
    assert count_near(top, (248, 224, 225), tolerance=8) > 5_000
    assert count_near(rows, (255, 255, 255)) < width * height * 0.9  # not a blank page


# --------------------------------------------------------------------------- a real day's volume
#
# 3.5 days of transfer logs: thirteen 3-minute bursts of 200,000,000 bytes spread over the days, and
# one hour with a burst every 4 minutes, whose transitions crowd together on a 3.5-day axis. The
# alarm goes to ALARM on each burst minute and back to OK when the burst ends (missing data is
# not breaching), so its history has 13 + 15 ALARM spells, each 3 minutes long.

MULTIDAY_CONFIG = """\
metricFilters:
  - filterName: transfer-bytes
    logGroupName: /app/transfer
    filterPattern: '{ $.bytes > 0 }'
    metricTransformations:
      - {metricName: Bytes, metricNamespace: App, metricValue: $.bytes, unit: Bytes}
MetricAlarms:
  - AlarmName: transfer-burst
    Namespace: App
    MetricName: Bytes
    Statistic: Sum
    Period: 60
    EvaluationPeriods: 1
    Threshold: 150000000
    ComparisonOperator: GreaterThanOrEqualToThreshold
    TreatMissingData: notBreaching
"""

BURST_STARTS = [dt.datetime(2024, 5, 1, 1, 0) + dt.timedelta(minutes=397 * k) for k in range(13)]
CROWDED_HOUR = [dt.datetime(2024, 5, 3, 20, 0) + dt.timedelta(minutes=4 * k) for k in range(15)]
MULTIDAY_END = dt.datetime(2024, 5, 4, 13, 0)


def multiday_lines() -> list[str]:
    lines = []
    for start in [*BURST_STARTS, *CROWDED_HOUR]:
        for minute in range(3 if start in BURST_STARTS else 1):
            t = start + dt.timedelta(minutes=minute, seconds=20)
            lines.append(json.dumps({"timestamp": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "bytes": 200_000_000}))
    # Quiet traffic every 30 minutes, so that the run covers the whole range.
    t = dt.datetime(2024, 5, 1, 0, 0)
    while t < MULTIDAY_END:
        lines.append(json.dumps({"timestamp": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "bytes": 1_500}))
        t += dt.timedelta(minutes=30)
    return sorted(lines, key=lambda line: json.loads(line)["timestamp"])


MULTIDAY_PROBE = """<script>
const box = e => e.getBoundingClientRect();
const inside = (a, b) => a.left >= b.left - 0.5 && a.right <= b.right + 0.5 && a.top >= b.top - 0.5 && a.bottom <= b.bottom + 0.5;
const overlap = (a, b) => a.left < b.right - 0.01 && b.left < a.right - 0.01 && a.top < b.bottom - 0.01 && b.top < a.bottom - 0.01;
const pre = document.body.appendChild(document.createElement('pre'));
pre.id = 'layout';
document.querySelectorAll('details').forEach(d => d.open = true);
pre.textContent = JSON.stringify({
  viewport: window.innerWidth, scrollWidth: document.documentElement.scrollWidth,
  charts: [...document.querySelectorAll('svg.chart')].map(s => {
    const frame = box(s);
    const labels = [...s.querySelectorAll('text')];
    const marks = [...s.querySelectorAll('g.transition-mark')].map(box);
    let overlapping = 0;
    for (let i = 0; i < marks.length; i++) for (let j = i + 1; j < marks.length; j++) if (overlap(marks[i], marks[j])) overlapping++;
    return {
      alarm: s.closest('article').dataset.alarm || null,
      clipped: labels.filter(t => !inside(box(t), frame)).map(t => t.textContent),
      labels: labels.filter(t => t.classList.contains('value-label')).map(t => t.firstChild.textContent),
      marks: marks.length, overlapping,
      spells: [...s.querySelectorAll('rect[data-spell], rect.strip-ALARM, rect.strip-INSUFFICIENT_DATA')].map(r => box(r).width),
    };
  }),
});
</script>"""


@pytest.fixture(scope="module")
def multiday(browser, tmp_path_factory):
    """A real run over 3.5 days, its report rendered at 1400 and 760 px, and screenshots of both."""
    work = tmp_path_factory.mktemp("multiday")
    (work / "config.yaml").write_text(MULTIDAY_CONFIG, encoding="utf-8")
    log = work / "transfer.jsonl"
    log.write_text("\n".join(multiday_lines()) + "\n", encoding="utf-8")
    report = work / "report.html"
    done = subprocess.run(
        [str(CWFILTER), "run", str(work / "config.yaml"), str(log), "-o", "json", "--quiet", "--report", str(report),
         "--until", MULTIDAY_END.strftime("%Y-%m-%dT%H:%M:%SZ")],
        capture_output=True, env={**os.environ, "NO_COLOR": "1"},
    )
    assert done.returncode == 0, done.stderr.decode()
    probed = work / "probed.html"
    text = report.read_text(encoding="utf-8")
    probed.write_text(text.replace("</body>", MULTIDAY_PROBE + "</body>"), encoding="utf-8")
    layouts, shots = {}, {}
    for width in (1400, 760):
        dumped = headless(browser, work / f"profile-{width}", f"--window-size={width},3000", "--dump-dom", probed.as_uri())
        assert dumped.returncode == 0, dumped.stderr.decode(errors="replace")[-2000:]
        layouts[width] = layout_of(dumped.stdout.decode("utf-8"))
        png = work / f"report-{width}.png"
        shot = headless(browser, work / f"profile-shot-{width}", f"--window-size={width},1600",
                        "--force-device-scale-factor=0.5", f"--screenshot={png}", report.as_uri())
        assert shot.returncode == 0 and png.is_file(), shot.stderr.decode(errors="replace")[-2000:]
        shots[width] = png
    return text, json.loads(done.stdout), layouts, shots


def test_multiday_axis_labels_are_compact_and_inside_the_chart(multiday):
    _, _, layouts, _ = multiday
    for width, layout in layouts.items():
        assert layout["scrollWidth"] <= layout["viewport"], width
        for chart in layout["charts"]:
            assert chart["clipped"] == [], (width, chart)
            assert all(len(label) <= 5 for label in chart["labels"]), chart["labels"]
    labels = {label for chart in layouts[1400]["charts"] for label in chart["labels"]}
    assert "200M" in labels  # 200,000,000 bytes, as the Bytes axis shows it


def test_multiday_markers_never_overlap_and_share_the_lists_numbers(multiday):
    text, results, layouts, _ = multiday
    history = [i for i in results["alarmHistory"] if i["AlarmName"] == "transfer-burst"]
    # INSUFFICIENT_DATA -> OK at the first evaluation, then into and out of ALARM at each burst.
    assert len(history) == 1 + 2 * (len(BURST_STARTS) + len(CROWDED_HOUR))
    for layout in layouts.values():
        for chart in layout["charts"]:
            assert chart["overlapping"] == 0, chart
    card = re.search(r'<article class="card alarm"[^>]*data-alarm="transfer-burst".*?</article>', text, re.DOTALL).group(0)
    listed = [int(n) for n in re.findall(r'<li id="alarm-0-t(\d+)" data-mark="\1">', card)]
    assert listed == list(range(1, len(history) + 1))
    overview = card.split("</svg>")[0]
    marks = [(int(a), int(b), int(h)) for h, a, b in
             re.findall(r'<a href="#alarm-0-t(\d+)"><g class="transition-mark" data-first="(\d+)" data-last="(\d+)"', overview)]
    # Every transition has exactly one marker, clusters of neighbours share one, in order; each links to its row.
    covered = [n for first, last, _ in marks for n in range(first, last + 1)]
    assert covered == listed
    assert all(first == href for first, _, href in marks)
    assert any(last > first for first, last, _ in marks)  # the crowded hour is clustered


def test_multiday_every_alarm_spell_is_visible(multiday):
    text, results, layouts, _ = multiday
    card = re.search(r'data-alarm="transfer-burst".*?</article>', text, re.DOTALL).group(0)
    overview = card.split("</svg>")[0]
    widths = [float(w) for w in re.findall(r'<rect class="state-ALARM" data-spell="ALARM" x="[^"]+" y="[^"]+" width="([^"]+)"',
                                           overview)]
    assert len(widths) == len(BURST_STARTS) + len(CROWDED_HOUR)
    assert min(widths) >= 4.0  # the minimum drawn width, in viewBox units
    for width, layout in layouts.items():
        overview_chart = next(c for c in layout["charts"] if c["alarm"] == "transfer-burst")
        assert min(overview_chart["spells"]) >= 2.0, width  # on screen, even at 760 px
    # The summary line, against the time in ALARM summed from the run's own history.
    changes = sorted((i["Timestamp"], json.loads(i["HistoryData"])["newState"]["stateValue"])
                     for i in results["alarmHistory"] if i["AlarmName"] == "transfer-burst")
    stamps = [dt.datetime.fromisoformat(ts) for ts, _ in changes]
    minutes = sum((stamps[k + 1] - stamps[k]).total_seconds() // 60
                  for k, (_, state) in enumerate(changes) if state == "ALARM")
    hours, rest = divmod(int(minutes), 60)
    assert f'data-alarm-summary="transfer-burst">in ALARM 28 times, {hours} h {rest} min in all · 57 transitions · ' \
           "final state OK</p>" in card


def test_multiday_has_one_chart_per_day_and_exact_hover_values(multiday):
    text, _, _, shots = multiday
    card = re.search(r'data-alarm="transfer-burst".*?</article>', text, re.DOTALL).group(0)
    days = re.findall(r"<h4>(\d{4}-\d\d-\d\d)</h4>", card)
    assert days == ["2024-05-01", "2024-05-02", "2024-05-03", "2024-05-04"]
    assert "Sum 600,000,000" not in card  # a bar is one minute, never the 3-minute burst
    assert "Sum 200,000,000</title>" in card
    assert "threshold 150M" in card
    for png in shots.values():
        width, height, rows = read_png(png)
        reddish = sum(1 for row in rows for r, g, b in zip(row[0::3], row[1::3], row[2::3]) if r - max(g, b) > 60)
        assert reddish > 300, png  # the ALARM spells in the strip, breaching bars and the threshold, on screen
        assert count_near(rows, (255, 255, 255)) < width * height * 0.95  # not a blank page


def test_filters_table_says_which_samples_were_not_counted_and_why(tmp_path):
    """Matched events that publish no sample (value not numeric, dimension missing) get a column."""
    config = tmp_path / "config.yaml"
    config.write_text(
        "metricFilters:\n"
        "  - filterName: latency\n"
        "    filterPattern: '{ $.latency = * }'\n"
        "    metricTransformations:\n"
        "      - {metricName: Latency, metricNamespace: App, metricValue: $.latency,\n"
        "         dimensions: {Path: $.path}}\n",
        encoding="utf-8",
    )
    lines = [
        {"latency": 12, "path": "/a"}, {"latency": "fast", "path": "/a"}, {"latency": "slow", "path": "/b"},
        {"latency": 7}, {"latency": 9, "path": "/b"},
    ]
    log = tmp_path / "app.jsonl"
    log.write_text("".join(json.dumps({"timestamp": "2024-05-01T10:00:00Z", **d}) + "\n" for d in lines),
                   encoding="utf-8")
    report = tmp_path / "report.html"
    done = subprocess.run([str(CWFILTER), "run", str(config), str(log), "-o", "json", "-q", "--report", str(report)],
                          check=False, capture_output=True)
    assert done.returncode == 0, done.stderr.decode()
    summary = json.loads(done.stdout)["summary"]
    counts = summary["filters"][0]
    # {"latency": 7} has no path (dimension missing); "fast" and "slow" are not numbers.
    assert (counts["matched"], counts["samples"], counts["valueNotNumeric"], counts["dimensionMissing"]) == (5, 2, 2, 1)
    text = report.read_text(encoding="utf-8")
    table = text[text.index('id="filters-table"'):text.index("</table>", text.index('id="filters-table"'))]
    assert "<th>not counted</th>" in table
    cell = re.search(r'<td class="num not-counted" data-not-counted="(\d+)">([\d,]+)(.*?)</td>', table)
    assert cell is not None and int(cell.group(1)) == 3
    reasons = re.findall(r'<div class="muted loss" title="([^"]*)">([^<]*)</div>', cell.group(3))
    assert [r[1] for r in reasons] == ["2 value not numeric", "1 dimension missing"]
    # The full reason and its fix, as the run summary's losses give them, on hover.
    for (title, _), loss in zip(reasons, summary["losses"], strict=True):
        assert html.unescape(title) == f"{loss['reason']}. Fix: {loss['fix']}"


def test_a_metric_with_two_alarms_is_charted_with_the_first_alarms_statistic(tmp_path):
    """Two alarms on one metric with different statistics: the metric's chart shows the first
    alarm's, whatever the interpreter's hash seed (a set once picked one by its hash order)."""
    config = tmp_path / "config.yaml"
    config.write_text(
        "metricFilters:\n"
        "  - filterName: bytes\n"
        "    filterPattern: '{ $.bytes = * }'\n"
        "    metricTransformations:\n"
        "      - {metricName: Bytes, metricNamespace: Web, metricValue: $.bytes}\n"
        "MetricAlarms:\n"
        "  - {AlarmName: largest, Namespace: Web, MetricName: Bytes, Statistic: Maximum, Period: 60,\n"
        "     EvaluationPeriods: 1, Threshold: 100, ComparisonOperator: GreaterThanThreshold}\n"
        "  - {AlarmName: mean, Namespace: Web, MetricName: Bytes, Statistic: Average, Period: 60,\n"
        "     EvaluationPeriods: 1, Threshold: 100, ComparisonOperator: GreaterThanThreshold}\n",
        encoding="utf-8",
    )
    log = tmp_path / "web.jsonl"
    log.write_text("".join(json.dumps({"timestamp": f"2024-05-01T10:0{i}:00Z", "bytes": 50 * i}) + "\n"
                           for i in range(6)), encoding="utf-8")
    charted = set()
    for seed in range(1, 7):
        report = tmp_path / f"report-{seed}.html"
        done = subprocess.run([str(CWFILTER), "run", str(config), str(log), "-o", "json", "-q", "--report", str(report)],
                              check=False, capture_output=True, env={**os.environ, "PYTHONHASHSEED": str(seed)})
        assert done.returncode == 0, done.stderr.decode()
        charted.update(re.findall(r"<title>Web / Bytes: (\w+)</title>", report.read_text(encoding="utf-8")))
    assert charted == {"Maximum"}
