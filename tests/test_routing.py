"""The engine's routing: decoded-object handoff from readers, and the index over decoded events."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from types import SimpleNamespace

import cwfilter
from cwfilter.engine.events import NOT_JSON, LogEvent, decode_json_fast
from cwfilter.engine.inputs.readers import InputStats, read_events
from cwfilter.engine.matching.interpret import interpret
from cwfilter.engine.matching.routing import FilterIndex
from cwfilter.engine.metrics.pipeline import Engine
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from strategies import json_messages, json_patterns

DATA = Path(__file__).parent / "data"
ENTRIES = json.loads((DATA / "conformance" / "cis-patterns.json").read_text(encoding="utf-8"))


def _config():
    return cwfilter.Config.model_validate(
        {"metricFilters": [
            {"filterName": e["id"].replace(":", "-"), "logGroupName": "trail", "filterPattern": e["pattern"],
             "metricTransformations": [{"metricName": e["control"].replace(".", ""), "metricNamespace": "SH",
                                        "metricValue": "1", "defaultValue": 0}]}
            for e in ENTRIES if e["id"].startswith("securityhub:")
        ]}
    )


def _run(events, handoff: bool):
    engine = Engine(_config(), lateness=10**9)
    points = []
    for ev in events:
        points += engine.feed(ev.message, ev.timestamp, "trail", ev.doc if handoff else None)
    points += engine.close()
    return [(p.key, p.timestamp_ms, p.aggregate.sample_count, p.aggregate.sum) for p in points], engine.summary()


def _corpus_events(tmp_path):
    records = [json.loads(l)["log"] for l in open(DATA / "corpus/cloudtrail/panther-analysis-cloudtrail-rule-tests.jsonl")]
    records = [r for r in records if isinstance(r, dict)]
    envelope = tmp_path / "trail.json.gz"
    envelope.write_bytes(gzip.compress(json.dumps({"Records": records}).encode()))
    jsonl = tmp_path / "trail.jsonl"
    jsonl.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    events = []
    for path in (envelope, jsonl):
        events += list(read_events(str(path), stats=InputStats()))
    return events


def test_readers_hand_over_the_decoded_record(tmp_path):
    events = _corpus_events(tmp_path)
    with_doc = [ev for ev in events if ev.doc is not None]
    assert len(with_doc) > 0.9 * len(events)
    for ev in with_doc:
        assert ev.doc == decode_json_fast(ev.message)


def test_results_are_the_same_with_and_without_the_handoff(tmp_path):
    events = _corpus_events(tmp_path)
    points_doc, summary_doc = _run(events, handoff=True)
    points_text, summary_text = _run(events, handoff=False)
    assert points_doc == points_text
    assert summary_doc == summary_text
    assert sum(f["matched"] for f in summary_doc["filters"]) > 0


def test_a_big_integer_in_a_handed_over_record_is_read_exactly():
    # orjson reads 20 digits as a float; the exactness guard re-decodes (DECISIONS P9).
    message = '{"id": 12345678901234567891, "eventName": "x"}'
    doc = json.loads(message.replace("12345678901234567891", "1.2345678901234568e19"))
    compiled = cwfilter.compile_pattern('{ $.id = "12345678901234567891" }')
    assert compiled.decide(LogEvent(message, None, doc)) is True
    assert compiled.decide(LogEvent(message)) is True


@settings(max_examples=300, deadline=None)
@given(trees=st.lists(json_patterns, min_size=3, max_size=8), messages=st.lists(json_messages(), min_size=1, max_size=5))
def test_index_over_decoded_events_never_drops_a_matching_filter(trees, messages):
    filters = []
    for tree in trees:
        try:
            filters.append(SimpleNamespace(compiled=cwfilter.compile_pattern(cwfilter.unparse(tree))))
        except cwfilter.PatternError:
            continue
    assume(filters)
    index = FilterIndex(filters)
    for message in messages:
        doc = decode_json_fast(message)
        if doc is NOT_JSON:
            continue
        offered = set(index.candidates_doc(doc))
        for i, f in enumerate(filters):
            if interpret(f.compiled.tree, LogEvent(message)):
                assert i in offered, (f.compiled.text, message)
