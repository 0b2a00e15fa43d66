"""Tests for engine/metrics/series.py: statistics against hand-computed values, exact merging, and the
period store (bucketing, out-of-order and late samples, closing order, memory bound)."""

from __future__ import annotations

import math
import random
from decimal import Decimal
from fractions import Fraction

import pytest
from cwfilter.engine.metrics.series import (
    STANDARD_STATISTICS,
    STATISTICS,
    Aggregate,
    ClosedPeriod,
    SeriesStore,
    format_statistic,
    is_extended_statistic,
    parse_statistic,
)
from hypothesis import given, settings
from hypothesis import strategies as st

# ---------------------------------------------------------------------------------------------
# Statistics, hand-computed
# ---------------------------------------------------------------------------------------------

# A: ten samples, with ties.
#   sorted:  1, 1, 2, 3, 3, 4, 5, 5, 6, 9      (ranks 1..10)
#   sum = 1+1+2+3+3+4+5+5+6+9 = 39
# Nearest rank (DECISIONS A5): rank(q) = ceil(q/100 * 10).
SAMPLES_A = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3]

EXPECTED_A = {
    "SampleCount": 10.0,
    "Sum": 39.0,
    "Average": 3.9,                 # 39 / 10
    "Minimum": 1.0,
    "Maximum": 9.0,
    "p0": 1.0,                      # rank max(1, ceil(0)) = 1
    "p10": 1.0,                     # rank ceil(1.0) = 1
    "p50": 3.0,                     # rank ceil(5.0) = 5 -> 3
    "p51": 4.0,                     # rank ceil(5.1) = 6 -> 4
    "p90": 6.0,                     # rank ceil(9.0) = 9 -> 6
    "p95": 9.0,                     # rank ceil(9.5) = 10 -> 9
    "p99.9": 9.0,                   # rank ceil(9.99) = 10
    "p100": 9.0,
    # tm90 = TM(:90%): ranks (0, 9] = 1,1,2,3,3,4,5,5,6 -> 30 / 9
    "tm90": 30 / 9,
    "TM(:90%)": 30 / 9,
    # TM(10%:90%): ranks (1, 9] = 1,2,3,3,4,5,5,6 -> 29 / 8
    "TM(10%:90%)": 3.625,
    # IQM = TM(25%:75%): rank(25) = ceil(2.5) = 3, rank(75) = ceil(7.5) = 8
    #   ranks (3, 8] = 3,3,4,5,5 -> 20 / 5
    "IQM": 4.0,
    "TM(25%:75%)": 4.0,
    # TM(80%:): ranks (8, 10] = 6, 9 -> 15 / 2
    "TM(80%:)": 7.5,
    "tc90": 9.0,
    "TC(10%:90%)": 8.0,
    "ts90": 30.0,
    "TS(10%:90%)": 29.0,
    "TS(80%:)": 15.0,
    # wm90: the sample above rank 9 (the 9) becomes x(9) = 6:
    #   1+1+2+3+3+4+5+5+6+6 = 36 -> 3.6
    "wm90": 3.6,
    # Metric-value bounds: lower exclusive, upper inclusive.
    # TM(1:5): 1 < x <= 5 -> 2,3,3,4,5,5 = 22 / 6
    "TM(1:5)": 22 / 6,
    "TC(1:5)": 6.0,
    "TS(1:5)": 22.0,
    # TC(:3): x <= 3 -> 1,1,2,3,3
    "TC(:3)": 5.0,
    # TS(4:): x > 4 -> 5,5,6,9 = 25
    "TS(4:)": 25.0,
    # WM(1:5): clamp into [1, 5]: 1,1,2,3,3,4,5,5,5,5 = 34 -> 3.4
    "WM(1:5)": 3.4,
    # WM(:4): clamp above at 4: 1,1,2,3,3,4,4,4,4,4 = 30 -> 3.0
    "WM(:4)": 3.0,
    # PR(n:m) = 100 * #(n < x <= m) / 10
    "PR(:3)": 50.0,                 # 1,1,2,3,3
    "PR(1:5)": 60.0,                # 2,3,3,4,5,5
    "PR(5:)": 20.0,                 # 6,9
    "PR(9:)": 0.0,                  # nothing above 9: a percentage, not a trimmed range
    # Empty ranges.
    "TM(9:)": None,
    "TC(:0.5)": None,
    "TS(9:)": None,
    "WM(9:100)": None,
}


