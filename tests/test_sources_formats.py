"""Reading metric filters and alarms from CloudFormation (YAML, JSON), CDK output, Terraform and plans.

The five fixtures under tests/fixtures/sources describe one deployment (CloudTrail security
monitoring) in each format; they must all yield the same filters and alarms. Every item keeps its
origin, and every value that cannot be resolved without deploying is reported, never guessed.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from cwfilter.engine.config.sources import check_sources, detect, load_sources, parse_parameters
from cwfilter.engine.errors import ConfigError
from cwfilter.grammar.alarm_rule import parse_alarm_rule

SOURCES = Path(__file__).parent / "fixtures" / "sources"
CFN_YAML = SOURCES / "cloudtrail-alarms.yaml"
CFN_JSON = SOURCES / "cloudtrail-alarms.json"
CDK_OUT = SOURCES / "cdk.out"
TF_MODULE = SOURCES / "terraform"
TF_PLAN = SOURCES / "terraform-plan.json"
ALL = [CFN_YAML, CFN_JSON, CDK_OUT, TF_MODULE, TF_PLAN]

# What the deployment defines, written out by hand from the templates (not computed by cwfilter).
ROOT_PATTERN = ('{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && '
                '$.eventType !="AwsServiceEvent"}')
EXPECTED_FILTERS = [
    {"filterName": "prod-assume-role",
     "filterPattern": '{ $.eventSource = "sts.amazonaws.com" && $.eventName = "AssumeRole" }',
     "logGroupName": "/org/cloudtrail",
     "metricTransformations": [{"metricName": "AssumeRoleCalls", "metricNamespace": "Security/CloudTrail",
                                "metricValue": "1", "defaultValue": 0.0}]},
    {"filterName": "prod-root-usage", "filterPattern": ROOT_PATTERN, "logGroupName": "/org/cloudtrail",
     "metricTransformations": [{"metricName": "RootAccountUsage", "metricNamespace": "Security/CloudTrail",
                                "metricValue": "1"}]},
    {"filterName": "prod-s3-data-access",
     "filterPattern": '{ ($.eventSource = "s3.amazonaws.com") && (($.eventName = "GetObject") || '
                      '($.eventName = "ListObjects")) }',
     "logGroupName": "/org/cloudtrail",
     "metricTransformations": [{"metricName": "S3DataAccess", "metricNamespace": "Security/CloudTrail",
                                "metricValue": "1", "dimensions": {"Bucket": "$.requestParameters.bucketName"},
                                "unit": "Count"}]},
]
_ALARM = {"Namespace": "Security/CloudTrail", "Statistic": "Sum", "ComparisonOperator": "GreaterThanOrEqualToThreshold",
          "TreatMissingData": "notBreaching"}
EXPECTED_ALARMS = [
    {**_ALARM, "AlarmName": "prod-assume-role-burst", "MetricName": "AssumeRoleCalls", "Period": 60,
     "EvaluationPeriods": 3, "DatapointsToAlarm": 2, "Threshold": 2.0},
    {**_ALARM, "AlarmName": "prod-cis-root-usage", "AlarmDescription": "CIS 4.3 - the root user was used",
     "MetricName": "RootAccountUsage", "Period": 300, "EvaluationPeriods": 1, "Threshold": 1.0},
    {**_ALARM, "AlarmName": "prod-s3-exfiltration", "MetricName": "S3DataAccess", "Period": 300,
     "EvaluationPeriods": 1, "Threshold": 5.0,
     "Dimensions": [{"Name": "Bucket", "Value": "mordors3stack-s3bucket-llp2yingx64a"}]},
]


def _alarm_names(rule: str) -> list[str]:
    # DECISIONS A12: an alarm's ARN and its name are the same alarm.
    return sorted(name.rsplit(":alarm:", 1)[-1] for name in parse_alarm_rule(rule).alarm_names)


def normalised(loaded):
    cfg = loaded.config
    filters = sorted((f.model_dump(by_alias=True, exclude_none=True, exclude_defaults=True)
                      for f in cfg.metric_filters), key=lambda f: f["filterName"])
    alarms = []
    for a in cfg.metric_alarms:
        # Actions hold ARNs known only after deployment (kept as written); ActionsEnabled true and
        # TreatMissingData "missing" are the API's defaults.
        a = {k: v for k, v in a.items() if k not in ("AlarmActions", "OKActions", "InsufficientDataActions")}
        if a.get("ActionsEnabled") is True:
            del a["ActionsEnabled"]
        alarms.append(dict(sorted(a.items())))
    alarms.sort(key=lambda a: a["AlarmName"])
    composites = [(c["AlarmName"], _alarm_names(c["AlarmRule"])) for c in cfg.composite_alarms]
    return filters, alarms, composites


@pytest.mark.parametrize("source", ALL, ids=lambda p: p.name)
def test_every_format_yields_the_same_filters_and_alarms(source):
    filters, alarms, composites = normalised(load_sources([str(source)]))
    assert filters == EXPECTED_FILTERS
    assert alarms == [dict(sorted(a.items())) for a in EXPECTED_ALARMS]
    assert composites == [("prod-security-incident", ["prod-cis-root-usage", "prod-s3-exfiltration"])]


@pytest.mark.parametrize("source", ALL, ids=lambda p: p.name)
def test_the_fixtures_are_clean(source):
    findings = check_sources([str(source)], lint_ignore=["CWF104"])
    assert [str(f) for f in findings] == []


@pytest.mark.parametrize("source,kind", [
    (CFN_YAML, "cloudformation"), (CFN_JSON, "cloudformation"), (CDK_OUT, "cloudformation"),
    (TF_MODULE, "terraform"), (TF_MODULE / "main.tf", "terraform"), (TF_PLAN, "terraform-plan"),
    (SOURCES / "agent" / "amazon-cloudwatch-agent.json", "agent"), (SOURCES / "agent" / "filters.yaml", "native"),
], ids=lambda v: v.name if isinstance(v, Path) else v)
def test_sources_are_detected_by_content(source, kind):
    assert detect(str(source)) == kind


def test_cloudformation_origins_have_file_line_and_logical_id():
    loaded = load_sources([str(CFN_YAML)])
    origin = loaded.origins[("metricFilters", 1)]
    assert (origin.file, origin.line, origin.resource, origin.kind) == (str(CFN_YAML), 61, "S3DataAccessFilter",
                                                                        "cloudformation")
    assert origin.field(("metricTransformations", 0, "dimensions", "Bucket")) == (
        "Resources.S3DataAccessFilter.Properties.MetricTransformations[0].Dimensions[0]", 73)
    assert loaded.origins[("CompositeAlarms", 0)].describe() == f"SecurityIncidentAlarm ({CFN_YAML}:134)"


def test_cdk_origins_carry_the_construct_path():
    loaded = load_sources([str(CDK_OUT)])
    origin = loaded.origins[("metricFilters", 0)]
    assert origin.kind == "cdk"
    assert origin.describe() == ("RootUsageFilterA41F5E0C [SecurityMonitoringStack/RootUsageFilter/Resource] "
                                 f"({CDK_OUT / 'SecurityMonitoringStack.template.json'}:49)")


def test_terraform_origins_are_addresses_with_lines():
    loaded = load_sources([str(TF_MODULE)])
    names = {o.resource: (Path(o.file).name, o.line) for o in loaded.origins.values()}
    assert names['aws_cloudwatch_log_metric_filter.cloudtrail["s3-data-access"]'] == ("main.tf", 55)
    assert names["aws_cloudwatch_metric_alarm.s3_exfiltration"] == ("main.tf", 86)
    origin = loaded.origins[("MetricAlarms", 1)]
    assert origin.field(("Threshold",)) == ("aws_cloudwatch_metric_alarm.s3_exfiltration.threshold", 96)


def test_plan_origins_are_addresses_without_lines():
    loaded = load_sources([str(TF_PLAN)])
    origin = loaded.origins[("metricFilters", 0)]
    assert (origin.file, origin.line, origin.resource) == (
        str(TF_PLAN), None, 'aws_cloudwatch_log_metric_filter.cloudtrail["root-usage"]')


def test_parameters_override_defaults_in_templates_and_modules():
    params = parse_parameters(["Environment=staging", "S3AccessThreshold=12"])
    cfn = load_sources([str(CFN_YAML)], params).config
    assert [a["AlarmName"] for a in cfn.metric_alarms] == [
        "staging-cis-root-usage", "staging-s3-exfiltration", "staging-assume-role-burst"]
    assert cfn.metric_alarms[1]["Threshold"] == 12.0
    # Fn::If on the IsProd condition: no actions outside prod.
    assert "AlarmActions" not in cfn.metric_alarms[1]
    tf = load_sources([str(TF_MODULE)], parse_parameters(["environment=staging", "s3_access_threshold=12"])).config
    assert sorted(a["AlarmName"] for a in tf.metric_alarms) == [
        "staging-assume-role-burst", "staging-cis-root-usage", "staging-s3-exfiltration"]
    assert [a["Threshold"] for a in tf.metric_alarms if a["AlarmName"] == "staging-s3-exfiltration"] == [12.0]


def test_an_unknown_parameter_is_reported():
    findings = check_sources([str(CFN_YAML)], {"Enviroment": "staging"}, lint_ignore=["CWF104"])
    assert [str(f) for f in findings] == [
        "warning: --parameter Enviroment: no source declares a parameter or variable named Enviroment"]


def test_parse_parameters_refuses_entries_without_a_value():
    with pytest.raises(ValueError, match="--parameter takes KEY=VALUE, not 'Environment'"):
        parse_parameters(["Environment"])


# --------------------------------------------------------------------------- unresolved values


@pytest.fixture
def write(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def write(name: str, text: str) -> str:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return name
    return write


FILTER_RESOURCE = """\
Resources:
  Errors:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: {group}
      FilterPattern: ERROR
      MetricTransformations:
        - {{MetricName: Errors, MetricNamespace: App, MetricValue: "1"}}
