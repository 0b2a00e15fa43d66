"""Per-period aggregation of metric samples and the CloudWatch statistics computed from it.

Two parts:

* :class:`Aggregate` holds the samples of one series in one period as a value -> count map (the
  shape of PutMetricData's ``Values``/``Counts``) plus count, minimum and maximum. Memory grows with
  the number of distinct values, never with the number of samples, and two aggregates of the same
  series and period merge exactly: counts add, and every statistic (percentiles included) of the
  merged aggregate equals the statistic of one aggregate fed all the samples. Sums and means are
  computed with exact rational arithmetic and rounded once, so they do not depend on the order in
  which samples arrived or partial aggregates were merged.
* :class:`SeriesStore` buckets samples by event time (DECISIONS M1) into epoch-aligned periods, one
  ``SortedDict`` of open periods per series, accepts out-of-order samples within a lateness window,
  counts (and drops) samples whose period has already closed, and hands closed periods out oldest
  first.

Statistic names follow alarms.md §2 and the CloudWatch "statistics definitions" page; they are parsed
once into a :class:`Statistic` and evaluated through the :data:`STATISTICS` table.
"""

from __future__ import annotations

import functools
import math
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sortedcontainers import SortedDict

__all__ = [
    "STANDARD_STATISTICS",
    "EXTENDED_KINDS",
    "STATISTICS",
    "Aggregate",
    "ClosedPeriod",
    "PartialAggregates",
    "SeriesStore",
    "Statistic",
    "format_statistic",
    "is_extended_statistic",
    "nearest_rank",
    "parse_statistic",
]

STANDARD_STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")

# Kinds of extended statistic, by the name used in the range syntax (alarms.md §2).
EXTENDED_KINDS = ("p", "TM", "WM", "TC", "TS", "PR")


# --------------------------------------------------------------------------------------------
# Statistic names
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Statistic:
    """A parsed statistic name.

    Attributes:
        kind: one of :data:`STANDARD_STATISTICS` or :data:`EXTENDED_KINDS`.
        lower: lower bound of a range form (exclusive), ``None`` when open. A ``Decimal`` percent
            when ``percent`` is true, else a ``float`` metric value.
        upper: upper bound (inclusive), ``None`` when open; for ``p`` the percentile itself.
        percent: whether the bounds are percentiles (``TM(10%:90%)``, ``tm90``, ``p99``) rather
            than metric values (``TM(150:1000)``, ``PR(:300)``).
        text: the name as written (not part of equality: ``p99`` equals ``p99.0``).
    """

    kind: str
    lower: Decimal | float | None = None
    upper: Decimal | float | None = None
    percent: bool = False
    text: str = field(default="", compare=False)

    @property
    def extended(self) -> bool:
        """True for every statistic that is not one of the five standard ones."""
        return self.kind not in STANDARD_STATISTICS

    @property
    def canonical(self) -> str:
        """The shortest spelling of this statistic (see :func:`format_statistic`)."""
        return format_statistic(self)

    def __str__(self) -> str:
        return self.text or format_statistic(self)


# Lower-case one-number forms: `tm99` == `TM(:99%)` (alarms.md §2: "one number without parentheses
# = percent upper bound"; lower case is only allowed for that form).
_ONE_NUMBER_FORMS: dict[str, str] = {"p": "p", "tm": "TM", "wm": "WM", "tc": "TC", "ts": "TS"}
# Range forms, upper case only (`TM(5%:95%)`); PR takes metric values only.
_RANGE_FORMS = ("TM", "WM", "TC", "TS", "PR")
# Named aliases. IQM is the interquartile mean, "equivalent to TM(25%:75%)" (UG-STATS).
_ALIASES: dict[str, Statistic] = {
    "IQM": Statistic("TM", Decimal(25), Decimal(75), True, "IQM"),
}

# Boundaries are "numbers ... up to 10 decimal places" (UG-STATS); no sign, no exponent, no `.5`.
_NUMBER = r"[0-9]+(?:\.[0-9]+)?"
_ONE_NUMBER_RE = re.compile(rf"(p|tm|wm|tc|ts)({_NUMBER})")
_RANGE_RE = re.compile(rf"([A-Z]{{2}})\((?:({_NUMBER})(%?))?:(?:({_NUMBER})(%?))?\)")
_MAX_DECIMALS = 10

_HELP = ("expected SampleCount, Average, Sum, Minimum, Maximum or an extended statistic such as "
         "p99, p99.9, tm90, wm90, tc90, ts90, IQM, TM(10%:90%), TC(0.005:0.030) or PR(:300)")


def _check_decimals(number: str, name: str) -> None:
    _, _, fraction = number.partition(".")
    if len(fraction) > _MAX_DECIMALS:
        raise ValueError(f"invalid statistic {name!r}: {number} has more than {_MAX_DECIMALS} "
                         f"decimal places")


