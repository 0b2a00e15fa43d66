"""`AlarmEvaluator`: a metric alarm's state and transitions over time, for the streaming engine."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .evaluate import (
    _KEEP,
    COMPARISON_OPERATORS,
    DEFAULT_ACCOUNT_ID,
    DEFAULT_REGION,
    INITIAL_REASON,
    INSUFFICIENT_DATA,
    AlarmResult,
    Datapoint,
    _check_state,
    _datapoint,
    _decide_state,
    _decision,
    _fmt_service_time,
    _opt_number,
    _periods,
    _Reason,
    _result,
    _spec,
    _step_ms,
    _to_ms,
    evaluation_times,
)
from .notifications import Transition, _alarm_arn, eventbridge_event, history_item, sns_message

__all__ = [
    "AlarmEvaluator",
]

_EXACT = 1 << 53  # integers up to this are doubles exactly


# --------------------------------------------------------------------------- metric alarm evaluator


class AlarmEvaluator:
    """A metric alarm's state over time, fed datapoints and evaluation times.

    The alarm starts in INSUFFICIENT_DATA with reason ``Unchecked: Initial alarm creation``
    (DECISIONS A7). Each `evaluate` runs `evaluate_alarm` with the current state as prior state
    and returns a `Transition` when the state changes. Datapoints are either stored with
    `put_datapoint` (one per period, stamped with the period start) or passed to `evaluate` for
    that evaluation only, which suits sliding windows whose statistic depends on the evaluation
    time (see `periods`).

    Attributes:
        alarm: the PutMetricAlarm-shaped configuration.
        name: AlarmName.
        state, reason, reason_data: the current state and the reason of the last state change.
        state_timestamp: epoch ms when the current state was entered (None before any change
            unless `created_at` was given).
        transitions: every state change, oldest first.
        last_result: the `AlarmResult` of the last evaluation.
    """

    def __init__(self, alarm: Mapping, *, created_at: Any = None,
                 account_id: str = DEFAULT_ACCOUNT_ID, region: str = DEFAULT_REGION) -> None:
        self.alarm = dict(alarm)
        self._spec = _spec(self.alarm)
        self.name: str = str(self.alarm.get("AlarmName", ""))
        self.account_id, self.region = account_id, region
        self.created_at = None if created_at is None else _to_ms(created_at, "created_at")
        self.state = INSUFFICIENT_DATA
        # The reason and reason data of the current state, rendered when read (see `_Reason`).
        self._why = _Reason(INITIAL_REASON, None)
        self.state_timestamp: int | None = self.created_at
        self.transitions: list[Transition] = []
        self._points: dict[int, Datapoint] = {}
        self._last_at: int | None = None
        # The last evaluation, kept as its decision: the reason text and data are built only on
        # a transition, or when `last_result` is read (each costs time formatting and lists, and
        # a month of one-minute evaluations mostly keeps the state).
        self._last: tuple | None = None
        self._last_built: AlarmResult | None = None
        self._periods_at: tuple[int, list[tuple[int, int]]] | None = None
        # The decision over a range with no datapoint depends on the alarm alone (DECISIONS A4
        # case 1): made once.
        self._empty_state: Any = None
        # The last evaluation by `evaluate_points` that kept the state: (time, points, prior).
        self._last_points: tuple | None = None
        if self._spec.anomaly or self._spec.operator is None or self._spec.threshold is None:
            self._compare = None  # `evaluate` raises what the alarm lacks
        else:
            self._compare = COMPARISON_OPERATORS[self._spec.operator][0]
        # States decided by `evaluate_points`, by the breaching flags of the real points (newest
        # first), when nothing else decides (see `positions_matter`; no low-sample rule).
        self._by_flags: dict[tuple, Any] | None = (
            {} if not self.positions_matter() and self._spec.low_sample_minimum is None else None)

    @property
    def reason(self) -> str | None:
        """The StateReason of the current state."""
        return self._why._rendered()[0]

    @reason.setter
    def reason(self, value: str | None) -> None:
        self._why = _Reason(value, self._why._rendered()[1])

    @property
    def reason_data(self) -> dict | None:
        """The StateReasonData of the current state (None when it has none)."""
        return self._why._rendered()[1]

    @reason_data.setter
    def reason_data(self, value: dict | None) -> None:
        self._why = _Reason(self._why._rendered()[0], value)

    @property
    def last_result(self) -> AlarmResult | None:
        """The `AlarmResult` of the last evaluation (None before any)."""
        if self._last_points is not None:
            at_ms, points, prior = self._last_points
            periods = _periods(self._spec, at_ms)
            self._last = (_decision(self._spec, self._datapoints(points), at_ms, periods), at_ms, periods, prior)
            self._last_points = None
        if self._last_built is None and self._last is not None:
            decision, at_ms, periods, prior = self._last
            if periods is None:
                periods = _periods(self._spec, at_ms)
            self._last_built = _result(self._spec, decision, at_ms, periods, prior)
        return self._last_built

    def _periods_of(self, at_ms: int) -> list[tuple[int, int]]:
        cached = self._periods_at
        if cached is not None and cached[0] == at_ms:
            return cached[1]
        periods = _periods(self._spec, at_ms)
        self._periods_at = (at_ms, periods)
        return periods

    @property
    def arn(self) -> str:
        """The alarm ARN for the configured account and Region."""
        return _alarm_arn(self.name, self.account_id, self.region)

    @property
    def period(self) -> int:
        """The alarm period in seconds."""
        return self._spec.period

    def periods(self, at: Any) -> list[tuple[int, int]]:
        """The ``(start_ms, end_ms)`` evaluation periods at `at`, newest first (DECISIONS A2, A3)."""
        return list(self._periods_of(_to_ms(at, "evaluation time")))

    def evaluation_times(self, first: Any, last: Any) -> Iterator[int]:
        """The evaluation cadence between two event times (DECISIONS A1)."""
        return evaluation_times(self._spec.period, first, last)

    def put_datapoint(self, timestamp: Any, value: float | None, *, sample_count: float | None = None,
                      lower: float | None = None, upper: float | None = None) -> None:
        """Store the statistic of the period starting at `timestamp` (replacing an earlier one)."""
        dp = Datapoint(_to_ms(timestamp), _opt_number(value, "value"),
                       _opt_number(sample_count, "sampleCount"), _opt_number(lower, "lower"),
                       _opt_number(upper, "upper"))
        self._points[dp.timestamp] = dp

    def evaluate(self, at: Any, datapoints: Iterable | None = None) -> Transition | None:
        """Evaluate at `at`; return the transition if the state changed.

        Args:
            at: evaluation time; must not go back before the previous evaluation.
            datapoints: datapoints for this evaluation only (same forms as `evaluate_alarm`);
                when None, the stored ones are used.
        """
        at_ms = _to_ms(at, "evaluation time")
        if self._last_at is not None and at_ms < self._last_at:
            raise ValueError(f"evaluation times must not go backwards: {_fmt_service_time(at_ms)} "
                             f"after {_fmt_service_time(self._last_at)}")
        self._last_at = at_ms
        periods = self._periods_of(at_ms)
        oldest = periods[-1][0]
        if datapoints is None:
            points = [dp for ts, dp in self._points.items() if ts >= oldest]
            for ts in [ts for ts in self._points if ts < oldest]:
                del self._points[ts]  # later evaluations look even further ahead
        else:
            points = [_datapoint(item) for item in datapoints]
        prior = self.state
        if not points and self._empty_state is not None:
            state = self._empty_state
            decision = (state, [], [])
        else:
            decision = _decision(self._spec, points, at_ms, periods)
            state = decision[0]
            if not points:
                self._empty_state = state
        self._last = (decision, at_ms, periods, prior)
        self._last_built = self._last_points = None
        if state is _KEEP or state == prior:
            return None
        transition = Transition._of(self.name, at_ms, prior, self._why, self.state_timestamp, state,
                                    self._spec, decision, None)
        self._enter(transition)
        return transition

    def evaluate_points(self, at_ms: int, points: list[tuple[int, int, Any, Any]]) -> Transition | None:
        """`evaluate(at_ms, datapoints)` with the datapoints already placed in their periods:
        ``(position, period start, value, sample count)``, newest first (position 1 is the
        newest period, as `periods` counts them); one per period at most.

        The state is decided from the values alone (`_decide_state`); `Datapoint`s, the reason
        text and the reason data are built only on a transition, or when `last_result` is read.
        """
        compare = self._compare
        if compare is None or (self._last_at is not None and at_ms < self._last_at):
            return self.evaluate(at_ms, self._datapoints(points))
        threshold = self._spec.threshold
        real = []
        for pos, _, value, count in points:
            if value is not None:
                if type(value) is not float or value - value != 0.0:  # (not a finite double)
                    value = _opt_number(value, "value")
                if type(count) is not int or not -_EXACT < count < _EXACT:
                    count = _opt_number(count, "sampleCount")  # (an int a double holds compares the same)
                real.append((pos, compare(value, threshold), count))
        if self._by_flags is None:
            state = _decide_state(self._spec, real)
        else:
            state = self._flag_state(tuple([pt[1] for pt in real]))
        if state is _KEEP or state == self.state:
            self._kept(at_ms, points)
            return None
        if len(real) < len(points) or (len(points) > 1 and len({pt[0] for pt in points}) < len(points)):
            # What an eager evaluation checks first: missing values' sample counts, and one
            # point per period (`_slot` raises).
            return self.evaluate(at_ms, self._datapoints(points))
        return self._change(at_ms, tuple([tuple(pt) for pt in points]), state)  # (kept as they are now)

    def _flag_state(self, flags: tuple) -> Any:
        """The state (or `_KEEP`) an evaluation decides from the breaching flags of its real
        points, newest first, for an alarm whose state follows from them alone (`_by_flags`:
        neither the positions of the points nor their sample counts count)."""
        decided = self._by_flags
        state = decided.get(flags)
        if state is None:
            if len(decided) >= 4096:
                decided.clear()
            state = decided[flags] = _decide_state(self._spec, [(pos, flag, None) for pos, flag in enumerate(flags, 1)])
        return state

    def _kept(self, at_ms: int, points: Any) -> None:
        """Record an evaluation of `evaluate_points` that keeps the state."""
        self._last_at = at_ms
        self._last = self._last_built = None
        self._last_points = (at_ms, points, self.state)

    def _change(self, at_ms: int, points: tuple, state: str) -> Transition:
        """Record an evaluation of `evaluate_points` that moves to `state`: its transition keeps
        the points (a tuple of tuples of numbers), and its reason is rendered from them when read."""
        prior = self.state
        self._last_at = at_ms
        self._last = self._last_built = None
        self._last_points = (at_ms, points, prior)
        transition = Transition._of(self.name, at_ms, prior, self._why, self.state_timestamp, state,
                                    self._spec, None, points)
        self.state, self._why, self.state_timestamp = state, transition, at_ms  # as `_enter`
        self.transitions.append(transition)
        return transition

    @staticmethod
    def _datapoints(points: list[tuple[int, int, Any, Any]]) -> list[Datapoint]:
        return [Datapoint(start, _opt_number(value, "value"), _opt_number(count, "sampleCount"))
                for _, start, value, count in points]

    def evaluate_quiet(self, at_ms: int) -> Transition | None:
        """`evaluate(at_ms, [])`: an evaluation whose range holds no datapoint, made cheap once the
        alarm's decision over an empty range is known (it depends on the alarm alone)."""
        state = self._empty_state
        if state is None or (self._last_at is not None and at_ms < self._last_at):
            return self.evaluate(at_ms, ())
        prior = self.state
        if state is not _KEEP and state != prior:
            return self.evaluate(at_ms, ())
        self._last_at = at_ms
        self._last = ((state, [], []), at_ms, None, prior)
        self._last_built = self._last_points = None
        return None

    def positions_matter(self) -> bool:
        """Whether `evaluate_points` can decide differently for the same values, newest first,
        in other periods of the range: only the premature-alarm rule of ``missing`` with
        DatapointsToAlarm above 1 reads a position (DECISIONS A4). False means the state
        depends on the order of the values alone."""
        spec = self._spec
        return self._compare is None or (spec.treatment == "missing" and spec.m > 1)

    def quiet_is_stable(self) -> bool:
        """True when an evaluation over an empty range is known to keep the current state."""
        state = self._empty_state
        return state is not None and (state is _KEEP or state == self.state)

    def advance(self, until: Any, *, start: Any = None) -> list[Transition]:
        """Evaluate at every cadence boundary after the last evaluation up to `until`.

        The first boundary is the one after the last evaluation, else the first at or after
        `start`, else the first at or after `created_at`; with none of these, only the boundary
        at or before `until` is evaluated.
        """
        until_ms = _to_ms(until, "until")
        step = _step_ms(self._spec.period)
        if self._last_at is not None:
            t = self._last_at - self._last_at % step + step
        else:
            origin = _to_ms(start, "start") if start is not None else self.created_at
            t = (-(-origin // step) * step) if origin is not None else until_ms - until_ms % step
        transitions = []
        while t <= until_ms:
            transition = self.evaluate(t)
            if transition is not None:
                transitions.append(transition)
            t += step
        return transitions

    def set_alarm_state(self, state: str, reason: str, at: Any,
                        reason_data: dict | None = None) -> Transition | None:
        """SetAlarmState: a temporary state, kept until the next evaluation computes another."""
        _check_state(state, "state")
        at_ms = _to_ms(at, "time")
        if state == self.state:
            self._why = _Reason(reason, reason_data)
            return None
        transition = Transition(
            alarm_name=self.name, timestamp=at_ms, old_state=self.state, old_reason=self.reason,
            old_reason_data=self.reason_data, old_timestamp=self.state_timestamp,
            new_state=state, new_reason=reason, new_reason_data=reason_data)
        self._enter(transition)
        return transition

    def _enter(self, transition: Transition) -> None:
        self.state = transition.new_state
        self._why = transition  # (its new state's reason)
        self.state_timestamp = transition.timestamp
        self.transitions.append(transition)

    def history_items(self) -> list[dict]:
        """DescribeAlarmHistory ``StateUpdate`` items, newest first as the API returns them."""
        return [history_item(t) for t in reversed(self.transitions)]

    def eventbridge_event(self, transition: Transition) -> dict:
        """The "CloudWatch Alarm State Change" event of one of this alarm's transitions."""
        return eventbridge_event(self.alarm, transition, account_id=self.account_id,
                                 region=self.region)

    def sns_message(self, transition: Transition) -> dict:
        """The SNS notification message of one of this alarm's transitions."""
        return sns_message(self.alarm, transition, account_id=self.account_id, region=self.region,
                           configuration_updated=self.created_at)


