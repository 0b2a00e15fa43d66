"""Terraform -> metric filters and alarms: ``.tf`` modules, and ``terraform show -json`` documents.

A module (a directory of ``.tf`` files) is parsed with python-hcl2. ``aws_cloudwatch_log_metric_filter``,
``aws_cloudwatch_metric_alarm`` and ``aws_cloudwatch_composite_alarm`` resources become items;
``aws_cloudtrail`` tells which log group CloudTrail records go to. Values are evaluated
statically (`hclexpr`): literals, ``var.*`` from ``--parameter``, ``--var-file``, ``*.tfvars`` or
the variable's default, ``local.*``, ``for_each`` / ``count`` instances, attributes of resources
declared in the same module, ``data "template_file"`` and ``templatefile()``. Local module calls
(``source = "./modules/x"``) are followed with their inputs, and what they declare is read as
``module.NAME....``; a registry or git module is read from a local copy given with
``--module-path NAME=DIR``, except the null-label module (``cloudposse/label/null``), whose
well-known outputs are computed from its inputs. ``terraform show -json`` (a plan or a state) is
already resolved; values it marks "known after apply" stay unresolved.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from . import hcl7
from .cloudformation import _log_group_of_arn
from .common import coerce_fields
from .documents import Document
from .hclexpr import Budget, Scope, evaluate
from .hclfuncs import _re2
from .hclvalues import _Fail
from .kinds import is_plan as is_plan  # re-exported: the readers keep their test
from .model import (
    COMPOSITE_ALARM,
    ERROR,
    FILTER,
    METRIC_ALARM,
    NOTE,
    WARNING,
    Finding,
    LogDelivery,
    Origin,
    SourceItem,
    Unresolved,
)

FILTER_TYPE = "aws_cloudwatch_log_metric_filter"
ALARM_TYPE = "aws_cloudwatch_metric_alarm"
COMPOSITE_TYPE = "aws_cloudwatch_composite_alarm"
LOG_GROUP_TYPE = "aws_cloudwatch_log_group"
TRAIL_TYPE = "aws_cloudtrail"
_READ_TYPES = (FILTER_TYPE, ALARM_TYPE, COMPOSITE_TYPE, TRAIL_TYPE)

_ALARM_KEYS = {
    "alarm_name": "AlarmName", "alarm_description": "AlarmDescription", "actions_enabled": "ActionsEnabled",
    "alarm_actions": "AlarmActions", "ok_actions": "OKActions",
    "insufficient_data_actions": "InsufficientDataActions", "comparison_operator": "ComparisonOperator",
    "evaluation_periods": "EvaluationPeriods", "datapoints_to_alarm": "DatapointsToAlarm",
    "metric_name": "MetricName", "namespace": "Namespace", "period": "Period", "statistic": "Statistic",
    "extended_statistic": "ExtendedStatistic", "threshold": "Threshold",
    "threshold_metric_id": "ThresholdMetricId", "unit": "Unit", "treat_missing_data": "TreatMissingData",
    "evaluate_low_sample_count_percentiles": "EvaluateLowSampleCountPercentile",
    "dimensions": "Dimensions", "metric_query": "Metrics", "tags": "Tags",
}
_COMPOSITE_KEYS = {
    "alarm_name": "AlarmName", "alarm_rule": "AlarmRule", "alarm_description": "AlarmDescription",
    "actions_enabled": "ActionsEnabled", "alarm_actions": "AlarmActions", "ok_actions": "OKActions",
    "insufficient_data_actions": "InsufficientDataActions", "actions_suppressor": "ActionsSuppressor",
    "tags": "Tags",
}
_QUERY_KEYS = {"id": "Id", "expression": "Expression", "label": "Label", "return_data": "ReturnData",
               "period": "Period", "account_id": "AccountId"}
_QUERY_METRIC_KEYS = {"metric_name": "MetricName", "namespace": "Namespace", "dimensions": "Dimensions"}


def _empty(value: Any) -> bool:
    # The provider writes unset optional attributes as "", [], {} or null in plans and state.
    return value is None or value == "" or value == [] or value == {}


def _dimension_list(value: Any) -> Any:
    if isinstance(value, Mapping):
        return [{"Name": k, "Value": v} for k, v in value.items()]
    return value


def _tags(value: Any) -> Any:
    if isinstance(value, Mapping):
        return [{"Key": k, "Value": v} for k, v in value.items()]
    return value


# --------------------------------------------------------------------------- attributes -> AWS


class _Fields:
    """Builds an `Origin.fields` map from AWS paths to Terraform attribute paths and lines."""

    def __init__(self, address: str, line_of: Callable[[tuple], int | None]) -> None:
        self.address = address
        self.line_of = line_of
        self.map: dict[tuple, tuple[str, int | None]] = {}

    def add(self, aws: tuple, tf: tuple) -> None:
        text = self.address + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in tf)
        self.map[aws] = (text, self.line_of(tf))


def _filter(attrs: Mapping, f: _Fields) -> dict:
    data: dict = {}
    for tf, aws in (("name", "filterName"), ("pattern", "filterPattern"),
                    ("log_group_name", "logGroupName")):
        if tf in attrs and attrs[tf] is not None:
            value = attrs[tf]
            if tf == "pattern" and isinstance(value, str):
                # The provider sends the pattern through strings.TrimSpace, so an indented heredoc
                # deploys as its trimmed text.
                value = value.strip()
            data[aws] = value
            f.add((aws,), (tf,))
    if attrs.get("apply_on_transformed_logs") is True:
        data["applyOnTransformedLogs"] = True
        f.add(("applyOnTransformedLogs",), ("apply_on_transformed_logs",))
    blocks = attrs.get("metric_transformation")
    if isinstance(blocks, Unresolved):
        data["metricTransformations"] = blocks
    elif isinstance(blocks, list):
        out = []
        f.add(("metricTransformations",), ("metric_transformation",))
        for i, block in enumerate(blocks):
            f.add(("metricTransformations", i), ("metric_transformation", i))
            t: dict = {}
            for tf, aws in (("name", "metricName"), ("namespace", "metricNamespace"), ("value", "metricValue"),
                            ("default_value", "defaultValue"), ("dimensions", "dimensions"), ("unit", "unit")):
                value = block.get(tf) if isinstance(block, Mapping) else None
                if _empty(value) or (tf == "unit" and value == "None"):
                    continue  # the provider's default unit "None" is no unit
                t[aws] = value
                f.add(("metricTransformations", i, aws), ("metric_transformation", i, tf))
            out.append(t)
        data["metricTransformations"] = out
    return data


def _alarm(attrs: Mapping, f: _Fields) -> dict:
    data: dict = {}
    for tf, aws in _ALARM_KEYS.items():
        value = attrs.get(tf)
        if _empty(value) or (tf in ("datapoints_to_alarm", "period") and value == 0):
            continue
        f.add((aws,), (tf,))
        if tf == "dimensions":
            value = _dimension_list(value)
        elif tf == "tags":
            value = _tags(value)
        elif tf == "metric_query" and isinstance(value, list):
            value = [_query(q, i, f) for i, q in enumerate(value)]
        data[aws] = value
    return data


def _query(block: Any, i: int, f: _Fields) -> Any:
    if not isinstance(block, Mapping):
        return block
    out: dict = {}
    for tf, aws in _QUERY_KEYS.items():
        value = block.get(tf)
        if _empty(value) or (tf == "period" and value == 0):
            continue
        out[aws] = value
        f.add(("Metrics", i, aws), ("metric_query", i, tf))
    metrics = block.get("metric")
    if isinstance(metrics, list) and metrics and isinstance(metrics[0], Mapping):
        m = metrics[0]
        metric: dict = {}
        for tf, aws in _QUERY_METRIC_KEYS.items():
            value = m.get(tf)
            if _empty(value):
                continue
            metric[aws] = _dimension_list(value) if tf == "dimensions" else value
            f.add(("Metrics", i, "MetricStat", "Metric", aws), ("metric_query", i, "metric", 0, tf))
        stat: dict = {"Metric": metric}
        for tf, aws in (("period", "Period"), ("stat", "Stat"), ("unit", "Unit")):
            if not _empty(m.get(tf)):
                stat[aws] = m[tf]
                f.add(("Metrics", i, "MetricStat", aws), ("metric_query", i, "metric", 0, tf))
        out["MetricStat"] = stat
    return out


def _composite(attrs: Mapping, f: _Fields) -> dict:
    data: dict = {}
    for tf, aws in _COMPOSITE_KEYS.items():
        value = attrs.get(tf)
        if _empty(value):
            continue
        f.add((aws,), (tf,))
        if tf == "tags":
            value = _tags(value)
        elif tf == "actions_suppressor":
            block = value[0] if isinstance(value, list) and value else value
            if isinstance(block, Mapping):
                data["ActionsSuppressor"] = block.get("alarm")
                for sub, key in (("wait_period", "ActionsSuppressorWaitPeriod"),
                                 ("extension_period", "ActionsSuppressorExtensionPeriod")):
                    if block.get(sub) is not None:
                        data[key] = block[sub]
                        f.add((key,), ("actions_suppressor", 0, sub))
            continue
        data[aws] = value
    return data


def _to_item(rtype: str, attrs: Mapping, origin_for: Callable[[dict], Origin],
             f: _Fields) -> SourceItem:
    if rtype == FILTER_TYPE:
        kind, data = FILTER, _filter(attrs, f)
    elif rtype == ALARM_TYPE:
        kind, data = METRIC_ALARM, _alarm(attrs, f)
    else:
        kind, data = COMPOSITE_ALARM, _composite(attrs, f)
    f.map[()] = (f.address, f.line_of(()))
    return SourceItem(kind, coerce_fields(data), origin_for(f.map))


# --------------------------------------------------------------------------- .tf modules


_BLOCK_RE = re.compile(r'^\s*resource\s+"([^"]+)"\s+"([^"]+)"\s*\{')
_ATTR_RE = re.compile(r"^\s*([A-Za-z_][\w-]*)\s*=(?!=)")
_NESTED_RE = re.compile(r"^\s*([A-Za-z_][\w-]*)\s*\{")


def _brace_delta(line: str) -> int:
    delta, in_string, i = 0, False, 0
    while i < len(line):
        c = line[i]
        if in_string:
            if c == "\\":
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c == "#" or line.startswith("//", i):
            break
        elif c == "{":
            delta += 1
        elif c == "}":
            delta -= 1
        i += 1
    return delta


def resource_lines(text: str) -> dict[tuple[str, str], tuple[int, dict[tuple, int]]]:
    """(type, name) -> (line of the block, {attribute path: line}) for each resource of a file."""
    out: dict[tuple[str, str], tuple[int, dict[tuple, int]]] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = _BLOCK_RE.match(lines[i])
        if not m:
            i += 1
            continue
        start = i + 1
        attrs: dict[tuple, int] = {}
        stack: list[tuple] = []  # nested blocks: (name, index) and the depth they opened at
        counts: dict[tuple, int] = {}
        depth = _brace_delta(lines[i])
        i += 1
        while i < len(lines) and depth > 0:
            line = lines[i]
            prefix = tuple(p for entry in stack for p in entry[:2])
            nested = _NESTED_RE.match(line)
            assign = _ATTR_RE.match(line)
            if nested and not assign:
                key = (*prefix, nested.group(1))
                index = counts.get(key, 0)
                counts[key] = index + 1
                attrs.setdefault((*prefix, nested.group(1)), i + 1)
                attrs[(*prefix, nested.group(1), index)] = i + 1
                stack.append((nested.group(1), index, depth))
            elif assign:
                attrs.setdefault((*prefix, assign.group(1)), i + 1)
            depth += _brace_delta(line)
            while stack and depth <= stack[-1][2]:
                stack.pop()
            i += 1
        out[(m.group(1), m.group(2))] = (start, attrs)
    return out


class _Resource:
    def __init__(self, rtype: str, name: str, body: dict, file: str, line: int | None,
                 attr_lines: dict[tuple, int]) -> None:
        self.rtype, self.name, self.body = rtype, name, body
        self.file, self.line, self.attr_lines = file, line, attr_lines


_MAX_MODULE_DEPTH = 16
_NULL_LABEL_RE = re.compile(r"(^|/)cloudposse/label/null$|terraform-null-label(\.git)?(/|\?|$)")
_LABELS = ("namespace", "tenant", "environment", "stage", "name", "attributes")
_CONFIG_YAML_RE = re.compile(r"(^|/)cloudposse/config/yaml$|terraform-yaml-config(\.git)?(/|\?|$)")


class Module:
    """One Terraform module: its variables, locals, resources and module calls, evaluated on demand.

    Args:
        directory: the module's directory.
        files: its ``.tf`` files.
        parameters: ``--parameter`` values (text, as Terraform's ``-var``) for the root module.
        var_files: ``--var-file`` files, read after ``terraform.tfvars`` and ``*.auto.tfvars``.
        module_paths: ``--module-path NAME=DIR``: local copies of registry or git modules, by
            module name or by source address.
        inputs: for a called module, its arguments (already evaluated); None for the root.
        prefix: ``module.NAME.`` addresses of a called module.
        root: the root module (for ``path.root`` and the shared evaluation budget).
    """

    def __init__(self, directory: str, files: list[Path], parameters: Mapping[str, str], *,
                 var_files: Sequence[str] = (), module_paths: Mapping[str, str] | None = None,
                 inputs: Mapping[str, Any] | None = None, prefix: str = "", root: Module | None = None,
                 depth: int = 0) -> None:
        import hcl2  # python-hcl2: a real HCL2 parser; imported only when Terraform is read

        self.hcl2 = hcl2
        self.directory = directory
        self.prefix = prefix
        self.root = root or self
        self.depth = depth
        self.module_paths = dict(module_paths or {})
        self.budget: Budget = root.budget if root is not None else Budget()
        self.findings: list[Finding] = []
        self.variables: dict[str, Any] = {}
        self.variable_specs: dict[str, dict] = {}
        self.local_raw: dict[str, Any] = {}
        self.resources: dict[tuple[str, str], _Resource] = {}
        self.data_blocks: dict[tuple[str, str], _Resource] = {}
        self.outputs: dict[str, Any] = {}
        self.modules: dict[str, _Resource] = {}
        self.used: set[str] = set()
        self._locals: dict[str, Any] = {}
        self._busy: set = set()
        self._attrs_cache: dict[tuple[str, str], Any] = {}
        self._children: dict[str, Any] = {}
        self._reported: set[str] = set()
        for path in files:
            self._read_file(path)
        if inputs is None:
            self._set_variables(parameters, var_files)
        else:
            self._set_inputs(inputs)

    def _parse(self, path: Path) -> tuple[dict | None, str]:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            self.findings.append(Finding(f"Cannot read the file: {getattr(exc, 'strerror', None) or exc}",
                                         ERROR, None, str(path)))
            return None, ""
        try:
            if not hasattr(self.hcl2, "SerializationOptions"):  # python-hcl2 7
                return hcl7.loads(text), text
            options = self.hcl2.SerializationOptions(with_comments=False, preserve_heredocs=False)
            return self.hcl2.loads(text, serialization_options=options), text
        except RecursionError:
            self.findings.append(Finding("Invalid HCL: expressions are nested too deeply to read", ERROR, None,
                                         str(path)))
            return None, text
        except Exception as exc:  # noqa: BLE001 - python-hcl2 raises lark's exceptions; report, never a traceback
            line = getattr(exc, "line", None)
            column = getattr(exc, "column", None)
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            self.findings.append(Finding(f"Invalid HCL: {first}", ERROR, None, str(path),
                                         line if isinstance(line, int) and line > 0 else None, "",
                                         None, column if isinstance(column, int) and column > 0 else None))
            return None, text

    def _read_file(self, path: Path) -> None:
        data, text = self._parse(path)
        if data is None:
            return
        lines = resource_lines(text)
        for block in data.get("variable", []):
            for name, spec in block.items():
                if not name.startswith("__"):
                    self.variable_specs[_unquote(name)] = spec if isinstance(spec, dict) else {}
        for block in data.get("locals", []):
            for name, value in block.items():
                if not name.startswith("__"):
                    self.local_raw[name] = value
        for block in data.get("output", []):
            for name, body in block.items():
                if not name.startswith("__") and isinstance(body, dict):
                    self.outputs[_unquote(name)] = body.get("value")
        for block in data.get("module", []):
            for name, body in block.items():
                if not name.startswith("__"):
                    nm = _unquote(name)
                    self.modules[nm] = _Resource("module", nm, body if isinstance(body, dict) else {},
                                                 str(path), _block_line(text, "module", nm), {})
        for kind, target in (("resource", self.resources), ("data", self.data_blocks)):
            for block in data.get(kind, []):
                for rtype, named in block.items():
                    if rtype.startswith("__") or not isinstance(named, dict):
                        continue
                    for name, body in named.items():
                        if name.startswith("__"):
                            continue
                        rt, nm = _unquote(rtype), _unquote(name)
                        start, attr_lines = lines.get((rt, nm), (None, {})) if kind == "resource" else \
                            (_block_line(text, "data", rt, nm), {})
                        target[(rt, nm)] = _Resource(rt, nm, body if isinstance(body, dict) else {},
                                                     str(path), start, attr_lines)

    def _set_variables(self, parameters: Mapping[str, str], var_files: Sequence[str]) -> None:
        tfvars: dict[str, Any] = {}
        directory = Path(self.directory)
        names = ["terraform.tfvars", "terraform.tfvars.json"]
        names += sorted(p.name for p in directory.glob("*.auto.tfvars")) if directory.is_dir() else []
        names += sorted(p.name for p in directory.glob("*.auto.tfvars.json")) if directory.is_dir() else []
        paths = [directory / name for name in names]
        for extra in var_files:  # Terraform: -var-file files are read after the automatic ones
            path = Path(extra)
            if not path.is_file():
                self.findings.append(Finding(f"--var-file {extra}: no such file", ERROR, None, extra))
                continue
            paths.append(path)
        empty = Scope({}, self._no_local, self._no_resource, budget=self.budget)
        for path in paths:
            if not path.is_file():
                continue
            if path.name.endswith(".json"):
                try:
                    tfvars.update(json.loads(path.read_text(encoding="utf-8")))
                except (OSError, ValueError) as exc:
                    self.findings.append(Finding(f"Invalid JSON: {exc}", ERROR, None, str(path)))
                continue
            data, _ = self._parse(path)
            for key, value in (data or {}).items():
                if not key.startswith("__"):
                    tfvars[key] = evaluate(value, empty)
        for name, spec in self.variable_specs.items():
            if name in parameters:
                self.used.add(name)
                self.variables[name] = _typed(parameters[name], spec, empty)
            elif name in tfvars:
                self.variables[name] = tfvars[name]
            elif "default" in spec:
                self.variables[name] = evaluate(spec["default"], empty)
            else:
                self.variables[name] = Unresolved(f"var.{name}", f"variable {name} has no default; give "
                                                                 f"--parameter {name}=VALUE")

    def _set_inputs(self, inputs: Mapping[str, Any]) -> None:
        empty = Scope({}, self._no_local, self._no_resource, budget=self.budget)
        caller = self.prefix.rstrip(".")
        for name, spec in self.variable_specs.items():
            if name in inputs and inputs[name] is not None:
                self.variables[name] = inputs[name]
            elif "default" in spec:
                self.variables[name] = evaluate(spec["default"], empty)
            else:
                self.variables[name] = Unresolved(f"var.{name}", f"{caller} passes no value for its "
                                                                 f"variable {name}, which has no default")

    @staticmethod
    def _no_local(name: str) -> Any:
        return Unresolved(f"local.{name}", "locals are not available here")

    @staticmethod
    def _no_resource(rtype: str, name: str) -> Any:
        return Unresolved(f"{rtype}.{name}", "resources are not available here")

    # ------------------------------------------------------------------ evaluation

    def scope(self) -> Scope:
        return Scope(self.variables, self.local, self.resource_value, module=self.module_value,
                     data=self.data_value, path=self.directory, root=self.root.directory, budget=self.budget)

    def _evaluate(self, raw: Any, scope: Scope) -> Any:
        return evaluate(raw, scope)

    def local(self, name: str) -> Any:
        if name in self._locals:
            return self._locals[name]
        if name not in self.local_raw:
            return Unresolved(f"local.{name}", f"the module declares no local {name}")
        if ("local", name) in self._busy:
            return Unresolved(f"local.{name}", "the local refers to itself")
        self._busy.add(("local", name))
        try:
            value = evaluate(self.local_raw[name], self.scope())
        finally:
            self._busy.discard(("local", name))
        self._locals[name] = value
        return value

    def instances(self, res: _Resource) -> Iterator[tuple[str, Scope]] | Unresolved:
        """(address suffix, scope) of each instance of a resource (``for_each`` and ``count``)."""
        base = self.scope()
        if "for_each" in res.body:
            each = evaluate(res.body["for_each"], base)
            if isinstance(each, Unresolved):
                return each
            if isinstance(each, Mapping):
                pairs = list(each.items())
            elif isinstance(each, list):
                bad = next((v for v in each if isinstance(v, Unresolved)), None)
                if bad is not None:
                    return bad
                pairs = [(v, v) for v in each]
            elif each is None:
                return Unresolved("for_each", "for_each is null")
            else:
                return Unresolved("for_each", "for_each is neither a map nor a set")
            return iter([(f'["{k}"]', base.child(each={"key": k, "value": v})) for k, v in pairs])
        if "count" in res.body:
            count = evaluate(res.body["count"], base)
            if isinstance(count, Unresolved):
                return count
            try:
                n = int(count)
            except (TypeError, ValueError):
                return Unresolved("count", "count is not a number")
            if n > 10_000:
                return Unresolved("count", f"count is {n:,}; cwfilter reads at most 10,000 instances")
            return iter([(f"[{i}]", base.child(count_index=i)) for i in range(n)])
        return iter([("", base)])

    def attributes(self, res: _Resource, scope: Scope) -> dict:
        body = {k: v for k, v in res.body.items() if k not in ("for_each", "count", "lifecycle",
                                                               "depends_on", "provider", "dynamic")}
        attrs = evaluate(body, scope)
        for block in res.body.get("dynamic") or []:
            if not isinstance(block, Mapping):
                continue
            for name, spec in block.items():
                if not name.startswith("__"):
                    attrs[_unquote(name)] = self._dynamic(_unquote(name), spec, scope)
        return attrs

    def _dynamic(self, name: str, spec: Any, scope: Scope) -> Any:
        """A ``dynamic "NAME"`` block: one block per element of ``for_each``."""
        spec = spec[0] if isinstance(spec, list) and spec else spec
        if not isinstance(spec, Mapping):
            return Unresolved(f'dynamic "{name}"', "cannot read the dynamic block")
        each = evaluate(spec.get("for_each"), scope)
        if isinstance(each, Unresolved):
            return each
        iterator = _unquote(str(evaluate(spec.get("iterator", f'"{name}"'), scope)))
        content = spec.get("content")
        content = content[0] if isinstance(content, list) and content else content
        pairs = list(each.items()) if isinstance(each, Mapping) else list(enumerate(each or []))
        return [evaluate(content or {}, scope.bind({iterator: {"key": k, "value": v}})) for k, v in pairs]

    def resource_value(self, rtype: str, name: str) -> Any:
        """The value of ``TYPE.NAME`` in an expression: its attributes (a map or list per instance)."""
        res = self.resources.get((rtype, name))
        if res is None:
            return Unresolved(f"{rtype}.{name}", f"the module declares no resource {rtype}.{name}")
        key = (rtype, name)
        if key in self._attrs_cache:
            return self._attrs_cache[key]
        if key in self._busy:
            return Unresolved(f"{rtype}.{name}", "the resource refers to itself")
        self._busy.add(key)
        try:
            insts = self.instances(res)
            if isinstance(insts, Unresolved):
                value: Any = Unresolved(f"{rtype}.{name}", insts.reason)
            else:
                values = {suffix: self._computed(res, suffix, self.attributes(res, scope)) for suffix, scope in insts}
                if "for_each" in res.body:
                    value = {suffix[2:-2]: v for suffix, v in values.items()}
                elif "count" in res.body:
                    value = list(values.values())
                else:
                    value = values[""]
        finally:
            self._busy.discard(key)
        self._attrs_cache[key] = value
        return value

    def data_value(self, rtype: str, name: str) -> Any:
        """``data.TYPE.NAME``: ``template_file`` is rendered locally; the rest is read from AWS."""
        res = self.data_blocks.get((rtype, name))
        if res is None or rtype != "template_file":
            return Unresolved(f"data.{rtype}.{name}", f"data.{rtype}.{name} is read from AWS at plan time")
        scope = self.scope()
        template = evaluate(res.body.get("template"), scope)
        variables = evaluate(res.body.get("vars", {}), scope)
        for value, what in ((template, "template"), (variables, "vars")):
            if isinstance(value, Unresolved):
                return Unresolved(f"data.{rtype}.{name}", f"its {what} cannot be resolved: {value.reason}")
        if not isinstance(template, str):
            return Unresolved(f"data.{rtype}.{name}", "its template is not a string")
        rendered = evaluate('"' + template.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"',
                            Scope({}, self._no_local, self._no_resource, names=variables if isinstance(
                                variables, Mapping) else {}, path=self.directory, root=self.root.directory,
                                budget=self.budget))
        return {"rendered": rendered, "template": template, "vars": variables,
                "id": Unresolved(f"data.{rtype}.{name}.id", "the id is a hash computed at plan time")}

    # ------------------------------------------------------------------ module calls

    def _source(self, name: str, res: _Resource) -> tuple[str, Path | None, str | None]:
        """(source, local directory, or the reason why there is none) of ``module "NAME"``."""
        scope = self.scope()
        source = evaluate(res.body.get("source"), scope)
        source = source if isinstance(source, str) else ""
        given = self.root.module_paths.get(name) or self.root.module_paths.get(source)
        if given is not None:
            return source, Path(given), None
        if source.startswith(("./", "../")) or source in (".", ".."):
            return source, Path(os.path.normpath(Path(self.directory) / source)), None
        return source, None, (f"module.{name} comes from {source or 'an unknown source'}, which cannot be "
                              f"fetched offline; point cwfilter at a local copy with --module-path "
                              f"{name}=DIR")

    def _module_instances(self, name: str) -> Any:
        """[(key, child `Module` or null-label outputs)] of a module call, or `Unresolved`."""
        if name in self._children:
            return self._children[name]
        res = self.modules[name]
        self._children[name] = Unresolved(f"module.{name}", "the module refers to itself")
        source, directory, reason = self._source(name, res)
        insts = self.instances(res)
        if isinstance(insts, Unresolved):
            result: Any = Unresolved(f"module.{name}", f"its {insts.text} cannot be resolved: {insts.reason}")
            self._children[name] = result
            return result
        skip = ("source", "version", "for_each", "count", "providers", "depends_on")
        out = []
        for suffix, scope in insts:
            inputs = {k: v for k, v in evaluate({k: v for k, v in res.body.items() if k not in skip},
                                                scope).items()}
            if directory is None and _NULL_LABEL_RE.search(source):
                out.append((suffix, null_label(inputs, f"module.{name}{suffix}")))
                continue
            if directory is None and _CONFIG_YAML_RE.search(source):
                out.append((suffix, config_yaml(inputs, f"module.{name}{suffix}", self.root.directory)))
                continue
            if directory is None:
                out.append((suffix, Unresolved(f"module.{name}", reason or "")))
                continue
            files = sorted(directory.glob("*.tf")) if directory.is_dir() else []
            if not files:
                out.append((suffix, Unresolved(f"module.{name}", f"{directory} holds no .tf files")))
                continue
            if self.depth >= _MAX_MODULE_DEPTH:
                out.append((suffix, Unresolved(f"module.{name}", f"modules nest more than "
                                                                 f"{_MAX_MODULE_DEPTH} deep")))
                continue
            child = Module(str(directory), files, {}, inputs=inputs,
                           prefix=f"{self.prefix}module.{name}{suffix}.", root=self.root, depth=self.depth + 1)
            out.append((suffix, child))
        result = out if ("for_each" in res.body or "count" in res.body) else out[:1]
        self._children[name] = (result, "for_each" in res.body, "count" in res.body)
        return self._children[name]

    def module_value(self, name: str) -> Any:
        """``module.NAME``: the module's outputs (a map, or a map/list of them per instance)."""
        if name not in self.modules:
            return Unresolved(f"module.{name}", f"the module declares no module {name}")
        got = self._module_instances(name)
        if isinstance(got, Unresolved):
            return got
        insts, by_key, by_count = got

        def outputs(target: Any) -> Any:
            if isinstance(target, Module):
                return {k: evaluate(v, target.scope()) for k, v in target.outputs.items()}
            return target
        values = [(suffix, outputs(target)) for suffix, target in insts]
        if by_key:
            return {suffix[2:-2]: v for suffix, v in values}
        if by_count:
            return [v for _, v in values]
        return values[0][1] if values else Unresolved(f"module.{name}", "the module has no instances")

    def _computed(self, res: _Resource, suffix: str, attrs: dict) -> dict:
        """Attributes the provider computes: ``id``, ``arn``, and a log group's generated name."""
        address = f"{self.prefix}{res.rtype}.{res.name}{suffix}"
        attrs = dict(attrs)
        if res.rtype == LOG_GROUP_TYPE:
            name = attrs.get("name")
            if name is None or isinstance(name, Unresolved):
                # Terraform generates the name (name_prefix, or none at all), or it is built from what
                # is known only after apply: the address stands in (as a valid log group name).
                why = "has no name, so it is generated at apply time" if name is None else \
                    f"has a name known only after apply ({name.text}: {name.reason})"
                name = re.sub(r'\["?([^"\]]*)"?\]', r".\1", address)
                attrs["name"] = name
                self.findings.append(Finding(
                    f"log group {address} {why}; cwfilter calls it '{name}' (bind inputs with FILE@{name})",
                    NOTE, "CWF200", res.file, res.line, address, address))
            attrs.setdefault("id", name)
            hint = {"log_group": name} if isinstance(name, str) else {}
            attrs.setdefault("arn", Unresolved(f"{address}.arn", "the ARN is known only after apply", hint))
        elif res.rtype == FILTER_TYPE:
            attrs.setdefault("id", attrs.get("name"))
        elif res.rtype in (ALARM_TYPE, COMPOSITE_TYPE):
            name = attrs.get("alarm_name")
            attrs.setdefault("id", name)
            if isinstance(name, str):
                # DECISIONS A12: an alarm's ARN names the alarm; region and account stay unknown.
                attrs.setdefault("arn", f"arn:aws:cloudwatch:unknown-region:unknown-account:alarm:{name}")
        for attribute in ("id", "arn"):
            attrs.setdefault(attribute, Unresolved(f"{address}.{attribute}", f"{address}.{attribute} is known "
                                                                               "only after apply"))
        return attrs

    # ------------------------------------------------------------------ items

    def read(self) -> tuple[list[SourceItem], list[Finding], list[LogDelivery]]:
        items: list[SourceItem] = []
        deliveries: list[LogDelivery] = []
        for (rtype, name), res in self.resources.items():
            if rtype not in _READ_TYPES:
                continue
            insts = self.instances(res)
            address = f"{self.prefix}{rtype}.{name}"
            if isinstance(insts, Unresolved):
                self.findings.append(Finding(
                    f"{address}: {insts.text} cannot be resolved without planning: {insts.reason}; its "
                    "instances are not read", ERROR, "CWF200", res.file, res.line, address, address))
                continue
            for suffix, scope in insts:
                attrs = self._computed(res, suffix, self.attributes(res, scope)) if rtype == TRAIL_TYPE \
                    else self.attributes(res, scope)
                full = address + suffix

                def line_of(path: tuple, _res: _Resource = res) -> int | None:
                    return _res.attr_lines.get(path, _res.line) if path else _res.line

                if rtype == TRAIL_TYPE:
                    group = _log_group_of_arn(attrs.get("cloud_watch_logs_group_arn"))
                    if group is not None:
                        trail = attrs.get("name") if isinstance(attrs.get("name"), str) else full
                        origin = Origin(res.file, res.line, full, "terraform", full)
                        deliveries.append(LogDelivery(group, f"CloudTrail trail '{trail}'", "cloudtrail", origin))
                    continue
                f = _Fields(full, line_of)

                def origin_for(fields: dict, _res: _Resource = res, _full: str = full) -> Origin:
                    return Origin(_res.file, _res.line, _full, "terraform", _full, fields)

                item = _to_item(rtype, attrs, origin_for, f)
                items.append(item)
        for name, res in self.modules.items():
            got = self._module_instances(name)
            address = f"{self.prefix}module.{name}"
            if isinstance(got, Unresolved):
                self.findings.append(Finding(f"{address} is not read: {got.reason}", ERROR, "CWF200",
                                             res.file, res.line, address, address))
                continue
            for _suffix, target in got[0]:
                if isinstance(target, Module):
                    got_items, got_findings, got_deliveries = target.read()
                    items += got_items
                    self.findings += got_findings
                    deliveries += got_deliveries
                elif isinstance(target, Unresolved) and address not in self._reported:
                    self._reported.add(address)
                    self.findings.append(Finding(f"{address} is not read: {target.reason}", WARNING, "CWF211",
                                                 res.file, res.line, address, address))
        return items, self.findings, deliveries


def null_label(inputs: Mapping[str, Any], address: str) -> dict:
    """The well-known outputs of the null-label module (``cloudposse/label/null``) from its inputs.

    ``enabled``, ``id``, ``tags``, ``context`` and the labels, as the module computes them: each
    input falls back to the same key of ``context``; ``id`` joins the non-empty labels in
    ``label_order`` with ``delimiter``, lower-cased, with characters outside ``[-a-zA-Z0-9]`` removed.
    """
    context = inputs.get("context")
    context = context if isinstance(context, Mapping) else {}

    def pick(key: str, default: Any = None) -> Any:
        value = inputs.get(key)
        if value is None:
            value = context.get(key)
        return default if value is None else value

    enabled = pick("enabled", True)
    delimiter = pick("delimiter", "-")
    order = pick("label_order", None) or list(_LABELS)  # coalescelist(input, defaults), as the module
    case = pick("label_value_case", "lower")
    strip = pick("regex_replace_chars", "/[^-a-zA-Z0-9]/")
    attributes = [*(context.get("attributes") or []), *(inputs.get("attributes") or [])] \
        if not isinstance(context.get("attributes"), Unresolved) else context.get("attributes")
    labels: dict[str, Any] = {key: pick(key, "") for key in _LABELS if key != "attributes"}
    labels["attributes"] = attributes
    blocking = [(k, v) for k, v in [("enabled", enabled), ("delimiter", delimiter), ("label_order", order),
                                    *labels.items()] if isinstance(v, Unresolved)
                or (isinstance(v, list) and any(isinstance(x, Unresolved) for x in v))]

    # The module strips with replace(value, regex_replace_chars, ""): Terraform's regex, Go's RE2
    # syntax, run here on RE2 too (linear time, whatever the pattern).
    stripper: Any = None
    if isinstance(strip, Unresolved):
        blocking.append(("regex_replace_chars", strip))
    elif isinstance(strip, str) and len(strip) > 2 and strip.startswith("/") and strip.endswith("/"):
        try:
            stripper = _re2(strip[1:-1])
        except _Fail as exc:
            blocking.append(("regex_replace_chars", Unresolved(f"{address}.id", exc.reason)))

    def clean(value: Any) -> str:
        text = str(value)
        if stripper is not None:
            text = stripper.sub("", text)
        if case == "lower":
            text = text.lower()
        elif case == "upper":
            text = text.upper()
        elif case == "title":
            text = text.title()
        return text

    if blocking:
        key, value = blocking[0]
        reason = value.reason if isinstance(value, Unresolved) else "one attribute is unresolved"
        missing = Unresolved(f"{address}.id", f"the null-label input {key} is unresolved ({reason}); give it "
                                              "a value")
        label_id: Any = missing
    elif enabled is False:
        label_id = ""
    else:
        parts = []
        for key in order if isinstance(order, list) else _LABELS:
            value = labels.get(key)
            if key == "attributes":
                text = delimiter.join(clean(a) for a in value if a not in (None, ""))
            else:
                text = clean(value) if value not in (None, "") else ""
            if text:
                parts.append(text)
        label_id = delimiter.join(parts)
    tags = dict(context.get("tags") or {}) if isinstance(context.get("tags"), Mapping) else {}
    if isinstance(inputs.get("tags"), Mapping):
        tags.update(inputs["tags"])
    if isinstance(label_id, str) and label_id:
        tags.setdefault("Name", label_id)
    ctx = {**context, **{k: v for k, v in inputs.items() if k != "context" and v is not None},
           "enabled": enabled, "delimiter": delimiter, "attributes": attributes, "tags": tags}
    return {"enabled": enabled, "id": label_id, "id_full": label_id, "tags": tags, "context": ctx,
            "normalized_context": ctx, "delimiter": delimiter, "attributes": attributes, **labels,
            "label_order": order}


def _deep_merge(base: Any, extra: Any) -> Any:
    if isinstance(base, Mapping) and isinstance(extra, Mapping):
        out = dict(base)
        for key, value in extra.items():
            out[key] = _deep_merge(out.get(key), value)
        return out
    return extra


def config_yaml(inputs: Mapping[str, Any], address: str, root: str) -> dict:
    """The outputs of the YAML config module (``cloudposse/config/yaml``) from its inputs.

    ``map_configs``: the maps of the YAML files that ``map_config_paths`` (globs, under
    ``map_config_local_base_path``) name, deep-merged in order, then ``map_configs``;
    ``list_configs`` likewise with lists. Remote paths (``http(s)://``) stay unresolved.
    """
    import yaml

    base = inputs.get("map_config_local_base_path") or inputs.get("list_config_local_base_path") or root
    out: dict[str, Any] = {}
    for kind, merge in (("map", _deep_merge), ("list", lambda a, b: [*(a or []), *(b or [])])):
        paths = inputs.get(f"{kind}_config_paths") or []
        bad = next((p for p in [paths, *paths] if isinstance(p, Unresolved)), None) if isinstance(paths, list) \
            else paths
        if isinstance(bad, Unresolved) or not isinstance(paths, list):
            reason = bad.reason if isinstance(bad, Unresolved) else f"{kind}_config_paths is not a list"
            out[f"{kind}_configs"] = Unresolved(f"{address}.{kind}_configs", reason)
            continue
        value: Any = {} if kind == "map" else []
        problem: Unresolved | None = None
        for pattern in paths:
            text = str(pattern)
            if text.startswith(("http://", "https://")):
                problem = Unresolved(f"{address}.{kind}_configs", f"{text} is fetched over the network")
                break
            full = text if Path(text).is_absolute() else str(Path(str(base)) / text)
            matches = sorted(Path(full).parent.glob(Path(full).name)) if Path(full).parent.is_dir() else []
            for match in matches:
                try:
                    if match.stat().st_size > 1 << 20:
                        raise ValueError(f"{match} is larger than 1,048,576 bytes")
                    loaded = yaml.safe_load(match.read_text(encoding="utf-8"))
                except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
                    problem = Unresolved(f"{address}.{kind}_configs", f"cannot read {match}: {exc}")
                    break
                if loaded is not None:
                    value = merge(value, loaded)
        extra = inputs.get(f"{kind}_configs")
        if extra and not isinstance(extra, Unresolved):
            value = merge(value, extra)
        out[f"{kind}_configs"] = problem if problem is not None else value
    out["all_imports_map"] = out["map_configs"]
    out["all_imports_list"] = out["list_configs"]
    return out


def _block_line(text: str, kind: str, *names: str) -> int | None:
    """The line of ``KIND "NAME" ... {`` in `text`."""
    pattern = r"^\s*" + re.escape(kind) + "".join(r'\s+"?' + re.escape(n) + '"?' for n in names) + r"\s*\{"
    m = re.search(pattern, text, re.MULTILINE)
    return text.count("\n", 0, m.start()) + 1 if m else None


def _unquote(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] == '"' and text[-1] == '"' else text


def _typed(value: str, spec: Mapping, scope: Scope | None = None) -> Any:
    """A ``--parameter`` value as Terraform's ``-var`` reads it: literal text for a string (or
    untyped) variable, a number or a bool for those types, an HCL expression for the others."""
    kind = str(spec.get("type", "")).replace("${", "").replace("}", "").strip()
    if kind == "number":
        try:
            number = float(value)
            return int(number) if number.is_integer() else number
        except ValueError:
            return value
    if kind == "bool" and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if kind.startswith(("list", "set", "map", "object", "tuple", "any")):
        parsed = evaluate("${" + value + "}", scope or Scope({}, Module._no_local, Module._no_resource))
        if not isinstance(parsed, Unresolved):
            return parsed
        try:
            return json.loads(value)
        except ValueError:
            return parsed
    return value


def read_module(directory: str, files: list[Path], parameters: Mapping[str, str], *,
                var_files: Sequence[str] = (), module_paths: Mapping[str, str] | None = None,
                ) -> tuple[list[SourceItem], list[Finding], list[LogDelivery], set[str]]:
    """Items, findings and deliveries of the ``.tf`` files of one module directory (and of the
    local modules it calls)."""
    module = Module(directory, files, parameters, var_files=var_files, module_paths=module_paths)
    items, findings, deliveries = module.read()
    return items, findings, deliveries, module.used


# --------------------------------------------------------------------------- terraform show -json


def _walk_modules(module: Any) -> Iterator[Mapping]:
    if not isinstance(module, Mapping):
        return
    for res in module.get("resources") or []:
        if isinstance(res, Mapping):
            yield res
    for child in module.get("child_modules") or []:
        yield from _walk_modules(child)


def _overlay_unknown(values: Any, unknown: Any, address: str, path: tuple) -> Any:
    """Put an `Unresolved` wherever ``after_unknown`` says a value is known only after apply."""
    if unknown is True:
        where = address + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
        return Unresolved(where, "terraform marks it known only after apply")
    if isinstance(unknown, Mapping):
        base = dict(values) if isinstance(values, Mapping) else {}
        for key, sub in unknown.items():
            base[key] = _overlay_unknown(base.get(key), sub, address, (*path, key))
        return base
    if isinstance(unknown, list):
        base_list = list(values) if isinstance(values, list) else []
        for i, sub in enumerate(unknown):
            if i < len(base_list):
                base_list[i] = _overlay_unknown(base_list[i], sub, address, (*path, i))
            elif sub is True:
                base_list.append(_overlay_unknown(None, sub, address, (*path, i)))
        return base_list
    return values


def _referenced_log_group(data: Mapping, res: Mapping, planned: Mapping[str, Mapping]) -> str | None:
    """The planned name of the log group whose ARN a trail's configuration refers to.

    A log group's ARN is unknown until apply, but the plan's ``configuration`` section keeps the
    references (``aws_cloudwatch_log_group.trail.arn``), and the group's name is usually known.
    """
    config = data.get("configuration")
    module = config.get("root_module") if isinstance(config, Mapping) else None
    for conf in (module or {}).get("resources") or []:
        if not isinstance(conf, Mapping) or conf.get("address") != f"{res.get('type')}.{res.get('name')}":
            continue
        expr = (conf.get("expressions") or {}).get("cloud_watch_logs_group_arn") or {}
        for ref in expr.get("references") or []:
            m = re.fullmatch(r"(aws_cloudwatch_log_group\.[\w-]+)(?:\.arn)?", str(ref))
            target = planned.get(m.group(1)) if m else None
            name = (target or {}).get("values", {}).get("name") if isinstance(target, Mapping) else None
            if isinstance(name, str):
                return name
    return None


def read_plan(doc: Document) -> tuple[list[SourceItem], list[Finding], list[LogDelivery]]:
    """Items and deliveries of a ``terraform show -json`` plan or state document."""
    data = doc.data
    root = (data.get("planned_values") or {}).get("root_module") if isinstance(data.get("planned_values"), Mapping) \
        else None
    if root is None and isinstance(data.get("values"), Mapping):
        root = data["values"].get("root_module")
    unknown: dict[str, Any] = {}
    for change in data.get("resource_changes") or []:
        if isinstance(change, Mapping) and isinstance(change.get("change"), Mapping):
            unknown[change.get("address")] = change["change"].get("after_unknown") or {}
    items: list[SourceItem] = []
    deliveries: list[LogDelivery] = []
    planned = {str(r.get("address")): r for r in _walk_modules(root)}
    for res in _walk_modules(root):
        rtype, address = res.get("type"), str(res.get("address"))
        if res.get("mode", "managed") != "managed" or rtype not in _READ_TYPES:
            continue
        attrs = _overlay_unknown(res.get("values") or {}, unknown.get(address, {}), address, ())
        if rtype == TRAIL_TYPE:
            group = _log_group_of_arn(attrs.get("cloud_watch_logs_group_arn"))
            if group is None:
                group = _referenced_log_group(data, res, planned)
            if group is not None:
                origin = Origin(doc.source, None, address, "terraform-plan", address)
                deliveries.append(LogDelivery(group, f"CloudTrail trail '{attrs.get('name') or address}'",
                                              "cloudtrail", origin))
            continue
        f = _Fields(address, lambda path: None)

        def origin_for(fields: dict, _address: str = address) -> Origin:
            return Origin(doc.source, None, _address, "terraform-plan", _address, fields)

        items.append(_to_item(rtype, attrs, origin_for, f))
    return items, [], deliveries