def _percent(number: str, name: str) -> Decimal:
    _check_decimals(number, name)
    value = Decimal(number)
    if value > 100:
        raise ValueError(f"invalid statistic {name!r}: percentile {number} is above 100")
    return value


def parse_statistic(name: str) -> Statistic:
    """Parse and validate a statistic name (the Statistic or ExtendedStatistic of an alarm).

    Accepted: the five standard names; ``pNN``, ``tmNN``, ``wmNN``, ``tcNN``, ``tsNN`` with NN a
    percent from 0 to 100 (up to 10 decimals); ``IQM``; ``TM``/``WM``/``TC``/``TS`` ranges
    ``(a:b)`` whose bounds are both percents (``TM(10%:90%)``) or both metric values
    (``TM(150:1000)``), either bound may be omitted; ``PR(n:m)`` with metric values. Names are
    case-sensitive as in the API.

    Args:
        name: the statistic name.

    Returns:
        The parsed :class:`Statistic` (cached: equal names give the same object).

    Raises:
        ValueError: the name is not a valid statistic; the message says why.
    """
    if not isinstance(name, str):
        raise ValueError(f"invalid statistic {name!r}: not a string")
    return _parse_statistic(name)


@functools.lru_cache(maxsize=1024)
def _parse_statistic(name: str) -> Statistic:
    if name in STANDARD_STATISTICS:
        return Statistic(name, text=name)
    if name in _ALIASES:
        return _ALIASES[name]
    if m := _ONE_NUMBER_RE.fullmatch(name):
        prefix, number = m.groups()
        return Statistic(_ONE_NUMBER_FORMS[prefix], None, _percent(number, name), True, name)
    if m := _RANGE_RE.fullmatch(name):
        kind, lo, lo_pct, hi, hi_pct = m.groups()
        if kind not in _RANGE_FORMS:
            raise ValueError(f"invalid statistic {name!r}: unknown range form {kind}(...); "
                             f"expected one of {', '.join(_RANGE_FORMS)}")
        if lo is None and hi is None:
            raise ValueError(f"invalid statistic {name!r}: a range needs at least one bound")
        marks = {mark for number, mark in ((lo, lo_pct), (hi, hi_pct)) if number is not None}
        if len(marks) > 1:
            raise ValueError(f"invalid statistic {name!r}: bounds must be both percentages or "
                             f"both values, not a mix")
        percent = marks == {"%"}
        if percent and kind == "PR":
            # PR(n:m) bounds "are values of the metric" (API-CW); a percent rank of percents is
            # meaningless.
            raise ValueError(f"invalid statistic {name!r}: PR bounds are metric values, "
                             f"without %")
        lower: Decimal | float | None
        upper: Decimal | float | None
        if percent:
            lower = None if lo is None else _percent(lo, name)
            upper = None if hi is None else _percent(hi, name)
        else:
            for number in (lo, hi):
                if number is not None:
                    _check_decimals(number, name)
            # Metric-value bounds compare against sample values, so they are read the same way
            # sample values are (IEEE doubles): `TC(0.005:0.030)` must exclude a sample of 0.005.
            lower = None if lo is None else float(lo)
            upper = None if hi is None else float(hi)
        if lower is not None and upper is not None and lower > upper:
            raise ValueError(f"invalid statistic {name!r}: lower bound {lo} is above upper "
                             f"bound {hi}")
        return Statistic(kind, lower, upper, percent, name)
    if name.lower() in {s.lower() for s in STANDARD_STATISTICS} or name.upper() == "IQM":
        raise ValueError(f"invalid statistic {name!r}: statistic names are case-sensitive; {_HELP}")
    if _RANGE_RE.fullmatch(name.upper()) or _ONE_NUMBER_RE.fullmatch(name.lower()):
        raise ValueError(f"invalid statistic {name!r}: only the one-number form is lower case "
                         f"(tm99) and ranges are upper case (TM(5%:95%)); p is always lower case")
    raise ValueError(f"invalid statistic {name!r}: {_HELP}")


def is_extended_statistic(name: str) -> bool:
    """Whether ``name`` is a valid extended statistic (ExtendedStatistic rather than Statistic).

    Args:
        name: a statistic name.

    Returns:
        True for a valid extended statistic; False for a standard one or an invalid name.
    """
    try:
        return parse_statistic(name).extended
    except ValueError:
        return False


def _number_text(value: Decimal | float) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(int(value)) if value.is_integer() else repr(value)


