"""`cwfilter.explain` and `cwfilter explain`: the per-clause trace, its verdict and its hints.

The verdict must be the matcher's on every case of the conformance file and on generated
patterns and events; the hint texts are asserted in full; the command runs as a real subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cwfilter
import pytest
from cwfilter.engine.authoring.explain import MATCHED, NOT_EVALUATED, NOT_MATCHED, explain
from hypothesis import HealthCheck, given, settings
from strategies import messages, patterns

DATA = Path(__file__).parent / "data"
CONFORMANCE = DATA / "conformance" / "filter-patterns.jsonl"
CWFILTER = Path(sys.executable).parent / ("cwfilter.exe" if os.name == "nt" else "cwfilter")


def conformance_cases() -> list[dict]:
    cases = []
    for line in CONFORMANCE.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        try:
            cwfilter.parse(case["pattern"])
        except cwfilter.PatternError:
            continue  # explain needs a valid pattern
        cases.append(case)
    return cases


CASES = conformance_cases()


def test_the_conformance_file_has_valid_cases():
    assert len(CASES) > 200


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_verdict_agrees_with_the_matcher_on_the_conformance_file(case):
    result = explain(case["pattern"], case["event"])
    assert result.matched == cwfilter.compile_pattern(case["pattern"]).matches(case["event"])
    assert result.matched == case["match"]
    assert (result.reason is None) == result.matched
    assert result.tree.status == (MATCHED if result.matched else NOT_MATCHED)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=patterns, message=messages)
def test_verdict_agrees_with_the_matcher_on_generated_cases(tree, message):
    text = cwfilter.unparse(tree)
    try:
        compiled = cwfilter.compile_pattern(text)
    except cwfilter.PatternError:
        return  # a generated tree over a service limit
    assert explain(text, message).matched == compiled.matches(message)


# --------------------------------------------------------------------------- the tree


def statuses(clause) -> list[tuple[str, str]]:
    out = [(clause.text, clause.status)]
    for child in clause.children:
        out.extend(statuses(child))
    return out


def test_json_clauses_resolve_values_and_the_first_failure_is_the_reason():
    result = explain('{ $.level = "ERROR" && $.ms > 500 }', '{"level": "WARN", "ms": 812}')
    assert not result.matched
    assert statuses(result.tree) == [
        ('{ $.level = "ERROR" && $.ms > 500 }', NOT_MATCHED),
        ('$.level = "ERROR" && $.ms > 500', NOT_MATCHED),
        ('$.level = "ERROR"', NOT_MATCHED),
        ("$.ms > 500", MATCHED),
    ]
    level, ms = result.tree.children[0].children
    assert level.resolved == [{"type": "string", "text": "WARN", "shown": '"WARN"'}]
    assert ms.resolved == [{"type": "number", "text": "812"}]
    assert result.reason == '$.level is "WARN", which is not equal to "ERROR"'
    assert result.hints == []


def test_wildcard_selector_lists_every_reached_value():
    result = explain('{ $.tags[*] = "x" }', '{"tags": ["a", 2, null]}')
    (cond,) = result.tree.children
    assert [v["text"] for v in cond.resolved] == ["a", "2", "null"]
    assert result.reason.startswith("none of the 3 values $.tags[*] reaches satisfies the test; the first: ")


def test_missing_field_reason():
    result = explain("{ $.ms > 5 }", '{"other": 1}')
    assert result.reason == ("$.ms is missing, and every test but NOT EXISTS is false on a missing field "
                             "(P10: https://cwfilter.github.io/cwfilter/reference/decisions/#p10)")


def test_or_reason_names_the_alternatives():
    result = explain('{ $.a = 1 || $.b = 2 }', '{"a": 3, "b": 4}')
    assert result.reason == "none of the 2 alternatives holds; the first: $.a is 3, which is not = 1"


def test_clauses_of_a_json_pattern_on_a_non_json_event_are_not_evaluated():
    result = explain('{ $.a = 1 && $.b = 2 }', "plain text")
    assert result.reason == "the event is not a JSON object"
    assert {s for _, s in statuses(result.tree)[1:]} == {NOT_EVALUATED}


def test_slots_are_not_evaluated_when_the_field_count_does_not_fit():
    result = explain("[a, b = 1]", "x 1 extra")
    assert result.reason == "the event has 3 fields, and the pattern has 2 slots"
    slot_statuses = [c.status for c in result.tree.children if c.kind == "slot"]
    assert slot_statuses == [NOT_EVALUATED, NOT_EVALUATED]


def test_slot_fields_are_resolved_by_position():
    result = explain("[ip, ..., status = 4*, size]", '1.2.3.4 - - "GET /" 503 12')
    slots = {c.text: c for c in result.tree.children if c.kind == "slot"}
    assert slots["status = 4*"].resolved == {"position": 5, "text": "503"}
    assert slots["size"].resolved == {"position": 6, "text": "12"}
    assert result.reason == '$status is "503", which does not fit the wildcard 4*'


def test_excluded_term_reason_and_every_term_is_evaluated():
    result = explain("ERROR -DEBUG -TRACE", "ERROR DEBUG details")
    assert [c.status for c in result.tree.children] == [MATCHED, NOT_MATCHED, MATCHED]
    assert result.reason == "the excluded term -DEBUG occurs in the event"


def test_matching_event_carries_the_extracted_values():
    result = explain("[ip, user, status = 4*]", "10.0.0.1 alice 404")
    assert result.matched and result.reason is None
    assert result.extracted == {"$ip": "10.0.0.1", "$user": "alice", "$status": "404"}
    assert explain("ERROR", "ok").extracted is None


def test_empty_pattern_matches_everything():
    result = explain("", "anything")
    assert result.matched and result.tree.kind == "all-events"


# --------------------------------------------------------------------------- hints (exact texts)


def hint_texts(pattern: str, message: str) -> dict[str, str]:
    return {h.id: h.text for h in explain(pattern, message).hints}


LAMBDA_LINE = '2024-05-01T12:00:00.000Z\t6bc28136-e7a2-4f7e-8c3a-0123456789ab\tERROR\t{"level": "ERROR"}'


def test_hint_prefix_before_json_lambda():
    prefix = LAMBDA_LINE[: LAMBDA_LINE.index("{")]
    assert hint_texts('{ $.level = "ERROR" }', LAMBDA_LINE) == {
        "not-json-prefix": (
            f"the event is not JSON because of the {len(prefix)}-character prefix before the '{{' "
            "(a Lambda prefix: time, request id, level): "
            '"2024-05-01T12:00:00.000Z\\t6bc28136-e7a2-4f7e-8c3a-01234567…; a JSON pattern '
            "matches only events that are one JSON object from start to end (P12: https://cwfilter.github.io/cwfilter/reference/decisions/#p12); log the "
            "JSON alone, or match the line with a space-delimited pattern"
        )
    }
    assert explain('{ $.level = "ERROR" }', LAMBDA_LINE).reason == (
        "the event is not a JSON object: text comes before the '{'")


@pytest.mark.parametrize(
    ("line", "label"),
    [
        ('<134>Oct 11 22:14:15 host app: {"a": 1}', "a syslog header"),
        ('Oct 11 22:14:15 host app[12]: {"a": 1}', "a syslog header"),
        ('2024-05-01T12:00:00.1Z stdout F {"a": 1}', "a container runtime prefix: time, stream, tag"),
        ('app says {"a": 1}', "text before the JSON"),
    ],
)
def test_hint_prefix_kinds(line, label):
    text = hint_texts("{ $.a = 2 }", line)["not-json-prefix"]
    assert f"prefix before the '{{' ({label}): " in text


def test_no_prefix_hint_when_the_rest_is_not_json_either():
    assert hint_texts("{ $.a = 1 }", "x {not json}") == {}


def test_hint_field_count_more_fields():
    assert hint_texts("[ip, user, status]", "1.2.3.4 bob 404 extra") == {
        "field-count": (
            "the event has 4 fields but the pattern has 3 slots: without '...' the counts must be equal "
            "(P13: https://cwfilter.github.io/cwfilter/reference/decisions/#p13); end the pattern with '...' to allow more fields, or quote a value that "
            "holds spaces"
        )
    }


def test_hint_field_count_fewer_fields():
    assert hint_texts("[ip, user, status]", "1.2.3.4 bob") == {
        "field-count": ("the event has 2 fields but the pattern has 3 slots: without '...' the counts "
                        "must be equal (P13: https://cwfilter.github.io/cwfilter/reference/decisions/#p13)")
    }


def test_hint_field_count_with_ellipsis():
    assert hint_texts("[a, b, ..., c]", "x y") == {
        "field-count": ("the event has 2 fields but the pattern needs at least 3: a line with fewer fields "
                        "never matches (P13: https://cwfilter.github.io/cwfilter/reference/decisions/#p13)")
    }


def test_hint_case_of_a_term():
    assert hint_texts("error", "[ERROR] disk full") == {
        "case": ('the event contains "ERROR", which differs from the term error only in case: terms are '
                 "case-sensitive (P1: https://cwfilter.github.io/cwfilter/reference/decisions/#p1)")
    }


def test_hint_case_of_a_json_value_and_of_a_member_name():
    assert hint_texts('{ $.level = "error" }', '{"level": "ERROR"}') == {
        "case": '$.level is "ERROR", which differs from "error" only in case: comparisons are case-sensitive'
    }
    assert hint_texts('{ $.Level = "ERROR" }', '{"level": "ERROR"}') == {
        "case": ('the event has the member "level", which differs from "Level" in $.Level only in case: '
                 "member names are case-sensitive")
    }


def test_hint_optional_terms_ignored():
    assert hint_texts("?BAD ?MISSING INVALID", "[ERROR 400] BAD REQUEST") == {
        "optional-ignored": (
            "?BAD and ?MISSING are ignored: when a pattern mixes ? terms with plain or - terms, every "
            "? term is ignored (P2: https://cwfilter.github.io/cwfilter/reference/decisions/#p2); to match any of several terms, give each a ? and "
            "nothing else"
        )
    }
    result = explain("?BAD ?MISSING INVALID", "[ERROR 400] BAD REQUEST")
    assert [c.status for c in result.tree.children] == [NOT_EVALUATED, NOT_EVALUATED, NOT_MATCHED]


def test_hint_hyphenated_term_split_into_exclusions():
    assert hint_texts("ORDER-ITEM-1", "ORDER-ITEM-1 shipped") == {
        "hyphen-split": ('ORDER-ITEM-1 is read as ORDER -ITEM -1: a - or ? inside an unquoted term starts '
                         'a new term (P3: https://cwfilter.github.io/cwfilter/reference/decisions/#p3); write "ORDER-ITEM-1" to search for the text')
    }


def test_hint_quoted_number_compared_as_text_json():
    assert hint_texts('{ $.ms = "812.0" }', '{"ms": 812}') == {
        "quoted-number": ('"812.0" is quoted, so it is compared as text with 812, the text of the JSON number '
                          "(P9: https://cwfilter.github.io/cwfilter/reference/decisions/#p9); unquoted, 812.0 compares as a number")
    }
    # Same answer either way: no hint.
    assert hint_texts('{ $.ms = "812" }', '{"ms": 812}') == {}


def test_hint_quoted_number_compared_as_text_delimited():
    assert hint_texts('[a, b = "200.0"]', "x 200") == {
        "quoted-number": ('"200.0" is quoted, so it is compared as text with "200" (P9: https://cwfilter.github.io/cwfilter/reference/decisions/#p9); '
                          "unquoted, 200.0 compares as a number")
    }


def test_hint_unquoted_number_against_a_string():
    assert hint_texts("{ $.code = 404 }", '{"code": "404"}') == {
        "number-vs-string": ('$.code is the string "404": an unquoted number never equals a string '
                             '(P9: https://cwfilter.github.io/cwfilter/reference/decisions/#p9); write "404" to compare text')
    }


# --------------------------------------------------------------------------- rendering and the CLI


def test_render_marks_each_clause():
    text = explain('{ $.level = "ERROR" && $.ms > 500 }', '{"level": "WARN", "ms": 812}').render(1)
    assert text.splitlines() == [
        "event 1: no match",
        '  {"level": "WARN", "ms": 812}',
        '  ✗ { $.level = "ERROR" && $.ms > 500 }',
        '    ✗ $.level = "ERROR"  ($.level → "WARN")',
        "    ✓ $.ms > 500  ($.ms → 812)",
        '  reason: $.level is "WARN", which is not equal to "ERROR"',
    ]


def run(*args: str, stdin: str = ""):
    env = {k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "PY_COLORS"}}
    env.update({"NO_COLOR": "1", "COLUMNS": "100"})
    done = subprocess.run([str(CWFILTER), *args], input=stdin.encode("utf-8"), capture_output=True, env=env)
    return done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")


def test_cli_text_output_and_exit_codes():
    events = '{"level": "WARN", "ms": 812}\n{"level": "ERROR", "ms": 900}\n'
    code, out, err = run("explain", '{ $.level = "ERROR" && $.ms > 500 }', stdin=events)
    assert code == 0
    assert out.startswith("event 1: no match\n")
    assert "\nevent 2: match\n" in out
    assert "  extracted: $.level = ERROR, $.ms = 900\n" in out
    assert err == "1 of 2 events matched\n"
    code, out, err = run("explain", "NOPE", stdin="a\nb\n")
    assert code == 1 and out.count("no match") == 2


def test_cli_json_output_is_the_same_data():
    line = '{"level": "WARN"}'
    code, out, _ = run("explain", "-o", "json", '{ $.level = "ERROR" }', stdin=line + "\n")
    assert code == 1
    doc = json.loads(out)
    assert doc["pattern"] == '{ $.level = "ERROR" }' and doc["kind"] == "json"
    assert doc["events"] == [explain('{ $.level = "ERROR" }', line).to_json(1)]


def test_cli_invalid_pattern_exits_2_with_a_caret():
    code, out, err = run("explain", '{ $.level = "ERROR"', stdin="x\n")
    assert code == 2 and out == ""
    assert err.splitlines()[-1].strip() == "^"


def test_cli_reads_files_and_events_json(tmp_path):
    log = tmp_path / "app.log"
    log.write_text("ERROR one\nINFO two\n", encoding="utf-8")
    code, out, _ = run("explain", "ERROR", str(log))
    assert code == 0 and out.count("event ") == 2
    multi = tmp_path / "events.json"
    multi.write_text(json.dumps(["ERROR\nstack", "fine"]), encoding="utf-8")
    code, out, _ = run("explain", "-o", "json", "ERROR", "--events-json", str(multi))
    assert [e["matched"] for e in json.loads(out)["events"]] == [True, False]
