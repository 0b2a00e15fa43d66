"""How a `cwfilter run` process treats its heap while it writes its results.

Each case runs the real console-script entry point in a fresh interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cwfilter.engine.testing.cis import build_config

EVENTS = Path(__file__).parent / "data" / "corpus" / "cloudtrail" / "otrf-ec2_proxy_s3_exfiltration_2020-09-14011940.jsonl"


# Runs `cwfilter run` and writes the full-collection threshold of the garbage collector while the
# results are written (`_Renderer.finish`) and after the command, to the file named first.
GC_PROBE = """
import gc, json, sys
out, sys.argv = sys.argv[1], ["cwfilter", *sys.argv[2:]]
import cwfilter.cli as cli
seen = {}
finish = cli._Renderer.finish
def probe(self, summary):
    seen["during"] = gc.get_threshold()[2]
    return finish(self, summary)
cli._Renderer.finish = probe
seen["before"] = gc.get_threshold()[2]
try:
    cli.main()
except SystemExit:
    pass
seen["after"] = gc.get_threshold()[2]
open(out, "w").write(json.dumps(seen))
"""


def test_results_are_written_without_full_collections(tmp_path):
    """A batch run's results are written from objects that all live to the end (series,
    transitions): full passes of the cyclic collector stay as rare as during the run itself,
    and the threshold is restored after."""
    from cwfilter.engine.metrics.runner import _FULL_COLLECTION_EVERY

    config = tmp_path / "cis.json"
    config.write_text(json.dumps(build_config("securityhub")))
    events = tmp_path / "one-line.jsonl"
    events.write_text(EVENTS.read_text().splitlines()[0] + "\n")
    record = tmp_path / "gc.json"
    done = subprocess.run([sys.executable, "-c", GC_PROBE, str(record), "run", str(config), str(events), "-o",
                           "json", "--quiet"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(record.read_text())
    assert seen["during"] >= _FULL_COLLECTION_EVERY > seen["before"] == seen["after"]
