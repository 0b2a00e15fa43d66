"""Terminal pictures: `cwfilter run --plot`, `cwfilter plot RESULTS.json`, and their pieces.

Runs are real subprocesses over `tests/fixtures/report/`; the expected bars, shading and
transition marks are derived from the fixture by hand or with plain Python, not from cwfilter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cwfilter.engine.report.chart import sparkline, terminal_chart
from cwfilter.engine.report.picture import AlarmView, StateSpan, TransitionRow

FIXTURES = Path(__file__).parent / "fixtures" / "report"
CONFIG = FIXTURES / "config.yaml"
LOG = FIXTURES / "api.jsonl"
CWFILTER = Path(sys.executable).parent / ("cwfilter.exe" if os.name == "nt" else "cwfilter")
T0 = 1714564800000  # 2024-05-01T12:00:00Z
MIN = 60_000


def run(*args: str, stdin: bytes = b"", columns: int = 100):
    env = {k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "PY_COLORS", "TTY_COMPATIBLE"}}
    env.update({"NO_COLOR": "1", "COLUMNS": str(columns)})
    done = subprocess.run([str(CWFILTER), *args], input=stdin, capture_output=True, env=env)
    return done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")


def chart_block(text: str, alarm: str) -> list[str]:
    """The lines of one alarm's chart in the command's output."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(alarm + "  "))
    end = next(i for i in range(start + 1, len(lines)) if lines[i] == "")
    return lines[start:end]


# --------------------------------------------------------------------------- pieces


def test_sparkline():
    assert sparkline([0, 4, 8]) == "▁▅█"
    assert sparkline([1, None, 1]) == "▄ ▄"
    assert sparkline([None, None]) == "  "
    assert sparkline(list(range(10)), width=5) == "▁▃▅▇█"  # groups of two show their largest: 1, 3 ... 9


def alarm_view(**kw) -> AlarmView:
    base = dict(name="a", kind="metric", statistic="Sum", period=60, threshold=3.0,
                operator="GreaterThanOrEqualToThreshold", evaluation_periods=1, metric="N / M")
    base.update(kw)
    return AlarmView(**base)


def test_terminal_chart_bars_threshold_shading_and_marks():
    view = alarm_view(
        points=[(T0, 1.0), (T0 + MIN, 4.0), (T0 + 2 * MIN, None), (T0 + 3 * MIN, 2.0)],
        states=[StateSpan(T0, T0 + 2 * MIN, "OK"), StateSpan(T0 + 2 * MIN, T0 + 3 * MIN, "ALARM"),
                StateSpan(T0 + 3 * MIN, T0 + 4 * MIN, "OK")],
        transitions=[TransitionRow(T0 + 2 * MIN, "a", "OK", "ALARM", "r"), TransitionRow(T0 + 3 * MIN, "a", "ALARM", "OK", "r")],
        state="OK",
    )
    lines = ["".join(t for t, _ in line) for line in terminal_chart(view, T0, T0 + 4 * MIN, width=40, height=5)]
    assert lines[0] == "a  Sum of N / M per 60 s; ALARM when >= 3 in 1 of 1 periods"
    # Values 0..4 on 5 rows; 4 one-minute slots in 32 columns: 8 columns each, the last one a gap.
    labels = [line[: line.index(" ┤" if "┤" in line else " ┼")].strip() for line in lines[1:6]]
    assert labels == ["4", "3", "", "", "0"]  # top, threshold, bottom
    plot = [line[line.index("┤" if "┤" in line else "┼") + 1:] for line in lines[1:6]]
    assert [len(row) for row in plot] == [32] * 5
    top, threshold, middle, low, bottom = plot
    assert bottom == "███████ " + "███████ " + "░" * 8 + "███████ "
    assert low == "▂▂▂▂▂▂▂ " + "███████ " + "░" * 8 + "███████ "  # 1.0 = 10 eighths; 2.0 = 20
    assert middle == " " * 8 + "███████ " + "░" * 8 + "▄▄▄▄▄▄▄ "
    assert threshold == "┄" * 8 + "███████" + "┄" * 17  # the threshold line runs over the shading
    assert top == " " * 8 + "███████ " + "░" * 8 + " " * 8  # only 4.0 reaches the top; ALARM shaded
    strip = lines[7]
    assert strip == "state  " + "─" * 16 + "▓" * 8 + "─" * 8
    assert lines[8] == " " * 7 + " " * 16 + "1" + " " * 7 + "2" + " " * 7
    assert lines[9].split() == ["12:00", "12:04"]
    assert lines[10:12] == ["       1 12:02 OK → ALARM", "       2 12:03 ALARM → OK"]
    assert all(len(line) <= 40 for line in lines[1:])


