"""Configuration: metric filters and alarms in AWS's own shapes, read from YAML or JSON and validated.

A config file holds what users already have: the output of ``aws logs describe-metric-filters``
(``{"metricFilters": [...], "nextToken": ...}``), the output of ``aws cloudwatch describe-alarms``
(``{"MetricAlarms": [...], "CompositeAlarms": [...]}``), both in one document, a bare
PutMetricFilter request, or a list of such requests. Keys keep AWS's spelling (camelCase for
CloudWatch Logs, PascalCase for CloudWatch alarms); the read-only keys of describe output
(``creationTime``, ``nextToken``, ``AlarmArn`` ...) are accepted and ignored, and any other key is
an error, as the AWS clients make it (``Unknown parameter in metricTransformations[0]: ...``, with
the closest known key as a suggestion).

Validation reports every problem at once, each as a `ConfigIssue` with its document path
(``metricFilters[3].filterPattern``), its file and line, and the service's own wording where it is
known (filter-patterns.md §6, §8, §10). Pydantic checks the types at the edge; the AWS constraints
are checked on the raw document, so that one bad field never hides another.
"""

from __future__ import annotations

import bisect
import json
import math
import re
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from functools import cached_property
from json.decoder import scanstring
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ...grammar import PatternError, nodes, parse, parse_selector
from ...grammar.alarm_rule import parse_alarm_rule
from ..alarms.evaluate import STANDARD_UNITS
from ..alarms.validation import validate_alarm
from ..errors import ERROR, WARNING, ConfigError, ConfigIssue, unknown_keys, unknown_parameter
from ..events import number_text
from . import reading

__all__ = [
    "Config",
    "MetricFilter",
    "MetricTransformation",
    "STANDARD_UNITS",
    "FilterPatternSite",
    "check_config",
    "check_config_sites",
    "iter_config_issues",
    "load_config",
    "pattern_has_regex",
]

# --------------------------------------------------------------------------- tables

# PutMetricFilter / MetricTransformation limits (filter-patterns.md §6.1 and §8, API model A3).
FILTER_NAME_MAX = 512
LOG_GROUP_NAME_MAX = 512
METRIC_NAME_MAX = 255          # metricName and metricNamespace
METRIC_VALUE_MAX = 100
DIMENSION_TEXT_MAX = 255       # dimension keys and values
DIMENSIONS_MAX = 3             # emitSystemFieldDimensions count toward it
FIELD_SELECTION_CRITERIA_MAX = 2000
FILTERS_PER_LOG_GROUP = 100
REGEX_FILTERS_PER_LOG_GROUP = 5  # DECISIONS P7

# The API model's patterns, printed as the service prints them in its validation errors.
FILTER_NAME_PATTERN = "[^:*]*"
LOG_GROUP_NAME_PATTERN = r"[\.\-_/#A-Za-z0-9]+"
METRIC_NAME_PATTERN = "[^:*$]*"
_FILTER_NAME_RE = re.compile(FILTER_NAME_PATTERN)
_LOG_GROUP_NAME_RE = re.compile(LOG_GROUP_NAME_PATTERN)
_METRIC_NAME_RE = re.compile(METRIC_NAME_PATTERN)


# The only system fields a metric filter can emit as dimensions (PutMetricFilter, A3).
SYSTEM_FIELD_DIMENSIONS = ("@aws.account", "@aws.region")

# AWS key -> attribute name, in the order the checks report them.
FILTER_FIELDS = {
    "filterName": "filter_name",
    "filterPattern": "filter_pattern",
    "logGroupName": "log_group_name",
    "metricTransformations": "metric_transformations",
    "emitSystemFieldDimensions": "emit_system_field_dimensions",
    "fieldSelectionCriteria": "field_selection_criteria",
    "applyOnTransformedLogs": "apply_on_transformed_logs",
}
TRANSFORMATION_FIELDS = {
    "metricName": "metric_name",
    "metricNamespace": "metric_namespace",
    "metricValue": "metric_value",
    "defaultValue": "default_value",
    "dimensions": "dimensions",
    "unit": "unit",
}
# The members of PutMetricFilter and MetricTransformation in the API's order: what the AWS clients
# list for an unknown key. describe-metric-filters adds creationTime (read-only, accepted).
PUT_METRIC_FILTER_KEYS = ("logGroupName", "filterName", "filterPattern", "metricTransformations",
                          "applyOnTransformedLogs", "fieldSelectionCriteria", "emitSystemFieldDimensions")
DESCRIBE_ONLY_FILTER_KEYS = frozenset({"creationTime"})
# Top-level collections: AWS key -> attribute name.
COLLECTIONS = {
    "metricFilters": "metric_filters",
    "MetricAlarms": "metric_alarms",
    "CompositeAlarms": "composite_alarms",
}
_SPELLINGS: dict[str, str] = {}
for _table in (FILTER_FIELDS, TRANSFORMATION_FIELDS, COLLECTIONS):
    for _alias, _name in _table.items():
        _SPELLINGS[_alias], _SPELLINGS[_name] = _name, _alias
