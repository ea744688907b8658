"""Streaks and milestones equal brute-force readings of docs/definitions.md."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from campaign.streaks import rules
from tests.helpers.streaks import START, days_after_start, oracle_current, oracle_runs


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


def oracle_walk(days: int, milestones: list[int]) -> list[int]:
    """Let a streak grow one day at a time from 0 and note each milestone on the day it is hit."""
    hit = []
    for day in range(days + 1):
        for m in milestones:
            if m == day:
                hit.append(m)
    return hit


@given(st.integers(0, 400), st.lists(st.integers(1, 400), min_size=1, max_size=5, unique=True))
def test_milestone_is_the_last_one_a_growing_streak_hit(days, milestones):
    hit = oracle_walk(days, milestones)
    assert rules.milestone(days, milestones) == (hit[-1] if hit else None)


def test_milestones_of_a_station_by_hand():
    assert [rules.milestone(d, (10, 30, 60, 100)) for d in (0, 9, 10, 29, 30, 100, 365)] == [
        None,
        None,
        10,
        10,
        30,
        100,
        100,
    ]


@given(st.integers(0, 400), st.integers(0, 400))
def test_milestones_crossed_are_those_hit_on_the_days_the_streak_grew(before, after):
    grown = oracle_walk(after, [10, 30, 60, 100])[len(oracle_walk(before, [10, 30, 60, 100])) :]
    assert rules.milestones_crossed(before, after, (10, 30, 60, 100)) == (
        grown if after > before else []
    )


def test_milestone_setting_falls_back_to_the_defaults():
    assert rules.parse_milestones(None, "station") == (10, 30, 60, 100)
    assert rules.parse_milestones("60,10", "village") == (10, 60)


@given(st.sets(days_after_start, max_size=12), days_after_start, st.integers(1, 60), st.booleans())
def test_a_feed_entry_stays_only_while_the_case_days_still_bear_it_out(
    case_days, day, days, milestone
):
    """Brute force: walk back from the entry's day; a milestone of `days` needs that many
    case-free days ending on its day, a broken streak needs a case on its day."""
    kind = "milestone" if milestone else "broken"
    if milestone:
        walked = [day - timedelta(days=n) for n in range(days)]
        expected = not any(d in case_days for d in walked)
    else:
        expected = day in case_days
    assert rules.feed_entry_still_true(kind, day, days, sorted(case_days)) == expected


def test_a_case_recorded_late_inside_an_announced_month_takes_the_milestone_back():
    day = START + timedelta(days=40)
    assert rules.feed_entry_still_true("milestone", day, 30, [START, day - timedelta(days=30)])
    assert not rules.feed_entry_still_true("milestone", day, 30, [day - timedelta(days=29)])
    assert not rules.feed_entry_still_true("milestone", day, 30, [day])
