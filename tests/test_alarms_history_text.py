"""The alarm history of `-o json` written directly, against the general path it bypasses.

`history_item_texts` writes each transition's DescribeAlarmHistory item as the text
``json.dumps(history_item(t), indent=4, ensure_ascii=False)`` gives, and a transition whose reason
was decided from placed points has its StateReason and StateReasonData written by
`_points_texts`, without the `Datapoint`s, `_Point`s and data dict of `_Reason._rendered` (so
are those of an EventBridge detail, the transition lines of `-o jsonl`). Over
whole random histories (batch alarm banks with composite alarms, evaluators with SetAlarmState)
and over arbitrary placed points, both must give exactly what the general path gives.
"""

from __future__ import annotations

import json
import math
import re

import pytest
from cwfilter.engine.alarms.composite import CompositeAlarmEvaluator
from cwfilter.engine.alarms.evaluate import _points_texts, evaluation_range_size, service_json
from cwfilter.engine.alarms.evaluator import AlarmEvaluator
from cwfilter.engine.alarms.notifications import Transition, eventbridge_detail, history_item, history_item_texts
from cwfilter.engine.metrics.pipeline import AlarmBank
from cwfilter.engine.metrics.transform import MetricKey
from hypothesis import event, given, settings
from hypothesis import strategies as st

T0 = 1_704_067_200_000
MINUTE = 60_000

# Numbers as alarms and metrics carry them: integers, signed zeros, tiny and huge doubles (Java
# writes 1.0E7, 4.9E-324), values next to the thresholds.
thresholds = st.sampled_from([0, 1, 3, 0.0, -0.0, 1.0, 2.5, -3.0, 1e-300, 5e-324, 1.0e7, 1e21, 123456789.0])
VALUES = [0, 1, 3, -1.0, 0.0, -0.0, 0.5, 1.0, 2.5, 3.0, 1e-7, 1.0e7, 1e300, 5e-324]
values = st.sampled_from(VALUES)
texts = st.text(st.sampled_from('aZ09 "\\/\n\t\u00e9\u2713\U0001f4a5'), min_size=1, max_size=8)
STATISTICS = ["Sum", "Average", "SampleCount", "Minimum", "Maximum", "p50", "p90"]
OPERATORS = ["GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold",
             "LessThanOrEqualToThreshold"]

metric_alarms = st.builds(
    lambda n, m, treatment, period, stat, low, op, threshold, m_set, unit, description: {
        "AlarmName": "a", "Namespace": "ns", "MetricName": "m", "Period": period, "EvaluationPeriods": n,
        "Threshold": threshold, "ComparisonOperator": op,
        **({"TreatMissingData": treatment} if treatment else {}),
        **({"ExtendedStatistic": stat, **({"EvaluateLowSampleCountPercentile": low} if low else {})}
           if stat.startswith("p") else {"Statistic": stat}),
        **({"DatapointsToAlarm": min(m, n)} if m_set else {}), **({"Unit": unit} if unit else {}),
        "AlarmDescription": description,
    },
    st.integers(1, 5), st.integers(1, 5),
    st.sampled_from([None, "missing", "ignore", "breaching", "notBreaching"]),
    st.sampled_from([10, 20, 30, 60, 120, 300]), st.sampled_from(STATISTICS),
    st.sampled_from([None, "ignore", "evaluate"]), st.sampled_from(OPERATORS), thresholds, st.booleans(),
    st.sampled_from([None, "Count", "Bytes", "Count/Second"]), texts,
)


def _reference(transitions, margin: str) -> list[str]:
    """The general path: the item as a dict, indented by `json.dumps`."""
    return [json.dumps(history_item(t), indent=4, ensure_ascii=False).replace("\n", "\n" + margin)
            for t in transitions]


def _general_texts(tr: Transition) -> tuple:
    text, data = tr._rendered()
    return text, None if data is None else service_json(data)


def _direct(tr: Transition) -> bool:
    """Whether the transition's reason is written directly (placed points, not rendered yet)."""
    return tr._spec is not None and tr._decision is None and \
        _points_texts(tr._spec, tr._at, tr._points) is not None


READ_FIRST = st.sampled_from([False, False, False, True])