@pytest.mark.parametrize("name", list(EXPECTED_A), ids=str)
def test_statistics_on_sample_a(name):
    agg = Aggregate.of(SAMPLES_A)
    assert agg.statistic(name) == EXPECTED_A[name]


# B: ten distinct samples 10, 20, ..., 100, to tell the winsorizing edges apart.
SAMPLES_B = [100, 10, 90, 20, 80, 30, 70, 40, 60, 50]

EXPECTED_B = {
    # WM(10%:90%): rank(10) = 1, rank(90) = 9; kept ranks 2..9 = 20..90.
    #   the sample at rank 1 (10) becomes the smallest kept, 20; rank 10 (100) becomes 90:
    #   20+20+30+40+50+60+70+80+90+90 = 550 -> 55
    "WM(10%:90%)": 55.0,
    # wm80: rank(80) = 8 -> 80; 90 and 100 become 80:
    #   10+20+...+80 = 360, + 80 + 80 = 520 -> 52
    "wm80": 52.0,
    # TM(20%:80%): ranks (2, 8] = 30..80 = 330 / 6
    "TM(20%:80%)": 55.0,
    # IQM: ranks (3, 8] = 40..80 = 300 / 5
    "IQM": 60.0,
    # p25: rank ceil(2.5) = 3 -> 30; p75: rank ceil(7.5) = 8 -> 80
    "p25": 30.0,
    "p75": 80.0,
    # WM(25:75): clamp into [25, 75]: 25,25,30,40,50,60,70,75,75,75
    #   = 50 + 250 + 225 = 525 -> 52.5
    "WM(25:75)": 52.5,
    # WM(25%:): rank(25) = 3, kept ranks 4..10; 10, 20, 30 become 40:
    #   40*4 + 50+60+70+80+90+100 = 160 + 450 = 610 -> 61
    "WM(25%:)": 61.0,
}


@pytest.mark.parametrize("name", list(EXPECTED_B), ids=str)
def test_statistics_on_sample_b(name):
    agg = Aggregate.of(SAMPLES_B)
    assert agg.statistic(name) == EXPECTED_B[name]


def test_percentile_rank_is_computed_exactly():
    # 1..100: p7 is the 7th sample. In floating point 0.07 * 100 = 7.000000000000001, whose
    # ceiling (8) would pick the wrong sample.
    agg = Aggregate.of(list(range(1, 101)))
    assert agg.statistic("p7") == 7.0
    assert agg.statistic("p7.5") == 8.0           # ceil(7.5) = 8
    assert agg.statistic("p99.99") == 100.0       # ceil(99.99) = 100
    # tc7 keeps ranks 1..7.
    assert agg.statistic("tc7") == 7.0
    # TS(3%:7%): ranks 4..7 = 4+5+6+7 = 22
    assert agg.statistic("TS(3%:7%)") == 22.0


def test_value_bounds_compare_as_doubles():
    # UG-STATS: TC(0.005:0.030) counts values in (0.005, 0.030]. A sample 0.005 is excluded and
    # a sample 0.030 included, although neither is exactly representable.
    agg = Aggregate.of([0.005, 0.01, 0.03, 0.031])
    assert agg.statistic("TC(0.005:0.030)") == 2.0      # 0.01, 0.03
    assert agg.statistic("PR(0.005:0.030)") == 50.0     # 2 of 4


def test_single_sample():
    agg = Aggregate.of([7])
    assert agg.statistic("p0") == 7.0
    assert agg.statistic("p50") == 7.0
    assert agg.statistic("p100") == 7.0
    assert agg.statistic("tm90") == 7.0       # rank ceil(0.9) = 1 keeps the sample
    # IQM: rank(25) = ceil(0.25) = 1 and rank(75) = ceil(0.75) = 1: ranks (1, 1] are empty.
    assert agg.statistic("IQM") is None
    assert agg.statistic("TC(25%:75%)") is None
    assert agg.statistic("WM(25%:75%)") is None
    assert agg.statistic("PR(:7)") == 100.0


