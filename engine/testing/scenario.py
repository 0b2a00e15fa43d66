"""Scenario files: alert rules as unit tests, run through the real `Engine` on a simulated clock.

A scenario file (YAML) names the configuration to test (config files, an inline config, or a
bundled rule pack), then lists tests. Each test feeds log events, given literally, in a compact
repeat notation or read from log files, and states what must come out: which messages a filter
matches and what it extracts, the datapoints of a metric per period and statistic, the state (and
reason) of an alarm at given times, and which transitions must not happen. It is the log-based
counterpart of ``promtool test rules``::

    config: ../errors.yaml            # or a list of files, or {metricFilters: [...], MetricAlarms: [...]}
    start: 2024-05-01T12:00:00Z       # offsets below count from here
    tests:
      - name: a burst of errors pages the on-call
        events:
          - {message: "2024-05-01T12:00:00Z ERROR boom", every: 10s, count: 30}  # to 12:04:50
          - gap: 15m                                          # nothing until 12:20:00
        datapoints:
          - {metric: Checkout/Errors, statistic: Sum, values: {0m: 6, 4m: 6}}
        alarms:
          - {alarm: checkout-errors-high, at: 3m, state: ALARM}
          - {alarm: checkout-errors-high, between: [0m, 1m], no_transition_to: ALARM}

`load_scenario` reads and checks a file, reporting every problem with its YAML path and line
(`ScenarioError`); `run_test` runs one test and returns a `TestResult` whose `Failure`\\ s carry the
expected and the actual values as data (lines prefixed ``-`` for expected and ``+`` for actual),
so that the command line, the pytest plugin and JUnit XML render the same diff. `Simulation` is the
same machinery for Python tests: feed events, then ask for a metric's value or an alarm's state at
a time (`simulation`); JUnit XML is written by `junit`.
"""

from __future__ import annotations

import difflib
import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ...grammar import PatternError
from ..alarms.evaluate import STATES
from ..config import reading, yamlread
from ..config.native import Config, iter_config_issues, render_path
from ..errors import ConfigError, ConfigIssue
from ..inputs.readers import FORMATS
from ..matching.compiler import compile_pattern
from ..metrics.series import parse_statistic
from .junit import junit_xml
from .simulation import (
    DEFAULT_PERIOD,
    DEFAULT_START_MS,
    DEFAULT_STATISTIC,
    SECOND,
    Failure,
    Instant,
    ScenarioError,
    ScenarioFailure,
    Simulation,
    TestResult,
    _config_from,
    _parse_instant,
    _scalar_text,
    _to_time,
    expand_values,
    parse_duration,
)

__all__ = [
    "Failure",
    "Scenario",
    "ScenarioError",
    "ScenarioFailure",
    "ScenarioTest",
    "Simulation",
    "TestResult",
    "expand_values",
    "junit_xml",
    "load_scenario",
    "parse_duration",
    "run_scenario",
    "run_test",
]


# --------------------------------------------------------------------------- the file format


@dataclass(frozen=True, slots=True)
class _EventItem:
    path: tuple
    line: int | None
    kind: str                      # "message", "file" or "gap"
    at: Any = None
    messages: tuple[str, ...] = ()
    every: Any = None
    count: int | None = None
    until: Any = None
    values: Any = None
    gap: Any = None
    file: Path | None = None
    fmt: str = "auto"
    timestamps: str = "own"
    log_group: str | None = None


@dataclass(frozen=True, slots=True)
class _Expectation:
    kind: str                      # "match", "datapoints", "state", "no_transition", "transitions"
    path: tuple
    line: int | None
    spec: dict


@dataclass(slots=True)
class ScenarioTest:
    """One test of a scenario file, checked and ready to run."""

    __test__ = False

    name: str
    file: str
    line: int | None
    start_ms: int
    config: Config
    log_group: str | None
    account: str | None
    region: str | None
    default_value_mode: str
    events: list[_EventItem]
    expectations: list[_Expectation]


@dataclass(slots=True)
class Scenario:
    """A checked scenario file."""

    file: str
    tests: list[ScenarioTest]


