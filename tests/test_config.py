"""Configuration loading and validation: AWS shapes, every constraint, paths, lines, merging, stdin.

Expected messages are written out by hand from filter-patterns.md §6, §8 and §10 (the service's
texts), botocore's client-side wording and the texts this project chose for the rest.
"""

from __future__ import annotations

import copy
import io
import json
import sys
from pathlib import Path

import pytest
from cwfilter.engine.config.native import (
    Config,
    MetricFilter,
    check_config,
    iter_config_issues,
    load_config,
)
from cwfilter.engine.errors import ConfigError, ConfigIssue, EngineError
from cwfilter.grammar import nodes
from pydantic import ValidationError

FIXTURES = Path(__file__).parent / "fixtures" / "config"
DESCRIBE_FILTERS_JSON = FIXTURES / "describe-metric-filters.json"
DESCRIBE_FILTERS_YAML = FIXTURES / "describe-metric-filters.yaml"
DESCRIBE_ALARMS_JSON = FIXTURES / "describe-alarms.json"

UNITS = (
    "Seconds, Microseconds, Milliseconds, Bytes, Kilobytes, Megabytes, Gigabytes, Terabytes, Bits, "
    "Kilobits, Megabits, Gigabits, Terabits, Percent, Count, Bytes/Second, Kilobytes/Second, "
    "Megabytes/Second, Gigabytes/Second, Terabytes/Second, Bits/Second, Kilobits/Second, "
    "Megabits/Second, Gigabits/Second, Terabits/Second, Count/Second, None"
)
VALIDATION = "1 validation error detected: "


def transformation(**changes) -> dict:
    base = {"metricName": "m", "metricNamespace": "ns", "metricValue": "$.latency"}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not DROP}


DROP = object()


def metric_filter(transformations: list | None = None, **changes) -> dict:
    base = {
        "filterName": "f",
        "filterPattern": "{ $.latency = * }",
        "logGroupName": "g",
        "metricTransformations": transformations if transformations is not None else [transformation()],
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not DROP}


def found(*filters: dict) -> list[tuple[str, str, str]]:
    """(path, message, severity) of every issue of a describe-metric-filters document."""
    return [(i.path, i.message, i.severity) for i in iter_config_issues({"metricFilters": list(filters)})]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- AWS documents load


def test_describe_metric_filters_output_loads_unchanged():
    raw = json.loads(DESCRIBE_FILTERS_JSON.read_text(encoding="utf-8"))
    assert check_config([DESCRIBE_FILTERS_JSON]) == []
    config = load_config([DESCRIBE_FILTERS_JSON])

    assert len(config.metric_filters) == 5
    for got, want in zip(config.metric_filters, raw["metricFilters"], strict=True):
        assert got.filter_name == want["filterName"]
        assert got.filter_pattern == want["filterPattern"]
        assert got.log_group_name == want["logGroupName"]
        assert got.apply_on_transformed_logs is False
        assert got.emit_system_field_dimensions == want.get("emitSystemFieldDimensions")
        assert got.field_selection_criteria == want.get("fieldSelectionCriteria")
        (wt,) = want["metricTransformations"]
        t = got.transformation
        assert (t.metric_name, t.metric_namespace, t.metric_value) == (
            wt["metricName"], wt["metricNamespace"], wt["metricValue"])
        assert t.default_value == wt.get("defaultValue")
        assert t.dimensions == wt.get("dimensions")
        assert t.unit == wt.get("unit")

    by_name = {f.filter_name: f for f in config.metric_filters}
    assert by_name["ConsoleSignInWithoutMfa"].transformation.default_value == 0.0
    assert by_name["HTTP404Errors"].transformation.dimensions == {"Server": "$ip"}
    assert by_name["LambdaLatency"].emit_system_field_dimensions == ["@aws.region"]
    assert isinstance(by_name["LambdaLatency"].pattern, nodes.JsonPattern)
    assert isinstance(by_name["HTTP404Errors"].pattern, nodes.DelimitedPattern)
    assert isinstance(by_name["errors"].pattern, nodes.TermPattern)
    assert config.metric_alarms == [] and config.composite_alarms == []


def test_yaml_and_json_variants_give_equal_configs():
    from_json = load_config([DESCRIBE_FILTERS_JSON])
    from_yaml = load_config([DESCRIBE_FILTERS_YAML])
    assert len(from_yaml.metric_filters) == 5
    assert from_json == from_yaml


def test_describe_alarms_output_loads_unchanged():
    raw = json.loads(DESCRIBE_ALARMS_JSON.read_text(encoding="utf-8"))
    assert check_config([DESCRIBE_ALARMS_JSON]) == []
    config = load_config([DESCRIBE_ALARMS_JSON])
    # Kept as the PascalCase dicts that were read, read-only describe keys included.
    assert config.metric_alarms == raw["MetricAlarms"]
    assert config.composite_alarms == raw["CompositeAlarms"]
    assert config.metric_filters == []


def test_filters_and_alarms_in_one_document(tmp_path):
    doc = json.loads(DESCRIBE_ALARMS_JSON.read_text(encoding="utf-8"))
    doc["metricFilters"] = json.loads(DESCRIBE_FILTERS_JSON.read_text(encoding="utf-8"))["metricFilters"]
    path = write(tmp_path, "both.json", json.dumps(doc, indent=2))
    config = load_config([path])
    assert [f.filter_name for f in config.metric_filters] == [
        "ConsoleSignInWithoutMfa", "HTTP404Errors", "LambdaLatency", "TransferredBytes", "errors"]
    assert [a["AlarmName"] for a in config.metric_alarms] == [
        "console-signin-without-mfa", "lambda-latency-p99", "error-rate"]
    assert [a["AlarmName"] for a in config.composite_alarms] == ["my-function-unhealthy"]


def test_bare_put_metric_filter_request(tmp_path):
    path = write(tmp_path, "request.yaml", (
        "logGroupName: MyApp/access.log\n"
        "filterName: Bytes\n"
        "filterPattern: '[ip, id, user, timestamp, request, status_code, size]'\n"
        "metricTransformations:\n"
        "  - {metricName: BytesTransferred, metricNamespace: MyNamespace, metricValue: $size, unit: Bytes}\n"
    ))
    (only,) = load_config([path]).metric_filters
    assert (only.filter_name, only.log_group_name) == ("Bytes", "MyApp/access.log")
    assert (only.transformation.metric_value, only.transformation.unit) == ("$size", "Bytes")


