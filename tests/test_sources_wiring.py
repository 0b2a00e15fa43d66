"""Wiring checks (CWF201-CWF210): one test per check, each with the exact finding text.

Every config is written to a file in a temporary directory that the test runs in, so that the
file names in the messages are the short names given here.
"""

from __future__ import annotations

import textwrap

import pytest
from cwfilter.engine.config.sources import check_sources

COUNT_FILTER = """\
  - filterName: errors
    logGroupName: /app/checkout
    filterPattern: '{ $.level = "ERROR" }'
    metricTransformations:
      - {metricName: Errors, metricNamespace: Checkout, metricValue: "1", dimensions: {Service: $.service}}
"""


def alarm(name: str, **fields) -> str:
    body = {"AlarmName": name, "Namespace": "Checkout", "MetricName": "Errors", "Statistic": "Sum", "Period": 60,
            "EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "Dimensions": "[{Name: Service, Value: checkout}]"}
    body.update(fields)
    lines = [f"  - AlarmName: {body.pop('AlarmName')}"] + [f"    {k}: {v}" for k, v in body.items() if v is not None]
    return "\n".join(lines) + "\n"


@pytest.fixture
def write(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def write(name: str, text: str) -> str:
        (tmp_path / name).write_text(textwrap.dedent(text), encoding="utf-8")
        return name
    return write


def coded(findings, code):
    return [str(f) for f in findings if f.code == code]


def test_wiring_is_quiet_when_filter_and_alarm_match(write):
    config = write("ok.yaml", "metricFilters:\n" + COUNT_FILTER + "MetricAlarms:\n" + alarm("errors-high"))
    findings = check_sources([config], lint_ignore=["CWF104"])
    assert [f for f in findings if f.code and f.code.startswith("CWF2")] == []


def test_cwf201_error_when_a_filter_publishes_a_near_identical_metric(write):
    # The alarm leaves out the filter's dimension: CloudWatch has no such metric (virtualjj#5's kind of miss).
    config = write("c.yaml", "metricFilters:\n" + COUNT_FILTER + "MetricAlarms:\n" + alarm("errors-any", Dimensions=None))
    findings = check_sources([config])
    assert coded(findings, "CWF201") == [
        "c.yaml:10: MetricAlarms[0].MetricName: CWF201 alarm 'errors-any' (MetricAlarms[0], c.yaml:8) watches "
        "Checkout/Errors with no dimensions, which no metric filter publishes: filter 'errors' "
        "(metricFilters[0], c.yaml:2) publishes Checkout/Errors with dimensions [Service]"]
    assert [f.severity for f in findings if f.code == "CWF201"] == ["error"]


def test_cwf201_error_for_another_namespace(write):
    config = write("c.yaml", "metricFilters:\n" + COUNT_FILTER + "MetricAlarms:\n"
                   + alarm("errors-high", Namespace="CheckoutService"))
    assert coded(check_sources([config]), "CWF201") == [
        "c.yaml:10: MetricAlarms[0].MetricName: CWF201 alarm 'errors-high' (MetricAlarms[0], c.yaml:8) watches "
        "CheckoutService/Errors with dimensions [Service], which no metric filter publishes: filter 'errors' "
        "(metricFilters[0], c.yaml:2) publishes Checkout/Errors with dimensions [Service]"]


def test_cwf201_warning_when_nothing_like_it_is_published(write):
    config = write("c.yaml", "metricFilters:\n" + COUNT_FILTER + "MetricAlarms:\n"
                   + alarm("orders-low", Namespace="Shop", MetricName="Orders", Dimensions=None))
    findings = [f for f in check_sources([config]) if f.code == "CWF201"]
    assert [str(f) for f in findings] == [
        "c.yaml:10: MetricAlarms[0].MetricName: warning: CWF201 alarm 'orders-low' (MetricAlarms[0], c.yaml:8) "
        "watches Shop/Orders with no dimensions, which no metric filter in scope publishes; unless something "
        "else publishes it, the alarm stays in INSUFFICIENT_DATA"]


def test_cwf201_leaves_aws_namespaces_alone(write):
    config = write("c.yaml", "metricFilters:\n" + COUNT_FILTER + "MetricAlarms:\n"
                   + alarm("errors-high") + alarm("cpu", Namespace="AWS/EC2", MetricName="CPUUtilization",
                                                  Dimensions=None, Statistic="Average"))
    assert coded(check_sources([config]), "CWF201") == []


def test_cwf202_filter_metric_not_watched(write):
    other = COUNT_FILTER.replace("errors", "warnings").replace("ERROR", "WARN").replace("Errors", "Warnings")
    config = write("c.yaml", "metricFilters:\n" + COUNT_FILTER + other + "MetricAlarms:\n" + alarm("errors-high"))
    assert coded(check_sources([config]), "CWF202") == [
        "c.yaml:11: metricFilters[1].metricTransformations[0]: warning: CWF202 filter 'warnings' (metricFilters[1], "
        "c.yaml:7) publishes Checkout/Warnings with dimensions [Service], which no alarm in scope watches"]


def test_cwf202_needs_an_alarm_in_scope(write):
    config = write("c.yaml", "metricFilters:\n" + COUNT_FILTER)
    assert coded(check_sources([config]), "CWF202") == []


def test_cwf203_average_of_a_count(write):
    config = write("c.yaml", "metricFilters:\n" + COUNT_FILTER + "MetricAlarms:\n"
                   + alarm("errors-high", Statistic="Average"))
    assert coded(check_sources([config]), "CWF203") == [
        "c.yaml:11: MetricAlarms[0].Statistic: warning: CWF203 alarm 'errors-high' (MetricAlarms[0], c.yaml:8) "
        "evaluates Average of Checkout/Errors with dimensions [Service], which filter 'errors' (metricFilters[0], "
        "c.yaml:2) publishes as a count (metricValue 1): every sample is 1, so Average does not grow with the "
        "number of matches; use Sum"]


def test_cwf203_not_for_a_measured_value(write):
    measured = COUNT_FILTER.replace('metricValue: "1"', "metricValue: $.ms")
    config = write("c.yaml", "metricFilters:\n" + measured + "MetricAlarms:\n"
                   + alarm("latency", Statistic=None, ExtendedStatistic="p99"))
    assert coded(check_sources([config], lint_ignore=["CWF104"]), "CWF203") == []


def test_cwf204_period_below_a_minute(write):
    config = write("c.yaml", "metricFilters:\n" + COUNT_FILTER + "MetricAlarms:\n" + alarm("errors-high", Period=10))
    assert coded(check_sources([config]), "CWF204") == [
        "c.yaml:12: MetricAlarms[0].Period: warning: CWF204 alarm 'errors-high' (MetricAlarms[0], c.yaml:8) has a "
        "Period of 10 seconds on Checkout/Errors with dimensions [Service], which filter 'errors' "
        "(metricFilters[0], c.yaml:2) publishes at one-minute resolution: most 10-second periods hold no data"]


def test_cwf205_dimensions_on_a_term_pattern(write):
    config = write("c.yaml", """\
        metricFilters:
          - filterName: bytes
            logGroupName: web
            filterPattern: 'GET'
            metricTransformations:
              - {metricName: Requests, metricNamespace: Web, metricValue: "1", dimensions: {status: $status}}
        """)
    assert coded(check_sources([config]), "CWF205") == [
        "c.yaml:6: metricFilters[0].metricTransformations[0].dimensions: CWF205 The specified filter pattern does "
        "not support dimensions"]


def test_cwf206_dimensions_with_default_value(write):
    config = write("c.yaml", """\
        metricFilters:
          - filterName: errors
            logGroupName: app
            filterPattern: '{ $.level = "ERROR" }'
            metricTransformations:
              - {metricName: Errors, metricNamespace: App, metricValue: "1", defaultValue: 0,
                 dimensions: {Service: $.service}}
        """)
    assert coded(check_sources([config]), "CWF206") == [
        "c.yaml:7: metricFilters[0].metricTransformations[0].dimensions: CWF206 Invalid metric transformation: "
        "dimensions and default value are mutually exclusive properties"]


def test_cwf207_metric_value_neither_number_nor_field(write):
    # cfn-lint#1525: `MetricValue: length` passes lint and ValidateTemplate, then fails at deploy.
    config = write("c.yaml", """\
        metricFilters:
          - filterName: sizes
            logGroupName: app
            filterPattern: '{ $.length > 0 }'
            metricTransformations:
              - {metricName: Size, metricNamespace: App, metricValue: length}
        """)
    assert coded(check_sources([config]), "CWF207") == [
        "c.yaml:6: metricFilters[0].metricTransformations[0].metricValue: CWF207 Invalid metricValue 'length': use "
        "a number, or a field of the event ($.field for a JSON pattern, $name for a space-delimited one)"]


def test_cwf208_more_than_five_regex_filters_on_a_log_group(write):
    filters = "".join(f"""\
  - filterName: r{i}
    logGroupName: app
    filterPattern: '%ERROR{i}%'
    metricTransformations:
      - {{metricName: R{i}, metricNamespace: App, metricValue: "1"}}
""" for i in range(6))
    config = write("c.yaml", "metricFilters:\n" + filters)
    assert coded(check_sources([config], lint_ignore=["CWF106"]), "CWF208") == [
        "c.yaml:29: metricFilters[5].filterPattern: CWF208 Too many metric filters with a regex for log group "
        "'app': 6 (at most 5 per log group)"]


def test_cwf209_filter_not_on_the_trail_log_group(write):
    # mondoo cnspec#3675: the remediation put the filter on a log group CloudTrail never writes to.
    template = write("t.yaml", """\
        Resources:
          TrailLogs:
            Type: AWS::Logs::LogGroup
            Properties: {LogGroupName: /org/cloudtrail}
          Trail:
            Type: AWS::CloudTrail::Trail
            Properties:
              TrailName: org-trail
              IsLogging: true
              S3BucketName: trail-archive
              CloudWatchLogsLogGroupArn: !GetAtt TrailLogs.Arn
          RootFilter:
            Type: AWS::Logs::MetricFilter
            Properties:
              FilterName: root-usage
              LogGroupName: cloudtrail-logs
              FilterPattern: '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}'
              MetricTransformations:
                - {MetricName: RootAccountUsage, MetricNamespace: CIS, MetricValue: "1"}
          RootAlarm:
            Type: AWS::CloudWatch::Alarm
            Properties:
              AlarmName: root-usage
              Namespace: CIS
              MetricName: RootAccountUsage
              Statistic: Sum
              Period: 300
              EvaluationPeriods: 1
              Threshold: 1
              ComparisonOperator: GreaterThanOrEqualToThreshold
        """)
    assert coded(check_sources([template]), "CWF209") == [
        "t.yaml:16: Resources.RootFilter.Properties.LogGroupName: warning: CWF209 filter 'root-usage' "
        "(RootFilter, t.yaml:12) matches CloudTrail events but is on log group 'cloudtrail-logs'; CloudTrail "
        "trail 'org-trail' (t.yaml:5) delivers to '/org/cloudtrail', so alarm 'root-usage' (RootAlarm, t.yaml:20) "
        "never sees them"]


def test_cwf209_filter_on_a_group_the_agent_does_not_write(write):
    agent = write("agent.json", """\
        {"logs": {"logs_collected": {"files": {"collect_list": [
          {"file_path": "/var/log/app.log", "log_group_name": "/app/checkout"}]}}}}
        """)
    config = write("c.yaml", "metricFilters:\n" + COUNT_FILTER.replace("/app/checkout", "/app/chekout"))
    assert coded(check_sources([config, agent]), "CWF209") == [
        "c.yaml:3: metricFilters[0].logGroupName: warning: CWF209 filter 'errors' (metricFilters[0], c.yaml:2) is "
        "on log group '/app/chekout', which no source in scope writes to; the CloudWatch agent writes to "
        "'/app/checkout'"]
    fixed = write("d.yaml", "metricFilters:\n" + COUNT_FILTER)
    assert coded(check_sources([fixed, agent]), "CWF209") == []


def test_cwf210_cis_pattern_missing_a_condition(write):
    config = write("c.yaml", """\
        metricFilters:
          - filterName: root-usage
            logGroupName: cloudtrail
            filterPattern: '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }'
            metricTransformations:
              - {metricName: RootAccountUsage, metricNamespace: CIS, metricValue: "1"}
        """)
    assert coded(check_sources([config]), "CWF210") == [
        "c.yaml:4: metricFilters[0].filterPattern: warning: CWF210 filter 'root-usage' (metricFilters[0], c.yaml:2) "
        "has a pattern close to AWS Security Hub controls CloudWatch.1 (A log metric filter and alarm should exist "
        "for usage of the \"root\" user), but not the benchmark's text: missing $.eventType != \"AwsServiceEvent\". "
        "The benchmark's text is: {$.userIdentity.type=\"Root\" && $.userIdentity.invokedBy NOT EXISTS && "
        "$.eventType !=\"AwsServiceEvent\"}"]


def test_cwf210_quiet_when_only_spacing_outside_quotes_differs(write):
    # `rules cis --check` counts this as the benchmark's text; so does CWF210.
    config = write("c.yaml", """\
        metricFilters:
          - filterName: trail-changes
            logGroupName: cloudtrail
            filterPattern: '{($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }'
            metricTransformations:
              - {metricName: CloudTrailChanges, metricNamespace: CIS, metricValue: "1"}
        """)
    assert [f for f in check_sources([config]) if f.code == "CWF210"] == []


def test_cwf210_same_pattern_other_parentheses(write):
    config = write("c.yaml", """\
        metricFilters:
          - filterName: trail-changes
            logGroupName: cloudtrail
            filterPattern: '{$.eventName = CreateTrail || $.eventName = UpdateTrail || $.eventName = DeleteTrail || $.eventName = StartLogging || $.eventName = StopLogging}'
            metricTransformations:
              - {metricName: CloudTrailChanges, metricNamespace: CIS, metricValue: "1"}
        """)
    [finding] = [f for f in check_sources([config]) if f.code == "CWF210"]
    assert finding.message.endswith(
        "but not the benchmark's text: it is the same pattern written differently (spacing or parentheses), and "
        "Security Hub's check asks for the exact pattern the benchmark prescribes. The benchmark's text is: "
        "{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) || ($.eventName=DeleteTrail) || "
        "($.eventName=StartLogging) || ($.eventName=StopLogging)}")


def test_cwf210_quiet_for_the_exact_benchmark_text(write):
    config = write("c.yaml", """\
        metricFilters:
          - filterName: root-usage
            logGroupName: cloudtrail
            filterPattern: '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}'
            metricTransformations:
              - {metricName: RootAccountUsage, metricNamespace: CIS, metricValue: "1"}
        """)
    assert coded(check_sources([config]), "CWF210") == []
