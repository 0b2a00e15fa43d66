"""Composite alarms: the AlarmRule decided from its children's states (`evaluate_composite`), the
order in which composites depend on each other, and `CompositeAlarmEvaluator`, with action suppression.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ...grammar.alarm_rule import (
    AlarmRef,
    AlarmRule,
    And,
    AtLeast,
    Constant,
    Expr,
    Not,
    Or,
    StateCheck,
    alarm_name_of,
    iter_alarm_refs,
    parse_alarm_rule,
)
from .evaluate import (
    ALARM,
    DEFAULT_ACCOUNT_ID,
    DEFAULT_REGION,
    INITIAL_REASON,
    INSUFFICIENT_DATA,
    OK,
    STATES,
    _fmt_composite_time,
    _fmt_service_time,
    _is_int,
    _to_ms,
)
from .notifications import Transition, _alarm_arn, eventbridge_event, history_item

__all__ = [
    "ActionRecord",
    "CompositeAlarmEvaluator",
    "CompositeCycleError",
    "composite_evaluation_order",
    "evaluate_composite",
    "evaluate_composites",
]


# --------------------------------------------------------------------------- composite alarms


def _state_table(child_states: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Group child states by alarm name: {name: {key as given: state}}."""
    table: dict[str, dict[str, str]] = {}
    for key, value in child_states.items():
        state = value[0] if isinstance(value, tuple) else value
        if state not in STATES:
            raise ValueError(f"alarm {key!r} has state {state!r}; expected one of {', '.join(STATES)}")
        table.setdefault(alarm_name_of(key), {})[key] = state
    return table


def _resolver(rule: AlarmRule, child_states: Mapping[str, Any]) -> Callable[[AlarmRef], str]:
    """Look up each referenced child's state, checking every reference first (DECISIONS A12)."""
    table = _state_table(child_states)
    resolved: dict[str, str] = {}
    for ref in iter_alarm_refs(rule.expr):
        entries = table.get(ref.name)
        if not entries:
            raise ValueError(f"the alarm rule names {ref.ref!r}, which is not a known alarm")
        states = set(entries.values())
        if len(states) > 1:
            given = ", ".join(f"{key!r} is {state}" for key, state in entries.items())
            raise ValueError(f"alarm {ref.name!r} is given by name and ARN with different states "
                             f"({given})")
        resolved[ref.name] = states.pop()
    return lambda ref: resolved[ref.name]


def _at_least_holds(node: AtLeast, hits: int) -> bool:
    # DECISIONS A12: hits >= n for a count, hits × 100 >= p × children for a percentage.
    if node.percent:
        return hits * 100 >= node.threshold * len(node.alarms)
    return hits >= node.threshold


def _explain(expr: Expr, state_of: Callable[[AlarmRef], str]) -> tuple[bool, list[AlarmRef]]:
    """The value of `expr` and the references that decide it (for ``triggeringAlarms``)."""
    match expr:
        case Constant(value=v):
            return v, []
        case StateCheck(state=s, alarm=ref):
            return state_of(ref) == s, [ref]
        case AtLeast(state=s, negated=neg, alarms=refs):
            hit = [r for r in refs if (state_of(r) == s) != neg]
            value = _at_least_holds(expr, len(hit))
            return value, hit if value else [r for r in refs if r not in hit]
        case Not(operand=inner):
            value, refs = _explain(inner, state_of)
            return not value, refs
        case And(operands=ops):
            parts = [_explain(op, state_of) for op in ops]
            if all(v for v, _ in parts):
                return True, [r for _, refs in parts for r in refs]
            return False, [r for v, refs in parts if not v for r in refs]
        case Or(operands=ops):
            parts = [_explain(op, state_of) for op in ops]
            if any(v for v, _ in parts):
                return True, [r for v, refs in parts if v for r in refs]
            return False, [r for _, refs in parts for r in refs]
    raise TypeError(f"not an AlarmRule node: {type(expr).__name__}")


def evaluate_composite(alarm_rule: str | AlarmRule, child_states: Mapping[str, str]) -> str:
    """The state a composite alarm's rule gives: ``ALARM`` when it holds, else ``OK``.

    Args:
        alarm_rule: AlarmRule text (or an already parsed `AlarmRule`).
        child_states: state of each child, keyed by alarm name or ARN.

    Raises:
        AlarmRuleError: the rule does not parse (a `ValueError`).
        ValueError: the rule names an alarm missing from `child_states`, or one alarm is given by
            name and by ARN with different states (DECISIONS A12), or a state is not a state.
    """
    rule = alarm_rule if isinstance(alarm_rule, AlarmRule) else parse_alarm_rule(alarm_rule)
    value, _ = _explain(rule.expr, _resolver(rule, child_states))
    return ALARM if value else OK


