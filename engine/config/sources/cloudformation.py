"""CloudFormation templates (JSON or YAML, ``cdk synth`` output included) -> metric filters and alarms.

Reads ``AWS::Logs::MetricFilter``, ``AWS::CloudWatch::Alarm`` and ``AWS::CloudWatch::CompositeAlarm``
resources, and ``AWS::CloudTrail::Trail`` for the log group its records go to. Intrinsic functions
are resolved statically where the template alone decides the value: ``Ref`` to a parameter (its
``--parameter`` override, else its ``Default``) or to a resource of the same template, ``Fn::Sub``,
``Fn::Join``, ``Fn::Select``, ``Fn::Split``, ``Fn::If`` with its conditions, ``Fn::FindInMap``,
``Fn::Base64``, ``Fn::ToJsonString``, ``Fn::Length``. Pseudo parameters take placeholder values
(`PSEUDO_PLACEHOLDERS`, overridable with ``--parameter``) and one note says which were assumed.
Everything else (``Fn::ImportValue``, most ``Fn::GetAtt``, SSM parameter types) stays `Unresolved`;
where such a value names a log group, a namespace or a metric, it stands for itself symbolically
(the same expression is the same name), with a note. ``-p Logical.Attribute=VALUE`` gives the value
of a ``Fn::GetAtt``. Names CloudFormation generates (no ``FilterName``, no ``AlarmName``) are
``STACK-LOGICALID``, the stack being the template's file name unless ``AWS::StackName`` is given.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .common import PASSIVE_FIELDS, coerce_fields
from .documents import Document
from .kinds import is_template as is_template  # re-exported: the readers keep their test
from .model import (
    COMPOSITE_ALARM,
    FILTER,
    METRIC_ALARM,
    NOTE,
    Finding,
    LogDelivery,
    Origin,
    SourceItem,
    Unresolved,
)

FILTER_TYPE = "AWS::Logs::MetricFilter"
ALARM_TYPE = "AWS::CloudWatch::Alarm"
COMPOSITE_TYPE = "AWS::CloudWatch::CompositeAlarm"
LOG_GROUP_TYPE = "AWS::Logs::LogGroup"
TRAIL_TYPE = "AWS::CloudTrail::Trail"

# What `Ref` returns for a resource type, when a property of the same template holds it
# (CloudFormation resource reference, "Return values").
_REF_NAME_PROPERTY = {
    LOG_GROUP_TYPE: "LogGroupName",
    ALARM_TYPE: "AlarmName",
    COMPOSITE_TYPE: "AlarmName",
    FILTER_TYPE: "FilterName",
}

_NO_VALUE = object()  # AWS::NoValue: the property is removed
_PSEUDO = ("AWS::AccountId", "AWS::NotificationARNs", "AWS::Partition", "AWS::Region",
           "AWS::StackId", "AWS::StackName", "AWS::URLSuffix")
# The values pseudo parameters take when --parameter gives none: the examples of the
# CloudFormation "Pseudo parameters reference".
PSEUDO_PLACEHOLDERS: dict[str, Any] = {
    "AWS::AccountId": "123456789012",
    "AWS::NotificationARNs": ["arn:aws:sns:us-east-1:123456789012:MyTopic"],
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/teststack/"
                    "51af3dc0-da77-11e4-872e-1234567db123",
    "AWS::StackName": "teststack",
    "AWS::URLSuffix": "amazonaws.com",
}

# MetricFilter properties -> describe-metric-filters keys.
_FILTER_KEYS = {
    "FilterName": "filterName", "FilterPattern": "filterPattern", "LogGroupName": "logGroupName",
    "MetricTransformations": "metricTransformations",
    "EmitSystemFieldDimensions": "emitSystemFieldDimensions",
    "FieldSelectionCriteria": "fieldSelectionCriteria", "ApplyOnTransformedLogs": "applyOnTransformedLogs",
}
_TRANSFORMATION_KEYS = {
    "MetricName": "metricName", "MetricNamespace": "metricNamespace", "MetricValue": "metricValue",
    "DefaultValue": "defaultValue", "Dimensions": "dimensions", "Unit": "unit",
}


def is_cdk(data: Mapping) -> bool:
    """``cdk synth`` output: resources carry ``aws:cdk:path`` metadata, or the bootstrap check."""
    if isinstance(data.get("Rules"), Mapping) and "CheckBootstrapVersion" in data["Rules"]:
        return True
    resources = data.get("Resources")
    return isinstance(resources, Mapping) and any(
        isinstance(r, Mapping) and isinstance(r.get("Metadata"), Mapping) and "aws:cdk:path" in r["Metadata"]
        for r in resources.values())


def show(value: Any) -> str:
    """An intrinsic function in the short form a user writes (``!Ref X``, ``!GetAtt A.B``)."""
    if isinstance(value, Mapping) and len(value) == 1:
        (key, arg), = value.items()
        if key == "Ref":
            return f"!Ref {arg}"
        if key == "Fn::GetAtt":
            parts = arg if isinstance(arg, list) else [arg]
            return "!GetAtt " + ".".join(str(p) for p in parts)
        if key == "Fn::Sub" and isinstance(arg, str):
            return f"!Sub '{arg}'"
        if key.startswith("Fn::"):
            return f"!{key[4:]} {json.dumps(arg, ensure_ascii=False, default=str)}"
    return json.dumps(value, ensure_ascii=False, default=str)


class Template:
    """One template and the values it resolves to.

    Args:
        doc: the parsed template.
        parameters: ``--parameter`` overrides (parameter or pseudo-parameter name -> value).
    """

    def __init__(self, doc: Document, parameters: Mapping[str, str]) -> None:
        self.doc = doc
        data = doc.data
        self.parameters = data.get("Parameters") if isinstance(data.get("Parameters"), Mapping) else {}
        self.resources = data.get("Resources") if isinstance(data.get("Resources"), Mapping) else {}
        self.mappings = data.get("Mappings") if isinstance(data.get("Mappings"), Mapping) else {}
        self.conditions = data.get("Conditions") if isinstance(data.get("Conditions"), Mapping) else {}
        self.overrides = dict(parameters)
        self.used: set[str] = set()
        self.assumed: dict[str, Any] = {}
        self.passive = False
        self._resolving: set[str] = set()  # resources whose Ref is being resolved (cycles)
        self.notes: list[Finding] = []
        self._condition_cache: dict[str, Any] = {}
        self.cdk = is_cdk(data)

    # ------------------------------------------------------------------ references

    def ref(self, name: Any) -> Any:
        if not isinstance(name, str):
            return Unresolved(show({"Ref": name}), "Ref needs a name")
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self.overrides and (name in self.parameters or name in _PSEUDO):
            self.used.add(name)
            return self._typed(name, self.overrides[name])
        if name in _PSEUDO:
            if self.passive:
                # Actions, descriptions and tags keep the expression as written (nothing depends on them).
                return Unresolved(f"!Ref {name}", f"the pseudo parameter {name} is known only at deploy time")
            self.assumed[name] = PSEUDO_PLACEHOLDERS[name]
            return PSEUDO_PLACEHOLDERS[name]
        if name in self.parameters:
            spec = self.parameters[name] if isinstance(self.parameters[name], Mapping) else {}
            kind = str(spec.get("Type", "String"))
            if kind.startswith("AWS::SSM::Parameter::Value"):
                return Unresolved(f"!Ref {name}", f"parameter {name} is read from SSM Parameter Store at "
                                                  f"deploy time; give --parameter {name}=VALUE")
            if "Default" not in spec:
                return Unresolved(f"!Ref {name}", f"parameter {name} has no Default; give --parameter "
                                                  f"{name}=VALUE")
            return self._typed(name, spec["Default"])
        if name in self.resources:
            return self._resource_ref(name)
        return Unresolved(f"!Ref {name}", f"the template defines no parameter or resource {name}")

    def _typed(self, name: str, value: Any) -> Any:
        spec = self.parameters.get(name) if isinstance(self.parameters.get(name), Mapping) else {}
        kind = str(spec.get("Type", "String"))
        if (kind == "CommaDelimitedList" or kind.startswith("List<")) and isinstance(value, str):
            return [part.strip() for part in value.split(",")]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value) if kind != "Number" else value
        return value

    def _resource_ref(self, name: str) -> Any:
        if name in self._resolving:
            return Unresolved(f"!Ref {name}", f"the name of {name} refers back to {name} (a circular reference)")
        self._resolving.add(name)
        try:
            return self._resource_ref_of(name)
        finally:
            self._resolving.discard(name)

    def _resource_ref_of(self, name: str) -> Any:
        resource = self.resources[name]
        kind = resource.get("Type") if isinstance(resource, Mapping) else None
        prop = _REF_NAME_PROPERTY.get(kind) if isinstance(kind, str) else None  # a list Type is unhashable
        if prop is None:
            return Unresolved(f"!Ref {name}", f"the physical ID of {name} ({kind}) is known only after "
                                              "deployment", {"symbol": name})
        props = resource.get("Properties") if isinstance(resource.get("Properties"), Mapping) else {}
        if prop in props:
            return self.resolve(props[prop])
        if kind in (ALARM_TYPE, COMPOSITE_TYPE, FILTER_TYPE):
            return self.generated_name(name)
        # CloudFormation generates the name at deploy time; the logical ID stands in for it, so that
        # what refers to the same resource still matches (README, "Names generated at deploy time").
        if kind == LOG_GROUP_TYPE:
            self.notes.append(Finding(
                f"log group {name} has no LogGroupName, so CloudFormation generates its name at deploy "
                f"time; cwfilter calls it '{name}' (bind inputs with FILE@{name})",
                NOTE, "CWF200", self.doc.source, self.doc.line(("Resources", name)),
                f"Resources.{name}", name))
        return name

    def generated_name(self, lid: str) -> str:
        """The name CloudFormation generates for a resource without one: unique per stack."""
        stack = self.overrides.get("AWS::StackName")
        if stack is None:
            stack = Path(str(self.doc.source)).stem or "stack"
        return f"{stack}-{lid}"

    def get_att(self, arg: Any) -> Any:
        parts = arg if isinstance(arg, list) else [arg]
        parts = [self.resolve(p) for p in parts]
        text = show({"Fn::GetAtt": parts})
        if len(parts) != 2 or not all(isinstance(p, str) for p in parts):
            return Unresolved(text, "Fn::GetAtt takes a resource and an attribute")
        name, attr = parts
        if f"{name}.{attr}" in self.overrides:
            self.used.add(f"{name}.{attr}")
            return self.overrides[f"{name}.{attr}"]
        resource = self.resources.get(name)
        if not isinstance(resource, Mapping):
            return Unresolved(text, f"the template defines no resource {name}")
        hint: dict[str, Any] = {"symbol": f"{name}.{attr}"}
        if resource.get("Type") in (ALARM_TYPE, COMPOSITE_TYPE) and attr == "Arn":
            # DECISIONS A12: an alarm's ARN and its name are the same alarm; the ARN is built
            # around the name, with the region and account as given (or marked unknown).
            alarm = self._resource_ref(name)
            if isinstance(alarm, str):
                region = self.overrides.get("AWS::Region", "unknown-region")
                account = self.overrides.get("AWS::AccountId", "unknown-account")
                return f"arn:aws:cloudwatch:{region}:{account}:alarm:{alarm}"
        if resource.get("Type") == LOG_GROUP_TYPE and attr == "Arn":
            group = self._resource_ref(name)
            if isinstance(group, str):
                hint["log_group"] = group
        return Unresolved(text, f"attribute {attr} of {name} is known only after deployment", hint)

    # ------------------------------------------------------------------ resolution

    def condition(self, name: Any) -> Any:
        if not isinstance(name, str) or name not in self.conditions:
            return Unresolved(f"Condition {name}", f"the template defines no condition {name}")
        if name not in self._condition_cache:
            self._condition_cache[name] = Unresolved(f"Condition {name}", "the condition refers to itself")
            self._condition_cache[name] = self.resolve(self.conditions[name])
        return self._condition_cache[name]

    def resolve(self, value: Any) -> Any:
        """The value with every intrinsic function resolved, or `Unresolved` markers in its place."""
        if isinstance(value, list):
            out = [self.resolve(v) for v in value]
            return [v for v in out if v is not _NO_VALUE]
        if not isinstance(value, Mapping):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Condition" and isinstance(arg, str):
                return self.condition(arg)
            if isinstance(key, str) and key.startswith("Fn::"):
                return self._function(key, arg, value)
        out = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not _NO_VALUE}

    def _function(self, key: str, arg: Any, whole: Mapping) -> Any:
        handler = _FUNCTIONS.get(key)
        if handler is None:
            return Unresolved(show(whole), f"{key} is not resolved statically", {"symbol": show(whole)})
        try:
            return handler(self, arg, whole)
        except (TypeError, ValueError, IndexError, KeyError, AttributeError):
            return Unresolved(show(whole), f"its arguments are not valid for {key}")

    def _sub(self, arg: Any, whole: Mapping) -> Any:
        if isinstance(arg, list):
            template, variables = arg[0], (arg[1] if len(arg) > 1 else {})
        else:
            template, variables = arg, {}
        template = self.resolve(template)
        if not isinstance(template, str):
            return Unresolved(show(whole), "Fn::Sub needs a string")
        values = {k: self.resolve(v) for k, v in (variables or {}).items()}
        parts: list[str] = []
        missing: Unresolved | None = None
        hint: dict[str, Any] = {}
        pos = 0
        for m in re.finditer(r"\$\{([^}]*)\}", template):
            parts.append(template[pos:m.start()])
            pos = m.end()
            name = m.group(1).strip()
            if name.startswith("!"):
                parts.append("${" + name[1:] + "}")
                continue
            if name in values:
                got = values[name]
            elif "." in name and name.split(".", 1)[0] in self.resources:
                got = self.get_att(name.split(".", 1))
            else:
                got = self.ref(name)
            if isinstance(got, Unresolved):
                missing = missing or got
                hint.update(got.hint)
                parts.append(m.group(0))
            elif isinstance(got, (list, dict)) or got is _NO_VALUE:
                return Unresolved(show(whole), f"${{{name}}} is not a string")
            else:
                parts.append(_text(got))
        parts.append(template[pos:])
        if missing is not None:
            hint["partial"] = "".join(parts)  # the text with what could be resolved
            return Unresolved(f"!Sub '{template}'", missing.reason, hint)
        return "".join(parts)

    def _join(self, arg: Any, whole: Mapping) -> Any:
        delimiter, items = self.resolve(arg[0]), self.resolve(arg[1])
        if isinstance(items, Unresolved):
            return Unresolved(show(whole), items.reason, items.hint)
        bad = next((i for i in items if isinstance(i, Unresolved)), None)
        if bad is not None:
            return Unresolved(show(whole), bad.reason, bad.hint)
        return str(delimiter).join(_text(i) for i in items)

    def _if(self, arg: Any, whole: Mapping) -> Any:
        name, then, otherwise = arg
        chosen = self.condition(name)
        if isinstance(chosen, Unresolved):
            return Unresolved(show(whole), f"condition {name} cannot be decided: {chosen.reason}")
        return self.resolve(then if chosen else otherwise)

    def _logic(self, key: str, arg: Any, whole: Mapping) -> Any:
        values = [self.resolve(a) for a in (arg if isinstance(arg, list) else [arg])]
        bad = next((v for v in values if isinstance(v, Unresolved)), None)
        if bad is not None:
            return Unresolved(show(whole), bad.reason, bad.hint)
        if key == "Fn::Equals":
            a, b = values
            return _text(a) == _text(b) if not isinstance(a, (list, dict)) else a == b
        if key == "Fn::Not":
            return not values[0]
        if key == "Fn::And":
            return all(values)
        return any(values)

    def _find_in_map(self, arg: Any, whole: Mapping) -> Any:
        keys = [self.resolve(a) for a in arg[:3]]
        default = arg[3].get("DefaultValue") if len(arg) > 3 and isinstance(arg[3], Mapping) else _NO_VALUE
        bad = next((k for k in keys if isinstance(k, Unresolved)), None)
        if bad is not None:
            return Unresolved(show(whole), bad.reason)
        try:
            return self.resolve(self.mappings[keys[0]][keys[1]][keys[2]])
        except (KeyError, TypeError):
            if default is not _NO_VALUE:
                return self.resolve(default)
            return Unresolved(show(whole), f"the mapping {keys[0]} has no entry {keys[1]}.{keys[2]}")

    def _select(self, arg: Any, whole: Mapping) -> Any:
        index, items = self.resolve(arg[0]), self.resolve(arg[1])
        if isinstance(index, Unresolved) or isinstance(items, Unresolved):
            bad = index if isinstance(index, Unresolved) else items
            return Unresolved(show(whole), bad.reason, bad.hint)
        return items[int(index)]

    def _split(self, arg: Any, whole: Mapping) -> Any:
        delimiter, text = self.resolve(arg[0]), self.resolve(arg[1])
        if isinstance(text, Unresolved):
            return Unresolved(show(whole), text.reason, text.hint)
        return str(text).split(str(delimiter))

    def _simple(self, key: str, arg: Any, whole: Mapping) -> Any:
        value = self.resolve(arg)
        bad = next(_unresolved_in(value), None)
        if bad is not None:
            return Unresolved(show(whole), bad.reason, bad.hint)
        if key == "Fn::Base64":
            return base64.b64encode(_text(value).encode("utf-8")).decode("ascii")
        if key == "Fn::ToJsonString":
            return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        return len(value)  # Fn::Length


def _unresolved_in(value: Any):
    if isinstance(value, Unresolved):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _unresolved_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from _unresolved_in(v)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_FUNCTIONS = {
    "Fn::Sub": lambda t, a, w: t._sub(a, w),
    "Fn::Join": lambda t, a, w: t._join(a, w),
    "Fn::If": lambda t, a, w: t._if(a, w),
    "Fn::Equals": lambda t, a, w: t._logic("Fn::Equals", a, w),
    "Fn::And": lambda t, a, w: t._logic("Fn::And", a, w),
    "Fn::Or": lambda t, a, w: t._logic("Fn::Or", a, w),
    "Fn::Not": lambda t, a, w: t._logic("Fn::Not", a, w),
    "Fn::FindInMap": lambda t, a, w: t._find_in_map(a, w),
    "Fn::Select": lambda t, a, w: t._select(a, w),
    "Fn::Split": lambda t, a, w: t._split(a, w),
    "Fn::GetAtt": lambda t, a, w: t.get_att(a),
    "Fn::Base64": lambda t, a, w: t._simple("Fn::Base64", a, w),
    "Fn::ToJsonString": lambda t, a, w: t._simple("Fn::ToJsonString", a, w),
    "Fn::Length": lambda t, a, w: t._simple("Fn::Length", a, w),
}


# --------------------------------------------------------------------------- items


def _filter_data(props: dict, fields: dict, base: str, line) -> dict:
    """A MetricFilter resource's properties in the describe-metric-filters shape."""
    data: dict = {}
    for cfn_key, aws_key in _FILTER_KEYS.items():
        if cfn_key not in props:
            continue
        fields[(aws_key,)] = (f"{base}.{cfn_key}", line((cfn_key,)))
        value = props[cfn_key]
        if cfn_key != "MetricTransformations" or not isinstance(value, list):
            data[aws_key] = value
            continue
        out = []
        for i, item in enumerate(value):
            fields[(aws_key, i)] = (f"{base}.{cfn_key}[{i}]", line((cfn_key, i)))
            if not isinstance(item, dict):
                out.append(item)
                continue
            t: dict = {}
            for tk, ak in _TRANSFORMATION_KEYS.items():
                if tk not in item:
                    continue
                fields[(aws_key, i, ak)] = (f"{base}.{cfn_key}[{i}].{tk}", line((cfn_key, i, tk)))
                v = item[tk]
                if tk == "Dimensions" and isinstance(v, list):
                    # CloudFormation lists {Key, Value}; the API takes a map (alarms.md §8).
                    dims = {}
                    for j, d in enumerate(v):
                        if isinstance(d, dict) and isinstance(d.get("Key"), str):
                            dims[d["Key"]] = d.get("Value")
                            fields[(aws_key, i, ak, d["Key"])] = (
                                f"{base}.{cfn_key}[{i}].{tk}[{j}]", line((cfn_key, i, tk, j)))
                    v = dims
                t[ak] = v
            out.append(t)
        data[aws_key] = out
    return data