def format_statistic(stat: Statistic | str) -> str:
    """The canonical spelling of a statistic: equal statistics get equal text.

    Numbers lose trailing zeros (``p99.0`` -> ``p99``), an upper-bound-only percent range uses the
    one-number form (``TM(:99%)`` -> ``tm99``) and ``TM(25%:75%)`` is written ``IQM``.

    Args:
        stat: a :class:`Statistic` or a name to parse first.

    Returns:
        The canonical name.

    Raises:
        ValueError: ``stat`` is a string that is not a valid statistic.
    """
    if isinstance(stat, str):
        stat = parse_statistic(stat)
    if not stat.extended:
        return stat.kind
    if stat == _ALIASES["IQM"]:
        return "IQM"
    if stat.percent and stat.lower is None and stat.upper is not None:
        prefix = "p" if stat.kind == "p" else stat.kind.lower()
        return f"{prefix}{_number_text(stat.upper)}"
    mark = "%" if stat.percent else ""
    lo = "" if stat.lower is None else _number_text(stat.lower) + mark
    hi = "" if stat.upper is None else _number_text(stat.upper) + mark
    return f"{stat.kind}({lo}:{hi})"


# --------------------------------------------------------------------------------------------
# Ranks and exact sums
# --------------------------------------------------------------------------------------------

def nearest_rank(percent: Decimal | Fraction | int, n: int) -> int:
    """How many of ``n`` sorted samples lie at or below the ``percent`` boundary.

    Nearest-rank (DECISIONS A5): ``ceil(percent / 100 * n)``, computed exactly (``p7`` of 100
    samples is rank 7, not 8 as ``0.07 * 100`` in floating point would give). The percentile
    itself is the sample at rank ``max(1, rank)``; the trimmed forms keep ranks
    ``(rank(lower), rank(upper)]``.

    Args:
        percent: the boundary, 0 to 100.
        n: the number of samples.

    Returns:
        A rank from 0 to ``n``.
    """
    return math.ceil(Fraction(percent) * n / 100)


def _exact_sum(pairs: Iterator[tuple[float, int]]) -> Fraction:
    """Exact sum of ``value * count`` over finite doubles, as a rational number."""
    # Every finite double is m / 2**k; scale all terms to the largest k and add integers.
    total = 0
    shift = 0
    for value, count in pairs:
        numerator, denominator = value.as_integer_ratio()
        k = denominator.bit_length() - 1
        if k > shift:
            total <<= k - shift
            shift = k
        total += (numerator * count) << (shift - k)
    return Fraction(total, 1 << shift)


