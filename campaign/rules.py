"""Definitions shared by several domains (see docs/definitions.md): competition ranking and the
change between two periods (环比/同比) with its Poisson signal. Pure functions over plain data."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

POISSON_FLAG = 2.0
N = TypeVar("N", int, float)  # ranked values keep their type: days stay int


# -- Ranking -----------------------------------------------------------------------------------


def competition_ranks(
    items: Sequence[tuple[str, N]], descending: bool = True
) -> list[tuple[int, str, N]]:
    """Standard competition ranking (1, 2, 2, 4): ties share a rank; within a tie, by code.
    Returns (rank, code, value) in display order."""
    ordered = sorted(items, key=lambda item: ((-item[1] if descending else item[1]), item[0]))
    ranked: list[tuple[int, str, N]] = []
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