"""


def cwf200(findings):
    return [str(f) for f in findings if f.code == "CWF200"]


def test_unresolved_parameter_without_default(write):
    t = write("t.yaml", "Parameters:\n  Group: {Type: String}\n" + FILTER_RESOURCE.format(group="!Ref Group"))
    assert cwf200(check_sources([t])) == [
        "t.yaml:7: Resources.Errors.Properties.LogGroupName: CWF200 metric filter Errors: logGroupName is "
        "!Ref Group, which cannot be resolved without deploying: parameter Group has no Default; give "
        "--parameter Group=VALUE"]
    with pytest.raises(ConfigError) as info:
        load_sources([t])
    assert "parameter Group has no Default" in str(info.value)
    assert load_sources([t], {"Group": "/app"}).config.metric_filters[0].log_group_name == "/app"


def test_pseudo_parameter_takes_a_placeholder(write):
    t = write("t.yaml", FILTER_RESOURCE.format(group="!Sub '/app/${AWS::Region}'"))
    assert cwf200(check_sources([t])) == [
        "t.yaml: note: CWF200 pseudo parameters take placeholder values: AWS::Region=us-east-1 (give --parameter "
        "NAME=VALUE for others)"]
    assert load_sources([t]).config.metric_filters[0].log_group_name == "/app/us-east-1"
    loaded = load_sources([t], {"AWS::Region": "eu-west-1"})
    assert loaded.config.metric_filters[0].log_group_name == "/app/eu-west-1"


def test_unresolved_ssm_parameter(write):
    t = write("t.yaml", "Parameters:\n  Group: {Type: 'AWS::SSM::Parameter::Value<String>', Default: /cfg/group}\n"
              + FILTER_RESOURCE.format(group="!Ref Group"))
    assert cwf200(check_sources([t])) == [
        "t.yaml:7: Resources.Errors.Properties.LogGroupName: CWF200 metric filter Errors: logGroupName is "
        "!Ref Group, which cannot be resolved without deploying: parameter Group is read from SSM Parameter "
        "Store at deploy time; give --parameter Group=VALUE"]


def test_unresolved_import_value(write):
    t = write("t.yaml", FILTER_RESOURCE.format(group="!ImportValue shared-log-group"))
    assert cwf200(check_sources([t])) == [
        "t.yaml:5: Resources.Errors.Properties.LogGroupName: note: CWF200 metric filter Errors: logGroupName is "
        "!ImportValue \"shared-log-group\", known only after deployment (Fn::ImportValue is not resolved "
        "statically); cwfilter calls it '!ImportValue \"shared-log-group\"' (bind inputs with "
        "FILE@!ImportValue \"shared-log-group\")"]


def test_unresolved_attribute_of_a_resource(write):
    t = write("t.yaml", FILTER_RESOURCE.format(group="!GetAtt Stream.Arn") + """\
  Stream:
    Type: AWS::Kinesis::Stream
    Properties: {ShardCount: 1}
