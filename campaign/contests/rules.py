"""The fixed definitions of DESIGN §3 as code: streaks, milestones, ranking and change.
Pure functions over plain data; tested against brute-force oracles."""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from campaign.i18n import _

DEFAULT_MILESTONES = {
    "station": (10, 30, 60, 100),
    "village": (30, 90, 180, 365),
    "town": (7, 15, 30, 60),
}
POISSON_FLAG = 2.0


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
    """The `milestones.<level>` setting ("10,30,60,100"), or the default of DESIGN §3."""
    if not value:
        return DEFAULT_MILESTONES[level]
    return tuple(sorted({int(part) for part in value.split(",") if part.strip()}))


# -- Ranking -----------------------------------------------------------------------------------


def competition_ranks(
    items: Sequence[tuple[str, float]], descending: bool = True
) -> list[tuple[int, str, float]]:
    """Standard competition ranking (1, 2, 2, 4): ties share a rank; within a tie, by code.
    Returns (rank, code, value) in display order."""
    ordered = sorted(items, key=lambda item: ((-item[1] if descending else item[1]), item[0]))
    ranked: list[tuple[int, str, float]] = []
    for position, (code, value) in enumerate(ordered, start=1):
        rank = ranked[-1][0] if ranked and ranked[-1][2] == value else position
        ranked.append((rank, code, value))
    return ranked


# -- Change ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """环比/同比 between equal-length periods. `ratio` is None when previous is 0 ("新增")."""

    this: int
    previous: int
    ratio: float | None
    absolute: int
    z: float
    flagged: bool

    @property
    def is_new(self) -> bool:
        return self.previous == 0 and self.this > 0


def poisson_z(this: int, previous: int) -> float:
    """Variance-stabilised difference of two counts, 2(√this − √previous): about N(0, 1) when
    nothing changed, so |z| ≥ 2 marks a change that small numbers alone would not explain."""
    return 2 * (math.sqrt(this) - math.sqrt(previous))


def change(this: int, previous: int) -> Change:
    """(this − previous) / previous, never dividing by zero, with the absolute change and the
    Poisson signal so going from 1 to 3 is not shown as an alarm."""
    z = poisson_z(this, previous)
    ratio = (this - previous) / previous if previous else None
    return Change(this, previous, ratio, this - previous, z, abs(z) >= POISSON_FLAG)


def per_10k(count: int, population: int | None) -> float | None:
    """Cases per 10,000 residents; None where the population is unknown or zero."""
    return count * 10_000 / population if population else None


# -- Contests ----------------------------------------------------------------------------------
#
# A contest scores each unit by weighted metrics. Every metric is first put on a common 0–100
# scale across the units of the contest ("points", 100 = best in the contest), then
#     score = Σ weight × points / Σ weight,
# so a score is itself 0–100 and each metric's contribution (weight × points / Σ weight) adds up
# to it exactly. Fairness (DESIGN §3): case rates use residents (per 10,000), and a change
# (环比/同比) counts only when the Poisson signal flags it — an unflagged change scores as "no
# change", so a village going from 1 case to 3 is not ranked below one that stayed at 2.

MINMAX, RANKED = "minmax", "rank"
NORMALISATIONS = (MINMAX, RANKED)
NO_DATA_POINTS = 50.0


@dataclass(frozen=True)
class Metric:
    """A metric a contest may weigh; `higher_is_better` is its fixed direction."""

    key: str
    higher_is_better: bool


CONTEST_METRICS: dict[str, Metric] = {
    m.key: m
    for m in (
        Metric("cases", False),
        Metric("cases_per_10k", False),
        Metric("change_mom", False),
        Metric("change_yoy", False),
        Metric("loss", False),
        Metric("zero_days", True),
        Metric("outreach", True),
        Metric("dissuasion", True),
    )
}


