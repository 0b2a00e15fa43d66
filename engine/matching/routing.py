"""Which metric filters an event must be tried against: per log group, through a literal index.

A JSON pattern that can only match events holding one of a few string values under a member name
(`$.eventName = DeleteTrail || $.eventName = StopLogging`, `$.userIdentity.type = "Root"`) is
filed in a `FilterIndex` under that name. Per event, the index reads the raw string values of the
indexed names once, without decoding, and looks up the filters they concern; only those are
tried, and they skip their own prefilters. So the cost of an event stays nearly flat as filters
are added: with the 14 Security Hub filters on one log group, an event none of them can match is
settled by a handful of substring searches and dict lookups, not by 14 prefilters.

Soundness rests on two facts of JSON text without backslashes: every `"` delimits a string, so
`"name"` followed by `:` is a member name and the next `"..."` its string value, verbatim; and a
value's text can only be spelled that way. An event with a backslash (about one CloudTrail record
in forty) is offered to every filter, each with its own escape-aware prefilter.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sortedcontainers import SortedDict

from ...grammar import nodes
from ..events import LogEvent
from .compiler import Atom, CompiledPattern, getter


class RuntimeFilter(Protocol):
    """What routing needs of a metric filter (`engine.metrics.transform.RuntimeFilter` is one):
    its compiled pattern, and whether it publishes a default value when it does not match."""

    compiled: CompiledPattern
    default_value: float | None

#: Index a route once this many of its filters can be filed in it; below, plain prefilters win.
INDEX_FROM = 3
_WS = " \t\r\n"
#: Up to this many text filters on a route are each decided on the raw text; with more, one
#: shared split of the fields (`LogEvent.fields`) costs less than a full-line regex per filter.
TEXT_FILTERS_UP_TO = 3


def raw_string_values(message: str, needle: str, start: int) -> list[str]:
    """The raw string values of every member named by `needle` (``'"name"'``), from `start`.

    Valid only for text without backslashes (then every `"` delimits a string). Members whose
    value is not a string are skipped: an indexed atom can only be satisfied by a string.
    """
    out: list[str] = []
    find = message.find
    size = len(needle)
    i = start
    while i >= 0:
        j = i + size
        if message.startswith(':"', j):  # compact JSON, by far the most common
            end = find('"', j + 2)
            if end < 0:
                break
            out.append(message[j + 2 : end])
            j = end + 1
        else:
            n = len(message)
            while j < n and message[j] in _WS:
                j += 1
            if j < n and message[j] == ":":
                j += 1
                while j < n and message[j] in _WS:
                    j += 1
                if j < n and message[j] == '"':
                    end = find('"', j + 1)
                    if end < 0:
                        break
                    out.append(message[j + 1 : end])
                    j = end + 1
        i = find(needle, j)
    return out


def _key(atom: Atom) -> str | None:
    """The member name an atom's value sits under, usable for raw reading (else None)."""
    last = atom.path[-1] if atom.path else None
    if isinstance(last, nodes.Key) and all(c >= " " and c not in '"\\/' for c in last.name):
        return last.name
    return None


@dataclass(slots=True)
class _KeyIndex:
    needle: str
    exact: dict[str, list[int]] = field(default_factory=dict)
    other: list[tuple[Atom, int]] = field(default_factory=list)


def _choose(groups, frequency) -> tuple[Atom, ...]:
    """Of a filter's anchor groups, the one whose member names most filters share (fewest names
    to probe per event), then the most exact, smallest and longest."""
    return max(
        groups,
        key=lambda g: (
            min(frequency[_key(a)] for a in g),
            -sum(a.kind != "exact" for a in g),
            -len(g),
            min(len(a.text) for a in g),
        ),
    )


