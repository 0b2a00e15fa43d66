"""What kind of source a document is, by its content, without loading the reader of that kind.

Each reader (`cloudformation`, `terraform`, `agent`) imports its test from here, so a native
configuration is recognised without importing the readers it does not need.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def is_template(data: Any) -> bool:
    """A CloudFormation template: ``AWSTemplateFormatVersion``, or resources with an ``AWS::`` type."""
    if not isinstance(data, Mapping):
        return False
    if "AWSTemplateFormatVersion" in data:
        return True
    resources = data.get("Resources")
    return isinstance(resources, Mapping) and bool(resources) and all(
        isinstance(r, Mapping) and isinstance(r.get("Type"), str) and "::" in r["Type"]
        for r in resources.values())


def is_plan(data: Any) -> bool:
    """``terraform show -json`` output: a plan (``planned_values``) or a state (``values``)."""
    return isinstance(data, Mapping) and "format_version" in data and (
        "planned_values" in data or "values" in data or "terraform_version" in data)


def is_agent_config(data: Any) -> bool:
    """The CloudWatch agent's JSON: a ``logs.logs_collected`` section, or ``agent`` with ``logs``/``metrics``."""
    if not isinstance(data, Mapping):
        return False
    logs = data.get("logs")
    if isinstance(logs, Mapping) and "logs_collected" in logs:
        return True
    return isinstance(data.get("agent"), Mapping) and ("metrics" in data or "logs" in data)
