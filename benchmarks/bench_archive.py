"""Real archives: a month of CIS metrics in memory.

* Memory of a batch run is bounded by series x periods, not by events: a month of one-minute
  data for the 14 Security Hub CIS filters (and their 14 alarms) is measured with `tracemalloc`
  after the last event, and reported as bytes per (series, minute) and for the month, next to a
  baseline measured in the same run: a bare dict holding one ``(series, minute) -> (count, sum)``
  tuple per cell, the least a Python table of the same cells costs. With
  ``--benchmark-disable`` (the normal suite) it feeds two days and checks the per-cell bound;
  ``pytest benchmarks/bench_archive.py --benchmark-only -s`` feeds the whole month.
"""

from __future__ import annotations

import gc
import json
import tracemalloc
from pathlib import Path

from cwfilter.engine.config.native import load_config
from cwfilter.engine.metrics.pipeline import Engine
from cwfilter.engine.testing.cis import build_config, samples

T0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z
MINUTE = 60_000
# Per (series, minute), against a bare dict entry: the period's aggregate plus the alarm's own series
# (a batch run finishes through the mergeable RunAggregate, which keeps them apart); measured 2.44.
MAX_CELL_VS_BARE = 2.6


def _cis_engine(tmp_path: Path) -> Engine:
    path = tmp_path / "cis.json"
    path.write_text(json.dumps(build_config("securityhub")), encoding="utf-8")
    return Engine(load_config([path]), keep_values=False)


def _month(tmp_path: Path, minutes: int) -> tuple[int, int]:
    """(traced bytes held after feeding, series x minutes with data)."""
    messages = [s.message for s in samples() if s.match]
    engine = _cis_engine(tmp_path)
    gc.collect()
    tracemalloc.start()
    try:
        for m in range(minutes):
            ts = T0 + m * MINUTE
            for i, message in enumerate(messages):
                engine.feed(message, ts + i, "CloudTrail/DefaultLogGroup")
        gc.collect()
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return held, len(engine.table)


def _bare(minutes: int) -> int:
    """Traced bytes of a dict with one `(series, start) -> (count, sum)` entry per cell."""
    gc.collect()
    tracemalloc.start()
    try:
        cells = {}
        for m in range(minutes):
            start = T0 + m * MINUTE
            for series in range(14):
                cells[(series, start)] = (m % 7 + 300, float(m % 7 + 300))
        gc.collect()
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(cells) == 14 * minutes
    return held


def test_a_month_of_cis_metrics_in_memory(benchmark, request, tmp_path: Path):
    minutes = 2 * 1440 if request.config.getoption("benchmark_disable") else 30 * 1440
    held, cells = benchmark.pedantic(_month, args=(tmp_path, minutes), rounds=1, iterations=1)
    assert cells == 14 * minutes, "every CIS filter publishes every minute"
    per_cell = held / cells
    bare = _bare(minutes) / cells
    month = per_cell * 14 * 30 * 1440
    benchmark.extra_info.update({"minutes": minutes, "held_bytes": held, "bytes_per_cell": per_cell,
                                 "month_bytes": month, "bare_bytes_per_cell": bare})
    print(f"\n{minutes:,} minutes x 14 CIS series: {held:,} bytes held, {per_cell:.0f} bytes per "
          f"(series, minute) ({per_cell / bare:.2f} x a bare dict entry of {bare:.0f} bytes); "
          f"a month: {month / 1e6:.0f} MB")
    assert per_cell <= MAX_CELL_VS_BARE * bare


def _sparse_month(config_path: Path, days: int, events: int) -> float:
    """One batch run of the CIS pack over `events` matching events spread over `days` days, fed
    and closed under the collector setting `run` keeps for a whole run (as `cwfilter run` does):
    `runner.long_lived_heap`, no full pass of the cyclic collector over objects that all live to
    the end of the run. (Without it, a full pass over this process's heap, 15 to 35 ms, lands
    in whichever run crosses the collector's threshold first, most often the one with alarms,
    whose 12,000 transitions are that many more objects.)"""
    import random
    import time

    from cwfilter.engine.metrics.runner import long_lived_heap
    from cwfilter.engine.testing.cis import samples

    rng = random.Random(5)
    messages = [s.message for s in samples()]
    times = sorted(T0 + rng.randrange(days * 1440 * MINUTE) for _ in range(events))
    engine = Engine(load_config([config_path]), keep_values=False)
    with long_lived_heap():
        start = time.perf_counter()
        for ts in times:
            engine.feed(messages[rng.randrange(len(messages))], ts, "CloudTrail/DefaultLogGroup")
        engine.close()
        return time.perf_counter() - start


def test_alarms_over_a_sparse_month_cost_little(benchmark, request, tmp_path: Path):
    """The CIS pack with its 14 alarms (every alarm evaluated every minute, as CloudWatch does)
    against the same run without alarms, over a month of sparse events (10,000 over 30 days)."""
    full = not request.config.getoption("benchmark_disable")
    days, events = (30, 10_000) if full else (2, 700)
    config = build_config("securityhub")
    with_alarms = tmp_path / "cis.json"
    with_alarms.write_text(json.dumps(config), encoding="utf-8")
    without = tmp_path / "cis-filters.json"
    without.write_text(json.dumps({"metricFilters": config["metricFilters"]}), encoding="utf-8")
    benchmark.pedantic(_sparse_month, args=(with_alarms, days, events), rounds=1, iterations=1)
    if full:
        best = [min(_sparse_month(p, days, events) for _ in range(5)) for p in (without, with_alarms)]
        ratio = best[1] / best[0]
        benchmark.extra_info.update({"seconds_without": best[0], "seconds_with": best[1], "ratio": ratio})
        print(f"\nsparse month, CIS pack: {best[0]:.2f} s without alarms, {best[1]:.2f} s with: {ratio:.2f}x")
        assert ratio <= 1.5