class FilterIndex:
    """The filters of one route, filed by the member-name values they need.

    Args:
        filters: the route's filters, in order.
    """

    def __init__(self, filters: Sequence[RuntimeFilter]) -> None:
        self.filters = list(filters)
        self.always: list[int] = []
        frequency: Counter = Counter()
        usable = []
        for f in self.filters:
            groups = tuple(g for g in f.compiled.anchors if all(_key(a) for a in g))
            usable.append(groups)
            frequency.update({_key(a) for g in groups for a in g})
        by_key: dict[str, list[tuple[Atom, int]]] = {}
        by_path: dict[tuple, tuple[object, dict[str, list[int]], list[tuple[Atom, int]]]] = {}
        for i, groups in enumerate(usable):
            if not groups:
                self.always.append(i)
                continue
            for atom in _choose(groups, frequency):
                by_key.setdefault(_key(atom), []).append((atom, i))
                get, exact, other = by_path.setdefault(atom.path, (getter(atom.path), {}, []))
                if atom.kind == "exact":
                    exact.setdefault(atom.text, []).append(i)
                else:
                    other.append((atom, i))
        self.paths = tuple((get, exact.get, tuple(other)) for get, exact, other in by_path.values())
        self._anchor_paths = tuple((path, exact, tuple(other)) for path, (_, exact, other) in by_path.items())
        self.needles: list[tuple[str, int]] = []
        keys: list[_KeyIndex] = []
        for key, atoms in by_key.items():
            if len(atoms) == 1:
                # One value under this name: one substring search beats reading every value.
                atom, i = atoms[0]
                self.needles.append((atom.needle, i))
                continue
            ki = _KeyIndex(f'"{key}"')
            for atom, i in atoms:
                if atom.kind == "exact":
                    ki.exact.setdefault(atom.text, []).append(i)
                else:
                    ki.other.append((atom, i))
            keys.append(ki)
        self.keys = tuple((ki.needle, len(ki.needle), ki.exact.get, tuple(ki.other)) for ki in keys)
        self.everyone = tuple(range(len(self.filters)))
        self.always = tuple(self.always)
        import stringzilla  # only routes with an index scan for its needles

        self._simd_find = stringzilla.find
        self.indexed = len(self.filters) - len(self.always)

    def candidates(self, message: str) -> list[int] | tuple[int, ...]:
        """The positions of the filters that may match `message`: a superset of those that do."""
        # ASCII text (almost every event) is scanned with SIMD substring search, about 4x
        # CPython's `str.find` on these needles; its offsets are then character offsets.
        find = self._simd_find if message.isascii() else str.find
        quoted = False
        if "\\" in message:  # one memchr: most events stop here
            if "\\u" in message:
                return self.everyone  # a \\u escape could spell any value
            # Without \\u a value's text stands verbatim, but an escaped quote (\\") ends the raw
            # read of a value early: exact values (never holding a quote) are safe, suffix and
            # contains atoms are not, so their filters are kept.
            quoted = "\\\"" in message
        hits = None
        for needle, i in self.needles:
            if find(message, needle) >= 0:
                hits = [i] if hits is None else hits + [i]
        for needle, size, get, other in self.keys:
            at = find(message, needle)
            while at >= 0:
                j = at + size
                if message.startswith(':"', j):  # compact JSON, by far the most common
                    end = message.find('"', j + 2)
                    if end < 0:
                        break
                    values = (message[j + 2 : end],)
                    at = find(message, needle, end)
                else:  # the general reader takes over from this occurrence
                    values = raw_string_values(message, needle, at)
                    at = -1
                for v in values:
                    found = get(v)
                    if found:
                        hits = list(found) if hits is None else hits + found
                    for atom, i in other:
                        if (quoted and atom.kind != "prefix") or atom.holds_for(v):
                            hits = [i] if hits is None else hits + [i]
        if hits is None:
            return self.always
        if self.always:
            hits += self.always
        return sorted(set(hits)) if len(hits) > 1 else hits

    def sieve(self, extra: Sequence[str] = ()):
        """A `Sieve` deciding `candidates_doc` from a partial decode of JSON lines (decoding the
        members in `extra` too), or None when every event is a candidate (a filter the index
        cannot file) or an anchor path is not made of member names only."""
        if self.always:
            return None
        from .sieve import Sieve, key_path  # msgspec: only runs over JSON lines need it

        paths = []
        for path, exact, other in self._anchor_paths:
            names = key_path(path)
            if names is None:
                return None
            paths.append((names, exact, other))
        try:
            return Sieve(paths, extra)
        except ValueError:
            return None

    def candidates_doc(self, doc: dict) -> list[int] | tuple[int, ...]:
        """`candidates` for an event already decoded: the values at the filed selectors decide."""
        hits = None
        for get, exact, other in self.paths:
            v = get(doc)
            if type(v) is not str:
                continue  # an anchor is text only a JSON string shows (MISSING included)
            found = exact(v)
            if found:
                hits = list(found) if hits is None else hits + found
            for atom, i in other:
                if atom.holds_for(v):
                    hits = [i] if hits is None else hits + [i]
        if hits is None:
            return self.always
        if self.always:
            hits += self.always
        return sorted(set(hits)) if len(hits) > 1 else hits


