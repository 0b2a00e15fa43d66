"""Conformance: every case of tests/data/conformance/alarms.jsonl, compared as its README says.

State (``NOT_ALARM`` = any state but ALARM), the exact reason text, every key the case gives of the
reason data, doc-sequence states evaluated period by period, and composite rules. Cases marked
``decision_conflict`` are skipped with that reason; ``e2e`` cases run through the CLI elsewhere.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cwfilter.engine.alarms.composite import evaluate_composite
from cwfilter.engine.alarms.evaluate import evaluate_alarm
from cwfilter.engine.alarms.evaluator import AlarmEvaluator
from cwfilter.engine.alarms.notifications import history_item

DATA = Path(__file__).parent / "data"
CASES = [json.loads(line) for line in
         (DATA / "conformance" / "alarms.jsonl").read_text(encoding="utf-8").splitlines()
         if line.strip()]
E2E_SKIP = "end-to-end: runs through the CLI in test_alarms_e2e.py"


def _params():
    for case in CASES:
        marks = []
        if case["kind"] == "e2e":
            marks.append(pytest.mark.skip(reason=E2E_SKIP))
        elif "decision_conflict" in case:
            marks.append(pytest.mark.skip(reason=case["decision_conflict"]))
        yield pytest.param(case, id=case["id"], marks=marks)


def _assert_state(got: str, expected: str) -> None:
    if expected == "NOT_ALARM":
        assert got != "ALARM"
    else:
        assert got == expected


def test_the_file_has_the_documented_kinds():
    kinds = {c["kind"] for c in CASES}
    assert kinds == {"doc-table", "doc-rule", "doc-sequence", "observed", "composite", "e2e"}
    assert len(CASES) == 53
    assert len({c["id"] for c in CASES}) == len(CASES)


_TS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000")


def _matches_shape(got, shape) -> bool:
    """`shape` holds "<ts>" where any service timestamp may stand; everything else is exact."""
    if shape == "<ts>":
        return isinstance(got, str) and _TS.fullmatch(got) is not None
    if isinstance(shape, dict):
        return (isinstance(got, dict) and list(got) == list(shape)
                and all(_matches_shape(got[k], v) for k, v in shape.items()))
    if isinstance(shape, list):
        return (isinstance(got, list) and len(got) == len(shape)
                and all(_matches_shape(g, s) for g, s in zip(got, shape)))
    return got == shape and type(got) is type(shape)


@pytest.mark.parametrize("case", list(_params()))
def test_conformance(case):
    kind = case["kind"]
    if kind == "composite":
        assert evaluate_composite(case["alarm_rule"], case["child_states"]) == case["expected_state"]
        return

    if kind == "doc-sequence":
        # Evaluate at the end of each period in turn; each state is the next prior state.
        period = timedelta(seconds=case["alarm"]["Period"])
        prior = None
        states = {}
        for k, dp in enumerate(case["datapoints"], start=1):
            end = datetime.fromisoformat(dp["timestamp"]) + period
            result = evaluate_alarm(case["alarm"], case["datapoints"], end, prior)
            states[str(k)] = prior = result.state
        for k, expected in case["expected_states_after_period"].items():
            _assert_state(states[k], expected)
        _assert_state(prior, case["expected_state"])
        return

    result = evaluate_alarm(case["alarm"], case["datapoints"], case["evaluation_time"],
                            case.get("prior_state"))
    _assert_state(result.state, case["expected_state"])
    if "expected_reason" in case:
        assert result.reason == case["expected_reason"]
    for key, value in case.get("expected_reason_data", {}).items():
        assert result.reason_data is not None and key in result.reason_data, key
        assert result.reason_data[key] == value, key
        assert type(result.reason_data[key]) is type(value), key
    if "expected_reason_data_shape" in case:
        assert _matches_shape(result.reason_data, case["expected_reason_data_shape"])
    if "expected_history_summary" in case:
        # The same evaluation through the stateful evaluator, which starts where these cases
        # start (INSUFFICIENT_DATA, "Unchecked: Initial alarm creation").
        assert case["prior_state"] == "INSUFFICIENT_DATA"
        evaluator = AlarmEvaluator(case["alarm"])
        transition = evaluator.evaluate(case["evaluation_time"], case["datapoints"])
        item = history_item(transition)
        assert item["HistorySummary"] == case["expected_history_summary"]
        data = json.loads(item["HistoryData"])
        assert data["oldState"]["stateReason"] == case["prior_reason"]
        assert data["newState"]["stateReason"] == case["expected_reason"]