def test_list_of_put_metric_filter_requests_and_their_paths(tmp_path):
    requests = [metric_filter(filterName="a"), metric_filter(filterName="b", filterPattern="{ $.x = ")]
    path = write(tmp_path, "requests.json", json.dumps(requests))
    issues = check_config([path])
    assert [i.path for i in issues] == ["[1].filterPattern"]
    requests[1]["filterPattern"] = "{ $.latency > 5 }"
    path.write_text(json.dumps(requests), encoding="utf-8")
    assert [f.filter_name for f in load_config([path]).metric_filters] == ["a", "b"]


def test_yaml_number_as_metric_value_is_its_text():
    data = {"metricFilters": [metric_filter([transformation(metricValue=1)], filterPattern="ERROR")]}
    assert list(iter_config_issues(data)) == []
    (mf,) = Config.model_validate(data).metric_filters
    assert mf.transformation.metric_value == "1"


def test_models_accept_attribute_names_and_expose_transformation_and_pattern():
    mf = MetricFilter(
        filter_name="f", filter_pattern="{ $.a = 1 }",
        metric_transformations=[{"metric_name": "m", "metric_namespace": "ns", "metric_value": "$.a"}],
    )
    assert mf.log_group_name is None and mf.apply_on_transformed_logs is False
    assert mf.transformation.metric_name == "m"
    assert mf.transformation.default_value is None and mf.transformation.unit is None
    assert isinstance(mf.pattern, nodes.JsonPattern)
    assert mf.pattern is mf.pattern  # parsed once
    assert mf == MetricFilter.model_validate({
        "filterName": "f", "filterPattern": "{ $.a = 1 }",
        "metricTransformations": [{"metricName": "m", "metricNamespace": "ns", "metricValue": "$.a"}]})


def test_model_rejects_two_transformations():
    with pytest.raises(ValidationError):
        MetricFilter.model_validate(metric_filter([transformation(), transformation()]))


def test_describe_only_keys_are_accepted_and_other_keys_are_not():
    data = {"metricFilters": [metric_filter(creationTime=1)], "nextToken": "x",
            "ResponseMetadata": {"HTTPStatusCode": 200}}
    assert list(iter_config_issues(data)) == []
    data["metricFilters"][0]["somethingNew"] = {"a": 1}
    assert [issue.path for issue in iter_config_issues(data)] == ["metricFilters[0].somethingNew"]


# --------------------------------------------------------------------------- one test per check

LONG_NAME = "x" * 513