# libyaml's parser when PyYAML has it (ten times faster on scenario files full of long JSON
# messages), else the pure-Python one; both give nodes with their line marks.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _YamlLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """The safe loader, reading ``1e3`` as a number as YAML 1.2 and JSON do, and times as text.

    Times stay strings so that a bad one (``2024-13-01``) is reported with its path and line by
    the checks, rather than failing inside the YAML library.
    """


yamlread.read_numbers_as_json(_YamlLoader, untyped=("tag:yaml.org,2002:timestamp",))


def _read_yaml(text: str) -> tuple[Any, dict[tuple, int]]:
    """Parse one YAML document; return it with the line of every path (keys and indexes)."""
    loader = _YamlLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        yamlread.check_node_graph(node, text)  # loops, alias bombs, nesting: before constructing
        data = loader.construct_document(node)
    finally:
        loader.dispose()
    lines: dict[tuple, int] = {}
    yamlread.yaml_lines(node, lines)
    return data, lines


class _Doc:
    """A scenario document being checked: collects every issue with its path and line."""

    def __init__(self, source: str, data: Any, lines: dict[tuple, int], base: Path) -> None:
        self.source, self.data, self.lines, self.base = source, data, lines, base
        self.issues: list[ConfigIssue] = []

    def line(self, path: tuple) -> int | None:
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None

    def error(self, path: tuple, message: str) -> None:
        self.issues.append(ConfigIssue(render_path(path), message, self.source, self.line(path)))

    def mapping(self, value: Any, path: tuple, what: str) -> bool:
        if isinstance(value, Mapping):
            return True
        self.error(path, f"{what} must be a mapping, not {_kind(value)}")
        return False

    def keys(self, value: Mapping, path: tuple, allowed: Iterable[str], required: Iterable[str] = ()) -> None:
        allowed = list(allowed)
        for key in value:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else f" (expected one of: {', '.join(allowed)})"
                self.error((*path, key), f"unknown key {key!r}{hint}")
        for key in required:
            if key not in value:
                self.error(path, f"missing required key {key!r}")

    def string(self, value: Any, path: tuple, what: str) -> str | None:
        if isinstance(value, str):
            return value
        self.error(path, f"{what} must be a string, not {_kind(value)}")
        return None

    def time(self, value: Any, path: tuple, start_ms: int) -> int | None:
        try:
            return Instant(_to_time(value, start_ms))
        except ValueError as exc:
            self.error(path, str(exc))
            return None

    def duration(self, value: Any, path: tuple, positive: bool = False) -> int | None:
        try:
            ms = parse_duration(value)
        except ValueError as exc:
            self.error(path, str(exc))
            return None
        if positive and ms <= 0:
            self.error(path, f"must be a positive duration, got {value!r}")
            return None
        return ms


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "a number",
            float: "a number"}.get(type(value), type(value).__name__)


_TOP_KEYS = ("config", "metricFilters", "MetricAlarms", "CompositeAlarms", "start", "log_group",
             "account", "region", "default_value_mode", "tests")
_TEST_KEYS = ("name", "config", "start", "log_group", "account", "region", "default_value_mode",
              "events", "matches", "datapoints", "alarms", "cardinality_guard")
_EVENT_KEYS = ("at", "message", "messages", "every", "count", "until", "values", "gap", "file",
               "format", "timestamps", "log_group")
_MATCH_KEYS = ("filter", "pattern", "message", "messages", "event", "match", "extracted")
_DATAPOINT_KEYS = ("metric", "namespace", "dimensions", "period", "statistic", "values", "from", "absent")
_ALARM_KEYS = ("alarm", "at", "state", "reason", "reason_contains", "between", "no_transition_to",
               "transitions")
_CONFIG_KEYS = ("metricFilters", "MetricAlarms", "CompositeAlarms")
_PACK_KEYS = ("rules", "version", "log_group", "namespace")


class _Configs:
    """Loads each configuration a scenario file names once; turns its problems into issues."""

    def __init__(self, doc: _Doc) -> None:
        self.doc = doc
        self.cache: dict[Any, Config | None] = {}

    def get(self, value: Any, path: tuple) -> Config | None:
        doc = self.doc
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list):
            if not value:
                doc.error(path, "config names no file")
                return None
            paths = []
            for i, item in enumerate(value):
                name = doc.string(item, (*path, i), "a config file name")
                if name is not None:
                    paths.append(str(doc.base / name))
            if len(paths) != len(value):
                return None
            key = ("files", tuple(paths))
            if key not in self.cache:
                try:
                    # Any source a config is accepted from (native, CloudFormation, CDK, Terraform).
                    from ..config.sources import load_sources

                    self.cache[key] = load_sources(paths, {}).config
                except ConfigError as exc:
                    for issue in exc.issues:
                        where = issue.source or ""
                        if issue.line is not None:
                            where += f":{issue.line}"
                        inner = ": ".join(p for p in (where, issue.path, issue.message) if p)
                        doc.error(path, f"in the config: {inner}")
                    self.cache[key] = None
            return self.cache[key]
        if isinstance(value, Mapping):
            if "rules" in value:
                return self._pack(value, path)
            return self._inline(value, path)
        doc.error(path, f"config must be a file name, a list of file names or a mapping, not {_kind(value)}")
        return None

    def _inline(self, value: Mapping, path: tuple) -> Config | None:
        doc = self.doc
        doc.keys(value, path, _CONFIG_KEYS)
        data = {k: value[k] for k in _CONFIG_KEYS if k in value}
        if not data:
            doc.error(path, "an inline config needs metricFilters, MetricAlarms or CompositeAlarms")
            return None
        n = len(path)
        lines = {p[n:]: line for p, line in doc.lines.items() if p[:n] == path}
        before = len(doc.issues)
        for issue in iter_config_issues(data, doc.source, lines=lines):
            if issue.is_error:
                full = f"{render_path(path)}.{issue.path}" if path and issue.path else (issue.path or render_path(path))
                doc.issues.append(ConfigIssue(full, issue.message, doc.source, issue.line))
        if len(doc.issues) > before:
            return None
        return _config_from(data)

    def _pack(self, value: Mapping, path: tuple) -> Config | None:
        from . import cis

        doc = self.doc
        doc.keys(value, path, _PACK_KEYS)
        rules = value.get("rules")
        if rules != "cis":
            doc.error((*path, "rules"), f"unknown rule pack {rules!r} (known: cis)")
            return None
        version = str(value.get("version", cis.DEFAULT_VERSION))
        if version not in cis.VERSIONS:
            doc.error((*path, "version"), f"unknown CIS version {version!r} (known: {', '.join(cis.VERSIONS)})")
            return None
        options = {k: value[k] for k in ("log_group", "namespace") if k in value}
        key = ("pack", version, tuple(sorted(options.items())))
        if key not in self.cache:
            self.cache[key] = _config_from(cis.build_config(version, **options))
        return self.cache[key]


def load_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario file.

    Every problem is found before anything runs: unknown keys (with a suggestion), wrong types,
    bad times and durations, invalid patterns and statistics, alarms, filters and metrics the
    config does not define, unreadable config and event files.

    Raises:
        ScenarioError: with every issue, each with the YAML path and line.
    """
    source = str(path)
    try:
        text = reading.read_document_bytes(path).decode("utf-8-sig")
    except reading.DocumentProblem as exc:
        raise ScenarioError([ConfigIssue("", exc.message, source)]) from None
    except OSError as exc:
        raise ScenarioError([ConfigIssue("", f"Cannot read the file: {exc.strerror or exc}", source)]) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError([ConfigIssue("", f"The file is not UTF-8 text (byte {exc.start + 1})", source)]) from None
    try:
        data, lines = _read_yaml(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = ", ".join(p for p in (exc.context, exc.problem) if p)
        raise ScenarioError([ConfigIssue("", f"Invalid YAML: {what}", source,
                                         mark.line + 1 if mark else None,
                                         column=mark.column + 1 if mark else None)]) from None
    except reading.DocumentProblem as exc:
        raise ScenarioError([ConfigIssue("", exc.message, source, exc.line, column=exc.column)]) from None
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        raise ScenarioError([ConfigIssue("", f"Invalid YAML: {exc}", source)]) from None
    doc = _Doc(source, data, lines, Path(path).parent)
    scenario = _check_file(doc)
    if doc.issues:
        raise ScenarioError(doc.issues)
    return scenario


def _check_file(doc: _Doc) -> Scenario:
    data = doc.data
    scenario = Scenario(doc.source, [])
    if data is None:
        doc.error((), "The scenario file is empty")
        return scenario
    if not doc.mapping(data, (), "A scenario file"):
        return scenario
    doc.keys(data, (), _TOP_KEYS, required=("tests",))
    configs = _Configs(doc)
    top_config: Config | None = None
    has_inline = any(k in data for k in _CONFIG_KEYS)
    if "config" in data and has_inline:
        doc.error(("config",), "give either config or an inline metricFilters/MetricAlarms, not both")
    elif "config" in data:
        top_config = configs.get(data["config"], ("config",))
    elif has_inline:
        top_config = configs._inline({k: data[k] for k in _CONFIG_KEYS if k in data}, ())
    start = DEFAULT_START_MS
    if "start" in data:
        instant = _parse_instant(data["start"])
        if instant is None:
            doc.error(("start",), f"start must be an absolute time such as 2024-05-01T12:00:00Z, "
                                  f"got {data['start']!r}")
        else:
            start = instant
    common = {k: data.get(k) for k in ("log_group", "account", "region")}
    for key, value in common.items():
        if value is not None:
            doc.string(value, (key,), key)
    mode = data.get("default_value_mode", "minute")
    if mode not in ("minute", "event"):
        doc.error(("default_value_mode",), f"default_value_mode is minute or event, not {mode!r}")
    tests = data.get("tests")
    if "tests" in data:
        if not isinstance(tests, list) or not tests:
            doc.error(("tests",), "tests must be a non-empty list")
            return scenario
        names: dict[str, int] = {}
        for i, raw in enumerate(tests):
            test = _check_test(doc, configs, raw, ("tests", i), top_config, start, common, mode,
                               has_config=top_config is not None or "config" in data or has_inline)
            if test is None:
                continue
            if test.name in names:
                doc.error(("tests", i, "name"), f"another test is named {test.name!r} (tests[{names[test.name]}])")
            names.setdefault(test.name, i)
            scenario.tests.append(test)
    return scenario


def _check_test(doc: _Doc, configs: _Configs, raw: Any, path: tuple, top_config: Config | None,
                top_start: int, common: dict, top_mode: str, has_config: bool) -> ScenarioTest | None:
    if not doc.mapping(raw, path, "A test"):
        return None
    doc.keys(raw, path, _TEST_KEYS)
    name = raw.get("name", f"test {path[-1] + 1}")
    if not isinstance(name, str) or not name.strip():
        doc.error((*path, "name"), "name must be a non-empty string")
        name = f"test {path[-1] + 1}"
    config = top_config
    if "config" in raw:
        config = configs.get(raw["config"], (*path, "config"))
    elif not has_config:
        doc.error(path, "no config: give config (files or inline) at the top of the file or in the test")
    start = top_start
    if "start" in raw:
        # An absolute time, or an offset from the file's start.
        given = doc.time(raw["start"], (*path, "start"), top_start)
        start = top_start if given is None else given
    settings = dict(common)
    for key in ("log_group", "account", "region"):
        if key in raw:
            settings[key] = doc.string(raw[key], (*path, key), key)
    mode = raw.get("default_value_mode", top_mode)
    if mode not in ("minute", "event"):
        doc.error((*path, "default_value_mode"), f"default_value_mode is minute or event, not {mode!r}")
    sim = None
    if config is not None:
        try:
            sim = Simulation(config, log_group=settings["log_group"], account=settings["account"],
                             region=settings["region"])
        except ValueError as exc:  # pragma: no cover - a checked config builds an engine
            doc.error(path, str(exc))
        needs = {d for mf in config.metric_filters for d in (mf.emit_system_field_dimensions or ())}
        for dim, key in (("@aws.account", "account"), ("@aws.region", "region")):
            if dim in needs and not settings[key]:
                doc.error(path, f"the config emits the {dim} dimension: give {key}")
    events = _check_events(doc, raw.get("events", []), (*path, "events"), sim, settings["log_group"])
    expectations: list[_Expectation] = []
    for key, checker in (("matches", _check_match), ("datapoints", _check_datapoints),
                         ("alarms", _check_alarm_item)):
        items = raw.get(key)
        if items is None:
            continue
        if not isinstance(items, list):
            doc.error((*path, key), f"{key} must be a list, not {_kind(items)}")
            continue
        for i, item in enumerate(items):
            exp = checker(doc, item, (*path, key, i), sim, start, events, config)
            if exp is not None:
                expectations.append(exp)
    if "cardinality_guard" in raw:
        # The filters expected to pass 1,000 distinct dimension pairs in an hour ([] for none).
        trips = raw["cardinality_guard"]
        known = {mf.filter_name for mf in config.metric_filters} if config is not None else set()
        if not isinstance(trips, list) or not all(isinstance(t, str) for t in trips):
            doc.error((*path, "cardinality_guard"), "cardinality_guard is a list of filter names ([] for none)")
        else:
            for i, filter_name in enumerate(trips):
                if config is not None and filter_name not in known:
                    doc.error((*path, "cardinality_guard", i), f"the config has no metric filter {filter_name!r}")
            expectations.append(_Expectation("cardinality", (*path, "cardinality_guard"),
                                             doc.line((*path, "cardinality_guard")), {"filters": sorted(set(trips))}))
    if not expectations and "matches" not in raw and "datapoints" not in raw and "alarms" not in raw \
            and "cardinality_guard" not in raw:
        doc.error(path, "the test expects nothing: give matches, datapoints or alarms")
    if config is None:
        return None
    return ScenarioTest(name=name.strip(), file=doc.source, line=doc.line(path), start_ms=start,
                        config=config, log_group=settings["log_group"], account=settings["account"],
                        region=settings["region"], default_value_mode=mode, events=events,
                        expectations=expectations)


def _check_events(doc: _Doc, raw: Any, path: tuple, sim: Simulation | None,
                  log_group: str | None) -> list[_EventItem]:
    if not isinstance(raw, list):
        doc.error(path, f"events must be a list, not {_kind(raw)}")
        return []
    groups = sim._router.log_groups if sim is not None else []
    out = []
    for i, item in enumerate(raw):
        here = (*path, i)
        line = doc.line(here)
        if isinstance(item, str):
            item = {"message": item}
        if not doc.mapping(item, here, "An event"):
            continue
        doc.keys(item, here, _EVENT_KEYS)
        kinds = [k for k in ("message", "messages", "gap", "file") if k in item]
        if len(kinds) != 1:
            doc.error(here, "an event item needs exactly one of message, messages, gap or file"
                            + (f" (got {', '.join(kinds)})" if kinds else ""))
            continue
        kind = kinds[0]
        group = item.get("log_group", log_group)
        if "log_group" in item:
            doc.string(item["log_group"], (*here, "log_group"), "log_group")
        if group is None and len(groups) > 1 and kind in ("message", "messages"):
            doc.error(here, f"which log group do these events belong to? The filters name "
                            f"{', '.join(groups)}: give log_group here or for the test")
        if "at" in item:
            doc.time(item["at"], (*here, "at"), 0)
        if kind == "gap":
            extra = [k for k in item if k not in ("gap",)]
            if extra:
                doc.error(here, f"a gap takes no other keys (got {', '.join(map(str, extra))})")
            gap = doc.duration(item["gap"], (*here, "gap"))
            if gap is not None and gap < 0:
                doc.error((*here, "gap"), f"a gap cannot go back in time (got {item['gap']!r}); use at to set the time")
            elif gap is not None:
                out.append(_EventItem(here, line, "gap", gap=item["gap"]))
            continue
        if kind == "file":
            name = doc.string(item["file"], (*here, "file"), "file")
            fmt = item.get("format", "auto")
            if fmt not in FORMATS:
                doc.error((*here, "format"), f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
            stamps = item.get("timestamps", "own")
            if stamps not in ("own", "shift", "cursor"):
                doc.error((*here, "timestamps"), f"timestamps is own, shift or cursor, not {stamps!r}")
            for key in ("count", "until", "values"):
                if key in item:
                    doc.error((*here, key), f"{key} does not apply to a file")
            if "every" in item:
                doc.duration(item["every"], (*here, "every"), positive=True)
            if name is None:
                continue
            file = doc.base / name
            if not file.is_file():
                doc.error((*here, "file"), f"no such file: {file}")
                continue
            out.append(_EventItem(here, line, "file", at=item.get("at"), file=file, fmt=fmt,
                                  timestamps=stamps, every=item.get("every"), log_group=item.get("log_group")))
            continue
        if kind == "message":
            messages = [item["message"]]
            mpath = (*here, "message")
        else:
            messages = item["messages"]
            mpath = (*here, "messages")
            if not isinstance(messages, list) or not messages:
                doc.error(mpath, "messages must be a non-empty list of strings")
                continue
        bad = False
        for j, m in enumerate(messages):
            p = mpath if kind == "message" else (*mpath, j)
            if isinstance(m, (Mapping, list)):
                m = json.dumps(m, ensure_ascii=False, separators=(",", ":"))
                messages[j] = m
            if not isinstance(m, str) or not m:
                doc.error(p, f"a message must be a non-empty string, not {_kind(m) if m != '' else 'empty'}")
                bad = True
        every = item.get("every")
        repeated = any(k in item for k in ("every", "count", "until", "values")) or kind == "messages"
        if repeated and every is None:
            if kind == "messages" and not any(k in item for k in ("count", "until", "values")):
                every = 0
            else:
                doc.error(here, "count, until and values need every (the time between events)")
                continue
        if "every" in item and doc.duration(every, (*here, "every"), positive=True) is None:
            continue
        if "count" in item and "until" in item:
            doc.error(here, "give count or until, not both")
        if "values" in item and ("count" in item or "until" in item):
            doc.error(here, "values sets the number of events: give no count or until with it")
        if "count" in item and (not isinstance(item["count"], int) or isinstance(item["count"], bool)
                                or item["count"] < 0):
            doc.error((*here, "count"), f"count must be a whole number, not {item['count']!r}")
        if "until" in item:
            doc.time(item["until"], (*here, "until"), 0)
        if "values" in item:
            try:
                expand_values(item["values"])
            except ValueError as exc:
                doc.error((*here, "values"), str(exc))
            if not any("${value}" in m for m in messages if isinstance(m, str)):
                doc.error((*here, "values"), "values need a ${value} placeholder in the message")
        if bad:
            continue
        out.append(_EventItem(here, line, "message", at=item.get("at"), messages=tuple(messages),
                              every=every if repeated else None, count=item.get("count"),
                              until=item.get("until"), values=item.get("values"),
                              log_group=item.get("log_group")))
    return out


def _check_match(doc: _Doc, raw: Any, path: tuple, sim: Simulation | None, start: int,
                 events: list[_EventItem], config: Config | None) -> _Expectation | None:
    if not doc.mapping(raw, path, "A match expectation"):
        return None
    doc.keys(raw, path, _MATCH_KEYS)
    ok = True
    pattern = None
    if ("filter" in raw) == ("pattern" in raw):
        doc.error(path, "give filter (a metric filter's name) or pattern, one of them")
        ok = False
    elif "filter" in raw:
        name = doc.string(raw["filter"], (*path, "filter"), "filter")
        if config is not None and name is not None:
            found = [mf for mf in config.metric_filters if mf.filter_name == name]
            if not found:
                known = ", ".join(mf.filter_name for mf in config.metric_filters) or "none"
                doc.error((*path, "filter"), f"the config has no metric filter {name!r} (its filters: {known})")
                ok = False
            else:
                pattern = found[0].filter_pattern
    else:
        pattern = doc.string(raw["pattern"], (*path, "pattern"), "pattern")
        if pattern is not None:
            try:
                compile_pattern(pattern)
            except PatternError as exc:
                doc.error((*path, "pattern"), str(exc))
                ok = False
    messages: list[str] = []
    sources = [k for k in ("message", "messages", "event") if k in raw]
    if len(sources) != 1:
        doc.error(path, "give message, messages or event (an index into the test's events), one of them")
        ok = False
    elif sources[0] == "message":
        m = raw["message"]
        if isinstance(m, (Mapping, list)):
            m = json.dumps(m, ensure_ascii=False, separators=(",", ":"))
        if doc.string(m, (*path, "message"), "message") is None:
            ok = False
        messages = [m]
    elif sources[0] == "messages":
        ms = raw["messages"]
        if not isinstance(ms, list) or not ms or not all(isinstance(m, str) for m in ms):
            doc.error((*path, "messages"), "messages must be a non-empty list of strings")
            ok = False
        else:
            messages = list(ms)
    else:
        index = raw["event"]
        item = None
        if isinstance(index, int) and not isinstance(index, bool):
            item = next((e for e in events if e.path[-1] == index), None)
        if item is None or item.kind != "message" or len(item.messages) != 1 or item.every is not None:
            doc.error((*path, "event"), f"event must be the index of an item of events that has one "
                                        f"message, got {index!r}")
            ok = False
        else:
            messages = [item.messages[0]]
    expect = raw.get("match", True)
    if not isinstance(expect, bool):
        doc.error((*path, "match"), f"match must be true or false, not {expect!r}")
        ok = False
    extracted = raw.get("extracted")
    if extracted is not None:
        if not doc.mapping(extracted, (*path, "extracted"), "extracted"):
            ok = False
        elif expect is False:
            doc.error((*path, "extracted"), "extracted values are only given for a message that matches")
            ok = False
        else:
            extracted = {str(k): _scalar_text(v) for k, v in extracted.items()}
    if not ok:
        return None
    label = f"filter {raw['filter']}" if "filter" in raw else f"pattern {pattern}"
    return _Expectation("match", path, doc.line(path), {"pattern": pattern, "label": label,
                                                         "messages": messages, "match": expect,
                                                         "extracted": extracted})


def _check_datapoints(doc: _Doc, raw: Any, path: tuple, sim: Simulation | None, start: int,
                      events: list[_EventItem], config: Config | None) -> _Expectation | None:
    if not doc.mapping(raw, path, "A datapoints expectation"):
        return None
    doc.keys(raw, path, _DATAPOINT_KEYS, required=("metric",))
    ok = "metric" in raw
    metric = doc.string(raw.get("metric"), (*path, "metric"), "metric") if "metric" in raw else None
    namespace = raw.get("namespace")
    if namespace is not None and doc.string(namespace, (*path, "namespace"), "namespace") is None:
        ok = False
    if sim is not None and metric is not None:
        try:
            namespace, metric = sim.resolve_metric(metric, namespace)
        except ValueError as exc:
            doc.error((*path, "metric"), str(exc))
            ok = False
    dims = raw.get("dimensions")
    if dims is not None:
        if not doc.mapping(dims, (*path, "dimensions"), "dimensions"):
            ok = False
        else:
            dims = {str(k): _scalar_text(v) for k, v in dims.items()}
    period = raw.get("period", DEFAULT_PERIOD)
    if not isinstance(period, int) or isinstance(period, bool) or period <= 0:
        ms = None
        try:
            ms = parse_duration(period)
        except ValueError:
            pass
        if ms is None or ms <= 0 or ms % SECOND:
            doc.error((*path, "period"), f"period must be a whole number of seconds, not {period!r}")
            ok = False
        else:
            period = ms // SECOND
    statistic = raw.get("statistic", DEFAULT_STATISTIC)
    try:
        parse_statistic(statistic)
    except ValueError as exc:
        doc.error((*path, "statistic"), str(exc))
        ok = False
    absent = raw.get("absent", False)
    if not isinstance(absent, bool):
        doc.error((*path, "absent"), "absent must be true or false")
        ok = False
    values = raw.get("values")
    expected: dict[Any, float | None] = {}
    if absent and values is not None:
        doc.error((*path, "values"), "give values or absent: true, not both")
        ok = False
    elif not absent and values is None:
        doc.error(path, "give values (period start -> value) or absent: true")
        ok = False
    elif isinstance(values, Mapping):
        if "from" in raw:
            doc.error((*path, "from"), "from goes with a list of values, not a mapping")
        for key, value in values.items():
            at = doc.time(key, (*path, "values", key), start)
            if value == "_":
                value = None
            if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool)):
                doc.error((*path, "values", key), f"a value must be a number, or _ for no datapoint, not {value!r}")
                ok = False
            elif at is not None:
                expected[at] = value
    elif values is not None:
        try:
            listed = expand_values(values)
        except ValueError as exc:
            doc.error((*path, "values"), str(exc))
            listed = []
            ok = False
        first = doc.time(raw.get("from", 0), (*path, "from"), start) if ok else None
        if first is not None and isinstance(period, int):
            first -= first % (period * SECOND)
            for i, value in enumerate(listed):
                expected[Instant(first + i * period * SECOND)] = value
    if not ok:
        return None
    return _Expectation("datapoints", path, doc.line(path), {
        "metric": metric, "namespace": namespace, "dimensions": dims, "period": period,
        "statistic": statistic, "values": expected, "absent": absent})


