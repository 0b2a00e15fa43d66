"""Memory of a run grows with series x periods, never with events: 10x the events, the same peak.

Events are synthetic JSON log lines spread evenly over the same span of time, ten series (one per
`svc`): ten times the events put ten times the samples into the same periods, each held as one
compact aggregate (count, minimum, maximum, exact sum). Peak memory is measured with
`tracemalloc` from just before the first event to just after the last datapoint, once for N events
and once for 10 N; the larger run may use at most 1.5 times the smaller one's peak.

Run: ``pytest benchmarks/bench_memory.py --benchmark-only -s`` (1,000,000 vs 100,000 events, about
under a minute with tracing on). With ``--benchmark-disable`` (the normal suite) it runs 20,000 vs
2,000 events and still asserts the ratio, so the check cannot rot.
"""

from __future__ import annotations

import gc
import json
import tracemalloc
from pathlib import Path

from cwfilter.engine.config.native import load_config
from cwfilter.engine.metrics.pipeline import Engine

T0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z
SPACING_MS = 600  # 100 events a minute: a 60 s period of one series holds about 10 samples
SERIES = 10
MAX_RATIO = 1.5

CONFIG = {
    "metricFilters": [
        {
            "filterName": "Latency",
            "filterPattern": "{ $.latency >= 0 }",
            "metricTransformations": [
                {
                    "metricName": "Latency",
                    "metricNamespace": "Bench",
                    "metricValue": "$.latency",
                    "dimensions": {"Service": "$.svc"},
                    "unit": "Milliseconds",
                }
            ],
        }
    ]
}


def _stamp(i: int, n: int, span_ms: int) -> int:
    return T0 + i * span_ms // n


def _events(n: int, span_ms: int):
    """n events over span_ms, generated lazily so the input itself takes no memory."""
    for i in range(n):
        yield f'{{"svc":"s{i % SERIES}","latency":{(i * 7919) % 1000}}}', _stamp(i, n, span_ms)


def _peak_bytes(config, n: int, span_ms: int) -> tuple[int, int, int]:
    """(peak traced bytes, datapoints, samples) for n events through a fresh Engine."""
    engine = Engine(config, keep_values=False)
    gc.collect()
    tracemalloc.start()
    try:
        datapoints = samples = 0
        for dp in engine.feed_many(_events(n, span_ms)):
            datapoints += 1
            samples += dp.aggregate.sample_count
        for dp in engine.close():
            datapoints += 1
            samples += dp.aggregate.sample_count
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, datapoints, samples


def test_memory_does_not_grow_with_the_number_of_events(benchmark, request, tmp_path: Path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(CONFIG), encoding="utf-8")
    config = load_config([path])
    small, large = (2_000, 20_000) if request.config.getoption("benchmark_disable") else (100_000, 1_000_000)

    span_ms = small * SPACING_MS
    small_peak, small_points, small_samples = _peak_bytes(config, small, span_ms)
    large_peak, large_points, large_samples = benchmark.pedantic(
        _peak_bytes, args=(config, large, span_ms), rounds=1, iterations=1
    )

    ratio = large_peak / small_peak
    benchmark.extra_info.update(
        {"small_events": small, "large_events": large, "small_peak_bytes": small_peak,
         "large_peak_bytes": large_peak, "ratio": ratio}
    )
    print(
        f"\npeak traced memory: {small:,} events -> {small_peak:,} bytes; "
        f"{large:,} events -> {large_peak:,} bytes; ratio {ratio:.3f} (limit {MAX_RATIO})"
    )
    # Every event matched and became one sample; every (series, minute) with events was published.
    assert (small_samples, large_samples) == (small, large)
    for n, points in ((small, small_points), (large, large_points)):
        assert points == len({(i % SERIES, _stamp(i, n, span_ms) // 60_000) for i in range(n)})
    assert ratio <= MAX_RATIO
