"""Composite alarms: the AlarmRule grammar (precedence, quoting, ARNs, AT_LEAST, errors, limits),
rule evaluation, the stateful composite evaluator with action suppression, and cycle detection.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from cwfilter.engine.alarms.composite import (
    CompositeAlarmEvaluator,
    CompositeCycleError,
    composite_evaluation_order,
    evaluate_composite,
    evaluate_composites,
)
from cwfilter.grammar.alarm_rule import (
    AlarmRef,
    AlarmRule,
    AlarmRuleError,
    And,
    AtLeast,
    Constant,
    Not,
    Or,
    StateCheck,
    alarm_name_of,
    parse_alarm_rule,
    unparse_alarm_rule,
)

DATA = Path(__file__).parent / "data"
STATES = ("OK", "ALARM", "INSUFFICIENT_DATA")
ARN = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:"


def alarm(state: str, name: str) -> StateCheck:
    return StateCheck(state, AlarmRef(name))


def expr(rule: str):
    return parse_alarm_rule(rule).expr


# --------------------------------------------------------------------------- grammar


def test_not_binds_tighter_than_and_which_binds_tighter_than_or():
    assert expr("ALARM(a) OR OK(b) AND NOT ALARM(c)") == Or((
        alarm("ALARM", "a"),
        And((alarm("OK", "b"), Not(alarm("ALARM", "c"))))))
    assert expr("NOT ALARM(a) AND ALARM(b)") == And((Not(alarm("ALARM", "a")), alarm("ALARM", "b")))
    assert expr("ALARM(a) AND ALARM(b) OR ALARM(c)") == Or((
        And((alarm("ALARM", "a"), alarm("ALARM", "b"))), alarm("ALARM", "c")))


def test_parentheses_group():
    assert expr("(ALARM(a) OR ALARM(b)) AND OK(c)") == And((
        Or((alarm("ALARM", "a"), alarm("ALARM", "b"))), alarm("OK", "c")))
    assert expr("NOT (ALARM(a) AND ALARM(b))") == Not(And((alarm("ALARM", "a"),
                                                           alarm("ALARM", "b"))))
    assert expr("((ALARM(a)))") == alarm("ALARM", "a")
    assert expr("NOT NOT TRUE") == Not(Not(Constant(True)))


def test_chains_are_one_node_and_groups_stay_apart():
    assert expr("ALARM(a) AND ALARM(b) AND ALARM(c)") == And((
        alarm("ALARM", "a"), alarm("ALARM", "b"), alarm("ALARM", "c")))
    assert expr("(ALARM(a) AND ALARM(b)) AND ALARM(c)") == And((
        And((alarm("ALARM", "a"), alarm("ALARM", "b"))), alarm("ALARM", "c")))


def test_whitespace_and_line_breaks():
    assert expr("ALARM (a)\n\tOR\r\n  INSUFFICIENT_DATA\t( b )") == Or((
        alarm("ALARM", "a"), alarm("INSUFFICIENT_DATA", "b")))
    # The multi-line console form of the documentation.
    assert expr("(ALARM(CPUUtilizationTooHigh) OR\nALARM(DiskReadOpsTooHigh)) AND\n"
                "OK(NetworkOutTooHigh)") == And((
                    Or((alarm("ALARM", "CPUUtilizationTooHigh"),
                        alarm("ALARM", "DiskReadOpsTooHigh"))),
                    alarm("OK", "NetworkOutTooHigh")))


def test_quoted_names():
    assert expr('ALARM("my alarm")') == alarm("ALARM", "my alarm")
    assert expr(r'ALARM("say \"hi\"")') == alarm("ALARM", 'say "hi"')
    assert expr(r'ALARM("back\\slash")') == alarm("ALARM", "back\\slash")
    assert expr(r'ALARM("a\nb")') == alarm("ALARM", "a\\nb")   # other backslashes stay literal
    assert expr('ALARM("OK")') == alarm("ALARM", "OK")           # a quoted keyword is a name
    assert expr('OK("a,b(c)")') == alarm("OK", "a,b(c)")
    assert expr('ALARM("a")') == expr("ALARM(a)")
    ref = expr('ALARM("a")').alarm
    assert ref.quoted and ref.span.start == 6 and ref.span.end == 9


def test_unquoted_names_run_to_a_delimiter():
    assert expr("ALARM(my-alarm.v2/prod:x_1)") == alarm("ALARM", "my-alarm.v2/prod:x_1")
    assert expr("ALARM(OKAY) OR ALARM(ALARMS)") == Or((alarm("ALARM", "OKAY"),
                                                      alarm("ALARM", "ALARMS")))


def test_names_and_arns():
    ref = expr(f"ALARM({ARN}cpu)").alarm
    assert ref.ref == ARN + "cpu"
    assert ref.is_arn and ref.name == "cpu"
    assert not AlarmRef("cpu").is_arn and AlarmRef("cpu").name == "cpu"
    assert alarm_name_of(ARN + "with:colon") == "with:colon"
    assert alarm_name_of("arn:aws:sns:us-east-1:1:topic") == "arn:aws:sns:us-east-1:1:topic"
    rule = parse_alarm_rule(f"ALARM(cpu) OR OK({ARN}cpu) OR ALARM(disk)")
    assert rule.alarm_names == ("cpu", "disk")
    assert [r.ref for r in rule.alarm_refs] == ["cpu", ARN + "cpu", "disk"]


def test_at_least():
    assert expr('AT_LEAST(2, NOT OK, (a, b, "c"))') == AtLeast(
        2.0, False, "OK", True, (AlarmRef("a"), AlarmRef("b"), AlarmRef("c")))
    assert expr("AT_LEAST(33.3%, ALARM, (a,b,c))") == AtLeast(
        33.3, True, "ALARM", False, (AlarmRef("a"), AlarmRef("b"), AlarmRef("c")))
    assert expr("AT_LEAST (100%,INSUFFICIENT_DATA,(a))") == AtLeast(
        100.0, True, "INSUFFICIENT_DATA", False, (AlarmRef("a"),))
    assert expr("AT_LEAST(3, ALARM, (a, b, c)) AND TRUE") == And((
        AtLeast(3.0, False, "ALARM", False, (AlarmRef("a"), AlarmRef("b"), AlarmRef("c"))),
        Constant(True)))


@pytest.mark.parametrize("rule", [
    "ALARM(a) OR OK(b) AND NOT ALARM(c)",
    "(ALARM(a) OR ALARM(b)) AND OK(c)",
    "(ALARM(a) AND ALARM(b)) AND ALARM(c)",
    "NOT (ALARM(a) OR TRUE) AND FALSE",
    'ALARM("my alarm") OR OK("OK") OR ALARM("q\\"uote")',
    "AT_LEAST(2, NOT OK, (a, b, c)) OR AT_LEAST(12.5%, ALARM, (d))",
    f"INSUFFICIENT_DATA({ARN}x)",
])
def test_unparse_round_trip(rule):
    parsed = parse_alarm_rule(rule)
    assert parse_alarm_rule(unparse_alarm_rule(parsed)) == parsed


def test_unparse_is_canonical():
    assert unparse_alarm_rule(parse_alarm_rule("((ALARM(a)))OR(OK (b)AND NOT ALARM(c))")) == \
        "ALARM(a) OR OK(b) AND NOT ALARM(c)"
    assert unparse_alarm_rule(parse_alarm_rule("NOT(ALARM(a)AND ALARM(b))")) == \
        "NOT (ALARM(a) AND ALARM(b))"


# --------------------------------------------------------------------------- errors

EXPR_START = "'(', NOT, TRUE, FALSE, ALARM, OK, INSUFFICIENT_DATA or AT_LEAST"

ERRORS = [
    ("", "An alarm rule must be 1 to 10240 characters long (got 0) (column 1)\n  \n  ^"),
    ("   ", f"Incomplete alarm rule: expected {EXPR_START} (column 4)\n     \n     ^"),
    ("ALARM(OK)", 'The keyword OK must be quoted to be used as an alarm name ("OK") (column 7)\n'
                  "  ALARM(OK)\n        ^^"),
    ("OK(AT_LEAST)", "The keyword AT_LEAST must be quoted to be used as an alarm name "
                     '("AT_LEAST") (column 4)\n  OK(AT_LEAST)\n     ^^^^^^^^'),
    ("alarm(a)", "Keywords are upper case: write ALARM instead of alarm (column 1)\n"
                 "  alarm(a)\n  ^^^^^"),
    ("ALARM(a) and ALARM(b)", "Keywords are upper case: write AND instead of and (column 10)\n"
                              "  ALARM(a) and ALARM(b)\n           ^^^"),
    ("ALARM(a) ORALARM(b)", "Unexpected 'ORALARM': expected AND, OR or the end of the rule "
                            "(column 10)\n  ALARM(a) ORALARM(b)\n           ^^^^^^^"),
    ("ALARM(a", "Incomplete alarm rule: expected ')' (column 8)\n  ALARM(a\n         ^"),
    ('ALARM("a)', 'Unterminated quoted alarm name (column 7)\n  ALARM("a)\n        ^^^'),
    ("ALARM()", "Unexpected ')': expected an alarm name or a quoted alarm name (column 7)\n"
                "  ALARM()\n        ^"),
    ('ALARM("")', 'An alarm name cannot be empty (column 7)\n  ALARM("")\n        ^^'),
    ("ALARM(a) AND", f"Incomplete alarm rule: expected {EXPR_START} (column 13)\n"
                     "  ALARM(a) AND\n              ^"),
    ("ALARM(a b)", "Unexpected 'b': expected ')' (column 9)\n  ALARM(a b)\n          ^"),
    ("FOO(a)", f"Unexpected 'FOO': expected {EXPR_START} (column 1)\n  FOO(a)\n  ^^^"),
    ("ALARM(a))", "Unexpected ')': expected the end of the rule (column 9)\n"
                  "  ALARM(a))\n          ^"),
    ("ALARM(a)\nOR\nALARM(", "Incomplete alarm rule: expected an alarm name or a quoted alarm "
                             "name (column 19)\n  ALARM(a) OR ALARM(\n                    ^"),
    ("AT_LEAST(3, ALARM, (a,b))", "An AT_LEAST count must be a whole number from 1 to the number "
                                  "of alarms listed (2) (got 3) (column 10)\n"
                                  "  AT_LEAST(3, ALARM, (a,b))\n           ^"),
    ("AT_LEAST(0, ALARM, (a))", "An AT_LEAST count must be a whole number from 1 to the number of "
                                "alarms listed (1) (got 0) (column 10)\n"
                                "  AT_LEAST(0, ALARM, (a))\n           ^"),
    ("AT_LEAST(2.5, ALARM, (a,b,c))", "An AT_LEAST count must be a whole number from 1 to the "
                                      "number of alarms listed (3) (got 2.5) (column 10)\n"
                                      "  AT_LEAST(2.5, ALARM, (a,b,c))\n           ^^^"),
    ("AT_LEAST(0%, ALARM, (a))", "An AT_LEAST percentage must be greater than 0% and at most "
                                 "100% (got 0%) (column 10)\n  AT_LEAST(0%, ALARM, (a))\n"
                                 "           ^^"),
    ("AT_LEAST(100.5%, OK, (a))", "An AT_LEAST percentage must be greater than 0% and at most "
                                  "100% (got 100.5%) (column 10)\n  AT_LEAST(100.5%, OK, (a))\n"
                                  "           ^^^^^^"),
    ("AT_LEAST(50 %, ALARM, (a))", "Unexpected '%': expected ',' (column 13)\n"
                                   "  AT_LEAST(50 %, ALARM, (a))\n              ^"),
    ("AT_LEAST(-1, ALARM, (a))", "Unexpected '-1': expected a count or percentage (column 10)\n"
                                 "  AT_LEAST(-1, ALARM, (a))\n           ^^"),
    ("AT_LEAST(1, ALARM, ())", "Unexpected ')': expected an alarm name or a quoted alarm name "
                               "(column 21)\n  AT_LEAST(1, ALARM, ())\n                      ^"),
    ("AT_LEAST(1, NOT NOT OK, (a))", "Unexpected 'NOT': expected ALARM, OK, INSUFFICIENT_DATA "
                                     "(column 17)\n  AT_LEAST(1, NOT NOT OK, (a))\n"
                                     "                  ^^^"),
]


@pytest.mark.parametrize("rule, text", ERRORS, ids=[repr(r) for r, _ in ERRORS])
def test_error_text_with_caret(rule, text):
    with pytest.raises(AlarmRuleError) as info:
        parse_alarm_rule(rule)
    assert str(info.value) == text
    assert isinstance(info.value, ValueError)
    assert info.value.rule == rule


def test_error_attributes():
    with pytest.raises(AlarmRuleError) as info:
        parse_alarm_rule("ALARM(a) OR ALARM(OK)")
    err = info.value
    assert (err.start, err.end, err.column) == (18, 20, 19)
    assert err.message == 'The keyword OK must be quoted to be used as an alarm name ("OK")'


# --------------------------------------------------------------------------- limits


def test_length_limit():
    longest = "ALARM(" + "a" * 10233 + ")"
    assert len(longest) == 10240
    assert parse_alarm_rule(longest).alarm_names == ("a" * 10233,)
    with pytest.raises(AlarmRuleError) as info:
        parse_alarm_rule("ALARM(" + "a" * 10234 + ")")
    assert info.value.message == "An alarm rule must be 1 to 10240 characters long (got 10241)"
    assert info.value.start == 10240


def test_length_counts_utf16_code_units():
    # 5117 emoji are 10234 UTF-16 units: 7 + 10234 + 2 = 10243 > 10240, with 5126 code points.
    rule = 'ALARM("' + "\U0001F600" * 5117 + '")'
    assert len(rule) == 5126
    with pytest.raises(AlarmRuleError) as info:
        parse_alarm_rule(rule)
    assert info.value.message == "An alarm rule must be 1 to 10240 characters long (got 10243)"
    # The caret goes under the first code point that does not fit: the 5117th emoji (index
    # 7 + 5116 = 5123) takes units 10240 and 10241, one past the limit.
    assert info.value.start == 5123


def test_child_alarm_limit():
    ok = " OR ".join(f"ALARM(a{i})" for i in range(100))
    assert len(parse_alarm_rule(ok).alarm_names) == 100
    # Naming the same alarm again (or by ARN) does not add a child.
    assert len(parse_alarm_rule(ok + f" OR OK(a5) OR OK({ARN}a7)").alarm_names) == 100
    rule = ok + " OR ALARM(a100)"
    with pytest.raises(AlarmRuleError) as info:
        parse_alarm_rule(rule)
    assert info.value.message == "An alarm rule can name at most 100 child alarms (this one names 101)"
    assert info.value.start == rule.index("a100")


def test_element_limit():
    ok = " OR ".join(["TRUE"] * 500)
    assert parse_alarm_rule(ok).expr == Or(tuple(Constant(True) for _ in range(500)))
    rule = " OR ".join(["TRUE"] * 400 + ["(TRUE)"] * 50 + ["ALARM(a)"] * 1)
    # 400 + 50 constants + 50 groups + 1 reference = 501 elements.
    with pytest.raises(AlarmRuleError) as info:
        parse_alarm_rule(rule)
    assert info.value.message == ("An alarm rule can have at most 500 elements (child alarms, "
                                  "TRUE/FALSE, parentheses); this one has 501")
    assert info.value.start == rule.index("ALARM(a)") + 6


# --------------------------------------------------------------------------- evaluation


def test_truth_table_against_plain_python():
    rule = "ALARM(a) OR OK(b) AND NOT ALARM(c)"
    for a, b, c in itertools.product(STATES, repeat=3):
        expected = a == "ALARM" or (b == "OK" and c != "ALARM")
        got = evaluate_composite(rule, {"a": a, "b": b, "c": c})
        assert got == ("ALARM" if expected else "OK"), (a, b, c)


@pytest.mark.parametrize("rule, holds", [
    ("AT_LEAST(2, ALARM, (a, b, c))", lambda s: sum(x == "ALARM" for x in s) >= 2),
    ("AT_LEAST(1, NOT OK, (a, b, c))", lambda s: sum(x != "OK" for x in s) >= 1),
    ("AT_LEAST(50%, NOT OK, (a, b, c))", lambda s: sum(x != "OK" for x in s) * 100 >= 150),
    ("AT_LEAST(34%, ALARM, (a, b, c))", lambda s: sum(x == "ALARM" for x in s) >= 2),
    ("AT_LEAST(33.3%, ALARM, (a, b, c))", lambda s: sum(x == "ALARM" for x in s) >= 1),
    ("AT_LEAST(100%, INSUFFICIENT_DATA, (a, b, c))",
     lambda s: all(x == "INSUFFICIENT_DATA" for x in s)),
])
def test_at_least_counts_and_percentages(rule, holds):
    for states in itertools.product(STATES, repeat=3):
        got = evaluate_composite(rule, dict(zip("abc", states)))
        assert got == ("ALARM" if holds(states) else "OK"), states


def test_constants():
    assert evaluate_composite("TRUE", {}) == "ALARM"
    assert evaluate_composite("FALSE", {}) == "OK"
    assert evaluate_composite("NOT FALSE AND TRUE", {}) == "ALARM"


def test_names_and_arns_refer_to_the_same_alarm():
    assert evaluate_composite("ALARM(cpu)", {ARN + "cpu": "ALARM"}) == "ALARM"
    assert evaluate_composite(f"ALARM({ARN}cpu)", {"cpu": "ALARM"}) == "ALARM"
    assert evaluate_composite("ALARM(cpu)", {"cpu": "OK", ARN + "cpu": "OK"}) == "OK"


def test_conflicting_and_unknown_children_are_errors_even_when_irrelevant():
    with pytest.raises(ValueError, match="given by name and ARN with different states"):
        evaluate_composite("TRUE OR ALARM(cpu)", {"cpu": "OK", ARN + "cpu": "ALARM"})
    with pytest.raises(ValueError, match="'disk', which is not a known alarm"):
        evaluate_composite("TRUE OR ALARM(disk)", {"cpu": "OK"})
    with pytest.raises(ValueError, match="state 'alarm'"):
        evaluate_composite("ALARM(cpu)", {"cpu": "alarm"})
    with pytest.raises(AlarmRuleError):
        evaluate_composite("ALARM(cpu", {"cpu": "OK"})


def test_a_parsed_rule_can_be_passed():
    rule = parse_alarm_rule("OK(a)")
    assert isinstance(rule, AlarmRule)
    assert evaluate_composite(rule, {"a": "OK"}) == "ALARM"


# --------------------------------------------------------------------------- composite evaluator


EVENTS = json.loads((DATA / "corpus" / "alarms" / "aws-docs-eventbridge-alarm-events.json")
                    .read_text(encoding="utf-8"))


def test_composite_event_matches_the_documented_one():
    sample = next(e["event"]["detail"] for e in EVENTS
                  if e["event"]["detail-type"] == "CloudWatch Alarm State Change"
                  and "alarmRule" in e["event"]["detail"]["configuration"])
    composite = CompositeAlarmEvaluator({
        "AlarmName": "ServiceAggregatedAlarm",
        "AlarmRule": "ALARM(ServerCpuTooHigh) OR ALARM(TotalNetworkTrafficTooHigh)",
        "ActionsSuppressor": "ServiceMaintenanceAlarm", "ActionsSuppressorWaitPeriod": 120,
        "ActionsSuppressorExtensionPeriod": 180})
    assert composite.state == "INSUFFICIENT_DATA"
    first = composite.update("2022-07-22T15:56:14.552Z", {
        "TotalNetworkTrafficTooHigh": ("OK", "2022-07-14T16:28:57.770Z"),
        "ServerCpuTooHigh": ("OK", "2022-07-14T16:28:54.191Z"),
        "ServiceMaintenanceAlarm": "OK"})
    assert first.new_reason == (ARN + "ServiceAggregatedAlarm was created and its alarm rule "
                                "evaluates to OK")
    second = composite.update("2022-07-22T15:57:45.394Z", {
        "TotalNetworkTrafficTooHigh": "OK",
        "ServerCpuTooHigh": ("ALARM", "2022-07-22T15:57:45.394Z"),
        "ServiceMaintenanceAlarm": "OK"})
    detail = composite.eventbridge_event(second)["detail"]
    assert detail["configuration"] == sample["configuration"]
    assert detail["state"]["value"] == "ALARM"
    assert detail["state"]["reasonData"] == sample["state"]["reasonData"]
    assert detail["state"]["timestamp"] == sample["state"]["timestamp"]
    assert detail["state"]["actionsSuppressedBy"] == "WaitPeriod"
    assert detail["state"]["actionsSuppressedReason"] == "Actions suppressed by WaitPeriod"
    assert detail["state"]["reason"] == (ARN + "ServerCpuTooHigh transitioned to ALARM at Friday "
                                         "22 July, 2022 15:57:45 UTC")
    assert detail["previousState"]["value"] == "OK"
    assert detail["previousState"]["reasonData"] == sample["previousState"]["reasonData"]
    assert detail["previousState"]["timestamp"] == sample["previousState"]["timestamp"]
    history = composite.history_items()
    assert history[0]["AlarmType"] == "CompositeAlarm"
    assert history[0]["HistorySummary"] == "Alarm updated from OK to ALARM"


def suppressed(**changes) -> CompositeAlarmEvaluator:
    config = {"AlarmName": "svc", "AlarmRule": "ALARM(a)", "AlarmActions": ["arn:page"],
              "OKActions": ["arn:ok"], "ActionsSuppressor": "s",
              "ActionsSuppressorWaitPeriod": 120, "ActionsSuppressorExtensionPeriod": 180}
    config.update(changes)
    return CompositeAlarmEvaluator({k: v for k, v in config.items() if v is not None})


def log(composite):
    return [(r.timestamp // 1000, r.state, r.status, r.suppressed_by) for r in composite.actions]


def test_wait_period_runs_the_actions_when_the_suppressor_stays_quiet():
    c = suppressed()
    c.update(0, {"a": "OK", "s": "OK"})
    t = c.update(60_000, {"a": "ALARM", "s": "OK"})
    assert (t.actions_suppressed_by, t.actions_suppressed_reason) == \
        ("WaitPeriod", "Actions suppressed by WaitPeriod")
    assert c.advance(179_999) == []
    assert [(r.timestamp, r.actions, r.status) for r in c.advance(180_000)] == \
        [(180_000, ("arn:page",), "performed")]
    assert log(c) == [(0, "OK", "performed", None), (180, "ALARM", "performed", None)]


def test_wait_period_drops_the_actions_when_the_suppressor_fires_in_time():
    c = suppressed()
    c.update(0, {"a": "OK", "s": "OK"})
    c.update(60_000, {"a": "ALARM", "s": "OK"})
    assert c.update(100_000, {"a": "ALARM", "s": "ALARM"}) is None
    assert log(c)[-1] == (100, "ALARM", "suppressed", "Alarm")
    assert c.advance(500_000) == []


def test_a_suppressor_firing_after_the_wait_is_too_late():
    c = suppressed()
    c.update(0, {"a": "OK", "s": "OK"})
    c.update(60_000, {"a": "ALARM", "s": "OK"})
    c.update(200_000, {"a": "ALARM", "s": "ALARM"})
    assert log(c)[-1] == (180, "ALARM", "performed", None)


def test_suppressor_in_alarm_and_extension_period():
    c = suppressed()
    c.update(0, {"a": "OK", "s": "ALARM"})
    assert log(c) == [(0, "OK", "suppressed", "Alarm")]
    c.update(100_000, {"a": "OK", "s": "OK"})            # suppressor leaves ALARM: +180 s
    t = c.update(200_000, {"a": "ALARM", "s": "OK"})     # 200 < 280
    assert t.actions_suppressed_by == "ExtensionPeriod"
    t = c.update(250_000, {"a": "OK", "s": "OK"})
    assert t.actions_suppressed_by == "ExtensionPeriod"
    t = c.update(280_000, {"a": "ALARM", "s": "OK"})     # extension over: the wait applies again
    assert t.actions_suppressed_by == "WaitPeriod"
    assert log(c) == [(0, "OK", "suppressed", "Alarm"), (200, "ALARM", "suppressed", "ExtensionPeriod"),
                      (250, "OK", "suppressed", "ExtensionPeriod")]


def test_a_new_state_during_the_wait_replaces_the_waiting_actions():
    c = suppressed()
    c.update(0, {"a": "OK", "s": "OK"})
    c.update(60_000, {"a": "ALARM", "s": "OK"})
    t = c.update(90_000, {"a": "OK", "s": "OK"})
    assert t.actions_suppressed_by is None               # the wait applies to ALARM only
    assert log(c) == [(0, "OK", "performed", None), (90, "ALARM", "suppressed", "WaitPeriod"),
                      (90, "OK", "performed", None)]


def test_no_suppressor_and_disabled_actions():
    plain = suppressed(ActionsSuppressor=None, ActionsSuppressorWaitPeriod=None,
                       ActionsSuppressorExtensionPeriod=None)
    plain.update(0, {"a": "ALARM"})
    assert log(plain) == [(0, "ALARM", "performed", None)]
    assert plain.transitions[0].actions_suppressed_by is None
    quiet = suppressed(ActionsEnabled=False)
    quiet.update(0, {"a": "ALARM", "s": "ALARM"})
    assert quiet.actions == [] and quiet.state == "ALARM"


def test_composite_configuration_errors():
    with pytest.raises(ValueError, match="ActionsSuppressorWaitPeriod is required"):
        suppressed(ActionsSuppressorWaitPeriod=None)
    with pytest.raises(AlarmRuleError):
        suppressed(AlarmRule="ALARM(")
    c = suppressed()
    with pytest.raises(ValueError, match="actions suppressor 's' is not among"):
        c.update(0, {"a": "OK"})
    assert c.state == "INSUFFICIENT_DATA" and c.transitions == []


def test_composite_reason_names_the_child_that_moved():
    c = CompositeAlarmEvaluator({"AlarmName": "both", "AlarmRule": "ALARM(x) AND ALARM(y)"},
                                region="eu-west-1", account_id="111122223333")
    assert c.update(0, {"x": "ALARM", "y": "OK"}).new_state == "OK"
    t = c.update(1_659_000_000_000, {"x": "ALARM", "y": "ALARM"})
    assert t.new_reason == ("arn:aws:cloudwatch:eu-west-1:111122223333:alarm:y transitioned to "
                            "ALARM at Thursday 28 July, 2022 09:20:00 UTC")
    data = t.new_reason_data["triggeringAlarms"]
    assert [d["arn"].rsplit(":", 1)[1] for d in data] == ["y", "x"]   # newest change first
    assert data[0]["state"] == {"value": "ALARM", "timestamp": "2022-07-28T09:20:00.000+0000"}
    assert c.update(1_659_000_060_000, {"x": "ALARM", "y": "ALARM"}) is None


# --------------------------------------------------------------------------- cycles


def test_cycles_are_named():
    with pytest.raises(CompositeCycleError) as info:
        composite_evaluation_order({"a": "ALARM(b)", "b": "ALARM(c) OR ALARM(m1)", "c": "OK(a)"})
    assert info.value.cycle == ("a", "b", "c", "a")
    assert str(info.value) == "composite alarms form a cycle: a -> b -> c -> a"
    assert isinstance(info.value, ValueError)


def test_self_reference_and_arn_references_are_cycles():
    with pytest.raises(CompositeCycleError, match="x -> x"):
        composite_evaluation_order({"x": "TRUE OR ALARM(x)"})
    with pytest.raises(CompositeCycleError) as info:
        composite_evaluation_order({"a": f"ALARM({ARN}b)", ARN + "b": "ALARM(a)"})
    assert info.value.cycle == ("a", "b", "a")


def test_false_instead_of_a_reference_breaks_the_cycle():
    assert composite_evaluation_order({"a": "ALARM(b)", "b": "FALSE"}) == ["b", "a"]


def test_evaluation_order_and_nested_composites():
    rules = {"top": "ALARM(mid) AND ALARM(m1)", "mid": "ALARM(m2) OR ALARM(m3)"}
    assert composite_evaluation_order(rules) == ["mid", "top"]
    assert evaluate_composites(rules, {"m1": "ALARM", "m2": "OK", "m3": "ALARM"}) == \
        {"mid": "ALARM", "top": "ALARM"}
    assert evaluate_composites(rules, {"m1": "ALARM", "m2": "OK", "m3": "OK"}) == \
        {"mid": "OK", "top": "OK"}
