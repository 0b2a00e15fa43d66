"""Lint: each code on a pattern that deserves it, near misses that do not, the CLI, and `check`.

Where a finding offers a suggestion, the suggestion is checked against the intent the finding
names, on real events, with plain Python as the oracle (substring tests, `json.loads`).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import cwfilter
import pytest
from cwfilter.engine.authoring.lint import RULES, lint_pattern

REPO = Path(__file__).parent.parent
README = REPO / "README.md"
CIS = Path(__file__).parent / "data" / "conformance" / "cis-patterns.json"
CWFILTER = Path(sys.executable).parent / ("cwfilter.exe" if os.name == "nt" else "cwfilter")


def codes(pattern: str) -> list[str]:
    return [f.code for f in lint_pattern(pattern)]


def only(pattern: str, code: str):
    found = [f for f in lint_pattern(pattern) if f.code == code]
    assert len(found) == 1, found
    return found[0]


# --------------------------------------------------------------------------- each code


def test_cwf101_optional_terms_mixed_with_plain_terms():
    pattern = "?BAD ?MISSING ERROR"
    found = [f for f in lint_pattern(pattern) if f.code == "CWF101"]
    assert [(f.start, f.end) for f in found] == [(0, 4), (5, 13)]
    assert found[0].message == ("?BAD is ignored: a pattern that mixes ? terms with plain or - terms ignores every "
                                "? term, so the pattern means ERROR (P2: https://cwfilter.github.io/cwfilter/reference/decisions/#p2)")
    # The finding is true: the pattern behaves exactly as ERROR.
    for line in ["BAD", "ERROR", "MISSING ERROR", "nothing"]:
        assert cwfilter.compile_pattern(pattern).matches(line) == ("ERROR" in line)
    assert codes("?BAD ?MISSING") == []


def test_cwf102_hyphenated_word_is_split_and_the_suggestion_searches_the_text():
    finding = only("ORDER-ITEM-1 shipped", "CWF102")
    assert (finding.start, finding.end) == (0, 12)
    assert finding.suggestion == '"ORDER-ITEM-1" shipped'
    line = "ORDER-ITEM-1 shipped"
    assert not cwfilter.compile_pattern("ORDER-ITEM-1 shipped").matches(line)
    assert cwfilter.compile_pattern(finding.suggestion).matches(line)
    assert codes("ORDER -ITEM") == []  # written apart on purpose
    assert codes('"ORDER-ITEM-1"') == []
    assert "CWF102" in codes("a?b")


@pytest.mark.parametrize("pattern", ['" "', '" " " "', '?ERROR ?" "', "%%", "%a*%", "%x?%", "%^%"])
def test_cwf103_pattern_that_matches_every_event(pattern):
    assert "CWF103" in codes(pattern)
    compiled = cwfilter.compile_pattern(pattern)
    assert all(compiled.matches(line) for line in ["a", "ERROR 1", '{"x": 1}', "zzz"])


@pytest.mark.parametrize("pattern", ["", "[]", "[...]", "ERROR", "%^$%", "%a+%", '" " -ERROR'])
def test_cwf103_not_for_the_empty_pattern_or_patterns_that_can_fail(pattern):
    assert "CWF103" not in codes(pattern)


def test_cwf104_not_equal_on_a_field_that_may_be_missing():
    finding = only('{ $.level != "DEBUG" }', "CWF104")
    assert finding.message == ('$.level != "DEBUG" is false when $.level is missing (P10: https://cwfilter.github.io/cwfilter/reference/decisions/#p10); add '
                               "'|| $.level NOT EXISTS' if events without it should match")
    suggested = cwfilter.compile_pattern(finding.suggestion)
    assert not cwfilter.compile_pattern('{ $.level != "DEBUG" }').matches('{"ms": 1}')
    assert suggested.matches('{"ms": 1}') and suggested.matches('{"level": "INFO"}')
    assert not suggested.matches('{"level": "DEBUG"}')
    assert "CWF104" not in codes('{ $.level != "DEBUG" || $.level NOT EXISTS }')


def test_cwf105_wildcard_on_a_number_like_value():
    finding = only("{ $.status = 4* }", "CWF105")
    assert (finding.start, finding.end) == (13, 15)
    # The finding is true: 4* is text, so 4 and 4.5 match and 1e3-style canonical text counts.
    compiled = cwfilter.compile_pattern("{ $.status = 4* }")
    assert compiled.matches('{"status": 4}') and compiled.matches('{"status": 4.5}')
    assert "CWF105" in codes("[ip, status = 4*, size]")
    assert "CWF105" not in codes("{ $.name = al* }")
    assert "CWF105" not in codes("{ $.name = * }")


@pytest.mark.parametrize(
    ("pattern", "suggestion"),
    [
        ("%ERROR%", "ERROR"),
        ("%disk full%", '"disk full"'),
        ("%a\\.b%", '"a.b"'),
        ("{ $.level = %ERR% }", '{ $.level = "*ERR*" }'),
        ("{ $.level = %^ERR% }", '{ $.level = "ERR*" }'),
        ("{ $.level = %^ERROR$% }", '{ $.level = "ERROR" }'),
        ("[a, b = %WARN%]", '[a, b = "*WARN*"]'),
    ],
)
def test_cwf106_regex_that_needs_no_regex(pattern, suggestion):
    finding = only(pattern, "CWF106")
    assert finding.suggestion == suggestion
    original, replacement = cwfilter.compile_pattern(pattern), cwfilter.compile_pattern(suggestion)
    events = ["ERROR 1", "an ERR here", "ERRORS", "xERR", "disk full!", "a.b", "axb", "WARN",
              '{"level": "ERROR"}', '{"level": "ERR"}', '{"level": "xERR"}', '{"level": "ERRx"}',
              '{"level": 1}', "x WARNING", "x WARN"]
    assert [original.matches(e) for e in events] == [replacement.matches(e) for e in events]


@pytest.mark.parametrize("pattern", ["%ERR.R%", "%[0-9]+%", "%^ERROR%", "{ $.level = %ERR$% }", "{ $.a != %x% }",
                                     "%a*b%"])
def test_cwf106_not_for_real_regexes_or_anchors_a_term_cannot_say(pattern):
    assert "CWF106" not in codes(pattern)


@pytest.mark.parametrize(
    ("pattern", "matches", "misses"),
    [
        ('{ $.ms = "812" }', '{"ms": 812}', '{"ms": 812.0}'),
        ('{ $.ms = "812.0" }', '{"ms": 812.0}', '{"ms": 812}'),
        ('{ $.ms = "1e3" }', None, '{"ms": 1e3}'),
    ],
)
def test_cwf107_quoted_number_compared_as_text(pattern, matches, misses):
    finding = only(pattern, "CWF107")
    compiled = cwfilter.compile_pattern(pattern)
    if matches is not None:
        assert compiled.matches(matches)
    assert not compiled.matches(misses)
    assert cwfilter.compile_pattern(finding.suggestion).matches(misses)  # unquoted: compared as a number
    assert "CWF107" not in codes('{ $.code = "AccessDenied" }')


def test_cwf107_messages():
    assert only('{ $.ms = "812" }', "CWF107").message == (
        '"812" is quoted, so it is compared as text with a JSON number\'s canonical text: the integer 812 '
        "matches, 812.0 does not (P9: https://cwfilter.github.io/cwfilter/reference/decisions/#p9); write 812 unquoted to compare numbers")
    assert only('{ $.ms = "1e3" }', "CWF107").message == (
        '"1e3" is quoted, so it is compared as text with a JSON number\'s canonical text: no JSON number is '
        "ever written as 1e3 (the number 1e3 reads as 1000.0) (P9: https://cwfilter.github.io/cwfilter/reference/decisions/#p9); write 1e3 unquoted to "
        "compare numbers")


def test_cwf108_not_equal_on_a_wildcard_selector():
    finding = only('{ $.tags[*] != "x" }', "CWF108")
    assert "CWF104" not in codes('{ $.tags[*] != "x" }')
    # The finding is true: an array holding "x" still matches when another element differs.
    assert cwfilter.compile_pattern('{ $.tags[*] != "x" }').matches('{"tags": ["x", "y"]}')
    assert finding.message.startswith('$.tags[*] != "x" holds when some value that $.tags[*] reaches differs')


def test_every_code_has_a_test_pattern_and_findings_are_ordered():
    found = lint_pattern('{ $.a != "x" && $.b = 4* && $.c = "5" && $.d[*] != "y" && $.e = %ERR% }')
    assert [f.code for f in found] == ["CWF104", "CWF105", "CWF107", "CWF108", "CWF106"]
    assert [f.start for f in found] == sorted(f.start for f in found)


def test_ignore_and_unknown_codes():
    assert lint_pattern('{ $.a != "x" }', ignore=["CWF104"]) == []
    with pytest.raises(ValueError, match="unknown lint code CWF999"):
        lint_pattern("x", ignore=["CWF999"])


def test_invalid_pattern_raises_the_pattern_error():
    with pytest.raises(cwfilter.PatternError):
        lint_pattern('{ $.a = "x"')


def test_finding_renders_a_caret():
    assert str(only("ORDER-ITEM-1 shipped", "CWF102")).splitlines() == [
        "CWF102 ORDER-ITEM-1 is read as ORDER -ITEM -1: a - inside an unquoted word starts an excluded term "
        "(P3: https://cwfilter.github.io/cwfilter/reference/decisions/#p3); quote the word to search for it as written (column 1)",
        "  ORDER-ITEM-1 shipped",
        "  ^^^^^^^^^^^^",
        '  suggestion: "ORDER-ITEM-1" shipped',
    ]


def test_every_suggestion_is_a_valid_pattern_on_the_cis_patterns():
    data = json.loads(CIS.read_text(encoding="utf-8"))
    texts = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("pattern", "filterPattern") and isinstance(value, str):
                    texts.add(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(data)
    assert len(texts) > 10
    for text in texts:
        try:
            findings = lint_pattern(text)
        except cwfilter.PatternError:
            continue
        for finding in findings:
            if finding.suggestion is not None:
                cwfilter.parse(finding.suggestion)


def test_findings_page_lists_every_lint_code():
    """The reference's table of finding codes is generated from the engine's tables: every lint
    code has its row and anchor."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("docs_hooks", REPO / "docs" / "hooks.py")
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    table = hooks.findings_table()
    listed = re.findall(r'^\| <span id="(cwf1\d\d)"></span>`(CWF1\d\d)`', table, re.MULTILINE)
    assert [b for _, b in listed] == list(RULES)
    assert all(a == b.lower() for a, b in listed)