""")
    assert cwf200(check_sources([t])) == [
        "t.yaml:5: Resources.Errors.Properties.LogGroupName: note: CWF200 metric filter Errors: logGroupName is "
        "!GetAtt Stream.Arn, known only after deployment (attribute Arn of Stream is known only after "
        "deployment); cwfilter calls it 'Stream.Arn' (bind inputs with FILE@Stream.Arn)"]
    assert load_sources([t], {"Stream.Arn": "/from/stream"}).config.metric_filters[0].log_group_name == \
        "/from/stream"


def test_unresolved_resource_condition(write):
    t = write("t.yaml", """\
        Conditions:
          InEurope: !Equals [!Ref "AWS::Region", eu-west-1]
        Resources:
          Errors:
            Type: AWS::Logs::MetricFilter
            Condition: InEurope
            Properties:
              LogGroupName: /app
              FilterPattern: ERROR
              MetricTransformations:
                - {MetricName: Errors, MetricNamespace: App, MetricValue: "1"}
        """)
    # The placeholder region (us-east-1) decides the condition: nothing is created, in check as in load.
    assert [str(f) for f in check_sources([t])] == [
        "t.yaml: note: CWF200 pseudo parameters take placeholder values: AWS::Region=us-east-1 (give --parameter "
        "NAME=VALUE for others)", "No metric filters or alarms in t.yaml"]
    with pytest.raises(ConfigError, match="No metric filters or alarms"):
        load_sources([t], {"AWS::Region": "us-east-1"})  # the condition is false: nothing is created
    assert len(load_sources([t], {"AWS::Region": "eu-west-1"}).config.metric_filters) == 1


def test_generated_log_group_name_is_a_note(write):
    t = write("t.yaml", FILTER_RESOURCE.format(group="!Ref AppLogs") + """\
  AppLogs:
    Type: AWS::Logs::LogGroup
    Properties: {RetentionInDays: 7}