@pytest.mark.parametrize(
    ("mf", "path", "message"),
    [
        pytest.param(
            metric_filter(filterName=LONG_NAME), "metricFilters[0].filterName",
            f"{VALIDATION}Value '{LONG_NAME}' at 'filterName' failed to satisfy constraint: Member must "
            "have length less than or equal to 512", id="filterName-too-long"),
        pytest.param(
            metric_filter(filterName=""), "metricFilters[0].filterName",
            "Invalid length for parameter filterName, value: 0, valid min length: 1", id="filterName-empty"),
        pytest.param(
            metric_filter(filterName="app:errors"), "metricFilters[0].filterName",
            f"{VALIDATION}Value 'app:errors' at 'filterName' failed to satisfy constraint: Member must "
            "satisfy regular expression pattern: [^:*]*", id="filterName-colon"),
        pytest.param(
            metric_filter(filterName="errors*"), "metricFilters[0].filterName",
            f"{VALIDATION}Value 'errors*' at 'filterName' failed to satisfy constraint: Member must "
            "satisfy regular expression pattern: [^:*]*", id="filterName-star"),
        pytest.param(
            metric_filter(filterPattern="{ $.a = 1"), "metricFilters[0].filterPattern",
            "If a filter pattern starts with '{' it must end with '}' (column 10)\n"
            "  { $.a = 1\n"
            "           ^", id="filterPattern-invalid"),
        pytest.param(
            metric_filter(logGroupName="g" * 513), "metricFilters[0].logGroupName",
            f"{VALIDATION}Value '{'g' * 513}' at 'logGroupName' failed to satisfy constraint: Member must "
            "have length less than or equal to 512", id="logGroupName-too-long"),
        pytest.param(
            metric_filter(logGroupName="my app"), "metricFilters[0].logGroupName",
            f"{VALIDATION}Value 'my app' at 'logGroupName' failed to satisfy constraint: Member must "
            r"satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]+", id="logGroupName-space"),
        pytest.param(
            metric_filter(logGroupName=""), "metricFilters[0].logGroupName",
            "Invalid length for parameter logGroupName, value: 0, valid min length: 1", id="logGroupName-empty"),
        pytest.param(
            metric_filter([transformation(),
                           transformation(metricName="m2", metricNamespace="ns2", metricValue="1",
                                          defaultValue=10000000, unit="Count")]),
            "metricFilters[0].metricTransformations",
            f"{VALIDATION}Value '[MetricTransformation(metricName=m, metricNamespace=ns, "
            "metricValue=$.latency, defaultValue=null, unit=null, dimensions=null), "
            "MetricTransformation(metricName=m2, metricNamespace=ns2, metricValue=1, "
            "defaultValue=1.0E7, unit=Count, dimensions=null)]' at 'metricTransformations' failed to "
            "satisfy constraint: Member must have length less than or equal to 1", id="two-transformations"),
        pytest.param(
            metric_filter([]), "metricFilters[0].metricTransformations",
            "Invalid length for parameter metricTransformations, value: 0, valid min length: 1",
            id="no-transformation"),
        pytest.param(
            metric_filter([transformation(metricName="n" * 256)]),
            "metricFilters[0].metricTransformations[0].metricName",
            f"{VALIDATION}Value '{'n' * 256}' at 'metricTransformations.1.member.metricName' failed to "
            "satisfy constraint: Member must have length less than or equal to 255", id="metricName-too-long"),
        pytest.param(
            metric_filter([transformation(metricName="cost$")]),
            "metricFilters[0].metricTransformations[0].metricName",
            f"{VALIDATION}Value 'cost$' at 'metricTransformations.1.member.metricName' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: [^:*$]*", id="metricName-dollar"),
        pytest.param(
            metric_filter([transformation(metricName="")]),
            "metricFilters[0].metricTransformations[0].metricName",
            "Invalid length for parameter metricTransformations[0].metricName, value: 0, valid min length: 1",
            id="metricName-empty"),
        pytest.param(
            metric_filter([transformation(metricNamespace="App:Prod")]),
            "metricFilters[0].metricTransformations[0].metricNamespace",
            f"{VALIDATION}Value 'App:Prod' at 'metricTransformations.1.member.metricNamespace' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: [^:*$]*",
            id="metricNamespace-colon"),
        pytest.param(
            metric_filter([transformation(metricNamespace="s" * 256)]),
            "metricFilters[0].metricTransformations[0].metricNamespace",
            f"{VALIDATION}Value '{'s' * 256}' at 'metricTransformations.1.member.metricNamespace' failed "
            "to satisfy constraint: Member must have length less than or equal to 255",
            id="metricNamespace-too-long"),
        pytest.param(
            metric_filter([transformation(metricValue="$." + "a" * 99)]),
            "metricFilters[0].metricTransformations[0].metricValue",
            f"{VALIDATION}Value '$.{'a' * 99}' at 'metricTransformations.1.member.metricValue' failed to "
            "satisfy constraint: Member must have length less than or equal to 100", id="metricValue-too-long"),
        pytest.param(
            metric_filter([transformation(metricValue="")]),
            "metricFilters[0].metricTransformations[0].metricValue",
            "Invalid length for parameter metricTransformations[0].metricValue, value: 0, valid min length: 1",
            id="metricValue-empty"),
        pytest.param(
            metric_filter([transformation(metricValue="length")]),
            "metricFilters[0].metricTransformations[0].metricValue",
            "Invalid metricValue 'length': use a number, or a field of the event ($.field for a JSON "
            "pattern, $name for a space-delimited one)", id="metricValue-bare-word"),
        pytest.param(
            metric_filter([transformation(metricValue="$latency")]),
            "metricFilters[0].metricTransformations[0].metricValue",
            "Invalid metricValue '$latency': with a JSON filter pattern a field is referred to by a "
            "property selector such as $.fieldName", id="metricValue-json-needs-selector"),
        pytest.param(
            metric_filter([transformation(metricValue="$.a b")]),
            "metricFilters[0].metricTransformations[0].metricValue",
            "Invalid metricValue '$.a b': Invalid metric filter pattern: unexpected ' ' in property selector",
            id="metricValue-bad-selector"),
        pytest.param(
            metric_filter([transformation(metricValue="$.size")], filterPattern="[ip, user, size]"),
            "metricFilters[0].metricTransformations[0].metricValue",
            "Invalid metricValue '$.size': with a space-delimited filter pattern a field is referred to "
            "as $name (a slot name) or $N (a position)", id="metricValue-delimited-needs-name"),
        pytest.param(
            metric_filter([transformation(metricValue="$bytes")], filterPattern="[ip, user, size]"),
            "metricFilters[0].metricTransformations[0].metricValue",
            "Invalid metricValue '$bytes': the filter pattern has no field named 'bytes' (its fields: "
            "$ip, $user, $size)", id="metricValue-unknown-slot"),
        pytest.param(
            metric_filter([transformation(metricValue="$4")], filterPattern="[ip, user, size]"),
            "metricFilters[0].metricTransformations[0].metricValue",
            "Invalid metricValue '$4': the filter pattern has no field 4", id="metricValue-position-past-end"),
        pytest.param(
            metric_filter([transformation(metricValue="$x")], filterPattern="ERROR"),
            "metricFilters[0].metricTransformations[0].metricValue",
            "Invalid metricValue '$x': a term filter pattern extracts no fields; use a number, or a JSON "
            "or space-delimited pattern", id="metricValue-term-pattern"),
        pytest.param(
            metric_filter([transformation(metricValue="$x")], filterPattern="%ERROR%"),
            "metricFilters[0].metricTransformations[0].metricValue",
            "Invalid metricValue '$x': a regex filter pattern extracts no fields; use a number, or a "
            "JSON or space-delimited pattern", id="metricValue-regex-pattern"),
        pytest.param(
            metric_filter([transformation(defaultValue="0")]),
            "metricFilters[0].metricTransformations[0].defaultValue",
            "Invalid type for parameter metricTransformations[0].defaultValue, value: 0, type: <class "
            "'str'>, valid types: <class 'float'>, <class 'decimal.Decimal'>, <class 'int'>",
            id="defaultValue-string"),
        pytest.param(
            metric_filter([transformation(defaultValue=float("nan"))]),
            "metricFilters[0].metricTransformations[0].defaultValue",
            "defaultValue must be a finite number (got nan)", id="defaultValue-nan"),
        pytest.param(
            metric_filter([transformation(dimensions={"a": "$.a", "b": "$.b", "c": "$.c", "d": "$.d"})],
                          filterPattern="{ $.latency = * && $.a = * && $.b = * && $.c = * && $.d = * }"),
            "metricFilters[0].metricTransformations[0].dimensions",
            "A metric filter can have at most 3 dimensions, emitSystemFieldDimensions included (got 4)",
            id="dimensions-four"),
        pytest.param(
            metric_filter([transformation(dimensions={"a": "$.a", "b": "$.b"})],
                          emitSystemFieldDimensions=["@aws.account", "@aws.region"]),
            "metricFilters[0].metricTransformations[0].dimensions",
            "A metric filter can have at most 3 dimensions, emitSystemFieldDimensions included (got 4)",
            id="dimensions-with-system-fields"),
        pytest.param(
            metric_filter([transformation(dimensions={"k" * 256: "$.a"})]),
            f"metricFilters[0].metricTransformations[0].dimensions.{'k' * 256}",
            f"{VALIDATION}Value '{{{'k' * 256}=$.a}}' at 'metricTransformations.1.member.dimensions' failed "
            "to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than "
            "or equal to 255]", id="dimension-name-too-long"),
        pytest.param(
            metric_filter([transformation(dimensions={"k": "$." + "v" * 254})]),
            "metricFilters[0].metricTransformations[0].dimensions.k",
            f"{VALIDATION}Value '{{k=$.{'v' * 254}}}' at 'metricTransformations.1.member.dimensions' failed "
            "to satisfy constraint: Map values must satisfy constraint: [Member must have length less "
            "than or equal to 255]", id="dimension-value-too-long"),
        pytest.param(
            metric_filter([transformation(dimensions={"Région": "$.a"})]),
            'metricFilters[0].metricTransformations[0].dimensions["Région"]',
            "Invalid dimension name 'Région': dimension names must be ASCII", id="dimension-name-ascii"),
        pytest.param(
            metric_filter([transformation(dimensions={"  ": "$.a"})]),
            'metricFilters[0].metricTransformations[0].dimensions["  "]',
            "Invalid dimension name '  ': a dimension name needs at least one non-whitespace character",
            id="dimension-name-blank"),
        pytest.param(
            metric_filter([transformation(dimensions={":env": "$.a"})]),
            'metricFilters[0].metricTransformations[0].dimensions[":env"]',
            "Invalid dimension name ':env': a dimension name must not start with ':'", id="dimension-name-colon"),
        pytest.param(
            metric_filter([transformation(dimensions={"Env": "Prod"})]),
            "metricFilters[0].metricTransformations[0].dimensions.Env",
            "Invalid dimension value 'Prod': a dimension value must be a field of the event ($.field or "
            "$name), not a constant", id="dimension-value-constant"),
        pytest.param(
            metric_filter([transformation(metricValue="1", dimensions={"Server": "$host"})],
                          filterPattern="[ip, server, size]"),
            "metricFilters[0].metricTransformations[0].dimensions.Server",
            "Invalid dimension value '$host': the filter pattern has no field named 'host' (its fields: "
            "$ip, $server, $size)", id="dimension-value-unknown-slot"),
        pytest.param(
            metric_filter([transformation(defaultValue=0, dimensions={"k": "$.latency"})]),
            "metricFilters[0].metricTransformations[0].dimensions",
            "Invalid metric transformation: dimensions and default value are mutually exclusive properties",
            id="M5-dimensions-and-defaultValue"),
        pytest.param(
            metric_filter([transformation(metricValue="1", dimensions={"k": "$.a"})], filterPattern="ERROR"),
            "metricFilters[0].metricTransformations[0].dimensions",
            "The specified filter pattern does not support dimensions", id="M5-term-pattern"),
        pytest.param(
            metric_filter([transformation(metricValue="1", dimensions={"k": "$.a"})],
                          filterPattern="%ERROR [0-9]+%"),
            "metricFilters[0].metricTransformations[0].dimensions",
            "The specified filter pattern does not support dimensions", id="M5-regex-pattern"),
        pytest.param(
            metric_filter([transformation(unit="Cnt")]),
            "metricFilters[0].metricTransformations[0].unit",
            f"{VALIDATION}Value 'Cnt' at 'metricTransformations.1.member.unit' failed to satisfy "
            f"constraint: Member must satisfy enum value set: [{UNITS}]", id="unit"),
        pytest.param(
            metric_filter(emitSystemFieldDimensions=["@aws.account", "@aws.logGroup"]),
            "metricFilters[0].emitSystemFieldDimensions[1]",
            "Invalid emitSystemFieldDimensions entry '@aws.logGroup': only @aws.account and @aws.region "
            "can be emitted", id="emitSystemFieldDimensions-entry"),
        pytest.param(
            metric_filter(emitSystemFieldDimensions=["@aws.account", "@aws.region"] * 2),
            "metricFilters[0].emitSystemFieldDimensions",
            "A metric filter can have at most 3 dimensions, emitSystemFieldDimensions included (got 4)",
            id="emitSystemFieldDimensions-count"),
        pytest.param(
            metric_filter(fieldSelectionCriteria="c" * 2001), "metricFilters[0].fieldSelectionCriteria",
            f"{VALIDATION}Value '{'c' * 2001}' at 'fieldSelectionCriteria' failed to satisfy constraint: "
            "Member must have length less than or equal to 2000", id="fieldSelectionCriteria-too-long"),
        pytest.param(
            metric_filter(filterPattern=DROP), "metricFilters[0].filterPattern",
            'Missing required parameter in input: "filterPattern"', id="missing-filterPattern"),
        pytest.param(
            metric_filter([transformation(metricName=DROP)]),
            "metricFilters[0].metricTransformations[0].metricName",
            'Missing required parameter in metricTransformations[0]: "metricName"', id="missing-metricName"),
        pytest.param(
            metric_filter(filterName=12), "metricFilters[0].filterName",
            "Invalid type for parameter filterName, value: 12, type: <class 'int'>, valid types: <class 'str'>",
            id="filterName-type"),
        pytest.param(
            metric_filter(applyOnTransformedLogs="yes"), "metricFilters[0].applyOnTransformedLogs",
            "Invalid type for parameter applyOnTransformedLogs, value: yes, type: <class 'str'>, valid "
            "types: <class 'bool'>", id="applyOnTransformedLogs-type"),
        pytest.param(
            metric_filter(metricTransformations={"metricName": "m"}), "metricFilters[0].metricTransformations",
            "Invalid type for parameter metricTransformations, value: {'metricName': 'm'}, type: <class "
            "'dict'>, valid types: <class 'list'>, <class 'tuple'>", id="metricTransformations-type"),
    ],
)
def test_each_check_reports_the_exact_message_and_path(mf, path, message):
    assert found(mf) == [(path, message, "error")]


