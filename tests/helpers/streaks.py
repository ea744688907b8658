"""Streak test data: the places of the Ningbo slice, cases on them, and oracles."""

from __future__ import annotations

import datetime as dt
from datetime import date, timedelta

from hypothesis import strategies as st

from campaign.cases import queries as cases
from campaign.db import write_transaction
from campaign.timeutil import today
from tests.helpers.ningbo import load_slice

D = dt.date
START = D(2026, 5, 1)
#: (village or None, town, station) of the slice in tests/helpers/ningbo.py
PLACES = (
    ("330282005002", "330282005", "PS330282005"),
    ("330282005206", "330282005", "PS330282005"),
    ("330282108201", "330282108", "PS330282108"),
    ("330206002001", "330206002", "PS330206002"),
    (None, "330282108", "PS330282108"),
    (None, "330206002", "PS330206002"),
)
UNITS = {
    "village": ["330206002001", "330282005002", "330282005206", "330282108201"],
    "town": ["330206002", "330282005", "330282108"],
    "station": ["PS330206002", "PS330282005", "PS330282108"],
}


def case_values(no: str, place: int, day: dt.date) -> dict:
    village, town, station = PLACES[place]
    return dict(
        case_no=no,
        occurred_on=day,
        village_code=village,
        town_code=town,
        district_code=town[:6],
        station_code=station,
        fraud_type="兼职刷单",
        loss_fen=100,
    )


async def add_cases(cases_list: list[tuple[int, dt.date]], prefix: str = "C") -> None:
    async with write_transaction():
        for i, (place, day) in enumerate(cases_list):
            await cases.insert_case(case_values(f"{prefix}{i}", place, day))


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


TODAY = today()


def ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


async def setup_cases() -> None:
    """白沙路 quiet for 40 days, 附海 hit 3 days ago, 新碶 hit 12 days ago."""
    await load_slice()
    await add_cases([(0, ago(60)), (0, ago(40)), (4, ago(3)), (3, ago(12))])
