"""`cwfilter test` as a whole process against grep, and its start-up against Python's own.

Each side is a real process run through bash, timed over interleaved rounds (median), so that a
busy neighbour slows both alike:

* ``cwfilter test ERROR FILE | wc -l`` against ``grep -c ERROR FILE | cat`` on 1,000,000 log lines
  (the corpus's Apache lines), once with 3% of them an application's ``ERROR`` line (target:
  at most 5x) and once with none (target: at most 3x);
* ``cwfilter test ERROR ONE-LINE-FILE`` against ``python -c pass`` (target: at most 4x), and a
  JSON pattern on one CloudTrail record (target: at most 10x).

The package's bytecode is written first, as installing it does (an editable install run with
PYTHONDONTWRITEBYTECODE would otherwise compile every module at each start).

``pytest benchmarks/bench_test_command.py --benchmark-only -s`` runs the full sizes and asserts
the targets; with ``--benchmark-disable`` (the normal suite) 20,000 lines are read once and only
the outputs are checked.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workloads import ROOT_USAGE, cloudtrail_messages, compile_package, error_log, median_of_runs  # noqa: E402

CWFILTER = str(Path(sys.executable).with_name("cwfilter"))
MAX_VS_GREP_WITH_MATCHES = 5.0
MAX_VS_GREP_WITHOUT = 3.0
MAX_START_VS_PYTHON = 4.0
MAX_JSON_START_VS_PYTHON = 10.0

needs_grep = pytest.mark.skipif(shutil.which("grep") is None or shutil.which("wc") is None, reason="needs grep and wc")


@pytest.fixture(scope="module")
def logs(full, tmp_path_factory) -> dict:
    compile_package()
    root = tmp_path_factory.mktemp("test-command")
    lines = 1_000_000 if full else 20_000
    mixed, clean = root / "mixed.log", root / "clean.log"
    return {"lines": lines, "mixed": mixed, "errors": error_log(mixed, lines, share=0.03),
            "clean": clean, "clean_errors": error_log(clean, lines, share=0)}


def _count(command: str) -> str:
    return subprocess.run(command, shell=True, executable="/bin/bash", capture_output=True, text=True).stdout.strip()


@needs_grep
@pytest.mark.parametrize(("name", "target"), [("mixed", MAX_VS_GREP_WITH_MATCHES), ("clean", MAX_VS_GREP_WITHOUT)])
def test_test_command_against_grep(benchmark, full, logs, name, target):
    path = shlex.quote(str(logs[name]))
    grep = f"grep -c ERROR {path} | cat"
    ours = f"{shlex.quote(CWFILTER)} test ERROR {path} | wc -l"
    expected = logs["errors"] if name == "mixed" else 0
    # The same count both ways: every line holding ERROR, printed once.
    assert _count(grep) == benchmark.pedantic(_count, args=(ours,), rounds=1, iterations=1) == str(expected)
    if not full:
        return
    t_grep, t_ours = median_of_runs(7, grep, ours)
    ratio = t_ours / t_grep
    benchmark.extra_info.update({"lines": logs["lines"], "matches": expected, "grep_s": t_grep, "cwfilter_s": t_ours,
                                 "ratio": ratio})
    print(f"\n{logs['lines']:,} lines, {expected:,} with ERROR: cwfilter test {t_ours * 1000:.0f} ms, "
          f"grep -c {t_grep * 1000:.0f} ms: {ratio:.2f}x (target <= {target}x)")
    assert ratio <= target


def test_start_up_against_python(benchmark, full, logs, tmp_path):
    one = tmp_path / "one.log"
    one.write_text(logs["mixed"].open(encoding="utf-8").readline(), encoding="utf-8")
    record = tmp_path / "record.jsonl"
    record.write_text(cloudtrail_messages()[0] + "\n", encoding="utf-8")
    python = f"{shlex.quote(sys.executable)} -c pass"
    terms = f"{shlex.quote(CWFILTER)} test ERROR {shlex.quote(str(one))}"
    json_pattern = f"{shlex.quote(CWFILTER)} test {shlex.quote(ROOT_USAGE)} {shlex.quote(str(record))}"
    def outputs() -> list[tuple[int, bytes]]:
        done = [subprocess.run(c, shell=True, executable="/bin/bash", capture_output=True)
                for c in (terms, json_pattern)]
        return [(d.returncode, d.stdout) for d in done]

    # The line holds no ERROR; the record is no root user's call: exit 1, nothing written.
    assert benchmark.pedantic(outputs, rounds=1, iterations=1) == [(1, b""), (1, b"")]
    if not full:
        return
    t_py, t_terms, t_json = median_of_runs(15, python, terms, json_pattern)
    benchmark.extra_info.update({"python_s": t_py, "terms_s": t_terms, "json_s": t_json})
    print(f"\nstart-up: python -c pass {t_py * 1000:.0f} ms; cwfilter test ERROR {t_terms * 1000:.0f} ms "
          f"({t_terms / t_py:.2f}x, target <= {MAX_START_VS_PYTHON}x); a JSON pattern {t_json * 1000:.0f} ms "
          f"({t_json / t_py:.2f}x, target <= {MAX_JSON_START_VS_PYTHON}x)")
    assert t_terms / t_py <= MAX_START_VS_PYTHON
    assert t_json / t_py <= MAX_JSON_START_VS_PYTHON