def _to_float(value: Fraction) -> float:
    """Round an exact result once to the nearest double (overflow gives an infinity)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


# --------------------------------------------------------------------------------------------
# Aggregate
# --------------------------------------------------------------------------------------------

def _sample(value: float, count: int) -> float:
    """A sample as aggregates keep it: a finite float, -0.0 as 0.0; its count a positive integer."""
    value = float(value)
    if not math.isfinite(value):
        # PutMetricData rejects NaN and infinities ("special values ... are not supported").
        raise ValueError(f"metric value must be finite, got {value!r}")
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ValueError(f"count must be a positive integer, got {count!r}")
    if value == 0.0:
        return 0.0  # -0.0 -> 0.0, so one zero key and a non-negative Minimum
    # (other values keep the caller's float object: minimum and maximum of a period share it with
    # every period fed the same constant, as count metrics are)
    return value


@dataclass(slots=True)
class Aggregate:
    """All samples of one series in one period, as a value -> count map.

    Attributes:
        sample_count: number of samples (the SampleCount statistic).
        minimum: smallest sample (``inf`` while empty).
        maximum: largest sample (``-inf`` while empty).
    """

    sample_count: int = 0
    minimum: float = math.inf
    maximum: float = -math.inf
    # None in a compact aggregate (see `compact`): then the exact sum is `_total / 2**_shift`.
    _counts: dict[float, int] | None = field(default_factory=dict, repr=False)
    _total: int = field(default=0, repr=False)
    _shift: int = field(default=0, repr=False)
    # Caches, dropped on every change.
    _sorted: tuple[list[float], list[int], list[int]] | None = field(
        default=None, repr=False, compare=False)
    _exact: Fraction | None = field(default=None, repr=False, compare=False)

    @classmethod
    def compact(cls) -> Aggregate:
        """An empty aggregate that keeps count, minimum, maximum and the exact sum only.

        It answers the five standard statistics exactly and merges exactly, in a few dozen bytes
        whatever the number of distinct values; extended statistics (percentiles, trimmed
        means ...) need the value map of a full aggregate and raise `ValueError` here.
        """
        return cls(_counts=None)

    @property
    def is_compact(self) -> bool:
        """True when only count, minimum, maximum and the exact sum are kept."""
        return self._counts is None

    @classmethod
    def of(cls, values: list[float] | tuple[float, ...],
           counts: list[int] | tuple[int, ...] | None = None) -> Aggregate:
        """Build an aggregate from samples (and optional repeat counts, like PutMetricData).

        Args:
            values: sample values.
            counts: how many times each value occurs; all 1 when omitted.

        Returns:
            A new aggregate.

        Raises:
            ValueError: lengths differ, or a value or count is invalid (see :meth:`add`).
        """
        if counts is not None and len(counts) != len(values):
            raise ValueError("values and counts must have the same length")
        agg = cls()
        for i, value in enumerate(values):
            agg.add(value, 1 if counts is None else counts[i])
        return agg

    @classmethod
    def first(cls, value: float, count: int = 1, *, compact: bool = False) -> Aggregate:
        """What `add` makes of an empty aggregate (`compact`: of `compact()`), built at once.

        A run with a series per event makes one of these per event.

        Raises:
            ValueError: as `add`.
        """
        value = _sample(value, count)
        if compact:
            numerator, denominator = value.as_integer_ratio()
            return cls(count, value, value, None, numerator * count, denominator.bit_length() - 1)
        return cls(count, value, value, {value: count})

    def add(self, value: float, count: int = 1) -> None:
        """Add ``count`` samples of ``value``.

        Args:
            value: a finite number.
            count: how many samples, at least 1.

        Raises:
            ValueError: ``value`` is NaN or infinite, or ``count`` is not a positive integer.
        """
        value = _sample(value, count)
        counts = self._counts
        if counts is None:
            self._add_exact(value, count)
        else:
            counts[value] = counts.get(value, 0) + count
        self.sample_count += count
        if value < self.minimum:
            self.minimum = value
        if value > self.maximum:
            self.maximum = value
        self._sorted = None
        self._exact = None

    def merge(self, other: Aggregate) -> Aggregate:
        """Combine two aggregates of the same series and period into a new one.

        Exact: every statistic of the result equals that of one aggregate fed both sample sets.
        Neither input is changed.

        Args:
            other: the aggregate to combine with.

        Returns:
            A new aggregate.
        """
        if self._counts is None or other._counts is None:
            # A compact side keeps no values: the result is compact, its sum still exact.
            out = Aggregate(self.sample_count + other.sample_count,
                            min(self.minimum, other.minimum), max(self.maximum, other.maximum), None)
            if self._counts is None and other._counts is None:
                out._total, out._shift = _scaled_sum(self, other)
            else:
                out._set_exact(self._exact_sum() + other._exact_sum())
            return out
        counts = dict(self._counts)
        for value, count in other._counts.items():
            counts[value] = counts.get(value, 0) + count
        return Aggregate(self.sample_count + other.sample_count,
                         min(self.minimum, other.minimum), max(self.maximum, other.maximum),
                         counts)

    def merge_in(self, other: Aggregate) -> None:
        """Add `other`'s samples to this aggregate in place (exact, as `merge`)."""
        if other.sample_count == 0:
            return
        if self._counts is None and other._counts is None:
            self._total, self._shift = _scaled_sum(self, other)
        elif self._counts is None or other._counts is None:
            total = self._exact_sum() + other._exact_sum()
            self._counts = None
            self._set_exact(total)
        else:
            counts = self._counts
            for value, count in other._counts.items():
                counts[value] = counts.get(value, 0) + count
        self.sample_count += other.sample_count
        self.minimum = min(self.minimum, other.minimum)
        self.maximum = max(self.maximum, other.maximum)
        self._sorted = None
        self._exact = None

    def copy(self) -> Aggregate:
        """An independent copy (later changes to either do not show in the other)."""
        out = Aggregate(self.sample_count, self.minimum, self.maximum,
                        None if self._counts is None else dict(self._counts), self._total, self._shift)
        return out

    def _add_exact(self, value: float, count: int) -> None:
        numerator, denominator = value.as_integer_ratio()
        k = denominator.bit_length() - 1
        if k > self._shift:
            self._total <<= k - self._shift
            self._shift = k
        self._total += (numerator * count) << (self._shift - k)

    def _set_exact(self, value: Fraction) -> None:
        # Sums of doubles have a power-of-two denominator.
        self._shift = value.denominator.bit_length() - 1
        self._total = value.numerator

    @property
    def sum(self) -> float:
        """Sum of the samples, exact and rounded once (0.0 while empty)."""
        return _to_float(self._exact_sum())

    @property
    def distinct_values(self) -> int:
        """Number of entries in the value -> count map (what memory grows with)."""
        return 1 if self._counts is None else len(self._counts)

    def values_counts(self) -> tuple[list[float], list[int]]:
        """Sorted distinct values and their counts (copies; safe to modify).

        Returns:
            ``(values, counts)``, values ascending.
        """
        values, counts, _ = self._cumulative()
        return list(values), list(counts)

    def statistic(self, name: str | Statistic) -> float | None:
        """Compute one statistic over this period's samples.

        Args:
            name: a statistic name (see :func:`parse_statistic`) or a parsed :class:`Statistic`.

        Returns:
            The value; ``None`` when it does not exist for these samples (no samples; an extended
            statistic with a negative sample; an empty trimmed range).

        Raises:
            ValueError: ``name`` is not a valid statistic.
        """
        stat = name if isinstance(name, Statistic) else parse_statistic(name)
        return STATISTICS[stat.kind](self, stat)

    def standard_statistics(self) -> tuple[float | None, ...]:
        """SampleCount, Average, Sum, Minimum and Maximum at once, each as `statistic` gives it."""
        n = self.sample_count
        if n and self._counts is None:
            try:  # as `_sum` and `_average`: int / int is rounded once
                return (float(n), self._total / (n << self._shift), self._total / (1 << self._shift),
                        self.minimum, self.maximum)
            except OverflowError:
                pass
        return tuple(STATISTICS[kind](self, _STANDARD_PARSED[kind]) for kind in STANDARD_STATISTICS)

    # -- helpers used by the statistic table ---------------------------------------------------

    def _exact_sum(self) -> Fraction:
        if self._exact is None:
            if self._counts is None:
                self._exact = Fraction(self._total, 1 << self._shift)
            else:
                self._exact = _exact_sum(iter(self._counts.items()))
        return self._exact

    def _cumulative(self) -> tuple[list[float], list[int], list[int]]:
        """Sorted values, their counts, and the rank of the last copy of each value (cached)."""
        if self._sorted is None:
            if self._counts is None:
                raise ValueError("a compact aggregate keeps no values: extended statistics and "
                                 "value lists need a full aggregate")
            values = sorted(self._counts)
            counts = [self._counts[v] for v in values]
            ends: list[int] = []
            running = 0
            for count in counts:
                running += count
                ends.append(running)
            self._sorted = (values, counts, ends)
        return self._sorted

    def _rank_range(self, stat: Statistic) -> tuple[int, int]:
        """The ranks ``(lo, hi]`` a trimmed statistic keeps (1-based, over sorted samples)."""
        n = self.sample_count
        if stat.percent:
            # DECISIONS A5: trimmed and winsorized forms cut at the nearest-rank percentile
            # ranks, so `tm99` keeps exactly the samples up to and including `p99`.
            lo = 0 if stat.lower is None else nearest_rank(stat.lower, n)
            hi = n if stat.upper is None else nearest_rank(stat.upper, n)
            return lo, hi
        # Metric-value bounds: lower exclusive, upper inclusive (UG-STATS: TC(0.005:0.030)
        # counts values in (0.005, 0.030]). Count samples <= each bound to turn them into ranks.
        values, _, ends = self._cumulative()

        def at_or_below(bound: float) -> int:
            i = bisect_right(values, bound)
            return ends[i - 1] if i else 0

        lo = 0 if stat.lower is None else at_or_below(stat.lower)
        hi = n if stat.upper is None else at_or_below(stat.upper)
        return lo, hi

    def _trimmed(self, stat: Statistic) -> tuple[int, Fraction] | None:
        """Count and exact sum of the kept samples, or None when none is kept."""
        lo, hi = self._rank_range(stat)
        if hi <= lo:
            return None
        values, counts, ends = self._cumulative()
        kept = 0
        pairs: list[tuple[float, int]] = []
        for i in range(bisect_right(ends, lo), len(values)):
            start = ends[i] - counts[i]          # ranks (start, ends[i]] hold values[i]
            if start >= hi:
                break
            overlap = min(hi, ends[i]) - max(lo, start)
            kept += overlap
            pairs.append((values[i], overlap))
        return kept, _exact_sum(iter(pairs))

    def _value_at_rank(self, rank: int) -> float:
        values, _, ends = self._cumulative()
        return values[bisect_left(ends, rank)]


