"""`FilterPattern`: build filter patterns in Python, as the AWS CDK's ``FilterPattern`` does.

The static methods mirror the CDK's (``allTerms`` is `FilterPattern.all_terms`, ``all`` is
`FilterPattern.all_` ...). Each returns an immutable pattern object whose `text` (also
`log_pattern_string`, the CDK's name) is written by cwfilter's own printer and always parses back
to the same tree, so the text is valid by construction and can be matched at once
(`matches`, `extract`, `explain`).

What the service would refuse at deploy time is refused at build time, with a `PatternError`
(the pattern's own fault: a regex outside the allowed characters, too many regexes, a pattern
over 1024 characters ...) or a `FilterPatternError` (a misuse of the builder):

* a JSON field that is not a selector starting with ``$.`` (aws-cdk#15047 deployed
  ``stringValue("status", ...)`` and failed);
* a string value written as a regex (``"%...%"``: aws-cdk#30451 quoted regexes, so they
  matched literally): use `FilterPattern.regex_value`;
* dimensions on a term pattern, or dimensions together with a default value
  (`BuiltPattern.metric_filter`, DECISIONS M5);
* a term group of several terms in `FilterPattern.any_term_group`: the CDK writes
  ``?"a" "b" ?"c" "d"``, which the service reads as ``"b" "d"`` (DECISIONS P2).

    >>> p = FilterPattern.all_(FilterPattern.string_value("$.level", "=", "ERROR"),
    ...                        FilterPattern.number_value("$.ms", ">", 500))
    >>> p.text
    '{ $.level = "ERROR" && $.ms > 500 }'
    >>> p.matches('{"level": "ERROR", "ms": 812}')
    True
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...grammar import nodes, parse, parse_selector, unparse
from ..links import cite

__all__ = [
    "BuiltPattern",
    "FilterPattern",
    "FilterPatternError",
    "JsonPattern",
    "LiteralPattern",
    "SpaceDelimitedTextPattern",
    "TextPattern",
]

ELLIPSIS = "..."
_COLUMN_RE = re.compile(r"[A-Za-z0-9_-]+")  # DECISIONS P13 slot names
_STRING_OPS = ("=", "!=")
_NUMBER_OPS = ("=", "!=", "<", "<=", ">", ">=")


class FilterPatternError(ValueError):
    """The builder was asked for a pattern the service would refuse or misread."""


# --------------------------------------------------------------------------- base


@dataclass(frozen=True)
class BuiltPattern:
    """A filter pattern made by `FilterPattern`. Immutable; compare by text.

    Attributes:
        text: the pattern text, as PutMetricFilter takes it.
        tree: the parsed pattern (`cwfilter.nodes`).
    """

    text: str
    tree: nodes.Pattern = field(repr=False, compare=False)

    @property
    def log_pattern_string(self) -> str:
        """The pattern text (the CDK's ``logPatternString``)."""
        return self.text

    @property
    def kind(self) -> str:
        """``terms``, ``regex``, ``json`` or ``delimited``."""
        return _KIND[type(self.tree)]

    @property
    def supports_dimensions(self) -> bool:
        """Whether a metric filter with this pattern may have dimensions (DECISIONS M5)."""
        return self.kind in ("json", "delimited")

    def __str__(self) -> str:
        return self.text

    def matches(self, message: str) -> bool:
        """Whether the pattern matches one event message."""
        from ..matching.compiler import compile_pattern

        return compile_pattern(self.text).matches(message)

    def extract(self, message: str) -> dict[str, str] | None:
        """The TestMetricFilter ``extractedValues`` of a matching message, else None."""
        from ..matching.compiler import compile_pattern

        return compile_pattern(self.text).extract(message)

    def explain(self, message: str):
        """`cwfilter.engine.authoring.explain.explain` for this pattern and `message`."""
        from .explain import explain

        return explain(self.text, message)

    def metric_filter(
        self,
        *,
        filter_name: str,
        metric_name: str,
        metric_namespace: str,
        metric_value: str = "1",
        log_group_name: str | None = None,
        default_value: float | None = None,
        dimensions: Mapping[str, str] | None = None,
        unit: str | None = None,
    ) -> dict:
        """A PutMetricFilter request for this pattern, checked as the service checks it.

        Returns:
            ``{"filterName", "filterPattern", ["logGroupName"], "metricTransformations": [...]}``
            with AWS's key spelling, ready for `cwfilter.load_config` or the API.

        Raises:
            FilterPatternError: with every problem (the service's texts where known), for
                example dimensions on a term pattern or dimensions with a default value.
        """
        from ..config.native import iter_config_issues

        transformation: dict[str, Any] = {
            "metricName": metric_name,
            "metricNamespace": metric_namespace,
            "metricValue": metric_value,
        }
        if default_value is not None:
            transformation["defaultValue"] = default_value
        if dimensions:
            transformation["dimensions"] = dict(dimensions)
        if unit is not None:
            transformation["unit"] = unit
        request: dict[str, Any] = {"filterName": filter_name, "filterPattern": self.text}
        if log_group_name is not None:
            request["logGroupName"] = log_group_name
        request["metricTransformations"] = [transformation]
        errors = [i for i in iter_config_issues({"metricFilters": [request]}) if i.is_error]
        if errors:
            raise FilterPatternError("\n".join(f"{i.path}: {i.message}" for i in errors))
        return request


_KIND = {
    nodes.TermPattern: "terms",
    nodes.RegexPattern: "regex",
    nodes.JsonPattern: "json",
    nodes.DelimitedPattern: "delimited",
}


@dataclass(frozen=True)
class TextPattern(BuiltPattern):
    """A pattern of terms (`FilterPattern.all_terms`, `any_term`, `all_events` ...)."""


@dataclass(frozen=True)
class LiteralPattern(BuiltPattern):
    """A pattern given as text (`FilterPattern.literal`), kept exactly as written."""


@dataclass(frozen=True)
class JsonPattern(BuiltPattern):
    """A JSON pattern. Only JSON patterns combine with `FilterPattern.all_` and `any_`."""

    expr: nodes.JsonExpr = field(default=None, repr=False, compare=False)  # type: ignore[assignment]

    @property
    def json_pattern_string(self) -> str:
        """The expression without its braces (the CDK's ``jsonPatternString``)."""
        return unparse(self.expr)


@dataclass(frozen=True)
class SpaceDelimitedTextPattern(BuiltPattern):
    """A space-delimited pattern; `where_string` and `where_number` return new patterns."""

    columns: tuple[str, ...] = ()
    restrictions: tuple[tuple[str, nodes.SlotCompare], ...] = field(default=(), repr=False)

    def where_string(self, column: str, comparison: str, value: str) -> SpaceDelimitedTextPattern:
        """Add ``column = "value"`` (or ``!=``); a ``*`` in `value` is a wildcard (DECISIONS P8).

        Raises:
            FilterPatternError: an unknown column, ``...``, another operator, or a regex value.
        """
        self._check_column(column)
        op = _operator(comparison, _STRING_OPS)
        return self._with(column, nodes.SlotCompare(op, _string_literal(value)))

    def where_number(self, column: str, comparison: str, value: int | float | str) -> SpaceDelimitedTextPattern:
        """Add ``column op number``; the field compares as a number when its text is one (P9).

        Raises:
            FilterPatternError: an unknown column, ``...``, an unknown operator or not a number.
        """
        self._check_column(column)
        op = _operator(comparison, _NUMBER_OPS)
        return self._with(column, nodes.SlotCompare(op, _number_literal(value)))

    def _check_column(self, column: str) -> None:
        if column == ELLIPSIS:
            raise FilterPatternError("'...' takes no condition")
        if column not in self.columns:
            raise FilterPatternError(f"{column!r} is not a column of this pattern: {', '.join(self.columns)}")

    def _with(self, column: str, restriction: nodes.SlotCompare) -> SpaceDelimitedTextPattern:
        return _delimited(self.columns, (*self.restrictions, (column, restriction)))


# --------------------------------------------------------------------------- the factory


class FilterPattern:
    """Static factory methods for filter patterns, named after the AWS CDK's."""

    @staticmethod
    def literal(pattern: str) -> LiteralPattern:
        """A pattern written as text, kept as is once it is known to be valid.

        Raises:
            PatternError: the text is not a valid filter pattern.
        """
        if not isinstance(pattern, str):
            raise FilterPatternError(f"a pattern is a str, not {type(pattern).__name__}")
        return LiteralPattern(pattern, parse(pattern))

    @staticmethod
    def all_events() -> TextPattern:
        """The empty pattern: it matches every event (DECISIONS P4)."""
        return _terms(())

    @staticmethod
    def all_terms(*terms: str) -> TextPattern:
        """Every term must occur in the event (each is quoted, so any text may be a term)."""
        if not terms:
            raise FilterPatternError("all_terms() needs at least one term; use all_events() to match everything")
        return _terms(tuple(_term(t, "include") for t in terms))

    @staticmethod
    def any_term(*terms: str) -> TextPattern:
        """At least one term must occur in the event (``?"a" ?"b"``)."""
        if not terms:
            raise FilterPatternError("any_term() needs at least one term")
        if len(terms) == 1:
            return FilterPattern.all_terms(*terms)
        return _terms(tuple(_term(t, "optional") for t in terms))

    @staticmethod
    def any_term_group(*groups: list[str] | tuple[str, ...]) -> TextPattern:
        """At least one group must occur, a group occurring when all its terms do.

        Only what the pattern language can say is built: one group (all of its terms), or groups
        of one term each (any of them).

        Raises:
            FilterPatternError: several groups, one of them with several terms. The CDK writes
                ``?"a" "b" ?"c" "d"`` for that, which the service reads as ``"b" "d"``: ``?``
                terms mixed with plain terms are ignored (DECISIONS P2).
        """
        groups = tuple(tuple(g) for g in groups)
        if not groups or any(not g for g in groups):
            raise FilterPatternError("any_term_group() needs at least one group, and no empty group")
        if len(groups) == 1:
            return FilterPattern.all_terms(*groups[0])
        if any(len(g) > 1 for g in groups):
            raise FilterPatternError(
                "a term pattern cannot say 'all terms of one of several groups': ? terms mixed with "
                f"plain terms are ignored ({cite('P2')}), so the CDK's ?\"a\" \"b\" ?\"c\" \"d\" means "
                "\"b\" \"d\"; use one metric filter per group, or a JSON or regex pattern")
        return FilterPattern.any_term(*(g[0] for g in groups))

    @staticmethod
    def string_value(json_field: str, comparison: str, value: str) -> JsonPattern:
        """``{ $.field = "value" }`` or ``!=``; a ``*`` in `value` is a wildcard (DECISIONS P8).

        Raises:
            FilterPatternError: `json_field` does not start with ``$.``, the operator is not
                ``=``/``!=`` (``==`` is read as ``=``), or `value` is a ``%regex%``.
        """
        selector = _selector(json_field)
        op = _operator(comparison, _STRING_OPS)
        return _json(nodes.JsonCompare(selector, op, _string_literal(value)))

    @staticmethod
    def number_value(json_field: str, comparison: str, value: int | float | str) -> JsonPattern:
        """``{ $.field op number }`` with op one of ``= != < <= > >=`` (``==`` is read as ``=``).

        Raises:
            FilterPatternError: a bad field or operator, or a value that is not a finite number.
        """
        selector = _selector(json_field)
        op = _operator(comparison, _NUMBER_OPS)
        return _json(nodes.JsonCompare(selector, op, _number_literal(value)))

    @staticmethod
    def regex_value(json_field: str, comparison: str, regex: str) -> JsonPattern:
        """``{ $.field = %regex% }`` or ``!=``; `regex` may be given with or without its ``%``.

        Raises:
            FilterPatternError: a bad field or operator.
            PatternError: the service would refuse the regex (DECISIONS P6, P7, P18).
        """
        selector = _selector(json_field)
        op = _operator(comparison, _STRING_OPS)
        if not isinstance(regex, str):
            raise FilterPatternError(f"a regex is a str, not {type(regex).__name__}")
        if len(regex) >= 2 and regex.startswith("%") and regex.endswith("%"):
            regex = regex[1:-1]
        return _json(nodes.JsonCompare(selector, op, nodes.Regex(regex)))

    @staticmethod
    def boolean_value(json_field: str, value: bool) -> JsonPattern:
        """``{ $.field IS TRUE }`` or ``IS FALSE``: only JSON booleans match (DECISIONS P10)."""
        if not isinstance(value, bool):
            raise FilterPatternError(f"boolean_value() takes True or False, not {value!r}")
        return _json(nodes.JsonIs(_selector(json_field), "TRUE" if value else "FALSE"))

    @staticmethod
    def is_null(json_field: str) -> JsonPattern:
        """``{ $.field IS NULL }``: the field is present and null."""
        return _json(nodes.JsonIs(_selector(json_field), "NULL"))

    @staticmethod
    def not_exists(json_field: str) -> JsonPattern:
        """``{ $.field NOT EXISTS }``: the field is absent."""
        return _json(nodes.JsonNotExists(_selector(json_field)))

    @staticmethod
    def exists(json_field: str) -> JsonPattern:
        """``{ $.field = "*" }``: the field is present with any value but null (DECISIONS P8)."""
        return _json(nodes.JsonCompare(_selector(json_field), "=", nodes.Literal("*", quoted=True)))

    @staticmethod
    def all_(*patterns: JsonPattern) -> JsonPattern:
        """Every JSON pattern must hold (``&&``)."""
        return _combine(patterns, nodes.JsonAnd, "all_")

    @staticmethod
    def any_(*patterns: JsonPattern) -> JsonPattern:
        """At least one JSON pattern must hold (``||``)."""
        return _combine(patterns, nodes.JsonOr, "any_")

    @staticmethod
    def space_delimited(*columns: str) -> SpaceDelimitedTextPattern:
        """A space-delimited pattern naming the event's fields; ``...`` (once) stands for any
        number of fields. Add conditions with `SpaceDelimitedTextPattern.where_string` and
        `where_number`.

        Raises:
            FilterPatternError: a column name outside ``[A-Za-z0-9_-]+``, made only of digits
                (DECISIONS P23), or more than one ``...``.
        """
        for column in columns:
            if not isinstance(column, str):
                raise FilterPatternError(f"a column name is a str, not {type(column).__name__}")
            if column == ELLIPSIS:
                continue
            if not _COLUMN_RE.fullmatch(column):
                raise FilterPatternError(f"invalid column name {column!r}: use letters, digits, '_' and '-'")
            if column.isdigit():
                raise FilterPatternError(
                    f"invalid column name {column!r}: a name made only of digits would clash with the "
                    f"positional names $1, $2 ... ({cite('P23')})")
        if columns.count(ELLIPSIS) > 1:
            raise FilterPatternError("at most one '...' column")
        return _delimited(tuple(columns), ())


# --------------------------------------------------------------------------- helpers


def _checked(text: str, tree: nodes.Pattern) -> nodes.Pattern:
    """Parse the printed text: the service's checks run, and the text must mean the tree."""
    parsed = parse(text)  # PatternError: something the service would refuse
    if parsed != tree:  # pragma: no cover - the printer's round-trip guarantee
        raise FilterPatternError(f"internal error: {text!r} does not read back as built")
    return parsed


def _terms(terms: tuple[nodes.Term, ...]) -> TextPattern:
    tree = nodes.TermPattern(terms)
    text = unparse(tree)
    return TextPattern(text, _checked(text, tree))


def _term(text: Any, kind: str) -> nodes.Term:
    if not isinstance(text, str):
        raise FilterPatternError(f"a term is a str, not {type(text).__name__}")
    if text == "":
        raise FilterPatternError(f"an empty term is refused by the service ({cite('P4')})")
    return nodes.Term(text, kind, quoted=True)  # always quoted, as the CDK does: any text is a term


def _json(expr: nodes.JsonExpr) -> JsonPattern:
    tree = nodes.JsonPattern(expr)
    text = unparse(tree)
    parsed = _checked(text, tree)
    return JsonPattern(text, parsed, parsed.expr)


def _combine(patterns: tuple, cls: type, name: str) -> JsonPattern:
    if not patterns:
        raise FilterPatternError(f"{name}() needs at least one pattern" +
                                 ("; use all_events() to match every event" if name == "all_" else ""))
    for p in patterns:
        if not isinstance(p, JsonPattern):
            raise FilterPatternError(f"{name}() combines JSON patterns only, not {type(p).__name__} {str(p)!r}")
    if len(patterns) == 1:
        return patterns[0]
    items: list[nodes.JsonExpr] = []
    for p in patterns:
        # The parser flattens `a && (b && c)`; so does the builder, for equal trees.
        items.extend(p.expr.items if isinstance(p.expr, cls) else (p.expr,))
    return _json(cls(tuple(items)))


def _selector(json_field: Any) -> nodes.Selector:
    if not isinstance(json_field, str):
        raise FilterPatternError(f"a JSON field is a str, not {type(json_field).__name__}")
    if not json_field.startswith("$."):
        # aws-cdk#15047: the CDK accepted "status" and the deployment failed.
        example = json_field.lstrip("$.") or "field"
        raise FilterPatternError(
            f"the JSON field {json_field!r} must be a selector starting with '$.', such as '$.{example}'")
    return parse_selector(json_field)


def _operator(comparison: Any, allowed: tuple[str, ...]) -> str:
    op = "=" if comparison == "==" else comparison  # the CDK's correction of a common typo
    if op not in allowed:
        raise FilterPatternError(f"invalid comparison {comparison!r}: use one of {', '.join(allowed)}")
    return op


def _string_literal(value: Any) -> nodes.Literal:
    if not isinstance(value, str):
        raise FilterPatternError(f"a string value is a str, not {type(value).__name__}; "
                                 "use number_value() or where_number() for numbers")
    if len(value) >= 2 and value.startswith("%") and value.endswith("%"):
        # aws-cdk#30451: a quoted %regex% is plain text to the service, not a regex.
        raise FilterPatternError(
            f"{value!r} looks like a regex: quoted, it would be compared as plain text; use "
            "regex_value() for a regex")
    return nodes.Literal(value, quoted=True)


def _number_literal(value: Any) -> nodes.Literal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise FilterPatternError(f"a number value is an int or a float, not {type(value).__name__}")
    if isinstance(value, str):
        text = value
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise FilterPatternError(f"{value!r} is not a number the service can compare")
        text = repr(value)
    else:
        text = str(value)
    if not nodes.is_number_text(text):  # DECISIONS P9
        raise FilterPatternError(f"{value!r} is not a number by the pattern language's rule ({cite('P9')})")
    return nodes.Literal(text, quoted=False)


def _delimited(columns: tuple[str, ...], restrictions: tuple) -> SpaceDelimitedTextPattern:
    slots: list[nodes.Slot | nodes.Rest] = []
    for column in columns:
        if column == ELLIPSIS:
            slots.append(nodes.Rest())
            continue
        mine = [r for c, r in restrictions if c == column]
        condition = None if not mine else mine[0] if len(mine) == 1 else nodes.SlotAnd(tuple(mine))
        slots.append(nodes.Slot(column, condition))
    tree = nodes.DelimitedPattern(tuple(slots))
    text = unparse(tree)
    return SpaceDelimitedTextPattern(text, _checked(text, tree), columns, restrictions)