def _check_writer(transitions: list, margin: str, read_first: list[bool]) -> None:
    # Some transitions read before the history is written (rendered, as `--plot` would), the
    # rest written directly; the written text first, then the general path renders them all.
    for tr, read in zip(transitions, read_first):
        if read:
            tr._rendered()
    direct = sum(_direct(tr) for tr in transitions)
    event("no transition" if not transitions else
          f"written directly: {'none' if not direct else 'all' if direct == len(transitions) else 'some'}")
    texts = [tr._texts() for tr in transitions]
    details = [json.dumps(eventbridge_detail({}, tr), ensure_ascii=False) for tr in transitions]
    got = list(history_item_texts(transitions, margin))
    assert texts == [_general_texts(tr) for tr in transitions]
    assert got == _reference(transitions, margin)
    # The EventBridge detail (the transition lines of `-o jsonl`), its reasons' data written as
    # text the same way.
    assert details == [json.dumps(eventbridge_detail({}, tr), ensure_ascii=False) for tr in transitions]
    for text in got:  # (and it is the JSON of the item)
        assert json.loads(text)["HistoryItemType"] == "StateUpdate"


@settings(max_examples=200, deadline=None)
@given(alarms=st.lists(metric_alarms, min_size=1, max_size=3), names=st.lists(texts, min_size=3, max_size=3),
       composite=st.booleans(),
       samples=st.lists(st.tuples(st.integers(0, 40 * 60 - 1), values, st.sampled_from([None, "Count", "Bytes"])),
                        min_size=1, max_size=25),
       spread=st.sampled_from([1, 1, 20]), margin=st.sampled_from(["", "        "]), data=st.data())
def test_history_written_directly_equals_the_general_path_over_batch_runs(
        alarms, names, composite, samples, spread, margin, data):
    """A batch run's alarm bank (metric alarms over random samples, and a composite alarm over
    them): every history item's text, and every reason's text and data JSON, against the
    general path."""
    alarms = [dict(a, AlarmName=f"{names[i]}{i}") for i, a in enumerate(alarms)]
    composites = []
    if composite:
        rule = " OR ".join(f'ALARM("{a["AlarmName"]}")' for a in alarms).replace('\\', '\\\\')
        composites = [{"AlarmName": f"c{names[0]}", "AlarmRule": rule}]
    try:
        bank = AlarmBank(alarms, composites)
    except ValueError:  # (a name the rule grammar does not take)
        bank = AlarmBank(alarms, [])
    for second, value, unit in samples:
        bank.add(MetricKey("ns", "m", (), unit), T0 + second * spread * 1000 + 3, value)
    times = [T0 + s * spread * 1000 + 3 for s, _, _ in samples]
    changes = bank.close(max(times), min(times), None)
    transitions = [c.transition for c in changes]
    _check_writer(transitions, margin, data.draw(st.lists(READ_FIRST, min_size=len(transitions),
                                                          max_size=len(transitions))))


placed_values = st.sampled_from([*VALUES, None])  # (None: a missing period, the general path)


@settings(max_examples=200, deadline=None)
@given(alarm=metric_alarms, name=texts,
       steps=st.lists(st.one_of(
           st.tuples(st.just("points"), st.dictionaries(st.integers(1, 8), st.tuples(
               placed_values, st.sampled_from([1, 2, 5, 200, 1.0, 7.0])), max_size=6)),
           st.tuples(st.just("set"), st.sampled_from(["OK", "ALARM", "INSUFFICIENT_DATA"]), texts,
                     st.one_of(st.none(), st.dictionaries(texts, values, max_size=2)))),
           min_size=1, max_size=30),
       margin=st.sampled_from(["", "        "]), data=st.data())