def test_negative_sample_hides_extended_statistics():
    # UG-STATS: these statistics "are not available ... when any of the metric values are
    # negative". The standard ones still are.
    agg = Aggregate.of([-1, 2, 3])
    assert agg.statistic("SampleCount") == 3.0
    assert agg.statistic("Sum") == 4.0
    assert agg.statistic("Average") == 4 / 3
    assert agg.statistic("Minimum") == -1.0
    assert agg.statistic("Maximum") == 3.0
    for name in ("p50", "p100", "tm90", "IQM", "wm90", "tc90", "ts90", "TM(0:5)", "PR(:10)"):
        assert agg.statistic(name) is None, name


def test_negative_zero_is_zero():
    agg = Aggregate.of([-0.0, 1.0])
    assert agg.statistic("p50") == 0.0
    assert math.copysign(1.0, agg.minimum) == 1.0
    assert agg.values_counts() == ([0.0, 1.0], [1, 1])


def test_empty_aggregate():
    agg = Aggregate()
    assert agg.statistic("SampleCount") == 0.0
    assert agg.statistic("Sum") == 0.0
    for name in ("Average", "Minimum", "Maximum", "p50", "tm90", "PR(:1)", "IQM"):
        assert agg.statistic(name) is None, name


def test_sum_is_exact():
    # Ten copies of 0.1: the double 0.1 is 0.1000000000000000055511151231257827...; ten of them
    # are 1.000000000000000055..., nearest double 1.0 (adding one by one gives 0.9999999999999999).
    assert Aggregate.of([0.1] * 10).sum == 1.0
    one = Aggregate()
    one.add(0.1, 10)
    assert one.sum == 1.0
    assert one.statistic("Average") == 0.1
    # 1e16 + 1 - 1e16 is exactly 1 (left to right in doubles, 1e16 + 1 rounds to 1e16 and the
    # result is 0).
    assert Aggregate.of([1e16, 1.0, -1e16]).sum == 1.0


def test_counts_are_repeated_samples():
    # PutMetricData-style Values/Counts: 2 x3, 10 x1 == samples 2, 2, 2, 10.
    agg = Aggregate.of([2, 10], [3, 1])
    assert agg.sample_count == 4
    assert agg.sum == 16.0
    assert agg.statistic("Average") == 4.0
    assert agg.statistic("p75") == 2.0        # rank 3
    assert agg.statistic("p76") == 10.0       # rank ceil(3.04) = 4
    assert agg.values_counts() == ([2.0, 10.0], [3, 1])


def test_values_counts_sorted_and_detached():
    agg = Aggregate.of([5, 1, 5, 3])
    values, counts = agg.values_counts()
    assert (values, counts) == ([1.0, 3.0, 5.0], [1, 1, 2])
    values.append(99.0)
    assert agg.values_counts() == ([1.0, 3.0, 5.0], [1, 1, 2])
    agg.add(2)
    assert agg.values_counts() == ([1.0, 2.0, 3.0, 5.0], [1, 1, 1, 2])   # cache refreshed


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_add_rejects_non_finite(value):
    with pytest.raises(ValueError, match="finite"):
        Aggregate().add(value)


@pytest.mark.parametrize("count", [0, -1, 1.5, True])
def test_add_rejects_bad_count(count):
    with pytest.raises(ValueError, match="count"):
        Aggregate().add(1.0, count)


def test_statistic_table_covers_every_kind():
    assert set(STATISTICS) == set(STANDARD_STATISTICS) | {"p", "TM", "WM", "TC", "TS", "PR"}


# ---------------------------------------------------------------------------------------------
# Merging
# ---------------------------------------------------------------------------------------------

STATS_TO_COMPARE = ["SampleCount", "Sum", "Average", "Minimum", "Maximum", "p0", "p10", "p50",
                    "p90", "p99.9", "p100", "tm90", "tm99", "IQM", "TM(10%:90%)", "TM(5%:)",
                    "wm90", "WM(10%:90%)", "tc90", "TC(25%:75%)", "ts90", "TS(10%:)",
                    "TM(1:50)", "TC(:2.5)", "TS(0.5:)", "WM(1:50)", "PR(:10)", "PR(1:3)"]

values_st = st.lists(
    st.one_of(st.integers(-3, 60).map(float),
              st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)),
    min_size=0, max_size=40)


def _all_stats(agg: Aggregate) -> dict[str, float | None]:
    return {name: agg.statistic(name) for name in STATS_TO_COMPARE}