# --------------------------------------------------------------------------- the CLI and check


def run(*args: str):
    env = {k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "PY_COLORS"}}
    env.update({"NO_COLOR": "1", "COLUMNS": "100"})
    done = subprocess.run([str(CWFILTER), *args], capture_output=True, env=env, stdin=subprocess.DEVNULL)
    return done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")


def test_cli_lint_exit_codes_and_outputs():
    code, out, err = run("lint", "ORDER-ITEM-1")
    assert code == 1 and out.startswith("CWF102 ") and err == "1 warning\n"
    code, out, err = run("lint", "ERROR")
    assert (code, out, err) == (0, "", "no warnings\n")
    code, out, _ = run("lint", "-o", "json", '{ $.a != "x" }')
    assert code == 1
    assert json.loads(out) == {"pattern": '{ $.a != "x" }',
                               "findings": [f.to_json() for f in lint_pattern('{ $.a != "x" }')]}
    code, _, err = run("lint", "--ignore", "cwf104", '{ $.a != "x" }')
    assert code == 0
    code, _, err = run("lint", '{ $.a != "x"')
    assert code == 2 and "^" in err
    code, _, err = run("lint", "--ignore", "CWF999", "x")
    assert code == 2 and "unknown lint code CWF999" in err


CONFIG = """\
metricFilters:
  - filterName: orders
    logGroupName: app
    filterPattern: 'ORDER-ITEM-1 failed'
    metricTransformations:
      - {metricName: Orders, metricNamespace: App, metricValue: "1"}
  - filterName: slow
    logGroupName: app
    filterPattern: '{ $.level != "DEBUG" && $.ms > 500 }'
    metricTransformations:
      - {metricName: Slow, metricNamespace: App, metricValue: "1"}
  - filterName: broken
    logGroupName: app
    filterPattern: '{ $.level = '
    metricTransformations:
      - {metricName: Broken, metricNamespace: App, metricValue: "1"}
"""


