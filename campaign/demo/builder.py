"""Demo data: Ningbo's real divisions, generated stations and populations, a user per role.

Generated things say so: stations carry is_demo, and the setting `demo_data` makes every page
show a demo banner.
"""

from __future__ import annotations

import random
from pathlib import Path

from campaign.accounts import queries as accounts
from campaign.accounts.rules import ROLES
from campaign.accounts.tables import Profile
from campaign.db import write_transaction
from campaign.regions.imports import import_file
from campaign.regions.tables import Region, Station, StationTown
from campaign.system.tables import Setting

NINGBO = Path(__file__).resolve().parent.parent / "regions" / "data" / "ningbo-2023.csv"
DEMO_PASSWORD = "demo2026"
TOWN_SUFFIXES = ("街道", "镇", "乡")

#: (username, display name, role, unit code or None, team)
DEMO_USERS = (
    ("admin", "反诈中心管理员", "admin", None, None),
    ("leader", "市局领导", "leader", None, None),
    ("leader_cixi", "慈溪市局领导", "leader", "330282", None),
    ("coord_baisha", "白沙路街道协调员", "coordinator", "330282005", None),
    ("coord_fuhai", "附海派出所协调员", "coordinator", "PS330282108", None),
    ("team_dashu", "达叔讲堂", "team", None, "达叔讲堂"),
)


def station_name(town_name: str) -> str:
    for suffix in TOWN_SUFFIXES:
        if town_name.endswith(suffix) and len(town_name) > len(suffix):
            return town_name[: -len(suffix)] + "派出所"
    return town_name + "派出所"


def station_code(town_code: str) -> str:
    return f"PS{town_code}"


async def generate_stations() -> int:
    """One demo station per town that has none, named after the town (station lists are not public)."""
    towns = await Region.select(Region.code, Region.name, Region.district_code).where(
        Region.level == "town"
    )
    covered = {row["town_code"] for row in await StationTown.select(StationTown.town_code)}
    new = [t for t in towns if t["code"] not in covered]
    async with write_transaction():
        for start in range(0, len(new), 400):
            chunk = new[start : start + 400]
            await Station.insert(
                *(
                    Station(
                        code=station_code(t["code"]),
                        name=station_name(t["name"]),
                        district_code=t["district_code"],
                        is_demo=True,
                    )
                    for t in chunk
                )
            )
            await StationTown.insert(
                *(
                    StationTown(station_code=station_code(t["code"]), town_code=t["code"])
                    for t in chunk
                )
            )
    return len(new)


async def generate_populations(seed: int = 2026) -> None:
    """Plausible resident counts where none are stored: villages 800–9,000, towns and districts as sums."""
    rng = random.Random(seed)
    villages = await Region.select(Region.code, Region.town_code, Region.population).where(
        Region.level == "village"
    )
    totals: dict[str, int] = {}
    async with write_transaction():
        for village in villages:
            population = village["population"] or int(rng.lognormvariate(8.0, 0.55)) + 800
            population = min(population, 30000)
            totals[village["town_code"]] = totals.get(village["town_code"], 0) + population
            if village["population"] is None:
                await Region.update({Region.population: population}).where(
                    Region.code == village["code"]
                )
        towns = await Region.select(Region.code, Region.district_code, Region.population).where(
            Region.level == "town"
        )
        district_totals: dict[str, int] = {}
        for town in towns:
            population = town["population"] or totals.get(town["code"], 0) or 20000
            district_totals[town["district_code"]] = (
                district_totals.get(town["district_code"], 0) + population
            )
            if town["population"] is None:
                await Region.update({Region.population: population}).where(
                    Region.code == town["code"]
                )
        for code, population in district_totals.items():
            await Region.update({Region.population: population}).where(
                (Region.code == code) & Region.population.is_null()
            )