# --------------------------------------------------------------------------------------------
# The statistic table
# --------------------------------------------------------------------------------------------

def _extended(fn: Callable[[Aggregate, Statistic], float | None]
              ) -> Callable[[Aggregate, Statistic], float | None]:
    """Guard shared by every extended statistic."""

    @functools.wraps(fn)
    def guarded(agg: Aggregate, stat: Statistic) -> float | None:
        if agg.sample_count == 0:
            return None
        if agg.minimum < 0:
            # UG-STATS: percentiles, TM, IQM, WM, TS, TC and PR "are not available for metrics
            # when any of the metric values are negative numbers".
            return None
        return fn(agg, stat)

    return guarded


def _scaled_sum(a: Aggregate, b: Aggregate) -> tuple[int, int]:
    """The exact sum of two compact aggregates as ``(total, shift)``: ``total / 2**shift`` in
    lowest terms, as `_set_exact` keeps a `Fraction` (integer arithmetic, no `Fraction`)."""
    shift = max(a._shift, b._shift)
    total = (a._total << (shift - a._shift)) + (b._total << (shift - b._shift))
    if not total:
        return 0, 0
    k = min((total & -total).bit_length() - 1, shift)
    return total >> k, shift - k


def _sample_count(agg: Aggregate, stat: Statistic) -> float | None:
    return float(agg.sample_count)


