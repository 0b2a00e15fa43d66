"""The filter index's SIMD substring scans (stringzilla) against CPython's `str.find`: the same
candidates for every message, ASCII or not, compact or spaced, escaped or not."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import cwfilter
from cwfilter.engine.matching.routing import FilterIndex
from hypothesis import given, settings
from hypothesis import strategies as st

DATA = Path(__file__).resolve().parent / "data"
PATTERNS = [e["pattern"] for e in json.loads((DATA / "conformance" / "cis-patterns.json").read_text(encoding="utf-8"))
            if e["id"].startswith("securityhub:")]


def _index() -> FilterIndex:
    return FilterIndex([SimpleNamespace(compiled=cwfilter.compile_pattern(p), default_value=None) for p in PATTERNS])


SIMD = _index()
PLAIN = _index()
PLAIN._simd_find = str.find  # the scan the SIMD one replaces

KEYS = ["eventName", "eventSource", "errorCode", "userIdentity", "type", "invokedBy", "eventType", "x",
        "additionalEventData", "MFAUsed", "responseElements", "ConsoleLogin", "errorMessage"]
VALUES = ["DeleteTrail", "ConsoleLogin", "Root", "IAMUser", "AccessDeniedException", "Client.UnauthorizedOperation",
          "kms.amazonaws.com", "s3.amazonaws.com", "PutBucketAcl", "DisableKey", "DescribeInstances", "Success",
          "CreateVpc", "é", "Dél€", 'q"t', "b\\c", "\u2028", ""]
values = st.recursive(st.none() | st.booleans() | st.integers() | st.sampled_from(VALUES),
                      lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=4),
                      max_leaves=10)


@st.composite
def messages(draw) -> str:
    obj = draw(st.dictionaries(st.sampled_from(KEYS), values, max_size=8))
    text = json.dumps(obj, ensure_ascii=draw(st.booleans()),
                      separators=draw(st.sampled_from([(",", ":"), (", ", ": "), (",", " : ")])))
    if draw(st.booleans()):  # damage: a cut, a stray quote or a non-ASCII character anywhere
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(["", '"', "é", ":", '\\"', "\\u0041"])) + text[at:]
    return text


@settings(max_examples=1500, deadline=None)
@given(messages())
def test_simd_scans_find_what_str_find_finds(message):
    assert SIMD.candidates(message) == PLAIN.candidates(message)


def test_the_scans_decide_the_corpus_alike():
    lines = []
    for name in ("otrf-ec2_proxy_s3_exfiltration_2020-09-14011940.jsonl", "panther-analysis-cloudtrail-rule-tests.jsonl"):
        lines += (DATA / "corpus" / "cloudtrail" / name).read_text(encoding="utf-8").splitlines()
    hits = 0
    for line in lines:
        got = SIMD.candidates(line)
        assert got == PLAIN.candidates(line)
        hits += bool(got)
    assert 0 < hits < len(lines)