def test_check_reports_lint_warnings_with_file_line_and_path(tmp_path):
    config = tmp_path / "filters.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    code, out, err = run("check", str(config))
    assert code == 2  # the broken pattern is still an error, as before
    lines = out.splitlines()
    assert f"{config}:4: metricFilters[0].filterPattern: warning: CWF102 ORDER-ITEM-1 is read as" in out
    assert any(line.startswith(f"{config}:9: metricFilters[1].filterPattern: warning: CWF104 ") for line in lines)
    assert any(line.startswith(f"{config}:14: metricFilters[2].filterPattern: ") for line in lines)
    assert err == "1 error, 2 warnings\n"


def test_check_warnings_alone_pass_unless_strict(tmp_path):
    config = tmp_path / "filters.yaml"
    config.write_text(CONFIG.split("  - filterName: broken")[0], encoding="utf-8")
    assert run("check", str(config))[0] == 0
    assert run("check", "--strict", str(config))[0] == 2
    assert run("check", "--strict", "--ignore", "CWF102,CWF104", str(config))[0] == 0
    code, out, _ = run("check", "-o", "json", str(config))
    doc = [d for d in json.loads(out) if d.get("code", "").startswith("CWF1")]
    assert [(d["severity"], d["line"], d["path"], d["code"]) for d in doc] == [
        ("warning", 4, "metricFilters[0].filterPattern", "CWF102"),
        ("warning", 9, "metricFilters[1].filterPattern", "CWF104")]