def test_pattern_over_1024_characters_reports_the_service_text():
    text = "X" * 1025
    ((path, message, severity),) = found(metric_filter([transformation(metricValue="1")], filterPattern=text))
    assert (path, severity) == ("metricFilters[0].filterPattern", "error")
    assert message.splitlines()[0] == (
        f"{VALIDATION}Value '{text}' at 'filterPattern' failed to satisfy constraint: Member must have "
        "length less than or equal to 1024 (column 1025)")


@pytest.mark.parametrize(
    ("value", "pattern"),
    [
        ("1", "ERROR"),
        ("-2.5", "ERROR"),
        ("$.latency", "{ $.['latency'] > 0 }"),  # the same member, spelled differently
        ("$size", "[ip, user, size]"),
        ("$3", "[ip, user, ...]"),
        ("$3", "[ip, user,]"),  # DECISIONS P13: a trailing comma adds an unnamed slot, $3
        ("$1", "[]"),
    ],
)
def test_valid_metric_values(value, pattern):
    assert found(metric_filter([transformation(metricValue=value)], filterPattern=pattern)) == []


@pytest.mark.parametrize(
    ("mf", "path", "message"),
    [
        pytest.param(
            metric_filter(applyOnTransformedLogs=True), "metricFilters[0].applyOnTransformedLogs",
            "applyOnTransformedLogs is true, but log transformers are not simulated: the filter runs on "
            "the original events", id="applyOnTransformedLogs"),
        pytest.param(
            metric_filter(filterPattern="{ $.status = 200 }"),
            "metricFilters[0].metricTransformations[0].metricValue",
            "metricValue '$.latency' names a field that the filter pattern does not mention; the AWS CDK "
            "advises matching it in the pattern, for example $.latency = *", id="metricValue-not-in-pattern"),
        pytest.param(
            metric_filter([transformation(metricValue="$2")], filterPattern="[ip, user, size]"),
            "metricFilters[0].metricTransformations[0].metricValue",
            "metricValue '$2' refers to field 2, which the pattern names 'user'; it is extracted as $user, "
            "not as $2", id="metricValue-position-of-named-field"),
        pytest.param(
            metric_filter([transformation(metricValue="$.items[*].ms")], filterPattern="{ $.items[*].ms > 0 }"),
            "metricFilters[0].metricTransformations[0].metricValue",
            "metricValue '$.items[*].ms' uses a wildcard selector; the service does not say which of the "
            "values it reaches is used", id="metricValue-wildcard"),
    ],
)
def test_warnings(mf, path, message):
    assert found(mf) == [(path, message, "warning")]


