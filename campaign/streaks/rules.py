"""Zero-case streaks and milestones as defined in docs/definitions.md, as pure functions over plain
data; tested against brute-force oracles."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from campaign.i18n import _

DEFAULT_MILESTONES = {
    "station": (10, 30, 60, 100),
    "village": (30, 90, 180, 365),
    "town": (7, 15, 30, 60),
}


# -- Streaks ------------------------------------------------------------------------------------


def current_streak(as_of: date, tracked_since: date, last_case_on: date | None) -> int:
    """Zero-case days of a unit as of `as_of`, given its last case on or before that day:
    as_of − last case day when that case lies on or after tracking start (a case on as_of gives
    0), otherwise as_of − tracked_since + 1. Before tracking starts there is nothing to count."""
    if as_of < tracked_since:
        return 0
    if last_case_on is not None and tracked_since <= last_case_on <= as_of:
        return (as_of - last_case_on).days
    return (as_of - tracked_since).days + 1


@dataclass(frozen=True)
class Run:
    """A run of consecutive case-free days; empty (0 days, no dates) when every day had a case."""

    days: int
    first: date | None
    last: date | None


EMPTY_RUN = Run(0, None, None)


def longest_run(case_days: Iterable[date], tracked_since: date, as_of: date) -> Run:
    """The longest run of consecutive case-free days in [tracked_since, as_of], the current run
    included. Between equally long runs the most recent wins, so a unit equalling its record is
    shown as on its personal best."""
    if as_of < tracked_since:
        return EMPTY_RUN
    best = EMPTY_RUN
    start = tracked_since
    for day in sorted({d for d in case_days if tracked_since <= d <= as_of}):
        best = _longer(best, start, day - timedelta(days=1))
        start = day + timedelta(days=1)
    return _longer(best, start, as_of)


def _longer(best: Run, first: date, last: date) -> Run:
    days = (last - first).days + 1
    return Run(days, first, last) if days > 0 and days >= best.days else best


# -- Milestones --------------------------------------------------------------------------------


def milestone(days: int, milestones: Sequence[int]) -> int | None:
    """The highest milestone reached by a streak of `days` days (None below the first)."""
    reached = [m for m in milestones if days >= m]
    return max(reached) if reached else None


def milestones_crossed(before: int, after: int, milestones: Sequence[int]) -> list[int]:
    """Milestones passed when a streak grows from `before` to `after` days (for the feed)."""
    return sorted(m for m in milestones if before < m <= after)


def parse_milestones(value: str | None, level: str) -> tuple[int, ...]:
    """The `milestones.<level>` setting ("10,30,60,100"), or the default of docs/definitions.md."""
    if not value:
        return DEFAULT_MILESTONES[level]
    return tuple(sorted({int(part) for part in value.split(",") if part.strip()}))


# -- Streak boards -----------------------------------------------------------------------------
#
# A board never walks the cases per request: each unit keeps its last case day, and the longest
# *closed* run (the best run before its last case) is kept by a job. The current run is added at
# read time, so longest_run(days, since, as_of) == longer_of(closed_best(...), current_run(...)).


def current_run(as_of: date, tracked_since: date, last_case_on: date | None) -> Run:
    """The run still going on as of `as_of` (empty when a case fell on that day)."""
    days = current_streak(as_of, tracked_since, last_case_on)
    return Run(days, as_of - timedelta(days=days - 1), as_of) if days else EMPTY_RUN


def closed_best(case_days: Iterable[date], tracked_since: date, last_case_on: date | None) -> Run:
    """The longest run that a case has ended: the best run in [tracked_since, last case − 1]."""
    if last_case_on is None or last_case_on < tracked_since:
        return EMPTY_RUN
    return longest_run(case_days, tracked_since, last_case_on - timedelta(days=1))


def closed_best_of(
    tracked_since: date, first_day: date | None, gap: int, gap_end: date | None
) -> Run:
    """closed_best from what the case-day index keeps: the unit's first case day on or after
    tracking start (the run before it) and its longest gap between two later case days, with the
    case day that ended that gap (the most recent of equally long gaps). The later run wins
    ties, as in longest_run."""
    first = EMPTY_RUN
    if first_day is not None and first_day > tracked_since:
        first = Run((first_day - tracked_since).days, tracked_since, first_day - timedelta(days=1))
    if gap > 0 and gap_end is not None and gap >= first.days:
        return Run(gap, gap_end - timedelta(days=gap), gap_end - timedelta(days=1))
    return first


def longer_of(closed: Run, current: Run) -> Run:
    """The personal best: the current run wins ties, as the more recent (see longest_run)."""
    return current if current.days and current.days >= closed.days else closed


def broken_runs(
    case_days: Iterable[date], tracked_since: date, after: date | None
) -> list[tuple[date, int]]:
    """(case day, length of the run it ended) for every case day later than `after` (the last
    case day already known; None: none since tracking started), for the "streak broken" feed."""
    result, previous = [], tracked_since - timedelta(days=1)
    for day in sorted({d for d in case_days if d >= tracked_since}):
        if after is None or day > after:
            result.append((day, (day - previous).days - 1))
        previous = day
    return result


def feed_entry_still_true(kind: str, day: date, days: int, case_days: Iterable[date]) -> bool:
    """Whether a feed entry still holds after cases were added, moved or deleted: a "milestone"
    on `day` claims the `days` days up to and including `day` were case-free; a "broken" entry
    claims a case on `day`. A case recorded late, or deleted, can make either untrue."""
    if kind == "broken":
        return day in set(case_days)
    first = day - timedelta(days=days - 1)
    return not any(first <= d <= day for d in case_days)


def next_milestone(days: int, milestones: Sequence[int]) -> int | None:
    """The first milestone a streak of `days` has not reached yet (None past the last one)."""
    ahead = [m for m in milestones if m > days]
    return min(ahead) if ahead else None


DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """0–9999 in Chinese numerals as spoken (十, 十五, 三十, 一百零五, 两千 is written 二千)."""
    if n < 10:
        return DIGITS[n]
    if n < 20:
        return "十" + (DIGITS[n - 10] if n > 10 else "")
    parts: list[str] = []
    zero = False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit, n = divmod(n, value)
        if digit:
            if zero and parts:
                parts.append("零")
            parts.append(DIGITS[digit] + unit)
            zero = False
        else:
            zero = True
    return "".join(parts)


#: The noun in a milestone title: 连续十天零发案派出所, 连续一个月零发案村.
LEVEL_NOUNS = {"station": "派出所", "village": "村", "town": "镇街"}


def milestone_title(level: str, days: int) -> str:
    """The honour a milestone stands for, as the campaign words it (连续十天零发案派出所)."""
    return _("连续%(span)s零发案%(unit)s", span=days_phrase(days), unit=_(LEVEL_NOUNS[level]))


def _counted(n: int) -> str:
    """A number before a measure word: 两 for 2 (两周, 两个月, 两年)."""
    return "两" if n == 2 else chinese_number(n)


def days_phrase(days: int) -> str:
    """A milestone's span as people say it: 一周, 十天, 一个月, 半年, 一年."""
    if days % 365 == 0:
        return _counted(days // 365) + "年"
    if days in (180, 182, 183):
        return "半年"
    if days % 30 == 0:
        return _counted(days // 30) + "个月"
    if days % 7 == 0 and days <= 28:
        return _counted(days // 7) + "周"
    return chinese_number(days) + "天"


@dataclass(frozen=True)
class CalendarDay:
    day: date
    cases: int
    shade: int  # 0 none, 1 one case, 2 two, 3 three or more


def calendar_months(
    start: date, end: date, counts: dict[date, int]
) -> list[tuple[date, list[list[CalendarDay | None]]]]:
    """The days [start, end] as month grids for a heat map: (first of month, weeks of seven
    Monday-first cells), None for cells outside the month or the range."""
    months = []
    first = start.replace(day=1)
    while first <= end:
        following = (first + timedelta(days=32)).replace(day=1)
        weeks: list[list[CalendarDay | None]] = []
        day = first - timedelta(days=first.weekday())
        while day < following:
            week = []
            for _weekday in range(7):
                inside = first <= day < following and start <= day <= end
                n = counts.get(day, 0)
                week.append(CalendarDay(day, n, min(n, 3)) if inside else None)
                day += timedelta(days=1)
            weeks.append(week)
        months.append((first, weeks))
        first = following
    return months