def test_terminal_chart_legend_dates_the_transitions_of_a_chart_that_spans_days():
    day = 1440 * MIN
    start = T0 + 11 * 60 * MIN  # 23:00 on 2024-05-01, to 01:00 the next day: two hours over two dates
    view = alarm_view(
        points=[(start + i * MIN, float(i % 5)) for i in range(120)],
        states=[StateSpan(start, start + 90 * MIN, "OK"), StateSpan(start + 90 * MIN, start + 120 * MIN, "ALARM")],
        transitions=[TransitionRow(start + 90 * MIN, "a", "OK", "ALARM", "r")], state="ALARM")
    lines = ["".join(t for t, _ in line) for line in terminal_chart(view, start, start + 120 * MIN, width=80)]
    assert "       1 2024-05-02 00:30 OK → ALARM" in lines
    assert any(line.split() == ["2024-05-01", "23:00", "2024-05-02", "01:00"] for line in lines)
    # Inside one day, the time alone.
    same = alarm_view(points=view.points, states=[StateSpan(T0, T0 + 120 * MIN, "OK"), StateSpan(T0 + 120 * MIN, T0 + day, "ALARM")],
                      transitions=[TransitionRow(T0 + 120 * MIN, "a", "OK", "ALARM", "r")], state="ALARM")
    lines = ["".join(t for t, _ in line) for line in terminal_chart(same, T0, T0 + 180 * MIN, width=80)]
    assert "       1 14:00 OK → ALARM" in lines


def test_terminal_chart_of_a_composite_alarm_has_states_only():
    view = AlarmView(name="c", kind="composite", rule='ALARM("a")',
                     states=[StateSpan(T0, T0 + MIN, "INSUFFICIENT_DATA"), StateSpan(T0 + MIN, T0 + 2 * MIN, "ALARM")],
                     transitions=[TransitionRow(T0 + MIN, "c", "INSUFFICIENT_DATA", "ALARM", "r", True)])
    lines = ["".join(t for t, _ in line) for line in terminal_chart(view, T0, T0 + 2 * MIN, width=30)]
    assert lines[0] == 'c  composite alarm: ALARM("a")'
    assert lines[1].split() == ["state", "·" * 11 + "▓" * 11]  # 2 slots in 30 - 6 - 2 columns
    assert not any("┤" in line for line in lines)


def test_terminal_chart_groups_many_periods_by_the_most_breaching_value():
    points = [(T0 + i * MIN, float(i % 7)) for i in range(600)]
    high = alarm_view(points=points, states=[StateSpan(T0, T0 + 600 * MIN, "OK")])
    low = alarm_view(points=points, operator="LessThanThreshold", states=[StateSpan(T0, T0 + 600 * MIN, "OK")])
    rows_high = ["".join(t for t, _ in line) for line in terminal_chart(high, T0, T0 + 600 * MIN, width=60, height=6)]
    rows_low = ["".join(t for t, _ in line) for line in terminal_chart(low, T0, T0 + 600 * MIN, width=60, height=6)]
    assert max(len(r) for r in rows_high[1:]) <= 60  # all but the title line fit the width
    top_high = rows_high[1][rows_high[1].index("┤") + 1:]
    assert set(top_high) == {"█"}  # every group of 11 minutes holds a 6 (the top of the scale)
    bottom_low = rows_low[6][rows_low[6].index("┤") + 1:]
    assert set(bottom_low) == {"▁"}  # ... and a 0, the most breaching value for LessThan


# --------------------------------------------------------------------------- the commands


@pytest.fixture(scope="module")
def results_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("plot") / "results.json"
    # -s p90: the results then hold the latency alarm's statistic for each period.
    code, out, err = run("run", str(CONFIG), str(LOG), "-o", "json", "--quiet", "-s", "p90")
    assert code == 0, err
    path.write_text(out, encoding="utf-8")
    return path


def test_run_json_holds_the_definitions_it_ran(results_file):
    doc = json.loads(results_file.read_text(encoding="utf-8"))
    assert [f["filterName"] for f in doc["metricFilters"]] == ["api-errors", "api-latency"]
    assert [a["AlarmName"] for a in doc["MetricAlarms"]] == ["errors-high", "latency-p90-high"]
    assert [a["AlarmName"] for a in doc["CompositeAlarms"]] == ["api-degraded"]


