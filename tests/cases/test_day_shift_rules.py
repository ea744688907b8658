"""rules.shift_day, applied case by case, keeps a unit's case-day rows and summary equal to
what its cases give (Hypothesis against a brute-force grouping)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from campaign.cases import rules

START = dt.date(2026, 1, 1)


def brute(cases: list[dt.date]) -> tuple[dict[dt.date, rules.DayRow], rules.UnitDays | None]:
    counts: dict[dt.date, int] = {}
    for day in cases:
        counts[day] = counts.get(day, 0) + 1
    days = sorted(counts)
    rows, previous = {}, None
    for day in days:
        gap = (day - previous).days - 1 if previous else None
        rows[day] = rules.DayRow(day, counts[day], previous, gap)
        previous = day
    if not days:
        return rows, None
    gaps = [(r.gap, r.day) for r in rows.values() if r.gap]
    gap, end = max(gaps, default=(0, None))
    return rows, rules.UnitDays(days[0], days[-1], len(days), gap, end)


def apply(rows: dict, unit, day: dt.date, delta: int):
    """One shift as day_index writes it, with the longest gap read back when it was lost."""
    after = min((r for r in rows.values() if r.day > day), key=lambda r: r.day, default=None)
    shift = rules.shift_day(unit, rows.get(day), after, day, delta)
    rows = dict(rows)
    if shift.here is None:
        rows.pop(day, None)
    else:
        rows[day] = shift.here
    if shift.after is not None:
        rows[shift.after.day] = shift.after
    unit = shift.unit
    if shift.best_lost:
        assert unit is not None
        gap, end = max(((r.gap, r.day) for r in rows.values() if r.gap), default=(0, None))
        unit = rules.UnitDays(unit.first_day, unit.last_day, unit.days, gap, end)
    return rows, unit


@given(st.lists(st.tuples(st.booleans(), st.integers(0, 15)), max_size=40))
def test_shifting_case_by_case_equals_grouping_the_cases(operations):
    cases: list[dt.date] = []
    rows: dict = {}
    unit = None
    for add, n in operations:
        if add or not cases:
            day = START + dt.timedelta(days=n)
            cases.append(day)
            rows, unit = apply(rows, unit, day, 1)
        else:
            day = cases.pop(n % len(cases))
            rows, unit = apply(rows, unit, day, -1)
        assert (rows, unit) == brute(cases)


@given(
    st.lists(st.integers(0, 60), max_size=40),
    st.lists(st.integers(0, 60), max_size=10),
)
def test_a_unit_written_whole_from_its_counts_equals_grouping_the_cases(added, removed):
    """What a bulk write stores: counts with removals netted, days left at 0 dropped."""
    cases = [START + dt.timedelta(days=n) for n in added]
    counts: dict[dt.date, int] = {}
    for day in cases:
        counts[day] = counts.get(day, 0) + 1
    for n in removed:  # a removal takes back one of the day's cases, if it has one
        day = START + dt.timedelta(days=n)
        if day in cases:
            cases.remove(day)
            counts[day] -= 1
    rows, unit = rules.unit_rows(counts)
    expected_rows, expected_unit = brute(cases)
    assert [rules.DayRow(*row) for row in rows] == list(expected_rows.values())
    assert unit == expected_unit
