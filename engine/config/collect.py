"""A config as a whole: the entries of every document, and the checks that need them all.

`_issues` walks each document (describe output, a PutMetricFilter request, a list of them), checks
every entry and turns what it finds into `ConfigIssue`s with file and line; the checks across
entries follow: the quota of filters per log group (checked before anything is compiled),
duplicate names and alarms that name the same metric.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigIssue, unknown_keys, unknown_parameter
from .checks import (
    PathT,
    _check_composite_alarm,
    _check_filter,
    _check_metric_alarm,
    _FilterFacts,
    _Found,
    _key,
    _rule_names,
    render_path,
)
from .model import (
    COLLECTIONS,
    DOCUMENT_EXTRA_KEYS,
    DOCUMENT_KEYS,
    FILTER_FIELDS,
    FILTERS_PER_LOG_GROUP,
    REGEX_FILTERS_PER_LOG_GROUP,
)

__all__ = []


@dataclass(slots=True)
class _Document:
    """One parsed YAML or JSON document, with the line of every path it holds."""

    source: str | None
    data: Any
    lines: Mapping[PathT, int] = field(default_factory=dict)

    def line(self, path: PathT) -> int | None:
        """The line of `path`, else of its nearest ancestor that is in the document."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None

    def issue(self, found: _Found) -> ConfigIssue:
        return ConfigIssue(render_path(found.path), found.message, self.source,
                           self.line(found.path), found.severity, code=found.code)


@dataclass(slots=True)
class _Entry:
    """One metric filter or alarm of a document, and where it is."""

    doc: _Document
    path: PathT
    raw: Any
    facts: _FilterFacts | None = None

    def issue(self, found: _Found) -> ConfigIssue:
        return self.doc.issue(_Found((*self.path, *found.path), found.message, found.severity, found.code))

    def where(self) -> str:
        line = self.doc.line(self.path)
        place = "" if self.doc.source is None else self.doc.source
        if line is not None:
            place = f"{place}:{line}" if place else f"line {line}"
        return f"{render_path(self.path) or 'the document'}" + (f", {place}" if place else "")


@dataclass(slots=True)
class _Entries:
    filters: list[_Entry] = field(default_factory=list)
    metric_alarms: list[_Entry] = field(default_factory=list)
    composite_alarms: list[_Entry] = field(default_factory=list)


_REQUEST_KEYS = frozenset(k for alias, name in FILTER_FIELDS.items() for k in (alias, name))
_NOT_A_CONFIG = ("This is not a cwfilter configuration: expected metricFilters, MetricAlarms or "
                 "CompositeAlarms (the output of aws logs describe-metric-filters or aws cloudwatch "
                 "describe-alarms), or PutMetricFilter requests")


def _collect(doc: _Document, entries: _Entries) -> Iterator[ConfigIssue]:
    """Sort a document's metric filters and alarms into `entries`; yield shape problems."""
    data = doc.data
    if data is None:
        yield doc.issue(_Found((), "The configuration is empty"))
        return
    if isinstance(data, list):
        for i, item in enumerate(data):  # a list of PutMetricFilter requests
            yield from _add(doc, (i,), item, entries.filters, "A PutMetricFilter request")
        return
    if not isinstance(data, Mapping):
        yield doc.issue(_Found((), f"{_NOT_A_CONFIG}; got a {type(data).__name__}"))
        return
    keys = {alias: _key(data, alias) for alias in COLLECTIONS}
    present = {alias: key for alias, key in keys.items() if key in data}
    if not present:
        if _REQUEST_KEYS & set(data):
            yield from _add(doc, (), data, entries.filters, "A PutMetricFilter request")
        else:
            yield doc.issue(_Found((), _NOT_A_CONFIG))
        return
    for key in unknown_keys(data, DOCUMENT_KEYS, DOCUMENT_EXTRA_KEYS):
        yield doc.issue(_Found((key,), unknown_parameter("the document", key, DOCUMENT_KEYS,
                                                         "the document")))
    targets = {"metricFilters": (entries.filters, "A metric filter"),
               "MetricAlarms": (entries.metric_alarms, None),
               "CompositeAlarms": (entries.composite_alarms, None)}
    for alias, key in present.items():
        items = data[key]
        if items is None:  # `metricFilters:` with nothing under it
            continue
        if not isinstance(items, list):
            yield doc.issue(_Found((key,), f"{key} must be a list, not {type(items).__name__}"))
            continue
        target, what = targets[alias]
        for i, item in enumerate(items):
            if what is None:
                target.append(_Entry(doc, (key, i), item))
            else:
                yield from _add(doc, (key, i), item, target, what)


def _add(doc: _Document, path: PathT, item: Any, target: list[_Entry], what: str) -> Iterator[ConfigIssue]:
    if isinstance(item, Mapping):
        target.append(_Entry(doc, path, item))
    else:
        yield doc.issue(_Found(path, f"{what} must be a mapping, not {type(item).__name__}"))


