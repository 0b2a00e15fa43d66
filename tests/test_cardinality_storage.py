"""Per-series storage of a run: the shortcuts a new series takes are what the general path gives."""

from __future__ import annotations

import math

import pytest
from cwfilter.engine.metrics.series import STANDARD_STATISTICS, Aggregate, PartialAggregates
from hypothesis import given
from hypothesis import strategies as st

finite = st.floats(allow_nan=False, allow_infinity=False)
counts = st.integers(min_value=1, max_value=10**6)


def _state(agg: Aggregate) -> tuple:
    return (agg.sample_count, repr(agg.minimum), repr(agg.maximum), agg._counts, agg._total, agg._shift,
            agg._sorted, agg._exact)


@given(value=finite, count=counts, compact=st.booleans())
def test_first_is_add_on_an_empty_aggregate(value, count, compact):
    built = Aggregate.first(value, count, compact=compact)
    added = Aggregate.compact() if compact else Aggregate()
    added.add(value, count)
    assert _state(built) == _state(added)
    assert [repr(built.statistic(s)) for s in STANDARD_STATISTICS] == [repr(added.statistic(s))
                                                                       for s in STANDARD_STATISTICS]
    assert list(map(repr, built.standard_statistics())) == [repr(added.statistic(s)) for s in STANDARD_STATISTICS]
    # Both go on the same way.
    built.add(value, 2)
    added.add(value, 2)
    assert _state(built) == _state(added)


@given(values=st.lists(st.tuples(finite, counts), min_size=1, max_size=6), compact=st.booleans())
def test_standard_statistics_are_the_statistics_one_by_one(values, compact):
    agg = Aggregate.compact() if compact else Aggregate()
    for value, count in values:
        agg.add(value, count)
    assert list(map(repr, agg.standard_statistics())) == [repr(agg.statistic(s)) for s in STANDARD_STATISTICS]


@pytest.mark.parametrize("value,count", [(math.nan, 1), (math.inf, 1), (-math.inf, 1), (1.0, 0), (1.0, True),
                                         (1.0, 1.5)])
def test_first_refuses_what_add_refuses(value, count):
    for compact in (True, False):
        with pytest.raises(ValueError):
            Aggregate.first(value, count, compact=compact)
        with pytest.raises(ValueError):
            (Aggregate.compact() if compact else Aggregate()).add(value, count)


def test_a_refused_first_sample_registers_no_cell():
    table = PartialAggregates(60, keep_values=False)
    with pytest.raises(ValueError):
        table.add("series", 0, math.nan)
    assert len(table) == 0
    table.add("series", 0, -0.0)
    assert repr(table.get("series", 0).minimum) == "0.0"
