"""Every CIS / Security Hub pattern parses, except the malformed transcriptions the file's notes name."""

from __future__ import annotations

import json
from pathlib import Path

import cwfilter
import pytest

ENTRIES = json.load(open(Path(__file__).parent / "data" / "conformance" / "cis-patterns.json", encoding="utf-8"))

# Malformed as published (cis-patterns.json notes): entry id and field -> the text at the fault.
MALFORMED = {
    ("cis-aws-6.0.0:5.15", "pattern"): '")',  # ($.eventName = AcceptHandshake") lacks its opening quote
    ("cis-aws-1.3.0:4.4", "pattern"): "$eventName",  # ($eventName=...) lacks the '.'
    ("cis-aws-1.2.0:3.4", "pattern_as_transcribed"): "me",  # PDF line break inside $.eventNa me
    ("cis-aws-3.0.0:4.4", "pattern_as_transcribed"): "me",
}


def _items():
    for e in ENTRIES:
        for key in ("pattern", "pattern_as_transcribed"):
            if key in e:
                yield pytest.param(e, key, id=f"{e['id']}:{key}")


@pytest.mark.parametrize("entry,key", list(_items()))
def test_cis_pattern(entry, key):
    text = entry[key]
    fault = MALFORMED.get((entry["id"], key))
    if fault is None:
        tree = cwfilter.parse(text)
        assert isinstance(tree, cwfilter.nodes.JsonPattern)
        return
    assert "malformed" in entry.get("notes", "").lower() or "typo" in entry.get("notes", "") or "line-wrap" in entry.get("notes", "")
    with pytest.raises(cwfilter.PatternError) as info:
        cwfilter.parse(text)
    assert text[info.value.start:].startswith(fault), str(info.value)
    # The caret line points at the fault.
    rendered = str(info.value).splitlines()
    assert rendered[2].index("^") - 2 == info.value.start


def test_every_malformed_entry_is_known():
    noted = {e["id"] for e in ENTRIES if "MALFORMED" in e.get("notes", "") or "typo" in e.get("notes", "")}
    assert noted <= {i for i, _ in MALFORMED}
