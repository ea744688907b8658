"""Reading and writing regions and stations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from piccolo.custom_types import Combinable
from piccolo.query.functions.aggregate import Count, Sum

from campaign.accounts.audit import audited
from campaign.accounts.rules import CurrentUser, Place, Scope
from campaign.db import contains, select_in
from campaign.i18n import _
from campaign.parsing import is_ascii_digits, search_text
from campaign.regions.tables import Region, Station, StationTown
from campaign.rows import Row

LEVELS = ("district", "town", "village")


@dataclass(frozen=True, slots=True)
class RegionRow(Row):
    """A district, town or village as other domains see it (the columns of Region)."""

    id: int
    code: str
    name: str
    level: str
    parent_code: str | None
    district_code: str
    town_code: str | None
    population: int | None
    station_code: str | None
    is_demo: bool
    last_case_on: dt.date | None


@dataclass(frozen=True, slots=True)
class Unit(Row):
    """A region or station as other domains and filter lists see it: its code and name."""

    code: str
    name: str


@dataclass(frozen=True, slots=True)
class RegionView(RegionRow):
    """A region as the tree, search and detail pages show it: with its child count in scope
    (tree_roots, children), its path from the district down (with_paths) and the stations over
    it (with_stations; `station_inherited` when a village takes its town's)."""

    child_count: int | None = None
    path: tuple[Unit, ...] = ()
    stations: tuple[Unit, ...] = ()
    station_inherited: bool = False


@dataclass(frozen=True, slots=True)
class StationRow(Row):
    """A police station as other domains see it (the columns of Station)."""

    id: int
    code: str
    name: str
    district_code: str
    is_demo: bool
    last_case_on: dt.date | None


def place_from_row(row: Mapping[str, Any]) -> Place:
    return Place(
        level=row["level"],
        code=row["code"],
        district_code=row["district_code"],
        town_code=row["town_code"],
        station_code=row["station_code"],
    )


def _views(rows: Iterable[Mapping[str, Any]]) -> list[RegionView]:
    return [row if isinstance(row, RegionView) else RegionView(**row) for row in rows]


async def region(code: str) -> RegionRow | None:
    row = await Region.select().where(Region.code == code).first()
    return RegionRow(**row) if row else None


async def place_of(code: str) -> Place | None:
    row = await region(code)
    return place_from_row(row) if row else None


async def station(code: str) -> StationRow | None:
    row = await Station.select().where(Station.code == code).first()
    return StationRow(**row) if row else None


async def station_towns(code: str) -> list[str]:
    rows = await StationTown.select(StationTown.town_code).where(StationTown.station_code == code)
    return sorted(row["town_code"] for row in rows)


async def unit_name(kind: str | None, code: str | None) -> str | None:
    """The display name of a unit a person can be attached to (district, town or station)."""
    if not kind or not code:
        return None
    row: RegionRow | StationRow | None
    if kind == "station":
        row = await station(code)
    else:
        row = await region(code)
        if row and row.level != kind:
            row = None
    return row.name if row else None


async def counts_in(scope: Scope) -> dict[str, int]:
    """How many districts, towns, villages and stations lie in a person's scope."""
    where = scope_where(scope)
    result = {level: await Region.count().where(Region.level == level, *where) for level in LEVELS}
    result["station"] = await Station.count().where(*station_scope_where(scope))
    return result


async def _district_of_scope(scope: Scope) -> str | None:
    if scope.kind == "district" or scope.code is None:
        return scope.code
    row = await (region(scope.code) if scope.kind == "town" else station(scope.code))
    return row["district_code"] if row else None


async def unit_kind_of(code: str) -> str | None:
    """'station', 'district' or 'town' for a code a person can be attached to, else None."""
    if await station(code):
        return "station"
    row = await region(code)
    return row["level"] if row and row["level"] in ("district", "town") else None


# -- Scope as SQL: the same rule as accounts.rules.covers, for lists that page in the database -----


def scope_where(scope: Scope) -> list:
    """Clauses selecting the regions a scope covers (see accounts.rules.covers)."""
    if scope.is_city:
        return []
    if scope.kind == "district":
        return [Region.district_code == scope.code]
    if scope.kind == "town":
        return [(Region.town_code == scope.code) | (Region.code == scope.code)]
    own = (Region.level == "village") & (Region.station_code == scope.code)
    if not scope.towns:
        return [own]
    towns = list(scope.towns)
    return [
        own
        | ((Region.level == "town") & Region.code.is_in(towns))
        | (
            (Region.level == "village")
            & Region.station_code.is_null()
            & Region.town_code.is_in(towns)
        )
    ]


def station_scope_where(scope: Scope) -> list:
    """Stations a scope sees: its own, those covering its town, or those of its district."""
    if scope.is_city:
        return []
    if scope.kind == "district":
        return [Station.district_code == scope.code]
    if scope.kind == "town":
        covering = StationTown.select(StationTown.station_code).where(
            StationTown.town_code == scope.code
        )
        return [Station.code.is_in(covering)]
    return [Station.code == scope.code]


# -- The tree, search and detail -----------------------------------------------------------------


def matching(text: str):
    """A code prefix when digits are typed, else a name substring."""
    text = search_text(text)
    if is_ascii_digits(text, 12):
        return Region.code.like(text + "%")
    return contains(Region.name, text)


def _region_where(scope: Scope, filters: dict[str, str]) -> list:
    where = scope_where(scope)
    if q := filters.get("q", "").strip():
        where.append(matching(q))
    if level := filters.get("level"):
        where.append(Region.level == level)
    if parent := filters.get("parent"):
        where.append(Region.parent_code == parent)
    return where


async def region_count(scope: Scope, filters: dict[str, str]) -> int:
    return await Region.count().where(*_region_where(scope, filters))


async def regions(
    scope: Scope, filters: dict[str, str], offset: int = 0, limit: int | None = 50
) -> list[RegionRow]:
    """Regions in scope matching q (name or code prefix), level and parent, in tree order."""
    query = Region.select().where(*_region_where(scope, filters)).order_by(Region.code)
    if limit is not None:
        query = query.offset(offset).limit(limit)
    return [RegionRow(**row) for row in await query]


async def tree_roots(scope: Scope) -> list[RegionView]:
    """The top of a person's tree: the districts for the city, else their own unit's regions."""
    if scope.is_city:
        where = Region.level == "district"
    elif scope.kind in ("district", "town"):
        where = Region.code == scope.code
    elif scope.towns:
        where = Region.code.is_in(list(scope.towns))
    else:
        return []
    return await _with_child_counts(await Region.select().where(where).order_by(Region.code), scope)


async def children(code: str, scope: Scope) -> list[RegionView]:
    """The regions one level below that the scope covers, each with its own child count."""
    rows = (
        await Region.select()
        .where(Region.parent_code == code, *scope_where(scope))
        .order_by(Region.code)
    )
    return await _with_child_counts(rows, scope)


async def _with_child_counts(rows: list[dict], scope: Scope) -> list[RegionView]:
    codes = [row["code"] for row in rows if row["level"] != "village"]
    counts = {}
    if codes:
        counts = {
            row["parent_code"]: row["n"]
            for row in await Region.select(Region.parent_code, Count(alias="n"))
            .where(Region.parent_code.is_in(codes), *scope_where(scope))
            .group_by(Region.parent_code)
        }
    return [RegionView(**row, child_count=counts.get(row["code"], 0)) for row in rows]


async def with_paths(rows: Iterable[Mapping[str, Any]]) -> list[RegionView]:
    """The regions with their `path`: (code, name) from the district down to the region itself."""
    views = _views(rows)
    codes = {c for row in views for c in (row.district_code, row.town_code) if c}
    names = {}
    if codes:
        names = {
            r["code"]: r["name"]
            for r in await Region.select(Region.code, Region.name).where(
                Region.code.is_in(list(codes))
            )
        }
    return [
        replace(
            row,
            path=(
                *(
                    Unit(c, names.get(c, c))
                    for c in (row.district_code, row.town_code)
                    if c and c != row.code
                ),
                Unit(row.code, row.name),
            ),
        )
        for row in views
    ]


async def with_stations(rows: Iterable[Mapping[str, Any]]) -> list[RegionView]:
    """The regions with, for towns and villages, their `stations` and `station_inherited`: a
    town's stations are those covering it; a village's is its own, else its town's (inherited)."""
    views = _views(rows)

    def town_of(row: RegionView) -> str | None:
        if row.level == "town":
            return row.code
        return row.town_code if row.level == "village" and not row.station_code else None

    towns = list({town for row in views if (town := town_of(row))})
    by_town: dict[str, list[str]] = {}
    if towns:
        for link in await StationTown.select().where(StationTown.town_code.is_in(towns)):
            by_town.setdefault(link["town_code"], []).append(link["station_code"])
    codes = {row.station_code for row in views if row.station_code}
    codes |= {code for linked in by_town.values() for code in linked}
    names = {}
    if codes:
        names = {
            s["code"]: s["name"]
            for s in await Station.select(Station.code, Station.name).where(
                Station.code.is_in(list(codes))
            )
        }

    def with_own(row: RegionView) -> RegionView:
        town = town_of(row)
        return replace(
            row,
            station_inherited=row.level == "village" and town is not None,
            stations=tuple(
                Unit(code, names.get(code, code))
                for code in (sorted(by_town.get(town, [])) if town else [row.station_code])
                if code is not None
            ),
        )

    return [row if row.level == "district" else with_own(row) for row in views]


async def stations_covering(row: RegionRow) -> list[StationRow]:
    """Stations whose jurisdiction includes the region: a district's stations, a town's, and for
    a village its own station or else its town's."""
    if row["level"] == "district":
        where = Station.district_code == row["code"]
    elif row["level"] == "village" and row["station_code"]:
        where = Station.code == row["station_code"]
    else:
        town = row["code"] if row["level"] == "town" else row["town_code"]
        where = Station.code.is_in(
            StationTown.select(StationTown.station_code).where(StationTown.town_code == town)
        )
    return [StationRow(**row) for row in await Station.select().where(where).order_by(Station.code)]


async def station_choices(town_code: str) -> list[Unit]:
    """The stations a village of this town may be assigned to: those covering the town."""
    rows = (
        await Station.select(Station.code, Station.name)
        .where(
            Station.code.is_in(
                StationTown.select(StationTown.station_code).where(
                    StationTown.town_code == town_code
                )
            )
        )
        .order_by(Station.code)
    )
    return [Unit(row["code"], row["name"]) for row in rows]


async def update_region(code: str, changes: dict) -> None:
    """Call inside the write transaction that records the audit entry."""
    await Region.update({getattr(Region, key): value for key, value in changes.items()}).where(
        Region.code == code
    )


async def change_region(row: RegionRow, changes: dict, actor: CurrentUser, ip: str | None) -> None:
    """Change a region's details (population, a village's station) with its audit entry."""
    async with audited(actor, ip) as audit:
        await update_region(row["code"], changes)
        await audit.record(
            "region.update",
            f"region:{row['code']}",
            _("修改区划 %(name)s(%(code)s)", name=row["name"], code=row["code"]),
            {"before": {key: row[key] for key in changes}, "after": changes},
        )


# -- Stations ------------------------------------------------------------------------------------


def _station_where(scope: Scope, filters: dict[str, str]) -> list:
    where = station_scope_where(scope)
    if q := filters.get("q", "").strip():
        where.append(contains(Station.name, q) | contains(Station.code, q))
    if district := filters.get("district"):
        where.append(Station.district_code == district)
    return where


async def station_count(scope: Scope, filters: dict[str, str]) -> int:
    return await Station.count().where(*_station_where(scope, filters))


@dataclass(frozen=True, slots=True)
class StationView(StationRow):
    """A station as the station pages and the API show it: the towns of its jurisdiction, how
    many towns and villages that makes, and its district's name."""

    towns: list[str]
    town_count: int
    village_count: int
    district_name: str


async def stations(
    scope: Scope, filters: dict[str, str], offset: int = 0, limit: int | None = 50
) -> list[StationView]:
    """Stations in scope with their towns, town and village counts and district name."""
    query = Station.select().where(*_station_where(scope, filters)).order_by(Station.code)
    if limit is not None:
        query = query.offset(offset).limit(limit)
    return await _with_jurisdiction(await query)


async def _with_jurisdiction(rows: list[dict]) -> list[StationView]:
    if not rows:
        return []
    codes = [row["code"] for row in rows]
    towns: dict[str, list[str]] = {code: [] for code in codes}
    for link in await StationTown.select().where(StationTown.station_code.is_in(codes)):
        towns[link["station_code"]].append(link["town_code"])
    all_towns = sorted({t for linked in towns.values() for t in linked})
    inherited = {}
    if all_towns:
        inherited = {
            r["town_code"]: r["n"]
            for r in await Region.select(Region.town_code, Count(alias="n"))
            .where(
                (Region.level == "village")
                & Region.station_code.is_null()
                & Region.town_code.is_in(all_towns)
            )
            .group_by(Region.town_code)
        }
    own = {
        r["station_code"]: r["n"]
        for r in await Region.select(Region.station_code, Count(alias="n"))
        .where((Region.level == "village") & Region.station_code.is_in(codes))
        .group_by(Region.station_code)
    }
    districts = {
        r["code"]: r["name"]
        for r in await Region.select(Region.code, Region.name).where(
            Region.code.is_in(list({row["district_code"] for row in rows}))
        )
    }
    return [
        StationView(
            **row,
            towns=sorted(towns[row["code"]]),
            town_count=len(towns[row["code"]]),
            village_count=own.get(row["code"], 0)
            + sum(inherited.get(t, 0) for t in towns[row["code"]]),
            district_name=districts.get(row["district_code"], row["district_code"]),
        )
        for row in rows
    ]


async def station_detail(code: str) -> StationView | None:
    row = await Station.select().where(Station.code == code).first()
    return (await _with_jurisdiction([row]))[0] if row else None


async def station_villages(code: str, towns: list[str]) -> list[RegionRow]:
    """Villages in a station's jurisdiction: assigned to it, or unassigned in one of its towns."""
    where: Combinable = (Region.level == "village") & (Region.station_code == code)
    if towns:
        where = where | (
            (Region.level == "village")
            & Region.station_code.is_null()
            & Region.town_code.is_in(towns)
        )
    return [RegionRow(**row) for row in await Region.select().where(where).order_by(Region.code)]


async def regions_by_code(codes: list[str]) -> list[RegionRow]:
    if not codes:
        return []
    rows = await Region.select().where(Region.code.is_in(codes)).order_by(Region.code)
    return [RegionRow(**row) for row in rows]


async def districts_in(scope: Scope) -> list[Unit]:
    """Districts to offer in a filter: all for the city, else the one the scope lies in."""
    where = [Region.level == "district"]
    if not scope.is_city:
        where.append(Region.code == await _district_of_scope(scope))
    rows = await Region.select(Region.code, Region.name).where(*where).order_by(Region.code)
    return [Unit(row["code"], row["name"]) for row in rows]


#: Matches a picker offers at most: a search field, not a list of every district of a country.
PICK_LIMIT = 20


#: The units a person can be attached to (accounts: "kind:code"; none is the whole city).
PERSON_UNIT_KINDS = ("district", "town", "station")


def _person_unit(kind: str, unit: Unit) -> Unit:
    labels = {
        "district": _("%(name)s(区县)", name=unit.name),
        "town": _("%(name)s(镇街)", name=unit.name),
        "station": _("%(name)s(派出所)", name=unit.name),
    }
    return Unit(f"{kind}:{unit.code}", labels[kind])


def picked_word(text: str) -> str:
    """What a picker's typed text searches for: its last word (a picked entry reads "name
    code", so after a choice the code is searched, not the whole entry)."""
    words = search_text(text).split()
    return words[-1] if words else ""


async def pick(kind: str, scope: Scope, text: str, parent: str | None = None) -> list[Unit]:
    """Districts, towns, villages (kind = level) or stations in scope whose name contains the
    typed text or whose code starts with it, for a searchable picker; kind "unit": districts,
    towns and stations together, coded "kind:code" (a person's unit). What is searched for is
    the text's picked_word."""
    if kind == "unit":
        found = [
            _person_unit(level, unit)
            for level in PERSON_UNIT_KINDS
            for unit in await pick(level, scope, text)
        ]
        return found[:PICK_LIMIT]
    text = picked_word(text)
    table: type[Region] | type[Station]
    if kind == "station":
        table, where = Station, station_scope_where(scope)
        if text:
            where.append(contains(Station.name, text) | Station.code.like(text + "%"))
        if parent:
            where.append(Station.district_code == parent)
    else:
        table, where = Region, [Region.level == kind]
        if kind == "district" and not scope.is_city:
            where.append(Region.code == await _district_of_scope(scope))
        elif kind != "district":
            where += scope_where(scope)
        if text:
            where.append(matching(text))
        if parent:
            where.append(Region.parent_code == parent)
    rows = await (
        table.select(table.code, table.name).where(*where).order_by(table.code).limit(PICK_LIMIT)
    )
    return [Unit(row["code"], row["name"]) for row in rows]


async def chosen(kind: str, code: str | None) -> Unit | None:
    """The unit a picker shows as chosen (None when no or an unknown code)."""
    if kind == "unit" and code and ":" in code:
        level, code = code.split(":", 1)
        found = await chosen(level, code) if level in PERSON_UNIT_KINDS else None
        return _person_unit(level, found) if found else None
    if not code:
        return None
    row = await (station(code) if kind == "station" else region(code))
    return Unit(row["code"], row["name"]) if row and row.get("level", kind) == kind else None


# -- Last case days, kept by the cases domain ---------------------------------------------------


async def names_of(codes: Collection[str]) -> dict[str, str]:
    """{code: name} for any mix of region and station codes (unknown codes are left out)."""
    wanted = sorted({c for c in codes if c})
    if not wanted:
        return {}
    regions = await Region.select(Region.code, Region.name).where(Region.code.is_in(wanted))
    stations = await Station.select(Station.code, Station.name).where(Station.code.is_in(wanted))
    return {row["code"]: row["name"] for row in [*regions, *stations]}


async def derive_station(village_code: str | None, town_code: str) -> str | None:
    """The station of a place: the village's own station, else the one station over its town
    (None when no station or several stations cover the town)."""
    if village_code:
        row = await Region.select(Region.station_code).where(Region.code == village_code).first()
        if row and row["station_code"]:
            return row["station_code"]
    rows = await StationTown.select(StationTown.station_code).where(
        StationTown.town_code == town_code
    )
    return rows[0]["station_code"] if len(rows) == 1 else None


@dataclass(frozen=True, slots=True)
class TownInfo:
    """A town for reports: its district and residents (the town's own figure, else the sum of
    its villages'; None when neither is recorded)."""

    code: str
    name: str
    district_code: str
    population: int | None


async def town_directory() -> list[TownInfo]:
    """Every town, ordered by code, with residents (for bulletins' per-10,000 figures)."""
    towns = (
        await Region.select(Region.code, Region.name, Region.district_code, Region.population)
        .where(Region.level == "town")
        .order_by(Region.code)
    )
    villages = (
        await Region.select(
            Region.town_code.as_alias("town"), Sum(Region.population, alias="people")
        )
        .where(Region.level == "village", Region.population.is_not_null())
        .group_by(Region.town_code)
    )
    summed = {r["town"]: int(r["people"] or 0) for r in villages}
    return [
        TownInfo(t["code"], t["name"], t["district_code"], t["population"] or summed.get(t["code"]))
        for t in towns
    ]


async def district_populations() -> dict[str, int]:
    """{district code: residents}, each town counted as town_directory counts it (its own figure,
    else its villages' sum, read only for towns without one), in one grouped read: the
    bulletin's default areas are districts."""
    rows = await Region.raw(
        "SELECT t.district_code AS code, SUM(COALESCE(t.population, (SELECT SUM(v.population) "
        "FROM region v WHERE v.level = 'village' AND v.town_code = t.code))) AS people "
        "FROM region t WHERE t.level = 'town' GROUP BY t.district_code"
    )
    return {r["code"]: int(r["people"]) for r in rows if r["people"]}


async def districts_of_towns(codes: Collection[str]) -> dict[str, str]:
    """{town code: its district code} for the given towns (unknown codes are left out)."""

    def query(*extra):
        return Region.select(Region.code, Region.district_code).where(
            Region.level == "town", *extra
        )

    return {r["code"]: r["district_code"] for r in await select_in(query, Region.code, codes)}