def test_warnings_do_not_stop_loading(tmp_path):
    path = write(tmp_path, "w.json", json.dumps({"metricFilters": [metric_filter(applyOnTransformedLogs=True)]}))
    seen: list[ConfigIssue] = []
    config = load_config([path], on_warning=seen.append)
    assert config.metric_filters[0].apply_on_transformed_logs is True
    assert [(i.path, i.severity, i.line) for i in seen] == [
        ("metricFilters[0].applyOnTransformedLogs", "warning", 1)]


# --------------------------------------------------------------------------- config-wide checks


def test_at_most_100_filters_per_log_group():
    filters = [metric_filter(filterName=f"f{i:03}") for i in range(100)]
    other_group = metric_filter(filterName="f000", logGroupName="other")
    assert found(*filters, other_group) == []
    extra = metric_filter(filterName="f100")
    assert found(*filters, extra, other_group) == [
        ("metricFilters[100].logGroupName",
         "Too many metric filters for log group 'g': 101 (at most 100 per log group)", "error")]


def test_P7_at_most_five_regex_filters_per_log_group():
    regexes = ["%ERROR%", "{ $.a = %x+% }", "[w1 = %WARN%, ...]", "{ $.b = %y% }", "%FATAL%"]
    filters = [metric_filter([transformation(metricValue="1")], filterName=f"r{i}", filterPattern=p)
               for i, p in enumerate(regexes)]
    no_regex = metric_filter(filterName="plain")
    elsewhere = metric_filter([transformation(metricValue="1")], filterName="r9", filterPattern="%X%",
                              logGroupName="other")
    assert found(*filters, no_regex, elsewhere) == []
    sixth = metric_filter([transformation(metricValue="1")], filterName="r5", filterPattern="%PANIC%")
    seventh = metric_filter([transformation(metricValue="1")], filterName="r6", filterPattern="[a = %Z%]")
    assert found(*filters, no_regex, sixth, elsewhere, seventh) == [
        ("metricFilters[6].filterPattern",
         "Too many metric filters with a regex for log group 'g': 7 (at most 5 per log group)", "error")]


def test_duplicate_filter_name_in_one_log_group():
    same_name_other_group = metric_filter(logGroupName="h")
    issues = list(iter_config_issues({"metricFilters": [metric_filter(), same_name_other_group, metric_filter()]},
                                     source="a.yaml"))
    assert [(i.path, i.message) for i in issues] == [
        ("metricFilters[2].filterName",
         "Duplicate metric filter: 'f' in log group 'g' is already defined at metricFilters[0], a.yaml")]


def test_many_faults_are_all_reported_at_once(tmp_path):
    doc = {"metricFilters": [
        metric_filter(filterName="a:b", filterPattern="{ $.x = ", logGroupName="bad group"),
        metric_filter([transformation(metricName="", metricValue="length", unit="Cnt")], filterName="ok1"),
        metric_filter([transformation(), transformation()], filterName="ok2", applyOnTransformedLogs=True),
        metric_filter([transformation(defaultValue=0, dimensions={"Env": "Prod"})], filterName="ok3"),
        metric_filter(filterName="a:b", filterPattern="{ $.x = ", logGroupName="bad group"),
        "not a filter",
        metric_filter(filterName="ok1"),
    ]}
    path = write(tmp_path, "many.json", json.dumps(doc, indent=2))
    with pytest.raises(ConfigError) as info:
        load_config([path])
    assert [i.path for i in info.value.issues] == [
        "metricFilters[5]",
        "metricFilters[0].filterName",
        "metricFilters[0].filterPattern",
        "metricFilters[0].logGroupName",
        "metricFilters[1].metricTransformations[0].metricName",
        "metricFilters[1].metricTransformations[0].metricValue",
        "metricFilters[1].metricTransformations[0].unit",
        "metricFilters[2].metricTransformations",
        "metricFilters[3].metricTransformations[0].dimensions",
        "metricFilters[3].metricTransformations[0].dimensions.Env",
        "metricFilters[4].filterName",
        "metricFilters[4].filterPattern",
        "metricFilters[4].logGroupName",
        # config-wide checks come last: [4] repeats [0] and [6] repeats [1]
        "metricFilters[4].filterName",
        "metricFilters[6].filterName",
    ]
    assert all(i.severity == "error" and i.source == str(path) for i in info.value.issues)
    # check_config also lists the warning that load_config leaves out of the error.
    assert [i.path for i in check_config([path]) if i.severity == "warning"] == [
        "metricFilters[2].applyOnTransformedLogs"]
    text = str(info.value)
    assert all(str(i) in text for i in info.value.issues)
    assert isinstance(info.value, EngineError)


# --------------------------------------------------------------------------- lines


