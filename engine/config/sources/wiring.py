"""Wiring checks: is each filter -> metric -> alarm chain actually connected? (codes CWF201-CWF210)

These checks look across items, which the service never does: a deploy succeeds, and the alarm
simply never fires (peers.md §3, asks 2 and 3). Each finding names every item involved and
where it is. The service's own per-item checks (CWF205-CWF208) live in `engine.config.native`,
which gives each of their issues its code (`ConfigIssue.code`).
"""

from __future__ import annotations

import bisect
import collections
import difflib
import functools
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ....grammar import PatternError, nodes, parse, unparse
from .model import COMPOSITE_ALARM, ERROR, FILTER, METRIC_ALARM, WARNING, Finding, LogDelivery, SourceItem, item_finding

# Statistics that are the same constant in every period of a count metric (DECISIONS M3: a
# metricValue of "1" publishes 1 per match): only Sum and SampleCount count anything.
_COUNT_STATISTICS = frozenset({"Sum", "SampleCount"})
METRIC_FILTER_RESOLUTION = 60  # seconds: metric filters publish one-minute metrics

# Top-level fields of a CloudTrail record (CloudTrail record contents reference): a JSON pattern
# that tests only these reads CloudTrail events.
CLOUDTRAIL_FIELDS = frozenset({
    "eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion",
    "sourceIPAddress", "userAgent", "errorCode", "errorMessage", "requestParameters",
    "responseElements", "additionalEventData", "requestID", "eventID", "eventType",
    "apiVersion", "managementEvent", "readOnly", "resources", "recipientAccountId",
    "serviceEventDetails", "sharedEventID", "vpcEndpointId", "eventCategory", "tlsDetails",
    "sessionCredentialFromConsole", "insightDetails",
})
CIS_SIMILARITY = 0.8  # difflib ratio of canonical texts above which a pattern is "almost" a control's
CIS_SHARED_CONDITIONS = 0.6  # or the share of conditions (Jaccard) two patterns have in common


@dataclass(frozen=True, slots=True)
class MetricId:
    """A metric's identity in CloudWatch: namespace, name and the set of dimension names."""

    namespace: str
    name: str
    dimensions: frozenset[str]

    def __str__(self) -> str:
        dims = f"dimensions [{', '.join(sorted(self.dimensions))}]" if self.dimensions else "no dimensions"
        return f"{self.namespace}/{self.name} with {dims}"


@dataclass(frozen=True, slots=True)
class _Watch:
    """One metric an alarm evaluates (the alarm's own, or one of its Metrics queries)."""

    metric: MetricId
    statistic: str | None
    period: Any
    path: tuple          # where in the alarm, for the finding's location


def describe(item: SourceItem) -> str:
    """``filter 'errors' (Resources.Errors, template.yaml:12)``: the item, its resource and place."""
    what = {FILTER: "filter", METRIC_ALARM: "alarm", COMPOSITE_ALARM: "composite alarm"}[item.kind]
    origin = item.origin
    where = origin.where() if origin.resource == item.name else f"{origin.resource}, {origin.where()}"
    return f"{what} '{item.name}' ({where})"


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def filter_metric(item: SourceItem) -> MetricId | None:
    """The metric a metric filter publishes, when its transformation is readable."""
    ts = item.data.get("metricTransformations")
    t = ts[0] if isinstance(ts, list) and ts and isinstance(ts[0], Mapping) else None
    if t is None or _str(t.get("metricNamespace")) is None or _str(t.get("metricName")) is None:
        return None
    dims = set(t["dimensions"]) if isinstance(t.get("dimensions"), Mapping) else set()
    emit = item.data.get("emitSystemFieldDimensions")
    if isinstance(emit, list):
        dims |= {d for d in emit if isinstance(d, str)}
    return MetricId(t["metricNamespace"], t["metricName"], frozenset(dims))


def _constant_value(item: SourceItem) -> str | None:
    ts = item.data.get("metricTransformations")
    t = ts[0] if isinstance(ts, list) and ts and isinstance(ts[0], Mapping) else {}
    value = t.get("metricValue")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(int(value)) if float(value).is_integer() else str(value)
    return value if isinstance(value, str) and nodes.is_number_text(value) else None


def _dimension_names(dims: Any) -> frozenset[str]:
    if isinstance(dims, list):
        return frozenset(d["Name"] for d in dims if isinstance(d, Mapping) and isinstance(d.get("Name"), str))
    return frozenset()