@settings(max_examples=300, deadline=None)
@given(values=values_st, data=st.data())
def test_split_and_merge_equals_one_aggregate(values, data):
    k = data.draw(st.integers(0, len(values)))
    left, right = Aggregate.of(values[:k]), Aggregate.of(values[k:])
    whole = Aggregate.of(values)
    merged = left.merge(right)
    assert merged == whole
    assert _all_stats(merged) == _all_stats(whole)
    # Inputs untouched.
    assert left == Aggregate.of(values[:k])
    assert right == Aggregate.of(values[k:])


@settings(max_examples=200, deadline=None)
@given(a=values_st, b=values_st, c=values_st)
def test_merge_is_associative_and_commutative(a, b, c):
    x, y, z = Aggregate.of(a), Aggregate.of(b), Aggregate.of(c)
    one = x.merge(y).merge(z)
    two = x.merge(y.merge(z))
    three = z.merge(x).merge(y)
    assert one == two == three
    assert _all_stats(one) == _all_stats(two) == _all_stats(three)


def _compact(values: list[float]) -> Aggregate:
    agg = Aggregate.compact()
    for v in values:
        agg.add(v)
    return agg


@settings(max_examples=300, deadline=None)
@given(a=values_st, b=values_st, tiny=st.booleans())
def test_compact_merges_in_integers_equal_the_fraction_sum(a, b, tiny):
    """Two compact aggregates merge their exact sums in integers (scaled by a power of two, in
    lowest terms); against the `Fraction` sum of both, which a compact and a full one merge by."""
    if tiny:  # sums whose scales differ by hundreds of bits
        a, b = [v * 2.0 ** -900 for v in a], [v * 2.0 ** 600 for v in b]
    x, y = _compact(a), _compact(b)
    want = Fraction(0)
    for v in a + b:
        want += Fraction(v)
    for merged in (x.merge(y), y.merge(x)):
        assert merged._exact_sum() == want
        assert (merged._total, merged._shift) == (want.numerator, want.denominator.bit_length() - 1)
        assert merged.standard_statistics() == x.merge(Aggregate.of(b)).standard_statistics()
    into = _compact(a)
    into.merge_in(y)
    assert into._exact_sum() == want and into.sample_count == len(a) + len(b)
    assert (x._exact_sum(), y._exact_sum()) == (sum(map(Fraction, a), Fraction(0)), sum(map(Fraction, b), Fraction(0)))


@settings(max_examples=100, deadline=None)
@given(values=values_st, seed=st.integers(0, 2**32))
def test_arrival_order_does_not_matter(values, seed):
    shuffled = list(values)
    random.Random(seed).shuffle(shuffled)
    assert _all_stats(Aggregate.of(shuffled)) == _all_stats(Aggregate.of(values))


# A plain-Python reference over the expanded, sorted sample list, used for a property check of
# the percent-based statistics on small non-negative integers.
def _ref_rank(q: str, n: int) -> int:
    return math.ceil(Fraction(q) * n / 100)


def _ref(values: list[int], kind: str, lo: str | None, hi: str | None) -> float | None:
    xs = sorted(values)
    n = len(xs)
    if kind == "p":
        return float(xs[max(1, _ref_rank(hi, n)) - 1])
    a = 0 if lo is None else _ref_rank(lo, n)
    b = n if hi is None else _ref_rank(hi, n)
    kept = xs[a:b]
    if not kept:
        return None
    if kind == "TM":
        return sum(kept) / len(kept)
    if kind == "TC":
        return float(len(kept))
    if kind == "TS":
        return float(sum(kept))
    # WM
    return sum(min(max(x, kept[0]), kept[-1]) for x in xs) / n


percents = st.sampled_from(["0", "1", "5", "10", "25", "33.3", "50", "66.7", "75", "90", "99",
                            "100"])


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.integers(0, 20), min_size=1, max_size=30),
       kind=st.sampled_from(["p", "TM", "TC", "TS", "WM"]), lo=percents, hi=percents)
def test_percent_statistics_match_plain_reference(values, kind, lo, hi):
    if kind == "p":
        name, lower = f"p{hi}", None
    else:
        lo, hi = sorted([lo, hi], key=Decimal)
        name, lower = f"{kind}({lo}%:{hi}%)", lo
    assert Aggregate.of(values).statistic(name) == _ref(values, kind, lower, hi)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.integers(0, 20), min_size=1, max_size=30),
       lo=st.integers(0, 20), hi=st.integers(0, 20))
