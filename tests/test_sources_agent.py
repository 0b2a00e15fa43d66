"""The CloudWatch agent configuration: files -> log groups, multi-line events, filters, timestamps."""

from __future__ import annotations

import calendar
import json
import os
import shutil
import time
from pathlib import Path

import pytest
from cwfilter.engine.config.sources.agent import (
    AgentConfigError,
    TimestampFormat,
    agent_inputs,
    is_agent_config,
    iter_messages,
    matching_files,
    read_entries,
)
from cwfilter.engine.config.sources.documents import Document, parse_text

FIXTURE = Path(__file__).parent / "fixtures" / "sources" / "agent"
CORPUS_BLOCKS = Path(__file__).parent / "data" / "corpus" / "cloudwatch-agent" / "aws-docs-agent-config-blocks.json"


def epoch_ms(y, mo, d, h=0, mi=0, s=0, ms=0):
    return calendar.timegm((y, mo, d, h, mi, s)) * 1000 + ms


@pytest.fixture
def root(tmp_path):
    """A copy of the fixture's files, the rotated file older than the current one."""
    target = tmp_path / "root"
    shutil.copytree(FIXTURE / "root", target)
    old, new = time.time() - 7200, time.time() - 60
    os.utime(target / "var/log/checkout/app.log.1", (old, old))
    os.utime(target / "var/log/checkout/app.log", (new, new))
    return target


def agent_doc(data: dict | None = None) -> Document:
    if data is None:
        return parse_text((FIXTURE / "amazon-cloudwatch-agent.json").read_text(encoding="utf-8"),
                          str(FIXTURE / "amazon-cloudwatch-agent.json"))[0]
    return Document("agent.json", data)


def test_every_documented_config_block_with_files_is_read():
    blocks = json.loads(CORPUS_BLOCKS.read_text(encoding="utf-8"))["blocks"]
    groups = []
    for block in blocks:
        text = block["text"].strip()
        if text.startswith('"logs"'):
            text = "{" + text + "}"  # a fragment of the full file
        elif text.startswith('"collect_list"'):
            text = '{"logs": {"logs_collected": {"files": {' + text.replace(".....", "") .replace("},\n          \n        ]", "}]") + "}}}}"
        data = json.loads(text)
        assert is_agent_config(data)
        groups.append([e.log_group for e in read_entries(Document("blocks.json", data))])
    assert groups == [["test.log"], ["amazon-cloudwatch-agent.log", "test.log"],
                      ["amazon-cloudwatch-agent.log", "test.log"], ["amazon-cloudwatch-agent.log", "test.log"]]


def test_the_agent_reads_only_the_newest_match_and_applies_its_filters(root):
    streams, notes = agent_inputs(agent_doc(), root=str(root))
    events = list(iter_messages(streams))
    checkout = [(ts, m) for g, ts, m in events if g == "/app/checkout"]
    # app.log.1 is older: without publish_multi_logs the agent ships app.log only.
    assert all("rotated" not in m for _, m in checkout)
    # Five events: the stack trace lines join their event; the healthcheck line is excluded.
    assert [m.split("\n")[0].split(" ", 1)[1] for _, m in checkout] == [
        "INFO order 1001 accepted", "ERROR payment declined for order 1002", "ERROR inventory timeout for order 1003",
        "INFO order 1004 accepted", "ERROR payment declined for order 1005"]
    assert checkout[1][1].count("\n") == 3
    assert [ts for ts, _ in checkout] == [epoch_ms(2024, 5, 1, 12, 0, 5, 120), epoch_ms(2024, 5, 1, 12, 0, 9, 2),
                                          epoch_ms(2024, 5, 1, 12, 0, 47, 900), epoch_ms(2024, 5, 1, 12, 1, 2),
                                          epoch_ms(2024, 5, 1, 12, 1, 15, 250)]
    nginx = [(ts, m) for g, ts, m in events if g == "/app/nginx"]
    # include filter: 4xx and 5xx only; +0200 offsets.
    assert [ts for ts, _ in nginx] == [epoch_ms(2024, 5, 1, 12, 0, 2), epoch_ms(2024, 5, 1, 12, 0, 40),
                                       epoch_ms(2024, 5, 1, 12, 1, 10)]
    assert any("filters drop 1 of 6 events" in n for n in notes)
    assert any("filters drop 2 of 5 events" in n for n in notes)


def test_publish_multi_logs_reads_every_match(root):
    data = json.loads((FIXTURE / "amazon-cloudwatch-agent.json").read_text(encoding="utf-8"))
    entry = data["logs"]["logs_collected"]["files"]["collect_list"][0]
    entry["publish_multi_logs"] = True
    [first, _] = read_entries(agent_doc(data))
    assert [Path(p).name for p in matching_files(first, str(root))] == ["app.log", "app.log.1"]


