"""Contest scoring as defined in docs/definitions.md: metrics, normalisation, weighted scores,
standings and the 红黑榜. Pure functions over plain data; tested against brute-force oracles."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from campaign.rows import Row
from campaign.rules import change, competition_ranks

# -- Contests ----------------------------------------------------------------------------------
#
# A contest scores each unit by weighted metrics. Every metric is first put on a common 0–100
# scale across the units of the contest ("points", 100 = best in the contest), then
#     score = Σ weight × points / Σ weight,
# so a score is itself 0–100 and each metric's contribution (weight × points / Σ weight) adds up
# to it exactly. Fairness (docs/definitions.md): case rates use residents (per 10,000), and a change
# (环比/同比) counts only when the Poisson signal flags it — an unflagged change scores as "no
# change", so a village going from 1 case to 3 is not ranked below one that stayed at 2.

MINMAX, RANKED = "minmax", "rank"
NORMALISATIONS = (MINMAX, RANKED)
NO_DATA_POINTS = 50.0


@dataclass(frozen=True, slots=True)
class ContestRow(Row):
    """A stored contest as pages, the form, the jobs and other domains see it. `metrics` is the
    scoring rule, [{"metric": key, "weight": number}]; lists add its status and district name."""

    id: int
    name: str
    level: str
    district_code: str | None
    start_on: date
    end_on: date
    metrics: list[dict[str, Any]]
    normalisation: str
    top_n: int
    is_demo: bool
    created_by: str
    created_at: datetime
    updated_at: datetime
    status: str = ""
    district_name: str | None = None


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


S = TypeVar("S")  # a standing row of any shape


def red_black(standings: Sequence[S], n: int) -> tuple[list[S], list[S]]:
    """The 红榜 (best n) and 黑榜 (worst n, worst first); with fewer than 2n units they do not
    overlap: the black list takes only units not already on the red list."""
    red = list(standings[:n])
    rest = list(standings[len(red) :])
    return red, list(reversed(rest[-n:])) if n else []