def test_percentile_rank_matches_plain_reference(values, lo, hi):
    lo, hi = min(lo, hi), max(lo, hi)
    inside = sum(1 for x in values if lo < x <= hi)
    assert Aggregate.of(values).statistic(f"PR({lo}:{hi})") == 100 * inside / len(values)


# ---------------------------------------------------------------------------------------------
# Statistic names
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, kind, lower, upper, percent", [
    ("Sum", "Sum", None, None, False),
    ("SampleCount", "SampleCount", None, None, False),
    ("p99", "p", None, Decimal("99"), True),
    ("p95.0123456789", "p", None, Decimal("95.0123456789"), True),
    ("p0.0", "p", None, Decimal(0), True),
    ("tm90", "TM", None, Decimal(90), True),
    ("wm98", "WM", None, Decimal(98), True),
    ("tc90", "TC", None, Decimal(90), True),
    ("ts90", "TS", None, Decimal(90), True),
    ("IQM", "TM", Decimal(25), Decimal(75), True),
    ("TM(2%:98%)", "TM", Decimal(2), Decimal(98), True),
    ("TM(:95%)", "TM", None, Decimal(95), True),
    ("TS(80%:)", "TS", Decimal(80), None, True),
    ("TM(150:1000)", "TM", 150.0, 1000.0, False),
    ("TC(0.005:0.030)", "TC", 0.005, 0.03, False),
    ("PR(:300)", "PR", None, 300.0, False),
    ("PR(100:2000)", "PR", 100.0, 2000.0, False),
])
def test_parse_statistic(name, kind, lower, upper, percent):
    stat = parse_statistic(name)
    assert (stat.kind, stat.lower, stat.upper, stat.percent) == (kind, lower, upper, percent)
    assert stat.text == name
    assert stat.extended == (name not in STANDARD_STATISTICS)
    assert is_extended_statistic(name) == (name not in STANDARD_STATISTICS)


@pytest.mark.parametrize("a, b", [("p99", "p99.0"), ("p99.5", "p99.50"), ("tm99", "TM(:99%)"),
                                  ("IQM", "TM(25%:75%)"), ("TC(1:2)", "TC(1.0:2.00)")])
def test_equivalent_names(a, b):
    assert parse_statistic(a) == parse_statistic(b)
    assert format_statistic(a) == format_statistic(b)


@pytest.mark.parametrize("name, canonical", [
    ("p99.0", "p99"), ("p99.50", "p99.5"), ("p100", "p100"), ("TM(:99%)", "tm99"),
    ("TM(25%:75%)", "IQM"), ("IQM", "IQM"), ("TM(10%:90.0%)", "TM(10%:90%)"),
    ("TC(0.005:0.030)", "TC(0.005:0.03)"), ("PR(:300)", "PR(:300)"), ("Average", "Average"),
])
def test_canonical_names(name, canonical):
    assert format_statistic(name) == canonical
    assert parse_statistic(name).canonical == canonical


@pytest.mark.parametrize("name, reason", [
    ("sum", "case-sensitive"),
    ("average", "case-sensitive"),
    ("iqm", "case-sensitive"),
    ("P99", "lower case"),
    ("TM99", "lower case"),
    ("tm(10%:90%)", "lower case"),
    ("p101", "above 100"),
    ("TM(10%:101%)", "above 100"),
    ("p99.12345678901", "10 decimal places"),
    ("TM(:)", "at least one bound"),
    ("TM(10%:500)", "not a mix"),
    ("PR(10%:20%)", "without %"),
    ("TM(90%:10%)", "above upper bound"),
    ("PR(5:1)", "above upper bound"),
    ("XY(1:2)", "unknown range form"),
    ("p", "expected SampleCount"),
    ("p-1", "expected SampleCount"),
    ("p.5", "expected SampleCount"),
    ("TM( 10%:90%)", "expected SampleCount"),
    ("", "expected SampleCount"),
    (None, "not a string"),
])
def test_invalid_statistic_names(name, reason):
    with pytest.raises(ValueError, match="invalid statistic") as info:
        parse_statistic(name)
    assert reason in str(info.value)
    assert not is_extended_statistic(name)


def test_statistic_accepts_parsed_statistic():
    agg = Aggregate.of(SAMPLES_A)
    assert agg.statistic(parse_statistic("IQM")) == 4.0
    with pytest.raises(ValueError):
        agg.statistic("Median")


