"""Each unit's last case day follows every case write in the same transaction (docs/architecture.md)."""

from __future__ import annotations

import datetime as dt

from campaign.cases import queries
from campaign.cases.tables import FraudType
from campaign.db import write_transaction
from campaign.regions.tables import Region, Station
from tests.helpers.ningbo import load_slice

D = dt.date


def case(
    no: str,
    day: dt.date,
    village: str | None = "330282005002",
    town: str = "330282005",
    station: str | None = "PS330282005",
) -> dict:
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


async def last(code: str) -> dt.date | None:
    row = await Region.select(Region.last_case_on).where(Region.code == code).first()
    return row["last_case_on"]


async def station_last(code: str) -> dt.date | None:
    return (await Station.select(Station.last_case_on).where(Station.code == code).first())[
        "last_case_on"
    ]


async def test_migrate_seeds_the_default_fraud_types(db):
    from campaign.bootstrap import migrate

    await migrate()
    names = [
        r["name"] for r in await FraudType.select(FraudType.name).order_by(FraudType.sort_order)
    ]
    assert names[:5] == ["投资理财", "兼职刷单", "冒充客服", "贷款", "冒充亲友"] and "其他" in names


async def test_new_case_moves_village_town_and_station_forward_but_never_back(db):
    await load_slice()
    async with write_transaction():
        await queries.insert_case(case("A1", D(2026, 7, 9)))
        await queries.insert_case(case("A2", D(2026, 7, 3)))
    assert (
        await last("330282005002")
        == await last("330282005")
        == await station_last("PS330282005")
        == D(2026, 7, 9)
    )
    assert await last("330282005206") is None  # the neighbouring village is untouched


async def test_town_coded_case_counts_for_the_town_only(db):
    await load_slice()
    async with write_transaction():
        await queries.insert_case(case("T1", D(2026, 7, 5), village=None))
    assert await last("330282005") == D(2026, 7, 5)
    assert await last("330282005002") is None


async def test_moving_a_case_to_another_village_refreshes_both(db):
    await load_slice()
    async with write_transaction():
        first = await queries.insert_case(case("M1", D(2026, 7, 9)))
        await queries.insert_case(case("M2", D(2026, 7, 1)))
        await queries.update_case(first, {"village_code": "330282005206"})
    assert await last("330282005002") == D(2026, 7, 1)
    assert await last("330282005206") == D(2026, 7, 9)
    assert await last("330282005") == D(2026, 7, 9)


async def test_deleting_the_only_case_clears_the_last_case_day(db):
    await load_slice()
    async with write_transaction():
        only = await queries.insert_case(case("X1", D(2026, 7, 9)))
        await queries.delete_case(only)
    assert await last("330282005002") is None and await station_last("PS330282005") is None
