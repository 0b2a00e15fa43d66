"""Infrastructure-as-code sources are accepted wherever a config is: unit scenarios, rules cis --check."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SOURCES = Path(__file__).parent / "fixtures" / "sources"
CWFILTER = str(Path(sys.executable).with_name("cwfilter"))
ROOT_LOGIN = json.dumps(
    {"eventVersion": "1.05", "userIdentity": {"type": "Root", "accountId": "111122223333"},
     "eventTime": "2024-01-01T00:00:10Z", "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin",
     "eventType": "AwsConsoleSignIn"}
)


def _cwfilter(*args: str):
    return subprocess.run([CWFILTER, *args], capture_output=True, text=True, timeout=120)


def test_a_scenario_can_name_a_cloudformation_template(tmp_path):
    scenario = tmp_path / "root.cwfilter.yaml"
    scenario.write_text(
        "config: " + json.dumps(str(SOURCES / "cloudtrail-alarms.yaml")) + "\n"
        "start: 2024-01-01T00:00:00Z\n"
        "log_group: /org/cloudtrail\n"
        "tests:\n"
        "  - name: root login alarms\n"
        "    events:\n"
        "      - message: " + json.dumps(ROOT_LOGIN) + "\n"
        "    alarms:\n"
        "      - {alarm: prod-cis-root-usage, at: 5m, state: ALARM}\n"
    )
    proc = _cwfilter("unit", str(scenario))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_rules_cis_check_reads_a_cloudformation_template():
    proc = _cwfilter("rules", "cis", "--check", str(SOURCES / "cloudtrail-alarms.yaml"), "-o", "json")
    assert proc.returncode == 1, proc.stderr  # one control of fourteen is covered: not all
    doc = json.loads(proc.stdout)
    (root,) = [c for c in doc["controls"] if c["control"] == "CloudWatch.1"]
    assert (root["status"], root["filterName"], root["alarms"]) == ("exact", "prod-root-usage", ["prod-cis-root-usage"])
    assert doc["summary"] == {"controls": 14, "covered": 1}
