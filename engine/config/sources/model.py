"""What every source reader produces: items in AWS's shapes, their origins, findings and codes.

A reader (CloudFormation, Terraform, native config, CloudWatch agent) turns a file into
`SourceItem`s: a metric filter in the ``describe-metric-filters`` shape, or an alarm in the
PutMetricAlarm / PutCompositeAlarm shape, each with the `Origin` it came from (file, line,
resource name, and the source path of every field). A value that cannot be known without
deploying is an `Unresolved` marker, never a guess; `Finding` is what ``cwfilter check`` reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...codes import CHECK, SERVICE_VALIDATION, codes
from ...errors import location

ERROR = "error"
WARNING = "warning"
NOTE = "note"

# Stable codes of the findings cwfilter adds to the service's own validation (README, "Wiring
# checks"), from `engine.codes`. Each: (default severity, short name, description).
CODES: dict[str, tuple[str, str, str]] = {k: (c.severity, c.name, c.full) for k, c in codes(CHECK).items()}

# The rule id, in SARIF, of the service's own validation errors (which carry no CWF code).
SERVICE_VALIDATION_RULE = SERVICE_VALIDATION


@dataclass(frozen=True, slots=True)
class Unresolved:
    """A value that cannot be known statically.

    Attributes:
        text: the expression as the user wrote it (``!Ref AlertTopic``, ``var.threshold``).
        reason: why it cannot be resolved, as a sentence fragment.
        hint: what is known about it anyway (``{"log_group": "/trail"}`` for a log group's ARN).
    """

    text: str
    reason: str
    hint: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a metric filter or alarm came from.

    Attributes:
        file: the file name as given (``<stdin>`` for standard input).
        line: 1-based line of the item, when the format gives one.
        resource: the item's name in its source: a CloudFormation logical ID, a Terraform
            address, ``metricFilters[0]`` in a native config.
        kind: ``cloudformation``, ``cdk``, ``terraform``, ``terraform-plan`` or ``native``.
        path: the item's document path in source terms (``Resources.Errors``), for messages.
        fields: AWS field path (a tuple such as ``("metricTransformations", 0, "metricValue")``)
            -> (source path, line) of the field in the source.
        label: extra words naming the item (a CDK construct path).
    """

    file: str
    line: int | None
    resource: str
    kind: str
    path: str = ""
    fields: Mapping[tuple, tuple[str, int | None]] = field(default_factory=dict)
    label: str | None = None

    def where(self) -> str:
        """``template.yaml:12``, or just the file name when no line is known."""
        return f"{self.file}:{self.line}" if self.line is not None else self.file

    def describe(self) -> str:
        """The resource and where it is: ``Errors (template.yaml:12)``."""
        name = self.resource + (f" [{self.label}]" if self.label else "")
        return f"{name} ({self.where()})"

    def field(self, aws_path: tuple) -> tuple[str, int | None]:
        """The source path and line of an AWS field path (its nearest known ancestor's)."""
        for end in range(len(aws_path), -1, -1):
            hit = self.fields.get(tuple(aws_path[:end]))
            if hit is not None:
                if end < len(aws_path):
                    rest = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in aws_path[end:])
                    return hit[0] + rest, hit[1]
                return hit
        rest = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in aws_path)
        return (self.path + rest) if self.path else rest.lstrip("."), self.line


FILTER = "metricFilter"
METRIC_ALARM = "metricAlarm"
COMPOSITE_ALARM = "compositeAlarm"
# Kind -> the top-level key of a native configuration that holds such items.
COLLECTION = {FILTER: "metricFilters", METRIC_ALARM: "MetricAlarms", COMPOSITE_ALARM: "CompositeAlarms"}


@dataclass(slots=True)
class SourceItem:
    """One metric filter or alarm read from a source.

    Attributes:
        kind: `FILTER`, `METRIC_ALARM` or `COMPOSITE_ALARM`.
        data: the item in AWS's shape; it may hold `Unresolved` values until `settle` runs.
        origin: where it came from.
    """

    kind: str
    data: dict
    origin: Origin

    @property
    def name(self) -> str:
        key = "filterName" if self.kind == FILTER else "AlarmName"
        value = self.data.get(key)
        return value if isinstance(value, str) else self.origin.resource


@dataclass(frozen=True, slots=True)
class LogDelivery:
    """A log group that something in the sources writes events to (for CWF209).

    Attributes:
        log_group: the log group's name.
        what: who writes, for messages (``CloudTrail trail 'org-trail'``).
        carries: ``cloudtrail`` for CloudTrail records, ``files`` for the agent's log files.
        origin: where it is declared.
    """

    log_group: str
    what: str
    carries: str
    origin: Origin


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem or remark about the sources, for ``cwfilter check``.

    Attributes:
        message: what is wrong; names the item and its origin.
        severity: ``error``, ``warning`` or ``note``.
        code: the stable code (``CWF201``), or None for the service's own validation errors.
        source: the file.
        line: 1-based line, when known.
        path: where in the file, in the source's own terms.
        resource: the item's name in its source, when the finding is about one item.
        column: 1-based column (syntax errors of a file).
    """

    message: str
    severity: str = ERROR
    code: str | None = None
    source: str | None = None
    line: int | None = None
    path: str = ""
    resource: str | None = None
    column: int | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def __str__(self) -> str:
        where = location(self.source, self.line, self.column)
        text = self.message if self.code is None else f"{self.code} {self.message}"
        if not self.is_error:
            text = f"{self.severity}: {text}"
        return ": ".join([p for p in (where, self.path) if p] + [text])

    def as_json(self) -> dict:
        """The finding as ``check --output json`` prints it."""
        return {"path": self.path, "message": self.message, "severity": self.severity,
                "file": self.source, "line": self.line, "code": self.code, "resource": self.resource}


def item_finding(item: SourceItem, aws_path: tuple, message: str, severity: str = ERROR,
                 code: str | None = None) -> Finding:
    """A finding about one field of an item, placed at the field's source path and line."""
    path, line = item.origin.field(aws_path)
    return Finding(message, severity, code, item.origin.file, line, path, item.origin.resource)
