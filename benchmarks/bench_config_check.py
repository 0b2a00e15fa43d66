"""Checking a large configuration against the cost of parsing its patterns, as ratios in one run.

Baseline ``F_parse``: `grammar.parse` of N distinct patterns of the same four shapes as the
configuration's (terms, JSON, space-delimited, JSON with two conditions), each parsed for the
first time. Every round of either side uses patterns not seen before (the parser caches trees).

* ``cwfilter check`` of N metric filters across 100 log groups (a YAML document, as written by
  hand or by ``cwfilter import``): everything (document, quotas, every filter's fields and
  pattern, lint, wiring, CIS comparison), at most 16 x ``F_parse`` (12.9 measured with N = 10,000
  on a loaded 2-core machine: reading the YAML document and the lines of its paths is most of it);
* N x 10 metric filters on one log group (compact JSON): refused by the quota before any filter
  is checked, at most 8 x ``F_parse`` (6.5 measured: reading the JSON document and the lines of
  its paths is all of it).

``pytest benchmarks --benchmark-only`` runs N = 10,000 and asserts the targets; with
``--benchmark-disable`` each case runs once on a small N as a correctness check.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cwfilter.engine.config.sources import check_sources
from cwfilter.grammar import parse
from workloads import best_of

ROUNDS = 3
_round = iter(range(1, 1_000_000))


@pytest.fixture
def full(request) -> bool:
    """True in benchmark mode: full-size inputs and asserted targets."""
    return not request.config.getoption("benchmark_disable")


def _record(benchmark, **figures) -> None:
    for key, value in figures.items():
        benchmark.extra_info[key] = round(value, 3) if isinstance(value, float) else value
    print(" ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in figures.items()))


def _pattern(i: int, seed: int) -> str:
    k = f"{seed}x{i}"
    return (f'ERROR "request {k}"', f'{{ $.code = "{k}" }}', f"[ip, user, status = 5*, size > {i}, req = r{k}]",
            f'{{ ($.level = "ERROR") && ($.id = "{k}") }}')[i % 4]


def _patterns(n: int) -> list[str]:
    seed = next(_round)
    return [_pattern(i, seed) for i in range(n)]


def _config(path: Path, n: int, groups: int) -> Path:
    """A YAML configuration of `n` metric filters with distinct patterns over `groups` log groups."""
    lines = ["metricFilters:"]
    patterns = _patterns(n)
    patterns[-1] = "{ $.code = "  # the last filter's pattern is broken: every filter is checked
    for i, pattern in enumerate(patterns):
        lines += [f"  - filterName: filter-{i}",
                  f"    logGroupName: /app/group-{i % groups}",
                  f"    filterPattern: {json.dumps(pattern)}",
                  "    metricTransformations:",
                  f"      - metricName: Metric{i}",
                  "        metricNamespace: App",
                  "        metricValue: '1'"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _parse_all(n: int):
    patterns = _patterns(n)
    return lambda: [parse(p) for p in patterns]


def _check(path: Path):
    return lambda: check_sources([str(path)])


@pytest.mark.benchmark(group="config-check")
def test_check_of_many_filters_vs_parsing_their_patterns(benchmark, full, tmp_path):
    n = 10_000 if full else 200
    findings = benchmark.pedantic(_check(_config(tmp_path / "c0.yaml", n, 100)), rounds=1, iterations=1)
    assert [f.path for f in findings if f.is_error] == [f"metricFilters[{n - 1}].filterPattern"]
    if full:
        checks = iter([_check(_config(tmp_path / f"c{r}.yaml", n, 100)) for r in range(1, ROUNDS + 1)])
        parses = iter([_parse_all(n) for _ in range(ROUNDS)])
        ours, f_parse = best_of(ROUNDS, lambda: next(checks)(), lambda: next(parses)())
        _record(benchmark, filters=n, check_s=ours, per_filter_ms=1000 * ours / n, ratio_vs_F_parse=ours / f_parse)
        assert ours / f_parse <= 16.0


@pytest.mark.benchmark(group="config-check")
def test_quota_refusal_vs_parsing_a_tenth_as_many_patterns(benchmark, full, tmp_path):
    n = 10_000 if full else 200
    path = tmp_path / "one-group.json"
    filters = [{"filterName": f"f{i}", "logGroupName": "g", "filterPattern": f'"e{i}"',  # within 16 MiB
                "metricTransformations": [{"metricName": "m", "metricNamespace": "n", "metricValue": "1"}]}
               for i in range(10 * n)]
    path.write_text(json.dumps({"metricFilters": filters}, separators=(",", ":")), encoding="utf-8")
    findings = benchmark.pedantic(_check(path), rounds=1, iterations=1)
    errors = [f.message for f in findings if f.is_error]
    assert errors == [f"Too many metric filters for log group 'g': {10 * n} (at most 100 per log group)"]
    if full:
        parses = iter([_parse_all(n) for _ in range(ROUNDS)])
        ours, f_parse = best_of(ROUNDS, _check(path), lambda: next(parses)())
        _record(benchmark, filters=10 * n, check_s=ours, ratio_vs_F_parse=ours / f_parse)
        assert ours / f_parse <= 8.0
