"""Reasons built only on transitions, and quiet evaluations, against eager evaluation.

An `AlarmEvaluator` keeps each evaluation as its decision and builds the StateReason text and
data only on a transition or when `last_result` is read; an evaluation over a range with no
datapoint (`evaluate_quiet`, what a batch run uses between sparse events) reuses the decision
made once for an empty range. Over whole random histories, both must give exactly what
`evaluate_alarm` gives when called eagerly at every minute with the prior state.

A batch run's alarm bank goes further: it evaluates an alarm only where a cell of its metric
enters its range, moves to another period or leaves it, and decides the state from the values
(`evaluate_points`). Both are checked against the paths they bypass: the state against
`_decision`, and whole runs against evaluators driven at every boundary with datapoints merged
afresh from the per-cadence aggregates.
"""

from __future__ import annotations

import json

from cwfilter.engine.alarms.evaluate import (
    _KEEP,
    COMPARISON_OPERATORS,
    Datapoint,
    _decide_state,
    _decision,
    _spec,
    evaluate_alarm,
)
from cwfilter.engine.alarms.evaluator import AlarmEvaluator
from cwfilter.engine.config.native import load_config
from cwfilter.engine.metrics.pipeline import Engine
from cwfilter.engine.testing.cis import build_config
from hypothesis import given, settings
from hypothesis import strategies as st

T0 = 1_704_067_200_000
MINUTE = 60_000

alarms = st.builds(
    lambda n, m, treatment, period, threshold, m_set: {
        "AlarmName": "a", "Namespace": "ns", "MetricName": "m", "Statistic": "Sum",
        "Period": period, "EvaluationPeriods": n, "Threshold": threshold,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": treatment,
        **({"DatapointsToAlarm": min(m, n)} if m_set else {}),
    },
    st.integers(1, 4), st.integers(1, 4),
    st.sampled_from(["missing", "ignore", "breaching", "notBreaching"]),
    st.sampled_from([60, 120, 300]), st.sampled_from([1.0, 2.0]), st.booleans(),
)


@settings(max_examples=60, deadline=None)
@given(alarm=alarms, minutes=st.integers(5, 90),
       data=st.dictionaries(st.integers(0, 90), st.sampled_from([0.0, 1.0, 3.0]), max_size=8))
def test_lazy_and_quiet_evaluation_equal_eager_over_a_history(alarm, minutes, data):
    lazy = AlarmEvaluator(alarm)
    eager_state, eager_reason, eager_data = "INSUFFICIENT_DATA", None, None
    eager_transitions = []
    for minute in range(1, minutes + 1):
        at = T0 + minute * MINUTE
        periods = lazy.periods(at)
        points = []
        for start, end in periods:
            values = [v for k, v in data.items() if start <= T0 + k * MINUTE < end]
            if values:
                points.append({"timestamp": start, "value": sum(values), "sampleCount": len(values)})
        tr = lazy.evaluate(at, points) if points else lazy.evaluate_quiet(at)
        result = evaluate_alarm(alarm, points, at, eager_state if minute > 1 else "INSUFFICIENT_DATA")
        # Every evaluation's result, read on request, is the eager one.
        assert lazy.last_result == result
        if result.state != eager_state:
            eager_transitions.append((at, eager_state, result.state, result.reason, result.reason_data))
            eager_state, eager_reason, eager_data = result.state, result.reason, result.reason_data
        assert (tr is not None) == bool(eager_transitions and eager_transitions[-1][0] == at)
    got = [(t.timestamp, t.old_state, t.new_state, t.new_reason, t.new_reason_data) for t in lazy.transitions]
    assert got == eager_transitions
    if got:
        assert (lazy.state, lazy.reason, lazy.reason_data) == (eager_state, eager_reason, eager_data)


def _run(config_path, messages, times):
    engine = Engine(load_config([config_path]), keep_values=False)
    for m, ts in zip(messages, times):
        engine.feed(m, ts, "CloudTrail/DefaultLogGroup")
    engine.close()
    return engine


