"""Findings as SARIF 2.1.0, the format code-scanning UIs (GitHub, GitLab, IDEs) read.

One run, the tool ``cwfilter`` with one rule per CWF code (plus ``service-validation`` for what
the service itself would reject); each finding is a result with its level, message, file and
line, and the item's name as a logical location.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from .model import CODES, ERROR, NOTE, SERVICE_VALIDATION_RULE, WARNING, Finding

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {ERROR: "error", WARNING: "warning", NOTE: "note"}


def _rules() -> list[dict]:
    rules = [{
        "id": SERVICE_VALIDATION_RULE,
        "name": "service-validation",
        "shortDescription": {"text": "Rejected by PutMetricFilter, PutMetricAlarm or PutCompositeAlarm"},
        "fullDescription": {"text": "The value would be rejected by the CloudWatch or CloudWatch Logs "
                                    "API at deploy time (the message is the service's where known)."},
        "defaultConfiguration": {"level": "error"},
    }]
    for code, (severity, name, text) in CODES.items():
        rules.append({"id": code, "name": name, "shortDescription": {"text": text},
                      "defaultConfiguration": {"level": _LEVEL[severity]}})
    return rules


def _uri(source: str) -> str:
    """A file name as a URI relative to the working directory when it is below it."""
    path = Path(source)
    try:
        rel = path.resolve().relative_to(Path(os.getcwd()).resolve()) if path.is_absolute() else path
    except ValueError:
        return path.resolve().as_uri()
    return rel.as_posix()


def to_sarif(findings: Iterable[Finding], version: str) -> dict:
    """A SARIF 2.1.0 log of the findings.

    Args:
        findings: what ``cwfilter check`` found.
        version: cwfilter's version, for the tool's driver.
    """
    rules = _rules()
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    results = []
    for f in findings:
        rule = f.code or SERVICE_VALIDATION_RULE
        result: dict = {"ruleId": rule, "ruleIndex": index[rule], "level": _LEVEL.get(f.severity, "warning"),
                        "message": {"text": f.message}}
        location: dict = {}
        if f.source and f.source != "<stdin>":
            physical: dict = {"artifactLocation": {"uri": _uri(f.source)}}
            if f.line is not None:
                region: dict = {"startLine": f.line}
                if f.column is not None:
                    region["startColumn"] = f.column
                physical["region"] = region
            location["physicalLocation"] = physical
        if f.path or f.resource:
            logical: dict = {"fullyQualifiedName": f.path or f.resource}
            if f.resource:
                logical["name"] = f.resource
            location["logicalLocations"] = [logical]
        if location:
            result["locations"] = [location]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "cwfilter", "version": version, "rules": rules}},
            "results": results,
        }],
    }
