"""Shared benchmark inputs: the repository's corpus copies, scaled up by repetition."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


@pytest.fixture(scope="session")
def full(request) -> bool:
    """True in benchmark mode: full-size inputs and asserted targets."""
    return not request.config.getoption("benchmark_disable")


def _lines(rel: str) -> list[str]:
    return (DATA / rel).read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="session")
def apache_lines() -> list[str]:
    return _lines("corpus/apache/elastic-examples-apache_logs.log")


@pytest.fixture(scope="session")
def cloudtrail_messages() -> list[str]:
    """CloudTrail records as CloudWatch Logs stores them: one compact JSON record per event."""
    out = []
    for rel in ("corpus/cloudtrail/panther-analysis-cloudtrail-rule-tests.jsonl",):
        for line in _lines(rel):
            if line.strip():
                out.append(json.dumps(json.loads(line)["log"], separators=(",", ":")))
    for line in _lines("corpus/cloudtrail/otrf-ec2_proxy_s3_exfiltration_2020-09-14011940.jsonl"):
        if line.strip():
            out.append(line)
    return out


@pytest.fixture(scope="session")
def security_hub_patterns() -> list[str]:
    entries = json.loads((DATA / "conformance" / "cis-patterns.json").read_text(encoding="utf-8"))
    return [e["pattern"] for e in entries if e["id"].startswith("securityhub:")]
