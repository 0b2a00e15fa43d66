"""Terraform and CloudFormation as public modules and template collections write them.

Each fixture is written for the test in the style of widely used CIS-alarm modules: ``for``
expressions feeding ``for_each``, local and registry module calls, the null-label ``context.tf``
convention, conditionals, heredocs, templates, variables as users pass them; CloudFormation pseudo
parameters, attributes known after deployment and generated names. `check` and `import` run as
subprocesses and must agree.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from cwfilter.engine.config.sources import check_sources, load_sources
from cwfilter.engine.errors import ConfigError

CWFILTER = Path(sys.executable).parent / ("cwfilter.exe" if os.name == "nt" else "cwfilter")

ROOT_USAGE = ('{ $.userIdentity.type = \\"Root\\" && $.userIdentity.invokedBy NOT EXISTS && '
              '$.eventType != \\"AwsServiceEvent\\" }')
ROOT_USAGE_TEXT = ROOT_USAGE.replace('\\"', '"')
NO_MFA = ('{ ($.eventName = \\"ConsoleLogin\\") && ($.additionalEventData.MFAUsed != \\"Yes\\") && '
          '($.userIdentity.type = \\"IAMUser\\") && ($.responseElements.ConsoleLogin = \\"Success\\") }')
TRAIL_CHANGES = ("{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || "
                 "($.eventName = StartLogging) || ($.eventName = StopLogging) }")


def cli(*args: Any, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "PY_COLORS"}}
    env.update({"NO_COLOR": "1", "COLUMNS": "300"})
    return subprocess.run([str(CWFILTER), *map(str, args)], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=120, check=False)


def files(base: Path, tree: dict[str, str]) -> Path:
    for name, text in tree.items():
        path = base / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return base


def summary(loaded) -> tuple[list, list]:
    filters = sorted((f.filter_name, f.log_group_name, f.filter_pattern,
                      f.metric_transformations[0].metric_namespace, f.metric_transformations[0].metric_name)
                     for f in loaded.config.metric_filters)
    alarms = sorted((a["AlarmName"], a.get("Namespace"), a.get("MetricName")) for a in loaded.config.metric_alarms)
    return filters, alarms


def agree(*args: Any, cwd: Path | None = None) -> tuple[subprocess.CompletedProcess, subprocess.CompletedProcess]:
    """`check` and `import` on the same sources: both succeed, or both fail."""
    checked = cli("check", "-o", "json", *args, cwd=cwd)
    imported = cli("import", "-o", "json", *args, cwd=cwd)
    assert "Traceback" not in checked.stderr + imported.stderr
    assert (checked.returncode == 0) == (imported.returncode == 0), (checked, imported)
    return checked, imported


# --------------------------------------------------------------------------- 1. for expressions, splat


CIS_MODULE = {
    "variables.tf": """\
        variable "create" {
          type    = bool
          default = true
        }
        variable "disabled_controls" {
          type    = list(string)
          default = []
        }
        variable "control_overrides" {
          type    = any
          default = {}
        }
        variable "name_prefix" {
          type    = string
          default = ""
        }
        variable "namespace" {
          type    = string
          default = "CISBenchmark"
        }
        variable "alarm_actions" {
          type    = list(string)
          default = []
        }
        """,
    "main.tf": f"""\
        locals {{
          all_controls = {{
            RootUsage = {{
              pattern     = "{ROOT_USAGE}"
              description = "Root account usage."
            }}
            NoMFAConsoleSignin = {{
              pattern     = "{NO_MFA}"
              description = "Console sign-in without MFA."
            }}
            CloudTrailCfgChanges = {{
              pattern = "{TRAIL_CHANGES}"
            }}
          }}
          prefix   = var.name_prefix
          controls = {{ for k, v in local.all_controls : k => merge(v, try(var.control_overrides[k], {{}})) if var.create && !contains(var.disabled_controls, k) }}
        }}

        resource "aws_cloudwatch_log_group" "trail" {{
          count = var.create ? 1 : 0
          name  = "cloudtrail-events"
        }}

        resource "aws_cloudwatch_log_metric_filter" "this" {{
          for_each = local.controls

          name           = "${{local.prefix}}${{each.key}}"
          pattern        = each.value["pattern"]
          log_group_name = lookup(each.value, "log_group_name", one(aws_cloudwatch_log_group.trail[*].name))

          metric_transformation {{
            name          = "${{local.prefix}}${{each.key}}"
            namespace     = lookup(each.value, "namespace", var.namespace)
            value         = 1
            default_value = 0
          }}
        }}

        resource "aws_cloudwatch_metric_alarm" "this" {{
          for_each = local.controls

          metric_name         = aws_cloudwatch_log_metric_filter.this[each.key].id
          namespace           = lookup(each.value, "namespace", var.namespace)
          alarm_name          = "${{local.prefix}}${{each.key}}"
          alarm_description   = lookup(each.value, "description", null)
          alarm_actions       = var.alarm_actions
          comparison_operator = lookup(each.value, "comparison_operator", "GreaterThanOrEqualToThreshold")
          evaluation_periods  = lookup(each.value, "evaluation_periods", 1)
          threshold           = lookup(each.value, "threshold", 1)
          period              = lookup(each.value, "period", 300)
          statistic           = lookup(each.value, "statistic", "Sum")
          treat_missing_data  = "notBreaching"
        }}

        output "filter_names" {{
          value = [for f in aws_cloudwatch_log_metric_filter.this : f.name]
        }}
        """,
}


def test_for_expressions_build_the_for_each_map(tmp_path):
    mod = files(tmp_path / "cis", CIS_MODULE)
    loaded = load_sources([str(mod)], {"disabled_controls": '["NoMFAConsoleSignin"]'})
    filters, alarms = summary(loaded)
    assert filters == [
        ("CloudTrailCfgChanges", "cloudtrail-events", TRAIL_CHANGES, "CISBenchmark", "CloudTrailCfgChanges"),
        ("RootUsage", "cloudtrail-events", ROOT_USAGE_TEXT, "CISBenchmark", "RootUsage")]
    assert alarms == [("CloudTrailCfgChanges", "CISBenchmark", "CloudTrailCfgChanges"),
                      ("RootUsage", "CISBenchmark", "RootUsage")]
    findings = check_sources([str(mod)], {"disabled_controls": '["NoMFAConsoleSignin"]'})
    assert [str(f) for f in findings] == []  # wired, and the benchmark's own texts draw no lint warning


def test_for_expression_overrides_and_prefix(tmp_path):
    mod = files(tmp_path / "cis", CIS_MODULE)
    loaded = load_sources([str(mod)], {"name_prefix": "prod-",
                                       "control_overrides": '{RootUsage = {namespace = "Security", threshold = 2}}'})
    filters, alarms = summary(loaded)
    assert [(f[0], f[3]) for f in filters] == [("prod-CloudTrailCfgChanges", "CISBenchmark"),
                                               ("prod-NoMFAConsoleSignin", "CISBenchmark"),
                                               ("prod-RootUsage", "Security")]
    assert [a for a in alarms if a[0] == "prod-RootUsage"] == [("prod-RootUsage", "Security", "prod-RootUsage")]
    assert [a["Threshold"] for a in loaded.config.metric_alarms if a["AlarmName"] == "prod-RootUsage"] == [2.0]


def test_for_expression_with_create_false_reads_nothing_in_check_and_import(tmp_path):
    mod = files(tmp_path / "cis", CIS_MODULE)
    checked, imported = agree(mod, "-p", "create=false")
    assert checked.returncode == imported.returncode == 2
    assert f"No metric filters or alarms in {mod}" in imported.stderr
    assert json.loads(checked.stdout)[-1]["message"] == f"No metric filters or alarms in {mod}"


# --------------------------------------------------------------------------- 2. module calls


def test_local_module_is_followed_and_registry_module_is_reported(tmp_path):
    files(tmp_path / "modules" / "cis-alarms", CIS_MODULE)
    root = files(tmp_path / "live", {
        "main.tf": """\
            module "cis" {
              source            = "../modules/cis-alarms"
              name_prefix       = "acme-"
              disabled_controls = ["NoMFAConsoleSignin", "CloudTrailCfgChanges"]
            }
            module "vendor" {
              source  = "terraform-aws-modules/cloudwatch/aws//modules/cis-alarms"
              version = "~> 5.0"
            }
            """})
    checked, imported = agree(root)
    assert checked.returncode == imported.returncode == 0
    doc = json.loads(imported.stdout)
    assert [f["filterName"] for f in doc["metricFilters"]] == ["acme-RootUsage"]
    assert [a["AlarmName"] for a in doc["MetricAlarms"]] == ["acme-RootUsage"]
    findings = json.loads(checked.stdout)
    assert [(f["code"], f["severity"], f["line"], f["message"]) for f in findings] == [
        ("CWF211", "warning", 6, ("module.vendor is not read: module.vendor comes from "
         "terraform-aws-modules/cloudwatch/aws//modules/cis-alarms, which cannot be fetched offline; point "
         "cwfilter at a local copy with --module-path vendor=DIR"))]
    # The local copy, given as the user would after `terraform init` or a git clone.
    loaded = load_sources([str(root)], module_paths={"vendor": str(tmp_path / "modules" / "cis-alarms")})
    assert sorted(f.filter_name for f in loaded.config.metric_filters) == [
        "CloudTrailCfgChanges", "NoMFAConsoleSignin", "RootUsage", "acme-RootUsage"]
    origin = loaded.origins[("metricFilters", 0)]
    assert origin.resource == 'module.cis.aws_cloudwatch_log_metric_filter.this["RootUsage"]'


def test_module_path_on_the_command_line(tmp_path):
    files(tmp_path / "vendored", CIS_MODULE)
    root = files(tmp_path / "live", {"main.tf": """\
        module "cis_alarms" {
          source  = "terraform-aws-modules/cloudwatch/aws//modules/cis-alarms"
          version = "~> 5.0"
          name_prefix = "x-"
        }
        """})
    checked, imported = agree(root, "--module-path", f"cis_alarms={tmp_path / 'vendored'}")
    assert checked.returncode == 0
    assert sorted(f["filterName"] for f in json.loads(imported.stdout)["metricFilters"]) == [
        "x-CloudTrailCfgChanges", "x-NoMFAConsoleSignin", "x-RootUsage"]


def test_registry_module_only_check_and_import_agree(tmp_path):
    root = files(tmp_path / "live", {"main.tf": """\
        module "cis_alarms" {
          source  = "terraform-aws-modules/cloudwatch/aws//modules/cis-alarms"
        }
        """})
    checked, imported = agree(root)
    assert checked.returncode == imported.returncode == 2


# --------------------------------------------------------------------------- 3. null-label context.tf


CONTEXT_MODULE = {
    "context.tf": """\
        module "this" {
          source  = "cloudposse/label/null"
          version = "0.25.0"

          enabled     = var.enabled
          namespace   = var.namespace
          environment = var.environment
          stage       = var.stage
          name        = var.name
          attributes  = var.attributes
          tags        = var.tags
          context     = var.context
        }
        variable "context" {
          type = any
          default = {
            enabled     = true
            namespace   = null
            environment = null
            stage       = null
            name        = null
            attributes  = []
            tags        = {}
            delimiter   = null
          }
        }
        variable "enabled" {
          type    = bool
          default = null
        }
        variable "namespace" {
          type    = string
          default = null
        }
        variable "environment" {
          type    = string
          default = null
        }
        variable "stage" {
          type    = string
          default = null
        }
        variable "name" {
          type    = string
          default = null
        }
        variable "attributes" {
          type    = list(string)
          default = []
        }
        variable "tags" {
          type    = map(string)
          default = {}
        }
        """,
    "main.tf": f"""\
        variable "metrics" {{
          type = map(object({{ metric_name = string, filter_pattern = string }}))
          default = {{
            root-usage = {{ metric_name = "RootUsage", filter_pattern = "{ROOT_USAGE}" }}
          }}
        }}
        locals {{
          enabled = module.this.enabled
          metrics = local.enabled ? var.metrics : {{}}
        }}
        resource "aws_cloudwatch_log_metric_filter" "default" {{
          for_each       = local.metrics
          name           = "${{module.this.id}}-${{each.key}}"
          pattern        = each.value.filter_pattern
          log_group_name = "${{module.this.id}}-trail"
          metric_transformation {{
            name      = each.value.metric_name
            namespace = module.this.id
            value     = "1"
          }}
        }}
        resource "aws_cloudwatch_metric_alarm" "default" {{
          for_each            = local.metrics
          alarm_name          = "${{module.this.id}}-${{each.key}}"
          namespace           = module.this.id
          metric_name         = each.value.metric_name
          comparison_operator = "GreaterThanOrEqualToThreshold"
          evaluation_periods  = 1
          period              = 300
          statistic           = "Sum"
          threshold           = 1
          tags                = module.this.tags
        }}
        """,
}


def test_null_label_outputs_are_computed_from_inputs(tmp_path):
    mod = files(tmp_path / "alarms", CONTEXT_MODULE)
    loaded = load_sources([str(mod)], {"namespace": "eg", "stage": "Prod", "name": "cis"})
    filters, alarms = summary(loaded)
    assert filters == [("eg-prod-cis-root-usage", "eg-prod-cis-trail", ROOT_USAGE_TEXT, "eg-prod-cis", "RootUsage")]
    assert alarms == [("eg-prod-cis-root-usage", "eg-prod-cis", "RootUsage")]


def test_null_label_disabled_reads_nothing(tmp_path):
    mod = files(tmp_path / "alarms", CONTEXT_MODULE)
    with pytest.raises(ConfigError, match="No metric filters or alarms"):
        load_sources([str(mod)], {"enabled": "false", "name": "cis"})


def test_null_label_says_which_input_to_pass(tmp_path):
    mod = files(tmp_path / "alarms", {**CONTEXT_MODULE, "context.tf": CONTEXT_MODULE["context.tf"].replace(
        "          context     = var.context\n", "          context     = var.context\n          tenant = var.tenant\n")
        + 'variable "tenant" {\n  type = string\n}\n'})
    messages = [f.message for f in check_sources([str(mod)]) if f.code == "CWF200"]
    assert messages[0].endswith("the null-label input tenant is unresolved (variable tenant has no default; give "
                                "--parameter tenant=VALUE); give it a value")


def test_null_label_strips_with_terraforms_regex_syntax_on_re2():
    from cwfilter.engine.config.sources.model import Unresolved
    from cwfilter.engine.config.sources.terraform import null_label

    # The module strips with Terraform's replace(): Go's RE2 syntax (\p{L}, which Python's re refuses).
    assert null_label({"name": "Café_Ops!", "regex_replace_chars": "/[^-\\p{L}0-9]/"}, "module.l")["id"] == "caféops"
    # A pattern that backtracks exponentially in Python's re runs in linear time.
    hostile = null_label({"name": "a" * 40 + "!", "regex_replace_chars": "/(a|aa)+$/"}, "module.l")
    assert hostile["id"] == "a" * 40 + "!"
    bad = null_label({"name": "x", "regex_replace_chars": "/(/"}, "module.l")["id"]
    assert isinstance(bad, Unresolved) and "invalid regular expression '('" in bad.reason


# --------------------------------------------------------------------------- 4. conditionals


def test_only_the_branch_taken_is_evaluated(tmp_path):
    mod = files(tmp_path / "m", {"main.tf": """\
        variable "names" {
          type    = list(string)
          default = []
        }
        variable "create_extra" {
          default = false
        }
        resource "aws_cloudwatch_log_metric_filter" "extra" {
          count          = var.create_extra ? 1 : 0
          name           = var.names[0]
          pattern        = "ERROR"
          log_group_name = "app"
          metric_transformation {
            name      = var.names[0]
            namespace = "App"
            value     = "1"
          }
        }
        resource "aws_cloudwatch_log_metric_filter" "main" {
          name           = length(var.names) > 0 ? var.names[0] : "errors"
          pattern        = "ERROR"
          log_group_name = "app"
          metric_transformation {
            name      = var.create_extra ? var.names[5] : "Errors"
            namespace = "App"
            value     = "1"
          }
        }
        """})
    findings = check_sources([str(mod)], lint_ignore=())
    assert [f for f in findings if f.is_error] == []
    assert summary(load_sources([str(mod)]))[0] == [("errors", "app", "ERROR", "App", "Errors")]
    # The branch taken still reports its own problem.
    bad = [(f.code, f.message.rsplit(": ", 1)[-1]) for f in check_sources([str(mod)], {"create_extra": "true"})
           if f.is_error]
    assert sorted(bad) == [("CWF200", "index 0 out of range"), ("CWF200", "index 0 out of range"),
                           ("CWF200", "index 5 out of range")]


# --------------------------------------------------------------------------- 5. heredocs, 6. templates


def test_heredocs_and_templates(tmp_path):
    mod = files(tmp_path / "m", {
        "main.tf": """\
            resource "aws_cloudwatch_log_metric_filter" "indented" {
              name           = "console-failures"
              log_group_name = "trail"
              pattern        = <<EOT
                { ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }
            EOT
              metric_transformation {
                name      = "ConsoleSigninFailures"
                namespace = "CIS"
                value     = "1"
              }
            }
            resource "aws_cloudwatch_log_metric_filter" "dash" {
              name           = "trail-changes"
              log_group_name = "trail"
              pattern        = <<-EOT
                { ($.eventName = CreateTrail) || ($.eventName = DeleteTrail) }
              EOT
              metric_transformation {
                name      = data.template_file.metric.rendered
                namespace = "CIS"
                value     = "1"
              }
            }
            resource "aws_cloudwatch_log_metric_filter" "templated" {
              name           = "kms"
              log_group_name = "trail"
              pattern        = templatefile("${path.module}/patterns/kms.tpl", { events = ["DisableKey", "ScheduleKeyDeletion"] })
              metric_transformation {
                name      = "DisableOrDeleteCMK"
                namespace = "CIS"
                value     = "1"
              }
            }
            data "template_file" "metric" {
              template = "$${prefix}Changes"
              vars     = { prefix = "CloudTrail" }
            }
            """,
        "patterns/kms.tpl": """\
            { ($.eventSource = kms.amazonaws.com) && (%{ for i, e in events }%{ if i > 0 } || %{ endif }($.eventName = ${e})%{ endfor }) }
            """})
    checked, imported = agree(mod)
    assert checked.returncode == 0
    doc = json.loads(imported.stdout)
    assert [(f["filterName"], f["filterPattern"], f["metricTransformations"][0]["metricName"])
            for f in doc["metricFilters"]] == [
        ("console-failures", '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }',
         "ConsoleSigninFailures"),
        ("trail-changes", "{ ($.eventName = CreateTrail) || ($.eventName = DeleteTrail) }", "CloudTrailChanges"),
        ("kms", ("{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || "
                "($.eventName = ScheduleKeyDeletion)) }"), "DisableOrDeleteCMK")]


# --------------------------------------------------------------------------- 7. variables as users pass them


def test_var_files_auto_tfvars_and_var_syntax(tmp_path):
    mod = files(tmp_path / "m", {
        "main.tf": """\
            variable "metrics" {
              type = map(object({ pattern = string }))
            }
            variable "log_group" {
              type = string
            }
            variable "namespace" {
              type = string
            }
            resource "aws_cloudwatch_log_metric_filter" "this" {
              for_each       = var.metrics
              name           = each.key
              pattern        = each.value.pattern
              log_group_name = var.log_group
              metric_transformation {
                name      = each.key
                namespace = var.namespace
                value     = "1"
              }
            }
            """,
        "defaults.auto.tfvars": 'log_group = "from-auto"\nnamespace = "Auto"\n',
        "prod.tfvars": 'namespace = "FromVarFile"\n'})
    loaded = load_sources([str(mod)], {"metrics": '{a={pattern="ERROR"}, b = {pattern = "WARN"}}'},
                          var_files=[str(mod / "prod.tfvars")])
    assert summary(loaded)[0] == [("a", "from-auto", "ERROR", "FromVarFile", "a"),
                                  ("b", "from-auto", "WARN", "FromVarFile", "b")]
    checked, imported = agree(mod, "-p", 'metrics={a={pattern="ERROR"}}', "--var-file", mod / "prod.tfvars")
    assert checked.returncode == 0
    assert [(f["filterName"], f["metricTransformations"][0]["metricNamespace"])
            for f in json.loads(imported.stdout)["metricFilters"]] == [("a", "FromVarFile")]


def test_rules_cis_check_takes_the_options_of_check(tmp_path):
    mod = files(tmp_path / "cis", CIS_MODULE)
    done = cli("rules", "cis", "--check", mod, "-p", "name_prefix=acme-", "-o", "json")
    assert (done.returncode, done.stderr) == (1, "")  # the module covers 3 of the 14 controls
    doc = json.loads(done.stdout)
    exact = {c["control"]: (c["filterName"], c["alarms"]) for c in doc["controls"] if c["status"] == "exact"}
    assert exact["CloudWatch.1"] == ("acme-RootUsage", ["acme-RootUsage"])
    assert doc["summary"] == {"controls": 14, "covered": 3}


# --------------------------------------------------------------------------- CloudFormation 8-10


CFN_ROOT = """\
    AWSTemplateFormatVersion: "2010-09-09"
    Resources:
      TrailLookup:
        Type: Custom::TrailLogGroup
        Properties:
          ServiceToken: !Sub "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:lookup"
      RootUsageFilter:
        Type: AWS::Logs::MetricFilter
        Properties:
          LogGroupName: !GetAtt TrailLookup.LogGroupName
          FilterPattern: '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }'
          MetricTransformations:
            - MetricName: RootUsage
              MetricNamespace: !Ref AWS::StackName
              MetricValue: "1"
      RootUsageAlarm:
        Type: AWS::CloudWatch::Alarm
        Properties:
          MetricName: RootUsage
          Namespace: !Sub "${AWS::StackName}"
          Statistic: Sum
          Period: 300
          EvaluationPeriods: 1
          Threshold: 1
          ComparisonOperator: GreaterThanOrEqualToThreshold
          AlarmActions: [!Sub "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:security"]
    """


def test_pseudo_parameters_and_attributes_known_after_deployment(tmp_path):
    files(tmp_path, {"cis.yaml": CFN_ROOT})
    findings = check_sources([str(tmp_path / "cis.yaml")])
    assert [(f.severity, f.code, f.message) for f in findings] == [
        ("note", "CWF200", ("pseudo parameters take placeholder values: AWS::StackName=teststack (give --parameter "
                           "NAME=VALUE for others)")),
        ("note", "CWF200", ("metric filter RootUsageFilter: logGroupName is !GetAtt TrailLookup.LogGroupName, known "
                           "only after deployment (attribute LogGroupName of TrailLookup is known only after "
                           "deployment); cwfilter calls it 'TrailLookup.LogGroupName' (bind inputs with "
                           "FILE@TrailLookup.LogGroupName)"))]
    loaded = load_sources([str(tmp_path / "cis.yaml")], {"TrailLookup.LogGroupName": "org-trail",
                                                         "AWS::StackName": "security"})
    assert summary(loaded) == ([("security-RootUsageFilter", "org-trail", ROOT_USAGE_TEXT, "security", "RootUsage")],
                               [("security-RootUsageAlarm", "security", "RootUsage")])
    checked, imported = agree(tmp_path / "cis.yaml")
    assert checked.returncode == imported.returncode == 0


def test_generated_names_are_unique_per_stack(tmp_path):
    files(tmp_path, {"a/cis.yaml": CFN_ROOT, "b/cis-eu.yaml": CFN_ROOT})
    findings = check_sources([str(tmp_path / "a" / "cis.yaml"), str(tmp_path / "b" / "cis-eu.yaml")])
    assert [f for f in findings if f.is_error or f.severity == "warning"] == []
    notes = [f.message for f in findings if f.severity == "note"]
    assert notes[-1].endswith("(2 times)")  # the same note for the same cause, once
    loaded = load_sources([str(tmp_path / "a" / "cis.yaml"), str(tmp_path / "b" / "cis-eu.yaml")])
    assert sorted(f.filter_name for f in loaded.config.metric_filters) == ["cis-RootUsageFilter",
                                                                           "cis-eu-RootUsageFilter"]
    assert sorted(a["AlarmName"] for a in loaded.config.metric_alarms) == ["cis-RootUsageAlarm",
                                                                           "cis-eu-RootUsageAlarm"]


def test_notes_carry_codes_in_sarif(tmp_path):
    files(tmp_path, {"cis.yaml": CFN_ROOT})
    done = cli("check", "-o", "sarif", tmp_path / "cis.yaml")
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)["runs"][0]["results"]
    assert sorted((r["ruleId"], r["level"]) for r in results) == [("CWF200", "note"), ("CWF200", "note")]


# --------------------------------------------------------------------------- 11-13. findings users trust


def test_the_cis_pack_passes_check_strict(tmp_path):
    pack = cli("rules", "cis")
    assert pack.returncode == 0
    (tmp_path / "pack.yaml").write_text(pack.stdout, encoding="utf-8")
    done = cli("check", "--strict", tmp_path / "pack.yaml")
    assert (done.returncode, done.stdout) == (0, ""), done.stdout + done.stderr


def test_json_pattern_quoted_in_a_heredoc_is_caught(tmp_path):
    mod = files(tmp_path / "m", {"main.tf": """\
        resource "aws_cloudwatch_log_metric_filter" "root" {
          name           = "root"
          log_group_name = "trail"
          pattern        = <<-EOT
            "{ $.userIdentity.type = \\"Root\\" }"
          EOT
          metric_transformation {
            name      = "RootUsage"
            namespace = "CIS"
            value     = "1"
          }
        }
        """})
    [finding] = [f for f in check_sources([str(mod)]) if f.code == "CWF109"]
    assert finding.line == 4
    assert finding.message.startswith(
        "this is a term pattern, not a JSON pattern: a JSON pattern must start with '{' and end with '}'")
    assert finding.message.endswith('suggestion: { $.userIdentity.type = "Root" }')


@pytest.mark.parametrize("pattern,quiet", [
    ('{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }', True),
    ('{ $.userIdentity.type = "Root" && $.eventType != "AwsServiceEvent" }', True),
    ('{ $.level != "debug" }', False),
])
def test_cwf104_knows_what_cloudtrail_always_writes(pattern, quiet):
    from cwfilter.engine.authoring.lint import lint_pattern

    assert ([f.code for f in lint_pattern(pattern)] == []) is quiet


def test_import_writes_the_trimmed_heredoc(tmp_path):
    mod = files(tmp_path / "m", {"main.tf": """\
        resource "aws_cloudwatch_log_metric_filter" "x" {
          name           = "x"
          log_group_name = "app"
          pattern        = <<EOT

              ERROR

        EOT
          metric_transformation {
            name      = "Errors"
            namespace = "App"
            value     = "1"
          }
        }
        """})
    imported = cli("import", mod)
    assert imported.returncode == 0, imported.stderr
    assert yaml.safe_load(imported.stdout)["metricFilters"][0]["filterPattern"] == "ERROR"


def test_yaml_config_module_and_unknown_log_group_name(tmp_path):
    # The catalog-of-YAML convention: metrics from YAML files through cloudposse/config/yaml, a log
    # group whose name is known only after apply, and the CIS module called with both.
    files(tmp_path / "module", {
        "main.tf": """\
            variable "metrics" {
              type    = any
              default = {}
            }
            variable "log_group_name" {
              type = string
            }
            resource "aws_cloudwatch_log_metric_filter" "default" {
              for_each       = var.metrics
              name           = each.value.metric_name
              pattern        = each.value.filter_pattern
              log_group_name = var.log_group_name
              metric_transformation {
                name      = each.value.metric_name
                namespace = each.value.metric_namespace
                value     = each.value.metric_value
              }
            }
            """})
    files(tmp_path / "catalog", {"cis.yaml": """\
        use-of-root-account-count:
          metric_name: "UseOfRootAccountCount"
          filter_pattern:
            '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}'
          metric_namespace: "CISBenchmark"
          metric_value: "1"
        """})
    root = files(tmp_path / "example", {
        "main.tf": """\
            resource "random_pet" "this" {}
            resource "aws_cloudwatch_log_group" "default" {
              name = "trail-${random_pet.this.id}"
            }
            module "metric_configs" {
              source  = "cloudposse/config/yaml"
              version = "0.7.0"

              map_config_local_base_path = path.module
              map_config_paths           = var.metrics_paths
            }
            module "cis_alarms" {
              source         = "../module"
              log_group_name = aws_cloudwatch_log_group.default.name
              metrics        = module.metric_configs.map_configs
            }
            variable "metrics_paths" {
              type = list(string)
            }
            """,
        "fixtures.tfvars": 'metrics_paths = ["../catalog/*.yaml"]\n'})
    checked, imported = agree(root, "--var-file", root / "fixtures.tfvars")
    assert checked.returncode == 0, checked.stdout
    [f] = json.loads(imported.stdout)["metricFilters"]
    assert (f["filterName"], f["logGroupName"]) == ("UseOfRootAccountCount", "aws_cloudwatch_log_group.default")
    assert [(x["severity"], x["code"], x["message"]) for x in json.loads(checked.stdout)] == [
        ("note", "CWF200", ("log group aws_cloudwatch_log_group.default has a name known only after apply "
                           '("trail-${random_pet.this.id}": random_pet.this.id is known only after apply); '
                           "cwfilter calls it 'aws_cloudwatch_log_group.default' (bind inputs with "
                           "FILE@aws_cloudwatch_log_group.default)"))]
