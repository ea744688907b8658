"""Streaks and milestones equal brute-force readings of docs/definitions.md."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from campaign.streaks import rules

START = date(2026, 5, 1)
days_after_start = st.integers(-5, 120).map(lambda n: START + timedelta(days=n))


def oracle_runs(case_days: set[date], tracked_since: date, as_of: date) -> list[tuple[date, date]]:
    """Walk every day and cut runs at case days."""
    runs, first, day = [], None, tracked_since
    while day <= as_of:
        if day in case_days:
            if first:
                runs.append((first, day - timedelta(days=1)))
            first = None
        elif first is None:
            first = day
        day += timedelta(days=1)
    if first:
        runs.append((first, as_of))
    return runs


def oracle_current(case_days: set[date], tracked_since: date, as_of: date) -> int:
    """Count back from as_of until a case day or the day before tracking start."""
    if as_of < tracked_since:
        return 0
    count, day = 0, as_of
    while day >= tracked_since and day not in case_days:
        count += 1
        day -= timedelta(days=1)
    return count


@given(st.sets(days_after_start, max_size=15), days_after_start)
def test_current_streak_equals_counting_back_day_by_day(case_days, as_of):
    seen = [d for d in case_days if d <= as_of]
    last = max(seen) if seen else None
    assert rules.current_streak(as_of, START, last) == oracle_current(case_days, START, as_of)


@given(st.sets(days_after_start, max_size=15), days_after_start)
def test_longest_run_equals_the_longest_walked_run_most_recent_on_ties(case_days, as_of):
    runs = oracle_runs(case_days, START, as_of)
    result = rules.longest_run(case_days, START, as_of)
    if not runs:
        assert result == rules.EMPTY_RUN
        return
    best = max((last - first).days + 1 for first, last in runs)
    most_recent = [r for r in runs if (r[1] - r[0]).days + 1 == best][-1]
    assert (result.days, result.first, result.last) == (best, *most_recent)


@given(st.sets(days_after_start, max_size=15), days_after_start)
def test_longest_run_is_never_shorter_than_the_current_one(case_days, as_of):
    seen = [d for d in case_days if d <= as_of]
    current = rules.current_streak(as_of, START, max(seen) if seen else None)
    assert rules.longest_run(case_days, START, as_of).days >= current


def test_case_on_as_of_day_resets_streak_to_zero():
    assert rules.current_streak(date(2026, 7, 9), START, date(2026, 7, 9)) == 0


def test_unit_without_cases_counts_from_tracking_start_inclusive():
    assert rules.current_streak(START + timedelta(days=9), START, None) == 10


def test_case_before_tracking_start_is_ignored():
    assert rules.current_streak(START + timedelta(days=9), START, START - timedelta(days=3)) == 10


@given(st.integers(0, 400), st.lists(st.integers(1, 400), min_size=1, max_size=5, unique=True))
def test_milestone_is_the_highest_one_reached(days, milestones):
    reached = [m for m in milestones if m <= days]
    assert rules.milestone(days, milestones) == (max(reached) if reached else None)


@given(st.integers(0, 400), st.integers(0, 400))
def test_milestones_crossed_are_those_between_before_and_after(before, after):
    crossed = rules.milestones_crossed(before, after, (10, 30, 60, 100))
    assert crossed == [m for m in (10, 30, 60, 100) if before < m <= after]


def test_milestone_setting_falls_back_to_the_defaults():
    assert rules.parse_milestones(None, "station") == (10, 30, 60, 100)
    assert rules.parse_milestones("60,10", "village") == (10, 60)
