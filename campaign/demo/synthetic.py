"""Synthetic divisions at any scale, for benchmarks and tests that need more than Ningbo.

Codes have the real shapes (district 6 digits, town 9, village 12, each starting with its
parent's code) under made-up province prefixes 90–99, which no real division uses, so they can
never be mistaken for — or collide with — a real city's codes. Everything is marked is_demo.
Building is pure and seeded; writing is one bulk transaction (SQLite executemany, PostgreSQL COPY:
ORM inserts are an order of magnitude slower at 10^5–10^6 rows).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import astuple, dataclass

from campaign.db import insert_many, write_transaction
from campaign.demo.builder import station_code, station_name
from campaign.regions.rules import RegionRecord, StationRecord
from campaign.regions.tables import Region, Station, StationTown

#: Codes below a parent are three digits, 001–999.
MAX_CHILDREN = 999
DISTRICTS_PER_CITY = 20
CITIES_PER_PROVINCE = 99
FIRST_PROVINCE = 90

NAME_HEADS = "东西南北新安平和兴华城山河湖江海云龙凤金石桥塘溪岭港湾青白长永宁丰泰"
NAME_TAILS = "浦口头沙林田庄湾岙门坑埠桥山阳川源塘洋岗峰港泾园"
DISTRICT_SUFFIXES = ("区", "县", "市")
TOWN_SUFFIXES = ("街道", "镇", "乡")
VILLAGE_SUFFIXES = ("村", "社区")


@dataclass(frozen=True)
class Scale:
    districts: int
    towns: int
    villages: int
    stations: int

    def check(self) -> None:
        """Each level has at least one child per parent and at most 999; every district gets
        at least one station and no station is left without a town."""
        if not (
            0 < self.districts <= (100 - FIRST_PROVINCE) * CITIES_PER_PROVINCE * DISTRICTS_PER_CITY
            and self.districts <= self.towns <= self.districts * MAX_CHILDREN
            and self.towns <= self.villages <= self.towns * MAX_CHILDREN
            and self.districts <= self.stations <= self.towns
        ):
            raise ValueError(f"impossible scale: {self}")


SCALES = {
    "province": Scale(districts=90, towns=1_400, villages=25_000, stations=1_200),
    "national": Scale(districts=2_800, towns=40_000, villages=600_000, stations=5_000),
}


def district_code(index: int) -> str:
    """The index-th synthetic district: province 90–99, city 01–99, district 01–20."""
    province, rest = divmod(index, CITIES_PER_PROVINCE * DISTRICTS_PER_CITY)
    city, district = divmod(rest, DISTRICTS_PER_CITY)
    return f"{FIRST_PROVINCE + province:02d}{city + 1:02d}{district + 1:02d}"


def spread(total: int, caps: Sequence[int], weights: Sequence[float]) -> list[int]:
    """Split total into len(caps) parts, each between 1 and its cap, roughly by weight."""
    if not len(caps) <= total <= sum(caps):
        raise ValueError(f"cannot split {total} into {len(caps)} parts")
    counts = [1] * len(caps)
    extra = total - len(caps)
    scale = extra / sum(weights)
    shares = [weight * scale for weight in weights]
    for i, share in enumerate(shares):
        counts[i] += min(int(share), caps[i] - 1)
    left = total - sum(counts)
    most_short_first = sorted(range(len(caps)), key=lambda i: counts[i] - 1 - shares[i])
    while left:
        for i in most_short_first:
            if left and counts[i] < caps[i]:
                counts[i] += 1
                left -= 1
    return counts


def _name(rng: random.Random, suffixes: Sequence[str]) -> str:
    return rng.choice(NAME_HEADS) + rng.choice(NAME_TAILS) + rng.choice(suffixes)


def build(scale: Scale, seed: int = 2026) -> tuple[list[RegionRecord], list[StationRecord]]:
    """Districts, towns, villages with populations, and stations each covering whole towns of
    one district. Deterministic for a given scale and seed."""
    scale.check()
    rng = random.Random(seed)
    districts = [district_code(i) for i in range(scale.districts)]
    towns_per_district = spread(
        scale.towns,
        [MAX_CHILDREN] * scale.districts,
        [rng.uniform(0.5, 1.5) for _ in districts],
    )
    towns = [
        (district, f"{district}{n:03d}")
        for district, count in zip(districts, towns_per_district, strict=True)
        for n in range(1, count + 1)
    ]
    villages_per_town = spread(
        scale.villages, [MAX_CHILDREN] * len(towns), [rng.uniform(0.3, 1.7) for _ in towns]
    )

    villages: list[RegionRecord] = []
    town_records: list[RegionRecord] = []
    district_population: dict[str, int] = {}
    for (district, town), count in zip(towns, villages_per_town, strict=True):
        total = 0
        for n in range(1, count + 1):
            population = min(int(rng.lognormvariate(8.0, 0.55)) + 800, 30_000)
            total += population
            villages.append(
                RegionRecord(
                    code=f"{town}{n:03d}",
                    name=_name(rng, VILLAGE_SUFFIXES),
                    level="village",
                    parent_code=town,
                    district_code=district,
                    town_code=town,
                    population=population,
                    station_code=None,
                )
            )
        district_population[district] = district_population.get(district, 0) + total
        town_records.append(
            RegionRecord(
                code=town,
                name=_name(rng, TOWN_SUFFIXES),
                level="town",
                parent_code=district,
                district_code=district,
                town_code=None,
                population=total,
                station_code=None,
            )
        )
    district_records = [
        RegionRecord(
            code=district,
            name=_name(rng, DISTRICT_SUFFIXES),
            level="district",
            parent_code=None,
            district_code=district,
            town_code=None,
            population=district_population[district],
            station_code=None,
        )
        for district in districts
    ]
    stations = _stations(scale, districts, towns_per_district, town_records)
    return district_records + town_records + villages, stations


def _stations(
    scale: Scale,
    districts: Sequence[str],
    towns_per_district: Sequence[int],
    towns: Sequence[RegionRecord],
) -> list[StationRecord]:
    """Stations per district in proportion to its towns; each takes a run of adjacent towns and
    is named after the first, like the demo's one-station-per-town."""
    per_district = spread(scale.stations, towns_per_district, towns_per_district)
    stations: list[StationRecord] = []
    start = 0
    for district, town_count, station_count in zip(
        districts, towns_per_district, per_district, strict=True
    ):
        mine = towns[start : start + town_count]
        start += town_count
        for size in spread(town_count, [town_count] * station_count, [1.0] * station_count):
            group, mine = mine[:size], mine[size:]
            stations.append(
                StationRecord(
                    code=station_code(group[0].code),
                    name=station_name(group[0].name),
                    district_code=district,
                    towns=tuple(town.code for town in group),
                )
            )
    return stations


REGION_COLUMNS = (
    "code",
    "name",
    "level",
    "parent_code",
    "district_code",
    "town_code",
    "population",
    "station_code",
    "is_demo",
)


async def write(regions: Sequence[RegionRecord], stations: Sequence[StationRecord]) -> None:
    """Insert everything in one transaction into an empty region/station set."""
    tables = {
        Region._meta.tablename: (REGION_COLUMNS, [(*astuple(r), True) for r in regions]),
        Station._meta.tablename: (
            ("code", "name", "district_code", "is_demo"),
            [(s.code, s.name, s.district_code, True) for s in stations],
        ),
        StationTown._meta.tablename: (
            ("station_code", "town_code"),
            [(s.code, town) for s in stations for town in s.towns],
        ),
    }
    async with write_transaction():
        for table, (columns, rows) in tables.items():
            await insert_many(table, columns, rows)
