"""The CIS AWS Foundations Benchmark / AWS Security Hub pack: ready configs, and a check of yours.

`build_config` turns the metric-filter controls of one benchmark version (from the bundled
``cis_data/cis-patterns.json``, a copy of the conformance file with its sources) into a config in
the shapes `cwfilter run` reads: one metric filter per control, publishing 1 per matching event,
and one alarm per filter as CIS and Security Hub expect it (Sum over 300 seconds, at least 1, missing
data not breaching). `check_config` compares a user's config with a version, control by control:
a filter whose pattern is textually the benchmark's (what Security Hub checks), one that behaves the
same on the pack's sample events but is written differently, one that behaves differently (with the
events on which it differs), or none; and whether an alarm watches the filter's metric.

The sample events (``cis_data/samples.json``) are CloudTrail records of the test corpus, used as
they are or with the fields named in each sample changed; each says whether the control's pattern
matches it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import yaml

from ...grammar import PatternError
from ..config.native import Config
from ..matching.compiler import compile_pattern

__all__ = [
    "DEFAULT_LOG_GROUP",
    "DEFAULT_NAMESPACE",
    "DEFAULT_VERSION",
    "VERSIONS",
    "Control",
    "ControlReport",
    "Sample",
    "build_config",
    "check_config",
    "config_yaml",
    "controls",
    "entries",
    "normalize_pattern",
    "samples",
]

# Benchmark versions offered, and the id prefix of their entries in cis-patterns.json.
VERSIONS = {
    "1.2": "cis-aws-1.2.0:",
    "1.4": "cis-aws-1.4.0:",
    "3.0": "cis-aws-3.0.0:",
    "5.0": "cis-aws-5.0.0:",
    "6.0": "cis-aws-6.0.0:",
    "securityhub": "securityhub:",
}
DEFAULT_VERSION = "securityhub"
# The log group CloudTrail's console integration created by default; --log-group sets the real one.
DEFAULT_LOG_GROUP = "CloudTrail/DefaultLogGroup"
# The namespace of the CIS remediation text (and of the terraform-aws-modules cis-alarms module).
DEFAULT_NAMESPACE = "CISBenchmark"
# Metric, filter and alarm names per topic come from this source's entries (its `control` field).
NAMES_FROM = "terraform-aws-modules-cis-alarms:"

# What CIS and Security Hub expect of each alarm (log-formats.md §1; terraform module defaults).
ALARM_SETTINGS = {
    "Statistic": "Sum",
    "Period": 300,
    "EvaluationPeriods": 1,
    "Threshold": 1.0,
    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    "TreatMissingData": "notBreaching",
}

# Published texts that do not parse: the pack uses the entry named here instead, and says so.
CORRECTIONS = {
    "cis-aws-6.0.0:5.15": (
        "cis-aws-5.0.0:4.15",
        "the published text lacks the opening quote of \"AcceptHandshake\"; the pack uses the "
        "corrected text, which is CIS 5.0.0's",
    ),
}

_TITLES = {"securityhub": "AWS Security Hub CloudWatch controls"}


def _read(name: str) -> Any:
    return json.loads(resources.files(__package__).joinpath("cis_data", name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def entries() -> tuple[dict, ...]:
    """Every entry of the bundled cis-patterns.json (id, title, pattern, topic, benchmark, control, source ...)."""
    return tuple(_read("cis-patterns.json"))


def _entry(entry_id: str) -> dict:
    for e in entries():
        if e["id"] == entry_id:
            return e
    raise KeyError(entry_id)


@dataclass(frozen=True, slots=True)
class Control:
    """One metric-filter control of a benchmark version.

    Attributes:
        id: the entry id in cis-patterns.json (``cis-aws-1.4.0:4.1``, ``securityhub:CloudWatch.2``).
        control: the control number (``4.1``, ``CloudWatch.2``).
        topic: what it watches (``unauthorized_api_calls`` ...), the same across versions.
        title: the control's title.
        pattern: the filter pattern the pack uses.
        published: the pattern as published (differs from `pattern` only when corrected).
        alternatives: other texts the benchmark accepts for this control (its ``-alt`` entries).
        name: the metric, filter and alarm name.
        notes: known issues of the published text.
        source: where the text comes from.
    """

    id: str
    control: str
    topic: str
    title: str
    pattern: str
    published: str
    alternatives: tuple[str, ...]
    name: str
    notes: tuple[str, ...]
    source: str

    @property
    def texts(self) -> tuple[str, ...]:
        """Every text that counts as the benchmark's for this control."""
        return (self.pattern, self.published, *self.alternatives)


