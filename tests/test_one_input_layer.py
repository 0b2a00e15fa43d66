"""`cwfilter test`, `explain` and `run` read the same inputs the same way (real subprocesses).

Each log file of the corpus (and a CloudTrail log file built from the corpus's record envelopes,
plain and gzip-compressed) is fed to the three commands: `test` and `explain` with the empty
pattern (every event matches) must list the same messages, and `run` must read as many events
and match as many with the empty pattern and with a term taken from one of the events. `test -o
text` must stream from a pipe that stays open.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "data" / "corpus"
CWFILTER = Path(sys.executable).parent / ("cwfilter.exe" if os.name == "nt" else "cwfilter")
ENVELOPES = CORPUS / "cloudtrail" / "aws-docs-log-file-envelopes.json"
PAYLOADS = CORPUS / "subscription" / "aws-docs-decoded-payloads.json"
# Not log events: alarm notifications, an agent config, the corpus's own notes; the record
# envelopes and the decoded payloads are wrappers, turned into a CloudTrail log file and a file of
# subscription payloads (one per line) below.
NOT_LOGS = {"alarms", "cloudwatch-agent"}

LOG_FILES = sorted(
    p for p in CORPUS.rglob("*")
    if p.is_file() and p.name != "README.md" and p.parent.name not in NOT_LOGS and p not in (ENVELOPES, PAYLOADS)
)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "PY_COLORS", "TTY_COMPATIBLE"}}
    env.update({"NO_COLOR": "1", "COLUMNS": "200"})
    return env


def cli(*args: str | Path, stdin: bytes = b"") -> tuple[int, str, str]:
    done = subprocess.run([str(CWFILTER), *map(str, args)], input=stdin, capture_output=True, env=_env(), check=False,
                          timeout=120)
    return done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")


def cloudtrail_log_file() -> bytes:
    """A CloudTrail log file (`{"Records": [...]}`, pretty-printed) of every record of the envelopes."""
    records = [r for item in json.loads(ENVELOPES.read_text(encoding="utf-8")) for r in item["envelope"]["Records"]]
    return json.dumps({"Records": records}, indent=2).encode("utf-8")


def subscription_payloads() -> bytes:
    """The decoded subscription payloads of the corpus, one JSON document per line."""
    items = json.loads(PAYLOADS.read_text(encoding="utf-8"))["decoded_payloads"]
    return b"".join(json.dumps(item["payload"]).encode("utf-8") + b"\n" for item in items)


@pytest.fixture(params=[*LOG_FILES, "cloudtrail-log-file", "cloudtrail-log-file.gz", "subscription-payloads"],
                ids=lambda p: str(p.relative_to(CORPUS)) if isinstance(p, Path) else p)
def log_file(request, tmp_path) -> Path:
    if isinstance(request.param, Path):
        return request.param
    path = tmp_path / f"{request.param}.json"
    data = subscription_payloads() if request.param == "subscription-payloads" else cloudtrail_log_file()
    if request.param.endswith(".gz"):
        path = tmp_path / "trail.json.gz"
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


def test_test_explain_and_run_see_the_same_events(log_file, tmp_path):
    code, out, err = cli("test", "-o", "json", "", log_file)
    assert code == 0, err
    matches = json.loads(out)["matches"]
    messages = [m["eventMessage"] for m in matches]
    assert messages and [m["eventNumber"] for m in matches] == list(range(1, len(messages) + 1))

    code, out, err = cli("explain", "-o", "json", "", log_file)
    assert code == 0, err
    explained = json.loads(out)["events"]
    assert [e["eventMessage"] for e in explained] == messages

    # A term of the middle event: its count is worked out here, from the messages test listed.
    words = re.findall(r"[A-Za-z][A-Za-z0-9]{3,}", messages[len(messages) // 2])
    term = words[len(words) // 2]
    expected = sum(1 for m in messages if term in m)
    code, out, err = cli("test", "-o", "json", term, log_file)
    assert (code, len(json.loads(out)["matches"])) == (0, expected), err

    config = tmp_path / "config.json"
    transform = [{"metricName": "n", "metricNamespace": "ns", "metricValue": "1"}]
    config.write_text(json.dumps({"metricFilters": [
        {"filterName": "all", "filterPattern": "", "metricTransformations": transform},
        {"filterName": "term", "filterPattern": term, "metricTransformations": transform},
    ]}), encoding="utf-8")
    code, out, err = cli("run", config, log_file, "-o", "json", "-q")
    assert code == 0, err
    summary = json.loads(out)["summary"]
    assert summary["inputs"]["total"]["delivered"] == len(messages)
    assert {f["filterName"]: f["matched"] for f in summary["filters"]} == {"all": len(messages), "term": expected}


def test_zcat_of_a_cloudtrail_file_into_test_prints_the_matching_records(tmp_path):
    """`zcat trail.json.gz | cwfilter test '{ $.eventName = "ConsoleLogin" }'` (a real zcat when there is one)."""
    trail = tmp_path / "trail.json.gz"
    trail.write_bytes(gzip.compress(cloudtrail_log_file()))
    pattern = '{ $.eventName = "ConsoleLogin" }'
    zcat = subprocess.run(["zcat", str(trail)], capture_output=True, check=True).stdout if os.name != "nt" else \
        gzip.decompress(trail.read_bytes())
    code, out, err = cli("test", pattern, stdin=zcat)
    assert code == 0, err
    records = json.loads(gzip.decompress(trail.read_bytes()))["Records"]
    expected = [r for r in records if r.get("eventName") == "ConsoleLogin"]
    assert expected
    assert [json.loads(line) for line in out.splitlines()] == expected
    # The compressed bytes themselves on stdin: gzip is recognised by its magic bytes.
    assert cli("test", pattern, stdin=trail.read_bytes())[:2] == (0, out)
    # explain explains the record, not the whole document.
    code, out, _ = cli("explain", pattern, trail)
    first = out.split("\n\n")[0]  # the first record is the ConsoleLogin one
    assert code == 0 and first.startswith("event 1: match\n") and '($.eventName → "ConsoleLogin")' in first


def _read_line(stream, timeout: float) -> bytes:
    ready, _, _ = select.select([stream], [], [], timeout)
    return stream.readline() if ready else b""


@pytest.mark.skipif(os.name == "nt", reason="select() on pipes")
def test_text_output_streams_from_a_pipe_that_stays_open():
    """`tail -f app.log | cwfilter test -o text --line-buffered ERROR`: each match is printed as it
    is read, while the input stays open; Ctrl-C keeps what was printed."""
    proc = subprocess.Popen([str(CWFILTER), "test", "-o", "text", "--line-buffered", "ERROR"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
    try:
        proc.stdin.write(b"INFO starting\nERROR first failure\n")
        proc.stdin.flush()
        assert _read_line(proc.stdout, 30) == b"ERROR first failure\n"
        proc.stdin.write(b"[INFO] fine\n[ERROR] second failure\n")
        proc.stdin.flush()
        assert _read_line(proc.stdout, 30) == b"[ERROR] second failure\n"
        assert proc.poll() is None  # still reading
        proc.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 30
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.returncode == 130
        assert b"Traceback" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