# ---------------------------------------------------------------------------------------------
# SeriesStore
# ---------------------------------------------------------------------------------------------

def _closed(periods):
    return [(p.key, p.start_ms, p.aggregate.sample_count) for p in periods]


def test_bucketing_aligned_to_epoch():
    store = SeriesStore(period_seconds=60, lateness_seconds=0)
    assert store.period_start(0) == 0
    assert store.period_start(59_999) == 0
    assert store.period_start(60_000) == 60_000
    assert store.period_start(-1) == -60_000             # floor, not truncation
    five = SeriesStore(period_seconds=300)
    # 1_700_000_123_456 = 5_666_667 * 300_000 + 23_456
    assert five.period_start(1_700_000_123_456) == 1_700_000_100_000
    ten = SeriesStore(period_seconds=10)
    assert ten.period_start(1_700_000_123_456) == 1_700_000_120_000


def test_samples_go_to_their_period():
    store = SeriesStore(period_seconds=60, lateness_seconds=0)
    for ts, value in [(0, 1), (59_999, 2), (60_000, 3), (61_000, 4), (125_000, 5)]:
        assert store.add("m", ts, value)
    assert store.open_periods() == 3
    out = list(store.flush())
    assert [(p.start_ms, p.aggregate.values_counts()) for p in out] == [
        (0, ([1.0, 2.0], [1, 1])),
        (60_000, ([3.0, 4.0], [1, 1])),
        (120_000, ([5.0], [1])),
    ]
    assert all(p.period_seconds == 60 for p in out)
    assert out[1].end_ms == 120_000
    assert out[1].statistic("Sum") == 7.0
    assert store.open_periods() == 0


@pytest.mark.parametrize("period", [10, 20, 30, 60, 300, 7])
def test_any_positive_period(period):
    store = SeriesStore(period_seconds=period, lateness_seconds=0)
    ms = period * 1000
    store.add("k", 0, 1)
    store.add("k", ms - 1, 1)
    store.add("k", ms, 1)
    assert _closed(store.flush()) == [("k", 0, 2), ("k", ms, 1)]


def test_out_of_order_within_lateness_is_accepted():
    store = SeriesStore(period_seconds=60, lateness_seconds=300)
    assert store.add("m", 600_000, 1.0)
    # Watermark 600_000: periods with end + 300_000 <= 600_000, i.e. end <= 300_000, close.
    assert list(store.advance(600_000)) == []
    # 400_000 is in [360_000, 420_000); 420_000 > 300_000 so it is still open.
    assert store.add("m", 400_000, 2.0)
    # 300_001 is in [300_000, 360_000); 360_000 > 300_000: still open.
    assert store.add("m", 300_001, 3.0)
    assert store.late == 0
    out = list(store.flush())
    assert _closed(out) == [("m", 300_000, 1), ("m", 360_000, 1), ("m", 600_000, 1)]


def test_late_samples_are_counted_and_dropped():
    store = SeriesStore(period_seconds=60, lateness_seconds=300)
    store.add("m", 600_000, 1.0)
    assert list(store.advance(600_000)) == []
    # 299_999 is in [240_000, 300_000); end 300_000 <= 600_000 - 300_000: closed, so late,
    # although no sample was ever in that period.
    assert store.add("m", 299_999, 5.0) is False
    assert store.add("other", 0, 5.0, count=4) is False
    assert store.late == 2
    assert store.late_samples == 5              # 1 + 4
    assert store.open_periods() == 1
    assert store.open_series() == 1             # the late samples created nothing
    assert _closed(store.flush()) == [("m", 600_000, 1)]


def test_late_after_close():
    store = SeriesStore(period_seconds=60, lateness_seconds=60)
    store.add("m", 10_000, 1.0)                 # period [0, 60_000)
    # end 60_000 + lateness 60_000 = 120_000: not closed at 119_999, closed at 120_000.
    assert list(store.advance(119_999)) == []
    assert store.add("m", 20_000, 2.0)
    out = list(store.advance(120_000))
    assert _closed(out) == [("m", 0, 2)]
    assert store.add("m", 30_000, 3.0) is False
    assert store.late == 1


