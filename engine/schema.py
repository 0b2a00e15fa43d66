"""JSON Schemas (Draft 2020-12) of the config and scenario file formats, for editors.

Both are generated from pydantic models: the config schema from the models `load_config` reads
into (`Config`, `MetricFilter`, `MetricTransformation`), with the keys the checks accept and
nothing else; the scenario schema from models below whose keys are the scenario reader's own key
tables. An editor given the schema (VS Code's YAML extension reads a
``# yaml-language-server: $schema=...`` first line) completes keys and flags a misspelled key or
a wrong type as it is typed. The schema is a help, not the judge: `cwfilter check` and
`cwfilter unit` apply every rule, including those no schema can state (pattern syntax, the
service's limits across filters, alarm consistency).
"""

from __future__ import annotations

import copy
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .alarms import evaluate, validation
from .config import model
from .links import DOCS_URL
from .testing import scenario as _scenario

DRAFT = "https://json-schema.org/draft/2020-12/schema"
KINDS = ("config", "scenario")


def schema_url(kind: str) -> str:
    """Where the published schema of `kind` lives (the docs site serves every generated schema)."""
    return f"{DOCS_URL}schema/{kind}.json"


# --------------------------------------------------------------------------- config


def _strict_object(schema: dict, extra: tuple[str, ...] = (), extra_doc: str = "") -> None:
    """Close an object schema: only its properties (and `extra`, read-only keys) are allowed."""
    props = schema.setdefault("properties", {})
    for key in extra:
        props.setdefault(key, {"description": extra_doc})
    schema["additionalProperties"] = False


def _alarm_types() -> dict[str, dict]:
    """Types of the alarm keys an editor can check without the alarm validator's context."""
    text, integer, number, flag = {"type": "string"}, {"type": "integer"}, {"type": "number"}, {"type": "boolean"}
    texts = {"type": "array", "items": text}
    pair = {"type": "object", "properties": {"Name": text, "Value": text}, "required": ["Name", "Value"],
            "additionalProperties": False}
    return {
        "AlarmName": text, "AlarmDescription": text, "AlarmRule": text, "ActionsEnabled": flag,
        "OKActions": texts, "AlarmActions": texts, "InsufficientDataActions": texts,
        "MetricName": text, "Namespace": text, "Period": integer, "EvaluationPeriods": integer,
        "DatapointsToAlarm": integer, "Threshold": number, "ThresholdMetricId": text,
        "Statistic": {"enum": list(evaluate.STATISTICS)},
        "ExtendedStatistic": text,
        "ComparisonOperator": {"enum": list(evaluate.COMPARISON_OPERATORS) + list(evaluate.ANOMALY_OPERATORS)},
        "TreatMissingData": {"enum": list(evaluate.TREAT_MISSING_DATA)},
        "Unit": {"enum": list(evaluate.STANDARD_UNITS)},
        "Dimensions": {"type": "array", "items": pair},
        "Metrics": {"type": "array", "items": {"type": "object"}},
        "Tags": {"type": "array", "items": {"type": "object"}},
    }


def _alarm_schema(keys: tuple[str, ...], title: str, description: str, required: tuple[str, ...]) -> dict:
    types = _alarm_types()
    props: dict[str, Any] = {key: dict(types.get(key, {})) for key in keys}
    for key in sorted(model.DESCRIBE_ONLY_ALARM_KEYS):
        props[key] = {"description": "Printed by describe-alarms; accepted and ignored."}
    return {"type": "object", "title": title, "description": description, "properties": props,
            "required": list(required), "additionalProperties": False}


