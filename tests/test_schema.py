"""JSON Schemas of the config and scenario formats (`cwfilter schema`): valid Draft 2020-12, and they
agree with the readers on what the project ships and on misspelled keys."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cwfilter
import jsonschema
import pytest
import yaml
from cwfilter.engine import schema as schemas
from cwfilter.engine.testing import cis
from cwfilter.engine.testing.scenario import ScenarioError, load_scenario

CWFILTER = Path(sys.executable).parent / ("cwfilter.exe" if os.name == "nt" else "cwfilter")
REPO = Path(__file__).resolve().parent.parent
CIS_SCENARIOS = REPO / "engine" / "testing" / "cis_data" / "scenarios"

# Native configs the project ships, meant to be valid (sources such as CloudFormation are not
# config files; examples/broken.yaml is broken on purpose).
SHIPPED_CONFIGS = [
    "examples/errors.yaml",
    "examples/orders-api/monitoring/metric-filters.yaml",
    "examples/orders-api/monitoring/cloudtrail-alarms.yaml",
    "examples/orders-api/monitoring/alarms.yaml",
    "tests/fixtures/config/describe-alarms.json",
    "tests/fixtures/config/describe-metric-filters.yaml",
    "tests/fixtures/config/describe-metric-filters.json",
    "tests/fixtures/report/config.yaml",
    "tests/fixtures/sources/agent/filters.yaml",
]
SHIPPED_SCENARIOS = [
    "examples/orders-api/monitoring/tests/test_orders_api.cwfilter.yaml",
    "tests/fixtures/scenarios/failing.yaml",
    "tests/fixtures/scenarios/json_api.yaml",
    "tests/fixtures/scenarios/checkout.yaml",
    *sorted(str(p.relative_to(REPO)) for p in CIS_SCENARIOS.glob("*.yaml")),
]


def schema_cli(kind: str) -> dict:
    done = subprocess.run([str(CWFILTER), "schema", kind], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def config_validator():
    schema = schema_cli("config")
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="module")
def scenario_validator():
    schema = schema_cli("scenario")
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


class Yaml12Loader(yaml.SafeLoader):
    """YAML as editors read it (YAML 1.2's core schema): a timestamp is a string."""


Yaml12Loader.yaml_implicit_resolvers = {
    k: [(tag, regexp) for tag, regexp in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read(path: Path):
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if path.suffix == ".json" else yaml.load(text, Loader=Yaml12Loader)


def errors(validator, data) -> list[str]:
    return [e.message for e in validator.iter_errors(data)]


def test_schemas_name_draft_2020_12_and_their_published_address():
    for kind in schemas.KINDS:
        schema = schema_cli(kind)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["$id"] == schemas.schema_url(kind)
        assert schema == schemas.schema(kind)


@pytest.mark.parametrize("name", SHIPPED_CONFIGS)
def test_config_schema_accepts_every_shipped_config(config_validator, name):
    path = REPO / name
    assert cwfilter.load_config([path])  # the reader agrees that the file is valid
    assert errors(config_validator, read(path)) == []


@pytest.mark.parametrize("version", cis.VERSIONS)
def test_config_schema_accepts_every_rule_pack(config_validator, version):
    done = subprocess.run([str(CWFILTER), "rules", "cis", "--version", version, "-o", "json"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    pack = json.loads(done.stdout)
    assert pack["metricFilters"] and pack["MetricAlarms"]
    assert errors(config_validator, pack) == []


@pytest.mark.parametrize("name", SHIPPED_SCENARIOS)
def test_scenario_schema_accepts_every_shipped_scenario(scenario_validator, name):
    path = REPO / name
    load_scenario(path)  # valid for the reader too
    assert errors(scenario_validator, read(path)) == []


def misspell(data: dict, old: str, new: str) -> dict:
    return {(new if k == old else k): v for k, v in data.items()}


@pytest.mark.parametrize(("where", "old", "new"), [
    ("top", "metricFilters", "metricFilter"),
    ("top", "MetricAlarms", "MetricAlarm"),
    ("filter", "filterPattern", "filterPatern"),
    ("filter", "metricTransformations", "metricTransformation"),
    ("transformation", "metricName", "metricname"),
    ("alarm", "Threshold", "Treshold"),
])
def test_config_schema_rejects_a_misspelled_key_as_check_does(config_validator, tmp_path, where, old, new):
    data = read(REPO / "examples/errors.yaml")
    if where == "top":
        data = misspell(data, old, new)
    elif where == "filter":
        data["metricFilters"][0] = misspell(data["metricFilters"][0], old, new)
    elif where == "transformation":
        f = data["metricFilters"][0]
        f["metricTransformations"][0] = misspell(f["metricTransformations"][0], old, new)
    else:
        data["MetricAlarms"][0] = misspell(data["MetricAlarms"][0], old, new)
    assert errors(config_validator, data)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    done = subprocess.run([str(CWFILTER), "check", str(path)], capture_output=True, text=True, check=False)
    assert done.returncode == 2 and new in done.stdout + done.stderr


def test_config_schema_rejects_wrong_types(config_validator):
    data = read(REPO / "examples/errors.yaml")
    data["metricFilters"][0]["filterName"] = 12
    assert errors(config_validator, data)
    assert errors(config_validator, {"metricFilters": "not a list"})
    assert errors(config_validator, {"nextToken": "x"})  # no collection at all


@pytest.mark.parametrize(("key", "value"), [("Threshold", "5"), ("Period", "60"), ("ActionsEnabled", "true"),
                                            ("TreatMissingData", "notbreaching"), ("Statistic", "sum")])
def test_config_schema_rejects_wrong_alarm_values_as_check_does(config_validator, tmp_path, key, value):
    data = read(REPO / "examples/errors.yaml")
    data["MetricAlarms"][0][key] = value
    assert errors(config_validator, data)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    done = subprocess.run([str(CWFILTER), "check", str(path)], capture_output=True, text=True, check=False)
    assert done.returncode == 2 and f"MetricAlarms[0].{key}" in done.stdout


def test_config_schema_accepts_describe_output_and_bare_requests(config_validator):
    request = read(REPO / "examples/errors.yaml")["metricFilters"][0]
    assert errors(config_validator, request) == []
    assert errors(config_validator, [request, request]) == []
    described = {"metricFilters": [{**request, "creationTime": 1714564800000}], "nextToken": "abc"}
    assert errors(config_validator, described) == []


@pytest.mark.parametrize(("path", "old", "new"), [
    ((), "tests", "test"),
    (("tests", 0), "events", "event"),
    (("tests", 0, "alarms", 0), "state", "sate"),
])
def test_scenario_schema_rejects_a_misspelled_key_as_unit_does(scenario_validator, tmp_path, path, old, new):
    source = REPO / "tests/fixtures/scenarios/checkout.yaml"
    data = read(source)
    holder = data
    for part in path:
        holder = holder[part]
    renamed = misspell(holder, old, new)
    holder.clear()
    holder.update(renamed)
    assert errors(scenario_validator, data)
    target = tmp_path / "scenario.yaml"
    target.write_text(yaml.safe_dump(data), encoding="utf-8")
    for name in ("checkout.log", "errors.yaml"):
        if (source.parent / name).exists():
            (tmp_path / name).write_bytes((source.parent / name).read_bytes())
    with pytest.raises(ScenarioError, match=new):
        load_scenario(target)


def test_scenario_models_have_the_readers_keys():
    for model, keys in schemas.SCENARIO_KEY_TABLES.items():
        fields = [f.alias or name for name, f in model.model_fields.items()]
        assert sorted(fields) == sorted(keys), model.__name__