# Keys a document may hold beside its collections: the describe commands' paging tokens, and the
# response metadata of an SDK's output.
DOCUMENT_KEYS = ("metricFilters", "MetricAlarms", "CompositeAlarms")
DOCUMENT_EXTRA_KEYS = frozenset({"nextToken", "NextToken", "ResponseMetadata", *COLLECTIONS.values()})
_ORDER = {key: rank for rank, key in enumerate([*FILTER_FIELDS, *TRANSFORMATION_FIELDS])}
_ORDER.update({name: _ORDER[alias] for alias, name in {**FILTER_FIELDS, **TRANSFORMATION_FIELDS}.items()})

# Keys that describe-alarms prints but PutMetricAlarm / PutCompositeAlarm do not take: they are
# kept in the config and left out when an alarm is validated.
DESCRIBE_ONLY_ALARM_KEYS = frozenset({
    "AlarmArn", "AlarmConfigurationUpdatedTimestamp", "StateValue", "StateReason",
    "StateReasonData", "StateUpdatedTimestamp", "StateTransitionedTimestamp", "EvaluationState",
    "ActionsSuppressedBy", "ActionsSuppressedReason",
})
ALARM_NAME_MAX = 255
ALARM_RULE_MAX = 10240
# PutCompositeAlarm's members, in the API's order.
PUT_COMPOSITE_ALARM_KEYS = ("ActionsEnabled", "AlarmActions", "AlarmDescription", "AlarmName", "AlarmRule",
                            "InsufficientDataActions", "OKActions", "Tags", "ActionsSuppressor",
                            "ActionsSuppressorWaitPeriod", "ActionsSuppressorExtensionPeriod")

# botocore's names for the Python types each AWS type accepts (its client-side validation text).
_BOTOCORE_TYPES = {
    "string_type": "<class 'str'>",
    "float_type": "<class 'float'>, <class 'decimal.Decimal'>, <class 'int'>",
    "bool_type": "<class 'bool'>",
    "list_type": "<class 'list'>, <class 'tuple'>",
    "dict_type": "<class 'dict'>",
    "model_type": "<class 'dict'>",
    "model_attributes_type": "<class 'dict'>",
}

_VALIDATION = "1 validation error detected: "

# --------------------------------------------------------------------------- models


class _Model(BaseModel):
    # strict: types are checked, not coerced (a YAML `filterName: 12` is an error, as botocore
    # makes it); extra keys are ignored (describe output carries creationTime, nextToken ...).
    model_config = ConfigDict(populate_by_name=True, extra="ignore", strict=True, frozen=True)


class MetricTransformation(_Model):
    """How a matching event becomes a metric sample (MetricTransformation of PutMetricFilter)."""

    metric_name: str = Field(alias="metricName")
    metric_namespace: str = Field(alias="metricNamespace")
    metric_value: str = Field(alias="metricValue")
    default_value: float | None = Field(None, alias="defaultValue")
    dimensions: dict[str, str] | None = None
    unit: str | None = None

    @field_validator("metric_value", mode="before")
    @classmethod
    def _number_as_text(cls, value: Any) -> Any:
        # YAML reads `metricValue: 1` as a number; the API takes the text "1".
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return _number_text(value)
        return value


class MetricFilter(_Model):
    """A metric filter in the PutMetricFilter / describe-metric-filters shape."""

    filter_name: str = Field(alias="filterName")
    filter_pattern: str = Field(alias="filterPattern")
    log_group_name: str | None = Field(None, alias="logGroupName")
    metric_transformations: list[MetricTransformation] = Field(
        alias="metricTransformations", min_length=1, max_length=1
    )
    emit_system_field_dimensions: list[str] | None = Field(None, alias="emitSystemFieldDimensions")
    field_selection_criteria: str | None = Field(None, alias="fieldSelectionCriteria")
    apply_on_transformed_logs: bool = Field(False, alias="applyOnTransformedLogs")

    @property
    def transformation(self) -> MetricTransformation:
        """The filter's one metric transformation."""
        return self.metric_transformations[0]

    @cached_property
    def pattern(self) -> nodes.Pattern:
        """The parsed filter pattern (parsed once, on first use).

        Raises:
            PatternError: the pattern is invalid (never for a filter from `load_config`).
        """
        return parse(self.filter_pattern)


class Config(_Model):
    """Everything a run needs: metric filters and alarms, merged from one or more files.

    Alarms are kept as PutMetricAlarm- / PutCompositeAlarm-shaped dicts with AWS's PascalCase keys,
    exactly as they were read.
    """

    metric_filters: list[MetricFilter] = Field(default_factory=list, alias="metricFilters")
    metric_alarms: list[dict] = Field(default_factory=list, alias="MetricAlarms")
    composite_alarms: list[dict] = Field(default_factory=list, alias="CompositeAlarms")


# --------------------------------------------------------------------------- small helpers

PathT = tuple  # a document path: keys (str) and indexes (int), outermost first

_PLAIN_KEY_RE = re.compile(r"[A-Za-z_@$][A-Za-z0-9_@$-]*")


def render_path(path: Iterable[Any]) -> str:
    """``("metricFilters", 3, "filterPattern")`` -> ``metricFilters[3].filterPattern``."""
    out = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        elif isinstance(part, str) and _PLAIN_KEY_RE.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(str(part), ensure_ascii=False)}]"
    return out


_PATH_PART_RE = re.compile(r"\[(\d+)\]|\.?([^.\[\]]+)")


def _parse_path(text: str) -> PathT:
    """The inverse of `render_path` for plain keys: ``Metrics[0].Id`` -> ``("Metrics", 0, "Id")``."""
    parts: list[Any] = []
    for m in _PATH_PART_RE.finditer(text):
        parts.append(int(m.group(1)) if m.group(1) is not None else m.group(2))
    return tuple(parts)


