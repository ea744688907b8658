"""The fixed definitions of DESIGN §3 as code: streaks, milestones, ranking and change.
Pure functions over plain data; tested against brute-force oracles."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

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
