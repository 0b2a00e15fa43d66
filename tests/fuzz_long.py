"""The long fuzz run: the properties of test_fuzz.py with many more examples, and their figures.

    python tests/fuzz_long.py --long              # 20,000 pattern texts, 5,000 messages, configs and YAML structures
    python tests/fuzz_long.py --long --examples N # N pattern texts (N/4 of the others)

Prints, per property, the examples tried, the outcomes and the time taken; exits 1 on a finding
(hypothesis prints the smallest failing example). `pytest -m long tests/test_fuzz.py` runs the
same properties as tests.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import strategies as S  # noqa: E402
import test_fuzz as F  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def _run(name: str, examples: int, strategy, check) -> bool:
    outcomes: Counter = Counter()

    @settings(max_examples=examples, deadline=None, suppress_health_check=F._QUIET, database=None)
    @given(strategy)
    def prop(args):
        outcomes[check(*args)] += 1

    started = time.perf_counter()
    ok = True
    try:
        prop()
    except Exception as exc:  # a finding: hypothesis has printed the falsifying example
        ok = False
        print(f"{name}: FINDING {type(exc).__name__}: {exc}", file=sys.stderr)
    elapsed = time.perf_counter() - started
    tried = sum(outcomes.values())
    detail = ", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items(), key=str))
    print(f"{name}: {tried} examples in {elapsed:.1f} s ({detail})")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--long", action="store_true", help="run the long fuzz (required)")
    parser.add_argument("--examples", type=int, default=20_000, help="pattern texts to try (default 20,000)")
    args = parser.parse_args()
    if not args.long:
        parser.error("pass --long to run the long fuzz")
    n = args.examples

    def message_check(tree, message):
        text = F._valid_text(tree)
        if text is None:
            return "tree over a limit"
        return "match" if F.check_message(text, message) else "no match"

    def config_check(doc, as_yaml, cut):
        return "issues" if F.check_config_document(doc, as_yaml, cut) else "valid"

    results = [
        _run("pattern texts", n, F.pattern_texts.map(lambda t: (t,)), F.check_pattern_text),
        _run("messages x patterns", n // 4, st.tuples(S.patterns, F.hostile_messages()), message_check),
        _run("mutated configs", n // 4,
             st.tuples(F.mutated_configs(), st.booleans(), st.one_of(st.none(), st.integers(0, 10**6))),
             config_check),
        _run("YAML structure", n // 4, F.yaml_structure_texts().map(lambda t: (t,)), F.check_yaml_text),
    ]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
