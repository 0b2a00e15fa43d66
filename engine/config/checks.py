"""The service's validation of one metric filter or alarm, in its own wording.

Each check works on the raw document, so that one bad field never hides another, and yields a
`_Found`: the path (``metricTransformations[0].metricValue``), the message as the service words it
(filter-patterns.md §6, §8, §10) and, for wiring problems, the code (CWF205-CWF208). Pydantic's
type errors are translated into the same shape; field references (``$.latency``, ``$status``) are
checked against the pattern that names them.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

from pydantic import ValidationError

from ...grammar import PatternError, nodes, parse, parse_selector
from ..alarms.evaluate import STANDARD_UNITS
from ..alarms.validation import validate_alarm
from ..errors import ERROR, WARNING, unknown_keys, unknown_parameter
from ..events import number_text
from .model import (
    _BOTOCORE_TYPES,
    _FILTER_NAME_RE,
    _LOG_GROUP_NAME_RE,
    _METRIC_NAME_RE,
    _ORDER,
    _SPELLINGS,
    _VALIDATION,
    ALARM_NAME_MAX,
    ALARM_RULE_MAX,
    DESCRIBE_ONLY_ALARM_KEYS,
    DESCRIBE_ONLY_FILTER_KEYS,
    DIMENSION_TEXT_MAX,
    DIMENSIONS_MAX,
    FIELD_SELECTION_CRITERIA_MAX,
    FILTER_FIELDS,
    FILTER_NAME_MAX,
    FILTER_NAME_PATTERN,
    LOG_GROUP_NAME_MAX,
    LOG_GROUP_NAME_PATTERN,
    METRIC_NAME_MAX,
    METRIC_NAME_PATTERN,
    METRIC_VALUE_MAX,
    PUT_COMPOSITE_ALARM_KEYS,
    PUT_METRIC_FILTER_KEYS,
    SYSTEM_FIELD_DIMENSIONS,
    TRANSFORMATION_FIELDS,
    MetricFilter,
    _number_text,
)

__all__ = [
    "pattern_has_regex",
]


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
        # A regex is written between `%`s: a pattern without one has none (a shortcut, not a rule).
        has_regex=tree is not None and "%" in text and pattern_has_regex(tree),
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
        from ...grammar.alarm_rule import parse_alarm_rule  # composite alarms only

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
    from ...grammar.alarm_rule import parse_alarm_rule  # composite alarms only

    try:
        return list(parse_alarm_rule(rule).alarm_names)
    except (ValueError, AttributeError):
        return []


