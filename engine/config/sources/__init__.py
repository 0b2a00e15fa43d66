"""Metric filters and alarms from where users keep them: native configs, CloudFormation, CDK, Terraform.

Each path is recognised by its content (README, "Sources"):

* a native configuration (``describe-metric-filters`` / ``describe-alarms`` shapes), read by
  `engine.config` exactly as before;
* a CloudFormation template, JSON or YAML with short-form tags, ``cdk synth`` output included
  (a ``cdk.out`` directory reads every ``*.template.json``);
* a Terraform module (a directory, or any ``.tf`` file of it: the whole directory is the module);
* ``terraform show -json`` output (a plan or a state);
* a CloudWatch agent configuration (it names the log groups files go to).

`load_sources` returns the merged `Config` plus each item's `Origin`; `check_sources` returns
every `Finding` (the service's validation, unresolved values, wiring checks); `render_native`
writes the equivalent native configuration (``cwfilter import``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import ConfigError, ConfigIssue
from .. import reading
from ..collect import _Document
from ..native import Config, MetricFilter, check_config, iter_config_issues, load_config
from . import native
from .common import settle
from .documents import Document, DocumentError, json_lines, parse_text
from .kinds import is_agent_config, is_plan, is_template
from .model import (
    CODES,
    COLLECTION,
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

# The CloudFormation, Terraform and agent readers are imported where a source of their kind is read:
# a native configuration (`cwfilter run`, `check`) does not load them.

__all__ = [
    "CODES", "Finding", "LoadedSources", "LogDelivery", "Origin", "SourceItem", "Unresolved",
    "check_sources", "detect", "load_sources", "parse_parameters", "render_native",
]

NATIVE = "native"
CLOUDFORMATION = "cloudformation"
TERRAFORM = "terraform"
TERRAFORM_PLAN = "terraform-plan"
AGENT = "agent"

# Placeholders of agent log group names, given with --parameter like template parameters.
_AGENT_PARAMETERS = {"instance_id", "ip_address", "hostname", "local_hostname"}


@dataclass(slots=True)
class LoadedSources:
    """What `load_sources` read.

    Attributes:
        config: every metric filter and alarm, merged and validated.
        origins: ``("metricFilters", i)`` / ``("MetricAlarms", i)`` / ``("CompositeAlarms", i)``
            (indexes into `config`'s lists) -> where the item came from.
        findings: warnings and notes (errors raise instead).
        deliveries: log groups the sources write to.
        agent_docs: CloudWatch agent configurations among the sources.
    """

    config: Config
    origins: dict[tuple[str, int], Origin] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    deliveries: list[LogDelivery] = field(default_factory=list)
    agent_docs: list[Document] = field(default_factory=list)


@dataclass(slots=True)
class _Scan:
    native_paths: list[str] = field(default_factory=list)
    native_docs: list[Document] = field(default_factory=list)
    # Native files read here as the config reader reads them (file name -> documents): the config
    # check takes them as they are instead of reading the files again.
    native_parsed: dict[str, list[_Document]] = field(default_factory=dict)
    stdin_text: str | None = None
    items: list[SourceItem] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    deliveries: list[LogDelivery] = field(default_factory=list)
    agent_docs: list[Document] = field(default_factory=list)
    declared: set[str] = field(default_factory=set)
    used: set[str] = field(default_factory=set)


def parse_parameters(values: Sequence[str] | None) -> dict[str, str]:
    """``["KEY=VALUE", ...]`` (``--parameter``) as a dict.

    Raises:
        ValueError: an entry without ``=`` or with an empty key.
    """
    out: dict[str, str] = {}
    for text in values or ():
        key, sep, value = text.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--parameter takes KEY=VALUE, not {text!r}")
        out[key.strip()] = value
    return out


def _classify(data: Any) -> str:
    if is_template(data):
        return CLOUDFORMATION
    if is_plan(data):
        return TERRAFORM_PLAN
    if is_agent_config(data):
        return AGENT
    return NATIVE


def detect(path: str) -> str:
    """The kind of a source, by its content: ``native``, ``cloudformation``, ``terraform``,
    ``terraform-plan`` or ``agent`` (``native`` also for what cannot be read: the config reader
    then reports why)."""
    p = Path(path)
    if path != "-" and (p.suffix == ".tf" or (p.is_dir() and any(p.glob("*.tf")))):
        return TERRAFORM
    if p.is_dir():
        return CLOUDFORMATION if any(p.glob("*.template.json")) else NATIVE
    try:
        text = sys.stdin.read() if path == "-" else reading.read_document_text(p)
        docs = parse_text(text, path, want_lines=False)
    except (OSError, DocumentError, reading.DocumentProblem):
        return NATIVE
    return _classify(docs[0].data) if docs else NATIVE


def _read_document_source(text: str, source: str, scan: _Scan, parameters: Mapping[str, str]) -> bool:
    """Read a YAML/JSON source that is not native; False when it is native (its documents are kept
    in `scan.native_docs`) or unreadable (the config reader reports why)."""
    try:
        docs = parse_text(text, source, want_lines=False)
    except DocumentError:
        return False
    if not docs:
        return False
    kind = _classify(docs[0].data)
    if kind == NATIVE:
        docs = _with_lines(docs, text, source)
        scan.native_docs.extend(docs)
        if source != "<stdin>" and not any(doc.short_tags for doc in docs):
            # Without CloudFormation's short tags, this reader and the config reader (same loader,
            # same bounds, same JSON reader) make the same documents from the same text.
            scan.native_parsed[source] = [_Document(doc.source, doc.data, doc.lines) for doc in docs]
        return False
    if kind == TERRAFORM_PLAN:
        from . import terraform

        items, findings, deliveries = terraform.read_plan(docs[0])
    else:
        docs = _with_lines(docs, text, source)
        if kind == AGENT:
            from . import agent

            scan.agent_docs.append(docs[0])
            scan.declared |= _AGENT_PARAMETERS
            deliveries, findings = agent.deliveries(docs[0], parameters)
            scan.findings.extend(findings)
            scan.deliveries.extend(deliveries)
            return True
        from . import cloudformation

        items, findings, deliveries = [], [], []
        for doc in docs:
            if not is_template(doc.data):
                continue
            got, found, delivered, used = cloudformation.read(doc, parameters)
            items += got
            findings += found
            deliveries += delivered
            scan.used |= used
            params = doc.data.get("Parameters")
            scan.declared |= set(params) if isinstance(params, Mapping) else set()
            scan.declared |= set(cloudformation._PSEUDO)
    scan.items.extend(items)
    scan.findings.extend(findings)
    scan.deliveries.extend(deliveries)
    return True


def _with_lines(docs: list[Document], text: str, source: str) -> list[Document]:
    """`docs` with the line of every path: YAML has them already; JSON gets them from its text."""
    if all(doc.lines or doc.data is None for doc in docs):
        return docs
    # Only the JSON reader leaves them out (one document): the values stay, the lines are added.
    return [dataclasses.replace(doc, lines=json_lines(text)) for doc in docs]


def _scan(paths: Sequence[str], parameters: Mapping[str, str], terraform_options: Mapping[str, Any] | None = None
          ) -> _Scan:
    scan = _Scan()
    modules: dict[str, list[Path]] = {}
    for name in paths:
        name = str(name)
        if name == "-":
            try:
                text = reading.stdin_bytes().decode("utf-8-sig", errors="replace")
            except reading.DocumentProblem as exc:
                scan.findings.append(Finding(exc.message, ERROR, None, "<stdin>"))
                continue
            if not _read_document_source(text, "<stdin>", scan, parameters):
                scan.native_paths.append("-")
                scan.stdin_text = text
            continue
        path = Path(name)
        if path.is_dir():
            tfs = sorted(path.glob("*.tf"))
            templates = sorted(path.glob("*.template.json"))
            if tfs:
                modules.setdefault(str(path), [])
            elif templates:
                for t in templates:
                    _read_path(str(t), scan, parameters)
            else:
                scan.findings.append(Finding("A directory is a source when it holds a Terraform module (.tf "
                                             "files) or cdk synth output (*.template.json)", ERROR, None, name))
            continue
        if path.suffix == ".tf":
            modules.setdefault(str(path.parent), [])
            continue
        _read_path(name, scan, parameters)
    for directory in modules:
        from . import terraform

        files = sorted(Path(directory).glob("*.tf"))
        items, findings, deliveries, used = terraform.read_module(directory, files, parameters,
                                                                  **(terraform_options or {}))
        scan.items += items
        scan.findings += findings
        scan.deliveries += deliveries
        scan.used |= used
        scan.declared |= _tf_variables(files)
    return scan


def _tf_variables(files: Sequence[Path]) -> set[str]:
    names: set[str] = set()
    for f in files:
        try:
            names |= set(re.findall(r'^\s*variable\s+"([^"]+)"', f.read_text(encoding="utf-8-sig"), re.MULTILINE))
        except (OSError, UnicodeDecodeError):
            pass
    return names


def _read_path(name: str, scan: _Scan, parameters: Mapping[str, str]) -> None:
    try:
        text = reading.read_document_text(name)
    except (OSError, reading.DocumentProblem):
        scan.native_paths.append(name)  # the config reader reports why it cannot be read
        return
    if not _read_document_source(text, name, scan, parameters):
        scan.native_paths.append(name)


@contextlib.contextmanager
def _stdin(text: str | None) -> Iterator[None]:
    """Standard input, already read for detection, offered again to the config reader."""
    if text is None:
        yield
        return
    saved = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(text.encode("utf-8")), encoding="utf-8")
    try:
        yield
    finally:
        sys.stdin = saved


def _from_issue(issue: ConfigIssue) -> Finding:
    return Finding(issue.message, issue.severity, issue.code, issue.source,
                   issue.line, issue.path, None, issue.column)


# --------------------------------------------------------------------------- validation of IaC items


_PATH_RE = re.compile(r'\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]|\.?([^.\[\]]+)')
_ITEM_REF_RE = re.compile(r"\b(metricFilters|MetricAlarms|CompositeAlarms)\[(\d+)\]")


def _split_path(text: str) -> tuple:
    parts: list[Any] = []
    for m in _PATH_RE.finditer(text):
        if m.group(1) is not None:
            parts.append(int(m.group(1)))
        elif m.group(2) is not None:
            parts.append(m.group(2).replace('\\"', '"').replace("\\\\", "\\"))
        else:
            parts.append(m.group(3))
    return tuple(parts)


def _validate(items: Sequence[SourceItem]) -> tuple[list[SourceItem], list[Finding]]:
    """Settle unresolved values, then validate what is left as one configuration.

    Returns:
        (items without errors, findings).
    """
    findings: list[Finding] = []
    usable: list[SourceItem] = []
    for item in items:
        ok, found = settle(item)
        findings += found
        if ok:
            usable.append(item)
    groups: dict[str, list[SourceItem]] = {key: [] for key in COLLECTION.values()}
    for item in usable:
        groups[COLLECTION[item.kind]].append(item)
    if not usable:
        return [], findings
    doc = {key: [i.data for i in group] for key, group in groups.items()}
    failed: set[int] = set()

    def rename(match: re.Match) -> str:
        item = groups[match.group(1)][int(match.group(2))]
        return item.origin.describe()

    for issue in iter_config_issues(doc):
        parts = _split_path(issue.path)
        if len(parts) < 2 or parts[0] not in groups or not isinstance(parts[1], int):
            findings.append(Finding(issue.message, issue.severity, issue.code))
            continue
        item = groups[parts[0]][parts[1]]
        message = _ITEM_REF_RE.sub(rename, issue.message)
        path, line = item.origin.field(parts[2:])
        findings.append(Finding(message, issue.severity, issue.code,
                                item.origin.file, line, path, item.origin.resource))
        if issue.is_error:
            failed.add(id(item))
    return [i for i in usable if id(i) not in failed], findings


def _unused_parameters(parameters: Mapping[str, str], scan: _Scan) -> list[Finding]:
    return [Finding(f"--parameter {name}: no source declares a parameter or variable named {name}", WARNING)
            for name in parameters if name not in scan.declared and name not in scan.used]


# --------------------------------------------------------------------------- public API


def _lint(items: Sequence[SourceItem], ignore: Sequence[str]) -> list[Finding]:
    """Lint warnings (CWF1xx, `engine.lint`) for the valid pattern of each metric filter."""
    try:
        from ...authoring.lint import lint_pattern
    except ImportError:
        return []
    out: list[Finding] = []
    for item in items:
        pattern = item.data.get("filterPattern")
        if item.kind != FILTER or not isinstance(pattern, str):
            continue
        try:
            found = lint_pattern(pattern, ignore)
        except (ValueError, TypeError):
            continue
        for f in found:
            path, line = item.origin.field(("filterPattern",))
            text = str(f)
            out.append(Finding(text[len(f.code) + 1:] if text.startswith(f.code + " ") else text, WARNING,
                               f.code, item.origin.file, line, path, item.origin.resource))
    return out


_LINT_CODE_RE = re.compile(r"(CWF\d{3}) ")


def _native_issues(paths: Sequence[str], ignore: Sequence[str],
                   parsed: Mapping[str, Sequence[_Document]] | None = None) -> list[Finding]:
    """`engine.config.check_config` (with lint warnings when `engine.lint` is there) as findings."""
    try:
        from ...authoring.lint import check_config_with_lint
    except ImportError:
        return [_from_issue(issue) for issue in check_config(paths)]
    out = []
    for issue in check_config_with_lint(paths, ignore, parsed=parsed):
        finding = _from_issue(issue)
        # A lint warning carries its code; its message starts with it too, for check_config's readers.
        m = _LINT_CODE_RE.match(issue.message) if not issue.is_error else None
        if m is not None and finding.code in (None, m.group(1)):
            finding = Finding(issue.message[m.end():], issue.severity, m.group(1), issue.source, issue.line,
                              issue.path, None, issue.column)
        out.append(finding)
    return out


def check_sources(paths: Sequence[str], parameters: Mapping[str, str] | None = None, *,
                  lint_ignore: Sequence[str] = (), var_files: Sequence[str] = (),
                  module_paths: Mapping[str, str] | None = None) -> list[Finding]:
    """Every finding about the sources, checked together.

    The service's own validation (as `engine.config.check_config` reports it, with file, line and
    path), values that cannot be resolved (CWF200), and the wiring checks (CWF201-CWF210).

    Args:
        paths: sources of any supported kind; ``-`` reads standard input.
        parameters: ``--parameter`` values (template parameters, Terraform variables, pseudo
            parameters such as ``AWS::Region``, agent placeholders such as ``instance_id``).
        lint_ignore: lint codes to leave out.
        var_files: Terraform ``--var-file`` files.
        module_paths: ``--module-path NAME=DIR``: local copies of Terraform registry/git modules.

    Returns:
        Findings in source order, wiring findings last.

    Raises:
        ValueError: `lint_ignore` names a code that does not exist.
    """
    parameters = dict(parameters or {})
    lint_ignore = list(lint_ignore)
    _lint([], lint_ignore)  # an unknown code is a usage error before anything is read
    try:
        from ...authoring.lint import RULES
    except ImportError:
        RULES = {}
    unknown = sorted(set(lint_ignore) - set(RULES))
    if unknown and RULES:
        raise ValueError(f"unknown lint code {', '.join(unknown)}; the codes are {', '.join(RULES)}")
    scan = _scan(paths, parameters, {"var_files": list(var_files), "module_paths": dict(module_paths or {})})
    with reading.documents_settled():  # the documents read stay alive to the end
        return _check_scanned(paths, parameters, lint_ignore, scan)


def _check_scanned(paths: Sequence[str], parameters: Mapping[str, str], lint_ignore: list[str],
                   scan: _Scan) -> list[Finding]:
    findings = list(scan.findings)
    if scan.native_paths:
        with _stdin(scan.stdin_text):
            findings += _native_issues(scan.native_paths, lint_ignore, scan.native_parsed)
    usable, found = _validate(scan.items)
    findings += found
    findings += _lint(usable, lint_ignore)
    per_group: dict[str, int] = {}  # the filters past a log group's quota are left out
    native_items = [item for doc in scan.native_docs for item in native.read(doc, per_group)]
    from .wiring import check_wiring

    findings += check_wiring([*native_items, *usable], scan.deliveries)
    findings += _unused_parameters(parameters, scan)
    if not scan.native_paths and not usable and not any(f.is_error for f in findings):
        # The same verdict as load_sources (cwfilter import, run): nothing to check is an error.
        findings.append(Finding(f"No metric filters or alarms in {', '.join(str(p) for p in paths)}", ERROR))
    return _merge_notes(findings)


def _merge_notes(findings: list[Finding]) -> list[Finding]:
    """The same note (same text and code) for the same cause once, with a count."""
    seen: dict[tuple, int] = {}
    counts: dict[int, int] = {}
    out: list[Finding] = []
    for f in findings:
        if f.severity != NOTE:
            out.append(f)
            continue
        key = (f.code, f.message)
        if key in seen:
            counts[seen[key]] += 1
            continue
        seen[key] = len(out)
        counts[len(out)] = 1
        out.append(f)
    for index, n in counts.items():
        if n > 1:
            f = out[index]
            out[index] = Finding(f"{f.message} ({n} times)", f.severity, f.code, f.source, f.line, f.path,
                                 f.resource, f.column)
    return out


def load_sources(paths: Sequence[str], parameters: Mapping[str, str] | None = None, *,
                 on_warning: Callable[[Any], None] | None = None, var_files: Sequence[str] = (),
                 module_paths: Mapping[str, str] | None = None) -> LoadedSources:
    """Read sources of any supported kind into one validated `Config`, keeping each item's origin.

    Native configurations load exactly as `engine.config.load_config` loads them.

    Args:
        paths: sources; ``-`` reads standard input.
        parameters: ``--parameter`` values.
        on_warning: called with each warning or note of sources that load.
        var_files: Terraform ``--var-file`` files.
        module_paths: ``--module-path NAME=DIR``: local copies of Terraform registry/git modules.

    Returns:
        The `LoadedSources`.

    Raises:
        ConfigError: with every error (its issues are `ConfigIssue`s for native files and
            `Finding`s for the other sources; both print as ``file:line: path: message``).
    """
    parameters = dict(parameters or {})
    if isinstance(paths, (str, Path)):
        paths = [str(paths)]
    scan = _scan(paths, parameters, {"var_files": list(var_files), "module_paths": dict(module_paths or {})})
    problems: list[Any] = [f for f in scan.findings if f.is_error]
    native_config = Config()
    native_warnings: list[Any] = []
    if scan.native_paths:
        try:
            with _stdin(scan.stdin_text):
                native_config = load_config(scan.native_paths, on_warning=native_warnings.append)
        except ConfigError as exc:
            if not scan.items and not problems and not scan.agent_docs and not scan.deliveries:
                raise  # native only: exactly as load_config reports it
            problems += exc.issues
    usable, found = _validate(scan.items)
    problems += [f for f in found if f.is_error]
    others = [*native_warnings, *_merge_notes([f for f in [*scan.findings, *found] if not f.is_error]),
              *_unused_parameters(parameters, scan)]
    if not problems and not scan.native_paths and not usable:
        problems.append(Finding(f"No metric filters or alarms in {', '.join(str(p) for p in paths)}", ERROR))
    if problems:
        raise ConfigError([*problems, *[o for o in others if getattr(o, "severity", "") == WARNING]])
    if on_warning is not None:
        for warning in others:
            on_warning(warning)
    loaded = LoadedSources(Config(), findings=[o for o in others if isinstance(o, Finding)],
                           deliveries=scan.deliveries, agent_docs=scan.agent_docs)
    filters = list(native_config.metric_filters)
    metric_alarms = list(native_config.metric_alarms)
    composite = list(native_config.composite_alarms)
    native_items = [item for doc in scan.native_docs for item in native.read(doc)]
    for key, target, kind in (("metricFilters", filters, FILTER), ("MetricAlarms", metric_alarms, METRIC_ALARM),
                              ("CompositeAlarms", composite, COMPOSITE_ALARM)):
        mine = [i for i in native_items if i.kind == kind]
        for index in range(len(target)):
            if index < len(mine):
                loaded.origins[(key, index)] = mine[index].origin
        for item in usable:
            if item.kind != kind:
                continue
            loaded.origins[(key, len(target))] = item.origin
            target.append(MetricFilter.model_validate(item.data) if kind == FILTER else dict(item.data))
    loaded.config = Config(metric_filters=filters, metric_alarms=metric_alarms, composite_alarms=composite)
    return loaded


def render_native(loaded: LoadedSources, sources: Sequence[str], fmt: str = "yaml") -> str:
    """The native configuration equivalent to `loaded` (``cwfilter import``), YAML or JSON.

    In YAML each item is preceded by a comment naming its origin.
    """
    import json

    import yaml

    cfg = loaded.config
    collections = {
        "metricFilters": [f.model_dump(by_alias=True, exclude_none=True, exclude_defaults=True)
                          for f in cfg.metric_filters],
        "MetricAlarms": [dict(a) for a in cfg.metric_alarms],
        "CompositeAlarms": [dict(a) for a in cfg.composite_alarms],
    }
    for f in collections["metricFilters"]:
        for t in f.get("metricTransformations", []):
            for key in ("dimensions", "unit", "defaultValue"):
                if t.get(key) is None:
                    t.pop(key, None)
    if fmt == "json":
        doc = {k: v for k, v in collections.items() if v}
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    lines = [f"# Generated by cwfilter import from {', '.join(str(s) for s in sources)}.",
             "# Each item names the resource it was read from."]
    for key, items in collections.items():
        if not items:
            continue
        lines.append(f"{key}:")
        for index, item in enumerate(items):
            origin = loaded.origins.get((key, index))
            if origin is not None:
                lines.append(f"  # {origin.describe()}")
            body = yaml.safe_dump(item, sort_keys=False, allow_unicode=True, default_flow_style=False,
                                  width=4096).rstrip("\n").split("\n")
            lines.append("  - " + body[0])
            lines.extend("    " + line for line in body[1:])
    return "\n".join(lines) + "\n"