def _names() -> dict[str, str]:
    return {e["topic"]: e["control"] for e in entries() if e["id"].startswith(NAMES_FROM)}


def _sort_key(control: str) -> tuple:
    return tuple(int(n) if n.isdigit() else n for n in re.split(r"[.-]", control))


@cache
def controls(version: str = DEFAULT_VERSION) -> tuple[Control, ...]:
    """The metric-filter controls of a version, in control order.

    Raises:
        ValueError: an unknown version.
    """
    prefix = VERSIONS.get(version)
    if prefix is None:
        raise ValueError(f"unknown version {version!r}; one of {', '.join(VERSIONS)}")
    names = _names()
    mine = [e for e in entries() if e["id"].startswith(prefix)]
    out = []
    for e in sorted((e for e in mine if not e["id"].endswith("-alt")), key=lambda e: _sort_key(e["control"])):
        alternatives = tuple(a["pattern"] for a in mine if a["id"] == f"{e['id']}-alt")
        notes = [e["notes"]] if e.get("notes") else []
        pattern = e["pattern"]
        if e["id"] in CORRECTIONS:
            replacement, why = CORRECTIONS[e["id"]]
            pattern = _entry(replacement)["pattern"]
            notes = [why]
        title = e["title"].rstrip(" \\")
        if not title.startswith(e["control"]):
            title = f"{e['control']} {title}"
        out.append(Control(e["id"], e["control"], e["topic"], title, pattern, e["pattern"],
                           alternatives, names[e["topic"]], tuple(notes), e["source"]))
    return tuple(out)


def benchmark_title(version: str) -> str:
    """``CIS Amazon Web Services Foundations Benchmark v1.4.0``, or the Security Hub controls."""
    if version in _TITLES:
        return _TITLES[version]
    return next(e["benchmark"] for e in entries() if e["id"].startswith(VERSIONS[version]))


# --------------------------------------------------------------------------- the ready config


def build_config(version: str = DEFAULT_VERSION, *, log_group: str = DEFAULT_LOG_GROUP,
                 namespace: str = DEFAULT_NAMESPACE, sns_topic: str | None = None) -> dict:
    """The pack's config for a version: ``{"metricFilters": [...], "MetricAlarms": [...]}``.

    Each filter publishes 1 per matching event (no defaultValue, as in the CIS remediation text);
    each alarm is `ALARM_SETTINGS` on that metric, with `sns_topic` as its AlarmActions when given.

    Raises:
        ValueError: an unknown version.
    """
    filters, alarms = [], []
    for c in controls(version):
        filters.append({
            "filterName": c.name,
            "logGroupName": log_group,
            "filterPattern": c.pattern,
            "metricTransformations": [
                {"metricName": c.name, "metricNamespace": namespace, "metricValue": "1"}
            ],
        })
        alarm = {
            "AlarmName": c.name,
            "AlarmDescription": f"{c.title} ({c.id})",
            "Namespace": namespace,
            "MetricName": c.name,
            **ALARM_SETTINGS,
        }
        if sns_topic:
            alarm["AlarmActions"] = [sns_topic]
        alarms.append(alarm)
    return {"metricFilters": filters, "MetricAlarms": alarms}


def config_yaml(version: str = DEFAULT_VERSION, **options: Any) -> str:
    """`build_config` as commented YAML: each filter says which control it implements and why."""
    doc = build_config(version, **options)
    by_name = {c.name: c for c in controls(version)}
    head = [
        f"# {benchmark_title(version)}: a metric filter and an alarm for each of its",
        f"# {len(by_name)} CloudWatch metric-filter controls (generated by cwfilter rules cis --version {version}).",
        "# Alarms: Sum over 300 seconds >= 1, missing data not breaching.",
    ]
    if options.get("log_group"):
        head.append(f"# The filters read the CloudTrail log group {options['log_group']}.")
    else:
        head.append(f"# The filters read the log group {DEFAULT_LOG_GROUP}: name yours with --log-group.")
    if not options.get("sns_topic"):
        head.append("# Security Hub also wants an SNS topic with a subscriber on every alarm: add it with --sns-topic.")
    out = head + ["metricFilters:"]
    for item in doc["metricFilters"]:
        c = by_name[item["filterName"]]
        out.append(f"  # {c.title} ({c.id})")
        out += [f"  # {line}" for note in c.notes for line in _wrap(f"Note: {note}")]
        out += _indent(_dump([item]))
    out.append("MetricAlarms:")
    for item in doc["MetricAlarms"]:
        out += _indent(_dump([item]))
    return "\n".join(out) + "\n"


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, width=100_000, allow_unicode=True, default_flow_style=False)


