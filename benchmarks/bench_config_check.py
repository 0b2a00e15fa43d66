"""Checking a large configuration, as ratios to reading the same configuration with PyYAML's C loader.

Baseline ``F_load``: ``yaml.load(text, Loader=yaml.CSafeLoader)`` of the YAML document of N = 10,000
metric filters, plus ``json.loads`` of the same configuration written as JSON. That is the least
any Python tool pays to read such a configuration at all (libyaml's scanner and parser, PyYAML's
composer and constructor), about a second on this machine: "checked in seconds" is "checked in a
small multiple of ``F_load``", and the ratio carries over to a faster or slower machine. Each
round writes new patterns (the parser keeps trees of patterns it has seen).

* ``cwfilter check`` of N metric filters across 100 log groups, YAML (as written by hand or by
  ``cwfilter import``): everything (document, quotas, every filter's fields and pattern, lint,
  wiring, CIS comparison), at most 1.5 x ``F_load`` (1.05 measured on a loaded 2-core machine:
  the YAML document is read once, and reading it is about half);
* the same configuration as JSON: at most 0.8 x ``F_load`` (0.53 measured);
* N x 10 metric filters on one log group (compact JSON, 15 MB): refused by the quota before any
  filter is checked, at most 1 x ``F_load`` (0.65 measured: decoding the document, then the line
  of the one finding).

``pytest benchmarks --benchmark-only`` runs N = 10,000 and asserts the targets; with
``--benchmark-disable`` each case runs once on a small N as a correctness check.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from cwfilter.engine.config.sources import check_sources
from workloads import best_of, record

ROUNDS = 3
_round = iter(range(1, 1_000_000))


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


def _json_twin(path: Path) -> Path:
    """The configuration of a YAML file, written as JSON next to it."""
    twin = path.with_suffix(".json")
    twin.write_text(json.dumps(yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader), indent=2),
                    encoding="utf-8")
    return twin


def _load(path: Path, twin: Path):
    """``F_load``: the YAML document read by PyYAML's C loader, and its JSON twin by json."""
    def loop():
        yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        json.loads(twin.read_text(encoding="utf-8"))
    return loop


def _check(path: Path):
    return lambda: check_sources([str(path)])


def _f_load(tmp_path: Path, n: int) -> float:
    path = _config(tmp_path / "load.yaml", n, 100)
    return best_of(ROUNDS, _load(path, _json_twin(path)))[0]


@pytest.mark.benchmark(group="config-check")
@pytest.mark.parametrize("form", ["yaml", "json"])
def test_check_of_many_filters_vs_reading_them(benchmark, full, tmp_path, form):
    n = 10_000 if full else 200

    def config(name: str) -> Path:
        path = _config(tmp_path / f"{name}.yaml", n, 100)
        return path if form == "yaml" else _json_twin(path)

    findings = benchmark.pedantic(_check(config("c0")), rounds=1, iterations=1)
    assert [f.path for f in findings if f.is_error] == [f"metricFilters[{n - 1}].filterPattern"]
    if full:
        checks = iter([_check(config(f"c{r}")) for r in range(1, ROUNDS + 1)])
        ours = best_of(ROUNDS, lambda: next(checks)())[0]
        f_load = _f_load(tmp_path, n)
        ratio = ours / f_load
        record(benchmark, filters=n, form=form, check_s=ours, F_load_s=f_load, ratio_vs_F_load=ratio)
        assert ratio <= (1.5 if form == "yaml" else 0.8)


@pytest.mark.benchmark(group="config-check")
def test_quota_refusal_of_ten_times_as_many_filters_on_one_group(benchmark, full, tmp_path):
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
        ours = best_of(ROUNDS, _check(path))[0]
        f_load = _f_load(tmp_path, n)
        record(benchmark, filters=10 * n, check_s=ours, F_load_s=f_load, ratio_vs_F_load=ours / f_load)
        assert ours / f_load <= 1.0