def config_schema() -> dict:
    """The schema of a config file: a describe-metric-filters / describe-alarms document, a bare
    PutMetricFilter request, or a list of PutMetricFilter requests (as `load_config` reads them)."""
    generated = model.Config.model_json_schema(by_alias=True, mode="validation")
    defs = generated.pop("$defs")
    flt, tr = defs["MetricFilter"], defs["MetricTransformation"]
    _strict_object(flt, tuple(sorted(model.DESCRIBE_ONLY_FILTER_KEYS)),
                   "Printed by describe-metric-filters; accepted and ignored.")
    _strict_object(tr)
    # YAML reads `metricValue: 1` as a number; the reader takes it as the text "1".
    tr["properties"]["metricValue"] = {"title": "Metricvalue", "type": ["string", "number"],
                                       "description": "A number, or a $field reference ($.latency, $size)."}
    tr["properties"]["metricName"]["maxLength"] = model.METRIC_NAME_MAX
    tr["properties"]["metricNamespace"]["maxLength"] = model.METRIC_NAME_MAX
    flt["properties"]["filterName"]["maxLength"] = model.FILTER_NAME_MAX
    flt["properties"]["filterPattern"]["maxLength"] = 1024
    defs["MetricAlarm"] = _alarm_schema(
        validation._METRIC_ALARM_KEYS, "MetricAlarm",
        "A PutMetricAlarm request, or an alarm as describe-alarms prints it.", ("AlarmName",))
    defs["CompositeAlarm"] = _alarm_schema(
        model.PUT_COMPOSITE_ALARM_KEYS, "CompositeAlarm",
        "A PutCompositeAlarm request, or a composite alarm as describe-alarms prints it.",
        ("AlarmName", "AlarmRule"))
    doc = generated
    doc["properties"]["MetricAlarms"]["items"] = {"$ref": "#/$defs/MetricAlarm"}
    doc["properties"]["CompositeAlarms"]["items"] = {"$ref": "#/$defs/CompositeAlarm"}
    for key in model.COLLECTIONS:  # `metricFilters:` with nothing under it is read as empty
        doc["properties"][key]["type"] = ["array", "null"]
    for key in ("nextToken", "NextToken", "ResponseMetadata"):
        doc["properties"][key] = {"description": "Paging token or SDK metadata; accepted and ignored."}
    doc["additionalProperties"] = False
    doc["anyOf"] = [{"required": [key]} for key in model.COLLECTIONS]
    defs["Document"] = doc
    return {
        "$schema": DRAFT,
        "$id": schema_url("config"),
        "title": "cwfilter config",
        "description": ("Metric filters and alarms in AWS's own shapes: the output of "
                        "`aws logs describe-metric-filters` and/or `aws cloudwatch describe-alarms`, "
                        "a PutMetricFilter request, or a list of them. "
                        f"Reference: {DOCS_URL}reference/config/"),
        "anyOf": [
            {"$ref": "#/$defs/Document"},
            {"$ref": "#/$defs/MetricFilter"},
            {"type": "array", "items": {"$ref": "#/$defs/MetricFilter"}},
        ],
        "$defs": defs,
    }


# --------------------------------------------------------------------------- scenario
# Loose types where the reader takes several spellings (a duration is `10s` or a number of
# seconds; a time is an offset such as `3m` or an absolute ISO time); the reader checks values.

_Time = str | int | float
_Closed = ConfigDict(extra="forbid")


class _Pack(BaseModel):
    """A bundled rule pack as the configuration: ``{rules: cis, version: "1.4"}``."""

    model_config = _Closed
    rules: Literal["cis"]
    version: str | float | None = None
    log_group: str | None = None
    namespace: str | None = None


class _Inline(BaseModel):
    """An inline configuration (the config file format's collections)."""

    model_config = _Closed
    metricFilters: list[dict] | None = None
    MetricAlarms: list[dict] | None = None
    CompositeAlarms: list[dict] | None = None


_ConfigRef = str | list[str] | _Pack | _Inline


class _Event(BaseModel):
    """Log events: one `message`, several `messages`, a `gap`, or a `file`, with repetition."""

    model_config = _Closed
    at: _Time | None = Field(None, description="When: an offset from start (3m) or an absolute time.")
    message: str | dict | list | None = None
    messages: list[str | dict | list] | None = None
    every: _Time | None = Field(None, description="Repeat the event(s) this often (10s).")
    count: int | None = None
    until: _Time | None = None
    values: str | list | None = Field(None, description="Values substituted for {value}, in repeat notation.")
    gap: _Time | None = Field(None, description="Advance the clock by this duration.")
    file: str | None = Field(None, description="A log file, relative to the scenario file.")
    format: str | None = None
    timestamps: Literal["own", "shift", "cursor"] | None = None
    log_group: str | None = None


class _Match(BaseModel):
    model_config = _Closed
    filter: str | None = None
    pattern: str | None = None
    message: str | dict | list | None = None
    messages: list[str | dict | list] | None = None
    event: int | None = None
    match: bool | None = None
    extracted: dict | None = None