class CompositeCycleError(ValueError):
    """Composite alarms that depend on each other in a cycle. `cycle` lists it, first name repeated."""

    def __init__(self, cycle: Sequence[str]) -> None:
        self.cycle = tuple(cycle)
        super().__init__("composite alarms form a cycle: " + " -> ".join(self.cycle))


def composite_evaluation_order(rules: Mapping[str, str | AlarmRule]) -> list[str]:
    """Order composite alarms so that every composite comes after the composites it names.

    Args:
        rules: AlarmRule of each composite, keyed by name or ARN.

    Returns:
        The keys of `rules`, children first.

    Raises:
        CompositeCycleError: the rules reference each other in a cycle (the error names it).
        AlarmRuleError: a rule does not parse.
    """
    key_of = {alarm_name_of(key): key for key in rules}
    deps: dict[str, list[str]] = {}
    for key, rule in rules.items():
        parsed = rule if isinstance(rule, AlarmRule) else parse_alarm_rule(rule)
        deps[alarm_name_of(key)] = [n for n in parsed.alarm_names if n in key_of]
    order: list[str] = []
    done: set[str] = set()
    for root in deps:
        if root in done:
            continue
        stack: list[tuple[str, Iterator[str]]] = [(root, iter(deps[root]))]
        on_path = [root]
        while stack:
            name, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                on_path.pop()
                done.add(name)
                order.append(key_of[name])
            elif child in on_path:
                cycle = on_path[on_path.index(child):] + [child]
                raise CompositeCycleError(cycle)
            elif child not in done:
                stack.append((child, iter(deps[child])))
                on_path.append(child)
    return order


def evaluate_composites(rules: Mapping[str, str | AlarmRule],
                        states: Mapping[str, str]) -> dict[str, str]:
    """Evaluate a set of composite alarms that may name each other.

    Args:
        rules: AlarmRule of each composite, keyed by name or ARN.
        states: states of the metric alarms (and of anything else the rules name).

    Returns:
        The state of every composite, keyed as in `rules`.

    Raises:
        CompositeCycleError, ValueError: as `composite_evaluation_order` and `evaluate_composite`.
    """
    known = dict(states)
    result: dict[str, str] = {}
    for key in composite_evaluation_order(rules):
        result[key] = known[key] = evaluate_composite(rules[key], known)
    return result


@dataclass(frozen=True, slots=True)
class ActionRecord:
    """What happened to the actions of one composite-alarm transition.

    `status` is ``performed`` or ``suppressed``; `timestamp` is when the actions ran (after a
    WaitPeriod, the end of the wait) or when they were dropped.
    """

    alarm_name: str
    timestamp: int
    state: str
    actions: tuple[str, ...]
    status: str
    suppressed_by: str | None = None


_STATE_ACTIONS = {ALARM: "AlarmActions", OK: "OKActions", INSUFFICIENT_DATA: "InsufficientDataActions"}