def _check_alarm_item(doc: _Doc, raw: Any, path: tuple, sim: Simulation | None, start: int,
                      events: list[_EventItem], config: Config | None) -> _Expectation | None:
    if not doc.mapping(raw, path, "An alarm expectation"):
        return None
    doc.keys(raw, path, _ALARM_KEYS, required=("alarm",))
    ok = "alarm" in raw
    alarm = doc.string(raw.get("alarm"), (*path, "alarm"), "alarm") if "alarm" in raw else None
    if sim is not None and alarm is not None:
        try:
            sim._check_alarm(alarm)
        except ValueError as exc:
            doc.error((*path, "alarm"), str(exc))
            ok = False
    forms = [k for k in ("state", "no_transition_to", "transitions") if k in raw]
    if len(forms) != 1:
        doc.error(path, "give one of: at + state, between + no_transition_to, or transitions")
        return None
    form = forms[0]
    between = None
    if "between" in raw:
        b = raw["between"]
        if not isinstance(b, list) or len(b) != 2:
            doc.error((*path, "between"), "between is a list of two times, [from, to]")
            ok = False
        else:
            t1 = doc.time(b[0], (*path, "between", 0), start)
            t2 = doc.time(b[1], (*path, "between", 1), start)
            if t1 is None or t2 is None:
                ok = False
            elif t2 < t1:
                doc.error((*path, "between"), "between ends before it starts")
                ok = False
            else:
                between = (t1, t2)
    if form == "state":
        for key in ("between", "transitions"):
            if key in raw:
                doc.error((*path, key), f"{key} does not go with state")
                ok = False
        if "at" not in raw:
            doc.error(path, "a state expectation needs at (when)")
            return None
        at = doc.time(raw["at"], (*path, "at"), start)
        state = raw["state"]
        if state not in STATES:
            doc.error((*path, "state"), f"state is one of {', '.join(STATES)}, not {state!r}")
            ok = False
        for key in ("reason", "reason_contains"):
            if key in raw:
                doc.string(raw[key], (*path, key), key)
        if at is None or not ok:
            return None
        return _Expectation("state", path, doc.line(path), {
            "alarm": alarm, "at": at, "state": state, "reason": raw.get("reason"),
            "reason_contains": raw.get("reason_contains")})
    for key in ("at", "reason", "reason_contains"):
        if key in raw:
            doc.error((*path, key), f"{key} goes with state")
            ok = False
    if form == "no_transition_to":
        to = raw["no_transition_to"]
        if to not in STATES:
            doc.error((*path, "no_transition_to"), f"no_transition_to is one of {', '.join(STATES)}, not {to!r}")
            ok = False
        if "between" not in raw:
            doc.error(path, "no_transition_to needs between: [from, to]")
            ok = False
        if not ok:
            return None
        return _Expectation("no_transition", path, doc.line(path), {"alarm": alarm, "to": to, "between": between})
    items = raw["transitions"]
    expected = []
    if not isinstance(items, list):
        doc.error((*path, "transitions"), "transitions is a list of {at, to}")
        return None
    for i, item in enumerate(items):
        here = (*path, "transitions", i)
        if not doc.mapping(item, here, "A transition"):
            ok = False
            continue
        doc.keys(item, here, ("at", "to"), required=("at", "to"))
        at = doc.time(item.get("at"), (*here, "at"), start) if "at" in item else None
        to = item.get("to")
        if "to" in item and to not in STATES:
            doc.error((*here, "to"), f"to is one of {', '.join(STATES)}, not {to!r}")
            ok = False
        if at is None or to not in STATES:
            ok = False
            continue
        expected.append((at, to))
    if not ok:
        return None
    return _Expectation("transitions", path, doc.line(path), {"alarm": alarm, "expected": expected, "between": between})