class _Datapoints(BaseModel):
    model_config = _Closed
    metric: str = Field(description="Namespace/MetricName, or the metric name with namespace.")
    namespace: str | None = None
    dimensions: dict | None = None
    period: _Time | None = None
    statistic: str | None = None
    values: dict | list | str | None = None
    from_: _Time | None = Field(None, alias="from")
    absent: bool | list | None = None


class _Transition(BaseModel):
    model_config = _Closed
    at: _Time
    to: str


class _AlarmExpectation(BaseModel):
    model_config = _Closed
    alarm: str
    at: _Time | None = None
    state: Literal["OK", "ALARM", "INSUFFICIENT_DATA"] | None = None
    reason: str | None = None
    reason_contains: str | None = None
    between: list[_Time] | None = None
    no_transition_to: str | list[str] | None = None
    transitions: list[_Transition] | None = None


class _Test(BaseModel):
    model_config = _Closed
    name: str | None = None
    config: _ConfigRef | None = None
    start: _Time | None = None
    log_group: str | None = None
    account: str | None = None
    region: str | None = None
    default_value_mode: Literal["minute", "event"] | None = None
    events: list[str | _Event] | None = None
    matches: list[_Match] | None = None
    datapoints: list[_Datapoints] | None = None
    alarms: list[_AlarmExpectation] | None = None
    cardinality_guard: list[str] | None = Field(
        None, description="The metric filters expected to pass the dimension cardinality guard ([] for none).")


class _Scenario(BaseModel):
    model_config = _Closed
    config: _ConfigRef | None = Field(None, description="Config files, an inline config, or a rule pack.")
    metricFilters: list[dict] | None = None
    MetricAlarms: list[dict] | None = None
    CompositeAlarms: list[dict] | None = None
    start: _Time | None = Field(None, description="Where offsets count from (2024-05-01T12:00:00Z).")
    log_group: str | None = None
    account: str | None = None
    region: str | None = None
    default_value_mode: Literal["minute", "event"] | None = None
    tests: list[_Test] = Field(min_length=1)


#: Scenario model -> the reader's key table it must equal (checked by the tests).
SCENARIO_KEY_TABLES = {
    _Scenario: _scenario._TOP_KEYS, _Test: _scenario._TEST_KEYS, _Event: _scenario._EVENT_KEYS,
    _Match: _scenario._MATCH_KEYS, _Datapoints: _scenario._DATAPOINT_KEYS,
    _AlarmExpectation: _scenario._ALARM_KEYS, _Inline: _scenario._CONFIG_KEYS, _Pack: _scenario._PACK_KEYS,
}


def _drop_null_defaults(node: Any) -> None:
    """Optional fields are optional keys: pydantic's ``default: null`` would only confuse editors."""
    if isinstance(node, dict):
        if node.get("default", 0) is None:
            del node["default"]
        for value in node.values():
            _drop_null_defaults(value)
    elif isinstance(node, list):
        for value in node:
            _drop_null_defaults(value)


def scenario_schema() -> dict:
    """The schema of a scenario file (`cwfilter unit`)."""
    generated = _Scenario.model_json_schema(by_alias=True, mode="validation")
    _drop_null_defaults(generated)
    inline = config_schema()
    defs = generated.setdefault("$defs", {})
    # Inline configs are config documents: take the config schema's definitions for their items.
    for name in ("MetricFilter", "MetricTransformation", "MetricAlarm", "CompositeAlarm"):
        defs[name] = copy.deepcopy(inline["$defs"][name])
    items = {"metricFilters": "MetricFilter", "MetricAlarms": "MetricAlarm", "CompositeAlarms": "CompositeAlarm"}
    for holder in (generated, defs["_Inline"]):
        for key, ref in items.items():
            holder["properties"][key] = {"type": "array", "items": {"$ref": f"#/$defs/{ref}"}}
    return {
        "$schema": DRAFT,
        "$id": schema_url("scenario"),
        "title": "cwfilter scenario",
        "description": f"Alert rules as unit tests (cwfilter unit). Reference: {DOCS_URL}reference/scenario/",
        **{k: v for k, v in generated.items() if k != "title"},
    }


def schema(kind: str) -> dict:
    """The schema of `kind` (``config`` or ``scenario``)."""
    if kind == "config":
        return config_schema()
    if kind == "scenario":
        return scenario_schema()
    raise ValueError(f"unknown schema {kind!r} (one of {', '.join(KINDS)})")
