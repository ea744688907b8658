"""The pieces a board assembles a personal best from equal the definitions of docs/definitions.md."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from campaign.streaks import rules
from tests.helpers.streaks import START, days_after_start, oracle_runs


@given(st.sets(days_after_start, max_size=15), days_after_start)
def test_closed_best_plus_current_run_equals_the_longest_run(case_days, as_of):
    seen = [d for d in case_days if START <= d <= as_of]
    last = max(seen) if seen else None
    assembled = rules.longer_of(
        rules.closed_best(case_days, START, last), rules.current_run(as_of, START, last)
    )
    assert assembled == rules.longest_run(case_days, START, as_of)


@given(st.sets(days_after_start, max_size=15), days_after_start)
def test_current_run_ends_on_as_of_and_counts_the_current_streak(case_days, as_of):
    seen = [d for d in case_days if d <= as_of]
    last = max(seen) if seen else None
    run = rules.current_run(as_of, START, last)
    assert run.days == rules.current_streak(as_of, START, last)
    if run.days:
        assert run.last == as_of and (run.last - run.first).days + 1 == run.days


@given(st.sets(days_after_start, max_size=15), st.none() | days_after_start)
def test_broken_runs_are_the_walked_runs_that_a_later_case_ended(case_days, after):
    end = max(case_days, default=START)
    runs = {
        r[1] + timedelta(days=1): (r[1] - r[0]).days + 1 for r in oracle_runs(case_days, START, end)
    }
    expected = [
        (day, runs.get(day, 0))
        for day in sorted(d for d in case_days if d >= START and (after is None or d > after))
    ]
    assert rules.broken_runs(case_days, START, after) == expected


@given(st.integers(0, 400), st.lists(st.integers(1, 400), min_size=1, max_size=5, unique=True))
def test_next_milestone_is_the_first_one_not_reached(days, marks):
    ahead = [m for m in marks if m > days]
    assert rules.next_milestone(days, marks) == (min(ahead) if ahead else None)


def test_milestone_spans_read_as_people_say_them():
    spans = {d: rules.days_phrase(d) for d in (7, 10, 14, 15, 30, 60, 90, 100, 180, 365, 105, 730)}
    assert spans == {
        7: "一周",
        10: "十天",
        14: "两周",
        15: "十五天",
        30: "一个月",
        60: "两个月",
        90: "三个月",
        100: "一百天",
        180: "半年",
        365: "一年",
        105: "一百零五天",
        730: "两年",
    }


@given(days_after_start, st.integers(0, 400))
def test_calendar_shows_every_day_of_the_range_once_in_its_month(start, length):
    end = start + timedelta(days=length)
    counts = {start: 2, end: 5}
    months = rules.calendar_months(start, end, counts)
    cells = [c for first, weeks in months for week in weeks for c in week if c]
    assert [c.day for c in cells] == [start + timedelta(days=i) for i in range(length + 1)]
    assert all(c.day.month == first.month for first, weeks in months for w in weeks for c in w if c)
    assert all(len(week) == 7 for _, weeks in months for week in weeks)
    assert cells[-1].shade == 3 and (cells[0].shade == 2 or start == end)


def test_calendar_weeks_start_on_monday():
    _first, weeks = rules.calendar_months(date(2026, 6, 1), date(2026, 6, 30), {})[0]
    assert weeks[0][0].day == date(2026, 6, 1)  # 1 June 2026 is a Monday
