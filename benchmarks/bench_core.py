"""Parse, compile and match, timed as separate groups so a regression points at one stage.

Run: ``pytest benchmarks --benchmark-only``. In the normal suite they run once each with
``--benchmark-disable``, as correctness checks that keep them from rotting.
"""

from __future__ import annotations

import re

import cwfilter
import pytest
from cwfilter.engine.events import LogEvent
from cwfilter.engine.matching.compiler import compile_tree

APACHE_PATTERN = "[ip, id, user, ts, request, status = 5*, bytes > 1000]"
ROOT_USAGE = '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}'


@pytest.mark.benchmark(group="parse")
def test_parse_security_hub(benchmark, security_hub_patterns):
    trees = benchmark(lambda: [cwfilter.parse(p) for p in security_hub_patterns])
    assert len(trees) == 14


@pytest.mark.benchmark(group="compile")
def test_compile_security_hub(benchmark, security_hub_patterns):
    trees = [(cwfilter.parse(p), p) for p in security_hub_patterns]
    compiled = benchmark(lambda: [compile_tree(t, p) for t, p in trees])
    assert all(c.kind == "json" for c in compiled)


@pytest.mark.benchmark(group="match-terms")
def test_match_single_term(benchmark, apache_lines):
    matches = cwfilter.compile_pattern("Googlebot").matches
    hits = benchmark(lambda: sum(1 for m in apache_lines if matches(m)))
    assert hits == sum(1 for m in apache_lines if "Googlebot" in m)


@pytest.mark.benchmark(group="match-json")
def test_match_root_usage(benchmark, cloudtrail_messages):
    match_event = cwfilter.compile_pattern(ROOT_USAGE).match_event
    hits = benchmark(lambda: sum(1 for m in cloudtrail_messages if match_event(LogEvent(m))))
    assert 0 < hits < len(cloudtrail_messages)


@pytest.mark.benchmark(group="match-delimited")
def test_match_apache_delimited(benchmark, apache_lines):
    match_event = cwfilter.compile_pattern(APACHE_PATTERN).match_event
    hits = benchmark(lambda: sum(1 for m in apache_lines if match_event(LogEvent(m))))
    # Independently: exactly seven fields (no `...` in the pattern), status 5xx, bytes > 1000.
    seven = re.compile(r'^\S+ \S+ \S+ \[[^\]]*\] "[^"]*" (\S+) (\S+)$')
    expected = sum(
        1 for m in apache_lines
        if (g := seven.match(m)) and g.group(1).startswith("5") and g.group(2).isdigit() and int(g.group(2)) > 1000
    )
    assert hits == expected


@pytest.mark.benchmark(group="match-regex")
def test_match_regex(benchmark, apache_lines):
    matches = cwfilter.compile_pattern(r"%HTTP/1\.[01]\x22 5[0-9]{2}%").matches
    hits = benchmark(lambda: sum(1 for m in apache_lines if matches(m)))
    assert hits == sum(1 for m in apache_lines if re.search(r'HTTP/1\.[01]" 5[0-9]{2}', m))
