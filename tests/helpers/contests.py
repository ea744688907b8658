"""Shared set-up for contest tests: the Ningbo slice with populations, a few cases, a contest."""

from __future__ import annotations

import asyncio
import datetime as dt

from campaign import jobs
from campaign.cases import queries as cases
from campaign.contests import queries as contest_queries
from campaign.db import write_transaction
from campaign.regions.tables import Region
from tests.helpers.ningbo import load_slice

START = dt.date(2026, 10, 1)
END = dt.date(2026, 12, 31)
POPULATION = {"330282005": 80_000, "330282108": 8_000, "330206002": 60_000}


async def add_case(no: str, day: dt.date, town: str, village: str | None = None, loss_yuan=0):
    district = town[:6]
    async with write_transaction():
        await cases.insert_case(
            {
                "case_no": no,
                "occurred_on": day,
                "village_code": village,
                "town_code": town,
                "district_code": district,
                "station_code": f"PS{town}",
                "fraud_type": "投资理财",
                "loss_fen": loss_yuan * 100,
            }
        )


async def slice_with_cases() -> None:
    """白沙路街道 (80,000 residents) has 4 cases, 附海镇 (8,000) 1, 新碶街道 (60,000) none."""
    await load_slice()
    for code, population in POPULATION.items():
        await Region.update({Region.population: population}).where(Region.code == code)
    for n, day in enumerate((3, 9, 17, 30)):
        await add_case(f"B{n}", dt.date(2026, 10, day), "330282005", loss_yuan=1000 * (n + 1))
    await add_case("F1", dt.date(2026, 10, 12), "330282108", "330282108201", loss_yuan=500)


async def make_contest(**changes) -> int:
    values = {
        "name": "全市镇街控案竞赛",
        "level": "town",
        "district_code": None,
        "start_on": START,
        "end_on": END,
        "normalisation": "minmax",
        "top_n": 1,
        "metrics": [
            {"metric": "cases_per_10k", "weight": 60},
            {"metric": "zero_days", "weight": 40},
        ],
        **changes,
    }
    return await contest_queries.create_contest(values, None)


async def finish_jobs() -> None:
    """Wait for the jobs the requests started in-process (no Redis in tests)."""
    while jobs._running:
        await asyncio.gather(*list(jobs._running))