""")
    findings = check_sources([t])
    assert [str(f) for f in findings] == [
        "t.yaml:9: Resources.AppLogs: note: CWF200 log group AppLogs has no LogGroupName, so CloudFormation "
        "generates its name at deploy time; cwfilter calls it 'AppLogs' (bind inputs with FILE@AppLogs)"]
    assert load_sources([t]).config.metric_filters[0].log_group_name == "AppLogs"


def test_unresolved_values_in_actions_are_kept_as_written(write):
    t = write("t.yaml", """\
        Resources:
          Topic: {Type: AWS::SNS::Topic}
          High:
            Type: AWS::CloudWatch::Alarm
            Properties:
              Namespace: App
              MetricName: Errors
              Statistic: Sum
              Period: 60
              EvaluationPeriods: 1
              Threshold: 1
              ComparisonOperator: GreaterThanOrEqualToThreshold
              AlarmActions: [!Ref Topic, !Sub "arn:aws:sns:${AWS::Region}:${AWS::AccountId}:oncall"]
        """)
    assert check_sources([t]) == []
    alarm = load_sources([t]).config.metric_alarms[0]
    assert alarm["AlarmActions"] == ["!Ref Topic", "!Sub 'arn:aws:sns:${AWS::Region}:${AWS::AccountId}:oncall'"]
    assert alarm["AlarmName"] == "t-High"  # no AlarmName: generated from the stack (file) and logical ID


TF_FILTER = """\
resource "aws_cloudwatch_log_metric_filter" "errors" {{
  name           = "errors"
  pattern        = "ERROR"
  log_group_name = {group}
  metric_transformation {{
    name      = "Errors"
    namespace = "App"
    value     = "1"
  }}
}}
"""


def test_unresolved_terraform_variable_without_default(write):
    write("mod/variables.tf", 'variable "log_group" {\n  type = string\n}\n')
    write("mod/main.tf", TF_FILTER.format(group="var.log_group"))
    assert cwf200(check_sources(["mod"])) == [
        "mod/main.tf:4: aws_cloudwatch_log_metric_filter.errors.log_group_name: CWF200 metric filter "
        "aws_cloudwatch_log_metric_filter.errors: logGroupName is var.log_group, which cannot be resolved without "
        "deploying: variable log_group has no default; give --parameter log_group=VALUE"]
    assert load_sources(["mod"], {"log_group": "/app"}).config.metric_filters[0].log_group_name == "/app"


def test_terraform_tfvars_set_variables(write):
    write("mod/variables.tf", 'variable "log_group" {\n  type = string\n}\n')
    write("mod/main.tf", TF_FILTER.format(group="var.log_group"))
    write("mod/terraform.tfvars", 'log_group = "/from/tfvars"\n')
    assert load_sources(["mod/main.tf"]).config.metric_filters[0].log_group_name == "/from/tfvars"


def test_unresolved_terraform_data_source(write):
    write("mod/main.tf", TF_FILTER.format(group="data.aws_cloudwatch_log_group.shared.name"))
    assert cwf200(check_sources(["mod"])) == [
        "mod/main.tf:4: aws_cloudwatch_log_metric_filter.errors.log_group_name: CWF200 metric filter "
        "aws_cloudwatch_log_metric_filter.errors: logGroupName is data.aws_cloudwatch_log_group.shared.name, which "
        "cannot be resolved without deploying: data.aws_cloudwatch_log_group.shared is read from AWS at plan time"]


def test_unresolved_terraform_module_output(write):
    write("mod/main.tf", TF_FILTER.format(group="module.logging.group_name") + 'module "logging" {\n  source = "./logging"\n}\n')
    findings = check_sources(["mod"])
    assert cwf200(findings) == [
        "mod/main.tf:4: aws_cloudwatch_log_metric_filter.errors.log_group_name: CWF200 metric filter "
        "aws_cloudwatch_log_metric_filter.errors: logGroupName is module.logging.group_name, which cannot be "
        "resolved without deploying: mod/logging holds no .tf files"]
    assert "mod/main.tf:11: module.logging: warning: CWF211 module.logging is not read: mod/logging holds no .tf " \
        "files" in [str(f) for f in findings]


def test_terraform_for_expression_is_evaluated(write):
    write("mod/main.tf", TF_FILTER.format(group='[for g in ["a", "b"] : upper(g) if g != "a"][0]'))
    loaded = load_sources(["mod"])
    assert [f.log_group_name for f in loaded.config.metric_filters] == ["B"]


def test_unresolved_value_known_only_after_apply_in_a_plan(write):
    plan = json.loads(TF_PLAN.read_text(encoding="utf-8"))
    for change in plan["resource_changes"]:
        if change["address"] == 'aws_cloudwatch_log_metric_filter.cloudtrail["root-usage"]':
            change["change"]["after_unknown"]["log_group_name"] = True
    for res in plan["planned_values"]["root_module"]["resources"]:
        if res["address"] == 'aws_cloudwatch_log_metric_filter.cloudtrail["root-usage"]':
            del res["values"]["log_group_name"]
    p = write("plan.json", json.dumps(plan))
    assert cwf200(check_sources([p], lint_ignore=["CWF104"])) == [
        'plan.json: aws_cloudwatch_log_metric_filter.cloudtrail["root-usage"].log_group_name: CWF200 metric filter '
        'aws_cloudwatch_log_metric_filter.cloudtrail["root-usage"]: logGroupName is '
        'aws_cloudwatch_log_metric_filter.cloudtrail["root-usage"].log_group_name, which cannot be resolved without '
        "deploying: terraform marks it known only after apply"]


def test_unresolved_agent_placeholder(write):
    agent = write("agent.json", '{"logs": {"logs_collected": {"files": {"collect_list": ['
                                '{"file_path": "/var/log/app.log", "log_group_name": "/app/{instance_id}"}]}}}}')
    config = write("c.yaml", "metricFilters: []\n")
    findings = check_sources([config, agent])
    assert [str(f) for f in findings if f.source == "agent.json"] == [
        "agent.json:1: logs.logs_collected.files.collect_list[0].log_group_name: {instance_id} is known only on "
        "the instance; give --parameter instance_id=VALUE"]


def test_invalid_hcl_is_reported_with_its_line(write):
    write("mod/main.tf", 'resource "aws_cloudwatch_log_metric_filter" "x" {\n  name = \n}\n')
    [finding] = check_sources(["mod"])
    assert (finding.source, finding.severity, finding.message.startswith("Invalid HCL")) == (
        str(Path("mod") / "main.tf"), "error", True)
    assert finding.line is not None


def test_a_directory_without_sources_is_an_error(write):
    write("empty/readme.txt", "nothing here\n")
    assert [str(f) for f in check_sources(["empty"])] == [
        "empty: A directory is a source when it holds a Terraform module (.tf files) or cdk synth output "
        "(*.template.json)"]
