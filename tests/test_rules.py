"""Ranking and change (campaign.rules) equal brute-force readings of docs/definitions.md."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from campaign import rules


@given(
    st.lists(
        st.tuples(st.text("abc", min_size=1, max_size=3), st.integers(0, 5)),
        unique_by=lambda x: x[0],
    )
)
def test_competition_ranking_equals_one_plus_number_strictly_better(items):
    ranked = rules.competition_ranks(items)
    assert sorted((c, v) for _, c, v in ranked) == sorted(items)  # every unit, once
    for rank, _code, value in ranked:
        assert rank == 1 + sum(1 for _, other in items if other > value)
    for (_, code_a, a), (_, code_b, b) in zip(ranked, ranked[1:], strict=False):
        # pairwise: better first; within a tie, by code
        assert a > b or (a == b and code_a < code_b)


def test_ties_share_a_rank_and_the_next_rank_skips():
    ranked = rules.competition_ranks([("b", 5), ("a", 7), ("c", 5), ("d", 1)])
    assert [(r, c) for r, c, _ in ranked] == [(1, "a"), (2, "b"), (2, "c"), (4, "d")]


@given(st.integers(0, 500), st.integers(0, 500))
def test_change_never_divides_by_zero_and_flags_only_large_poisson_signals(this, previous):
    result = rules.change(this, previous)
    assert result.absolute == this - previous
    if previous == 0:
        assert result.ratio is None
    else:
        assert abs(result.ratio - (this - previous) / previous) < 1e-12
    assert result.flagged == (abs(2 * (this**0.5 - previous**0.5)) >= 2)


def test_going_from_one_to_three_is_not_flagged_but_from_ten_to_thirty_is():
    assert not rules.change(3, 1).flagged and rules.change(3, 1).ratio == 2.0
    assert rules.change(30, 10).flagged
    assert rules.change(2, 0).is_new


def test_rates_per_10k_need_a_population():
    assert (
        rules.per_10k(3, 6000) == 5.0
        and rules.per_10k(3, None) is None
        and rules.per_10k(3, 0) is None
    )