def test_history_written_directly_equals_the_general_path_with_set_alarm_state(alarm, name, steps, margin, data):
    """An evaluator fed placed points (integers and doubles, missing values) minute by minute,
    with SetAlarmState between (reasons with quotes, backslashes, control and non-ASCII
    characters, and reason data), and a composite alarm following it: the history written
    directly against the general path."""
    alarm = dict(alarm, AlarmName=name)
    ev = AlarmEvaluator(alarm)
    comp = CompositeAlarmEvaluator({"AlarmName": "c\u00e9", "AlarmRule": "ALARM(x)"})
    transitions = []
    size = evaluation_range_size(alarm["EvaluationPeriods"])
    for i, step in enumerate(steps):
        at = T0 + (i + 1) * MINUTE
        before = ev.state
        if step[0] == "points":
            periods = ev.periods(at)
            placed = [(pos, periods[pos - 1][0], value, count) for pos, (value, count) in sorted(step[1].items())
                      if pos <= size]
            tr = ev.evaluate_points(at, placed)
        else:
            tr = ev.set_alarm_state(step[1], step[2], at, step[3])
        if tr is not None:
            transitions.append(tr)
        if ev.state != before:
            ctr = comp.update(at, {"x": ev.state}, "x")
            if ctr is not None:
                transitions.append(ctr)
    _check_writer(transitions, margin, data.draw(st.lists(READ_FIRST, min_size=len(transitions),
                                                          max_size=len(transitions))))


# Mostly numbers, sometimes what the general path rejects.
odd_values = st.sampled_from(VALUES * 4 + [None, True, math.inf, math.nan, 10**400, "1"])
odd_counts = st.sampled_from([None, 1, 3, 1.0, 2.5] * 4 + [True, 10**400])


@settings(max_examples=1000, deadline=None)
@given(alarm=metric_alarms, at_offset=st.integers(0, 59_999),
       points=st.lists(st.tuples(st.sampled_from([0, 0, 0, 0, 0, 1, -1]), st.integers(-2, 9),
                                 st.sampled_from([0, 0, 0, 0, 1, 30_000]),
                                 odd_values, odd_counts),
                       max_size=6))
def test_reasons_written_from_any_placed_points_equal_the_general_path(alarm, at_offset, points):
    """`_points_texts` over arbitrary placed points: positions that match their period or not,
    starts outside the range, two points in a period, values that are not finite numbers. Where
    it writes a reason, it is the general path's; where it declines, the general path renders
    (or raises) as before."""
    probe = AlarmEvaluator(alarm)
    at = T0 + 30 * MINUTE + at_offset
    periods = probe.periods(at)
    period_ms = alarm["Period"] * 1000
    placed = []
    for moved, slot, shift, value, count in points:  # (position: the slot's, or one off)
        pos = slot + moved
        start = periods[slot - 1][0] if 1 <= slot <= len(periods) else periods[0][1] + (slot - 1) * period_ms
        placed.append((pos, start + shift, value, count))
    placed = tuple(placed)

    def transition():
        from cwfilter.engine.alarms.evaluate import _Reason

        return Transition._of("a", at, "OK", _Reason("before", None), None, "ALARM", probe._spec, None, placed)

    try:
        want = _general_texts(transition())
    except Exception as exc:  # (a point the general path rejects; a state it keeps: no transition)
        with pytest.raises(type(exc), match="^" + re.escape(str(exc)) + "$"):
            transition()._texts()
        event("general path raises")
        return
    fast = _points_texts(probe._spec, at, placed)
    event("written directly" if fast is not None else "general path")
    assert transition()._texts() == want
    if fast is not None:
        assert fast == want


def test_a_sparse_month_of_the_cis_pack_is_written_directly(tmp_path):
    """The common case takes the direct path (the property tests above pass whichever path is
    taken): every transition of the CIS pack over sparse events, and its history text."""
    from cwfilter.engine.testing.cis import build_config, samples

    config = build_config("securityhub")
    alarms = config["MetricAlarms"]
    bank = AlarmBank(alarms, [])
    matching = [s for s in samples() if s.match]
    assert matching
    times = [T0 + k * 97 * MINUTE + 7 for k in range(40)]
    for k, ts in enumerate(times):
        for alarm in alarms[k % 3::3]:
            bank.add(MetricKey(alarm["Namespace"], alarm["MetricName"], ()), ts, 1.0)
    transitions = [c.transition for c in bank.close(max(times), min(times), None)]
    assert len(transitions) > 100
    assert all(_direct(tr) for tr in transitions)
    got = list(history_item_texts(transitions, "        "))
    assert all(tr._spec is not None for tr in transitions), "written without rendering"
    assert got == _reference(transitions, "        ")
