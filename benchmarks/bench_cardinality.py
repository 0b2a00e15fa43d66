"""High-cardinality dimensions: what a series costs, in memory and in time.

A filter with dimension ``req: $.requestId`` makes one series per event. Two figures, each a ratio
between whole-process runs of the CLI in the same benchmark (``--cardinality-guard off``, so that
every series is kept):

* peak memory (the child's maximum resident set) of ``-o json`` against ``-o jsonl`` on the same
  200,000 events in one hour: the json document must not hold more than the run itself
  (target <= 1.5);
* time of 1,000,000 events in one hour with a unique dimension value each against the same run
  without the dimension, both ``-o jsonl`` (target <= 2). Time is the child's CPU time (user +
  system, from ``wait4``): the runs are single-threaded, so on an idle machine it is their wall
  time, and unlike wall time it does not count the time the machine gave to other processes. Each
  side is the best of two interleaved runs; wall times and ``-o json`` (the default output off a
  terminal) are reported beside it.

``pytest benchmarks/bench_cardinality.py --benchmark-only -s`` runs the full sizes and asserts;
with ``--benchmark-disable`` (the normal suite) 5,000 events are run and nothing is asserted but
the output itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

CWFILTER = Path(sys.executable).parent / "cwfilter"
T0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z
MAX_JSON_VS_JSONL_MEMORY = 1.5
MAX_DIMENSION_TIME = 2.0
ROUNDS = 2


def _config(path: Path, dimension: bool) -> Path:
    dims = "        dimensions: {req: $.requestId}\n" if dimension else ""
    path.write_text(
        "metricFilters:\n"
        "  - filterName: requests\n"
        "    logGroupName: app\n"
        "    filterPattern: '{ $.status = * }'\n"
        "    metricTransformations:\n"
        "      - metricName: Requests\n"
        "        metricNamespace: App\n"
        '        metricValue: "1"\n' + dims,
        encoding="utf-8",
    )
    return path


def _events(path: Path, n: int) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            out.write(json.dumps({"timestamp": T0 + i * 3_600_000 // n, "requestId": f"req-{i:08d}",
                                  "status": 200}) + "\n")
    return path


def _run(config: Path, events: Path, output: str) -> tuple[float, float, int, int]:
    """(wall seconds, CPU seconds, peak resident KB, datapoints written) of one `cwfilter run` process."""
    start = time.perf_counter()
    with open(os.devnull, "wb") as sink, subprocess.Popen(
        [str(CWFILTER), "run", str(config), str(events), "-o", output, "--cardinality-guard", "off"],
        stdout=subprocess.PIPE if output == "json" else sink, stderr=subprocess.DEVNULL,
    ) as proc:
        assert proc.stdout is None or output == "json"
        body = proc.stdout.read() if proc.stdout is not None else b""
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    assert proc.returncode == 0
    points = sum(len(m["Datapoints"]) for m in json.loads(body)["metrics"]) if body else -1
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, points


def _best(runs: list[tuple[float, float, int, int]]) -> tuple[float, float]:
    """(wall, CPU) seconds, each the least over the rounds."""
    return min(r[0] for r in runs), min(r[1] for r in runs)


def test_high_cardinality_json_memory_and_time(benchmark, request, tmp_path: Path):
    disabled = request.config.getoption("benchmark_disable")
    memory_events = 5_000 if disabled else 200_000
    time_events = 5_000 if disabled else 1_000_000
    rounds = 1 if disabled else ROUNDS
    with_dim = _config(tmp_path / "dim.yaml", True)
    without = _config(tmp_path / "plain.yaml", False)

    small = _events(tmp_path / "hour.jsonl", memory_events)
    _, _, jsonl_kb, _ = _run(with_dim, small, "jsonl")
    _, _, json_kb, points = _run(with_dim, small, "json")
    assert points == memory_events  # one series, one datapoint, per event
    memory_ratio = json_kb / jsonl_kb

    big = small if time_events == memory_events else _events(tmp_path / "many.jsonl", time_events)
    plain, dim, dim_json = [], [], []
    for _ in range(rounds):
        plain.append(_run(without, big, "jsonl"))
        dim.append(benchmark.pedantic(_run, args=(with_dim, big, "jsonl"), rounds=1, iterations=1)
                   if not dim else _run(with_dim, big, "jsonl"))
        dim_json.append(_run(with_dim, big, "json"))
    assert {r[3] for r in dim_json} == {time_events}
    (plain_wall, plain_cpu), (dim_wall, dim_cpu), (json_wall, json_cpu) = _best(plain), _best(dim), _best(dim_json)
    time_ratio = dim_cpu / plain_cpu

    benchmark.extra_info.update({
        "json_peak_kb": json_kb, "jsonl_peak_kb": jsonl_kb, "json_vs_jsonl_memory": memory_ratio,
        "events": time_events, "plain_cpu_s": plain_cpu, "dimension_cpu_s": dim_cpu, "dimension_json_cpu_s": json_cpu,
        "plain_wall_s": plain_wall, "dimension_wall_s": dim_wall, "dimension_json_wall_s": json_wall,
        "dimension_vs_plain_time": time_ratio, "dimension_json_vs_plain_time": json_cpu / plain_cpu,
        "dimension_vs_plain_wall": dim_wall / plain_wall})
    print(f"\n{memory_events:,} series: -o json peaks at {json_kb / 1024:.0f} MB, -o jsonl at "
          f"{jsonl_kb / 1024:.0f} MB ({memory_ratio:.2f} x)\n{time_events:,} events, CPU (wall) seconds, best of "
          f"{rounds}: {plain_cpu:.1f} ({plain_wall:.1f}) without the dimension, -o jsonl; with a unique value each "
          f"{dim_cpu:.1f} ({dim_wall:.1f}) -o jsonl = {time_ratio:.2f} x ({dim_wall / plain_wall:.2f} x wall), "
          f"{json_cpu:.1f} ({json_wall:.1f}) -o json = {json_cpu / plain_cpu:.2f} x")
    if not disabled:
        assert memory_ratio <= MAX_JSON_VS_JSONL_MEMORY
        assert time_ratio <= MAX_DIMENSION_TIME
