"""The native config's shape: AWS's field names and limits, and the pydantic models of a metric filter.

The tables name every key PutMetricFilter, PutMetricAlarm and PutCompositeAlarm take (with the
read-only keys of describe output), the service's length and count limits, and the patterns its
validation messages quote. `Config`, `MetricFilter` and `MetricTransformation` are what a valid
config loads into.
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ...grammar import nodes, parse

__all__ = [
    "Config",
    "MetricFilter",
    "MetricTransformation",
]



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

def _number_text(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return str(value)



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


