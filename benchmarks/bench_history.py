"""Writing the alarm history of `-o json`, against the general path, in the same run.

The transitions of a batch run of the CIS pack over a sparse month (10,000 events in 30 days,
12,243 transitions) written as the document's indented items by `history_item_texts` (reasons
decided from placed points written as text, each item in one pass), against the general path
on the same transitions: `history_item` (the reason rendered as `Datapoint`s and `_Point`s, its
data as a dict, `service_json`) and the item's indented text as `-o json` wrote it before (each
key and value through `encode_basestring`). Each side gets transitions of its own run, not read
before, and both texts must be equal. Target: at least 3x. With ``--benchmark-disable`` (the
normal suite) two days of events, compared, not timed.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

from cwfilter.engine.alarms.notifications import history_item, history_item_texts
from cwfilter.engine.config.native import load_config
from cwfilter.engine.metrics.pipeline import AlarmChange, Engine
from cwfilter.engine.testing.cis import build_config, samples

T0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z
MINUTE = 60_000
MARGIN = "        "  # an item of the document's alarmHistory list
MIN_SPEEDUP = 3.0


def _transitions(config_path: Path, days: int, events: int) -> list:
    """The transitions of one batch run of the CIS pack over sparse events, not read yet."""
    rng = random.Random(5)
    messages = [s.message for s in samples()]
    times = sorted(T0 + rng.randrange(days * 1440 * MINUTE) for _ in range(events))
    engine = Engine(load_config([config_path]), keep_values=False)
    for ts in times:
        engine.feed(messages[rng.randrange(len(messages))], ts, "CloudTrail/DefaultLogGroup")
    return [c.transition for c in engine.close() if isinstance(c, AlarmChange)]


def _general(transitions: list) -> str:
    enc = json.encoder.encode_basestring
    inner = ",\n" + MARGIN + "    "
    return f",\n{MARGIN}".join([
        "{\n" + MARGIN + "    " + inner.join([f"{enc(k)}: {enc(v)}" for k, v in history_item(t).items()])
        + "\n" + MARGIN + "}" for t in transitions])


def _direct(transitions: list) -> str:
    return f",\n{MARGIN}".join(history_item_texts(transitions, MARGIN))


def _timed(write, transitions: list) -> tuple[float, str]:
    start = time.perf_counter()
    text = write(transitions)
    return time.perf_counter() - start, text


def test_history_of_a_sparse_month_written_directly(benchmark, request, tmp_path: Path):
    full = not request.config.getoption("benchmark_disable")
    days, events = (30, 10_000) if full else (2, 700)
    path = tmp_path / "cis.json"
    path.write_text(json.dumps(build_config("securityhub")), encoding="utf-8")
    # The item text `json.dumps` gives is the reference of both (checked once, small).
    small = _transitions(path, 1, 200)
    assert _general(small) == f",\n{MARGIN}".join(
        json.dumps(history_item(t), indent=4, ensure_ascii=False).replace("\n", "\n" + MARGIN) for t in small)
    if not full:
        got = _direct(_transitions(path, days, events))
        assert got and got == _general(_transitions(path, days, events))
        benchmark.pedantic(_direct, args=(_transitions(path, days, events),), rounds=1, iterations=1)
        return
    general, direct = [], []
    for _ in range(3):  # interleaved rounds, best of each
        seconds, want = _timed(_general, _transitions(path, days, events))
        general.append(seconds)
        seconds, got = _timed(_direct, _transitions(path, days, events))
        direct.append(seconds)
        assert got == want
    transitions = _transitions(path, days, events)
    benchmark.pedantic(_direct, args=(transitions,), rounds=1, iterations=1)
    count = len(transitions)
    speedup = min(general) / min(direct)
    benchmark.extra_info.update({"transitions": count, "seconds_general": min(general),
                                 "seconds_direct": min(direct), "speedup": speedup})
    print(f"\n{count:,} history items: general {min(general) / count * 1e6:.1f} us each, "
          f"direct {min(direct) / count * 1e6:.1f} us each: {speedup:.1f}x")
    assert speedup >= MIN_SPEEDUP