def normalise(
    values: dict[str, float | None], higher_is_better: bool, method: str = MINMAX
) -> dict[str, float]:
    """Points 0–100 for each unit, 100 being the best value in the contest.

    minmax: linear between the worst (0) and the best (100) value; when all are equal, all get 100.
    rank: the share of the other units this one beats, ties counting half (a mid-rank percentile),
    so one extreme unit cannot squeeze everybody else together.
    A unit without a value (e.g. unknown population) gets the neutral 50: neither reward nor
    punishment for missing data."""
    known = {code: (v if higher_is_better else -v) for code, v in values.items() if v is not None}
    points = {code: NO_DATA_POINTS for code, v in values.items() if v is None}
    if method == RANKED:
        ordered = sorted(known.values())
        n = len(ordered)
        for code, v in known.items():
            below = _count_below(ordered, v)
            ties = _count_below(ordered, v, inclusive=True) - below - 1
            points[code] = 100.0 if n == 1 else 100.0 * (below + ties / 2) / (n - 1)
        return points
    low, high = (min(known.values()), max(known.values())) if known else (0.0, 0.0)
    for code, v in known.items():
        points[code] = 100.0 if high == low else 100.0 * (v - low) / (high - low)
    return points


def _count_below(ordered: list[float], value: float, inclusive: bool = False) -> int:
    return (bisect.bisect_right if inclusive else bisect.bisect_left)(ordered, value)


@dataclass(frozen=True)
class Part:
    """One metric's share of a unit's score: the raw value, its points, weight and contribution."""

    metric: str
    value: float | None
    points: float
    weight: float
    contribution: float


@dataclass(frozen=True)
class Standing:
    rank: int
    code: str
    score: float
    parts: tuple[Part, ...]


def score_units(
    values: dict[str, dict[str, float | None]],
    weights: dict[str, float],
    method: str = MINMAX,
) -> list[Standing]:
    """Standings of a contest: `values[metric][code]` are the raw metric values, `weights` the
    positive weights of the metrics used. Scores are rounded to 2 decimals, then ranked by
    standard competition ranking (ties share a rank, within a tie by code)."""
    total = sum(weights.values())
    codes = sorted({code for per_unit in values.values() for code in per_unit})
    points = {
        metric: normalise(
            {code: values[metric].get(code) for code in codes},
            CONTEST_METRICS[metric].higher_is_better,
            method,
        )
        for metric in weights
    }
    parts = {
        code: tuple(
            Part(
                metric,
                values[metric].get(code),
                round(points[metric][code], 2),
                weight,
                weight * points[metric][code] / total,
            )
            for metric, weight in weights.items()
        )
        for code in codes
    }
    scores = {code: round(sum(p.contribution for p in parts[code]), 2) for code in codes}
    return [
        Standing(rank, code, score, parts[code])
        for rank, code, score in competition_ranks(list(scores.items()))
    ]


def change_signal(this: int, previous: int) -> float:
    """The value a 环比/同比 metric is scored on: the Poisson z when flagged, else 0 (no change)."""
    c = change(this, previous)
    return c.z if c.flagged else 0.0


def zero_case_days(start: date, end: date, case_days: int) -> int:
    """Days in [start, end] without a case, given the number of distinct days that had one."""
    return max(0, (end - start).days + 1 - case_days)


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The equal-length period just before [start, end] (for 环比)."""
    length = end - start + timedelta(days=1)
    return start - length, start - timedelta(days=1)


def year_earlier(day: date) -> date:
    """The same day one year earlier; 29 February maps to the 28th."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def scored_until(start: date, end: date, as_of: date) -> date | None:
    """The last day a contest's standings cover as of `as_of`: the period so far (None before it
    starts), and the whole period once it is over."""
    if as_of < start:
        return None
    return min(as_of, end)


def contest_status(start: date, end: date, today: date) -> str:
    """'upcoming', 'running' or 'finished'."""
    if today < start:
        return "upcoming"
    return "running" if today <= end else "finished"


def rank_moves(now: dict[str, int], before: dict[str, int]) -> dict[str, int | None]:
    """Places gained (positive) or lost since an earlier standing; None for units not ranked then."""
    return {code: (before[code] - rank if code in before else None) for code, rank in now.items()}


def red_black(standings: Sequence[Standing], n: int) -> tuple[list[Standing], list[Standing]]:
    """The 红榜 (best n) and 黑榜 (worst n, worst first); with fewer than 2n units they do not
    overlap: the black list takes only units not already on the red list."""
    red = list(standings[:n])
    rest = list(standings[len(red) :])
    return red, list(reversed(rest[-n:])) if n else []


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
    parts, zero = [], False
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