def _number_text(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return str(value)


def _java_double(value: float) -> str:
    """A double as Java's ``Double.toString`` prints it (see `events.number_text`)."""
    return number_text(float(value))


def _java_text(value: Any) -> str:
    """A value as the service's Java model objects print it inside a validation message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _java_double(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_java_text(k)}={_java_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_java_text(v) for v in value) + "]"
    return str(value)


def _java_transformation(item: Any) -> str:
    # The service prints its MetricTransformation model in this field order (E2, LocalStack
    # snapshot recorded against AWS in 2026).
    if not isinstance(item, Mapping):
        return _java_text(item)
    parts = []
    for alias in ("metricName", "metricNamespace", "metricValue", "defaultValue", "unit", "dimensions"):
        value = _get(item, alias)
        if alias == "defaultValue" and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        parts.append(f"{alias}={_java_text(value)}")
    return f"MetricTransformation({', '.join(parts)})"


def _key(raw: Mapping, alias: str) -> str:
    """The spelling of a field that `raw` uses: the AWS alias, else the attribute name."""
    if alias in raw:
        return alias
    other = _SPELLINGS.get(alias)
    if other is not None and other in raw:
        return other
    return alias


def _get(raw: Mapping, alias: str) -> Any:
    return raw.get(_key(raw, alias))


def _too_long(value: str, member: str, limit: int) -> str:
    return (f"{_VALIDATION}Value '{value}' at '{member}' failed to satisfy constraint: "
            f"Member must have length less than or equal to {limit}")


def _bad_pattern(value: str, member: str, pattern: str) -> str:
    return (f"{_VALIDATION}Value '{value}' at '{member}' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {pattern}")


def _too_short(param: str, length: int, minimum: int = 1) -> str:
    # botocore checks minimum lengths on the client, with this text, before any request is sent.
    return f"Invalid length for parameter {param}, value: {length}, valid min length: {minimum}"


def _not_in_enum(value: str, member: str, allowed: Sequence[str]) -> str:
    return (f"{_VALIDATION}Value '{value}' at '{member}' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(allowed)}]")


def pattern_has_regex(tree: Any) -> bool:
    """True when a `nodes.Regex` occurs anywhere in a parsed pattern (DECISIONS P7 counts these)."""
    if isinstance(tree, nodes.Regex):
        return True
    if isinstance(tree, tuple):
        return any(pattern_has_regex(item) for item in tree)
    if is_dataclass(tree) and not isinstance(tree, type):
        return any(pattern_has_regex(getattr(tree, f.name)) for f in fields(tree))
    return False


# --------------------------------------------------------------------------- findings


@dataclass(frozen=True, slots=True)
class _Found:
    """An issue before it knows its file: a document path, the message and the severity."""

    path: PathT
    message: str
    severity: str = ERROR
    code: str | None = None  # the wiring code of the checks that have one (CWF205-CWF208)


def _sort_key(found: _Found) -> tuple:
    key = []
    for part in found.path:
        if isinstance(part, int):
            key.append((part, ""))
        else:  # keys the tables do not rank (dimension names ...) keep document order
            key.append((_ORDER.get(part, len(_ORDER)), ""))
    return tuple(key)


# --------------------------------------------------------------------------- pydantic errors


def _pydantic_found(raw: Mapping, exc: ValidationError) -> Iterator[_Found]:
    """Translate pydantic's errors for one PutMetricFilter request into botocore's and the service's texts."""
    for error in exc.errors(include_url=False):
        path = _actual_path(raw, error["loc"])
        param = render_path(path) or "input"
        kind = error["type"]
        value = error.get("input")
        if kind == "missing":
            parent = render_path(path[:-1]) or "input"
            yield _Found(path, f'Missing required parameter in {parent}: "{path[-1]}"')
        elif kind in _BOTOCORE_TYPES:
            yield _Found(path, f"Invalid type for parameter {param}, value: {value}, "
                               f"type: {type(value)}, valid types: {_BOTOCORE_TYPES[kind]}")
        elif kind == "too_long" and path[-1:] == (_key(raw, "metricTransformations"),):
            # filter-patterns.md §10 [E2]: the service prints its Java list of transformations.
            shown = "[" + ", ".join(_java_transformation(item) for item in value) + "]"
            yield _Found(path, f"{_VALIDATION}Value '{shown}' at 'metricTransformations' failed to "
                               "satisfy constraint: Member must have length less than or equal to 1")
        elif kind == "too_short":
            yield _Found(path, _too_short(param, len(value)))
        else:
            yield _Found(path, f"{param}: {error['msg']}")


def _actual_path(raw: Any, loc: Sequence[Any]) -> PathT:
    """Pydantic's location spelled with the keys the document really uses."""
    out: list[Any] = []
    node = raw
    for part in loc:
        if part == "[key]":  # pydantic's marker for a bad mapping key: point at the mapping
            break
        if isinstance(node, Mapping) and isinstance(part, str) and part not in node:
            part = _key(node, part)
        out.append(part)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
    return tuple(out)


# --------------------------------------------------------------------------- field references


def _reference_problem(ref: str, tree: nodes.Pattern | None, what: str) -> _Found | None:
    """Check a ``$`` field reference (metricValue or a dimension value) against the pattern.

    Returns a `_Found` with an empty path (the caller places it), or None when the reference is
    usable.
    """
    if tree is None:
        return None
    if isinstance(tree, nodes.JsonPattern):
        if not ref.startswith("$."):
            return _Found((), f"Invalid {what} '{ref}': with a JSON filter pattern a field is "
                              "referred to by a property selector such as $.fieldName")
        try:
            selector = parse_selector(ref)
        except PatternError as exc:
            return _Found((), f"Invalid {what} '{ref}': {exc.message}")
        if selector.wildcards:
            # filter-patterns.md §11.8: which of the reached values would be used is not documented,
            # and wildcard selectors are not extracted (DECISIONS P20).
            return _Found((), f"{what} '{ref}' uses a wildcard selector; the service does not say "
                              "which of the values it reaches is used", WARNING)
        return None
    if isinstance(tree, nodes.DelimitedPattern):
        m = re.fullmatch(r"\$([A-Za-z0-9_-]+)", ref)
        if m is None:
            return _Found((), f"Invalid {what} '{ref}': with a space-delimited filter pattern a "
                              "field is referred to as $name (a slot name) or $N (a position)")
        name = m.group(1)
        slots = tree.slots
        names = [s.name for s in slots if isinstance(s, nodes.Slot) and s.name is not None]
        if not name.isdigit():
            if name in names:
                return None
            known = ", ".join(f"${n}" for n in dict.fromkeys(names)) or "none"
            return _Found((), f"Invalid {what} '{ref}': the filter pattern has no field named "
                              f"'{name}' (its fields: {known})")
        position = int(name)
        open_ended = not slots or any(isinstance(s, nodes.Rest) for s in slots)
        if position < 1 or (not open_ended and position > len(slots)):
            return _Found((), f"Invalid {what} '{ref}': the filter pattern has no field {position}")
        before = []
        for slot in slots:
            if isinstance(slot, nodes.Rest):
                break
            before.append(slot)
        if position <= len(before) and before[position - 1].name is not None:
            # Extracted values key a named field by its name only (DECISIONS M7).
            return _Found((), f"{what} '{ref}' refers to field {position}, which the pattern names "
                              f"'{before[position - 1].name}'; it is extracted as "
                              f"${before[position - 1].name}, not as {ref}", WARNING)
        return None
    kind = "a regex" if isinstance(tree, nodes.RegexPattern) else "a term"
    return _Found((), f"Invalid {what} '{ref}': {kind} filter pattern extracts no fields; use a "
                      "number, or a JSON or space-delimited pattern")


def _json_selectors(tree: nodes.JsonPattern) -> set[tuple]:
    """The selectors a JSON pattern names, as comparable step tuples."""
    return {_steps_key(cond.selector) for cond in nodes.iter_conditions(tree.expr)}


def _steps_key(selector: nodes.Selector) -> tuple:
    # `$.a` and `$['a']` name the same member: compare steps without their spelling.
    return tuple(
        ("key", s.name) if isinstance(s, nodes.Key) else
        ("index", s.index) if isinstance(s, nodes.Index) else (type(s).__name__,)
        for s in selector.steps
    )


# --------------------------------------------------------------------------- one metric filter


@dataclass(frozen=True, slots=True)
class _FilterFacts:
    """What the config-wide checks need to know about one metric filter."""

    name: str | None
    log_group: str | None
    group_ok: bool          # logGroupName is absent or a string
    has_regex: bool


def _check_filter(raw: Mapping) -> tuple[list[_Found], _FilterFacts]:
    """Every issue of one PutMetricFilter-shaped mapping, with paths relative to it."""
    found: list[_Found] = []
    try:
        MetricFilter.model_validate(raw)
    except ValidationError as exc:
        found.extend(_pydantic_found(raw, exc))
    for key in unknown_keys(raw, PUT_METRIC_FILTER_KEYS, {*DESCRIBE_ONLY_FILTER_KEYS, *FILTER_FIELDS.values()}):
        # The AWS clients refuse a key the request does not have; here it would be lost silently.
        found.append(_Found((key,), unknown_parameter("input", key, PUT_METRIC_FILTER_KEYS, "a metric filter")))

    name_key = _key(raw, "filterName")
    name = raw.get(name_key)
    if isinstance(name, str):
        if len(name) > FILTER_NAME_MAX:
            found.append(_Found((name_key,), _too_long(name, "filterName", FILTER_NAME_MAX)))
        elif not name:
            found.append(_Found((name_key,), _too_short("filterName", 0)))
        if not _FILTER_NAME_RE.fullmatch(name):
            found.append(_Found((name_key,), _bad_pattern(name, "filterName", FILTER_NAME_PATTERN)))

    pattern_key = _key(raw, "filterPattern")
    text = raw.get(pattern_key)
    tree: nodes.Pattern | None = None
    if isinstance(text, str):
        try:
            tree = parse(text)
        except PatternError as exc:
            # The grammar's message carries the service's text (length limit included, P15).
            found.append(_Found((pattern_key,), str(exc)))

    group_key = _key(raw, "logGroupName")
    group = raw.get(group_key)
    if isinstance(group, str):
        if len(group) > LOG_GROUP_NAME_MAX:
            found.append(_Found((group_key,), _too_long(group, "logGroupName", LOG_GROUP_NAME_MAX)))
        if not group:
            found.append(_Found((group_key,), _too_short("logGroupName", 0)))
        elif not _LOG_GROUP_NAME_RE.fullmatch(group):
            found.append(_Found((group_key,), _bad_pattern(group, "logGroupName", LOG_GROUP_NAME_PATTERN)))

    emit_key = _key(raw, "emitSystemFieldDimensions")
    emit = raw.get(emit_key)
    system_dims = 0
    if isinstance(emit, list):
        system_dims = len(emit)
        for i, entry in enumerate(emit):
            if isinstance(entry, str) and entry not in SYSTEM_FIELD_DIMENSIONS:
                found.append(_Found((emit_key, i), f"Invalid emitSystemFieldDimensions entry '{entry}': "
                                                   f"only {' and '.join(SYSTEM_FIELD_DIMENSIONS)} "
                                                   "can be emitted"))

    transformations_key = _key(raw, "metricTransformations")
    transformations = raw.get(transformations_key)
    has_dimensions = False  # when true, the dimension count is reported at `dimensions`
    if isinstance(transformations, list):
        for i, item in enumerate(transformations):
            if isinstance(item, Mapping):
                dims = _get(item, "dimensions")
                has_dimensions = has_dimensions or (isinstance(dims, Mapping) and bool(dims))
                for f in _check_transformation(item, i, tree, system_dims):
                    found.append(_Found((transformations_key, i, *f.path), f.message, f.severity, f.code))
    if system_dims > DIMENSIONS_MAX and not has_dimensions:
        found.append(_Found((emit_key,), _dimension_count_message(system_dims)))

    criteria_key = _key(raw, "fieldSelectionCriteria")
    criteria = raw.get(criteria_key)
    if isinstance(criteria, str) and len(criteria) > FIELD_SELECTION_CRITERIA_MAX:
        found.append(_Found((criteria_key,), _too_long(criteria, "fieldSelectionCriteria",
                                                      FIELD_SELECTION_CRITERIA_MAX)))

    transformed_key = _key(raw, "applyOnTransformedLogs")
    if raw.get(transformed_key) is True:
        found.append(_Found((transformed_key,), "applyOnTransformedLogs is true, but log "
                                                "transformers are not simulated: the filter runs "
                                                "on the original events", WARNING))

    found.sort(key=_sort_key)
    facts = _FilterFacts(
        name=name if isinstance(name, str) else None,
        log_group=group if isinstance(group, str) else None,
        group_ok=group is None or isinstance(group, str),
        has_regex=tree is not None and pattern_has_regex(tree),
    )
    return found, facts


def _dimension_count_message(count: int) -> str:
    return (f"A metric filter can have at most {DIMENSIONS_MAX} dimensions, "
            f"emitSystemFieldDimensions included (got {count})")


def _check_transformation(raw: Mapping, index: int, tree: nodes.Pattern | None,
                          system_dims: int) -> Iterator[_Found]:
    """Issues of one MetricTransformation; paths are relative to it."""
    member = f"metricTransformations.{index + 1}.member"  # the service's spelling of the path
    param = f"metricTransformations[{index}]"             # botocore's spelling

    for key in unknown_keys(raw, tuple(TRANSFORMATION_FIELDS), TRANSFORMATION_FIELDS.values()):
        yield _Found((key,), unknown_parameter(param, key, tuple(TRANSFORMATION_FIELDS),
                                               "a metric transformation"))

    for alias in ("metricName", "metricNamespace"):
        key = _key(raw, alias)
        value = raw.get(key)
        if not isinstance(value, str):
            continue
        if not value:
            yield _Found((key,), _too_short(f"{param}.{alias}", 0))
        elif len(value) > METRIC_NAME_MAX:
            yield _Found((key,), _too_long(value, f"{member}.{alias}", METRIC_NAME_MAX))
        if not _METRIC_NAME_RE.fullmatch(value):
            yield _Found((key,), _bad_pattern(value, f"{member}.{alias}", METRIC_NAME_PATTERN))

    value_key = _key(raw, "metricValue")
    value = raw.get(value_key)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = _number_text(value)
    if isinstance(value, str):
        if not value:
            yield _Found((value_key,), _too_short(f"{param}.metricValue", 0))
        elif len(value) > METRIC_VALUE_MAX:
            yield _Found((value_key,), _too_long(value, f"{member}.metricValue", METRIC_VALUE_MAX))
        elif nodes.is_number_text(value):
            pass  # a constant, such as "1" for counting (DECISIONS P9 spelling of a number)
        elif not value.startswith("$"):
            # A bare word such as `length` is rejected by the service (cfn-lint#1525).
            yield _Found((value_key,), f"Invalid metricValue '{value}': use a number, or a field "
                                       "of the event ($.field for a JSON pattern, $name for a "
                                       "space-delimited one)", code="CWF207")
        else:
            problem = _reference_problem(value, tree, "metricValue")
            if problem is not None:
                yield _Found((value_key,), problem.message, problem.severity)
            elif isinstance(tree, nodes.JsonPattern) and \
                    _steps_key(parse_selector(value)) not in _json_selectors(tree):
                # The AWS CDK: the field "must have been matched using the pattern" (log-group.ts).
                yield _Found((value_key,), f"metricValue '{value}' names a field that the filter "
                                           "pattern does not mention; the AWS CDK advises matching "
                                           f"it in the pattern, for example {value} = *", WARNING)

    default_key = _key(raw, "defaultValue")
    default = raw.get(default_key)
    has_default = default is not None
    if isinstance(default, float) and not math.isfinite(default):
        yield _Found((default_key,), f"defaultValue must be a finite number (got {default})")

    dims_key = _key(raw, "dimensions")
    dims = raw.get(dims_key)
    if isinstance(dims, Mapping) and dims:
        yield from _check_dimensions(dims, dims_key, member, tree, has_default, system_dims)

    unit_key = _key(raw, "unit")
    unit = raw.get(unit_key)
    if isinstance(unit, str) and unit not in STANDARD_UNITS:
        yield _Found((unit_key,), _not_in_enum(unit, f"{member}.unit", STANDARD_UNITS))


def _check_dimensions(dims: Mapping, dims_key: str, member: str, tree: nodes.Pattern | None,
                      has_default: bool, system_dims: int) -> Iterator[_Found]:
    here = (dims_key,)
    if has_default:
        # DECISIONS M5: rejected, with the service's 2026 text.
        yield _Found(here, "Invalid metric transformation: dimensions and default value are "
                           "mutually exclusive properties", code="CWF206")
    total = len(dims) + system_dims
    if total > DIMENSIONS_MAX:
        yield _Found(here, _dimension_count_message(total))
    supported = not isinstance(tree, (nodes.TermPattern, nodes.RegexPattern))
    if not supported:
        # DECISIONS M5: only JSON and space-delimited patterns take dimensions.
        yield _Found(here, "The specified filter pattern does not support dimensions", code="CWF205")
    shown = _java_text(dims)
    for name, value in dims.items():
        if not isinstance(name, str):
            continue
        where = (dims_key, name)
        if len(name) > DIMENSION_TEXT_MAX:
            yield _Found(where, f"{_VALIDATION}Value '{shown}' at '{member}.dimensions' failed to "
                                "satisfy constraint: Map keys must satisfy constraint: [Member must "
                                f"have length less than or equal to {DIMENSION_TEXT_MAX}]")
        # Dimension names (CloudFormation schema, Dimension.Key): ASCII, at least one
        # non-whitespace character, not starting with ':'.
        if not name.isascii():
            yield _Found(where, f"Invalid dimension name '{name}': dimension names must be ASCII")
        if not name.strip():
            yield _Found(where, f"Invalid dimension name '{name}': a dimension name needs at least "
                                "one non-whitespace character")
        if name.startswith(":"):
            yield _Found(where, f"Invalid dimension name '{name}': a dimension name must not start "
                                "with ':'")
        if not isinstance(value, str):
            continue
        if len(value) > DIMENSION_TEXT_MAX:
            yield _Found(where, f"{_VALIDATION}Value '{shown}' at '{member}.dimensions' failed to "
                                "satisfy constraint: Map values must satisfy constraint: [Member must "
                                f"have length less than or equal to {DIMENSION_TEXT_MAX}]")
        elif not value.startswith("$"):
            # Constant dimension values are not supported (AWS staff,
            # aws-cloudformation-resource-providers-logs#108).
            yield _Found(where, f"Invalid dimension value '{value}': a dimension value must be a "
                                "field of the event ($.field or $name), not a constant")
        elif supported:
            problem = _reference_problem(value, tree, "dimension value")
            if problem is not None:
                yield _Found(where, problem.message, problem.severity)


# --------------------------------------------------------------------------- alarms


def _for_validation(alarm: Mapping) -> dict:
    """The alarm as a Put*Alarm request: describe-alarms' read-only keys left out."""
    request = {k: v for k, v in alarm.items() if k not in DESCRIBE_ONLY_ALARM_KEYS}
    if "Metrics" in request and request.get("Dimensions") == []:
        # describe-alarms prints an empty Dimensions list for metric-math alarms too.
        del request["Dimensions"]
    return request


def _check_metric_alarm(alarm: Any) -> Iterator[_Found]:
    if not isinstance(alarm, Mapping):
        yield _Found((), f"An alarm must be a mapping, not {type(alarm).__name__}")
        return
    for path, message in validate_alarm(_for_validation(alarm)):
        yield _Found(_parse_path(path), message)


def _check_composite_alarm(alarm: Any) -> Iterator[_Found]:
    """What composite evaluation relies on, and PutCompositeAlarm's keys."""
    if not isinstance(alarm, Mapping):
        yield _Found((), f"A composite alarm must be a mapping, not {type(alarm).__name__}")
        return
    for key in unknown_keys(_for_validation(alarm), PUT_COMPOSITE_ALARM_KEYS):
        yield _Found((key,), unknown_parameter("input", key, PUT_COMPOSITE_ALARM_KEYS, "a composite alarm"))
    name = alarm.get("AlarmName")
    if name is None:
        yield _Found(("AlarmName",), "AlarmName is required")
    elif not isinstance(name, str) or not 1 <= len(name) <= ALARM_NAME_MAX:
        yield _Found(("AlarmName",), f"AlarmName must be a string of 1 to {ALARM_NAME_MAX} characters")
    rule = alarm.get("AlarmRule")
    if rule is None:
        yield _Found(("AlarmRule",), "AlarmRule is required")
    elif not isinstance(rule, str) or not 1 <= len(rule) <= ALARM_RULE_MAX:
        yield _Found(("AlarmRule",), f"AlarmRule must be a string of 1 to {ALARM_RULE_MAX} characters")
    else:
        try:
            parse_alarm_rule(rule)
        except ValueError as exc:
            yield _Found(("AlarmRule",), str(exc))
    if alarm.get("ActionsSuppressor") is not None:
        for key in ("ActionsSuppressorWaitPeriod", "ActionsSuppressorExtensionPeriod"):
            value = alarm.get(key)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                yield _Found((key,), f"{key} is required (whole seconds) with ActionsSuppressor")


def _rule_names(rule: Any) -> list[str]:
    """The alarm names a composite AlarmRule refers to (empty when it cannot be read)."""
    if not isinstance(rule, str):
        return []
    try:
        return list(parse_alarm_rule(rule).alarm_names)
    except (ValueError, AttributeError):
        return []


# --------------------------------------------------------------------------- documents


@dataclass(slots=True)
class _Document:
    """One parsed YAML or JSON document, with the line of every path it holds."""

    source: str | None
    data: Any
    lines: dict[PathT, int] = field(default_factory=dict)

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


# --------------------------------------------------------------------------- reading files


class _Loader(reading.BoundedComposer, reading.SafeLoader):
    """PyYAML's safe loader, reading `1e3` as a number as YAML 1.2 and JSON do, within the
    document bounds of `engine.config.reading` (nesting, aliases, integer length)."""


_Loader.add_constructor("tag:yaml.org,2002:int", reading.construct_int_bounded)


_Loader.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:float"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"""^(?:[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?
                  |[-+]?\.(?:inf|Inf|INF)
                  |\.(?:nan|NaN|NAN))$""", re.X),
    list("-+0123456789."),
)


class _SyntaxProblem(Exception):
    def __init__(self, message: str, line: int | None, column: int | None) -> None:
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


def _read_text(name: str | Path) -> tuple[str, str]:
    """(source name, text) of a file, or of standard input for ``-``."""
    source = "<stdin>" if str(name) == "-" else str(name)
    try:
        data = reading.stdin_bytes() if str(name) == "-" else reading.read_document_bytes(name)
        return source, data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _SyntaxProblem(f"The file is not UTF-8 text (byte {exc.start + 1})", None, None) from None
    except reading.DocumentProblem as exc:
        raise _SyntaxProblem(exc.message, exc.line, exc.column) from None


def _parse_documents(text: str, source: str) -> list[_Document]:
    """Parse YAML or JSON, told apart by the content, with the line of every path.

    Text that starts with ``{`` or ``[`` is read as JSON first; when that fails it is read as YAML,
    except in a ``.json`` file, where the JSON syntax error is reported.
    """
    looks_json = text.lstrip()[:1] in ("{", "[")
    json_error: _SyntaxProblem | None = None
    if looks_json:
        try:
            data = reading.loads_json(text)
        except json.JSONDecodeError as exc:
            json_error = _SyntaxProblem(f"Invalid JSON: {exc.msg}", exc.lineno, exc.colno)
        except reading.DocumentProblem as exc:
            raise _SyntaxProblem(exc.message, exc.line, exc.column) from None
        else:
            return [_Document(source, data, _json_lines(text))]
        if source.lower().endswith(".json"):
            raise json_error  # a .json file that looks like JSON: its JSON error is the answer
    # YAML, or JSON-like text that only YAML accepts (YAML flow style is a superset of JSON).
    try:
        return _yaml_documents(text, source)
    except _SyntaxProblem as yaml_error:
        raise (json_error or yaml_error) from None


def _yaml_documents(text: str, source: str) -> list[_Document]:
    loader = _Loader(text)
    docs: list[_Document] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            reading.check_node_graph(node, text)
            data = loader.construct_document(node)
            lines: dict[PathT, int] = {}
            _yaml_lines(node, (), lines)
            docs.append(_Document(source, data, lines))
    except reading.DocumentProblem as exc:
        raise _SyntaxProblem(exc.message, exc.line, exc.column) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = ", ".join(p for p in (exc.context, exc.problem) if p)
        raise _SyntaxProblem(f"Invalid YAML: {what}", mark.line + 1 if mark else None,
                             mark.column + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise _SyntaxProblem(f"Invalid YAML: {exc}", None, None) from None
    finally:
        loader.dispose()
    return docs or [_Document(source, None, {})]


def _yaml_lines(node: yaml.Node, path: PathT, lines: dict[PathT, int]) -> None:
    """The line of every path below `node` (each node visited once: aliases are not expanded)."""
    if path:
        sub: dict[PathT, int] = {}
        reading.yaml_lines(node, sub)
        lines.update({(*path, *k): v for k, v in sub.items() if (*path, *k) not in lines})
    else:
        reading.yaml_lines(node, lines)


_JSON_WS = re.compile(r"[ \t\n\r]*")
_JSON_SCALAR = re.compile(r"-?(?:Infinity|[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)|true|false|null|NaN")


def _json_lines(text: str) -> dict[PathT, int]:
    """The line of each key (and array element) of a JSON text that `json.loads` accepted."""
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    lines: dict[PathT, int] = {}

    def line_of(pos: int) -> int:
        return bisect.bisect_right(starts, pos)

    def ws(pos: int) -> int:
        return _JSON_WS.match(text, pos).end()

    def value(pos: int, path: PathT) -> int:
        pos = ws(pos)
        lines.setdefault(path, line_of(pos))
        char = text[pos]
        if char == "{":
            pos = ws(pos + 1)
            if text[pos] == "}":
                return pos + 1
            while True:
                pos = ws(pos)
                key, end = scanstring(text, pos + 1)
                lines[(*path, key)] = line_of(pos)  # a repeated key: the last one wins, as in json
                pos = ws(end) + 1  # past ':'
                pos = ws(value(pos, (*path, key)))
                if text[pos] == "}":
                    return pos + 1
                pos += 1  # past ','
        if char == "[":
            pos = ws(pos + 1)
            if text[pos] == "]":
                return pos + 1
            index = 0
            while True:
                pos = ws(value(pos, (*path, index)))
                index += 1
                if text[pos] == "]":
                    return pos + 1
                pos += 1
        if char == '"':
            return scanstring(text, pos + 1)[1]
        return _JSON_SCALAR.match(text, pos).end()

    try:
        value(0, ())
    except (IndexError, AttributeError, ValueError, RecursionError):
        pass  # only positions are lost; json.loads has accepted the text
    return lines


def _load_documents(paths: Sequence[str | Path]) -> tuple[list[_Document], list[ConfigIssue]]:
    docs: list[_Document] = []
    problems: list[ConfigIssue] = []
    for name in paths:
        source = "<stdin>" if str(name) == "-" else str(name)
        try:
            source, text = _read_text(name)
            docs.extend(_parse_documents(text, source))
        except OSError as exc:
            problems.append(ConfigIssue("", f"Cannot read the file: {exc.strerror or exc}", source))
        except _SyntaxProblem as exc:
            problems.append(ConfigIssue("", exc.message, source, exc.line, ERROR, exc.column))
    return docs, problems


# --------------------------------------------------------------------------- public API


def iter_config_issues(data: object, source: str | None = None, *,
                       lines: Mapping[PathT, int] | None = None) -> Iterator[ConfigIssue]:
    """Yield every issue of one parsed configuration document (STYLE L5).

    Args:
        data: the document as `json.load` or `yaml.safe_load` returns it.
        source: the file name to report, if any.
        lines: optional map from document paths (tuples of keys and indexes) to 1-based lines.

    Returns:
        An iterator of `ConfigIssue`, errors and warnings, in document order; cross-filter checks
        (duplicates, per-log-group quotas) and alarm checks come last.
    """
    yield from _issues([_Document(source, data, dict(lines or {}))])


def check_config(paths: Sequence[str | Path]) -> list[ConfigIssue]:
    """Check configuration files together, as one merged configuration.

    Args:
        paths: YAML or JSON files; ``-`` reads standard input.

    Returns:
        Every issue, errors and warnings. A missing or unreadable file and a YAML or JSON syntax
        error are issues too (with line and column), so this never raises for a user's mistake.
    """
    docs, problems = _load_documents(paths)
    return [*problems, *_issues(docs)]


@dataclass(frozen=True, slots=True)
class FilterPatternSite:
    """A metric filter's ``filterPattern`` text in a config file, able to place an issue on it."""

    pattern: str
    _entry: _Entry
    _key: str

    def issue(self, message: str, severity: str = WARNING, code: str | None = None) -> ConfigIssue:
        """An issue at this filter's ``filterPattern``, with its file, path and line."""
        return self._entry.issue(_Found((self._key,), message, severity, code))


def check_config_sites(paths: Sequence[str | Path]) -> tuple[list[ConfigIssue], list[FilterPatternSite]]:
    """`check_config`, and every metric filter whose ``filterPattern`` is a string, with its place.

    Every file is read once (standard input included), so that further checks of the patterns
    (lint) point where the service's errors would.
    """
    docs, problems = _load_documents(paths)
    entries = _Entries()
    issues = [*problems, *_issues(docs, entries)]
    sites = []
    for entry in entries.filters:
        if entry.facts is None:
            continue  # not checked (past the per-log-group quota, or not a mapping)
        key = _key(entry.raw, "filterPattern")
        pattern = entry.raw.get(key)
        if isinstance(pattern, str):
            sites.append(FilterPatternSite(pattern, entry, key))
    return issues, sites


def load_config(paths: Sequence[str | Path], *,
                on_warning: Callable[[ConfigIssue], None] | None = None) -> Config:
    """Read, merge and validate configuration files.

    Several files merge: their metric filters and alarms are concatenated, and a
    (logGroupName, filterName) pair defined twice is an error.

    Args:
        paths: YAML or JSON files, told apart by their content; ``-`` reads standard input.
        on_warning: called with each warning of a configuration that loads.

    Returns:
        The merged `Config`.

    Raises:
        ConfigError: with every error found (its `issues` lists them, warnings excluded).
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    docs, problems = _load_documents(paths)
    entries = _Entries()
    issues = [*problems, *_issues(docs, entries)]
    errors = [issue for issue in issues if issue.is_error]
    if errors:
        raise ConfigError(errors)
    if on_warning is not None:
        for issue in issues:
            on_warning(issue)
    return Config(
        metric_filters=[MetricFilter.model_validate(e.raw) for e in entries.filters],
        metric_alarms=[dict(e.raw) for e in entries.metric_alarms],
        composite_alarms=[dict(e.raw) for e in entries.composite_alarms],
    )