def test_super_asterisk_and_default_log_group(tmp_path):
    (tmp_path / "var/log/a/b").mkdir(parents=True)
    (tmp_path / "var/log/a/b/x.log").write_text("one\n", encoding="utf-8")
    (tmp_path / "var/log/top.log").write_text("two\n", encoding="utf-8")
    data = {"logs": {"logs_collected": {"files": {"collect_list": [
        {"file_path": "/var/log/**.log", "publish_multi_logs": True},
        {"file_path": "/tmp/TestLogFile.log.2017-07-11-14"}]}}}}
    entries = read_entries(agent_doc(data))
    assert [Path(p).name for p in matching_files(entries[0], str(tmp_path))] == ["x.log", "top.log"]
    # "If you omit this field, the file path up to the final dot is used as the log group name."
    assert entries[1].log_group == "/tmp/TestLogFile.log"


def test_lines_without_a_timestamp_take_the_last_valid_one(tmp_path):
    (tmp_path / "app.log").write_text("2024-05-01 12:00:00 start\nno stamp here\n2024-05-01 12:00:30 next\n",
                                      encoding="utf-8")
    data = {"logs": {"logs_collected": {"files": {"collect_list": [
        {"file_path": "/app.log", "log_group_name": "g", "timestamp_format": "%Y-%m-%d %H:%M:%S",
         "timezone": "UTC"}]}}}}
    streams, _ = agent_inputs(agent_doc(data), root=str(tmp_path))
    assert [(ts, m) for _, ts, m in iter_messages(streams)] == [
        (epoch_ms(2024, 5, 1, 12), "2024-05-01 12:00:00 start"), (epoch_ms(2024, 5, 1, 12), "no stamp here"),
        (epoch_ms(2024, 5, 1, 12, 0, 30), "2024-05-01 12:00:30 next")]


def test_without_timestamp_format_start_and_step_number_the_events(tmp_path):
    (tmp_path / "app.log").write_text("a\nb\n", encoding="utf-8")
    data = {"logs": {"logs_collected": {"files": {"collect_list": [{"file_path": "/app.log", "log_group_name": "g"}]}}}}
    streams, _ = agent_inputs(agent_doc(data), root=str(tmp_path), start_ms=1000, step_ms=500)
    assert [(ts, m) for _, ts, m in iter_messages(streams)] == [(1000, "a"), (1500, "b")]


def test_events_over_the_agent_limit_are_cut_and_marked(tmp_path):
    (tmp_path / "big.log").write_text("x" * 300 + "\n", encoding="utf-8")
    data = {"logs": {"logs_collected": {"files": {"collect_list": [
        {"file_path": "/big.log", "log_group_name": "g", "max_event_size": 100}]}}}}
    streams, notes = agent_inputs(agent_doc(data), root=str(tmp_path), start_ms=0)
    [(_, _, message)] = list(iter_messages(streams))
    assert message == "x" * (100 - len("[Truncated...]")) + "[Truncated...]"
    assert any("cut and marked [Truncated...]" in n for n in notes)


@pytest.mark.parametrize("fmt,text,expected", [
    ("%Y-%m-%dT%H:%M:%S.%fZ", "at 2024-05-01T12:00:09.002Z x", epoch_ms(2024, 5, 1, 12, 0, 9, 2)),
    ("%d/%b/%Y:%H:%M:%S %z", '1.2.3.4 [01/May/2024:14:00:02 +0200] "GET /"', epoch_ms(2024, 5, 1, 12, 0, 2)),
    ("%y-%-m-%-d %I:%M:%S %p", "24-5-1 02:03:04 PM boot", epoch_ms(2024, 5, 1, 14, 3, 4)),
    ("%b %d %H:%M:%S %Y", "May  1 12:00:00 2024 kernel: x", epoch_ms(2024, 5, 1, 12)),
])
def test_timestamp_formats(fmt, text, expected):
    assert TimestampFormat(fmt, "UTC").timestamp_ms(text) == expected


def test_bad_filter_expression_is_reported_with_its_entry():
    data = {"logs": {"logs_collected": {"files": {"collect_list": [
        {"file_path": "/a.log", "filters": [{"type": "include", "expression": "(?<=x)y"}]}]}}}}
    with pytest.raises(AgentConfigError, match=r"collect_list\[0\]: invalid regular expression"):
        read_entries(agent_doc(data))
    data["logs"]["logs_collected"]["files"]["collect_list"][0]["filters"] = [{"type": "drop", "expression": "x"}]
    with pytest.raises(AgentConfigError, match=r"collect_list\[0\]\.filters: Filter .* is invalid"):
        read_entries(agent_doc(data))