def _sum(agg: Aggregate, stat: Statistic) -> float | None:
    if agg._counts is None:
        try:  # int / int is rounded once, as the exact Fraction would be
            return agg._total / (1 << agg._shift)
        except OverflowError:
            pass
    return agg.sum


def _average(agg: Aggregate, stat: Statistic) -> float | None:
    if agg.sample_count == 0:
        return None
    if agg._counts is None:
        try:
            return agg._total / (agg.sample_count << agg._shift)
        except OverflowError:
            pass
    return _to_float(agg._exact_sum() / agg.sample_count)


def _minimum(agg: Aggregate, stat: Statistic) -> float | None:
    return agg.minimum if agg.sample_count else None


def _maximum(agg: Aggregate, stat: Statistic) -> float | None:
    return agg.maximum if agg.sample_count else None


@_extended
def _percentile(agg: Aggregate, stat: Statistic) -> float | None:
    assert stat.upper is not None
    # DECISIONS A5: nearest-rank; p0 is the smallest sample, p100 the largest.
    return agg._value_at_rank(max(1, nearest_rank(stat.upper, agg.sample_count)))


@_extended
def _trimmed_mean(agg: Aggregate, stat: Statistic) -> float | None:
    kept = agg._trimmed(stat)
    return None if kept is None else _to_float(kept[1] / kept[0])


@_extended
def _trimmed_count(agg: Aggregate, stat: Statistic) -> float | None:
    kept = agg._trimmed(stat)
    return None if kept is None else float(kept[0])


@_extended
def _trimmed_sum(agg: Aggregate, stat: Statistic) -> float | None:
    kept = agg._trimmed(stat)
    return None if kept is None else _to_float(kept[1])


@_extended
def _winsorized_mean(agg: Aggregate, stat: Statistic) -> float | None:
    lo, hi = agg._rank_range(stat)
    if hi <= lo:
        return None
    if stat.percent:
        # Samples below the kept ranks take the smallest kept sample, those above the largest
        # (the edges of the TM range with the same bounds, DECISIONS A5).
        floor = agg._value_at_rank(lo + 1)
        ceiling = agg._value_at_rank(hi)
    else:
        # Metric-value bounds: samples outside are "equal to the value at the edge of the
        # boundary" (UG-STATS), i.e. the bound itself.
        floor = -math.inf if stat.lower is None else float(stat.lower)
        ceiling = math.inf if stat.upper is None else float(stat.upper)
    values, counts, _ = agg._cumulative()
    clamped = ((min(max(v, floor), ceiling), c) for v, c in zip(values, counts))
    return _to_float(_exact_sum(clamped) / agg.sample_count)


@_extended
def _percentile_rank(agg: Aggregate, stat: Statistic) -> float | None:
    lo, hi = agg._rank_range(stat)
    return _to_float(Fraction(100 * max(0, hi - lo), agg.sample_count))


# Statistic kind -> function(aggregate, parsed statistic). Definitions (alarms.md §2, UG-STATS;
# n samples x(1) <= ... <= x(n); rank(q) = ceil(q/100 * n), DECISIONS A5; bounds a:b):
#   SampleCount  n                      Sum      sum of samples     Average  Sum / n
#   Minimum      x(1)                   Maximum  x(n)
#   p            pQ = x(max(1, rank(Q)))
#   TM           mean of the kept samples: ranks (rank(a), rank(b)] for percents,
#                values a < x <= b for metric values; tmQ == TM(:Q%), IQM == TM(25%:75%)
#   TC           number of kept samples            TS  sum of kept samples (= TM * TC)
#   WM           mean of all samples, each clamped into the kept range (percent bounds: the
#                smallest and largest kept sample; value bounds: a and b themselves)
#   PR           100 * (number of samples with a < x <= b) / n
# Every extended statistic is None with a negative sample; TM/TC/TS/WM are None when no
# sample is kept.
STATISTICS: dict[str, Callable[[Aggregate, Statistic], float | None]] = {
    "SampleCount": _sample_count,
    "Sum": _sum,
    "Average": _average,
    "Minimum": _minimum,
    "Maximum": _maximum,
    "p": _percentile,
    "TM": _trimmed_mean,
    "TC": _trimmed_count,
    "TS": _trimmed_sum,
    "WM": _winsorized_mean,
    "PR": _percentile_rank,
}
_STANDARD_PARSED = {kind: Statistic(kind, text=kind) for kind in STANDARD_STATISTICS}


# --------------------------------------------------------------------------------------------
# Series store
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ClosedPeriod:
    """One finished period of one series.

    Attributes:
        key: the series key given to :meth:`SeriesStore.add`.
        start_ms: period start (epoch milliseconds); CloudWatch stamps the datapoint with it.
        period_seconds: period length.
        aggregate: the period's samples.
    """

    key: Hashable
    start_ms: int
    period_seconds: int
    aggregate: Aggregate

    @property
    def end_ms(self) -> int:
        """End of the period (exclusive)."""
        return self.start_ms + self.period_seconds * 1000

    def statistic(self, name: str | Statistic) -> float | None:
        """Shortcut for ``aggregate.statistic(name)``."""
        return self.aggregate.statistic(name)