@settings(max_examples=15, deadline=None)
@given(offsets=st.lists(st.integers(0, 6 * 60), min_size=1, max_size=12))
def test_batch_run_skipping_quiet_minutes_equals_evaluating_each(tmp_path_factory, offsets):
    """The CIS pack over sparse events: the run's transitions and final states equal those of
    evaluators driven eagerly, minute by minute, over the metrics the run published."""
    from cwfilter.engine.testing.cis import samples

    path = tmp_path_factory.mktemp("cis") / "cis.json"
    path.write_text(json.dumps(build_config("securityhub")), encoding="utf-8")
    matching = [s.message for s in samples() if s.match]
    times = sorted(T0 + o * MINUTE + 7 for o in offsets)
    messages = [matching[i % len(matching)] for i in range(len(times))]
    engine = _run(path, messages, times)
    alarm_set = engine.alarms
    assert alarm_set is not None
    # Eager: the same alarms evaluated at every minute with the datapoints of the full history.
    config = build_config("securityhub")
    by_metric: dict[str, dict[int, list[float]]] = {}
    for mf in load_config([path]).metric_filters:
        from cwfilter import compile_pattern

        c = compile_pattern(mf.filter_pattern)
        for m, ts in zip(messages, times):
            if c.matches(m):
                slot = ts - ts % MINUTE
                by_metric.setdefault(mf.metric_transformations[0].metric_name, {}).setdefault(slot, []).append(1.0)
    first = -(-times[0] // MINUTE) * MINUTE
    last = (times[-1] // MINUTE + 1) * MINUTE
    for alarm, ev in zip(config["MetricAlarms"], alarm_set.evaluators):
        assert ev.name == alarm["AlarmName"]
        eager = AlarmEvaluator(alarm)
        slots = by_metric.get(alarm["MetricName"], {})
        t = first
        while t <= last:
            points = []
            for start, end in eager.periods(t):
                vals = [v for s, vs in slots.items() if start <= s < end for v in vs]
                if vals:
                    points.append({"timestamp": start, "value": sum(vals), "sampleCount": len(vals)})
            eager.evaluate(t, points)
            t += MINUTE
        assert [(x.timestamp, x.new_state, x.new_reason, x.new_reason_data) for x in ev.transitions] == \
            [(x.timestamp, x.new_state, x.new_reason, x.new_reason_data) for x in eager.transitions]
        assert (ev.state, ev.reason, ev.reason_data) == (eager.state, eager.reason, eager.reason_data)


# --------------------------------------------------------------------------- decided from values

value_alarms = st.builds(
    lambda n, m, treatment, op, threshold, m_set, low: {
        "AlarmName": "a", "Namespace": "ns", "MetricName": "m", "Period": 60, "EvaluationPeriods": n,
        "Threshold": threshold, "ComparisonOperator": op, "TreatMissingData": treatment,
        **({"DatapointsToAlarm": min(m, n)} if m_set else {}),
        **({"ExtendedStatistic": "p90", "EvaluateLowSampleCountPercentile": "ignore"} if low
           else {"Statistic": "Sum"}),
    },
    st.integers(1, 5), st.integers(1, 5), st.sampled_from(["missing", "ignore", "breaching", "notBreaching"]),
    st.sampled_from(["GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold",
                     "LessThanOrEqualToThreshold"]),
    st.sampled_from([0.0, 1.0, 2.0]), st.booleans(), st.booleans(),
)


@settings(max_examples=500, deadline=None)
@given(alarm=value_alarms, prior=st.sampled_from(["OK", "ALARM", "INSUFFICIENT_DATA"]),
       points=st.dictionaries(st.integers(1, 7), st.tuples(st.one_of(st.none(), st.sampled_from([0.0, 1.0, 2.0, 3.5])),
                                                           st.sampled_from([5, 200])), max_size=7))
def test_a_state_decided_from_values_is_the_state_evaluate_decides(alarm, prior, points):
    """`evaluate_points` (the state from (position, value, sample count), Datapoints and reasons
    built only on a transition) against `evaluate_alarm` on the same datapoints."""
    ev = AlarmEvaluator(alarm)
    ev.state = prior
    at = T0 + 60 * MINUTE
    periods = ev.periods(at)
    placed = [(pos, periods[pos - 1][0], value, count) for pos, (value, count) in sorted(points.items())
              if pos <= len(periods)]
    # The state alone, as `_decision` decides it (a transition is then confirmed by `evaluate`).
    spec = _spec(alarm)
    compare = COMPARISON_OPERATORS[alarm["ComparisonOperator"]][0]
    fast = _decide_state(spec, [(pos, compare(v, spec.threshold), float(c)) for pos, _, v, c in placed if v is not None])
    slow = _decision(spec, [Datapoint(s, v, float(c)) for _, s, v, c in placed], at, periods)[0]
    assert fast is slow if slow is _KEEP else fast == slow
    tr = ev.evaluate_points(at, placed)
    want = evaluate_alarm(alarm, [{"timestamp": s, "value": v, "sampleCount": c} for _, s, v, c in placed], at, prior)
    assert ev.last_result == want
    assert ev.state == want.state
    assert (tr is not None) == (want.state != prior)
    if tr is not None:
        assert (tr.new_state, tr.new_reason, tr.new_reason_data) == (want.state, want.reason, want.reason_data)


def _merged_periods(alarm: dict, cells: dict, periods: list, stat: str) -> list[dict]:
    """The datapoints of an evaluation, merged afresh from the per-cadence cells
    ``(start, unit) -> Aggregate`` for each ``(start, end)`` period that holds samples (those of the
    alarm's unit when it has one): the oracle the batch runs are held to."""
    points = []
    for start, stop in periods:
        agg = None
        for (s, u), part in sorted(cells.items()):
            if start <= s < stop and (not alarm.get("Unit") or u == alarm["Unit"]):
                agg = part if agg is None else agg.merge(part)
        if agg is not None and agg.sample_count:
            points.append({"timestamp": start, "value": agg.statistic(stat), "sampleCount": agg.sample_count})
    return points


bank_alarms = st.builds(
    lambda n, m, treatment, period, stat, op, threshold, m_set, unit: {
        "AlarmName": "a", "Namespace": "ns", "MetricName": "m", "Period": period, "EvaluationPeriods": n,
        "Threshold": threshold, "ComparisonOperator": op, "TreatMissingData": treatment,
        **({"ExtendedStatistic": stat, "EvaluateLowSampleCountPercentile": "ignore"} if stat.startswith("p")
           else {"Statistic": stat}),
        **({"DatapointsToAlarm": min(m, n)} if m_set else {}), **({"Unit": unit} if unit else {}),
    },
    st.integers(1, 4), st.integers(1, 4), st.sampled_from(["missing", "ignore", "breaching", "notBreaching"]),
    st.sampled_from([10, 30, 60, 120, 300]),
    st.sampled_from(["Sum", "Average", "SampleCount", "Minimum", "Maximum", "p90"]),
    st.sampled_from(["GreaterThanOrEqualToThreshold", "LessThanThreshold"]),
    st.sampled_from([1.0, 2.0, 3.0]), st.booleans(), st.sampled_from([None, "Count"]),
)


@settings(max_examples=120, deadline=None)
@given(alarms=st.lists(bank_alarms, min_size=1, max_size=3),
       samples=st.lists(st.tuples(st.integers(0, 40 * 60 - 1), st.sampled_from([-1.0, 0.0, 1.0, 2.5, 3.0]),
                                  st.sampled_from([None, "Count", "Bytes"])), min_size=1, max_size=25),
       after=st.sampled_from([None, None, 0, 7, 45 * 60]))
def test_batch_alarms_evaluated_at_changes_equal_merging_every_boundary(alarms, samples, after):
    """The alarm bank of a batch run evaluates an alarm only when a cell of its metric enters its
    range, moves to another period or leaves the range, and decides the state from the values.
    Against evaluators driven at every cadence boundary with datapoints merged afresh from the
    per-cadence aggregates (what a batch run did before), over whole random histories: every
    transition (time, states, reason, reason data) and every final state are the same."""
    from cwfilter.engine.metrics.pipeline import AlarmBank
    from cwfilter.engine.metrics.series import Aggregate
    from cwfilter.engine.metrics.transform import MetricKey

    alarms = [dict(a, AlarmName=f"a{i}") for i, a in enumerate(alarms)]
    bank = AlarmBank(alarms, [])
    base = bank.base_seconds * 1000
    cells: dict[tuple[int, str], Aggregate] = {}
    for second, value, unit in samples:
        ts = T0 + second * 1000 + 3
        bank.add(MetricKey("ns", "m", (), unit), ts, value)
        cell = (ts - ts % base, unit or "None")
        cells.setdefault(cell, Aggregate()).add(value)
    times = [T0 + s * 1000 + 3 for s, _, _ in samples]
    first, last = min(times), max(times)
    until = None if after is None else last + after * 1000  # (evaluated through `until` too)
    changes = bank.close(last, first, until)
    end = (last // base + 1) * base
    if until is not None:
        end = max(end, until - until % base)
    eager_changes = []
    for alarm, ev in zip(alarms, bank.evaluators):
        eager = AlarmEvaluator(alarm)
        eager.state_timestamp = first
        step = 10_000 if alarm["Period"] < 60 else 60_000
        stat = alarm.get("Statistic") or alarm.get("ExtendedStatistic")
        t = -(-first // base) * base
        while t <= end:
            if t % step == 0:
                points = _merged_periods(alarm, cells, eager.periods(t), stat)
                tr = eager.evaluate(t, points)
                if tr is not None:
                    eager_changes.append(tr)
            t += base
        assert (ev.state, ev.reason, ev.reason_data, ev.state_timestamp) == \
            (eager.state, eager.reason, eager.reason_data, eager.state_timestamp)
    assert sorted((c.transition for c in changes), key=lambda tr: (tr.timestamp, tr.alarm_name)) == \
        sorted(eager_changes, key=lambda tr: (tr.timestamp, tr.alarm_name))
    # In the clock's order: by time, then in the alarms' order.
    order = [(c.transition.timestamp, c.transition.alarm_name) for c in changes]
    assert order == sorted(order)
    assert all(c.evaluator is ev and c.alarm is ev.alarm and c.transition in ev.transitions and not c.composite
               for c in changes for ev in bank.evaluators if ev.name == c.transition.alarm_name)


# --------------------------------------------------------------------------- reasons rendered when read

reason_alarms = st.builds(
    lambda n, m, treatment, period, stat, low, op, threshold, m_set, unit: {
        "AlarmName": "a", "Namespace": "ns", "MetricName": "m", "Period": period, "EvaluationPeriods": n,
        "Threshold": threshold, "ComparisonOperator": op, "TreatMissingData": treatment,
        **({"ExtendedStatistic": stat, **({"EvaluateLowSampleCountPercentile": "ignore"} if low else {})}
           if stat.startswith("p") else {"Statistic": stat}),
        **({"DatapointsToAlarm": min(m, n)} if m_set else {}), **({"Unit": unit} if unit else {}),
    },
    st.integers(1, 4), st.integers(1, 4), st.sampled_from(["missing", "ignore", "breaching", "notBreaching"]),
    st.sampled_from([10, 30, 60, 120, 300]),
    st.sampled_from(["Sum", "Average", "SampleCount", "Minimum", "Maximum", "p90", "p50"]), st.booleans(),
    st.sampled_from(["GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold",
                     "LessThanOrEqualToThreshold"]),
    st.sampled_from([0.0, 1.0, 2.5, 3.0]), st.booleans(), st.sampled_from([None, "Count", "Bytes"]),
)


def _rendered(reason) -> bool:
    """Whether the new reason of a transition (a `_Reason`) has been rendered (read) already."""
    return reason._spec is None


@settings(max_examples=150, deadline=None)
@given(alarms=st.lists(reason_alarms, min_size=1, max_size=3),
       samples=st.lists(st.tuples(st.integers(0, 45 * 60 - 1), st.sampled_from([-1.0, 0.0, 0.5, 1.0, 2.5, 3.0, 1e7]),
                                  st.sampled_from([None, "Count", "Bytes"])), min_size=1, max_size=30),
       spread=st.sampled_from([1, 1, 20]))
def test_reasons_rendered_when_read_equal_reasons_built_at_each_transition(alarms, samples, spread):
    """A batch run's transitions keep the placed values of their evaluation and render the
    StateReason text, the StateReasonData and so the DescribeAlarmHistory item (and EventBridge
    detail) only when read, after the whole run. Against `evaluate_alarm` called eagerly at every
    cadence boundary with the prior state, its reasons rendered there and then, over whole random
    histories: every transition's text, data (and its JSON), history item and event detail are the
    same, old and new."""
    from cwfilter.engine.alarms.evaluate import service_json
    from cwfilter.engine.alarms.notifications import Transition, eventbridge_detail, history_item
    from cwfilter.engine.metrics.pipeline import AlarmBank
    from cwfilter.engine.metrics.series import Aggregate
    from cwfilter.engine.metrics.transform import MetricKey

    alarms = [dict(a, AlarmName=f"a{i}") for i, a in enumerate(alarms)]
    bank = AlarmBank(alarms, [])
    base = bank.base_seconds * 1000
    needs_values = any("ExtendedStatistic" in a for a in alarms)
    cells: dict[tuple[int, str], Aggregate] = {}
    times = []
    for second, value, unit in samples:
        ts = T0 + second * spread * 1000 + 3
        times.append(ts)
        bank.add(MetricKey("ns", "m", (), unit), ts, value)
        cell = (ts - ts % base, unit or "None")
        cells.setdefault(cell, Aggregate() if needs_values else Aggregate.compact()).add(value)
    first, last = min(times), max(times)
    changes = bank.close(last, first, None)
    lazy = [c.transition for c in changes]
    assert all(not _rendered(tr) for tr in lazy), "read only below, after the whole run"
    end = (last // base + 1) * base
    eager = []
    for alarm in alarms:
        state, reason, data, since = "INSUFFICIENT_DATA", "Unchecked: Initial alarm creation", None, first
        step = 10_000 if alarm["Period"] < 60 else 60_000
        stat = alarm.get("Statistic") or alarm.get("ExtendedStatistic")
        probe = AlarmEvaluator(alarm)
        t = -(-first // base) * base
        while t <= end:
            if t % step == 0:
                points = [p for p in _merged_periods(alarm, cells, probe.periods(t), stat) if p["value"] is not None]
                result = evaluate_alarm(alarm, points, t, state)
                if result.state != state:
                    eager.append(Transition(
                        alarm_name=alarm["AlarmName"], timestamp=t, old_state=state, old_reason=reason,
                        old_reason_data=data, old_timestamp=since, new_state=result.state,
                        new_reason=result.reason, new_reason_data=result.reason_data))
                    state, reason, data, since = result.state, result.reason, result.reason_data, t
            t += base
    eager.sort(key=lambda tr: (tr.timestamp, tr.alarm_name))
    # Read now: rendered from what each transition kept, after every later evaluation.
    assert [(tr.timestamp, tr.alarm_name, tr.old_state, tr.new_state) for tr in lazy] == \
        [(tr.timestamp, tr.alarm_name, tr.old_state, tr.new_state) for tr in eager]
    for got, want, alarm in zip(lazy, eager, [alarms[int(tr.alarm_name[1:])] for tr in eager]):
        assert type(got.new_reason) is str and got.new_reason.startswith(("Threshold", "Insufficient"))
        assert (got.new_reason, got.new_reason_data) == (want.new_reason, want.new_reason_data)
        assert (got.old_reason, got.old_reason_data) == (want.old_reason, want.old_reason_data)
        assert service_json(got.new_reason_data) == service_json(want.new_reason_data)
        assert history_item(got) == history_item(want)
        # The history data as the service writes it: its JSON written whole by `service_json`.
        old_state = {"stateValue": want.old_state, **({"stateReason": want.old_reason} if want.old_reason else {})}
        new_state = {"stateValue": want.new_state, "stateReason": want.new_reason,
                     **({"stateReasonData": want.new_reason_data} if want.new_reason_data is not None else {})}
        assert history_item(got)["HistoryData"] == \
            service_json({"version": "1.0", "oldState": old_state, "newState": new_state})
        assert eventbridge_detail(alarm, got) == eventbridge_detail(alarm, want)
        assert got == want
    for alarm, ev in zip(alarms, bank.evaluators):
        mine = [tr for tr in eager if tr.alarm_name == alarm["AlarmName"]]
        if mine:
            assert (ev.state, ev.reason, ev.reason_data) == \
                (mine[-1].new_state, mine[-1].new_reason, mine[-1].new_reason_data)
        assert [history_item(tr) for tr in reversed(mine)] == ev.history_items()