def alarm_watches(item: SourceItem) -> list[_Watch]:
    """The metrics a metric alarm evaluates (empty for metric-math expressions alone)."""
    data = item.data
    out: list[_Watch] = []
    if _str(data.get("MetricName")) and _str(data.get("Namespace")):
        metric = MetricId(data["Namespace"], data["MetricName"], _dimension_names(data.get("Dimensions")))
        stat = _str(data.get("Statistic")) or _str(data.get("ExtendedStatistic"))
        out.append(_Watch(metric, stat, data.get("Period"), ()))
    for i, query in enumerate(data.get("Metrics") or []):
        stat_block = query.get("MetricStat") if isinstance(query, Mapping) else None
        metric = stat_block.get("Metric") if isinstance(stat_block, Mapping) else None
        if isinstance(metric, Mapping) and _str(metric.get("MetricName")) and _str(metric.get("Namespace")):
            out.append(_Watch(MetricId(metric["Namespace"], metric["MetricName"],
                                       _dimension_names(metric.get("Dimensions"))),
                              _str(stat_block.get("Stat")), stat_block.get("Period"), ("Metrics", i)))
    return out


def _near(watch: MetricId, emitted: MetricId) -> bool:
    """A published metric that an alarm probably meant: one of namespace, name, dimensions differs."""
    same_ns = watch.namespace.lower() == emitted.namespace.lower()
    if watch.name.lower() == emitted.name.lower():
        return True  # another namespace or other dimensions
    # The same namespace and a name one typo away.
    return same_ns and difflib.SequenceMatcher(None, watch.name.lower(), emitted.name.lower()).ratio() >= 0.8


# --------------------------------------------------------------------------- the checks


def check_wiring(items: Iterable[SourceItem], deliveries: Iterable[LogDelivery] = ()) -> list[Finding]:
    """Every wiring finding (CWF201-CWF204, CWF209-CWF212) about the items checked together.

    Args:
        items: metric filters and alarms from every source in scope.
        deliveries: log groups that the sources write to (CloudTrail trails, the CloudWatch agent).
    """
    items = list(items)
    filters = [i for i in items if i.kind == FILTER]
    alarms = [i for i in items if i.kind == METRIC_ALARM]
    published = _published(filters)
    watched, findings = _check_alarms(alarms, published, bool(filters))
    if alarms:
        for metric, emitters in published.items():
            if metric not in watched:
                for f in emitters:
                    findings.append(item_finding(
                        f, ("metricTransformations", 0),
                        f"{describe(f)} publishes {metric}, which no alarm in scope watches",
                        WARNING, "CWF202"))
    findings.extend(_check_log_groups(filters, alarms, list(deliveries), published))
    findings.extend(_check_cis(filters))
    findings.extend(_check_unique_dimensions(filters))
    return findings


def _published(filters: list[SourceItem]) -> dict[MetricId, list[SourceItem]]:
    """Each metric the filters publish -> the filters publishing it."""
    published: dict[MetricId, list[SourceItem]] = {}
    for f in filters:
        metric = filter_metric(f)
        if metric is not None:
            published.setdefault(metric, []).append(f)
    return published


def _check_alarms(alarms: list[SourceItem], published: Mapping[MetricId, list[SourceItem]],
                  any_filters: bool) -> tuple[set[MetricId], list[Finding]]:
    """The metrics the alarms watch, and the findings about each alarm's metrics (CWF201, CWF203,
    CWF204)."""
    watched: set[MetricId] = set()
    findings: list[Finding] = []
    for alarm in alarms:
        for w in alarm_watches(alarm):
            watched.add(w.metric)
            findings.extend(_check_alarm_metric(alarm, w, published, any_filters))
    return watched, findings


# Field names that say the value is unique per event: request, event, trace, span, message,
# session and transaction IDs, UUIDs, IP addresses and timestamps (last selector part, case and
# separators ignored).
_UNIQUE_FIELD = re.compile(
    r"(?:request|req|event|trace|span|message|msg|correlation|session|transaction|txn|x?amzn?trace)_?id$"
    r"|^(?:uuid|guid|nonce|ip|ipaddr(?:ess)?|sourceipaddress|sourceip|srcip|src_?ip|clientip|client_?ip|"
    r"remote_?addr|remoteip|dst_?ip|destip|x_?forwarded_?for|timestamp|time|ts|datetime|eventtime|"
    r"@timestamp|date|starttime|endtime)$"
    r"|(?:^|_)ip(?:_?address)?$|ipaddress$|timestamp$")


