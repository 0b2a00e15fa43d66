"""Hostile log inputs: compression bombs and oversize documents, read by the real CLI.

Every case runs `cwfilter run` as a subprocess under an address-space limit (set with
`resource.setrlimit` in the child) and a timeout, on inputs generated at test time that are small
on disk and huge once inflated. The bad part must be counted with its input and position, the rest
of the input and the next inputs read in full, and no traceback printed.

Gigabytes inflate from kilobytes because a gzip file may hold many members, all decompressed as
one stream (RFC 1952 §2.2): one member holding 64 MiB of the same byte is compressed once and
written many times.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import sys
import zlib
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="needs RLIMIT_AS (Linux)")

import resource
import subprocess

CWFILTER = Path(sys.executable).parent / "cwfilter"
ADDRESS_SPACE = 512 * 1024 * 1024  # the whole process, interpreter and libraries included
TIMEOUT = 240
MiB = 1024 * 1024
T0 = 1_714_564_800_000  # 2024-05-01T12:00:00Z

_FILLER = gzip.compress(b"a" * (64 * MiB), 9)  # ~64 KiB on disk


def bomb(prefix: bytes, gigabytes: float, suffix: bytes) -> bytes:
    """Gzip members: `prefix`, then `gigabytes` of ``a``, then `suffix`, inflating as one text."""
    count = int(gigabytes * 1024 / 64)
    return gzip.compress(prefix) + _FILLER * count + gzip.compress(suffix)


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def run_cli(*args: object) -> tuple[int, dict, str]:
    """`cwfilter run ... -o json` under the limits: exit code, JSON output, stderr."""
    env = {**os.environ, "NO_COLOR": "1"}
    done = subprocess.run([str(CWFILTER), "run", *map(str, args), "--output", "json", "--lateness", "3000000000"],
                          check=False, capture_output=True, timeout=TIMEOUT, preexec_fn=_limit, env=env)
    stderr = done.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr, stderr
    assert "MemoryError" not in stderr, stderr
    return done.returncode, json.loads(done.stdout), stderr


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path, int]:
    """A config counting ERROR events in any log group, and a good file with a known count."""
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"metricFilters": [{
        "filterName": "errors", "filterPattern": "ERROR",
        "metricTransformations": [{"metricName": "Errors", "metricNamespace": "T", "metricValue": "1"}]}]}))
    good = tmp_path / "good.log"
    lines = [f"2024-05-01T12:{i % 60:02d}:00Z {'ERROR' if i % 3 == 0 else 'INFO'} event {i}" for i in range(300)]
    good.write_text("\n".join(lines) + "\n")
    return cfg, good, sum(1 for line in lines if "ERROR" in line)


def errors_counted(doc: dict) -> int:
    return sum(int(p["SampleCount"]) for m in doc["metrics"] for p in m["Datapoints"])


def source(doc: dict, name: Path) -> dict:
    [found] = [s for s in doc["summary"]["inputs"]["sources"] if s["source"] == str(name)]
    return found


def problems(doc: dict, name: Path) -> list[tuple[str, str]]:
    return [(p["position"], p["kind"]) for p in doc["summary"]["inputs"]["problems"] if p["source"] == str(name)]


def payload(messages: list[str], group: str = "/app") -> dict:
    return {"messageType": "DATA_MESSAGE", "owner": "111122223333", "logGroup": group, "logStream": "s",
            "subscriptionFilters": ["f"],
            "logEvents": [{"id": str(i), "timestamp": T0 + i, "message": m} for i, m in enumerate(messages)]}


def gzip_bomb_data(gigabytes: float) -> str:
    """base64 of gzip data inflating to `gigabytes` (a subscription payload's ``awslogs.data``)."""
    return base64.b64encode(bomb(b'{"messageType":"DATA_MESSAGE","logEvents":[{"message":"', gigabytes,
                                 b'"}]}')).decode()


# --------------------------------------------------------------------------- compressed payload data

@pytest.mark.parametrize("wrapping", ["json.gz", "json"])
def test_awslogs_data_bomb_is_refused_and_the_next_file_read(setup, tmp_path, wrapping):
    cfg, good, expected = setup
    good_payload = base64.b64encode(gzip.compress(json.dumps(payload(["ERROR one", "ERROR two"])).encode()))
    text = (json.dumps({"awslogs": {"data": gzip_bomb_data(2.5)}}) + "\n"
            + json.dumps({"awslogs": {"data": good_payload.decode()}}) + "\n").encode()
    sub = tmp_path / f"sub_bomb.{wrapping}"
    sub.write_bytes(gzip.compress(text) if wrapping.endswith(".gz") else text)
    assert sub.stat().st_size < 4 * MiB
    code, doc, _ = run_cli(cfg, sub, good)
    assert code == 0
    assert problems(doc, sub) == [("line 1", "oversize-payload")]
    assert source(doc, sub)["delivered"] == 2  # the payload after the bomb
    assert source(doc, good)["delivered"] == 300
    assert errors_counted(doc) == expected + 2


def test_base64_bomb_lines_with_forced_subscription_format(setup, tmp_path):
    cfg, good, expected = setup
    lines = tmp_path / "records.txt"
    good_line = base64.b64encode(gzip.compress(json.dumps(payload(["ERROR x"])).encode())).decode()
    lines.write_text(gzip_bomb_data(2.5) + "\n" + good_line + "\n")
    code, doc, _ = run_cli(cfg, "-f", "subscription", lines)
    assert code == 0
    assert problems(doc, lines) == [("line 1", "oversize-payload")]
    assert errors_counted(doc) == 1
    code, doc, _ = run_cli(cfg, lines, good)
    assert errors_counted(doc) == 1 + expected


def test_zlib_and_kinesis_bombs(setup, tmp_path):
    cfg, good, expected = setup
    deflated = zlib.compressobj(9)
    raw = deflated.compress(b'{"logEvents":[{"message":"') + b"".join(
        deflated.compress(b"a" * (64 * MiB)) for _ in range(8)) + deflated.flush()
    kinesis = {"Records": [
        {"kinesis": {"data": base64.b64encode(raw).decode()}, "eventSource": "aws:kinesis"},
        {"kinesis": {"data": base64.b64encode(gzip.compress(json.dumps(payload(["ERROR k"])).encode())).decode()},
         "eventSource": "aws:kinesis"},
    ]}
    path = tmp_path / "kinesis-event.json"
    path.write_text(json.dumps(kinesis))
    code, doc, _ = run_cli(cfg, path, good)
    assert code == 0
    assert problems(doc, path) == [("Records[0]", "oversize-payload")]
    assert errors_counted(doc) == 1 + expected


# --------------------------------------------------------------------------- documents read as a stream

def test_cloudtrail_record_with_a_huge_field(setup, tmp_path):
    cfg, good, expected = setup
    head = b'{"Records":[{"eventVersion":"1.08","eventTime":"2024-05-01T12:00:00Z","eventName":"ERROR","blob":"'
    tail = (b'"},{"eventVersion":"1.08","eventTime":"2024-05-01T12:01:00Z","eventName":"ERROR"},'
            b'{"eventVersion":"1.08","eventTime":"2024-05-01T12:02:00Z","eventName":"INFO"}]}')
    trail = tmp_path / "111122223333_CloudTrail_us-east-1_20240501T1200Z_x.json.gz"
    trail.write_bytes(bomb(head, 0.75, tail))
    assert trail.stat().st_size < 4 * MiB
    code, doc, _ = run_cli(cfg, trail, good)
    assert code == 0
    assert problems(doc, trail) == [("Records[0]", "oversize")]
    src = source(doc, trail)
    assert (src["read"], src["delivered"], src["rejected"]) == (3, 2, 1)
    assert errors_counted(doc) == 1 + expected


def test_filter_log_events_dump_bigger_than_memory(setup, tmp_path):
    cfg, good, expected = setup
    # 24 MiB of events in one member, written 24 times: 600 MB of `filter-log-events` output.
    events = [{"logStreamName": "s", "timestamp": T0 + i, "message": ("ERROR " if i % 4 == 0 else "INFO ") + "x" * 400_000,
               "ingestionTime": T0, "eventId": str(i)} for i in range(60)]
    chunk = ",".join(json.dumps(e) for e in events).encode()
    member = gzip.compress(chunk + b",")
    repeats = 24
    blob = gzip.compress(b'{"events":[') + member * repeats + gzip.compress(chunk + b'],"searchedLogStreams":[]}')
    dump = tmp_path / "fle.json.gz"
    dump.write_bytes(blob)
    assert dump.stat().st_size < 4 * MiB
    code, doc, _ = run_cli(cfg, dump, good)
    assert code == 0
    n = len(events) * (repeats + 1)
    src = source(doc, dump)
    assert (src["read"], src["delivered"]) == (n, n)
    assert errors_counted(doc) == 15 * (repeats + 1) + expected


def test_nesting_bomb_and_junk_between_payloads(setup, tmp_path):
    cfg, good, expected = setup
    deep = tmp_path / "deep.json.gz"
    deep.write_bytes(bomb(b'{\n  "Records": ' + b"[" * 10_000, 0.1, b"]"))
    code, doc, _ = run_cli(cfg, deep, good)
    assert code == 0
    assert problems(doc, deep) == [("document", "malformed-json")]
    assert errors_counted(doc) == expected
    # Back-to-back payloads with a broken one between them: the one after it is still read.
    mixed = tmp_path / "mixed.json"
    mixed.write_text(json.dumps(payload(["ERROR a"])) + "\n{broken\n" + json.dumps(payload(["ERROR b"])) + "\n")
    code, doc, _ = run_cli(cfg, mixed)
    assert problems(doc, mixed) == [("line 2", "malformed-json")]
    assert errors_counted(doc) == 2


def test_endless_export_line(setup, tmp_path):
    cfg, good, expected = setup
    folder = tmp_path / "exportedlogs" / "task" / "stream"
    folder.mkdir(parents=True)
    export = folder / "000000.gz"
    export.write_bytes(bomb(b"2024-05-01T12:00:00.000Z ERROR first\ncontinued ", 0.75,
                            b"\n2024-05-01T12:00:01.000Z ERROR second\n"))
    code, doc, _ = run_cli(cfg, export, good)
    assert code == 0
    assert source(doc, export)["format"] == "export"
    # The endless line is rejected on its own (its start is not kept, so whether it held a stamp
    # is unknown); the events around it are read.
    assert problems(doc, export) == [("line 2", "oversize"), ("input", "no-log-group")]
    assert errors_counted(doc) == 2 + expected
