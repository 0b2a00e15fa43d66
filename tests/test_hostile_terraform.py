"""Hostile Terraform: expressions that would hang, or build values without bound.

Every module is generated at test time and read by the installed CLI as a subprocess under an
address-space limit (``resource.setrlimit`` in the child) and a timeout. Each case must end as a
CWF200 error naming the file, the line and the bound (exit 2), or evaluate correctly; never a
traceback, a hang or an exhausted memory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

resource = pytest.importorskip("resource")  # POSIX only

CWFILTER = Path(sys.executable).parent / "cwfilter"
ADDRESS_SPACE = 2 * 1024 ** 3  # 2 GB, as a CI runner under pressure
TIMEOUT = 60


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def run(*args: object) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "PY_COLORS"}}
    env.update({"NO_COLOR": "1", "COLUMNS": "300"})
    done = subprocess.run([str(CWFILTER), *map(str, args)], capture_output=True, text=True, env=env,
                          timeout=TIMEOUT, preexec_fn=_limit, check=False)
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert "MemoryError" not in done.stderr + done.stdout
    return done


def module(tmp_path: Path, name_expr: str, extra: str = "") -> Path:
    """A module whose one metric filter takes its name from `name_expr` (on line 3)."""
    (tmp_path / "main.tf").write_text(textwrap.dedent("""\
        resource "aws_cloudwatch_log_metric_filter" "bomb" {
          log_group_name = "app"
          name           = %s
          pattern        = "ERROR"
          metric_transformation {
            name      = "Errors"
            namespace = "App"
            value     = "1"
          }
        }
        """) % name_expr + extra, encoding="utf-8")
    return tmp_path


def cwf200(done: subprocess.CompletedProcess) -> list[dict]:
    return [f for f in json.loads(done.stdout) if f["code"] == "CWF200"]


def refused(tmp_path: Path, name_expr: str, extra: str = "") -> str:
    """The CWF200 reason for the filter's name; exit 2, at main.tf line 3."""
    done = run("check", "-o", "json", module(tmp_path, name_expr, extra))
    assert done.returncode == 2, done.stdout + done.stderr
    [finding] = cwf200(done)
    assert (Path(finding["file"]).name, finding["line"], finding["severity"]) == ("main.tf", 3, "error")
    return finding["message"].rsplit("without deploying: ", 1)[1]


def test_backtracking_regex_runs_in_linear_time(tmp_path):
    # re.sub would take ages on (a+)+$ against 45 a's and a '!'; RE2 answers at once.
    done = run("import", "-o", "json", module(tmp_path, 'replace(local.s, "/(a+)+$/", "x")',
                                              'locals {\n  s = "%s!"\n}\n' % ("a" * 45)))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["metricFilters"][0]["filterName"] == "a" * 45 + "!"


def test_regex_functions_use_go_syntax_and_replacements(tmp_path):
    done = run("import", "-o", "json", module(
        tmp_path, 'join("-", [replace("prod_eu_1", "/(\\\\w+?)_(\\\\w+?)_(\\\\d)/", "$2.$${1}x$3"), '
                  'regex("^(?P<env>[a-z]+)-", "stage-7")["env"], join("", regexall("[0-9]", "a1b2c3"))])'))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["metricFilters"][0]["filterName"] == "eu.prodx1-stage-123"


def test_invalid_regex_is_a_finding(tmp_path):
    assert refused(tmp_path, 'regex("(a", "aaa")') == "invalid regular expression '(a': missing ): (a"


def test_format_width_is_bounded(tmp_path):
    assert refused(tmp_path, 'format("%0999999999f", 1)') == \
        "format: the width or precision of %0999999999f is beyond 9,999"


def test_range_is_bounded_as_terraform_bounds_it(tmp_path):
    assert refused(tmp_path, 'join("", [for i in range(100000) : "x"])') == \
        "range() would generate 100,000 numbers; the limit is 1,024"


def test_doubling_strings_are_bounded(tmp_path):
    lines = ['  s0 = "%s"' % ("a" * 64)]
    lines += [f'  s{i} = "${{local.s{i - 1}}}${{local.s{i - 1}}}"' for i in range(1, 41)]
    reason = refused(tmp_path, "local.s40", "locals {\n" + "\n".join(lines) + "\n}\n")
    assert reason == "a string of more than 1,048,576 characters"


def test_doubling_lists_are_bounded(tmp_path):
    lines = ['  l0 = ["a", "b"]'] + [f"  l{i} = concat(local.l{i - 1}, local.l{i - 1})" for i in range(1, 41)]
    reason = refused(tmp_path, "join(\"\", local.l40)", "locals {\n" + "\n".join(lines) + "\n}\n")
    assert reason == "a list or map of more than 10,000 elements"


def test_shared_structure_bomb_is_bounded_when_encoded(tmp_path):
    lines = ['  n0 = ["aaaaaaaaaa"]'] + [f"  n{i} = [{', '.join([f'local.n{i - 1}'] * 10)}]" for i in range(1, 10)]
    reason = refused(tmp_path, "jsonencode(local.n9)", "locals {\n" + "\n".join(lines) + "\n}\n")
    assert reason == "a value with more than 100,000 elements"


def test_nested_for_expressions_are_bounded_in_steps(tmp_path):
    reason = refused(tmp_path, 'length(flatten([for a in range(1000) : [for b in range(1000) : '
                               '[for c in range(1000) : c]]]))')
    assert reason == "evaluation needs more than 2,000,000 steps"


def test_huge_count_is_refused(tmp_path):
    (tmp_path / "main.tf").write_text(textwrap.dedent("""\
        resource "aws_cloudwatch_log_metric_filter" "many" {
          count          = 1000000000
          log_group_name = "app"
          name           = "f${count.index}"
          pattern        = "ERROR"
          metric_transformation {
            name      = "Errors"
            namespace = "App"
            value     = "1"
          }
        }
        """), encoding="utf-8")
    done = run("check", "-o", "json", tmp_path)
    assert done.returncode == 2
    [finding] = cwf200(done)
    assert (finding["line"], finding["message"]) == (
        1, ("aws_cloudwatch_log_metric_filter.many: count cannot be resolved without planning: count is "
           "1,000,000,000; cwfilter reads at most 10,000 instances; its instances are not read"))


def test_self_including_template_is_bounded(tmp_path):
    (tmp_path / "self.tpl").write_text('${templatefile("self.tpl", {})}', encoding="utf-8")
    reason = refused(tmp_path, 'templatefile("${path.module}/self.tpl", {})')
    assert reason == "templatefile() cannot be called from a template"


def test_deeply_nested_expression_is_an_error_not_a_crash(tmp_path):
    depth = 20_000
    done = run("check", "-o", "json", module(tmp_path, "(" * depth + '"x"' + ")" * depth))
    assert done.returncode == 2, done.stdout + done.stderr
    [found] = json.loads(done.stdout)
    assert (Path(found["file"]).name, found["message"]) == (
        "main.tf", "Invalid HCL: expressions are nested too deeply to read")


def test_nesting_that_parses_is_refused_by_the_evaluator(tmp_path):
    # Deep enough for the evaluator's recursion, shallow enough for the HCL parser.
    depth = 150
    assert refused(tmp_path, "flatten(" + "[" * depth + '"x"' + "]" * depth + ")[0]") == \
        "the expression is nested too deeply, or refers to itself"
