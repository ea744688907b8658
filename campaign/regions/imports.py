"""Region and station import: read, validate against what is stored, write in one transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict

from campaign.accounts.audit import audited
from campaign.accounts.rules import CurrentUser
from campaign.db import select_in
from campaign.i18n import _
from campaign.importing import ImportRejected, ImportSummary, read_table
from campaign.regions import rules
from campaign.regions.tables import Region, Station, StationTown

CHUNK = 500


async def known_regions() -> dict[str, rules.KnownRegion]:
    rows = await Region.select(Region.code, Region.level, Region.parent_code, Region.district_code)
    return {
        r["code"]: rules.KnownRegion(r["level"], r["parent_code"], r["district_code"]) for r in rows
    }


async def import_file(
    kind: str,
    filename: str,
    data: bytes,
    dry_run: bool,
    actor: CurrentUser | None,
    ip: str | None = None,
) -> ImportSummary:
    """Raises ImportRejected listing every bad row; otherwise applies (unless dry_run) and reports."""
    if kind == "regions":
        rows = read_table(filename, data, rules.REGION_COLUMNS)
        stations = {r["code"] for r in await Station.select(Station.code)}
        records, errors = rules.validate_regions(rows, await known_regions(), stations)
        if errors:
            raise ImportRejected(errors)
        summary, write = await _plan_regions(records)
    elif kind == "stations":
        rows = read_table(filename, data, rules.STATION_COLUMNS)
        station_records, errors = rules.validate_stations(rows, await known_regions())
        if errors:
            raise ImportRejected(errors)
        summary, write = await _plan_stations(station_records)
    else:
        raise ValueError(kind)
    if dry_run or not (summary.added or summary.changed):
        return summary
    async with audited(actor, ip) as audit:
        await write()
        await audit.record(
            f"{kind}.import",
            f"file:{filename}"[:120],
            _("导入 %(file)s:%(s)s", file=filename, s=summary.describe()),
            {
                "added": len(summary.added),
                "changed": len(summary.changed),
                "unchanged": summary.unchanged,
            },
        )
    return summary


#: What a file would change, and the write that applies it inside the caller's transaction.
Plan = tuple[ImportSummary, Callable[[], Awaitable[None]]]


async def _plan_regions(records: list[rules.RegionRecord]) -> Plan:
    summary = ImportSummary(kind="regions")
    found = await select_in(
        lambda *where: Region.select().where(*where), Region.code, [r.code for r in records]
    )
    stored = {r["code"]: r for r in found}
    inserts: list[Region] = []
    updates: list[tuple[str, dict]] = []
    for record in records:
        values = asdict(record)
        old = stored.get(record.code)
        if old is None:
            inserts.append(Region(**values))
            summary.added.append(record.code)
            continue
        # A blank population or station in the file keeps what is stored rather than erasing it.
        for key in ("population", "station_code"):
            if values[key] is None:
                values[key] = old[key]
        changed = {key: value for key, value in values.items() if old[key] != value}
        if changed:
            updates.append((record.code, changed))
            summary.changed.append(record.code)
        else:
            summary.unchanged += 1

    async def write() -> None:
        for start in range(0, len(inserts), CHUNK):
            await Region.insert(*inserts[start : start + CHUNK])
        for code, changed in updates:
            await Region.update(
                {getattr(Region, key): value for key, value in changed.items()}
            ).where(Region.code == code)

    return summary, write


async def _plan_stations(records: list[rules.StationRecord]) -> Plan:
    summary = ImportSummary(kind="stations")
    codes = [r.code for r in records]
    stored = (
        {r["code"]: r for r in await Station.select().where(Station.code.is_in(codes))}
        if codes
        else {}
    )
    towns: dict[str, set[str]] = {}
    for row in (
        await StationTown.select().where(StationTown.station_code.is_in(codes)) if codes else []
    ):
        towns.setdefault(row["station_code"], set()).add(row["town_code"])
    plan = []
    for record in records:
        old = stored.get(record.code)
        if old is None:
            summary.added.append(record.code)
        elif (old["name"], old["district_code"], old["is_demo"]) != (
            record.name,
            record.district_code,
            False,
        ) or towns.get(record.code, set()) != set(record.towns):
            summary.changed.append(record.code)
        else:
            summary.unchanged += 1
            continue
        plan.append((record, old))

    async def write() -> None:
        for record, old in plan:
            if old is None:
                await Station.insert(
                    Station(
                        code=record.code,
                        name=record.name,
                        district_code=record.district_code,
                        is_demo=False,
                    )
                )
            else:
                await Station.update(
                    {
                        Station.name: record.name,
                        Station.district_code: record.district_code,
                        Station.is_demo: False,
                    }
                ).where(Station.code == record.code)
            await StationTown.delete().where(StationTown.station_code == record.code)
            if record.towns:
                await StationTown.insert(
                    *(StationTown(station_code=record.code, town_code=t) for t in record.towns)
                )

    return summary, write