def test_advance_order_oldest_first_then_by_opening():
    store = SeriesStore(period_seconds=60, lateness_seconds=0)
    store.add("b", 130_000, 1)      # b opens 120_000
    store.add("a", 10_000, 1)       # a opens 0
    store.add("c", 70_000, 1)       # c opens 60_000
    store.add("a", 125_000, 1)      # a opens 120_000 (after b)
    store.add("b", 5_000, 1)        # b opens 0 (after a)
    store.add(("x", 1), 180_000, 1) # tuple key, period 180_000
    # Watermark 180_000 closes periods ending at or before 180_000: starts 0, 60_000, 120_000.
    out = list(store.advance(180_000))
    assert _closed(out) == [("a", 0, 1), ("b", 0, 1), ("c", 60_000, 1),
                            ("b", 120_000, 1), ("a", 120_000, 1)]
    assert store.open_periods() == 1
    assert _closed(store.flush()) == [(("x", 1), 180_000, 1)]


def test_advance_is_eager_and_monotone():
    store = SeriesStore(period_seconds=60, lateness_seconds=0)
    store.add("m", 0, 1)
    store.advance(60_000)           # not consumed: the period is closed anyway
    assert store.open_periods() == 0
    assert store.add("m", 1, 1) is False
    # A lower watermark does not reopen anything.
    assert list(store.advance(0)) == []
    assert store.add("m", 2, 1) is False
    assert store.add("m", 60_000, 1) is True
    assert store.late == 2


def test_flush_then_more_input():
    store = SeriesStore(period_seconds=60, lateness_seconds=300)
    store.add("m", 0, 1)
    store.add("m", 120_000, 1)
    assert _closed(store.flush()) == [("m", 0, 1), ("m", 120_000, 1)]
    assert list(store.flush()) == []
    # Periods up to the newest flushed one are closed now; later ones are new.
    assert store.add("m", 60_000, 1) is False
    assert store.add("m", 180_000, 1) is True
    assert _closed(store.flush()) == [("m", 180_000, 1)]


def test_closed_period_is_a_frozen_record():
    agg = Aggregate.of([1.0])
    period = ClosedPeriod("k", 60_000, 60, agg)
    with pytest.raises(AttributeError):
        period.start_ms = 0  # type: ignore[misc]
    assert period.end_ms == 120_000


@pytest.mark.parametrize("period, lateness", [(0, 0), (-60, 0), (60, -1), (1.5, 0), (60, 0.5),
                                              (True, 0)])
def test_store_rejects_bad_configuration(period, lateness):
    with pytest.raises(ValueError):
        SeriesStore(period_seconds=period, lateness_seconds=lateness)


def test_invalid_value_leaves_store_unchanged():
    store = SeriesStore()
    with pytest.raises(ValueError):
        store.add("m", 0, math.nan)
    assert store.open_periods() == 0
    assert store.open_series() == 0


def test_memory_bounded_by_periods_and_distinct_values():
    # 100,000 samples over 10 minutes for 3 series, values from {1, 2, 3, 4, 5}, arriving a
    # little out of order. Kept: 3 series x 10 periods x 5 values at most = 150 map entries.
    store = SeriesStore(period_seconds=60, lateness_seconds=300)
    rng = random.Random(7)
    for i in range(100_000):
        ts = i * 6 + rng.randrange(0, 5_000)        # 0 .. 605_000 ms, jittered
        assert store.add(("m", i % 3), ts, float(1 + i % 5))
    assert store.open_series() == 3
    assert store.open_periods() <= 3 * 11
    assert store.value_entries() <= 3 * 11 * 5
    out = list(store.flush())
    assert sum(p.aggregate.sample_count for p in out) == 100_000
    assert all(p.aggregate.distinct_values <= 5 for p in out)
    assert store.open_periods() == 0


def test_memory_bounded_when_watermark_advances():
    # A long stream with a moving watermark keeps only the periods inside the lateness window:
    # with period 60 s and lateness 300 s, at most 300/60 + 2 = 7 periods per series are open.
    store = SeriesStore(period_seconds=60, lateness_seconds=300)
    most_open = 0
    closed = 0
    for i in range(100_000):
        ts = i * 600                                 # 60,000,000 ms = 1,000 minutes
        store.add("m", ts, float(i % 4))
        closed += len(list(store.advance(ts)))
        most_open = max(most_open, store.open_periods())
    assert most_open <= 7
    assert store.value_entries() <= 7 * 4
    closed += len(list(store.flush()))
    assert closed == 1_000
    assert store.late == 0