def _positive_int(value: object, name: str, allow_zero: bool = False) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < (0 if allow_zero else 1):
        raise ValueError(f"{name} must be a {'non-negative' if allow_zero else 'positive'} "
                         f"whole number of seconds, got {value!r}")
    return value


class SeriesStore:
    """Series keyed by any hashable key; each a SortedDict period_start_ms -> Aggregate.

    Samples are bucketed by their event time (DECISIONS M1) into periods aligned to the epoch
    (``start = ts - ts % period``). A period stays open until the caller's watermark (the highest
    event time seen) passes its end by the lateness window; then :meth:`advance` hands it out and
    forgets it, so memory holds only open periods. A sample for a closed period is late: it is
    counted in :attr:`late` and dropped.

    Attributes:
        period_seconds: period length.
        lateness_seconds: how long after a period's end samples for it are still accepted.
        late: number of :meth:`add` calls rejected as late.
        late_samples: number of samples (sum of their counts) rejected as late.
    """

    def __init__(self, period_seconds: int = 60, lateness_seconds: int = 300) -> None:
        """Create an empty store.

        Args:
            period_seconds: period length, any positive number of seconds.
            lateness_seconds: lateness window, zero or more seconds.

        Raises:
            ValueError: a non-integer, zero/negative period, or negative lateness.
        """
        self.period_seconds = _positive_int(period_seconds, "period_seconds")
        self.lateness_seconds = _positive_int(lateness_seconds, "lateness_seconds",
                                              allow_zero=True)
        self._period_ms = period_seconds * 1000
        self._lateness_ms = lateness_seconds * 1000
        self.late = 0
        self.late_samples = 0
        # Every period ending at or before this instant is closed (None: nothing closed yet).
        self._closed_end_ms: int | None = None
        self._series: dict[Hashable, SortedDict] = {}
        # period start -> keys with that period open, in the order they opened it; closing walks
        # this instead of every series.
        self._open: SortedDict = SortedDict()

    def period_start(self, timestamp_ms: int) -> int:
        """Start of the period holding ``timestamp_ms`` (epoch-aligned)."""
        return timestamp_ms - timestamp_ms % self._period_ms

    def add(self, key: Hashable, timestamp_ms: int, value: float, count: int = 1) -> bool:
        """Add ``count`` samples of ``value`` at ``timestamp_ms`` to series ``key``.

        Args:
            key: series identity (metric name, dimensions ...), any hashable.
            timestamp_ms: event time, epoch milliseconds.
            value: sample value, finite.
            count: repeat count, at least 1.

        Returns:
            True when accepted; False when the period has already closed (counted as late).

        Raises:
            ValueError: invalid value or count (see :meth:`Aggregate.add`).
        """
        start = self.period_start(timestamp_ms)
        if self._closed_end_ms is not None and start + self._period_ms <= self._closed_end_ms:
            self.late += 1
            self.late_samples += count
            return False
        series = self._series.get(key)
        agg = None if series is None else series.get(start)
        if agg is None:
            agg = Aggregate()
            agg.add(value, count)      # validate before anything is registered
            if series is None:
                series = self._series[key] = SortedDict()
            series[start] = agg
            keys = self._open.get(start)
            if keys is None:
                keys = self._open[start] = {}
            keys[key] = None
        else:
            agg.add(value, count)
        return True

    def advance(self, watermark_ms: int) -> Iterator[ClosedPeriod]:
        """Close every period whose end + lateness <= ``watermark_ms``.

        The work is done at call time (not lazily as the iterator is consumed). A watermark lower
        than an earlier one closes nothing.

        Args:
            watermark_ms: the highest event time seen so far (epoch milliseconds).

        Returns:
            The closed periods, oldest first; within one period start, series in the order they
            opened it.
        """
        mark = watermark_ms - self._lateness_ms
        if self._closed_end_ms is None or mark > self._closed_end_ms:
            self._closed_end_ms = mark
        return iter(self._close(self._closed_end_ms))

    def flush(self) -> Iterator[ClosedPeriod]:
        """Close every open period (end of input), in the order :meth:`advance` uses.

        Samples for any period up to the newest one flushed are late afterwards.

        Returns:
            The closed periods, oldest first.
        """
        if self._open:
            newest_end = self._open.peekitem(-1)[0] + self._period_ms
            if self._closed_end_ms is None or newest_end > self._closed_end_ms:
                self._closed_end_ms = newest_end
        return iter(self._close(self._closed_end_ms))

    def _close(self, closed_end_ms: int | None) -> list[ClosedPeriod]:
        out: list[ClosedPeriod] = []
        if closed_end_ms is None:
            return out
        while self._open:
            start = self._open.peekitem(0)[0]
            if start + self._period_ms > closed_end_ms:
                break
            _, keys = self._open.popitem(0)
            for key in keys:
                series = self._series[key]
                out.append(ClosedPeriod(key, start, self.period_seconds, series.pop(start)))
                if not series:
                    del self._series[key]
        return out

    def open_periods(self) -> int:
        """Number of (series, period) pairs currently open."""
        return sum(len(series) for series in self._series.values())

    def open_series(self) -> int:
        """Number of series with at least one open period."""
        return len(self._series)

    def value_entries(self) -> int:
        """Total value -> count entries held by open periods (the store's memory, in entries)."""
        return sum(agg.distinct_values for series in self._series.values()
                   for agg in series.values())


