"""Benchmark workloads: corpus events scaled up, a seeded synthetic trail, and timing helpers.

Every target is a ratio against a baseline measured in the same process on the same events, so
the figures hold on a busy machine: each side is timed as the best of several interleaved rounds.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"

ROOT_USAGE = (
    '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}'
)
APACHE_PATTERN = "[ip, id, user, ts, request, status = 5*, bytes > 1000]"

# Read-only and routine calls that make up most of a real trail (by volume, in AWS's own
# CloudTrail Lake and Athena examples): none of them is a Security Hub control's event.
ROUTINE_CALLS = (
    "DescribeInstances", "GetObject", "ListBuckets", "AssumeRole", "GetCallerIdentity", "Decrypt",
    "DescribeSecurityGroups", "GenerateDataKey", "ListObjects", "DescribeVolumes", "GetBucketAcl",
    "DescribeLogStreams", "PutObject", "GetParameter", "DescribeTable", "ListRoles",
)


def lines(rel: str) -> list[str]:
    return (DATA / rel).read_text(encoding="utf-8").splitlines()


def apache_lines() -> list[str]:
    return lines("corpus/apache/elastic-examples-apache_logs.log")


def cloudtrail_records() -> list[dict]:
    """Every CloudTrail record of the corpus (the AWS docs, OTRF and Panther files)."""
    records = [json.loads(l)["event"] for l in lines("corpus/cloudtrail/aws-docs-cloudtrail-examples.jsonl") if l.strip()]
    records += [json.loads(l) for l in lines("corpus/cloudtrail/otrf-ec2_proxy_s3_exfiltration_2020-09-14011940.jsonl") if l.strip()]
    records += [json.loads(l)["log"] for l in lines("corpus/cloudtrail/panther-analysis-cloudtrail-rule-tests.jsonl") if l.strip()]
    return [r for r in records if isinstance(r, dict)]


def cloudtrail_messages() -> list[str]:
    """The corpus records as CloudWatch Logs stores them: one compact JSON record per event."""
    return [json.dumps(r, separators=(",", ":")) for r in cloudtrail_records()]


def synthetic_trail(n: int, seed: int = 7, security_share: float = 0.02) -> list[str]:
    """`n` CloudTrail events shaped like a working account's trail, seeded.

    Each is a corpus record; all but `security_share` of them get a routine call's eventName.
    The corpus alone is a detection test set (a third of its records are what the Security Hub
    filters look for); a real trail is mostly routine calls.
    """
    rng = random.Random(seed)
    templates = cloudtrail_records()
    out = []
    for _ in range(n):
        record = dict(rng.choice(templates))
        if rng.random() >= security_share:
            record["eventName"] = rng.choice(ROUTINE_CALLS)
        out.append(json.dumps(record, separators=(",", ":")))
    return out


def security_hub_config():
    """The 14 Security Hub CloudWatch.1-14 filters on one log group, as a cwfilter Config."""
    import cwfilter

    entries = json.loads((DATA / "conformance" / "cis-patterns.json").read_text(encoding="utf-8"))
    return cwfilter.Config.model_validate(
        {"metricFilters": [
            {"filterName": e["id"].replace(":", "-"), "logGroupName": "trail", "filterPattern": e["pattern"],
             "metricTransformations": [{"metricName": e["control"].replace(".", ""),
                                        "metricNamespace": "SecurityHub", "metricValue": "1"}]}
            for e in entries if e["id"].startswith("securityhub:")
        ]}
    )


def root_usage_config():
    import cwfilter

    return cwfilter.Config.model_validate(
        {"metricFilters": [{"filterName": "root", "logGroupName": "trail", "filterPattern": ROOT_USAGE,
                            "metricTransformations": [{"metricName": "RootUsage", "metricNamespace": "SecurityHub",
                                                       "metricValue": "1"}]}]}
    )


def best_of(rounds: int, *loops: Callable[[], object]) -> list[float]:
    """Time each loop `rounds` times, interleaved; the best time of each, in seconds."""
    best = [float("inf")] * len(loops)
    for _ in range(rounds):
        for i, loop in enumerate(loops):
            start = time.perf_counter()
            loop()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def over(data: Sequence[str], fn: Callable[[str], object]) -> Callable[[], int]:
    """A loop applying `fn` to every message; returns how many results were truthy."""

    def loop() -> int:
        n = 0
        for m in data:
            if fn(m):
                n += 1
        return n

    return loop


def error_log(path: Path, lines: int, share: float = 0.03, seed: int = 17) -> int:
    """Write `lines` Apache corpus lines to `path`, `share` of them (seeded) turned into an
    application's ``ERROR`` line; returns how many hold ``ERROR``."""
    rng = random.Random(seed)
    corpus = apache_lines()
    errors = 0
    with path.open("w", encoding="utf-8") as fh:
        for i in range(lines):
            line = corpus[i % len(corpus)]
            if share and rng.random() < share:
                line = f"2026-12-07T10:15:{i % 60:02d}.123Z ERROR [worker-{i % 8}] upstream failed: {line}"
                errors += 1
            fh.write(line + "\n")
    return errors


def compile_package() -> None:
    """Write the bytecode of cwfilter's modules, as installing a package does, so that a timed
    start does not compile them (editable installs, or PYTHONDONTWRITEBYTECODE, leave none)."""
    import compileall

    import cwfilter

    root = Path(cwfilter.__file__).resolve().parent
    for path in root.glob("*.py"):
        compileall.compile_file(str(path), quiet=2)
    for sub in ("engine", "grammar"):
        if (root / sub).is_dir():
            compileall.compile_dir(str(root / sub), quiet=2)


def median_of_runs(rounds: int, *commands: str) -> list[float]:
    """Wall time of each shell command (bash, output to /dev/null), run `rounds` times interleaved
    after one warm-up run each; the median of each, in seconds."""
    import statistics
    import subprocess

    times: list[list[float]] = [[] for _ in commands]
    for round_ in range(rounds + 1):
        for i, command in enumerate(commands):
            start = time.perf_counter()
            subprocess.run(command, shell=True, executable="/bin/bash", stdout=subprocess.DEVNULL, check=False)
            if round_:
                times[i].append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def record(benchmark, **figures) -> None:
    """Keep `figures` in the benchmark's extra info and print them on one line."""
    for key, value in figures.items():
        benchmark.extra_info[key] = round(value, 3) if isinstance(value, float) else value
    print(" ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in figures.items()))