def _issues(docs: Sequence[_Document], entries: _Entries | None = None) -> Iterator[ConfigIssue]:
    """Every issue of `docs`, checked together as one merged configuration."""
    entries = _Entries() if entries is None else entries
    for doc in docs:
        yield from _collect(doc, entries)

    # The per-log-group quota first, from the raw names: the filters past it are not compiled.
    over = yield from _quota_issues(entries.filters)
    for entry in entries.filters:
        if id(entry) in over:
            continue
        found, entry.facts = _check_filter(entry.raw)
        for f in found:
            yield entry.issue(f)
    yield from _filter_set_issues(entries.filters)

    for entry in entries.metric_alarms:
        for f in _check_metric_alarm(entry.raw):
            yield entry.issue(f)
    for entry in entries.composite_alarms:
        for f in _check_composite_alarm(entry.raw):
            yield entry.issue(f)
    yield from _alarm_set_issues(entries)


def _quota_issues(filters: Sequence[_Entry]) -> Generator[ConfigIssue, None, set[int]]:
    """The per-log-group quota, checked before any pattern is compiled.

    Yields the error for each log group with more than `FILTERS_PER_LOG_GROUP` filters and returns
    the ids of the entries past the quota, which are left unchecked.
    """
    per_group: dict[Any, list[_Entry]] = {}
    for entry in filters:
        raw = entry.raw
        if not isinstance(raw, Mapping):
            continue
        group = raw.get(_key(raw, "logGroupName"))
        if isinstance(group, str):
            per_group.setdefault(group, []).append(entry)
    over: set[int] = set()
    for group, members in per_group.items():
        if len(members) > FILTERS_PER_LOG_GROUP:
            entry = members[FILTERS_PER_LOG_GROUP]
            group_key = _key(entry.raw, "logGroupName")
            yield entry.issue(_Found((group_key,), f"Too many metric filters for {_group_label(group)}: "
                                                   f"{len(members)} (at most {FILTERS_PER_LOG_GROUP} per "
                                                   "log group)"))
            over.update(id(e) for e in members[FILTERS_PER_LOG_GROUP:])
    return over


def _group_label(group: str | None) -> str:
    return f"log group '{group}'" if group is not None else "the filters without a logGroupName"


def _filter_set_issues(filters: Sequence[_Entry]) -> Iterator[ConfigIssue]:
    """Checks across metric filters: unique names and the per-log-group quotas."""
    seen: dict[tuple[str | None, str], _Entry] = {}
    per_group: dict[str | None, list[_Entry]] = {}
    for entry in filters:
        facts = entry.facts
        if facts is None or not facts.group_ok:
            continue
        per_group.setdefault(facts.log_group, []).append(entry)
        if facts.name is None:
            continue
        key = (facts.log_group, facts.name)
        first = seen.setdefault(key, entry)
        if first is not entry:
            name_key = _key(entry.raw, "filterName")
            yield entry.issue(_Found((name_key,), f"Duplicate metric filter: '{facts.name}' in "
                                                  f"{_group_label(facts.log_group)} is already "
                                                  f"defined at {first.where()}"))
    for group, members in per_group.items():
        if len(members) > FILTERS_PER_LOG_GROUP:
            entry = members[FILTERS_PER_LOG_GROUP]
            group_key = _key(entry.raw, "logGroupName")
            yield entry.issue(_Found((group_key,) if group_key in entry.raw else (),
                                     f"Too many metric filters for {_group_label(group)}: "
                                         f"{len(members)} (at most {FILTERS_PER_LOG_GROUP} per log "
                                         "group)"))
        regex = [e for e in members if e.facts is not None and e.facts.has_regex]
        if len(regex) > REGEX_FILTERS_PER_LOG_GROUP:
            # DECISIONS P7: at most 5 regex-bearing filters per log group; the 6th is the error.
            entry = regex[REGEX_FILTERS_PER_LOG_GROUP]
            yield entry.issue(_Found((_key(entry.raw, "filterPattern"),),
                                     f"Too many metric filters with a regex for "
                                     f"{_group_label(group)}: {len(regex)} (at most "
                                     f"{REGEX_FILTERS_PER_LOG_GROUP} per log group)", code="CWF208"))


def _alarm_set_issues(entries: _Entries) -> Iterator[ConfigIssue]:
    """Checks across alarms: unique names, and composite rules naming defined alarms."""
    seen: dict[str, _Entry] = {}
    for entry in [*entries.metric_alarms, *entries.composite_alarms]:
        name = entry.raw.get("AlarmName") if isinstance(entry.raw, Mapping) else None
        if not isinstance(name, str):
            continue
        first = seen.setdefault(name, entry)
        if first is not entry:
            yield entry.issue(_Found(("AlarmName",), f"Duplicate alarm name '{name}': already "
                                                     f"defined at {first.where()}"))
    for entry in entries.composite_alarms:
        if not isinstance(entry.raw, Mapping):
            continue
        missing = [n for n in dict.fromkeys(_rule_names(entry.raw.get("AlarmRule"))) if n not in seen]
        for name in missing:
            # DECISIONS A12: a rule naming an alarm that does not exist is an error.
            yield entry.issue(_Found(("AlarmRule",), f"AlarmRule names the alarm '{name}', which "
                                                     "the configuration does not define"))