@dataclass(slots=True)
class Route:
    """The filters that see the events of one log group, and what they saw.

    `events` counts the events routed here; a filter's `read` is the sum over its routes (plus
    the events rejected before matching), so the hot path never touches filters an event can't
    concern.
    """

    key: str | None
    filters: list[RuntimeFilter]
    index: FilterIndex | None
    events: int = 0
    #: minute start -> True, for the minutes with events (DECISIONS M2), when any filter has a
    #: defaultValue.
    seen_minutes: SortedDict | None = None
    default_filters: list[RuntimeFilter] = field(default_factory=list)
    #: A few filters that all match on the raw text (terms, regex, space-delimited): each is
    #: decided by `CompiledPattern.matches` (for space-delimited, one full-line regex that
    #: fails most lines early) and the event is built only when one matches.
    by_text: bool = False

    @classmethod
    def build(cls, key: str | None, filters: list[RuntimeFilter], track_minutes: bool) -> Route:
        filed = sum(1 for f in filters if f.compiled.anchors)
        index = FilterIndex(filters) if filed >= INDEX_FROM else None
        defaults = [f for f in filters if f.default_value is not None]
        return cls(
            key, filters, index,
            seen_minutes=SortedDict() if defaults and track_minutes else None,
            default_filters=defaults,
            by_text=index is None and len(filters) <= TEXT_FILTERS_UP_TO
            and all(f.compiled.kind in ("terms", "regex", "delimited") for f in filters),
        )

    def text_sieve(self):
        """A `TextSieve` deciding from a line's text whether some filter of this route may match
        it, or None when the route does not decide on raw text alone (JSON or many filters)."""
        if not self.by_text or not self.filters:
            return None
        from .textsieve import TextSieve

        return TextSieve([f.compiled for f in self.filters])

    def match(
        self, message: str, timestamp: int | None = None, doc: dict | None = None
    ) -> tuple[list[RuntimeFilter], LogEvent | None]:
        """The filters of this route that match the event, and the event decoded for them (None
        when no filter had to look past the raw text).

        `doc`, when given, is the message already decoded (by orjson, as `decode_json_fast` would):
        it is used instead of decoding again. Through an index, JSON filters are decided on the
        shared decoded event without their raw-text prefilters: the index has ruled for all of
        them at once, and one decode beats a prefilter per filter for the few events it lets by.
        """
        if self.by_text:
            out = [f for f in self.filters if f.compiled.matches(message)]
            return out, (LogEvent(message, timestamp, doc) if out else None)
        if self.index is None:
            ev = None
            out = []
            for f in self.filters:
                c = f.compiled
                if c.prefilter(message):
                    if ev is None:
                        ev = LogEvent(message, timestamp, doc)
                    if c.decide(ev):
                        out.append(f)
            return out, ev
        positions = self.index.candidates(message) if doc is None else self.index.candidates_doc(doc)
        if not positions:
            return [], None
        ev = LogEvent(message, timestamp, doc)
        filters = self.index.filters
        return [filters[i] for i in positions if filters[i].compiled.decide(ev)], ev
