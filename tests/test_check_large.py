"""A large configuration is checked as its entries are, one by one.

`cwfilter check` of one file of many metric filters shares work between them (one read of the
file, parsed patterns reused, the common pattern shapes read without the grammar's parser, lines
and origins worked out only where a finding needs them). None of that may change a finding: the
findings of a generated configuration of several hundred filters (every kind of pattern, broken
ones, lint warnings, near-CIS patterns, bad names and values) are compared, one by one (code,
severity, path, line, message), with those of the same filters checked each in a file of its
own, by the slow route: every pattern parsed by the grammar (Lark), the file read again by the
config reader.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cwfilter.engine.config import sources
from cwfilter.engine.config.sources import check_sources
from cwfilter.grammar import fastpath, parser
from hypothesis import given, settings
from hypothesis import strategies as st

DATA = Path(__file__).parent / "data"
LINES_PER_FILTER = 7
GROUPS = 97  # a few filters per log group (prime: the shapes spread): no quota, no regex quota


def _cis_patterns() -> list[str]:
    refs = json.loads((DATA / "conformance" / "cis-patterns.json").read_text(encoding="utf-8"))
    return sorted({r["pattern"] for r in refs if isinstance(r.get("pattern"), str)})


def _patterns(n: int) -> list[str]:
    cis = _cis_patterns()
    shapes = [
        lambda i: f'ERROR "request {i}"',
        lambda i: f'{{ $.code = "c{i}" }}',
        lambda i: f"[ip, user, status = 5*, size > {i}, req = r{i}]",
        lambda i: f'{{ ($.level = "ERROR") && ($.id = "k{i}") }}',
        lambda i: f'{{ $.a != {i} || ($.b IS NULL && $.c[0].d = "x") }}',      # lint: != ; IS NULL
        lambda i: f"-DEBUG ?WARN ?ERROR{i} ORDER-ITEM-{i}",
        lambda i: f'{{ $.x = %ab{i}+% }}',                                     # a regex
        lambda i: f"[..., status = {i}, size]",
        lambda i: f"[a, b = {i} && b < 9, c,]",                                # && in a slot, trailing comma
        lambda i: f'{{ $.u NOT EXISTS && $.v = "{i}" }}',
        lambda i: "{ $.code = ",                                               # broken
        lambda i: '""',                                                        # empty quoted term
        lambda i: f"{{ $.a EXISTS && $.n = {i} }}",                            # unsupported
        lambda i: f"[1, b = {i}]",                                             # digit-only name
        lambda i: f"{{ $x = {i} }}",                                           # bad selector
        lambda i: f"[a, ..., ..., b{i}]",                                      # two ...
        lambda i: f"%{i}(a|b)%",                                               # a regex pattern
        lambda i: cis[i % len(cis)],                                           # CIS, exact
        lambda i: cis[i % len(cis)].replace("=", " = ", 1).replace('"', '"x', 1),  # CIS, near
        lambda i: f"\tERROR  \"a\\\"b{i}\"\n",
    ]
    return [shapes[i % len(shapes)](i) for i in range(n)]


def _entry(i: int, pattern: str) -> list[str]:
    name = f"filter-{i}" if i % 23 else f"filter:{i}"            # ':' is not allowed in a name
    value = ("'1'", "$.code", "$size", "'-'")[i % 4 if i % 31 else 3]
    return [f"  - filterName: {name}",
            f"    logGroupName: /app/group-{i % GROUPS}",
            f"    filterPattern: {json.dumps(pattern)}",
            "    metricTransformations:",
            f"      - metricName: Metric{i}",
            "        metricNamespace: App",
            f"        metricValue: {value}"]


def _write(path: Path, entries: list[list[str]]) -> Path:
    path.write_text("\n".join(["metricFilters:", *[line for e in entries for line in e]]) + "\n", encoding="utf-8")
    return path


def _key(f, index: int | None = None, offset: int = 0) -> tuple:
    """A finding as (code, severity, path, line, message, resource), its item renumbered to `index`."""
    def renumber(text: str | None) -> str | None:
        if text is None or index is None:
            return text
        return text.replace("metricFilters[0]", f"metricFilters[{index}]")
    message = f.message
    if index is not None:  # `file:line` of the item in the message, as in the large file
        message = re.sub(r"(one-\d+\.yaml):(\d+)", lambda m: f"large.yaml:{int(m.group(2)) + offset}", message)
    return (f.code, f.severity, renumber(f.path), None if f.line is None else f.line + offset,
            renumber(message), renumber(f.resource))


def test_a_large_config_has_exactly_the_findings_of_its_filters_checked_one_by_one(tmp_path, monkeypatch):
    n = 400
    entries = [_entry(i, p) for i, p in enumerate(_patterns(n))]
    large = check_sources([str(_write(tmp_path / "large.yaml", entries))])

    # The slow route: the grammar's parser for every pattern, each file read again by the config
    # reader, no parse reused from the large check.
    monkeypatch.setattr(fastpath, "read", lambda text, start: None)
    native_issues = sources._native_issues
    monkeypatch.setattr(sources, "_native_issues", lambda paths, ignore, parsed=None: native_issues(paths, ignore))
    parser._parse_cached.cache_clear()
    one_by_one = []
    for i, entry in enumerate(entries):
        findings = check_sources([str(_write(tmp_path / f"one-{i}.yaml", [entry]))])
        one_by_one += [_key(f, i, LINES_PER_FILTER * i) for f in findings]
    parser._parse_cached.cache_clear()

    mine = sorted((_key(f) for f in large), key=repr)
    assert mine == sorted(one_by_one, key=repr)
    # The configuration has findings of every kind that this comparison is about.
    codes = {k[0] for k in mine}
    assert {None, "CWF104", "CWF105", "CWF210"} <= codes, codes
    assert sum(1 for k in mine if k[1] == "error") >= n // 5


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_large_yaml_and_json_configs_have_the_same_findings(tmp_path, suffix):
    """The same filters in YAML and in JSON: the same findings, but for the lines."""
    import yaml

    entries = [_entry(i, p) for i, p in enumerate(_patterns(120))]
    yaml_path = _write(tmp_path / "c.yaml", entries)
    path = yaml_path
    if suffix == ".json":
        path = tmp_path / "c.json"
        path.write_text(json.dumps(yaml.safe_load(yaml_path.read_text(encoding="utf-8")), indent=1), encoding="utf-8")
    a = sorted(((f.code, f.severity, f.path, f.message.replace(str(path), "F")) for f in check_sources([str(path)])),
               key=repr)
    b = sorted(((f.code, f.severity, f.path, f.message.replace(str(yaml_path), "F")) for f in check_sources([str(yaml_path)])),
               key=repr)
    assert [re.sub(r"F:\d+", "F", x[3]) for x in a] == [re.sub(r"F:\d+", "F", x[3]) for x in b]
    assert [x[:3] for x in a] == [x[:3] for x in b]


_json_text = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(allow_nan=False), st.text(max_size=5)),
    lambda kids: st.one_of(st.lists(kids, max_size=4),
                           st.lists(st.tuples(st.sampled_from(["a", "b", "metricFilters", "é", "0"]), kids),
                                    max_size=4)),
    max_leaves=20)


def _dump(value, draw) -> str:
    """JSON text of `value` (pairs lists are objects, repeated keys kept) with varied whitespace."""
    space = draw(st.sampled_from(["", " ", "\n", "\n  ", "\t", "\r\n"]))
    if isinstance(value, list) and value and all(isinstance(v, tuple) for v in value):
        return "{" + space + ("," + space).join(f"{json.dumps(k)}{space}:{space}{_dump(v, draw)}" for k, v in value) + space + "}"
    if isinstance(value, tuple):
        return _dump(list(value), draw)
    if isinstance(value, list):
        return "[" + space + ("," + space).join(_dump(v, draw) for v in value) + space + "]"
    return json.dumps(value)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_json_lines_worked_out_per_path_are_the_full_maps(data):
    from cwfilter.engine.config.loading import _json_lines, _JsonLines

    text = _dump(data.draw(_json_text), data.draw)
    json.loads(text)
    full = _json_lines(text)
    paths = list(full) + [(*p, extra) for p in full for extra in ("zz", 7, -1)]
    for path in paths:
        assert _JsonLines(text).get(path) == full.get(path), (text, path)
    lazy = _JsonLines(text)  # one instance asked for every path in turn, then as a whole
    assert [lazy.get(p) for p in paths] == [full.get(p) for p in paths]
    assert dict(lazy) == full