def unique_per_event(selector: str) -> bool:
    """True for a ``$.requestId`` / ``$client_ip`` selector whose field name says it is unique per
    event, which the service advises against as a dimension (PutMetricFilter, "dimensions")."""
    last = re.split(r"[.\[\]]", selector.lstrip("$"))
    name = next((p for p in reversed(last) if p and p != "*" and not p.isdigit()), "")
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower().replace("-", "_")
    return bool(name) and bool(_UNIQUE_FIELD.search(name))


def _check_unique_dimensions(filters: list[SourceItem]) -> Iterator[Finding]:
    for f in filters:
        transforms = f.data.get("metricTransformations")
        if not isinstance(transforms, list):
            continue
        for t, transform in enumerate(transforms):
            dims = transform.get("dimensions") if isinstance(transform, Mapping) else None
            if not isinstance(dims, Mapping):
                continue
            for key, value in dims.items():
                if isinstance(value, str) and value.startswith("$") and unique_per_event(value):
                    yield item_finding(
                        f, ("metricTransformations", t, "dimensions", key),
                        f"{describe(f)} takes dimension '{key}' from {value}, which looks unique per "
                        "event: every value is a metric of its own, and the service advises against "
                        "such dimensions (PutMetricFilter: do not use high-cardinality fields such as "
                        "IP addresses or request IDs); a filter that makes more than 1,000 distinct "
                        "dimension name/value pairs in an hour may be disabled",
                        WARNING, "CWF212")


def _check_alarm_metric(alarm: SourceItem, w: _Watch, published: Mapping[MetricId, list[SourceItem]],
                        any_filters: bool) -> Iterator[Finding]:
    emitters = published.get(w.metric)
    if not emitters:
        if w.metric.namespace.startswith("AWS/") or not any_filters:
            return  # an AWS service metric, or no filter in scope to compare with
        near = [(m, f) for m, fs in published.items() if _near(w.metric, m) for f in fs]
        target = (*w.path, "MetricStat", "Metric") if w.path else ("MetricName",)
        if near:
            others = "; ".join(f"{describe(f)} publishes {m}" for m, f in near)
            yield item_finding(alarm, target,
                               f"{describe(alarm)} watches {w.metric}, which no metric filter publishes: "
                               f"{others}", ERROR, "CWF201")
        else:
            yield item_finding(alarm, target,
                               f"{describe(alarm)} watches {w.metric}, which no metric filter in scope "
                               "publishes; unless something else publishes it, the alarm stays in "
                               "INSUFFICIENT_DATA", WARNING, "CWF201")
        return
    stat = w.statistic
    if stat is not None and stat not in _COUNT_STATISTICS:
        counts = [(f, _constant_value(f)) for f in emitters]
        if all(value is not None for _, value in counts):
            f, value = counts[0]
            t = f.data["metricTransformations"][0]
            default = t.get("defaultValue")
            also = f" or the defaultValue {default:g}" if isinstance(default, (int, float)) else ""
            where = (*w.path, "MetricStat", "Stat") if w.path else (
                ("Statistic",) if "Statistic" in alarm.data else ("ExtendedStatistic",))
            yield item_finding(alarm, where,
                               f"{describe(alarm)} evaluates {stat} of {w.metric}, which {describe(f)} "
                               f"publishes as a count (metricValue {value}): every sample is {value}{also}, "
                               f"so {stat} does not grow with the number of matches; use Sum",
                               WARNING, "CWF203")
    period = w.period
    if isinstance(period, (int, float)) and not isinstance(period, bool) and period < METRIC_FILTER_RESOLUTION:
        f = emitters[0]
        where = (*w.path, "MetricStat", "Period") if w.path else ("Period",)
        yield item_finding(alarm, where,
                           f"{describe(alarm)} has a Period of {int(period)} seconds on {w.metric}, which "
                           f"{describe(f)} publishes at one-minute resolution: most {int(period)}-second "
                           "periods hold no data", WARNING, "CWF204")