def _indent(text: str) -> list[str]:
    return ["  " + line for line in text.splitlines()]


def _wrap(text: str, width: int = 96) -> list[str]:
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    return lines + ([line] if line else [])


# --------------------------------------------------------------------------- sample events


@dataclass(frozen=True, slots=True)
class Sample:
    """A sample CloudTrail event for one control.

    Attributes:
        id: ``topic/name``.
        topic: the control's topic.
        message: the record as a CloudWatch Logs message (compact JSON).
        match: whether the control's pattern matches it.
        exceptions: cis-patterns.json entry ids whose pattern does the opposite.
        source: the corpus file and line it comes from; `derived` names the fields changed.
    """

    id: str
    topic: str
    message: str
    match: bool
    exceptions: tuple[str, ...]
    source: str
    derived: str | None
    note: str

    def expected(self, entry_id: str) -> bool:
        """Whether the pattern of entry `entry_id` (of this sample's topic) matches the sample."""
        return self.match != (entry_id in self.exceptions)

    def summary(self) -> str:
        """``ec2.amazonaws.com AuthorizeSecurityGroupIngress (errorCode UnauthorizedOperation)``."""
        ev = json.loads(self.message)
        text = f"{ev.get('eventSource')} {ev.get('eventName')}"
        extra = [f"{k} {ev[k]}" for k in ("errorCode", "errorMessage") if ev.get(k)]
        ident = ev.get("userIdentity") or {}
        if ident.get("type"):
            extra.append(f"{ident['type']}")
        return text + (f" ({', '.join(extra)})" if extra else "")


@lru_cache(maxsize=1)
def samples() -> tuple[Sample, ...]:
    """Every sample event of the pack."""
    out = []
    for s in _read("samples.json")["samples"]:
        message = json.dumps(s["event"], ensure_ascii=False, separators=(",", ":"))
        out.append(Sample(f"{s['topic']}/{s['id']}", s["topic"], message, s["match"],
                          tuple(s["except"]), s["from"], s["derived"], s["note"]))
    return tuple(out)


# --------------------------------------------------------------------------- checking a config


_QUOTED_OR_SPACE = re.compile(r'"(?:[^"\\]|\\.)*"|\s+')


def normalize_pattern(text: str) -> str:
    """A pattern with the whitespace outside double-quoted strings removed.

    Two patterns are textually the same when their normalized texts are equal: spacing is not
    meaning, quoted text is.
    """
    return _QUOTED_OR_SPACE.sub(lambda m: m.group(0) if m.group(0).startswith('"') else "", text)


@dataclass(frozen=True, slots=True)
class SampleDiff:
    """A sample event on which a filter and the benchmark disagree."""

    sample: Sample
    benchmark: bool
    yours: bool

    def to_json(self) -> dict:
        return {"sample": self.sample.id, "event": self.sample.summary(), "benchmark": self.benchmark,
                "yours": self.yours, "source": self.sample.source}


@dataclass(slots=True)
class ControlReport:
    """How a config covers one control.

    Attributes:
        status: ``exact`` (textually the benchmark's pattern), ``equivalent`` (written differently,
            same result on every sample event), ``different`` (a filter for this control that
            disagrees with the benchmark on some samples: see `differences`) or ``missing``.
        filter_name, log_group, pattern: the user's filter that covers it, if any.
        alarms: the names of the metric alarms on that filter's metric.
        notes: how those alarms differ from what CIS and Security Hub expect.
    """

    control: Control
    status: str
    filter_name: str | None = None
    log_group: str | None = None
    pattern: str | None = None
    differences: list[SampleDiff] = field(default_factory=list)
    alarms: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Covered as Security Hub wants it: the benchmark's behaviour, and an alarm."""
        return self.status in ("exact", "equivalent") and bool(self.alarms)

    def to_json(self) -> dict:
        return {
            "control": self.control.control, "id": self.control.id, "topic": self.control.topic,
            "title": self.control.title, "status": self.status, "filterName": self.filter_name,
            "logGroupName": self.log_group, "filterPattern": self.pattern,
            "benchmarkPattern": self.control.pattern,
            "differences": [d.to_json() for d in self.differences],
            "alarms": self.alarms, "notes": self.notes, "ok": self.ok,
        }


