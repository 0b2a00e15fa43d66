"""Whole-process comparisons with the tools people reach for otherwise, printed as a table.

    python benchmarks/compare_tools.py [--lines 1000000] [--records 500000] [--runs 5]

* `cwfilter test 'ERROR' big.log` against `grep -c ERROR big.log` on 1,000,000 log lines
  (target: at most 10x grep);
* `cwfilter run` with the 14 Security Hub filters over 500,000 CloudTrail records against `jq`
  selecting the root-usage condition alone (target: cwfilter at least 10x faster than jq while
  doing all 14 filters);
* the cold start of `cwfilter test` on one line against `python3 -c pass` (target: at most 20x);
* `cwfilter run` with the CIS pack and its 14 alarms over a month of sparse CloudTrail events
  (10,000 over 30 days) against the same run without the alarms (target: at most 1.5x);
* `cwfilter run` with the CIS pack and its alarms over a day archive of 1,000 small `.json.gz`
  CloudTrail files (15 records each) against `zcat FILES | jq -c '.Records[]'` (target: at most
  1.5x).

Each command runs several times and the median wall time is reported (hyperfine when installed,
else a timer around subprocess runs). Inputs are generated, seeded, in a temporary folder from
the repository's corpus. Exit status 1 when a target is missed; the table is printed either way.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workloads import (  # noqa: E402
    ROOT_USAGE,
    apache_lines,
    cloudtrail_records,
    security_hub_config,
    synthetic_trail,
)

CWFILTER = str(Path(sys.executable).with_name("cwfilter"))


def median_seconds(command: str, runs: int) -> float:
    """Median wall time of a shell command over `runs` runs (after one warm-up)."""
    if shutil.which("hyperfine"):
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            subprocess.run(
                ["hyperfine", "--warmup", "1", "--runs", str(runs), "--ignore-failure", "--export-json", out.name,
                 "--style", "none", "--shell", "bash", command],
                check=True, stdout=subprocess.DEVNULL,
            )
            return json.load(open(out.name))["results"][0]["median"]
    subprocess.run(command, shell=True, check=False, stdout=subprocess.DEVNULL, executable="/bin/bash")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, shell=True, check=False, stdout=subprocess.DEVNULL, executable="/bin/bash")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _sparse_month_row(work: Path, runs: int) -> tuple:
    """The CIS pack with and without its alarms over 10,000 CloudTrail events in 30 days."""
    import random
    from datetime import UTC, datetime

    from cwfilter.engine.testing.cis import build_config

    rng = random.Random(5)
    # Records whose only time is eventTime, so the timeline is the month written here.
    records = [r for r in cloudtrail_records() if not any("time" in k.lower() and k != "eventTime" for k in r)]
    t0 = 1_704_067_200
    month = work / "month.jsonl"
    with month.open("w") as fh:
        for t in sorted(rng.randrange(30 * 86400) for _ in range(10_000)):
            record = dict(rng.choice(records))
            record["eventTime"] = datetime.fromtimestamp(t0 + t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            fh.write(json.dumps(record, separators=(",", ":")) + "\n")
    config = build_config("securityhub")
    with_alarms, without = work / "cis.json", work / "cis-filters.json"
    with_alarms.write_text(json.dumps(config))
    without.write_text(json.dumps({"metricFilters": config["metricFilters"]}))
    group = config["metricFilters"][0]["logGroupName"]
    t_without = median_seconds(f"{CWFILTER} run --quiet -o json {without} {month}@{group}", runs)
    t_with = median_seconds(f"{CWFILTER} run --quiet -o json {with_alarms} {month}@{group}", runs)
    return ("cwfilter run, CIS + alarms", "the same, no alarms", t_with, "10,000 events, 30 days", t_without,
            "<= 1.5x", t_with / t_without <= 1.5)


def _day_archive_row(work: Path, runs: int) -> tuple:
    """The CIS pack with its alarms over a day archive of 1,000 small `.json.gz` files, against
    `zcat | jq -c '.Records[]'` over the same files."""
    from bench_small_files import DAY_PER_FILE, _write_archive
    from cwfilter.engine.testing.cis import build_config

    day = work / "day"
    many, _ = _write_archive(day, 1000, DAY_PER_FILE)
    listing = day / "files.txt"
    listing.write_text("\n".join(many) + "\n")
    config = day / "cis.json"
    config.write_text(json.dumps(build_config("securityhub")))
    t_jq = median_seconds(f"zcat $(cat {listing}) | jq -c '.Records[]'", runs)
    t_run = median_seconds(f"{CWFILTER} run --quiet -o json {config} $(cat {listing})", runs)
    return ("cwfilter run, CIS day archive", "zcat | jq -c .Records[]", t_run, f"1,000 files, {1000 * DAY_PER_FILE:,} records",
            t_jq, "<= 1.5x", t_run / t_jq <= 1.5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--records", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows: list[tuple[str, str, float, str, float, str, bool]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        corpus = apache_lines()
        big = work / "big.log"
        with big.open("w") as fh:
            for i in range(args.lines):
                fh.write(corpus[i % len(corpus)] + "\n")
        one = work / "one.log"
        one.write_text(corpus[0] + "\n")
        trail = work / "trail.jsonl"
        trail.write_text("\n".join(synthetic_trail(args.records, seed=3)) + "\n")
        config = work / "securityhub.json"
        config.write_text(security_hub_config().model_dump_json(by_alias=True, exclude_none=True))

        t_grep = median_seconds(f"grep -c ERROR {big}", args.runs)
        t_test = median_seconds(f"{CWFILTER} test -o text ERROR {big}", args.runs)
        rows.append(("cwfilter test 'ERROR'", "grep -c ERROR", t_test, f"{args.lines:,} lines", t_grep,
                     "<= 10x grep", t_test / t_grep <= 10))

        if shutil.which("jq"):
            jq = ('jq -c \'select(.userIdentity.type == "Root" and (.userIdentity | has("invokedBy") | not) '
                  f'and .eventType != "AwsServiceEvent")\' {trail} | wc -l')
            t_jq = median_seconds(jq, max(1, args.runs // 2))
            t_run = median_seconds(
                f"{CWFILTER} run --quiet -o json --lateness 100000000 {config} {trail}@trail", args.runs
            )
            rows.append(("cwfilter run (14 filters)", "jq (root usage only)", t_run, f"{args.records:,} records",
                         t_jq, ">= 10x faster than jq", t_jq / t_run >= 10))
        else:
            print("jq is not installed: skipping the jq comparison (apt-get install jq)", file=sys.stderr)

        t_py = median_seconds(f"{sys.executable} -c pass", args.runs)
        t_cold = median_seconds(f"{CWFILTER} test -o text ERROR {one}", args.runs)
        rows.append(("cwfilter test, 1 line", "python3 -c pass", t_cold, "cold start", t_py,
                     "<= 20x python", t_cold / t_py <= 20))

        rows.append(_sparse_month_row(work, args.runs))
        if shutil.which("jq") and shutil.which("zcat"):
            rows.append(_day_archive_row(work, args.runs))

    print(f"{'command':28} {'seconds':>9}  {'baseline':24} {'seconds':>9}  {'ratio':>7}  {'target':24} met")
    ok = True
    for name, base, t, what, tb, target, met in rows:
        ratio = t / tb
        print(f"{name:28} {t:9.3f}  {base:24} {tb:9.3f}  {ratio:7.2f}  {target:24} {'yes' if met else 'NO'}   ({what})")
        ok &= met
    print(f"\n(pattern of the jq comparison: {ROOT_USAGE})")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