YAML_WITH_FAULTS = """\
# two filters, faults on known lines
metricFilters:
  - filterName: "bad:name"
    filterPattern: '{ $.latency = * }'
    logGroupName: MyApp
    metricTransformations:
      - metricName: Latency
        metricNamespace: MyApp
        metricValue: $.latency
        unit: Millis
  - filterName: second
    filterPattern: ERROR
    metricTransformations:
      - metricNamespace: MyApp
        metricValue: 1
        dimensions:
          Env: $.env
"""


def test_yaml_issues_carry_the_line_of_the_offending_key(tmp_path):
    path = write(tmp_path, "lines.yaml", YAML_WITH_FAULTS)
    assert [(i.path, i.line) for i in check_config([path])] == [
        ("metricFilters[0].filterName", 3),
        ("metricFilters[0].metricTransformations[0].unit", 10),
        # a missing key is reported on the line of the mapping that lacks it
        ("metricFilters[1].metricTransformations[0].metricName", 14),
        ("metricFilters[1].metricTransformations[0].dimensions", 16),
    ]


JSON_WITH_FAULTS = """\
{
  "metricFilters": [
    {
      "filterName": "ok",
      "filterPattern": "[ip, user, size]",
      "metricTransformations": [
        {"metricName": "Bytes", "metricNamespace": "App", "metricValue": "$bytes"}
      ]
    },
    {
      "filterName": "second",
      "filterPattern": "{ $.a = 1",
      "logGroupName": "App",
      "metricTransformations": [
        {
          "metricName": "A",
          "metricNamespace": "App",
          "metricValue": "1",
          "unit": "Cnt"
        }
      ]
    }
  ]
}
"""


def test_json_issues_carry_the_line_of_the_offending_key(tmp_path):
    path = write(tmp_path, "lines.json", JSON_WITH_FAULTS)
    issues = check_config([path])
    assert [(i.path, i.line) for i in issues] == [
        ("metricFilters[0].metricTransformations[0].metricValue", 7),
        ("metricFilters[1].filterPattern", 12),
        ("metricFilters[1].metricTransformations[0].unit", 19),
    ]
    assert str(issues[1]).startswith(f"{path}:12: metricFilters[1].filterPattern: If a filter pattern")


def test_json_syntax_error_has_line_and_column(tmp_path):
    text = '{\n  "metricFilters": [\n    {"filterName": "a" "filterPattern": ""}\n  ]\n}\n'
    path = write(tmp_path, "broken.json", text)
    (issue,) = check_config([path])
    # Line 3 is `    {"filterName": "a" "filterPattern": ""}`: the second key starts at column 24.
    assert (issue.path, issue.line, issue.column) == ("", 3, 24)
    assert issue.message == "Invalid JSON: Expecting ',' delimiter"
    assert str(issue) == f"{path}:3:24: Invalid JSON: Expecting ',' delimiter"
    with pytest.raises(ConfigError) as info:
        load_config([path])
    assert info.value.issues == [issue]


def test_yaml_syntax_error_has_line_and_column(tmp_path):
    text = "metricFilters:\n  - filterName: a\n    filterPattern: b\n   bad: indentation\n"
    path = write(tmp_path, "broken.yaml", text)
    (issue,) = check_config([path])
    assert (issue.line, issue.column) == (4, 4)
    assert issue.message.startswith("Invalid YAML: ")


def test_missing_file_is_an_issue(tmp_path):
    missing = tmp_path / "nope.yaml"
    assert [(i.source, i.message) for i in check_config([missing])] == [
        (str(missing), "Cannot read the file: No such file or directory")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The configuration is empty"),
        ("# nothing\n", "The configuration is empty"),
        ("just text\n", "This is not a cwfilter configuration: expected metricFilters, MetricAlarms or "
                        "CompositeAlarms (the output of aws logs describe-metric-filters or aws cloudwatch "
                        "describe-alarms), or PutMetricFilter requests; got a str"),
        ("alarms: []\n", "This is not a cwfilter configuration: expected metricFilters, MetricAlarms or "
                         "CompositeAlarms (the output of aws logs describe-metric-filters or aws cloudwatch "
                         "describe-alarms), or PutMetricFilter requests"),
    ],
)
def test_documents_that_are_not_configs(tmp_path, text, message):
    path = write(tmp_path, "odd.yaml", text)
    assert [(i.path, i.message) for i in check_config([path])] == [("", message)]


def test_collection_that_is_not_a_list():
    assert [(i.path, i.message) for i in iter_config_issues({"metricFilters": {"filterName": "a"}})] == [
        ("metricFilters", "metricFilters must be a list, not dict")]


def test_json_content_in_a_yaml_file_and_yaml_only_json(tmp_path):
    doc = {"metricFilters": [metric_filter()]}
    as_json = write(tmp_path, "config.yaml", json.dumps(doc))
    # A trailing comma is not JSON, but YAML's flow style reads it (the file is not named .json).
    lenient = write(tmp_path, "config.conf", json.dumps(doc)[:-1] + ",}")
    assert load_config([as_json]) == load_config([lenient])


def test_1e3_is_a_number_in_yaml(tmp_path):
    path = write(tmp_path, "num.yaml", (
        "filterName: f\nfilterPattern: ERROR\nmetricTransformations:\n"
        "  - {metricName: m, metricNamespace: ns, metricValue: '1', defaultValue: 1e3}\n"))
    assert load_config([path]).metric_filters[0].transformation.default_value == 1000.0


# --------------------------------------------------------------------------- merging and stdin


def test_several_files_merge(tmp_path):
    first = write(tmp_path, "a.json", json.dumps({"metricFilters": [metric_filter(filterName="a")]}))
    second = write(tmp_path, "b.yaml", "metricFilters:\n  - filterName: b\n    filterPattern: ERROR\n"
                                       "    metricTransformations:\n"
                                       "      - {metricName: m, metricNamespace: ns, metricValue: 1}\n")
    config = load_config([first, second])
    assert [(f.filter_name, f.log_group_name) for f in config.metric_filters] == [("a", "g"), ("b", None)]


def test_duplicate_across_files_names_both_places(tmp_path):
    first = write(tmp_path, "a.json", json.dumps({"metricFilters": [metric_filter()]}, indent=2))
    second = write(tmp_path, "b.yaml", "- filterName: f\n  logGroupName: g\n  filterPattern: ERROR\n"
                                       "  metricTransformations:\n"
                                       "    - {metricName: m, metricNamespace: ns, metricValue: 1}\n")
    with pytest.raises(ConfigError) as info:
        load_config([first, second])
    (issue,) = info.value.issues
    assert (issue.source, issue.line, issue.path) == (str(second), 1, "[0].filterName")
    assert issue.message == (f"Duplicate metric filter: 'f' in log group 'g' is already defined at "
                             f"metricFilters[0], {first}:3")  # the line where that filter's mapping opens