# --------------------------------------------------------------------------- running


def _simulate(test: ScenarioTest) -> Simulation:
    sim = Simulation(test.config, log_group=test.log_group, account=test.account,
                     region=test.region, default_value_mode=test.default_value_mode)
    sim.start_ms = sim.cursor_ms = test.start_ms
    for item in test.events:
        where = render_path(item.path)
        if item.kind == "gap":
            sim.gap(item.gap)
        elif item.kind == "file":
            sim.feed_file(item.file, fmt=item.fmt, timestamps=item.timestamps, every=item.every,
                          at=item.at, log_group=item.log_group, origin=where)
        elif item.every is None:
            sim.feed(item.messages[0], item.at, log_group=item.log_group, origin=where)
        elif item.every == 0:  # a list of messages at one instant
            if item.at is not None:
                sim.cursor_ms = sim.time(item.at)
            for j, message in enumerate(item.messages):
                sim._add(sim.cursor_ms, message, sim._group(item.log_group), f"{where} #{j + 1}")
        else:
            sim.repeat(list(item.messages), every=item.every, count=item.count, until=item.until,
                       at=item.at, values=item.values, log_group=item.log_group, origin=where)
    return sim


def _match_failures(exp: _Expectation) -> Iterator[Failure]:
    spec = exp.spec
    compiled = compile_pattern(spec["pattern"])
    where = render_path(exp.path[-2:])
    for message in spec["messages"]:
        shown = message if len(message) <= 120 else message[:117] + "..."
        title = f"{spec['label']} on {json.dumps(shown, ensure_ascii=False)}"
        got = compiled.extract(message)
        if spec["match"] is False:
            if got is not None:
                yield Failure(where, exp.line, title, ("no match",), ("match",),
                              tuple(f"extracted {k} = {v}" for k, v in got.items()))
            continue
        if got is None:
            yield Failure(where, exp.line, title, ("match",), ("no match",))
            continue
        want = spec["extracted"]
        if want is not None and want != got:
            keys = list(dict.fromkeys([*want, *got]))
            e = tuple(f"{k} = {want[k]}" if k in want else f"{k} (not extracted)" for k in keys
                      if want.get(k) != got.get(k))
            g = tuple(f"{k} = {got[k]}" if k in got else f"{k} (not extracted)" for k in keys
                      if want.get(k) != got.get(k))
            yield Failure(where, exp.line, title + ": extracted values", e, g)