# --------------------------------------------------------------------------------------------
# Partial aggregates: order-free, mergeable
# --------------------------------------------------------------------------------------------

class PartialAggregates:
    """Samples bucketed by series and epoch-aligned period, with nothing ever closed or dropped.

    The building block of order-independent runs: feed samples in any order (or build several
    tables from parts of the input and `merge` them in any order) and the result is the same,
    exactly, because every statistic is computed from the merged samples (`Aggregate`). Memory
    grows with series x periods: one compact aggregate (count, minimum, maximum, exact sum) per
    pair, or a value map where an extended statistic needs the values (``keep_values``).

    Attributes:
        period_seconds: period length.
        keep_values: whether aggregates keep their value -> count maps.
    """

    def __init__(self, period_seconds: int = 60, keep_values: bool = True) -> None:
        self.period_seconds = _positive_int(period_seconds, "period_seconds")
        self._period_ms = period_seconds * 1000
        self.keep_values = keep_values
        self._cells: dict[tuple[Hashable, int], Aggregate] = {}
        self._last_start = -1

    def period_start(self, timestamp_ms: int) -> int:
        """Start of the period holding ``timestamp_ms`` (epoch-aligned)."""
        return timestamp_ms - timestamp_ms % self._period_ms

    def add(self, key: Hashable, timestamp_ms: int, value: float, count: int = 1) -> tuple[Hashable, int]:
        """Add ``count`` samples of ``value`` at ``timestamp_ms`` to series ``key``.

        Returns:
            The cell ``(key, period start)`` the samples went to.

        Raises:
            ValueError: invalid value or count (see :meth:`Aggregate.add`); nothing is added.
        """
        start = timestamp_ms - timestamp_ms % self._period_ms
        if start == self._last_start:
            start = self._last_start  # one int object for the cells of a period, not one per cell
        else:
            self._last_start = start
        cell = (key, start)
        agg = self._cells.get(cell)
        if agg is None:
            # (validated before anything is registered)
            self._cells[cell] = Aggregate.first(value, count, compact=not self.keep_values)
        else:
            agg.add(value, count)
        return cell

    def merge(self, other: PartialAggregates) -> None:
        """Add every sample of `other` (same period) to this table; exact and order-free."""
        if other.period_seconds != self.period_seconds:
            raise ValueError(f"cannot merge {other.period_seconds} s periods into {self.period_seconds} s ones")
        for cell, agg in other._cells.items():
            mine = self._cells.get(cell)
            if mine is None:
                mine = self._cells[cell] = Aggregate() if self.keep_values else Aggregate.compact()
            mine.merge_in(agg)

    def get(self, key: Hashable, start_ms: int) -> Aggregate | None:
        """The aggregate of one series in the period starting at ``start_ms``, if any sample."""
        return self._cells.get((key, start_ms))

    def periods(self, order: Callable[[Hashable], Any] | None = None) -> list[ClosedPeriod]:
        """Every (series, period) with samples, by period start then series.

        Args:
            order: sort key for series keys (default: the keys themselves), so that the output
                does not depend on the order samples arrived in.
        """
        sort_key = order or (lambda k: k)
        cells = sorted(self._cells, key=lambda c: (c[1], sort_key(c[0])))
        return [ClosedPeriod(k, start, self.period_seconds, self._cells[(k, start)]) for k, start in cells]

    def pop(self, key: Hashable, start_ms: int) -> Aggregate | None:
        """Forget one cell and return its aggregate."""
        return self._cells.pop((key, start_ms), None)

    def drop_before(self, end_ms: int) -> int:
        """Forget every period that ends at or before ``end_ms``; returns how many cells went."""
        old = [c for c in self._cells if c[1] + self._period_ms <= end_ms]
        for c in old:
            del self._cells[c]
        return len(old)

    def __len__(self) -> int:
        return len(self._cells)

    def value_entries(self) -> int:
        """Total value entries held (one per compact aggregate)."""
        return sum(agg.distinct_values for agg in self._cells.values())
