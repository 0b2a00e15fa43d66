"""Findings as SARIF 2.1.0, the format code-scanning UIs (GitHub, GitLab, IDEs) read.

One run, the tool ``cwfilter`` with one rule per code of `engine.codes` (lint, checks, and
``service-validation`` for what the service itself would reject); each finding is a result with its level, message, file and
line, and the item's name as a logical location.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from ...codes import REGISTRY
from .model import ERROR, NOTE, SERVICE_VALIDATION_RULE, WARNING, Finding

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {ERROR: "error", WARNING: "warning", NOTE: "note"}


def _rules() -> list[dict]:
    """One rule per code of the registry: every code cwfilter can report, lint ones included."""
    return [{
        "id": code.id,
        "name": code.name,
        "shortDescription": {"text": code.short},
        "fullDescription": {"text": code.full},
        "helpUri": code.help_uri,
        "defaultConfiguration": {"level": _LEVEL[code.severity]},
    } for code in REGISTRY.values()]


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
        rule = f.code if f.code in index else SERVICE_VALIDATION_RULE
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


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(severity: str, message: str, *, code: str | None = None, file: str | None = None,
                      line: int | None = None, column: int | None = None, title: str | None = None) -> str:
    """One GitHub Actions workflow command (``::warning file=a.yaml,line=3,col=5,title=CWF104::...``),
    which a pull request shows on that line.

    The title is `title`, else the code (``service-validation`` for the service's own errors).
    Values are escaped as the Actions runner reads them (``%``, CR and LF in the message; also ``:``
    and ``,`` in properties).
    """
    command = {ERROR: "error", WARNING: "warning"}.get(severity, "notice")
    props = []
    if file and file != "<stdin>":
        props.append(f"file={_escape_property(_uri(file))}")
        if line is not None:
            props.append(f"line={line}")
            if column is not None:
                props.append(f"col={column}")
    props.append(f"title={_escape_property(title or code or SERVICE_VALIDATION_RULE)}")
    return f"::{command} {','.join(props)}::{_escape_data(message)}"