def test_stdin(monkeypatch):
    text = DESCRIBE_FILTERS_YAML.read_text(encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8")), encoding="utf-8"))
    assert load_config(["-"]) == load_config([DESCRIBE_FILTERS_JSON])


def test_stdin_issues_are_named_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("filterName: 'a*'\nfilterPattern: ERROR\n"
                                                  "metricTransformations: [{metricName: m, "
                                                  "metricNamespace: n, metricValue: '1'}]\n"))
    (issue,) = check_config(["-"])
    assert (issue.source, issue.line, issue.path) == ("<stdin>", 1, "filterName")


# --------------------------------------------------------------------------- alarms


def test_alarm_issues_get_document_paths_and_lines(tmp_path):
    doc = json.loads(DESCRIBE_ALARMS_JSON.read_text(encoding="utf-8"))
    doc["MetricAlarms"][1]["Period"] = 61
    path = write(tmp_path, "alarms.json", json.dumps(doc, indent=1))
    issues = check_config([path])
    assert [i.path for i in issues] == ["MetricAlarms[1].Period"]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[issues[0].line - 1].strip() == '"Period": 61,'


def test_duplicate_alarm_names_and_unknown_composite_children():
    doc = json.loads(DESCRIBE_ALARMS_JSON.read_text(encoding="utf-8"))
    doc["MetricAlarms"].append(copy.deepcopy(doc["MetricAlarms"][0]))
    doc["CompositeAlarms"][0]["AlarmRule"] = "ALARM(error-rate) AND NOT OK(missing-alarm)"
    assert [(i.path, i.message) for i in iter_config_issues(doc, source="x.json")] == [
        ("MetricAlarms[3].AlarmName",
         "Duplicate alarm name 'console-signin-without-mfa': already defined at MetricAlarms[0], x.json"),
        ("CompositeAlarms[0].AlarmRule",
         "AlarmRule names the alarm 'missing-alarm', which the configuration does not define"),
    ]


def test_alarm_that_is_not_a_mapping():
    assert [(i.path, i.message) for i in iter_config_issues({"MetricAlarms": ["cpu-high"]})] == [
        ("MetricAlarms[0]", "An alarm must be a mapping, not str")]


# --------------------------------------------------------------------------- errors module


def test_config_issue_rendering():
    assert str(ConfigIssue("metricFilters[3].filterPattern", "bad", "c.yaml", 12)) == (
        "c.yaml:12: metricFilters[3].filterPattern: bad")
    assert str(ConfigIssue("a", "careful", "c.yaml", 2, "warning")) == "c.yaml:2: a: warning: careful"
    assert str(ConfigIssue("", "Invalid JSON: x", "c.json", 3, "error", 7)) == "c.json:3:7: Invalid JSON: x"
    assert str(ConfigIssue("a.b", "m")) == "a.b: m"
    assert str(ConfigIssue("a.b", "m", None, 4)) == "line 4: a.b: m"
    assert str(ConfigIssue("", "m", "c.yaml")) == "c.yaml: m"


def test_config_error_lists_every_issue():
    issues = [ConfigIssue("x", "one", "a.yaml", 1), ConfigIssue("y", "two\n  caret", "a.yaml", 2)]
    error = ConfigError(issues)
    assert error.issues == issues
    assert str(error) == "a.yaml:1: x: one\na.yaml:2: y: two\n  caret"


def test_yaml_documents_in_one_file_merge_and_keep_their_lines(tmp_path):
    path = write(tmp_path, "multi.yaml", (
        "---\n"
        "metricFilters:\n"
        "  - filterName: a\n"
        "    filterPattern: ERROR\n"
        "    metricTransformations: [{metricName: m, metricNamespace: n, metricValue: '1'}]\n"
        "---\n"
        "- filter_name: b\n"                      # attribute names are accepted too
        "  filter_pattern: WARN\n"
        "  metric_transformations: [{metric_name: m, metric_namespace: n, metric_value: '1', unit: Bad}]\n"
    ))
    assert [(i.path, i.line) for i in check_config([path])] == [("[0].metric_transformations[0].unit", 9)]
    path.write_text(path.read_text(encoding="utf-8").replace("unit: Bad", "unit: Count"), encoding="utf-8")
    assert [f.filter_name for f in load_config([path]).metric_filters] == ["a", "b"]


def test_json_lines_survive_escapes_and_nesting(tmp_path):
    text = (
        '{"metricFilters": [{"filterName": "q\\"uote", "filterPattern": "{ $.a = \\"x]}\\" }",\n'
        '  "metricTransformations": [{"metricName": "m", "metricNamespace": "n",\n'
        '    "metricValue": "1", "dimensions": {"A": [1, {"b": 2}]}}],\n'
        '  "logGroupName": "bad group"}]}\n'
    )
    path = write(tmp_path, "escapes.json", text)
    assert [(i.path, i.line) for i in check_config([path])] == [
        ("metricFilters[0].logGroupName", 4),
        ("metricFilters[0].metricTransformations[0].dimensions.A", 3),
    ]


# --------------------------------------------------------------------------- unknown keys

TRANSFORMATION_KEYS = "metricName, metricNamespace, metricValue, defaultValue, dimensions, unit"
FILTER_KEYS = ("logGroupName, filterName, filterPattern, metricTransformations, applyOnTransformedLogs, "
               "fieldSelectionCriteria, emitSystemFieldDimensions")


def _issues_at(data) -> dict[str, str]:
    return {issue.path: issue.message for issue in iter_config_issues(data) if issue.is_error}


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [("defaultVaule", "defaultValue"), ("dimension", "dimensions"), ("unti", "unit"), ("extra", None),
     ("MetricValue", "metricValue")],
)
def test_unknown_transformation_key_is_named_with_the_clients_text(key, suggestion):
    data = {"metricFilters": [metric_filter([transformation(**{key: 0})])]}
    issues = _issues_at(data)
    message = issues[f"metricFilters[0].metricTransformations[0].{key}"]
    expected = (f'Unknown parameter in metricTransformations[0]: "{key}", must be one of: '
                f"{TRANSFORMATION_KEYS}")
    if suggestion is not None:
        expected += f'; did you mean "{suggestion}"?'
    if key == "MetricValue":
        expected += " (a metric transformation takes camelCase keys, as the AWS API spells them)"
    assert message == expected
    assert len(issues) == 1


