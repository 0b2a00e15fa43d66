"""Configuration: metric filters and alarms in AWS's own shapes, read from YAML or JSON and validated.

A config file holds what users already have: the output of ``aws logs describe-metric-filters``
(``{"metricFilters": [...], "nextToken": ...}``), the output of ``aws cloudwatch describe-alarms``
(``{"MetricAlarms": [...], "CompositeAlarms": [...]}``), both in one document, a bare
PutMetricFilter request, or a list of such requests. Keys keep AWS's spelling (camelCase for
CloudWatch Logs, PascalCase for CloudWatch alarms); the read-only keys of describe output
(``creationTime``, ``nextToken``, ``AlarmArn`` ...) are accepted and ignored, and any other key is
an error, as the AWS clients make it (``Unknown parameter in metricTransformations[0]: ...``, with
the closest known key as a suggestion).

Validation reports every problem at once, each as a `ConfigIssue` with its document path
(``metricFilters[3].filterPattern``), its file and line, and the service's own wording where it is
known (filter-patterns.md §6, §8, §10). Pydantic checks the types at the edge; the AWS constraints
are checked on the raw document, so that one bad field never hides another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..alarms.evaluate import STANDARD_UNITS
from ..errors import WARNING, ConfigError, ConfigIssue
from .checks import PathT, _Found, _key, pattern_has_regex, render_path
from .collect import _Document, _Entries, _Entry, _issues
from .loading import _load_documents
from .model import Config, MetricFilter, MetricTransformation

__all__ = [
    "Config",
    "MetricFilter",
    "MetricTransformation",
    "STANDARD_UNITS",
    "FilterPatternSite",
    "check_config",
    "check_config_sites",
    "iter_config_issues",
    "load_config",
    "pattern_has_regex",
    "render_path",
]



def iter_config_issues(data: object, source: str | None = None, *,
                       lines: Mapping[PathT, int] | None = None) -> Iterator[ConfigIssue]:
    """Yield every issue of one parsed configuration document (STYLE L5).

    Args:
        data: the document as `json.load` or `yaml.safe_load` returns it.
        source: the file name to report, if any.
        lines: optional map from document paths (tuples of keys and indexes) to 1-based lines.

    Returns:
        An iterator of `ConfigIssue`, errors and warnings, in document order; cross-filter checks
        (duplicates, per-log-group quotas) and alarm checks come last.
    """
    yield from _issues([_Document(source, data, dict(lines or {}))])


def check_config(paths: Sequence[str | Path]) -> list[ConfigIssue]:
    """Check configuration files together, as one merged configuration.

    Args:
        paths: YAML or JSON files; ``-`` reads standard input.

    Returns:
        Every issue, errors and warnings. A missing or unreadable file and a YAML or JSON syntax
        error are issues too (with line and column), so this never raises for a user's mistake.
    """
    docs, problems = _load_documents(paths)
    return [*problems, *_issues(docs)]


@dataclass(frozen=True, slots=True)
class FilterPatternSite:
    """A metric filter's ``filterPattern`` text in a config file, able to place an issue on it."""

    pattern: str
    _entry: _Entry
    _key: str

    def issue(self, message: str, severity: str = WARNING, code: str | None = None) -> ConfigIssue:
        """An issue at this filter's ``filterPattern``, with its file, path and line."""
        return self._entry.issue(_Found((self._key,), message, severity, code))


def check_config_sites(paths: Sequence[str | Path], *, parsed: Mapping[str, Sequence[_Document]] | None = None
                       ) -> tuple[list[ConfigIssue], list[FilterPatternSite]]:
    """`check_config`, and every metric filter whose ``filterPattern`` is a string, with its place.

    Every file is read once (standard input included), so that further checks of the patterns
    (lint) point where the service's errors would. `parsed` (file name -> documents) holds files
    a caller has already read as the config reader reads them; they are not read again.
    """
    docs, problems = _load_documents(paths, parsed)
    entries = _Entries()
    issues = [*problems, *_issues(docs, entries)]
    sites = []
    for entry in entries.filters:
        if entry.facts is None:
            continue  # not checked (past the per-log-group quota, or not a mapping)
        key = _key(entry.raw, "filterPattern")
        pattern = entry.raw.get(key)
        if isinstance(pattern, str):
            sites.append(FilterPatternSite(pattern, entry, key))
    return issues, sites


def load_config(paths: Sequence[str | Path], *,
                on_warning: Callable[[ConfigIssue], None] | None = None) -> Config:
    """Read, merge and validate configuration files.

    Several files merge: their metric filters and alarms are concatenated, and a
    (logGroupName, filterName) pair defined twice is an error.

    Args:
        paths: YAML or JSON files, told apart by their content; ``-`` reads standard input.
        on_warning: called with each warning of a configuration that loads.

    Returns:
        The merged `Config`.

    Raises:
        ConfigError: with every error found (its `issues` lists them, warnings excluded).
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    docs, problems = _load_documents(paths)
    entries = _Entries()
    issues = [*problems, *_issues(docs, entries)]
    errors = [issue for issue in issues if issue.is_error]
    if errors:
        raise ConfigError(errors)
    if on_warning is not None:
        for issue in issues:
            on_warning(issue)
    return Config(
        metric_filters=[MetricFilter.model_validate(e.raw) for e in entries.filters],
        metric_alarms=[dict(e.raw) for e in entries.metric_alarms],
        composite_alarms=[dict(e.raw) for e in entries.composite_alarms],
    )
