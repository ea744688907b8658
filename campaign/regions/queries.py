"""Reading and writing regions and stations."""

from __future__ import annotations

from campaign.accounts.rules import Place, Scope, covers
from campaign.regions.tables import Region, Station, StationTown

LEVELS = ("district", "town", "village")


def place_from_row(row: dict) -> Place:
    return Place(
        level=row["level"],
        code=row["code"],
        district_code=row["district_code"],
        town_code=row["town_code"],
        station_code=row["station_code"],
    )


async def region(code: str) -> dict | None:
    return await Region.select().where(Region.code == code).first()


async def place_of(code: str) -> Place | None:
    row = await region(code)
    return place_from_row(row) if row else None


async def station(code: str) -> dict | None:
    return await Station.select().where(Station.code == code).first()


async def station_towns(code: str) -> list[str]:
    rows = await StationTown.select(StationTown.town_code).where(StationTown.station_code == code)
    return sorted(row["town_code"] for row in rows)


async def unit_name(kind: str | None, code: str | None) -> str | None:
    """The display name of a unit a person can be attached to (district, town or station)."""
    if not kind or not code:
        return None
    if kind == "station":
        row = await station(code)
    else:
        row = await region(code)
        if row and row["level"] != kind:
            row = None
    return row["name"] if row else None


async def unit_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Units a person can be attached to, grouped by district, as (group, [(kind:code, label)])."""
    districts = (
        await Region.select(Region.code, Region.name)
        .where(Region.level == "district")
        .order_by(Region.code)
    )
    towns = (
        await Region.select(Region.code, Region.name, Region.district_code)
        .where(Region.level == "town")
        .order_by(Region.code)
    )
    stations = await Station.select(Station.code, Station.name, Station.district_code).order_by(
        Station.code
    )
    groups = []
    for d in districts:
        options = [(f"district:{d['code']}", f"{d['name']}(区县)")]
        options += [
            (f"town:{t['code']}", f"{t['name']}(镇街)")
            for t in towns
            if t["district_code"] == d["code"]
        ]
        options += [
            (f"station:{s['code']}", f"{s['name']}(派出所)")
            for s in stations
            if s["district_code"] == d["code"]
        ]
        groups.append((d["name"], options))
    return groups


async def counts_in(scope: Scope) -> dict[str, int]:
    """How many districts, towns, villages and stations lie in a person's scope."""
    if scope.is_city:
        result = {level: await Region.count().where(Region.level == level) for level in LEVELS}
        result["station"] = await Station.count()
        return result
    rows = await Region.select(
        Region.level, Region.code, Region.district_code, Region.town_code, Region.station_code
    ).where(Region.district_code == await _district_of_scope(scope))
    result = {level: 0 for level in LEVELS}
    for row in rows:
        if covers(scope, place_from_row(row)):
            result[row["level"]] += 1
    result["station"] = (
        1
        if scope.kind == "station"
        else await Station.count().where(Station.district_code == await _district_of_scope(scope))
    )
    return result


async def _district_of_scope(scope: Scope) -> str | None:
    if scope.kind == "district":
        return scope.code
    if scope.kind == "town":
        row = await region(scope.code)
        return row["district_code"] if row else None
    row = await station(scope.code)
    return row["district_code"] if row else None


async def unit_kind_of(code: str) -> str | None:
    """'station', 'district' or 'town' for a code a person can be attached to, else None."""
    if await station(code):
        return "station"
    row = await region(code)
    return row["level"] if row and row["level"] in ("district", "town") else None
