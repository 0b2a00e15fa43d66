"""The filter-pattern conformance suite: every case of conformance/filter-patterns.jsonl.

Each case gives a pattern, an event, whether TestMetricFilter lists the event, and often the
expected extractedValues; `error` cases must be rejected. The file is a byte-identical copy of the
project's shared conformance data (see test_data_copies.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path

import cwfilter
import pytest
from cwfilter.engine.events import LogEvent
from cwfilter.engine.matching.interpret import interpret, interpret_extract

DATA = Path(__file__).parent / "data" / "conformance"

# Known divergences, each with its reason: none at present. A case listed here is skipped.
SKIP: dict[str, str] = {}


@dataclass(frozen=True)
class Case:
    id: str
    pattern: str
    event: str
    match: bool
    extracted: dict | None
    error: str | None
    source: str


def _load() -> list[Case]:
    cases = []
    with open(DATA / "filter-patterns.jsonl", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                r = json.loads(line)
                cases.append(
                    Case(r["id"], r["pattern"], r["event"], r["match"], r.get("extracted"),
                         r.get("error"), r["source"])
                )
    return cases


CASES = _load()


def test_the_suite_is_all_there():
    assert len(CASES) == 260
    assert len({c.id for c in CASES}) == len(CASES)
    assert len(SKIP) <= 5


@pytest.mark.parametrize("case", CASES, ids=attrgetter("id"))
def test_case(case: Case):
    if case.id in SKIP:
        pytest.skip(SKIP[case.id])
    if case.error:
        with pytest.raises(cwfilter.PatternError) as info:
            cwfilter.compile_pattern(case.pattern)
        err = info.value
        assert 0 <= err.start <= len(case.pattern)
        assert err.pattern == case.pattern
        return
    compiled = cwfilter.compile_pattern(case.pattern)
    assert compiled.matches(case.event) is case.match
    extracted = compiled.extract(case.event)
    if not case.match:
        assert extracted is None
    elif case.extracted is not None:
        assert extracted == case.extracted
    # The TestMetricFilter response lists the event exactly when it matches.
    response = cwfilter.test_metric_filter(case.pattern, [case.event])
    assert [m["eventNumber"] for m in response["matches"]] == ([1] if case.match else [])


@pytest.mark.parametrize("case", [c for c in CASES if not c.error], ids=attrgetter("id"))
def test_reference_interpreter_agrees(case: Case):
    tree = cwfilter.parse(case.pattern)
    event = LogEvent(case.event)
    assert interpret(tree, event) is case.match
    if case.match and case.extracted is not None:
        assert interpret_extract(tree, event) == case.extracted