async def ensure_users() -> list[tuple[str, str, str]]:
    existing = {row["username"] for row in await accounts.users({}, limit=None)}
    listing = []
    for username, display, role, unit, team in DEMO_USERS:
        kind = None
        if unit:
            kind = (
                "station" if unit.startswith("PS") else ("district" if len(unit) == 6 else "town")
            )
        if username not in existing:
            await accounts.create_user(username, DEMO_PASSWORD, display, role, kind, unit, team)
        unit_name = await accounts.regions.unit_name(kind, unit) if unit else "全市"
        listing.append((username, str(ROLES[role]), unit_name or ""))
    return listing


async def ensure_demo() -> list[tuple[str, str, str]]:
    """Load Ningbo and demo data into an empty database; on a used one, only list the demo logins."""
    if not await Region.exists().where(Region.level == "district"):
        await import_file("regions", NINGBO.name, NINGBO.read_bytes(), dry_run=False, actor=None)
    fresh = not await Profile.exists()
    if fresh:
        await generate_stations()
        await generate_populations()
        async with write_transaction():
            await Setting.delete().where(Setting.key == "demo_data")
            await Setting.insert(Setting(key="demo_data", value="1", updated_at=accounts.now()))
    listing = await ensure_users()
    if fresh:
        await _demo_cases()
        await _demo_warnings()
        await _demo_streaks()
        await _demo_events()
        await _demo_materials()
        await _demo_contests()
        await _demo_volunteers()
        await _demo_duties()
        await _demo_bulletins()
    return listing


async def _demo_cases() -> None:
    """A year of generated cases; before contests, whose standings rank them."""
    from campaign.cases.demo import generate_cases

    await generate_cases()


async def _demo_warnings() -> None:
    """After the cases (劝阻失败 links warnings to them), before contests (dissuasion metric)."""
    from campaign.warnings.demo import generate_warnings

    await generate_warnings()


async def _demo_streaks() -> None:
    """Longest runs, and two weeks of nightly snapshots so rank arrows and the feed have history."""
    import datetime as dt

    from campaign.streaks import queries as streaks
    from campaign.timeutil import today

    for level in streaks.LEVELS:
        await streaks.refresh_bests(level)
    for back in range(14, 0, -1):
        await streaks.write_snapshot(today() - dt.timedelta(days=back))


async def _demo_events() -> None:
    from campaign.events.demo import generate_demo_events
    from campaign.timeutil import today

    await generate_demo_events(today(), await accounts.user_id_by_name("coord_baisha"))


async def _demo_materials() -> None:
    from campaign.materials.demo import generate_demo
    from campaign.materials.queries import fraud_type_names

    await generate_demo(await fraud_type_names(), await accounts.user_id_by_name("team_dashu"))


async def _demo_contests() -> None:
    """After the demo cases, so standings and back-filled snapshots have something to rank."""
    from campaign.contests.demo import generate_demo_contests
    from campaign.timeutil import today

    await generate_demo_contests(today())


async def _demo_volunteers() -> None:
    """Propagandists (two demo coordinators among them), volunteers and months of points."""
    from campaign.timeutil import today
    from campaign.volunteers.demo import generate_demo

    staff = {name: await accounts.user_id_by_name(name) for name in ("coord_baisha", "coord_fuhai")}
    await generate_demo(today(), {k: v for k, v in staff.items() if v is not None})


async def _demo_duties() -> None:
    """After cases, events and contests: tasks, reviews and the quarter's assessment use them."""
    from campaign.duties.demo import generate_demo
    from campaign.timeutil import today

    reviewer = await accounts.user_id_by_name("leader_cixi")
    if reviewer is None:
        raise RuntimeError("the demo's users are made before its duties")
    await generate_demo(today(), reviewer)


async def _demo_bulletins() -> None:
    """The two weeks before last published, last week as the Monday job's draft."""
    from campaign.reports import queries as bulletins
    from campaign.reports.rules import last_complete_week
    from campaign.timeutil import today

    last = last_complete_week(today())
    for week in (last.shifted(-2), last.shifted(-1)):
        await bulletins.publish(week, actor=None)
    await bulletins.draft_week(last, actor=None)