def _cloudtrail_pattern(item: SourceItem) -> bool:
    text = item.data.get("filterPattern")
    if not isinstance(text, str):
        return False
    try:
        tree = parse(text)
    except PatternError:
        return False
    if not isinstance(tree, nodes.JsonPattern):
        return False
    firsts = set()
    for cond in nodes.iter_conditions(tree.expr):
        steps = cond.selector.steps
        if not steps or not isinstance(steps[0], nodes.Key):
            return False
        firsts.add(steps[0].name)
    return bool(firsts) and firsts <= CLOUDTRAIL_FIELDS


def _check_log_groups(filters: list[SourceItem], alarms: list[SourceItem], deliveries: list[LogDelivery],
                      published: Mapping[MetricId, list[SourceItem]]) -> Iterator[Finding]:
    trails = [d for d in deliveries if d.carries == "cloudtrail"]
    agents = [d for d in deliveries if d.carries == "files"]
    written = {d.log_group for d in deliveries}
    for f in filters:
        group = f.data.get("logGroupName")
        if not isinstance(group, str) or group in written:
            continue
        metric = filter_metric(f)
        watchers = {id(a): a for a in alarms for w in alarm_watches(a) if metric is not None and w.metric == metric}
        so = ""
        if watchers:
            names = ", ".join(describe(a) for a in watchers.values())
            so = f", so {names} never sees them"
        if trails and _cloudtrail_pattern(f):
            targets = "; ".join(f"{d.what} ({d.origin.where()}) delivers to '{d.log_group}'" for d in trails)
            yield item_finding(f, ("logGroupName",),
                               f"{describe(f)} matches CloudTrail events but is on log group '{group}'; "
                               f"{targets}{so}", WARNING, "CWF209")
        elif agents and not _cloudtrail_pattern(f):
            groups = ", ".join(f"'{g}'" for g in dict.fromkeys(d.log_group for d in agents))
            yield item_finding(f, ("logGroupName",),
                               f"{describe(f)} is on log group '{group}', which no source in scope writes "
                               f"to; the CloudWatch agent writes to {groups}{so}", WARNING, "CWF209")


# --------------------------------------------------------------------------- CIS


@dataclass(frozen=True, slots=True)
class _Reference:
    id: str
    control: str
    title: str
    benchmark: str
    text: str
    canonical: str
    conditions: frozenset[str]


@functools.cache
def _cis_data() -> tuple[dict, ...]:
    return tuple(json.loads(
        resources.files("cwfilter.engine.testing").joinpath("cis_data", "cis-patterns.json").read_text("utf-8")
    ))


@functools.cache
def _parses(text: str) -> bool:
    try:
        parse(text)
    except PatternError:
        return False
    return True


@functools.cache
def cis_references() -> tuple[_Reference, ...]:
    """The CIS / Security Hub control patterns shipped with cwfilter (the CIS pack's data)."""
    out = []
    for e in _cis_data():
        try:
            tree = parse(e["pattern"])
        except PatternError:
            continue  # malformed as published (the data's notes say which): no reference
        out.append(_Reference(e["id"], e["control"], e["title"], e["benchmark"], e["pattern"],
                              unparse(tree), _conditions(tree)))
    return tuple(out)


def _conditions(tree: Any) -> frozenset[str]:
    if not isinstance(tree, nodes.JsonPattern):
        return frozenset()
    return frozenset(unparse(c) for c in nodes.iter_conditions(tree.expr))


