"""Real archives: a month of CIS metrics in memory, and thousands of small gzipped files.

* Memory of a batch run is bounded by series x periods, not by events: a month of one-minute
  data for the 14 Security Hub CIS filters (and their 14 alarms) is measured with `tracemalloc`
  after the last event, and reported as bytes per (series, minute) and for the month. With
  ``--benchmark-disable`` (the normal suite) it feeds two days and checks the per-cell bound;
  ``pytest benchmarks/bench_archive.py --benchmark-only -s`` feeds the whole month.
* Per-file cost: 1,000 small CloudTrail ``.json.gz`` files (as S3 delivers them, a few records
  each) against the same records in one file, in the same run; the difference per file is the
  cost of opening, sniffing and decompressing it, and must stay small next to its records.
"""

from __future__ import annotations

import gc
import gzip
import json
import time
import tracemalloc
from pathlib import Path

from cwfilter.engine.config.native import load_config
from cwfilter.engine.metrics.pipeline import Engine
from cwfilter.engine.metrics.runner import RunResult, run
from cwfilter.engine.testing.cis import build_config, samples

T0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z
MINUTE = 60_000
MAX_BYTES_PER_CELL = 700  # table + alarm history, per (series, minute); measured about 570


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


def test_a_month_of_cis_metrics_in_memory(benchmark, request, tmp_path: Path):
    minutes = 2 * 1440 if request.config.getoption("benchmark_disable") else 30 * 1440
    held, cells = benchmark.pedantic(_month, args=(tmp_path, minutes), rounds=1, iterations=1)
    assert cells == 14 * minutes, "every CIS filter publishes every minute"
    per_cell = held / cells
    month = per_cell * 14 * 30 * 1440
    benchmark.extra_info.update({"minutes": minutes, "held_bytes": held, "bytes_per_cell": per_cell,
                                 "month_bytes": month})
    print(f"\n{minutes:,} minutes x 14 CIS series: {held:,} bytes held, {per_cell:.0f} bytes per "
          f"(series, minute); a month: {month / 1e6:.0f} MB")
    assert per_cell <= MAX_BYTES_PER_CELL


RECORDS_PER_FILE = 5
FILES = 1000


def _records() -> list[dict]:
    return [json.loads(s.message) for s in samples()][:RECORDS_PER_FILE * 4]


def _write_archive(root: Path) -> tuple[list[str], str]:
    records = _records()
    many = []
    everything = []
    for i in range(FILES):
        recs = [dict(records[(i * RECORDS_PER_FILE + k) % len(records)]) for k in range(RECORDS_PER_FILE)]
        path = root / f"123456789012_CloudTrail_us-east-1_20240101T{i // 60 % 24:02d}{i % 60:02d}Z_{i:04x}.json.gz"
        path.write_bytes(gzip.compress(json.dumps({"Records": recs}).encode()))
        many.append(str(path))
        everything.extend(recs)
    one = root / "all.json.gz"
    one.write_bytes(gzip.compress(json.dumps({"Records": everything}).encode()))
    return many, str(one)


def _timed_run(tmp_path: Path, inputs: list[str]) -> float:
    engine = _cis_engine(tmp_path)
    result = RunResult()
    start = time.perf_counter()
    for _ in run(engine, inputs, result=result):
        pass
    elapsed = time.perf_counter() - start
    assert result.stats.total.delivered == FILES * RECORDS_PER_FILE
    return elapsed


def test_many_small_files_cost_little_per_file(benchmark, tmp_path: Path):
    many, one = _write_archive(tmp_path)
    one_file = min(_timed_run(tmp_path, [one]) for _ in range(3))
    many_files = benchmark.pedantic(lambda: min(_timed_run(tmp_path, many) for _ in range(3)),
                                    rounds=1, iterations=1)
    per_file = (many_files - one_file) / FILES
    per_record = one_file / (FILES * RECORDS_PER_FILE)
    ratio = per_file / (per_record * RECORDS_PER_FILE)
    benchmark.extra_info.update({"one_file_s": one_file, "many_files_s": many_files,
                                 "per_file_overhead_us": per_file * 1e6, "per_record_us": per_record * 1e6,
                                 "overhead_vs_records": ratio})
    print(f"\n{FILES:,} files of {RECORDS_PER_FILE} records: {many_files:.3f} s; the same records in one file: "
          f"{one_file:.3f} s; per file {per_file * 1e6:.0f} us of overhead against {per_record * 1e6:.0f} us "
          f"per record ({ratio:.2f} x the file's records)")
    assert ratio < 1.0, "opening a small file must cost less than reading its records"