def test_plot_draws_each_alarm_from_the_results(results_file):
    code, out, err = run("plot", str(results_file))
    assert code == 0, err
    block = chart_block(out, "errors-high")
    assert block[0] == "errors-high  Sum of App / Errors per 60 s; ALARM when >= 3 in 2 of 2 periods"
    assert block[4].lstrip().startswith("3 ┼")  # 8 rows from 5 down to 0: 3 sits in the 4th
    strip = next(line for line in block if line.startswith("state"))
    # 6 one-minute slots (12:00-12:06) of 12 columns; ALARM from 12:03 to 12:05 by hand from the fixture.
    body = strip[7:]
    assert body == "·" * 12 + "─" * 24 + "▓" * 24 + "─" * 12
    assert "1 12:01 INSUFFICIENT_DATA → OK   2 12:03 OK → ALARM   3 12:05 ALARM → OK" in "\n".join(block)
    composite = chart_block(out, "api-degraded")
    assert composite[1].startswith("state") and "▓" in composite[1]
    assert "summary" in out and "│ App / Errors" in out


def test_plot_summary_sparklines_follow_the_fixture(results_file):
    code, out, _ = run("plot", str(results_file))
    row = next(line for line in out.splitlines() if line.startswith("│ App / Errors"))
    cells = [c.strip() for c in row.strip("│").split("│")]
    # 1, 4, 5, no data, 1 errors in the minutes 12:00-12:04, then an empty 12:05.
    assert cells[:5] == ["App / Errors", "Sum", "", "1", "5"]
    assert cells[5] == sparkline([1, 4, 5, None, 1, None]).rstrip()


def test_run_plot_matches_plot_of_the_results(results_file):
    code, out, err = run("run", str(CONFIG), str(LOG), "-o", "table", "--quiet", "--plot")
    assert code == 0, err
    _, plotted, _ = run("plot", str(results_file))
    for alarm in ("errors-high", "api-degraded"):
        assert chart_block(out, alarm) == chart_block(plotted, alarm)
    # p90 cannot be merged from a results file, but with -s p90 each bar is one exact period.
    assert chart_block(out, "latency-p90-high") == chart_block(plotted, "latency-p90-high")
    assert not any("note:" in line for line in chart_block(plotted, "latency-p90-high"))


def test_run_plot_next_to_json_output_goes_to_stderr():
    code, out, err = run("run", str(CONFIG), str(LOG), "-o", "json", "--quiet", "--plot")
    assert code == 0
    json.loads(out)  # stdout stays one JSON document
    assert chart_block(err, "errors-high")[0].startswith("errors-high  Sum of App / Errors")


def test_plot_needs_definitions_for_alarm_statistics(tmp_path, results_file):
    doc = json.loads(results_file.read_text(encoding="utf-8"))
    for key in ("metricFilters", "MetricAlarms", "CompositeAlarms"):
        doc.pop(key)
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps(doc), encoding="utf-8")
    code, out, err = run("plot", str(bare))
    assert code == 0
    assert "give --config to chart the alarms' statistics" in err
    assert not any(line.startswith("errors-high  Sum") for line in out.splitlines())
    code, out, _ = run("plot", str(bare), "--config", str(CONFIG))
    assert chart_block(out, "errors-high")[0].startswith("errors-high  Sum of App / Errors")


def test_plot_reads_stdin_and_writes_a_report(tmp_path, results_file):
    report = tmp_path / "r.html"
    code, out, _ = run("plot", "-", "--report", str(report), stdin=results_file.read_bytes())
    assert code == 0 and "errors-high" in out
    assert report.read_text(encoding="utf-8").count('<article class="card alarm"') == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "cannot read"), ("not json", "is not JSON"), ('{"x": 1}', "not the results of cwfilter run")],
)
def test_plot_bad_results_exit_2(tmp_path, content, message):
    path = tmp_path / "results.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    code, out, err = run("plot", str(path))
    assert code == 2 and out == "" and message in err


def test_plot_from_a_coarser_run_period_says_what_it_cannot_recompute(tmp_path):
    code, out, _ = run("run", str(CONFIG), str(LOG), "-o", "json", "--quiet", "--period", "300")
    path = tmp_path / "r.json"
    path.write_text(out, encoding="utf-8")
    code, out, _ = run("plot", str(path))
    assert code == 0
    assert "note: Sum could not be recomputed for" in "\n".join(chart_block(out, "errors-high"))