def _check_cis(filters: list[SourceItem]) -> Iterator[Finding]:
    from ...testing.cis import normalize_pattern

    # The benchmark's text up to whitespace outside quotes is the benchmark's text, as for
    # `rules cis --check` (which compares the same way), when the reference parses. A pack
    # written as the benchmark is settled here, without parsing every reference.
    texts: dict[str, list[str]] = {}
    for e in _cis_data():
        texts.setdefault(normalize_pattern(e["pattern"]), []).append(e["pattern"])
    near = [f for f in filters if isinstance(f.data.get("filterPattern"), str)
            and not any(_parses(t) for t in texts.get(normalize_pattern(f.data["filterPattern"]), ()))]
    if not near:
        return
    refs = cis_references()
    exact = {normalize_pattern(r.text) for r in refs}
    # One matcher per reference, built once: its index of the reference text is the costly part.
    matchers = {id(r): difflib.SequenceMatcher(None, "", r.canonical) for r in refs}
    # Which references a pattern can be close to, found without comparing it to each: by length
    # (difflib's real_quick_ratio, 2 * min / sum, is below CIS_SIMILARITY outside [2/3, 3/2] of the
    # pattern's length, bounds widened by one) and by shared conditions (two at least).
    by_length = sorted(range(len(refs)), key=lambda i: len(refs[i].canonical))
    lengths = [len(refs[i].canonical) for i in by_length]
    by_condition: dict[str, list[int]] = {}
    for i, r in enumerate(refs):
        for c in r.conditions:
            by_condition.setdefault(c, []).append(i)
    for f in near:
        text = f.data.get("filterPattern")
        if normalize_pattern(text) in exact:
            continue
        try:
            tree = parse(text)
        except PatternError:
            continue
        if not isinstance(tree, nodes.JsonPattern):
            continue
        canonical = unparse(tree)
        mine = _conditions(tree)
        best, score = None, 0.0
        size = len(canonical)
        near_length = by_length[bisect.bisect_left(lengths, size * 2 // 3 - 1):
                                bisect.bisect_right(lengths, size * 3 // 2 + 1)]
        shares = collections.Counter(i for c in mine for i in by_condition.get(c, ()))
        for i in sorted({*near_length, *(i for i, n in shares.items() if n >= 2)}):  # in reference order
            r = refs[i]
            shared = len(mine & r.conditions)
            jaccard = shared / len(mine | r.conditions) if mine | r.conditions else 0.0
            by_conditions = shared >= 2 and jaccard >= CIS_SHARED_CONDITIONS
            if r.canonical == canonical:
                ratio = 1.0
            else:
                sm = matchers[id(r)]
                sm.set_seq1(canonical)
                # The cheap upper bounds first: most references are nowhere near.
                if not by_conditions and (
                    sm.real_quick_ratio() < CIS_SIMILARITY or sm.quick_ratio() < CIS_SIMILARITY
                ):
                    continue
                ratio = sm.ratio()
            # Close: nearly the same text, or most of the same conditions (at least two shared).
            near = ratio >= CIS_SIMILARITY or by_conditions
            if near and ratio + jaccard > score:
                best, score = r, ratio + jaccard
        if best is None:
            continue
        name = f"{best.benchmark} {best.control} ({best.title})"
        if best.canonical == canonical:
            detail = ("it is the same pattern written differently (spacing or parentheses), and Security "
                      "Hub's check asks for the exact pattern the benchmark prescribes")
        else:
            missing = sorted(best.conditions - mine)
            extra = sorted(mine - best.conditions)
            parts = []
            if missing:
                parts.append("missing " + ", ".join(missing))
            if extra:
                parts.append("not in the benchmark " + ", ".join(extra))
            detail = "; ".join(parts) if parts else "the conditions are combined differently"
        yield item_finding(f, ("filterPattern",),
                           f"{describe(f)} has a pattern close to {name}, but not the benchmark's text: "
                           f"{detail}. The benchmark's text is: {best.text}", WARNING, "CWF210")


def run_wiring(config: Any, origins: Mapping[tuple[str, int], Any] | None = None,
               file: str = "config") -> list[Finding]:
    """CWF201 for the configuration a run uses: alarms watching a metric no filter publishes.

    Such an alarm can only ever be INSUFFICIENT_DATA in the run (or its missing-data state), so
    `cwfilter run` says so before it starts.

    Args:
        config: a loaded `engine.config.Config`.
        origins: ``(collection, index)`` -> `Origin`, as `LoadedSources.origins` holds them.
        file: the file named for items without an origin.
    """
    from .model import Origin

    origins = origins or {}
    items: list[SourceItem] = []
    for key, kind, collection in (("metricFilters", FILTER, config.metric_filters),
                                  ("MetricAlarms", METRIC_ALARM, config.metric_alarms)):
        for i, entry in enumerate(collection):
            data = entry.model_dump(by_alias=True, exclude_none=True) if kind == FILTER else dict(entry)
            origin = origins.get((key, i)) or Origin(file, None, f"{key}[{i}]", "native")
            items.append(SourceItem(kind, data, origin))
    # Only the alarms' checks make CWF201: the others (the CIS comparison among them) are not run.
    filters = [i for i in items if i.kind == FILTER]
    _, findings = _check_alarms([i for i in items if i.kind == METRIC_ALARM], _published(filters), bool(filters))
    return [f for f in findings if f.code == "CWF201"]