def _times(exp: _Expectation) -> list[int]:
    """The times through which an alarm expectation needs the clock to run."""
    spec = exp.spec
    if exp.kind == "state":
        return [spec["at"]]
    if exp.kind in ("no_transition", "transitions"):
        times = [at for at, _ in spec.get("expected", ())]
        if spec.get("between") is not None:
            times.append(spec["between"][1])
        return times
    return []


def run_test(test: ScenarioTest) -> TestResult:
    """Run one checked test; every failing expectation becomes a `Failure`.

    A problem only found while running (a log file whose events cannot all be read) is reported
    as a failure of the test's events, never swallowed.
    """
    began = time.perf_counter()
    result = TestResult(test.file, test.name, test.line)
    try:
        sim = _simulate(test)
    except ValueError as exc:
        result.failures.append(Failure("events", test.line, "the events could not be read", (), (str(exc),)))
        result.seconds = time.perf_counter() - began
        return result
    result.events = len(sim.events)
    sim.watch_only({exp.spec["alarm"] for exp in test.expectations if "alarm" in exp.spec})
    horizon = [t for exp in test.expectations for t in _times(exp)]
    if horizon:
        sim.evaluate_through(Instant(max(horizon)))
    for exp in test.expectations:
        where = render_path(exp.path[-2:])
        spec = exp.spec
        try:
            if exp.kind == "match":
                result.failures.extend(_match_failures(exp))
                continue
            if exp.kind == "cardinality":
                got = sim.cardinality_trips()
                failure = None if got == spec["filters"] else Failure(
                    where, exp.line, "the filters that pass 1,000 distinct dimension pairs in an hour",
                    tuple(spec["filters"]) or ("(none)",), tuple(got) or ("(none)",))
                if failure is not None:
                    result.failures.append(failure)
                continue
            if exp.kind == "datapoints":
                failure = sim.check_metric(spec["metric"], spec["values"], namespace=spec["namespace"],
                                           dimensions=spec["dimensions"], statistic=spec["statistic"],
                                           period=spec["period"], absent=spec["absent"],
                                           where=where, line=exp.line)
            elif exp.kind == "state":
                failure = sim.check_alarm(spec["alarm"], spec["at"], spec["state"], reason=spec["reason"],
                                          reason_contains=spec["reason_contains"], where=where, line=exp.line)
            elif exp.kind == "no_transition":
                failure = sim.check_no_transition(spec["alarm"], spec["to"], spec["between"],
                                                  where=where, line=exp.line)
            else:
                failure = sim.check_transitions(spec["alarm"], spec["expected"], between=spec["between"],
                                                where=where, line=exp.line)
        except ValueError as exc:  # pragma: no cover - load_scenario checks what could raise
            failure = Failure(where, exp.line, "could not be checked", (), (str(exc),))
        if failure is not None:
            result.failures.append(failure)
    result.seconds = time.perf_counter() - began
    return result


def run_scenario(scenario: Scenario, select: Callable[[str], bool] | None = None) -> list[TestResult]:
    """Run the tests of a scenario (those whose name `select` accepts)."""
    return [run_test(t) for t in scenario.tests if select is None or select(t.name)]