def test_misspelt_filter_pattern_is_named_as_well_as_missing():
    data = {"metricFilters": [metric_filter(filterPattern=DROP, filterPatern="ERROR")]}
    issues = _issues_at(data)
    assert issues["metricFilters[0].filterPatern"] == (
        f'Unknown parameter in input: "filterPatern", must be one of: {FILTER_KEYS}; '
        'did you mean "filterPattern"?')
    assert issues["metricFilters[0].filterPattern"] == 'Missing required parameter in input: "filterPattern"'


def test_section_in_the_other_casing_says_which_casing_it_takes():
    pascal = {"FilterName": "f", "FilterPattern": "ERROR",
              "MetricTransformations": [{"MetricName": "m", "MetricNamespace": "n", "MetricValue": "1"}]}
    issues = _issues_at({"metricFilters": [pascal]})
    assert issues["metricFilters[0].FilterPattern"].endswith(
        'did you mean "filterPattern"? (a metric filter takes camelCase keys, as the AWS API spells them)')
    alarm = {"alarmName": "a", "MetricName": "Errors", "Namespace": "App", "Statistic": "Sum", "Period": 60,
             "EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold"}
    issues = _issues_at({"MetricAlarms": [alarm]})
    assert issues["MetricAlarms[0].alarmName"].endswith(
        'did you mean "AlarmName"? (an alarm takes PascalCase keys, as the AWS API spells them)')


def test_unknown_keys_in_every_section():
    alarm = {"AlarmName": "a", "EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold",
             "TreatMisingData": "breaching", "Tags": [{"Key": "k", "Valu": "v"}],
             "Metrics": [{"Id": "m1", "ReturnData": True, "Lable": "x",
                          "MetricStat": {"Stat": "Sum", "Period": 60, "Units": "Count",
                                         "Metric": {"MetricName": "E", "Namespace": "App", "Dimension": [],
                                                    "Dimensions": [{"Name": "a", "Vaule": "b"}]}}}]}
    composite = {"AlarmName": "c", "AlarmRule": "ALARM(a)", "AlarmDescripton": "x"}
    data = {"metricFilters": [metric_filter(extraKey=1)], "MetricAlarms": [alarm], "CompositeAlarms": [composite],
            "metricFilter": [], "nextToken": "t", "NextToken": "t", "ResponseMetadata": {}}
    issues = _issues_at(data)
    expected = {
        "metricFilter": '"metricFilter", must be one of: metricFilters, MetricAlarms, CompositeAlarms; '
                        'did you mean "metricFilters"?',
        "metricFilters[0].extraKey": '"extraKey", must be one of: logGroupName,',
        "MetricAlarms[0].TreatMisingData": 'did you mean "TreatMissingData"?',
        "MetricAlarms[0].Tags[0].Valu": 'Unknown parameter in Tags[0]: "Valu", must be one of: Key, Value; '
                                        'did you mean "Value"?',
        "MetricAlarms[0].Metrics[0].Lable": 'in Metrics[0]: "Lable", must be one of: Id, MetricStat, Expression, '
                                            'Label, ReturnData, Period, AccountId; did you mean "Label"?',
        "MetricAlarms[0].Metrics[0].MetricStat.Units": 'in Metrics[0].MetricStat: "Units", must be one of: Metric, '
                                                       'Period, Stat, Unit; did you mean "Unit"?',
        "MetricAlarms[0].Metrics[0].MetricStat.Metric.Dimension": 'did you mean "Dimensions"?',
        "MetricAlarms[0].Metrics[0].MetricStat.Metric.Dimensions[0].Vaule": 'must be one of: Name, Value; did you '
                                                                            'mean "Value"?',
        "CompositeAlarms[0].AlarmDescripton": 'did you mean "AlarmDescription"?',
    }
    for path, fragment in expected.items():
        assert fragment in issues.get(path, ""), (path, issues.get(path))
        assert issues[path].startswith("Unknown parameter in "), issues[path]
    assert not any(path.endswith(("nextToken", "NextToken", "ResponseMetadata")) for path in issues)


def test_describe_output_keys_and_attribute_names_are_not_unknown():
    assert check_config([DESCRIBE_FILTERS_JSON]) == []
    assert check_config([DESCRIBE_ALARMS_JSON]) == []
    snake = {"filter_name": "f", "filter_pattern": "ERROR",
             "metric_transformations": [{"metric_name": "m", "metric_namespace": "n", "metric_value": "1"}]}
    assert _issues_at([snake]) == {}


def test_check_exits_2_naming_each_typo_with_path_and_suggestion(tmp_path):
    import subprocess

    config = tmp_path / "typos.yaml"
    config.write_text(
        "metricFilters:\n"
        "  - filterName: errors\n"
        "    filterPatern: '{ $.level = \"ERROR\" }'\n"
        "    filterPattern: '{ $.level = \"ERROR\" }'\n"
        "    metricTransformations:\n"
        "      - metricName: Errors\n"
        "        metricNamespace: App\n"
        "        metricValue: '1'\n"
        "        defaultVaule: 0\n"
        "        dimension: {Service: $.service}\n"
        "        unti: Count\n", encoding="utf-8")
    exe = Path(sys.executable).parent / "cwfilter"
    done = subprocess.run([str(exe), "check", str(config)], check=False, capture_output=True, text=True)
    assert done.returncode == 2, done.stderr
    out = done.stdout + done.stderr
    for line, path, suggestion in [
        (3, "metricFilters[0].filterPatern", "filterPattern"),
        (9, "metricFilters[0].metricTransformations[0].defaultVaule", "defaultValue"),
        (10, "metricFilters[0].metricTransformations[0].dimension", "dimensions"),
        (11, "metricFilters[0].metricTransformations[0].unti", "unit"),
    ]:
        key = path.rsplit(".", 1)[1]
        assert f'typos.yaml:{line}: {path}: Unknown parameter in ' in out, out
        assert f'"{key}", must be one of: ' in out and f'did you mean "{suggestion}"?' in out