def _identity_fields(value: Any, path: tuple, base: str, line, fields: dict) -> None:
    """Alarms keep the API's keys: map each path to the same path under Properties."""
    fields[path] = (base + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path), line(path))
    if isinstance(value, dict):
        for k, v in value.items():
            _identity_fields(v, (*path, k), base, line, fields)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _identity_fields(v, (*path, i), base, line, fields)


def read(doc: Document, parameters: Mapping[str, str]) -> tuple[list[SourceItem], list[Finding],
                                                                list[LogDelivery], set[str]]:
    """Metric filters, alarms, findings and log-group deliveries of one template.

    Returns:
        (items, findings, deliveries, parameter names used).
    """
    template = Template(doc, parameters)
    kind = "cdk" if template.cdk else "cloudformation"
    items: list[SourceItem] = []
    findings: list[Finding] = []
    deliveries: list[LogDelivery] = []
    for lid, resource in template.resources.items():
        if not isinstance(resource, Mapping):
            continue
        rtype = resource.get("Type")
        if rtype not in (FILTER_TYPE, ALARM_TYPE, COMPOSITE_TYPE, TRAIL_TYPE):
            continue
        base = f"Resources.{lid}.Properties"
        resource_line = doc.line(("Resources", lid))
        label = None
        if isinstance(resource.get("Metadata"), Mapping):
            label = resource["Metadata"].get("aws:cdk:path")
        cond = resource.get("Condition")
        if cond is not None:
            decided = template.condition(cond)
            if isinstance(decided, Unresolved):
                findings.append(Finding(
                    f"resource {lid}: its Condition {cond} cannot be decided without deploying: "
                    f"{decided.reason}", "error", "CWF200", doc.source, doc.line(("Resources", lid, "Condition")),
                    f"Resources.{lid}.Condition", lid))
                continue
            if not decided:
                continue  # not created: the condition is false
        raw_props = resource.get("Properties")
        props = {}
        if isinstance(raw_props, Mapping):
            # A trail matters for the log group it writes to; the rest of it, like an alarm's actions,
            # keeps unresolved expressions as written.
            matters = (lambda k: k in ("CloudWatchLogsLogGroupArn", "TrailName")) if rtype == TRAIL_TYPE \
                else (lambda k: k not in PASSIVE_FIELDS)
            props = template.resolve({k: v for k, v in raw_props.items() if matters(k)})
            template.passive = True
            try:
                passive = template.resolve({k: v for k, v in raw_props.items() if not matters(k)})
            finally:
                template.passive = False
            # Properties that are themselves one expression (`Properties: !Ref X`) resolve to no mapping:
            # the resource then has no properties, and its own checks say what is missing.
            props = props if isinstance(props, Mapping) else {}
            passive = passive if isinstance(passive, Mapping) else {}
            props = {k: (props if k in props else passive)[k] for k in raw_props if k in props or k in passive}

        def line(path: tuple, _lid: str = lid) -> int | None:
            return doc.line(("Resources", _lid, "Properties", *path))

        fields: dict = {}
        if rtype == TRAIL_TYPE:
            arn = props.get("CloudWatchLogsLogGroupArn")
            group = _log_group_of_arn(arn)
            if group is not None:
                name = props.get("TrailName") if isinstance(props.get("TrailName"), str) else lid
                origin = Origin(doc.source, resource_line, lid, kind, f"Resources.{lid}", {}, label)
                deliveries.append(LogDelivery(group, f"CloudTrail trail '{name}'", "cloudtrail", origin))
            continue
        if rtype == FILTER_TYPE:
            data = _filter_data(props, fields, base, line)
            data.setdefault("filterName", template.generated_name(lid))  # generated when absent
            item_kind = FILTER
        else:
            data = dict(props)
            _identity_fields(data, (), base, line, fields)
            data.setdefault("AlarmName", template.generated_name(lid))   # generated when absent
            item_kind = METRIC_ALARM if rtype == ALARM_TYPE else COMPOSITE_ALARM
        fields[()] = (base, resource_line)
        origin = Origin(doc.source, resource_line, lid, kind, base, fields, label)
        items.append(SourceItem(item_kind, coerce_fields(data), origin))
    findings.extend(template.notes)
    if template.assumed:
        assumed = ", ".join(f"{k}={json.dumps(v) if isinstance(v, list) else v}"
                            for k, v in sorted(template.assumed.items()))
        findings.append(Finding(f"pseudo parameters take placeholder values: {assumed} (give --parameter "
                                "NAME=VALUE for others)", NOTE, "CWF200", doc.source, None, "", None))
    return items, findings, deliveries, template.used


_ARN_GROUP_RE = re.compile(r"arn:[^:]*:logs:[^:]*:[^:]*:log-group:([^:*]+)")


def _log_group_of_arn(value: Any) -> str | None:
    """The log group named by a log group ARN (``arn:aws:logs:…:log-group:NAME:*``), if known."""
    if isinstance(value, Unresolved):
        group = value.hint.get("log_group")
        if group is None:
            m = _ARN_GROUP_RE.search(str(value.hint.get("partial", value.text)))
            group = m.group(1) if m else None
        return group
    if isinstance(value, str):
        m = _ARN_GROUP_RE.search(value)
        return m.group(1) if m else None
    return None
