"""Reasons built only on transitions, and quiet evaluations, against eager evaluation.

An `AlarmEvaluator` keeps each evaluation as its decision and builds the StateReason text and
data only on a transition or when `last_result` is read; an evaluation over a range with no
datapoint (`evaluate_quiet`, what a batch run uses between sparse events) reuses the decision
made once for an empty range. Over whole random histories, both must give exactly what
`evaluate_alarm` gives when called eagerly at every minute with the prior state.
"""

from __future__ import annotations

import json

from cwfilter.engine.alarms.evaluate import evaluate_alarm
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
