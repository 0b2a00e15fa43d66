"""parse -> unparse -> parse gives back the same tree, for every pattern we know of."""

from __future__ import annotations

import json
from pathlib import Path

import cwfilter
import pytest

DATA = Path(__file__).parent / "data" / "conformance"
FIXTURES = Path(__file__).parent / "fixtures"


def _conformance_patterns() -> list[str]:
    out = []
    for line in open(DATA / "filter-patterns.jsonl", encoding="utf-8"):
        if line.strip():
            r = json.loads(line)
            if not r.get("error"):
                out.append(r["pattern"])
    return sorted(set(out))


def _cis_patterns() -> list[str]:
    return sorted({e["pattern"] for e in json.load(open(DATA / "cis-patterns.json", encoding="utf-8"))})


def _canonical() -> list[str]:
    return [l for l in (FIXTURES / "roundtrip.txt").read_text(encoding="utf-8").splitlines() if l]


@pytest.mark.parametrize("text", _conformance_patterns() + _canonical())
def test_roundtrip(text):
    tree = cwfilter.parse(text)
    again = cwfilter.unparse(tree)
    assert cwfilter.parse(again) == tree


@pytest.mark.parametrize("text", _cis_patterns())
def test_cis_roundtrip(text):
    try:
        tree = cwfilter.parse(text)
    except cwfilter.PatternError:
        pytest.skip("a malformed transcription; test_cis.py checks its rejection")
    assert cwfilter.parse(cwfilter.unparse(tree)) == tree


@pytest.mark.parametrize("text", _canonical())
def test_canonical_text_is_a_fixed_point(text):
    """Each line of roundtrip.txt is already in canonical spacing: printing gives it back."""
    assert cwfilter.unparse(cwfilter.parse(text)) == text


def test_spacing_and_redundant_parentheses_are_normalised():
    assert cwfilter.unparse(cwfilter.parse("{($.a=1)||(($.b=x))}")) == "{ $.a = 1 || $.b = x }"
    assert cwfilter.unparse(cwfilter.parse("[a,b=1*||b=2,...,]")) == "[a, b = 1* || b = 2, ...,]"
    assert cwfilter.unparse(cwfilter.parse("ORDER-ITEM-1")) == "ORDER -ITEM -1"