def _vector(pattern: str, events: Iterable[Sample]) -> tuple[bool, ...] | None:
    try:
        compiled = compile_pattern(pattern)
    except PatternError:
        return None
    return tuple(compiled.matches(s.message) for s in events)


def check_config(config: Config, version: str = DEFAULT_VERSION) -> list[ControlReport]:
    """Compare a config's metric filters and alarms with a benchmark version, control by control.

    For each control: a filter whose pattern is the benchmark's text up to whitespace outside
    quotes is ``exact``; else one that matches exactly the same sample events (all of the pack's
    samples, not only the control's) is ``equivalent``; else the filter that matches at least one
    of the control's positive samples and disagrees with the benchmark on the fewest samples is
    ``different``; else the control is ``missing``. Then the metric alarms on the chosen filter's
    metric (same namespace and name, no dimensions) are listed.

    Raises:
        ValueError: an unknown version.
    """
    every = samples()
    filters = list(config.metric_filters)
    vectors = {id(mf): _vector(mf.filter_pattern, every) for mf in filters}
    reports = []
    for c in controls(version):
        wanted = {normalize_pattern(t) for t in c.texts}
        bench = _vector(c.pattern, every)
        assert bench is not None, c.id  # the pack's own patterns parse (tests/test_cis_pack.py)
        chosen, status, diffs = None, "missing", []
        for mf in filters:
            if normalize_pattern(mf.filter_pattern) in wanted:
                chosen, status = mf, "exact"
                break
        if chosen is None:
            for mf in filters:
                if vectors[id(mf)] == bench:
                    chosen, status = mf, "equivalent"
                    break
        if chosen is None:
            positives = [i for i, s in enumerate(every) if s.topic == c.topic and bench[i]]
            best = None
            for mf in filters:
                vec = vectors[id(mf)]
                if vec is None or not any(vec[i] for i in positives):
                    continue
                wrong = [i for i in range(len(every)) if vec[i] != bench[i]]
                if best is None or len(wrong) < len(best[1]):
                    best = (mf, wrong)
            if best is not None:
                chosen, status = best[0], "different"
                vec = vectors[id(chosen)]
                diffs = [SampleDiff(every[i], bench[i], vec[i]) for i in best[1]]
        report = ControlReport(c, status, differences=diffs)
        if chosen is not None:
            report.filter_name = chosen.filter_name
            report.log_group = chosen.log_group_name
            report.pattern = chosen.filter_pattern
            t = chosen.transformation
            for alarm in config.metric_alarms:
                if (alarm.get("Namespace"), alarm.get("MetricName")) == (t.metric_namespace, t.metric_name) \
                        and not alarm.get("Dimensions") and "Metrics" not in alarm:
                    report.alarms.append(str(alarm.get("AlarmName")))
                    report.notes.extend(_alarm_notes(alarm))
        reports.append(report)
    return reports


def _alarm_notes(alarm: dict) -> list[str]:
    name = alarm.get("AlarmName")
    notes = []
    for key in ("Statistic", "Period", "ComparisonOperator"):
        if alarm.get(key) != ALARM_SETTINGS[key]:
            notes.append(f"alarm {name}: {key} is {alarm.get(key)!r}, CIS expects {ALARM_SETTINGS[key]!r}")
    threshold = alarm.get("Threshold")
    if isinstance(threshold, (int, float)) and threshold > ALARM_SETTINGS["Threshold"]:
        notes.append(f"alarm {name}: Threshold {threshold!r} lets a single event pass, CIS expects 1")
    if not alarm.get("AlarmActions"):
        notes.append(f"alarm {name}: no AlarmActions; Security Hub wants an SNS topic with a subscriber")
    return notes
