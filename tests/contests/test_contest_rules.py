"""Contest scoring equals a brute-force reading of its documented definition, and is fair to
small units."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaign import rules as shared_rules
from campaign.contests import rules

codes = st.sampled_from([f"3302820{n:02d}" for n in range(12)])
maybe_value = st.one_of(st.none(), st.integers(0, 40).map(float))
unit_values = st.dictionaries(codes, maybe_value, min_size=1, max_size=8)
metric_keys = st.sampled_from(sorted(rules.CONTEST_METRICS))
methods = st.sampled_from(rules.NORMALISATIONS)


def oracle_points(values, higher_is_better, method):
    """Compare every unit with every other, one at a time."""
    known = {c: v for c, v in values.items() if v is not None}
    points = {}
    for code, value in values.items():
        if value is None:
            points[code] = 50.0
            continue
        better = [o for o in known.values() if (o < value if higher_is_better else o > value)]
        same = [o for o in known.values() if o == value]
        if method == "rank":
            others = len(known) - 1
            points[code] = (
                100.0 if others == 0 else 100 * (len(better) + (len(same) - 1) / 2) / others
            )
        else:
            worst = min(known.values()) if higher_is_better else max(known.values())
            best = max(known.values()) if higher_is_better else min(known.values())
            points[code] = 100.0 if best == worst else 100 * abs(value - worst) / abs(best - worst)
    return points


@given(unit_values, st.booleans(), methods)
def test_normalised_points_equal_the_pairwise_oracle(values, higher, method):
    got = rules.normalise(values, higher, method)
    want = oracle_points(values, higher, method)
    assert got.keys() == want.keys()
    for code in want:
        assert got[code] == pytest.approx(want[code])
        assert 0 <= got[code] <= 100


contest_inputs = st.dictionaries(
    metric_keys, st.tuples(unit_values, st.integers(1, 5)), min_size=1, max_size=4
)


def _split(inputs):
    weights = {metric: float(weight) for metric, (_, weight) in inputs.items()}
    units = sorted({c for per_unit, _ in inputs.values() for c in per_unit})
    values = {m: {c: per_unit.get(c) for c in units} for m, (per_unit, _) in inputs.items()}
    return values, weights


@given(contest_inputs, methods)
def test_scores_and_ranks_equal_the_oracle(inputs, method):
    values, weights = _split(inputs)
    standings = rules.score_units(values, weights, method)
    total = sum(weights.values())
    oracle = {}
    for code in {c for per_unit in values.values() for c in per_unit}:
        score = 0.0
        for metric, weight in weights.items():
            higher = rules.CONTEST_METRICS[metric].higher_is_better
            score += weight * oracle_points(values[metric], higher, method)[code] / total
        oracle[code] = round(score, 2)
    assert {s.code: s.score for s in standings} == pytest.approx(oracle, abs=0.011)
    for s in standings:
        # rank = 1 + number of units with a strictly higher score
        assert s.rank == 1 + sum(1 for o in standings if o.score > s.score)
    assert [s.rank for s in standings] == sorted(s.rank for s in standings)


@given(contest_inputs, methods)
def test_each_explanation_adds_up_to_the_score(inputs, method):
    values, weights = _split(inputs)
    for standing in rules.score_units(values, weights, method):
        assert sum(p.contribution for p in standing.parts) == pytest.approx(
            standing.score, abs=0.006
        )
        assert [p.metric for p in standing.parts] == list(weights)
        for part in standing.parts:
            assert part.contribution == pytest.approx(
                part.weight * part.points / sum(weights.values()), abs=0.01
            )


def test_units_with_equal_values_share_a_rank_and_are_ordered_by_code():
    values = {"cases": {"B": 2.0, "A": 2.0, "C": 5.0, "D": 0.0}}
    standings = rules.score_units(values, {"cases": 1.0})
    assert [(s.rank, s.code) for s in standings] == [(1, "D"), (2, "A"), (2, "B"), (4, "C")]


def test_a_change_from_zero_is_new_not_a_division_by_zero():
    c = shared_rules.change(3, 0)
    assert c.ratio is None and c.is_new and c.absolute == 3


def test_an_unflagged_change_scores_as_no_change():
    assert rules.change_signal(3, 1) == 0.0  # z = 1.46: small numbers alone explain it
    assert rules.change_signal(30, 10) == pytest.approx(2 * (30**0.5 - 10**0.5))


def test_going_from_one_case_to_three_is_not_ranked_below_an_unchanged_unit():
    values = {
        "change_mom": {
            "small": rules.change_signal(3, 1),
            "steady": rules.change_signal(2, 2),
            "big": rules.change_signal(30, 10),
        }
    }
    ranks = {s.code: s.rank for s in rules.score_units(values, {"change_mom": 1.0})}
    assert ranks["small"] == ranks["steady"] == 1
    assert ranks["big"] == 3


def test_a_tiny_village_with_one_case_ranks_above_a_big_one_with_five_when_its_rate_is_lower():
    cases = {"tiny": 1, "big": 5}
    population = {"tiny": 4_000, "big": 10_000}  # 2.5 versus 5 cases per 10,000 residents
    values = {
        "cases_per_10k": {c: shared_rules.per_10k(n, population[c]) for c, n in cases.items()}
    }
    standings = rules.score_units(values, {"cases_per_10k": 1.0})
    assert [s.code for s in standings] == ["tiny", "big"]


def test_a_unit_without_population_gets_neutral_points_not_the_worst():
    points = rules.normalise({"a": 1.0, "b": 3.0, "unknown": None}, higher_is_better=False)
    assert points == {"a": 100.0, "b": 0.0, "unknown": 50.0}


@given(st.dates(date(2020, 1, 1), date(2030, 12, 31)), st.integers(0, 400))
def test_previous_period_has_the_same_length_and_ends_the_day_before(start, length):
    end = date.fromordinal(start.toordinal() + length)
    first, last = rules.previous_period(start, end)
    assert (last - first) == (end - start)
    assert last.toordinal() == start.toordinal() - 1


def test_a_year_earlier_maps_the_leap_day_to_the_28th():
    assert rules.year_earlier(date(2028, 2, 29)) == date(2027, 2, 28)
    assert rules.year_earlier(date(2026, 11, 25)) == date(2025, 11, 25)


def test_zero_case_days_count_the_period_minus_the_days_with_a_case():
    assert rules.zero_case_days(date(2026, 10, 1), date(2026, 10, 31), 4) == 27


def test_status_and_scored_days_follow_the_period():
    start, end = date(2026, 10, 1), date(2026, 12, 31)
    assert rules.contest_status(start, end, date(2026, 9, 30)) == "upcoming"
    assert rules.scored_until(start, end, date(2026, 9, 30)) is None
    assert rules.contest_status(start, end, date(2026, 11, 25)) == "running"
    assert rules.scored_until(start, end, date(2026, 11, 25)) == date(2026, 11, 25)
    assert rules.contest_status(start, end, date(2027, 1, 5)) == "finished"
    assert rules.scored_until(start, end, date(2027, 1, 5)) == end


def test_rank_moves_count_places_gained():
    assert rules.rank_moves({"a": 1, "b": 2, "c": 3}, {"a": 3, "b": 2}) == {
        "a": 2,
        "b": 0,
        "c": None,
    }


@given(st.integers(1, 12), st.integers(0, 8))
def test_red_and_black_lists_never_overlap(units, n):
    standings = rules.score_units(
        {"cases": {f"u{i:02d}": float(i) for i in range(units)}}, {"cases": 1.0}
    )
    red, black = rules.red_black(standings, n)
    assert len(red) == min(n, units)
    assert not {s.code for s in red} & {s.code for s in black}
    assert black == [s for s in reversed(standings) if s not in red][:n]
