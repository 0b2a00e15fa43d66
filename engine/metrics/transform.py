"""Metric filters at run time: a match plus its metric transformation becomes a metric sample.

A `RuntimeFilter` holds one compiled metric filter. Given an event it answers with a sample
(`MetricKey`, value) or with why there is none, and keeps its own accounting:
read = matched + unmatched (+ rejected, for events its log group lost before matching).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ...grammar import nodes, parse_selector
from ..events import INEXACT_FLOAT, MISSING, NOT_JSON, LogEvent, scalar_text
from ..matching.compiler import CompiledPattern, compile_pattern, getter

# Returned by value and dimension readers when the event has no usable value.
NO_VALUE: Any = object()

SYSTEM_DIMENSIONS = ("@aws.account", "@aws.region")


@dataclass(frozen=True, slots=True)
class MetricKey:
    """The identity of one series: CloudWatch keeps every distinct dimension set (and unit) apart."""

    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...] = ()
    unit: str | None = None

    def dimensions_json(self) -> list[dict[str, str]]:
        return [{"Name": k, "Value": v} for k, v in self.dimensions]


@dataclass(slots=True)
class FilterCounters:
    """Per-filter accounting for the run summary."""

    read: int = 0
    matched: int = 0
    unmatched: int = 0
    rejected: int = 0
    samples: int = 0
    default_samples: int = 0
    value_not_numeric: int = 0
    dimension_missing: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "read": self.read,
            "matched": self.matched,
            "unmatched": self.unmatched,
            "rejected": self.rejected,
            "samples": self.samples,
            "defaultSamples": self.default_samples,
            "valueNotNumeric": self.value_not_numeric,
            "dimensionMissing": self.dimension_missing,
        }


@dataclass(slots=True)
class RuntimeFilter:
    """One metric filter, compiled, with its transformation and counters."""

    name: str
    log_group: str | None
    compiled: CompiledPattern
    namespace: str
    metric_name: str
    unit: str | None
    default_value: float | None
    value_of: Callable[[LogEvent], Any]
    dimensions_of: Callable[[LogEvent], Any]
    counters: FilterCounters = field(default_factory=FilterCounters)
    #: The key of the series without dimensions, made on first use: a filter without dimensions
    #: publishes every sample to it, and one key object serves them all.
    _plain_key: MetricKey | None = field(default=None, init=False, repr=False, compare=False)

    def key(self, dimensions: tuple[tuple[str, str], ...] = ()) -> MetricKey:
        if dimensions:
            return MetricKey(self.namespace, self.metric_name, dimensions, self.unit)
        key = self._plain_key
        if key is None:
            key = self._plain_key = MetricKey(self.namespace, self.metric_name, (), self.unit)
        return key


def build_filter(mf, *, account: str | None = None, region: str | None = None) -> RuntimeFilter:
    """Compile a config `MetricFilter` (engine.config) into a `RuntimeFilter`.

    Args:
        mf: the validated metric filter.
        account: value of the ``@aws.account`` system dimension.
        region: value of the ``@aws.region`` system dimension.
    """
    compiled = compile_pattern(mf.filter_pattern)
    t = mf.transformation
    value_of = _value_reader(t.metric_value, compiled)
    system = {"@aws.account": account, "@aws.region": region}
    dims: list[tuple[str, Callable[[LogEvent], Any]]] = []
    for name, ref in sorted((t.dimensions or {}).items()):
        dims.append((name, _text_reader(ref, compiled)))
    for name in mf.emit_system_field_dimensions or ():
        fixed = system.get(name)
        dims.append((name, (lambda ev, v=fixed: NO_VALUE if v is None else v)))
    dims.sort(key=lambda d: d[0])
    return RuntimeFilter(
        name=mf.filter_name,
        log_group=mf.log_group_name,
        compiled=compiled,
        namespace=t.metric_namespace,
        metric_name=t.metric_name,
        unit=t.unit,
        default_value=t.default_value,
        value_of=value_of,
        dimensions_of=_dimensions_reader(tuple(dims)),
    )


def _dimensions_reader(dims):
    if not dims:
        return lambda ev: ()
    if len(dims) == 1:
        (name, reader), = dims

        def read_one(ev: LogEvent):
            v = reader(ev)
            return NO_VALUE if v is NO_VALUE else ((name, v),)

        return read_one

    def read(ev: LogEvent):
        out = []
        for name, reader in dims:
            v = reader(ev)
            if v is NO_VALUE:
                return NO_VALUE
            out.append((name, v))
        return tuple(out)

    return read


def _value_reader(ref: str, compiled: CompiledPattern) -> Callable[[LogEvent], Any]:
    """metricValue: a number, a `$.json.path` or a `$field` of a space-delimited pattern."""
    ref = ref.strip()
    if not ref.startswith("$"):
        number = float(ref)
        return lambda ev: number
    raw = _raw_reader(ref, compiled)

    def value(ev: LogEvent):
        v = raw(ev)
        t = type(v)
        if t is int or t is float:
            return float(v)
        if t is str and nodes.is_number_text(v.strip()):
            return float(v)  # DECISIONS M3: numeric strings ("42") count as numbers
        return NO_VALUE  # DECISIONS M3: missing, null, boolean, text, object

    return value


def _text_reader(ref: str, compiled: CompiledPattern) -> Callable[[LogEvent], Any]:
    """A dimension value: the field's text; missing, null, empty, objects and arrays give none."""
    raw = _raw_reader(ref.strip(), compiled)

    def text(ev: LogEvent):
        v = raw(ev)
        if v is NO_VALUE or v is None or isinstance(v, (dict, list)):
            return NO_VALUE  # DECISIONS M4
        s = v if type(v) is str else scalar_text(v)
        return s if s else NO_VALUE

    return text


def _raw_reader(ref: str, compiled: CompiledPattern) -> Callable[[LogEvent], Any]:
    if ref.startswith("$.") and compiled.kind == "json":
        get = getter(parse_selector(ref).steps)

        def from_json(ev: LogEvent):
            obj = ev.fast_json
            if obj is NOT_JSON:
                return NO_VALUE
            v = get(obj)
            if type(v) is float and (v >= INEXACT_FLOAT or v <= -INEXACT_FLOAT):
                v = get(ev.json)  # maybe an integer beyond 64 bits: read it exactly (P9)
            return NO_VALUE if v is MISSING else v

        return from_json
    if compiled.kind == "delimited":
        locate = _field_locator(ref[1:], compiled.tree)
        if locate is not None:

            def from_fields(ev: LogEvent):
                fields = ev.fields
                i = locate(len(fields))
                return NO_VALUE if i is None else fields[i]

            return from_fields
    return lambda ev: NO_VALUE


def _field_locator(name: str, tree: nodes.DelimitedPattern) -> Callable[[int], int | None] | None:
    """Where the field `$name` (or positional `$N`) sits among an event's n fields."""
    slots = tree.slots
    rest_at = next((i for i, s in enumerate(slots) if isinstance(s, nodes.Rest)), None)
    before = slots if rest_at is None else slots[:rest_at]
    after = () if rest_at is None else slots[rest_at + 1 :]
    position = None
    for i, s in enumerate(before):
        if isinstance(s, nodes.Slot) and s.name == name:
            position = i  # a repeated name: the later one wins, as in extractedValues
    for j, s in enumerate(after):
        if isinstance(s, nodes.Slot) and s.name == name:
            position = j - len(after)
    if position is not None:
        p = position
        return lambda n: p if p >= 0 else n + p
    if name.isdigit() and int(name) >= 1:
        idx = int(name) - 1
        return lambda n: idx if idx < n else None
    return None