class CompositeAlarmEvaluator:
    """A composite alarm's state over time, with action suppression (alarms.md §7).

    The state is INSUFFICIENT_DATA until the first `update`; afterwards ALARM while the rule
    holds, else OK. Every state change is a `Transition` whose reason is
    ``<composite ARN> was created and its alarm rule evaluates to <STATE>`` for the first
    evaluation and ``<child ARN> transitioned to <STATE> at <time>`` afterwards, with
    ``{"triggeringAlarms": [...]}`` as reason data (UG-EB samples).

    Suppression (``ActionsSuppressor`` with ``ActionsSuppressorWaitPeriod`` and
    ``ActionsSuppressorExtensionPeriod``, seconds): while the suppressor is in ALARM the actions
    are suppressed (``Alarm``); for ExtensionPeriod seconds after it leaves ALARM they still are
    (``ExtensionPeriod``); when the composite goes into ALARM while the suppressor is not, the
    actions wait up to WaitPeriod seconds for the suppressor (``WaitPeriod``) and run at the end of
    the wait unless the suppressor went into ALARM meanwhile. `actions` records the outcome.
    """

    def __init__(self, composite: Mapping, *, created_at: Any = None,
                 account_id: str = DEFAULT_ACCOUNT_ID, region: str = DEFAULT_REGION) -> None:
        self.alarm = dict(composite)
        if "AlarmRule" not in self.alarm:
            raise ValueError("a composite alarm needs an AlarmRule")
        self.rule = parse_alarm_rule(self.alarm["AlarmRule"])
        self.name = str(self.alarm.get("AlarmName", ""))
        self.account_id, self.region = account_id, region
        self.created_at = None if created_at is None else _to_ms(created_at, "created_at")
        self.suppressor: str | None = self.alarm.get("ActionsSuppressor")
        wait = self.alarm.get("ActionsSuppressorWaitPeriod")
        extension = self.alarm.get("ActionsSuppressorExtensionPeriod")
        if self.suppressor is not None:
            for key, value in (("ActionsSuppressorWaitPeriod", wait),
                               ("ActionsSuppressorExtensionPeriod", extension)):
                if not _is_int(value) or value < 0:
                    raise ValueError(f"{key} is required (whole seconds) with ActionsSuppressor")
        self._wait_ms = (wait or 0) * 1000
        self._extension_ms = (extension or 0) * 1000
        self.state = INSUFFICIENT_DATA
        self.reason: str | None = INITIAL_REASON
        self.reason_data: dict | None = None
        self.state_timestamp: int | None = self.created_at
        self.transitions: list[Transition] = []
        self.actions: list[ActionRecord] = []
        self._pending: tuple[Transition, int] | None = None   # (transition, wait deadline)
        self._children: dict[str, tuple[str, int]] = {}        # key -> (state, since)
        self._suppressor_state: str | None = None
        self._suppressor_alarm_since: int | None = None
        self._extension_until: int | None = None
        self._last_at: int | None = None

    @property
    def waiting_until(self) -> int | None:
        """Epoch ms at which actions waiting for the suppressor are settled (None: none wait)."""
        return None if self._pending is None else self._pending[1]

    @property
    def arn(self) -> str:
        """The composite alarm's ARN."""
        return _alarm_arn(self.name, self.account_id, self.region)

    def _child_arn(self, key: str) -> str:
        return key if key.startswith("arn:") else _alarm_arn(key, self.account_id, self.region)

    def _observe(self, states: Mapping[str, Any], at_ms: int) -> list[str]:
        """Record child states; return the keys whose state changed."""
        changed = []
        for key, value in states.items():
            state, since = (value[0], _to_ms(value[1])) if isinstance(value, tuple) else (value, at_ms)
            old = self._children.get(key)
            if old is None or old[0] != state:
                self._children[key] = (state, since)
                changed.append(key)
        return changed

    def _suppressor_entry(self, states: Mapping[str, Any], at_ms: int) -> tuple[str, int] | None:
        """The suppressor's (state, since) from `states`; None without a suppressor."""
        if self.suppressor is None:
            return None
        wanted = alarm_name_of(self.suppressor)
        for key, value in states.items():
            if alarm_name_of(key) == wanted:
                if isinstance(value, tuple):
                    return value[0], _to_ms(value[1], "since")
                return value, at_ms
        raise ValueError(f"the actions suppressor {self.suppressor!r} is not among the given "
                         "alarm states")

    def _suppressor_now(self, entry: tuple[str, int] | None) -> None:
        if entry is None:
            return
        state, since = entry
        if state == self._suppressor_state:
            return
        if state == ALARM:
            self._suppressor_alarm_since = since
            self._extension_until = None
        elif self._suppressor_state == ALARM:
            # ExtensionPeriod counts from the moment the suppressor leaves ALARM.
            self._extension_until = since + self._extension_ms
            self._suppressor_alarm_since = None
        self._suppressor_state = state

    def _resolve_pending(self, now_ms: int) -> None:
        """Settle actions waiting for the suppressor: dropped if it went into ALARM before the
        wait ended, run at the end of the wait otherwise."""
        if self._pending is None:
            return
        transition, deadline = self._pending
        since = self._suppressor_alarm_since
        if self._suppressor_state == ALARM and since is not None and since <= deadline:
            self._pending = None
            self.actions.append(self._record(transition, max(since, transition.timestamp),
                                             "suppressed", "Alarm"))
        elif deadline <= now_ms:
            self._pending = None
            self.actions.append(self._record(transition, deadline, "performed", None))

    def _record(self, transition: Transition, at_ms: int, status: str,
                by: str | None) -> ActionRecord:
        actions = tuple(self.alarm.get(_STATE_ACTIONS[transition.new_state]) or ())
        return ActionRecord(self.name, at_ms, transition.new_state, actions, status, by)

    def advance(self, at: Any) -> list[ActionRecord]:
        """Run the actions whose WaitPeriod has ended by `at`; return the new records."""
        at_ms = _to_ms(at, "time")
        before = len(self.actions)
        self._resolve_pending(at_ms)
        return self.actions[before:]

    def update(self, at: Any, states: Mapping[str, Any], changed: str | None = None) -> Transition | None:
        """Re-evaluate the rule at `at` with the current states of the alarms it names.

        Args:
            at: the time of the change.
            states: state of every alarm the rule names (and of the suppressor), keyed by name or
                ARN; a value may be a ``(state, since)`` pair giving when that state began.
            changed: the child whose change triggered this evaluation (for the reason text);
                by default the most recently changed child among those that decide the result.

        Returns:
            The transition when the composite's state changed, else None.

        Raises:
            ValueError: as `evaluate_composite`; the suppressor or `changed` is not in `states`;
                `at` goes back in time.
        """
        at_ms = _to_ms(at, "time")
        if self._last_at is not None and at_ms < self._last_at:
            raise ValueError("composite updates must not go back in time")
        if changed is not None and not any(alarm_name_of(k) == alarm_name_of(changed) for k in states):
            raise ValueError(f"the changed alarm {changed!r} is not among the given alarm states")
        state_of = _resolver(self.rule, states)
        suppressor = self._suppressor_entry(states, at_ms)
        self._last_at = at_ms
        self._suppressor_now(suppressor)
        self._resolve_pending(at_ms)
        moved = self._observe(states, at_ms)

        value, deciding = _explain(self.rule.expr, state_of)
        new_state = ALARM if value else OK
        if new_state == self.state:
            return None
        if not self.transitions:
            reason = f"{self.arn} was created and its alarm rule evaluates to {new_state}"
        else:
            trigger = self._key_for_name(alarm_name_of(changed), states) if changed else None
            if trigger is None:
                deciding_names = {ref.name for ref in deciding}
                pool = [k for k in moved if alarm_name_of(k) in deciding_names] or moved
                if pool:
                    trigger = max(pool, key=lambda k: self._children[k][1])
                elif deciding:
                    trigger = self._key_for_name(deciding[0].name, states)
            if trigger is None:
                reason = f"{self.arn} alarm rule evaluates to {new_state}"
            else:
                child_state, since = self._children[trigger]
                reason = (f"{self._child_arn(trigger)} transitioned to {child_state} at "
                          f"{_fmt_composite_time(since)}")
        reason_data = {"triggeringAlarms": self._triggering(deciding, states)}
        by, why = self._suppression(new_state, at_ms)
        transition = Transition(
            alarm_name=self.name, timestamp=at_ms, old_state=self.state, old_reason=self.reason,
            old_reason_data=self.reason_data, old_timestamp=self.state_timestamp,
            new_state=new_state, new_reason=reason, new_reason_data=reason_data,
            alarm_type="CompositeAlarm", actions_suppressed_by=by, actions_suppressed_reason=why)
        self.state, self.reason, self.reason_data = new_state, reason, reason_data
        self.state_timestamp = at_ms
        self.transitions.append(transition)
        self._schedule_actions(transition)
        return transition

    def _key_for_name(self, name: str, states: Mapping[str, Any]) -> str | None:
        for key in states:
            if alarm_name_of(key) == name:
                return key
        return None

    def _triggering(self, deciding: list[AlarmRef], states: Mapping[str, Any]) -> list:
        keys = dict.fromkeys(k for ref in deciding
                             if (k := self._key_for_name(ref.name, states)) is not None)
        # Newest change first (UG-EB composite sample).
        ordered = sorted(keys, key=lambda k: -self._children[k][1])
        return [{"arn": self._child_arn(k),
                 "state": {"value": self._children[k][0],
                           "timestamp": _fmt_service_time(self._children[k][1])}}
                for k in ordered]

    def _suppression(self, new_state: str, at_ms: int) -> tuple[str | None, str | None]:
        if self.suppressor is None:
            return None, None
        if self._suppressor_state == ALARM:
            by = "Alarm"
        elif self._extension_until is not None and at_ms < self._extension_until:
            by = "ExtensionPeriod"
        elif new_state == ALARM and self._wait_ms > 0:
            by = "WaitPeriod"
        else:
            return None, None
        return by, f"Actions suppressed by {by}"

    def _schedule_actions(self, transition: Transition) -> None:
        if self._pending is not None:
            # A newer state replaces actions still waiting for the suppressor.
            old, _ = self._pending
            self._pending = None
            self.actions.append(self._record(old, transition.timestamp, "suppressed", "WaitPeriod"))
        if self.alarm.get("ActionsEnabled", True) is False:
            return
        by = transition.actions_suppressed_by
        if by == "WaitPeriod":
            self._pending = (transition, transition.timestamp + self._wait_ms)
        elif by is not None:
            self.actions.append(self._record(transition, transition.timestamp, "suppressed", by))
        else:
            self.actions.append(self._record(transition, transition.timestamp, "performed", None))

    def history_items(self) -> list[dict]:
        """DescribeAlarmHistory ``StateUpdate`` items, newest first."""
        return [history_item(t) for t in reversed(self.transitions)]

    def eventbridge_event(self, transition: Transition) -> dict:
        """The "CloudWatch Alarm State Change" event of one of this alarm's transitions."""
        return eventbridge_event(self.alarm, transition, account_id=self.account_id,
                                 region=self.region)

